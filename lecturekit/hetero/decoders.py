"""Edge decoders g_r(z_i, z_j) -> logit, for R relations over d-dimensional embeddings.

* inner product:  z_i^T z_j                         (no relation parameters)
* DistMult:       z_i^T diag(d_r) z_j
* bilinear:       z_i^T M_r z_j                     (full M_r per relation: RESCAL)
* DEDICOM:        z_i^T D_r R D_r z_j               (shared R, diagonal D_r per side effect: Decagon's
                                                    drug-drug decoder)

Every decoder has ``forward(z_src, z_dst, src, dst, rel)``: ``z_*`` are all node embeddings ``(N, d)``,
``src/dst/rel`` are ``(E,)`` indices; returns ``(E,)`` logits. Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class InnerProductDecoder(nn.Module):
    """``z_i^T z_j``."""

    def __init__(self, num_relations: int = 1, dim: int = 32) -> None:
        super().__init__()

    def reset_parameters(self) -> None:
        pass

    def forward(
        self,
        z_src: torch.Tensor,
        z_dst: torch.Tensor,
        src: torch.Tensor,
        dst: torch.Tensor,
        rel: torch.Tensor,
    ) -> torch.Tensor:
        return (z_src[src] * z_dst[dst]).sum(-1)


class DistMultDecoder(nn.Module):
    """``z_i^T diag(d_r) z_j``; ``diag`` has shape ``(R, d)``."""

    def __init__(self, num_relations: int, dim: int) -> None:
        super().__init__()
        self.diag = nn.Parameter(torch.empty(num_relations, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.ones_(self.diag)
        with torch.no_grad():
            self.diag.add_(0.1 * torch.randn_like(self.diag))

    def forward(
        self,
        z_src: torch.Tensor,
        z_dst: torch.Tensor,
        src: torch.Tensor,
        dst: torch.Tensor,
        rel: torch.Tensor,
    ) -> torch.Tensor:
        return (z_src[src] * self.diag[rel] * z_dst[dst]).sum(-1)


class BilinearDecoder(nn.Module):
    """``z_i^T M_r z_j``; ``M`` has shape ``(R, d, d)`` (RESCAL when used with free embeddings).

    Computed as a table ``T[n, r] = z_n^T M_r`` of shape ``(N_src, R, d)`` (one matmul) and a gather, so no
    ``(E, d, d)`` tensor is ever built.
    """

    def __init__(self, num_relations: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_relations, dim, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (2 * self.weight.size(1)))
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(
        self,
        z_src: torch.Tensor,
        z_dst: torch.Tensor,
        src: torch.Tensor,
        dst: torch.Tensor,
        rel: torch.Tensor,
    ) -> torch.Tensor:
        num_rel, d, _ = self.weight.shape
        if len(src) * d < z_src.size(0) * num_rel:  # few edges: gather (E, d, d) directly
            left = torch.bmm(z_src[src].unsqueeze(1), self.weight[rel]).squeeze(1)
            return (left * z_dst[dst]).sum(-1)
        table = (z_src @ self.weight.permute(1, 0, 2).reshape(d, num_rel * d)).reshape(-1, d)
        return (table[src * num_rel + rel] * z_dst[dst]).sum(-1)


def dedicom_logits(
    z_i: torch.Tensor, z_j: torch.Tensor, local: torch.Tensor, global_interaction: torch.Tensor
) -> torch.Tensor:
    """``z_i^T D_r R D_r z_j`` per pair: ``z_i, z_j, local`` are ``(E, d)`` (``local`` holds each pair's
    diagonal of ``D_r``), ``global_interaction`` is ``R (d, d)``; returns ``(E,)`` logits.

    ``R`` need not be symmetric, so the order matters: ``z_i`` is on the left. Notebook 04's exercise.
    """
    left = (z_i * local) @ global_interaction
    return (left * local * z_j).sum(-1)


class DEDICOMDecoder(nn.Module):
    """``z_i^T D_r R D_r z_j``: shared ``R (d, d)``, diagonal ``D_r`` stored as ``(num_relations, d)``."""

    def __init__(self, num_relations: int, dim: int) -> None:
        super().__init__()
        self.global_interaction = nn.Parameter(torch.empty(dim, dim))
        self.local = nn.Parameter(torch.empty(num_relations, dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = math.sqrt(6.0 / (2 * self.global_interaction.size(0)))
        nn.init.uniform_(self.global_interaction, -bound, bound)
        nn.init.uniform_(self.local, 0.0, 1.0)

    def forward(
        self,
        z_src: torch.Tensor,
        z_dst: torch.Tensor,
        src: torch.Tensor,
        dst: torch.Tensor,
        rel: torch.Tensor,
    ) -> torch.Tensor:
        return dedicom_logits(z_src[src], z_dst[dst], self.local[rel], self.global_interaction)


DECODERS: dict[str, type[nn.Module]] = {
    "inner": InnerProductDecoder,
    "distmult": DistMultDecoder,
    "bilinear": BilinearDecoder,
    "dedicom": DEDICOMDecoder,
}


def make_decoder(name: str, num_relations: int, dim: int) -> nn.Module:
    """Decoder by name: ``inner``, ``distmult``, ``bilinear`` or ``dedicom``."""
    if name not in DECODERS:
        raise ValueError(f"argument 'name' must be one of {', '.join(DECODERS)}, got {name!r}")
    return DECODERS[name](num_relations, dim)
