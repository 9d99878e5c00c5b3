"""Student versions (lecturekit student) and nbgrader releases agree: solutions out, stubs and checks in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lecturekit import classroom, cli

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

SOLUTION = '''def normalise(x):
    """Scale ``x`` so its entries sum to one."""
    ### BEGIN SOLUTION
    total = x.sum()
    return x / total
    ### END SOLUTION'''
CHECK = """import torch
from lecturekit import checks
checks.run_check("normalise", normalise, [checks.Case(args=(torch.tensor([1.0, 3.0]),), expected=torch.tensor([0.25, 0.75]))])"""


def _nbgrader(grade_id: str, *, solution: bool, grade: bool, points: float = 0) -> dict:
    meta = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": grade,
        "locked": not solution,
        "schema_version": 3,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def exercise_notebook() -> nbformat.NotebookNode:
    """A notebook shaped like the course's exercises: solution cell, check cell, then the rest."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Write `normalise`.", id="intro"),
        nbformat.v4.new_code_cell(
            SOLUTION, id="solution", metadata=_nbgrader("normalise", solution=True, grade=False)
        ),
        nbformat.v4.new_code_cell(
            CHECK, id="check", metadata=_nbgrader("check_normalise", solution=False, grade=True, points=1)
        ),
        nbformat.v4.new_markdown_cell(
            "Explain.\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
            id="answer",
            metadata=_nbgrader("explain", solution=True, grade=True, points=1),
        ),
        nbformat.v4.new_code_cell(
            "assert True\n### BEGIN HIDDEN TESTS\nassert 2 > 1\n### END HIDDEN TESTS",
            id="hidden",
            metadata=_nbgrader("hidden", solution=False, grade=True, points=1),
        ),
        nbformat.v4.new_code_cell("print('the rest still runs')", id="rest"),
        nbformat.v4.new_markdown_cell("**Quiz.** Why normalise?", id="quiz"),
        nbformat.v4.new_markdown_cell(
            "**Answers.** So that weights compare.",
            id="quiz-answers",
            metadata={"tags": [classroom.QUIZ_ANSWERS_TAG]},
        ),
    ]
    return notebook


def test_solution_regions_become_stubs_with_signature_and_docstring_kept():
    student = classroom.student_notebook(exercise_notebook())
    assert student.cells[1].source == (
        'def normalise(x):\n    """Scale ``x`` so its entries sum to one."""\n'
        "    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert student.cells[3].source == "Explain.\nYOUR ANSWER HERE"
    assert student.cells[4].source == "assert True"  # hidden tests dropped
    assert student.cells[2].source == CHECK  # the check is kept...
    assert classroom.CHECK_TAG in student.cells[2].metadata["tags"]  # ...and does not stop "Run All"
    assert "tags" not in student.cells[5].metadata
    assert classroom.solution_regions(exercise_notebook()) == 2


def test_the_instructor_notebook_is_left_unchanged():
    notebook = exercise_notebook()
    before = nbformat.writes(notebook)
    classroom.student_notebook(notebook)
    assert nbformat.writes(notebook) == before


def test_a_solution_cell_without_markers_is_replaced_whole():
    notebook = exercise_notebook()
    notebook.cells[1].source = "def normalise(x):\n    return x / x.sum()"
    assert classroom.student_notebook(notebook).cells[1].source == classroom.CODE_STUB


@pytest.mark.parametrize(
    ("source", "solution", "message"),
    [
        (
            "### BEGIN SOLUTION\nx = 1",
            True,
            r"nb.ipynb: cell 1 \(id solution\), line 1: '### BEGIN SOLUTION' is never closed",
        ),
        ("x = 1\n### END SOLUTION", True, r"line 2: '### END SOLUTION' without a '### BEGIN SOLUTION'"),
        (
            "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
            True,
            r"line 2: .*\(regions cannot nest\)",
        ),
        (
            "### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
            False,
            'metadata lacks {"nbgrader": {"solution": true',
        ),
    ],
)
def test_bad_markers_are_refused_naming_notebook_cell_and_line(source, solution, message):
    notebook = exercise_notebook()
    notebook.cells[1].source = source
    notebook.cells[1].metadata["nbgrader"]["solution"] = solution
    with pytest.raises(classroom.SolutionMarkerError, match=message):
        classroom.student_notebook(notebook, "nb.ipynb")


def test_cli_student_writes_every_course_notebook(tmp_path, capsys):
    assert cli.main(["student", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == sorted(p.name for p in cli.list_notebooks())
    for path in tmp_path.glob("*.ipynb"):
        text = path.read_text()
        assert classroom.BEGIN_SOLUTION not in text and classroom.BEGIN_HIDDEN not in text
    assert "stubbed" in capsys.readouterr().out


def test_cli_student_reports_bad_markers(tmp_path, capsys):
    source = tmp_path / "nb"
    source.mkdir()
    notebook = exercise_notebook()
    notebook.cells[1].metadata["nbgrader"]["solution"] = False
    nbformat.write(notebook, source / "07_broken.ipynb")
    assert cli.student(["07"], tmp_path / "out", directory=source) == 1
    assert "07_broken.ipynb: cell 1 (id solution)" in capsys.readouterr().err


def test_in_the_student_version_the_check_fails_with_its_message_and_the_rest_runs(tmp_path):
    from nbclient import NotebookClient

    student = classroom.student_notebook(exercise_notebook())
    env_path = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(student, timeout=120, kernel_name="python3", resources=env_path).execute()
    (error,) = student.cells[2].outputs
    assert error["output_type"] == "error" and error["ename"] == "CheckFailed"
    assert error["evalue"].startswith("`normalise` is not written yet")
    assert not any("Traceback" in line or "File " in line for line in error["traceback"])
    assert student.cells[5].outputs[0]["text"] == "the rest still runs\n"


def _nbgrader_env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    # nbgrader runs `alembic` from PATH; the Jupyter dirs keep any user config out of the test.
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
    return env


@pytest.mark.skipif(
    shutil.which("nbgrader", path=str(BIN)) is None, reason="needs the classroom extra (make setup)"
)
def test_nbgrader_releases_all_six_notebooks_like_lecturekit_student(tmp_path):
    course, assignment = tmp_path / "course", "lecturekit"
    source = course / "source" / assignment
    source.mkdir(parents=True)
    originals = cli.list_notebooks()
    assert len(originals) == 6
    for path in originals:
        shutil.copy(path, source / path.name)
    nbformat.write(exercise_notebook(), source / "99_exercise.ipynb")  # until every notebook has exercises
    (course / "nbgrader_config.py").write_text(
        "from lecturekit.classroom import release_preprocessors\n"
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.GenerateAssignment.preprocessors = release_preprocessors()\n"
    )
    done = subprocess.run(
        [str(BIN / "nbgrader"), "generate_assignment", assignment, f"--CourseDirectory.root={course}"],
        cwd=course,
        env=_nbgrader_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    release = course / "release" / assignment
    assert sorted(p.name for p in release.glob("*.ipynb")) == sorted(
        [p.name for p in originals] + ["99_exercise.ipynb"]
    )
    for path in release.glob("*.ipynb"):
        released = nbformat.read(path, as_version=4)
        ours = classroom.student_notebook(nbformat.read(source / path.name, as_version=4))
        assert classroom.BEGIN_SOLUTION not in path.read_text(), path.name
        assert [c.source for c in released.cells] == [c.source for c in ours.cells], path.name
        for theirs, mine in zip(released.cells, ours.cells, strict=True):
            tagged = (classroom.CHECK_TAG in cell.metadata.get("tags", []) for cell in (theirs, mine))
            assert next(tagged) == next(tagged), f"{path.name}: cell {theirs.get('id')} tagged differently"
    exercise = nbformat.read(release / "99_exercise.ipynb", as_version=4)
    assert "raise NotImplementedError()" in exercise.cells[1].source
    assert classroom.CHECK_TAG in exercise.cells[2].metadata["tags"]
    assert (course / "gradebook.db").exists()  # nbgrader's database stayed inside the temporary course


# ---- quiz answers, guarded copies, the published view (issue #26) ------------------------------------
def test_student_copies_and_releases_leave_out_the_quiz_answers():
    notebook = exercise_notebook()
    student = classroom.student_notebook(notebook)
    assert [c.get("id") for c in student.cells][-1] == "quiz"
    assert "quiz-answers" in [c.get("id") for c in notebook.cells]  # the instructor notebook keeps them
    assert classroom.DropQuizAnswers in classroom.release_preprocessors()


def test_student_copies_refuse_the_instructor_folder_and_files_with_solutions(tmp_path, capsys):
    source = tmp_path / "instructor"
    source.mkdir()
    nbformat.write(exercise_notebook(), source / "07_ex.ipynb")
    with pytest.raises(classroom.StudentCopyError, match="holds the instructor notebooks"):
        classroom.write_student_versions([source / "07_ex.ipynb"], source)
    assert cli.main(["student", "--out", str(ROOT / "notebooks")]) == 1
    assert "holds the instructor notebooks" in capsys.readouterr().err
    out = tmp_path / "out"
    (written,) = classroom.write_student_versions([source / "07_ex.ipynb"], out)
    classroom.write_student_versions([source / "07_ex.ipynb"], out)  # a stub-only copy may be rewritten
    answered = nbformat.read(written, as_version=4)
    answered.cells[1].source = "def normalise(x):\n    return x / x.sum()"  # the student's own answer
    nbformat.write(answered, written)
    with pytest.raises(classroom.StudentCopyError, match="holds solutions"):
        classroom.write_student_versions([source / "07_ex.ipynb"], out)
    assert cli.student(["07"], out, directory=source) == 1
    assert "return x / x.sum()" in written.read_text()
    assert classroom.holds_solutions(exercise_notebook()) and not classroom.holds_solutions(
        classroom.student_notebook(exercise_notebook())
    )


def test_the_published_html_shows_the_student_version_unless_built_for_instructors(monkeypatch):
    from lecturekit import course_site

    notebook = exercise_notebook()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text=f"output of {cell.id}\n")]
    view = classroom.published_view(notebook)
    sources = "\n".join(c.source for c in view.cells)
    assert "total = x.sum()" not in sources and "raise NotImplementedError()" in sources
    outputs = {c.id: c.get("outputs") for c in view.cells if c.cell_type == "code"}
    assert outputs["solution"] == [] and outputs["check"] == []  # the solution's verdict is not shown
    assert outputs["rest"][0]["text"] == "output of rest\n"  # the rest keeps its outputs
    assert "quiz-answers" not in [c.id for c in view.cells]
    monkeypatch.delenv(course_site.SOLUTIONS_ENV, raising=False)
    body, _ = course_site.html_exporter("mathjax/MathJax.js").from_notebook_node(notebook)
    assert (
        "total = x.sum()" not in body and "So that weights compare" not in body and "output of rest" in body
    )
    monkeypatch.setenv(course_site.SOLUTIONS_ENV, "1")
    body, _ = course_site.html_exporter("mathjax/MathJax.js").from_notebook_node(notebook)
    assert "total" in body and "So that weights compare" in body


def test_no_kernel_started_by_the_course_warns_about_unencrypted_tcp(tmp_path):
    script = (
        "import nbformat\nfrom lecturekit.course_site import ExecutingClient\n"
        "nb = nbformat.v4.new_notebook(); nb.cells = [nbformat.v4.new_code_cell('print(6 * 7)')]\n"
        "ExecutingClient(nb, timeout=120, kernel_name='python3').execute()\n"
        "print(nb.cells[0].outputs[0]['text'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0 and "42" in done.stdout, done.stderr
    assert "without encryption" not in done.stderr
