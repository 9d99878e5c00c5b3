"""Link predictors over drug-drug side-effect triples: Decagon and free-embedding factorisations.

Every model has ``embed() -> {node type: Z}`` and ``score(z, edges) -> logits (E,)``; Decagon also has
``auxiliary_loss(z, generator)`` for reconstructing the protein-protein and drug-target edges (the paper trains
all edge types). The shared training loop is :mod:`lecturekit.hetero.train`. Used by
``notebooks/04_decagon.ipynb``.

Devices: ``Z`` is on the device of the model's parameters (``model.to(device)`` moves them); ``score``
wants ``edges`` there too (the training loop and :func:`lecturekit.hetero.evaluate.model_scorer` move them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from lecturekit.hetero.decoders import make_decoder
from lecturekit.hetero.encoder import DecagonEncoder, EncoderConfig, FreeEmbedding
from lecturekit.hetero.graph import RelationalGraph
from lecturekit.hetero.split import Triples

DECODER = "dedicom"  # Decagon's drug-drug decoder (the paper); the factorisation baselines try the others
AUX_DECODER = "bilinear"  # the authors' code's decoder for the protein-protein and drug-target edges


@dataclass(frozen=True)
class DecagonConfig:
    """Decagon: encoder sizes and the auxiliary edges' weight (decoders: :data:`DECODER`, :data:`AUX_DECODER`)."""

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    aux_weight: float = 1.0  # PPI / drug-target reconstruction weighs as much as the side effects (the paper)
    aux_batch: int = 1024  # auxiliary edges sampled per step: a cheap, unbiased estimate of that loss
    use_drug_features: bool = False


class Decagon(nn.Module):
    """Encoder over the multimodal graph + DEDICOM drug-drug decoder (+ decoders for PPI / targets).

    Args:
        graph: training graph (must not contain validation/test drug-drug edges).
        num_relations: number of side effects R.
        drug_features: ``(N_drug, F)`` inputs when ``config.use_drug_features`` (else one-hot).

    ``self.graph`` stays where it was built (the CPU) and is never modified: :meth:`embed` runs the encoder on
    a copy on the parameters' device (made on first use there and kept; none on the graph's own device).
    """

    def __init__(
        self,
        graph: RelationalGraph,
        num_relations: int,
        config: DecagonConfig | None = None,
        drug_features: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.config = config or DecagonConfig()
        self.graph = graph
        self._graph_copy: RelationalGraph | None = None  # self.graph on another device (see embed)
        features = (
            {"drug": drug_features} if self.config.use_drug_features and drug_features is not None else None
        )
        self.encoder = DecagonEncoder(graph, self.config.encoder, features)
        dim = self.config.encoder.out_dim
        self.decoder = make_decoder(DECODER, num_relations, dim)
        self.aux_decoders = nn.ModuleDict()
        for block in graph.blocks:
            if block.src != "drug" or block.dst != "drug":
                self.aux_decoders[f"{block.src}_to_{block.dst}"] = make_decoder(AUX_DECODER, 1, dim)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.decoder.reset_parameters()
        for dec in self.aux_decoders.values():
            dec.reset_parameters()

    @property
    def device(self) -> torch.device:
        """Where the parameters are (the graph's device for a model without any)."""
        param = next(self.parameters(), None)
        return param.device if param is not None else self.graph.device

    def graph_on(self, device: torch.device) -> RelationalGraph:
        """``self.graph`` on ``device``: itself there, else a copy (kept for the next call on that device)."""
        if self.graph.device == device:
            return self.graph
        if self._graph_copy is None or self._graph_copy.device != device:
            self._graph_copy = self.graph.to(device)
        return self._graph_copy

    def embed(self) -> dict[str, torch.Tensor]:
        return self.encoder(self.graph_on(self.device))

    def score(self, z: dict[str, torch.Tensor], edges: Triples) -> torch.Tensor:
        return self.decoder(z["drug"], z["drug"], edges.src, edges.dst, edges.rel)

    def auxiliary_loss(
        self, z: dict[str, torch.Tensor], generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Cross-entropy on a sample of PPI / drug-target edges vs. uniformly corrupted targets, weighted.

        The edges are drawn on the CPU (``generator`` is a CPU generator, as in the training loop) from the
        CPU graph, then moved to the device of ``z``: a GPU run draws the same edges as a CPU run.
        """
        device = z["drug"].device
        total = torch.zeros((), device=device)
        if self.config.aux_weight == 0 or not len(self.aux_decoders):
            return total
        for block in self.graph.blocks:
            key = f"{block.src}_to_{block.dst}"
            if key not in self.aux_decoders or not len(block.edges):
                continue
            n = len(block.edges)
            idx = torch.randint(0, n, (min(n, self.config.aux_batch),), generator=generator)
            neg_dst = torch.randint(0, self.graph.num_nodes[block.dst], idx.shape, generator=generator)
            pos = block.edges.subset(idx.to(block.edges.device)).to(device)
            neg_dst = neg_dst.to(device)
            dec = self.aux_decoders[key]
            s_pos = dec(z[block.src], z[block.dst], pos.src, pos.dst, pos.rel)
            s_neg = dec(z[block.src], z[block.dst], pos.src, neg_dst, pos.rel)
            total = total + binary_cross_entropy(s_pos, s_neg)
        return self.config.aux_weight * total


class FactorizationModel(nn.Module):
    """Free drug embeddings + a relation decoder, no graph: RESCAL (``bilinear``) or DEDICOM.

    Used by ``notebooks/04_decagon.ipynb`` as the no-graph baselines.
    """

    def __init__(self, num_drugs: int, num_relations: int, dim: int = 32, decoder: str = "bilinear") -> None:
        super().__init__()
        self.encoder = FreeEmbedding(num_drugs, dim)
        self.decoder = make_decoder(decoder, num_relations, dim)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.decoder.reset_parameters()

    def embed(self) -> dict[str, torch.Tensor]:
        return self.encoder()

    def score(self, z: dict[str, torch.Tensor], edges: Triples) -> torch.Tensor:
        return self.decoder(z["drug"], z["drug"], edges.src, edges.dst, edges.rel)


def binary_cross_entropy(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """``-mean log s(pos) - mean log(1 - s(neg))`` on logits (the paper's loss)."""
    return nn.functional.softplus(-pos).mean() + nn.functional.softplus(neg).mean()
