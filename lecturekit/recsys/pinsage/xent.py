"""Cross-entropy loss for PinSage: the paper's "mean-pooling-xent" ablation (notebook 03).

Table 1 of Ying et al. (KDD 2018) replaces the max-margin loss by a softmax cross-entropy and
reports a large drop (hit-rate 29% vs 41%). :func:`xent_loss` has the signature of
:func:`~lecturekit.recsys.pinsage.loss.max_margin_loss`, so it is passed to
:func:`~lecturekit.recsys.pinsage.train.train_pinsage` as ``loss_fn``.
"""

from __future__ import annotations

from torch import Tensor

from lecturekit.recsys.pinsage.loss import softmax_loss


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
    return softmax_loss(query, positive, negatives, hard_negatives, temperature, in_batch=False)
