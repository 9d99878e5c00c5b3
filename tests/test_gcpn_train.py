"""GCPN training (notebook 06): a short run improves QED, checkpoints resume exactly, metrics."""

import copy
import dataclasses

import numpy as np
import pytest
import torch

from lecturekit import checkpoints
from lecturekit.generation.gcpn import EnvConfig, data, evaluate, rewards
from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
from lecturekit.generation.gcpn.ppo import expert_episodes, rollout
from lecturekit.generation.gcpn.train import TrainConfig, Trainer, finetune, pretrain, sample

torch.set_num_threads(1)
CONFIG = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=30, max_steps=35)
SMALL = PolicyConfig(hidden=16, mlp_hidden=32, layers=2)


@pytest.fixture(scope="module")
def expert_data():
    molecules = data.load_moses("train", limit=80).smiles
    return molecules, expert_episodes(molecules, CONFIG, np.random.default_rng(0))


def mean_qed(smiles):
    return float(np.mean([rewards.qed(s) if s else 0.0 for s in smiles]))


def test_short_run_improves_mean_qed(expert_data):
    torch.manual_seed(0)
    policy = GCPNPolicy(CONFIG, SMALL)
    before = mean_qed(sample(policy, 32, seed=1))
    pretrain(policy, expert_data[1], steps=80, batch_size=32, lr=3e-3, progress=False)
    trainer = finetune(
        policy,
        expert_data[1],
        rewards.TaskReward("qed", scale=2.0),
        TrainConfig(iterations=2, num_envs=8, ppo_epochs=2, minibatch=64, lr=1e-3),
        progress=False,
    )
    after = mean_qed(sample(trainer.policy, 32, seed=1))
    assert after > before + 0.03, (before, after)
    assert len(trainer.history) == 2 and trainer.seen


def test_checkpoint_resume_is_exact(tmp_path, expert_data):
    torch.manual_seed(0)
    policy = GCPNPolicy(CONFIG, SMALL)
    cfg = TrainConfig(iterations=3, num_envs=6, ppo_epochs=1, minibatch=32, seed=5)
    reward = rewards.TaskReward("plogp")
    straight = Trainer(copy.deepcopy(policy), expert_data[1], reward, cfg)
    straight.train(progress=False)

    path = tmp_path / "gcpn.pt"
    first = Trainer(copy.deepcopy(policy), expert_data[1], reward, cfg)
    first.train(iterations=2, checkpoint=path, checkpoint_every=1, progress=False)
    resumed = Trainer(copy.deepcopy(policy), expert_data[1], reward, cfg).load(path)
    assert resumed.iteration == 2 and resumed.resumed
    resumed.train(progress=False)
    for a, b in zip(straight.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(a, b)
    assert straight.history == resumed.history
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        resumed.load(tmp_path / "missing.pt")


def test_metrics():
    gen = evaluate.generation_metrics(["CCO", "OCC", "", "c1ccccc1"], training=["CCO"])
    assert gen == {"validity": 0.75, "uniqueness": pytest.approx(2 / 3), "novelty": 0.5}
    top = evaluate.top_k(["CCO", "c1ccccc1", "CCO", "C1CC"], rewards.qed, k=2)
    assert [s for s, _ in top] == ["c1ccccc1", "CCO"]
    tgt = evaluate.targeting_metrics(["CCCCCCCCCCC", "CCO", "CCCCCCCCCCCC"], "mw[150,200]")
    assert tgt["success"] == pytest.approx(2 / 3) and tgt["diversity"] >= 0.0
    cands = {"CCO": ["CCCO", "CCO", "c1ccccc1"], "c1ccccc1": []}
    res = evaluate.constrained_metrics(cands, [0.0, 0.99])
    assert res[0.0]["success"] == 0.5 and res[0.99]["success"] == 0.0
    assert res[0.0]["improvement"] > 0


def test_constrained_candidates_grow_from_start():
    policy = GCPNPolicy(CONFIG, SMALL)
    cands = evaluate.constrained_candidates(policy, ["CCO", "c1ccccc1"], samples_per_start=3, max_steps=2)
    assert set(cands) == {"CCO", "c1ccccc1"}
    for start, mols in cands.items():
        for m in mols:
            assert data.Chem.MolFromSmiles(m).GetNumAtoms() >= data.Chem.MolFromSmiles(start).GetNumAtoms()


def test_finetune_resumes_only_the_same_run(tmp_path, expert_data):
    torch.manual_seed(0)
    policy = GCPNPolicy(CONFIG, SMALL)
    cfg = TrainConfig(iterations=1, num_envs=4, ppo_epochs=1, minibatch=32, seed=2)
    reward = rewards.TaskReward("qed")
    path = tmp_path / "run.pt"
    finetune(policy, expert_data[1], reward, cfg, checkpoint=path, progress=False)
    longer = TrainConfig(**{**cfg.__dict__, "iterations": 2})
    extended = finetune(policy, expert_data[1], reward, longer, checkpoint=path, progress=False)
    assert extended.resumed and checkpoints.load(path, extended.signature())["iteration"] == 2
    assert len(extended.history) == 2
    # Asking for fewer iterations than the checkpoint holds is refused (it cannot be undone).
    with pytest.raises(checkpoints.CheckpointMismatch, match="iterations"):
        finetune(policy, expert_data[1], reward, cfg, checkpoint=path, progress=False)
    # Other environment settings or other pretrained weights: refused naming the field, or afresh on request.
    other_env = GCPNPolicy(EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=30, max_steps=34), SMALL)
    other_env.load_state_dict(policy.state_dict())
    with pytest.raises(checkpoints.CheckpointMismatch, match="config.env.max_steps"):
        finetune(other_env, expert_data[1], reward, longer, checkpoint=path, progress=False)
    fresh = finetune(
        other_env, expert_data[1], reward, longer, checkpoint=path, progress=False, overwrite=True
    )
    # Had it resumed the finished 2-iteration run it would have trained nothing and saved nothing.
    assert not fresh.resumed and fresh.iteration == 2
    assert checkpoints.load(path, fresh.signature()) is not None  # the file now belongs to the new run
    perturbed = GCPNPolicy(CONFIG, SMALL)
    with pytest.raises(checkpoints.CheckpointMismatch, match="data.pretrained"):
        finetune(perturbed, expert_data[1], reward, longer, checkpoint=path, progress=False)
    fresh_weights = finetune(
        perturbed, expert_data[1], reward, longer, checkpoint=path, progress=False, overwrite=True
    )
    assert checkpoints.load(path, fresh_weights.signature())["iteration"] == 2


def test_the_ablation_switches_and_the_expert_term_act(expert_data):
    """``adversarial=False`` leaves the discriminator alone, ``expert_weight=0`` skips the expert term (which draws
    its batches from a stream of its own, so switching it changes the update but not PPO's draws), and
    ``shaping`` pays the property as potential differences: per episode they sum to R(final) - R(start), so
    shaped minus unshaped episode rewards is -R(start) for every episode (notebook 06's two ablations)."""
    torch.manual_seed(0)
    reward = rewards.TaskReward("qed")
    off = TrainConfig(
        iterations=1,
        num_envs=4,
        ppo_epochs=1,
        minibatch=32,
        adversarial=False,
        shaping=False,
        expert_weight=0.0,
    )
    trainer = Trainer(GCPNPolicy(CONFIG, SMALL), expert_data[1], reward, off)
    disc = copy.deepcopy(trainer.disc.state_dict())
    row = trainer.step()
    assert row["disc_loss"] == 0.0 and row["expert_loss"] == 0.0
    assert all(torch.equal(value, trainer.disc.state_dict()[key]) for key, value in disc.items())
    on = Trainer(
        GCPNPolicy(CONFIG, SMALL),
        expert_data[1],
        reward,
        TrainConfig(iterations=1, num_envs=4, ppo_epochs=1, minibatch=32, expert_weight=0.5),
    )
    row = on.step()
    assert row["disc_loss"] > 0 and row["expert_loss"] > 0

    def after_one_step(weight: float) -> Trainer:
        torch.manual_seed(0)
        config = dataclasses.replace(off, ppo_epochs=2, minibatch=8, expert_weight=weight)
        t = Trainer(GCPNPolicy(CONFIG, SMALL), expert_data[1], reward, config)
        t.step()
        return t

    with pytest.raises(ValueError, match="expert_weight must be >= 0"):
        TrainConfig(expert_weight=-0.1)
    without, weighted = after_one_step(0.0), after_one_step(0.5)
    assert torch.equal(without.generator.get_state(), weighted.generator.get_state())  # same PPO draws
    changed = [
        not torch.equal(a, b)
        for a, b in zip(
            without.policy.state_dict().values(), weighted.policy.state_dict().values(), strict=True
        )
    ]
    assert any(changed)

    shaped = Trainer(trainer.policy, expert_data[1], reward, dataclasses.replace(off, shaping=True))
    ep, smiles, _ = rollout(
        trainer.policy, shaped.venv, torch.Generator().manual_seed(1), None, with_smiles=True
    )
    for t in (shaped, trainer):
        t.venv_start_smiles = ["C"] * off.num_envs  # what step() sets for episodes from the start atom
    sums = [
        torch.zeros(off.num_envs).index_add_(0, ep.episode, t._rewards(ep, smiles)[0])
        for t in (shaped, trainer)
    ]
    assert torch.allclose(sums[0] - sums[1], torch.full((off.num_envs,), -float(reward(["C"])[0])), atol=1e-5)
