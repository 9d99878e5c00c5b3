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

import functools
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
        isolated: global ids the batch treats as pins without saves (neighbourhood dropout), or ``None``.
    """

    nodes: Tensor
    blocks: list[Block]
    output_nodes: Tensor
    target_index: Tensor
    isolated: Tensor | None = None

    @property
    def computed_embeddings(self) -> int:
        """Number of node embeddings the convolutions compute (all layers)."""
        return sum(b.n_dst for b in self.blocks)


class NeighborTable:
    """Precomputed neighbourhoods of every item: a lookup ``NeighborFn``.

    ``refresh()`` resamples all of them (the training loop does it every epoch); inference uses
    one fixed table so that each node's neighbourhood is sampled exactly once.

    ``degree``: ``(num_items,)`` degrees of the graph the neighbourhoods come from (the model's
    log-degree input); by default read from the sampler that ``sample`` is a method of (or a
    ``functools.partial`` of one), so a table of the grown graph carries the grown graph's degrees.
    """

    def __init__(
        self, sample: NeighborFn, num_items: int, chunk_size: int = 4096, degree: Tensor | None = None
    ) -> None:
        self._sample, self.num_items, self.chunk_size = sample, num_items, chunk_size
        self.degree = graph_degree(sample) if degree is None else torch.as_tensor(degree)
        if self.degree is not None and self.degree.shape != (num_items,):
            raise ValueError(
                f"argument 'degree' must have shape ({num_items},), got {tuple(self.degree.shape)}"
            )
        self.neighbors = torch.empty(0, dtype=torch.long)
        self.weights = torch.empty(0)
        self.refresh()

    def refresh(self) -> None:
        parts = [self._sample(c) for c in torch.arange(self.num_items).split(self.chunk_size)]
        self.neighbors = torch.cat([p[0] for p in parts])
        self.weights = torch.cat([p[1] for p in parts])

    def __call__(self, items: Tensor) -> tuple[Tensor, Tensor]:
        return self.neighbors[items], self.weights[items]


def graph_degree(neighbors: object) -> Tensor | None:
    """The item degrees behind a neighbourhood lookup: a table's ``degree``, or the ``item_degree`` of
    the sampler a (partial of a) bound method belongs to; ``None`` when it cannot be told."""
    if isinstance(neighbors, NeighborTable):
        return neighbors.degree
    target = neighbors.func if isinstance(neighbors, functools.partial) else neighbors
    degree = getattr(getattr(target, "__self__", None), "item_degree", None)
    return degree if isinstance(degree, Tensor) else None


def _rows_of(dst: Tensor, nodes: Tensor) -> tuple[Tensor, Tensor]:
    """Row of each of ``nodes`` among the (distinct) ``dst`` ids, and whether it is there at all."""
    order = torch.argsort(dst)
    pos = torch.searchsorted(dst[order], nodes.contiguous()).clamp_max(dst.numel() - 1)
    row = order[pos]
    return row, dst[row] == nodes


def _renormalise(weight: Tensor, touched: Tensor) -> Tensor:
    """Rescale the rows that lost a neighbour so their weights sum to 1 again; other rows stay bit-identical."""
    changed = touched.any(1, keepdim=True)
    return torch.where(changed, weight / weight.sum(1, keepdim=True).clamp_min(1e-12), weight)


def _drop_pairs(dst: Tensor, nbr: Tensor, weight: Tensor, exclude: Tensor | None) -> tuple[Tensor, Tensor]:
    """Remove neighbour ``b`` from node ``a`` for each row (a, b) of ``exclude`` (global ids)."""
    if exclude is None or exclude.numel() == 0:
        return nbr, weight
    row, found = _rows_of(dst, exclude[:, 0])
    row, banned = row[found], exclude[found, 1]
    # Compare each ban with its own row only: O(bans x T), where a set lookup over all rows costs O(rows x T).
    match = (nbr[row] == banned.unsqueeze(1)) & (banned >= 0).unsqueeze(1)
    hit = torch.zeros_like(nbr, dtype=torch.bool)
    hit[row.unsqueeze(1).expand_as(match)[match], torch.nonzero(match)[:, 1]] = True
    nbr = torch.where(hit, torch.full_like(nbr, -1), nbr)
    weight = torch.where(hit, torch.zeros_like(weight), weight)
    return nbr, _renormalise(weight, hit)


def _spread_bans(dst: Tensor, nbr: Tensor, banned: Tensor, num_items: int) -> Tensor:
    """The bans of the next layer down: if ``b`` must stay out of ``a``'s receptive field, it must stay
    out of the neighbourhoods of every node that feeds ``a`` one layer lower (``a`` itself and its
    neighbours, ``nbr`` after this layer's bans). Returns distinct ``(P', 2)`` pairs."""
    row, found = _rows_of(dst, banned[:, 0])
    row, target = row[found], banned[found, 1]
    feeders = nbr[row]  # (P, T): a's neighbours at this layer
    valid = feeders >= 0
    nodes = torch.cat([banned[found, 0], feeders[valid]])
    targets = torch.cat([target, target.unsqueeze(1).expand_as(feeders)[valid]])
    key = torch.unique(nodes * num_items + targets)
    return torch.stack([key // num_items, key % num_items], dim=1)


def _isolate(nbr: Tensor, weight: Tensor, dst: Tensor, isolated: Tensor) -> tuple[Tensor, Tensor]:
    """Empty the neighbourhoods of ``isolated`` nodes and remove them from every other one: the batch
    then sees them exactly as pins without a single save (new pins). ``isolated``: a boolean mask over items."""
    hit = (isolated[nbr.clamp_min(0)] | isolated[dst].unsqueeze(1)) & (nbr >= 0)
    nbr = torch.where(hit, torch.full_like(nbr, -1), nbr)
    weight = torch.where(hit, torch.zeros_like(weight), weight)
    return nbr, _renormalise(weight, hit)


class BlockBuilder:
    """Builds :class:`MiniBatch` computation graphs over ``num_items`` items (reusable id map)."""

    def __init__(self, num_items: int, num_layers: int) -> None:
        if num_layers < 1:
            raise ValueError(f"argument 'num_layers' must be >= 1, got {num_layers!r}")
        self.num_items, self.num_layers = num_items, num_layers
        self._map = torch.full((num_items,), -1, dtype=torch.long)

    def build(
        self,
        targets: Tensor,
        neighbors: NeighborFn,
        exclude: Tensor | None = None,
        *,
        isolate: Tensor | None = None,
    ) -> MiniBatch:
        """Computation graph of ``targets`` (duplicates allowed), sampling with ``neighbors``.

        ``exclude``: ``(P, 2)`` global (node, banned neighbour) pairs: ``b`` is kept out of ``a``'s
        whole receptive field -- ``a``'s neighbourhood at every layer and the neighbourhoods of
        everything that feeds ``a`` at the layers below -- so a training query never sees its
        positive, directly or through a neighbour (no leakage; pass both orientations of a pair).
        ``isolate``: global ids treated as pins without saves at every layer (empty neighbourhood,
        in nobody's neighbourhood; the model also zeroes their degree input): neighbourhood dropout.
        """
        targets = torch.as_tensor(targets).long()
        if targets.ndim != 1 or targets.numel() == 0:
            raise ValueError("argument 'targets' must be a non-empty 1-D tensor of item ids")
        if int(targets.min()) < 0 or int(targets.max()) >= self.num_items:
            raise ValueError(f"argument 'targets' has ids outside [0, {self.num_items})")
        banned = None
        if exclude is not None:
            banned = torch.as_tensor(exclude).long()
            if banned.ndim != 2 or banned.shape[1] != 2:
                raise ValueError(
                    f"argument 'exclude' must be a (P, 2) tensor of pairs, got {tuple(banned.shape)}"
                )
            if banned.numel() and (int(banned.min()) < 0 or int(banned.max()) >= self.num_items):
                raise ValueError(f"argument 'exclude' has ids outside [0, {self.num_items})")
        isolated, isolated_mask = None, None
        if isolate is not None and torch.as_tensor(isolate).numel():
            isolated = torch.unique(torch.as_tensor(isolate).long())
            if int(isolated.min()) < 0 or int(isolated.max()) >= self.num_items:
                raise ValueError(f"argument 'isolate' has ids outside [0, {self.num_items})")
            isolated_mask = torch.zeros(self.num_items, dtype=torch.bool)
            isolated_mask[isolated] = True
        output_nodes, target_index = torch.unique(targets, return_inverse=True)
        dst = output_nodes
        blocks: list[Block] = []
        for layer in range(self.num_layers):
            nbr, weight = neighbors(dst)
            if isolated_mask is not None:
                nbr, weight = _isolate(nbr, weight, dst, isolated_mask)
            if banned is not None and banned.numel():
                nbr, weight = _drop_pairs(dst, nbr, weight, banned)
                if layer + 1 < self.num_layers:
                    banned = _spread_bans(dst, nbr, banned, self.num_items)
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
        return MiniBatch(
            nodes=dst, blocks=blocks, output_nodes=output_nodes, target_index=target_index, isolated=isolated
        )


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
    return MiniBatch(
        nodes=dst, blocks=blocks, output_nodes=targets, target_index=torch.arange(targets.numel())
    )
