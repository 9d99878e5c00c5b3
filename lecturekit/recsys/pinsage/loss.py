"""Max-margin ranking loss with shared negatives and optional per-query hard negatives.

For a positive pair (q, i) and negatives n (Ying et al. 2018, eq. 1):

    J(q, i) = E_n max(0, z_q . z_n - z_q . z_i + Delta)

Hard negatives join the expectation (``weighting="pooled"``, the paper: "we add hard negatives to
the random negatives"): each query averages the hinge over its ``N`` shared random negatives and its
``H`` hard negatives together, a hard negative weighing ``hard_weight`` times a random one
(1 = the paper). ``weighting="separate"`` is the ablation: ``mean_n hinge + hard_weight * mean_h hinge``,
which makes one hard negative weigh ``hard_weight * N / H`` random ones (21-128x at the sizes of
notebook 03) and changes the loss scale as the curriculum adds hard negatives.

Used by notebooks 02 and 03 (03 passes hard negatives).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

WEIGHTINGS = ("pooled", "separate")


def check_pair_shapes(query: Tensor, positive: Tensor, negatives: Tensor) -> None:
    """``ValueError`` unless query/positive are ``(B, d)`` and the shared negatives ``(N, d)``."""
    if query.ndim != 2 or positive.shape != query.shape:
        raise ValueError(
            f"query/positive must both be (B, d); got {tuple(query.shape)} and {tuple(positive.shape)}"
        )
    if negatives.ndim != 2 or negatives.shape[1] != query.shape[1]:
        raise ValueError(f"negatives must be (N, {query.shape[1]}), got {tuple(negatives.shape)}")


def max_margin_loss(
    query: Tensor,
    positive: Tensor,
    negatives: Tensor,
    hard_negatives: Tensor | None = None,
    margin: float = 0.1,
    hard_weight: float = 1.0,
    weighting: str = "pooled",
) -> Tensor:
    """Mean hinge loss over queries and negatives.

    Args:
        query, positive: ``(B, d)`` embeddings of the pairs.
        negatives: ``(N, d)`` random negatives shared by the whole batch (scored against every query).
        hard_negatives: optional ``(B, H, d)`` per-query hard negatives.
        margin: Delta.
        hard_weight: weight of a hard negative (``pooled``: relative to one random negative;
            ``separate``: of the hard negatives' mean hinge), >= 0.
        weighting: ``"pooled"`` (the paper) or ``"separate"`` (see the module docstring).

    Returns: scalar; ``pooled``: ``mean_q (sum_n h_qn + w sum_h h_qh) / (N + w H)``; ``separate``:
    ``mean_{q,n} h_qn + w mean_{q,h} h_qh``, with ``h = [z_q.z_neg - z_q.z_i + Delta]_+``. Without hard
    negatives both are the plain mean over ``(q, n)``.
    """
    check_pair_shapes(query, positive, negatives)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"argument 'weighting' must be one of {WEIGHTINGS}, got {weighting!r}")
    if not hard_weight >= 0:
        raise ValueError(f"argument 'hard_weight' must be >= 0, got {hard_weight!r}")
    pos = (query * positive).sum(1, keepdim=True)
    random_hinge = F.relu(query @ negatives.T - pos + margin)
    if hard_negatives is None or hard_negatives.shape[1] == 0:
        if hard_negatives is not None:
            _check_hard(query, hard_negatives)
        return random_hinge.mean()
    _check_hard(query, hard_negatives)
    hard_hinge = F.relu(torch.einsum("bd,bhd->bh", query, hard_negatives) - pos + margin)
    if weighting == "separate":
        return random_hinge.mean() + hard_weight * hard_hinge.mean()
    total = random_hinge.sum(1) + hard_weight * hard_hinge.sum(1)
    return (total / (random_hinge.shape[1] + hard_weight * hard_hinge.shape[1])).mean()


def _check_hard(query: Tensor, hard_negatives: Tensor) -> None:
    if (
        hard_negatives.ndim != 3
        or hard_negatives.shape[0] != query.shape[0]
        or hard_negatives.shape[2] != query.shape[1]
    ):
        raise ValueError(
            f"hard_negatives must be (B, H, d) = ({query.shape[0]}, H, {query.shape[1]}), got {tuple(hard_negatives.shape)}"
        )


def in_batch_softmax_loss(
    query: Tensor,
    positive: Tensor,
    negatives: Tensor,
    hard_negatives: Tensor | None = None,
    margin: float = 0.1,
    hard_weight: float = 1.0,
    temperature: float = 0.1,
) -> Tensor:
    """Sampled softmax over the batch's positives, the shared random negatives and the hard negatives.

    Query ``b``'s candidates are every positive of the batch (its own is the answer; the others are
    negatives *drawn as positives are*, so by popularity: a pin with a neighbourhood is no longer a
    giveaway), the ``N`` shared random negatives and its own ``H`` hard negatives:

        J_b = -log exp(s_bb / tau) / (sum_j exp(s_bj / tau) + sum_n exp(s_bn / tau) + sum_h exp(s_bh / tau))

    with ``s = z_q . z`` (cosines) and temperature ``tau``. ``hard_weight`` ``w > 0``: each hard negative
    counts as ``w`` candidates (its term ``w exp(s_bh / tau)``; 1 = one candidate, as above), so that a few hard
    negatives among hundreds of others can carry weight (notebook 03's sweep). Same signature as
    :func:`max_margin_loss` (``margin`` is accepted and ignored). Returns the mean over the batch.
    """
    return softmax_loss(
        query, positive, negatives, hard_negatives, temperature, in_batch=True, hard_weight=hard_weight
    )


def softmax_loss(
    query: Tensor,
    positive: Tensor,
    negatives: Tensor,
    hard_negatives: Tensor | None,
    temperature: float,
    *,
    in_batch: bool,
    hard_weight: float = 1.0,
) -> Tensor:
    """Cross-entropy of each query's own positive against its candidates: the batch's positives
    (``in_batch``; else only its own), the shared negatives and its hard negatives (each counted
    ``hard_weight`` times: ``log hard_weight`` added to its logit), at ``temperature``."""
    check_pair_shapes(query, positive, negatives)
    if not temperature > 0:
        raise ValueError(f"argument 'temperature' must be positive, got {temperature!r}")
    if not hard_weight > 0:
        raise ValueError(f"argument 'hard_weight' must be positive for a softmax loss, got {hard_weight!r}")
    own = query @ positive.T if in_batch else (query * positive).sum(1, keepdim=True)
    logits = [own / temperature, query @ negatives.T / temperature]
    if hard_negatives is not None and hard_negatives.shape[1]:
        _check_hard(query, hard_negatives)
        hard = torch.einsum("bd,bhd->bh", query, hard_negatives) / temperature
        logits.append(hard + math.log(hard_weight))
    target = (
        torch.arange(query.shape[0], device=query.device)
        if in_batch
        else query.new_zeros(query.shape[0]).long()
    )
    return F.cross_entropy(torch.cat(logits, dim=1), target)
