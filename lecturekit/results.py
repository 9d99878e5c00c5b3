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
``make run``, never lose each other's rows). ``lecturekit.course_site.write_summary()`` renders
``build/results/SUMMARY.md`` (the course profile's headline rows) from
every results file; an unreadable file is named there and skipped, the rest is still summarised.
The run-all step (``lecturekit run``) calls it.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from lecturekit.atomic import atomic_write_text
from lecturekit.config import get_profile
from lecturekit.paths import build_dir

atomic_write = atomic_write_text  # the name callers used before lecturekit.atomic existed
LOCK_TIMEOUT_S = (
    600  # a writer holds the lock for milliseconds (MathJax's copy: seconds); longer means a stale lock
)

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
    """The rows of the results file ``path`` (empty when absent).

    :class:`ResultsFileError` names the file -- and the row and key -- when it cannot be used: not a
    readable file (a folder, no permission), not UTF-8 JSON (or nested too deeply to parse), not a
    list of rows, or a row whose key is missing or of the wrong kind (see :func:`check_row`).
    """
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ResultsFileError(
            f"results file {path} is not valid JSON ({err}); delete it and re-run its notebook"
        ) from None
    except RecursionError:
        raise ResultsFileError(
            f"results file {path} is nested too deeply to read; delete it and re-run its notebook"
        ) from None
    except OSError as err:
        raise ResultsFileError(f"results file {path} cannot be read ({err.strerror or err})") from None
    if not isinstance(rows, list):
        raise ResultsFileError(
            f"results file {path} must hold a JSON list of result rows, found a {type(rows).__name__}"
        )
    for index, row in enumerate(rows):
        problem = check_row(row)
        if problem:
            raise ResultsFileError(
                f"results file {path}, row {index}: {problem}; fix or delete the file and re-run its notebook"
            )
    return rows


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_row(row: Any) -> str:
    """What is wrong with a stored row (``""`` when nothing): every key a reader uses, checked by kind."""
    if not isinstance(row, dict):
        return f"a row must be a JSON object, found {type(row).__name__}"
    for key in ("dataset", "method", "metric"):
        if key not in row:
            return f"key {key!r} is missing"
        if not isinstance(row[key], str) or not row[key].strip():
            return f"key {key!r} must be a non-empty string, found {row[key]!r}"
    if "value" not in row:
        return "key 'value' is missing"
    if not _is_number(row["value"]):
        return f"key 'value' must be a finite number, found {row['value']!r}"
    for key in ("std", "paper"):
        if row.get(key) is not None and not _is_number(row[key]):
            return f"key {key!r} must be a finite number, found {row[key]!r}"
    if "std" in row and (not isinstance(row.get("n"), int) or isinstance(row.get("n"), bool) or row["n"] < 1):
        return f"key 'n' must be a positive integer beside 'std', found {row.get('n', '<missing>')!r}"
    if "values" in row and not (
        isinstance(row["values"], list) and all(_is_number(v) for v in row["values"])
    ):
        return "key 'values' must be a list of finite numbers"
    if "comparable" in row and not isinstance(row["comparable"], bool):
        return f"key 'comparable' must be true or false, found {row['comparable']!r}"
    for key in ("note", "profile", "notebook"):
        if key in row and not isinstance(row[key], str):
            return f"key {key!r} must be a string, found {row[key]!r}"
    return ""


def read_sweep(path: Path) -> dict[str, Any]:
    """A study output of ``python -m experiments.seeds`` (``build/experiments/<app>-<profile>.json``), checked.

    Returns the payload (``app``, ``profile``, ``seeds``, ``metrics``: one dict per (dataset,
    method, metric) with per-seed ``values``, ``mean`` and ``ci95``). A file cut short by an
    interrupted sweep, one of an older format, or one with a key of the wrong kind is a
    :class:`ResultsFileError` naming the file and the key; a missing file is ``FileNotFoundError``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"study output {path} does not exist; run `python -m experiments.seeds` to make it"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError, OSError) as err:
        raise ResultsFileError(
            f"study output {path} cannot be read ({type(err).__name__}: {err}); "
            "re-run the sweep that wrote it"
        ) from None
    problem = _sweep_problem(payload)
    if problem:
        raise ResultsFileError(f"study output {path}: {problem}; re-run the sweep that wrote it")
    return payload


def _sweep_problem(payload: Any) -> str:
    """What is wrong with a study output's payload (``""`` when nothing)."""
    if not isinstance(payload, dict):
        return f"must hold a JSON object, found {type(payload).__name__}"
    for key, kind in (("app", str), ("profile", str), ("seeds", list), ("metrics", list)):
        if not isinstance(payload.get(key), kind):
            return f"key {key!r} must be a {kind.__name__}, found {payload.get(key, '<missing>')!r}"
    for index, entry in enumerate(payload["metrics"]):
        problem = check_row({**entry, "value": entry.get("mean")} if isinstance(entry, dict) else entry)
        if problem:
            return f"metrics[{index}]: {problem.replace(repr('value'), repr('mean'))}"
        values, interval = entry.get("values"), entry.get("ci95")
        if not isinstance(values, list) or not values or not all(_is_number(v) for v in values):
            return f"metrics[{index}]: key 'values' must be a non-empty list of finite numbers"
        if not (isinstance(interval, list) and len(interval) == 2 and all(_is_number(v) for v in interval)):
            return f"metrics[{index}]: key 'ci95' must be a [low, high] pair of finite numbers, found {interval!r}"
    return ""


def load(notebook: str) -> list[dict[str, Any]]:
    """All rows recorded for ``notebook`` (empty list when none); a corrupt file is an error naming it."""
    return read_rows(results_path(notebook))


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold the exclusive lock ``directory/.lock`` (``filelock``: works on Linux, macOS and Windows)."""
    directory.mkdir(parents=True, exist_ok=True)
    lock = FileLock(directory / ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except Timeout:
        raise TimeoutError(
            f"waited {LOCK_TIMEOUT_S} s for the lock {directory / '.lock'}; if no other lecturekit process "
            "is running, delete that file"
        ) from None
    try:
        yield
    finally:
        lock.release()


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
        atomic_write_text(path, json.dumps(kept + new, indent=1))
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
