"""Sampling graphs from a trained GraphRNN / GraphRNN-S with the end-of-sequence rule.

Used by ``notebooks/05_graphrnn.ipynb``.

At step ``i`` the model first draws the EOS bit ``~ Bernoulli(sigmoid(u^T h_i))``; EOS ends the graph with
``i`` nodes. Otherwise node ``i``'s vector ``S_i`` is drawn (entries ``j >= min(i, M)`` forced to 0). In a
BFS ordering every node after the first links to an earlier node, so an all-zero ``S_i`` is invalid: like
the paper's code (``sample_time``) we redraw it, up to ``max_resample`` times, and end the graph if it
stays empty. ``max_nodes`` caps runaway sequences.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from lecturekit.generation.graphrnn.encoding import seq_to_graph
from lecturekit.generation.graphrnn.model import GraphRNN
from lecturekit.threads import torch_threads


def _sample_rows(model: GraphRNN, h: Tensor, k: int, generator: torch.Generator | None) -> Tensor:
    """One adjacency vector per graph state ``h (B, H)``: ``(B, M)`` with entries ``>= k`` zero."""
    c = model.config
    row = torch.zeros(h.shape[0], c.max_prev)
    if c.variant == "graphrnn-s":
        probs = torch.sigmoid(model.head(h))[:, :k]
        row[:, :k] = torch.bernoulli(probs, generator=generator)
        return row
    edge_hidden = model.edge_initial_state(h)
    prev = torch.ones(h.shape[0], 1)
    for j in range(k):
        logit, edge_hidden = model.edge_logits(prev, edge_hidden)
        bit = torch.bernoulli(torch.sigmoid(logit[:, -1]), generator=generator)
        row[:, j] = bit
        prev = bit.unsqueeze(1)
    return row


@torch.no_grad()
def sample_sequences(
    model: GraphRNN, num_graphs: int, generator: torch.Generator | None = None, max_resample: int = 3
) -> np.ndarray:
    """Sample ``num_graphs`` sequences in one batch: ``(num_graphs, max_nodes - 1, M)`` 0/1 array.

    Rows from a sample's EOS on are zero (so :func:`seq_to_graph` cuts there).
    """
    if num_graphs < 1:
        raise ValueError(f"argument 'num_graphs' must be >= 1, got {num_graphs}")
    c = model.config
    model.eval()
    seqs = torch.zeros(num_graphs, c.max_nodes - 1, c.max_prev)
    alive = torch.ones(num_graphs, dtype=torch.bool)
    x = torch.ones(num_graphs, 1, c.max_prev)
    hidden = None
    for t in range(c.max_nodes - 1):
        h, hidden = model.graph_step(x, hidden)
        h = h[:, 0]
        stop = torch.bernoulli(torch.sigmoid(model.eos(h).squeeze(-1)), generator=generator).bool()
        alive &= ~stop
        k = min(t + 1, c.max_prev)
        row = _sample_rows(model, h, k, generator)
        for _ in range(max_resample):
            empty = ~row.any(dim=1) & alive
            if not empty.any():
                break
            row[empty] = _sample_rows(model, h[empty], k, generator)
        alive &= row.any(dim=1)
        row *= alive.unsqueeze(1).float()
        seqs[:, t] = row
        if not alive.any():
            break
        x = row.unsqueeze(1)
    return seqs.numpy()


def sample_graphs(
    model: GraphRNN, num_graphs: int, seed: int = 0, batch_size: int = 256, max_resample: int = 3
) -> list[nx.Graph]:
    """Sample ``num_graphs`` networkx graphs (decoded up to each sequence's EOS)."""
    generator = torch.Generator().manual_seed(seed)
    graphs: list[nx.Graph] = []
    with torch_threads(1):
        while len(graphs) < num_graphs:
            chunk = min(batch_size, num_graphs - len(graphs))
            graphs.extend(seq_to_graph(seq) for seq in sample_sequences(model, chunk, generator, max_resample))
    return graphs
