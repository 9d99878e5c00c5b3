"""Evaluate any recommender with a ``score_users(users) -> [U, N]`` method on a leave-last-out split.

Used by notebook 01.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from lecturekit.recsys.metrics import hit_rate, mrr, ndcg_at_k, rank_of_targets, recall_at_k, top_k_items
from lecturekit.recsys.split import LeaveLastOutSplit


class Recommender(Protocol):
    def score_users(self, users: Tensor) -> Tensor: ...


def evaluate_recommender(model: Recommender, split: LeaveLastOutSplit, k: int = 10) -> dict[str, float]:
    """hit@k, recall@k, ndcg@k and MRR of the held-out items, with each user's training items masked."""
    with torch.no_grad():
        scores = model.score_users(split.test_users).float()
    seen = split.train_items_of(split.test_users)
    ranks = rank_of_targets(scores, split.test_items, exclude=seen)
    top = top_k_items(scores, k, exclude=seen)
    return {
        f"hit@{k}": hit_rate(ranks, k),
        f"recall@{k}": recall_at_k(top, [t.reshape(1) for t in split.test_items]),
        f"ndcg@{k}": ndcg_at_k(ranks, k),
        "mrr": mrr(ranks),
    }
