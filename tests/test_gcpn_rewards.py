"""Rewards of GCPN (notebook 06) pinned against hand-checked molecules (RDKit 2026.09)."""

import math

import pytest
from rdkit import Chem

from lecturekit.generation.gcpn import rewards

C20 = "CCCCCCCCCCCCCCCCCCCC"


def test_penalized_logp_pins():
    assert rewards.penalized_logp(C20, normalized=True) == pytest.approx(6.455, abs=1e-3)
    assert rewards.penalized_logp(C20, normalized=False) == pytest.approx(6.985, abs=1e-3)
    assert rewards.penalized_logp("c1ccccc1") == pytest.approx(2.095, abs=1e-3)
    assert rewards.penalized_logp(Chem.MolFromSmiles("c1ccccc1"), normalized=False) == pytest.approx(0.687, abs=1e-3)


def test_qed_pins():
    assert rewards.qed(C20) == pytest.approx(0.2367, abs=1e-4)
    assert rewards.qed("c1ccccc1") == pytest.approx(0.4426, abs=1e-4)


def test_cycle_penalty_and_sa():
    assert rewards.cycle_penalty("C1CCCCCCC1") == 2  # eight-membered ring
    assert rewards.cycle_penalty("c1ccccc1") == 0
    assert 1.0 <= rewards.sa_score("CC(=O)Nc1ccc(O)cc1") <= 10.0


def test_similarity_and_diversity():
    assert rewards.similarity("CCO", "OCC") == pytest.approx(1.0)
    assert 0.0 <= rewards.similarity("c1ccccc1", "c1ccccc1O") < 1.0
    assert rewards.diversity(["CCO"]) == 0.0
    assert rewards.diversity(["CCO", "CCO"]) == pytest.approx(0.0)
    assert 0.0 < rewards.diversity(["CCO", "c1ccccc1N"]) <= 1.0


def test_targeting_windows():
    assert rewards.in_window("CCCCCCCCCCC", "mw[150,200]")  # C11H24, 156 Da
    assert not rewards.in_window("CCO", "mw[150,200]")
    assert rewards.target_reward("CCCCCCCCCCC", "mw[150,200]") == 1.0
    assert rewards.target_reward("CCO", "mw[150,200]") == pytest.approx(math.exp(-(150 - 46.069) / 50), rel=1e-3)
    with pytest.raises(KeyError, match="unknown target window"):
        rewards.in_window("CCO", "mw[0,1]")


def test_invalid_input_and_task_reward():
    with pytest.raises(ValueError, match="invalid SMILES"):
        rewards.qed("C1CC")
    reward = rewards.TaskReward("qed", scale=2.0, invalid=-1.0)
    out = reward(["c1ccccc1", "", "C1CC"])
    assert out[0] == pytest.approx(2 * 0.4426, abs=1e-3)
    assert out[1] == -1.0 and out[2] == -1.0
    with pytest.raises(KeyError, match="unknown task"):
        rewards.TaskReward("logd")
