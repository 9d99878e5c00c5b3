"""Run one application's ``run_seed`` over many seeds and write every seed's rows as JSON.

    python -m experiments.seeds decagon --seeds 0-9 --profile course
    python -m experiments.seeds --list

Writes ``build/experiments/<app>-<profile>.json``: the sources it ran (the git commit, ``+dirty`` when the
package or this folder differ from it), the config, and per metric the per-seed values with their mean and 95 %
interval over seeds. Any multi-seed claim quoted in the README, the notes
or a notebook that its own run does not produce must come from this script (or another one here).
It records nothing into ``build/results/``: the notebooks own those rows.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import subprocess
import sys
from pathlib import Path

from lecturekit.atomic import atomic_write_text
from lecturekit.checkpoints import plain_data
from lecturekit.config import PROFILES as PROFILE_NAMES
from lecturekit.paths import build_dir
from lecturekit.stats import seed_interval
from lecturekit.studies.contract import collect_rows, run_seeds

# application -> (module, Profiles attribute, run_seed attribute)
APPS: dict[str, tuple[str, str, str]] = {
    "recsys": (
        "lecturekit.studies.nb01_recsys",
        "PROFILES",
        "run_seed",
    ),  # notebook 01 (validates LightGCN per seed)
    "pinsage": ("lecturekit.studies.nb02_pinsage", "PROFILES", "run_seed"),  # notebook 02
    "pinsage-movielens": ("lecturekit.studies.nb02_pinsage", "PROFILES", "run_movielens_seed"),
    "hard-negatives": ("lecturekit.studies.nb03_hard_negatives", "PROFILES", "run_pinboard_seed"),  # 03
    "hard-negatives-band-sweep": (
        "lecturekit.studies.nb03_hard_negatives",
        "PROFILES",
        "run_band_sweep_seed",
    ),
    "hard-negatives-siblings": ("lecturekit.studies.nb03_siblings", "PROFILES", "run_sibling_seed"),
    "hard-negatives-movielens": ("lecturekit.studies.nb03_hard_negatives", "PROFILES", "run_movielens_seed"),
    "decagon": ("lecturekit.studies.nb04_decagon", "PROFILES", "run_seed"),  # notebook 04
    "decagon-leak": ("lecturekit.studies.nb04_decagon", "PROFILES", "run_leak_seed"),
    "graphrnn": ("lecturekit.studies.nb05_graphrnn", "PROFILES", "run_seed"),  # notebook 05
    "recsys-validation": (
        "lecturekit.studies.nb01_recsys",
        "PROFILES",
        "run_validation_seed",
    ),  # 01: LightGCN search
    "gcpn": ("lecturekit.studies.nb06_gcpn", "PROFILES", "run_seed"),  # notebook 06
    "gcpn-plogp-budget": (
        "lecturekit.studies.nb06_gcpn_budget",
        "PROFILES",
        "run_seed",
    ),  # 06: RL budget studies
    "gcpn-qed-budget": ("lecturekit.studies.nb06_gcpn_budget", "QED_PROFILES", "run_seed"),
}


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` or ``"0,3,7"`` (or a mix) to a list of distinct non-negative seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            lo, _, hi = part.partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
        except ValueError:
            raise SystemExit(f"--seeds: {part!r} is not a seed or a range like 0-4") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise SystemExit(f"--seeds must name distinct non-negative seeds, got {text!r}")
    return seeds


def sources() -> str:
    """The commit the sweep ran, ``+dirty`` when tracked files of ``lecturekit/`` or ``experiments/`` differ from
    it; ``"unknown"`` outside a git checkout (or without git)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "lecturekit", "experiments")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def run(app: str, seeds: list[int], profile: str) -> Path:
    if app not in APPS:
        raise SystemExit(f"unknown application {app!r}; known: {', '.join(sorted(APPS))}")
    module_name, profiles_name, run_name = APPS[app]
    module = importlib.import_module(module_name)
    config = getattr(module, profiles_name).get(profile)
    ran = sources()  # before the sweep: what ran, even if the tree changes while it runs
    results = run_seeds(getattr(module, run_name), config, seeds, desc=f"{app} seeds")
    metrics = []
    for row in collect_rows(results):
        values = row.value if isinstance(row.value, list) else [row.value]
        iv = seed_interval(values)
        metrics.append(
            {
                "dataset": row.dataset,
                "method": row.method,
                "metric": row.metric,
                "values": values,
                "mean": iv.estimate,
                "ci95": [iv.low, iv.high],
                "paper": row.paper,
                "comparable": row.comparable,
                "note": row.note,
            }
        )
    out = build_dir() / "experiments" / f"{app}-{profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "app": app,
        "profile": profile,
        "seeds": seeds,
        "sources": ran,
        "config": plain_data(dataclasses.asdict(config), "config"),
        "seconds": [r.seconds for r in results],
        "metrics": metrics,
    }
    atomic_write_text(out, json.dumps(payload, indent=1))  # an interrupted sweep leaves the old file whole
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.seeds", description=__doc__.split("\n\n")[0])
    parser.add_argument("app", nargs="?", help="application name (see --list)")
    parser.add_argument("--seeds", default="0-2", help="e.g. 0-9 or 0,3,7 (default 0-2)")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="course")
    parser.add_argument("--list", action="store_true", help="list the applications")
    args = parser.parse_args(argv)
    if args.list or not args.app:
        print("\n".join(sorted(APPS)))
        return 0
    print(run(args.app, parse_seeds(args.seeds), args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
