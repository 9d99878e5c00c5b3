"""GCPN's graph convolutional policy (notebook 06).

Encoder: a dense relational GCN over the three bond types on the ``N = max_atoms + K`` node layout
of :mod:`env` (atom slots, then one scaffold node per atom type)::

    H^{l+1} = normalize( ReLU( sum_r D_r^{-1/2} (A_r + I) D_r^{-1/2} H^l W_r^l ) )      (L2 per node)

Heads (all masked so that only legal choices get probability):

* ``stop``  ~ Bernoulli(sigmoid(MLP(g)))  with ``g`` = [mean of atom embeddings, n_atoms/max_atoms];
* ``first`` ~ softmax_i MLP([h_i, g])       over atoms with free valence and a possible partner;
* ``second``~ softmax_j MLP([h_first, h_j, g] + e(d(first, j))) over open atoms not bonded to ``first`` and
  scaffolds, where ``e(d)`` embeds the shortest-path distance from ``first`` to ``j`` (bucketed, see
  :data:`MAX_DISTANCE`). The paper's head has no distance: its normalised GCN embeddings cannot tell a
  5-bond-away partner (a 6-ring) from a 7-bond-away one (an 8-ring), and a policy pretrained without it
  closes many rings of 8 or more atoms;
* ``bond``  ~ softmax_t MLP([h_first, h_second, g]) over orders ``t + 1 <= min(free_first, free_second)``;
* ``value`` = MLP(g).

The log-probability of an action is ``log p(stop)`` for a stop, else
``log(1 - p(stop)) + log p(first) + log p(second | first) + log p(bond | first, second)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.devices import module_device
from lecturekit.generation.gcpn.env import Action, EnvConfig

NEG = -1e9
#: Distances 1 .. MAX_DISTANCE - 1 are told apart; bucket MAX_DISTANCE holds longer paths and atoms in
#: another fragment, MAX_DISTANCE + 1 the scaffold nodes and ``first`` itself. Eight: a ring closure
#: between atoms 7 bonds apart makes an 8-ring, the first size the metrics count as large.
MAX_DISTANCE = 8


class Batch(NamedTuple):
    """Tensors of B states. ``adj`` (B, 3, N, N) float; ``x`` (B, N, K+1) one-hot types plus a
    scaffold flag; ``node`` (B, N) bool real nodes; ``atom`` (B, N) bool existing atoms; ``free``
    (B, N) long free valence; ``bonded`` (B, N, N) bool; ``n_atoms`` (B,) long; ``stop_ok`` (B,) bool;
    ``must_stop`` (B,) bool; ``pair_ok`` (B, N, N) bool legal (first, second) pairs; ``distance`` (B, N, N)
    long bucketed shortest-path distances (:func:`distance_buckets`)."""

    adj: Tensor
    x: Tensor
    node: Tensor
    atom: Tensor
    free: Tensor
    n_atoms: Tensor
    pair_ok: Tensor
    stop_ok: Tensor
    must_stop: Tensor
    distance: Tensor
    slots: int
    max_atoms: int

    def to_local(self, index: Tensor) -> Tensor:
        """Environment node index (scaffolds at ``max_atoms + k``) -> index in this batch."""
        return torch.where(index >= self.max_atoms, index - self.max_atoms + self.slots, index)

    def to_env(self, index: Tensor) -> Tensor:
        """Index in this batch -> environment node index."""
        return torch.where(index >= self.slots, index - self.slots + self.max_atoms, index)

    def to(self, device: torch.device) -> Batch:
        """This batch with every tensor on ``device`` (itself when they already are there)."""
        if self.adj.device == device:
            return self
        return Batch(*(v.to(device) if isinstance(v, Tensor) else v for v in self))


def make_batch(
    bonds: np.ndarray | Tensor, types: np.ndarray | Tensor, n_atoms: np.ndarray | Tensor, config: EnvConfig
) -> Batch:
    """Tensors and action masks for states given as stacked ``(bonds, types, n_atoms)``.

    ``bonds``: (B, A, A) bond orders; ``types``: (B, A) vocabulary index or -1; ``n_atoms``: (B,).
    To save compute only ``slots = max(n_atoms) + 1`` atom slots (at most ``A``) are kept, followed
    by the K scaffold nodes; :meth:`Batch.to_local` / :meth:`Batch.to_env` translate node indices.
    """
    bonds = torch.as_tensor(bonds).long()
    types = torch.as_tensor(types).long()
    n_atoms = torch.as_tensor(n_atoms).long()
    b, a = types.shape
    k = config.num_types
    if a != config.max_atoms:
        raise ValueError(f"states have {a} atom slots but EnvConfig.max_atoms is {config.max_atoms}")
    full_slots = n_atoms < a  # whether a new atom still fits, decided on the full slot count
    slots = min(a, int(n_atoms.max()) + 1) if b else a
    bonds, types, a = bonds[:, :slots, :slots], types[:, :slots], slots
    n = a + k
    valence = torch.as_tensor(config.type_valences())
    all_types = torch.cat([types, torch.arange(k).expand(b, k)], 1)  # (B, N)
    node = all_types >= 0
    atom = torch.zeros(b, n, dtype=torch.bool)
    atom[:, :a] = types >= 0
    x = torch.zeros(b, n, k + 1)
    x[..., :k] = F.one_hot(all_types.clamp(min=0), k).float() * node.unsqueeze(-1)
    x[:, a:, k] = 1.0
    full = torch.zeros(b, n, n, dtype=torch.long)
    full[:, :a, :a] = bonds
    adj = torch.stack([(full == r).float() for r in (1, 2, 3)], 1)
    max_v = torch.where(node, valence[all_types.clamp(min=0)], torch.zeros_like(all_types))
    free = max_v - full.sum(-1)
    if not config.mask_valence:  # every node may take any bond order; the environment rejects the excess
        free = torch.where(node, torch.full_like(free, 3), torch.zeros_like(free))
    open_node = node & (free > 0)
    scaffold_ok = torch.zeros(b, n, dtype=torch.bool)
    scaffold_ok[:, a:] = full_slots[:, None]
    partner = (open_node & (atom | scaffold_ok))[:, None, :]
    pair_ok = (open_node & atom)[:, :, None] & partner & (full == 0)
    pair_ok &= ~torch.eye(n, dtype=torch.bool)
    must_stop = ~pair_ok.flatten(1).any(1)
    stop_ok = (n_atoms >= config.min_atoms) | must_stop
    distance = distance_buckets(full[:, :a, :a] > 0, k)
    return Batch(
        adj, x, node, atom, free, n_atoms, pair_ok, stop_ok, must_stop, distance, slots, config.max_atoms
    )


def distance_buckets(bonded: Tensor, scaffolds: int) -> Tensor:
    """``(B, a + scaffolds, a + scaffolds)`` long: the shortest-path distance between atoms ``i`` and ``j`` of
    the bond graph ``bonded`` (B, a, a) bool, capped at :data:`MAX_DISTANCE` (longer paths and other
    fragments), and ``MAX_DISTANCE + 1`` on the diagonal and for every scaffold node. Breadth-first search by
    ``MAX_DISTANCE - 1`` boolean matrix products."""
    b, a, _ = bonded.shape
    dist = torch.full((b, a, a), MAX_DISTANCE, dtype=torch.long)
    step = bonded.float()
    reach = torch.eye(a).expand(b, a, a).clone()
    seen = reach > 0
    for d in range(1, MAX_DISTANCE):
        reach = (torch.matmul(reach, step) > 0).float()
        new = (reach > 0) & ~seen
        dist[new] = d
        seen |= new
    out = torch.full((b, a + scaffolds, a + scaffolds), MAX_DISTANCE + 1, dtype=torch.long)
    out[:, :a, :a] = dist
    out[:, torch.arange(a), torch.arange(a)] = MAX_DISTANCE + 1
    return out


@dataclass
class PolicyConfig:
    """Sizes of :class:`GCPNPolicy` (paper: 3 layers, 64 hidden units)."""

    hidden: int = 64
    layers: int = 3
    mlp_hidden: int = 128


class DenseRGCN(nn.Module):
    """Relational GCN on dense adjacency (B, R, N, N) with L2-normalised node embeddings."""

    def __init__(self, in_dim: int, hidden: int, layers: int, relations: int = 3) -> None:
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden)
        self.rel = nn.ModuleList(nn.Linear(hidden, hidden * relations, bias=False) for _ in range(layers))
        self.self_loop = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.relations, self.hidden = relations, hidden
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.inp.reset_parameters()
        for lin in [*self.rel, *self.self_loop]:
            lin.reset_parameters()

    def forward(self, x: Tensor, adj: Tensor, node: Tensor) -> Tensor:
        """``x`` (B, N, F), ``adj`` (B, R, N, N), ``node`` (B, N) -> embeddings (B, N, hidden)."""
        deg = adj.sum(-1).clamp(min=1.0)  # (B, R, N)
        norm = adj / deg.sqrt().unsqueeze(-1) / deg.sqrt().unsqueeze(-2)
        mask = node.unsqueeze(-1).float()
        h = F.normalize(torch.relu(self.inp(x)), dim=-1) * mask
        b, n, _ = h.shape
        for rel, loop in zip(self.rel, self.self_loop, strict=True):
            msg = rel(h).view(b, n, self.relations, self.hidden).transpose(1, 2)  # (B, R, N, H)
            agg = torch.matmul(norm, msg).sum(1)
            h = F.normalize(torch.relu(agg + loop(h)), dim=-1) * mask
        return h


def _mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, out_dim))


def graph_readout(h: Tensor, batch: Batch, max_atoms: int) -> Tensor:
    """``g`` = [mean over atoms of h, n_atoms / max_atoms] (B, H + 1)."""
    am = batch.atom.unsqueeze(-1).float()
    mean = (h * am).sum(1) / am.sum(1).clamp(min=1.0)
    return torch.cat([mean, (batch.n_atoms.float() / max_atoms).unsqueeze(-1)], -1)


class ActionOutput(NamedTuple):
    """Stacked actions (each (B,) long / bool), their log-probs, entropies and state values."""

    first: Tensor
    second: Tensor
    bond: Tensor
    stop: Tensor
    log_prob: Tensor
    entropy: Tensor
    value: Tensor

    def actions(self) -> list[Action]:
        return [
            Action(int(f), int(s), int(b), bool(t))
            for f, s, b, t in zip(
                self.first.tolist(), self.second.tolist(), self.bond.tolist(), self.stop.tolist(), strict=True
            )
        ]

    def cpu(self) -> ActionOutput:
        """These outputs on the CPU (the environment and the episode buffers live there)."""
        return ActionOutput(*(t.cpu() for t in self))


def _masked_log_softmax(logits: Tensor, mask: Tensor) -> Tensor:
    return torch.log_softmax(logits.masked_fill(~mask, NEG), -1)


def bond_order_mask(free_first: Tensor, free_second: Tensor) -> Tensor:
    """``(B, 3)`` bool: bond order ``t + 1`` (single, double, triple) is legal when it fits the free valence of
    both atoms, ``t + 1 <= min(free_first, free_second)``. A row with no legal order keeps all three (the
    pair was a placeholder, e.g. while stopping), so its log-softmax stays finite."""
    limit = torch.minimum(free_first, free_second)
    mask = torch.arange(1, 4, device=limit.device).unsqueeze(0) <= limit.unsqueeze(-1)
    return mask | (~mask.any(-1, keepdim=True))


def bond_order_log_probs(logits: Tensor, free_first: Tensor, free_second: Tensor) -> Tensor:
    """``(B, 3)`` log-probabilities of the bond orders: a softmax over the legal ones only
    (:func:`bond_order_mask`), illegal orders at probability 0. Notebook 06's exercise."""
    return _masked_log_softmax(logits, bond_order_mask(free_first, free_second))


def _entropy(logp: Tensor, mask: Tensor) -> Tensor:
    return -(logp.exp() * logp).masked_fill(~mask, 0.0).sum(-1)


class GCPNPolicy(nn.Module):
    """Graph convolutional policy network with a value head (notebook 06)."""

    def __init__(self, env_config: EnvConfig, config: PolicyConfig | None = None) -> None:
        super().__init__()
        self.env_config = env_config
        self.config = config = config or PolicyConfig()
        k, h, m = env_config.num_types, config.hidden, config.mlp_hidden
        self.encoder = DenseRGCN(k + 1, h, config.layers)
        self.stop_head = _mlp(h + 1, m, 1)
        self.first_head = _mlp(2 * h + 1, m, 1)
        # second head MLP([h_first, h_j, g]): its first layer splits into per-node and per-graph parts
        self.second_node = nn.Linear(h, m)
        self.second_ctx = nn.Linear(2 * h + 1, m)
        self.second_out = nn.Linear(m, 1)
        self.second_distance = nn.Embedding(MAX_DISTANCE + 2, m)
        self.bond_head = _mlp(3 * h + 1, m, 3)
        self.value_head = _mlp(h + 1, m, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        for head in (self.stop_head, self.first_head, self.bond_head, self.value_head):
            for layer in head:
                if isinstance(layer, nn.Linear):
                    layer.reset_parameters()
        for layer in (self.second_node, self.second_ctx, self.second_out, self.second_distance):
            layer.reset_parameters()

    def forward(
        self,
        batch: Batch,
        actions: ActionOutput | None = None,
        generator: torch.Generator | None = None,
        greedy: bool = False,
    ) -> ActionOutput:
        """Sample actions (``actions=None``) or score given ones; returns an :class:`ActionOutput`.

        Runs on the device of the parameters (``batch`` and ``actions`` are moved there; the outputs stay
        there). Random draws use ``generator`` on the CPU and are moved over, so a policy samples the
        same random words on every device."""
        device = module_device(self)
        batch = batch.to(device)
        if actions is not None:
            actions = ActionOutput(*(None if t is None else t.to(device) for t in actions))
        h = self.encoder(batch.x, batch.adj, batch.node)
        g = graph_readout(h, batch, self.env_config.max_atoms)
        b, n, _ = h.shape
        rows = torch.arange(b, device=device)

        stop_logit = self.stop_head(g).squeeze(-1)
        stop_logit = torch.where(batch.must_stop, torch.full_like(stop_logit, 30.0), stop_logit)
        stop_logit = torch.where(batch.stop_ok, stop_logit, torch.full_like(stop_logit, -30.0))
        logp_stop, logp_go = F.logsigmoid(stop_logit), F.logsigmoid(-stop_logit)

        first_mask = batch.pair_ok.any(-1)
        first_mask = first_mask | (
            ~first_mask.any(-1, keepdim=True) & batch.atom
        )  # keep finite when stopping
        g_nodes = g.unsqueeze(1).expand(b, n, g.shape[-1])
        logp_first = _masked_log_softmax(self.first_head(torch.cat([h, g_nodes], -1)).squeeze(-1), first_mask)

        def choose(logp: Tensor, mask: Tensor, given: Tensor | None) -> Tensor:
            if given is not None:
                return given.long()
            if greedy:
                return logp.argmax(-1)
            probs = (logp.exp() * mask).clamp(min=0)
            weights = (
                probs + (probs.sum(-1, keepdim=True) == 0) * mask.float()
            ).cpu()  # the generator is on the CPU
            return torch.multinomial(weights, 1, generator=generator).squeeze(-1).to(device)

        if actions is None:
            p_stop = logp_stop.exp()
            u = torch.rand(b, generator=generator).to(device)
            stop = (p_stop > 0.5) if greedy else (u < p_stop)
        else:
            stop = actions.stop.bool()
        first = choose(logp_first, first_mask, None if actions is None else actions.first)
        given_second = None if actions is None else batch.to_local(actions.second.long())

        second_mask = batch.pair_ok[rows, first]
        second_mask = second_mask | (~second_mask.any(-1, keepdim=True) & batch.node)
        h_first = h[rows, first]
        ctx = self.second_ctx(torch.cat([h_first, g], -1)).unsqueeze(1)
        near = self.second_distance(batch.distance[rows, first])  # (B, N, m): how far each partner is
        second_logit = self.second_out(torch.relu(self.second_node(h) + ctx + near)).squeeze(-1)
        logp_second = _masked_log_softmax(second_logit, second_mask)
        second = choose(logp_second, second_mask, given_second)

        bond_mask = bond_order_mask(batch.free[rows, first], batch.free[rows, second])
        bond_in = torch.cat([h_first, h[rows, second], g], -1)
        logp_bond = _masked_log_softmax(self.bond_head(bond_in), bond_mask)
        bond = choose(logp_bond, bond_mask, None if actions is None else actions.bond)

        edge_logp = logp_first[rows, first] + logp_second[rows, second] + logp_bond[rows, bond]
        log_prob = torch.where(stop, logp_stop, logp_go + edge_logp)
        p = logp_stop.exp()
        ent_stop = -(p * logp_stop + (1 - p) * logp_go)
        ent_edge = (
            _entropy(logp_first, first_mask)
            + _entropy(logp_second, second_mask)
            + _entropy(logp_bond, bond_mask)
        )
        entropy = ent_stop + (1 - p) * ent_edge
        value = self.value_head(g).squeeze(-1)
        return ActionOutput(first, batch.to_env(second), bond, stop, log_prob, entropy, value)
