"""Inference done once per node (the paper's MapReduce idea) vs per-node recomputation.

Layer-wise: for each layer, compute every item's message ``ReLU(Q h + q)`` ONCE (in chunks), gather
it for each item that has it as a neighbour, and compute ``h^k`` of ALL items from the stored
``h^{k-1}``; then the dense head. ``K * N`` convolution outputs and ``K * N`` messages in total.
``share_messages=False`` keeps the earlier scheme, which recomputed a neighbour's message each time it
appears in a neighbourhood (``(1 + T) N`` messages per layer). Per-node: expand every item's own K-hop
tree (:func:`~lecturekit.recsys.pinsage.batching.tree_batch`), recomputing shared neighbours again and
again: ``N * (1 + (1+T) + (1+T)^2 + ...)`` outputs. All read the same fixed neighbourhood table, so they
give the same embeddings. Used by notebook 02 and the benchmark.

Work is counted as the multiplications of the dense matrix products (each ``nn.Linear`` applied to
``r`` rows costs ``r * in * out``), the part the sharing saves; the pooling itself (one multiply-add
per neighbour and message column) is the same in every scheme and is reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lecturekit.recsys.pinsage.batching import MiniBatch, NeighborFn, graph_degree, tree_batch
from lecturekit.recsys.pinsage.model import PinSage


@dataclass
class InferenceResult:
    """``embeddings``: ``(num_items, out_dim)``; ``computed_embeddings``: convolution outputs computed;
    ``matmul_multiplies``: multiplications in the dense products (messages, combines, head);
    ``pooling_multiplies``: multiply-adds of the neighbour pooling (valid neighbours x message width)."""

    embeddings: Tensor
    computed_embeddings: int
    matmul_multiplies: int = 0
    pooling_multiplies: int = 0


def _linear_work(linear: nn.Linear | None, rows: int) -> int:
    return 0 if linear is None else rows * linear.in_features * linear.out_features


def _head_work(model: PinSage, rows: int) -> int:
    return _linear_work(model.G1, rows) + _linear_work(model.G2, rows) + _linear_work(model.R, rows)


def _degree(model: PinSage, neighbors: NeighborFn, degree: Tensor | None) -> Tensor | None:
    """The degree input: the argument, else the table's/sampler's own (:func:`graph_degree`)."""
    if degree is None and model.config.log_degree_input:
        degree = graph_degree(neighbors)
        if degree is None:
            raise ValueError(
                "argument 'degree' is required: the model has log_degree_input=True and 'neighbors' does not "
                "carry degrees (pass degree=sampler.item_degree, or a NeighborTable built from a sampler)"
            )
    return degree


@torch.no_grad()
def layerwise_embeddings(
    model: PinSage,
    features: Tensor,
    neighbors: NeighborFn,
    chunk_size: int = 4096,
    *,
    degree: Tensor | None = None,
    share_messages: bool = True,
) -> InferenceResult:
    """Embeddings of every item, each layer computed exactly once per node.

    Args:
        model: a trained :class:`PinSage` (put in eval mode here).
        features: ``(num_items, in_dim)``.
        neighbors: a FIXED neighbourhood lookup, normally a
            :class:`~lecturekit.recsys.pinsage.batching.NeighborTable` (new items: build the table on
            the grown graph; no retraining needed).
        degree: ``(num_items,)`` degrees for the log-degree input; default: those of ``neighbors``' graph.
        share_messages: compute each node's message once per layer and gather it (default); ``False``
            recomputes it for every neighbourhood it appears in (the earlier scheme, for comparison).
    """
    model.eval()
    num_items = features.shape[0]
    chunks = torch.arange(num_items).split(chunk_size)
    x = torch.cat([model.inputs(features, c, _degree(model, neighbors, degree)) for c in chunks])
    h, computed, matmul, pooling = x, 0, 0, 0
    for layer in range(model.config.num_layers):
        conv = model.convs[layer]
        if share_messages:
            messages = torch.cat([conv.neighbor_messages(h[c]) for c in chunks])
            matmul += _linear_work(conv.Q, num_items)
        out = []
        for chunk in chunks:
            nbr, weight = neighbors(chunk)
            n, t = nbr.shape
            valid = nbr >= 0
            if share_messages:
                out.append(conv.combine(h[chunk], messages, torch.where(valid, nbr, -1), weight * valid))
            else:
                local = torch.where(valid, n + torch.arange(n * t).view(n, t), torch.full_like(nbr, -1))
                out.append(model.conv(layer, torch.cat([h[chunk], h[nbr.clamp_min(0).reshape(-1)]]), local,
                                      weight * valid))  # fmt: skip
                matmul += _linear_work(conv.Q, n * (1 + t))
            matmul += _linear_work(conv.W, n)
            pooling += int(valid.sum()) * conv.Q.out_features
            computed += n
        h = torch.cat(out)
    emb = torch.cat([model.head(h[c], x[c]) for c in chunks])
    return InferenceResult(emb, computed, matmul + _head_work(model, num_items), pooling)


def _tree_work(model: PinSage, batch: MiniBatch) -> tuple[int, int]:
    """Dense-product and pooling multiplications of one forward pass over ``batch``."""
    matmul, pooling = _head_work(model, batch.output_nodes.numel()), 0
    for conv, block in zip(model.convs, batch.blocks, strict=True):
        matmul += _linear_work(conv.Q, block.n_src) + _linear_work(conv.W, block.n_dst)
        pooling += int((block.nbr >= 0).sum()) * conv.Q.out_features
    return matmul, pooling


@torch.no_grad()
def pernode_embeddings(
    model: PinSage,
    features: Tensor,
    neighbors: NeighborFn,
    items: Tensor | None = None,
    batch_size: int = 256,
    *,
    degree: Tensor | None = None,
) -> InferenceResult:
    """Embeddings of ``items`` (default all) by recomputing each item's own K-hop tree (the naive way)."""
    model.eval()
    items = torch.arange(features.shape[0]) if items is None else torch.as_tensor(items).long()
    degree = _degree(model, neighbors, degree)
    out, computed, matmul, pooling = [], 0, 0, 0
    for chunk in items.split(batch_size):
        batch = tree_batch(chunk, neighbors, model.config.num_layers)
        out.append(model(batch, features, degree))
        computed += batch.computed_embeddings
        work = _tree_work(model, batch)
        matmul, pooling = matmul + work[0], pooling + work[1]
    return InferenceResult(torch.cat(out), computed, matmul, pooling)
