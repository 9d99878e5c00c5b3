"""PinSage training resume goes through lecturekit.checkpoints: only the identical run resumes, exactly;
training draws its walks from its own streams and never touches the caller's sampler."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import torch

from lecturekit.checkpoints import CheckpointMismatch
from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    PinSage,
    PinSageConfig,
    RandomWalkSampler,
    TrainConfig,
    pinboard_task,
    train_pinsage,
)

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def task():
    return pinboard_task(make_pinboard(600, seed=0), max_test_pairs=50)


def _sampler(task, seed: int = 0) -> RandomWalkSampler:
    return RandomWalkSampler(task.edge_index, task.num_items, task.num_users, num_walks=10, top_t=5, seed=seed)


def _model(task, hidden: int = 8, seed: int = 0) -> PinSage:
    torch.manual_seed(seed)
    return PinSage(PinSageConfig(in_dim=task.features["combined"].shape[1], hidden_dim=hidden, out_dim=hidden))


def _config(**changes) -> TrainConfig:
    base = TrainConfig(epochs=3, batch_size=16, num_negatives=8, max_steps_per_epoch=3, seed=1)
    return dataclasses.replace(base, **changes)


def _train(task, config, model=None, sampler=None, **kwargs):
    model = model or _model(task)
    history = train_pinsage(model, task.features["combined"], sampler or _sampler(task), task.train_pairs, config,
                            progress=False, **kwargs)  # fmt: skip
    return model, history


def _same_weights(a: PinSage, b: PinSage) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("neighborhoods", ["epoch", "step"])
def test_interrupted_run_resumes_exactly(task, tmp_path, neighborhoods) -> None:
    config = _config(neighborhoods=neighborhoods)
    straight, straight_history = _train(task, config)

    path = tmp_path / "run.pt"

    def stop_after_second_epoch(model, epoch):
        if epoch == 1:
            raise Interrupt
        return {}

    with pytest.raises(Interrupt):  # epoch 0 is saved, epoch 1 is lost with the "crash"
        _train(task, dataclasses.replace(config, checkpoint=path), eval_fn=stop_after_second_epoch)
    saved = torch.load(path, weights_only=True)["state"]
    assert saved["epoch"] == 0 and isinstance(saved["history"], dict)

    # A model with other initial weights: everything must come from the checkpoint.
    resumed, history = _train(task, dataclasses.replace(config, checkpoint=path), model=_model(task, seed=9))
    assert _same_weights(resumed, straight)
    assert history.step_loss == straight_history.step_loss


def test_finished_run_can_be_extended_but_not_shortened(task, tmp_path) -> None:
    path = tmp_path / "run.pt"
    _train(task, _config(epochs=1, checkpoint=path))
    extended, history = _train(task, _config(epochs=3, checkpoint=path), model=_model(task, seed=5))
    straight, _ = _train(task, _config(epochs=3))
    assert _same_weights(extended, straight) and len(history.epoch_loss) == 3
    with pytest.raises(CheckpointMismatch, match="epochs"):
        _train(task, _config(epochs=2, checkpoint=path))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (dict(lr=1e-2), "train.lr"),
        (dict(seed=2), "train.seed"),
        (dict(margin=0.5), "train.margin"),
        (dict(num_negatives=4), "train.num_negatives"),
    ],
)
def test_another_training_config_is_refused(task, tmp_path, change, field) -> None:
    path = tmp_path / "run.pt"
    _train(task, _config(epochs=1, checkpoint=path))
    with pytest.raises(CheckpointMismatch, match=re.escape(field)):
        _train(task, _config(epochs=1, checkpoint=path, **change))


def test_other_data_model_or_world_is_refused(task, tmp_path) -> None:
    path = tmp_path / "run.pt"
    config = _config(epochs=1, checkpoint=path)
    x = task.features["combined"]
    _train(task, config, data_identity={"world_seed": 0})
    attempts = {
        "data.train_pairs": dict(train_pairs=task.train_pairs[1:]),
        "data.features": dict(features=x + 1.0),
        "data.world_seed": dict(data_identity={"world_seed": 1}),
        "data.graph": dict(sampler=RandomWalkSampler(task.edge_index[:, 1:], task.num_items, task.num_users,
                                                     num_walks=10, top_t=5)),  # fmt: skip
        "walks.top_t": dict(sampler=RandomWalkSampler(task.edge_index, task.num_items, task.num_users, num_walks=10,
                                                      top_t=6)),  # fmt: skip
        "model.hidden_dim": dict(model=_model(task, hidden=12)),
    }
    for field, change in attempts.items():
        kwargs = {"model": _model(task), "features": x, "sampler": _sampler(task), "train_pairs": task.train_pairs,
                  "data_identity": {"world_seed": 0}, **change}  # fmt: skip
        with pytest.raises(CheckpointMismatch, match=re.escape(field)) as caught:
            train_pinsage(config=config, progress=False, **kwargs)
        assert str(path) in str(caught.value)


def test_overwrite_only_when_asked(task, tmp_path) -> None:
    path = tmp_path / "run.pt"
    _train(task, _config(epochs=1, checkpoint=path))
    other = _config(epochs=1, checkpoint=path, lr=1e-2)
    with pytest.raises(CheckpointMismatch):
        _train(task, other)
    fresh, _ = _train(task, other, overwrite_checkpoint=True)
    straight, _ = _train(task, _config(epochs=1, lr=1e-2))
    assert _same_weights(fresh, straight)
    resumed, history = _train(task, other, model=_model(task, seed=3))  # the replaced file now resumes
    assert _same_weights(resumed, straight) and len(history.epoch_loss) == 1


def test_a_crafted_file_is_refused_without_running_it(task, tmp_path) -> None:
    path = tmp_path / "run.pt"
    torch.save({"model": Interrupt("not a tensor")}, path)  # loading it needs unpickling of a foreign class
    with pytest.raises(ValueError, match=re.escape(str(path))):
        _train(task, _config(epochs=1, checkpoint=path))


def test_training_leaves_the_callers_sampler_and_global_rng_alone(task) -> None:
    for config in (_config(epochs=2), _config(epochs=2, neighborhoods="step")):
        sampler, model = _sampler(task), _model(task)
        before = sampler.generator.get_state()
        rng = torch.get_rng_state()
        _train(task, config, model=model, sampler=sampler)
        assert torch.equal(sampler.generator.get_state(), before), config.neighborhoods
        assert torch.equal(torch.get_rng_state(), rng)
        # reproducible, whatever the caller did with the sampler and the global RNG before
        used = _sampler(task)
        used.sample(torch.arange(10))
        torch.rand(5)
        again, _ = _train(task, config, sampler=used)
        assert _same_weights(model, again)


def test_no_unsafe_load_in_pinsage_code() -> None:
    files = sorted((ROOT / "lecturekit" / "recsys" / "pinsage").glob("*.py")) + [ROOT / "lecturekit/data/pinboard.py"]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert "weights_only=False" not in text and "pickle" not in text, file
        assert "torch.load(" not in text, f"{file} loads directly; use lecturekit.checkpoints"
