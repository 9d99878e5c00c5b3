"""Molecular rewards of GCPN (notebook 06): penalized logP, QED, property windows, similarity, and the
paper's terminal terms (validity reward, steric-strain and ZINC substructure filters).

Penalized logP as JT-VAE / GCPN's reference evaluation code define it, with ``SA`` the
Ertl-Schuffenhauer synthetic accessibility score (``rdkit/Contrib/SA_Score``) and
``cycle = max(0, largest ring size - 6)``, where the largest ring is the longest cycle of a
*cycle basis* of the molecular graph (networkx ``cycle_basis`` of RDKit's adjacency matrix), not of
RDKit's smallest set of smallest rings: the two differ on bridged polycycles (adamantane's cycle basis
holds an 8-cycle, its SSSR only 6-rings)::

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

import networkx as nx
import numpy as np
from rdkit import Chem, DataStructs, RDConfig, RDLogger
from rdkit.Chem import QED as _QED
from rdkit.Chem import AllChem, Descriptors, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

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

#: Forms of the targeting reward: the reference code's piecewise-linear peak, or the smooth
#: exponential decay used before (kept as an ablation).
TARGET_FORMS = ("reference", "exp")

# 2048-bit Morgan bit vectors of radius 2, as the constrained-optimisation evaluation of JT-VAE/GCPN.
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)

#: The paper's terminal terms (reference code): +2 for a valid final molecule, -5 when it is not
#: valid, -1 when it fails the steric-strain filter, -1 when it matches a ZINC substructure filter.
VALID_REWARD, INVALID_PENALTY, FILTER_PENALTY = 2.0, 5.0, 1.0
#: Steric-strain filter (reference code): mean MMFF94 angle-bend energy per angle, kcal/mol, after
#: at most 200 minimisation steps from an embedding found within 20 attempts.
STRAIN_CUTOFF, STRAIN_EMBED_ATTEMPTS, STRAIN_MINIMISE_STEPS = 0.82, 20, 200
STRAIN_EMBED_SEED = 0  # fixed so the verdict is reproducible (the reference leaves it random)


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
    """Exact (monoisotopic) molecular weight, RDKit ``CalcExactMolWt``, as the reference code's MW
    targeting uses (heavy atoms plus implicit hydrogens)."""
    return float(rdMolDescriptors.CalcExactMolWt(to_mol(mol_or_smiles)))


def sa_score(mol_or_smiles: str | Chem.Mol) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard)."""
    return float(_sascorer().calculateScore(to_mol(mol_or_smiles)))


def largest_ring(mol_or_smiles: str | Chem.Mol) -> int:
    """Length of the longest cycle in a cycle basis of the molecular graph (0 without rings).

    The graph is built from RDKit's adjacency matrix (nodes in atom order), as the reference code
    does, because which cycles a basis holds depends on that order.
    """
    graph = nx.from_numpy_array(Chem.GetAdjacencyMatrix(to_mol(mol_or_smiles)))
    return max((len(cycle) for cycle in nx.cycle_basis(graph)), default=0)


def cycle_penalty(mol_or_smiles: str | Chem.Mol) -> int:
    """``max(0, largest ring size - 6)``: GCPN's penalty for large rings (ring from a cycle basis)."""
    return ring_penalty(largest_ring(mol_or_smiles))


def ring_penalty(largest_ring_size: int) -> int:
    """``max(0, size - 6)``: rings of up to six atoms cost nothing."""
    return max(0, int(largest_ring_size) - 6)


def penalized_logp(mol_or_smiles: str | Chem.Mol, normalized: bool = True) -> float:
    """Penalized logP; ``normalized=True`` is the ZINC-standardised JT-VAE/GCPN variant.

    C20 alkane: 6.455 normalised, 6.985 unnormalised; benzene 2.095 / 0.687 (RDKit 2026.09).
    """
    mol = to_mol(mol_or_smiles)
    return penalized_logp_from_terms(logp(mol), sa_score(mol), largest_ring(mol), normalized)


def penalized_logp_from_terms(
    logp_value: float, sa: float, largest_ring_size: int, normalized: bool = True
) -> float:
    """Penalized logP from its three ingredients: Crippen logP, the SA score and the largest ring's size
    (of a cycle basis, 0 without rings). Notebook 06's exercise; :func:`penalized_logp` reads them off a molecule."""
    lp, sa_term, cyc = float(logp_value), -float(sa), -float(ring_penalty(largest_ring_size))
    if not normalized:
        return lp + sa_term + cyc
    return (lp - LOGP_MEAN) / LOGP_STD + (sa_term - SA_MEAN) / SA_STD + (cyc - CYCLE_MEAN) / CYCLE_STD


def logp_minus_sa(mol_or_smiles: str | Chem.Mol) -> float:
    """Crippen logP minus the SA score: JT-VAE's score for choosing the constrained-optimisation starts
    (``opt.test.logP-SA``). Unlike :func:`penalized_logp` it does not depend on the atom order (the
    cycle-basis ring term does: one molecule scores -16.33 and +1.16 under two atom numberings)."""
    mol = to_mol(mol_or_smiles)
    return logp(mol) - sa_score(mol)


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


def target_reward(mol_or_smiles: str | Chem.Mol, window: str, form: str = "reference") -> float:
    """Property-targeting reward for a :data:`TARGET_WINDOWS` window.

    ``form="reference"`` (the reference code's): a peak of 4 at the window's centre ``c`` falling to 2
    at its edges, then more slowly, never below -2. With half-width ``h`` and ``d = |x - c|``::

        max(4 - 2 d / h,  2.25 - 0.25 d / h,  -2)

    ``form="exp"`` (ablation): 1 inside the window, ``exp(-distance / scale)`` outside, scale 1 logP
    unit / 50 Da.
    """
    if window not in TARGET_WINDOWS:
        raise KeyError(f"unknown target window {window!r}; known: {', '.join(TARGET_WINDOWS)}")
    if form not in TARGET_FORMS:
        raise ValueError(f"argument 'form' must be one of {TARGET_FORMS}, got {form!r}")
    prop, low, high = TARGET_WINDOWS[window]
    value = logp(mol_or_smiles) if prop == "logp" else molecular_weight(mol_or_smiles)
    if form == "reference":
        centre, half = (low + high) / 2, (high - low) / 2
        d = abs(value - centre)
        return max(4.0 - 2.0 * d / half, 2.25 - 0.25 * d / half, -2.0)
    scale = 1.0 if prop == "logp" else 50.0
    distance = max(low - value, 0.0, value - high)
    return math.exp(-distance / scale)


def fingerprint(mol_or_smiles: str | Chem.Mol) -> DataStructs.ExplicitBitVect:
    """Morgan bit vector, radius 2, 2048 bits (the similarity of GCPN's constrained optimisation)."""
    return _MORGAN.GetFingerprint(to_mol(mol_or_smiles))


def similarity(a: str | Chem.Mol, b: str | Chem.Mol) -> float:
    """Tanimoto similarity of 2048-bit Morgan fingerprints (radius 2)."""
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


@lru_cache(maxsize=1)
def _zinc_catalog() -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.ZINC)
    return FilterCatalog(params)


def zinc_filter_ok(mol_or_smiles: str | Chem.Mol) -> bool:
    """Whether the molecule matches none of RDKit's ZINC substructure filters (problematic groups)."""
    return not _zinc_catalog().HasMatch(to_mol(mol_or_smiles))


def angle_strain(mol_or_smiles: str | Chem.Mol) -> float:
    """Mean MMFF94 angle-bend energy per angle (kcal/mol) after minimisation; ``inf`` when the molecule
    cannot be embedded in 3D or MMFF has no parameters for it; 0 for fewer than three atoms."""
    mol = to_mol(mol_or_smiles)
    if mol.GetNumAtoms() <= 2:  # no angles
        return 0.0
    with_h = Chem.AddHs(mol)
    try:
        if (
            AllChem.EmbedMolecule(with_h, maxAttempts=STRAIN_EMBED_ATTEMPTS, randomSeed=STRAIN_EMBED_SEED)
            == -1
        ):
            return math.inf
        props = AllChem.MMFFGetMoleculeProperties(with_h)
        if props is None:
            return math.inf
        AllChem.MMFFGetMoleculeForceField(with_h, props).Minimize(maxIts=STRAIN_MINIMISE_STEPS)
    except (ValueError, RuntimeError):  # RDKit's embedding/force-field errors: the filter fails
        return math.inf
    # Only the angle-bend term: the strain of bond angles forced away from their preferred values.
    for term in ("Bond", "StretchBend", "Oop", "Torsion", "VdW", "Ele"):
        getattr(props, f"SetMMFF{term}Term")(False)
    props.SetMMFFAngleTerm(True)
    energy = AllChem.MMFFGetMoleculeForceField(with_h, props).CalcEnergy()
    angles = sum(a.GetDegree() * (a.GetDegree() - 1) // 2 for a in with_h.GetAtoms())
    return energy / angles


def strain_ok(mol_or_smiles: str | Chem.Mol) -> bool:
    """The reference code's steric-strain filter: mean angle-bend energy below :data:`STRAIN_CUTOFF`."""
    return angle_strain(mol_or_smiles) < STRAIN_CUTOFF


def terminal_reward(smiles: str) -> float:
    """The paper's terminal terms for a final molecule (``""`` when invalid): see :data:`VALID_REWARD`."""
    if not smiles or Chem.MolFromSmiles(smiles) is None:
        return VALID_REWARD - INVALID_PENALTY
    return (
        VALID_REWARD
        - FILTER_PENALTY * (not strain_ok(smiles))
        - FILTER_PENALTY * (not zinc_filter_ok(smiles))
    )


def task_score(smiles: str, task: str, target_form: str = "reference") -> float:
    """The property a GCPN task optimises: ``"qed"``, ``"plogp"`` (normalised penalized logP) or a
    :data:`TARGET_WINDOWS` name (the targeting reward of ``target_form``). Raises ``KeyError`` for an
    unknown task."""
    if task == "qed":
        return qed(smiles)
    if task == "plogp":
        return penalized_logp(smiles)
    if task in TARGET_WINDOWS:
        return target_reward(smiles, task, target_form)
    raise KeyError(f"unknown task {task!r}; expected 'qed', 'plogp' or one of {', '.join(TARGET_WINDOWS)}")


class TaskReward:
    """Property reward for a batch of SMILES: ``scale * task_score``, ``invalid`` for ``""``.

    With ``paper_terms`` the trainer adds :meth:`terminal` to the last step of every episode: the
    paper's validity reward and filter penalties (:func:`terminal_reward`). They are kept apart from
    the property because reward shaping evaluates the property on every partial molecule, and the
    strain filter (a 3D embedding) is far too slow for that. Scores are cached per SMILES because RL
    generates many duplicates. Used by notebook 06.
    """

    def __init__(
        self,
        task: str,
        scale: float = 1.0,
        invalid: float = -1.0,
        paper_terms: bool = False,
        target_form: str = "reference",
    ) -> None:
        if target_form not in TARGET_FORMS:
            raise ValueError(f"argument 'target_form' must be one of {TARGET_FORMS}, got {target_form!r}")
        task_score("C", task)  # validate the name early
        self.task, self.scale, self.invalid = task, scale, invalid
        self.paper_terms, self.target_form = paper_terms, target_form
        self.cache: dict[str, float] = {}
        self.terminal_cache: dict[str, float] = {}

    def score(self, smiles: str) -> float:
        if smiles not in self.cache:
            try:
                self.cache[smiles] = task_score(smiles, self.task, self.target_form)
            except ValueError:
                self.cache[smiles] = float("nan")
        return self.cache[smiles]

    def terminal(self, smiles: Sequence[str]) -> np.ndarray:
        """The paper's terminal terms for final molecules; zeros without ``paper_terms``."""
        if not self.paper_terms:
            return np.zeros(len(smiles), dtype=np.float32)
        for s in smiles:
            if s not in self.terminal_cache:
                self.terminal_cache[s] = terminal_reward(s)
        return np.asarray([self.terminal_cache[s] for s in smiles], dtype=np.float32)

    def __call__(self, smiles: Sequence[str]) -> np.ndarray:
        out = []
        for s in smiles:
            value = self.score(s) if s else float("nan")
            out.append(self.invalid if math.isnan(value) else self.scale * value)
        return np.asarray(out, dtype=np.float32)
