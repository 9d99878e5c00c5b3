"""Read an exercise's solution cell out of a course notebook, and make its student stub, for the check tests.

The tests run every check on three versions of each exercise: the package's implementation, the
notebook's own solution (the cell whose nbgrader ``grade_id`` is given) and the student stub
(the ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region replaced by ``raise NotImplementedError()``,
as nbgrader's ``generate_assignment`` writes it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from lecturekit.checks.base import HARDENING, CheckFailed

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?", re.S | re.M)


def solution_cell(notebook: str, grade_id: str) -> dict:
    """The cell of ``notebooks/<notebook>.ipynb`` whose nbgrader ``grade_id`` is ``grade_id``."""
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    found = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    assert len(found) == 1, f"{notebook}: expected one cell with grade_id {grade_id!r}, found {len(found)}"
    return found[0]


def solution_source(notebook: str, grade_id: str) -> str:
    source = "".join(solution_cell(notebook, grade_id)["source"])
    assert _REGION.search(source), f"{notebook} {grade_id}: no ### BEGIN SOLUTION / ### END SOLUTION region"
    return source


def stub_source(source: str) -> str:
    """``source`` with each solution region replaced by nbgrader's stub."""
    return _REGION.sub(
        lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n", source
    )


def define(source: str, name: str) -> Callable:
    """Execute a cell's source and return the function ``name`` it defines.

    The namespace holds what every notebook's setup cell imports (``torch``, ``np``, ``math``).
    """
    namespace: dict = {"torch": torch, "np": np, "math": math}
    exec(compile(source, f"<exercise {name}>", "exec"), namespace)  # noqa: S102 - our own notebook's cell
    return namespace[name]


def failure(check: Callable, function: Callable) -> str:
    """The message of the :class:`CheckFailed` that ``check(function)`` raises (the test fails if none)."""
    with pytest.raises(CheckFailed) as caught:
        check(function)
    message = str(caught.value)
    assert "Traceback" not in message and message.strip(), message
    return message


def assert_nbgrader_cells(notebook: str, grade_id: str, name: str) -> None:
    """The solution cell and the check cell right after it carry nbgrader's metadata (schema 3)."""
    cells = json.loads((NOTEBOOKS / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    index = cells.index(solution_cell(notebook, grade_id))
    solution = cells[index]["metadata"]["nbgrader"]
    assert solution == {
        "solution": True,
        "grade": False,
        "locked": False,
        "grade_id": grade_id,
        "schema_version": 3,
        "task": False,
    }, solution
    check_cell = cells[index + 1]
    meta = check_cell["metadata"].get("nbgrader", {})
    assert meta.get("grade") is True and meta.get("locked") is True and meta.get("solution") is False, meta
    assert meta.get("points", 0) > 0 and meta.get("schema_version") == 3 and meta.get("task") is False, meta
    assert "".join(check_cell["source"]).strip() == f"checks.{name}({name})", check_cell["source"]


def assert_exercise(notebook: str, grade_id: str, name: str, check: Callable, capsys) -> None:
    """The notebook's solution passes ``check``; its student stub fails with "not written yet"."""
    assert_nbgrader_cells(notebook, grade_id, name)
    source = solution_source(notebook, grade_id)
    check(define(source, name))
    assert capsys.readouterr().out.startswith("\N{CHECK MARK}")
    message = failure(check, define(stub_source(source), name))
    assert f"`{name}` is not written yet" in message


@contextlib.contextmanager
def package_allowed() -> Iterator[None]:
    """Checks without their stand-ins, so that the package's own functions can be run through the hand
    cases (while a check runs for a student, those functions fail with "call your own code")."""
    saved = dict(HARDENING)
    HARDENING.update({name: dataclasses.replace(h, forbid=()) for name, h in saved.items()})
    try:
        yield
    finally:
        HARDENING.update(saved)
