"""The runtime line at the top of each notebook, read from ``build/results/timings.json``.

``lecturekit run`` records how long each notebook took (``{"profile": ..., "notebooks": {stem:
{"seconds", "ok", "finished"}}}``; one profile at a time: a run in another profile replaces the
entries). A notebook's opening cell shows :func:`runtime_line` so the student knows what a run costs
before starting one; a profile that was never measured on this machine says "not measured yet"
instead of a guess.
"""

from __future__ import annotations

import json
from pathlib import Path

from lecturekit.config import PROFILES
from lecturekit.results import TIMINGS_FILE, results_dir


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


def measured(notebook: str, path: Path | None = None) -> tuple[str, dict] | None:
    """``(profile, entry)`` of ``notebook`` in ``timings.json``, or ``None`` when absent or unreadable."""
    path = path or results_dir() / TIMINGS_FILE
    try:
        timings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable or half-written: nothing is measured
        return None
    if not isinstance(timings, dict) or not isinstance(timings.get("notebooks"), dict):
        return None
    entry = timings["notebooks"].get(notebook)
    if not isinstance(entry, dict) or not isinstance(entry.get("seconds"), int | float):
        return None
    return str(timings.get("profile")), entry


def runtime_line(notebook: str, path: Path | None = None) -> str:
    """Markdown: the measured runtime of ``notebook`` per profile, "not measured yet" for the others.

    ``notebook`` is the file stem (``"01_recsys_basics"``); ``path`` overrides the timings file (tests).
    """
    found = measured(notebook, path)
    parts = []
    for profile in PROFILES:
        if found and found[0] == profile:
            entry = found[1]
            when = f", {str(entry['finished'])[:10]}" if entry.get("finished") else ""
            failed = "; that run failed" if entry.get("ok") is False else ""
            parts.append(f"`{profile}` {_duration(float(entry['seconds']))} (last `lecturekit run`{when}{failed})")
        else:
            parts.append(f"`{profile}` not measured yet")
    return "**Runtime on this machine:** " + "; ".join(parts) + "."
