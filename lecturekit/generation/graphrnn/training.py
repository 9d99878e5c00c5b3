"""Teacher-forced maximum-likelihood training of GraphRNN on random BFS orderings.

Used by ``notebooks/05_graphrnn.ipynb``.

Every step draws a batch of training graphs and a *fresh* random BFS ordering of each (the paper's way of
covering many orderings ``pi``), encodes it as ``x = [1, S_1..S_{n-1}]``, ``y = [S_1..S_{n-1}, 0]`` and
minimises the binary cross-entropy over the valid entries ``j < min(i, M)`` of each real node's row plus
the cross-entropy of the EOS bit of every step (1 only at step ``n``, after the last node):

    L = - mean_{i < n, j < min(i,M)} [ y_ij log theta_ij + (1 - y_ij) log(1 - theta_ij) ]
        - mean_{i <= n} [ e_i log eta_i + (1 - e_i) log(1 - eta_i) ].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from tqdm.auto import tqdm

from lecturekit.devices import resolve_device
from lecturekit.generation.graphrnn.encoding import graph_to_seq
from lecturekit.generation.graphrnn.model import GraphRNN
from lecturekit.threads import torch_threads


def valid_mask(num_rows: int, max_prev: int) -> np.ndarray:
    """``(T, M)`` bool: row ``t`` (target ``S_{t+1}``) has ``min(t+1, M)`` real entries."""
    rows = np.arange(num_rows)[:, None]
    return np.arange(max_prev)[None, :] < np.minimum(rows + 1, max_prev)


def make_batch(
    graphs: list[nx.Graph], max_prev: int, rng: np.random.Generator
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Encode ``graphs`` under fresh random BFS orderings and pad.

    Returns ``x, y`` ``(B, T, M)`` float, ``mask`` ``(B, T, M)`` bool of edge entries in the loss (rows of
    real nodes 2..n) and ``row_mask`` ``(B, T)`` bool of all steps 1..n (the last one is EOS), ``T = max n``.
    """
    steps = max(g.number_of_nodes() for g in graphs)
    batch = len(graphs)
    x = np.zeros((batch, steps, max_prev), dtype=np.float32)
    y = np.zeros_like(x)
    mask = np.zeros((batch, steps, max_prev), dtype=bool)
    row_mask = np.zeros((batch, steps), dtype=bool)
    for b, graph in enumerate(graphs):
        n = graph.number_of_nodes()
        seq = graph_to_seq(graph, max_prev, rng)
        x[b, 0] = 1.0
        x[b, 1:n] = seq
        y[b, : n - 1] = seq
        mask[b, : n - 1] = valid_mask(n - 1, max_prev)
        row_mask[b, :n] = True
    return torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(mask), torch.from_numpy(row_mask)


def sequence_loss(model: GraphRNN, x: Tensor, y: Tensor, mask: Tensor, row_mask: Tensor) -> Tensor:
    """Edge BCE per valid edge slot + EOS BCE per step (see the module docstring)."""
    edge_rows = mask.any(-1)
    logits, eos_logits = model(x, y, edge_rows)
    lengths = row_mask.sum(1)
    eos_target = torch.zeros_like(eos_logits)
    eos_target[torch.arange(len(lengths), device=lengths.device), lengths - 1] = 1.0
    edge_loss = F.binary_cross_entropy_with_logits(logits[mask], y[mask]) if mask.any() else logits.sum() * 0
    return edge_loss + F.binary_cross_entropy_with_logits(eos_logits[row_mask], eos_target[row_mask])


# The paper's decay of Adam's rate (no study varies it): x LR_DECAY at two milestones.
LR_MILESTONES = (0.4, 0.8)  # fractions of the training steps
LR_DECAY = 0.3
NUM_THREADS = 1  # torch threads while training: 2 cores shared with the notebook's other work


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (paper: Adam, lr 3e-3, batch 32; the decay is :data:`LR_MILESTONES`, :data:`LR_DECAY`)."""

    steps: int = 1000
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    log_every: int = 10


@dataclass
class TrainHistory:
    """Loss per logged step."""

    steps: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)


def train_graphrnn(
    model: GraphRNN,
    graphs: list[nx.Graph],
    config: TrainConfig,
    progress: bool = True,
    *,
    device: str | torch.device = "cpu",
) -> TrainHistory:
    """Train ``model`` on ``graphs`` for ``config.steps`` steps; returns the (smoothed) loss history.

    ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when available); the model is moved
    there and each batch (encoded on the CPU) is copied over.

    Batches and orderings come from ``numpy.random.default_rng(config.seed)``; training draws nothing
    from torch's global generator and does not reseed it (initialise ``model`` under the seed you want).
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    if not graphs:
        raise ValueError("argument 'graphs' is empty")
    too_big = [g.number_of_nodes() for g in graphs if g.number_of_nodes() > model.config.max_nodes]
    if too_big:
        raise ValueError(
            f"training graph with {max(too_big)} nodes exceeds model max_nodes={model.config.max_nodes}"
        )
    model.to(dev)
    rng = np.random.default_rng(config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    milestones = sorted({max(1, int(f * config.steps)) for f in LR_MILESTONES})
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimiser, milestones=milestones, gamma=LR_DECAY)
    history = TrainHistory()
    running = None
    model.train()
    with torch_threads(NUM_THREADS):
        for step in tqdm(
            range(1, config.steps + 1), desc=f"train {model.config.variant}", disable=not progress
        ):
            idx = rng.integers(0, len(graphs), size=config.batch_size)
            x, y, mask, row_mask = (
                t.to(dev) for t in make_batch([graphs[i] for i in idx], model.config.max_prev, rng)
            )
            loss = sequence_loss(model, x, y, mask, row_mask)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
            running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
            if step % config.log_every == 0 or step == config.steps:
                history.steps.append(step)
                history.loss.append(running)
    model.eval()
    return history
