"""Non-GNN baselines of the paper's Table 1: feature nearest neighbours and item-item CF.

* Visual / Annotation / Combined: cosine similarity of item features.
* Item-CF: cosine similarity of items' user (board) incidence vectors (sparse, scales to 1M).
Pixie lives in :mod:`lecturekit.recsys.pinsage.pixie`. Used by notebook 02.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import Tensor

from lecturekit.recsys.pinsage.evaluation import ScoreFn


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
