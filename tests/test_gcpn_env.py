"""The GCPN environment (notebook 06): valence checks, masks and the expert round trip."""

import itertools

import numpy as np
import pytest
import torch
from rdkit import Chem

from lecturekit.generation.gcpn import STOP, Action, EnvConfig, MoleculeEnv, VecMoleculeEnv, data, expert
from lecturekit.generation.gcpn.env import INVALID_PENALTY, STEP_REWARD
from lecturekit.generation.gcpn.policy import make_batch

torch.set_num_threads(1)

STATES = ["C", "CC=O", "C1=CC=CC=C1", "OC(=O)C(F)(F)F", "N#C", "C[N+](=O)[O-]", "CS(C)(=O)=O", "CCCC1CC1"]


def all_actions(config: EnvConfig, n_atoms: int):
    for first, second, bond in itertools.product(range(n_atoms), range(config.num_nodes), range(3)):
        yield Action(first, second, bond)


@pytest.mark.parametrize("smiles", STATES)
def test_every_action_is_valid_or_rejected(smiles):
    config = EnvConfig(max_atoms=12)
    env = MoleculeEnv(config)
    env.reset(smiles)
    before = env.smiles()
    for action in all_actions(config, env.n_atoms):
        trial = env.clone()
        reward, _, valid = trial.step(action)
        if valid:
            Chem.SanitizeMol(trial.rwmol.GetMol())  # raises if invalid
            assert reward == STEP_REWARD
            assert trial.free_valence().min() >= 0
        else:
            assert reward == -INVALID_PENALTY
            assert trial.smiles() == before  # reverted
            assert trial.n_atoms == env.n_atoms and (trial.bonds == env.bonds).all()


@pytest.mark.parametrize("smiles", STATES)
def test_masks_allow_only_legal_actions(smiles):
    config = EnvConfig(max_atoms=12)
    env = MoleculeEnv(config)
    obs = env.reset(smiles)
    batch = make_batch(obs.bonds[None], obs.types[None], np.array([obs.n_atoms]), config)
    allowed = 0
    for first, second_local in zip(*torch.nonzero(batch.pair_ok[0]).T.tolist(), strict=True):
        second = int(batch.to_env(torch.tensor(second_local)))
        limit = min(int(batch.free[0, first]), int(batch.free[0, second_local]))
        for bond in range(min(limit, 3)):
            _, _, valid = env.clone().step(Action(first, second, bond))
            assert valid, (smiles, first, second, bond)
            allowed += 1
    saturated = smiles in ("OC(=O)C(F)(F)F", "CS(C)(=O)=O")
    assert allowed > 0 or saturated


def test_full_molecule_masks_new_atoms():
    config = EnvConfig(max_atoms=3)
    env = MoleculeEnv(config)
    obs = env.reset("CCC")
    batch = make_batch(obs.bonds[None], obs.types[None], np.array([3]), config)
    assert not batch.pair_ok[0, :, batch.slots :].any()  # no scaffold allowed
    assert batch.pair_ok[0, 0, 2]  # ring closure C0-C2 still possible
    _, _, valid = env.step(Action(0, config.scaffold(("C", 0)), 0))
    assert not valid


def test_stop_and_limits():
    config = EnvConfig(vocab=data.MOSES_VOCAB, min_atoms=3, max_steps=5)
    env = MoleculeEnv(config)
    env.reset()
    _, done, valid = env.step(STOP)
    assert not valid and not done  # too small to stop
    c = config.scaffold(("C", 0))
    for _ in range(3):
        env.step(Action(0, c, 0))
    _, done, valid = env.step(STOP)
    assert valid and done and env.smiles() == "CC(C)C"
    with pytest.raises(RuntimeError, match="reset"):
        env.step(STOP)
    env.reset()
    for _ in range(4):
        env.step(Action(0, c, 0))  # the centre carbon is saturated now
    _, _, valid = env.step(Action(0, c, 0))
    assert not valid and env.done  # max_steps=5 reached
    assert env.smiles() == "CC(C)(C)C"
    with pytest.raises(ValueError, match="lacks the start atom"):
        EnvConfig(vocab=(("N", 0),))


def test_round_trip_moses_1000():
    config = EnvConfig(vocab=data.MOSES_VOCAB)
    molecules = data.load_moses("train", limit=1000).smiles
    assert len(molecules) == 1000
    for i, smiles in enumerate(molecules):
        env = MoleculeEnv(config)
        env.reset()
        for action in expert.trajectory(smiles, config, rng=i):
            env.step(action)
        assert env.done
        assert env.smiles() == smiles


def test_round_trip_charged_nci_and_public_api():
    for smiles in data.load_nci(limit=200).smiles:
        assert expert.round_trip_ok(smiles)
    actions = expert.trajectory("C[N+](=O)[O-]")  # default config: ZINC vocabulary
    env = MoleculeEnv()
    env.reset()
    for action in actions:
        env.step(action)
    assert env.smiles() == "C[N+](=O)[O-]"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        expert.trajectory("C[Si](C)C")


def test_vec_env_and_history():
    config = EnvConfig(vocab=data.MOSES_VOCAB)
    venv = VecMoleculeEnv(2, config)
    venv.reset(["CCO", "c1ccccc1"])
    bonds, types, n_atoms = venv.observe([0, 1])
    assert bonds.shape == (2, 38, 38) and list(n_atoms) == [3, 6]
    o = config.scaffold(("O", 0))
    rewards, dones, valid = venv.step([0, 1], [Action(0, o, 0), Action(0, o, 1)])
    assert valid.tolist() == [True, False]  # aromatic carbon has one free valence
    b, et, t, at = venv.envs[0].history()
    assert at[3] == 0 and (at[:3] == -1).all() and et[0, 3] == 0


@pytest.mark.parametrize(
    ("smiles", "message"),
    [
        ("C1CC", "not a valid SMILES: 'C1CC'"),
        ("c1cccc1", "'c1cccc1' has an aromatic system RDKit cannot kekulise"),
        ("CC[N+](C)(C)C", r"charged atom \('N', 1\) of 'CC\[N\+\]\(C\)\(C\)C' is not in the vocabulary"),
        ("C[Si](C)C", r"atom type \('Si', 0\) of 'C\[Si\]\(C\)C' is not in the vocabulary"),
        ("[13CH3]CO", r"'\[13CH3\]CO' would be rebuilt as a different molecule \(CCO\)"),
        ("C[C@H](N)O", "carries stereochemistry"),
        ("[CH2]C", "radical"),
    ],
)
def test_bad_start_molecules_are_refused_naming_the_smiles(smiles, message):
    config = EnvConfig(vocab=data.MOSES_VOCAB)
    env = MoleculeEnv(config)
    with pytest.raises(ValueError, match=message):
        env.reset(smiles)
    venv = VecMoleculeEnv(2, config)
    with pytest.raises(ValueError, match=message):
        venv.reset(["CCO", smiles])


def test_bad_starts_are_refused_before_any_training_or_sampling():
    from lecturekit.generation.gcpn.policy import GCPNPolicy, PolicyConfig
    from lecturekit.generation.gcpn.ppo import expert_episodes
    from lecturekit.generation.gcpn.train import TrainConfig, Trainer, sample

    config = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=12, max_steps=14)
    policy = GCPNPolicy(config, PolicyConfig(hidden=8, mlp_hidden=8, layers=1))
    episodes = expert_episodes(["CCO"], config, np.random.default_rng(0))
    with pytest.raises(ValueError, match="'c1cccc1'"):
        Trainer(
            policy, episodes, lambda s: np.zeros(len(s)), TrainConfig(num_envs=2), starts=["CCO", "c1cccc1"]
        )
    with pytest.raises(ValueError, match="'starts' is empty"):
        Trainer(policy, episodes, lambda s: np.zeros(len(s)), TrainConfig(num_envs=2), starts=[])
    with pytest.raises(ValueError, match=r"'CC\[N\+\]\(C\)\(C\)C'"):
        sample(policy, 4, starts=["CCO", "CC[N+](C)(C)C"])


def test_stop_is_not_honoured_before_min_steps():
    """The reference's min_action: at least min_steps attempted actions; an early stop is a penalised no-op."""
    config = EnvConfig(vocab=data.MOSES_VOCAB, min_steps=3, max_steps=10)
    env = MoleculeEnv(config)
    env.reset()
    c = config.scaffold(("C", 0))
    reward, done, valid = env.step(Action(0, c, 0, True))  # an early stop: nothing is added
    assert not valid and not done and reward == -INVALID_PENALTY and env.smiles() == "C"
    _, done, valid = env.step(Action(0, 0, 0))  # an invalid attempt (self bond) counts too
    assert not valid and not done and env.steps == 2
    env.step(Action(0, c, 0))
    assert not env.done and env.smiles() == "CC"
    _, done, valid = env.step(STOP)  # after three attempted actions the stop ends the episode
    assert valid and done and env.smiles() == "CC"
    with pytest.raises(ValueError, match="min_steps"):
        EnvConfig(min_steps=5, max_steps=5)


def test_a_small_molecule_is_reachable_under_the_minimum():
    """Stopping early again and again keeps methane-sized molecules reachable (MW [150, 200] needs it)."""
    config = EnvConfig(vocab=data.MOSES_VOCAB, min_steps=20, max_steps=30)
    env = MoleculeEnv(config)
    env.reset()
    env.step(Action(0, config.scaffold(("O", 0)), 0))
    for _ in range(19):
        env.step(STOP)
    assert env.steps == 20 and not env.done
    env.step(STOP)
    assert env.done and env.smiles() == "CO"


def test_without_the_valence_mask_invalid_actions_are_offered_and_rejected():
    masked = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=6)
    unmasked = EnvConfig(vocab=data.MOSES_VOCAB, max_atoms=6, mask_valence=False)
    env = MoleculeEnv(unmasked)
    obs = env.reset("CC(C)(C)C")
    with_mask = make_batch(obs.bonds[None], obs.types[None], np.array([obs.n_atoms]), masked)
    without = make_batch(obs.bonds[None], obs.types[None], np.array([obs.n_atoms]), unmasked)
    assert not with_mask.pair_ok[0, 1].any()  # the saturated centre carbon is hidden with the mask
    assert without.pair_ok[0, 1].any()  # and offered without it
    reward, _, valid = env.step(Action(1, unmasked.scaffold(("C", 0)), 0))
    assert not valid and reward == -INVALID_PENALTY and env.smiles() == "CC(C)(C)C"
