"""The PinSage model: K importance-pooling convolutions + the final dense layers (notebooks 02, 03).

    x   = [features || log(1 + degree)]   (the paper's inputs: visual + annotation + log degree)
    h^0 = x;  h^k = PinSageConv_k(h^{k-1}) for k = 1..K
    z   = G2 ReLU(G1 h^K + g) + R x,  returned L2-normalised (scores are dot products = cosines)

The degree is the item's degree in the graph the neighbourhoods come from (the training graph in
training; a grown graph at inference, where a new pin has its new saves). ``R x`` is a residual
feature path: an item without neighbours (a new pin) still gets an embedding that is a learned
projection of its own features, instead of whatever the head makes of an empty neighbourhood.
Both are on by default (:class:`PinSageConfig`); switched off, the model is the plain one above.

Initialisation (``feature_isometry_init``, on by default): ``R`` starts as an isometry of the
content features (orthonormal columns; the degree column at 0) and ``G2`` at zero, so the untrained
model embeds every item exactly as nearest neighbours on its features rank them, and training
learns what the graph adds (the zero-initialised residual branch of ReZero / Fixup). With a
random start, a few hundred training steps on noisy pairs learned a geometry worse than the raw
features' (notebook 02, session 4): the budget went into relearning the input, not the graph.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.recsys.pinsage.batching import MiniBatch
from lecturekit.recsys.pinsage.layers import POOLINGS, PinSageConv


@dataclass
class PinSageConfig:
    """Architecture of :class:`PinSage`.

    Attributes:
        in_dim: item feature dimension (without the degree column, which the model appends).
        hidden_dim: width of the convolutions (messages and outputs).
        out_dim: embedding dimension.
        num_layers: K convolutions.
        pooling: ``"importance"`` (PinSage) | ``"mean"`` (GraphSAGE mean) | ``"max"``.
        log_degree_input: append ``log(1 + degree)`` to the input features (the paper's third input);
            the degree must then be passed to :meth:`PinSage.forward`.
        residual: add ``R x`` (a projection of the item's own inputs) to the embedding before the
            normalisation, so an empty neighbourhood still gives a feature-based embedding.
        feature_isometry_init: with ``residual``, start ``R`` as an isometry of the features and ``G2``
            at zero (the untrained model ranks as feature kNN does); ``False``: PyTorch's default init.
        neighbor_skip: ``g > 0`` adds the smoothing path ``S sum_u alpha_u x_u`` (the last layer's
            neighbourhood of the item's raw inputs, with its pooling weights) to the embedding; with the
            isometry start ``S = g R``, so the untrained model embeds ``R (x_v + g sum_u alpha_u x_u)``:
            the parameter-free importance smoothing (DGL's PinSAGE adds the projected input to the
            convolution output in the same spirit). ``S`` is then trained like every other weight.
    """

    in_dim: int
    hidden_dim: int = 64
    out_dim: int = 64
    num_layers: int = 2
    pooling: str = "importance"
    log_degree_input: bool = True
    residual: bool = True
    feature_isometry_init: bool = True
    # 0 turns the path off (the plain model). The study starts it at the importance-smoothed reference's
    # validated g, so the untrained model ranks as that parameter-free reference does (notebook 02).
    neighbor_skip: float = 0.0

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"PinSageConfig.pooling must be one of {POOLINGS}, got {self.pooling!r}")
        if not self.neighbor_skip >= 0:
            raise ValueError(f"PinSageConfig.neighbor_skip must be >= 0, got {self.neighbor_skip!r}")
        if self.neighbor_skip and not self.residual:
            raise ValueError("PinSageConfig.neighbor_skip needs residual=True (S starts as g R)")
        for name in ("in_dim", "hidden_dim", "out_dim", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"PinSageConfig.{name} must be >= 1, got {getattr(self, name)!r}")

    @property
    def input_dim(self) -> int:
        """Width of the model's input ``x`` (features plus the degree column when it is on)."""
        return self.in_dim + int(self.log_degree_input)


def init_feature_isometry(residual: nn.Linear, feature_dim: int, branch_out: nn.Linear) -> None:
    """Start ``residual`` as an isometry of the first ``feature_dim`` input columns (orthonormal
    columns when it is at least as wide as them, else orthonormal rows; other columns 0) and the
    branch's last layer ``branch_out`` at zero: the model's first embeddings are its features, up
    to a rotation, so their cosine ranking is the features' (notebook 02's ``pinsage`` and
    ``combined`` models)."""
    weight = torch.empty(residual.out_features, feature_dim)
    nn.init.orthogonal_(weight)
    with torch.no_grad():
        residual.weight.zero_()
        residual.weight[:, :feature_dim].copy_(weight)
        branch_out.weight.zero_()
        if branch_out.bias is not None:
            branch_out.bias.zero_()


class InputTable(NamedTuple):
    """Every item's input row ``x = [features || log(1 + degree)]`` (:meth:`PinSage.input_table`), built once
    per run so that a step gathers one table instead of gathering two and concatenating them (at 1M pins
    that gather-and-copy was a top hot spot of a training step). Pass it wherever ``features`` goes."""

    rows: Tensor


class PinSage(nn.Module):
    """K :class:`PinSageConv` layers and the dense head ``G2 ReLU(G1 z + g)`` (+ ``R x``)."""

    def __init__(self, config: PinSageConfig) -> None:
        super().__init__()
        self.config = config
        dims = [config.input_dim] + [config.hidden_dim] * config.num_layers
        self.convs = nn.ModuleList(
            PinSageConv(dims[k], config.hidden_dim, dims[k + 1], config.pooling)
            for k in range(config.num_layers)
        )
        self.G1 = nn.Linear(config.hidden_dim, config.hidden_dim)
        self.G2 = nn.Linear(config.hidden_dim, config.out_dim)
        self.R = nn.Linear(config.input_dim, config.out_dim, bias=False) if config.residual else None
        self.S = nn.Linear(config.input_dim, config.out_dim, bias=False) if config.neighbor_skip else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()
        self.G1.reset_parameters()
        self.G2.reset_parameters()
        if self.R is not None:
            self.R.reset_parameters()
            if self.config.feature_isometry_init:
                init_feature_isometry(self.R, self.config.in_dim, self.G2)
        if self.S is not None:
            self.S.reset_parameters()
            if self.config.feature_isometry_init:
                with torch.no_grad():
                    self.S.weight.copy_(self.config.neighbor_skip * self.R.weight)

    def input_table(self, features: Tensor, degree: Tensor | None = None) -> InputTable:
        """:class:`InputTable` of every item (``degree`` as in :meth:`forward`; not copied without the degree input)."""
        if features.ndim != 2 or features.shape[1] != self.config.in_dim:
            raise ValueError(
                f"argument 'features' must be (num_items, {self.config.in_dim}), got {tuple(features.shape)}"
            )
        if not self.config.log_degree_input:
            return InputTable(features)
        return InputTable(
            self.inputs(features, torch.arange(features.shape[0], device=features.device), degree)
        )

    def inputs(
        self,
        features: Tensor | InputTable,
        nodes: Tensor,
        degree: Tensor | None = None,
        isolated: Tensor | None = None,
    ) -> Tensor:
        """The input rows ``x`` of ``nodes``: ``features[nodes]``, with ``log(1 + degree)`` appended when
        :attr:`PinSageConfig.log_degree_input` is on (``isolated`` ids count as degree 0: new pins).
        ``features`` may be an :class:`InputTable` (``degree`` is then in it already)."""
        if isinstance(features, InputTable):
            if features.rows.ndim != 2 or features.rows.shape[1] != self.config.input_dim:
                raise ValueError(
                    f"argument 'features' is an InputTable of shape {tuple(features.rows.shape)}, "
                    f"expected (num_items, {self.config.input_dim})"
                )
            x = features.rows.index_select(0, nodes)
            if self.config.log_degree_input and isolated is not None and isolated.numel():
                x[:, -1] = torch.where(torch.isin(nodes, isolated), 0.0, x[:, -1])
            return x
        if features.ndim != 2 or features.shape[1] != self.config.in_dim:
            raise ValueError(
                f"argument 'features' must be (num_items, {self.config.in_dim}), got {tuple(features.shape)}"
            )
        x = features.index_select(0, nodes)
        if not self.config.log_degree_input:
            return x
        if degree is None:
            raise ValueError(
                "argument 'degree' is required: the model has log_degree_input=True (pass the item degrees of "
                "the graph the neighbourhoods come from, e.g. sampler.item_degree)"
            )
        if degree.shape != (features.shape[0],):
            raise ValueError(
                f"argument 'degree' must have shape ({features.shape[0]},), got {tuple(degree.shape)}"
            )
        d = degree.index_select(0, nodes).to(x.dtype)
        if isolated is not None and isolated.numel():
            d = torch.where(torch.isin(nodes, isolated), torch.zeros_like(d), d)
        return torch.cat([x, torch.log1p(d).unsqueeze(1)], dim=1)

    def head(self, h: Tensor, x: Tensor | None = None, smoothed: Tensor | None = None) -> Tensor:
        """The final dense layers (plus the residual ``R x`` of the same rows' inputs and, with
        :attr:`PinSageConfig.neighbor_skip`, ``S smoothed``), L2-normalised."""
        z = self.G2(F.relu(self.G1(h)))
        if self.R is not None:
            if x is None:
                raise ValueError(
                    "argument 'x' is required: the model has residual=True (pass the rows' inputs)"
                )
            z = z + self.R(x)
        if self.S is not None:
            if smoothed is None:
                raise ValueError(
                    "argument 'smoothed' is required: the model has neighbor_skip > 0 "
                    "(pass PinSage.smooth of the rows' last-layer neighbourhoods)"
                )
            z = z + self.S(smoothed)
        return F.normalize(z, dim=1)

    @staticmethod
    def smooth(x_src: Tensor, nbr: Tensor, weight: Tensor) -> Tensor:
        """``sum_u alpha_u x_u`` over each row's neighbourhood (``nbr``: rows of ``x_src``, -1 pad)."""
        valid = nbr >= 0
        return F.embedding_bag(
            nbr.clamp_min(0), x_src, per_sample_weights=torch.where(valid, weight, 0.0), mode="sum"
        )

    def conv(self, layer: int, h_src: Tensor, nbr: Tensor, weight: Tensor) -> Tensor:
        return self.convs[layer](h_src, nbr, weight)

    def forward(
        self, batch: MiniBatch, features: Tensor | InputTable, degree: Tensor | None = None
    ) -> Tensor:
        """Embeddings ``(n_out, out_dim)`` of ``batch.output_nodes`` from ``features[batch.nodes]``
        (and ``degree[batch.nodes]``, required when :attr:`PinSageConfig.log_degree_input` is on, unless
        ``features`` is an :class:`InputTable`)."""
        x = self.inputs(features, batch.nodes, degree, batch.isolated)
        h = x
        for layer, block in enumerate(batch.blocks):
            h = self.conv(layer, h, block.nbr, block.weight)
        last = batch.blocks[-1]
        smoothed = self.smooth(x[: last.n_src], last.nbr, last.weight) if self.S is not None else None
        return self.head(h, x[: h.shape[0]], smoothed)

    @torch.no_grad()
    def embed_targets(self, batch: MiniBatch, features: Tensor, degree: Tensor | None = None) -> Tensor:
        """Embeddings of the requested targets, in request order."""
        return self(batch, features, degree)[batch.target_index]


def batch_to(batch: MiniBatch, device: torch.device) -> MiniBatch:
    """``batch`` with its tensors on ``device`` (the same object when they are there already): the
    computation graphs are built on the CPU next to the sampler, the model may run on a GPU."""
    if batch.nodes.device == device:
        return batch
    blocks = [replace(b, nbr=b.nbr.to(device), weight=b.weight.to(device)) for b in batch.blocks]
    isolated = None if batch.isolated is None else batch.isolated.to(device)
    return replace(
        batch,
        nodes=batch.nodes.to(device),
        blocks=blocks,
        output_nodes=batch.output_nodes.to(device),
        target_index=batch.target_index.to(device),
        isolated=isolated,
    )
