"""Run every ``benchmarks/bench_*.py`` in turn: ``python -m benchmarks [--smoke] [--full]``.

Each module's ``main(argv)`` writes ``build/bench/<topic>.json``; ``make bench`` calls this.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    failed = []
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        module = importlib.import_module(f"benchmarks.{path.stem}")
        start = time.perf_counter()
        print(f"== {path.stem}", flush=True)
        try:
            module.main(list(argv))
        except Exception as err:  # keep going: one broken benchmark should not hide the others
            failed.append(path.stem)
            print(f"   FAILED: {err!r}", flush=True)
        print(f"   {time.perf_counter() - start:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
