"""Checks for notebook 03's exercises (see `lecturekit.checks.base` for the contract).

Each public check is listed in ``__all__``; ``lecturekit.checks`` re-exports it, so a check cell reads
``lecturekit.checks.<name>(student_function)``.
"""

from __future__ import annotations

__all__: list[str] = []
