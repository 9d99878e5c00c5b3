"""PinSage performance, ratios measured in one run (notebook 02's engineering claims).

* ``sampler``: importance-neighbourhood sampling, vectorised :class:`RandomWalkSampler` vs a
  straightforward per-walk Python implementation on the same graph and settings: targets/s and
  walk steps/s (the issue asks for >= 50x).
* ``sampler_scaling``: seconds per sampled target on pinboard worlds of 10k / 100k pins (1M with
  ``--full``); about constant per target means the cost of sampling every node grows linearly.
* ``inference``: layer-wise with each node's message computed once per layer and gathered, vs
  layer-wise recomputing a neighbour's message wherever it appears, vs per-node recomputation of every
  item's K-hop tree, same model and neighbourhood table: wall time (per-node extrapolated from a
  subset), computed-embedding counts and the matrix-multiply work (multiplications of the dense
  products) of each scheme, at 10k and 100k pins.
* ``retrieval``: faiss HNSW vs exact ``IndexFlatIP`` over 100k (and 1M with ``--full``) clustered
  64-d unit vectors: query speed ratio and recall@10.

Writes ``build/bench/pinsage.json``. Run: ``python -m benchmarks.bench_pinsage [--full] [--smoke]``.
"""

from __future__ import annotations

import argparse
import platform
import random
import time
from typing import Any

import torch
import torch.nn.functional as F

from benchmarks import write_report
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    EmbeddingIndex,
    NeighborTable,
    PinSage,
    PinSageConfig,
    RandomWalkSampler,
    layerwise_embeddings,
    pernode_embeddings,
)

WALKS = dict(num_walks=100, walk_length=2, restart_prob=0.5, top_t=20)


def naive_sample(item_users: list[list[int]], user_items: list[list[int]], query: int, num_walks: int,
                 walk_length: int, restart_prob: float, top_t: int, rng: random.Random) -> list[tuple[int, float]]:
    """The straightforward way: one Python loop per walk and step, a dict of visit counts."""
    counts: dict[int, int] = {}
    for _ in range(num_walks):
        cur = query
        for _ in range(walk_length):
            users = item_users[cur]
            if not users:
                cur = query
                continue
            nxt = rng.choice(user_items[rng.choice(users)])
            if nxt != query:
                counts[nxt] = counts.get(nxt, 0) + 1
            cur = query if rng.random() < restart_prob else nxt
    best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top_t]
    total = sum(c for _, c in best) or 1
    return [(item, c / total) for item, c in best]


def _world_graph(num_pins: int) -> tuple[torch.Tensor, int, int]:
    world = make_pinboard(num_pins, seed=0)
    return world.edge_index(), world.num_pins, world.num_boards


def bench_sampler(num_pins: int, naive_targets: int, fast_targets: int) -> dict[str, Any]:
    edges, n_items, n_users = _world_graph(num_pins)
    sampler = RandomWalkSampler(edges, n_items, n_users, seed=0, **WALKS)
    item_users: list[list[int]] = [[] for _ in range(n_items)]
    user_items: list[list[int]] = [[] for _ in range(n_users)]
    for i, u in edges.t().tolist():
        item_users[i].append(u)
        user_items[u].append(i)
    rng = random.Random(0)
    targets = torch.randint(0, n_items, (fast_targets,), generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    for q in targets[:naive_targets].tolist():
        naive_sample(item_users, user_items, q, rng=rng, **WALKS)
    naive_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for chunk in targets.split(4096):
        sampler.sample(chunk)
    fast_s = time.perf_counter() - t0
    steps = WALKS["num_walks"] * WALKS["walk_length"]
    naive_tps, fast_tps = naive_targets / naive_s, fast_targets / fast_s
    return {"num_pins": num_pins, "naive_targets_per_s": naive_tps, "vectorised_targets_per_s": fast_tps,
            "naive_steps_per_s": naive_tps * steps, "vectorised_steps_per_s": fast_tps * steps,
            "naive_ns_per_step": 1e9 / (naive_tps * steps), "vectorised_ns_per_step": 1e9 / (fast_tps * steps),
            "speedup": fast_tps / naive_tps, **_floor_ns(n_items)}  # fmt: skip


def _floor_ns(num_items: int, n: int = 200_000) -> dict[str, float]:
    """What one walk step cannot go below in eager PyTorch on this machine: the per-element cost of
    the random word, one CSR gather and the counting sort (ns per element, cache-resident sizes)."""
    gen = torch.Generator().manual_seed(0)
    table = torch.randint(0, num_items, (num_items,), generator=gen)
    index = torch.randint(0, num_items, (n,), generator=gen)
    keys = torch.randint(0, 2**30, (n,), generator=gen, dtype=torch.int32)
    out = {}
    for name, fn in [("random_word", lambda: torch.randint(0, 1 << 62, (n,), generator=gen)),
                     ("gather", lambda: table.index_select(0, index)),
                     ("sort_int32", lambda: torch.sort(keys, stable=True))]:  # fmt: skip
        fn()
        t0 = time.perf_counter()
        for _ in range(5):
            fn()
        out[f"floor_ns_{name}"] = (time.perf_counter() - t0) / 5 / n * 1e9
    return out


def bench_scaling(sizes: list[int], targets: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        edges, n_items, n_users = _world_graph(n)
        sampler = RandomWalkSampler(edges, n_items, n_users, seed=0, **WALKS)
        batch = torch.randint(0, n_items, (targets,), generator=torch.Generator().manual_seed(1))
        t0 = time.perf_counter()
        for chunk in batch.split(4096):
            sampler.sample(chunk)
        per_target = (time.perf_counter() - t0) / targets
        rows.append({"num_pins": n, "seconds_per_target": per_target, "all_nodes_seconds_est": per_target * n})
    return rows


def bench_inference(sizes: list[int], subset: int) -> list[dict[str, Any]]:
    """Three schemes on one model and table: layer-wise with each node's message ``ReLU(Q h + q)``
    computed once per layer and gathered (``shared``), layer-wise recomputing a neighbour's message for
    every neighbourhood it appears in (``recompute``, the earlier scheme), and per-node K-hop trees
    (extrapolated from ``subset`` pins). Work = multiplications of the dense matrix products."""
    rows = []
    for n in sizes:
        world = make_pinboard(n, seed=0)
        x = world.features("combined")
        sampler = RandomWalkSampler(world.edge_index(), world.num_pins, world.num_boards, seed=0, **WALKS)
        table = NeighborTable(sampler.sample, world.num_pins)
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=64, out_dim=64))
        t0 = time.perf_counter()
        shared = layerwise_embeddings(model, x, table)
        shared_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        recompute = layerwise_embeddings(model, x, table, share_messages=False)
        recompute_s = time.perf_counter() - t0
        part = torch.arange(min(subset, n))
        t0 = time.perf_counter()
        pernode = pernode_embeddings(model, x, table, part)
        scale = n / len(part)
        pn_s = (time.perf_counter() - t0) * scale
        same = float((shared.embeddings[part] - pernode.embeddings).abs().max())
        same_recompute = float((shared.embeddings - recompute.embeddings).abs().max())
        rows.append({"num_pins": n, "layerwise_seconds": shared_s, "layerwise_recompute_seconds": recompute_s,
                     "pernode_seconds_est": pn_s, "time_ratio": pn_s / shared_s,
                     "time_ratio_recompute_vs_shared": recompute_s / shared_s,
                     "layerwise_computed": shared.computed_embeddings,
                     "pernode_computed_est": pernode.computed_embeddings * scale,
                     "layerwise_matmul_multiplies": shared.matmul_multiplies,
                     "layerwise_recompute_matmul_multiplies": recompute.matmul_multiplies,
                     "pernode_matmul_multiplies_est": pernode.matmul_multiplies * scale,
                     "matmul_work_ratio_recompute_vs_shared": recompute.matmul_multiplies / shared.matmul_multiplies,
                     "matmul_work_ratio_pernode_vs_shared": pernode.matmul_multiplies * scale / shared.matmul_multiplies,
                     "pooling_multiplies": shared.pooling_multiplies,
                     "pernode_subset": len(part), "max_abs_difference": same,
                     "max_abs_difference_recompute": same_recompute})  # fmt: skip
    return rows


def bench_retrieval(sizes: list[int], num_queries: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        gen = torch.Generator().manual_seed(0)
        centres = torch.randn(max(n // 100, 1), 64, generator=gen)
        emb = F.normalize(centres[torch.randint(0, len(centres), (n,), generator=gen)] + 0.5 * torch.randn(n, 64, generator=gen), dim=1)
        queries = emb[torch.randperm(n, generator=gen)[:num_queries]]
        row: dict[str, Any] = {"num_vectors": n}
        exact = None
        for kind in ("exact", "hnsw"):
            t0 = time.perf_counter()
            index = EmbeddingIndex(emb, kind)
            row[f"{kind}_build_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            index.search(queries, 10)
            row[f"{kind}_queries_per_s"] = num_queries / (time.perf_counter() - t0)
            exact = exact or index
            row[f"{kind}_recall_at_10"] = index.recall_against(exact, queries, 10)
        row["speed_ratio_hnsw_vs_exact"] = row["hnsw_queries_per_s"] / row["exact_queries_per_s"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the 1M-pin / 1M-vector sizes")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (for the test suite)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.smoke:
        scale, inf_sizes, ret_sizes = [500], [500], [1000]
        sampler_cfg = dict(num_pins=500, naive_targets=10, fast_targets=100)
        targets, subset, queries = 100, 50, 50
    else:
        scale = [10_000, 100_000] + ([1_000_000] if args.full else [])
        inf_sizes, ret_sizes = [10_000, 100_000], [100_000] + ([1_000_000] if args.full else [])
        sampler_cfg = dict(num_pins=10_000, naive_targets=200, fast_targets=10_000)
        targets, subset, queries = 10_000, 2_000, 1_000
    result = {
        "machine": platform.platform(),
        "torch_threads": torch.get_num_threads(),
        "walks": WALKS,
        "sampler": bench_sampler(**sampler_cfg),
        "sampler_scaling": bench_scaling(scale, targets),
        "inference": bench_inference(inf_sizes, subset),
        "retrieval": bench_retrieval(ret_sizes, queries),
    }
    out = write_report("pinsage_smoke" if args.smoke else "pinsage", result)
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
