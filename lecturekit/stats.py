"""Intervals for every difference the notebooks discuss: over seeds, and paired bootstrap over queries.

Used by notebooks 01-06 and the scripts under ``benchmarks/`` and ``experiments/``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _scipy_stats


@dataclass(frozen=True)
class Interval:
    """An estimate with a two-sided interval at ``level`` (e.g. 0.95)."""

    estimate: float
    low: float
    high: float
    level: float = 0.95
    n: int = 0

    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def __format__(self, spec: str) -> str:
        spec = spec or ".3f"
        return f"{self.estimate:{spec}} [{self.low:{spec}}, {self.high:{spec}}]"


def _values(name: str, values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 0:
        raise ValueError(f"argument {name!r} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"argument {name!r} holds non-finite values")
    return array


def seed_interval(values: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean over seeds with a Student-t interval (a single seed gives a zero-width interval)."""
    x = _values("values", values)
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, mean, mean, level, int(x.size))
    half = float(_scipy_stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, level, int(x.size))


def bootstrap_mean(
    values: Sequence[float] | np.ndarray, *, num_resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> Interval:
    """Mean with a percentile bootstrap interval (resampling the items, e.g. queries or side effects)."""
    x = _values("values", values)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(num_resamples, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [0.5 - level / 2, 0.5 + level / 2])
    return Interval(float(x.mean()), float(lo), float(hi), level, int(x.size))


def paired_bootstrap(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    num_resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """Mean of ``a - b`` over paired items (the same queries scored by two methods), bootstrap interval."""
    x, y = _values("a", a), _values("b", b)
    if x.shape != y.shape:
        raise ValueError(f"paired arguments 'a' and 'b' differ in length: {x.size} vs {y.size}")
    return bootstrap_mean(x - y, num_resamples=num_resamples, seed=seed, level=level)
