"""GraphVAE: the one-shot adjacency VAE baseline of GraphRNN's small-graph table (Simonovsky & Komodakis 2018).

Used by ``notebooks/05_graphrnn.ipynb`` (method ``graphvae``).

A graph of at most ``k`` nodes is padded to a ``k x k`` adjacency. A graph-convolutional encoder maps it
to ``q(z | G) = N(mu, diag(sigma^2))``; an MLP decoder maps ``z`` to independent Bernoulli probabilities
of every node slot (does node ``i`` exist?) and of every upper-triangular edge slot ``(i, j)``, all at
once (one shot, no sequence). Training maximises the ELBO

    log p(G) >= E_q[ sum_i log p(node_i | z) + sum_{i<j} log p(A_ij | z) ] - KL(q(z | G) || N(0, I)),

divided by the number of slots (a mean per slot, so one learning rate suits every ``k``). Sampling draws
``z ~ N(0, I)``, then every node and edge independently; the graph keeps the nodes that exist and the edges
between them (isolated nodes are kept: they are part of what the model produced).

What differs from Simonovsky & Komodakis, and why:

* **No graph matching.** Their loss first aligns the predicted and the target graph (max-pooling
  matching on a ``k^4`` similarity tensor, then the Hungarian algorithm), because the decoder's node order
  is arbitrary. We instead write every training graph in one **fixed BFS order** (from a highest-degree
  node, neighbours by decreasing degree) and score the decoder against that single adjacency. This is
  cheaper (no ``O(k^4)`` matching per graph and step, which dominates their cost) and gives the decoder a
  consistent target, but the likelihood is that of one ordering, not of the graph. The GraphRNN authors'
  released baseline also ends up order-fixed: it computes a matching, but trains on the unpermuted
  adjacency.
* **Unlabelled graphs:** no node or edge types (their molecules have both); node features are one-hot
  degrees, the encoder a two-layer dense GCN with sum pooling (theirs: edge-conditioned convolutions).
* **Node existence** has its own ``k`` logits (theirs: the adjacency's diagonal).

Devices: :func:`train_graphvae` and :meth:`GraphVAE.sample` take ``device`` (``"cpu"`` by default,
``"cuda"`` or ``"auto"``). Training moves the model there and leaves it there (as ``train_graphrnn``);
sampling runs a model that lives elsewhere from a copy moved there (the caller's model is not moved).
Every random draw (batches, reparameterisation noise, ``z`` and the Bernoulli bits) is made on the CPU
from CPU generators and copied over, so a CUDA run consumes the same random words as a CPU run; the
sampled graphs are built on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.devices import cpu_bernoulli, on_device, resolve_device
from lecturekit.generation.graph_descriptors import check_graphs
from lecturekit.generation.graphrnn.encoding import ordered_bfs
from lecturekit.threads import torch_threads

MAX_NODES = 40  # k^2 / 2 edge slots: a one-shot decoder is meant for small graphs (the paper: <= 20 nodes)


def fixed_bfs_order(graph: nx.Graph) -> list:
    """A deterministic BFS order: start at a highest-degree node, visit neighbours by decreasing degree.

    Ties are broken by node label; disconnected graphs continue from the highest-degree unvisited node.
    """

    def key(v: object) -> tuple[int, str]:
        return (-graph.degree(v), str(v))

    return ordered_bfs(graph, sorted(graph.nodes(), key=key), key)


@dataclass(frozen=True)
class GraphVAEConfig:
    """Sizes of the GraphVAE (``max_nodes`` is ``k``, the largest graph it can hold)."""

    max_nodes: int
    hidden_dim: int = 64  # GCN width
    latent_dim: int = 16  # z: small graphs need few dimensions
    decoder_dim: int = 128  # hidden width of the decoder MLP

    def __post_init__(self) -> None:
        if (
            isinstance(self.max_nodes, bool)
            or not isinstance(self.max_nodes, int)
            or not 2 <= self.max_nodes <= MAX_NODES
        ):
            raise ValueError(
                f"GraphVAEConfig.max_nodes must be an int in 2..{MAX_NODES}, got {self.max_nodes!r}"
            )
        for field in ("hidden_dim", "latent_dim", "decoder_dim"):
            if getattr(self, field) < 1:
                raise ValueError(f"GraphVAEConfig.{field} must be >= 1, got {getattr(self, field)}")


def encode_graphs(graphs: list[nx.Graph], max_nodes: int) -> tuple[Tensor, Tensor]:
    """Padded adjacencies ``(B, k, k)`` in :func:`fixed_bfs_order` and node masks ``(B, k)``."""
    check_graphs(graphs, "graphs")
    too_big = [g.number_of_nodes() for g in graphs if g.number_of_nodes() > max_nodes]
    if too_big:
        raise ValueError(
            f"argument 'graphs' holds a graph of {max(too_big)} nodes; this GraphVAE holds {max_nodes}"
        )
    adj = np.zeros((len(graphs), max_nodes, max_nodes), dtype=np.float32)
    mask = np.zeros((len(graphs), max_nodes), dtype=np.float32)
    for b, graph in enumerate(graphs):
        n = graph.number_of_nodes()
        adj[b, :n, :n] = nx.to_numpy_array(graph, nodelist=fixed_bfs_order(graph))
        mask[b, :n] = 1.0
    return torch.from_numpy(adj), torch.from_numpy(mask)


class GraphVAE(nn.Module):
    """Encoder (dense GCN + sum pooling -> ``mu, log sigma^2``) and one-shot decoder (node + edge logits)."""

    def __init__(self, config: GraphVAEConfig) -> None:
        super().__init__()
        self.config = config
        k = config.max_nodes
        self.gcn1 = nn.Linear(k, config.hidden_dim)  # input: one-hot degree 0..k-1
        self.gcn2 = nn.Linear(config.hidden_dim, config.hidden_dim)
        self.to_latent = nn.Linear(config.hidden_dim, 2 * config.latent_dim)
        rows, cols = torch.triu_indices(k, k, offset=1)
        self.register_buffer("rows", rows, persistent=False)
        self.register_buffer("cols", cols, persistent=False)
        self.decoder = nn.Sequential(
            nn.Linear(config.latent_dim, config.decoder_dim),
            nn.ReLU(),
            nn.Linear(config.decoder_dim, config.decoder_dim),
            nn.ReLU(),
            nn.Linear(config.decoder_dim, k + len(rows)),
        )

    def encode(self, adj: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``q(z | G)``: mean and log-variance ``(B, latent)``."""
        k = self.config.max_nodes
        degree = adj.sum(-1).long().clamp(max=k - 1)
        x = F.one_hot(degree, k).float() * mask.unsqueeze(-1)
        a_hat = adj + torch.diag_embed(mask)  # self-loops on existing nodes only
        d = a_hat.sum(-1).clamp(min=1.0).rsqrt()
        a_hat = d.unsqueeze(-1) * a_hat * d.unsqueeze(-2)  # D^-1/2 (A + I) D^-1/2
        h = torch.relu(a_hat @ self.gcn1(x))
        h = torch.relu(a_hat @ self.gcn2(h)) * mask.unsqueeze(-1)
        mu, logvar = self.to_latent(h.sum(1)).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Node-existence logits ``(B, k)`` and upper-triangular edge logits ``(B, k (k - 1) / 2)``."""
        out = self.decoder(z)
        return out[:, : self.config.max_nodes], out[:, self.config.max_nodes :]

    def loss(self, adj: Tensor, mask: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Negative ELBO per slot (see the module docstring), with one reparameterised sample of ``z``.

        The noise is drawn on the CPU (``generator``: a CPU generator, or ``None`` for torch's global one)
        and copied to the device of ``adj``.
        """
        mu, logvar = self.encode(adj, mask)
        noise = torch.randn(mu.shape, generator=generator).to(mu.device)
        z = mu + (0.5 * logvar).exp() * noise
        node_logits, edge_logits = self.decode(z)
        edges = adj[:, self.rows, self.cols]
        recon = F.binary_cross_entropy_with_logits(
            node_logits, mask, reduction="sum"
        ) + F.binary_cross_entropy_with_logits(edge_logits, edges, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        slots = adj.shape[0] * (node_logits.shape[1] + edge_logits.shape[1])
        return (recon + kl) / slots

    @torch.no_grad()
    def sample(self, num_graphs: int, seed: int = 0, *, device: str | torch.device = "cpu") -> list[nx.Graph]:
        """``num_graphs`` graphs from the prior: ``z ~ N(0, I)``, then every node and edge independently.

        A sample in which no node exists keeps its most probable node (the MMD statistics need one node).
        ``device``: where the decoder runs (a model living elsewhere is copied there, not moved); ``z`` and
        the bits are drawn on the CPU from a generator seeded with ``seed``, on every device.
        """
        dev = resolve_device(device)  # first: a bad device is refused before any work
        if isinstance(num_graphs, bool) or not isinstance(num_graphs, int) or num_graphs < 1:
            raise ValueError(f"argument 'num_graphs' must be an int >= 1, got {num_graphs!r}")
        generator = torch.Generator().manual_seed(seed)
        self.eval()
        model = on_device(self, dev)
        with torch_threads(1):
            z = torch.randn(num_graphs, self.config.latent_dim, generator=generator)
            node_logits, edge_logits = (t.cpu() for t in model.decode(z.to(dev)))
            nodes = cpu_bernoulli(torch.sigmoid(node_logits), generator).bool()
            edges = cpu_bernoulli(torch.sigmoid(edge_logits), generator).bool()
        rows, cols = self.rows.tolist(), self.cols.tolist()
        graphs = []
        for b in range(num_graphs):
            keep = nodes[b].nonzero().flatten().tolist() or [int(node_logits[b].argmax())]
            alive = set(keep)
            graph = nx.Graph()
            graph.add_nodes_from(keep)
            graph.add_edges_from(
                (i, j)
                for e, (i, j) in enumerate(zip(rows, cols, strict=True))
                if edges[b, e] and i in alive and j in alive
            )
            graphs.append(nx.convert_node_labels_to_integers(graph))
        return graphs


@dataclass(frozen=True)
class GraphVAETrainConfig:
    """Adam on mini-batches of training graphs (sampled with replacement)."""

    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-3  # the GraphRNN authors' GraphVAE baseline
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError(f"GraphVAETrainConfig needs steps >= 1, batch_size >= 1 and lr > 0, got {self}")


def train_graphvae(
    model: GraphVAE,
    graphs: list[nx.Graph],
    config: GraphVAETrainConfig,
    *,
    device: str | torch.device = "cpu",
) -> list[float]:
    """Train ``model`` on ``graphs``; returns the loss per step.

    Batches and the reparameterisation noise come from generators seeded with ``config.seed``; nothing is
    drawn from torch's global generator (initialise ``model`` under the seed you want).

    ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when available); the model is moved
    there and left there, the encoded graphs are copied over once, and the batch indices and the noise
    are drawn on the CPU and copied over (the same draws on every device).
    """
    dev = resolve_device(device)  # first: a bad device is refused before any work
    adj, mask = (t.to(dev) for t in encode_graphs(graphs, model.config.max_nodes))
    model.to(dev)
    rng = np.random.default_rng(config.seed)
    noise = torch.Generator().manual_seed(config.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    losses = []
    model.train()
    with torch_threads(1):
        for _ in range(config.steps):
            idx = torch.from_numpy(rng.integers(0, len(graphs), size=config.batch_size)).to(dev)
            loss = model.loss(adj[idx], mask[idx], noise)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
    model.eval()
    return losses
