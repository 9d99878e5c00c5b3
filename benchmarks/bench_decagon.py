"""Decagon encoder speed and memory: our relation-batched layer vs PyG ``RGCNConv`` on the same graph.

Default: a scaled graph (a few minutes on 2 cores). ``--full``: a random graph with the real BioSNAP
statistics (645 drugs, 19,085 proteins, 715,612 PPI edges, 18,690 drug-target edges, 964 side effects,
4.65 M drug-drug edges). Measures, each in a fresh subprocess so peak RSS (``resource.ru_maxrss``) is its own:

* ``ours_layer``: forward + backward of one :class:`RelationalGraphConv` (64 -> 32, dense input);
* ``pyg_rgcn_layer``: the same with ``torch_geometric.nn.RGCNConv(64, 32, num_relations)`` over the graph
  as one homogeneous multi-relational graph (it loops over relations);
* ``ours_epoch``: one full-batch Decagon training epoch (encoder with one-hot inputs + DEDICOM + negatives);
* ``biosnap_files`` (``--full`` and ``--smoke``): the real-data path of notebook 04's section 8 -- synthetic
  files in BioSNAP's CSV format and size, written at run time to a temporary folder, read by
  :func:`~lecturekit.data.polypharmacy.load_biosnap`, then one full-batch Decagon epoch on the loaded graph;
  its load seconds, epoch seconds and peak memory are also the report's ``load_seconds``,
  ``epoch_seconds`` and ``peak_rss_gb`` (what the notebook quotes).

``--full`` skips the warm-up runs and times one step each (minutes); a measurement that exceeds
``--timeout`` is reported as such. Writes ``build/bench/decagon.json`` (``--full``: ``decagon_full.json``). Run: ``python -m benchmarks.bench_decagon [--full] [--smoke]
[--only biosnap_files ...]``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import resource
import time
from typing import Any

import numpy as np
import torch
from torch_geometric.data import HeteroData

from benchmarks import write_report
from lecturekit.data.polypharmacy import COMBO, DDI, MONO, PPI, PPI_EDGE, TARGET_EDGE, TARGETED_BY, TARGETS

REAL = dict(drugs=645, proteins=19085, ppi=715612, targets=18690, relations=964, ddi=4651131)
SCALED = dict(drugs=400, proteins=4000, ppi=60000, targets=4000, relations=200, ddi=200000)
CHUNK = 500_000  # decoder chunk (triples) for the full-batch epoch: bounds peak memory
SMOKE = dict(drugs=30, proteins=50, ppi=200, targets=60, relations=5, ddi=300)
KINDS = ("ours_layer", "pyg_rgcn_layer", "ours_epoch", "biosnap_files")


def random_graph(drugs: int, proteins: int, ppi: int, targets: int, relations: int, ddi: int, seed: int = 0):
    """A random graph in the ``make_planted`` layout with the given edge counts (heavy-tailed degrees)."""
    rng = np.random.default_rng(seed)
    pop_d = rng.lognormal(0, 1.0, drugs)
    pop_p = rng.lognormal(0, 1.0, proteins)
    pop_d, pop_p = pop_d / pop_d.sum(), pop_p / pop_p.sum()
    a, b = rng.choice(proteins, ppi, p=pop_p), rng.choice(proteins, ppi, p=pop_p)
    keep = a != b
    data = HeteroData()
    data["drug"].num_nodes, data["protein"].num_nodes = drugs, proteins
    pe = torch.from_numpy(np.stack([a[keep], b[keep]]))
    data[PPI_EDGE].edge_index = torch.cat([pe, pe.flip(0)], 1)
    dt = torch.from_numpy(
        np.stack([rng.choice(drugs, targets, p=pop_d), rng.choice(proteins, targets, p=pop_p)])
    )
    data[TARGET_EDGE].edge_index, data[TARGETED_BY].edge_index = dt, dt.flip(0)
    i, j = rng.choice(drugs, ddi, p=pop_d), rng.choice(drugs, ddi, p=pop_d)
    rel = rng.integers(0, relations, ddi)
    keep = i != j
    lo, hi = np.minimum(i, j)[keep], np.maximum(i, j)[keep]
    key = np.unique((rel[keep] * drugs + lo) * drugs + hi)
    data[DDI].edge_index = torch.from_numpy(np.stack([key // drugs % drugs, key % drugs]))
    data[DDI].edge_type = torch.from_numpy(key // (drugs * drugs))
    data.num_side_effects = relations
    return data


def write_biosnap_files(folder, stats: dict[str, int], mono_per_drug: int = 20, seed: int = 0) -> None:
    """Write :func:`random_graph`'s graph as the four BioSNAP CSV files (their headers and id formats)."""
    import pandas as pd

    data = random_graph(**stats, seed=seed)
    drug = np.array([f"CID{i:09d}" for i in range(stats["drugs"])])
    gene = np.array([str(100000 + k) for k in range(stats["proteins"])])
    side = np.array([f"C{r:07d}" for r in range(stats["relations"])])
    ei, rel = data[DDI].edge_index.numpy(), data[DDI].edge_type.numpy()
    pd.DataFrame(
        {
            "STITCH 1": drug[ei[0]],
            "STITCH 2": drug[ei[1]],
            "Polypharmacy Side Effect": side[rel],
            "Side Effect Name": "synthetic",
        }
    ).to_csv(folder / COMBO, index=False)
    pe = data[PPI_EDGE].edge_index.numpy()[:, : data[PPI_EDGE].edge_index.size(1) // 2]
    pd.DataFrame({"Gene 1": gene[pe[0]], "Gene 2": gene[pe[1]]}).to_csv(folder / PPI, index=False)
    dt = data[TARGET_EDGE].edge_index.numpy()
    pd.DataFrame({"STITCH": drug[dt[0]], "Gene": gene[dt[1]]}).to_csv(folder / TARGETS, index=False)
    rng = np.random.default_rng(seed)
    mono = rng.integers(0, 10_000, size=(stats["drugs"], mono_per_drug))
    pd.DataFrame(
        {
            "STITCH": np.repeat(drug, mono_per_drug),
            "Individual Side Effect": [f"C{m:07d}" for m in mono.ravel()],
            "Side Effect Name": "synthetic",
        }
    ).to_csv(folder / MONO, index=False)


def _biosnap_files(stats: dict[str, int], min_pairs: int) -> dict[str, Any]:
    """Write the files, load them with ``load_biosnap``, run one full-batch epoch; seconds and peak memory."""
    import tempfile
    from pathlib import Path

    from lecturekit.data.polypharmacy import load_biosnap
    from lecturekit.hetero.graph import build_graph
    from lecturekit.hetero.model import Decagon
    from lecturekit.hetero.train import TrainConfig, train_link_predictor
    from lecturekit.studies.nb04_decagon import COURSE, make_split

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        write_biosnap_files(folder, stats)
        out["write_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        data = load_biosnap(folder, min_pairs=min_pairs)
        out["load_seconds"] = time.perf_counter() - start
        out["peak_rss_after_load_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    split = make_split(data, COURSE, seed=0)
    graph = build_graph(data, split.train)
    model = Decagon(graph, split.num_relations)
    out["setup_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    train_link_predictor(
        model,
        split.train,
        split.num_drugs,
        split.num_relations,
        TrainConfig(epochs=1, chunk_size=CHUNK),
        torch.Generator().manual_seed(0),
    )
    out["seconds"] = out["epoch_seconds"] = time.perf_counter() - start
    out["side_effects"], out["train_triples"] = split.num_relations, len(split.train)
    return out


def _graph_and_split(stats: dict[str, int]):
    from lecturekit.hetero.graph import build_graph
    from lecturekit.studies.nb04_decagon import COURSE, make_split

    data = random_graph(**stats)
    split = make_split(data, COURSE, seed=0)  # the course profile's split shares
    return data, split, build_graph(data, split.train)


def _time(fn, repeats: int, warmup: bool = True) -> float:
    if warmup:
        fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def _measure(
    kind: str, stats: dict[str, int], repeats: int, queue=None, warmup: bool = True
) -> dict[str, Any]:
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind == "biosnap_files":  # its own graph: written to files and read back
        out: dict[str, Any] = _biosnap_files(stats, min_pairs=500 if stats["ddi"] >= 100_000 else 1)
    else:
        setup = time.perf_counter()
        data, split, graph = _graph_and_split(stats)
        out = {"setup_s": time.perf_counter() - setup}
    if kind == "biosnap_files":
        pass  # measured above
    elif kind == "ours_layer":
        from lecturekit.hetero.encoder import RelationalGraphConv

        conv = RelationalGraphConv(graph, {t: 64 for t in graph.num_nodes}, 32)
        x = {t: torch.randn(n, 64) for t, n in graph.num_nodes.items()}

        def step():
            y = conv(graph, x)
            sum(v.sum() for v in y.values()).backward()

        out["seconds"] = _time(step, repeats, warmup)
    elif kind == "pyg_rgcn_layer":
        from torch_geometric.nn import RGCNConv

        n_d = graph.num_nodes["drug"]
        offset = {"drug": 0, "protein": n_d}
        src, dst, typ, r0 = [], [], [], 0
        for block in graph.blocks:  # same edges (without our self-loops), one relation id per block relation
            src.append(block.edges.src + offset[block.src])
            dst.append(block.edges.dst + offset[block.dst])
            typ.append(block.edges.rel + r0)
            r0 += block.num_relations
        edge_index = torch.stack([torch.cat(src), torch.cat(dst)])
        edge_type = torch.cat(typ)
        conv = RGCNConv(64, 32, num_relations=r0, aggr="add", root_weight=True)
        x = torch.randn(n_d + graph.num_nodes["protein"], 64)

        def step():
            conv(x, edge_index, edge_type).sum().backward()

        out["seconds"] = _time(step, repeats, warmup)
    elif kind == "ours_epoch":
        from lecturekit.hetero.model import Decagon
        from lecturekit.hetero.train import TrainConfig, train_link_predictor

        model = Decagon(graph, split.num_relations)
        generator = torch.Generator().manual_seed(0)
        cfg = TrainConfig(epochs=1, chunk_size=CHUNK)
        if warmup:
            train_link_predictor(model, split.train, split.num_drugs, split.num_relations, cfg, generator)
        start = time.perf_counter()
        cfg = TrainConfig(epochs=repeats, chunk_size=CHUNK)
        train_link_predictor(model, split.train, split.num_drugs, split.num_relations, cfg, generator)
        out["seconds"] = (time.perf_counter() - start) / repeats
        out["parameters"] = sum(p.numel() for p in model.parameters())
        out["train_triples"] = len(split.train)
    else:
        raise ValueError(f"unknown measurement {kind!r}")
    # ru_maxrss is in KiB on Linux.
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_rss_increase_mib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    if queue is not None:
        queue.put(out)
    return out


def _in_subprocess(
    kind: str, stats: dict[str, int], repeats: int, timeout: float, warmup: bool
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(kind, stats, repeats, queue, warmup))
    proc.start()
    try:
        result = queue.get(timeout=timeout)
    except Exception:  # noqa: BLE001 - report a timeout / crash instead of failing the whole benchmark
        proc.kill()
        result = {"error": f"no result within {timeout:.0f} s (or the subprocess crashed)"}
    proc.join(timeout=10)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the measurements; writes and returns the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="real BioSNAP statistics (several minutes)")
    parser.add_argument("--smoke", action="store_true", help="tiny graph, in-process (for tests)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per measurement")
    parser.add_argument("--only", choices=KINDS, nargs="+", help="run only these measurements")
    args = parser.parse_args(argv)
    stats = SMOKE if args.smoke else REAL if args.full else SCALED
    repeats = args.repeats or (3 if stats is SCALED else 1)
    report: dict[str, Any] = {
        "graph": "smoke" if args.smoke else "real-statistics" if args.full else "scaled",
        "stats": stats,
        "threads": torch.get_num_threads(),
        "machine": platform.platform(),
        "results": {},
    }
    kinds = KINDS if args.full or args.smoke else KINDS[:3]
    for kind in args.only or kinds:
        if args.smoke:
            report["results"][kind] = _measure(kind, stats, repeats)
        else:
            report["results"][kind] = _in_subprocess(kind, stats, repeats, args.timeout, warmup=not args.full)
        print(kind, report["results"][kind], flush=True)
    res = report["results"]
    if "seconds" in res.get("ours_layer", {}) and "seconds" in res.get("pyg_rgcn_layer", {}):
        report["rgcn_over_ours_layer_time"] = res["pyg_rgcn_layer"]["seconds"] / res["ours_layer"]["seconds"]
    files = res.get("biosnap_files", {})
    if "epoch_seconds" in files:  # what notebook 04's section 8 quotes
        report["load_seconds"], report["epoch_seconds"] = files["load_seconds"], files["epoch_seconds"]
        report["peak_rss_gb"] = files["peak_rss_mib"] / 1024
    path = write_report("decagon_full" if args.full else "decagon", report, echo=False)
    print(f"wrote {path}")
    return report


if __name__ == "__main__":
    main()
