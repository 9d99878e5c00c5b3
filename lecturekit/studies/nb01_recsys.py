"""Notebook 01's study: five recommenders on MovieLens-100K under one leave-last-out protocol.

``config = PROFILES.get()`` picks the profile's :class:`RecsysExperiment`.

* ``run_validation_seed(config, seed) -> LightGCNValidation`` chooses LightGCN's layers, embedding
  size, learning rate and epochs on a validation split carved from training (each user's
  second-to-last interaction held out of training; test items are never seen);
* ``run_seed(config, seed) -> RecsysResult`` loads the data, splits it (each user's latest rating
  held out), scores popularity, item-item CF and content kNN (deterministic: the same on every
  seed), trains BPR-MF and LightGCN -- the latter at every layer count of ``config.sweep_layers``
  with the other settings fixed -- and evaluates them all the same way. A config whose
  ``lightgcn`` is ``None`` first runs the validation itself (on the same seed).

The notebook validates once, then runs every seed with the chosen setting
(``validation.tuned(config)``), so test is touched once. ``rows()`` of both results feed
``record_runs("01_recsys_basics", ...)``. Methods live in :mod:`lecturekit.recsys`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from lecturekit.data.movielens import MovieLens, load_movielens_100k
from lecturekit.recsys.bpr import BPRConfig, train_bpr
from lecturekit.recsys.evaluate import Evaluation, evaluate_recommender
from lecturekit.recsys.item_similarity import (
    PopularityRecommender,
    content_knn,
    cosine_similarity_matrix,
    interaction_matrix,
    item_cf,
)
from lecturekit.recsys.lightgcn import LAMBDA_REG, LightGCNConfig, train_lightgcn
from lecturekit.recsys.split import LeaveLastOutSplit, leave_last_out
from lecturekit.results import Row
from lecturekit.seed import seeded, torch_stream
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import Profiles, RunResult

DATASET = "movielens-100k"
METHODS = ("popularity", "item-cf", "content-knn", "bpr-mf", "lightgcn")
DETERMINISTIC = ("popularity", "item-cf", "content-knn")  # no randomness: identical on every seed


# The release periods of content kNN's features (no study varies them):
FIRST_YEAR = 1920  # the catalogue's films start in the 1920s; earlier years join the first period
PERIOD_YEARS = 5  # five-year periods: coarse enough that each holds many films
NUM_PERIODS = 17  # 1920-2004 in five-year steps; later years join the last period


@dataclass(frozen=True)
class ContentFeatures:
    """Item features of content kNN: the 19 genre flags plus a one-hot release period (:data:`NUM_PERIODS`)."""

    neighbours: int = 20  # keep each movie's 20 nearest: genre+period vectors tie by the thousands


@dataclass(frozen=True)
class LightGCNSearch:
    """The validation grid: every (layers, dim, lr) trained once, scored at each epoch checkpoint.

    Eight runs of 25 epochs is what fits 01's 4-minute budget on 2 cores (measured: about 7 s a run).
    """

    layers: tuple[int, ...] = (
        1,
        2,
    )  # 3 cost most and scored below 1-2 in a trial run; the layer plot shows it
    dims: tuple[int, ...] = (32, 64)  # 64 is the paper's; 32 tests whether 100k ratings need that many
    lrs: tuple[float, ...] = (
        0.02,
        0.05,
    )  # in a trial at batch 16384, 0.01 was still far from converged at 30 epochs
    epochs: tuple[int, ...] = (10, 15, 20, 25)  # checkpoints of one run; the last is its length

    def __post_init__(self) -> None:
        for name in ("layers", "dims", "lrs", "epochs"):
            if not getattr(self, name):
                raise ValueError(f"LightGCNSearch.{name} is empty: nothing to choose from")
        if list(self.epochs) != sorted(set(self.epochs)) or self.epochs[0] < 1:
            raise ValueError(f"LightGCNSearch.epochs must be increasing positive ints, got {self.epochs!r}")


@dataclass(frozen=True)
class RecsysExperiment:
    """Notebook 01's settings; the defaults are the ``course`` profile."""

    bpr: BPRConfig = BPRConfig(dim=64, epochs=30, batch_size=2048)  # seconds on 2 cores, loss has flattened
    lightgcn: LightGCNConfig | None = None  # None: chosen on validation by run_validation_seed
    search: LightGCNSearch = LightGCNSearch()
    sweep_layers: tuple[int, ...] = (0, 1, 2, 3)  # the layer plot; 0 layers = matrix factorisation
    content: ContentFeatures = ContentFeatures()
    k: int = 10  # hit@10 / recall@10 / ndcg@10: a top-10 list among 1,682 movies
    num_seeds: int = 3  # BPR-MF and LightGCN vary with the seed; the other three methods do not
    data_path: str | None = None  # None: the copy inside the recbole wheel; else a GroupLens/RecBole folder


COURSE = RecsysExperiment()
_QUICK_SEARCH = LightGCNSearch(layers=(1,), dims=(16,), lrs=(0.03,), epochs=(1, 2))
PROFILES = Profiles(
    quick=replace(  # CI: runs only
        COURSE,
        bpr=replace(COURSE.bpr, dim=32, epochs=3, batch_size=4096),
        search=_QUICK_SEARCH,
        sweep_layers=(0, 1),
        num_seeds=1,
    ),
    course=COURSE,
    full=replace(
        COURSE,
        bpr=replace(COURSE.bpr, epochs=200),
        num_seeds=5,
        sweep_layers=(0, 1, 2, 3, 4),
        search=LightGCNSearch(
            layers=(1, 2, 3, 4), dims=(32, 64, 128), lrs=(0.003, 0.01, 0.03), epochs=(25, 50, 100, 150, 200)
        ),  # the paper's neighbourhood, hours on 2 cores
    ),
)


@dataclass(frozen=True)
class RecsysData:
    """The data every method of one run sees: MovieLens, its split and the training interactions."""

    movielens: MovieLens
    split: LeaveLastOutSplit
    train_users: Tensor
    train_items: Tensor
    interactions: Tensor  # [users, items] binary training matrix R
    item_features: Tensor  # [items, 19 + NUM_PERIODS] content features


def item_features(movielens: MovieLens) -> Tensor:
    """Genre flags + one-hot release period per movie (a movie without a year gets the median year)."""
    year = movielens.items["year"].fillna(movielens.items["year"].median()).to_numpy()
    period = np.clip((year - FIRST_YEAR) // PERIOD_YEARS, 0, NUM_PERIODS - 1).astype(int)
    one_hot = torch.nn.functional.one_hot(torch.as_tensor(period), NUM_PERIODS).float()
    return torch.cat([torch.as_tensor(movielens.genre_matrix), one_hot], dim=1)


def _split_data(movielens: MovieLens, split: LeaveLastOutSplit, config: RecsysExperiment) -> RecsysData:
    users = torch.tensor(split.train["user"].to_numpy(), dtype=torch.long)
    items = torch.tensor(split.train["item"].to_numpy(), dtype=torch.long)
    return RecsysData(
        movielens=movielens,
        split=split,
        train_users=users,
        train_items=items,
        interactions=interaction_matrix(users, items, movielens.num_users, movielens.num_items),
        item_features=item_features(movielens),
    )


def prepare_data(config: RecsysExperiment) -> RecsysData:
    """Load MovieLens-100K (``config.data_path``) and split it leave-last-out (no randomness)."""
    movielens = load_movielens_100k(config.data_path)
    # leave_last_out's min_train=1: a user needs one training rating to get a test item (all 943 have 20+)
    split = leave_last_out(movielens.ratings, movielens.num_users, movielens.num_items)
    return _split_data(movielens, split, config)


def validation_data(data: RecsysData, config: RecsysExperiment) -> RecsysData:
    """The validation split carved from ``data``'s training part: each user's second-to-last interaction."""
    ml = data.movielens
    split = leave_last_out(data.split.train, ml.num_users, ml.num_items)
    return _split_data(ml, split, config)


def _protocol(num_test_users: int, num_items: int, k: int, held_out: str) -> str:
    return (
        f"MovieLens-100K (GroupLens), every rating an implicit interaction; time-based leave-last-out: "
        f"each user's {held_out} rating held out ({num_test_users} users), training items masked, "
        f"the held-out movie ranked among all {num_items} movies; K={k}. No paper number: "
        "published MovieLens-100K results use other protocols (random or ratio holdouts, sampled "
        "candidates, rating thresholds), so this number is not comparable to any of them."
    )


def _metric_rows(method: str, evaluation: Evaluation, note: str) -> list[Row]:
    rows = []
    for metric, value in evaluation.metrics().items():
        extra = " Equals hit@K here: one held-out movie per user." if metric.startswith("recall@") else ""
        rows.append(Row(DATASET, method, metric, value, note=f"{note}{extra}"))
    return rows


@dataclass(frozen=True)
class LightGCNValidation(RunResult):
    """LightGCN's validation search on one seed.

    Attributes:
        grid: one row per (layers, dim, lr, epochs) with its validation metrics, in search order.
        chosen: the setting with the best validation hit@K (the first in search order on a tie).
        evaluation: the chosen setting's validation metrics.
    """

    config: RecsysExperiment
    num_validation_users: int
    num_items: int
    grid: pd.DataFrame = field(repr=False)
    chosen: LightGCNConfig
    evaluation: Evaluation

    def tuned(self, config: RecsysExperiment) -> RecsysExperiment:
        """``config`` with LightGCN set to the chosen setting (what every test seed then trains)."""
        return replace(config, lightgcn=self.chosen)

    def rows(self) -> list[Row]:
        """``lightgcn-validation``: the chosen setting's validation metrics and the chosen values themselves."""
        s = self.config.search
        note = (
            f"LightGCN (PyG) validation: best hit@{self.config.k} over layers {list(s.layers)}, dims {list(s.dims)}, "
            f"lr {list(s.lrs)}, epochs {list(s.epochs)} (batch {self.chosen.batch_size}, L2 {LAMBDA_REG:g}). "
            + _protocol(self.num_validation_users, self.num_items, self.config.k, "second-to-last")
        )
        rows = _metric_rows("lightgcn-validation", self.evaluation, note)
        for name in ("layers", "dim", "lr", "epochs"):
            rows.append(
                Row(
                    DATASET,
                    "lightgcn-validation",
                    name,
                    float(getattr(self.chosen, name)),
                    note=f"the {name} chosen on validation. {note}",
                )
            )
        return rows


def run_validation_seed(config: RecsysExperiment, seed: int) -> LightGCNValidation:
    """Train LightGCN on the validation split's training part for every grid point; keep the best."""
    start = time.perf_counter()
    base = config.lightgcn or LightGCNConfig()
    s = config.search
    grid = []
    with seeded(seed):
        data = validation_data(prepare_data(config), config)
        for layers in s.layers:
            for dim in s.dims:
                for lr in s.lrs:
                    setting = replace(base, layers=layers, dim=dim, lr=lr, epochs=s.epochs[-1])
                    scored: dict[int, Evaluation] = {}

                    def score(epoch, model, scored=scored):
                        if epoch in s.epochs:
                            scored[epoch] = evaluate_recommender(model, data.split, k=config.k)

                    train_lightgcn(
                        data.train_users,
                        data.train_items,
                        data.interactions,
                        setting,
                        torch_stream(seed, f"lightgcn-validation/{layers}/{dim}/{lr}"),
                        progress=False,
                        after_epoch=score,
                    )
                    grid += [(replace(setting, epochs=e), scored[e]) for e in s.epochs]
    best = max(range(len(grid)), key=lambda n: (grid[n][1].hit, -n))
    table = pd.DataFrame(
        [{"layers": c.layers, "dim": c.dim, "lr": c.lr, "epochs": c.epochs, **e.metrics()} for c, e in grid]
    )
    return LightGCNValidation(
        seed=seed,
        seconds=time.perf_counter() - start,
        config=config,
        num_validation_users=len(data.split.test_users),
        num_items=data.split.num_items,
        grid=table,
        chosen=grid[best][0],
        evaluation=grid[best][1],
    )


@dataclass(frozen=True)
class RecsysResult(RunResult):
    """One seed of notebook 01.

    Attributes:
        config: the settings of the run (``config.lightgcn`` the setting LightGCN trained with).
        num_items, num_test_users: catalogue size and number of held-out ratings (one per user).
        evaluations: method (:data:`METHODS`) -> metrics and per-user ranks.
        layer_evaluations: number of LightGCN layers (``config.sweep_layers``) -> its test evaluation,
            every other setting as chosen (``evaluations["lightgcn"]`` is the chosen layer count's).
        random_hit: hit@K of a random ranking (mean over test users of K / unmasked items).
        bpr_loss, lightgcn_loss: mean training loss per epoch (LightGCN's includes PyG's L2 term).
        bpr_item_embeddings: ``[items, dim]`` BPR-MF's learned item vectors (for related items).
        validation: the validation search this seed ran itself (``None`` when the config came tuned).
    """

    config: RecsysExperiment
    num_items: int
    num_test_users: int
    evaluations: dict[str, Evaluation]
    layer_evaluations: dict[int, Evaluation]
    random_hit: float
    bpr_loss: tuple[float, ...]
    lightgcn_loss: tuple[float, ...]
    bpr_item_embeddings: np.ndarray = field(repr=False)
    validation: LightGCNValidation | None = None

    def rows(self) -> list[Row]:
        """hit@K, recall@K, ndcg@K and mrr of every method; none is comparable to a paper number."""
        c, g = self.config, self.config.lightgcn
        protocol = _protocol(self.num_test_users, self.num_items, c.k, "latest")
        chosen = "chosen on validation" + (" by each seed" if self.validation is not None else "")
        about = {
            "popularity": "training-set popularity, one list for all users; deterministic (same on every seed).",
            "item-cf": "item-item CF, co-interaction cosine summed over the user's history; deterministic.",
            "content-knn": (
                f"content kNN on 19 genre flags + {NUM_PERIODS} release periods, "
                f"{c.content.neighbours} neighbours per movie; deterministic."
            ),
            "bpr-mf": (
                f"BPR-MF, dim {c.bpr.dim}, {c.bpr.epochs} epochs, batch {c.bpr.batch_size}, lr {c.bpr.lr:g}; "
                "varies with the seed (initialisation, batch order, negatives)."
            ),
            "lightgcn": (
                f"LightGCN (PyG's model and BPR loss), layers, dim, lr and epochs {chosen}"
                + (
                    ""
                    if self.validation is not None
                    else f" ({g.layers} layers, dim {g.dim}, lr {g.lr:g}, {g.epochs} epochs)"
                )
                + f", batch {g.batch_size}, L2 {LAMBDA_REG:g}; varies with the seed."
            ),
        }
        rows = [
            row for m in METHODS for row in _metric_rows(m, self.evaluations[m], f"{about[m]} {protocol}")
        ]
        return rows + (self.validation.rows() if self.validation is not None else [])


def random_hit_rate(split: LeaveLastOutSplit, k: int) -> float:
    """Expected hit@K of a uniformly random ranking: a user's target ranks uniformly among her unmasked items."""
    unmasked = split.num_items - np.array([len(s) for s in split.train_items_of(split.test_users)])
    return float(np.minimum(1.0, k / unmasked).mean())


def run_seed(config: RecsysExperiment, seed: int) -> RecsysResult:
    """One seed of notebook 01 end to end: data, split, the five recommenders, evaluation."""
    start = time.perf_counter()
    validation = run_validation_seed(config, seed) if config.lightgcn is None else None
    if validation is not None:
        config = validation.tuned(config)
    assert config.lightgcn is not None
    with seeded(seed):
        data = prepare_data(config)
        split, R = data.split, data.interactions
        evaluations = {
            "popularity": evaluate_recommender(PopularityRecommender(R), split, k=config.k),
            "item-cf": evaluate_recommender(item_cf(R), split, k=config.k),
            "content-knn": evaluate_recommender(
                content_knn(data.item_features, R, k=config.content.neighbours), split, k=config.k
            ),
        }
        model, loss = train_bpr(
            data.train_users, data.train_items, R, config.bpr, torch_stream(seed, "bpr"), progress=False
        )
        evaluations["bpr-mf"] = evaluate_recommender(model, split, k=config.k)
        layer_evaluations, losses = {}, {}
        for layers in sorted({*config.sweep_layers, config.lightgcn.layers}):
            setting = replace(config.lightgcn, layers=layers)
            lightgcn, losses[layers] = train_lightgcn(
                data.train_users,
                data.train_items,
                R,
                setting,
                torch_stream(seed, f"lightgcn/{layers}"),
                progress=False,
            )
            layer_evaluations[layers] = evaluate_recommender(lightgcn, split, k=config.k)
        evaluations["lightgcn"] = layer_evaluations[config.lightgcn.layers]
    return RecsysResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        config=config,
        num_items=split.num_items,
        num_test_users=len(split.test_users),
        evaluations=evaluations,
        layer_evaluations=layer_evaluations,
        random_hit=random_hit_rate(split, config.k),
        bpr_loss=tuple(loss),
        lightgcn_loss=tuple(losses[config.lightgcn.layers]),
        bpr_item_embeddings=model.item.weight.detach().cpu().numpy().copy(),
        validation=validation,
    )


def mean_metrics(results: Sequence[RecsysResult]) -> pd.DataFrame:
    """Method x metric table of the mean over seeds (rows in :data:`METHODS` order)."""
    return pd.DataFrame(
        {m: pd.DataFrame([r.evaluations[m].metrics() for r in results]).mean() for m in METHODS}
    ).T


def user_hits(results: Sequence[RecsysResult], method: str) -> np.ndarray:
    """``[test users]`` each user's hit@K for ``method``, averaged over the seeds of ``results``."""
    if not results:
        raise ValueError("argument 'results' is empty")
    k = results[0].config.k
    return np.mean([r.evaluations[method].ranks <= k for r in results], axis=0)


def hit_difference(results: Sequence[RecsysResult], a: str, b: str, seed: int = 0) -> Interval:
    """hit@K of ``a`` minus ``b``: paired bootstrap over test users (per-user hits averaged over seeds).

    The interval reflects which users happen to be in MovieLens-100K, not the spread over seeds
    (the notebook shows that separately with ``seed_interval``).
    """
    return paired_bootstrap(user_hits(results, a), user_hits(results, b), seed=seed)


def layer_hits(results: Sequence[RecsysResult]) -> pd.DataFrame:
    """One row per LightGCN layer count: test hit@K of each seed (columns ``seed <s>``)."""
    k = results[0].config.k
    return pd.DataFrame(
        {f"seed {r.seed}": {layers: e.hit for layers, e in r.layer_evaluations.items()} for r in results}
    ).rename_axis(f"layers (test hit@{k})")


def related_items(data: RecsysData, result: RecsysResult, query: int, k: int = 5) -> dict[str, list[int]]:
    """The ``k`` movies most related to movie ``query`` by item-CF, content kNN and BPR-MF embeddings."""
    config = result.config
    bpr_similarity = cosine_similarity_matrix(torch.as_tensor(result.bpr_item_embeddings))
    bpr_similarity[query, query] = float("-inf")
    return {
        "item-cf": item_cf(data.interactions).related_items(query, k=k).tolist(),
        "content-knn": content_knn(data.item_features, data.interactions, k=config.content.neighbours)
        .related_items(query, k=k)
        .tolist(),
        "bpr-mf": bpr_similarity[query].topk(k).indices.tolist(),
    }
