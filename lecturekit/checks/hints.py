"""Hints for the exercise checks of notebooks 01, 04, 05 and 06: say *why* a hand case differs.

:func:`explained` builds a :class:`~lecturekit.checks.base.Case` ``check`` that compares the student's
result with the hand-computed value in the base's words (wrong type, wrong shape, NaN, "differs at
[0, 1]: expected 0.5, got 1") and, when only the values are wrong, first asks a list of *diagnoses*
-- small functions that recognise one known mistake from the result alone ("the diagonal is not
zero", "a seen item was ranked") and return a sentence, or ``None``. A diagnosis names the mistake
and the rule that was broken, never the code that fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lecturekit.checks.base import differences

Diagnosis = Callable[[Any], "str | None"]


def as_numpy(value: Any) -> np.ndarray:
    """A torch tensor, numpy array or number as a float numpy array (detached, on the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def explained(
    expected: Any, *diagnoses: Diagnosis, rtol: float = 1e-5, atol: float = 1e-6
) -> Callable[[Any], str | None]:
    """A ``Case.check`` (use with ``expected=ANY``): ``None`` when ``got`` matches ``expected``.

    Otherwise the base's description of the difference, preceded by the first diagnosis that
    recognises the mistake. Diagnoses run only when type and shape are right, so they may index
    the result freely.
    """

    def check(got: Any) -> str | None:
        problem = differences(expected, got, rtol=rtol, atol=atol)
        if problem is None or not problem.startswith("differs"):
            return problem
        for diagnose in diagnoses:
            hint = diagnose(got)
            if hint:
                return f"{hint}; {problem}"
        return problem

    return check


def equals(value: float, got: Any, atol: float = 1e-6) -> bool:
    """Whether the single number ``got`` is ``value`` (a diagnosis helper: "got the unmasked answer")."""
    array = as_numpy(got)
    return array.size == 1 and bool(np.isclose(array.item(), value, rtol=1e-5, atol=atol))
