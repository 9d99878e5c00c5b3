"""The runtime line at the top of each notebook: this machine's last run, else the committed measurement.

``lecturekit run`` records how long each notebook took in ``build/results/timings.json``
(``{"profile": ..., "notebooks": {stem: {"seconds", "ok", "finished"}}, "by_profile": {...}}``). A
notebook's opening cell shows :func:`runtime_line` so the student knows what a run costs before
starting one: the profile the kernel runs (``LECTUREKIT_PROFILE``) first, then the others. Where this
machine has not run a notebook yet (a fresh checkout, a student's first run), the line quotes the
committed measurement in ``docs/runtimes.json`` (:data:`COMMITTED`: seconds per profile and notebook,
with the machine and date they were measured on), never "not measured yet".
"""

from __future__ import annotations

import json
from pathlib import Path

from lecturekit.config import PROFILES, get_profile
from lecturekit.paths import project_root
from lecturekit.results import TIMINGS_FILE, results_dir

COMMITTED = Path("docs") / "runtimes.json"  # relative to the project root


def _duration(seconds: float) -> str:
    """``"45 s"``, ``"3 min 20 s"``, ``"1 h 05 min"``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def measured(notebook: str, path: Path | None = None) -> dict[str, dict]:
    """``{profile: entry}`` of every profile in which ``notebook`` was run (empty when none or unreadable).

    Reads ``by_profile`` (the last run per profile) and the top-level ``profile``/``notebooks`` pair.
    """
    path = path or results_dir() / TIMINGS_FILE
    try:
        timings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable or half-written: nothing is measured
        return {}
    if not isinstance(timings, dict):
        return {}
    tables = dict(timings.get("by_profile") or {}) if isinstance(timings.get("by_profile"), dict) else {}
    if isinstance(timings.get("notebooks"), dict) and timings.get("profile") in PROFILES:
        tables[timings["profile"]] = timings["notebooks"]
    found = {}
    for profile, table in tables.items():
        entry = table.get(notebook) if isinstance(table, dict) else None
        if profile in PROFILES and isinstance(entry, dict) and isinstance(entry.get("seconds"), int | float):
            found[profile] = entry
    return found


def committed(notebook: str, path: Path | None = None) -> tuple[dict[str, float], str]:
    """``({profile: seconds}, where)`` of ``notebook`` in the committed ``docs/runtimes.json`` (empty if none).

    ``where`` says what measured them ("2-core laptop, 2026-12-05"), from the file's ``measured_on``.
    """
    path = path or project_root() / COMMITTED
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}, ""
    if not isinstance(data, dict) or not isinstance(data.get("seconds"), dict):
        return {}, ""
    found = {}
    for profile, table in data["seconds"].items():
        seconds = table.get(notebook) if isinstance(table, dict) else None
        if profile in PROFILES and isinstance(seconds, int | float) and not isinstance(seconds, bool):
            found[profile] = float(seconds)
    return found, str(data.get("measured_on", ""))


def expected_seconds(notebook: str, profile: str) -> float:
    """How long ``notebook`` is expected to take in ``profile``: this machine's last run, else the committed
    measurement, else 0 (unknown)."""
    entry = measured(notebook).get(profile)
    if entry is not None:
        return float(entry["seconds"])
    return committed(notebook)[0].get(profile, 0.0)


def runtime_line(
    notebook: str, path: Path | None = None, committed_path: Path | None = None, profile: str | None = None
) -> str:
    """Markdown: the runtime of ``notebook`` in the active profile, then in the others that have a number.

    Each profile shows this machine's last ``lecturekit run`` (``timings.json``) or, where this machine
    has none, the committed measurement (:func:`committed`); a profile with neither is left out.
    ``notebook`` is the file stem (``"01_recsys_basics"``); ``path``/``committed_path`` override the two
    files and ``profile`` the active profile (tests).
    """
    active = get_profile(profile)
    found = measured(notebook, path)
    reference, where = committed(notebook, committed_path)
    parts = []
    for name in sorted(PROFILES, key=lambda p: p != active):
        if name in found:
            entry = found[name]
            when = f", {str(entry['finished'])[:10]}" if entry.get("finished") else ""
            failed = "; that run failed" if entry.get("ok") is False else ""
            parts.append(
                f"`{name}` {_duration(float(entry['seconds']))} (this machine's last `lecturekit run`"
                f"{when}{failed})"
            )
        elif name in reference:
            source = f"measured on {where}" if where else "the committed measurement"
            parts.append(f"`{name}` about {_duration(reference[name])} ({source}, `{COMMITTED.as_posix()}`)")
    if not parts:
        return (
            f"**Runtime:** no measurement of this notebook is committed in `{COMMITTED.as_posix()}`; "
            "`lecturekit run` records one."
        )
    return f"**Runtime** (this kernel runs the `{active}` profile): " + "; ".join(parts) + "."
