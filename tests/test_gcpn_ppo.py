"""PPO pieces of GCPN (notebook 06): loss on a hand-computed batch, GAE, state storage, policy."""

import math

import numpy as np
import pytest
import torch

from lecturekit.generation.gcpn import EnvConfig, MoleculeEnv, VecMoleculeEnv, data, expert
from lecturekit.generation.gcpn.policy import ActionOutput, GCPNPolicy, PolicyConfig, make_batch
from lecturekit.generation.gcpn.ppo import expert_episodes, gae, ppo_loss, rollout, states_at

torch.set_num_threads(1)
CONFIG = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=20, max_steps=25)


def test_ppo_loss_hand_computed():
    z = torch.zeros(2)
    new = ActionOutput(
        z, z, z, z, torch.log(torch.tensor([1.5, 0.5])), torch.tensor([1.0, 3.0]), torch.tensor([1.0, 2.0])
    )
    loss, parts = ppo_loss(
        new,
        torch.zeros(2),
        torch.tensor([1.0, -1.0]),
        torch.tensor([0.0, 2.0]),
        clip=0.2,
        value_coef=0.5,
        entropy_coef=0.01,
    )
    # ratios 1.5, 0.5 -> clipped 1.2, 0.8; surrogate min(1.5, 1.2) = 1.2 and min(-0.5, -0.8) = -0.8
    assert parts["policy"] == pytest.approx(-0.2)
    assert parts["value"] == pytest.approx(0.5)
    assert parts["entropy"] == pytest.approx(2.0)
    assert float(loss) == pytest.approx(-0.2 + 0.25 - 0.02)


def test_gae_hand_computed():
    adv, ret = gae(
        torch.tensor([0.0, 1.0, 2.0]),
        torch.tensor([0.5, 0.5, 1.0]),
        torch.tensor([False, True, True]),
        gamma=1.0,
        lam=0.5,
    )
    assert adv.tolist() == pytest.approx([0.25, 0.5, 1.0])
    assert ret.tolist() == pytest.approx([0.75, 1.0, 2.0])


def test_states_at_matches_replay():
    smiles = "O=C(Nc1ccccc1)C1CC1"
    actions = expert.trajectory(smiles, CONFIG, rng=3)
    ep = expert_episodes([smiles], CONFIG, np.random.default_rng(3))
    env = MoleculeEnv(CONFIG)
    env.reset()
    for t, action in enumerate(actions):
        obs = env.observe()
        got = states_at(ep, torch.tensor([0]), torch.tensor([t]), CONFIG)
        want = make_batch(obs.bonds[None], obs.types[None], np.array([obs.n_atoms]), CONFIG)
        assert torch.equal(got.adj, want.adj) and torch.equal(got.x, want.x)
        assert torch.equal(got.pair_ok, want.pair_ok)
        env.step(action)
    assert ep.stop[-1] and len(ep) == len(actions)


def test_rollout_log_probs_match_evaluation_and_actions_are_valid():
    torch.manual_seed(0)
    policy = GCPNPolicy(CONFIG, PolicyConfig(hidden=16, mlp_hidden=16, layers=2))
    venv = VecMoleculeEnv(6, CONFIG)
    ep, smiles, valid = rollout(policy, venv, torch.Generator().manual_seed(1), with_smiles=True)
    assert valid.tolist() == [1.0] * 6  # masks only allow legal actions
    assert all(smiles) and ep.next_smiles[-1] == smiles[-1]
    idx = torch.arange(len(ep))
    with torch.no_grad():
        out = policy(states_at(ep, ep.episode, ep.t, CONFIG), actions=ep.actions(idx))
    assert torch.allclose(out.log_prob, ep.log_prob, atol=1e-4)
    assert torch.all(out.log_prob <= 1e-6) and torch.all(torch.isfinite(out.log_prob))
    assert torch.all(out.entropy >= -1e-6)
    assert int(ep.done.sum()) == 6


def test_behaviour_cloning_likelihood_is_a_distribution():
    policy = GCPNPolicy(CONFIG, PolicyConfig(hidden=16, mlp_hidden=16, layers=1))
    ep = expert_episodes(["CCO"], CONFIG, np.random.default_rng(0))
    batch = states_at(ep, ep.episode[:1], ep.t[:1], CONFIG)  # state "C": first action
    # sum of probabilities over all legal (first, second, bond) edge actions plus stop is 1
    total = 0.0
    with torch.no_grad():
        for second in range(batch.x.shape[1]):
            for bond in range(3):
                if not batch.pair_ok[0, 0, second] or bond + 1 > int(batch.free[0, second]):
                    continue
                acts = ActionOutput(
                    torch.tensor([0]),
                    batch.to_env(torch.tensor([second])),
                    torch.tensor([bond]),
                    torch.tensor([False]),
                    None,
                    None,
                    None,
                )
                total += math.exp(float(policy(batch, actions=acts).log_prob))
        acts = ActionOutput(
            torch.tensor([0]), torch.tensor([0]), torch.tensor([0]), torch.tensor([True]), None, None, None
        )
        total += math.exp(float(policy(batch, actions=acts).log_prob))
    assert total == pytest.approx(1.0, abs=1e-4)
