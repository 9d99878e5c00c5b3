"""The computed side of a notebook's discussion: tables of comparisons with intervals and verdict words.

Every verdict of the course is made by :func:`verdict_table` (one rule, tested once): a comparison
``a - b`` on a metric is *ahead* when its 95 % interval lies above zero, *behind* when it lies below,
*cannot be told apart* when it straddles zero, and *no interval* when there is none (one seed, no
paired items). The argument around the table -- what the paper claims, how to read each row -- is
Markdown written by a teacher in the notebook. Used by notebooks 01-06.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from lecturekit.stats import Interval

AHEAD, BEHIND, TIED, NO_INTERVAL = "ahead", "behind", "cannot be told apart", "no interval"


@dataclass(frozen=True)
class Comparison:
    """One difference a section discusses: ``a - b`` on ``metric``, with its interval."""

    a: str
    b: str
    metric: str
    diff: Interval
    over: str = ""  # what the interval resamples: "seeds", "test users", "side effects", ...


def verdict(diff: Interval) -> str:
    """The verdict word for a difference ``a - b``: the course's only rule for calling a winner."""
    if diff.low == diff.high:
        return NO_INTERVAL
    if diff.low > 0:
        return AHEAD
    if diff.high < 0:
        return BEHIND
    return TIED


def verdict_table(comparisons: Iterable[Comparison], digits: int = 3) -> pd.DataFrame:
    """A table of ``comparisons``: a, b, metric, difference, 95 % interval, over, verdict (of ``a``)."""
    rows = []
    for c in comparisons:
        if not isinstance(c, Comparison):
            raise TypeError(f"verdict_table takes Comparison objects, got {type(c).__name__}")
        rows.append(
            {
                "a": c.a,
                "b": c.b,
                "metric": c.metric,
                "a - b": round(c.diff.estimate, digits),
                "95 % interval": f"[{c.diff.low:+.{digits}f}, {c.diff.high:+.{digits}f}]",
                "over": c.over or f"n = {c.diff.n}",
                "verdict": verdict(c.diff),
            }
        )
    return pd.DataFrame(rows, columns=["a", "b", "metric", "a - b", "95 % interval", "over", "verdict"])
