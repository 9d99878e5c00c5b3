"""``lecturekit`` command line: run the course's notebooks in order and summarise their results.

    lecturekit list                         # the notebooks, in course order
    lecturekit run [NOTEBOOK ...] [--profile quick|course|full] [--jobs N]
    lecturekit summary                      # rebuild build/results/SUMMARY.md and build/index.html
    lecturekit student [NOTEBOOK ...] [--out DIR]   # student versions (default build/student/)

``run`` executes each notebook (nbclient) in the course kernel ``lecturekit`` (``make kernel``
installs it inside ``.venv``; without it the run warns and uses ``python3``, this same Python) with
the profile in ``LECTUREKIT_PROFILE``, writes the executed copy to ``build/notebooks/`` (progress
bars saved in their final state) and an HTML rendering to ``build/html/`` (formulas by the MathJax
copied from the environment into ``build/html/mathjax/``, no network), shows a progress
bar with per-notebook times, records them in ``build/results/timings.json``
(``{"profile": "course", "notebooks": {"02_pinsage": {"seconds": 812.4, "ok": true}, ...}, "by_profile":
{"quick": {...}, "course": {...}}}``: the latest profile's runs, and each profile's last run), then
writes ``build/results/SUMMARY.md`` and the course page ``build/index.html``. A notebook fails when a cell raises *or* when any executed
output shows an error or a traceback (e.g. one printed by a background thread), so a student never
opens an executed copy full of errors that the run called fine. ``make run`` calls it.

``student`` writes each notebook with its exercise solutions replaced by ``raise
NotImplementedError`` stubs and its checks kept (``lecturekit.classroom``; ``make student``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from tqdm.auto import tqdm

from lecturekit.config import PROFILES, get_profile
from lecturekit.paths import build_dir, project_root
from lecturekit.results import TIMINGS_FILE, atomic_write, locked, results_dir, write_summary


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def list_notebooks(directory: Path | None = None) -> list[Path]:
    """The course notebooks in order (their names start with a two-digit number)."""
    return sorted(p for p in (directory or notebooks_dir()).glob("[0-9][0-9]_*.ipynb"))


def resolve(names: list[str], directory: Path | None = None) -> list[Path]:
    """Map names like ``02``, ``02_pinsage`` or ``02_pin`` to course notebooks.

    A path, an unknown name or a name that matches several notebooks is refused (``SystemExit``
    naming it): ``lecturekit run`` executes the course's own notebooks, in their folder.
    """
    available = list_notebooks(directory)
    if not names:
        return available
    known = ", ".join(p.stem for p in available)
    chosen = []
    for name in names:
        if "/" in name or "\\" in name or name.endswith(".ipynb"):
            raise SystemExit(
                f"lecturekit run: {name!r} is a path; give a course notebook's name or number ({known})"
            )
        exact = [p for p in available if name in (p.stem, p.stem.split("_", 1)[0])]
        matches = exact or [p for p in available if p.stem.startswith(name)]
        if not matches:
            raise SystemExit(f"lecturekit run: unknown notebook {name!r}; known: {known}")
        if len(matches) > 1:
            several = ", ".join(p.stem for p in matches)
            raise SystemExit(f"lecturekit run: {name!r} matches several notebooks ({several}); give one")
        chosen.append(matches[0])
    return chosen


def output_errors(notebook) -> list[str]:
    """Descriptions of every error output or printed traceback in an executed notebook."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename', 'Error')}: {output.get('evalue', '')}")
            elif output.get("output_type") == "stream" and "Traceback (most recent call last)" in output.get("text", ""):
                last = [line for line in output["text"].strip().splitlines() if line.strip()][-1]
                found.append(f"cell {index}: traceback printed to {output.get('name', 'a stream')}: {last.strip()}")
    return found


COURSE_KERNEL = "lecturekit"
# What the notebooks store (and what JupyterLab writes when it opens one in that kernel, so opening
# one does not mark it modified); `make kernel` installs the spec with this display name.
COURSE_KERNELSPEC = {"display_name": "Python (lecturekit)", "language": "python", "name": COURSE_KERNEL}
FALLBACK_KERNEL = "python3"  # ipykernel's own spec: jupyter_client starts it with this very Python


def course_kernel() -> str:
    """``lecturekit`` when that kernel is installed for this environment, else ``python3`` with a warning."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(COURSE_KERNEL)
    except NoSuchKernel:
        print(f"warning: the course kernel {COURSE_KERNEL!r} is not installed (run `make kernel`); "
              f"executing with {FALLBACK_KERNEL!r}, this Python ({sys.executable})", file=sys.stderr)  # fmt: skip
        return FALLBACK_KERNEL
    kernel_python = Path(spec.argv[0]) if spec.argv else Path("python")
    # <env>/bin/python -> <env>; realpath because .venv may be a symlink to the same environment.
    elsewhere = os.path.realpath(kernel_python.parent.parent) != os.path.realpath(sys.prefix)
    if kernel_python.is_absolute() and elsewhere:
        print(f"warning: the {COURSE_KERNEL!r} kernel runs {kernel_python}, not this environment "
              f"({sys.prefix}); run `make kernel` to point it here", file=sys.stderr)  # fmt: skip
    return COURSE_KERNEL


def execute_notebook(
    path: Path, profile: str, timeout: int | None, kernel: str = COURSE_KERNEL
) -> tuple[bool, float, str]:
    """Execute one notebook in its own folder; write executed and HTML copies. Returns (ok, seconds, error)."""
    import nbformat
    from nbclient.exceptions import CellExecutionError

    from lecturekit.course_site import ExecutingClient, html_exporter, install_mathjax, settle_progress_bars

    os.environ["LECTUREKIT_PROFILE"] = profile
    notebook = nbformat.read(path, as_version=4)
    client = ExecutingClient(
        notebook, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1] if str(err).strip() else repr(err)
    seconds = time.perf_counter() - start
    settle_progress_bars(notebook, client.closed_widgets)
    if not error:
        problems = output_errors(notebook)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            error = f"executed outputs show an error: {problems[0]}{more}"
    out_dir, html_dir = build_dir() / "notebooks", build_dir() / "html"
    out_dir.mkdir(parents=True, exist_ok=True)
    html_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_dir / path.name)
    body, _ = html_exporter(install_mathjax(html_dir)).from_notebook_node(notebook)
    (html_dir / f"{path.stem}.html").write_text(body, encoding="utf-8")
    return not error, seconds, error


def timings_path() -> Path:
    return results_dir() / TIMINGS_FILE


def write_timings(profile: str, timings: dict[str, dict]) -> Path:
    """Merge this run's per-notebook timings into ``timings.json``.

    ``profile``/``notebooks`` hold the latest profile's runs (entries of another profile are
    replaced); ``by_profile`` keeps the last run of each notebook under every profile, so the README
    and the course page can quote a runtime per profile.
    """
    path = timings_path()
    with locked(path.parent):
        try:
            old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except json.JSONDecodeError:
            old = {}
        old = old if isinstance(old, dict) else {}
        notebooks = old.get("notebooks", {}) if old.get("profile") == profile else {}
        notebooks.update(timings)
        by_profile = old.get("by_profile", {}) if isinstance(old.get("by_profile"), dict) else {}
        if old.get("profile") in PROFILES and isinstance(old.get("notebooks"), dict):
            by_profile.setdefault(old["profile"], {}).update(old["notebooks"])  # files written before by_profile
        by_profile.setdefault(profile, {}).update(timings)
        text = json.dumps({"profile": profile, "notebooks": dict(sorted(notebooks.items())),
                           "by_profile": {p: dict(sorted(t.items())) for p, t in sorted(by_profile.items())}},
                          indent=1)  # fmt: skip
        atomic_write(path, text)
    return path


def write_index(notebooks: list[Path]) -> Path:
    """``build/index.html``: the course page (``lecturekit.course_site``)."""
    from lecturekit.course_site import write_index as write_course_page

    return write_course_page(notebooks, build_dir())


def run(names: list[str], profile: str, timeout: int | None, directory: Path | None = None, jobs: int = 1) -> int:
    """Execute the chosen notebooks (``directory`` overrides the course folder, for tests).

    ``jobs`` > 1 runs that many notebooks at once, each in its own process and kernel, in course
    order as workers free up (the notebooks are independent: each builds its own data, records
    under a lock and checkpoints into its own folder). Each kernel computes on one thread
    (``OMP_NUM_THREADS``), so on a 2-core laptop ``jobs=2`` uses both cores (``make run`` does).
    """
    if jobs < 1:
        raise SystemExit(f"lecturekit run: --jobs must be >= 1, got {jobs}")
    notebooks = resolve(names, directory)
    if not notebooks:
        raise SystemExit(f"lecturekit run: no notebooks found in {directory or notebooks_dir()}")
    timings: dict[str, dict] = {}
    failed = []
    kernel = course_kernel()
    bar = tqdm(total=len(notebooks), desc=f"notebooks ({profile}, {jobs} at once)", unit="nb")

    def finished(path: Path, ok: bool, seconds: float, error: str) -> None:
        timings[path.stem] = {"seconds": round(seconds, 1), "ok": ok, "jobs": jobs,
                              "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}  # fmt: skip
        write_timings(profile, {path.stem: timings[path.stem]})
        if not ok:
            failed.append(path.stem)
        tqdm.write(f"{'ok  ' if ok else 'FAIL'} {path.stem:<28} {seconds:8.1f} s  {error}")
        bar.update(1)

    if jobs == 1:
        for path in notebooks:
            bar.set_postfix_str(path.stem)
            finished(path, *execute_notebook(path, profile, timeout, kernel))
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=min(jobs, len(notebooks)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:  # fmt: skip
            futures = {pool.submit(execute_notebook, path, profile, timeout, kernel): path for path in notebooks}
            for future in as_completed(futures):
                finished(futures[future], *future.result())
    bar.close()
    summary, errors = write_summary()
    page = write_index(list_notebooks(directory))
    print(f"\nexecuted notebooks: {build_dir() / 'notebooks'}\nHTML: {build_dir() / 'html'}\n"
          f"summary: {summary}\ntimings: {timings_path()}\ncourse page: {page}")  # fmt: skip
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or errors else 0


def student(names: list[str], out_dir: Path | None, directory: Path | None = None) -> int:
    """Write student versions of the chosen notebooks (all by default) into ``out_dir``."""
    from lecturekit.classroom import (
        SolutionMarkerError,
        StudentCopyError,
        solution_regions,
        write_student_versions,
    )

    notebooks = resolve(names, directory)
    target = out_dir or build_dir() / "student"
    try:
        written = write_student_versions(notebooks, target)
    except (SolutionMarkerError, StudentCopyError) as error:
        print(f"lecturekit student: {error}", file=sys.stderr)
        return 1
    import nbformat

    for source, path in zip(notebooks, written, strict=True):
        exercises = solution_regions(nbformat.read(source, as_version=4))
        print(f"{path}  ({exercises} exercise{'s' if exercises != 1 else ''} stubbed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lecturekit", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the course notebooks in order")
    run_parser = commands.add_parser("run", help="execute notebooks and write build/ outputs")
    run_parser.add_argument("notebooks", nargs="*", help="names like 02 or 02_pinsage (default: all)")
    run_parser.add_argument("--profile", choices=PROFILES, default=None, help="default: LECTUREKIT_PROFILE or course")
    run_parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)")
    run_parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once, one process each (default 1)")
    commands.add_parser("summary", help="rebuild build/results/SUMMARY.md")
    student_parser = commands.add_parser("student", help="write student notebooks (solutions replaced by stubs)")
    student_parser.add_argument("notebooks", nargs="*", help="names like 02 or 02_pinsage (default: all)")
    student_parser.add_argument("--out", type=Path, default=None, help="output folder (default: build/student)")
    from lecturekit.launcher import add_commands

    add_commands(commands)  # setup, lab, test: the course without make (lecturekit.launcher)
    args = parser.parse_args(argv)
    if hasattr(args, "handler"):
        return args.handler(args)
    if args.command == "list":
        for path in list_notebooks():
            print(path.stem)
        return 0
    if args.command == "student":
        return student(args.notebooks, args.out)
    if args.command == "summary":
        summary, errors = write_summary()
        print(summary)
        print(write_index(list_notebooks()))
        for error in errors:
            print(f"ERROR: {error}", file=sys.stderr)
        return 1 if errors else 0
    return run(args.notebooks, get_profile(args.profile), args.timeout, jobs=args.jobs)


if __name__ == "__main__":
    sys.exit(main())
