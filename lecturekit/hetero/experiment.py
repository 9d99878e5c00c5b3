"""One seed of notebook 04's comparison: split, train every method, evaluate under both protocols.

``run_seed`` returns ``{method: {"uniform": EvalResult, "degree-matched": EvalResult}}`` for
``decagon``, ``degree``, ``rescal``, ``dedicom``, ``concat-features``, ``ddi-gcn`` and
``decagon-shuffled-targets`` (any subset via ``methods``). All methods see the same split and the same
evaluation negatives. Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import DDI
from lecturekit.hetero.baselines import ConcatFeaturesLR, degree_scorer, drug_pair_features, shuffled_targets
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import EvalResult, Scorer, evaluate, model_scorer
from lecturekit.hetero.graph import build_graph, drug_only
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.split import DDISplit, Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, train_link_predictor

METHODS = ("decagon", "degree", "rescal", "dedicom", "concat-features", "ddi-gcn", "decagon-shuffled-targets")
PROTOCOLS = ("uniform", "degree-matched")


@dataclass
class ExperimentConfig:
    """Training settings per method family (epochs and learning rates from ``sizes("decagon")``)."""

    decagon: DecagonConfig = field(default_factory=DecagonConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    factorization_epochs: int = 200
    factorization_lr: float = 0.01
    factorization_dim: int = 32
    factorization_weight_decay: float = 0.0
    lr_epochs: int = 200
    lr_lr: float = 0.05
    val: float = 0.1
    test: float = 0.1


def pairs_of(data: HeteroData) -> Triples:
    """The drug-drug (pair, side effect) triples of ``data`` (each unordered pair once)."""
    ei = data[DDI].edge_index
    return Triples(ei[0], ei[1], data[DDI].edge_type)


def make_split(data: HeteroData, config: ExperimentConfig, seed: int, leak: bool = False) -> DDISplit:
    return split_pairs(
        pairs_of(data), int(data["drug"].num_nodes), int(data.num_side_effects), config.val, config.test, seed, leak
    )


def train_decagon(
    data: HeteroData, split: DDISplit, config: ExperimentConfig, seed: int, targets: torch.Tensor | None = None
) -> Decagon:
    """Build the training graph (no val/test drug-drug edges) and train Decagon on it."""
    graph = build_graph(data, split.train, targets=targets)
    torch.manual_seed(seed)
    model = Decagon(graph, split.num_relations, config.decagon, data["drug"].get("x"))
    train_link_predictor(model, split.train, split.num_drugs, split.num_relations, replace(config.train, seed=seed))
    return model


def scorers_for(
    data: HeteroData, split: DDISplit, config: ExperimentConfig, seed: int, methods: Sequence[str]
) -> dict[str, Scorer]:
    """Train each requested method on ``split.train``; return its scorer."""
    out: dict[str, Scorer] = {}
    n, r = split.num_drugs, split.num_relations
    for method in methods:
        torch.manual_seed(seed)
        if method == "decagon":
            out[method] = model_scorer(train_decagon(data, split, config, seed))
        elif method == "decagon-shuffled-targets":
            out[method] = model_scorer(train_decagon(data, split, config, seed, shuffled_targets(data, seed)))
        elif method == "ddi-gcn":
            out[method] = model_scorer(train_decagon(drug_only(data), split, config, seed))
        elif method == "degree":
            out[method] = degree_scorer(split.train, n, r)
        elif method in ("rescal", "dedicom"):
            model = FactorizationModel(n, r, config.factorization_dim, "bilinear" if method == "rescal" else "dedicom")
            cfg = replace(
                config.train,
                seed=seed,
                epochs=config.factorization_epochs,
                lr=config.factorization_lr,
                weight_decay=config.factorization_weight_decay,
                batch_mode="full",
            )
            train_link_predictor(model, split.train, n, r, cfg)
            out[method] = model_scorer(model)
        elif method == "concat-features":
            model = ConcatFeaturesLR(drug_pair_features(data), r)
            cfg = replace(config.train, seed=seed, epochs=config.lr_epochs, lr=config.lr_lr, batch_mode="full")
            train_link_predictor(model, split.train, n, r, cfg)
            out[method] = model_scorer(model)
        else:
            raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    return out


def run_seed(
    data: HeteroData,
    config: ExperimentConfig,
    seed: int,
    methods: Sequence[str] = METHODS,
    leak: bool = False,
    split: DDISplit | None = None,
) -> dict[str, Any]:
    """Split (seeded), train ``methods``, evaluate on the test split under both protocols.

    Returns ``{"results": {method: {protocol: EvalResult}}, "scorers": ..., "split": ..., "seconds": ...}``.
    """
    split = split or make_split(data, config, seed, leak)
    negatives = {
        p: evaluation_negatives(p, split.test, split.all_pos, split.num_drugs, split.num_relations, seed)
        for p in PROTOCOLS
    }
    results: dict[str, dict[str, EvalResult]] = {}
    seconds: dict[str, float] = {}
    scorers: dict[str, Scorer] = {}
    for method in methods:
        start = time.perf_counter()
        scorers.update(scorers_for(data, split, config, seed, [method]))
        seconds[method] = time.perf_counter() - start
        results[method] = {
            p: evaluate(scorers[method], split.test, negatives[p], split.num_relations) for p in PROTOCOLS
        }
    return {"results": results, "scorers": scorers, "split": split, "seconds": seconds, "negatives": negatives}


PLANTED_KEYS = (
    "num_drugs",
    "num_proteins",
    "num_modules",
    "num_side_effects",
    "num_popularity_side_effects",
    "pairs_per_side_effect",
    "ppi_degree",
)


def planted_kwargs(sizes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``make_planted`` arguments held in a ``sizes("decagon")`` mapping."""
    return {k: sizes[k] for k in PLANTED_KEYS}


def config_from_sizes(sizes: Mapping[str, Any]) -> ExperimentConfig:
    """``ExperimentConfig`` from ``sizes("decagon")`` (epochs and dimensions). Used by notebook 04."""
    encoder = EncoderConfig(hidden_dim=sizes["hidden_dim"], out_dim=sizes["out_dim"])
    return ExperimentConfig(
        decagon=DecagonConfig(encoder=encoder),
        train=TrainConfig(epochs=sizes["epochs"]),
        factorization_epochs=sizes["factorization_epochs"],
        factorization_dim=sizes["out_dim"],
        lr_epochs=sizes["lr_epochs"],
    )
