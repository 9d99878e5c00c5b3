"""PinSage performance, ratios measured in one run (notebook 02's engineering claims).

* ``sampler``: importance-neighbourhood sampling, vectorised :class:`RandomWalkSampler` vs a
  straightforward per-walk Python implementation on the same graph and settings: targets/s and
  walk steps/s (the issue asks for >= 50x).
* ``walker``: the compiled-kernel :class:`RandomWalkSampler` vs the earlier eager-PyTorch version
  (:class:`EagerRandomWalkSampler`, kept here as the frozen reference) on the 100k-pin world, one
  thread, interleaved repeats: ns per walk step of each, their ratio (median of the per-repeat
  ratios; the issue asks for >= 1.5x) and whether both give bit-identical neighbourhoods for a seed.
* ``hotspots``: training steps and layer-wise inference at 100k pins (and 1M with ``--full``, issue
  #16's size), profiled (cProfile, top functions by own time) and timed, interleaved, in three code
  versions (:data:`VERSIONS`, frozen here): ``coo`` (session 3: importance pooling as a sparse COO
  product that sorted its indices on every call), ``concat`` (session 4: one ``embedding_bag``, but
  every step gathered features and degrees, concatenated them, and concatenated ``[h || n]`` before
  ``W``), and ``now`` (one input table per run, ``W`` applied as two products on its column blocks,
  ReLU in place): the before/after ratios and the largest embedding difference.
* ``sampler_scaling``: seconds per sampled target on pinboard worlds of 10k / 100k pins (1M with
  ``--full``); about constant per target means the cost of sampling every node grows linearly.
* ``inference``: layer-wise with each node's message computed once per layer and gathered, vs
  layer-wise recomputing a neighbour's message wherever it appears, vs per-node recomputation of every
  item's K-hop tree, same model and neighbourhood table: wall time (per-node extrapolated from a
  subset), computed-embedding counts and the matrix-multiply work (multiplications of the dense
  products) of each scheme, at 10k and 100k pins.
* ``calibration``: the pinboard world's feature-calibration step (1000 queries scored against all
  pins, hit@K decisions) by :func:`~lecturekit.recsys.pinsage.evaluation.hits_at_k` (one ``topk``)
  vs the full tie-broken ranks of ``fast_ranks``, interleaved repeats at 100k pins: the ratio and
  whether the decisions agree.
* ``ranking``: notebook 02's two ranking hot spots at its 20k pins, each against its frozen eager
  version (:func:`eager_fast_ranks`, :func:`topk_top_ranked`), interleaved repeats: the rank of each
  test target among all pins (one compiled pass per row vs five tensor passes with two boolean
  copies; 512 queries) and the hard-negative ranking to each band's depth (a compiled partition and a
  sort of what lies above it vs one ``torch.topk`` per chunk; the PPR scores of 512 training queries).
  Both report the ratio and whether the results agree; for the bands also how many rows of the
  ``topk`` version change with the depth asked for (its order of equal keys is ``topk``'s).
* ``retrieval``: faiss HNSW vs exact ``IndexFlatIP`` over 100k (and 1M with ``--full``) clustered
  64-d unit vectors: query speed ratio and recall@10.

Writes ``build/bench/pinsage.json``. Run: ``python -m benchmarks.bench_pinsage [--full] [--smoke]``
(``--only walker,...`` runs a subset of the sections).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import platform
import pstats
import random
import time
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from benchmarks import write_report
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    EmbeddingIndex,
    NeighborTable,
    PinSage,
    PinSageConfig,
    PinSageConv,
    RandomWalkSampler,
    TrainConfig,
    layerwise_embeddings,
    pernode_embeddings,
    train_pinsage,
)

WALKS = dict(num_walks=100, walk_length=2, restart_prob=0.5, top_t=20)
_MASK24 = (1 << 24) - 1


class EagerRandomWalkSampler(RandomWalkSampler):
    """The walker written in eager PyTorch (gathers, a counting sort, a ``topk``): the readable reference
    that ``bench_walker`` times the numba kernels against and ``tests/test_pinsage_walker.py`` compares with
    bit for bit (same CSR arrays and the same random bits, so the walks must be identical)."""

    def _traverse(self, cur: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
        degree = self.item_degree.index_select(0, cur)
        edge = self.item_ptr.index_select(0, cur) + (((bits & _MASK24) * degree) >> 24)
        user = self.item_users.index_select(0, edge)
        degree = self.user_degree.index_select(0, user)
        edge = self.user_ptr.index_select(0, user) + ((((bits >> 24) & _MASK24) * degree) >> 24)
        return self.user_items.index_select(0, edge)

    def _walks(self, items, num_walks, generator=None, walk_length=None):
        length = self.walk_length if walk_length is None else walk_length
        gen = self.generator if generator is None else generator
        visits = torch.full((items.numel(), num_walks * length), -1, dtype=torch.long)
        alive = self.item_degree[items] > 0
        start = items[alive].repeat_interleave(num_walks)
        if start.numel() == 0:
            return visits
        threshold = int(round(self.restart_prob * (1 << 14)))
        steps = torch.empty(length, start.numel(), dtype=torch.long)
        cur = start
        for step in range(length):
            bits = torch.randint(0, 1 << 62, (start.numel(),), generator=gen)
            steps[step] = self._traverse(cur, bits)
            cur = torch.where((bits >> 48) < threshold, start, steps[step])
        visits[alive] = steps.t().reshape(-1, num_walks * length)
        return visits

    def _count(self, items, generator=None):
        rows, found, counts = [], [], []
        for offset, chunk, visits in self._chunks(items, generator):
            b, _ = visits.shape
            key = torch.arange(b).unsqueeze(1) * self.num_items + visits
            key = torch.where(
                (visits < 0) | (visits == chunk.unsqueeze(1)), torch.full_like(key, -1), key
            ).view(-1)
            if b * self.num_items < 2**31:
                key = key.int()
            ordered = torch.sort(key, stable=True).values
            first = torch.ones(ordered.numel(), dtype=torch.bool)
            first[1:] = ordered[1:] != ordered[:-1]
            starts = torch.nonzero(first).squeeze(1)
            count = torch.diff(starts, append=torch.tensor([ordered.numel()]))
            unique = ordered.index_select(0, starts).long()
            keep = unique >= 0
            unique, count = unique[keep], count[keep]
            row = unique // self.num_items
            rows.append(row + offset)
            found.append(unique - row * self.num_items)
            counts.append(count)
        return torch.cat(rows), torch.cat(found), torch.cat(counts)

    def visit_counts(self, items, *, generator=None):
        items = self._check_items(items)
        row, item, count = self._count(items, generator)
        out = torch.zeros(items.numel(), self.num_items)
        out[row, item] = count.float()
        return out

    def sample(self, items, top_t=None, *, generator=None):
        items = self._check_items(items)
        t = self.top_t if top_t is None else top_t
        row, item, count = self._count(items, generator)
        b, m = items.numel(), self.num_walks * self.walk_length
        position = torch.arange(row.numel()) - torch.searchsorted(row, row)
        flat = row * m + position
        key = (
            torch.zeros(b * m, dtype=torch.long)
            .index_copy_(0, flat, count * (m + 1) + (m - position))
            .view(b, m)
        )
        ids = torch.full((b * m,), -1, dtype=torch.long).index_copy_(0, flat, item).view(b, m)
        top = key.topk(min(t, m), dim=1)
        found = top.values > 0
        neighbors = torch.full((b, t), -1, dtype=torch.long)
        weights = torch.zeros(b, t)
        neighbors[:, : top.indices.shape[1]] = torch.where(found, ids.gather(1, top.indices), -1)
        weights[:, : top.indices.shape[1]] = torch.where(found, top.values // (m + 1), 0).float()
        return neighbors, weights / weights.sum(1, keepdim=True).clamp_min(1e-12)


def naive_sample(
    item_users: list[list[int]],
    user_items: list[list[int]],
    query: int,
    num_walks: int,
    walk_length: int,
    restart_prob: float,
    top_t: int,
    rng: random.Random,
) -> list[tuple[int, float]]:
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
    sampler.sample(targets[:2], generator=torch.Generator())  # load the compiled kernels outside the timing
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
    return {
        "num_pins": num_pins,
        "naive_targets_per_s": naive_tps,
        "vectorised_targets_per_s": fast_tps,
        "naive_steps_per_s": naive_tps * steps,
        "vectorised_steps_per_s": fast_tps * steps,
        "naive_ns_per_step": 1e9 / (naive_tps * steps),
        "vectorised_ns_per_step": 1e9 / (fast_tps * steps),
        "speedup": fast_tps / naive_tps,
        **_floor_ns(n_items),
    }


def bench_walker(num_pins: int, targets: int, repeats: int) -> dict[str, Any]:
    """Compiled kernels vs the eager reference, same world, settings and seeds, interleaved repeats
    (a noisy shared machine slows both alike within a repeat; the median ratio is the claim)."""
    edges, n_items, n_users = _world_graph(num_pins)
    new = RandomWalkSampler(edges, n_items, n_users, seed=0, **WALKS)
    old = EagerRandomWalkSampler(edges, n_items, n_users, seed=0, **WALKS)
    batch = torch.randint(0, n_items, (targets,), generator=torch.Generator().manual_seed(1))
    t0 = time.perf_counter()
    new.sample(batch[:10], generator=torch.Generator())  # compile (or load from numba's cache)
    first_call_s = time.perf_counter() - t0
    a = new.sample(batch, generator=torch.Generator().manual_seed(2))
    b = old.sample(batch, generator=torch.Generator().manual_seed(2))
    identical = bool(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]))
    steps = targets * WALKS["num_walks"] * WALKS["walk_length"]
    old_ns, new_ns = [], []
    for _ in range(repeats):
        for sampler, out in ((old, old_ns), (new, new_ns)):
            t0 = time.perf_counter()
            sampler.sample(batch, generator=torch.Generator().manual_seed(3))
            out.append((time.perf_counter() - t0) / steps * 1e9)
    return {
        "num_pins": num_pins,
        "targets": targets,
        "repeats": repeats,
        "eager_ns_per_step": old_ns,
        "kernel_ns_per_step": new_ns,
        "speedup_median": _median_ratio(old_ns, new_ns),
        "speedup_min": min(o / n for o, n in zip(old_ns, new_ns, strict=True)),
        "bit_identical": identical,
        "first_call_seconds": first_call_s,
    }


def coo_combine(self: PinSageConv, h_dst, messages, nbr, weight):
    """:meth:`PinSageConv.combine` of session 3 before its first hot-spot fix (importance / mean pooling only)."""
    n_dst, n_src = nbr.shape[0], messages.shape[0]
    valid = nbr >= 0
    dst = torch.arange(n_dst).unsqueeze(1).expand_as(nbr)[valid]
    adj = torch.sparse_coo_tensor(
        torch.stack([dst, nbr[valid]]), weight[valid], (n_dst, n_src), check_invariants=False
    )
    z = F.relu(self.W(torch.cat([h_dst, torch.sparse.mm(adj.coalesce(), messages)], dim=1)))
    return F.normalize(z, dim=1) if self.normalize else z


def cat_combine(self: PinSageConv, h_dst, messages, nbr, weight):
    """:meth:`PinSageConv.combine` of session 4: one ``embedding_bag``, then ``W`` on the concatenation."""
    valid = nbr >= 0
    n = F.embedding_bag(
        nbr.clamp_min(0), messages, per_sample_weights=torch.where(valid, weight, 0.0), mode="sum"
    )
    z = F.relu(self.W(torch.cat([h_dst, n], dim=1)))
    return F.normalize(z, dim=1) if self.normalize else z


def copied_messages(self: PinSageConv, h):
    """:meth:`PinSageConv.neighbor_messages` before session 5 (ReLU into a new tensor)."""
    return F.relu(self.Q(h))


class _RawInputs(NamedTuple):
    features: torch.Tensor
    degree: torch.Tensor | None


def raw_input_table(self: PinSage, features, degree=None):
    """Session 4 built no input table: every step gathered features and degrees and concatenated them."""
    return _RawInputs(features, degree)


def gathered_inputs(self: PinSage, features, nodes, degree=None, isolated=None):
    """:meth:`PinSage.inputs` before session 5: two advanced-indexing gathers and a concatenation per call."""
    if isinstance(features, _RawInputs):
        features, degree = features
    x = features[nodes]
    if not self.config.log_degree_input:
        return x
    d = degree[nodes].to(x.dtype)
    if isolated is not None and isolated.numel():
        d = torch.where(torch.isin(nodes, isolated), torch.zeros_like(d), d)
    return torch.cat([x, torch.log1p(d).unsqueeze(1)], dim=1)


#: What each version of the code patches in (``now``: nothing). ``coo``: session 3 before the pooling fix;
#: ``concat``: session 4 (pooling fixed; per-step input gathers and the concatenation before ``W``).
VERSIONS: dict[str, dict[tuple[type, str], Any]] = {
    "coo": {
        (PinSageConv, "combine"): coo_combine,
        (PinSageConv, "neighbor_messages"): copied_messages,
        (PinSage, "input_table"): raw_input_table,
        (PinSage, "inputs"): gathered_inputs,
    },
    "concat": {
        (PinSageConv, "combine"): cat_combine,
        (PinSageConv, "neighbor_messages"): copied_messages,
        (PinSage, "input_table"): raw_input_table,
        (PinSage, "inputs"): gathered_inputs,
    },
    "now": {},
}


@contextlib.contextmanager
def code_version(kind: str):
    """The code of version ``kind`` (:data:`VERSIONS`) patched in for the duration."""
    saved = {key: getattr(*key) for key in VERSIONS[kind]}
    for (owner, name), fn in VERSIONS[kind].items():
        setattr(owner, name, fn)
    try:
        yield
    finally:
        for (owner, name), fn in saved.items():
            setattr(owner, name, fn)


def _top_functions(profile: cProfile.Profile, n: int = 8) -> list[dict[str, Any]]:
    stats = pstats.Stats(profile)
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:n]  # by own ("tot") time
    return [
        {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "own_seconds": v[2], "calls": v[1]} for k, v in rows
    ]


def bench_hotspots(num_pins: int, steps: int, repeats: int) -> dict[str, Any]:
    """Training steps and inference at ``num_pins``: each code version of :data:`VERSIONS` profiled once
    (top functions by own time) and timed in interleaved repeats, same model, data and table; the
    speedups are medians of the per-repeat ratios against ``now``."""
    world = make_pinboard(num_pins, seed=0, saves_per_pin=10.5 if num_pins >= 1_000_000 else 5.0)
    x = world.features("combined")
    sampler = RandomWalkSampler(world.edge_index(), world.num_pins, world.num_boards, seed=0, **WALKS)
    table = NeighborTable(
        functools.partial(sampler.sample, generator=torch.Generator().manual_seed(0)), world.num_pins
    )
    pairs = world.positive_pairs()
    config = TrainConfig(epochs=1, max_steps_per_epoch=steps)

    def train() -> None:
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=x.shape[1]))
        train_pinsage(model, x, sampler, pairs, config, progress=False, neighbor_tables=[table])

    torch.manual_seed(0)
    # PyTorch's init, not the isometry start: an untrained isometric model has G2 = 0 and embeds by its
    # residual path alone, so the convolutions (what the versions differ in) would not reach the output
    model = PinSage(PinSageConfig(in_dim=x.shape[1], feature_isometry_init=False))
    infer = functools.partial(layerwise_embeddings, model, x, table)
    out: dict[str, Any] = {
        "num_pins": num_pins,
        "num_saves": len(world.save_pin),
        "train_steps": steps,
        "repeats": repeats,
        "versions": list(VERSIONS),
    }
    for name, fn in (("train", train), ("inference", infer)):
        for kind in VERSIONS:
            profile = cProfile.Profile()
            with code_version(kind):
                profile.runcall(fn)
            out[f"{name}_profile_{kind}"] = _top_functions(profile)
        seconds: dict[str, list[float]] = {kind: [] for kind in VERSIONS}
        for _ in range(repeats):
            for kind in VERSIONS:
                with code_version(kind):
                    t0 = time.perf_counter()
                    fn()
                    seconds[kind].append(time.perf_counter() - t0)
        for kind in VERSIONS:
            out[f"{name}_seconds_{kind}"] = seconds[kind]
            if kind != "now":
                out[f"{name}_speedup_vs_{kind}_median"] = _median_ratio(seconds[kind], seconds["now"])
    now = infer().embeddings
    for kind in VERSIONS:
        with code_version(kind):
            out[f"inference_max_abs_difference_vs_{kind}"] = float((infer().embeddings - now).abs().max())
    return out


def _floor_ns(num_items: int, n: int = 200_000) -> dict[str, float]:
    """What one walk step cannot go below in eager PyTorch on this machine: the per-element cost of
    the random word, one CSR gather and the counting sort (ns per element, cache-resident sizes)."""
    gen = torch.Generator().manual_seed(0)
    table = torch.randint(0, num_items, (num_items,), generator=gen)
    index = torch.randint(0, num_items, (n,), generator=gen)
    keys = torch.randint(0, 2**30, (n,), generator=gen, dtype=torch.int32)
    out = {}
    for name, fn in [
        ("random_word", lambda: torch.randint(0, 1 << 62, (n,), generator=gen)),
        ("gather", lambda: table.index_select(0, index)),
        ("sort_int32", lambda: torch.sort(keys, stable=True)),
    ]:
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
        sampler.sample(batch[:2], generator=torch.Generator())  # load the compiled kernels outside the timing
        t0 = time.perf_counter()
        for chunk in batch.split(4096):
            sampler.sample(chunk)
        per_target = (time.perf_counter() - t0) / targets
        rows.append(
            {"num_pins": n, "seconds_per_target": per_target, "all_nodes_seconds_est": per_target * n}
        )
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
        rows.append(
            {
                "num_pins": n,
                "layerwise_seconds": shared_s,
                "layerwise_recompute_seconds": recompute_s,
                "pernode_seconds_est": pn_s,
                "time_ratio": pn_s / shared_s,
                "time_ratio_recompute_vs_shared": recompute_s / shared_s,
                "layerwise_computed": shared.computed_embeddings,
                "pernode_computed_est": pernode.computed_embeddings * scale,
                "layerwise_matmul_multiplies": shared.matmul_multiplies,
                "layerwise_recompute_matmul_multiplies": recompute.matmul_multiplies,
                "pernode_matmul_multiplies_est": pernode.matmul_multiplies * scale,
                "matmul_work_ratio_recompute_vs_shared": recompute.matmul_multiplies
                / shared.matmul_multiplies,
                "matmul_work_ratio_pernode_vs_shared": pernode.matmul_multiplies
                * scale
                / shared.matmul_multiplies,
                "pooling_multiplies": shared.pooling_multiplies,
                "pernode_subset": len(part),
                "max_abs_difference": same,
                "max_abs_difference_recompute": same_recompute,
            }
        )
    return rows


def bench_retrieval(sizes: list[int], num_queries: int) -> list[dict[str, Any]]:
    rows = []
    for n in sizes:
        gen = torch.Generator().manual_seed(0)
        centres = torch.randn(max(n // 100, 1), 64, generator=gen)
        emb = F.normalize(
            centres[torch.randint(0, len(centres), (n,), generator=gen)]
            + 0.5 * torch.randn(n, 64, generator=gen),
            dim=1,
        )
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


def _median_ratio(slow: list[float], fast: list[float]) -> float:
    """Median over interleaved repeats of ``slow / fast`` (a noisy machine slows both alike within a repeat)."""
    ratios = sorted(s / f for s, f in zip(slow, fast, strict=True))
    return ratios[len(ratios) // 2]


def _random_scores(num_pins: int, queries: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine scores of ``queries`` random pins against ``num_pins`` random 64-d unit vectors (each query's
    own score -inf) and a random target per query: the shape of one chunk of notebook 02's evaluation."""
    g = torch.Generator().manual_seed(0)
    x = F.normalize(torch.randn(num_pins, 64, generator=g), dim=1)
    q = torch.randperm(num_pins, generator=g)[:queries]
    targets = torch.randint(0, num_pins, (queries,), generator=g)
    scores = x[q] @ x.T
    scores[torch.arange(queries), q] = -float("inf")
    return scores, targets


def bench_calibration(num_pins: int, queries: int, repeats: int) -> dict[str, Any]:
    from lecturekit.ranking import fast_ranks, hits_at_k, ranking_cutoffs

    scores, targets = _random_scores(num_pins, queries)
    k = ranking_cutoffs(num_pins)[0]
    times: dict[str, list[float]] = {"topk": [], "full_ranks": []}
    for _ in range(repeats):  # interleaved: both see the same machine state
        t0 = time.perf_counter()
        fast = hits_at_k(scores, targets, k)
        times["topk"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        full = fast_ranks(scores, targets) <= k
        times["full_ranks"].append(time.perf_counter() - t0)
    return {
        "num_pins": num_pins,
        "queries": queries,
        "k": k,
        "seconds": {n: min(v) for n, v in times.items()},
        "speedup_median": _median_ratio(times["full_ranks"], times["topk"]),
        "same_decisions": bool(torch.equal(fast, full)),
    }


def eager_fast_ranks(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``fast_ranks`` as of session 5 (frozen): tensor passes for the NaN check, the greater and equal
    counts, and the tie-break of the tied rows."""
    from lecturekit.recsys.metrics import tie_break_priority

    target_scores = scores.gather(1, targets[:, None])
    greater = (scores > target_scores).sum(1)
    equal = scores == target_scores
    rows = torch.nonzero(equal.sum(1) > 1).flatten()
    wins_tie = torch.zeros_like(greater)
    if rows.numel():
        priority = tie_break_priority(scores.shape[1])
        wins_tie[rows] = (equal[rows] & (priority[None, :] > priority[targets[rows]][:, None])).sum(1)
    return 1 + greater + wins_tie


def topk_top_ranked(scores, queries: torch.Tensor, depth: int, ties: torch.Tensor) -> torch.Tensor:
    """``top_ranked`` as of session 5 (frozen): the nudged keys as tensors, then one ``torch.topk``."""
    rows = torch.arange(queries.numel())
    key = torch.as_tensor(scores, dtype=torch.float32) * (1.0 + 2.0**-20 * ties)
    key = torch.where(key > 0, key, -1.0 - ties)
    key[rows, queries] = -3.0
    return key.topk(depth, dim=1).indices


def bench_ranking(num_pins: int, queries: int, repeats: int) -> dict[str, Any]:
    from lecturekit.ranking import fast_ranks
    from lecturekit.recsys.pinsage.datasets import pinboard_task
    from lecturekit.recsys.pinsage.negatives import HardNegativeSampler
    from lecturekit.recsys.pinsage.ppr import top_ranked
    from lecturekit.studies.nb02_pinsage import COURSE

    scores, targets = _random_scores(num_pins, queries)
    task = pinboard_task(make_pinboard(num_pins, seed=0), seed=0)
    sampler = HardNegativeSampler(
        task.edge_index,
        task.num_items,
        task.num_users,
        task.train_pairs,
        COURSE.hard.sampler_config("curriculum", 0, num_items=num_pins),
    )
    band_queries = torch.unique(task.train_pairs[:, 0])[:queries]
    ppr = sampler.scores(band_queries)
    ties = sampler.tie_keys(band_queries)
    depth = int(sampler.band_limits(band_queries)[1].max())
    times: dict[str, list[float]] = {
        "ranks_eager": [],
        "ranks_kernel": [],
        "bands_topk": [],
        "bands_kernel": [],
    }
    for _ in range(repeats):  # interleaved: both versions see the same machine state
        for name, fn in (
            ("ranks_eager", lambda: eager_fast_ranks(scores, targets)),
            ("ranks_kernel", lambda: fast_ranks(scores, targets)),
            ("bands_topk", lambda: topk_top_ranked(ppr, band_queries, depth, ties)),
            ("bands_kernel", lambda: top_ranked(ppr, band_queries, depth, lambda rows: ties[rows])),
        ):
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    ranks_equal = torch.equal(eager_fast_ranks(scores, targets), fast_ranks(scores, targets))
    old, new = (
        topk_top_ranked(ppr, band_queries, depth, ties),
        top_ranked(ppr, band_queries, depth, lambda r: ties[r]),
    )
    half = max(1, depth // 2)
    shallow = topk_top_ranked(ppr, band_queries, half, ties)

    return {
        "num_pins": num_pins,
        "queries": queries,
        "band_depth": depth,
        "seconds": {n: min(v) for n, v in times.items()},
        "ranks_speedup_median": _median_ratio(times["ranks_eager"], times["ranks_kernel"]),
        "ranks_identical": bool(ranks_equal),
        "bands_speedup_median": _median_ratio(times["bands_topk"], times["bands_kernel"]),
        "bands_rows_identical_to_topk": int((old == new).all(1).sum()),
        "bands_rows_same_set_as_topk": sum(
            set(a.tolist()) == set(b.tolist()) for a, b in zip(old, new, strict=True)
        ),
        "topk_rows_depending_on_depth": int((shallow != old[:, :half]).any(1).sum()),
        "kernel_rows_depending_on_depth": int(
            (top_ranked(ppr, band_queries, half, lambda r: ties[r]) != new[:, :half]).any(1).sum()
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="add the 1M-pin / 1M-vector sizes")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (for the test suite)")
    parser.add_argument("--only", default="", help="comma-separated sections to run (default all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.smoke:
        scale, inf_sizes, ret_sizes = [500], [500], [1000]
        sampler_cfg = dict(num_pins=500, naive_targets=10, fast_targets=100)
        walker_cfg = dict(num_pins=500, targets=100, repeats=1)
        hotspot_sizes = [500]
        calibration_cfg = dict(num_pins=2000, queries=100, repeats=1)
        ranking_cfg = dict(num_pins=1000, queries=64, repeats=1)
        targets, subset, queries = 100, 50, 50
    else:
        scale = [10_000, 100_000] + ([1_000_000] if args.full else [])
        inf_sizes, ret_sizes = [10_000, 100_000], [100_000] + ([1_000_000] if args.full else [])
        sampler_cfg = dict(num_pins=10_000, naive_targets=200, fast_targets=10_000)
        walker_cfg = dict(num_pins=100_000, targets=10_000, repeats=7)
        hotspot_sizes = [100_000] + ([1_000_000] if args.full else [])
        calibration_cfg = dict(num_pins=100_000, queries=1000, repeats=5)
        ranking_cfg = dict(
            num_pins=20_000, queries=512, repeats=5
        )  # notebook 02's world, one chunk of queries
        targets, subset, queries = 10_000, 2_000, 1_000
    sections = {
        "sampler": lambda: bench_sampler(**sampler_cfg),
        "walker": lambda: bench_walker(**walker_cfg),
        "hotspots": lambda: [
            bench_hotspots(n, steps=2 if args.smoke else 20, repeats=1 if args.smoke else 3)
            for n in hotspot_sizes
        ],
        "sampler_scaling": lambda: bench_scaling(scale, targets),
        "inference": lambda: bench_inference(inf_sizes, subset),
        "calibration": lambda: bench_calibration(**calibration_cfg),
        "ranking": lambda: bench_ranking(**ranking_cfg),
        "retrieval": lambda: bench_retrieval(ret_sizes, queries),
    }
    only = [name for name in args.only.split(",") if name] if args.only else list(sections)
    unknown = sorted(set(only) - set(sections))
    if unknown:
        parser.error(f"argument --only: unknown sections {unknown}; choose from {sorted(sections)}")
    result = {"machine": platform.platform(), "torch_threads": torch.get_num_threads(), "walks": WALKS}
    result.update({name: sections[name]() for name in only})
    name = (
        "pinsage"
        + ("" if only == list(sections) else "_" + "_".join(only))
        + ("_smoke" if args.smoke else "")
    )
    out = write_report(name, result)
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
