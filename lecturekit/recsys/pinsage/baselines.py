"""Non-GNN baselines of the paper's Table 1: feature nearest neighbours and item-item CF.

* Visual / Annotation / Combined: cosine similarity of item features.
* Item-CF: cosine similarity of items' user (board) incidence vectors (sparse, scales to 1M).
Popularity, kNN plus a log-degree prior, the same-interest oracle and the parameter-free
importance smoothing are the references below them. Pixie lives in :mod:`lecturekit.recsys.pinsage.pixie`. Used by notebook 02.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

from lecturekit.recsys.pinsage.evaluation import ScoreFn
from lecturekit.recsys.pinsage.model import PinSage


def feature_scorer(features: Tensor) -> ScoreFn:
    """Cosine similarity of feature vectors (all-zero rows score 0 against everything)."""
    normed = F.normalize(features.float(), dim=1)
    return lambda queries: normed[queries] @ normed.T


def item_cf_scorer(edge_index: Tensor, num_items: int, num_users: int) -> ScoreFn:
    """Cosine similarity of binary item-user incidence rows: |U_q ∩ U_i| / sqrt(|U_q| |U_i|)."""
    e = torch.as_tensor(edge_index).numpy()
    inc = sp.csr_matrix((np.ones(e.shape[1], dtype=np.float32), (e[0], e[1])), shape=(num_items, num_users))
    inc.data[:] = 1.0
    inc.sum_duplicates()
    inc.data[:] = 1.0
    norms = np.sqrt(np.asarray(inc.sum(1)).ravel())
    normed = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)) @ inc, dtype=np.float32)
    transposed = normed.T.tocsr()

    def score(queries: Tensor) -> Tensor:
        return torch.from_numpy((normed[queries.numpy()] @ transposed).toarray())

    return score


def popularity_scorer(degree: Tensor) -> ScoreFn:
    """Every query gets the same list: items by their number of saves (``degree``), most saved first."""
    score = torch.as_tensor(degree).float()
    return lambda queries: score.expand(queries.numel(), -1).clone()


def knn_popularity_scorer(features: Tensor, degree: Tensor, weight: float) -> ScoreFn:
    """Feature cosine plus a log-degree prior: ``cos(x_q, x_i) + weight * log(1 + degree_i)``."""
    if not weight >= 0:
        raise ValueError(f"argument 'weight' must be >= 0, got {weight!r}")
    normed = F.normalize(features.float(), dim=1)
    prior = weight * torch.log1p(torch.as_tensor(degree).float())
    return lambda queries: normed[queries] @ normed.T + prior


def oracle_scorer(interest: Tensor) -> ScoreFn:
    """The ceiling: the query's own interest first (every member tied at 1, so the evaluation's tie-break
    orders them at random), every other item at 0."""
    interest = torch.as_tensor(interest).long()
    return lambda queries: (interest[queries].unsqueeze(1) == interest.unsqueeze(0)).float()


def smoothed_embeddings(
    features: Tensor, neighbors: Tensor, weights: Tensor, gain: float, second_gain: float = 0.0
) -> Tensor:
    """The parameter-free importance smoothing: one PinSage convolution with identity weights,
    ``z_v = normalize(x_v + gain * sum_u alpha_u x_u)`` over each item's neighbourhood (``neighbors``:
    ``(N, T)`` ids, -1 pad; ``weights``: ``alpha``). An item without neighbours keeps its features.
    ``second_gain > 0`` smooths once more, ``h = x + gain * S x``, ``z = normalize(h + second_gain * S h)``:
    two hops, as PinSage's two layers reach (notebook 02's diagnosis of what training adds)."""
    if not gain >= 0 or not second_gain >= 0:
        raise ValueError(f"arguments 'gain' and 'second_gain' must be >= 0, got {gain!r}, {second_gain!r}")
    x = features.float()
    h = x + gain * PinSage.smooth(x, neighbors, weights)
    if second_gain:
        h = h + second_gain * PinSage.smooth(h, neighbors, weights)
    return F.normalize(h, dim=1)
