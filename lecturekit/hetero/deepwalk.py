"""DeepWalk (Perozzi et al. 2014) on the training graph: our own random walks and a skip-gram in torch.

The paper's "DeepWalk neural embeddings" baseline: embed every node of the multimodal *training* graph
(drug-drug training pairs of any side effect, PPI, drug-target edges, as one undirected graph), then train a
per-pair classifier on the concatenated drug embeddings (:class:`lecturekit.hetero.baselines.PairMLP`; the
paper used logistic regression, which is additive in the two drugs). Validation and test pairs are never
walked. Used by ``notebooks/04_decagon.ipynb``.

Devices: :func:`skipgram_embeddings` (and :func:`deepwalk_drug_features`) take ``device`` (``"cpu"`` by
default, ``"cuda"`` or ``"auto"``): the skip-gram's embedding tables, the (centre, context) pairs and the
optimiser live there. The walks, the tables' initialisation (its own CPU generator, before the
move), the epoch permutations and the negative samples (the given CPU ``generator``) are drawn on the CPU
and copied over, so a CUDA run consumes the same random words as a CPU run. The embeddings come back on
the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import PPI_EDGE, TARGET_EDGE
from lecturekit.devices import check_cpu_generator, resolve_device
from lecturekit.hetero.split import Triples

LR = 0.01  # Adam's step for the skip-gram tables (a common Adam default); no study tunes or varies it


@dataclass(frozen=True)
class DeepWalkConfig:
    """Walks and skip-gram sizes (DeepWalk's defaults are longer walks; these fit a CPU minute)."""

    walks_per_node: int = 5
    walk_length: int = 20
    window: int = 4  # context on each side
    dim: int = 32  # = Decagon's embedding size
    negatives: int = 5  # word2vec's negative samples per (centre, context) pair
    epochs: int = 1  # passes over the (centre, context) pairs
    batch_size: int = 4096

    def __post_init__(self) -> None:
        for name in ("walks_per_node", "walk_length", "window", "dim", "negatives", "epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"DeepWalkConfig.{name} must be a positive int, got {value!r}")


def training_graph_edges(data: HeteroData, ddi_train: Triples) -> tuple[torch.Tensor, int]:
    """Undirected ``(2, E)`` edge index over drugs ``[0, N_drug)`` and proteins ``[N_drug, N_drug + N_protein)``."""
    num_drugs = int(data["drug"].num_nodes)
    parts = [torch.stack([ddi_train.src, ddi_train.dst])]
    num_nodes = num_drugs
    if PPI_EDGE in data.edge_types:
        num_nodes += int(data["protein"].num_nodes)
        parts.append(data[PPI_EDGE].edge_index + num_drugs)
        dt = data[TARGET_EDGE].edge_index
        parts.append(torch.stack([dt[0], dt[1] + num_drugs]))
    edges = torch.cat(parts, dim=1)
    edges = torch.cat([edges, edges.flip(0)], dim=1)
    key = torch.unique(edges[0] * num_nodes + edges[1])
    return torch.stack([key // num_nodes, key % num_nodes]), num_nodes


def random_walks(
    edge_index: torch.Tensor, num_nodes: int, config: DeepWalkConfig, generator: torch.Generator
) -> torch.Tensor:
    """Uniform random walks, ``walks_per_node`` from every node: ``(num_nodes * walks_per_node, walk_length)``.

    A node without neighbours stays where it is (its walk repeats it).
    """
    order = torch.argsort(edge_index[0] * num_nodes + edge_index[1])
    dst = edge_index[1][order]
    degree = torch.bincount(edge_index[0], minlength=num_nodes)
    start = torch.cumsum(degree, 0) - degree
    current = torch.arange(num_nodes).repeat(config.walks_per_node)
    walk = [current]
    for _ in range(config.walk_length - 1):
        deg = degree[current]
        step = (torch.rand(current.shape, generator=generator) * deg).long().clamp(max=(deg - 1).clamp(min=0))
        current = torch.where(deg > 0, dst[(start[current] + step).clamp(max=max(len(dst) - 1, 0))], current)
        walk.append(current)
    return torch.stack(walk, dim=1)


def skipgram_embeddings(
    walks: torch.Tensor,
    num_nodes: int,
    config: DeepWalkConfig,
    generator: torch.Generator,
    *,
    device: str | torch.device = "cpu",
    init_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Skip-gram with negative sampling (word2vec) over ``walks``; returns the ``(num_nodes, dim)`` input vectors.

    ``device``: where the embeddings train (see the module docstring); ``generator`` is a CPU generator
    and ``walks`` are read on the CPU; the result is on the CPU. The input vectors start uniform in
    ``+-0.5 / dim`` drawn from ``init_generator`` (a CPU generator; default ``generator``), never from torch's
    global generator, so the embeddings do not depend on what ran before.
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    check_cpu_generator(generator)
    init_generator = generator if init_generator is None else init_generator
    check_cpu_generator(init_generator)
    walks = walks.cpu()
    centre, context = [], []
    for offset in range(1, config.window + 1):
        centre += [walks[:, :-offset].reshape(-1), walks[:, offset:].reshape(-1)]
        context += [walks[:, offset:].reshape(-1), walks[:, :-offset].reshape(-1)]
    centre_t, context_t = torch.cat(centre).to(dev), torch.cat(context).to(dev)
    noise = torch.bincount(walks.reshape(-1), minlength=num_nodes).double().pow(0.75)
    noise = noise / noise.sum()  # stays on the CPU: the negatives are drawn there
    inputs, outputs = nn.Embedding(num_nodes, config.dim), nn.Embedding(num_nodes, config.dim)
    with torch.no_grad():
        inputs.weight.copy_((torch.rand(num_nodes, config.dim, generator=init_generator) - 0.5) / config.dim)
    nn.init.zeros_(outputs.weight)
    inputs, outputs = inputs.to(dev), outputs.to(dev)
    optimizer = torch.optim.Adam([inputs.weight, outputs.weight], lr=LR)
    for _ in range(config.epochs):
        perm = torch.randperm(len(centre_t), generator=generator)
        for b in range(0, len(perm), config.batch_size):
            idx = perm[b : b + config.batch_size].to(dev)
            c, o = inputs(centre_t[idx]), outputs(context_t[idx])
            neg = outputs(
                torch.multinomial(noise, len(idx) * config.negatives, True, generator=generator)
                .view(len(idx), config.negatives)
                .to(dev)
            )
            loss = (
                nn.functional.softplus(-(c * o).sum(-1)).mean()
                + nn.functional.softplus(torch.einsum("bd,bkd->bk", c, neg)).sum(-1).mean()
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return inputs.weight.detach().cpu()


def deepwalk_drug_features(
    data: HeteroData,
    ddi_train: Triples,
    config: DeepWalkConfig,
    generator: torch.Generator,
    *,
    device: str | torch.device = "cpu",
    init_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Standardised DeepWalk embeddings of the drugs, ``(N_drug, dim)`` on the CPU, from the training graph only.

    The walks are drawn on the CPU; ``device``: where the skip-gram trains (:func:`skipgram_embeddings`).
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    edges, num_nodes = training_graph_edges(data, ddi_train)
    walks = random_walks(edges, num_nodes, config, generator)
    z = skipgram_embeddings(walks, num_nodes, config, generator, device=dev, init_generator=init_generator)[
        : int(data["drug"].num_nodes)
    ]
    return (z - z.mean(0)) / z.std(0).clamp_min(1e-8)
