"""Item–item recommenders: popularity, collaborative filtering (co-interaction cosine) and content kNN.

All share one scoring rule: a user's score for item j is the sum of j's similarity to the items
in the user's history, ``score(u, j) = Σ_{i ∈ H(u)} sim(i, j)``, so the only difference between
them is *where the similarity comes from* -- the lesson of notebook 01. The same similarity
answers the item-to-item task "given query item Q, return related items".
"""

from __future__ import annotations

import torch
from torch import Tensor


def interaction_matrix(users: Tensor, items: Tensor, num_users: int, num_items: int) -> Tensor:
    """Dense binary ``[num_users, num_items]`` matrix R with R[u, i] = 1 if u interacted with i.

    Repeated pairs count once. Ids outside ``[0, num_users)`` / ``[0, num_items)`` are an error
    (a negative id would otherwise silently mark a row counted from the end).
    """
    users, items = torch.as_tensor(users, dtype=torch.long), torch.as_tensor(items, dtype=torch.long)
    if users.shape != items.shape or users.ndim != 1:
        raise ValueError(
            f"arguments 'users' and 'items' must be 1-D of one length, got {tuple(users.shape)}, {tuple(items.shape)}"
        )
    for name, ids, limit in (("users", users, num_users), ("items", items, num_items)):
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= limit):
            raise ValueError(f"argument {name!r} has ids outside [0, {limit})")
    matrix = torch.zeros(num_users, num_items)
    matrix[users, items] = 1.0
    return matrix


def cosine_similarity_matrix(vectors: Tensor, zero_diagonal: bool = True) -> Tensor:
    """``[N, N]`` cosine similarity between rows of ``vectors`` (all-zero rows give 0)."""
    normed = torch.nn.functional.normalize(vectors.float(), dim=1)
    similarity = normed @ normed.T
    if zero_diagonal:
        similarity.fill_diagonal_(0.0)
    return similarity


class ItemSimilarityRecommender:
    """Scores ``R_u · S``: the sum of similarities between candidate items and the user's history.

    Args:
        similarity: ``[N, N]`` item–item similarity.
        interactions: ``[U, N]`` binary training interactions.
    """

    def __init__(self, similarity: Tensor, interactions: Tensor) -> None:
        if similarity.shape != (interactions.shape[1], interactions.shape[1]):
            raise ValueError(
                f"similarity has shape {tuple(similarity.shape)} but there are {interactions.shape[1]} items"
            )
        self.similarity = similarity
        self.interactions = interactions

    def score_users(self, users: Tensor) -> Tensor:
        """``[len(users), N]`` scores (used by notebook 01)."""
        return self.interactions[users] @ self.similarity

    def related_items(self, item: int, k: int = 10) -> Tensor:
        """The ``k`` items most similar to ``item`` (itself excluded)."""
        num_items = self.similarity.shape[0]
        if not 0 <= item < num_items:
            raise ValueError(f"argument 'item' must be in [0, {num_items}), got {item!r}")
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k < num_items:
            raise ValueError(f"argument 'k' must be an int in [1, {num_items - 1}], got {k!r}")
        scores = self.similarity[item].clone()
        scores[item] = float("-inf")
        return scores.topk(k).indices


def item_cf(interactions: Tensor) -> ItemSimilarityRecommender:
    """Item–item collaborative filtering: cosine of the items' user columns (co-interaction)."""
    return ItemSimilarityRecommender(cosine_similarity_matrix(interactions.T), interactions)


def content_knn(item_features: Tensor, interactions: Tensor, k: int | None = 50) -> ItemSimilarityRecommender:
    """Content-based kNN: cosine of item feature vectors, keeping each item's ``k`` nearest neighbours.

    Items tied with the ``k``-th neighbour's similarity are all kept (with coarse features an item
    can have more than ``k`` neighbours); ``k=None`` keeps every item.
    """
    if item_features.shape[0] != interactions.shape[1]:
        raise ValueError(
            f"item_features has {item_features.shape[0]} rows but there are {interactions.shape[1]} items"
        )
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise ValueError(f"argument 'k' must be a positive int or None, got {k!r}")
    if not bool(torch.isfinite(item_features).all()):
        raise ValueError("argument 'item_features' holds NaN or infinite values")
    similarity = cosine_similarity_matrix(item_features)
    if k is not None and k < similarity.shape[1]:
        # Keep only each item's k nearest neighbours: with coarse features (19 genres) thousands of
        # items tie, and summing all of them just re-discovers "the user likes dramas".
        kth = similarity.topk(k, dim=1).values[:, -1:]
        similarity = torch.where(similarity >= kth, similarity, torch.zeros_like(similarity))
    return ItemSimilarityRecommender(similarity, interactions)


class PopularityRecommender:
    """Scores every item by its number of training interactions, the same for every user."""

    def __init__(self, interactions: Tensor) -> None:
        self.counts = interactions.sum(0)

    def score_users(self, users: Tensor) -> Tensor:
        return self.counts.expand(len(users), -1).clone()
