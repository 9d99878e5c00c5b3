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

from lecturekit.ids import as_ids
from lecturekit.ranking import tie_break_priority  # noqa: F401 - part of this module's API (notebook 01)


def _check_ranks(ranks: Tensor) -> Tensor:
    ranks = torch.as_tensor(ranks)
    if ranks.ndim != 1:
        raise ValueError(f"argument 'ranks' must be 1-D, got shape {tuple(ranks.shape)}")
    if ranks.numel() == 0:
        raise ValueError("argument 'ranks' is empty: no queries to evaluate")
    ranks = ranks.double()
    # NaN compares false with everything, so "rank >= 1" alone would let it through into every mean.
    if not bool(torch.isfinite(ranks).all()) or bool((ranks != ranks.round()).any()):
        raise ValueError("argument 'ranks' must hold whole, finite 1-based ranks")
    if bool((ranks < 1).any()):
        raise ValueError("argument 'ranks' must hold 1-based ranks (>= 1)")
    return ranks


def _check_k(k: int) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"argument 'k' must be a positive int, got {k!r}")
    return k


def _check_scores(scores: Tensor) -> None:
    if scores.ndim != 2:
        raise ValueError(f"argument 'scores' must be [Q, N], got shape {tuple(scores.shape)}")
    # A NaN score ties with nothing and beats nothing: its target would silently get rank 1.
    nan = torch.isnan(scores)
    if bool(nan.any()):
        row = int(nan.any(1).nonzero()[0])
        raise ValueError(f"argument 'scores' holds NaN (first in query row {row}); check the model's output")


def _check_exclude(exclude: Sequence[Tensor], num_queries: int, num_items: int) -> list[Tensor]:
    if len(exclude) != num_queries:
        raise ValueError(f"argument 'exclude' has {len(exclude)} entries for {num_queries} queries")
    out = [as_ids(e, f"exclude[{row}]").reshape(-1) for row, e in enumerate(exclude)]
    for row, items in enumerate(out):
        # Negative ids would silently mask items counted from the end of the catalogue.
        if items.numel() and (int(items.min()) < 0 or int(items.max()) >= num_items):
            raise ValueError(f"argument 'exclude' row {row} has item ids outside [0, {num_items})")
    return out


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
    _check_scores(scores)
    targets = as_ids(targets, "targets")
    num_queries, num_items = scores.shape
    if targets.shape != (num_queries,):
        raise ValueError(f"argument 'targets' must have shape ({num_queries},), got {tuple(targets.shape)}")
    if num_queries and (int(targets.min()) < 0 or int(targets.max()) >= num_items):
        raise ValueError(f"argument 'targets' has ids outside [0, {num_items})")
    scores = scores.clone().double()
    if exclude is not None:
        exclude = _check_exclude(exclude, num_queries, num_items)
        lengths = torch.tensor([len(e) for e in exclude], dtype=torch.long)
        if int(lengths.sum()):
            cols = torch.cat(exclude)
            rows = torch.repeat_interleave(torch.arange(num_queries), lengths)
            keep = cols != targets[rows]
            scores[rows[keep], cols[keep]] = float("-inf")
    target_scores = scores.gather(1, targets[:, None])
    priority = tie_break_priority(num_items)
    greater = (scores > target_scores).sum(1)
    wins_tie = ((scores == target_scores) & (priority[None, :] > priority[targets][:, None])).sum(1)
    return 1 + greater + wins_tie


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
        k: cut-off; defaults to ``top_k.shape[1]``; more than ``top_k.shape[1]`` is an error
            (the lists are too short to measure it).
    """
    if top_k.ndim != 2:
        raise ValueError(f"argument 'top_k' must be [Q, K], got shape {tuple(top_k.shape)}")
    if len(targets) != top_k.shape[0]:
        raise ValueError(f"argument 'targets' has {len(targets)} entries for {top_k.shape[0]} queries")
    k = top_k.shape[1] if k is None else _check_k(k)
    if k > top_k.shape[1]:
        raise ValueError(f"argument 'k' is {k} but 'top_k' holds only {top_k.shape[1]} items per query")
    recalls = []
    for row, target in zip(top_k[:, :k].tolist(), targets, strict=True):
        wanted = set(torch.as_tensor(target).reshape(-1).tolist())
        if wanted:
            recalls.append(len(wanted.intersection(row)) / len(wanted))
    if not recalls:
        raise ValueError("argument 'targets' holds no targets at all")
    return sum(recalls) / len(recalls)


def top_k_items(scores: Tensor, k: int, exclude: Sequence[Tensor] | None = None) -> Tensor:
    """``[Q, k]`` highest-scoring item ids per query with ``exclude`` masked.

    ``k`` larger than the catalogue is an error (a shorter list would silently shrink recall@K);
    masked items can still fill the tail of a list when fewer than ``k`` items remain.
    """
    k = _check_k(k)
    _check_scores(scores)
    if k > scores.shape[1]:
        raise ValueError(f"argument 'k' is {k} but there are only {scores.shape[1]} items")
    scores = scores.clone().double()
    if exclude is not None:
        for row, items in enumerate(_check_exclude(exclude, scores.shape[0], scores.shape[1])):
            scores[row, items] = float("-inf")
    # Order by tie-break priority first, then a stable sort by score keeps that order among ties.
    by_priority = tie_break_priority(scores.shape[1]).argsort(descending=True)
    order = scores[:, by_priority].sort(dim=1, descending=True, stable=True).indices
    return by_priority[order[:, :k]]
