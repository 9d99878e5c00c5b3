"""The comparison behind notebook 02's table: baselines and the three poolings on one task.

Keeps the notebook short: :func:`run_baselines` scores the non-GNN methods and
:func:`train_and_embed` trains one GNN variant and embeds every item layer-wise. ``sizes`` is the
``"pinsage"`` section of :mod:`lecturekit.config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from lecturekit.recsys.pinsage.baselines import feature_scorer, item_cf_scorer
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.evaluation import RankingResult, embedding_scorer, evaluate_related
from lecturekit.recsys.pinsage.inference import layerwise_embeddings
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.pixie import pixie_scorer
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import TrainConfig, TrainHistory, neighbor_fn, train_pinsage

POOLING_OF = {"pinsage": "importance", "mean-pooling": "mean", "max-pooling": "max"}


def make_sampler(task: RelatedItemTask, sizes: Mapping[str, Any], seed: int, top_t: int | None = None) -> RandomWalkSampler:
    """The walk sampler over ``task``'s training graph with the profile's walk settings."""
    return RandomWalkSampler(
        task.edge_index, task.num_items, task.num_users, num_walks=sizes["num_walks"],
        walk_length=sizes["walk_length"], restart_prob=sizes["restart_prob"],
        top_t=top_t or sizes["top_t"], seed=seed,
    )  # fmt: skip


def neighbor_tables(sampler: RandomWalkSampler, pooling: str, count: int = 2) -> list[NeighborTable]:
    """``count`` independently sampled neighbourhood tables for ``pooling`` (shared across models)."""
    return [NeighborTable(neighbor_fn(sampler, pooling), sampler.num_items) for _ in range(count)]


def run_baselines(task: RelatedItemTask, sampler: RandomWalkSampler, sizes: Mapping[str, Any]) -> dict[str, RankingResult]:
    """Feature nearest neighbours (every feature set of the task), Pixie and item-CF."""
    results = {name: evaluate_related(feature_scorer(x), task.test_pairs, task.num_items) for name, x in task.features.items()}
    results["pixie"] = evaluate_related(pixie_scorer(sampler, max_rounds=sizes["pixie_rounds"]), task.test_pairs, task.num_items)
    results["item-cf"] = evaluate_related(item_cf_scorer(task.edge_index, task.num_items, task.num_users), task.test_pairs,
                                          task.num_items)  # fmt: skip
    return results


@dataclass
class GNNRun:
    """One trained variant: its ranking result, item embeddings, model and training history."""

    result: RankingResult
    embeddings: Tensor
    model: PinSage
    history: TrainHistory


def train_and_embed(
    task: RelatedItemTask,
    sampler: RandomWalkSampler,
    tables: list[NeighborTable],
    pooling: str,
    sizes: Mapping[str, Any],
    seed: int,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    track: bool = False,
    progress: bool = True,
) -> GNNRun:
    """Train one PinSage variant on ``task.features["combined"]`` and evaluate it on the test pairs.

    ``tables`` are the precomputed neighbourhoods for ``pooling`` (epoch e uses ``tables[e % len]``;
    inference uses ``tables[0]``). With ``track`` the test metrics are computed after every epoch.
    """
    torch.manual_seed(seed)
    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=sizes["hidden_dim"], out_dim=sizes["hidden_dim"],
                                  pooling=pooling))  # fmt: skip
    config = TrainConfig(
        epochs=epochs or sizes["epochs"], batch_size=sizes["batch_size"], num_negatives=sizes["num_negatives"],
        margin=sizes["margin"], lr=sizes["lr"], max_steps_per_epoch=steps_per_epoch or sizes["steps_per_epoch"],
        num_workers=sizes["num_workers"], seed=seed,
    )  # fmt: skip

    def evaluate(m: PinSage, epoch: int) -> dict[str, float]:
        emb = layerwise_embeddings(m, x, tables[0]).embeddings
        return evaluate_related(embedding_scorer(emb), task.test_pairs, task.num_items).as_dict()

    history = train_pinsage(model, x, sampler, task.train_pairs, config, eval_fn=evaluate if track else None,
                            progress=progress, neighbor_tables=tables)  # fmt: skip
    emb = layerwise_embeddings(model, x, tables[0]).embeddings
    result = evaluate_related(embedding_scorer(emb), task.test_pairs, task.num_items)
    return GNNRun(result, emb, model, history)
