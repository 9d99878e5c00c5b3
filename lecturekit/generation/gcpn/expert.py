"""Expert trajectories for GCPN's behaviour cloning (notebook 06).

A molecule is decomposed into a random *connected-subgraph* order: start from one carbon, then
repeatedly pick a random not-yet-built bond that touches the built part. If its other end is new,
the action adds that atom from its scaffold node; otherwise it closes a ring. Every prefix is a
connected subgraph of the molecule, and replaying the actions with :meth:`MoleculeEnv.step` after
``reset()`` rebuilds the molecule (kekulised, so aromatic rings come out with alternating bonds).
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from lecturekit.generation.gcpn.data import BOND_TYPES, canonical, max_valence
from lecturekit.generation.gcpn.env import (
    START_ATOM,
    STOP,
    Action,
    EnvConfig,
    MoleculeEnv,
    can_extend,
    kekulized_molecule,
)


def trajectory(
    smiles: str | Chem.Mol,
    config: EnvConfig | None = None,
    rng: np.random.Generator | int | None = 0,
) -> list[Action]:
    """Actions that rebuild ``smiles`` from a single ``START_ATOM``, ending with ``STOP``
    (left out when the environment ends the episode by itself: saturated molecule or ``max_steps``).

    ``rng`` (a generator or seed) draws the start atom among the carbons and the bond order;
    the default seed 0 makes the decomposition deterministic. Used by notebook 06 and its tests.
    """
    config = config or EnvConfig()
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    mol, keys = kekulized_molecule(smiles, config)
    starts = [i for i, key in enumerate(keys) if key == START_ATOM]
    if not starts:
        raise ValueError(f"{smiles!r} has no {START_ATOM} atom to start from")
    if len(Chem.GetMolFrags(mol)) > 1:
        raise ValueError(f"{smiles!r} is disconnected; GCPN builds connected molecules")

    neighbours: list[list[tuple[int, int]]] = [[] for _ in keys]
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        order = BOND_TYPES.index(bond.GetBondType()) + 1
        neighbours[i].append((j, order))
        neighbours[j].append((i, order))

    start = int(starts[rng.integers(len(starts))])
    new_index = {start: 0}
    frontier: dict[tuple[int, int], int] = {}  # (built atom, other atom) -> bond order

    for other, order in neighbours[start]:
        frontier[(start, other)] = order
    actions: list[Action] = []
    while frontier:
        edges = sorted(frontier)
        a, b = edges[rng.integers(len(edges))]
        order = frontier.pop((a, b))
        frontier.pop((b, a), None)
        if b in new_index:
            actions.append(Action(new_index[a], new_index[b], order - 1))
        else:
            new_index[b] = len(new_index)
            actions.append(Action(new_index[a], config.scaffold(keys[b]), order - 1))
            # bonds from b to atoms already built become ring closures; others open up
            for other, other_order in neighbours[b]:
                if other == a:
                    continue
                if other in new_index:
                    frontier.pop((other, b), None)
                    frontier[(b, other)] = other_order
                else:
                    frontier[(b, other)] = other_order
    # The environment ends the episode by itself when the molecule is saturated or out of steps.
    n = len(keys)
    bonds = np.zeros((n, n), dtype=np.int64)
    for i, nbrs in enumerate(neighbours):
        for j, order in nbrs:
            bonds[i, j] = order
    free = np.array([max_valence(k) for k in keys]) - bonds.sum(1)
    if len(actions) < config.max_steps and can_extend(bonds, free, config.max_atoms):
        actions.append(STOP)
    return actions


def replay(actions: list[Action], config: EnvConfig | None = None) -> MoleculeEnv:
    """Replay ``actions`` in a fresh environment; raises ``ValueError`` on a rejected action."""
    env = MoleculeEnv(config)
    env.reset()
    for t, action in enumerate(actions):
        _, done, valid = env.step(action)
        if not valid:
            raise ValueError(f"action {t} {action} was rejected by the environment")
        if done and t != len(actions) - 1:
            raise ValueError(f"episode ended early at action {t} of {len(actions)}")
    return env


def round_trip_ok(smiles: str, config: EnvConfig | None = None, seed: int = 0) -> bool:
    """Whether decomposing and replaying ``smiles`` gives back the same canonical SMILES."""
    env = replay(trajectory(smiles, config, seed), config)
    return env.smiles() == canonical(smiles)
