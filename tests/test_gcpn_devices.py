"""GCPN on any device (issue #16): ``device`` reaches the networks, the CPU path is unchanged.

This machine has no GPU, so the device plumbing is checked two ways here: ``"auto"`` must give the
CPU run bit for bit, and the policy's and discriminator's scoring passes run on PyTorch's ``meta``
device (shapes only) -- any tensor a forward pass builds on the CPU beside device tensors fails
there. The test of a real CUDA run is skipped without a GPU.
"""

import numpy as np
import pytest
import torch

from lecturekit.devices import module_device
from lecturekit.generation.gcpn import EnvConfig, data
from lecturekit.generation.gcpn.discriminator import Discriminator, discriminator_loss
from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
from lecturekit.generation.gcpn.ppo import expert_episodes, ppo_loss, states_at
from lecturekit.generation.gcpn.rewards import TaskReward
from lecturekit.generation.gcpn.train import TrainConfig, finetune, pretrain, sample

torch.set_num_threads(1)
CONFIG = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=24, max_steps=28)
SMALL = PolicyConfig(hidden=8, mlp_hidden=16, layers=1)
TRAIN = TrainConfig(
    iterations=1, num_envs=3, ppo_epochs=1, minibatch=32, disc_batch=16, expert_batch=8, seed=1
)


@pytest.fixture(scope="module")
def expert():
    return expert_episodes(data.load_moses("train", limit=12).smiles, CONFIG, np.random.default_rng(0))


def _policy() -> GCPNPolicy:
    torch.manual_seed(0)
    return GCPNPolicy(CONFIG, SMALL)


def _run(expert, device: str) -> tuple[list[float], list[dict[str, float]], list[str]]:
    policy = _policy()
    losses = pretrain(policy, expert, steps=2, batch_size=8, progress=False, device=device)
    trainer = finetune(policy, expert, TaskReward("qed"), TRAIN, progress=False, device=device)
    return losses, trainer.history, sample(trainer.policy, 4, seed=2, device=device)


def test_auto_is_the_cpu_run_bit_for_bit_on_a_machine_without_cuda(expert, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _run(expert, "auto") == _run(expert, "cpu")


def test_scoring_passes_build_no_tensor_off_the_parameters_device(expert) -> None:
    idx = torch.arange(6)
    batch = states_at(expert, expert.episode[idx], expert.t[idx], CONFIG)  # built on the CPU, as in training
    out = _policy().to("meta")(batch, actions=expert.actions(idx))
    assert all(t.device.type == "meta" for t in out)
    disc = Discriminator(CONFIG).to("meta")
    assert discriminator_loss(disc, batch, batch).device.type == "meta"
    # the loss moves the CPU episode buffers to the outputs' device: its arithmetic passes, and only
    # reading the terms as numbers fails on meta (a device mix would fail with "not on the expected device")
    with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
        ppo_loss(out, torch.zeros(6), torch.ones(6), torch.zeros(6))


def test_callers_policy_is_not_moved_by_sampling_or_finetuning(expert) -> None:
    policy = _policy()
    sample(policy, 2, seed=0, device="cpu")
    finetune(policy, expert, TaskReward("qed"), TRAIN, progress=False, device="cpu")
    assert module_device(policy).type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_run_trains_on_the_gpu_and_tracks_the_cpu_run(expert) -> None:
    cpu_losses, cpu_history, _ = _run(expert, "cpu")
    policy = _policy()
    losses = pretrain(policy, expert, steps=2, batch_size=8, progress=False, device="cuda")
    assert module_device(policy).type == "cuda"
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-3)
    trainer = finetune(policy, expert, TaskReward("qed"), TRAIN, progress=False, device="cuda")
    assert module_device(trainer.policy).type == "cuda" and module_device(trainer.disc).type == "cuda"
    assert len(trainer.history) == len(cpu_history) and np.isfinite(trainer.history[-1]["policy"])
    smiles = sample(trainer.policy, 4, seed=2, device="cuda")
    assert len(smiles) == 4
