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
    """``LECTUREKIT_BUILD_DIR`` if set, else ``<project root>/build``; always an absolute path.

    A relative ``LECTUREKIT_BUILD_DIR`` (``~`` expanded) resolves against the project root, not the
    working directory: the driver runs from wherever it is started while each notebook's kernel runs
    in ``notebooks/``, and both must write into the same folder.
    """
    override = os.environ.get("LECTUREKIT_BUILD_DIR", "").strip()
    if not override:
        return project_root() / "build"
    path = Path(override).expanduser()
    return path if path.is_absolute() else project_root() / path


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def list_notebooks(directory: Path | None = None) -> list[Path]:
    """The course notebooks in order (their names start with a two-digit number)."""
    return sorted(p for p in (directory or notebooks_dir()).glob("[0-9][0-9]_*.ipynb"))
