"""Molecular rewards of GCPN (notebook 06): penalized logP, QED, property windows, similarity.

Penalized logP as JT-VAE / GCPN define it, with ``SA`` the Ertl-Schuffenhauer synthetic
accessibility score (``rdkit/Contrib/SA_Score``) and ``cycle = max(0, largest ring size - 6)``::

    unnormalised:  logP - SA - cycle
    normalised:    (logP - mu_logP)/sd_logP + (-SA - mu_SA)/sd_SA + (-cycle - mu_cyc)/sd_cyc

with the published ZINC250k statistics below (``mu_SA`` and ``mu_cyc`` are means of ``-SA`` and
``-cycle``). Every function takes a SMILES string or an RDKit ``Mol``; invalid input raises
``ValueError`` naming the SMILES.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from functools import lru_cache
from types import ModuleType

import numpy as np
from rdkit import Chem, DataStructs, RDConfig, RDLogger
from rdkit.Chem import QED as _QED
from rdkit.Chem import Descriptors, rdFingerprintGenerator

# ZINC250k statistics used by JT-VAE and GCPN to normalise the three terms.
LOGP_MEAN, LOGP_STD = 2.4570953396190123, 1.434324401111988
SA_MEAN, SA_STD = -3.0525811293166134, 0.8335207024513095
CYCLE_MEAN, CYCLE_STD = -0.0485696876403053, 0.2860212110245455

#: GCPN's property-targeting windows (paper Table 2).
TARGET_WINDOWS: dict[str, tuple[str, float, float]] = {
    "logp[-2.5,-2]": ("logp", -2.5, -2.0),
    "logp[5,5.5]": ("logp", 5.0, 5.5),
    "mw[150,200]": ("mw", 150.0, 200.0),
    "mw[500,550]": ("mw", 500.0, 550.0),
}

_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2)


@lru_cache(maxsize=1)
def _sascorer() -> ModuleType:
    """Load RDKit's Contrib ``sascorer.py`` by path (it is not an importable package)."""
    path = f"{RDConfig.RDContribDir}/SA_Score/sascorer.py"
    spec = importlib.util.spec_from_file_location("lecturekit_sascorer", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"RDKit's SA_Score module {path} is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.readFragmentScores()
    return module


def to_mol(mol_or_smiles: str | Chem.Mol) -> Chem.Mol:
    """An RDKit molecule from a SMILES string or a ``Mol`` (ValueError when invalid)."""
    if isinstance(mol_or_smiles, Chem.Mol):
        return mol_or_smiles
    if not isinstance(mol_or_smiles, str):
        raise ValueError(f"expected a SMILES string or an RDKit Mol, got {type(mol_or_smiles).__name__}")
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(mol_or_smiles)
    if mol is None or mol.GetNumAtoms() == 0:
        raise ValueError(f"invalid SMILES {mol_or_smiles!r}")
    return mol


def logp(mol_or_smiles: str | Chem.Mol) -> float:
    """Crippen logP (RDKit ``MolLogP``)."""
    return float(Descriptors.MolLogP(to_mol(mol_or_smiles)))


def molecular_weight(mol_or_smiles: str | Chem.Mol) -> float:
    """Average molecular weight (RDKit ``MolWt``), used by the MW targeting windows."""
    return float(Descriptors.MolWt(to_mol(mol_or_smiles)))


def sa_score(mol_or_smiles: str | Chem.Mol) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard)."""
    return float(_sascorer().calculateScore(to_mol(mol_or_smiles)))


def cycle_penalty(mol_or_smiles: str | Chem.Mol) -> int:
    """``max(0, largest ring size - 6)``: GCPN's penalty for large rings."""
    mol = to_mol(mol_or_smiles)  # keep a reference: RingInfo does not own the molecule
    rings = mol.GetRingInfo().AtomRings()
    return max(0, max((len(r) for r in rings), default=0) - 6)


def penalized_logp(mol_or_smiles: str | Chem.Mol, normalized: bool = True) -> float:
    """Penalized logP; ``normalized=True`` is the ZINC-standardised JT-VAE/GCPN variant.

    C20 alkane: 6.455 normalised, 6.985 unnormalised; benzene 2.095 / 0.687 (RDKit 2026.09).
    """
    mol = to_mol(mol_or_smiles)
    lp, sa, cyc = logp(mol), -sa_score(mol), -float(cycle_penalty(mol))
    if not normalized:
        return lp + sa + cyc
    return (lp - LOGP_MEAN) / LOGP_STD + (sa - SA_MEAN) / SA_STD + (cyc - CYCLE_MEAN) / CYCLE_STD


def qed(mol_or_smiles: str | Chem.Mol) -> float:
    """Quantitative estimate of drug-likeness (Bickerton et al. 2012), in [0, 1]."""
    return float(_QED.qed(to_mol(mol_or_smiles)))


def in_window(mol_or_smiles: str | Chem.Mol, window: str) -> bool:
    """Whether the molecule's property lies in a :data:`TARGET_WINDOWS` window, e.g. ``"mw[150,200]"``."""
    if window not in TARGET_WINDOWS:
        raise KeyError(f"unknown target window {window!r}; known: {', '.join(TARGET_WINDOWS)}")
    prop, low, high = TARGET_WINDOWS[window]
    value = logp(mol_or_smiles) if prop == "logp" else molecular_weight(mol_or_smiles)
    return low <= value <= high


def target_reward(mol_or_smiles: str | Chem.Mol, window: str) -> float:
    """Property-targeting reward: 1 inside the window, decaying with the distance outside it.

    ``exp(-d / scale)`` with ``d`` the distance to the window and ``scale`` 1 logP unit / 50 Da.
    """
    if window not in TARGET_WINDOWS:
        raise KeyError(f"unknown target window {window!r}; known: {', '.join(TARGET_WINDOWS)}")
    prop, low, high = TARGET_WINDOWS[window]
    value = logp(mol_or_smiles) if prop == "logp" else molecular_weight(mol_or_smiles)
    scale = 1.0 if prop == "logp" else 50.0
    distance = max(low - value, 0.0, value - high)
    return math.exp(-distance / scale)


def fingerprint(mol_or_smiles: str | Chem.Mol) -> DataStructs.UIntSparseIntVect:
    """Morgan count fingerprint, radius 2 (the similarity of GCPN's constrained optimisation)."""
    return _MORGAN.GetSparseCountFingerprint(to_mol(mol_or_smiles))


def similarity(a: str | Chem.Mol, b: str | Chem.Mol) -> float:
    """Tanimoto similarity of Morgan count fingerprints (radius 2)."""
    return float(DataStructs.TanimotoSimilarity(fingerprint(a), fingerprint(b)))


def diversity(molecules: Sequence[str | Chem.Mol]) -> float:
    """Mean pairwise Tanimoto *distance* (1 - similarity); 0 for fewer than two molecules."""
    fps = [fingerprint(m) for m in molecules]
    if len(fps) < 2:
        return 0.0
    total, pairs = 0.0, 0
    for i in range(1, len(fps)):
        sims = DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])
        total += float(np.sum(1.0 - np.asarray(sims)))
        pairs += i
    return total / pairs


def task_score(smiles: str, task: str) -> float:
    """The property a GCPN task optimises: ``"qed"``, ``"plogp"`` (normalised penalized logP) or a
    :data:`TARGET_WINDOWS` name (the targeting reward). Raises ``KeyError`` for an unknown task."""
    if task == "qed":
        return qed(smiles)
    if task == "plogp":
        return penalized_logp(smiles)
    if task in TARGET_WINDOWS:
        return target_reward(smiles, task)
    raise KeyError(f"unknown task {task!r}; expected 'qed', 'plogp' or one of {', '.join(TARGET_WINDOWS)}")


class TaskReward:
    """Final-step reward for a batch of SMILES: ``scale * task_score``, ``invalid`` for ``""``.

    Scores are cached per SMILES because RL generates many duplicates. Used by notebook 06.
    """

    def __init__(self, task: str, scale: float = 1.0, invalid: float = -1.0) -> None:
        task_score("C", task)  # validate the name early
        self.task, self.scale, self.invalid = task, scale, invalid
        self.cache: dict[str, float] = {}

    def score(self, smiles: str) -> float:
        if smiles not in self.cache:
            try:
                self.cache[smiles] = task_score(smiles, self.task)
            except ValueError:
                self.cache[smiles] = float("nan")
        return self.cache[smiles]

    def __call__(self, smiles: Sequence[str]) -> np.ndarray:
        out = []
        for s in smiles:
            value = self.score(s) if s else float("nan")
            out.append(self.invalid if math.isnan(value) else self.scale * value)
        return np.asarray(out, dtype=np.float32)
