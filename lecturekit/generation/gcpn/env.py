"""The GCPN molecule-building environment (notebook 06).

State: the current molecule (kekulised; atom types are ``(element, formal charge)``; bonds single /
double / triple) plus one *scaffold* node per atom type. Node layout of every observation is fixed:
positions ``0 .. max_atoms-1`` are atom slots (the first ``n_atoms`` are used, in the order atoms
were added), positions ``max_atoms + k`` are the scaffold nodes of vocabulary type ``k``.

Action ``(first, second, bond, stop)``:

* ``stop`` -- end the episode (rejected while fewer than ``min_atoms`` atoms exist). The reference
  code's ``min_action`` is ``min_steps`` here: an episode lasts at least ``min_steps`` *attempted*
  actions, invalid ones included, and at most ``max_steps`` (the reference's ``max_action``). A stop
  before ``min_steps`` is a no-op that earns ``-INVALID_PENALTY`` (the reference applies the stop's
  edge part instead; our policy's log-probability of a stop does not include an edge, so applying one
  would act off-policy). A molecule with few bonds is therefore reachable: stop early, repeatedly;
* otherwise connect atom ``first`` with ``second`` by a bond of order ``bond + 1``. ``second`` is
  either another existing atom (a new bond, e.g. a ring closure) or a scaffold node (a new atom of
  that type is added and bonded to ``first``).

After every action RDKit checks the valences of the touched atoms. An invalid action (occupied
bond, unknown index, valence violation, too many atoms) is reverted and earns ``-INVALID_PENALTY``;
a valid one earns ``+STEP_REWARD``. The episode ends on ``stop``, after ``max_steps`` actions, or
when no bond can be added any more. Property rewards at the end are the trainer's business.

``mask_valence`` only tells the *policy* (:func:`policy.make_batch`) whether to hide actions that
would exceed a valence; the environment always checks and reverts them. With the mask off the
step penalty is what teaches validity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rdkit import Chem

from lecturekit.generation.gcpn.data import (
    BOND_TYPES,
    ZINC_VOCAB,
    AtomType,
    canonical,
    max_valence,
    parse,
    rebuilt,
)


class Action(NamedTuple):
    """One GCPN action: bond ``first``-``second`` with order ``bond + 1``, or ``stop``."""

    first: int
    second: int
    bond: int
    stop: bool = False


STOP = Action(0, 0, 0, True)

# Limits on EnvConfig. Observations are dense (max_atoms x max_atoms bond matrices per state and per
# stored episode), so a size far past any molecule set -- ZINC250k's largest has 38 heavy atoms --
# would ask for gigabytes (10**6 atoms: 931 GiB); 500 leaves room and costs under a megabyte a state.
MAX_ATOMS = 500
# Episodes store each bond's and atom's creation step as int16 (ppo.Episodes): a step count past
# int16's range would wrap to negative times and corrupt the replayed states.
MAX_STEPS = int(np.iinfo(np.int16).max)
MAX_TYPES = int(np.iinfo(np.int8).max)  # atom types are stored as int8 vocabulary indices


def _whole(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise ValueError(f"EnvConfig.{name} must be an int in [{low}, {high}], got {value!r}")


def check_limits(config: EnvConfig) -> None:
    """Refuse sizes and step counts the environment cannot hold (``ValueError`` naming the field)."""
    _whole("max_atoms", config.max_atoms, 1, MAX_ATOMS)
    _whole("max_steps", config.max_steps, 1, MAX_STEPS)
    _whole("min_atoms", config.min_atoms, 1, MAX_ATOMS)
    _whole("min_steps", config.min_steps, 0, MAX_STEPS)
    if not 1 <= len(config.vocab) <= MAX_TYPES:
        raise ValueError(f"EnvConfig.vocab must hold 1 to {MAX_TYPES} atom types, got {len(config.vocab)}")


#: Every de novo episode starts from one neutral carbon (the paper; the loaders keep only molecules with one).
START_ATOM: AtomType = ("C", 0)
#: Step rewards: a valid action earns a little, an invalid one (an early stop included) costs ten times more
#: (a deviation from the reference, stated in notebook 06's section 5).
STEP_REWARD, INVALID_PENALTY = 0.005, 0.05


@dataclass
class EnvConfig:
    """Limits and step rewards of :class:`MoleculeEnv` (paper: 38 atoms)."""

    vocab: tuple[AtomType, ...] = ZINC_VOCAB
    max_atoms: int = 38
    min_atoms: int = 1
    max_steps: int = 100
    min_steps: int = 0  # attempted actions before a stop is honoured (reference code's min_action: 20)
    mask_valence: bool = True  # the policy sees only actions within the valences

    def __post_init__(self) -> None:
        self.vocab = tuple((str(s), int(c)) for s, c in self.vocab)
        check_limits(self)
        if START_ATOM not in self.vocab:
            raise ValueError(f"EnvConfig.vocab lacks the start atom {START_ATOM}")
        if not 1 <= self.min_atoms <= self.max_atoms:
            raise ValueError(
                f"EnvConfig.min_atoms={self.min_atoms} must lie in [1, max_atoms={self.max_atoms}]"
            )
        if self.max_steps < 1:
            raise ValueError(f"EnvConfig.max_steps must be positive, got {self.max_steps}")
        if not 0 <= self.min_steps < self.max_steps:
            raise ValueError(
                f"EnvConfig.min_steps={self.min_steps} must lie in [0, max_steps={self.max_steps})"
            )

    @property
    def num_types(self) -> int:
        return len(self.vocab)

    @property
    def num_nodes(self) -> int:
        """Atom slots plus scaffold nodes: the node axis of every observation."""
        return self.max_atoms + len(self.vocab)

    def scaffold(self, atom_type: AtomType) -> int:
        """Node index of the scaffold node of ``atom_type``."""
        try:
            return self.max_atoms + self.vocab.index(atom_type)
        except ValueError:
            raise ValueError(f"atom type {atom_type} is not in the vocabulary {self.vocab}") from None

    def type_valences(self) -> np.ndarray:
        """(K,) maximum valence of each vocabulary type."""
        return np.array([max_valence(t) for t in self.vocab], dtype=np.int64)


class Observation(NamedTuple):
    """Numpy view of one state. ``bonds``: (max_atoms, max_atoms) bond orders 0-3;
    ``types``: (max_atoms,) vocabulary index or -1; ``n_atoms``: int."""

    bonds: np.ndarray
    types: np.ndarray
    n_atoms: int


def can_extend(bonds: np.ndarray, free: np.ndarray, max_atoms: int) -> bool:
    """Whether a molecule with bond-order matrix ``bonds`` (n, n) and free valences ``free`` (n,)
    admits another bond: some atom has free valence and either a new atom fits (n < max_atoms) or
    two open atoms are not bonded yet."""
    open_atoms = np.flatnonzero(free > 0)
    if open_atoms.size == 0:
        return False
    if len(free) < max_atoms:
        return True
    sub = bonds[np.ix_(open_atoms, open_atoms)] == 0
    np.fill_diagonal(sub, False)
    return bool(sub.any())


def kekulized_molecule(smiles: str | Chem.Mol, config: EnvConfig) -> tuple[Chem.Mol, list[tuple[str, int]]]:
    """Parse and kekulise a molecule the environment can hold; returns it with its atoms'
    ``(symbol, formal charge)`` vocabulary keys. Used by ``reset`` and the expert.

    Raises ``ValueError`` naming the SMILES for anything the environment would not hold exactly:
    a SMILES RDKit rejects, an aromatic system without a Kekulé form, stereochemistry (GCPN's actions
    cannot set it; drop it with :func:`data.canonical` first), more atoms than ``config.max_atoms``,
    a charged atom or element outside ``config.vocab``, or a molecule that rebuilt from symbols,
    charges and Kekulé bonds would come out different (isotopes, unusual explicit hydrogens).
    """
    if isinstance(smiles, Chem.Mol):
        name = Chem.MolToSmiles(smiles)
        mol = Chem.Mol(smiles)
    elif isinstance(smiles, str):
        name = smiles
        mol, reason = parse(smiles)
        if reason == "not_kekulisable":
            raise ValueError(f"start molecule {smiles!r} has an aromatic system RDKit cannot kekulise")
        if mol is None:
            raise ValueError(f"argument 'smiles' is not a valid SMILES: {smiles!r}")
    else:
        raise TypeError(
            f"argument 'smiles' must be a SMILES string or an RDKit Mol, got {type(smiles).__name__}"
        )
    if mol.GetNumAtoms() == 0:
        raise ValueError(f"start molecule {name!r} has no atoms")
    if mol.GetNumAtoms() > config.max_atoms:
        raise ValueError(f"molecule has {mol.GetNumAtoms()} atoms > max_atoms={config.max_atoms}: {name!r}")
    if Chem.FindMolChiralCenters(mol, includeUnassigned=False, useLegacyImplementation=False) or any(
        b.GetStereo() != Chem.BondStereo.STEREONONE for b in mol.GetBonds()
    ):
        raise ValueError(
            f"start molecule {name!r} carries stereochemistry, which GCPN's actions cannot set; "
            "pass data.canonical(smiles) to drop it"
        )
    elements = {symbol for symbol, _ in config.vocab}
    for atom in mol.GetAtoms():
        key = (atom.GetSymbol(), atom.GetFormalCharge())
        if key not in config.vocab:
            kind = "charged atom" if key[1] != 0 and key[0] in elements else "atom type"
            raise ValueError(f"{kind} {key} of {name!r} is not in the vocabulary {config.vocab}")
        if atom.GetNumRadicalElectrons():
            raise ValueError(
                f"start molecule {name!r} has a radical atom, which the action space cannot build"
            )
    again = rebuilt(mol)
    if again is None or canonical(again) != canonical(mol):
        raise ValueError(
            f"start molecule {name!r} would be rebuilt as a different molecule "
            f"({canonical(again) if again is not None else 'none'}): isotopes, explicit hydrogens "
            "or bond types the action space cannot set"
        )
    Chem.Kekulize(mol, clearAromaticFlags=True)
    keys = [(atom.GetSymbol(), atom.GetFormalCharge()) for atom in mol.GetAtoms()]
    return mol, keys


def check_starts(starts: list[str], config: EnvConfig) -> None:
    """Raise ``ValueError`` naming the first start molecule the environment cannot hold exactly."""
    for smiles in dict.fromkeys(starts):
        kekulized_molecule(smiles, config)


class MoleculeEnv:
    """One molecule under construction (notebook 06). ``reset()`` starts from ``START_ATOM`` or a
    given molecule; ``step(action)`` returns ``(reward, done, valid)``."""

    def __init__(self, config: EnvConfig | None = None) -> None:
        self.config = config or EnvConfig()
        check_limits(self.config)  # again: EnvConfig is mutable, a field may have changed since
        self._valence = self.config.type_valences()
        self.reset()

    # ----------------------------------------------------------------- state
    def reset(self, smiles: str | Chem.Mol | None = None) -> Observation:
        """Start from one ``START_ATOM`` or, for constrained optimisation, from a molecule."""
        cfg = self.config
        self.bonds = np.zeros((cfg.max_atoms, cfg.max_atoms), dtype=np.int8)
        self.types = np.full(cfg.max_atoms, -1, dtype=np.int8)
        # index of the action that created each bond / atom (-1: present from the start)
        self.edge_time = np.zeros((cfg.max_atoms, cfg.max_atoms), dtype=np.int16)
        self.atom_time = np.zeros(cfg.max_atoms, dtype=np.int16)
        self.free = np.zeros(cfg.max_atoms, dtype=np.int64)  # remaining valence per atom slot
        self.n_atoms = 0
        self.steps = 0
        self.done = False
        self.rwmol = Chem.RWMol()
        if smiles is None:
            self._add_atom(cfg.vocab.index(START_ATOM))
            return self.observe()
        mol, keys = kekulized_molecule(smiles, cfg)
        for key in keys:
            self._add_atom(cfg.vocab.index(key))
        for bond in mol.GetBonds():
            order = BOND_TYPES.index(bond.GetBondType()) + 1
            self._set_bond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), order)
        return self.observe()

    def observe(self) -> Observation:
        return Observation(self.bonds.copy(), self.types.copy(), self.n_atoms)

    def history(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(bonds, edge_time, types, atom_time)``: the state before action ``t`` keeps exactly the
        bonds and atoms whose time is ``< t`` (molecules only grow), so an episode is stored once."""
        return self.bonds.copy(), self.edge_time.copy(), self.types.copy(), self.atom_time.copy()

    def clone(self) -> MoleculeEnv:
        other = MoleculeEnv.__new__(MoleculeEnv)
        other.config, other._valence = self.config, self._valence
        other.bonds, other.types = self.bonds.copy(), self.types.copy()
        other.edge_time, other.atom_time = self.edge_time.copy(), self.atom_time.copy()
        other.free = self.free.copy()
        other.n_atoms, other.steps, other.done = self.n_atoms, self.steps, self.done
        other.rwmol = Chem.RWMol(self.rwmol)
        return other

    def free_valence(self) -> np.ndarray:
        """(n_atoms,) remaining valence of each atom: max valence minus its bond orders."""
        return self.free[: self.n_atoms].copy()

    def mol(self) -> Chem.Mol:
        """A sanitised copy of the current molecule."""
        mol = self.rwmol.GetMol()
        Chem.SanitizeMol(mol)
        return mol

    def smiles(self) -> str:
        """Canonical SMILES (no stereochemistry) of the current molecule."""
        return canonical(self.mol())

    # ----------------------------------------------------------------- dynamics
    def _add_atom(self, type_index: int) -> int:
        symbol, charge = self.config.vocab[type_index]
        atom = Chem.Atom(symbol)
        atom.SetFormalCharge(charge)
        idx = self.rwmol.AddAtom(atom)
        self.types[idx] = type_index
        self.atom_time[idx] = self.steps - 1
        self.free[idx] = self._valence[type_index]
        self.n_atoms += 1
        return idx

    def _set_bond(self, i: int, j: int, order: int) -> None:
        self.rwmol.AddBond(i, j, BOND_TYPES[order - 1])
        self.bonds[i, j] = self.bonds[j, i] = order
        self.edge_time[i, j] = self.edge_time[j, i] = self.steps - 1
        self.free[i] -= order
        self.free[j] -= order

    def _remove_bond(self, i: int, j: int) -> None:
        order = int(self.bonds[i, j])
        self.rwmol.RemoveBond(i, j)
        self.bonds[i, j] = self.bonds[j, i] = 0
        self.free[i] += order
        self.free[j] += order

    def _valence_ok(self, *atoms: int) -> bool:
        """RDKit's valence check of ``atoms``, and our own table (so masks and environment agree)."""
        for i in atoms:
            if self.free[i] < 0:
                return False
            try:
                self.rwmol.GetAtomWithIdx(i).UpdatePropertyCache(strict=True)
            except Chem.rdchem.AtomValenceException:
                return False
        return True

    def can_extend(self) -> bool:
        """Whether any bond can still be added (else the episode is over)."""
        free = self.free[: self.n_atoms]
        if self.n_atoms < self.config.max_atoms:
            return bool(free.max() > 0)
        return can_extend(self.bonds[: self.n_atoms, : self.n_atoms], free, self.config.max_atoms)

    def _apply(self, action: Action) -> bool:
        """Apply an edge action; revert and return False when it is invalid."""
        cfg, n = self.config, self.n_atoms
        first, second, order = int(action.first), int(action.second), int(action.bond) + 1
        if not (0 <= first < n and 1 <= order <= 3):
            return False
        if cfg.max_atoms <= second < cfg.num_nodes:  # scaffold: add a new atom
            if n >= cfg.max_atoms:
                return False
            new = self._add_atom(second - cfg.max_atoms)
            self._set_bond(first, new, order)
            if self._valence_ok(first, new):
                return True
            self._remove_bond(first, new)
            self.rwmol.RemoveAtom(new)
            self.types[new] = -1
            self.free[new] = 0
            self.n_atoms -= 1
            self._valence_ok(first)  # refresh the property cache after the revert
            return False
        if not (0 <= second < n) or second == first or self.bonds[first, second]:
            return False
        self._set_bond(first, second, order)
        if self._valence_ok(first, second):
            return True
        self._remove_bond(first, second)
        self._valence_ok(first, second)  # refresh the property cache after the revert
        return False

    def step(self, action: Action) -> tuple[float, bool, bool]:
        """Apply ``action``; returns ``(reward, done, valid)``."""
        if self.done:
            raise RuntimeError("step() called on a finished episode; call reset() first")
        cfg = self.config
        early = self.steps < cfg.min_steps  # a stop now is not honoured: a no-op with the step penalty
        self.steps += 1
        if action.stop:
            valid = not early and self.n_atoms >= cfg.min_atoms
            self.done = valid
        else:
            valid = self._apply(Action(action.first, action.second, action.bond))
        if not self.done and (self.steps >= cfg.max_steps or not self.can_extend()):
            self.done = True
        return (STEP_REWARD if valid else -INVALID_PENALTY), self.done, valid


class VecMoleculeEnv:
    """A batch of :class:`MoleculeEnv` stepped together; observations come back stacked.

    Used by the PPO rollouts of notebook 06. ``active`` lists the unfinished environments.
    """

    def __init__(self, num_envs: int, config: EnvConfig | None = None) -> None:
        if isinstance(num_envs, bool) or not isinstance(num_envs, int | np.integer) or num_envs < 1:
            raise ValueError(f"argument 'num_envs' must be a positive int, got {num_envs!r}")
        self.config = config or EnvConfig()
        self.envs = [MoleculeEnv(self.config) for _ in range(num_envs)]

    def __len__(self) -> int:
        return len(self.envs)

    def reset(self, starts: list[str] | None = None) -> None:
        if starts is not None and len(starts) != len(self.envs):
            raise ValueError(
                f"argument 'starts' has {len(starts)} molecules for {len(self.envs)} environments"
            )
        for i, env in enumerate(self.envs):
            env.reset(None if starts is None else starts[i])

    @property
    def active(self) -> list[int]:
        return [i for i, env in enumerate(self.envs) if not env.done]

    def observe(self, indices: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stacked ``(bonds (B, A, A) int8, types (B, A) int8, n_atoms (B,) int64)``."""
        bonds = np.stack([self.envs[i].bonds for i in indices])
        types = np.stack([self.envs[i].types for i in indices])
        n_atoms = np.array([self.envs[i].n_atoms for i in indices], dtype=np.int64)
        return bonds, types, n_atoms

    def step(self, indices: list[int], actions: list[Action]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Step the environments ``indices``; returns ``(rewards, dones, valid)`` arrays."""
        out = [self.envs[i].step(a) for i, a in zip(indices, actions, strict=True)]
        rewards, dones, valid = zip(*out, strict=True) if out else ((), (), ())
        return np.array(rewards, dtype=np.float32), np.array(dones, dtype=bool), np.array(valid, dtype=bool)
