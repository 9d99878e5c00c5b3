"""Rewards of GCPN (notebook 06) pinned against hand-checked molecules (RDKit 2026.09)."""

import importlib.util
import math

import networkx as nx
import numpy as np
import pytest
from rdkit import Chem, DataStructs, RDConfig
from rdkit.Chem import AllChem, Crippen

from lecturekit.generation.gcpn import rewards

# Fused, bridged, caged and macrocyclic ring systems: cycle basis and SSSR disagree on some of them.
RING_SYSTEMS = {
    "adamantane": "C1C2CC3CC1CC(C2)C3",
    "norbornane": "C1CC2CCC1C2",
    "decalin": "C1CCC2CCCCC2C1",
    "cyclododecane": "C1CCCCCCCCCCC1",
    "cubane": "C12C3C4C1C5C2C3C45",
    "bicyclo[2.2.2]octane": "C1CC2CCC1CC2",
    "phenanthrene": "c1ccc2c(c1)ccc1ccccc12",
    "camphor": "CC1(C)C2CCC1(C)C(=O)C2",
}


def _reference_plogp(smiles: str) -> float:
    """Penalized logP written out independently, as the GCPN / JT-VAE evaluation code computes it."""
    spec = importlib.util.spec_from_file_location(
        "sa_for_test", f"{RDConfig.RDContribDir}/SA_Score/sascorer.py"
    )
    sascorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sascorer)
    mol = Chem.MolFromSmiles(smiles)
    graph = nx.Graph(Chem.rdmolops.GetAdjacencyMatrix(mol))
    ring = max([len(c) for c in nx.cycle_basis(graph)] or [0])
    cycle = -(ring - 6 if ring > 6 else 0)
    return (
        (Crippen.MolLogP(mol) - 2.4570953396190123) / 1.434324401111988
        + (-sascorer.calculateScore(mol) + 3.0525811293166134) / 0.8335207024513095
        + (cycle + 0.0485696876403053) / 0.2860212110245455
    )


@pytest.mark.parametrize("name", sorted(RING_SYSTEMS))
def test_penalized_logp_equals_the_reference_formula_on_ring_systems(name):
    smiles = RING_SYSTEMS[name]
    assert rewards.penalized_logp(smiles) == pytest.approx(_reference_plogp(smiles), abs=1e-9)
    assert rewards.penalized_logp(Chem.MolFromSmiles(smiles)) == pytest.approx(
        _reference_plogp(smiles), abs=1e-9
    )


def test_largest_ring_comes_from_a_cycle_basis_not_the_sssr():
    # Hand-checked: adamantane's cycle basis holds an 8-cycle, cubane's a 6-cycle; their SSSRs
    # hold only 6- and 4-rings. Fused and plain rings agree.
    assert rewards.largest_ring(RING_SYSTEMS["adamantane"]) == 8
    assert rewards.cycle_penalty(RING_SYSTEMS["adamantane"]) == 2
    adamantane = Chem.MolFromSmiles(RING_SYSTEMS["adamantane"])  # RingInfo does not own its molecule
    assert max(len(r) for r in adamantane.GetRingInfo().AtomRings()) == 6
    assert rewards.largest_ring(RING_SYSTEMS["cubane"]) == 6
    assert rewards.largest_ring(RING_SYSTEMS["decalin"]) == 6
    assert rewards.largest_ring(RING_SYSTEMS["norbornane"]) == 5
    assert rewards.cycle_penalty(RING_SYSTEMS["cyclododecane"]) == 6
    assert rewards.largest_ring("CCCC") == 0


C20 = "CCCCCCCCCCCCCCCCCCCC"


def test_penalized_logp_pins():
    assert rewards.penalized_logp(C20, normalized=True) == pytest.approx(6.455, abs=1e-3)
    assert rewards.penalized_logp(C20, normalized=False) == pytest.approx(6.985, abs=1e-3)
    assert rewards.penalized_logp("c1ccccc1") == pytest.approx(2.095, abs=1e-3)
    assert rewards.penalized_logp(Chem.MolFromSmiles("c1ccccc1"), normalized=False) == pytest.approx(
        0.687, abs=1e-3
    )


def test_qed_pins():
    assert rewards.qed(C20) == pytest.approx(0.2367, abs=1e-4)
    assert rewards.qed("c1ccccc1") == pytest.approx(0.4426, abs=1e-4)


def test_cycle_penalty_and_sa():
    assert rewards.cycle_penalty("C1CCCCCCC1") == 2  # eight-membered ring
    assert rewards.cycle_penalty("c1ccccc1") == 0
    assert 1.0 <= rewards.sa_score("CC(=O)Nc1ccc(O)cc1") <= 10.0


def test_similarity_is_tanimoto_of_2048_bit_morgan_radius_2():
    for a, b in [
        ("c1ccccc1O", "c1ccccc1N"),
        ("CCCCCCN", "CCCCCCO"),
        ("CC(=O)Nc1ccc(O)cc1", "CC(=O)Nc1ccccc1"),
    ]:
        fa, fb = (AllChem.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(x), 2, nBits=2048) for x in (a, b))
        assert rewards.similarity(a, b) == pytest.approx(DataStructs.TanimotoSimilarity(fa, fb), abs=1e-12)
        bits_a, bits_b = set(fa.GetOnBits()), set(fb.GetOnBits())
        assert rewards.similarity(a, b) == pytest.approx(len(bits_a & bits_b) / len(bits_a | bits_b))
    assert rewards.fingerprint("CCO").GetNumBits() == 2048


def test_similarity_and_diversity():
    assert rewards.similarity("CCO", "OCC") == pytest.approx(1.0)
    assert 0.0 <= rewards.similarity("c1ccccc1", "c1ccccc1O") < 1.0
    assert rewards.diversity(["CCO"]) == 0.0
    assert rewards.diversity(["CCO", "CCO"]) == pytest.approx(0.0)
    # over all hits: a repeated molecule adds pairs at distance 0
    two = rewards.diversity(["CCO", "c1ccccc1N"])
    assert rewards.diversity(["CCO", "CCO", "c1ccccc1N"]) == pytest.approx(2 * two / 3)
    assert 0.0 < rewards.diversity(["CCO", "c1ccccc1N"]) <= 1.0


def test_targeting_windows_use_exact_mass_and_the_reference_reward():
    assert rewards.molecular_weight("CCO") == pytest.approx(
        2 * 12.0 + 6 * 1.00782503207 + 15.99491461956, abs=1e-6
    )
    assert rewards.in_window("CCCCCCCCCCC", "mw[150,200]")  # C11H24, 156.19 Da exact
    assert not rewards.in_window("CCO", "mw[150,200]")
    mw = rewards.molecular_weight("CCCCCCCCCCC")
    # reference: peak 4 at the centre, 2 at the edges, slower beyond, floor -2
    assert rewards.target_reward("CCCCCCCCCCC", "mw[150,200]") == pytest.approx(
        max(4 - 2 * abs(mw - 175) / 25, 2.25 - 0.25 * abs(mw - 175) / 25, -2)
    )
    assert rewards.target_reward("CCO", "mw[150,200]") == pytest.approx(
        2.25 - 0.25 * (175 - rewards.molecular_weight("CCO")) / 25
    )
    assert rewards.target_reward("C" * 60, "mw[150,200]") == -2.0
    lp = rewards.logp("CCCCCC")
    assert rewards.target_reward("CCCCCC", "logp[5,5.5]") == pytest.approx(
        max(4 - 2 * abs(lp - 5.25) / 0.25, 2.25 - 0.25 * abs(lp - 5.25) / 0.25, -2)
    )
    # the ablation: 1 inside, exponential decay outside
    assert rewards.target_reward("CCCCCCCCCCC", "mw[150,200]", form="exp") == 1.0
    assert rewards.target_reward("CCO", "mw[150,200]", form="exp") == pytest.approx(
        math.exp(-(150 - rewards.molecular_weight("CCO")) / 50)
    )
    with pytest.raises(ValueError, match="form"):
        rewards.target_reward("CCO", "mw[150,200]", form="gauss")
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


def test_filters_and_the_papers_terminal_terms():
    # the reference code's examples: strained small rings fail, ordinary and caged molecules pass
    for ok in ("C1CC2CCC1C2", "CC(=O)Nc1ccc(O)cc1", "C12C3C4C1C5C2C3C45"):
        assert rewards.strain_ok(ok), ok
    for strained in ("C1#CC1", "C1#CCC1", "C1(C2)=CCC2CC1"):
        assert not rewards.strain_ok(strained), strained
    assert rewards.angle_strain("CC") == 0.0
    assert rewards.zinc_filter_ok("CC(=O)Nc1ccc(O)cc1")
    assert not rewards.zinc_filter_ok("CC(=O)OO")  # peroxide: a ZINC filter
    assert not rewards.zinc_filter_ok("C" * 20)  # long alkane chain ("Heptanes"): the pLogP reward hack
    assert rewards.terminal_reward("CC(=O)Nc1ccc(O)cc1") == 2.0
    assert rewards.terminal_reward("CC(=O)OO") == 1.0
    assert rewards.terminal_reward("C1#CC1") == 2.0 - 1.0 - (not rewards.zinc_filter_ok("C1#CC1"))
    assert rewards.terminal_reward("") == -3.0
    with_terms = rewards.TaskReward("qed", paper_terms=True)
    np.testing.assert_allclose(with_terms.terminal(["CC(=O)OO", ""]), [1.0, -3.0])
    np.testing.assert_allclose(rewards.TaskReward("qed").terminal(["CC(=O)OO"]), [0.0])
    with pytest.raises(ValueError, match="target_form"):
        rewards.TaskReward("qed", target_form="gauss")
