"""Cross-entropy loss for PinSage: the paper's "mean-pooling-xent" ablation (notebook 03).

Table 1 of Ying et al. (KDD 2018) replaces the max-margin loss by a softmax cross-entropy and
reports a large drop (hit-rate 29% vs 41%). :func:`xent_loss` has the signature of
:func:`~lecturekit.recsys.pinsage.loss.max_margin_loss`, so it is passed to
:func:`~lecturekit.recsys.pinsage.train.train_pinsage` as ``loss_fn``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lecturekit.recsys.pinsage.loss import check_pair_shapes


def xent_loss(
    query: Tensor,
    positive: Tensor,
    negatives: Tensor,
    hard_negatives: Tensor | None = None,
    margin: float = 0.1,
    hard_weight: float = 1.0,
    temperature: float = 0.1,
) -> Tensor:
    """Softmax cross-entropy over the positive and the negatives (the paper's "mean-pooling-xent").

    For query ``q`` with positive ``i``, shared negatives ``n`` and hard negatives ``h``:

        J(q, i) = -log  exp(s_qi / tau) / (exp(s_qi / tau) + sum_n exp(s_qn / tau) + sum_h exp(s_qh / tau))

    with ``s = z_q . z`` (cosines: PinSage embeddings are L2-normalised) and temperature ``tau``.
    Same signature as :func:`~lecturekit.recsys.pinsage.loss.max_margin_loss` (``margin`` and
    ``hard_weight`` are accepted and ignored) so it can replace it in training. Used by notebook 03.

    Returns: scalar mean over the batch.
    """
    check_pair_shapes(query, positive, negatives)
    if not temperature > 0:
        raise ValueError(f"argument 'temperature' must be positive, got {temperature!r}")
    logits = [(query * positive).sum(1, keepdim=True), query @ negatives.T]
    if hard_negatives is not None and hard_negatives.shape[1]:
        logits.append(torch.einsum("bd,bhd->bh", query, hard_negatives))
    logits_t = torch.cat(logits, dim=1) / temperature
    return F.cross_entropy(logits_t, torch.zeros(query.shape[0], dtype=torch.long))
