"""Speed measured as ratios within one run (ours vs a naive or reference way); JSON under build/bench/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lecturekit.atomic import atomic_write_text
from lecturekit.paths import build_dir


def write_report(name: str, result: dict[str, Any], echo: bool = True) -> Path:
    """Write ``result`` to ``build/bench/<name>.json`` (and print it); every benchmark ends with this."""
    path = build_dir() / "bench" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=1)
    atomic_write_text(path, text)
    if echo:
        print(text)
    return path
