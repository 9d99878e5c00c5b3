"""Pixie (Eksombatchai et al., WWW 2018): recommend by random-walk visit counts from the query.

Walks with restart from the query (the same :class:`RandomWalkSampler`) run in rounds of
``num_walks * walk_length`` traversals; a query stops early once ``n_p`` items have been visited
at least ``n_v`` times (Pixie's early stopping), or after ``max_rounds``. The score of an item is
its visit count. Used by notebook 02 (baseline) and 03.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lecturekit.recsys.pinsage.evaluation import ScoreFn
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler


def pixie_scores(
    sampler: RandomWalkSampler, queries: Tensor, max_rounds: int = 8, n_p: int = 50, n_v: int = 4
) -> Tensor:
    """``(Q, num_items)`` visit counts with early stopping per query."""
    queries = torch.as_tensor(queries).long()
    counts = sampler.visit_counts(queries)
    active = torch.arange(queries.numel())
    for _ in range(max_rounds - 1):
        done = (counts[active] >= n_v).sum(1) >= n_p
        active = active[~done]
        if active.numel() == 0:
            break
        counts[active] += sampler.visit_counts(queries[active])
    return counts


def pixie_scorer(sampler: RandomWalkSampler, max_rounds: int = 8, n_p: int = 50, n_v: int = 4) -> ScoreFn:
    """A :data:`~lecturekit.recsys.pinsage.evaluation.ScoreFn` for :func:`pixie_scores`."""
    return lambda queries: pixie_scores(sampler, queries, max_rounds, n_p, n_v)
