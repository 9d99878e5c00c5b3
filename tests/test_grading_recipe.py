"""The README's instructor recipe, followed as written, on two notebooks (issue #26): it generates the
assignment, autogrades a wrong and a right submission within nbgrader's timeout, writes feedback whose
messages wrap, never writes into the checkout's build/, and a solved notebook passes Validate.

The script is the README's block between ``<!-- grading-recipe -->`` markers, run by bash from the
checkout with ``HOME`` in a temporary folder; two changes only: the copy takes two notebooks instead of
all six (time), and ``nbgrader collect`` (which needs an exchange) is replaced by copying the two
submissions into ``submitted/``, as the recipe's comment says (this file, run as a script, does that).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lecturekit.classroom import BEGIN_SOLUTION, END_SOLUTION, student_notebook

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOKS = ("01_recsys_basics", "03_hard_negatives")  # the two quickest in the quick profile
COPY_ALL = "cp notebooks/[0-9]*.ipynb"
COLLECT = "nbgrader collect lecturekit"

pytestmark = pytest.mark.skipif(
    shutil.which("nbgrader", path=str(BIN)) is None, reason="needs nbgrader (setup)"
)


def recipe() -> str:
    """The README's grading recipe, with the two changes of the module docstring."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- grading-recipe -->\n```bash\n(.*?)```\n<!-- /grading-recipe -->", readme, re.S)
    assert block, "README.md has no grading recipe between <!-- grading-recipe --> markers"
    script = block.group(1)
    assert script.count(COPY_ALL) == 1 and script.count(COLLECT) == 1, script
    script = script.replace(COPY_ALL, "cp " + " ".join(f"notebooks/{n}.ipynb" for n in NOTEBOOKS))
    return script.replace(COLLECT, f'"{sys.executable}" "{Path(__file__).resolve()}" "$COURSE"')


def _bash(script: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return done


def _solved(released: Path, instructor: Path) -> nbformat.NotebookNode:
    """The released notebook with each stub replaced by the instructor's solution (markers removed)."""
    notebook = nbformat.read(released, as_version=4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(instructor, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            lines = solutions[grade_id].split("\n")
            cell.source = "\n".join(
                line for line in lines if BEGIN_SOLUTION not in line and END_SOLUTION not in line
            )
    return notebook


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*")} if folder.exists() else {}


def test_the_readme_recipe_generates_grades_and_writes_feedback(tmp_path):
    env = dict(os.environ)
    env.update(
        HOME=str(tmp_path),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS="1",
    )
    for name in ("LECTUREKIT_PROFILE", "LECTUREKIT_BUILD_DIR", "JUPYTER_CONFIG_DIR", "CI"):
        env.pop(name, None)
    for name in ("JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
    course = tmp_path / "lecturekit-course"
    checkout_build = _snapshot(ROOT / "build")
    graded = _bash(recipe(), env)
    log = graded.stdout + graded.stderr
    release = course / "release" / "lecturekit"
    assert sorted(p.stem for p in release.glob("*.ipynb")) == sorted(NOTEBOOKS)
    assert "Removing failed assignment" not in log and "Timeout" not in log, log[-4000:]
    assert "without encryption" not in log  # the kernels' traffic is encrypted, nothing to warn about

    with sqlite3.connect(course / "gradebook.db") as db:
        scores = dict(
            db.execute(
                "SELECT student.id, SUM(grade.auto_score) FROM grade JOIN submitted_notebook ON grade.notebook_id = "
                "submitted_notebook.id JOIN submitted_assignment ON submitted_notebook.assignment_id = "
                "submitted_assignment.id JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"
            ).fetchall()
        )
        total = db.execute("SELECT SUM(max_score) FROM grade_cells").fetchone()[0]
    assert total >= 8 and scores == {"right": total, "wrong": 0}, (scores, total)

    for student in ("wrong", "right"):
        for name in NOTEBOOKS:
            assert (course / "feedback" / student / "lecturekit" / f"{name}.html").is_file(), (student, name)
    feedback = (course / "feedback" / "wrong" / "lecturekit" / "01_recsys_basics.html").read_text()
    assert "is not written yet" in feedback
    messages = [line for line in re.sub(r"<[^>]+>", "", feedback).splitlines() if "CheckFailed" in line]
    assert messages and all(
        len(line.strip()) <= 100 for line in messages
    )  # wrapped, not one 300-character line

    assert (course / "build" / "results").is_dir()  # grading recorded its results in the course folder...
    assert _snapshot(ROOT / "build") == checkout_build  # ...and touched nothing in the checkout's build/

    solved = course / "solved"  # Validate on 02 (the notebook whose Validate failed in issue #26), solved
    solved.mkdir()
    instructor = ROOT / "notebooks" / "02_pinsage.ipynb"
    nbformat.write(student_notebook(nbformat.read(instructor, as_version=4)), solved / "02_pinsage.ipynb")
    nbformat.write(_solved(solved / "02_pinsage.ipynb", instructor), solved / "02_pinsage.ipynb")
    validated = subprocess.run(
        [str(BIN / "nbgrader"), "validate", str(solved / "02_pinsage.ipynb")],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Success! Your notebook passes all the tests." in validated.stdout, (
        validated.stdout + validated.stderr
    )


def submit(course: Path) -> None:
    """Two submissions into ``submitted/``: "wrong" hands in the release (stubs: every check fails),
    "right" the release with the instructor's solutions written in."""
    release = course / "release" / "lecturekit"
    for student, solved in (("wrong", False), ("right", True)):
        folder = course / "submitted" / student / "lecturekit"
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            if solved:
                nbformat.write(
                    _solved(release / f"{name}.ipynb", ROOT / "notebooks" / f"{name}.ipynb"),
                    folder / f"{name}.ipynb",
                )
            else:
                shutil.copy(release / f"{name}.ipynb", folder / f"{name}.ipynb")
        (folder / "timestamp.txt").write_text("2026-12-06 00:00:00.000000 UTC")


if __name__ == "__main__":
    submit(Path(sys.argv[1]))
