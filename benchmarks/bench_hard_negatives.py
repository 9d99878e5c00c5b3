"""Cost of hard negatives: cached PPR bands vs recomputing the walks for every batch (notebook 03).

Measures, on a pinboard world, the seconds per batch of

* ``naive``: fresh personalised-PageRank walks + full ranking for the batch's queries every step;
* ``cached``: :class:`~lecturekit.recsys.pinsage.negatives.HardNegativeSampler` with its band cache
  (one walk per item for the whole training run; amortised precompute included as ``precompute_s``);

and writes ``build/bench/hard_negatives.json`` with the ratio. ``--smoke`` is tiny, ``--full`` uses 100k pins.
Run: ``.venv/bin/python -m benchmarks.bench_hard_negatives``.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks import write_report
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage.datasets import pinboard_task
from lecturekit.recsys.pinsage.negatives import HardNegativeConfig, HardNegativeSampler


def _per_batch(fn, batches: list[torch.Tensor]) -> float:
    start = time.perf_counter()
    for q in batches:
        fn(q)
    return (time.perf_counter() - start) / len(batches)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--full", action="store_true", help="100k pins")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    num_pins, steps, batch = (500, 3, 32) if args.smoke else (100_000, 20, 256) if args.full else (10_000, 20, 256)
    world = make_pinboard(num_pins, seed=0)
    task = pinboard_task(world)
    config = HardNegativeConfig(schedule="no-curriculum", max_hard=5, num_walks=100 if args.smoke else 400)
    gen = torch.Generator().manual_seed(0)
    batches = [task.train_pairs[torch.randint(0, task.train_pairs.shape[0], (batch,), generator=gen)] for _ in range(steps)]

    naive = HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, config)
    naive.cache = False  # recompute the walks and the ranking at every batch
    naive_s = _per_batch(lambda p: naive(p[:, 0], p[:, 1], 0), batches)

    cached = HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, config)
    start = time.perf_counter()
    cached.precompute()
    precompute_s = time.perf_counter() - start
    cached_s = _per_batch(lambda p: cached(p[:, 0], p[:, 1], 0), batches)

    result = {
        "num_pins": num_pins, "batch_size": batch, "steps": steps, "band": [cached.lo, cached.hi],
        "naive_s_per_batch": naive_s, "cached_s_per_batch": cached_s, "precompute_s": precompute_s,
        "speedup_per_batch": naive_s / max(cached_s, 1e-9),
        "break_even_batches": precompute_s / max(naive_s - cached_s, 1e-9),
    }  # fmt: skip
    write_report("hard_negatives", result)
    return result


if __name__ == "__main__":
    main()
