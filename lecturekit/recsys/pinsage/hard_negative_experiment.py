"""Notebook 03's experiments in the course's one shape: frozen config -> ``run_seed`` -> typed result -> rows.

One config, :class:`HardNegativesConfig` (defaults = the ``course`` profile; :data:`PROFILES`), serves
four experiments, each with its own ``run_seed`` and result type:

* :func:`run_pinboard_seed` -> :class:`PinboardResult`: the six methods of the paper's Table 1 on the
  planted pinboard world (per-epoch curves of the three PinSage schedules, and the score and top-10
  diagnostics of the random-only and curriculum models);
* :func:`run_band_sweep_seed` -> :class:`BandSweepResult`: PinSage with the curriculum under other
  rank bands (paired with :func:`run_pinboard_seed` of the same seed: same world, walks,
  initialisation, batches and evaluation neighbourhoods);
* :func:`run_sibling_seed` -> :class:`SiblingResult`: the small planted sibling world;
* :func:`run_movielens_seed` -> :class:`MovieLensResult`: MovieLens-100K.

:func:`band_anatomy` describes what the PPR ranking holds (no training). :func:`compare` gives the
paired differences the notebook discusses: per seed (wins, ``seed_interval``) and per test query
(``paired_bootstrap``). Every run owns its random streams (``seeded``, ``derive_seed``): within a
seed all models start from the same initialisation and see the same batches and bands, and no
model's result depends on which other models were trained before it.

Shared with notebook 02's experiment module (candidates for one shared helper later): building the
walk sampler of a task and embedding every item layer-wise with a fixed neighbourhood table
(:func:`evaluation_tables`, :func:`embed`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from lecturekit import checkpoints
from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.pinboard import Pinboard, make_pinboard
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.evaluation import embedding_scorer, evaluate_related, ranking_cutoffs
from lecturekit.recsys.pinsage.inference import layerwise_embeddings
from lecturekit.recsys.pinsage.loss import WEIGHTINGS, max_margin_loss
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.negatives import (
    RELATIONS,
    HardNegativeConfig,
    HardNegativeSampler,
    band_overlap,
    check_relative_band,
    relation_to_query,
    resolve_band,
    score_distributions,
    sibling_task,
)
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import TrainConfig, neighbor_fn, train_pinsage
from lecturekit.recsys.pinsage.xent import xent_loss
from lecturekit.results import Row
from lecturekit.seed import derive_seed, seeded
from lecturekit.stats import Interval, paired_bootstrap, seed_interval
from lecturekit.studies.contract import Profiles, RunResult
from lecturekit.studies.report import interval
from lecturekit.threads import torch_threads

NOTEBOOK = "03_hard_negatives"

METHODS: Mapping[str, Mapping[str, str]] = {
    "mean-pooling": {"pooling": "mean", "schedule": "random-only", "loss": "max-margin"},
    "mean-pooling-hard": {"pooling": "mean", "schedule": "curriculum", "loss": "max-margin"},
    "mean-pooling-xent": {"pooling": "mean", "schedule": "random-only", "loss": "xent"},
    "pinsage": {"pooling": "importance", "schedule": "curriculum", "loss": "max-margin"},
    "pinsage-random-only": {"pooling": "importance", "schedule": "random-only", "loss": "max-margin"},
    "pinsage-no-curriculum": {"pooling": "importance", "schedule": "no-curriculum", "loss": "max-margin"},
}
"""The record names of notebook 03 (issue #12) -> (pooling, negative schedule, loss)."""

SCHEDULE_METHODS = ("pinsage-random-only", "pinsage", "pinsage-no-curriculum")
"""The three PinSage schedules whose per-epoch curves the notebook plots."""

METRICS = ("hit-rate", "mrr-scaled")

PAPER: Mapping[str, Mapping[str, float]] = {
    "mean-pooling": {"hit-rate": 0.41, "mrr-scaled": 0.51},
    "mean-pooling-xent": {"hit-rate": 0.29, "mrr-scaled": 0.35},
    "mean-pooling-hard": {"hit-rate": 0.46, "mrr-scaled": 0.56},
    "pinsage": {"hit-rate": 0.67, "mrr-scaled": 0.59},
}
"""Table 1 of Ying et al. (KDD 2018): hit-rate@500 among 5M candidates of 3B Pinterest pins, MRR scale 100."""

_PAPER_PROTOCOL = "the paper's number is Pinterest's (3B pins, hit@500 among 5M candidates, MRR scale 100)"


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class TrainingConfig:
    """PinSage model and optimisation settings shared by every method of one experiment."""

    epochs: int = 6  # the random-only curves have flattened by then
    steps_per_epoch: int = 30
    batch_size: int = 128
    num_negatives: int = 64  # random negatives shared by the batch
    lr: float = 3e-3
    hidden_dim: int = 32
    top_t: int = 10  # importance-neighbourhood size T
    num_walks: int = 50  # neighbourhood walks per item (the sampler's default)
    walk_length: int = 2
    hard_weighting: str = "pooled"  # hard negatives join the random ones in one hinge mean (the paper)
    hard_weight: float = 1.0  # a hard negative weighs as much as a random one


@dataclass(frozen=True)
class HardNegativeSettings:
    """The PPR scores and band of the hard negatives (schedule and draw stream are set per method and run)."""

    max_hard: int = 5  # the curriculum reaches it in the last epoch (epoch n uses n - 1)
    relative_band: tuple[float, float] | None = (4.0, 10.0)  # ranks 4R..10R: the paper's [4K, 10K] with R for K
    band: tuple[float, float] | None = None  # fixed ranks instead (used when relative_band is None)
    num_iterations: int = 8  # power iteration: band membership already matches 16 iterations (section 2)
    max_board_degree: int | None = 50  # regular boards hold ~12 saves, spam boards ~80: prune hubs as Pixie
    num_walks: int = 400  # the Monte-Carlo estimate the band's accuracy is compared with (walks per query)
    walk_length: int = 3

    def __post_init__(self) -> None:
        self.sampler_config("curriculum", 0)  # the sampler's checks name the bad field

    def sampler_config(self, schedule: str, seed: int, estimator: str = "power") -> HardNegativeConfig:
        return HardNegativeConfig(schedule=schedule, max_hard=self.max_hard, band=self.band,
                                  relative_band=self.relative_band, estimator=estimator,
                                  num_iterations=self.num_iterations, max_board_degree=self.max_board_degree,
                                  num_walks=self.num_walks, walk_length=self.walk_length, seed=seed)  # fmt: skip


@dataclass(frozen=True)
class SiblingConfig:
    """The sibling world of section 4 (``negatives.sibling_task``), a mechanism check at toy size."""

    num_seeds: int = 10  # cheap (400 items), so enough seeds to count wins
    world_seed: int = 0  # one world; the seeds vary walks, initialisation and batches
    epochs: int = 6
    steps_per_epoch: int = 8
    batch_size: int = 64
    num_negatives: int = 16
    hidden_dim: int = 16
    top_t: int = 5
    num_walks: int = 20
    band: tuple[int, int] = (20, 39)  # just below the 19 group-mates: the sibling group
    hard_num_walks: int = 500
    hard_walk_length: int = 2
    max_hard: int = 4
    diagnosis_queries: int = 200  # training queries whose drawn hard negatives are classified


@dataclass(frozen=True)
class MovieLensConfig:
    """The MovieLens-100K runs of section 8 (other settings from the pinboard training)."""

    num_seeds: int = 1
    epochs: int = 5
    steps_per_epoch: int = 20
    methods: tuple[str, ...] = ("mean-pooling", "mean-pooling-xent", "mean-pooling-hard", "pinsage",
                                "pinsage-random-only", "pinsage-no-curriculum")  # fmt: skip


@dataclass(frozen=True)
class HardNegativesConfig:
    """Everything notebook 03 runs; the defaults are the ``course`` profile (a few minutes on 2 cores)."""

    num_pins: int = 3_000  # notebook 02's world (make_pinboard's defaults) at the size 2 cores allow
    world_seed: int = 0  # one world and split; the seeds vary initialisation, batches and draws
    num_seeds: int = 5  # paired comparisons need several seeds (issue 12)
    training: TrainingConfig = TrainingConfig()
    hard: HardNegativeSettings = HardNegativeSettings()
    hist_queries: int = 300  # queries of the rank-depth table, the band accuracy and the score histograms
    band_sweep: tuple[tuple[float, float], ...] = ((1.0, 2.0), (2.0, 4.0), (10.0, 25.0))  # around 4R..10R
    sweep_weightings: tuple[str, ...] = ("separate",)  # the loss ablation: hard hinge mean added with weight 1
    sweep_seeds: int = 3  # the sweep trains one model per band (and weighting) and seed
    siblings: SiblingConfig = SiblingConfig()
    movielens: MovieLensConfig = MovieLensConfig()
    num_threads: int = 1  # small models: one torch thread is fastest on a shared laptop

    def __post_init__(self) -> None:
        for name in ("num_pins", "num_seeds", "hist_queries", "sweep_seeds", "num_threads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"HardNegativesConfig.{name} must be an int >= 1, got {value!r}")
        if self.sweep_seeds > self.num_seeds:  # the sweep is compared with the main run of the same seed
            raise ValueError(
                f"HardNegativesConfig.sweep_seeds ({self.sweep_seeds}) must not exceed num_seeds ({self.num_seeds})"
            )
        try:
            resolve_band(self.num_pins, self.hard.band)
        except ValueError as err:
            raise ValueError(f"HardNegativesConfig.hard.band does not fit {self.num_pins} pins: {err}") from None
        for i, band in enumerate(self.band_sweep):
            check_relative_band(band, f"HardNegativesConfig.band_sweep[{i}]")
        bad = [w for w in self.sweep_weightings if w not in WEIGHTINGS]
        if bad:
            raise ValueError(f"HardNegativesConfig.sweep_weightings has unknown weightings {bad}; known: {WEIGHTINGS}")
        if self.training.hard_weighting not in WEIGHTINGS:
            raise ValueError(f"HardNegativesConfig.training.hard_weighting must be one of {WEIGHTINGS}, "
                             f"got {self.training.hard_weighting!r}")  # fmt: skip
        unknown = [m for m in self.movielens.methods if m not in METHODS]
        if unknown:
            raise ValueError(f"HardNegativesConfig.movielens.methods has unknown methods {unknown}; known: {list(METHODS)}")


COURSE = HardNegativesConfig()
PROFILES = Profiles(
    quick=replace(
        COURSE,
        num_pins=600,
        num_seeds=2,
        training=replace(COURSE.training, epochs=2, steps_per_epoch=2, batch_size=64, num_negatives=32,
                         hidden_dim=16, top_t=5),  # fmt: skip
        hard=replace(COURSE.hard, max_hard=4, num_walks=100, walk_length=2),
        hist_queries=100,
        band_sweep=((1.0, 2.0),),
        sweep_seeds=2,
        siblings=replace(COURSE.siblings, num_seeds=1, epochs=2),
        movielens=replace(COURSE.movielens, epochs=1, steps_per_epoch=2, methods=("mean-pooling", "pinsage")),
    ),
    course=COURSE,
    full=replace(
        COURSE,
        num_pins=20_000,  # notebook 02's course world
        num_seeds=10,
        training=replace(COURSE.training, epochs=12, steps_per_epoch=200, batch_size=256, num_negatives=256,
                         hidden_dim=64, top_t=20),  # fmt: skip
        hard=replace(COURSE.hard, max_hard=6, num_walks=1_000),
        hist_queries=1_000,
        band_sweep=((1.0, 2.0), (2.0, 4.0), (10.0, 25.0), (25.0, 60.0)),
        sweep_seeds=5,
        movielens=replace(COURSE.movielens, num_seeds=3, epochs=12, steps_per_epoch=200),
    ),
)
"""quick (CI, seconds) / course (default) / full (larger world, more seeds; an hour or more on a laptop)."""


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
                paper = PAPER.get(method, {}).get(metric) if dataset != "pinboard-siblings" else None
                rows.append(Row(dataset, method, metric + metric_suffix, self.value(method, metric),
                                paper=paper, comparable=False, note=note))  # fmt: skip
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
    band: str = ""  # the hard-negative band, in words (band_label)
    curves: Mapping[str, Mapping[str, tuple[float, ...]]] = field(default_factory=dict)  # method -> metric -> epochs
    scores: Mapping[str, ScoreDistribution] = field(default_factory=dict)  # random-only and curriculum models
    top10_relations: tuple[float, ...] = ()  # random-only model's top 10, shares of RELATIONS
    target_relations: tuple[float, ...] = ()  # the true targets, shares of RELATIONS

    @property
    def note(self) -> str:
        return (
            f"planted pinboard world ({self.num_items} pins, {self.num_test_pairs} held-out pairs, hit@{self.cutoff} "
            f"and MRR scale {self.mrr_scale:g} among all pins), not comparable: {_PAPER_PROTOCOL}"
        )

    def rows(self) -> list[Row]:
        return self._rows("pinboard", list(METHODS), self.note)


@dataclass(frozen=True)
class BandSweepResult(RankedRun):
    """PinSage with the curriculum under each band of ``config.band_sweep`` (keys ``band=<lo>-<hi>``)."""

    num_items: int = 0
    bands: tuple[tuple[float, float], ...] = ()

    def rows(self) -> list[Row]:
        note = (f"planted pinboard world ({self.num_items} pins), pinsage with the curriculum; band=<a>r-<b>r: hard "
                f"negatives from PPR ranks a R..b R (R = pins sharing a board with the query), weighting=separate: "
                f"hard hinge mean added to the random one; the paper reports neither sweep")  # fmt: skip
        rows = []
        for key in self.ranks:
            for metric in METRICS:
                rows.append(Row("pinboard", "pinsage", f"{metric}/{key}", self.value(key, metric),
                                comparable=False, note=note))  # fmt: skip
        return rows


@dataclass(frozen=True)
class SiblingResult(RankedRun):
    """One seed of the sibling world (:func:`run_sibling_seed`)."""

    num_items: int = 0
    sibling_share: float = 0.0  # share of drawn hard negatives from the sibling group
    random_sibling_share: float = 0.0  # the same for a uniformly random item (chance level)

    def rows(self) -> list[Row]:
        note = (f"planted sibling world ({self.num_items} items, groups with a near-identical sibling group), "
                f"hit@{self.cutoff} and MRR scale {self.mrr_scale:g}; a mechanism check with no paper number")  # fmt: skip
        return self._rows("pinboard-siblings", SCHEDULE_METHODS, note)


@dataclass(frozen=True)
class MovieLensResult(RankedRun):
    """One seed of the MovieLens-100K runs (:func:`run_movielens_seed`)."""

    num_items: int = 0
    num_test_pairs: int = 0
    band: tuple[int, int] = (0, 0)

    def rows(self) -> list[Row]:
        note = (f"MovieLens-100K ({self.num_items} movies; each user's last movie held out, {self.num_test_pairs} "
                f"pairs; hit@{self.cutoff}, MRR scale {self.mrr_scale:g}), not comparable: {_PAPER_PROTOCOL}")  # fmt: skip
        return self._rows("movielens-100k", list(self.ranks), note)


# ---------------------------------------------------------------------- one model, end to end
def pinboard_world(config: HardNegativesConfig) -> tuple[Pinboard, RelatedItemTask]:
    """Notebook 02's world (``make_pinboard`` with its defaults, ``config.num_pins`` pins) and its
    temporal split with ALL held-out pairs (deterministic in ``config.world_seed``).

    The one place notebook 03 builds its world: when notebook 02's world changes, this call changes.
    """
    world = make_pinboard(config.num_pins, seed=config.world_seed)
    return world, pinboard_task(world, max_test_pairs=None, seed=config.world_seed)


def walk_sampler(task: RelatedItemTask, training: TrainingConfig, seed: int) -> RandomWalkSampler:
    """The neighbourhood walks over ``task``'s training graph."""
    return RandomWalkSampler(task.edge_index, task.num_items, task.num_users, num_walks=training.num_walks,
                             walk_length=training.walk_length, top_t=training.top_t, seed=seed)  # fmt: skip


def evaluation_tables(task: RelatedItemTask, training: TrainingConfig, seed: int) -> dict[str, NeighborTable]:
    """One fixed neighbourhood table per pooling for evaluation: every model of a seed, and every
    epoch, is evaluated on the same neighbourhoods (own stream, untouched by training)."""
    sampler = walk_sampler(task, training, derive_seed(seed, "evaluation-neighbourhoods"))
    return {pooling: NeighborTable(neighbor_fn(sampler, pooling), task.num_items) for pooling in ("importance", "mean")}


def embed(model: PinSage, features: Tensor, tables: Mapping[str, NeighborTable]) -> Tensor:
    """Every item's embedding, layer-wise, with the fixed table of the model's pooling."""
    return layerwise_embeddings(model, features, tables[model.config.pooling]).embeddings


@dataclass(frozen=True)
class TrainedModel:
    """A trained method: its embeddings, the test ranks and the per-epoch metrics (when tracked)."""

    embeddings: Tensor
    ranks: np.ndarray
    curves: Mapping[str, tuple[float, ...]]


def train_method(
    task: RelatedItemTask,
    method: str,
    training: TrainingConfig,
    seed: int,
    tables: Mapping[str, NeighborTable],
    hard: HardNegativeSampler | None = None,
    track: bool = False,
) -> TrainedModel:
    """Train one of :data:`METHODS` on ``task`` and rank its test targets.

    ``hard`` holds the run's bands (any schedule); the method's schedule and the seed's draw stream
    are taken from a :meth:`~HardNegativeSampler.view`, so ``hard`` itself is never changed. The
    model starts from the seed's initialisation whatever ran before (same for every method of the
    seed with the same pooling), and ``train_pinsage`` sees the same batches and random negatives.
    """
    if method not in METHODS:
        raise ValueError(f"argument 'method' must be one of {', '.join(METHODS)}, got {method!r}")
    spec = METHODS[method]
    negatives = None
    if spec["schedule"] != "random-only":
        if hard is None:
            raise ValueError(f"method {method!r} trains with hard negatives: pass argument 'hard'")
        negatives = hard.view(spec["schedule"], derive_seed(seed, "hard-negative-draws"))
    features = task.features["combined"]
    curves: dict[str, list[float]] = {metric: [] for metric in METRICS}

    def evaluate(model: PinSage, epoch: int) -> dict[str, float]:
        result = evaluate_related(embedding_scorer(embed(model, features, tables)), task.test_pairs, task.num_items)
        for metric, value in result.as_dict().items():
            curves[metric].append(value)
        return result.as_dict()

    with seeded(derive_seed(seed, "model")):
        model = PinSage(PinSageConfig(in_dim=features.shape[1], hidden_dim=training.hidden_dim,
                                      out_dim=training.hidden_dim, pooling=spec["pooling"]))  # fmt: skip
        config = TrainConfig(epochs=training.epochs, max_steps_per_epoch=training.steps_per_epoch,
                             batch_size=training.batch_size, num_negatives=training.num_negatives,
                             lr=training.lr, hard_weight=training.hard_weight, seed=seed)  # fmt: skip
        train_pinsage(
            model, features, walk_sampler(task, training, derive_seed(seed, "training-neighbourhoods")),
            task.train_pairs, config, negative_sampler=negatives, eval_fn=evaluate if track else None,
            progress=False, loss_fn=loss_function(spec["loss"], training.hard_weighting),
        )  # fmt: skip
    embeddings = embed(model, features, tables)
    final = evaluate_related(embedding_scorer(embeddings), task.test_pairs, task.num_items)
    return TrainedModel(embeddings, final.ranks.numpy(), {m: tuple(v) for m, v in curves.items()})


def loss_function(loss: str, weighting: str = "pooled"):
    """The ``loss_fn`` of a method: cross-entropy, or max-margin with hard negatives ``weighting``."""
    if loss == "xent":
        return xent_loss
    return functools.partial(max_margin_loss, weighting=weighting)


_SAMPLERS: dict[tuple, HardNegativeSampler] = {}  # a few worlds at most: the notebook uses two or three
_SAMPLERS_KEPT = 8  # main band, the sweep's bands, siblings, MovieLens


def _hard_sampler(task: RelatedItemTask, settings: HardNegativeSettings, world_seed: int) -> HardNegativeSampler:
    """The personalised-PageRank bands of ``task``'s training graph, shared by every seed and method.

    Power iteration is deterministic and the tie-breaks come from ``world_seed``, so a band is a
    function of the graph and ``settings`` alone: one sampler (and its lazily filled band cache) per
    world serves every seed of a notebook run, and no result depends on which seed ran first. The
    draws from the bands come from each method's :meth:`~HardNegativeSampler.view`.
    """
    key = (task.name, task.num_items, task.num_users, checkpoints.tensor_hash(task.edge_index),
           checkpoints.tensor_hash(task.train_pairs))  # fmt: skip
    key += (settings, world_seed)
    if key not in _SAMPLERS:
        while len(_SAMPLERS) >= _SAMPLERS_KEPT:
            _SAMPLERS.pop(next(iter(_SAMPLERS)))
        config = settings.sampler_config("curriculum", world_seed)
        _SAMPLERS[key] = HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, config)
    return _SAMPLERS[key]


def _relation_shares(codes: Tensor) -> tuple[float, ...]:
    return tuple(float((codes == c).float().mean()) for c in range(len(RELATIONS)))


# ---------------------------------------------------------------------- the four experiments
def run_pinboard_seed(config: HardNegativesConfig, seed: int) -> PinboardResult:
    """One seed of Table 1 on the pinboard world: all of :data:`METHODS`, curves, diagnostics."""
    start = time.perf_counter()
    with seeded(seed), torch_threads(config.num_threads):
        world, task = pinboard_world(config)
        tables = evaluation_tables(task, config.training, seed)
        hard = _hard_sampler(task, config.hard, config.world_seed)
        trained = {m: train_method(task, m, config.training, seed, tables, hard, track=m in SCHEDULE_METHODS)
                   for m in METHODS}  # fmt: skip

        # Where the scores fall: held-out queries against their target, random pins and band pins.
        pairs = task.test_pairs[: config.hist_queries]
        band_pins = hard.view("no-curriculum", derive_seed(seed, "histogram-draws")).sample(pairs[:, 0], pairs[:, 1], 10)
        scores = {}
        for method in ("pinsage-random-only", "pinsage"):
            dist = score_distributions(trained[method].embeddings, pairs, band_pins, seed=derive_seed(seed, "histogram"))
            scores[method] = ScoreDistribution(dist["positive"].numpy(), dist["random negative"].numpy(),
                                               dist["hard negative"].view(pairs.shape[0], -1).numpy())  # fmt: skip

        # What the random-only model ranks above the target: relation of its top 10 to the query.
        category, topic = torch.from_numpy(world.pin_category), torch.from_numpy(world.category_topic)
        lookalike = torch.from_numpy(world.category_lookalike)
        emb = trained["pinsage-random-only"].embeddings
        q, p = task.test_pairs[:, 0], task.test_pairs[:, 1]
        s = emb[q] @ emb.T
        s[torch.arange(q.numel()), q] = -float("inf")
        top10 = s.topk(min(10, task.num_items - 1), dim=1).indices
        top_codes = relation_to_query(category, topic, lookalike, q.unsqueeze(1).expand_as(top10), top10)
        target_codes = relation_to_query(category, topic, lookalike, q, p)
    k, scale = ranking_cutoffs(task.num_items)
    return PinboardResult(
        seed=seed, seconds=time.perf_counter() - start, cutoff=k, mrr_scale=scale,
        ranks={m: t.ranks for m, t in trained.items()}, num_items=task.num_items,
        num_test_pairs=int(task.test_pairs.shape[0]), band=band_label(config.hard),
        curves={m: trained[m].curves for m in SCHEDULE_METHODS}, scores=scores,
        top10_relations=_relation_shares(top_codes), target_relations=_relation_shares(target_codes),
    )  # fmt: skip


def band_key(band: tuple[float, float]) -> str:
    """The result key (and metric suffix) of a relative band ``(a, b)``: ``band=<a>r-<b>r``."""
    return f"band={band[0]:g}r-{band[1]:g}r"


def weighting_key(weighting: str) -> str:
    """The result key (and metric suffix) of a hard-negative loss weighting: ``weighting=<name>``."""
    return f"weighting={weighting}"


def band_label(settings: HardNegativeSettings) -> str:
    """Words for the band of ``settings`` (relative ``a R..b R`` or fixed ranks)."""
    if settings.relative_band is not None:
        a, b = settings.relative_band
        return f"ranks {a:g}R-{b:g}R"
    return "fixed ranks " + ("[4K, 10K]" if settings.band is None else f"{settings.band[0]}-{settings.band[1]}")


def run_band_sweep_seed(config: HardNegativesConfig, seed: int) -> BandSweepResult:
    """PinSage with the curriculum under each relative band of ``config.band_sweep`` and each loss
    weighting of ``config.sweep_weightings`` (everything else as in :func:`run_pinboard_seed` of the
    same seed, so the two pair up)."""
    start = time.perf_counter()
    ranks = {}
    with seeded(seed), torch_threads(config.num_threads):
        _, task = pinboard_world(config)
        tables = evaluation_tables(task, config.training, seed)
        for band in config.band_sweep:
            hard = _hard_sampler(task, replace(config.hard, relative_band=band), config.world_seed)
            ranks[band_key(band)] = train_method(task, "pinsage", config.training, seed, tables, hard).ranks
        hard = _hard_sampler(task, config.hard, config.world_seed)
        for weighting in config.sweep_weightings:
            training = replace(config.training, hard_weighting=weighting)
            ranks[weighting_key(weighting)] = train_method(task, "pinsage", training, seed, tables, hard).ranks
    k, scale = ranking_cutoffs(task.num_items)
    return BandSweepResult(seed=seed, seconds=time.perf_counter() - start, cutoff=k, mrr_scale=scale, ranks=ranks,
                           num_items=task.num_items, bands=tuple(config.band_sweep))  # fmt: skip


def run_sibling_seed(config: HardNegativesConfig, seed: int) -> SiblingResult:
    """The three PinSage schedules on the sibling world, and how many drawn hard negatives are siblings."""
    start = time.perf_counter()
    sib = config.siblings
    training = TrainingConfig(epochs=sib.epochs, steps_per_epoch=sib.steps_per_epoch, batch_size=sib.batch_size,
                              num_negatives=sib.num_negatives, lr=config.training.lr, hidden_dim=sib.hidden_dim,
                              top_t=sib.top_t, num_walks=sib.num_walks)  # fmt: skip
    settings = HardNegativeSettings(max_hard=sib.max_hard, band=sib.band, relative_band=None, max_board_degree=None,
                                    num_walks=sib.hard_num_walks, walk_length=sib.hard_walk_length)  # fmt: skip
    with seeded(seed), torch_threads(config.num_threads):
        task = sibling_task(seed=sib.world_seed)
        resolve_band(task.num_items, sib.band)  # a bad band is an error before any training
        tables = evaluation_tables(task, training, seed)
        hard = _hard_sampler(task, settings, sib.world_seed)
        probe = task.train_pairs[: sib.diagnosis_queries]
        drawn = hard.view("no-curriculum", derive_seed(seed, "diagnosis-draws")).sample(probe[:, 0], probe[:, 1],
                                                                                       sib.max_hard)  # fmt: skip
        sibling_group = (task.labels[probe[:, 0]] ^ 1).unsqueeze(1)
        siblings = task.labels[drawn] == sibling_group
        chance = float((task.labels.unsqueeze(0) == sibling_group).float().mean())
        ranks = {m: train_method(task, m, training, seed, tables, hard).ranks for m in SCHEDULE_METHODS}
    k, scale = ranking_cutoffs(task.num_items)
    return SiblingResult(seed=seed, seconds=time.perf_counter() - start, cutoff=k, mrr_scale=scale, ranks=ranks,
                         num_items=task.num_items, sibling_share=float(siblings.float().mean()),
                         random_sibling_share=chance)  # fmt: skip


def run_movielens_seed(config: HardNegativesConfig, seed: int) -> MovieLensResult:
    """``config.movielens.methods`` on MovieLens-100K with the pinboard training settings."""
    start = time.perf_counter()
    ml = config.movielens
    training = replace(config.training, epochs=ml.epochs, steps_per_epoch=ml.steps_per_epoch)
    with seeded(seed), torch_threads(config.num_threads):
        task = movielens_task(load_movielens_100k())
        tables = evaluation_tables(task, training, seed)
        needs_hard = any(METHODS[m]["schedule"] != "random-only" for m in ml.methods)
        # Users rate tens to hundreds of movies: no hub pruning, and the fixed [4K, 10K] rule (a
        # co-rating "relevance set" would cover most of the catalogue).
        settings = replace(config.hard, relative_band=None, band=None, max_board_degree=None)
        hard = _hard_sampler(task, settings, 0) if needs_hard else None
        ranks = {m: train_method(task, m, training, seed, tables, hard).ranks for m in ml.methods}
    k, scale = ranking_cutoffs(task.num_items)
    lo, hi = resolve_band(task.num_items, None)
    return MovieLensResult(seed=seed, seconds=time.perf_counter() - start, cutoff=k, mrr_scale=scale, ranks=ranks,
                           num_items=task.num_items, num_test_pairs=int(task.test_pairs.shape[0]), band=(lo, hi))  # fmt: skip


# ---------------------------------------------------------------------- what the ranking holds (no training)
@dataclass(frozen=True)
class BandAnatomy:
    """What the personalised-PageRank ranking of training queries holds (section 2 of notebook 03).

    ``depth``: for rank ranges ``"lo-hi"``, the shares of :data:`RELATIONS`; ``in_band``: the same
    for the hard-negative band (``walk_in_band``: for the band of the Monte-Carlo walk estimate);
    ``mix``: shares for the positive, drawn hard negatives and random negatives;
    ``relevance``: the 10th, 50th and 90th percentile of the queries' relevance-set size ``R``;
    ``median_band``: the median query's band ranks; ``accuracy``: estimate -> share of band pins
    that a second estimate also puts in the band (:func:`~lecturekit.recsys.pinsage.negatives.band_overlap`);
    ``band_visits``: the median visit count, in the walk estimate, of the pins in the power-iteration band;
    ``queries``/``positives``/``hard``/``random``: the drawn examples (for the grid plot).
    """

    band: str
    depth: Mapping[str, tuple[float, ...]]
    in_band: tuple[float, ...]
    walk_in_band: tuple[float, ...]
    mix: Mapping[str, tuple[float, ...]]
    relevance: tuple[float, float, float]
    median_band: tuple[int, int]
    accuracy: Mapping[str, float]
    band_visits: float
    num_walk_steps: int  # traversals per query of the walk estimate
    queries: Tensor
    positives: Tensor
    hard: Tensor
    random: Tensor
    category: Tensor  # the world's arrays, for labelling the examples
    category_topic: Tensor
    lookalike: Tensor


def band_anatomy(config: HardNegativesConfig, seed: int = 0) -> BandAnatomy:
    """Rank-depth relations, band accuracy and the negative mix of ``config.hist_queries`` training
    queries (seed ``seed`` picks the queries, the walks and the draws; no training)."""
    settings = config.hard
    with seeded(seed), torch_threads(config.num_threads):
        world, task = pinboard_world(config)
        category, topic = torch.from_numpy(world.pin_category), torch.from_numpy(world.category_topic)
        lookalike = torch.from_numpy(world.category_lookalike)
        hard = _hard_sampler(task, settings, config.world_seed)
        gen = torch.Generator().manual_seed(derive_seed(seed, "anatomy-queries"))
        pairs = task.train_pairs[torch.randperm(task.train_pairs.shape[0], generator=gen)[: config.hist_queries]]
        q = pairs[:, 0]
        ranking = hard.ranking(q)

        def shares(items: Tensor) -> tuple[float, ...]:
            rows = q.unsqueeze(1).expand_as(items) if items.ndim == 2 else q
            codes = relation_to_query(category, topic, lookalike, rows, items.clamp_min(0))
            return _relation_shares(codes[items >= 0])  # -1 pads the narrower bands

        edges = [1, 6, 11, 21, 41, 101, 201, 401, task.num_items]
        depth = {}
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            if lo > ranking.shape[1]:
                break
            depth[f"{lo}-{min(hi - 1, ranking.shape[1])}"] = shares(ranking[:, lo - 1 : hi - 1])
        band = hard.bands(q)

        # How accurate is the band? A second estimate should put the same pins in it.
        def estimate(**change: object) -> HardNegativeSampler:
            c = replace(settings.sampler_config("no-curriculum", config.world_seed), **change)
            return HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, c)

        n = settings.num_iterations
        converged = estimate(num_iterations=2 * n).bands(q)
        walks = [estimate(estimator="walks", seed=derive_seed(seed, f"anatomy-walks-{i}")) for i in (1, 2)]
        walk_bands = [w.bands(q) for w in walks]
        accuracy = {
            f"power iteration, {n} vs {2 * n} iterations": band_overlap(band, converged),
            f"power iteration, {max(n // 2, 1)} vs {2 * n} iterations": band_overlap(
                estimate(num_iterations=max(n // 2, 1)).bands(q), converged),
            f"walks ({settings.num_walks} x {settings.walk_length}), two independent estimates":
                band_overlap(*walk_bands),
            f"walks ({settings.num_walks} x {settings.walk_length}) vs power iteration ({2 * n} iterations)":
                band_overlap(walk_bands[0], converged),
        }  # fmt: skip
        visits = torch.from_numpy(walks[0].scores(q)).gather(1, band.clamp_min(0))[band >= 0]
        lo, hi = hard.band_limits(q)
        sizes = hard.relevance[q].clamp_min(1).double()
        drawn = hard.view("no-curriculum", derive_seed(seed, "anatomy-draws")).sample(q, pairs[:, 1], settings.max_hard)
        rand = torch.randint(0, task.num_items, drawn.shape, generator=gen)
        mix = {"positive": shares(pairs[:, 1:2]), "hard negatives": shares(drawn), "random negatives": shares(rand)}
    return BandAnatomy(
        band=band_label(settings), depth=depth, in_band=shares(band), walk_in_band=shares(walk_bands[0]), mix=mix,
        relevance=tuple(float(v) for v in torch.quantile(sizes, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))),
        median_band=(int(lo.median()), int(hi.median())), accuracy=accuracy, band_visits=float(visits.median()),
        num_walk_steps=settings.num_walks * settings.walk_length, queries=q, positives=pairs[:, 1], hard=drawn,
        random=rand, category=category, category_topic=topic, lookalike=lookalike,
    )  # fmt: skip


# ---------------------------------------------------------------------- paired comparisons
@dataclass(frozen=True)
class Comparison:
    """``a - b`` on one metric, paired by seed and by test query.

    ``per_seed``: the differences seed by seed; ``over_seeds``: their mean with a Student-t 95 %
    interval (zero width for one seed); ``over_queries``: paired bootstrap over the test queries of
    the per-query values averaged over seeds (says how much the test set alone could move the
    difference); ``wins``/``ties``: seeds where ``a`` is ahead / equal.
    """

    a: str
    b: str
    metric: str
    per_seed: tuple[float, ...]
    over_seeds: Interval
    over_queries: Interval
    wins: int
    ties: int

    @property
    def num_seeds(self) -> int:
        return len(self.per_seed)


def compare(results: Sequence[RankedRun], a: str, b: str, metric: str = "mrr-scaled", *,
            b_results: Sequence[RankedRun] | None = None, tie: float = 1e-12) -> Comparison:  # fmt: skip
    """Paired difference of method ``a`` (in ``results``) and ``b`` (in ``b_results``, default the
    same results) over the seeds both hold; the test queries must be the same."""
    others = {r.seed: r for r in (results if b_results is None else b_results)}
    seeds = [r.seed for r in results if r.seed in others]
    if not seeds:
        raise ValueError("arguments 'results' and 'b_results' share no seed: nothing to pair")
    mine = {r.seed: r for r in results}
    qa = np.stack([mine[s].per_query(a, metric) for s in seeds])
    qb = np.stack([others[s].per_query(b, metric) for s in seeds])
    if qa.shape != qb.shape:
        raise ValueError(f"{a!r} and {b!r} were ranked on different test queries: {qa.shape} vs {qb.shape}")
    diffs = qa.mean(1) - qb.mean(1)
    return Comparison(
        a=a, b=b, metric=metric, per_seed=tuple(float(d) for d in diffs), over_seeds=seed_interval(diffs),
        over_queries=paired_bootstrap(qa.mean(0), qb.mean(0)), wins=int((diffs > tie).sum()),
        ties=int((np.abs(diffs) <= tie).sum()),
    )  # fmt: skip


def verdict(comparison: Comparison, *, over: str = "seeds") -> str:
    """``"ahead of"`` / ``"behind"`` / ``"indistinguishable from"``: the interval's word for ``a`` vs ``b``."""
    iv = comparison.over_seeds if over == "seeds" else comparison.over_queries
    if over == "seeds" and comparison.num_seeds < 2:
        return "not tested (one seed) against"
    if iv.low > 0:
        return "ahead of"
    if iv.high < 0:
        return "behind"
    return "indistinguishable from"


def describe(comparison: Comparison, digits: int = 3) -> str:
    """Markdown words for ``a - b`` that respect its intervals, saying which interval decides.

    With two or more seeds the 95 % interval over seeds decides (training varies more than the test
    set); with one seed only the paired bootstrap over test queries is available, and the text says
    that seed-to-seed variation was not measured.
    """
    c, d = comparison, digits
    if c.num_seeds >= 2:
        return (f"`{c.a}` is {verdict(c)} `{c.b}` on {c.metric}: ahead in {c.wins} of {c.num_seeds} seeds, "
                f"mean difference {interval(c.over_seeds, d)} (95 % interval over seeds; over test queries "
                f"{interval(c.over_queries, d)})")  # fmt: skip
    return (f"`{c.a}` is {verdict(c, over='queries')} `{c.b}` on {c.metric} in the one seed run "
            f"({interval(c.over_queries, d)}, 95 % paired bootstrap over test queries; seed-to-seed variation "
            f"not measured)")  # fmt: skip
