"""Student versions of the course notebooks: solutions out, stubs and checks in.

The instructor notebooks mark each exercise the way nbgrader does: the code between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` in a cell whose metadata says
``{"nbgrader": {"solution": true, ...}}``. :func:`student_notebook` applies nbgrader's
``ClearSolutions`` rules to a copy of a notebook, so ``lecturekit student`` (no nbgrader needed) and
``nbgrader generate_assignment`` give students the same code:

- each solution region becomes the stub ``# YOUR CODE HERE`` / ``raise NotImplementedError()``,
  indented like its ``BEGIN`` marker (the function's signature and docstring above it stay);
- a solution cell without markers is replaced whole (code: the stub; Markdown: ``YOUR ANSWER HERE``);
- hidden tests (``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``) and mark schemes are dropped;
- Markdown cells tagged ``quiz-answers`` (the answers to a section's quiz questions) are dropped;
- outputs are cleared.

Where student copies go is guarded: :func:`write_student_versions` refuses the folder of the instructor
notebooks and refuses to overwrite a notebook that holds solutions (an instructor notebook, or a
student's own written answers), naming the file; ``lecturekit lab`` and ``make lab`` write only the
copies that are missing. :func:`published_view` is what the course page's HTML shows by default: the
executed notebook with the solutions stubbed, the quiz answers dropped and the check outputs cleared.

A region outside a solution cell, a nested or an unclosed region is refused, naming the notebook,
the cell and the line: nbgrader would refuse it too, later and less clearly.

Check cells (nbgrader test cells, ``grade: true`` without ``solution``, and cells calling
``lecturekit.checks.<name>(...)``) get the ``raises-exception`` tag in the student version. In a
student's notebook a check *fails* until the exercise is written; with the tag, "Run All" in
JupyterLab, nbclient and nbval carry on past it, and the rest of the notebook (which uses the
package's implementation) still runs. The instructor notebooks stay untagged, so a failing check
there fails the tests. :class:`TagCheckCells` does the same inside ``nbgrader generate_assignment``
(add it to ``c.GenerateAssignment.preprocessors``, as ``README.md`` shows).
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterable
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
BEGIN_MARK_SCHEME, END_MARK_SCHEME = "### BEGIN MARK SCHEME", "### END MARK SCHEME"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's default python stub, verbatim
TEXT_STUB = "YOUR ANSWER HERE"
CHECK_TAG = "raises-exception"
QUIZ_ANSWERS_TAG = "quiz-answers"  # Markdown cells with a section's quiz answers: left out of student copies
_CHECK_CALL = re.compile(r"\bchecks\.[A-Za-z_]\w*\(")


class SolutionMarkerError(ValueError):
    """A solution or hidden-test region that nbgrader could not process; the message names where."""


class StudentCopyError(ValueError):
    """Student copies would overwrite an instructor notebook or a student's work; the message names it."""


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution_cell(cell) -> bool:
    return bool(_nbgrader(cell).get("solution"))


def is_check_cell(cell) -> bool:
    """An exercise check: an nbgrader test cell, or a code cell calling ``lecturekit.checks.<name>(...)``."""
    if cell.get("cell_type") != "code":
        return False
    meta = _nbgrader(cell)
    return bool(meta.get("grade") and not meta.get("solution")) or bool(
        _CHECK_CALL.search(cell.get("source", ""))
    )


def is_quiz_answers(cell) -> bool:
    return cell.get("cell_type") == "markdown" and QUIZ_ANSWERS_TAG in cell.get("metadata", {}).get(
        "tags", []
    )


def _replace_regions(source: str, begin: str, end: str, stub: str | None, where: str) -> tuple[str, bool]:
    """``source`` with each ``begin``...``end`` region replaced by ``stub`` (dropped when None)."""
    kept: list[str] = []
    inside_since: int | None = None
    replaced = False
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if inside_since is not None:
                raise SolutionMarkerError(
                    f"{where}, line {number}: {begin!r} inside the region opened at "
                    f"line {inside_since} (regions cannot nest)"
                )
            inside_since, replaced = number, True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                kept.extend(indent + stub_line for stub_line in stub.split("\n"))
        elif end in line:
            if inside_since is None:
                raise SolutionMarkerError(f"{where}, line {number}: {end!r} without a {begin!r} before it")
            inside_since = None
        elif inside_since is None:
            kept.append(line)
    if inside_since is not None:
        raise SolutionMarkerError(f"{where}, line {inside_since}: {begin!r} is never closed by {end!r}")
    return "\n".join(kept), replaced


def _cell_name(notebook_name: str, index: int, cell) -> str:
    cell_id = cell.get("id")
    return f"{notebook_name}: cell {index}" + (f" (id {cell_id})" if cell_id else "")


def student_notebook(notebook, name: str = "notebook", clear_outputs: bool = True):
    """A student copy of ``notebook`` (an nbformat node, unchanged): solutions stubbed, checks tagged,
    quiz answers dropped.

    ``name`` (e.g. the file name) only appears in error messages; ``clear_outputs=False`` keeps the
    outputs of the cells that are not stubbed (for :func:`published_view`).
    """
    student = copy.deepcopy(notebook)
    student.cells = [cell for cell in student.cells if not is_quiz_answers(cell)]
    for index, cell in enumerate(student.cells):
        where = _cell_name(name, index, cell)
        source = cell.get("source", "")
        stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
        source, replaced = _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, stub, where)
        if replaced and not is_solution_cell(cell):
            raise SolutionMarkerError(
                f"{where}: a {BEGIN_SOLUTION!r} region in a cell whose metadata lacks "
                '{"nbgrader": {"solution": true, ...}}; nbgrader refuses such cells'
            )
        if is_solution_cell(cell) and not replaced:
            source = stub
        source, _ = _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, None, where)
        if cell.cell_type == "markdown":
            source, _ = _replace_regions(source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, None, where)
        cell.source = source
        if cell.cell_type == "code":
            if clear_outputs or is_solution_cell(cell) or is_check_cell(cell):
                cell.outputs, cell.execution_count = [], None
            if is_check_cell(cell):
                tags = cell.metadata.setdefault("tags", [])
                if CHECK_TAG not in tags:
                    tags.append(CHECK_TAG)
    return student


def published_view(notebook):
    """What readers of the course page see of an executed notebook: :func:`student_notebook` keeping the
    outputs of every cell but the stubbed solutions and their checks (whose verdict was the solution's)."""
    return student_notebook(notebook, clear_outputs=False)


def holds_solutions(notebook) -> bool:
    """Whether a notebook holds worked solutions: solution markers, or a solution cell that is not the stub
    (an instructor notebook, or a student's written answers: either is lost if overwritten)."""
    for cell in notebook.cells:
        source = cell.get("source", "")
        if BEGIN_SOLUTION in source:
            return True
        if (
            is_solution_cell(cell)
            and source.strip()
            and "raise NotImplementedError" not in source
            and TEXT_STUB not in source
        ):
            return True
    return False


def _same_folder(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def write_student_versions(paths: Iterable[Path], out_dir: Path, *, only_missing: bool = False) -> list[Path]:
    """Write the student version of each notebook into ``out_dir`` (same file names); return the paths.

    Refused (:class:`StudentCopyError`, nothing written): ``out_dir`` is the folder of an instructor
    notebook, or a target file exists and holds solutions. ``only_missing`` leaves existing copies
    alone (a student's work in progress) and returns only the new ones.
    """
    import nbformat

    from lecturekit.paths import project_root

    paths = list(paths)
    for folder in {p.parent for p in paths} | {project_root() / "notebooks"}:
        if out_dir.exists() and _same_folder(out_dir, folder):
            raise StudentCopyError(
                f"student copies may not go into {out_dir}: it holds the instructor notebooks "
                "(with solutions); give another folder, e.g. --out student"
            )
    targets = [(path, out_dir / path.name) for path in paths]
    if only_missing:
        targets = [(path, target) for path, target in targets if not target.exists()]
    for _, target in targets:
        if target.exists() and holds_solutions(nbformat.read(target, as_version=4)):
            raise StudentCopyError(
                f"{target} exists and holds solutions (an instructor notebook or a student's "
                "answers); it is not overwritten: move it away or choose another --out"
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path, target in targets:
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(student_notebook(notebook, path.name), target)
        written.append(target)
    return written


def solution_regions(notebook) -> int:
    """How many solution regions (and whole solution cells) a notebook has: its exercise count."""
    count = 0
    for cell in notebook.cells:
        regions = cell.get("source", "").count(BEGIN_SOLUTION)
        count += regions or int(is_solution_cell(cell))
    return count


class TagCheckCells(Preprocessor):
    """nbgrader/nbconvert preprocessor: tag check cells ``raises-exception`` (see the module docstring).

    In ``nbgrader_config.py``::

        from lecturekit.classroom import release_preprocessors
        c.GenerateAssignment.preprocessors = release_preprocessors()

    Tags are not part of nbgrader's cell checksums, so autograding is unaffected.
    """

    enabled = Bool(True)  # nbconvert preprocessors are off unless enabled; nbgrader lists only wanted ones

    def preprocess_cell(self, cell, resources, index):
        if is_check_cell(cell):
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if CHECK_TAG not in tags:
                tags.append(CHECK_TAG)
        return cell, resources


class DropQuizAnswers(Preprocessor):
    """nbgrader/nbconvert preprocessor: leave out the Markdown cells tagged ``quiz-answers``."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_quiz_answers(cell)]
        return nb, resources


class StudentView(Preprocessor):
    """nbconvert preprocessor for the course page's HTML: :func:`published_view` of the notebook."""

    enabled = Bool(True)

    def preprocess(self, nb, resources):
        return published_view(nb), resources


GRADING_PROFILE = (
    "quick"  # autograding runs every cell of every submission: seconds per notebook, not minutes
)
GRADING_CELL_TIMEOUT = (
    120  # s per cell; quick cells take seconds, a busy laptop may take several times longer
)


def grading_config(c, root: str | Path = ".") -> None:
    """Configure nbgrader for this course; ``nbgrader_config.py`` calls ``grading_config(get_config())``.

    - the course directory is ``root`` (the folder of ``nbgrader_config.py``);
    - ``generate_assignment`` tags the check cells and drops the quiz answers (:func:`release_preprocessors`);
    - autograding and validation execute in the ``quick`` profile, with a per-cell timeout that fits it,
      and record results and checkpoints under ``<root>/build`` (never the instructor's ``build/``);
    - kernels get encrypted traffic (no "running over TCP without encryption" warning in the logs).
    """
    import zmq

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.GenerateAssignment.preprocessors = release_preprocessors()
    c.Execute.timeout = GRADING_CELL_TIMEOUT
    os.environ["LECTUREKIT_PROFILE"] = GRADING_PROFILE  # the kernels nbgrader starts inherit these
    os.environ["LECTUREKIT_BUILD_DIR"] = str(root / "build")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if zmq.has("curve"):
        c.KernelManager.transport_encryption = "auto"


def release_preprocessors() -> list:
    """nbgrader's ``generate_assignment`` preprocessors, then :class:`TagCheckCells` and :class:`DropQuizAnswers`
    (needs nbgrader)."""
    from nbgrader.converters import GenerateAssignment

    return [*GenerateAssignment.class_traits()["preprocessors"].default(), TagCheckCells, DropQuizAnswers]
