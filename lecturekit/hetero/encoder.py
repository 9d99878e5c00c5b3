"""Decagon's encoder: relational graph convolution over a multimodal graph, batched over relations.

One layer computes, for every node i of type t, one message per block (all relations from node type s to t)

    m^{s->t}_i = sum_r sum_{j in N_r(i) (+ i on square blocks)} c^r_ij  W_r h_j,
    c^r_ij = 1 / sqrt(|N_r(i)| |N_r(j)|),

and combines the blocks in one of two ways (``EncoderConfig.normalisation``):

* ``"per-block"`` (the authors' code, ``GraphConvolutionMulti``): ``h_i' = act(sum_s L2(m^{s->t}_i))`` -- every
  block's message is L2-normalised before blocks are added, so each node type speaks with the same weight;
* ``"summed"`` (the ablation ``decagon-summed-normalisation``): ``h_i' = act(L2(sum_s m^{s->t}_i))``. The
  drug->drug block sums over R side effects, so its message grows roughly as sqrt(R) and drowns the
  protein->drug message (the pathway the planted biology lives on).

With per-block normalisation the authors apply no normalisation after the second layer (its output is a sum
of unit vectors); the summed variant L2-normalises both layers' outputs.

Per block (all relations between two node types) this is ``M @ reshape(H_s W, (N_s * R, d_out))`` with the
normalised sparse ``M`` of :mod:`lecturekit.hetero.graph`: one dense and one sparse matmul however many
relations there are (PyG's ``RGCNConv`` loops over relations). Featureless node types (one-hot inputs, as in
the authors' code) use a weight table of shape ``(N_s, R, d_out)`` directly, i.e. ``H_s W_r = W_r``.
Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from lecturekit.hetero.graph import RelationalGraph

NORMALISATIONS = ("per-block", "summed")


@dataclass(frozen=True)
class EncoderConfig:
    """Decagon encoder sizes: two layers 64 -> 32, ReLU after the first (the paper)."""

    hidden_dim: int = 64  # the paper's first layer
    out_dim: int = 32  # the paper's embedding size
    dropout: float = 0.1  # the authors' code default
    normalisation: str = "per-block"  # the authors' code; "summed" normalises after adding blocks (ablation)

    def __post_init__(self) -> None:
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(
                f"EncoderConfig.normalisation must be one of {NORMALISATIONS}, got {self.normalisation!r}"
            )


class RelationalGraphConv(nn.Module):
    """One relational graph convolution layer over all blocks of a :class:`RelationalGraph`.

    Args:
        graph: the normalised blocks (only their types and relation counts are used here).
        in_dims: input dimension per node type; ``None`` means featureless (one-hot identity input).
        out_dim: output dimension (same for all node types).
    Weights: block ``s->t`` holds ``W`` of shape ``(R, d_in, d_out)``, or ``(N_s, R, d_out)`` if featureless.
    """

    def __init__(self, graph: RelationalGraph, in_dims: dict[str, int | None], out_dim: int) -> None:
        super().__init__()
        self.out_dim = out_dim
        self.in_dims = dict(in_dims)
        self.weights = nn.ParameterDict()
        self._featureless = {b.name.replace("->", "_to_") for b in graph.blocks if in_dims[b.src] is None}
        for block in graph.blocks:
            d_in = in_dims[block.src]
            shape = (
                (graph.num_nodes[block.src], block.num_relations, out_dim)
                if d_in is None
                else (block.num_relations, d_in, out_dim)
            )
            self.weights[block.name.replace("->", "_to_")] = nn.Parameter(torch.empty(shape))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform per relation weight (fan_in = d_in, or N_s for one-hot inputs)."""
        for name, w in self.weights.items():
            fan_in = w.shape[0] if name in self._featureless else w.shape[1]
            bound = math.sqrt(6.0 / (fan_in + w.shape[-1]))
            nn.init.uniform_(w, -bound, bound)

    def forward(
        self, graph: RelationalGraph, h: dict[str, torch.Tensor | None], per_block_norm: bool = False
    ) -> dict[str, torch.Tensor]:
        """``h[t]``: ``(N_t, d_in)`` or ``None`` (featureless); returns ``(N_t, out_dim)`` per node type.

        ``per_block_norm``: L2-normalise each block's message (rows) before adding blocks (the authors' code).
        """
        out: dict[str, torch.Tensor] = {}
        for block in graph.blocks:
            w = self.weights[block.name.replace("->", "_to_")]
            n_src, r = graph.num_nodes[block.src], block.num_relations
            if self.in_dims[block.src] is None:
                transformed = w.reshape(n_src * r, self.out_dim)
            else:
                x = h[block.src]
                assert x is not None
                # (N_s, d_in) @ (d_in, R * d_out) -> (N_s, R, d_out): row j * R + r holds W_r h_j.
                transformed = (x @ w.permute(1, 0, 2).reshape(x.size(1), r * self.out_dim)).reshape(
                    n_src * r, self.out_dim
                )
            message = block.matmul(transformed)
            if per_block_norm:
                message = nn.functional.normalize(message, dim=1)
            out[block.dst] = message if block.dst not in out else out[block.dst] + message
        for t, n in graph.num_nodes.items():
            if t not in out:  # no block into t: zeros where (and as) the layer's weights are
                ref = next(iter(self.weights.values()), None)
                if ref is None:
                    ref = next((x for x in h.values() if x is not None), None)
                out[t] = torch.zeros(
                    n,
                    self.out_dim,
                    device=None if ref is None else ref.device,
                    dtype=None if ref is None else ref.dtype,
                )
        return out


class DecagonEncoder(nn.Module):
    """Two relational graph convolutions, ``Z = RGC(ReLU(RGC(X)))`` with the normalisation of
    ``config.normalisation`` (module docstring); ``X`` one-hot unless features given.

    Args:
        graph: the training graph (:func:`lecturekit.hetero.graph.build_graph`).
        features: optional dense input features per node type (e.g. mono side effects for drugs).
    ``forward(graph)`` returns ``{node type: (N_t, out_dim)}``; ``graph`` must be on the device of the
    weights (:meth:`lecturekit.hetero.model.Decagon.embed` passes a copy there). The features are
    non-persistent buffers: ``.to(device)`` moves them with the weights, ``state_dict`` leaves them out.
    Used by ``notebooks/04_decagon.ipynb``.
    """

    def __init__(
        self, graph: RelationalGraph, config: EncoderConfig, features: dict[str, torch.Tensor] | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self._feature_types = tuple(features or {})
        for k, t in enumerate(self._feature_types):
            self.register_buffer(f"feature_{k}", features[t], persistent=False)  # type: ignore[index]
        in_dims: dict[str, int | None] = {t: None for t in graph.num_nodes}
        for t, x in self.features.items():
            in_dims[t] = int(x.size(1))
        self.layer1 = RelationalGraphConv(graph, in_dims, config.hidden_dim)
        self.layer2 = RelationalGraphConv(
            graph, {t: config.hidden_dim for t in graph.num_nodes}, config.out_dim
        )
        self.dropout = nn.Dropout(config.dropout)

    @property
    def features(self) -> dict[str, torch.Tensor]:
        """The input features per node type (on the device of the weights once the module is moved)."""
        return {t: getattr(self, f"feature_{k}") for k, t in enumerate(self._feature_types)}

    def reset_parameters(self) -> None:
        self.layer1.reset_parameters()
        self.layer2.reset_parameters()

    def forward(self, graph: RelationalGraph) -> dict[str, torch.Tensor]:
        h: dict[str, torch.Tensor | None] = {t: self.features.get(t) for t in graph.num_nodes}
        per_block = self.config.normalisation == "per-block"
        h1 = self.layer1(graph, h, per_block)
        norm = (lambda x: x) if per_block else self._norm
        h1 = {t: self.dropout(torch.relu(norm(x))) for t, x in h1.items()}
        z = self.layer2(graph, h1, per_block)
        return {t: norm(x) for t, x in z.items()}

    def _norm(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(x, dim=1)


class FreeEmbedding(nn.Module):
    """No graph: a free embedding per drug (the RESCAL / DEDICOM baselines of notebook 04)."""

    def __init__(self, num_drugs: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_drugs, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.weight, std=1.0 / math.sqrt(self.weight.size(1)))

    def forward(self, graph: RelationalGraph | None = None) -> dict[str, torch.Tensor]:
        return {"drug": self.weight}
