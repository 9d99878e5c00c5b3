"""Notebook 03's record names, typed results and paired comparisons (no training here).

* :data:`METHODS` (record name -> the runner's :class:`~lecturekit.studies.pinsage_runner.Variant`),
  :data:`VISUAL_NEGATIVES`, :data:`SCHEDULE_METHODS`, :data:`METRICS`;
* :class:`RankedRun` (a seed's ranks of every test target per method) and its subclasses
  :class:`PinboardResult`, :class:`BandSweepResult`, :class:`MovieLensResult` with their recorded ``rows()``;
  :class:`ScoreDistribution`;
* :func:`compare` -> :class:`~lecturekit.studies.report.Comparison` rows for ``verdict_table``.

The study that produces them is :mod:`lecturekit.studies.nb03_hard_negatives` (which re-exports them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from lecturekit.results import Row
from lecturekit.stats import paired_bootstrap, seed_interval
from lecturekit.studies.contract import RunResult
from lecturekit.studies.pinsage_runner import PAPER, Variant
from lecturekit.studies.report import Comparison

METHODS: Mapping[str, Variant] = {
    "mean-pooling": Variant(pooling="mean"),
    "mean-pooling-hard": Variant(pooling="mean", hard="curriculum"),
    "mean-pooling-xent": Variant(
        pooling="mean", loss="xent"
    ),  # the paper's ablation: softmax, uniform negatives
    "pinsage": Variant(hard="curriculum"),
    "pinsage-random-only": Variant(),
    "pinsage-no-curriculum": Variant(hard="no-curriculum"),
}
"""The record names of notebook 03 -> the runner's variant (pooling, negative schedule, loss)."""

VISUAL_NEGATIVES = "pinsage-visual-negatives"  # the curriculum from the same K band of the VISUAL kNN ranking
SCHEDULE_METHODS = ("pinsage-random-only", "pinsage", "pinsage-no-curriculum")
"""The three PinSage schedules whose per-epoch validation curves the notebook plots."""

METRICS = ("hit-rate", "mrr-scaled")

_PAPER_PROTOCOL = "the paper's number is Pinterest's (3B pins, hit@500 among 5M candidates, MRR scale 100)"


# ---------------------------------------------------------------------- results
def per_query(ranks: np.ndarray, metric: str, k: int, scale: float) -> np.ndarray:
    """Each test query's contribution to ``metric``: hit@k (0/1) or ``1 / ceil(rank / scale)``."""
    ranks = np.asarray(ranks)
    if metric == "hit-rate":
        return (ranks <= k).astype(float)
    if metric == "mrr-scaled":
        return 1.0 / np.ceil(ranks / scale)
    raise ValueError(f"argument 'metric' must be one of {METRICS}, got {metric!r}")


@dataclass(frozen=True)
class RankedRun(RunResult):
    """A seed's ranks of every test target under several methods (1-based, among all items)."""

    cutoff: int  # K of hit-rate@K
    mrr_scale: float
    ranks: Mapping[str, np.ndarray]

    def value(self, method: str, metric: str) -> float:
        """The headline ``metric`` of ``method`` in this seed."""
        return float(self.per_query(method, metric).mean())

    def per_query(self, method: str, metric: str) -> np.ndarray:
        if method not in self.ranks:
            raise KeyError(f"argument 'method' is {method!r}; this result has {list(self.ranks)}")
        return per_query(self.ranks[method], metric, self.cutoff, self.mrr_scale)

    def _rows(self, dataset: str, methods: Sequence[str], note: str, metric_suffix: str = "") -> list[Row]:
        rows = []
        for method in methods:
            for metric in METRICS:
                paper = (
                    PAPER.get(method, (None, None))[METRICS.index(metric)]
                    if dataset != "pinboard-siblings"
                    else None
                )
                rows.append(
                    Row(
                        dataset,
                        method,
                        metric + metric_suffix,
                        self.value(method, metric),
                        paper=paper,
                        comparable=False,
                        note=note,
                    )
                )
        return rows


@dataclass(frozen=True)
class ScoreDistribution:
    """Scores ``z_q . z`` of held-out queries with their target, random items and band hard negatives."""

    positive: np.ndarray  # (Q,)
    random_negative: np.ndarray  # (Q * 20,)
    hard_negative: np.ndarray  # (Q, H)

    @property
    def hard_above_positive(self) -> float:
        """Share of hard negatives scored at or above the query's target (what the ranking sees)."""
        return float((self.hard_negative >= self.positive[:, None]).mean())


@dataclass(frozen=True)
class PinboardResult(RankedRun):
    """One seed of the Table 1 comparison on the pinboard world (:func:`run_pinboard_seed`)."""

    num_items: int = 0
    num_test_pairs: int = 0
    band: str = ""  # the hard-negative band, in words (HardNegativeSettings.label)
    curves: Mapping[str, Mapping[str, tuple[float, ...]]] = field(
        default_factory=dict
    )  # method -> metric -> epochs
    scores: Mapping[str, ScoreDistribution] = field(default_factory=dict)  # random-only and curriculum models
    top10_relations: tuple[float, ...] = ()  # random-only model's top 10, shares of RELATIONS
    target_relations: tuple[float, ...] = ()  # the true targets, shares of RELATIONS
    num_hard: Mapping[str, tuple[int, ...]] = field(
        default_factory=dict
    )  # method -> hard negatives per epoch
    top10: Mapping[str, tuple[float, ...]] = field(
        default_factory=dict
    )  # pinsage models' top 10, shares of RELATIONS
    content: Mapping[str, tuple[float, ...]] = field(
        default_factory=dict
    )  # sampler -> drawn hard negatives' shares

    @property
    def note(self) -> str:
        return (
            f"planted pinboard world ({self.num_items} pins, {self.num_test_pairs} held-out pairs, hit@{self.cutoff} "
            f"and MRR scale {self.mrr_scale:g} among all pins), not comparable: {_PAPER_PROTOCOL}"
        )

    def rows(self) -> list[Row]:
        return self._rows("pinboard", [m for m in (*METHODS, VISUAL_NEGATIVES) if m in self.ranks], self.note)


@dataclass(frozen=True)
class BandSweepResult(RankedRun):
    """PinSage with the curriculum under each band of ``config.band_sweep`` (keys ``band=<a>k-<b>k``) and
    weighting; ``content``: band key -> shares of :data:`RELATIONS` among the hard negatives it draws."""

    num_items: int = 0
    bands: tuple[tuple[float, float], ...] = ()
    content: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def rows(self) -> list[Row]:
        note = (
            f"planted pinboard world ({self.num_items} pins), pinsage with the curriculum; band=<a>k-<b>k: hard "
            f"negatives from PPR ranks a K..b K (K = {self.cutoff}, the hit-rate cut-off), weighting=separate: "
            f"the max-margin loss with the hard hinge mean added to the random one, hard-weight=<w>: the in-batch "
            f"softmax with each hard negative counted w times; the paper reports none of these sweeps"
        )
        rows = []
        for key in self.ranks:
            for metric in METRICS:
                rows.append(
                    Row(
                        "pinboard",
                        "pinsage",
                        f"{metric}/{key}",
                        self.value(key, metric),
                        comparable=False,
                        note=note,
                    )
                )
        return rows


@dataclass(frozen=True)
class MovieLensResult(RankedRun):
    """One seed of the MovieLens-100K runs (:func:`run_movielens_seed`)."""

    num_items: int = 0
    num_test_pairs: int = 0
    band: tuple[int, int] = (0, 0)

    def rows(self) -> list[Row]:
        note = (
            f"MovieLens-100K ({self.num_items} movies; each user's last movie held out, {self.num_test_pairs} "
            f"pairs; hit@{self.cutoff}, MRR scale {self.mrr_scale:g}), not comparable: {_PAPER_PROTOCOL}"
        )
        return self._rows("movielens-100k", list(self.ranks), note)


# ---------------------------------------------------------------------- paired comparisons
def compare(
    results: Sequence[RankedRun],
    a: str,
    b: str,
    metric: str = "hit-rate",
    *,
    b_results: Sequence[RankedRun] | None = None,
) -> Comparison:
    """``a - b`` on ``metric`` for :func:`~lecturekit.studies.report.verdict_table`: paired by seed (method
    ``a`` in ``results``, ``b`` in ``b_results``, default the same results), with a Student-t 95 % interval
    over the seeds' differences; with one seed, a paired bootstrap over the test queries instead."""
    others = {r.seed: r for r in (results if b_results is None else b_results)}
    seeds = [r.seed for r in results if r.seed in others]
    if not seeds:
        raise ValueError("arguments 'results' and 'b_results' share no seed: nothing to pair")
    mine = {r.seed: r for r in results}
    qa = np.stack([mine[s].per_query(a, metric) for s in seeds])
    qb = np.stack([others[s].per_query(b, metric) for s in seeds])
    if qa.shape != qb.shape:
        raise ValueError(f"{a!r} and {b!r} were ranked on different test queries: {qa.shape} vs {qb.shape}")
    if len(seeds) >= 2:
        return Comparison(a, b, metric, seed_interval(qa.mean(1) - qb.mean(1)), over=f"{len(seeds)} seeds")
    return Comparison(
        a, b, metric, paired_bootstrap(qa[0], qb[0]), over=f"{qa.shape[1]} test queries, one seed"
    )
