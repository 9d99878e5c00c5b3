"""Notebook 06's realism metrics and intervals (issue #24): ring shares, unchanged candidates, FCD offline,
Wilson / Newcombe intervals, the two-sample bootstrap, and the distance input of the partner choice."""

import numpy as np
import pytest
import torch

from lecturekit.generation.gcpn import data, evaluate
from lecturekit.generation.gcpn.env import EnvConfig, MoleculeEnv
from lecturekit.generation.gcpn.policy import (
    MAX_DISTANCE,
    ActionOutput,
    GCPNPolicy,
    PolicyConfig,
    distance_buckets,
    make_batch,
)


def test_ring_shares_count_sssr_rings():
    large, small = evaluate.ring_shares(["C1CCCCCCC1", "c1ccccc1", "C1CC1", "CCO", ""])
    assert large == pytest.approx(1 / 4) and small == pytest.approx(1 / 4)
    assert evaluate.ring_shares(["C1CCCCCC1"]) == (0.0, 0.0)  # a 7-ring is neither
    with pytest.raises(ValueError, match="no valid"):
        evaluate.ring_shares(["", "not a molecule"])


def test_unchanged_share_counts_candidates_equal_to_their_start():
    cands = {"OCC": ["CCO", "CCCO", ""], "c1ccccc1": ["c1ccccc1", "Cc1ccccc1", "CCc1ccccc1"]}
    assert evaluate.unchanged_share(cands) == pytest.approx(2 / 6)
    per_start = evaluate.constrained_metrics(cands, [0.0])[0.0]["per_start"]
    assert len(per_start) == 2 and all(v >= 0 for v in per_start)


def test_wilson_and_newcombe_intervals():
    low, high = evaluate.wilson(0, 256)
    assert low == 0.0 and 0.01 < high < 0.02  # the rule of three, roughly
    low, high = evaluate.wilson(35, 256)
    assert low < 35 / 256 < high
    diff = evaluate.proportion_difference(35, 256, 1, 256)
    assert diff.estimate == pytest.approx(34 / 256) and diff.low > 0
    tied = evaluate.proportion_difference(2, 256, 0, 256)
    assert tied.low < 0 < tied.high
    with pytest.raises(ValueError, match="hits"):
        evaluate.wilson(5, 4)


def test_mean_difference_bootstraps_each_side():
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 1.0, 300), rng.normal(0.0, 1.0, 200)
    diff = evaluate.mean_difference(a, b, seed=1)
    assert diff.low < diff.estimate < diff.high and diff.low > 0.6
    assert evaluate.mean_difference(a, b, seed=1) == diff
    with pytest.raises(ValueError, match="two or more"):
        evaluate.mean_difference([1.0], b)


def test_fcd_runs_offline_and_is_zero_for_identical_sets():
    pytest.importorskip("fcd_torch")
    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "CCCC", "c1ccncc1", "OCC(O)CO", "CC(C)O"]
    assert evaluate.fcd(smiles, smiles) == pytest.approx(0.0, abs=1e-3)
    assert evaluate.fcd(smiles[:4] + ["", "C"], smiles[4:]) > 0.1


def test_distance_buckets_are_shortest_paths_capped():
    bonded = torch.zeros(1, 10, 10, dtype=torch.bool)
    for i in range(9):  # a chain 0-1-...-9
        bonded[0, i, i + 1] = bonded[0, i + 1, i] = True
    dist = distance_buckets(bonded, scaffolds=2)[0]
    assert dist[0, 1] == 1 and dist[0, 5] == 5 and dist[0, 7] == 7
    assert dist[0, 8] == MAX_DISTANCE and dist[0, 9] == MAX_DISTANCE  # 8 or more bonds apart
    assert dist[3, 3] == MAX_DISTANCE + 1 and (dist[:, 10:] == MAX_DISTANCE + 1).all()
    bonded[0, 0, 9] = bonded[0, 9, 0] = True  # close the ring: 0 and 8 are now 2 apart
    assert distance_buckets(bonded, 2)[0, 0, 8] == 2


def test_the_partner_choice_depends_on_distance():
    config = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=12)
    env = MoleculeEnv(config)
    obs = env.reset("CCCCCCCC")  # ends 7 bonds apart
    batch = make_batch(obs.bonds[None], obs.types[None], np.array([obs.n_atoms]), config)
    torch.manual_seed(0)
    policy = GCPNPolicy(config, PolicyConfig(hidden=8, mlp_hidden=16, layers=2))
    policy.eval()
    first, seconds = torch.tensor([0]), torch.tensor([5])
    unused = torch.zeros(1)
    given = ActionOutput(first, seconds, torch.tensor([0]), torch.tensor([False]), unused, unused, unused)
    before = policy(batch, actions=given).log_prob
    with torch.no_grad():
        policy.second_distance.weight[5] += 1.0  # only the embedding of distance 5 changes
    assert not torch.allclose(policy(batch, actions=given).log_prob, before)
