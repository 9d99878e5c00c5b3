"""The student versions of the six notebooks, executed (quick profile): every check fails with its own
plain message (CheckFailed, "not written yet"), never a NameError or another error, and every other
cell still runs -- later cells use the package's implementation."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from lecturekit.classroom import is_check_cell, solution_regions, student_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_runs_with_every_check_failing_in_plain_words(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    instructor = nbformat.read(path, as_version=4)
    assert solution_regions(instructor) >= 2, f"{path.name} has fewer than two exercises"
    student = student_notebook(instructor, path.name)
    monkeypatch.setenv("LECTUREKIT_PROFILE", "quick")
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    kernel = (
        "lecturekit" if "lecturekit" in os.popen("jupyter kernelspec list 2>/dev/null").read() else "python3"
    )
    NotebookClient(
        student,
        timeout=600,
        kernel_name=kernel,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    checks = 0
    for index, cell in enumerate(student.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if is_check_cell(cell):
            checks += 1
            assert len(errors) == 1, f"{path.name} cell {index}: the check on a stub did not fail"
            assert errors[0]["ename"] == "CheckFailed", f"{path.name} cell {index}: {errors[0]['ename']}"
            assert "not written yet" in errors[0]["evalue"], errors[0]["evalue"]
            assert len(errors[0]["traceback"]) <= 2, "the check's failure shows a wall of traceback"
        else:
            assert not errors, f"{path.name} cell {index} fails in the student version: {errors[0]['ename']}"
    assert checks >= 2, f"{path.name} has {checks} checks; the course asks for 2-4 exercises per notebook"
