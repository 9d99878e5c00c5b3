"""Discussion text built from the numbers a run produced, so prose can never drift from results.

A notebook's "reading the results" cell is code: it formats the recorded values into Markdown and
shows it with :func:`show`. Used by notebooks 01-06.
"""

from __future__ import annotations

from collections.abc import Sequence

from lecturekit.stats import Interval, seed_interval


def show(markdown: str) -> None:
    """Display ``markdown`` as a rendered Markdown output (plain text outside Jupyter)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        print(markdown)
        return
    if get_ipython() is None:
        print(markdown)
    else:
        display(Markdown(markdown))


def mean_pm(values: Sequence[float] | float, digits: int = 3) -> str:
    """``"0.245 ± 0.012 (3 seeds)"`` for per-seed values (std over seeds), ``"0.245"`` for one number."""
    if isinstance(values, int | float):
        return f"{values:.{digits}f}"
    values = [float(v) for v in values]
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    interval = seed_interval(values)
    mean = interval.estimate
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return f"{mean:.{digits}f} ± {std:.{digits}f} ({len(values)} seeds)"


def interval(value: Interval, digits: int = 3) -> str:
    """``"+0.041 [+0.020, +0.063]"``: an estimate and its 95 % interval, signed (for differences)."""
    return f"{value.estimate:+.{digits}f} [{value.low:+.{digits}f}, {value.high:+.{digits}f}]"


def compare(a: str, b: str, diff: Interval, digits: int = 3) -> str:
    """Words for a difference ``a - b`` that respect its interval: better, worse or indistinguishable."""
    if diff.low > 0:
        verdict = f"{a} is ahead of {b}"
    elif diff.high < 0:
        verdict = f"{a} is behind {b}"
    else:
        verdict = f"{a} and {b} cannot be told apart"
    return f"{verdict} ({interval(diff, digits)}, 95 % interval)"
