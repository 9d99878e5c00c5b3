"""Notebook 02's record names and typed results (no training here).

* record names: :data:`VARIANTS` (GNN row -> the runner's :class:`~lecturekit.studies.pinsage_runner.Variant`),
  :data:`REFERENCES`, :data:`PINBOARD_METHODS`, :data:`MOVIELENS_METHODS`, :data:`REGIME_METHODS`;
* :class:`SelectionResult` (the validation sweep), :class:`PinboardResult` (Table 1, one seed),
  :class:`MovieLensResult`, each with its recorded ``rows()``;
* :func:`pooled_hits` -- per-query hits of several seeds, paired for :func:`lecturekit.stats.paired_bootstrap`.

The study that produces them is :mod:`lecturekit.studies.nb02_pinsage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.evaluation import STRATA, LookalikeMix, RankingResult
from lecturekit.recsys.pinsage.model import PinSage
from lecturekit.recsys.pinsage.train import TrainHistory
from lecturekit.results import Row
from lecturekit.studies.contract import RunResult
from lecturekit.studies.pinsage_runner import PAPER, ReferenceChoice, Variant

if TYPE_CHECKING:
    from lecturekit.studies.nb02_pinsage import PinSageExperiment

VARIANTS = {
    "pinsage": Variant(hard="curriculum"),
    "pinsage-random-negatives": Variant(),
    "mean-pooling": Variant(pooling="mean"),
    "max-pooling": Variant(pooling="max"),
    # ablations: each undoes one change that made training learn (notebook 02, section 3)
    "pinsage-margin-uniform": Variant(loss="margin"),  # the old loss: max-margin, uniform random negatives
    "pinsage-feature-start": Variant(smoothing_start=False),  # the old start: ranks as combined-feature kNN
}
REFERENCES = ("popularity", "knn-popularity", "importance-smoothed", "oracle")
PINBOARD_METHODS = (
    "popularity",
    "importance-smoothed",
    "knn-popularity",
    "oracle",
    "visual",
    "annotation",
    "combined-knn",
    "combined",
    "pixie",
    "item-cf",
    *VARIANTS,
)
MOVIELENS_METHODS = (
    "popularity",
    "annotation",
    "combined-knn",
    "combined",
    "pixie",
    "item-cf",
    "mean-pooling",
    "max-pooling",
    "pinsage",
    "pinsage-random-negatives",
)
MOVIELENS_VARIANTS = ("pinsage", "pinsage-random-negatives", "mean-pooling", "max-pooling")
REGIME_METHODS = ("pixie", "combined-knn", "combined", "pinsage")
# ``combined`` is the paper's baseline (a 2-layer MLP on the concatenated features, trained with
# PinSage's data and loss: lecturekit.recsys.pinsage.content_mlp); ``combined-knn`` is plain nearest
# neighbours on the concatenation (what the world's feature calibration reads).


def _ranking_rows(
    dataset: str,
    rankings: dict[str, RankingResult],
    methods: tuple[str, ...],
    note: str,
    by_stratum: dict[str, dict[str, RankingResult]] | None = None,
) -> list[Row]:
    rows = []
    for method in methods:
        paper = PAPER.get(method, (None, None)) if dataset == "pinboard" else (None, None)
        parts = [("", rankings[method], paper)]
        parts += [(f"/{name}", r, (None, None)) for name, r in (by_stratum or {}).get(method, {}).items()]
        for suffix, result, ref in parts:
            for metric, value, paper_value in (
                ("hit-rate", result.hit_rate, ref[0]),
                ("mrr-scaled", result.mrr_scaled, ref[1]),
            ):
                rows.append(
                    Row(
                        dataset,
                        method,
                        metric + suffix,
                        value,
                        paper=paper_value,
                        comparable=False,
                        note=note,
                    )
                )
    return rows


_STRATA_NOTE = (
    "; strata: the query's training degree (distinct training boards) new 0, tail 1-2, torso 3-7, "
    "head >= 8, and new-target (target without a training save)"
)


@dataclass(frozen=True)
class SelectionResult(RunResult):
    """The validation sweep of one world (:func:`run_selection`).

    Attributes:
        curves: ``(T, lr)`` -> validation hit-rate after each epoch (PinSage, random negatives).
        top_t, lr, epochs: the chosen setting: the best validation hit-rate over all ``(T, lr)`` and epochs.
        k: the hit-rate cut-off.
        untrained: validation hit-rate of the same PinSage before any training at the chosen ``T`` (the
            smoothing start: it ranks as importance-smoothed with that ``T``'s ``g``): what training has to beat.
        gains: ``T`` -> the smoothing start's ``g`` chosen on validation (:func:`choose_references`).
    """

    curves: dict[tuple[int, float], list[float]]
    top_t: int
    lr: float
    epochs: int
    k: int
    untrained: float
    gains: dict[int, float] = field(default_factory=dict)

    @property
    def best(self) -> float:
        """The chosen setting's best validation hit-rate."""
        return max(self.curves[(self.top_t, self.lr)])

    def apply(self, config: PinSageExperiment) -> PinSageExperiment:
        """``config`` with the chosen ``T``, learning rate and number of epochs."""
        return replace(
            config,
            walks=replace(config.walks, top_t=self.top_t),
            gnn=replace(config.gnn, lr=self.lr, epochs=self.epochs),
        )

    def rows(self) -> list[Row]:
        note = (
            f"validation split of the pinboard world (seed {self.seed}): PinSage with random negatives, "
            f"hit@{self.k} of validation pairs after the best epoch, per neighbourhood size T and learning rate; "
            "the paper's Table 4 sweeps T on Pinterest"
        )
        rows = [
            Row(
                "pinboard-validation",
                "pinsage-random-negatives",
                f"hit-rate/t={t},lr={lr:g}",
                max(curve),
                comparable=False,
                note=note,
            )
            for (t, lr), curve in self.curves.items()
        ]
        rows.append(
            Row(
                "pinboard-validation",
                "pinsage-untrained",
                "hit-rate",
                self.untrained,
                comparable=False,
                note=note + "; the untrained model (smoothing start: ranks as importance-smoothed)",
            )
        )
        rows.append(
            Row(
                "pinboard-validation",
                "pinsage",
                "hit-rate",
                self.best,
                comparable=False,
                note=note + f"; the chosen setting T={self.top_t}, lr={self.lr:g}, {self.epochs} epochs",
            )
        )
        return rows


@dataclass(frozen=True)
class TrainingDiagnosis:
    """What training added to its start on one seed's validation pairs (``pinsage``, the chosen budget).

    Attributes:
        untrained, trained: validation hit-rate of the smoothing start and of the trained model.
        two_hop: the parameter-free smoothing over two hops (its second ``g`` chosen on the same pairs): what
            one more hop of neighbourhood averaging adds without any training.
        moved: ``R`` (feature path) / ``S`` (smoothing path) -> ``||W - W_0|| / ||W_0||``: did training leave its start?
        branch_norm: ``||G2||``, the convolution branch's output layer (0 at the start).
        strata: ``untrained`` / ``trained`` -> validation stratum -> hit-rate.
    """

    untrained: float
    trained: float
    two_hop: float
    moved: dict[str, float]
    branch_norm: float
    strata: dict[str, dict[str, float]]

    @property
    def gain(self) -> float:
        """What training added: trained - untrained validation hit-rate."""
        return self.trained - self.untrained


@dataclass(frozen=True)
class PinboardResult(RunResult):
    """One seed of the pinboard comparison (every test pair, ranked once).

    Attributes:
        k, scale: hit-rate@k and the scaled-MRR scale (:func:`ranking_cutoffs` of the catalogue).
        rankings: method -> ranks of the test targets (:data:`PINBOARD_METHODS`).
        strata: method -> stratum (:data:`~lecturekit.recsys.pinsage.evaluation.STRATA`) -> ranks.
        lookalike: ``visual`` / ``pinsage`` -> where the top-10 neighbours of sampled pins fall.
        histories: GNN method -> training history (losses per step).
        feature_strength: the world's calibrated feature strength.
        task: the seed's world and split (``task.extra["world"]``, ``task.extra["split"]``).
        pinsage: the trained PinSage model; embeddings: its layer-wise embeddings on the test graph.
        diagnosis: what training added to the smoothing start on the validation pairs (:class:`TrainingDiagnosis`).
    """

    k: int
    scale: float
    num_pins: int
    rankings: dict[str, RankingResult]
    strata: dict[str, dict[str, RankingResult]]
    lookalike: dict[str, LookalikeMix]
    histories: dict[str, TrainHistory]
    feature_strength: float
    task: RelatedItemTask
    pinsage: PinSage
    embeddings: Tensor
    references: ReferenceChoice
    diagnosis: TrainingDiagnosis

    @property
    def validation(self) -> dict[str, float]:
        """``pinsage-untrained`` (the smoothing start) and ``pinsage`` hit-rate on the validation pairs."""
        return {"pinsage-untrained": self.diagnosis.untrained, "pinsage": self.diagnosis.trained}

    def rows(self) -> list[Row]:
        note = (
            f"planted pinboard world ({self.num_pins} pins; train / validation / test by save time, every test pair; "
            "graph methods on the training graph grown by the new pins' saves made before the test window; "
            f"references' settings chosen on validation): hit@{self.k} and scaled MRR "
            f"(scale {self.scale:g}) among all {self.num_pins} pins; budget chosen on validation; the paper's "
            "numbers are on Pinterest's data with 5M candidates, hit@500 and scale 100, shown for orientation "
            "only" + _STRATA_NOTE
        )
        return _ranking_rows("pinboard", self.rankings, PINBOARD_METHODS, note, self.strata)


@dataclass(frozen=True)
class MovieLensResult(RunResult):
    """One seed of the MovieLens-100K comparison (``rankings``: method -> ranks, :data:`MOVIELENS_METHODS`)."""

    k: int
    scale: float
    num_items: int
    rankings: dict[str, RankingResult]
    strata: dict[str, dict[str, RankingResult]] = field(default_factory=dict)

    def rows(self) -> list[Row]:
        note = (
            f"MovieLens-100K, pairs = movies one user rated consecutively, each user's last rating held out; "
            f"hit@{self.k} and scaled MRR (scale {self.scale:g}) among all {self.num_items} movies; the GNN "
            "budget is fixed (not validated); the paper reports no MovieLens number" + _STRATA_NOTE
        )
        return _ranking_rows("movielens-100k", self.rankings, MOVIELENS_METHODS, note, self.strata)


def pooled_hits(
    results: list[PinboardResult] | list[MovieLensResult], method: str, stratum: str | None = None
) -> Tensor:
    """1.0 / 0.0 per held-out query of every seed (in the order of ``results``): was ``method``'s
    target in its top ``k``? Two methods' vectors are paired query by query (for
    :func:`lecturekit.stats.paired_bootstrap`). ``stratum`` restricts to one stratum of :data:`STRATA`."""
    if not results:
        raise ValueError("argument 'results' is empty")
    if stratum is not None and stratum not in STRATA:
        raise ValueError(f"argument 'stratum' must be one of {STRATA}, got {stratum!r}")
    parts = []
    for r in results:
        ranking = r.rankings[method] if stratum is None else r.strata[method].get(stratum)
        if ranking is not None:
            parts.append((ranking.ranks <= r.k).double())
    return torch.cat(parts) if parts else torch.zeros(0, dtype=torch.double)
