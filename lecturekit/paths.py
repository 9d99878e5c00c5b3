"""Where the course writes its outputs (``build/``)."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout holding ``pyproject.toml`` (the package's parent), else the working directory."""
    candidate = Path(__file__).resolve().parents[1]
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


def build_dir() -> Path:
    """``LECTUREKIT_BUILD_DIR`` if set, else ``<project root>/build``."""
    override = os.environ.get("LECTUREKIT_BUILD_DIR")
    return Path(override) if override else project_root() / "build"
