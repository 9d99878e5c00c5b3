"""Nearest-neighbour retrieval over item embeddings behind one small interface (notebook 02).

``EmbeddingIndex(embeddings, kind)``: ``"exact"`` = faiss ``IndexFlatIP`` (exact inner product,
the default), ``"hnsw"`` = faiss ``IndexHNSWFlat`` (approximate graph search; measure its recall
with :meth:`EmbeddingIndex.recall_against`), ``"torch"`` = exact chunked matrix product (also
used automatically when faiss is missing).
"""

from __future__ import annotations

import torch
from torch import Tensor

try:  # faiss is a pinned dependency, but keep an exact fallback
    import faiss
except ImportError:  # pragma: no cover
    faiss = None

KINDS = ("exact", "hnsw", "torch")


class EmbeddingIndex:
    """Top-k inner-product search.

    Args:
        embeddings: ``(N, d)`` item embeddings.
        kind: ``"exact"`` | ``"hnsw"`` | ``"torch"``.
        hnsw_m, ef_construction, ef_search: HNSW graph degree and search breadths.
        threads: faiss OpenMP threads.
    """

    def __init__(
        self,
        embeddings: Tensor,
        kind: str = "exact",
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
        threads: int = 1,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"argument 'kind' must be one of {KINDS}, got {kind!r}")
        emb = torch.as_tensor(embeddings).float().contiguous()
        if emb.ndim != 2 or emb.shape[0] == 0:
            raise ValueError(
                f"argument 'embeddings' must be a non-empty (N, d) tensor, got {tuple(emb.shape)}"
            )
        if faiss is None and kind != "torch":
            kind = "torch"
        self.kind, self.embeddings = kind, emb
        self.index = None
        if kind != "torch":
            faiss.omp_set_num_threads(threads)
            d = emb.shape[1]
            if kind == "exact":
                self.index = faiss.IndexFlatIP(d)
            else:
                self.index = faiss.IndexHNSWFlat(d, hnsw_m, faiss.METRIC_INNER_PRODUCT)
                self.index.hnsw.efConstruction = ef_construction
                self.index.hnsw.efSearch = ef_search
            self.index.add(emb.numpy())

    def __len__(self) -> int:
        return self.embeddings.shape[0]

    def search(self, queries: Tensor, k: int, chunk_size: int = 1024) -> tuple[Tensor, Tensor]:
        """``(scores, ids)``, both ``(Q, k)``, best first."""
        q = torch.as_tensor(queries).float().contiguous()
        if q.ndim != 2 or q.shape[1] != self.embeddings.shape[1]:
            raise ValueError(
                f"argument 'queries' must be (Q, {self.embeddings.shape[1]}), got {tuple(q.shape)}"
            )
        if not 1 <= k <= len(self):
            raise ValueError(f"argument 'k' must be in [1, {len(self)}], got {k!r}")
        if self.index is not None:
            scores, ids = self.index.search(q.numpy(), k)
            return torch.from_numpy(scores), torch.from_numpy(ids).long()
        parts = [(chunk @ self.embeddings.T).topk(k, dim=1) for chunk in q.split(chunk_size)]
        return torch.cat([p.values for p in parts]), torch.cat([p.indices for p in parts])

    def recall_against(self, exact: EmbeddingIndex, queries: Tensor, k: int = 10) -> float:
        """recall@k of this index's top-k w.r.t. ``exact``'s top-k (1.0 for an exact index)."""
        _, ours = self.search(queries, k)
        _, truth = exact.search(queries, k)
        hits = (ours.unsqueeze(2) == truth.unsqueeze(1)).any(2).float().sum()
        return float(hits / truth.numel())
