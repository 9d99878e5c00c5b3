"""Notebook 02's study: config -> ``run_*`` -> typed result -> rows (models built by :mod:`~lecturekit.studies.pinsage_runner`).

* :class:`PinSageExperiment` / :data:`PROFILES` -- the frozen config (defaults = the ``course`` profile);
* :func:`run_selection` -- ``T``, learning rate and epochs chosen on the *validation* split (PinSage with
  random negatives, from the smoothing start) -> :class:`SelectionResult`; the test pairs are never read;
* :func:`run_seed` -- Table 1 on one seed's world with the chosen budget: references first (popularity,
  importance-smoothed, knn-popularity, oracle), feature, Pixie and item-CF baselines, the combined MLP and
  the GNN variants of :data:`VARIANTS` (with the ablations), every test pair, strata -> :class:`PinboardResult`;
* :func:`run_movielens_seed` -- the same comparison on MovieLens-100K -> :class:`MovieLensResult`;
* the regime map is :mod:`lecturekit.studies.nb02_regime`; record names, typed results and
  :func:`~lecturekit.studies.nb02_pinsage_results.pooled_hits` are in :mod:`lecturekit.studies.nb02_pinsage_results`.

Evaluation protocol (all methods alike): models train on the training graph; validation and test are
ranked on the graph of their window (the training graph grown by the new pins' saves made before the
window: :func:`lecturekit.data.pinboard_split.temporal_split`), same weights, no retraining. Each run owns its
randomness (seeded from the run's seed, body under :func:`lecturekit.seed.seeded`). Used by notebook 02.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.pinboard import Pinboard
from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.baselines import (
    feature_scorer,
    item_cf_scorer,
    popularity_scorer,
    smoothed_embeddings,
)
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.content_mlp import ContentMLPTraining, content_embeddings, train_content_mlp
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.evaluation import (
    RankingResult,
    embedding_scorer,
    evaluate_related,
    lookalike_mix,
    strata,
)
from lecturekit.recsys.pinsage.model import PinSage
from lecturekit.recsys.pinsage.pixie import pixie_scorer
from lecturekit.recsys.pinsage.train import EpochNeighborhoods, TrainHistory, no_better_for
from lecturekit.seed import seeded
from lecturekit.studies import pinsage_runner as runner
from lecturekit.studies.contract import Profiles
from lecturekit.studies.nb02_pinsage_results import (
    MOVIELENS_METHODS,
    MOVIELENS_VARIANTS,
    PINBOARD_METHODS,
    VARIANTS,
    MovieLensResult,
    PinboardResult,
    SelectionResult,
    TrainingDiagnosis,
)
from lecturekit.studies.pinsage_runner import (
    GNNSettings,
    HardNegativeSettings,
    ReferenceSettings,
    Variant,
    WalkSettings,
    choose_references,
    embed,
    make_sampler,
    new_model,
    train_variant,
    validation_subsample,
)

# sweep runs stop after 2 epochs (one pass) with no better validation hit-rate (the best were epochs 2-5)
PATIENCE = 2


# ---------------------------------------------------------------------- the config
@dataclass(frozen=True)
class SelectionSettings:
    """The validation sweep of :func:`run_selection` (on the first seed's world)."""

    t_values: tuple[int, ...] = (10, 20, 50)  # Table 4's neighbourhood sizes
    lr_values: tuple[float, ...] = (1e-3, 3e-3)  # swept at the best T (a coordinate search)


@dataclass(frozen=True)
class MovieLensSettings:
    """The GNN budget on MovieLens-100K (same model settings as :class:`~lecturekit.studies.pinsage_runner.GNNSettings`)."""

    epochs: int = 2
    steps_per_epoch: int = 30  # 30 x 512 pairs: a sixth of the consecutive-movie pairs per epoch


# The regime map's two axes (fixed: the map is always these 3 x 3 cells): feature strength as the share of the
# same-interest oracle that combined-feature kNN reaches (02's world: 0.35), and graph density in saves per pin (5.0).
# the regime map's axes: half and twice the course world's assumptions around them (weak is about half)
REGIME_FEATURES = (("weak", 0.15), ("medium", runner.FEATURE_FRACTION), ("strong", 0.6))
REGIME_DENSITIES = (("sparse", 2.5), ("medium", runner.SAVES_PER_PIN), ("dense", 10.0))


@dataclass(frozen=True)
class RegimeSettings:
    """The regime map: small worlds, short training (a map of who wins where, not Table 1); axes
    :data:`REGIME_FEATURES` x :data:`REGIME_DENSITIES`."""

    num_pins: int = 4000  # small worlds: nine of them must fit in the notebook's budget
    epochs: int = 3
    steps_per_epoch: int | None = None  # one pass over a small world's pairs per epoch
    hidden_dim: int = 32


@dataclass(frozen=True)
class PinSageExperiment:
    """Notebook 02's settings; the defaults are the ``course`` profile (see :data:`PROFILES`)."""

    num_pins: int = 20_000  # large enough that walks beat direct neighbours, small enough for a laptop
    num_seeds: int = 3  # worlds per comparison (each seed: a fresh world, split and training)
    walks: WalkSettings = WalkSettings()
    gnn: GNNSettings = GNNSettings()
    # notebook 03's PPR band (ranks 1K..2.5K, hub boards pruned); the curriculum reaches 5 hard negatives by epoch 6
    hard: HardNegativeSettings = HardNegativeSettings(max_hard=6)
    references: ReferenceSettings = ReferenceSettings()
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
            raise ValueError(
                f"PinSageExperiment.selection.lr_values must be positive, got {self.selection.lr_values!r}"
            )

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.num_seeds))


COURSE = PinSageExperiment()
PROFILES = Profiles(
    quick=replace(
        COURSE,
        num_pins=2000,
        num_seeds=1,
        pixie_rounds=2,
        walks=replace(COURSE.walks, num_walks=30, top_t=10),
        gnn=replace(
            COURSE.gnn,
            hidden_dim=32,
            epochs=2,
            steps_per_epoch=8,
            batch_size=64,
            num_negatives=64,
            num_workers=0,
        ),  # CI: no worker processes
        hard=replace(COURSE.hard, max_hard=2, num_walks=100),
        references=replace(COURSE.references, val_pairs=200),
        selection=replace(COURSE.selection, t_values=(5, 10), lr_values=(3e-3,)),
        movielens=replace(COURSE.movielens, epochs=1, steps_per_epoch=5),
        regime=replace(COURSE.regime, num_pins=1000, epochs=1, steps_per_epoch=5, hidden_dim=16),
    ),
    course=COURSE,
    full=replace(
        COURSE,
        num_pins=100_000,
        num_seeds=5,
        pixie_rounds=8,
        walks=replace(COURSE.walks, num_walks=200, walk_length=3, top_t=50),
        gnn=replace(
            COURSE.gnn, hidden_dim=128, steps_per_epoch=200, batch_size=512, num_negatives=500, lr=1e-3
        ),
        references=replace(COURSE.references, val_pairs=5000),
        selection=replace(COURSE.selection, t_values=(20, 50, 100)),
        movielens=replace(COURSE.movielens, epochs=10, steps_per_epoch=100),
        regime=replace(COURSE.regime, num_pins=20_000, epochs=10, steps_per_epoch=40, hidden_dim=64),
    ),
)


# The two-hop smoothing's second g (a diagnosis of what one more parameter-free hop adds; best on validation).
SECOND_GAINS = (0.5, 1.0, 2.0)


# ---------------------------------------------------------------------- building blocks
def run_baselines(
    task: RelatedItemTask, walks: WalkSettings, pixie_rounds: int, seed: int, split: str = "test"
) -> dict[str, RankingResult]:
    """Feature nearest neighbours (every feature set of the task), Pixie and item-CF, on ``split``'s
    pairs and graph (Pixie walks and item-CF read the grown graph, as PinSage's inference does)."""
    pairs, graph = task.pairs(split), task.graph(split)
    results = {
        "popularity": evaluate_related(
            popularity_scorer(runner.graph_degree_of(task, split)), pairs, task.num_items
        )
    }
    results.update(
        {
            name: evaluate_related(feature_scorer(x), pairs, task.num_items)
            for name, x in task.features.items()
        }
    )
    results["combined-knn"] = results.pop("combined")
    sampler = make_sampler(task, walks, seed, split=split)
    results["pixie"] = evaluate_related(pixie_scorer(sampler, max_rounds=pixie_rounds), pairs, task.num_items)
    results["item-cf"] = evaluate_related(
        item_cf_scorer(graph, task.num_items, task.num_users), pairs, task.num_items
    )
    return results


@dataclass
class GNNRun:
    """One trained variant: its test ranking, item embeddings (test graph), model and training history."""

    result: RankingResult
    embeddings: Tensor
    model: PinSage
    history: TrainHistory


def train_combined(
    task: RelatedItemTask,
    config: PinSageExperiment,
    seed: int,
    *,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    hidden_dim: int | None = None,
) -> RankingResult:
    """The paper's *Combined* baseline on the test pairs: a 2-layer MLP on ``task.features["combined"]``
    trained on the training pairs with the GNNs' loss, steps, batch, negatives and learning rate,
    stopped at its best validation epoch when the task has validation pairs (no graph anywhere)."""
    gnn = config.gnn
    one_pass = -(-len(task.train_pairs) // gnn.batch_size)
    training = ContentMLPTraining(
        epochs=epochs or gnn.epochs,
        steps_per_epoch=steps_per_epoch or gnn.steps_per_epoch or one_pass,
        batch_size=gnn.batch_size,
        num_negatives=gnn.num_negatives,
        margin=runner.MARGIN,
        lr=gnn.lr,
        hidden_dim=hidden_dim or gnn.hidden_dim,
        loss=runner.RECIPE_LOSS,
        temperature=runner.TEMPERATURE,
    )
    validate = None
    if task.val_pairs is not None:
        val = validation_subsample(task, config.references.val_pairs, seed)

        def validate(emb: Tensor) -> float:
            return evaluate_related(embedding_scorer(emb), val, task.num_items).hit_rate

    x = task.features["combined"]
    model, _ = train_content_mlp(x, task.train_pairs, training, seed, validate=validate)
    return evaluate_related(embedding_scorer(content_embeddings(model, x)), task.test_pairs, task.num_items)


def train_gnns(
    task: RelatedItemTask,
    config: PinSageExperiment,
    seed: int,
    gain: float,
    *,
    methods: tuple[str, ...] = tuple(VARIANTS),
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    progress: bool = True,
) -> dict[str, GNNRun]:
    """The GNNs of Table 1 (``methods`` of :data:`VARIANTS`), trained identically (same features, steps,
    negatives, budget); only what the variant names differs: the neighbourhood and pooling,
    (``pinsage``) the hard-negative curriculum, and in the ablations the loss or the start.
    Max-pooling reads the same direct neighbourhoods as mean-pooling. Each is then embedded on the
    test graph and ranked on every test pair."""
    sampler = make_sampler(task, config.walks, seed)
    # neighbourhoods resampled every epoch (as the paper's producer does), walked once for all four models
    tables = {p: EpochNeighborhoods(sampler, p, seed) for p in ("importance", "mean")}
    tables["max"] = tables["mean"]
    hard = runner.hard_negative_sampler(task, config.hard, seed)
    runs = {}
    for method in methods:
        variant = VARIANTS[method]
        model, history = train_variant(
            task,
            variant,
            config.walks,
            config.gnn,
            seed,
            gain,
            hard=hard,
            epochs=epochs,
            steps_per_epoch=steps_per_epoch,
            tables=tables[variant.pooling],
            progress=progress,
        )
        emb = embed(model, task, config.walks, seed, "test")
        runs[method] = GNNRun(runner.rank(emb, task), emb, model, history)
    return runs


# ---------------------------------------------------------------------- the budget, chosen on validation
def untrained_validation_hit(
    task: RelatedItemTask, config: PinSageExperiment, seed: int, top_t: int, val: Tensor, gain: float
) -> float:
    """Validation hit-rate of seed ``seed``'s PinSage before any training (``T = top_t``, smoothing start
    ``gain``): with an embedding at least as wide as the inputs it ranks exactly as importance-smoothed
    with that ``g`` (narrower, the start is an orthogonal projection). Notebook 02's reference for training."""
    model = new_model(task.features["combined"].shape[1], config.gnn.hidden_dim, "importance", seed, gain)
    emb = embed(model, task, replace(config.walks, top_t=top_t), seed, "val")
    return evaluate_related(embedding_scorer(emb), val, task.num_items).hit_rate


def training_diagnosis(
    task: RelatedItemTask, config: PinSageExperiment, seed: int, gain: float, model: PinSage, val: Tensor
) -> TrainingDiagnosis:
    """What training added to the smoothing start on the validation pairs ``val`` (validation graph): the
    untrained and trained hit-rates overall and per stratum, the parameter-free two-hop smoothing (its second
    ``g`` the best of :data:`SECOND_GAINS` on ``val``), and how far the weights moved from their start."""
    x, walks = task.features["combined"], config.walks
    start = new_model(x.shape[1], config.gnn.hidden_dim, "importance", seed, gain)

    def ranked(emb: Tensor) -> RankingResult:
        return evaluate_related(embedding_scorer(emb), val, task.num_items)

    before, after = (ranked(embed(m, task, walks, seed, "val")) for m in (start, model))
    table = NeighborTable(make_sampler(task, walks, seed, split="val").sample, task.num_items)
    two_hop = max(
        ranked(smoothed_embeddings(x, table.neighbors, table.weights, gain, g2)).hit_rate
        for g2 in SECOND_GAINS
    )
    degree = task.degree()
    return TrainingDiagnosis(
        untrained=before.hit_rate,
        trained=after.hit_rate,
        two_hop=two_hop,
        moved={
            name: float(((getattr(model, name).weight - w0.weight).norm() / w0.weight.norm()).detach())
            for name, w0 in (("R", start.R), ("S", start.S))
        },
        branch_norm=float(model.G2.weight.detach().norm()),
        strata={
            name: {s: r.hit_rate for s, r in strata(res, val, degree).items()}
            for name, res in (("untrained", before), ("trained", after))
        },
    )


def run_selection(config: PinSageExperiment, seed: int = 0, progress: bool = True) -> SelectionResult:
    """Choose ``T``, the learning rate and the epochs on the validation split of seed ``seed``'s world.

    A coordinate search: every ``T`` of ``config.selection.t_values`` at the config's learning rate,
    then every learning rate at the best ``T``; each run is validated after every epoch (up to
    ``config.gnn.epochs``, stopping after :data:`PATIENCE` epochs without a better one) and the best
    (``T``, lr, epoch) wins. Hard negatives are left out (they
    would double the sweep's cost; the curriculum's schedule is fixed by the paper, not tuned).
    """
    began = time.perf_counter()
    with seeded(seed):
        task = pinboard_task(make_world(config, seed), seed=seed)
        val = validation_subsample(task, config.references.val_pairs, seed)
        curves: dict[tuple[int, float], list[float]] = {}
        gains = {
            t: choose_references(task, replace(config.walks, top_t=t), config.references, seed).gain
            for t in config.selection.t_values
        }

        def sweep(top_t: int, lr: float) -> None:
            if (top_t, lr) in curves:
                return
            walks, gnn = replace(config.walks, top_t=top_t), replace(config.gnn, lr=lr)
            stop = no_better_for(PATIENCE)
            _, history = train_variant(
                task, Variant(), walks, gnn, seed, gains[top_t], val_pairs=val, progress=progress, stop=stop
            )
            curves[(top_t, lr)] = [e["hit-rate"] for e in history.evaluations]

        for top_t in config.selection.t_values:
            sweep(top_t, config.gnn.lr)
        best_t = max(config.selection.t_values, key=lambda t: max(curves[(t, config.gnn.lr)]))
        for lr in config.selection.lr_values:
            sweep(best_t, lr)
    (top_t, lr), curve = max(curves.items(), key=lambda item: max(item[1]))
    untrained = untrained_validation_hit(task, config, seed, top_t, val, gains[top_t])
    epochs = 1 + max(range(len(curve)), key=lambda e: curve[e])
    return SelectionResult(
        seed=seed,
        seconds=time.perf_counter() - began,
        curves=curves,
        top_t=top_t,
        lr=lr,
        epochs=epochs,
        k=ranking_cutoffs(config.num_pins)[0],
        untrained=untrained,
        gains=gains,
    )


# ---------------------------------------------------------------------- Table 1 on the pinboard world
def make_world(config: PinSageExperiment, seed: int) -> Pinboard:
    """The seed's world (``config.num_pins`` pins; the assumptions are the runner's constants)."""
    return runner.make_world(config.num_pins, seed)


def run_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> PinboardResult:
    """One seed of notebook 02's pinboard comparison, end to end (world, split, references, baselines, GNNs,
    strata); ``config`` carries the budget: pass ``run_selection(...).apply(config)`` (chosen on validation)."""
    began = time.perf_counter()
    with seeded(seed):
        world = make_world(config, seed)
        task = pinboard_task(world, seed=seed)
        choice = choose_references(task, config.walks, config.references, seed)
        rankings = run_baselines(task, config.walks, config.pixie_rounds, seed)
        rankings.update(runner.run_references(task, config.walks, seed, choice))
        rankings["combined"] = train_combined(task, config, seed)
        runs = train_gnns(task, config, seed, choice.gain, progress=progress)
        rankings.update({method: run.result for method, run in runs.items()})
        degree = task.degree()
        by_stratum = {m: strata(rankings[m], task.test_pairs, degree) for m in PINBOARD_METHODS}
        pinsage, val = runs["pinsage"], validation_subsample(task, config.references.val_pairs, seed)
        diagnosis = training_diagnosis(task, config, seed, choice.gain, pinsage.model, val)
        queries = torch.arange(0, task.num_items, max(1, task.num_items // 1000))
        category, lookalike = torch.from_numpy(world.pin_category), torch.from_numpy(world.category_lookalike)
        mix = {
            "visual": lookalike_mix(feature_scorer(task.features["visual"]), queries, category, lookalike),
            "pinsage": lookalike_mix(embedding_scorer(pinsage.embeddings), queries, category, lookalike),
        }
    k, scale = ranking_cutoffs(task.num_items)
    return PinboardResult(
        seed=seed,
        seconds=time.perf_counter() - began,
        k=k,
        scale=scale,
        num_pins=task.num_items,
        rankings={m: rankings[m] for m in PINBOARD_METHODS},
        strata=by_stratum,
        lookalike=mix,
        histories={m: r.history for m, r in runs.items()},
        feature_strength=world.feature_strength,
        task=task,
        pinsage=pinsage.model,
        embeddings=pinsage.embeddings,
        references=choice,
        diagnosis=diagnosis,
    )


# ---------------------------------------------------------------------- MovieLens
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
        rankings["combined"] = train_combined(
            task,
            config,
            seed,
            epochs=config.movielens.epochs,
            steps_per_epoch=config.movielens.steps_per_epoch,
        )
        runs = train_gnns(
            task,
            config,
            seed,
            runner.DEFAULT_GAIN,
            methods=MOVIELENS_VARIANTS,
            epochs=config.movielens.epochs,
            steps_per_epoch=config.movielens.steps_per_epoch,
            progress=progress,
        )
        rankings.update({method: run.result for method, run in runs.items()})
        degree = task.degree()
        by_stratum = {m: strata(rankings[m], task.test_pairs, degree) for m in MOVIELENS_METHODS}
    k, scale = ranking_cutoffs(task.num_items)
    return MovieLensResult(
        seed=seed,
        seconds=time.perf_counter() - began,
        k=k,
        scale=scale,
        num_items=task.num_items,
        rankings={m: rankings[m] for m in MOVIELENS_METHODS},
        strata=by_stratum,
    )
