"""GCPN checkpoints and caches (notebook 06) go through lecturekit.checkpoints: only the identical
run resumes, another run is refused naming the field (or trained afresh on request), crafted files
never run code."""

import copy
from pathlib import Path

import numpy as np
import pytest
import torch

from lecturekit import checkpoints
from lecturekit.generation.gcpn import EnvConfig, data, rewards
from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
from lecturekit.generation.gcpn.ppo import expert_episodes
from lecturekit.generation.gcpn.train import TrainConfig, Trainer, finetune, pretrain_or_load, reward_identity

torch.set_num_threads(1)
CONFIG = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=24, max_steps=28)
SMALL = PolicyConfig(hidden=8, mlp_hidden=16, layers=1)
TRAIN = TrainConfig(iterations=1, num_envs=3, ppo_epochs=1, minibatch=32, seed=1)


@pytest.fixture(scope="module")
def expert():
    return expert_episodes(data.load_moses("train", limit=12).smiles, CONFIG, np.random.default_rng(0))


def _policy(seed: int = 0) -> GCPNPolicy:
    torch.manual_seed(seed)
    return GCPNPolicy(CONFIG, SMALL)


def test_pretraining_cache_reuses_only_the_identical_run(tmp_path, expert):
    path = tmp_path / "pretrained.pt"
    first = _policy()
    losses = pretrain_or_load(first, expert, steps=3, batch_size=8, checkpoint=path, progress=False)
    again = _policy()
    assert pretrain_or_load(again, expert, steps=3, batch_size=8, checkpoint=path, progress=False) == losses
    for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    with pytest.raises(checkpoints.CheckpointMismatch, match="config.steps"):
        pretrain_or_load(_policy(), expert, steps=4, batch_size=8, checkpoint=path, progress=False)
    with pytest.raises(checkpoints.CheckpointMismatch, match="data.initial_weights"):
        pretrain_or_load(_policy(seed=1), expert, steps=3, batch_size=8, checkpoint=path, progress=False)
    other_expert = expert_episodes(
        data.load_moses("train", limit=13).smiles, CONFIG, np.random.default_rng(0)
    )
    with pytest.raises(checkpoints.CheckpointMismatch, match="data.expert"):
        pretrain_or_load(_policy(), other_expert, steps=3, batch_size=8, checkpoint=path, progress=False)
    longer = pretrain_or_load(
        _policy(), expert, steps=4, batch_size=8, checkpoint=path, overwrite=True, progress=False
    )
    assert len(longer) == 4
    assert (
        pretrain_or_load(_policy(), expert, steps=4, batch_size=8, checkpoint=path, progress=False) == longer
    )


def test_plogp_run_does_not_resume_a_qed_checkpoint(tmp_path, expert):
    path = tmp_path / "run.pt"
    pretrained = _policy()
    qed = finetune(pretrained, expert, rewards.TaskReward("qed"), TRAIN, checkpoint=path, progress=False)
    assert qed.iteration == 1 and not qed.resumed
    with pytest.raises(checkpoints.CheckpointMismatch, match="config.reward.task: saved 'qed', now 'plogp'"):
        finetune(pretrained, expert, rewards.TaskReward("plogp"), TRAIN, checkpoint=path, progress=False)
    with pytest.raises(checkpoints.CheckpointMismatch, match="config.reward.scale"):
        finetune(
            pretrained, expert, rewards.TaskReward("qed", scale=5.0), TRAIN, checkpoint=path, progress=False
        )
    plogp = finetune(
        pretrained,
        expert,
        rewards.TaskReward("plogp"),
        TRAIN,
        checkpoint=path,
        progress=False,
        overwrite=True,
    )
    assert not plogp.resumed and plogp.iteration == 1
    # ... and it trained afresh: its history is its own, and the file is now the plogp run's.
    straight = Trainer(copy.deepcopy(pretrained), expert, rewards.TaskReward("plogp"), TRAIN)
    straight.train(progress=False)
    assert plogp.history == straight.history
    assert checkpoints.load(path, plogp.signature())["iteration"] == 1
    resumed = finetune(
        pretrained, expert, rewards.TaskReward("plogp"), TRAIN, checkpoint=path, progress=False
    )
    assert resumed.resumed and resumed.history == plogp.history


def test_other_start_molecules_or_settings_are_refused(tmp_path, expert):
    path = tmp_path / "constrained.pt"
    reward = rewards.TaskReward("plogp")
    finetune(_policy(), expert, reward, TRAIN, starts=["CCO", "c1ccccc1"], checkpoint=path, progress=False)
    with pytest.raises(checkpoints.CheckpointMismatch, match="data.starts"):
        finetune(_policy(), expert, reward, TRAIN, starts=["CCO"], checkpoint=path, progress=False)
    with pytest.raises(checkpoints.CheckpointMismatch, match="config.train.adversarial"):
        finetune(
            _policy(),
            expert,
            reward,
            TrainConfig(**{**TRAIN.__dict__, "adversarial": False}),
            starts=["CCO", "c1ccccc1"],
            checkpoint=path,
            progress=False,
        )


class _Exploit:
    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def test_crafted_checkpoint_is_refused_without_running_code(tmp_path, expert):
    pwned = tmp_path / "pwned"
    crafted = tmp_path / "crafted.pt"
    torch.save({"format": 1, "signature": "{}", "state": {"policy": _Exploit(pwned)}}, crafted)
    trainer = Trainer(_policy(), expert, rewards.TaskReward("qed"), TRAIN)
    with pytest.raises(ValueError, match="not a readable lecturekit checkpoint"):
        trainer.load(crafted)
    with pytest.raises(ValueError, match="crafted.pt"):
        finetune(_policy(), expert, rewards.TaskReward("qed"), TRAIN, checkpoint=crafted, progress=False)
    with pytest.raises(ValueError, match="crafted.pt"):
        pretrain_or_load(_policy(), expert, steps=1, batch_size=4, checkpoint=crafted, progress=False)
    # overwrite=True does not mean "load it anyway": an unreadable file is still an error
    with pytest.raises(ValueError, match="not a readable lecturekit checkpoint"):
        trainer.load(crafted, overwrite=True)
    assert not pwned.exists()


def test_rewards_without_a_name_cannot_sign_a_checkpoint(tmp_path, expert):
    assert reward_identity(rewards.TaskReward("qed", scale=2.0)) == {
        "task": "qed",
        "scale": 2.0,
        "invalid": -1.0,
        "paper_terms": False,
        "target_form": "reference",
    }
    assert reward_identity(rewards.TaskReward("qed", paper_terms=True)) != reward_identity(
        rewards.TaskReward("qed")
    )
    trainer = Trainer(_policy(), expert, lambda smiles: np.zeros(len(smiles)), TRAIN)
    with pytest.raises(ValueError, match="named reward"):
        trainer.save(tmp_path / "x.pt")
    assert not (tmp_path / "x.pt").exists()


def test_no_unsafe_torch_load_in_gcpn_code_or_tests():
    root = Path(__file__).resolve().parents[1]
    files = [
        *root.glob("lecturekit/generation/gcpn/*.py"),
        *root.glob("tests/test_gcpn_*.py"),
        *root.glob("lecturekit/studies/nb06_gcpn*.py"),
        root / "tests" / "test_nb06_gcpn.py",
        root / "benchmarks" / "bench_gcpn.py",
        root / "notebooks" / "06_gcpn.ipynb",
    ]
    unsafe = "weights_only=" + "False"  # spelled in two parts so this file does not match itself
    offenders = [str(f.relative_to(root)) for f in files if unsafe in f.read_text(encoding="utf-8")]
    assert not offenders
    package = root.glob("lecturekit/generation/gcpn/*.py")
    loads = [str(f.relative_to(root)) for f in package if "torch.load(" in f.read_text(encoding="utf-8")]
    assert not loads, f"GCPN code loads checkpoints outside lecturekit.checkpoints: {loads}"
