"""Sampling graphs from a trained GraphRNN / GraphRNN-S with the end-of-sequence rule.

Used by ``notebooks/05_graphrnn.ipynb``.

At step ``i`` the model first draws the EOS bit ``~ Bernoulli(sigmoid(u^T h_i))``; EOS ends the graph with
``i`` nodes. Otherwise node ``i``'s vector ``S_i`` is drawn (entries ``j >= min(i, M)`` forced to 0). In a
BFS ordering every node after the first links to an earlier node, so an all-zero ``S_i`` is invalid: like
the paper's code (``sample_time``) we redraw it, up to ``max_resample`` times, and end the graph if it
stays empty. ``max_nodes`` caps runaway sequences.

Devices: the model runs on ``device`` (``"cpu"`` by default, ``"cuda"`` or ``"auto"``). A model that lives
elsewhere is run from a copy moved there, so sampling never moves the caller's model (as GCPN's
``sample``); a model trained with ``train_graphrnn(..., device="cuda")`` is sampled on the GPU with
``device="cuda"`` and without a copy. Every Bernoulli draw is made on the CPU from the given CPU
``torch.Generator`` (or torch's global CPU generator when it is ``None``, never a CUDA generator) on the
probabilities copied back, and the bits are moved to the device: a CUDA run consumes the same random
words as a CPU run (its bits can differ only where the GPU's probabilities differ in the last digits). The
sequences and graphs come back on the CPU.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from lecturekit.devices import check_cpu_generator, cpu_bernoulli, on_device, resolve_device
from lecturekit.generation.graphrnn.encoding import seq_to_graph
from lecturekit.generation.graphrnn.model import GraphRNN
from lecturekit.threads import torch_threads


def _sample_rows(model: GraphRNN, h: Tensor, k: int, generator: torch.Generator | None) -> Tensor:
    """One adjacency vector per graph state ``h (B, H)``: ``(B, M)`` with entries ``>= k`` zero."""
    c = model.config
    row = torch.zeros(h.shape[0], c.max_prev, device=h.device)
    if c.variant == "graphrnn-s":
        probs = torch.sigmoid(model.head(h))[:, :k]
        row[:, :k] = cpu_bernoulli(probs, generator)
        return row
    edge_hidden = model.edge_initial_state(h)
    prev = torch.ones(h.shape[0], 1, device=h.device)
    for j in range(k):
        logit, edge_hidden = model.edge_logits(prev, edge_hidden)
        bit = cpu_bernoulli(torch.sigmoid(logit[:, -1]), generator)
        row[:, j] = bit
        prev = bit.unsqueeze(1)
    return row


@torch.no_grad()
def sample_sequences(
    model: GraphRNN,
    num_graphs: int,
    generator: torch.Generator | None = None,
    max_resample: int = 3,
    *,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """Sample ``num_graphs`` sequences in one batch: ``(num_graphs, max_nodes - 1, M)`` 0/1 array (CPU).

    Rows from a sample's EOS on are zero (so :func:`seq_to_graph` cuts there). ``model`` is put in eval
    mode. ``device``: where the model runs (a model living elsewhere is copied there, not moved);
    ``generator``: a CPU generator, or ``None`` for torch's global CPU generator (see the module docstring).
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    if num_graphs < 1:
        raise ValueError(f"argument 'num_graphs' must be >= 1, got {num_graphs}")
    check_cpu_generator(generator)
    c = model.config
    model.eval()
    model = on_device(model, dev)
    seqs = torch.zeros(num_graphs, c.max_nodes - 1, c.max_prev, device=dev)
    alive = torch.ones(num_graphs, dtype=torch.bool, device=dev)
    x = torch.ones(num_graphs, 1, c.max_prev, device=dev)
    hidden = None
    for t in range(c.max_nodes - 1):
        h, hidden = model.graph_step(x, hidden)
        h = h[:, 0]
        stop = cpu_bernoulli(torch.sigmoid(model.eos(h).squeeze(-1)), generator).bool()
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
    return seqs.cpu().numpy()


def sample_graphs(
    model: GraphRNN,
    num_graphs: int,
    seed: int = 0,
    batch_size: int = 256,
    max_resample: int = 3,
    *,
    device: str | torch.device = "cpu",
) -> list[nx.Graph]:
    """Sample ``num_graphs`` networkx graphs (decoded up to each sequence's EOS).

    ``device``: where the model runs (a model living elsewhere is copied there once, not moved); the draws
    come from a CPU ``torch.Generator`` seeded with ``seed`` on every device (see the module docstring).
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    model.eval()
    model = on_device(model, dev)
    generator = torch.Generator().manual_seed(seed)
    graphs: list[nx.Graph] = []
    with torch_threads(1):
        while len(graphs) < num_graphs:
            chunk = min(batch_size, num_graphs - len(graphs))
            graphs.extend(
                seq_to_graph(seq)
                for seq in sample_sequences(model, chunk, generator, max_resample, device=dev)
            )
    return graphs
