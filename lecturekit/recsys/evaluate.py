"""Evaluate any recommender with a ``score_users(users) -> [U, N]`` method on a leave-last-out split.

Used by notebook 01.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from lecturekit.recsys.metrics import hit_rate, mrr, ndcg_at_k, rank_of_targets, recall_at_k, top_k_items
from lecturekit.recsys.split import LeaveLastOutSplit


class Recommender(Protocol):
    def score_users(self, users: Tensor) -> Tensor: ...


@dataclass(frozen=True)
class Evaluation:
    """One recommender on one split: the headline metrics and each test user's rank.

    Attributes:
        k: the cut-off of hit, recall and NDCG.
        ranks: ``[test users]`` 1-based rank of each user's held-out item (in ``split.test_users``
            order), for per-user comparisons such as a paired bootstrap between two methods.
    """

    k: int
    ranks: np.ndarray
    hit: float
    recall: float
    ndcg: float
    mrr: float

    def metrics(self) -> dict[str, float]:
        """``{"hit@K", "recall@K", "ndcg@K", "mrr"}`` -> value (the recorded metric names)."""
        return {
            f"hit@{self.k}": self.hit,
            f"recall@{self.k}": self.recall,
            f"ndcg@{self.k}": self.ndcg,
            "mrr": self.mrr,
        }


def evaluate_recommender(model: Recommender, split: LeaveLastOutSplit, k: int = 10) -> Evaluation:
    """hit@k, recall@k, ndcg@k and MRR of the held-out items, with each user's training items masked."""
    with torch.no_grad():
        scores = model.score_users(split.test_users).float()
    expected = (len(split.test_users), split.num_items)
    if tuple(scores.shape) != expected:
        raise ValueError(
            f"score_users returned shape {tuple(scores.shape)}, expected {expected} (test users, items)"
        )
    seen = split.train_items_of(split.test_users)
    ranks = rank_of_targets(scores, split.test_items, exclude=seen)
    top = top_k_items(scores, k, exclude=seen)
    return Evaluation(
        k=k,
        ranks=ranks.numpy().astype(np.int64),
        hit=hit_rate(ranks, k),
        recall=recall_at_k(top, [t.reshape(1) for t in split.test_items]),
        ndcg=ndcg_at_k(ranks, k),
        mrr=mrr(ranks),
    )
