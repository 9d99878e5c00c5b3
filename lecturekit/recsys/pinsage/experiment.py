"""Notebook 02's experiments in the course's one shape: config -> ``run_seed`` -> typed result -> rows.

* :class:`PinSageExperiment` -- the frozen config (its defaults are the ``course`` profile) and
  :data:`PROFILES` (``quick`` / ``course`` / ``full`` built from it with ``dataclasses.replace``);
* :func:`run_seed` -- the paper's comparison (Table 1) on one seed's planted pinboard world: the
  feature, Pixie and item-CF baselines and the three GNNs trained identically, plus the analyses the
  notebook draws (look-alike neighbours, new pins without retraining; for :attr:`detail_seeds` also the
  test curves during training and Table 4's sweep of ``T``) -> :class:`PinboardResult`;
* :func:`run_movielens_seed` -- the same comparison on MovieLens-100K -> :class:`MovieLensResult`.

Each run owns its randomness: the world, split, samplers and model initialisations are seeded from
the run's seed, the body runs under :func:`lecturekit.experiment.seeded`, and training draws its walks
from its own streams (:func:`~lecturekit.recsys.pinsage.train.epoch_walks`). Nothing depends on which
notebook cells ran before. Used by ``notebooks/02_pinsage.ipynb``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from lecturekit.data.movielens import load_movielens_100k
from lecturekit.data.pinboard import make_pinboard
from lecturekit.experiment import Profiles, RunResult, seeded
from lecturekit.recsys.pinsage.baselines import feature_scorer, item_cf_scorer
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.evaluation import (
    LookalikeMix,
    RankingResult,
    embedding_scorer,
    evaluate_related,
    lookalike_mix,
    ranking_cutoffs,
)
from lecturekit.recsys.pinsage.inference import layerwise_embeddings
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.pixie import pixie_scorer
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import TrainConfig, TrainHistory, neighbor_fn, train_pinsage
from lecturekit.results import Row

POOLING_OF = {"pinsage": "importance", "mean-pooling": "mean", "max-pooling": "max"}
PINBOARD_METHODS = ("visual", "annotation", "combined", "pixie", "item-cf", "mean-pooling", "max-pooling", "pinsage")
MOVIELENS_METHODS = ("annotation", "combined", "pixie", "item-cf", "mean-pooling", "max-pooling", "pinsage")
PAPER = {  # Ying et al. 2018, Table 1 (Pinterest, 5M candidates): (hit-rate, scaled MRR)
    "visual": (0.17, 0.23), "annotation": (0.14, 0.19), "combined": (0.27, 0.37),
    "max-pooling": (0.39, 0.37), "mean-pooling": (0.41, 0.51), "pinsage": (0.67, 0.59),
}  # fmt: skip
MIN_NEW_PIN_PAIRS = 5  # fewer held-out pairs with a new query pin than this say nothing; the analysis is skipped


# ---------------------------------------------------------------------- the config
@dataclass(frozen=True)
class WalkSettings:
    """Random walks with restart that define importance neighbourhoods (and Pixie's scores)."""

    num_walks: int = 100  # walks per pin: stable top-20 visit counts on a 20k-pin world
    walk_length: int = 2  # pin -> board -> pin traversals per walk (short walks, as the paper)
    restart_prob: float = 0.5  # back to the query after each traversal: keeps the walks local
    top_t: int = 20  # neighbourhood size T (Table 4 sweeps it: see t_values)


@dataclass(frozen=True)
class GNNSettings:
    """Architecture and training of the three GNNs (all trained with the same budget)."""

    hidden_dim: int = 64  # width of convolutions and embeddings (the paper: far wider, 3B pins)
    epochs: int = 10  # neighbourhoods are resampled per epoch (two tables alternate)
    steps_per_epoch: int = 40  # 10 x 40 = 400 steps of 128 pairs per GNN: minutes on 2 cores
    batch_size: int = 128
    num_negatives: int = 128  # shared by the batch (the paper: 500 for 512-4096 pairs)
    margin: float = 0.1  # the max-margin Delta
    lr: float = 3e-3
    num_workers: int = 1  # one producer process builds the next batch while the main process trains


@dataclass(frozen=True)
class MovieLensSettings:
    """The GNN budget on MovieLens-100K (same model settings as :class:`GNNSettings`)."""

    epochs: int = 4
    steps_per_epoch: int = 30  # 120 steps: the catalogue is 1,682 movies, not 20k pins


@dataclass(frozen=True)
class PinSageExperiment:
    """Notebook 02's settings; the defaults are the ``course`` profile (see :data:`PROFILES`)."""

    num_pins: int = 20_000  # large enough that walks beat direct neighbours, small enough for a laptop
    test_pairs: int = 1000  # held-out pairs, subsampled (seeded) to bound the evaluation cost
    num_seeds: int = 3  # worlds per comparison (each seed: a fresh world, split and training)
    walks: WalkSettings = WalkSettings()
    gnn: GNNSettings = GNNSettings()
    pixie_rounds: int = 4  # rounds of num_walks x walk_length traversals before Pixie stops
    t_values: tuple[int, ...] = (10, 20, 50)  # Table 4's neighbourhood sizes
    detail_seeds: tuple[int, ...] = (0,)  # seeds that also track test curves and sweep T (time: 2 more GNNs)
    movielens: MovieLensSettings = MovieLensSettings()

    def __post_init__(self) -> None:
        for name in ("num_pins", "test_pairs", "num_seeds", "pixie_rounds"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"PinSageExperiment.{name} must be an int >= 1, got {value!r}")
        if not self.t_values or any(not isinstance(t, int) or t < 1 for t in self.t_values):
            raise ValueError(f"PinSageExperiment.t_values must be ints >= 1, got {self.t_values!r}")

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.num_seeds))


COURSE = PinSageExperiment()
PROFILES = Profiles(
    quick=replace(
        COURSE, num_pins=2000, test_pairs=300, num_seeds=1, pixie_rounds=2, t_values=(5, 10),
        walks=replace(COURSE.walks, num_walks=30, top_t=10),
        gnn=replace(COURSE.gnn, hidden_dim=32, epochs=2, steps_per_epoch=8, batch_size=64, num_negatives=64,
                    num_workers=0),  # CI: no worker processes
        movielens=replace(COURSE.movielens, epochs=1, steps_per_epoch=5),
    ),
    course=COURSE,
    full=replace(
        COURSE, num_pins=100_000, test_pairs=5000, num_seeds=5, pixie_rounds=8,
        walks=replace(COURSE.walks, num_walks=200, walk_length=3, top_t=50),
        gnn=replace(COURSE.gnn, hidden_dim=128, steps_per_epoch=200, batch_size=512, num_negatives=500, lr=1e-3),
        movielens=replace(COURSE.movielens, epochs=10, steps_per_epoch=100),
    ),
)  # fmt: skip


# ---------------------------------------------------------------------- building blocks
def make_sampler(task: RelatedItemTask, walks: WalkSettings, seed: int, top_t: int | None = None) -> RandomWalkSampler:
    """The walk sampler over ``task``'s training graph with ``walks``' settings."""
    return RandomWalkSampler(
        task.edge_index, task.num_items, task.num_users, num_walks=walks.num_walks,
        walk_length=walks.walk_length, restart_prob=walks.restart_prob, top_t=top_t or walks.top_t, seed=seed,
    )  # fmt: skip


def neighbor_tables(sampler: RandomWalkSampler, pooling: str, count: int = 2) -> list[NeighborTable]:
    """``count`` independently sampled neighbourhood tables for ``pooling`` (shared across models)."""
    return [NeighborTable(neighbor_fn(sampler, pooling), sampler.num_items) for _ in range(count)]


def run_baselines(task: RelatedItemTask, sampler: RandomWalkSampler, pixie_rounds: int) -> dict[str, RankingResult]:
    """Feature nearest neighbours (every feature set of the task), Pixie and item-CF."""
    results = {name: evaluate_related(feature_scorer(x), task.test_pairs, task.num_items) for name, x in task.features.items()}
    results["pixie"] = evaluate_related(pixie_scorer(sampler, max_rounds=pixie_rounds), task.test_pairs, task.num_items)
    results["item-cf"] = evaluate_related(item_cf_scorer(task.edge_index, task.num_items, task.num_users), task.test_pairs,
                                          task.num_items)  # fmt: skip
    return results


@dataclass
class GNNRun:
    """One trained variant: its ranking result, item embeddings, model and training history."""

    result: RankingResult
    embeddings: Tensor
    model: PinSage
    history: TrainHistory


def new_model(in_dim: int, gnn: GNNSettings, pooling: str, seed: int) -> PinSage:
    """A freshly initialised GNN whose weights depend on ``seed`` alone (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PinSage(PinSageConfig(in_dim=in_dim, hidden_dim=gnn.hidden_dim, out_dim=gnn.hidden_dim, pooling=pooling))


def train_and_embed(
    task: RelatedItemTask,
    sampler: RandomWalkSampler,
    tables: list[NeighborTable],
    pooling: str,
    gnn: GNNSettings,
    seed: int,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    track: bool = False,
    progress: bool = True,
) -> GNNRun:
    """Train one PinSage variant on ``task.features["combined"]`` and evaluate it on the test pairs.

    ``tables`` are the precomputed neighbourhoods for ``pooling`` (epoch e uses ``tables[e % len]``;
    inference uses ``tables[0]``). With ``track`` the test metrics are computed after every epoch
    (for the curves; they never feed back into training).
    """
    x = task.features["combined"]
    model = new_model(x.shape[1], gnn, pooling, seed)
    config = TrainConfig(
        epochs=epochs or gnn.epochs, batch_size=gnn.batch_size, num_negatives=gnn.num_negatives, margin=gnn.margin,
        lr=gnn.lr, max_steps_per_epoch=steps_per_epoch or gnn.steps_per_epoch, num_workers=gnn.num_workers, seed=seed,
    )  # fmt: skip

    def evaluate(m: PinSage, epoch: int) -> dict[str, float]:
        emb = layerwise_embeddings(m, x, tables[0]).embeddings
        return evaluate_related(embedding_scorer(emb), task.test_pairs, task.num_items).as_dict()

    history = train_pinsage(model, x, sampler, task.train_pairs, config, eval_fn=evaluate if track else None,
                            progress=progress, neighbor_tables=tables)  # fmt: skip
    emb = layerwise_embeddings(model, x, tables[0]).embeddings
    result = evaluate_related(embedding_scorer(emb), task.test_pairs, task.num_items)
    return GNNRun(result, emb, model, history)


def train_gnns(
    task: RelatedItemTask, sampler: RandomWalkSampler, gnn: GNNSettings, seed: int, *,
    epochs: int | None = None, steps_per_epoch: int | None = None, track: bool = False, progress: bool = True,
) -> dict[str, GNNRun]:
    """The three GNNs of Table 1, trained identically (same features, steps, negatives); only the
    neighbourhood and the pooling differ. Max-pooling reads the same direct neighbourhoods as mean-pooling."""
    tables = {p: neighbor_tables(sampler, p) for p in ("importance", "mean")}
    tables["max"] = tables["mean"]
    return {
        method: train_and_embed(task, sampler, tables[pooling], pooling, gnn, seed, epochs, steps_per_epoch, track,
                                progress)  # fmt: skip
        for method, pooling in POOLING_OF.items()
    }


def new_pin_rankings(
    task: RelatedItemTask, sampler: RandomWalkSampler, pinsage: GNNRun, config: PinSageExperiment, seed: int
) -> dict[str, RankingResult]:
    """Held-out pairs whose query pin is NEW (no save before the cut-off), without retraining.

    ``pinsage/isolated`` and ``pixie/isolated``: the training graph, where the new pin has no
    neighbours (PinSage sees its features only); ``pinsage`` and ``pixie``: the grown graph with the
    new pins' saves (the evaluated pairs' own saves still excluded). Empty when there are fewer than
    :data:`MIN_NEW_PIN_PAIRS` such pairs.
    """
    split = task.extra["split"]
    cold = split.cold_pairs
    if len(cold) < MIN_NEW_PIN_PAIRS:
        return {}
    grown = RandomWalkSampler(
        split.grown_edge_index, task.num_items, task.num_users, num_walks=sampler.num_walks,
        walk_length=sampler.walk_length, restart_prob=sampler.restart_prob, top_t=sampler.top_t, seed=seed,
    )  # fmt: skip
    after = layerwise_embeddings(pinsage.model, task.features["combined"], NeighborTable(grown.sample, task.num_items))
    scorers = {
        "pinsage/isolated": embedding_scorer(pinsage.embeddings),
        "pinsage": embedding_scorer(after.embeddings),
        "pixie/isolated": pixie_scorer(sampler, config.pixie_rounds),
        "pixie": pixie_scorer(grown, config.pixie_rounds),
    }
    return {name: evaluate_related(scorer, cold, task.num_items) for name, scorer in scorers.items()}


# ---------------------------------------------------------------------- results
def _ranking_rows(dataset: str, rankings: dict[str, RankingResult], methods: tuple[str, ...], note: str,
                  stratum: str = "") -> list[Row]:  # fmt: skip
    rows = []
    for method in methods:
        paper = PAPER.get(method, (None, None)) if dataset == "pinboard" and not stratum else (None, None)
        result = rankings[method]
        for metric, value, ref in (("hit-rate", result.hit_rate, paper[0]), ("mrr-scaled", result.mrr_scaled, paper[1])):
            rows.append(Row(dataset, method, metric + stratum, value, paper=ref, comparable=False, note=note))
    return rows


@dataclass(frozen=True)
class PinboardResult(RunResult):
    """One seed of the pinboard comparison.

    Attributes:
        k, scale: hit-rate@k and the scaled-MRR scale (:func:`ranking_cutoffs` of the catalogue).
        rankings: Table 1 method -> ranks of the test targets (:data:`PINBOARD_METHODS`).
        new_pin: ``pinsage``, ``pixie`` (grown graph) and ``.../isolated`` (training graph) on the
            held-out pairs with a new query pin; empty when there were too few (see :func:`new_pin_rankings`).
        lookalike: ``visual`` / ``pinsage`` -> where the top-10 neighbours of sampled pins fall.
        histories: GNN method -> training history (with per-epoch test metrics on :attr:`detail_seeds`).
        t_sweep: ``T`` -> PinSage's ranking with the top-T neighbourhood (detail seeds only, else empty).
        task: the seed's world and split (for the notebook's plots; ``task.extra["world"]``).
        pinsage: the trained PinSage model; embeddings: its layer-wise embeddings of every pin.
    """

    k: int
    scale: float
    num_pins: int
    rankings: dict[str, RankingResult]
    new_pin: dict[str, RankingResult]
    lookalike: dict[str, LookalikeMix]
    histories: dict[str, TrainHistory]
    t_sweep: dict[int, RankingResult]
    task: RelatedItemTask
    pinsage: PinSage
    embeddings: Tensor

    def rows(self) -> list[Row]:
        note = (f"planted pinboard world ({self.num_pins} pins, held-out later saves): hit@{self.k} and scaled MRR "
                f"(scale {self.scale:g}) among all {self.num_pins} pins; the paper's numbers are on Pinterest's data "
                "with 5M candidates, hit@500 and scale 100, shown for orientation only")  # fmt: skip
        rows = _ranking_rows("pinboard", self.rankings, PINBOARD_METHODS, note)
        if self.new_pin:
            grown = note + "; new-query: held-out pairs whose query pin has no save before the cut-off, embedded "
            rows += _ranking_rows("pinboard", self.new_pin, ("pinsage", "pixie"), grown + "on the grown graph "
                                  "(its new saves added) without retraining", "/new-query")  # fmt: skip
            isolated = {m.split("/")[0]: r for m, r in self.new_pin.items() if m.endswith("/isolated")}
            rows += _ranking_rows("pinboard", isolated, ("pinsage", "pixie"), grown + "on the training graph "
                                  "(the new pin isolated: features only)", "/new-query/isolated")  # fmt: skip
        return rows


@dataclass(frozen=True)
class MovieLensResult(RunResult):
    """One seed of the MovieLens-100K comparison (``rankings``: method -> ranks, :data:`MOVIELENS_METHODS`)."""

    k: int
    scale: float
    num_items: int
    rankings: dict[str, RankingResult]

    def rows(self) -> list[Row]:
        note = (f"MovieLens-100K, pairs = movies one user rated consecutively, each user's last rating held out; "
                f"hit@{self.k} and scaled MRR (scale {self.scale:g}) among all {self.num_items} movies; the paper "
                "reports no MovieLens number")  # fmt: skip
        return _ranking_rows("movielens-100k", self.rankings, MOVIELENS_METHODS, note)


# ---------------------------------------------------------------------- one seed
def run_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> PinboardResult:
    """One seed of notebook 02's pinboard comparison, end to end (world, split, baselines, GNNs, analyses)."""
    began = time.perf_counter()
    with seeded(seed):
        world = make_pinboard(config.num_pins, seed=seed)
        task = pinboard_task(world, max_test_pairs=config.test_pairs, seed=seed)
        sampler = make_sampler(task, config.walks, seed)
        rankings = run_baselines(task, sampler, config.pixie_rounds)
        detail = seed in config.detail_seeds
        runs = train_gnns(task, sampler, config.gnn, seed, track=detail, progress=progress)
        rankings.update({method: run.result for method, run in runs.items()})
        pinsage = runs["pinsage"]
        queries = torch.arange(0, task.num_items, max(1, task.num_items // 1000))
        category, lookalike = torch.from_numpy(world.pin_category), torch.from_numpy(world.category_lookalike)
        mix = {
            "visual": lookalike_mix(feature_scorer(task.features["visual"]), queries, category, lookalike),
            "pinsage": lookalike_mix(embedding_scorer(pinsage.embeddings), queries, category, lookalike),
        }
        new_pin = new_pin_rankings(task, sampler, pinsage, config, seed)
        t_sweep = {}
        for top_t in config.t_values if detail else ():
            if top_t == config.walks.top_t:
                t_sweep[top_t] = pinsage.result
                continue
            sampler_t = make_sampler(task, config.walks, seed, top_t=top_t)
            t_sweep[top_t] = train_and_embed(task, sampler_t, neighbor_tables(sampler_t, "importance"), "importance",
                                             config.gnn, seed, progress=progress).result  # fmt: skip
    k, scale = ranking_cutoffs(task.num_items)
    return PinboardResult(
        seed=seed, seconds=time.perf_counter() - began, k=k, scale=scale, num_pins=task.num_items,
        rankings={m: rankings[m] for m in PINBOARD_METHODS}, new_pin=new_pin, lookalike=mix,
        histories={m: r.history for m, r in runs.items()}, t_sweep=t_sweep, task=task, pinsage=pinsage.model,
        embeddings=pinsage.embeddings,
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def movielens_related_task() -> RelatedItemTask:
    """MovieLens-100K as a related-item task (loaded once per process; the task has no randomness)."""
    return movielens_task(load_movielens_100k())


def run_movielens_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> MovieLensResult:
    """One seed of the MovieLens-100K comparison: the baselines and the three GNNs (``config.movielens`` budget)."""
    began = time.perf_counter()
    task = movielens_related_task()
    with seeded(seed):
        sampler = make_sampler(task, config.walks, seed)
        rankings = run_baselines(task, sampler, config.pixie_rounds)
        runs = train_gnns(task, sampler, config.gnn, seed, epochs=config.movielens.epochs,
                          steps_per_epoch=config.movielens.steps_per_epoch, progress=progress)  # fmt: skip
        rankings.update({method: run.result for method, run in runs.items()})
    k, scale = ranking_cutoffs(task.num_items)
    return MovieLensResult(seed=seed, seconds=time.perf_counter() - began, k=k, scale=scale, num_items=task.num_items,
                           rankings={m: rankings[m] for m in MOVIELENS_METHODS})  # fmt: skip


def pooled_hits(results: list[PinboardResult] | list[MovieLensResult], method: str) -> Tensor:
    """1.0 / 0.0 per held-out query of every seed (in the order of ``results``): was ``method``'s
    target in its top ``k``? Two methods' vectors are paired query by query (for
    :func:`lecturekit.stats.paired_bootstrap`)."""
    if not results:
        raise ValueError("argument 'results' is empty")
    return torch.cat([(r.rankings[method].ranks <= r.k).double() for r in results])
