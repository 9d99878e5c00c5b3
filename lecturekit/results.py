"""The one small results API every notebook records its headline metrics through.

``record(notebook, dataset, method, metric, value, paper=None, *, comparable=False, note="")``
writes a row to ``build/results/<notebook>.json`` (a JSON list of rows). A row is keyed by
(dataset, method, metric, profile): recording it again replaces the old value, so re-running a
notebook never duplicates rows. ``value`` may be one number or a sequence of per-seed numbers,
stored as their mean with ``std``, ``n`` and the raw ``values``.

Every row says whether it can be set beside the paper's number: ``comparable`` is true only when it
measures the same thing on the same data under the same protocol; rows on planted worlds or
stand-in data say no (their ``paper`` number is still shown, for orientation), and ``note`` says
what the number is.

Metric names follow one rule, ``<metric>[/<protocol or stratum>...]`` in lower case, e.g.
``hit-rate``, ``hit-rate/new-query``, ``auroc/degree-matched/cold`` (see :data:`METRIC_NAME`).

Writers are safe together: each write holds an exclusive lock on ``build/results/.lock`` while it
reads, merges and atomically replaces the file (two notebooks, or ``make test`` during
``make run``, never lose each other's rows). ``write_summary()`` renders
``build/results/SUMMARY.md`` (the course profile's headline rows; ``lecturekit.course_site``) from
every results file; an unreadable file is named there and skipped, the rest is still summarised.
The run-all step (``lecturekit run``) calls it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lecturekit.config import get_profile
from lecturekit.paths import build_dir

_KEY = ("dataset", "method", "metric", "profile")
TIMINGS_FILE = "timings.json"  # written by ``lecturekit run`` beside the results; not a results file

# <metric>[/<protocol or stratum>...]: lower-case words joined by '-', with @k, =value, dots, commas
# and brackets allowed inside a part (e.g. ap@50/uniform, improvement/delta=0.4, success/logp=[-2.5,-2]).
METRIC_NAME = re.compile(r"[a-z0-9][a-z0-9@.\-_]*(/[a-z0-9@.=,<>\[\]\-_+]+)*")


class ResultsFileError(ValueError):
    """A results file that cannot be read (named in the message)."""


@dataclass(frozen=True)
class Row:
    """One headline metric of one method, before it is recorded (see :func:`record`).

    ``value`` is one number or the per-seed numbers; ``paper`` the paper's number for orientation;
    ``comparable`` whether ``value`` measures the same as ``paper`` (same data, same protocol).
    """

    dataset: str
    method: str
    metric: str
    value: float | Sequence[float]
    paper: float | None = None
    comparable: bool = False
    note: str = ""


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
    name = _notebook_name(notebook)
    if f"{name}.json" == TIMINGS_FILE:
        raise ValueError(f"argument 'notebook' may not be {notebook!r} (reserved for the run timings)")
    return results_dir() / f"{name}.json"


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of the results file ``path`` (empty when absent); :class:`ResultsFileError` names a corrupt one."""
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsFileError(f"results file {path} is not valid JSON ({err}); delete it and re-run its notebook") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "metric" in r for r in rows):
        raise ResultsFileError(f"results file {path} must hold a JSON list of result rows")
    return rows


def load(notebook: str) -> list[dict[str, Any]]:
    """All rows recorded for ``notebook`` (empty list when none); a corrupt file is an error naming it."""
    return read_rows(results_path(notebook))


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def umask_mode() -> int:
    """The mode a plainly created file gets (``mkstemp`` would leave 0600, unreadable to others)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_row(notebook: str, row: Row, profile: str | None = None) -> dict[str, Any]:
    """The stored form of ``row`` (validated; per-seed values summarised)."""
    for arg in ("dataset", "method", "metric"):
        text = getattr(row, arg)
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"argument {arg!r} must be a non-empty string, got {text!r}")
    if not METRIC_NAME.fullmatch(row.metric):
        raise ValueError(
            f"argument 'metric' is {row.metric!r}; metric names are lower-case '<metric>[/<protocol or stratum>]', "
            "e.g. 'hit-rate/new-query' or 'auroc/degree-matched'"
        )
    if not isinstance(row.comparable, bool):
        raise TypeError(f"argument 'comparable' must be True or False, got {row.comparable!r}")
    if row.comparable and row.paper is None:
        raise ValueError("argument 'comparable' is True but no 'paper' number is given to compare with")
    if not isinstance(row.note, str):
        raise TypeError(f"argument 'note' must be a string, got {row.note!r}")
    stored: dict[str, Any] = {
        "notebook": _notebook_name(notebook),
        "dataset": row.dataset,
        "method": row.method,
        "metric": row.metric,
        "profile": get_profile(profile),
    }
    value = row.value
    if isinstance(value, Sequence) and not isinstance(value, str):
        values = [_finite("value", v) for v in value]
        if not values:
            raise ValueError("argument 'value' is an empty sequence")
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))
        stored.update(value=mean, std=std, n=len(values), values=values)
    else:
        stored["value"] = _finite("value", value)
    stored["paper"] = None if row.paper is None else _finite("paper", row.paper)
    stored["comparable"] = row.comparable
    stored["note"] = row.note.strip()
    return stored


def record_rows(notebook: str, rows: Iterable[Row], *, profile: str | None = None) -> list[dict[str, Any]]:
    """Record several rows of one notebook in one locked write; returns the stored rows."""
    new = [make_row(notebook, row, profile) for row in rows]
    path = results_path(notebook)
    with locked(path.parent):
        keys = {tuple(r[k] for k in _KEY) for r in new}
        kept = [r for r in read_rows(path) if tuple(r.get(k) for k in _KEY) not in keys]
        atomic_write(path, json.dumps(kept + new, indent=1))
    return new


def record(
    notebook: str,
    dataset: str,
    method: str,
    metric: str,
    value: float | Sequence[float],
    paper: float | None = None,
    *,
    comparable: bool = False,
    note: str = "",
    profile: str | None = None,
) -> dict[str, Any]:
    """Record one headline metric; returns the stored row. Used by every notebook."""
    row = Row(dataset, method, metric, value, paper, comparable, note)
    return record_rows(notebook, [row], profile=profile)[0]


def summary_markdown(directory: Path | None = None) -> tuple[str, list[str]]:
    """``SUMMARY.md``'s text and the unreadable files' errors (rendered by ``lecturekit.course_site``)."""
    from lecturekit.course_site import summary_markdown as render

    return render(directory)


def write_summary(directory: Path | None = None) -> tuple[Path, list[str]]:
    """Write ``SUMMARY.md`` beside the results files (``lecturekit.course_site.write_summary``)."""
    from lecturekit.course_site import write_summary as write

    return write(directory)
