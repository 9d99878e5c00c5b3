"""Benchmark for notebook 05: vectorised 4-node orbit counting vs the naive per-subset loop, and sampling.

Run: ``.venv/bin/python -m benchmarks.bench_graphrnn`` (``--smoke`` for a seconds-long check, ``--full`` for
bigger graphs). Writes ``build/bench/graphrnn.json`` with the timings and speed-up ratios; the counts of
both implementations are checked to be identical on every graph.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
import torch

from benchmarks import write_report
from lecturekit.generation.graph_descriptors import orbit_counts, orbit_counts_naive
from lecturekit.generation.graphrnn import GraphRNN, GraphRNNConfig, sample_graphs


def _time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--full", action="store_true", help="larger graphs (minutes)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.smoke:
        sizes, graphs_per_size, repeats = [8], 2, 1
    elif args.full:
        sizes, graphs_per_size, repeats = [10, 16, 20, 25, 30], 5, 3
    else:
        sizes, graphs_per_size, repeats = [10, 16, 20], 3, 3

    rows = []
    for n in sizes:
        graphs = [nx.gnp_random_graph(n, 0.3, seed=s) for s in range(graphs_per_size)]
        for g in graphs:
            if not np.array_equal(orbit_counts(g), orbit_counts_naive(g)):
                raise AssertionError(f"orbit counts differ on a G({n}, 0.3) graph")
        fast = _time(lambda gs=graphs: [orbit_counts(g) for g in gs], repeats) / len(graphs)
        naive = _time(lambda gs=graphs: [orbit_counts_naive(g) for g in gs], 1) / len(graphs)
        rows.append({"nodes": n, "vectorised_s": fast, "naive_s": naive, "speedup": naive / fast})
        print(
            f"n={n:3d}  vectorised {fast * 1e3:8.2f} ms  naive {naive * 1e3:9.1f} ms  speed-up x{naive / fast:.0f}"
        )

    model = GraphRNN(GraphRNNConfig(max_prev=15, max_nodes=20, num_layers=1))
    num = 8 if args.smoke else 128
    per_graph = _time(lambda: sample_graphs(model, num, seed=0), 1) / num
    print(f"GraphRNN sampling (untrained, M=15, <=20 nodes): {per_graph * 1e3:.2f} ms per graph")

    result = {
        "orbit_counting": rows,
        "mean_speedup": float(np.mean([r["speedup"] for r in rows])),
        "sampling_ms_per_graph": per_graph * 1e3,
        "profile": "smoke" if args.smoke else "full" if args.full else "default",
    }
    out = write_report("graphrnn", result, echo=False)
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
