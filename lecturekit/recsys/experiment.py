"""Notebook 01's experiment: four recommenders on MovieLens-100K under one leave-last-out protocol.

``config = PROFILES.get()`` picks the profile's :class:`RecsysExperiment`;
``run_seed(config, seed) -> RecsysResult`` loads the data, splits it (each user's latest rating
held out), scores popularity, item-item CF and content kNN (deterministic: the same on every
seed) and trains BPR-MF (which varies with the seed), then evaluates all four the same way.
``RecsysResult.rows()`` feeds ``record_runs("01_recsys_basics", results)``.

Used by ``notebooks/01_recsys_basics.ipynb``.
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
from lecturekit.recsys.split import LeaveLastOutSplit, leave_last_out
from lecturekit.results import Row
from lecturekit.seed import seeded, torch_stream
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import Profiles, RunResult

DATASET = "movielens-100k"
METHODS = ("popularity", "item-cf", "content-knn", "bpr-mf")
DETERMINISTIC = ("popularity", "item-cf", "content-knn")  # no randomness: identical on every seed


@dataclass(frozen=True)
class ContentFeatures:
    """Item features of content kNN: the 19 genre flags plus a one-hot release period."""

    first_year: int = 1920  # the catalogue's films start in the 1920s; earlier years join the first period
    period_years: int = 5  # five-year periods: coarse enough that each holds many films
    num_periods: int = 17  # 1920-2004 in five-year steps; later years join the last period
    neighbours: int = 20  # keep each movie's 20 nearest: genre+period vectors tie by the thousands


@dataclass(frozen=True)
class RecsysExperiment:
    """Notebook 01's settings; the defaults are the ``course`` profile."""

    bpr: BPRConfig = BPRConfig(dim=64, epochs=30, batch_size=2048)  # minutes on 2 cores, loss has flattened
    content: ContentFeatures = ContentFeatures()
    k: int = 10  # hit@10 / recall@10 / ndcg@10: a top-10 list among 1,682 movies
    min_train: int = 1  # a user needs one training rating to get a test item (all 943 have 20+)
    num_seeds: int = 3  # BPR-MF varies with the seed; the other three methods do not
    data_path: str | None = None  # None: the copy inside the recbole wheel; else a GroupLens/RecBole folder


COURSE = RecsysExperiment()
PROFILES = Profiles(
    quick=replace(COURSE, bpr=replace(COURSE.bpr, dim=32, epochs=3, batch_size=4096), num_seeds=1),  # CI: runs only
    course=COURSE,
    full=replace(COURSE, bpr=replace(COURSE.bpr, epochs=200), num_seeds=5),
)


@dataclass(frozen=True)
class RecsysData:
    """The data every method of one run sees: MovieLens, its split and the training interactions."""

    movielens: MovieLens
    split: LeaveLastOutSplit
    train_users: Tensor
    train_items: Tensor
    interactions: Tensor  # [users, items] binary training matrix R
    item_features: Tensor  # [items, 19 + num_periods] content features


def item_features(movielens: MovieLens, content: ContentFeatures) -> Tensor:
    """Genre flags + one-hot release period per movie (a movie without a year gets the median year)."""
    year = movielens.items["year"].fillna(movielens.items["year"].median()).to_numpy()
    period = np.clip((year - content.first_year) // content.period_years, 0, content.num_periods - 1).astype(int)
    one_hot = torch.nn.functional.one_hot(torch.as_tensor(period), content.num_periods).float()
    return torch.cat([torch.as_tensor(movielens.genre_matrix), one_hot], dim=1)


def prepare_data(config: RecsysExperiment) -> RecsysData:
    """Load MovieLens-100K (``config.data_path``) and split it leave-last-out (no randomness)."""
    movielens = load_movielens_100k(config.data_path)
    split = leave_last_out(movielens.ratings, movielens.num_users, movielens.num_items, config.min_train)
    users = torch.tensor(split.train["user"].to_numpy(), dtype=torch.long)
    items = torch.tensor(split.train["item"].to_numpy(), dtype=torch.long)
    return RecsysData(
        movielens=movielens,
        split=split,
        train_users=users,
        train_items=items,
        interactions=interaction_matrix(users, items, movielens.num_users, movielens.num_items),
        item_features=item_features(movielens, config.content),
    )


@dataclass(frozen=True)
class RecsysResult(RunResult):
    """One seed of notebook 01.

    Attributes:
        config: the settings of the run.
        num_items, num_test_users: catalogue size and number of held-out ratings (one per user).
        evaluations: method (:data:`METHODS`) -> metrics and per-user ranks.
        random_hit: hit@K of a random ranking (mean over test users of K / unmasked items).
        bpr_loss: BPR-MF's mean loss per epoch.
        bpr_item_embeddings: ``[items, dim]`` BPR-MF's learned item vectors (for related items).
    """

    config: RecsysExperiment
    num_items: int
    num_test_users: int
    evaluations: dict[str, Evaluation]
    random_hit: float
    bpr_loss: tuple[float, ...]
    bpr_item_embeddings: np.ndarray = field(repr=False)

    def rows(self) -> list[Row]:
        """hit@K, recall@K, ndcg@K and mrr of every method; none is comparable to a paper number."""
        c = self.config
        protocol = (
            f"MovieLens-100K (GroupLens), every rating an implicit interaction; time-based leave-last-out: "
            f"each user's latest rating held out ({self.num_test_users} test users), training items masked, "
            f"the held-out movie ranked among all {self.num_items} movies; K={self.config.k}. No paper number: "
            "published MovieLens-100K results use other protocols (random or ratio holdouts, sampled "
            "candidates, rating thresholds), so this number is not comparable to any of them."
        )
        about = {
            "popularity": "training-set popularity, one list for all users; deterministic (same on every seed).",
            "item-cf": "item-item CF, co-interaction cosine summed over the user's history; deterministic.",
            "content-knn": (
                f"content kNN on 19 genre flags + {c.content.num_periods} release periods, "
                f"{c.content.neighbours} neighbours per movie; deterministic."
            ),
            "bpr-mf": (
                f"BPR-MF, dim {c.bpr.dim}, {c.bpr.epochs} epochs, batch {c.bpr.batch_size}, lr {c.bpr.lr:g}; "
                "varies with the seed (initialisation, batch order, negatives)."
            ),
        }
        rows = []
        for method in METHODS:
            for metric, value in self.evaluations[method].metrics().items():
                extra = " Equals hit@K here: one held-out movie per user." if metric.startswith("recall@") else ""
                rows.append(Row(DATASET, method, metric, value, note=f"{about[method]}{extra} {protocol}"))
        return rows


def random_hit_rate(split: LeaveLastOutSplit, k: int) -> float:
    """Expected hit@K of a uniformly random ranking: a user's target ranks uniformly among her unmasked items."""
    unmasked = split.num_items - np.array([len(s) for s in split.train_items_of(split.test_users)])
    return float(np.minimum(1.0, k / unmasked).mean())


def run_seed(config: RecsysExperiment, seed: int) -> RecsysResult:
    """One seed of notebook 01 end to end: data, split, the four recommenders, evaluation."""
    start = time.perf_counter()
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
    return RecsysResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        config=config,
        num_items=split.num_items,
        num_test_users=len(split.test_users),
        evaluations=evaluations,
        random_hit=random_hit_rate(split, config.k),
        bpr_loss=tuple(loss),
        bpr_item_embeddings=model.item.weight.detach().cpu().numpy().copy(),
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

    The interval reflects which users happen to be in MovieLens-100K, not the spread over BPR seeds
    (the notebook quotes that separately with ``seed_interval``).
    """
    return paired_bootstrap(user_hits(results, a), user_hits(results, b), seed=seed)


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
