"""API limits (issue #27): the GCPN environment's sizes, step counts and rewards, community_small's
probabilities, and integer ids where ids are taken -- each refused with a clear message naming the
argument, never an endless loop, a huge allocation, a wrapped counter or a truncated id."""

import math

import numpy as np
import pytest
import torch

from lecturekit.generation.gcpn import env as gcpn_env
from lecturekit.generation.gcpn.env import EnvConfig, MoleculeEnv, VecMoleculeEnv
from lecturekit.generation.graph_datasets import community_small
from lecturekit.ids import as_ids
from lecturekit.recsys.metrics import rank_of_targets


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_atoms", 10**6, r"max_atoms must be an int in \[1, 500\], got 1000000"),
        ("max_atoms", 0, "max_atoms must be an int"),
        ("max_atoms", 38.0, "max_atoms must be an int"),
        ("max_steps", 40_000, r"max_steps must be an int in \[1, 32767\]"),  # past int16: times would wrap
        ("max_steps", True, "max_steps must be an int"),
        ("min_steps", -1, "min_steps must be an int"),
    ],
)
def test_env_config_refuses_sizes_and_steps_it_cannot_hold(field, value, message):
    with pytest.raises(ValueError, match=message):
        EnvConfig(**{field: value})


def test_a_config_changed_after_construction_is_checked_again_by_the_environment():
    config = EnvConfig(max_atoms=9, max_steps=20)
    config.max_atoms = 10**6  # EnvConfig is mutable: without the check this asks for ~931 GiB
    with pytest.raises(ValueError, match="max_atoms"):
        MoleculeEnv(config)
    config.max_atoms, config.min_steps = 9, -1
    with pytest.raises(ValueError, match="min_steps"):
        MoleculeEnv(config)
    with pytest.raises(ValueError, match="num_envs"):
        VecMoleculeEnv(2.5, EnvConfig(max_atoms=9))


def test_the_largest_step_count_fits_the_stored_step_times():
    assert gcpn_env.MAX_STEPS == np.iinfo(np.int16).max
    env = MoleculeEnv(EnvConfig(max_atoms=gcpn_env.MAX_ATOMS, max_steps=gcpn_env.MAX_STEPS))
    assert env.edge_time.dtype == np.int16 and env.bonds.nbytes == gcpn_env.MAX_ATOMS**2  # 250 kB, not GiB
    assert gcpn_env.MAX_STEPS - 1 <= np.iinfo(env.edge_time.dtype).max  # the last action's time fits


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_intra": 0}, "p_intra' is 0: a community of 2 or more nodes would never be connected"),
        ({"p_intra": -0.1}, r"'p_intra' must be a probability in \[0, 1\], got -0.1"),
        ({"p_intra": 1.5}, r"'p_intra' must be a probability in \[0, 1\]"),
        ({"p_intra": math.nan}, "'p_intra' must be a probability"),
        ({"p_inter": 2}, "'p_inter' must be a probability"),
        ({"p_inter": "0.1"}, "'p_inter' must be a probability"),
        ({"num_graphs": 2.5}, "'num_graphs' must be an int"),
        ({"community_sizes": (6.0, 10)}, "'community_sizes' must be"),
        ({"p_intra": 1e-6}, "gave no connected community of 6-10 nodes in 1000 draws"),
    ],
)
def test_community_small_refuses_probabilities_that_could_never_finish(kwargs, message):
    with pytest.raises(ValueError, match=message):
        community_small(**{"num_graphs": 2, **kwargs})


def test_community_small_still_draws_the_same_graphs():
    graphs = community_small(3, seed=5)
    again = community_small(3, seed=5)
    assert [sorted(g.edges) for g in graphs] == [sorted(g.edges) for g in again]
    assert all(12 <= g.number_of_nodes() <= 20 for g in graphs)
    assert len(community_small(1, community_sizes=(1, 1), p_intra=0)) == 1  # single nodes need no edges


@pytest.mark.parametrize(
    "ids", [torch.tensor([0.0, 2.7]), np.array([1.5]), [1.0, 2.0], torch.tensor([True, False])]
)
def test_float_and_bool_ids_are_refused_not_truncated(ids):
    with pytest.raises(TypeError, match="argument 'targets' must hold integer ids"):
        rank_of_targets(torch.rand(len(ids), 4), ids)
    with pytest.raises(TypeError, match=r"argument 'exclude\[0\]' must hold integer ids"):
        rank_of_targets(torch.rand(1, 4), torch.tensor([0]), exclude=[ids])
    assert as_ids([], "x").dtype == torch.long and as_ids(np.array([3], dtype=np.int32), "x").tolist() == [3]


def test_train_pinsage_refuses_float_pair_ids():
    from lecturekit.recsys.pinsage.train import train_pinsage

    with pytest.raises(
        TypeError, match="argument 'train_pairs' must hold integer ids, got dtype torch.float32"
    ):
        train_pinsage(
            None, torch.zeros(3, 2), None, torch.tensor([[0.0, 1.9]]), None
        )  # refused before anything runs
