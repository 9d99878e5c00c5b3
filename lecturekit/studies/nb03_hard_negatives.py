"""Notebook 03's study: hard negatives and the curriculum, in the course's one shape.

One config, :class:`HardNegativesConfig` (defaults = the ``course`` profile; :data:`PROFILES`), serves
four experiments, each with its own ``run_*_seed`` and result type:

* :func:`run_pinboard_seed` -> :class:`PinboardResult`: the six methods of the paper's hard-negative
  ablation on the planted pinboard world (validation curves of the three PinSage schedules, the score
  and top-10 diagnostics of the random-only and curriculum models);
* :func:`run_band_sweep_seed` -> :class:`BandSweepResult`: PinSage with the curriculum under other
  bands (in units of the cut-off K) and the max-margin ``separate`` weighting, with what each band holds;
* ``nb03_siblings.run_sibling_seed`` -> ``SiblingResult``: the small planted sibling world;
* :func:`run_movielens_seed` -> :class:`MovieLensResult`: MovieLens-100K.
:func:`~lecturekit.studies.nb03_band_anatomy.band_anatomy` describes what the PPR ranking holds (no training); :func:`compare` gives the
paired differences as :class:`~lecturekit.studies.report.Comparison` rows for ``verdict_table``. The record
names, typed results and :func:`compare` live in :mod:`lecturekit.studies.nb03_hard_negatives_results`.

Every model is built and trained by the runner shared with notebook 02 (:mod:`lecturekit.studies.pinsage_runner`):
a method here is a :class:`~lecturekit.studies.pinsage_runner.Variant`. Within a seed all models start from
the same initialisation and see the same batches and bands, whatever was trained before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.pinboard import Pinboard
from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.loss import WEIGHTINGS
from lecturekit.recsys.pinsage.negative_diagnostics import (
    relation_to_query,
    score_distributions,
)
from lecturekit.recsys.pinsage.negatives import HardNegativeSampler, resolve_band
from lecturekit.recsys.pinsage.train import TrainHistory
from lecturekit.seed import derive_seed, seeded
from lecturekit.studies.contract import Profiles
from lecturekit.studies.nb03_band_anatomy import BandAnatomy, drawn_content, relations_of, shares_of
from lecturekit.studies.nb03_band_anatomy import band_anatomy as anatomy_of
from lecturekit.studies.nb03_hard_negatives_results import (
    METHODS,
    METRICS,
    SCHEDULE_METHODS,
    VISUAL_NEGATIVES,
    BandSweepResult,
    MovieLensResult,
    PinboardResult,
    ScoreDistribution,
)
from lecturekit.studies.pinsage_runner import (
    DEFAULT_GAIN,
    GNNSettings,
    HardNegativeSettings,
    ReferenceSettings,
    Variant,
    WalkSettings,
    choose_references,
    embed,
    hard_negative_sampler,
    make_world,
    rank,
    train_variant,
    validation_subsample,
)
from lecturekit.threads import torch_threads

NOTEBOOK = "03_hard_negatives"


# ---------------------------------------------------------------------- configuration
# Fixed settings (issue #22's audit: no profile, notebook or test varies them, so they are not config fields).
WORLD_SEED = (
    0  # one world and split (notebook 02's world at 03's size); the seeds vary initialisation, batches, draws
)
NUM_THREADS = 1  # small models: one torch thread is fastest on a shared 2-core laptop


@dataclass(frozen=True)
class SiblingConfig:
    """The sibling world of section 4 (``negatives.sibling_task``), a mechanism check at toy size (its fixed
    sizes: the constants of :mod:`lecturekit.studies.nb03_siblings`)."""

    num_seeds: int = 10  # cheap (400 items), so enough seeds to count wins
    epochs: int = 6
    loss: str = (
        "margin"  # the paper's max-margin loss with uniform negatives: the mechanism hard negatives fix
    )


@dataclass(frozen=True)
class MovieLensConfig:
    """The MovieLens-100K runs of section 8 (other settings from the pinboard training)."""

    num_seeds: int = 1
    epochs: int = 3
    steps_per_epoch: int = (
        20  # 20 x 256 pairs per epoch: a sliver of the 99k pairs, a fixed (unvalidated) budget
    )
    methods: tuple[str, ...] = (
        "mean-pooling",
        "mean-pooling-xent",
        "mean-pooling-hard",
        "pinsage",
        "pinsage-random-only",
        "pinsage-no-curriculum",
    )


@dataclass(frozen=True)
class HardNegativesConfig:
    """Everything notebook 03 runs; the defaults are the ``course`` profile (a few minutes on 2 cores)."""

    num_pins: int = 3_000  # notebook 02's world (the runner's make_world) at the size 2 cores allow
    num_seeds: int = 5  # paired comparisons over seeds
    walks: WalkSettings = WalkSettings(num_walks=50, top_t=10)  # a 3k-pin world: fewer walks, smaller T
    # 02's recipe at a small world's size: one pass (~25 steps of 256) per epoch, 6 epochs, so that the
    # curriculum reaches 5 hard negatives
    gnn: GNNSettings = GNNSettings(
        hidden_dim=32, epochs=6, steps_per_epoch=None, batch_size=256, num_workers=0
    )
    references: ReferenceSettings = ReferenceSettings(val_pairs=500)  # the smoothing start's g, on validation
    hard: HardNegativeSettings = HardNegativeSettings()  # ranks 1K..2.5K, hub boards pruned
    hist_queries: int = 300  # queries of the rank-depth table, the band accuracy and the score histograms
    band_sweep: tuple[tuple[float, float], ...] = (
        (0.3, 1.0),
        (4.0, 10.0),
    )  # in K: inside the cut-off, 4K..10K
    sweep_weightings: tuple[str, ...] = ("separate",)  # max-margin with the hard hinge mean added (weight 1)
    # The softmax recipe with each hard negative counted w times: ~5 hard negatives among ~380 other candidates
    # (256 in-batch + 128 shared) weigh ~1 % at w = 1, ~12 % at w = 10 and more than all others at w = 100.
    sweep_hard_weights: tuple[float, ...] = (10.0, 100.0)
    sweep_seeds: int = 3  # the sweep trains one model per band (and weighting) and seed
    siblings: SiblingConfig = SiblingConfig()
    movielens: MovieLensConfig = MovieLensConfig()

    def __post_init__(self) -> None:
        for name in ("num_pins", "num_seeds", "hist_queries", "sweep_seeds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"HardNegativesConfig.{name} must be an int >= 1, got {value!r}")
        if self.sweep_seeds > self.num_seeds:  # the sweep is compared with the main run of the same seed
            raise ValueError(
                f"HardNegativesConfig.sweep_seeds ({self.sweep_seeds}) must not exceed num_seeds ({self.num_seeds})"
            )
        try:
            resolve_band(self.num_pins, self.hard.ranks(self.num_pins))
        except ValueError as err:
            raise ValueError(f"HardNegativesConfig.hard does not fit {self.num_pins} pins: {err}") from None
        for i, band in enumerate(self.band_sweep):
            if len(band) != 2 or not 0 < band[0] < band[1]:
                raise ValueError(
                    f"HardNegativesConfig.band_sweep[{i}] must be (a, b) with 0 < a < b, got {band!r}"
                )
        if any(not w > 0 for w in self.sweep_hard_weights):
            raise ValueError(
                f"HardNegativesConfig.sweep_hard_weights must be positive, got {self.sweep_hard_weights}"
            )
        if any(w not in WEIGHTINGS for w in self.sweep_weightings):
            raise ValueError(
                f"HardNegativesConfig.sweep_weightings must be among {WEIGHTINGS}, got {self.sweep_weightings}"
            )
        unknown = [m for m in self.movielens.methods if m not in METHODS]
        if unknown:
            raise ValueError(
                f"HardNegativesConfig.movielens.methods has unknown methods {unknown}; known: {list(METHODS)}"
            )


COURSE = HardNegativesConfig()
PROFILES = Profiles(
    quick=replace(
        COURSE,
        num_pins=600,
        num_seeds=2,
        walks=replace(COURSE.walks, top_t=5),
        gnn=replace(COURSE.gnn, epochs=2, steps_per_epoch=2, batch_size=64, num_negatives=32, hidden_dim=16),
        references=replace(COURSE.references, val_pairs=100),
        hard=replace(COURSE.hard, max_hard=4, num_walks=100, walk_length=2),
        hist_queries=100,
        band_sweep=((0.3, 1.0),),
        sweep_hard_weights=(10.0,),
        sweep_seeds=2,
        siblings=replace(COURSE.siblings, num_seeds=1, epochs=2),
        movielens=replace(COURSE.movielens, epochs=1, steps_per_epoch=2, methods=("mean-pooling", "pinsage")),
    ),
    course=COURSE,
    full=replace(
        COURSE,
        num_pins=20_000,  # notebook 02's course world
        num_seeds=10,
        walks=replace(COURSE.walks, num_walks=100, top_t=20),
        gnn=replace(COURSE.gnn, epochs=9, steps_per_epoch=30, batch_size=512, hidden_dim=64, num_workers=1),
        hard=replace(COURSE.hard, max_hard=6, num_walks=1_000),
        hist_queries=1_000,
        band_sweep=((0.3, 1.0), (4.0, 10.0), (10.0, 25.0)),
        sweep_seeds=5,
        movielens=replace(COURSE.movielens, num_seeds=3, epochs=6, steps_per_epoch=100),
    ),
)
"""quick (CI, seconds) / course (default) / full (larger world, more seeds; an hour or more on a laptop)."""


# ---------------------------------------------------------------------- one model, end to end
def pinboard_world(config: HardNegativesConfig) -> tuple[Pinboard, RelatedItemTask]:
    """Notebook 02's world (the runner's :func:`~lecturekit.studies.pinsage_runner.make_world`, ``config.num_pins``
    pins) and its temporal split with ALL held-out pairs (deterministic in :data:`WORLD_SEED`)."""
    world = make_world(config.num_pins, WORLD_SEED)
    return world, pinboard_task(world, seed=WORLD_SEED)


@dataclass(frozen=True)
class TrainedModel:
    """A trained method: its test embeddings and ranks, and its training history (validation per epoch)."""

    embeddings: Tensor
    ranks: np.ndarray
    history: TrainHistory


def train_method(
    task: RelatedItemTask,
    method: str,
    config: HardNegativesConfig,
    seed: int,
    gain: float,
    hard: HardNegativeSampler | None,
    *,
    gnn: GNNSettings | None = None,
    walks: WalkSettings | None = None,
    variant: Variant | None = None,
    track: bool = False,
) -> TrainedModel:
    """Train one of :data:`METHODS` (or ``variant``) with the runner and rank every test target;
    ``track``: validation hit-rate and scaled MRR after every epoch (``history.evaluations``)."""
    walks, gnn = walks or config.walks, gnn or config.gnn
    val = validation_subsample(task, config.references.val_pairs, seed) if track else None
    model, history = train_variant(
        task, variant or METHODS[method], walks, gnn, seed, gain, hard=hard, val_pairs=val, progress=False
    )
    emb = embed(model, task, walks, seed, "test")
    return TrainedModel(emb, rank(emb, task).ranks.numpy(), history)


# ---------------------------------------------------------------------- the four experiments
def run_pinboard_seed(config: HardNegativesConfig, seed: int) -> PinboardResult:
    """One seed of the hard-negative ablation on the pinboard world: all of :data:`METHODS`, curves, diagnostics."""
    start = time.perf_counter()
    with seeded(seed), torch_threads(NUM_THREADS):
        world, task = pinboard_world(config)
        gain = choose_references(task, config.walks, config.references, WORLD_SEED).gain
        hard = hard_negative_sampler(task, config.hard, WORLD_SEED)
        trained = {
            m: train_method(task, m, config, seed, gain, hard, track=m in SCHEDULE_METHODS) for m in METHODS
        }
        visual = hard.with_features(
            task.features["visual"]
        )  # look-alikes: a band a graph ranking cannot hold
        trained[VISUAL_NEGATIVES] = train_method(task, "pinsage", config, seed, gain, visual)
        content = {
            "PPR band": drawn_content(world, task, hard, config.hist_queries, seed),
            "visual band": drawn_content(world, task, visual, config.hist_queries, seed),
        }

        # Where the scores fall: held-out queries against their target, random pins and band pins.
        pairs = task.test_pairs[: config.hist_queries]
        band_pins = hard.view("no-curriculum", derive_seed(seed, "histogram-draws")).sample(
            pairs[:, 0], pairs[:, 1], 10
        )
        scores = {}
        for method in ("pinsage-random-only", "pinsage"):
            dist = score_distributions(
                trained[method].embeddings, pairs, band_pins, seed=derive_seed(seed, "histogram")
            )
            scores[method] = ScoreDistribution(
                dist["positive"].numpy(),
                dist["random negative"].numpy(),
                dist["hard negative"].view(pairs.shape[0], -1).numpy(),
            )

        # What the random-only model ranks above the target: relation of its top 10 to the query.
        category, topic, lookalike, interest = relations_of(world)
        q, p = task.test_pairs[:, 0], task.test_pairs[:, 1]
        top10 = {}
        for method in ("pinsage-random-only", "pinsage", VISUAL_NEGATIVES):
            s = trained[method].embeddings[q] @ trained[method].embeddings.T
            s[torch.arange(q.numel()), q] = -float("inf")
            top = s.topk(min(10, task.num_items - 1), dim=1).indices
            top10[method] = shares_of(
                relation_to_query(category, topic, lookalike, q.unsqueeze(1).expand_as(top), top, interest)
            )
        target_codes = relation_to_query(category, topic, lookalike, q, p, interest)
    k, scale = ranking_cutoffs(task.num_items)
    curves = {
        m: {metric: tuple(e[metric] for e in trained[m].history.evaluations) for metric in METRICS}
        for m in SCHEDULE_METHODS
    }
    return PinboardResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        cutoff=k,
        mrr_scale=scale,
        ranks={m: t.ranks for m, t in trained.items()},
        num_items=task.num_items,
        num_test_pairs=int(task.test_pairs.shape[0]),
        band=config.hard.label(),
        curves=curves,
        scores=scores,
        top10_relations=top10["pinsage-random-only"],
        target_relations=shares_of(target_codes),
        num_hard={m: tuple(t.history.num_hard) for m, t in trained.items()},
        top10=top10,
        content=content,
    )


def band_key(band: tuple[float, float]) -> str:
    return f"band={band[0]:g}k-{band[1]:g}k"  # the result key (metric suffix) of a band (a, b) in units of K


def weighting_key(weighting: str) -> str:
    return f"weighting={weighting}"  # the result key (and metric suffix) of a hard-negative loss weighting


def hard_weight_key(weight: float) -> str:
    return f"hard-weight={weight:g}"  # the result key (metric suffix) of the softmax's hard-negative weight


def run_band_sweep_seed(config: HardNegativesConfig, seed: int) -> BandSweepResult:
    """PinSage with the curriculum under each band of ``config.band_sweep`` (in units of K) and, with the
    max-margin loss, each weighting of ``config.sweep_weightings``, and with the softmax recipe each hard-negative
    weight of ``config.sweep_hard_weights`` (everything else as in
    :func:`run_pinboard_seed` of the same seed, so the two pair up), and what each band's draws hold."""
    start = time.perf_counter()
    ranks, content = {}, {}
    with seeded(seed), torch_threads(NUM_THREADS):
        world, task = pinboard_world(config)
        gain = choose_references(task, config.walks, config.references, WORLD_SEED).gain
        for band in config.band_sweep:
            hard = hard_negative_sampler(task, replace(config.hard, k_band=band), WORLD_SEED)
            ranks[band_key(band)] = train_method(task, "pinsage", config, seed, gain, hard).ranks
            content[band_key(band)] = drawn_content(world, task, hard, config.hist_queries, seed)
        hard = hard_negative_sampler(task, config.hard, WORLD_SEED)
        content[band_key(config.hard.k_band or (0.0, 0.0))] = drawn_content(
            world, task, hard, config.hist_queries, seed
        )
        variants = {
            weighting_key(w): Variant(hard="curriculum", loss="margin", weighting=w)
            for w in config.sweep_weightings
        } | {hard_weight_key(w): Variant(hard="curriculum", hard_weight=w) for w in config.sweep_hard_weights}
        for key, variant in variants.items():
            ranks[key] = train_method(task, "pinsage", config, seed, gain, hard, variant=variant).ranks
    k, scale = ranking_cutoffs(task.num_items)
    return BandSweepResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        cutoff=k,
        mrr_scale=scale,
        ranks=ranks,
        num_items=task.num_items,
        bands=tuple(config.band_sweep),
        content=content,
    )


def run_movielens_seed(config: HardNegativesConfig, seed: int) -> MovieLensResult:
    """``config.movielens.methods`` on MovieLens-100K with the pinboard training settings."""
    start = time.perf_counter()
    ml = config.movielens
    gnn = replace(config.gnn, epochs=ml.epochs, steps_per_epoch=ml.steps_per_epoch)
    with seeded(seed), torch_threads(NUM_THREADS):
        task = movielens_task(load_movielens_100k())
        # Users rate tens to hundreds of movies: no hub pruning, and the fixed [4K, 10K] rule (a
        # co-rating "relevance set" would cover most of the catalogue).
        settings = replace(config.hard, k_band=None, band=None, max_board_degree=None)
        needs_hard = any(METHODS[m].hard != "random-only" for m in ml.methods)
        hard = hard_negative_sampler(task, settings, 0) if needs_hard else None
        ranks = {
            m: train_method(task, m, config, seed, DEFAULT_GAIN, hard, gnn=gnn).ranks for m in ml.methods
        }
    k, scale = ranking_cutoffs(task.num_items)
    lo, hi = resolve_band(task.num_items, None)
    return MovieLensResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        cutoff=k,
        mrr_scale=scale,
        ranks=ranks,
        num_items=task.num_items,
        num_test_pairs=int(task.test_pairs.shape[0]),
        band=(lo, hi),
    )


def band_anatomy(config: HardNegativesConfig, seed: int = 0) -> BandAnatomy:
    """What the PPR ranking of the study's world holds (:func:`~lecturekit.studies.nb03_band_anatomy.band_anatomy`)."""
    world, task = pinboard_world(config)
    return anatomy_of(
        world,
        task,
        config.hard,
        hist_queries=config.hist_queries,
        world_seed=WORLD_SEED,
        seed=seed,
        num_threads=NUM_THREADS,
    )
