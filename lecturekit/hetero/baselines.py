"""Baselines for notebook 04: degree and popularity scores, concatenated features + an MLP, shuffled targets.

(DeepWalk embeddings are :mod:`lecturekit.hetero.deepwalk`; the no-graph factorisations RESCAL / DEDICOM are :class:`lecturekit.hetero.model.FactorizationModel`; the
drug-drug-only GCN is Decagon on :func:`lecturekit.hetero.graph.drug_only` data.)
"""

from __future__ import annotations

import torch
from torch import nn
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import TARGET_EDGE
from lecturekit.hetero.evaluate import Scorer
from lecturekit.hetero.split import Triples


def degree_scorer(train: Triples, num_drugs: int, num_relations: int) -> Scorer:
    """No learning: ``score_r(i, j) = log(1 + deg_r(i)) + log(1 + deg_r(j))`` from training edges.

    ``deg_r`` counts the relation-r training edges of a drug. Used by ``notebooks/04_decagon.ipynb``.
    """
    train.check_range(num_drugs, num_relations, "train")
    deg = torch.bincount(train.rel * num_drugs + train.src, minlength=num_relations * num_drugs).double()
    logdeg = torch.log1p(deg)

    def score(edges: Triples) -> torch.Tensor:
        edges.check_range(num_drugs, num_relations, "edges")
        return logdeg[edges.rel * num_drugs + edges.src] + logdeg[edges.rel * num_drugs + edges.dst]

    return score


def popularity_scorer(train: Triples, num_drugs: int, num_relations: int) -> Scorer:
    """No learning, one count for every side effect: ``log(1 + G_i) + log(1 + G_j)``.

    ``G`` counts a drug's training triples of any side effect (its global training degree): who is popular
    overall, whatever the side effect. Used by ``notebooks/04_decagon.ipynb``.
    """
    train.check_range(num_drugs, num_relations, "train")
    logdeg = torch.log1p(torch.bincount(train.src, minlength=num_drugs).double())

    def score(edges: Triples) -> torch.Tensor:
        edges.check_range(num_drugs, num_relations, "edges")
        return logdeg[edges.src] + logdeg[edges.dst]

    return score


def drug_pair_features(data: HeteroData, dim: int = 100) -> torch.Tensor:
    """Per-drug features: mono side effects and one-hot targets, reduced by PCA to ``dim``, standardised.

    The paper's "concatenated drug features" baseline input. Shape ``(N_drug, min(dim, ...))``.
    """
    num_drugs, num_proteins = int(data["drug"].num_nodes), int(data["protein"].num_nodes)
    targets = torch.zeros(num_drugs, num_proteins)
    dt = data[TARGET_EDGE].edge_index
    targets[dt[0], dt[1]] = 1.0
    parts = [targets]
    if "x" in data["drug"]:
        parts.insert(0, data["drug"].x.float())
    x = torch.cat(parts, dim=1)
    x = x - x.mean(0, keepdim=True)
    q = min(dim, num_drugs - 1, x.size(1))
    u, s, _ = torch.linalg.svd(x, full_matrices=False)
    f = u[:, :q] * s[:q]
    return (f - f.mean(0)) / f.std(0).clamp_min(1e-8)


class PairMLP(nn.Module):
    """A non-linear classifier on concatenated drug features: ``MLP([f_i; f_j])_r``, symmetrised over (i, j).

    One hidden ReLU layer shared by all side effects, one output per side effect; the score of ``(i, j, r)``
    averages both orders so a pair has one score. Unlike a logistic regression (additive in the two drugs),
    the hidden layer can express "one drug hits module a *and* the other hits b". The paper's concatenated-
    features baseline fed PCA-reduced target and mono-side-effect features to gradient-boosted trees;
    the DeepWalk baseline feeds random-walk embeddings here. Trained with the shared loop.
    Used by ``notebooks/04_decagon.ipynb``.
    """

    def __init__(self, features: torch.Tensor, num_relations: int, hidden_dim: int = 64) -> None:
        super().__init__()
        if features.dim() != 2 or not bool(torch.isfinite(features).all()):
            raise ValueError(
                f"argument 'features' must be a finite (N, F) matrix, got shape {tuple(features.shape)}"
            )
        self.register_buffer("features", features.float())
        self.hidden = nn.Linear(2 * features.size(1), hidden_dim)
        self.out = nn.Linear(hidden_dim, num_relations)

    def reset_parameters(self) -> None:
        self.hidden.reset_parameters()
        self.out.reset_parameters()

    def embed(self) -> dict[str, torch.Tensor]:
        return {"drug": self.features}

    def score(self, z: dict[str, torch.Tensor], edges: Triples) -> torch.Tensor:
        f = z["drug"]
        both = torch.cat(
            [torch.cat([f[edges.src], f[edges.dst]], 1), torch.cat([f[edges.dst], f[edges.src]], 1)]
        )
        logits = self.out(torch.relu(self.hidden(both)))
        rel = edges.rel.repeat(2)
        picked = logits.gather(1, rel.unsqueeze(1)).squeeze(1)
        return 0.5 * (picked[: len(edges)] + picked[len(edges) :])


def shuffled_targets(data: HeteroData, seed: int = 0) -> torch.Tensor:
    """Drug->protein edges with the drug column permuted: same degrees, biology destroyed (the ablation)."""
    dt = data[TARGET_EDGE].edge_index
    generator = torch.Generator().manual_seed(seed)
    perm = torch.randperm(dt.size(1), generator=generator)
    return torch.stack([dt[0][perm], dt[1]])
