"""The PinSage model: K importance-pooling convolutions + the final dense layers (notebooks 02, 03).

    h^0 = x (item features);  h^k = PinSageConv_k(h^{k-1}) for k = 1..K
    z   = G2 ReLU(G1 h^K + g),  returned L2-normalised (scores are dot products = cosines)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.recsys.pinsage.batching import MiniBatch
from lecturekit.recsys.pinsage.layers import POOLINGS, PinSageConv


@dataclass
class PinSageConfig:
    """Architecture of :class:`PinSage`.

    Attributes:
        in_dim: item feature dimension.
        hidden_dim: width of the convolutions (messages and outputs).
        out_dim: embedding dimension.
        num_layers: K convolutions.
        pooling: ``"importance"`` (PinSage) | ``"mean"`` (GraphSAGE mean) | ``"max"``.
    """

    in_dim: int
    hidden_dim: int = 64
    out_dim: int = 64
    num_layers: int = 2
    pooling: str = "importance"

    def __post_init__(self) -> None:
        if self.pooling not in POOLINGS:
            raise ValueError(f"PinSageConfig.pooling must be one of {POOLINGS}, got {self.pooling!r}")
        for name in ("in_dim", "hidden_dim", "out_dim", "num_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"PinSageConfig.{name} must be >= 1, got {getattr(self, name)!r}")


class PinSage(nn.Module):
    """K :class:`PinSageConv` layers and the dense head ``G2 ReLU(G1 z + g)``."""

    def __init__(self, config: PinSageConfig) -> None:
        super().__init__()
        self.config = config
        dims = [config.in_dim] + [config.hidden_dim] * config.num_layers
        self.convs = nn.ModuleList(
            PinSageConv(dims[k], config.hidden_dim, dims[k + 1], config.pooling) for k in range(config.num_layers)
        )
        self.G1 = nn.Linear(config.hidden_dim, config.hidden_dim)
        self.G2 = nn.Linear(config.hidden_dim, config.out_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()
        self.G1.reset_parameters()
        self.G2.reset_parameters()

    def head(self, h: Tensor) -> Tensor:
        """The final dense layers, L2-normalised."""
        return F.normalize(self.G2(F.relu(self.G1(h))), dim=1)

    def conv(self, layer: int, h_src: Tensor, nbr: Tensor, weight: Tensor) -> Tensor:
        return self.convs[layer](h_src, nbr, weight)

    def forward(self, batch: MiniBatch, features: Tensor) -> Tensor:
        """Embeddings ``(n_out, out_dim)`` of ``batch.output_nodes`` from ``features[batch.nodes]``."""
        h = features[batch.nodes]
        for layer, block in enumerate(batch.blocks):
            h = self.conv(layer, h, block.nbr, block.weight)
        return self.head(h)

    @torch.no_grad()
    def embed_targets(self, batch: MiniBatch, features: Tensor) -> Tensor:
        """Embeddings of the requested targets, in request order."""
        return self(batch, features)[batch.target_index]
