"""No discussion cell hard-codes a number that a run produces (it would drift from the results).

The lecture's argument is Markdown written by a teacher; the run's numbers appear only in computed tables
and plots. Numbers in Markdown cells -- decimals, percentages, "N of M" and "N/M seeds" counts -- must be
fixed facts that no run of ours produces (a paper's number, a dataset's published size, a constant of a
formula). Fixed facts are declared in the cell's metadata, so every exception is explicit::

    {"lecturekit": {"fixed_numbers": ["0.872", "964"]}}

Math (``$...$``) and code spans are not prose and are skipped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

_SKIP = re.compile(r"\$\$.*?\$\$|\$[^$\n]*\$|`[^`\n]*`", re.S)
_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?\s?%"  # 22 %, 75%
    r"|\d*\.\d+"  # 0.745, .93
    r"|\d+ of \d+"  # 9 of 10
    r"|\d+\s?/\s?\d+ seeds)"  # 12/12 seeds
)


def prose_numbers(markdown: str) -> list[str]:
    """The run-like numbers in ``markdown`` outside math and code spans."""
    text = _SKIP.sub(" ", markdown)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets (arXiv ids, versions)
    return [m.group(1).replace(" ", "") for m in _NUMBER.finditer(text)]


def test_the_detector_finds_run_numbers():
    assert prose_numbers("Decagon (0.745 ± 0.007) beats it in 9 of 10 seeds; 22 % of targets") == [
        "0.745",
        "0.007",
        "9of10",
        "22%",
    ]
    assert (
        prose_numbers("the weight $d^{0.75}$ and `lr=3e-3`, [paper](https://arxiv.org/abs/1806.01973)") == []
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_markdown_cells_quote_no_run_numbers(path):
    offenders = []
    for index, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        fixed = [
            str(x).replace(" ", "")
            for x in cell.get("metadata", {}).get("lecturekit", {}).get("fixed_numbers", [])
        ]
        found = prose_numbers(source)
        unused = [x for x in fixed if x not in found]
        assert not unused, f"{path.name} cell {index} declares fixed numbers it does not contain: {unused}"
        offenders += [f"cell {index}: {x}" for x in found if x not in fixed]
    assert not offenders, (
        f"{path.name}: numbers in Markdown that a run may produce; show them in a computed table "
        f"(lecturekit.studies.report.verdict_table) or declare true fixed facts in the cell metadata: {offenders}"
    )


_SEED_CLAIM = re.compile(
    r"\d+\s?/\s?\d+ seeds|\d+ of \d+ seeds|in every seed|in all seeds|\(\d+ seeds\)|over \d+ seeds"
)


@pytest.mark.parametrize("name", ["README.md", "docs/NOTES.md"])
def test_docs_quote_no_multi_seed_results(name):
    """Multi-seed claims live in notebook runs or in experiments/ outputs, never typed into the docs."""
    text = (ROOT / name).read_text(encoding="utf-8")
    claims = [m.group(0) for m in _SEED_CLAIM.finditer(text)]
    assert not claims, (
        f"{name} quotes multi-seed results {claims}; cite the notebook or experiments/seeds.py output"
    )


# ---- the course shape: no code writes prose, short code cells, a training step, quizzes ---------------------
_PROSE_CALLS = re.compile(r"(?<![.\w])(Markdown|display_markdown|show)\(|\.report\.show\(")
MAX_CODE_LINES = 30


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_writes_prose_or_runs_long(path):
    for index, cell in enumerate(_cells(path)):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        assert not _PROSE_CALLS.search(source), f"{path.name} cell {index} renders prose from code"
        assert len(source.splitlines()) <= MAX_CODE_LINES, (
            f"{path.name} cell {index} has over 30 lines of code"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_training_step_is_written_out_and_quizzes_have_answer_cells(path):
    code = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code"]
    assert any(".backward()" in c and ".step()" in c for c in code), (
        f"{path.name} writes out no training step"
    )
    tagged = [c for c in _cells(path) if "quiz-answers" in c.get("metadata", {}).get("tags", [])]
    assert tagged and all(c["cell_type"] == "markdown" for c in tagged), (
        f"{path.name} has no quiz-answer cells"
    )
