"""LightGCN (He et al., SIGIR 2020) on the bipartite user-item graph, through PyG's model.

The model is :class:`torch_geometric.nn.models.LightGCN`: one free embedding per node (users
``0..U-1``, then items ``U..U+N-1``), ``L`` parameter-free propagations
``x^(l+1)_v = Σ_{w ∈ N(v)} x^(l)_w / sqrt(deg(v) deg(w))`` and the mean of the ``L + 1`` layers as the
final embedding; ``score(u, i) = e_u · e_i``. With ``L = 0`` it is matrix factorisation without item
biases. Training uses PyG's BPR loss (:meth:`LightGCN.recommendation_loss`, with its L2 term on the
layer-0 embeddings of the batch's nodes) and the same uniform negatives as BPR-MF
(:func:`~lecturekit.recsys.bpr.sample_negatives`). What this module adds is only the glue PyG leaves
to the caller: the bipartite edge list, the normalised adjacency built once (PyG's ``gcn_norm``,
no self loops, stored as a sparse CSR matrix so a propagation is one sparse product), and the
``score_users`` interface of :mod:`lecturekit.recsys.evaluate`. Used by notebook 01.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.nn.models import LightGCN
from tqdm.auto import tqdm

from lecturekit.devices import resolve_device
from lecturekit.recsys.bpr import sample_negatives

LAMBDA_REG = 1e-4  # the LightGCN paper's L2 strength, PyG's default; no study tunes or varies it


@dataclass(frozen=True)
class LightGCNConfig:
    """LightGCN training settings (the notebook's study chooses layers, dim, lr and epochs on validation)."""

    layers: int = 2
    dim: int = 64
    epochs: int = 20
    batch_size: int = 16384  # each step propagates over the whole graph: 6 steps per MovieLens epoch
    lr: float = 0.05

    def __post_init__(self) -> None:
        for name, minimum in (("layers", 0), ("dim", 1), ("epochs", 0), ("batch_size", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"LightGCNConfig.{name} must be an int >= {minimum}, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"LightGCNConfig.lr must be positive, got {self.lr!r}")


def bipartite_edge_index(users: Tensor, items: Tensor, num_users: int, num_items: int) -> Tensor:
    """``[2, 2E]`` undirected edge list of the user-item graph: users ``0..U-1``, items ``U..U+N-1``.

    Each (user, item) pair appears once per direction; repeated pairs count once (as in
    :func:`~lecturekit.recsys.item_similarity.interaction_matrix`). Ids out of range are an error.
    """
    users, items = torch.as_tensor(users, dtype=torch.long), torch.as_tensor(items, dtype=torch.long)
    if users.shape != items.shape or users.ndim != 1:
        raise ValueError(
            f"arguments 'users' and 'items' must be 1-D of one length, got {tuple(users.shape)}, {tuple(items.shape)}"
        )
    for name, ids, limit in (("users", users, num_users), ("items", items, num_items)):
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= limit):
            raise ValueError(f"argument {name!r} has ids outside [0, {limit})")
    pairs = torch.unique(torch.stack([users, items + num_users]), dim=1)
    return torch.cat([pairs, pairs.flip(0)], dim=1)


def normalized_adjacency(edge_index: Tensor, num_nodes: int) -> Tensor:
    """``[V, V]`` sparse CSR matrix ``D^-1/2 A D^-1/2`` of an undirected graph (PyG's ``gcn_norm``, no self loops).

    Passed to :class:`LightGCN` built with ``normalize=False``, each LGConv layer is then one sparse
    product with it: the same propagation as normalising inside every layer, computed once.
    """
    index, weight = gcn_norm(edge_index, None, num_nodes, add_self_loops=False)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the one product we use is stable
        warnings.simplefilter("ignore", UserWarning)
        coo = torch.sparse_coo_tensor(index, weight, (num_nodes, num_nodes), check_invariants=True)
        return coo.coalesce().to_sparse_csr()


class LightGCNRecommender:
    """A trained :class:`LightGCN` and its graph, answering ``score_users`` like the other recommenders."""

    def __init__(self, model: LightGCN, adjacency: Tensor, num_users: int) -> None:
        self.model, self.adjacency, self.num_users = model, adjacency, num_users

    @torch.no_grad()
    def embeddings(self) -> tuple[Tensor, Tensor]:
        """``([U, dim], [N, dim])`` final user and item embeddings (mean over layers), on the CPU."""
        final = self.model.get_embedding(self.adjacency).cpu()
        return final[: self.num_users], final[self.num_users :]

    @torch.no_grad()
    def score_users(self, users: Tensor) -> Tensor:
        """``[len(users), N]`` scores ``e_u · e_i`` for every item, on the CPU."""
        user, item = self.embeddings()
        return user[torch.as_tensor(users).cpu()] @ item.T


def train_lightgcn(
    users: Tensor,
    items: Tensor,
    interactions: Tensor,
    config: LightGCNConfig,
    generator: torch.Generator,
    progress: bool = True,
    *,
    after_epoch: Callable[[int, LightGCNRecommender], None] | None = None,
    device: str | torch.device = "cpu",
) -> tuple[LightGCNRecommender, list[float]]:
    """Train PyG's LightGCN with BPR on the observed (user, item) pairs; returns it and the loss (BPR + L2) per epoch.

    Args:
        users, items: ``[E]`` training interactions (CPU tensors); they are also the graph.
        interactions: ``[U, N]`` binary matrix of the same interactions (negative sampling; CPU).
        generator: the run's own CPU random stream: initialisation, batch order and negatives draw
            from it alone (it is used, never reseeded).
        after_epoch: called as ``after_epoch(epoch, recommender)`` after epochs 1..``config.epochs``
            (the study evaluates the validation split there to choose the number of epochs).
        device: where the model trains (``"cpu"``, ``"cuda"``, ``"auto"``); draws stay on the CPU.
    """
    dev = resolve_device(device)
    if len(users) == 0 or len(users) != len(items):
        raise ValueError(
            f"arguments 'users' and 'items' must be non-empty and of one length, got {len(users)}, {len(items)}"
        )
    num_users, num_items = interactions.shape
    adjacency = normalized_adjacency(
        bipartite_edge_index(users, items, num_users, num_items), num_users + num_items
    )
    model = LightGCN(num_users + num_items, config.dim, config.layers, normalize=False)
    torch.nn.init.xavier_uniform_(model.embedding.weight, generator=generator)  # PyG's init, from our stream
    model, adjacency = model.to(dev), adjacency.to(dev)
    recommender = LightGCNRecommender(model, adjacency, num_users)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: list[float] = []
    for epoch in tqdm(
        range(1, config.epochs + 1), desc=f"LightGCN ({config.layers} layers) epochs", disable=not progress
    ):
        order = torch.randperm(len(users), generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            u, i = users[batch], items[batch]
            j = sample_negatives(u, interactions, generator)
            u, i, j = u.to(dev), (i + num_users).to(dev), (j + num_users).to(dev)
            final = model.get_embedding(adjacency)
            positive, negative = (final[u] * final[i]).sum(-1), (final[u] * final[j]).sum(-1)
            nodes = torch.cat([u, i, j]).unique()
            loss = model.recommendation_loss(positive, negative, node_id=nodes, lambda_reg=LAMBDA_REG)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history.append(total / len(order))
        if after_epoch is not None:
            after_epoch(epoch, recommender)
    return recommender, history
