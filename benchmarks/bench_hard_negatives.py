"""Cost and accuracy of the hard-negative bands, old vs new, in one run (notebook 03).

For the same training queries of a pinboard world, per query:

* ``old``: Monte-Carlo visit counts of ``num_walks`` walks with restart and a dense ``argsort`` of
  all ``N`` pins (what the sampler did before issue 12);
* ``new``: personalised PageRank by sparse power iteration (:class:`~lecturekit.recsys.pinsage.negatives.PersonalizedPageRank`,
  hub boards pruned) and a partial ranking to depth ``hi`` (:func:`~lecturekit.recsys.pinsage.ppr.top_ranked`:
  a compiled partition and a sort of what lies above it).

Accuracy: the share of band pins that a second estimate also puts in the band (two independent
walk estimates; power iteration against twice the iterations). Writes ``build/bench/hard_negatives.json``
with the ratio ``old_s_per_query / new_s_per_query``. ``--smoke`` is tiny, ``--full`` uses 100k pins.
Run: ``.venv/bin/python -m benchmarks.bench_hard_negatives``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from benchmarks import write_report
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage.datasets import pinboard_task
from lecturekit.recsys.pinsage.negative_diagnostics import band_overlap
from lecturekit.recsys.pinsage.negatives import HardNegativeSampler
from lecturekit.studies.nb03_hard_negatives import COURSE


def _old_bands(
    sampler: HardNegativeSampler, queries: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor
) -> torch.Tensor:
    """The pre-issue-12 path: walk visit counts, random tie noise, dense argsort of all pins."""
    counts = sampler.estimator.visit_counts(queries).float()
    key = counts + torch.rand(counts.shape, generator=torch.Generator().manual_seed(0))
    key[torch.arange(queries.numel()), queries] = -1.0
    order = torch.argsort(key, dim=1, descending=True)
    out = torch.full((queries.numel(), int((hi - lo).max()) + 1), -1, dtype=torch.long)
    for i in range(queries.numel()):
        band = order[i, int(lo[i]) - 1 : int(hi[i])]
        out[i, : band.numel()] = band
    return out


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--full", action="store_true", help="100k pins")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    num_pins, num_queries = (500, 32) if args.smoke else (100_000, 256) if args.full else (20_000, 512)
    world = make_pinboard(num_pins, seed=0)
    task = pinboard_task(world, max_test_pairs=None)
    settings = COURSE.hard if not args.smoke else replace(COURSE.hard, num_walks=100)
    config = settings.sampler_config("no-curriculum", 0, num_items=task.num_items)
    gen = torch.Generator().manual_seed(0)
    queries = torch.unique(task.train_pairs[:, 0])
    queries = queries[torch.randperm(queries.numel(), generator=gen)[:num_queries]]

    def make(**change):
        return HardNegativeSampler(
            task.edge_index,
            task.num_items,
            task.num_users,
            task.train_pairs,
            replace(config, **change),
        )

    new = make()
    lo, hi = new.band_limits(queries)
    new_bands, new_s = _timed(lambda: new.bands(queries))
    walks = [make(estimator="walks", seed=s) for s in (1, 2)]
    old_bands, old_s = _timed(lambda: _old_bands(walks[0], queries, lo, hi))
    old_again = _old_bands(walks[1], queries, lo, hi)
    converged = make(num_iterations=2 * config.num_iterations).bands(queries)
    result = {
        "num_pins": num_pins,
        "num_queries": int(queries.numel()),
        "band": settings.label(),
        "median_band_ranks": [int(lo.median()), int(hi.median())],
        "old": f"{config.num_walks} walks x {config.walk_length} + dense argsort",
        "new": f"power iteration ({config.num_iterations} steps, boards > {config.max_board_degree} pruned) + topk",
        "old_s_per_query": old_s / queries.numel(),
        "new_s_per_query": new_s / queries.numel(),
        "speedup": old_s / max(new_s, 1e-9),
        "old_band_agreement": band_overlap(old_bands, old_again),
        "new_band_agreement": band_overlap(new_bands, converged),
        "old_vs_new_band_agreement": band_overlap(old_bands, converged),
    }
    write_report("hard_negatives", result)
    return result


if __name__ == "__main__":
    print(main())
