"""Ranking metrics for recommendation and related-item retrieval.

Every metric here works on 1-based *ranks* of held-out targets, so the same numbers come out
whichever model produced the scores. ``rank_of_targets`` turns a score matrix into ranks with
seen items masked. Used by notebooks 01 (recsys basics), 02 (PinSage) and 03 (hard negatives).

For a query with rank ``r`` of its single target:

* hit@K      = 1[r <= K]
* NDCG@K     = 1[r <= K] / log2(r + 1)          (one relevant item, so IDCG = 1)
* MRR        = 1 / r
* scaled MRR = 1 / ceil(r / s)                   (PinSage, Ying et al. 2018: s = 100 for 3B pins)

``recall_at_k`` handles several targets per query: |top-K ∩ targets| / |targets|.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def _check_ranks(ranks: Tensor) -> Tensor:
    ranks = torch.as_tensor(ranks)
    if ranks.ndim != 1:
        raise ValueError(f"argument 'ranks' must be 1-D, got shape {tuple(ranks.shape)}")
    if ranks.numel() == 0:
        raise ValueError("argument 'ranks' is empty: no queries to evaluate")
    if bool((ranks < 1).any()):
        raise ValueError("argument 'ranks' must hold 1-based ranks (>= 1)")
    return ranks.double()


def _check_k(k: int) -> int:
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"argument 'k' must be a positive int, got {k!r}")
    return k


def rank_of_targets(
    scores: Tensor,
    targets: Tensor,
    exclude: Sequence[Tensor] | None = None,
) -> Tensor:
    """1-based rank of each query's target among the items not excluded.

    Args:
        scores: ``[Q, N]`` item scores per query (higher is better).
        targets: ``[Q]`` index of the held-out item per query.
        exclude: optional per-query item indices to mask (items the user has already seen, the
            query item itself). A target listed there is *not* masked.

    Returns:
        ``[Q]`` long tensor. Ties are broken by a fixed pseudo-random order of the items
        (:func:`tie_break_priority`), the same one :func:`top_k_items` uses, so hit@K from ranks
        and recall@K from top-K lists agree, and a constant scorer gets a random rank, never rank 1
        (breaking ties by item id would reward whatever the id order happens to encode).
    """
    if scores.ndim != 2:
        raise ValueError(f"argument 'scores' must be [Q, N], got shape {tuple(scores.shape)}")
    targets = torch.as_tensor(targets, dtype=torch.long)
    num_queries, num_items = scores.shape
    if targets.shape != (num_queries,):
        raise ValueError(f"argument 'targets' must have shape ({num_queries},), got {tuple(targets.shape)}")
    if num_queries and (int(targets.min()) < 0 or int(targets.max()) >= num_items):
        raise ValueError(f"argument 'targets' has ids outside [0, {num_items})")
    scores = scores.clone().double()
    if exclude is not None:
        if len(exclude) != num_queries:
            raise ValueError(f"argument 'exclude' has {len(exclude)} entries for {num_queries} queries")
        lengths = torch.tensor([len(e) for e in exclude], dtype=torch.long)
        if int(lengths.sum()):
            cols = torch.cat([torch.as_tensor(e, dtype=torch.long).reshape(-1) for e in exclude])
            rows = torch.repeat_interleave(torch.arange(num_queries), lengths)
            keep = cols != targets[rows]
            scores[rows[keep], cols[keep]] = float("-inf")
    target_scores = scores.gather(1, targets[:, None])
    priority = tie_break_priority(num_items)
    greater = (scores > target_scores).sum(1)
    wins_tie = ((scores == target_scores) & (priority[None, :] > priority[targets][:, None])).sum(1)
    return 1 + greater + wins_tie


def tie_break_priority(num_items: int) -> Tensor:
    """A fixed pseudo-random priority per item (seed 0) used to break score ties."""
    return torch.randperm(num_items, generator=torch.Generator().manual_seed(0))


def hit_rate(ranks: Tensor, k: int) -> float:
    """Fraction of queries whose target ranks in the top ``k`` (hit@K)."""
    return float((_check_ranks(ranks) <= _check_k(k)).double().mean())


def ndcg_at_k(ranks: Tensor, k: int) -> float:
    """Mean NDCG@K with one relevant item per query."""
    ranks = _check_ranks(ranks)
    gains = torch.where(ranks <= _check_k(k), 1.0 / torch.log2(ranks + 1.0), torch.zeros_like(ranks))
    return float(gains.mean())


def mrr(ranks: Tensor) -> float:
    """Mean reciprocal rank."""
    return float((1.0 / _check_ranks(ranks)).mean())


def scaled_mrr(ranks: Tensor, scale: float) -> float:
    """PinSage's scaled MRR: mean of 1 / ceil(rank / scale).

    The paper uses ``scale = 100`` over 3 billion pins so that ranks 1..100 all count as the best
    bucket; scale it to the catalogue (the notebooks state the value they use).
    """
    if not scale > 0:
        raise ValueError(f"argument 'scale' must be positive, got {scale!r}")
    return float((1.0 / torch.ceil(_check_ranks(ranks) / scale)).mean())


def recall_at_k(top_k: Tensor, targets: Sequence[Tensor], k: int | None = None) -> float:
    """Mean recall@K with several held-out targets per query.

    Args:
        top_k: ``[Q, >=K]`` recommended item ids per query, best first.
        targets: per query, the held-out item ids (queries without targets are skipped).
        k: cut-off; defaults to ``top_k.shape[1]``.
    """
    if top_k.ndim != 2:
        raise ValueError(f"argument 'top_k' must be [Q, K], got shape {tuple(top_k.shape)}")
    if len(targets) != top_k.shape[0]:
        raise ValueError(f"argument 'targets' has {len(targets)} entries for {top_k.shape[0]} queries")
    k = top_k.shape[1] if k is None else _check_k(k)
    recalls = []
    for row, target in zip(top_k[:, :k].tolist(), targets, strict=True):
        wanted = set(torch.as_tensor(target).reshape(-1).tolist())
        if wanted:
            recalls.append(len(wanted.intersection(row)) / len(wanted))
    if not recalls:
        raise ValueError("argument 'targets' holds no targets at all")
    return sum(recalls) / len(recalls)


def top_k_items(scores: Tensor, k: int, exclude: Sequence[Tensor] | None = None) -> Tensor:
    """``[Q, k]`` highest-scoring item ids per query with ``exclude`` masked."""
    k = _check_k(k)
    scores = scores.clone().double()
    if exclude is not None:
        for row, items in enumerate(exclude):
            scores[row, torch.as_tensor(items, dtype=torch.long)] = float("-inf")
    # Order by tie-break priority first, then a stable sort by score keeps that order among ties.
    by_priority = tie_break_priority(scores.shape[1]).argsort(descending=True)
    order = scores[:, by_priority].sort(dim=1, descending=True, stable=True).indices
    return by_priority[order[:, :k]]
