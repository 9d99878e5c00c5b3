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
paired differences as :class:`~lecturekit.studies.report.Comparison` rows for ``verdict_table``.

Every model is built and trained by the runner shared with notebook 02 (:mod:`lecturekit.studies.pinsage_runner`):
a method here is a :class:`~lecturekit.studies.pinsage_runner.Variant`. Within a seed all models start from
the same initialisation and see the same batches and bands, whatever was trained before them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

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
from lecturekit.results import Row
from lecturekit.seed import derive_seed, seeded
from lecturekit.stats import paired_bootstrap, seed_interval
from lecturekit.studies.contract import Profiles, RunResult
from lecturekit.studies.nb03_band_anatomy import BandAnatomy, drawn_content, relations_of, shares_of
from lecturekit.studies.nb03_band_anatomy import band_anatomy as anatomy_of
from lecturekit.studies.pinsage_runner import (
    PAPER,
    GNNSettings,
    HardNegativeSettings,
    ReferenceSettings,
    Variant,
    WalkSettings,
    WorldSettings,
    choose_references,
    embed,
    hard_negative_sampler,
    make_world,
    rank,
    train_variant,
    validation_subsample,
)
from lecturekit.studies.report import Comparison
from lecturekit.threads import torch_threads

NOTEBOOK = "03_hard_negatives"

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


# ---------------------------------------------------------------------- configuration
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
    gain: float = 1.0  # the smoothing start's g (the toy world has no validation split)
    loss: str = (
        "margin"  # the paper's max-margin loss with uniform negatives: the mechanism hard negatives fix
    )
    band: tuple[int, int] = (20, 39)  # just below the 19 group-mates: the sibling group
    hard_num_walks: int = 500
    hard_walk_length: int = 2
    max_hard: int = 4
    diagnosis_queries: int = 200  # training queries whose drawn hard negatives are classified


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
    world_seed: int = 0  # one world and split; the seeds vary initialisation, batches and draws
    num_seeds: int = 5  # paired comparisons over seeds
    world: WorldSettings = WorldSettings()
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
            resolve_band(self.num_pins, self.hard.ranks(self.num_pins))
        except ValueError as err:
            raise ValueError(f"HardNegativesConfig.hard does not fit {self.num_pins} pins: {err}") from None
        for i, band in enumerate(self.band_sweep):
            if len(band) != 2 or not 0 < band[0] < band[1]:
                raise ValueError(
                    f"HardNegativesConfig.band_sweep[{i}] must be (a, b) with 0 < a < b, got {band!r}"
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
            f"the max-margin loss with the hard hinge mean added to the random one; the paper reports neither "
            f"sweep"
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


# ---------------------------------------------------------------------- one model, end to end
def pinboard_world(config: HardNegativesConfig) -> tuple[Pinboard, RelatedItemTask]:
    """Notebook 02's world (the runner's :func:`~lecturekit.studies.pinsage_runner.make_world`, ``config.num_pins``
    pins) and its temporal split with ALL held-out pairs (deterministic in ``config.world_seed``)."""
    world = make_world(config.num_pins, config.world, config.world_seed)
    return world, pinboard_task(world, seed=config.world_seed)


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
    with seeded(seed), torch_threads(config.num_threads):
        world, task = pinboard_world(config)
        gain = choose_references(task, config.walks, config.references, config.world_seed).gain
        hard = hard_negative_sampler(task, config.hard, config.world_seed)
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


def run_band_sweep_seed(config: HardNegativesConfig, seed: int) -> BandSweepResult:
    """PinSage with the curriculum under each band of ``config.band_sweep`` (in units of K) and, with the
    max-margin loss, each weighting of ``config.sweep_weightings`` (everything else as in
    :func:`run_pinboard_seed` of the same seed, so the two pair up), and what each band's draws hold."""
    start = time.perf_counter()
    ranks, content = {}, {}
    with seeded(seed), torch_threads(config.num_threads):
        world, task = pinboard_world(config)
        gain = choose_references(task, config.walks, config.references, config.world_seed).gain
        for band in config.band_sweep:
            hard = hard_negative_sampler(task, replace(config.hard, k_band=band), config.world_seed)
            ranks[band_key(band)] = train_method(task, "pinsage", config, seed, gain, hard).ranks
            content[band_key(band)] = drawn_content(world, task, hard, config.hist_queries, seed)
        hard = hard_negative_sampler(task, config.hard, config.world_seed)
        content[band_key(config.hard.k_band or (0.0, 0.0))] = drawn_content(
            world, task, hard, config.hist_queries, seed
        )
        for weighting in config.sweep_weightings:
            variant = Variant(hard="curriculum", loss="margin", weighting=weighting)
            ranks[weighting_key(weighting)] = train_method(
                task, "pinsage", config, seed, gain, hard, variant=variant
            ).ranks
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
    with seeded(seed), torch_threads(config.num_threads):
        task = movielens_task(load_movielens_100k())
        # Users rate tens to hundreds of movies: no hub pruning, and the fixed [4K, 10K] rule (a
        # co-rating "relevance set" would cover most of the catalogue).
        settings = replace(config.hard, k_band=None, relative_band=None, band=None, max_board_degree=None)
        needs_hard = any(METHODS[m].hard != "random-only" for m in ml.methods)
        hard = hard_negative_sampler(task, settings, 0) if needs_hard else None
        ranks = {
            m: train_method(task, m, config, seed, gnn.default_gain, hard, gnn=gnn).ranks for m in ml.methods
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
        world_seed=config.world_seed,
        seed=seed,
        num_threads=config.num_threads,
    )


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
