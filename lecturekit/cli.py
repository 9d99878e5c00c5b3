"""``lecturekit`` command line: run the course's notebooks in order and summarise their results.

    lecturekit list                         # the notebooks, in course order
    lecturekit run [NOTEBOOK ...] [--profile quick|course|full]
    lecturekit summary                      # rebuild build/results/SUMMARY.md

``run`` executes each notebook (nbclient) with the profile in ``LECTUREKIT_PROFILE``, writes the
executed copy to ``build/notebooks/`` and an HTML rendering to ``build/html/``, shows a progress
bar with per-notebook times, then writes ``build/results/SUMMARY.md``. ``make run`` calls it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from lecturekit.config import PROFILES, get_profile
from lecturekit.paths import build_dir, project_root
from lecturekit.results import write_summary


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def list_notebooks() -> list[Path]:
    """The course notebooks in order (their names start with a two-digit number)."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def resolve(names: list[str]) -> list[Path]:
    """Map names like ``02``, ``02_pinsage`` or a path to notebook files; unknown names are errors."""
    available = list_notebooks()
    if not names:
        return available
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.is_file():
            chosen.append(path.resolve())
            continue
        stem = path.name.removesuffix(".ipynb")
        matches = [p for p in available if p.stem == stem or p.stem.split("_", 1)[0] == stem]
        if len(matches) != 1:
            known = ", ".join(p.stem for p in available)
            raise SystemExit(f"lecturekit run: unknown notebook {name!r}; known: {known}")
        chosen.append(matches[0])
    return chosen


def execute_notebook(path: Path, profile: str, timeout: int | None) -> tuple[bool, float, str]:
    """Execute one notebook in its own folder; write executed and HTML copies. Returns (ok, seconds, error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    os.environ["LECTUREKIT_PROFILE"] = profile
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
    seconds = time.perf_counter() - start
    out_dir, html_dir = build_dir() / "notebooks", build_dir() / "html"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / path.name)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    (html_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return not error, seconds, error


def run(names: list[str], profile: str, timeout: int | None) -> int:
    notebooks = resolve(names)
    if not notebooks:
        raise SystemExit(f"lecturekit run: no notebooks found in {notebooks_dir()}")
    timings: list[tuple[str, bool, float, str]] = []
    bar = tqdm(notebooks, desc=f"notebooks ({profile})", unit="nb")
    for path in bar:
        bar.set_postfix_str(path.stem)
        ok, seconds, error = execute_notebook(path, profile, timeout)
        timings.append((path.stem, ok, seconds, error))
        tqdm.write(f"{'ok  ' if ok else 'FAIL'} {path.stem:<28} {seconds:8.1f} s  {error}")
    summary = write_summary()
    print(f"\nexecuted notebooks: {build_dir() / 'notebooks'}\nHTML: {build_dir() / 'html'}\nsummary: {summary}")
    failed = [name for name, ok, _, _ in timings if not ok]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lecturekit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the course notebooks in order")
    run_parser = commands.add_parser("run", help="execute notebooks and write build/ outputs")
    run_parser.add_argument("notebooks", nargs="*", help="names like 02 or 02_pinsage (default: all)")
    run_parser.add_argument("--profile", choices=PROFILES, default=None, help="default: LECTUREKIT_PROFILE or course")
    run_parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)")
    commands.add_parser("summary", help="rebuild build/results/SUMMARY.md")
    args = parser.parse_args(argv)
    if args.command == "list":
        for path in list_notebooks():
            print(path.stem)
        return 0
    if args.command == "summary":
        print(write_summary())
        return 0
    return run(args.notebooks, get_profile(args.profile), args.timeout)


if __name__ == "__main__":
    sys.exit(main())
