"""Molecule data for GCPN (notebook 06): atom vocabularies and the MOSES / NCI / ZINC250k loaders.

Every loader returns a :class:`MoleculeSet`: canonical, stereo-free SMILES of molecules that the
GCPN action space can build (connected, atoms in the vocabulary, at most ``max_atoms`` heavy atoms,
no radicals, at least one carbon to start from), plus counts of what was skipped and why. Bad input
never crashes a run and never turns silently into a different molecule: it is skipped and counted
under its reason (:data:`SKIP_REASONS`), and :meth:`MoleculeSet.summary` says how many were skipped.
A molecule is kept only if rebuilding it from its element symbols, formal charges and Kekulé bonds
(what the environment does) gives back the same canonical SMILES; isotopes or unusual explicit
hydrogens would not survive that, so such molecules are skipped as ``"not_rebuildable"``.

File formats
------------
* MOSES (``molsets`` package, read without importing it): ``moses/dataset/data/{train,test}.csv.gz``,
  a CSV with a ``SMILES`` header.
* NCI (ships with RDKit): ``rdkit/Data/NCI/first_5K.smi``, ``SMILES<TAB>id`` per line, no header.
* ZINC250k (user supplied): either the usual CSV with a ``smiles`` column (any case; extra columns
  such as ``logP,qed,SAS`` are ignored; SMILES may carry a trailing newline inside quotes), or a
  plain SMILES list, one per line (anything after the first whitespace is ignored).
* A user-supplied SMILES list (:func:`load_smiles_file`), e.g. the paper's 800 ZINC start molecules
  of constrained optimisation (JT-VAE's ``opt.test.logP-SA``: ``SMILES score`` per line): one SMILES
  per line, anything after the first whitespace ignored, blank lines and ``#`` comments skipped.
  Skipped molecules are counted and the first of them named by line number.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from rdkit import Chem, RDLogger

from lecturekit.data.errors import DataFormatError, read_text

AtomType = tuple[str, int]  # (element symbol, formal charge)

#: The seven element types of MOSES (no charges in MOSES).
MOSES_VOCAB: tuple[AtomType, ...] = (
    ("C", 0),
    ("N", 0),
    ("O", 0),
    ("S", 0),
    ("F", 0),
    ("Cl", 0),
    ("Br", 0),
)
#: Notebook 06's vocabulary: MOSES's seven elements plus the charged forms ZINC's molecules carry
#: (``[NH3+]``, ``[nH+]``, ``[O-]``, ``[n-]``, ``[S-]``), so the paper's 800 constrained-optimisation starts load
#: (798 of 800 kept; one iodine and one ``[O+]`` are not). MOSES itself has no charges.
GCPN_VOCAB: tuple[AtomType, ...] = (*MOSES_VOCAB, ("N", 1), ("O", -1), ("N", -1), ("S", -1))
#: The ZINC250k vocabulary GCPN uses (nine elements plus the charged forms present in ZINC/NCI).
ZINC_VOCAB: tuple[AtomType, ...] = (
    ("C", 0),
    ("N", 0),
    ("O", 0),
    ("S", 0),
    ("P", 0),
    ("F", 0),
    ("Cl", 0),
    ("Br", 0),
    ("I", 0),
    ("N", 1),
    ("N", -1),
    ("O", -1),
    ("O", 1),
    ("S", 1),
    ("S", -1),
    ("C", -1),
)

BOND_TYPES: tuple[Chem.BondType, ...] = (Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE)


@cache
def max_valence(atom_type: AtomType) -> int:
    """Largest valence RDKit allows for ``(element, charge)``.

    A charged atom behaves like its isoelectronic neutral element (N+ like C, O- like F), so the
    allowed valence is that of atomic number ``Z - charge``.
    """
    symbol, charge = atom_type
    table = Chem.GetPeriodicTable()
    z = table.GetAtomicNumber(symbol) - charge
    if z < 1:
        raise ValueError(f"atom type {atom_type!r} has no neutral isoelectronic element")
    valences = [v for v in table.GetValenceList(z) if v >= 0]
    if not valences:
        raise ValueError(f"RDKit gives no fixed valence for atom type {atom_type!r}")
    return max(valences)


#: Why an input molecule was skipped (keys of :attr:`MoleculeSet.skipped`).
SKIP_REASONS: dict[str, str] = {
    "invalid": "SMILES RDKit rejects",
    "not_kekulisable": "aromatic systems RDKit cannot kekulise",
    "charged": "charged atoms outside the vocabulary",
    "atom_type": "elements outside the vocabulary",
    "not_rebuildable": "molecules the action space would rebuild differently (isotopes, odd hydrogens, bond types)",
    "radical": "radicals",
    "valence": "atoms above the valence the environment allows",
    "too_many_atoms": "more heavy atoms than max_atoms",
    "disconnected": "disconnected molecules (salts, mixtures)",
    "no_carbon": "molecules without a carbon to start from",
    "empty": "empty molecules",
    "duplicate": "duplicates",
}


@dataclass
class MoleculeSet:
    """Canonical SMILES of buildable molecules and the counts of skipped inputs (notebook 06)."""

    smiles: list[str]
    source: str
    skipped: Counter = field(default_factory=Counter)
    #: ``(item number from 1 -- the line number for a one-per-line file, reason)`` of the first skips
    skipped_at: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.smiles)

    def summary(self) -> str:
        """One line: how many molecules were kept and how many were skipped, by reason."""
        total = sum(self.skipped.values())
        if not total:
            return f"{self.source}: kept {len(self)} molecules, skipped none"
        reasons = ", ".join(f"{n} {SKIP_REASONS.get(k, k)}" for k, n in self.skipped.most_common())
        where = ""
        if self.skipped_at:
            first = ", ".join(f"{i} ({k})" for i, k in self.skipped_at[:5])
            where = f"; first skipped at item {first}"
        return f"{self.source}: kept {len(self)} molecules, skipped {total} ({reasons}{where})"


def parse(text: str) -> tuple[Chem.Mol | None, str | None]:
    """``(molecule, None)`` for a SMILES RDKit accepts, else ``(None, reason)`` with reason
    ``"invalid"`` (syntax, valence) or ``"not_kekulisable"`` (an aromatic system without a Kekulé form)."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None, "invalid"
    try:
        Chem.SanitizeMol(mol)
    except Chem.KekulizeException:
        return None, "not_kekulisable"
    except Exception:  # noqa: BLE001 - RDKit raises several sanitisation errors; all mean "rejected"
        return None, "invalid"
    Chem.AssignStereochemistry(mol, cleanIt=True, force=True)  # as MolFromSmiles does when it sanitises
    return mol, None


def rebuilt(mol: Chem.Mol) -> Chem.Mol | None:
    """``mol`` rebuilt as the environment builds it: element symbols, formal charges and Kekulé
    single/double/triple bonds, hydrogens implicit; ``None`` when that is impossible."""
    kekule = Chem.Mol(mol)
    try:
        Chem.Kekulize(kekule, clearAromaticFlags=True)
    except Chem.KekulizeException:
        return None
    out = Chem.RWMol()
    for atom in kekule.GetAtoms():
        new = Chem.Atom(atom.GetSymbol())
        new.SetFormalCharge(atom.GetFormalCharge())
        out.AddAtom(new)
    for bond in kekule.GetBonds():
        if bond.GetBondType() not in BOND_TYPES:
            return None
        out.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond.GetBondType())
    try:
        result = out.GetMol()
        Chem.SanitizeMol(result)
    except Exception:  # noqa: BLE001 - any sanitisation failure: not buildable as is
        return None
    return result


def canonical(smiles_or_mol: str | Chem.Mol) -> str | None:
    """Canonical SMILES without stereochemistry, or ``None`` when RDKit cannot parse it."""
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles_or_mol) if isinstance(smiles_or_mol, str) else Chem.Mol(smiles_or_mol)
    if mol is None:
        return None
    Chem.RemoveStereochemistry(mol)
    return Chem.MolToSmiles(mol)


def check_buildable(mol: Chem.Mol, vocab: Sequence[AtomType], max_atoms: int) -> str | None:
    """Why ``mol`` cannot be built by the GCPN action space, or ``None`` when it can."""
    types = set(vocab)
    if mol.GetNumAtoms() == 0:
        return "empty"
    if mol.GetNumAtoms() > max_atoms:
        return "too_many_atoms"
    if len(Chem.GetMolFrags(mol)) > 1:
        return "disconnected"
    has_carbon = False
    elements = {symbol for symbol, _ in types}
    for atom in mol.GetAtoms():
        key = (atom.GetSymbol(), atom.GetFormalCharge())
        if key not in types:
            return "charged" if key[1] != 0 and key[0] in elements else "atom_type"
        if atom.GetNumRadicalElectrons():
            return "radical"
        if atom.GetTotalValence() > max_valence(key) or atom.GetDegree() > max_valence(key):
            return "valence"
        has_carbon |= key == ("C", 0)
    if not has_carbon:
        return "no_carbon"
    again = rebuilt(mol)
    if again is None or canonical(again) != canonical(mol):
        return "not_rebuildable"
    return None


def filter_smiles(
    smiles: Iterable[str],
    vocab: Sequence[AtomType] = MOSES_VOCAB,
    max_atoms: int = 38,
    limit: int | None = None,
    source: str = "smiles",
) -> MoleculeSet:
    """Parse, canonicalise and keep the buildable molecules (duplicates dropped, first ``limit``).

    ``max_atoms`` must be a positive int (a molecule needs a carbon to start from); ``limit`` is
    ``None`` or a positive int. An input with nothing buildable gives an empty set: the file
    loaders below turn that into an error naming the file.
    """
    if isinstance(max_atoms, bool) or not isinstance(max_atoms, int | np.integer) or max_atoms < 1:
        raise ValueError(f"argument 'max_atoms' must be a positive int, got {max_atoms!r}")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int | np.integer) or limit < 1
    ):
        raise ValueError(f"argument 'limit' must be None or a positive int, got {limit!r}")
    RDLogger.DisableLog("rdApp.*")
    kept: list[str] = []
    seen: set[str] = set()
    skipped: Counter = Counter()
    skipped_at: list[tuple[int, str]] = []
    for number, raw in enumerate(smiles, start=1):
        if limit is not None and len(kept) >= limit:
            break
        text = raw.strip()
        if not text:
            continue
        mol, reason = parse(text)
        if reason is None:
            reason = check_buildable(mol, vocab, max_atoms)
        if reason is None:
            can = canonical(mol)
            if can in seen:
                reason = "duplicate"
        if reason is not None:
            skipped[reason] += 1
            if len(skipped_at) < 20:
                skipped_at.append((number, reason))
            continue
        seen.add(can)
        kept.append(can)
    return MoleculeSet(kept, source, skipped, skipped_at)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed (needed for its data files)")
    return Path(list(spec.submodule_search_locations)[0])


def moses_path(split: str = "train") -> Path:
    """Path of MOSES ``train``/``test`` CSV inside the installed ``molsets`` package (not imported)."""
    if split not in ("train", "test", "test_scaffolds"):
        raise ValueError(f"argument 'split' must be 'train', 'test' or 'test_scaffolds', got {split!r}")
    path = _package_dir("moses") / "dataset" / "data" / f"{split}.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"MOSES file {path} is missing; install molsets==0.3.1 --no-deps")
    return path


def read_csv_smiles(handle: io.TextIOBase, path: Path | str) -> Iterable[str]:
    """The ``smiles`` column (any case); a quoted field left open at the end is an error naming the line."""
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        lowered = [h.strip().lower() for h in header]
        if "smiles" not in lowered:
            raise KeyError(f"{path}: no 'smiles' column in header {header}")
        col = lowered.index("smiles")
        for row in reader:
            if len(row) > col:
                yield row[col]
    except csv.Error as err:
        raise DataFormatError(f"{path}, line {reader.line_num}: {err} (a truncated file?)") from None


def _require_molecules(molecules: MoleculeSet, path: Path | str) -> MoleculeSet:
    """``molecules``, or a ``ValueError`` naming ``path`` when nothing in it could be kept."""
    if not len(molecules):
        found = "no SMILES at all (empty or header only)" if not molecules.skipped else molecules.summary()
        raise ValueError(f"{path}: no usable molecule: {found}")
    return molecules


def load_moses(
    split: str = "train",
    limit: int | None = None,
    max_atoms: int = 38,
    sample: int | None = None,
    seed: int = 0,
) -> MoleculeSet:
    """MOSES molecules (``split`` train/test). Used by notebook 06.

    ``limit`` keeps the first buildable molecules in file order; ``sample`` instead draws that many
    lines uniformly at random (seeded) from the whole file before filtering.
    """
    path = moses_path(split)
    with gzip.open(path, "rt") as handle:
        rows = list(read_csv_smiles(handle, path)) if sample else None
        if rows is not None:
            idx = np.random.default_rng(seed).choice(len(rows), size=min(sample, len(rows)), replace=False)
            found = filter_smiles(
                (rows[i] for i in sorted(idx)), MOSES_VOCAB, max_atoms, None, f"moses-{split}"
            )
        else:
            found = filter_smiles(
                read_csv_smiles(handle, path), MOSES_VOCAB, max_atoms, limit, f"moses-{split}"
            )
    return _require_molecules(found, path)


@cache
def moses_reference(split: str = "train") -> frozenset[str]:
    """Every SMILES of a whole MOSES split as written in the file, for novelty (notebook 06).

    The file's SMILES are RDKit-canonical without stereochemistry, the form :func:`canonical` gives
    (checked on a sample by the tests), so a generated molecule is novel when its canonical SMILES is
    not in this set; parsing all 1.6 million training molecules again would take minutes.
    """
    path = moses_path(split)
    with gzip.open(path, "rt") as handle:
        return frozenset(s.strip() for s in read_csv_smiles(handle, path))


def nci_path() -> Path:
    """RDKit's ``Data/NCI/first_5K.smi``."""
    from rdkit import RDConfig

    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    if not path.is_file():
        raise FileNotFoundError(f"RDKit's NCI file {path} is missing")
    return path


def read_smiles_list(handle: io.TextIOBase) -> Iterable[str]:
    """The first field of each line of a SMILES list; blank lines and ``#`` comments are left out."""
    for line in handle:
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            yield parts[0]


def load_nci(
    limit: int | None = None, max_atoms: int = 38, vocab: Sequence[AtomType] = ZINC_VOCAB
) -> MoleculeSet:
    """The NCI molecules RDKit ships, filtered to ``vocab`` (fallback data set of notebook 06)."""
    with nci_path().open() as handle:
        return _require_molecules(
            filter_smiles(read_smiles_list(handle), vocab, max_atoms, limit, "nci"), nci_path()
        )


def load_zinc250k(
    path: str | Path,
    limit: int | None = None,
    max_atoms: int = 38,
    vocab: Sequence[AtomType] = ZINC_VOCAB,
) -> MoleculeSet:
    """ZINC250k from a user-supplied CSV (``smiles`` column) or SMILES list (``.smi``/``.txt``, gz ok)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"ZINC250k file {path} does not exist")
    # strict decoding: a fake .gz or a non-UTF-8 byte is an error naming the file (and the line)
    with io.StringIO(read_text(path), newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        looks_csv = "," in first or path.name.lower().endswith((".csv", ".csv.gz"))
        if looks_csv:
            return _require_molecules(
                filter_smiles(read_csv_smiles(handle, path), vocab, max_atoms, limit, "zinc250k"), path
            )
        lines = read_smiles_list(handle)
        if first.strip().lower() in ("smiles", "smi"):
            lines = itertools.islice(lines, 1, None)
        return _require_molecules(filter_smiles(lines, vocab, max_atoms, limit, "zinc250k"), path)


def load_smiles_file(
    path: str | Path, vocab: Sequence[AtomType] = MOSES_VOCAB, max_atoms: int = 38, limit: int | None = None
) -> MoleculeSet:
    """A user-supplied SMILES list, one per line (see the module docstring); gz files are read too.

    Bad molecules (SMILES RDKit rejects, charged atoms or elements outside ``vocab``, aromatic systems
    that cannot be kekulised, ...) are skipped and counted, and :meth:`MoleculeSet.summary` names the
    line numbers of the first. A missing file is a ``FileNotFoundError`` naming it; a file without a
    single SMILES, or none that can be kept, a ``ValueError`` naming it. LF, CRLF and CR line ends
    read alike (``lecturekit.data.errors.read_text``).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SMILES file {path} does not exist")
    with io.StringIO(read_text(path)) as handle:
        # one item per line (blank and comment lines as empty items) so item numbers are line numbers
        items = [
            ("" if not line.split() or line.lstrip().startswith("#") else line.split()[0]) for line in handle
        ]
    if not any(items):
        raise ValueError(f"SMILES file {path} holds no SMILES")
    return _require_molecules(filter_smiles(items, vocab, max_atoms, limit, path.name), path)
