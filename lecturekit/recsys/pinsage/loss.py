"""Max-margin ranking loss with shared negatives and optional per-query hard negatives.

For a positive pair (q, i) and negatives n (Ying et al. 2018, eq. 1):

    J(q, i) = E_n max(0, z_q . z_n - z_q . z_i + Delta)

Used by notebooks 02 and 03 (03 passes hard negatives).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def check_pair_shapes(query: Tensor, positive: Tensor, negatives: Tensor) -> None:
    """``ValueError`` unless query/positive are ``(B, d)`` and the shared negatives ``(N, d)``."""
    if query.ndim != 2 or positive.shape != query.shape:
        raise ValueError(f"query/positive must both be (B, d); got {tuple(query.shape)} and {tuple(positive.shape)}")
    if negatives.ndim != 2 or negatives.shape[1] != query.shape[1]:
        raise ValueError(f"negatives must be (N, {query.shape[1]}), got {tuple(negatives.shape)}")


def max_margin_loss(
    query: Tensor,
    positive: Tensor,
    negatives: Tensor,
    hard_negatives: Tensor | None = None,
    margin: float = 0.1,
    hard_weight: float = 1.0,
) -> Tensor:
    """Mean hinge loss over queries and negatives.

    Args:
        query, positive: ``(B, d)`` embeddings of the pairs.
        negatives: ``(N, d)`` random negatives shared by the whole batch (scored against every query).
        hard_negatives: optional ``(B, H, d)`` per-query hard negatives; their mean hinge is added
            with weight ``hard_weight``.
        margin: Delta.

    Returns: scalar ``mean_{q,n} [z_q.z_n - z_q.z_i + Delta]_+ (+ hard_weight * mean_{q,h} [...]_+)``.
    """
    check_pair_shapes(query, positive, negatives)
    pos = (query * positive).sum(1, keepdim=True)
    loss = F.relu(query @ negatives.T - pos + margin).mean()
    if hard_negatives is not None:
        if hard_negatives.ndim != 3 or hard_negatives.shape[0] != query.shape[0] or hard_negatives.shape[2] != query.shape[1]:
            raise ValueError(
                f"hard_negatives must be (B, H, d) = ({query.shape[0]}, H, {query.shape[1]}), got {tuple(hard_negatives.shape)}"
            )
        if hard_negatives.shape[1]:
            hard = torch.einsum("bd,bhd->bh", query, hard_negatives)
            loss = loss + hard_weight * F.relu(hard - pos + margin).mean()
    return loss
