"""Minibatches of neighbourhoods: the K-hop computation graph of a batch, re-indexed.

PinSage never convolves the whole graph during training. For the batch's target items it samples
their neighbourhoods, then the neighbourhoods of those neighbours, and so on for ``K`` layers; the
layer-``k`` node set is re-indexed locally so that every convolution gathers only what it needs.
Used by notebooks 02 and 03 (through :func:`~lecturekit.recsys.pinsage.train.train_pinsage`).

Conventions: a :class:`Block` maps ``n_src`` source nodes to ``n_dst`` destination nodes, and the
destination nodes are the first ``n_dst`` source nodes (so ``h_v`` of a destination is
``h_src[:n_dst]``). ``nbr[i, j]`` is a local source index (``-1`` = padding) with weight
``weight[i, j]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

NeighborFn = Callable[[Tensor], tuple[Tensor, Tensor]]
"""``items (B,) -> (neighbors (B, T), weights (B, T))`` with global ids, -1 padding."""


@dataclass
class Block:
    """One layer of a computation graph: ``nbr``/``weight`` are ``(n_dst, T)``, local source ids."""

    n_src: int
    nbr: Tensor
    weight: Tensor

    @property
    def n_dst(self) -> int:
        return self.nbr.shape[0]


@dataclass
class MiniBatch:
    """The computation graph of a batch.

    Attributes:
        nodes: ``(n_input,)`` global ids whose input features feed the first layer.
        blocks: ``K`` blocks, input layer first; ``blocks[-1].n_dst`` output nodes.
        output_nodes: global ids of the output nodes (the first ``n_dst`` of ``nodes``).
        target_index: for each requested target (in request order), its row among the outputs.
    """

    nodes: Tensor
    blocks: list[Block]
    output_nodes: Tensor
    target_index: Tensor

    @property
    def computed_embeddings(self) -> int:
        """Number of node embeddings the convolutions compute (all layers)."""
        return sum(b.n_dst for b in self.blocks)


class NeighborTable:
    """Precomputed neighbourhoods of every item: a lookup ``NeighborFn``.

    ``refresh()`` resamples all of them (the training loop does it every epoch); inference uses
    one fixed table so that each node's neighbourhood is sampled exactly once.
    """

    def __init__(self, sample: NeighborFn, num_items: int, chunk_size: int = 4096) -> None:
        self._sample, self.num_items, self.chunk_size = sample, num_items, chunk_size
        self.neighbors = torch.empty(0, dtype=torch.long)
        self.weights = torch.empty(0)
        self.refresh()

    def refresh(self) -> None:
        parts = [self._sample(c) for c in torch.arange(self.num_items).split(self.chunk_size)]
        self.neighbors = torch.cat([p[0] for p in parts])
        self.weights = torch.cat([p[1] for p in parts])

    def __call__(self, items: Tensor) -> tuple[Tensor, Tensor]:
        return self.neighbors[items], self.weights[items]


def _drop_pairs(dst: Tensor, nbr: Tensor, weight: Tensor, exclude: Tensor | None) -> tuple[Tensor, Tensor]:
    """Remove neighbour ``b`` from node ``a`` for each row (a, b) of ``exclude`` (global ids)."""
    if exclude is None or exclude.numel() == 0:
        return nbr, weight
    order = torch.argsort(dst)
    pos = torch.searchsorted(dst[order], exclude[:, 0].contiguous()).clamp_max(dst.numel() - 1)
    row = order[pos]
    found = dst[row] == exclude[:, 0]
    row, banned = row[found], exclude[found, 1]
    width = int(max(int(nbr.max()), int(exclude[:, 1].max()))) + 1
    entry = torch.arange(nbr.shape[0]).unsqueeze(1) * width + nbr.clamp_min(0)
    hit = torch.isin(entry, row * width + banned) & (nbr >= 0)
    nbr = torch.where(hit, torch.full_like(nbr, -1), nbr)
    weight = torch.where(hit, torch.zeros_like(weight), weight)
    return nbr, weight / weight.sum(1, keepdim=True).clamp_min(1e-12)


class BlockBuilder:
    """Builds :class:`MiniBatch` computation graphs over ``num_items`` items (reusable id map)."""

    def __init__(self, num_items: int, num_layers: int) -> None:
        if num_layers < 1:
            raise ValueError(f"argument 'num_layers' must be >= 1, got {num_layers!r}")
        self.num_items, self.num_layers = num_items, num_layers
        self._map = torch.full((num_items,), -1, dtype=torch.long)

    def build(self, targets: Tensor, neighbors: NeighborFn, exclude: Tensor | None = None) -> MiniBatch:
        """Computation graph of ``targets`` (duplicates allowed), sampling with ``neighbors``.

        ``exclude``: ``(P, 2)`` global (node, banned neighbour) pairs removed from the output
        nodes' neighbourhoods (training pairs, so a query never sees its positive; no leakage).
        """
        targets = torch.as_tensor(targets).long()
        if targets.ndim != 1 or targets.numel() == 0:
            raise ValueError("argument 'targets' must be a non-empty 1-D tensor of item ids")
        if int(targets.min()) < 0 or int(targets.max()) >= self.num_items:
            raise ValueError(f"argument 'targets' has ids outside [0, {self.num_items})")
        output_nodes, target_index = torch.unique(targets, return_inverse=True)
        dst = output_nodes
        blocks: list[Block] = []
        for layer in range(self.num_layers):
            nbr, weight = neighbors(dst)
            if layer == 0:
                nbr, weight = _drop_pairs(dst, nbr, weight, exclude)
            self._map[dst] = torch.arange(dst.numel())
            valid = nbr >= 0
            cand = torch.unique(nbr[valid])
            new = cand[self._map[cand] < 0]
            self._map[new] = torch.arange(dst.numel(), dst.numel() + new.numel())
            src = torch.cat([dst, new])
            local = torch.where(valid, self._map[nbr.clamp_min(0)], torch.full_like(nbr, -1))
            self._map[src] = -1
            blocks.append(Block(n_src=src.numel(), nbr=local, weight=weight * valid))
            dst = src
        blocks.reverse()
        return MiniBatch(nodes=dst, blocks=blocks, output_nodes=output_nodes, target_index=target_index)


def tree_batch(targets: Tensor, neighbors: NeighborFn, num_layers: int) -> MiniBatch:
    """The same computation as :meth:`BlockBuilder.build` but WITHOUT sharing: every target's
    K-hop tree is expanded on its own, duplicates kept (per-node recomputation, the cost that
    layer-wise inference avoids). Used by notebook 02 and the inference benchmark.
    """
    targets = torch.as_tensor(targets).long()
    dst = targets
    blocks: list[Block] = []
    for _ in range(num_layers):
        nbr, weight = neighbors(dst)
        n, t = nbr.shape
        valid = nbr >= 0
        local = torch.where(valid, n + torch.arange(n * t).view(n, t), torch.full_like(nbr, -1))
        src = torch.cat([dst, nbr.clamp_min(0).reshape(-1)])
        blocks.append(Block(n_src=src.numel(), nbr=local, weight=weight * valid))
        dst = src
    blocks.reverse()
    return MiniBatch(nodes=dst, blocks=blocks, output_nodes=targets, target_index=torch.arange(targets.numel()))
