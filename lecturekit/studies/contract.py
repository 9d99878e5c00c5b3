"""One shape for every application: config -> ``run_seed`` -> typed result -> ``record``.

Each notebook's study module (``lecturekit/studies/nbNN_*.py``) defines

* a **frozen dataclass config** (one per application) whose defaults are the ``course`` profile,
  with a one-line reason beside each non-obvious size, and a :class:`Profiles` built from it by
  ``dataclasses.replace`` (``quick`` for CI, ``full`` for paper scale)::

      COURSE = PinSageExperiment()
      PROFILES = Profiles(quick=replace(COURSE, num_pins=2_000), course=COURSE,
                          full=replace(COURSE, num_pins=100_000))
      config = PROFILES.get()            # follows LECTUREKIT_PROFILE

* ``run_seed(config, seed) -> <App>Result``: one seed, end to end (world, split, training,
  evaluation). It owns its random streams -- it runs inside :func:`lecturekit.seed.seeded` and draws from
  :func:`lecturekit.seed.torch_stream` / :func:`lecturekit.seed.numpy_stream` -- so its result never depends on which notebook
  cells ran before, and it never reseeds an object passed in;
* ``<App>Result``: a frozen dataclass subclassing :class:`RunResult` with typed fields, whose
  :meth:`RunResult.rows` lists its headline metrics as :class:`~lecturekit.results.Row` objects
  named ``<metric>[/<protocol or stratum>]`` (e.g. ``hit-rate/new-query``);
* :func:`record_runs` records the rows of several seeds at once (per-seed values, mean and std).

Used by every notebook.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from tqdm.auto import tqdm

from lecturekit.config import get_profile
from lecturekit.results import Row, record_rows

C = TypeVar("C")
R = TypeVar("R", bound="RunResult")

_MUTABLE = (dict, list, set, bytearray)


def check_frozen(config: Any, where: str = "config") -> None:
    """Refuse a config that could be edited after it is built (non-frozen dataclass, dict or list fields)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"{where} must be a dataclass instance, got {type(config).__name__}")
    if not type(config).__dataclass_params__.frozen:  # type: ignore[attr-defined]
        raise TypeError(f"{where} ({type(config).__name__}) must be a frozen dataclass")
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if isinstance(value, _MUTABLE):
            raise TypeError(
                f"{where}.{field.name} is a {type(value).__name__}; use a tuple or a frozen dataclass"
            )
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            check_frozen(value, f"{where}.{field.name}")
        if isinstance(value, tuple):
            for i, item in enumerate(value):
                if isinstance(item, _MUTABLE):
                    raise TypeError(f"{where}.{field.name}[{i}] is a {type(item).__name__}; use a tuple")


@dataclass(frozen=True)
class Profiles(Generic[C]):
    """The ``quick`` / ``course`` / ``full`` configs of one application (all of one frozen type)."""

    quick: C
    course: C
    full: C

    def __post_init__(self) -> None:
        kind = type(self.course)
        for name in ("quick", "course", "full"):
            value = getattr(self, name)
            check_frozen(value, name)
            if type(value) is not kind:
                raise TypeError(f"profile {name!r} is a {type(value).__name__}, expected {kind.__name__}")

    def get(self, profile: str | None = None) -> C:
        """The config of ``profile`` (default: the active profile, see :func:`lecturekit.get_profile`)."""
        return getattr(self, get_profile(profile))


@dataclass(frozen=True)
class RunResult:
    """Base of every application's typed result of one seed; subclasses add typed fields."""

    seed: int
    seconds: float
    #: Metric prefixes a seed leaves out where the quantity is undefined in it (e.g. a diversity over no hits);
    #: :func:`collect_rows` merges them over the seeds that have them and says which.
    partial_metrics: ClassVar[tuple[str, ...]] = ()

    def rows(self) -> list[Row]:
        """The headline metrics of this run (metric names ``<metric>[/<protocol or stratum>]``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement rows()")


def run_seeds(
    run_seed: Callable[[C, int], R],
    config: C,
    seeds: Sequence[int],
    *,
    desc: str = "seeds",
    progress: bool = True,
) -> list[R]:
    """``[run_seed(config, s) for s in seeds]`` with a progress bar; seeds must be distinct."""
    if len(set(seeds)) != len(seeds) or not seeds:
        raise ValueError(f"argument 'seeds' must be distinct and non-empty, got {list(seeds)}")
    out = []
    for seed in tqdm(list(seeds), desc=desc, disable=not progress):
        start = time.perf_counter()
        result = run_seed(config, seed)
        if not isinstance(result, RunResult):
            raise TypeError(f"run_seed returned a {type(result).__name__}, expected a RunResult")
        out.append(result)
        if progress:
            tqdm.write(f"seed {seed}: {time.perf_counter() - start:.1f} s")
    return out


def collect_rows(results: Sequence[RunResult]) -> list[Row]:
    """Merge the rows of several seeds: one :class:`Row` per (dataset, method, metric) with per-seed values.

    A metric missing from some seeds is an error naming it (a result must not depend on which seeds happened to
    produce it), unless it starts with one of the results' ``partial_metrics``: then its values are those of the
    seeds that have it, and its note ends with ``defined in k of n seeds (...)``. A paper number, comparability
    or note that differs between seeds is an error too.
    """
    seeds = [r.seed for r in results]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"results repeat a seed: {seeds}")
    partial = {prefix for r in results for prefix in r.partial_metrics}
    merged: dict[tuple[str, str, str], list[tuple[int, Row]]] = {}
    for result in sorted(results, key=lambda r: r.seed):
        for row in result.rows():
            merged.setdefault((row.dataset, row.method, row.metric), []).append((result.seed, row))
    out = []
    for key, found in merged.items():
        rows = [row for _, row in found]
        first = rows[0]
        for row in rows[1:]:
            if (row.paper, row.comparable, row.note) != (first.paper, first.comparable, first.note):
                raise ValueError(f"{'/'.join(key)}: paper, comparable or note differ between seeds")
        values = [float(r.value) for r in rows]  # type: ignore[arg-type]
        if len(rows) == len(results):
            out.append(dataclasses.replace(first, value=values if len(values) > 1 else values[0]))
        elif any(key[2].startswith(prefix) for prefix in partial):
            which = ", ".join(str(seed) for seed, _ in found)
            note = f"{first.note}; defined in {len(rows)} of {len(results)} seeds ({which})"
            out.append(dataclasses.replace(first, value=values, note=note.lstrip("; ")))
        else:
            raise ValueError(f"{'/'.join(key)} was produced by {len(rows)} of {len(results)} seeds")
    return out


def record_runs(notebook: str, results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """Record the merged rows of ``results`` (one per seed) under ``notebook``; returns the stored rows."""
    return record_rows(notebook, collect_rows(results))
