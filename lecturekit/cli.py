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

The run degrades, never collapses: a notebook that raises, runs a cell past ``--timeout``, loses
its kernel (killed, out of memory), kills its worker process or cannot be read or written is
reported ``FAIL`` with a one-line reason (kept as ``error`` in ``timings.json``, listed at the end of
``SUMMARY.md``, marked on the course page), and every other notebook still runs; the exit status
is then 1. Every output is written atomically (``lecturekit.atomic``): a full disk leaves the
previous copy. A relative ``LECTUREKIT_BUILD_DIR`` resolves against the project root, for the
driver and the kernels alike (``lecturekit.paths``).

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

from lecturekit.atomic import atomic_write_text
from lecturekit.config import PROFILES, get_profile
from lecturekit.paths import build_dir, list_notebooks, notebooks_dir
from lecturekit.results import TIMINGS_FILE, locked, results_dir
from lecturekit.runtime import expected_seconds


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
            elif output.get("output_type") == "stream" and "Traceback (most recent call last)" in output.get(
                "text", ""
            ):
                last = [line for line in output["text"].strip().splitlines() if line.strip()][-1]
                found.append(
                    f"cell {index}: traceback printed to {output.get('name', 'a stream')}: {last.strip()}"
                )
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
        print(
            f"warning: the course kernel {COURSE_KERNEL!r} is not installed (run `make kernel`); "
            f"executing with {FALLBACK_KERNEL!r}, this Python ({sys.executable})",
            file=sys.stderr,
        )
        return FALLBACK_KERNEL
    kernel_python = Path(spec.argv[0]) if spec.argv else Path("python")
    # <env>/bin/python -> <env>; realpath because .venv may be a symlink to the same environment.
    elsewhere = os.path.realpath(kernel_python.parent.parent) != os.path.realpath(sys.prefix)
    if kernel_python.is_absolute() and elsewhere:
        print(
            f"warning: the {COURSE_KERNEL!r} kernel runs {kernel_python}, not this environment "
            f"({sys.prefix}); run `make kernel` to point it here",
            file=sys.stderr,
        )
    return COURSE_KERNEL


def _reason(error: BaseException) -> str:
    """One line saying what went wrong (the last line of nbclient's long messages)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _mark_failed_cell(notebook, index: int | None, reason: str) -> None:
    """Show where and why the run stopped in the executed copy (and its HTML): an error output on that cell."""
    import nbformat

    if index is None or not 0 <= index < len(notebook.cells) or notebook.cells[index].cell_type != "code":
        return
    notebook.cells[index].setdefault("outputs", []).append(
        nbformat.v4.new_output(
            "error", ename="lecturekit run", evalue=reason, traceback=[f"lecturekit run: {reason}"]
        )
    )


def _run_cells(path: Path, notebook, timeout: int | None, kernel: str):
    """Execute ``notebook``; returns ``(client, error)`` with ``error`` "" when every cell finished.

    A raising cell, a cell running past ``timeout``, a kernel that dies (killed, out of memory,
    crashed) or fails to start all end here as a one-line reason; the executed cells are kept.
    """
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from lecturekit.course_site import ExecutingClient

    client = ExecutingClient(
        notebook, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}
    )
    current: list[int | None] = [None]  # the cell running when execution stopped

    def started(cell, cell_index: int) -> None:
        current[0] = cell_index

    def where() -> str:
        return "" if current[0] is None else f" in cell {current[0]}"

    client.on_cell_start = started
    try:
        client.execute()
    except CellExecutionError as err:
        return client, _reason(err)
    except CellTimeoutError:
        reason = f"timed out: a cell ran past the {timeout} s per-cell timeout{where()}"
    except DeadKernelError:
        reason = f"the kernel died{where()} (killed, out of memory or crashed)"
    except Exception as err:  # noqa: BLE001 - a kernel that cannot start, a lost connection: the run goes on
        reason = f"{type(err).__name__}{where()}: {_reason(err)}"
    else:
        return client, ""
    _mark_failed_cell(notebook, current[0], reason)
    return client, reason


def execute_notebook(
    path: Path, profile: str, timeout: int | None, kernel: str = COURSE_KERNEL
) -> tuple[bool, float, str]:
    """Execute one notebook in its own folder; write executed and HTML copies. Returns (ok, seconds, error).

    Never raises for a fault of the notebook or its kernel: a cell that raises or times out, a
    kernel that dies, outputs that cannot be written -- each is ``(False, seconds, reason)``. The
    executed copy and HTML show what ran (the failing cell carries the reason); both are written
    atomically, so a failed write leaves the previous copy intact.
    """
    import nbformat

    from lecturekit.course_site import html_exporter, install_mathjax, settle_progress_bars

    os.environ["LECTUREKIT_PROFILE"] = profile
    start = time.perf_counter()
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - an unreadable notebook fails alone
        return False, time.perf_counter() - start, f"cannot read {path.name}: {_reason(err)}"
    client, error = _run_cells(path, notebook, timeout, kernel)
    seconds = time.perf_counter() - start
    try:
        settle_progress_bars(notebook, client.closed_widgets)
        if not error:
            problems = output_errors(notebook)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                error = f"executed outputs show an error: {problems[0]}{more}"
        html_dir = build_dir() / "html"
        html_dir.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(notebook)
        atomic_write_text(build_dir() / "notebooks" / path.name, text if text.endswith("\n") else text + "\n")
        body, _ = html_exporter(install_mathjax(html_dir)).from_notebook_node(notebook)
        atomic_write_text(html_dir / f"{path.stem}.html", body)
    except Exception as err:  # noqa: BLE001 - a full disk or a broken output: report it, keep the old copies
        error = "; ".join(
            filter(None, [error, f"writing its outputs failed: {type(err).__name__}: {_reason(err)}"])
        )
    return not error, seconds, error


def timings_path() -> Path:
    return results_dir() / TIMINGS_FILE


def _read_timings(path: Path) -> dict:
    """The timings file as a dict; a missing, unreadable or hand-broken one counts as empty (it is rewritten)."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return old if isinstance(old, dict) else {}


def _entries(table: object) -> dict[str, dict]:
    """The notebook entries of one timings table, dropping what is not ``{stem: {...}}``."""
    if not isinstance(table, dict):
        return {}
    return {str(k): v for k, v in table.items() if isinstance(v, dict)}


def write_timings(profile: str, timings: dict[str, dict]) -> Path:
    """Merge this run's per-notebook timings into ``timings.json``.

    ``profile``/``notebooks`` hold the latest profile's runs (entries of another profile are
    replaced); ``by_profile`` keeps the last run of each notebook under every profile, so the README
    and the course page can quote a runtime per profile. A failed notebook's entry has ``ok: false``
    and its ``error``. A timings file that cannot be read, or parts of it of the wrong kind, are
    dropped and the file rewritten (atomically).
    """
    path = timings_path()
    with locked(path.parent):
        old = _read_timings(path)
        notebooks = _entries(old.get("notebooks")) if old.get("profile") == profile else {}
        notebooks.update(timings)
        by_profile = {p: _entries(t) for p, t in _entries(old.get("by_profile")).items() if p in PROFILES}
        if old.get("profile") in PROFILES:
            by_profile.setdefault(old["profile"], {}).update(
                _entries(old.get("notebooks"))
            )  # files before by_profile
        by_profile.setdefault(profile, {}).update(timings)
        text = json.dumps(
            {
                "profile": profile,
                "notebooks": dict(sorted(notebooks.items())),
                "by_profile": {p: dict(sorted(t.items())) for p, t in sorted(by_profile.items())},
            },
            indent=1,
        )
        atomic_write_text(path, text)
    return path


def failures_markdown(timings: dict) -> str:
    """A Markdown section listing the notebooks whose last run in the timings' profile failed, with why."""
    failed = {
        stem: entry for stem, entry in _entries(timings.get("notebooks")).items() if entry.get("ok") is False
    }
    if not failed:
        return ""
    lines = [
        "",
        f"## Notebooks that failed (last `{timings.get('profile')}` run)",
        "",
        "Their results above may be missing or stale; their executed copies show where they stopped.",
        "",
    ]
    for stem, entry in sorted(failed.items()):
        reason = str(entry.get("error") or "failed").replace("\n", " ")
        lines.append(f"- **{stem}**: {reason}")
    return "\n".join(lines) + "\n"


def write_index(notebooks: list[Path]) -> Path:
    """``build/index.html``: the course page (``lecturekit.course_site``)."""
    from lecturekit.course_site import write_index as write_course_page

    return write_course_page(notebooks, build_dir())


def write_reports(notebooks: list[Path]) -> tuple[list[str], list[str]]:
    """Write ``SUMMARY.md`` (with the failed notebooks listed) and ``index.html``; never raises.

    Returns ``(lines to print, errors)``: an unreadable results file, or a report that could not be
    written, is an error message naming it -- the run reports it without a traceback.
    """
    # imported here, like the other course_site imports: `lecturekit list` and `--help` need no nbconvert
    from lecturekit.course_site import write_summary

    printed, errors = [], []
    try:
        summary, errors = write_summary()
        failures = failures_markdown(_read_timings(timings_path()))
        if failures:
            atomic_write_text(summary, summary.read_text(encoding="utf-8").rstrip("\n") + "\n" + failures)
        printed.append(f"summary: {summary}")
    except Exception as err:  # noqa: BLE001 - report, never a traceback
        errors = [*errors, f"SUMMARY.md not written: {type(err).__name__}: {_reason(err)}"]
    try:
        printed.append(f"course page: {write_index(notebooks)}")
    except Exception as err:  # noqa: BLE001 - report, never a traceback
        errors.append(f"index.html not written: {type(err).__name__}: {_reason(err)}")
    return printed, list(errors)


def _run_in_pool(
    notebooks: list[Path], profile: str, timeout: int | None, kernel: str, jobs: int, finished
) -> None:
    """Run ``notebooks`` in worker processes, ``jobs`` at once, calling ``finished`` as each ends.

    A worker that dies (its kernel killed it, the system ran out of memory) breaks the pool; the
    notebooks it took down are run again one per pool, so the one that kills its worker is found,
    reported failed, and costs no other notebook its run.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending, width = list(notebooks), min(jobs, len(notebooks))
    while pending:
        batch = list(pending) if width > 1 else pending[:1]  # a copy: finished notebooks leave pending only
        broken = []
        with ProcessPoolExecutor(
            max_workers=min(width, len(batch)), mp_context=multiprocessing.get_context("spawn")
        ) as pool:
            futures = {pool.submit(execute_notebook, path, profile, timeout, kernel): path for path in batch}
            for future in as_completed(futures):
                path = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken.append(path)
                    continue
                except Exception as err:  # noqa: BLE001 - e.g. a result that cannot be sent back
                    result = (False, 0.0, f"{type(err).__name__}: {_reason(err)}")
                pending.remove(path)
                finished(path, *result)
        if broken and len(batch) == 1:
            pending.remove(batch[0])
            finished(batch[0], False, 0.0, "its worker process died (killed, or out of memory)")
        elif broken:
            width = 1  # find which notebook breaks its worker: the rest run one per pool


def run(
    names: list[str], profile: str, timeout: int | None, directory: Path | None = None, jobs: int = 1
) -> int:
    """Execute the chosen notebooks (``directory`` overrides the course folder, for tests).

    ``jobs`` > 1 runs that many notebooks at once, each in its own process and kernel, the longest
    expected first as workers free up (:func:`lecturekit.runtime.expected_seconds`; course order among
    equals), which shortens the whole run (the notebooks are independent: each builds its own data,
    records under a lock and checkpoints into its own folder). Each kernel computes on one thread
    (``OMP_NUM_THREADS``), so on a 2-core laptop ``jobs=2`` uses both cores (``make run`` does).

    The run degrades, never collapses: a notebook that raises, times out, loses its kernel or
    cannot be written is reported failed with its reason, and every other notebook still runs;
    timings, ``SUMMARY.md`` (listing the failures) and ``index.html`` are written for what ran.
    Returns 1 when a notebook failed or a report could not be written, else 0.
    """
    if jobs < 1:
        raise SystemExit(f"lecturekit run: --jobs must be >= 1, got {jobs}")
    if timeout is not None and timeout < 1:
        raise SystemExit(f"lecturekit run: --timeout must be a positive number of seconds, got {timeout}")
    notebooks = resolve(names, directory)
    if not notebooks:
        raise SystemExit(f"lecturekit run: no notebooks found in {directory or notebooks_dir()}")
    # Kernels run in the notebooks' folder: hand them the build folder resolved here (paths.build_dir).
    os.environ["LECTUREKIT_BUILD_DIR"] = str(build_dir())
    timings: dict[str, dict] = {}
    failed = []
    kernel = course_kernel()
    bar = tqdm(total=len(notebooks), desc=f"notebooks ({profile}, {jobs} at once)", unit="nb")

    def finished(path: Path, ok: bool, seconds: float, error: str) -> None:
        timings[path.stem] = {
            "seconds": round(seconds, 1),
            "ok": ok,
            "jobs": jobs,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if not ok:
            timings[path.stem]["error"] = error
            failed.append(path.stem)
        try:
            write_timings(profile, {path.stem: timings[path.stem]})
        except Exception as err:  # noqa: BLE001 - the other notebooks still run
            tqdm.write(f"ERROR: {timings_path()} not written: {type(err).__name__}: {_reason(err)}")
        tqdm.write(f"{'ok  ' if ok else 'FAIL'} {path.stem:<28} {seconds:8.1f} s  {error}")
        bar.update(1)

    if jobs == 1:
        for path in notebooks:
            bar.set_postfix_str(path.stem)
            finished(path, *execute_notebook(path, profile, timeout, kernel))
    else:
        longest_first = sorted(notebooks, key=lambda p: -expected_seconds(p.stem, profile))
        _run_in_pool(longest_first, profile, timeout, kernel, jobs, finished)
    bar.close()
    printed, errors = write_reports(list_notebooks(directory))
    print(
        "\n".join(
            [
                f"\nexecuted notebooks: {build_dir() / 'notebooks'}",
                f"HTML: {build_dir() / 'html'}",
                *printed,
                f"timings: {timings_path()}",
            ]
        )
    )
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
    run_parser.add_argument(
        "--profile", choices=PROFILES, default=None, help="default: LECTUREKIT_PROFILE or course"
    )
    run_parser.add_argument(
        "--timeout", type=int, default=None, help="per-cell timeout in seconds (default none)"
    )
    run_parser.add_argument(
        "--jobs", type=int, default=1, help="notebooks run at once, one process each (default 1)"
    )
    commands.add_parser("summary", help="rebuild build/results/SUMMARY.md")
    student_parser = commands.add_parser(
        "student", help="write student notebooks (solutions replaced by stubs)"
    )
    student_parser.add_argument("notebooks", nargs="*", help="names like 02 or 02_pinsage (default: all)")
    student_parser.add_argument(
        "--out", type=Path, default=None, help="output folder (default: build/student)"
    )
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
        printed, errors = write_reports(list_notebooks())
        print("\n".join(printed))
        for error in errors:
            print(f"ERROR: {error}", file=sys.stderr)
        return 1 if errors else 0
    return run(args.notebooks, get_profile(args.profile), args.timeout, jobs=args.jobs)


if __name__ == "__main__":
    sys.exit(main())
