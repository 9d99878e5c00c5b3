"""Inference done once per node (the paper's MapReduce idea) vs per-node recomputation.

Layer-wise: compute ``h^1`` for ALL items (each exactly once, in chunks), then ``h^2`` from the
stored ``h^1``, ..., then the dense head: ``K * N`` convolution outputs in total. Per-node: expand
every item's own K-hop tree (:func:`~lecturekit.recsys.pinsage.batching.tree_batch`), recomputing
shared neighbours again and again: ``N * (1 + (1+T) + (1+T)^2 + ...)`` outputs. Both read the same
fixed neighbourhood table, so they give the same embeddings. Used by notebook 02 and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from lecturekit.recsys.pinsage.batching import NeighborFn, tree_batch
from lecturekit.recsys.pinsage.model import PinSage


@dataclass
class InferenceResult:
    """``embeddings``: ``(num_items, out_dim)``; ``computed_embeddings``: convolution outputs computed."""

    embeddings: Tensor
    computed_embeddings: int


@torch.no_grad()
def layerwise_embeddings(
    model: PinSage, features: Tensor, neighbors: NeighborFn, chunk_size: int = 4096
) -> InferenceResult:
    """Embeddings of every item, each layer computed exactly once per node.

    Args:
        model: a trained :class:`PinSage` (put in eval mode here).
        features: ``(num_items, in_dim)``.
        neighbors: a FIXED neighbourhood lookup, normally a
            :class:`~lecturekit.recsys.pinsage.batching.NeighborTable` (new items: build the table on
            the grown graph; no retraining needed).
    """
    model.eval()
    num_items = features.shape[0]
    h, computed = features, 0
    for layer in range(model.config.num_layers):
        out = []
        for chunk in torch.arange(num_items).split(chunk_size):
            nbr, weight = neighbors(chunk)
            n, t = nbr.shape
            valid = nbr >= 0
            local = torch.where(valid, n + torch.arange(n * t).view(n, t), torch.full_like(nbr, -1))
            h_src = torch.cat([h[chunk], h[nbr.clamp_min(0).reshape(-1)]])
            out.append(model.conv(layer, h_src, local, weight * valid))
            computed += n
        h = torch.cat(out)
    emb = torch.cat([model.head(part) for part in h.split(chunk_size)])
    return InferenceResult(emb, computed)


@torch.no_grad()
def pernode_embeddings(
    model: PinSage, features: Tensor, neighbors: NeighborFn, items: Tensor | None = None, batch_size: int = 256
) -> InferenceResult:
    """Embeddings of ``items`` (default all) by recomputing each item's own K-hop tree (the naive way)."""
    model.eval()
    items = torch.arange(features.shape[0]) if items is None else torch.as_tensor(items).long()
    out, computed = [], 0
    for chunk in items.split(batch_size):
        batch = tree_batch(chunk, neighbors, model.config.num_layers)
        out.append(model(batch, features))
        computed += batch.computed_embeddings
    return InferenceResult(torch.cat(out), computed)
