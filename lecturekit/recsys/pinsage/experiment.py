"""Notebook 02's experiments in the course's one shape: config -> ``run_seed`` -> typed result -> rows.

* :class:`PinSageExperiment` -- the frozen config (its defaults are the ``course`` profile) and
  :data:`PROFILES` (``quick`` / ``course`` / ``full`` built from it with ``dataclasses.replace``);
* :func:`run_selection` -- the budget choice on the temporal *validation* split: PinSage (random
  negatives) for each neighbourhood size ``T`` (the paper's Table 4) and learning rate, validated after
  every epoch -> :class:`SelectionResult`, whose :meth:`~SelectionResult.apply` writes the chosen
  ``T``, learning rate and epochs into the config. The test pairs are never read by it;
* :func:`run_seed` -- the paper's comparison (Table 1) on one seed's world with the chosen budget:
  feature, Pixie and item-CF baselines and the four GNNs (PinSage with the hard-negative curriculum,
  PinSage with random negatives only, mean- and max-pooling) trained identically, evaluated once on
  every test pair, with the strata by query degree and new target -> :class:`PinboardResult`;
* :func:`run_regime_seed` -- the regime map: 3 feature strengths x 3 graph densities of small worlds,
  Pixie vs combined features vs PinSage in each cell -> :class:`RegimeResult`;
* :func:`run_movielens_seed` -- the same comparison on MovieLens-100K -> :class:`MovieLensResult`.

Evaluation protocol (all methods alike): the models are trained on the training graph; validation and
test are ranked on the graph of their window (the training graph grown by every save of the new pins
except the held-out ones: :func:`lecturekit.data.pinboard.temporal_split`), with the same trained
weights, no retraining. Each run owns its randomness: the world, split, samplers and model
initialisations are seeded from the run's seed and the body runs under
:func:`lecturekit.seed.seeded`. Used by ``notebooks/02_pinsage.ipynb``.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage.baselines import (
    feature_scorer,
    item_cf_scorer,
    knn_popularity_scorer,
    oracle_scorer,
    popularity_scorer,
    smoothed_embeddings,
)
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.content_mlp import ContentMLPTraining, content_embeddings, train_content_mlp
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.evaluation import (
    STRATA,
    LookalikeMix,
    RankingResult,
    embedding_scorer,
    evaluate_related,
    lookalike_mix,
    ranking_cutoffs,
    strata,
)
from lecturekit.recsys.pinsage.hard_negative_experiment import HardNegativeSettings
from lecturekit.recsys.pinsage.inference import layerwise_embeddings
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.negatives import HardNegativeSampler
from lecturekit.recsys.pinsage.pixie import pixie_scorer
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import (
    EpochNeighborhoods,
    TrainConfig,
    TrainHistory,
    neighbor_fn,
    train_pinsage,
)
from lecturekit.results import Row
from lecturekit.seed import seeded, torch_stream
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import Profiles, RunResult


@dataclass(frozen=True)
class Variant:
    """One GNN row of Table 1: its neighbourhoods, negatives, loss and start (everything else is shared)."""

    pooling: str = "importance"
    hard_negatives: bool = False  # notebook 03's curriculum on top of the batch's negatives
    loss: str | None = None  # None: GNNSettings.loss; "margin": the paper's max-margin with uniform negatives
    smoothing_start: bool = True  # start at the importance-smoothed reference (False: at feature kNN)


VARIANTS = {
    "pinsage": Variant(hard_negatives=True),
    "pinsage-random-negatives": Variant(),
    "mean-pooling": Variant(pooling="mean"),
    "max-pooling": Variant(pooling="max"),
    # ablations: each undoes one change that made training learn (notebook 02, section 3)
    "pinsage-margin-uniform": Variant(loss="margin"),  # the old loss: max-margin, uniform random negatives
    "pinsage-feature-start": Variant(smoothing_start=False),  # the old start: ranks as combined-feature kNN
}
REFERENCES = ("popularity", "knn-popularity", "importance-smoothed", "oracle")
PINBOARD_METHODS = ("popularity", "importance-smoothed", "knn-popularity", "oracle", "visual", "annotation",
                    "combined-knn", "combined", "pixie", "item-cf", *VARIANTS)  # fmt: skip
MOVIELENS_METHODS = ("popularity", "annotation", "combined-knn", "combined", "pixie", "item-cf", "mean-pooling",
                     "max-pooling", "pinsage", "pinsage-random-negatives")  # fmt: skip
MOVIELENS_VARIANTS = ("pinsage", "pinsage-random-negatives", "mean-pooling", "max-pooling")
REGIME_METHODS = ("pixie", "combined-knn", "combined", "pinsage")
# ``combined`` is the paper's baseline (a 2-layer MLP on the concatenated features, trained with
# PinSage's data and loss: lecturekit.recsys.pinsage.content_mlp); ``combined-knn`` is plain nearest
# neighbours on the concatenation (what the world's feature calibration reads).
PAPER = {  # Ying et al. 2018, Table 1 (Pinterest, 5M candidates): (hit-rate, scaled MRR)
    "visual": (0.17, 0.23), "annotation": (0.14, 0.19), "combined": (0.27, 0.37),
    "max-pooling": (0.39, 0.37), "mean-pooling": (0.41, 0.51), "pinsage": (0.67, 0.59),
}  # fmt: skip


# ---------------------------------------------------------------------- the config
@dataclass(frozen=True)
class WorldSettings:
    """The world's free assumptions (the rest are :func:`~lecturekit.data.pinboard.make_pinboard`'s defaults)."""

    feature_fraction: float = 0.35  # combined-feature kNN reaches 35 % of the same-interest oracle: content helps, the graph must add the rest
    saves_per_pin: float = 5.0  # graph density: mean saves per pin (most pins 0-3, hubs 50+)


@dataclass(frozen=True)
class WalkSettings:
    """Random walks with restart that define importance neighbourhoods (and Pixie's scores)."""

    num_walks: int = 100  # walks per pin: stable top-20 visit counts on a 20k-pin world
    walk_length: int = 2  # pin -> board -> pin traversals per walk (short walks, as the paper)
    restart_prob: float = 0.5  # back to the query after each traversal: keeps the walks local
    top_t: int = 20  # neighbourhood size T; run_selection chooses it on the validation split


@dataclass(frozen=True)
class GNNSettings:
    """Architecture and training of the GNNs (all trained with the same budget)."""

    hidden_dim: int = 64  # width of convolutions and embeddings (the paper: far wider, 3B pins)
    # An epoch is a third of a pass over the ~46k training pairs (30 steps of 512): validation picks the
    # stopping point at that grain, and the hard-negative curriculum (epoch n adds n - 1) ramps within it.
    epochs: int = 9  # upper bound (3 passes); run_selection picks the best validated epoch count <= this
    steps_per_epoch: int | None = 30
    batch_size: int = 512  # the paper's smallest batch; its positives are the other queries' negatives
    num_negatives: int = 128  # shared uniform negatives beside the batch's (the paper: 500)
    margin: float = 0.1  # the max-margin Delta (the margin-uniform ablation)
    lr: float = 1e-3  # run_selection chooses it on the validation split
    loss: str = "softmax"  # in-batch sampled softmax (lecturekit.recsys.pinsage.loss.in_batch_softmax_loss)
    temperature: float = 0.1  # cosine logits / 0.1: the usual contrastive scale, not tuned
    num_workers: int = 1  # one producer process builds the next batch while the main process trains
    default_gain: float = 2.0  # the smoothing start's g where there is no validation split (MovieLens)


@dataclass(frozen=True)
class SelectionSettings:
    """The validation sweep of :func:`run_selection` (on the first seed's world)."""

    t_values: tuple[int, ...] = (10, 20, 50)  # Table 4's neighbourhood sizes
    lr_values: tuple[float, ...] = (1e-3, 3e-3)  # swept at the best T (a coordinate search)
    val_pairs: int = 1000  # validation pairs per check (seeded subsample): cheap, decides the budget only
    gains: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)  # importance-smoothed's g, chosen on validation
    prior_weights: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3)  # knn-popularity's log-degree weight


@dataclass(frozen=True)
class MovieLensSettings:
    """The GNN budget on MovieLens-100K (same model settings as :class:`GNNSettings`)."""

    epochs: int = 2
    steps_per_epoch: int = 30  # 30 x 512 pairs: a sixth of the consecutive-movie pairs per epoch


@dataclass(frozen=True)
class RegimeSettings:
    """The regime map: small worlds, short training (a map of who wins where, not Table 1)."""

    num_pins: int = 4000  # small worlds: nine of them must fit in the notebook's budget
    feature_fractions: tuple[tuple[str, float], ...] = (("weak", 0.15), ("medium", 0.35), ("strong", 0.6))
    densities: tuple[tuple[str, float], ...] = (("sparse", 2.5), ("medium", 5.0), ("dense", 10.0))  # saves per pin
    epochs: int = 3
    steps_per_epoch: int | None = None  # one pass over a small world's pairs per epoch
    hidden_dim: int = 32


@dataclass(frozen=True)
class PinSageExperiment:
    """Notebook 02's settings; the defaults are the ``course`` profile (see :data:`PROFILES`)."""

    num_pins: int = 20_000  # large enough that walks beat direct neighbours, small enough for a laptop
    num_seeds: int = 3  # worlds per comparison (each seed: a fresh world, split and training)
    world: WorldSettings = WorldSettings()
    walks: WalkSettings = WalkSettings()
    gnn: GNNSettings = GNNSettings()
    # notebook 03's PPR band (4R..10R, hub boards pruned); the curriculum reaches 5 hard negatives by epoch 6
    hard: HardNegativeSettings = HardNegativeSettings(max_hard=6)
    selection: SelectionSettings = SelectionSettings()
    pixie_rounds: int = 4  # rounds of num_walks x walk_length traversals before Pixie stops
    movielens: MovieLensSettings = MovieLensSettings()
    regime: RegimeSettings = RegimeSettings()

    def __post_init__(self) -> None:
        for name in ("num_pins", "num_seeds", "pixie_rounds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"PinSageExperiment.{name} must be an int >= 1, got {value!r}")
        t_values = self.selection.t_values
        if not t_values or any(not isinstance(t, int) or isinstance(t, bool) or t < 1 for t in t_values):
            raise ValueError(f"PinSageExperiment.selection.t_values must be ints >= 1, got {t_values!r}")
        if not self.selection.lr_values or any(not lr > 0 for lr in self.selection.lr_values):
            raise ValueError(f"PinSageExperiment.selection.lr_values must be positive, got {self.selection.lr_values!r}")
        if not 0 < self.world.feature_fraction < 1:
            raise ValueError(f"PinSageExperiment.world.feature_fraction must be in (0, 1), got {self.world.feature_fraction!r}")

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.num_seeds))


COURSE = PinSageExperiment()
PROFILES = Profiles(
    quick=replace(
        COURSE, num_pins=2000, num_seeds=1, pixie_rounds=2,
        walks=replace(COURSE.walks, num_walks=30, top_t=10),
        gnn=replace(COURSE.gnn, hidden_dim=32, epochs=2, steps_per_epoch=8, batch_size=64, num_negatives=64,
                    num_workers=0),  # CI: no worker processes
        hard=replace(COURSE.hard, max_hard=2, num_walks=100),
        selection=replace(COURSE.selection, t_values=(5, 10), lr_values=(3e-3,), val_pairs=200),
        movielens=replace(COURSE.movielens, epochs=1, steps_per_epoch=5),
        regime=replace(COURSE.regime, num_pins=1000, epochs=1, steps_per_epoch=5, hidden_dim=16),
    ),
    course=COURSE,
    full=replace(
        COURSE, num_pins=100_000, num_seeds=5, pixie_rounds=8,
        walks=replace(COURSE.walks, num_walks=200, walk_length=3, top_t=50),
        gnn=replace(COURSE.gnn, hidden_dim=128, steps_per_epoch=200, batch_size=512, num_negatives=500, lr=1e-3),
        selection=replace(COURSE.selection, t_values=(20, 50, 100), val_pairs=5000),
        movielens=replace(COURSE.movielens, epochs=10, steps_per_epoch=100),
        regime=replace(COURSE.regime, num_pins=20_000, epochs=10, steps_per_epoch=40, hidden_dim=64),
    ),
)  # fmt: skip


# ---------------------------------------------------------------------- building blocks
def make_sampler(task: RelatedItemTask, walks: WalkSettings, seed: int, top_t: int | None = None,
                 split: str = "train") -> RandomWalkSampler:  # fmt: skip
    """The walk sampler over the graph ``split`` of ``task`` is evaluated on (see :meth:`RelatedItemTask.graph`)."""
    return RandomWalkSampler(
        task.graph(split), task.num_items, task.num_users, num_walks=walks.num_walks,
        walk_length=walks.walk_length, restart_prob=walks.restart_prob, top_t=top_t or walks.top_t, seed=seed,
    )  # fmt: skip


def run_baselines(task: RelatedItemTask, walks: WalkSettings, pixie_rounds: int, seed: int,
                  split: str = "test") -> dict[str, RankingResult]:  # fmt: skip
    """Feature nearest neighbours (every feature set of the task), Pixie and item-CF, on ``split``'s
    pairs and graph (Pixie walks and item-CF read the grown graph, as PinSage's inference does)."""
    pairs, graph = task.pairs(split), task.graph(split)
    results = {"popularity": evaluate_related(popularity_scorer(graph_degree_of(task, split)), pairs, task.num_items)}
    results.update({name: evaluate_related(feature_scorer(x), pairs, task.num_items) for name, x in task.features.items()})
    results["combined-knn"] = results.pop("combined")
    sampler = make_sampler(task, walks, seed, split=split)
    results["pixie"] = evaluate_related(pixie_scorer(sampler, max_rounds=pixie_rounds), pairs, task.num_items)
    results["item-cf"] = evaluate_related(item_cf_scorer(graph, task.num_items, task.num_users), pairs, task.num_items)
    return results


def graph_degree_of(task: RelatedItemTask, split: str) -> Tensor:
    """``(num_items,)`` distinct boards (users) of each item in the graph ``split`` is ranked on."""
    edges = torch.unique(task.graph(split), dim=1)
    return torch.bincount(edges[0], minlength=task.num_items)


@dataclass(frozen=True)
class ReferenceChoice:
    """The two settings of the parameter-free references, chosen on the validation pairs.

    Attributes:
        gain: importance-smoothed's ``g`` (also the GNNs' smoothing start).
        prior_weight: knn-popularity's log-degree weight.
        validation: method -> validation hit-rate at the chosen setting.
    """

    gain: float
    prior_weight: float
    validation: dict[str, float]


def choose_references(task: RelatedItemTask, config: PinSageExperiment, seed: int) -> ReferenceChoice:
    """``g`` and the prior weight with the best validation hit-rate (validation graph, ``config.walks.top_t``)."""
    val = validation_subsample(task, config.selection.val_pairs, seed)
    x = task.features["combined"]
    table = NeighborTable(make_sampler(task, config.walks, seed, split="val").sample, task.num_items)
    degree = graph_degree_of(task, "val")

    def hit(score_fn: Callable[[Tensor], Tensor]) -> float:
        return evaluate_related(score_fn, val, task.num_items).hit_rate

    smoothed = {g: hit(embedding_scorer(smoothed_embeddings(x, table.neighbors, table.weights, g)))
                for g in config.selection.gains}  # fmt: skip
    prior = {w: hit(knn_popularity_scorer(x, degree, w)) for w in config.selection.prior_weights}
    gain, weight = max(smoothed, key=smoothed.get), max(prior, key=prior.get)
    return ReferenceChoice(gain, weight, {"importance-smoothed": smoothed[gain], "knn-popularity": prior[weight]})


def run_references(task: RelatedItemTask, config: PinSageExperiment, seed: int, choice: ReferenceChoice,
                   split: str = "test") -> dict[str, RankingResult]:  # fmt: skip
    """knn-popularity, importance-smoothed (``choice``'s settings, ``split``'s graph) and the same-interest
    oracle on ``split``'s pairs (popularity is among :func:`run_baselines`, MovieLens has it too)."""
    pairs, x = task.pairs(split), task.features["combined"]
    table = NeighborTable(make_sampler(task, config.walks, seed, split=split).sample, task.num_items)
    interest = torch.from_numpy(task.extra["world"].pin_cluster)
    scorers = {
        "knn-popularity": knn_popularity_scorer(x, graph_degree_of(task, split), choice.prior_weight),
        "importance-smoothed": embedding_scorer(smoothed_embeddings(x, table.neighbors, table.weights, choice.gain)),
        "oracle": oracle_scorer(interest),
    }
    return {name: evaluate_related(score, pairs, task.num_items) for name, score in scorers.items()}


@dataclass
class GNNRun:
    """One trained variant: its test ranking, item embeddings (test graph), model and training history."""

    result: RankingResult
    embeddings: Tensor
    model: PinSage
    history: TrainHistory


def new_model(in_dim: int, hidden_dim: int, pooling: str, seed: int, gain: float = 0.0) -> PinSage:
    """A freshly initialised GNN whose weights depend on ``seed`` alone (the global RNG is left as it was).
    ``gain > 0``: the smoothing start (:attr:`PinSageConfig.neighbor_skip`): untrained, it ranks as the
    importance-smoothed reference with that ``g``; 0: as combined-feature kNN."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PinSage(PinSageConfig(in_dim=in_dim, hidden_dim=hidden_dim, out_dim=hidden_dim, pooling=pooling,
                                     neighbor_skip=gain))  # fmt: skip


def embed(model: PinSage, task: RelatedItemTask, walks: WalkSettings, seed: int, split: str) -> Tensor:
    """Layer-wise embeddings of every item on ``split``'s graph (same weights: no retraining)."""
    sampler = make_sampler(task, walks, seed, split=split)
    table = NeighborTable(neighbor_fn(sampler, model.config.pooling), task.num_items)
    return layerwise_embeddings(model, task.features["combined"], table).embeddings


def train_gnn(
    task: RelatedItemTask, variant: Variant, config: PinSageExperiment, seed: int, gain: float, *,
    negative_sampler: HardNegativeSampler | None = None, epochs: int | None = None, steps_per_epoch: int | None = None,
    val_pairs: Tensor | None = None, tables: EpochNeighborhoods | None = None, progress: bool = True,
) -> tuple[PinSage, TrainHistory]:  # fmt: skip
    """Train one variant on ``task.features["combined"]`` over the training graph (``gain``: the
    smoothing start's ``g``, used when ``variant.smoothing_start``).

    ``tables``: training neighbourhoods for ``pooling``, resampled every epoch and shared by the
    models of one seed (:class:`EpochNeighborhoods` of the same seed; default: fresh ones).
    With ``val_pairs`` the validation hit-rate and scaled MRR (validation graph) are stored after
    every epoch in ``history.evaluations``; the test pairs are never looked at here.
    """
    gnn, walks, pooling = config.gnn, config.walks, variant.pooling
    x = task.features["combined"]
    model = new_model(x.shape[1], gnn.hidden_dim, pooling, seed, gain if variant.smoothing_start else 0.0)
    sampler = make_sampler(task, walks, seed)
    train = TrainConfig(
        epochs=epochs or gnn.epochs, batch_size=gnn.batch_size, num_negatives=gnn.num_negatives, margin=gnn.margin,
        lr=gnn.lr, max_steps_per_epoch=steps_per_epoch or gnn.steps_per_epoch, num_workers=gnn.num_workers, seed=seed,
        loss=variant.loss or gnn.loss, temperature=gnn.temperature,
    )  # fmt: skip
    eval_fn = None
    if val_pairs is not None:
        val_sampler = make_sampler(task, walks, seed, split="val")
        val_table = NeighborTable(neighbor_fn(val_sampler, pooling), task.num_items)

        def eval_fn(m: PinSage, epoch: int) -> dict[str, float]:
            emb = layerwise_embeddings(m, x, val_table).embeddings
            return evaluate_related(embedding_scorer(emb), val_pairs, task.num_items).as_dict()

    history = train_pinsage(model, x, sampler, task.train_pairs, train, negative_sampler=negative_sampler,
                            eval_fn=eval_fn, progress=progress,
                            neighbor_tables=tables or EpochNeighborhoods(sampler, pooling, seed))  # fmt: skip
    return model, history


def train_combined(task: RelatedItemTask, config: PinSageExperiment, seed: int, *, epochs: int | None = None,
                   steps_per_epoch: int | None = None, hidden_dim: int | None = None) -> RankingResult:  # fmt: skip
    """The paper's *Combined* baseline on the test pairs: a 2-layer MLP on ``task.features["combined"]``
    trained on the training pairs with the GNNs' loss, steps, batch, negatives and learning rate,
    stopped at its best validation epoch when the task has validation pairs (no graph anywhere)."""
    gnn = config.gnn
    one_pass = -(-len(task.train_pairs) // gnn.batch_size)
    training = ContentMLPTraining(
        epochs=epochs or gnn.epochs, steps_per_epoch=steps_per_epoch or gnn.steps_per_epoch or one_pass,
        batch_size=gnn.batch_size, num_negatives=gnn.num_negatives, margin=gnn.margin, lr=gnn.lr,
        hidden_dim=hidden_dim or gnn.hidden_dim, loss=gnn.loss, temperature=gnn.temperature,
    )  # fmt: skip
    validate = None
    if task.val_pairs is not None:
        val = validation_subsample(task, config.selection.val_pairs, seed)

        def validate(emb: Tensor) -> float:
            return evaluate_related(embedding_scorer(emb), val, task.num_items).hit_rate

    x = task.features["combined"]
    model, _ = train_content_mlp(x, task.train_pairs, training, seed, validate=validate)
    return evaluate_related(embedding_scorer(content_embeddings(model, x)), task.test_pairs, task.num_items)


def hard_negative_sampler(task: RelatedItemTask, hard: HardNegativeSettings, seed: int) -> HardNegativeSampler:
    """PinSage's curriculum sampler over the training graph, its bands filled for the training queries
    before training (DataLoader workers inherit the cache instead of recomputing it every epoch)."""
    sampler = HardNegativeSampler(
        task.edge_index, task.num_items, task.num_users, task.train_pairs,
        hard.sampler_config("curriculum", seed),
    )  # fmt: skip
    sampler.precompute(torch.unique(task.train_pairs[:, 0]))
    return sampler


def validation_subsample(task: RelatedItemTask, size: int, seed: int) -> Tensor:
    """At most ``size`` validation pairs (a seeded subsample, for the per-epoch checks)."""
    pairs = task.pairs("val")
    if len(pairs) <= size:
        return pairs
    return pairs[torch.randperm(len(pairs), generator=torch_stream(seed, "validation"))[:size].sort().values]


def train_gnns(task: RelatedItemTask, config: PinSageExperiment, seed: int, gain: float, *,
               methods: tuple[str, ...] = tuple(VARIANTS), epochs: int | None = None,
               steps_per_epoch: int | None = None, progress: bool = True) -> dict[str, GNNRun]:  # fmt: skip
    """The GNNs of Table 1 (``methods`` of :data:`VARIANTS`), trained identically (same features, steps,
    negatives, budget); only what the variant names differs: the neighbourhood and pooling,
    (``pinsage``) the hard-negative curriculum, and in the ablations the loss or the start.
    Max-pooling reads the same direct neighbourhoods as mean-pooling. Each is then embedded on the
    test graph and ranked on every test pair."""
    sampler = make_sampler(task, config.walks, seed)
    # neighbourhoods resampled every epoch (as the paper's producer does), walked once for all four models
    tables = {p: EpochNeighborhoods(sampler, p, seed) for p in ("importance", "mean")}
    tables["max"] = tables["mean"]
    hard = hard_negative_sampler(task, config.hard, seed)
    runs = {}
    for method in methods:
        variant = VARIANTS[method]
        model, history = train_gnn(task, variant, config, seed, gain, epochs=epochs, steps_per_epoch=steps_per_epoch,
                                   negative_sampler=hard if variant.hard_negatives else None,
                                   tables=tables[variant.pooling], progress=progress)  # fmt: skip
        emb = embed(model, task, config.walks, seed, "test")
        runs[method] = GNNRun(evaluate_related(embedding_scorer(emb), task.test_pairs, task.num_items), emb, model,
                              history)  # fmt: skip
    return runs


def _ranking_rows(dataset: str, rankings: dict[str, RankingResult], methods: tuple[str, ...], note: str,
                  by_stratum: dict[str, dict[str, RankingResult]] | None = None) -> list[Row]:  # fmt: skip
    rows = []
    for method in methods:
        paper = PAPER.get(method, (None, None)) if dataset == "pinboard" else (None, None)
        parts = [("", rankings[method], paper)]
        parts += [(f"/{name}", r, (None, None)) for name, r in (by_stratum or {}).get(method, {}).items()]
        for suffix, result, ref in parts:
            for metric, value, paper_value in (("hit-rate", result.hit_rate, ref[0]),
                                               ("mrr-scaled", result.mrr_scaled, ref[1])):  # fmt: skip
                rows.append(Row(dataset, method, metric + suffix, value, paper=paper_value, comparable=False,
                                note=note))  # fmt: skip
    return rows


_STRATA_NOTE = ("; strata: the query's training degree (distinct training boards) new 0, tail 1-2, torso 3-7, "
                "head >= 8, and new-target (target without a training save)")  # fmt: skip


# ---------------------------------------------------------------------- the budget, chosen on validation
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
        return replace(config, walks=replace(config.walks, top_t=self.top_t),
                       gnn=replace(config.gnn, lr=self.lr, epochs=self.epochs))  # fmt: skip

    def rows(self) -> list[Row]:
        note = (f"validation split of the pinboard world (seed {self.seed}): PinSage with random negatives, "
                f"hit@{self.k} of validation pairs after the best epoch, per neighbourhood size T and learning rate; "
                "the paper's Table 4 sweeps T on Pinterest")  # fmt: skip
        rows = [Row("pinboard-validation", "pinsage-random-negatives", f"hit-rate/t={t},lr={lr:g}", max(curve),
                    comparable=False, note=note) for (t, lr), curve in self.curves.items()]  # fmt: skip
        rows.append(Row("pinboard-validation", "pinsage-untrained", "hit-rate", self.untrained, comparable=False,
                        note=note + "; the untrained model (smoothing start: ranks as importance-smoothed)"))
        rows.append(Row("pinboard-validation", "pinsage", "hit-rate", self.best, comparable=False,
                        note=note + f"; the chosen setting T={self.top_t}, lr={self.lr:g}, {self.epochs} epochs"))
        return rows


def untrained_validation_hit(task: RelatedItemTask, config: PinSageExperiment, seed: int, top_t: int,
                             val: Tensor, gain: float) -> float:  # fmt: skip
    """Validation hit-rate of seed ``seed``'s PinSage before any training (``T = top_t``, smoothing start
    ``gain``): with an embedding at least as wide as the inputs it ranks exactly as importance-smoothed
    with that ``g`` (narrower, the start is an orthogonal projection). Notebook 02's reference for training."""
    model = new_model(task.features["combined"].shape[1], config.gnn.hidden_dim, "importance", seed, gain)
    emb = embed(model, task, replace(config.walks, top_t=top_t), seed, "val")
    return evaluate_related(embedding_scorer(emb), val, task.num_items).hit_rate


def run_selection(config: PinSageExperiment, seed: int = 0, progress: bool = True) -> SelectionResult:
    """Choose ``T``, the learning rate and the epochs on the validation split of seed ``seed``'s world.

    A coordinate search: every ``T`` of ``config.selection.t_values`` at the config's learning rate,
    then every learning rate at the best ``T``; each run is validated after every epoch (up to
    ``config.gnn.epochs``) and the best (``T``, lr, epoch) wins. Hard negatives are left out (they
    would double the sweep's cost; the curriculum's schedule is fixed by the paper, not tuned).
    """
    began = time.perf_counter()
    with seeded(seed):
        world = make_pinboard(config.num_pins, seed=seed, feature_fraction=config.world.feature_fraction,
                              saves_per_pin=config.world.saves_per_pin)  # fmt: skip
        task = pinboard_task(world, seed=seed)
        val = validation_subsample(task, config.selection.val_pairs, seed)
        curves: dict[tuple[int, float], list[float]] = {}
        gains = {t: choose_references(task, replace(config, walks=replace(config.walks, top_t=t)), seed).gain
                 for t in config.selection.t_values}  # fmt: skip

        def sweep(top_t: int, lr: float) -> None:
            if (top_t, lr) in curves:
                return
            trial = replace(config, walks=replace(config.walks, top_t=top_t), gnn=replace(config.gnn, lr=lr))
            _, history = train_gnn(task, Variant(), trial, seed, gains[top_t], val_pairs=val, progress=progress)
            curves[(top_t, lr)] = [e["hit-rate"] for e in history.evaluations]

        for top_t in config.selection.t_values:
            sweep(top_t, config.gnn.lr)
        best_t = max(config.selection.t_values, key=lambda t: max(curves[(t, config.gnn.lr)]))
        for lr in config.selection.lr_values:
            sweep(best_t, lr)
    (top_t, lr), curve = max(curves.items(), key=lambda item: max(item[1]))
    untrained = untrained_validation_hit(task, config, seed, top_t, val, gains[top_t])
    epochs = 1 + max(range(len(curve)), key=lambda e: curve[e])
    return SelectionResult(seed=seed, seconds=time.perf_counter() - began, curves=curves, top_t=top_t, lr=lr,
                           epochs=epochs, k=ranking_cutoffs(config.num_pins)[0], untrained=untrained,
                           gains=gains)  # fmt: skip


# ---------------------------------------------------------------------- Table 1 on the pinboard world
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

    def rows(self) -> list[Row]:
        note = (f"planted pinboard world ({self.num_pins} pins; train / validation / test by save time, every test pair; "
                "graph methods on the training graph grown by the new pins' saves made before the test window; "
                f"references' settings chosen on validation): hit@{self.k} and scaled MRR "
                f"(scale {self.scale:g}) among all {self.num_pins} pins; budget chosen on validation; the paper's "
                "numbers are on Pinterest's data with 5M candidates, hit@500 and scale 100, shown for orientation "
                "only" + _STRATA_NOTE)  # fmt: skip
        return _ranking_rows("pinboard", self.rankings, PINBOARD_METHODS, note, self.strata)


def make_world(config: PinSageExperiment, seed: int):
    """The seed's world with the config's assumptions (feature calibration and density)."""
    return make_pinboard(config.num_pins, seed=seed, feature_fraction=config.world.feature_fraction,
                         saves_per_pin=config.world.saves_per_pin)  # fmt: skip


def run_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> PinboardResult:
    """One seed of notebook 02's pinboard comparison, end to end (world, split, baselines, GNNs, strata).

    ``config`` carries the budget (``walks.top_t``, ``gnn.lr``, ``gnn.epochs``); pass
    ``run_selection(...).apply(config)`` so that it was chosen on validation.
    """
    began = time.perf_counter()
    with seeded(seed):
        world = make_world(config, seed)
        task = pinboard_task(world, seed=seed)
        choice = choose_references(task, config, seed)
        rankings = run_baselines(task, config.walks, config.pixie_rounds, seed)
        rankings.update(run_references(task, config, seed, choice))
        rankings["combined"] = train_combined(task, config, seed)
        runs = train_gnns(task, config, seed, choice.gain, progress=progress)
        rankings.update({method: run.result for method, run in runs.items()})
        degree = task.degree()
        by_stratum = {m: strata(rankings[m], task.test_pairs, degree) for m in PINBOARD_METHODS}
        pinsage = runs["pinsage"]
        queries = torch.arange(0, task.num_items, max(1, task.num_items // 1000))
        category, lookalike = torch.from_numpy(world.pin_category), torch.from_numpy(world.category_lookalike)
        mix = {
            "visual": lookalike_mix(feature_scorer(task.features["visual"]), queries, category, lookalike),
            "pinsage": lookalike_mix(embedding_scorer(pinsage.embeddings), queries, category, lookalike),
        }
    k, scale = ranking_cutoffs(task.num_items)
    return PinboardResult(
        seed=seed, seconds=time.perf_counter() - began, k=k, scale=scale, num_pins=task.num_items,
        rankings={m: rankings[m] for m in PINBOARD_METHODS}, strata=by_stratum, lookalike=mix,
        histories={m: r.history for m, r in runs.items()}, feature_strength=world.feature_strength, task=task,
        pinsage=pinsage.model, embeddings=pinsage.embeddings, references=choice,
    )  # fmt: skip


# ---------------------------------------------------------------------- the regime map
@dataclass(frozen=True)
class RegimeMargin:
    """A regime-map cell's best method, its runner-up and ``best - runner_up`` in hit-rate (interval)."""

    best: str
    runner_up: str
    difference: Interval

    @property
    def decided(self) -> bool:
        return self.difference.low > 0


@dataclass(frozen=True)
class RegimeResult(RunResult):
    """One seed of the regime map: ``cells[(features, density)][method]`` -> test ranking."""

    k: int
    num_pins: int
    cells: dict[tuple[str, str], dict[str, RankingResult]]
    feature_strength: dict[tuple[str, str], float]
    epochs: int
    steps_per_epoch: int

    def margins(self) -> dict[tuple[str, str], RegimeMargin]:
        """Each cell's best method by hit-rate, the runner-up, and the hit-rate difference between them
        with its 95 % paired-bootstrap interval over the cell's test pairs (every method ranks the same
        pairs). A cell whose interval holds 0 has no winner that its test pairs can tell apart."""
        out = {}
        for cell, rankings in self.cells.items():
            best, second = sorted(REGIME_METHODS, key=lambda m: -rankings[m].hit_rate)[:2]
            hits = {m: (rankings[m].ranks <= self.k).double().numpy() for m in (best, second)}
            out[cell] = RegimeMargin(best, second, paired_bootstrap(hits[best], hits[second]))
        return out

    def rows(self) -> list[Row]:
        rows = []
        for (features, density), rankings in self.cells.items():
            note = (f"regime map: small planted pinboard world ({self.num_pins} pins), features '{features}' "
                    f"(calibrated: combined-feature kNN at a set fraction of the same-interest oracle), density "
                    f"'{density}' (mean saves per pin); PinSage with random negatives and a short budget "
                    f"({self.epochs} x {self.steps_per_epoch} steps); hit@{self.k} over every test pair; no paper number")  # fmt: skip
            dataset = f"pinboard-regime/features={features},density={density}"
            for method in REGIME_METHODS:
                rows.append(Row(dataset, method, "hit-rate", rankings[method].hit_rate, comparable=False, note=note))
                rows.append(Row(dataset, method, "mrr-scaled", rankings[method].mrr_scaled, comparable=False, note=note))
        return rows


def run_regime_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> RegimeResult:
    """Pixie vs the combined-feature baselines (kNN and the paper's MLP) vs PinSage in 3 feature strengths x 3 graph densities (small worlds).

    Every cell is a fresh world of ``config.regime.num_pins`` pins (the same seed), its features
    calibrated to the cell's fraction of the same-interest oracle; PinSage (random negatives) trains
    for ``config.regime`` 's short budget with the config's ``T`` and learning rate.
    """
    began = time.perf_counter()
    regime = config.regime
    small = replace(config, num_pins=regime.num_pins,
                    gnn=replace(config.gnn, epochs=regime.epochs, steps_per_epoch=regime.steps_per_epoch,
                                hidden_dim=regime.hidden_dim))  # fmt: skip
    cells, strength = {}, {}
    with seeded(seed):
        for features, fraction in regime.feature_fractions:
            for density, saves in regime.densities:
                world = make_pinboard(regime.num_pins, seed=seed, feature_fraction=fraction, saves_per_pin=saves)
                task = pinboard_task(world, seed=seed)
                pairs = task.test_pairs
                sampler = make_sampler(task, config.walks, seed, split="test")
                gain = choose_references(task, small, seed).gain
                model, _ = train_gnn(task, Variant(), small, seed, gain, progress=progress)
                emb = embed(model, task, config.walks, seed, "test")
                cells[(features, density)] = {
                    "pixie": evaluate_related(pixie_scorer(sampler, config.pixie_rounds), pairs, task.num_items),
                    "combined-knn": evaluate_related(feature_scorer(task.features["combined"]), pairs, task.num_items),
                    "combined": train_combined(task, small, seed),
                    "pinsage": evaluate_related(embedding_scorer(emb), pairs, task.num_items),
                }
                strength[(features, density)] = world.feature_strength
    return RegimeResult(seed=seed, seconds=time.perf_counter() - began, k=ranking_cutoffs(regime.num_pins)[0],
                        num_pins=regime.num_pins, cells=cells, feature_strength=strength, epochs=regime.epochs,
                        steps_per_epoch=regime.steps_per_epoch)  # fmt: skip


# ---------------------------------------------------------------------- MovieLens
@dataclass(frozen=True)
class MovieLensResult(RunResult):
    """One seed of the MovieLens-100K comparison (``rankings``: method -> ranks, :data:`MOVIELENS_METHODS`)."""

    k: int
    scale: float
    num_items: int
    rankings: dict[str, RankingResult]
    strata: dict[str, dict[str, RankingResult]] = field(default_factory=dict)

    def rows(self) -> list[Row]:
        note = (f"MovieLens-100K, pairs = movies one user rated consecutively, each user's last rating held out; "
                f"hit@{self.k} and scaled MRR (scale {self.scale:g}) among all {self.num_items} movies; the GNN "
                "budget is fixed (not validated); the paper reports no MovieLens number" + _STRATA_NOTE)  # fmt: skip
        return _ranking_rows("movielens-100k", self.rankings, MOVIELENS_METHODS, note, self.strata)


@functools.lru_cache(maxsize=1)
def movielens_related_task() -> RelatedItemTask:
    """MovieLens-100K as a related-item task (loaded once per process; the task has no randomness)."""
    return movielens_task(load_movielens_100k())


def run_movielens_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> MovieLensResult:
    """One seed of the MovieLens-100K comparison: the baselines and the four GNNs (``config.movielens`` budget)."""
    began = time.perf_counter()
    task = copy.copy(movielens_related_task())
    with seeded(seed):
        rankings = run_baselines(task, config.walks, config.pixie_rounds, seed)
        rankings["combined"] = train_combined(task, config, seed, epochs=config.movielens.epochs,
                                              steps_per_epoch=config.movielens.steps_per_epoch)  # fmt: skip
        runs = train_gnns(task, config, seed, config.gnn.default_gain, methods=MOVIELENS_VARIANTS,
                          epochs=config.movielens.epochs,
                          steps_per_epoch=config.movielens.steps_per_epoch, progress=progress)  # fmt: skip
        rankings.update({method: run.result for method, run in runs.items()})
        degree = task.degree()
        by_stratum = {m: strata(rankings[m], task.test_pairs, degree) for m in MOVIELENS_METHODS}
    k, scale = ranking_cutoffs(task.num_items)
    return MovieLensResult(seed=seed, seconds=time.perf_counter() - began, k=k, scale=scale, num_items=task.num_items,
                           rankings={m: rankings[m] for m in MOVIELENS_METHODS}, strata=by_stratum)  # fmt: skip


def pooled_hits(results: list[PinboardResult] | list[MovieLensResult], method: str, stratum: str | None = None) -> Tensor:
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
