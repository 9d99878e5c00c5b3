"""The one small results API every notebook records its headline metrics through.

``record(notebook, dataset, method, metric, value, paper=None)`` writes a row to
``build/results/<notebook>.json`` (a JSON list of rows). A row is keyed by
(dataset, method, metric, profile): recording it again replaces the old value, so re-running a
notebook never duplicates rows. ``value`` may be one number or a sequence of per-seed numbers,
stored as their mean with ``std``, ``n`` and the raw ``values``.

``write_summary()`` renders ``build/results/SUMMARY.md`` from every results file; the run-all
step (``lecturekit run``) calls it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lecturekit.config import get_profile
from lecturekit.paths import build_dir

_KEY = ("dataset", "method", "metric", "profile")


def results_dir() -> Path:
    return build_dir() / "results"


def _notebook_name(notebook: str) -> str:
    if not isinstance(notebook, str) or not notebook.strip():
        raise ValueError(f"argument 'notebook' must be a non-empty string, got {notebook!r}")
    name = Path(notebook).name
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else name


def _finite(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"argument {name!r} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"argument {name!r} must be finite, got {number}")
    return number


def results_path(notebook: str) -> Path:
    return results_dir() / f"{_notebook_name(notebook)}.json"


def load(notebook: str) -> list[dict[str, Any]]:
    """All rows recorded for ``notebook`` (empty list when none)."""
    path = results_path(notebook)
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(rows, list):
        raise ValueError(f"{path} must hold a JSON list of rows")
    return rows


def record(
    notebook: str,
    dataset: str,
    method: str,
    metric: str,
    value: float | Sequence[float],
    paper: float | None = None,
    *,
    note: str | None = None,
    profile: str | None = None,
) -> dict[str, Any]:
    """Record one headline metric; returns the stored row. Used by every notebook."""
    for arg, text in (("dataset", dataset), ("method", method), ("metric", metric)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"argument {arg!r} must be a non-empty string, got {text!r}")
    row: dict[str, Any] = {
        "notebook": _notebook_name(notebook),
        "dataset": dataset,
        "method": method,
        "metric": metric,
        "profile": get_profile(profile),
    }
    if isinstance(value, Sequence) and not isinstance(value, str):
        values = [_finite("value", v) for v in value]
        if not values:
            raise ValueError("argument 'value' is an empty sequence")
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))
        row.update(value=mean, std=std, n=len(values), values=values)
    else:
        row["value"] = _finite("value", value)
    row["paper"] = None if paper is None else _finite("paper", paper)
    if note:
        row["note"] = note

    rows = [r for r in load(notebook) if tuple(r.get(k) for k in _KEY) != tuple(row[k] for k in _KEY)]
    rows.append(row)
    path = results_path(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write atomically so an interrupted notebook never leaves a half-written file.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(rows, tmp, indent=1)
    os.replace(tmp.name, path)
    return row


def _fmt(row: dict[str, Any]) -> str:
    text = f"{row['value']:.4g}"
    if "std" in row:
        text += f" ± {row['std']:.2g} (n={row['n']})"
    return text


def summary_markdown(directory: Path | None = None) -> str:
    """The summary table of every recorded metric beside the paper's number."""
    directory = directory or results_dir()
    lines = [
        "# Course results",
        "",
        "Every headline metric the notebooks recorded, beside the paper's number where one exists.",
        "Values with ± are mean ± standard deviation over seeds.",
        "",
    ]
    files = sorted(p for p in directory.glob("*.json")) if directory.exists() else []
    if not files:
        return "\n".join(lines + ["No results recorded yet.", ""])
    for path in files:
        rows = json.loads(path.read_text())
        lines += [f"## {path.stem}", "", "| dataset | method | metric | ours | paper | profile |", "|---|---|---|---|---|---|"]
        for row in sorted(rows, key=lambda r: (r["dataset"], r["metric"], r["method"])):
            paper = "" if row.get("paper") is None else f"{row['paper']:.4g}"
            lines.append(
                f"| {row['dataset']} | {row['method']} | {row['metric']} | {_fmt(row)} | {paper} | {row['profile']} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_summary(directory: Path | None = None) -> Path:
    """Write ``SUMMARY.md`` beside the results files and return its path."""
    directory = directory or results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "SUMMARY.md"
    path.write_text(summary_markdown(directory))
    return path
