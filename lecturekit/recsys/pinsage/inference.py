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

from lecturekit.devices import resolve_device
from lecturekit.recsys.pinsage.batching import MiniBatch, NeighborFn, tree_batch
from lecturekit.recsys.pinsage.mapreduce import LocalExecutor, input_degree, partitions, run_layerwise
from lecturekit.recsys.pinsage.model import PinSage, batch_to


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
    return (
        _linear_work(model.G1, rows)
        + _linear_work(model.G2, rows)
        + _linear_work(model.R, rows)
        + _linear_work(model.S, rows)
    )


@torch.no_grad()
def layerwise_embeddings(
    model: PinSage,
    features: Tensor,
    neighbors: NeighborFn,
    chunk_size: int = 4096,
    *,
    degree: Tensor | None = None,
    share_messages: bool = True,
    device: str | torch.device = "cpu",
) -> InferenceResult:
    """Embeddings of every item, each layer computed exactly once per node.

    Args:
        model: a trained :class:`PinSage` (put in eval mode, and moved to ``device``, here).
        features: ``(num_items, in_dim)``.
        neighbors: a FIXED neighbourhood lookup, normally a
            :class:`~lecturekit.recsys.pinsage.batching.NeighborTable` (new items: build the table on
            the grown graph; no retraining needed).
        chunk_size: nodes per partition (bounds the memory of one step).
        degree: ``(num_items,)`` degrees for the log-degree input; default: those of ``neighbors``' graph.
        share_messages: compute each node's message once per layer and gather it (default: the map and
            reduce steps of :mod:`~lecturekit.recsys.pinsage.mapreduce`, run in this process); ``False``
            recomputes it for every neighbourhood it appears in (the earlier scheme, for comparison).
        device: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when available); the embeddings
            come back on the CPU (for the ANN index).
    """
    model.eval()
    dev = resolve_device(device)
    model.to(dev)
    num_items = features.shape[0]
    degree = input_degree(model, neighbors, degree)
    chunks = partitions(num_items, chunk_size)
    valid_neighbors = sum(int((neighbors(c)[0] >= 0).sum()) for c in chunks)
    layers = model.config.num_layers
    pooling = layers * valid_neighbors * model.config.hidden_dim
    matmul = _head_work(model, num_items) + sum(_linear_work(conv.W, num_items) for conv in model.convs)
    if share_messages:
        emb = run_layerwise(LocalExecutor(), model, features, neighbors, chunks, degree, dev)
        matmul += sum(_linear_work(conv.Q, num_items) for conv in model.convs)
        return InferenceResult(emb, layers * num_items, matmul, pooling)
    x = torch.cat(
        [
            model.inputs(
                features[c].to(dev),
                torch.arange(c.numel(), device=dev),
                None if degree is None else degree[c].to(dev),
            )
            for c in chunks
        ]
    )
    h = x
    for layer in range(layers):
        out = []
        for chunk in chunks:
            nbr, weight = (t.to(dev) for t in neighbors(chunk))
            n, t = nbr.shape
            valid = nbr >= 0
            local = torch.where(
                valid, n + torch.arange(n * t, device=dev).view(n, t), torch.full_like(nbr, -1)
            )
            out.append(
                model.conv(
                    layer,
                    torch.cat([h[chunk.to(dev)], h[nbr.clamp_min(0).reshape(-1)]]),
                    local,
                    weight * valid,
                )
            )
            matmul += _linear_work(model.convs[layer].Q, n * (1 + t))
        h = torch.cat(out)

    def smoothed(c: Tensor) -> Tensor | None:
        return None if model.S is None else model.smooth(x, *(t.to(dev) for t in neighbors(c)))

    emb = torch.cat([model.head(h[c.to(dev)], x[c.to(dev)], smoothed(c)) for c in chunks])
    return InferenceResult(emb.cpu(), layers * num_items, matmul, pooling)


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
    device: str | torch.device = "cpu",
) -> InferenceResult:
    """Embeddings of ``items`` (default all) by recomputing each item's own K-hop tree (the naive way);
    ``device`` as in :func:`layerwise_embeddings` (the trees are built on the CPU, then moved)."""
    model.eval()
    dev = resolve_device(device)
    model.to(dev)
    items = torch.arange(features.shape[0]) if items is None else torch.as_tensor(items).long()
    degree = input_degree(model, neighbors, degree)
    features = features.to(dev)
    degree = None if degree is None else degree.to(dev)
    out, computed, matmul, pooling = [], 0, 0, 0
    for chunk in items.split(batch_size):
        batch = tree_batch(chunk, neighbors, model.config.num_layers)
        out.append(model(batch_to(batch, dev), features, degree).cpu())
        computed += batch.computed_embeddings
        work = _tree_work(model, batch)
        matmul, pooling = matmul + work[0], pooling + work[1]
    return InferenceResult(torch.cat(out), computed, matmul, pooling)
