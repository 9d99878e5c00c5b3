"""Training learns on a small planted world; hooks for hard negatives and workers; baselines."""

from __future__ import annotations

import pytest
import torch

from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    NeighborTable,
    PinSage,
    PinSageConfig,
    RandomWalkSampler,
    TrainConfig,
    embedding_scorer,
    evaluate_related,
    feature_scorer,
    item_cf_scorer,
    layerwise_embeddings,
    pinboard_task,
    pixie_scorer,
    train_pinsage,
)
from lecturekit.recsys.pinsage.train import TrainHistory, no_better_for

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def task():
    return pinboard_task(make_pinboard(2000, seed=0), max_test_pairs=300)


@pytest.fixture(scope="module")
def sampler(task):
    return RandomWalkSampler(
        task.edge_index, task.num_items, task.num_users, num_walks=30, walk_length=2, top_t=10
    )


def _embed(model, task, sampler):
    return layerwise_embeddings(
        model, task.features["combined"], NeighborTable(sampler.sample, task.num_items)
    ).embeddings


def test_small_planted_world_learns_far_above_random(task, sampler) -> None:
    torch.manual_seed(0)
    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=32, out_dim=32))
    untrained = evaluate_related(
        embedding_scorer(_embed(model, task, sampler)), task.test_pairs, task.num_items, k=10
    )
    config = TrainConfig(epochs=3, batch_size=64, num_negatives=64, max_steps_per_epoch=15, seed=0)
    history = train_pinsage(model, x, sampler, task.train_pairs, config, progress=False)
    trained = evaluate_related(
        embedding_scorer(_embed(model, task, sampler)), task.test_pairs, task.num_items, k=10
    )
    assert len(history.step_loss) == 45 and history.epoch_loss[-1] < history.epoch_loss[0]
    random_hit = 10 / task.num_items
    assert trained.hit_rate > 10 * random_hit
    assert trained.hit_rate > untrained.hit_rate


def test_negative_sampler_hook_workers_and_fresh_neighbourhoods(task, sampler) -> None:
    calls = []

    def hard(queries: torch.Tensor, positives: torch.Tensor, epoch: int) -> torch.Tensor:
        calls.append(epoch)
        return (positives.unsqueeze(1) + torch.arange(1, 4)) % task.num_items

    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=16, out_dim=16, pooling="max"))
    config = TrainConfig(
        epochs=1, batch_size=32, num_negatives=16, max_steps_per_epoch=3, neighborhoods="step"
    )
    history = train_pinsage(
        model, x, sampler, task.train_pairs, config, negative_sampler=hard, progress=False
    )
    assert len(history.step_loss) == 3 and calls == [0, 0, 0]
    config = TrainConfig(epochs=1, batch_size=32, num_negatives=16, max_steps_per_epoch=4, num_workers=1)
    history = train_pinsage(model, x, sampler, task.train_pairs, config, progress=False)
    assert len(history.step_loss) == 4 and all(torch.isfinite(torch.tensor(history.step_loss)))


def test_early_stopping_rule_and_hook(task, sampler) -> None:
    def history(*scores: float) -> TrainHistory:
        return TrainHistory(evaluations=[{"hit-rate": s} for s in scores])

    rule = no_better_for(2)
    assert not rule(history(0.1, 0.3))  # too few evaluations to judge
    assert not rule(history(0.1, 0.3, 0.2, 0.31))  # the last two hold a new best
    assert rule(history(0.1, 0.3, 0.2, 0.3))  # equal is not better
    with pytest.raises(ValueError, match="epochs"):
        no_better_for(0)
    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=16, out_dim=16))
    config = TrainConfig(epochs=5, batch_size=32, num_negatives=16, max_steps_per_epoch=2)
    evals = iter([0.2, 0.1, 0.1, 0.5, 0.6])
    trained = train_pinsage(
        model,
        x,
        sampler,
        task.train_pairs,
        config,
        eval_fn=lambda m, e: {"hit-rate": next(evals)},
        stop=rule,
        progress=False,
    )
    assert [e["hit-rate"] for e in trained.evaluations] == [0.2, 0.1, 0.1]  # stopped after epoch 3
    assert len(trained.epoch_loss) == 3


def test_bad_training_input(task, sampler) -> None:
    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1]))
    with pytest.raises(ValueError, match="train_pairs"):
        train_pinsage(model, x, sampler, torch.tensor([[0, task.num_items]]), TrainConfig(), progress=False)
    with pytest.raises(ValueError, match="neighborhoods"):
        TrainConfig(neighborhoods="never")
    with pytest.raises(ValueError, match="pooling"):
        PinSageConfig(in_dim=4, pooling="attention")


def test_baselines_beat_random(task, sampler) -> None:
    random_hit = 20 / task.num_items
    for scorer in (
        feature_scorer(task.features["combined"]),
        item_cf_scorer(task.edge_index, task.num_items, task.num_users),
        pixie_scorer(sampler, max_rounds=2),
    ):
        assert evaluate_related(scorer, task.test_pairs, task.num_items, k=20).hit_rate > 3 * random_hit
