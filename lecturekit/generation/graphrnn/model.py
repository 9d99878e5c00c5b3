"""GraphRNN-S and GraphRNN (You et al., ICML 2018): a graph-level GRU that adds nodes, and an edge model.

Used by ``notebooks/05_graphrnn.ipynb`` through :mod:`lecturekit.generation.graphrnn.training` and
:mod:`lecturekit.generation.graphrnn.sampling`.

Graph level (both variants), with ``S_0 = 1`` (start token)::

    h_i = GRU_graph(h_{i-1}, ReLU(W_in S_{i-1}))

* **GraphRNN-S** predicts the ``M`` edges of node ``i`` independently:
  ``theta_i = sigmoid(MLP(h_i)) in (0,1)^M``, ``S_i[j] ~ Bernoulli(theta_i[j])``.
* **GraphRNN** predicts them one at a time with an edge-level GRU started from the graph state:
  ``g_{i,0} = MLP_h(h_i)``, ``g_{i,j} = GRU_edge(g_{i,j-1}, ReLU(w S_i[j-1]))`` (``S_i[-1] = 1``),
  ``P(S_i[j] = 1 | S_i[<j], S_{<i}) = sigmoid(v^T g_{i,j})``, so edges of a node depend on each other.

End of sequence (both variants): the paper's Algorithm 1 stops when the model emits an EOS token. We
predict it explicitly from the graph state, ``P(EOS at step i | S_{<i}) = sigmoid(u^T h_i)``, instead of
reading EOS off an all-zero ``S_i`` (in our runs a zero-row EOS was learnt far too slowly: with a few
hundred CPU steps the model could not tell the last row from ordinary ones and sizes came out wrong).

Sizes follow the paper's code for small graphs (graph GRU 64 units; edge GRU 16 units; 4 layers).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

VARIANTS = ("graphrnn", "graphrnn-s")


@dataclass(frozen=True)
class GraphRNNConfig:
    """Hyper-parameters of GraphRNN / GraphRNN-S.

    Args:
        max_prev: ``M``, the length of each adjacency vector (estimated from data).
        max_nodes: sampling cap on the number of nodes (EOS normally stops earlier).
        variant: ``"graphrnn"`` (edge-level GRU) or ``"graphrnn-s"`` (independent edges, MLP).
        embed_dim: size of ``ReLU(W_in S_{i-1})`` fed to the graph GRU.
        hidden_dim: graph-level GRU state size.
        num_layers: GRU layers (graph and edge level).
        edge_embed_dim: size of the edge-level input embedding.
        edge_hidden_dim: edge-level GRU state size.
        mlp_dim: hidden width of the output MLPs.
    """

    max_prev: int
    max_nodes: int
    variant: str = "graphrnn"
    embed_dim: int = 32
    hidden_dim: int = 64
    num_layers: int = 4
    edge_embed_dim: int = 8
    edge_hidden_dim: int = 16
    mlp_dim: int = 32

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"GraphRNNConfig.variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.max_prev < 1 or self.max_nodes < 2:
            raise ValueError(
                f"GraphRNNConfig needs max_prev >= 1 and max_nodes >= 2, got {self.max_prev}, {self.max_nodes}"
            )


class GraphRNN(nn.Module):
    """Both variants in one module (``config.variant`` picks the edge model).

    ``forward(x, y)`` does teacher forcing and returns edge logits ``(B, T, M)`` and EOS logits ``(B, T)``
    where ``x`` = ``[1, S_1, ..., S_{n-1}]`` and ``y`` = ``[S_1, ..., S_{n-1}, 0]`` (the last row is EOS),
    both ``(B, T, M)``; ``y`` is only read by the edge-level GRU (its previous-edge inputs).
    """

    def __init__(self, config: GraphRNNConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        self.input = nn.Linear(c.max_prev, c.embed_dim)
        self.graph_rnn = nn.GRU(c.embed_dim, c.hidden_dim, num_layers=c.num_layers, batch_first=True)
        if c.variant == "graphrnn-s":
            self.head = nn.Sequential(
                nn.Linear(c.hidden_dim, c.mlp_dim), nn.ReLU(), nn.Linear(c.mlp_dim, c.max_prev)
            )
        else:
            self.to_edge_state = nn.Sequential(
                nn.Linear(c.hidden_dim, c.mlp_dim), nn.ReLU(), nn.Linear(c.mlp_dim, c.edge_hidden_dim)
            )
            self.edge_input = nn.Linear(1, c.edge_embed_dim)
            self.edge_rnn = nn.GRU(
                c.edge_embed_dim, c.edge_hidden_dim, num_layers=c.num_layers, batch_first=True
            )
            self.edge_out = nn.Sequential(
                nn.Linear(c.edge_hidden_dim, c.edge_embed_dim), nn.ReLU(), nn.Linear(c.edge_embed_dim, 1)
            )
        self.eos = nn.Linear(c.hidden_dim, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier weights for linear maps and GRUs (as the paper's code), zero biases."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight, gain=nn.init.calculate_gain("relu"))
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.GRU):
                for name, param in module.named_parameters():
                    if "weight" in name:
                        nn.init.xavier_uniform_(param, gain=nn.init.calculate_gain("sigmoid"))
                    else:
                        nn.init.constant_(param, 0.25)

    # ---- graph level -------------------------------------------------------------------------
    def graph_step(self, x: Tensor, hidden: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``x (B, T, M)`` -> graph states ``(B, T, H)`` and the last GRU hidden ``(L, B, H)``."""
        return self.graph_rnn(torch.relu(self.input(x)), hidden)

    def edge_initial_state(self, h: Tensor) -> Tensor:
        """Graph state ``(R, H)`` -> edge GRU initial hidden ``(L, R, He)`` (layer 0 from ``h``, rest zero)."""
        first = self.to_edge_state(h).unsqueeze(0)
        rest = first.new_zeros(self.config.num_layers - 1, h.shape[0], self.config.edge_hidden_dim)
        return torch.cat([first, rest], dim=0)

    def edge_logits(self, prev_edges: Tensor, hidden: Tensor) -> tuple[Tensor, Tensor]:
        """Edge-level GRU: previous bits ``(R, K)`` -> logits ``(R, K)`` and new hidden."""
        out, hidden = self.edge_rnn(torch.relu(self.edge_input(prev_edges.unsqueeze(-1))), hidden)
        return self.edge_out(out).squeeze(-1), hidden

    def forward(self, x: Tensor, y: Tensor, row_mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Teacher-forced edge logits ``(B, T, M)`` and EOS logits ``(B, T)``.

        Args:
            x: inputs ``(B, T, M)``; ``y``: targets ``(B, T, M)``.
            row_mask: optional ``(B, T)`` bool of rows that need edge logits; the edge GRU only runs on those.
        """
        h, _ = self.graph_step(x)
        eos = self.eos(h).squeeze(-1)
        if self.config.variant == "graphrnn-s":
            return self.head(h), eos
        batch, steps, max_prev = y.shape
        if row_mask is None:
            row_mask = torch.ones(batch, steps, dtype=torch.bool, device=y.device)
        h_rows, y_rows = h[row_mask], y[row_mask]
        prev = torch.cat([torch.ones_like(y_rows[:, :1]), y_rows[:, :-1]], dim=1)
        logits_rows, _ = self.edge_logits(prev, self.edge_initial_state(h_rows))
        logits = y.new_full((batch, steps, max_prev), -30.0)
        logits[row_mask] = logits_rows
        return logits, eos
