"""The course without ``make``: ``lecturekit setup``, ``lecturekit lab`` and ``lecturekit test``.

The README's route for Windows, macOS and any machine without ``make``::

    python -m venv .venv                      # then activate it (Windows: .venv\\Scripts\\activate)
    pip install -r requirements.txt -e .
    lecturekit setup                          # data wheels, the course kernel, your student copies
    lecturekit lab                            # JupyterLab on student/ (solutions stubbed)
    lecturekit run                            # every notebook, course profile -> build/
    lecturekit test                           # ruff, unit tests, notebooks under nbval (quick profile)

Each command runs the same steps as its ``make`` target, with this Python (``sys.executable``), so it
works wherever the virtual environment's Python runs. ``--dry-run`` prints the steps instead (CI
checks them that way). Students get the stubbed copies in ``student/`` (written once: a student's
work there is never overwritten); ``lecturekit lab --solutions`` opens the instructor notebooks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from lecturekit.config import PROFILES
from lecturekit.paths import project_root

COURSE_KERNEL = "lecturekit"
DISPLAY_NAME = "Python (lecturekit)"
LINT_PATHS = ("lecturekit", "tests", "benchmarks", "experiments", "notebooks")
TEST_PARTS = ("lint", "unit", "notebooks")
# Kernels started by Lab, nbclient and nbgrader get CurveZMQ keys when the kernelspec declares support
# (ipykernel >= 7 does): the traffic is encrypted, and ipykernel's "Kernel is running over TCP without
# encryption" warning (printed on every kernel start) has nothing left to warn about.
ENCRYPTION_OPTION = "--KernelManager.transport_encryption=auto"


def student_dir() -> Path:
    """Where students' copies live (beside ``notebooks/``, so relative paths in the notebooks still work)."""
    return project_root() / "student"


def _show(command: Sequence[str]) -> str:
    return " ".join(f'"{part}"' if " " in part else part for part in command)


def _run(command: Sequence[str], dry_run: bool, env: dict | None = None) -> int:
    print(f"$ {_show(command)}", flush=True)
    if dry_run:
        return 0
    return subprocess.call(list(command), cwd=project_root(), env=env)


def student_copies(dry_run: bool = False) -> list[Path]:
    """Write the student copies that are missing from ``student/``; never touch an existing one."""
    from lecturekit.classroom import write_student_versions
    from lecturekit.paths import list_notebooks

    target = student_dir()
    missing = [p for p in list_notebooks() if not (target / p.name).exists()]
    if dry_run:
        print(f"would write {len(missing)} student cop{'y' if len(missing) == 1 else 'ies'} to {target}")
        return [target / p.name for p in missing]
    written = write_student_versions(list_notebooks(), target, only_missing=True)
    kept = len(list_notebooks()) - len(written)
    print(
        f"student copies in {target}: {len(written)} written" + (f", {kept} kept as they are" if kept else "")
    )
    return written


def setup(dry_run: bool = False) -> int:
    """The data wheels (no dependencies: only their files are read), the course kernel, the student copies."""
    python = sys.executable
    steps = [
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "-r",
            str(project_root() / "requirements-data.txt"),
        ],
        [
            python,
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            COURSE_KERNEL,
            "--display-name",
            DISPLAY_NAME,
        ],
    ]
    for step in steps:
        code = _run(step, dry_run)
        if code:
            print(f"lecturekit setup: step failed ({code}): {_show(step)}", file=sys.stderr)
            return code
    write_jupyter_settings(dry_run)
    student_copies(dry_run)
    return 0


VALIDATE_CELL_TIMEOUT = (
    600  # s per cell for a student's Validate in the course profile (nbgrader's 30 s is too short)
)


def jupyter_settings() -> dict[Path, dict[str, dict]]:
    """The settings ``lecturekit setup`` merges into this environment's Jupyter config (``<prefix>/etc/jupyter``):

    - ``jupyter_server_config.json``: every ``jupyter lab`` of the environment gives kernels CurveZMQ keys
      (:data:`ENCRYPTION_OPTION`; the ``.d`` folder beside it is read for extensions only, measured);
    - ``nbgrader_config.json``: a student's *Validate* runs with a per-cell timeout that fits the course
      profile, and with encrypted kernels (an instructor's course-folder config overrides both).
    """
    folder = Path(sys.prefix) / "etc" / "jupyter"
    encrypted = {"transport_encryption": "auto"}
    return {
        folder / "jupyter_server_config.json": {"KernelManager": encrypted},
        folder / "nbgrader_config.json": {
            "Execute": {"timeout": VALIDATE_CELL_TIMEOUT},
            "KernelManager": encrypted,
        },
    }


def write_jupyter_settings(dry_run: bool = False) -> list[Path]:
    """Merge :func:`jupyter_settings` into the files (other settings there are kept); return their paths."""
    from lecturekit.results import atomic_write

    for path, settings in jupyter_settings().items():
        print(f"{'would merge' if dry_run else 'merging'} {json.dumps(settings)} into {path}")
        if dry_run:
            continue
        try:
            config = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except ValueError as error:
            raise SystemExit(
                f"lecturekit setup: {path} is not valid JSON ({error}); fix or remove it"
            ) from None
        for section, values in settings.items():
            config.setdefault(section, {}).update(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(config, indent=1) + "\n")
    return list(jupyter_settings())


def lab_command(solutions: bool) -> list[str]:
    folder = project_root() / "notebooks" if solutions else student_dir()
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", ENCRYPTION_OPTION]


def lab(solutions: bool = False, profile: str | None = None, dry_run: bool = False) -> int:
    """JupyterLab on the student copies (default) or, with ``solutions``, on the instructor notebooks."""
    if not solutions:
        student_copies(dry_run)
    env = dict(os.environ)
    if profile:
        env["LECTUREKIT_PROFILE"] = profile  # reaches every kernel Lab starts
    return _run(lab_command(solutions), dry_run, env)


def test_commands(parts: Sequence[str]) -> list[list[str]]:
    python = sys.executable
    commands = {
        "lint": [python, "-m", "ruff", "check", *LINT_PATHS],
        "unit": [python, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile", "tests"],
        "notebooks": [
            python,
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "--dist",
            "loadfile",
            "--nbval-lax",
            "--nbval-cell-timeout=300",
            "-p",
            "no:cacheprovider",
            "notebooks",
        ],
    }
    return [commands[part] for part in parts]


def test(parts: Sequence[str], dry_run: bool = False) -> int:
    """``make test`` without make: lint, unit tests, then the notebooks under nbval (quick profile)."""
    unknown = [part for part in parts if part not in TEST_PARTS]
    if unknown:
        raise SystemExit(f"lecturekit test: unknown part {unknown[0]!r}; choose from {', '.join(TEST_PARTS)}")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    for part, command in zip(parts, test_commands(parts), strict=True):
        run_env = {**env, "LECTUREKIT_PROFILE": "quick"} if part == "notebooks" else env
        code = _run(command, dry_run, run_env)
        if code:
            print(f"lecturekit test: {part} failed", file=sys.stderr)
            return code
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``setup``, ``lab`` and ``test`` on ``lecturekit``'s subcommands (``cli.main``)."""
    setup_parser = commands.add_parser("setup", help="data wheels, the course kernel and your student copies")
    setup_parser.add_argument("--dry-run", action="store_true", help="print the steps, run nothing")
    setup_parser.set_defaults(handler=lambda a: setup(a.dry_run))
    lab_parser = commands.add_parser("lab", help="JupyterLab on your student copies (student/)")
    lab_parser.add_argument("--solutions", action="store_true", help="open the instructor notebooks instead")
    lab_parser.add_argument(
        "--profile", choices=PROFILES, default=None, help="sizes for every kernel (quick: small)"
    )
    lab_parser.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    lab_parser.set_defaults(handler=lambda a: lab(a.solutions, a.profile, a.dry_run))
    test_parser = commands.add_parser("test", help="ruff, unit tests and the notebooks (quick profile)")
    test_parser.add_argument(
        "parts",
        nargs="*",
        metavar="{lint,unit,notebooks}",
        help="which parts (default: all three, in this order)",
    )
    test_parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    test_parser.set_defaults(handler=lambda a: test(a.parts or TEST_PARTS, a.dry_run))
