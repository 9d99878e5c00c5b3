"""Notebook 06's headline numbers over several seeds: ``run_seed`` of GCPN for each seed, rows as JSON.

    python -m experiments.gcpn_seeds --seeds 0-2 --profile course

Writes ``build/experiments/gcpn-<profile>.json`` in the format of :mod:`experiments.seeds` (per metric
the per-seed values, their mean and 95 % interval over seeds); notebook 06 reads it when present
(:func:`lecturekit.generation.gcpn.discussion.seed_sweep`). The course profile takes about 9 minutes
per seed on one CPU thread.
"""

from __future__ import annotations

import argparse

from experiments import seeds

APP = "gcpn"
seeds.APPS.setdefault(APP, ("lecturekit.generation.gcpn.experiment", "PROFILES", "run_seed"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.gcpn_seeds", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-2 or 0,3,7 (default 0-2)")
    parser.add_argument("--profile", choices=("quick", "course", "full"), default="course")
    args = parser.parse_args(argv)
    print(seeds.run(APP, seeds.parse_seeds(args.seeds), args.profile))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
