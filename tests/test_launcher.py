"""The course without make (issue #26): `lecturekit setup`, `lab` and `test` work through this Python on any
system; CI runs them here as dry runs, and every `lecturekit` command the README names exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lecturekit import cli, launcher

ROOT = Path(__file__).resolve().parents[1]


def _lecturekit(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "lecturekit.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_pip_route_commands_answer_help_and_dry_runs():
    assert _lecturekit("--help").returncode == 0
    setup = _lecturekit("setup", "--dry-run")
    assert setup.returncode == 0, setup.stderr
    assert (
        "pip install --quiet --no-deps -r" in setup.stdout
        and "ipykernel install --sys-prefix --name lecturekit" in setup.stdout
    )
    assert (
        "student cop" in setup.stdout
        and "jupyter_server_config.json" in setup.stdout
        and "nbgrader_config.json" in setup.stdout
    )
    lab = _lecturekit("lab", "--profile", "quick", "--dry-run")
    assert lab.returncode == 0, lab.stderr
    assert f"-m jupyterlab --ServerApp.root_dir={ROOT / 'student'}" in lab.stdout
    assert "--KernelManager.transport_encryption=auto" in lab.stdout
    solutions = _lecturekit("lab", "--solutions", "--dry-run")
    assert (
        f"--ServerApp.root_dir={ROOT / 'notebooks'}" in solutions.stdout
        and "student cop" not in solutions.stdout
    )
    test = _lecturekit("test", "--dry-run")
    assert test.returncode == 0, test.stderr
    assert [line.split(" -m ")[1].split()[0] for line in test.stdout.splitlines()] == [
        "ruff",
        "pytest",
        "pytest",
    ]
    assert _lecturekit("test", "nonsense", "--dry-run").returncode != 0
    for command in ("run", "list", "student", "summary"):
        assert _lecturekit(command, "--help").returncode == 0, command


def test_every_lecturekit_command_in_the_readme_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\blecturekit (\w+)", readme)) - {"course", "authors"}
    parser_commands = {"list", "run", "summary", "student", "setup", "lab", "test"}
    assert {"setup", "lab", "run", "test"} <= named <= parser_commands, named
    assert "python -m venv .venv" in readme and "pip install -r requirements.txt -e ." in readme
    assert "--index-url https://download.pytorch.org/whl/cpu" in readme and "GB" in readme


def test_readme_is_for_people():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    headings = [line for line in lines if line.startswith("## ")]
    assert headings[0] == "## Set up and open the course" and headings[1] == "## The two commands"
    assert [h for h in headings if h.startswith("## For")] == [
        "## For students",
        "## For instructors",
        "## For readers",
    ]
    text = "\n".join(lines)
    for credit in (
        "CS224W",
        "Leskovec",
        "Ying",
        "Zitnik",
        "Agrawal",
        "You",
        "He",
        "Rendle",
        "LightGCN",
        "BPR",
    ):
        assert credit in text, credit
    for path in ("LICENSE", "LICENSE-CONTENT", "CITATION.cff", "docs/REFERENCE.md", "docs/runtimes.json"):
        assert (ROOT / path).is_file(), path


def test_lab_writes_only_the_missing_student_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher, "student_dir", lambda: tmp_path / "student")
    written = launcher.student_copies()
    assert len(written) == len(cli.list_notebooks())
    mine = tmp_path / "student" / "01_recsys_basics.ipynb"
    mine.write_text(mine.read_text().replace("raise NotImplementedError()", "return 42"))  # a student's work
    (tmp_path / "student" / "02_pinsage.ipynb").unlink()
    assert [p.name for p in launcher.student_copies()] == ["02_pinsage.ipynb"]
    assert "return 42" in mine.read_text()  # never overwritten


@pytest.mark.parametrize("solutions", [False, True])
def test_lab_opens_student_copies_unless_solutions_are_asked_for(solutions, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(launcher, "student_dir", lambda: tmp_path / "student")
    monkeypatch.setattr(
        launcher.subprocess, "call", lambda command, **kw: calls.append((command, kw["env"])) or 0
    )
    assert launcher.lab(solutions=solutions, profile="quick") == 0
    ((command, env),) = calls
    folder = ROOT / "notebooks" if solutions else tmp_path / "student"
    assert f"--ServerApp.root_dir={folder}" in command and env["LECTUREKIT_PROFILE"] == "quick"
    assert (tmp_path / "student").exists() != solutions


def test_setup_merges_encryption_and_the_validate_timeout_into_the_environments_jupyter_config(
    tmp_path, monkeypatch
):
    import json

    monkeypatch.setattr(launcher.sys, "prefix", str(tmp_path))
    server = tmp_path / "etc/jupyter/jupyter_server_config.json"
    server.parent.mkdir(parents=True)
    server.write_text(json.dumps({"ServerApp": {"port": 9999}}))
    paths = launcher.write_jupyter_settings()
    assert json.loads(server.read_text()) == {
        "ServerApp": {"port": 9999},
        "KernelManager": {"transport_encryption": "auto"},
    }
    nbgrader = json.loads((tmp_path / "etc/jupyter/nbgrader_config.json").read_text())
    assert nbgrader["Execute"]["timeout"] >= 300 and len(paths) == 2
