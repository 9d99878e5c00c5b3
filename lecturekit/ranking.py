"""Ranking on the floor of the package: cut-offs, exact ranks with the course's tie-breaking, hit@K and the
query strata by degree. Shared by the recommender metrics, PinSage's evaluation and the pinboard world's
feature calibration, so that the world (``lecturekit.data.pinboard``) imports no model package.

The paper ranks among 5M candidates with K = 500 and scale 100, so K is 1/10,000 of its candidates and
K / scale = 5. :func:`ranking_cutoffs` keeps K / scale = 5 but takes K = max(10, round(N / 1000)), 1/1,000
of the catalogue: ten times the paper's share, because 1/10,000 of a 20k-pin world would be K = 2 (a
cut-off that says almost nothing). So our hit-rates are not on the paper's scale (a looser cut-off).
"""

from __future__ import annotations

import numba
import numpy as np
import torch
from torch import Tensor

DEGREE_STRATA = (("new", 0, 0), ("tail", 1, 2), ("torso", 3, 7), ("head", 8, None))
"""Query strata by the number of distinct training boards of the query pin: (name, lowest, highest)."""


def tie_break_priority(num_items: int) -> Tensor:
    """A fixed pseudo-random priority per item (seed 0) used to break score ties."""
    return torch.randperm(num_items, generator=torch.Generator().manual_seed(0))


def degree_stratum(degree: np.ndarray) -> np.ndarray:
    """Index into :data:`DEGREE_STRATA` for each training degree (new 0, tail 1-2, torso 3-7, head >= 8)."""
    degree = np.asarray(degree)
    return np.select([degree == 0, degree <= 2, degree <= 7], [0, 1, 2], 3)


def ranking_cutoffs(num_items: int) -> tuple[int, float]:
    """``(K, scale)`` for hit-rate@K and scaled MRR on a catalogue of ``num_items`` items."""
    if num_items < 1:
        raise ValueError(f"argument 'num_items' must be >= 1, got {num_items!r}")
    k = max(10, round(num_items / 1000))
    return k, k / 5


@numba.njit(cache=True, nogil=True)
def _rank_kernel(scores, targets, excluded, priority, ranks):
    """One pass over each row: count the items above the target and the tied ones that win the
    tie-break; ``excluded[r]`` (or -1) scores -inf. Returns the first row holding a NaN, or -1."""
    for r in range(scores.shape[0]):
        t, q = targets[r], excluded[r]
        ts = -np.inf if t == q else scores[r, t]
        if ts != ts:
            return r
        pt = priority[t]
        greater = 0
        wins = 0
        for j in range(scores.shape[1]):
            s = scores[r, j]
            if s > ts:
                greater += 1
            elif s == ts:
                if priority[j] > pt:
                    wins += 1
            elif s != s and j != q:
                return r
        if q >= 0:  # the excluded item was counted with its own score: count it at -inf instead
            s = scores[r, q]
            if s > ts:
                greater -= 1
            elif s == ts and priority[q] > pt:
                wins -= 1
            if ts == -np.inf and priority[q] > pt:
                wins += 1
        ranks[r] = 1 + greater + wins
    return -1


def fast_ranks(scores: Tensor, targets: Tensor, excluded: Tensor | None = None) -> Tensor:
    """:func:`lecturekit.recsys.metrics.rank_of_targets` (same ranks, same tie-breaking) in one
    compiled pass over each row, with no temporaries: the ``(Q, N)`` scores dominate the evaluation on
    all test pairs, and the earlier eager version made five passes with two boolean copies.

    ``excluded``: ``(Q,)`` one item per row scored -inf (the query itself; ``-1`` for none) without
    copying the scores. A NaN anywhere but there is an error naming its row."""
    if scores.ndim != 2:
        raise ValueError(f"argument 'scores' must be 2-D, got shape {tuple(scores.shape)}")
    if not scores.is_floating_point():
        scores = scores.float()
    values = scores.detach().cpu().contiguous().numpy()
    targets = torch.as_tensor(targets).long().contiguous()
    excluded = (
        torch.full_like(targets, -1) if excluded is None else torch.as_tensor(excluded).long().contiguous()
    )
    ranks = torch.empty(len(targets), dtype=torch.long)
    priority = tie_break_priority(scores.shape[1])
    bad = _rank_kernel(values, targets.numpy(), excluded.numpy(), priority.numpy(), ranks.numpy())
    if bad >= 0:
        raise ValueError(f"scores hold NaN (first in query row {bad}); check the model's output")
    return ranks


def hits_at_k(scores: Tensor, targets: Tensor, k: int) -> Tensor:
    """``fast_ranks(scores, targets) <= k`` from one ``topk`` pass (about 4x faster than the two
    comparison passes of a full rank): a target above the k-th best score is a hit, one below it a
    miss, and only rows whose target ties the k-th score are ranked exactly (same tie-breaking).
    Used by the pinboard world's feature calibration (notebook 02)."""
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"argument 'k' must be in [1, {scores.shape[1]}], got {k!r}")
    kth = scores.topk(k, dim=1).values[:, -1]
    target_scores = scores.gather(1, targets[:, None]).squeeze(1)
    hit = target_scores > kth
    tied = torch.nonzero(target_scores == kth).flatten()
    if tied.numel():
        hit[tied] = fast_ranks(scores[tied], targets[tied]) <= k
    return hit
