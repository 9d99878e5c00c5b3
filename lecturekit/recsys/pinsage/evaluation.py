"""Related-item evaluation: rank the true related item among ALL items (notebooks 02 and 03).

For each test pair (query q, target i) every item except q is scored, and the rank of i gives
hit-rate@K and the paper's scaled MRR (``lecturekit.recsys.metrics``). The paper ranks among 5M
candidates with K = 500 and scale 100, so K is 1/10,000 of its candidates and K / scale = 5.
:func:`ranking_cutoffs` keeps K / scale = 5 but takes K = max(10, round(N / 1000)), 1/1,000 of the
catalogue: ten times the paper's share, because 1/10,000 of a 20k-pin world would be K = 2 (a
cut-off that says almost nothing). So our hit-rates are not on the paper's scale (a looser cut-off).

:func:`strata` splits a ranking by the query's training degree (:data:`~lecturekit.data.pinboard.DEGREE_STRATA`:
new 0, tail 1-2, torso 3-7, head >= 8) and by new vs old target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from tqdm.auto import tqdm

from lecturekit.ranking import degree_stratum, fast_ranks, ranking_cutoffs
from lecturekit.recsys.metrics import hit_rate, scaled_mrr

ScoreFn = Callable[[Tensor], Tensor]
"""``queries (Q,) -> scores (Q, num_items)``, higher = more related."""


@dataclass
class RankingResult:
    """Ranks of the targets (1-based) and the headline metrics."""

    ranks: Tensor
    k: int
    scale: float

    @property
    def hit_rate(self) -> float:
        return hit_rate(self.ranks, self.k)

    @property
    def mrr_scaled(self) -> float:
        return scaled_mrr(self.ranks, self.scale)

    def as_dict(self) -> dict[str, float]:
        return {"hit-rate": self.hit_rate, "mrr-scaled": self.mrr_scaled}


def embedding_scorer(embeddings: Tensor) -> ScoreFn:
    """Dot-product scores against every item's embedding."""
    return lambda queries: embeddings[queries] @ embeddings.T


def evaluate_related(
    score_fn: ScoreFn,
    pairs: Tensor,
    num_items: int,
    k: int | None = None,
    scale: float | None = None,
    chunk_size: int = 512,
    progress: bool = False,
) -> RankingResult:
    """Rank each pair's target among all items but the query.

    Args:
        score_fn: see :data:`ScoreFn`.
        pairs: ``(Q, 2)`` (query, target) item ids.
        num_items: catalogue size.
        k, scale: defaults from :func:`ranking_cutoffs`.
    """
    pairs = torch.as_tensor(pairs).long()
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(
            f"argument 'pairs' must be a non-empty (Q, 2) tensor, got shape {tuple(pairs.shape)}"
        )
    if int(pairs.min()) < 0 or int(pairs.max()) >= num_items:
        raise ValueError(f"argument 'pairs' has ids outside [0, {num_items})")
    default_k, default_scale = ranking_cutoffs(num_items)
    ranks = []
    for chunk in tqdm(pairs.split(chunk_size), disable=not progress, desc="ranking", leave=False):
        scores = score_fn(chunk[:, 0])
        if scores.shape != (chunk.shape[0], num_items):
            raise ValueError(
                f"score_fn returned shape {tuple(scores.shape)}, expected ({chunk.shape[0]}, {num_items})"
            )
        ranks.append(fast_ranks(scores, chunk[:, 1], excluded=chunk[:, 0]))  # never recommend the query
    return RankingResult(torch.cat(ranks), k or default_k, scale or default_scale)


@dataclass(frozen=True)
class LookalikeMix:
    """Where the top-k neighbours of sampled pins fall: the query's own category, or the visual
    look-alike category of ANOTHER topic (the lecture's bed rail vs garden fence)."""

    same_category: float
    lookalike_category: float


def lookalike_mix(
    score_fn: ScoreFn, queries: Tensor, category: Tensor, lookalike: Tensor, k: int = 10
) -> LookalikeMix:
    """Shares of the top-``k`` neighbours (query excluded) of ``queries`` that lie in the query's
    category and in its look-alike category ``lookalike[category]`` (notebook 02, section 5)."""
    queries = torch.as_tensor(queries).long()
    if queries.ndim != 1 or queries.numel() == 0:
        raise ValueError(
            f"argument 'queries' must be a non-empty 1-D tensor, got shape {tuple(queries.shape)}"
        )
    scores = score_fn(queries).clone()
    scores[torch.arange(queries.numel()), queries] = float("-inf")
    top = scores.topk(k, dim=1).indices
    same = (category[top] == category[queries].unsqueeze(1)).float().mean()
    fooled = (category[top] == lookalike[category[queries]].unsqueeze(1)).float().mean()
    return LookalikeMix(float(same), float(fooled))


STRATA = ("new-query", "tail-query", "torso-query", "head-query", "new-target")
"""The strata of :func:`strata`, in order (metric suffixes ``hit-rate/<stratum>``)."""


def strata(result: RankingResult, pairs: Tensor, degree: Tensor) -> dict[str, RankingResult]:
    """``result`` restricted to each stratum of :data:`STRATA` that has pairs.

    ``pairs`` are the ranked ``(Q, 2)`` pairs (in ``result``'s order), ``degree`` the training degree
    of every item: the query strata are new (0), tail (1-2), torso (3-7) and head (>= 8) by the
    query's degree; ``new-target`` holds the pairs whose target has no training save.
    """
    pairs = torch.as_tensor(pairs).long()
    if pairs.shape[0] != result.ranks.shape[0]:
        raise ValueError(f"argument 'pairs' has {pairs.shape[0]} rows for {result.ranks.shape[0]} ranks")
    degree = torch.as_tensor(degree)
    query = torch.from_numpy(degree_stratum(degree[pairs[:, 0]].numpy()))
    masks = [query == i for i in range(4)] + [degree[pairs[:, 1]] == 0]
    return {
        name: RankingResult(result.ranks[m], result.k, result.scale)
        for name, m in zip(STRATA, masks, strict=True)
        if bool(m.any())
    }
