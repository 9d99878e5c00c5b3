"""Polypharmacy side-effect graphs: the BioSNAP Decagon files and a planted synthetic world.

Both builders return a PyG ``HeteroData`` with the same layout (used by ``notebooks/04_decagon.ipynb``):

* node types ``drug`` (``num_nodes``, ``x`` = mono side-effect multi-hot features, ``names``) and
  ``protein`` (``num_nodes``, ``names``);
* ``("protein", "interacts", "protein").edge_index`` -- the PPI, both directions;
* ``("drug", "targets", "protein").edge_index`` and its reverse ``("protein", "targeted_by", "drug")``;
* ``("drug", "side_effect", "drug").edge_index`` -- every (unordered drug pair, side effect) once, stored
  with ``i < j``, and ``.edge_type`` -- the side-effect index into ``data.side_effect_names``.

The real files (Zitnik et al. 2018, http://snap.stanford.edu/decagon) have no redistribution licence: the
user supplies the folder; nothing is downloaded or committed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import HeteroData

from lecturekit.data.errors import line_of, normalize_newlines

COMBO = "bio-decagon-combo.csv"
PPI = "bio-decagon-ppi.csv"
TARGETS = "bio-decagon-targets.csv"
TARGETS_ALL = "bio-decagon-targets-all.csv"
MONO = "bio-decagon-mono.csv"

_HEADERS = {
    COMBO: ["STITCH 1", "STITCH 2", "Polypharmacy Side Effect", "Side Effect Name"],
    PPI: ["Gene 1", "Gene 2"],
    TARGETS: ["STITCH", "Gene"],
    TARGETS_ALL: ["STITCH", "Gene"],
    MONO: ["STITCH", "Individual Side Effect", "Side Effect Name"],
}

DDI = ("drug", "side_effect", "drug")
PPI_EDGE = ("protein", "interacts", "protein")
TARGET_EDGE = ("drug", "targets", "protein")
TARGETED_BY = ("protein", "targeted_by", "drug")


def _read_rows(path: Path, header: list[str], required: int = 2) -> list[list[str]]:
    """Read a BioSNAP CSV, checking the header and every row; errors name the file and line.

    Refused with ``ValueError`` naming ``path`` (and the line where a row is at fault): a compressed
    file (extract it first), bytes that are not UTF-8, an empty file (or only a byte-order mark), a
    wrong header, ragged rows, an empty value in the first ``required`` columns, NUL bytes, a last
    line cut inside a quoted field, and a file holding only its header. A UTF-8 byte-order mark is
    accepted; blank lines are skipped but counted, so line numbers are the file's own; LF, CRLF and
    lone CR line ends parse identically.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found (expected a BioSNAP Decagon file)")
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b" or data[:4] == b"PK\x03\x04":
        kind = "gzip" if data[:2] == b"\x1f\x8b" else "zip"
        raise ValueError(f"{path}:1: this is a {kind}-compressed file, not CSV text; extract the CSV first")
    try:
        text = normalize_newlines(data.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as err:
        column = err.start - max(data.rfind(b"\n", 0, err.start), data.rfind(b"\r", 0, err.start))
        raise ValueError(
            f"{path}:{line_of(data, err.start)}: byte {data[err.start]:#04x} at column {column} is not UTF-8 "
            "(save the file as UTF-8)"
        ) from None
    if not text.strip():
        raise ValueError(f"{path}:1: empty file, expected header {','.join(header)!r}")
    reader = csv.reader(io.StringIO(text, newline="\n"), strict=True)
    rows: list[list[str]] = []
    seen_header, line = False, 1  # line: where the record being read starts
    try:
        for row in reader:
            line, start = reader.line_num + 1, line
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line (e.g. a trailing newline)
            if not seen_header:
                if [c.strip() for c in row] != header:
                    raise ValueError(
                        f"{path}:{start}: header is {','.join(row)!r}, expected {','.join(header)!r}"
                    )
                seen_header = True
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{path}:{start}: expected {len(header)} fields ({','.join(header)}), got {len(row)}"
                )
            row = [c.strip() for c in row]
            for name, cell in zip(header, row, strict=True):
                if "\x00" in cell:  # csv reads NUL bytes into the cell: an id would silently differ
                    raise ValueError(
                        f"{path}:{start}: NUL byte in column {name!r} (a corrupt or binary file?)"
                    )
            for name, cell in zip(header[:required], row[:required], strict=True):
                if not cell:
                    raise ValueError(f"{path}:{start}: empty value in column {name!r}")
            rows.append(row)
    except csv.Error as err:
        cut = (
            " (a quoted field opened there is never closed: a truncated file?)"
            if "end of data" in str(err)
            else ""
        )
        raise ValueError(f"{path}:{line}: {err}{cut}") from None
    if not rows:
        raise ValueError(f"{path}: only a header, no data rows (a truncated download or export?)")
    return rows


def load_biosnap(folder: str | Path, min_pairs: int = 500, targets: str = TARGETS) -> HeteroData:
    """Load the BioSNAP Decagon files from ``folder`` into a ``HeteroData`` (layout: module docstring).

    Args:
        folder: directory holding ``bio-decagon-combo.csv``, ``-ppi.csv``, ``-targets.csv`` (or the file
            named by ``targets``, e.g. ``bio-decagon-targets-all.csv``) and ``-mono.csv``.
        min_pairs: keep side effects with at least this many distinct drug pairs (500 gives the paper's 964).
        targets: which drug-target file to read.

    Drugs are those in the combo file (645 in the real data); proteins are the union of PPI and target genes;
    drug-target rows of drugs outside the combo file are dropped. ``data.side_effect_names`` lists the kept
    side effects (``"C0000000 name"``) in index order; ``data.side_effect_ids`` the bare ids.
    ``data.skipped`` counts every record left out, by reason (self-pairs, rows of drugs outside the combo
    file, repeated pairs, side effects below ``min_pairs``), so nothing is dropped unseen.
    Raises ``FileNotFoundError`` / ``ValueError`` naming the file and line for missing or malformed input,
    and ``ValueError`` saying what was filtered when no side effect keeps ``min_pairs`` pairs.
    Used by ``notebooks/04_decagon.ipynb`` (when the user sets the BioSNAP folder).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"argument 'folder': {folder} is not a directory")
    if not isinstance(min_pairs, int) or min_pairs < 1:
        raise ValueError(f"argument 'min_pairs' must be a positive int, got {min_pairs!r}")
    if targets not in (TARGETS, TARGETS_ALL):
        raise ValueError(f"argument 'targets' must be {TARGETS!r} or {TARGETS_ALL!r}, got {targets!r}")

    combo = _read_rows(folder / COMBO, _HEADERS[COMBO], required=3)  # the side effect id too
    ppi = _read_rows(folder / PPI, _HEADERS[PPI])
    drug_targets = _read_rows(folder / targets, _HEADERS[targets])
    mono = _read_rows(folder / MONO, _HEADERS[MONO])

    drugs = sorted({r[0] for r in combo} | {r[1] for r in combo})
    drug_id = {d: i for i, d in enumerate(drugs)}
    # Distinct unordered pairs per side effect (the file may list a pair in both orders).
    pairs: dict[str, set[tuple[int, int]]] = {}
    names: dict[str, str] = {}
    combo_self_pairs = 0
    for a, b, se, name in combo:
        i, j = drug_id[a], drug_id[b]
        if i == j:
            combo_self_pairs += 1
            continue
        pairs.setdefault(se, set()).add((min(i, j), max(i, j)))
        names.setdefault(se, name)
    kept = sorted(se for se, p in pairs.items() if len(p) >= min_pairs)
    if not kept:
        largest = max((len(p) for p in pairs.values()), default=0)
        raise ValueError(
            f"{folder / COMBO}: no side effect left after filtering: all {len(pairs)} side effects have fewer "
            f"than min_pairs={min_pairs} distinct drug pairs (the largest has {largest}); lower 'min_pairs'"
        )
    num_pairs = sum(len(p) for p in pairs.values())
    skipped = {
        "combo rows pairing a drug with itself": combo_self_pairs,
        "combo rows repeating a (pair, side effect)": len(combo) - combo_self_pairs - num_pairs,
        f"side effects with fewer than min_pairs={min_pairs} pairs": len(pairs) - len(kept),
        "drug pairs of those side effects": sum(len(p) for se, p in pairs.items() if len(p) < min_pairs),
        "ppi rows pairing a gene with itself": sum(1 for a, b in ppi if a == b),
        f"{targets} rows of drugs outside the combo file": sum(
            1 for r in drug_targets if r[0] not in drug_id
        ),
        "mono rows of drugs outside the combo file": sum(1 for r in mono if r[0] not in drug_id),
    }

    genes = sorted({g for r in ppi for g in r} | {r[1] for r in drug_targets if r[0] in drug_id})
    gene_id = {g: i for i, g in enumerate(genes)}

    data = HeteroData()
    data["drug"].num_nodes = len(drugs)
    data["drug"].names = drugs
    data["protein"].num_nodes = len(genes)
    data["protein"].names = genes

    ppi_pairs = {(min(gene_id[a], gene_id[b]), max(gene_id[a], gene_id[b])) for a, b in ppi if a != b}
    data[PPI_EDGE].edge_index = _both_directions(ppi_pairs)
    dt = sorted({(drug_id[d], gene_id[g]) for d, g in drug_targets if d in drug_id})
    dt_index = torch.tensor(dt, dtype=torch.long).t().reshape(2, -1)
    data[TARGET_EDGE].edge_index = dt_index
    data[TARGETED_BY].edge_index = dt_index.flip(0)

    src, dst, rel = [], [], []
    for r, se in enumerate(kept):
        for i, j in sorted(pairs[se]):
            src.append(i)
            dst.append(j)
            rel.append(r)
    data[DDI].edge_index = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)
    data[DDI].edge_type = torch.tensor(rel, dtype=torch.long)
    data.side_effect_ids = kept
    data.side_effect_names = [f"{se} {names[se]}".strip() for se in kept]
    data.num_side_effects = len(kept)

    mono_ids = sorted({r[1] for r in mono if r[0] in drug_id})
    mono_col = {m: c for c, m in enumerate(mono_ids)}
    x = torch.zeros(len(drugs), len(mono_ids))
    for d, m, _ in mono:
        if d in drug_id:
            x[drug_id[d], mono_col[m]] = 1.0
    data["drug"].x = x
    data.mono_side_effect_ids = mono_ids
    data.skipped = skipped
    return data


def _both_directions(pairs: set[tuple[int, int]] | list[tuple[int, int]]) -> torch.Tensor:
    """(2, 2E) edge index holding every undirected pair in both directions."""
    index = torch.tensor(sorted(pairs), dtype=torch.long).t().reshape(2, -1)
    return torch.cat([index, index.flip(0)], dim=1)


def make_planted(
    num_drugs: int = 200,
    num_proteins: int = 1000,
    num_modules: int = 20,
    num_side_effects: int = 50,
    num_popularity_side_effects: int = 3,
    pairs_per_side_effect: int = 60,
    ppi_degree: float = 8.0,
    ppi_out_fraction: float = 0.1,
    targets_per_drug: tuple[int, int] = (3, 8),
    two_module_prob: float = 0.5,
    target_noise: float = 0.05,
    popularity_sigma: float = 0.7,
    side_effect_noise: float = 0.1,
    num_mono: int = 40,
    mono_signal: float = 0.3,
    num_drug_classes: int | None = None,
    class_core_targets: int = 2,
    num_mechanisms: int | None = None,
    pair_pool_factor: float | None = None,
    seed: int = 0,
) -> HeteroData:
    """A seeded synthetic polypharmacy world with planted biology (layout: module docstring).

    * Proteins are split evenly into ``num_modules`` modules; the PPI is a planted partition with mean degree
      ``ppi_degree`` of which a fraction ``ppi_out_fraction`` crosses modules.
    * Each drug hits one module (two with ``two_module_prob``) and targets ``targets_per_drug`` proteins in
      them; a fraction ``target_noise`` of its targets are random proteins. Drug popularity
      ``pop_i ~ LogNormal(0, popularity_sigma)``.
    * A "molecular" side effect r has a module pair (a, b), a != b. Its ``pairs_per_side_effect`` drug pairs
      are drawn without replacement, with probability proportional to ``pop_i * pop_j``, among pairs with one
      drug hitting a and the other hitting b (a fraction ``side_effect_noise`` from all pairs instead). So
      drug degree predicts side effects, but only the drug -> protein -> module path says *which* pairs.
      At most half of a side effect's candidate pairs are drawn as signal, so a side effect whose module
      pair has few candidates gets fewer than ``pairs_per_side_effect`` pairs (count them with
      :func:`side_effect_counts`).
    * The last ``num_popularity_side_effects`` side effects are "non-molecular": pairs drawn proportional
      to popularity alone.
    * Drug features ``x``: ``num_mono`` mono side effects, each tied to a module; drug i has it with
      probability ``mono_signal`` if it hits that module, else ``0.05``.

    Three optional assumptions make the drug-drug history carry part of the signal, as in BioSNAP
    (``None`` keeps the world without them):

    * ``num_drug_classes``: drugs fall into this many classes (uniformly); a class hits one module (two with
      ``two_module_prob``) and has ``class_core_targets`` core proteins in them, which every drug of the class
      targets (a pharmacological class shares its primary targets); a drug's other targets are its own.
    * ``num_mechanisms``: the molecular side effects share this many distinct module pairs (side effect r
      uses mechanism ``r % num_mechanisms``), so side effects come in families with one mechanism.
    * ``pair_pool_factor``: each mechanism has a pool of ``round(pair_pool_factor * pairs_per_side_effect)``
      interacting drug pairs (popularity-weighted among its candidates); each of its side effects draws its
      signal pairs from that pool, so an interacting pair shows several side effects of its family (in
      BioSNAP a drug pair shows about 73 side effects on average).

    Ground truth for the notebook: ``data["protein"].module``, ``data["drug"].modules`` (list of module
    tuples), ``data["drug"].popularity``, ``data.side_effect_modules`` ((a, b) or None),
    ``data.side_effect_kind`` ("molecular" / "popularity"). Used by ``notebooks/04_decagon.ipynb``.
    """
    for name, value in (
        ("num_drugs", num_drugs),
        ("num_proteins", num_proteins),
        ("num_modules", num_modules),
    ):
        if not isinstance(value, int) or value < 2:
            raise ValueError(f"argument {name!r} must be an int >= 2, got {value!r}")
    if num_proteins < num_modules:
        raise ValueError(f"argument 'num_proteins' ({num_proteins}) must be >= num_modules ({num_modules})")
    if not 0 <= num_popularity_side_effects <= num_side_effects or num_side_effects < 1:
        raise ValueError(
            f"arguments 'num_side_effects' ({num_side_effects}) and 'num_popularity_side_effects' "
            f"({num_popularity_side_effects}) must satisfy 0 <= popularity <= total, total >= 1"
        )
    num_pairs = num_drugs * (num_drugs - 1) // 2
    if not isinstance(pairs_per_side_effect, int) or not 1 <= pairs_per_side_effect <= num_pairs:
        # More pairs than exist would make the drawing loop below run forever.
        raise ValueError(
            f"argument 'pairs_per_side_effect' must be an int in [1, {num_pairs}] (the drug pairs of "
            f"{num_drugs} drugs), got {pairs_per_side_effect!r}"
        )
    for name, value in (
        ("ppi_out_fraction", ppi_out_fraction),
        ("two_module_prob", two_module_prob),
        ("target_noise", target_noise),
        ("side_effect_noise", side_effect_noise),
        ("mono_signal", mono_signal),
    ):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"argument {name!r} must be a fraction in [0, 1], got {value!r}")
    for name, value in (
        ("ppi_degree", ppi_degree),
        ("popularity_sigma", popularity_sigma),
        ("num_mono", num_mono),
    ):
        if value < 0:
            raise ValueError(f"argument {name!r} must be >= 0, got {value!r}")
    for name, value in (("num_drug_classes", num_drug_classes), ("num_mechanisms", num_mechanisms)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"argument {name!r} must be None or a positive int, got {value!r}")
    if num_mechanisms is not None and num_mechanisms > num_modules * (num_modules - 1) // 2:
        raise ValueError(
            f"argument 'num_mechanisms' ({num_mechanisms}) exceeds the {num_modules * (num_modules - 1) // 2} "
            f"module pairs of {num_modules} modules"
        )
    if pair_pool_factor is not None and not pair_pool_factor >= 1.0:
        raise ValueError(f"argument 'pair_pool_factor' must be None or >= 1, got {pair_pool_factor!r}")
    if not isinstance(class_core_targets, int) or class_core_targets < 0:
        raise ValueError(f"argument 'class_core_targets' must be an int >= 0, got {class_core_targets!r}")
    lo, hi = targets_per_drug
    if not 1 <= lo <= hi:
        raise ValueError(
            f"argument 'targets_per_drug' must be (lo, hi) with 1 <= lo <= hi, got {targets_per_drug}"
        )
    rng = np.random.default_rng(seed)

    # Proteins in modules, planted-partition PPI.
    module = np.arange(num_proteins) % num_modules
    rng.shuffle(module)
    members = [np.flatnonzero(module == m) for m in range(num_modules)]
    num_ppi = int(round(ppi_degree * num_proteins / 2))
    num_out = int(round(num_ppi * ppi_out_fraction))
    a = rng.integers(0, num_proteins, size=num_ppi)
    order = np.argsort(module, kind="stable")
    counts = np.bincount(module, minlength=num_modules)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ma = module[a]
    b = order[starts[ma] + (rng.random(num_ppi) * counts[ma]).astype(np.int64)]
    b[:num_out] = rng.integers(0, num_proteins, size=num_out)
    ppi = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x != y}

    # Drugs: modules, targets, popularity.
    drug_modules: list[tuple[int, ...]] = []
    targets: set[tuple[int, int]] = set()
    classes = _drug_classes(
        rng, num_drugs, num_drug_classes, num_modules, two_module_prob, members, class_core_targets
    )
    drug_class = np.full(num_drugs, -1) if classes is None else classes[0]
    for i in range(num_drugs):
        if classes is None:
            mods = rng.choice(num_modules, size=2 if rng.random() < two_module_prob else 1, replace=False)
            core: tuple[int, ...] = ()
        else:
            mods, core = classes[1][drug_class[i]], classes[2][drug_class[i]]
        drug_modules.append(tuple(int(m) for m in mods))
        targets |= {(i, int(p)) for p in core}
        for _ in range(max(int(rng.integers(lo, hi + 1)) - len(core), 0)):
            if rng.random() < target_noise:
                p = int(rng.integers(0, num_proteins))
            else:
                group = members[int(rng.choice(mods))]
                p = int(group[rng.integers(0, len(group))])
            targets.add((i, p))
    popularity = rng.lognormal(0.0, popularity_sigma, size=num_drugs)
    hits = np.zeros((num_drugs, num_modules), dtype=bool)
    for i, mods in enumerate(drug_modules):
        hits[i, list(mods)] = True

    # Side effects.
    iu, ju = np.triu_indices(num_drugs, k=1)
    pair_weight = popularity[iu] * popularity[ju]
    pair_prob = pair_weight / pair_weight.sum()
    src, dst, rel = [], [], []
    se_modules: list[tuple[int, int] | None] = []
    kinds: list[str] = []
    num_molecular = num_side_effects - num_popularity_side_effects
    module_pairs = [(a, b) for a in range(num_modules) for b in range(a + 1, num_modules)]
    mechanisms = (
        [module_pairs[k] for k in rng.permutation(len(module_pairs))[:num_mechanisms]]
        if (num_mechanisms)
        else []
    )  # distinct module pairs
    pools: dict[int, np.ndarray] = {}
    for r in range(num_side_effects):
        if r < num_molecular:
            if mechanisms:
                ma, mb = mechanisms[r % len(mechanisms)]
            else:
                ma, mb = (int(m) for m in rng.choice(num_modules, size=2, replace=False))
            candidate = (hits[iu, ma] & hits[ju, mb]) | (hits[iu, mb] & hits[ju, ma])
            se_modules.append((ma, mb))
            kinds.append("molecular")
        else:
            candidate = np.ones(len(iu), dtype=bool)
            se_modules.append(None)
            kinds.append("popularity")
        n_noise = int(round(pairs_per_side_effect * side_effect_noise)) if r < num_molecular else 0
        cand = np.flatnonzero(candidate)
        n_signal = min(pairs_per_side_effect - n_noise, max(len(cand) // 2, 1)) if len(cand) else 0
        if r < num_molecular and pair_pool_factor is not None and len(cand):
            key = r % len(mechanisms) if mechanisms else r
            if key not in pools:  # the mechanism's interacting pairs, drawn once
                size = min(int(round(pair_pool_factor * pairs_per_side_effect)), max(len(cand) // 2, 1))
                w = pair_weight[cand] / pair_weight[cand].sum()
                pools[key] = rng.choice(cand, size=size, replace=False, p=w)
            cand = pools[key]
            n_signal = min(n_signal, len(cand))
        chosen: set[int] = set()
        if n_signal:
            w = pair_weight[cand] / pair_weight[cand].sum()
            chosen |= set(rng.choice(cand, size=n_signal, replace=False, p=w).tolist())
        while len(chosen) < n_signal + n_noise:
            extra = rng.choice(len(iu), size=n_signal + n_noise - len(chosen), p=pair_prob)
            chosen |= set(extra.tolist())
        for k in sorted(chosen):
            src.append(int(iu[k]))
            dst.append(int(ju[k]))
            rel.append(r)

    # Mono side-effect features.
    mono_module = rng.integers(0, num_modules, size=num_mono)
    prob = np.where(hits[:, mono_module], mono_signal, 0.05)
    x = torch.from_numpy((rng.random((num_drugs, num_mono)) < prob).astype(np.float32))

    data = HeteroData()
    data["drug"].num_nodes = num_drugs
    data["drug"].names = [f"drug{i}" for i in range(num_drugs)]
    data["drug"].x = x
    data["drug"].modules = drug_modules
    data["drug"].popularity = torch.from_numpy(popularity).float()
    data["drug"].drug_class = torch.from_numpy(drug_class).long()  # -1: no classes in this world
    data["protein"].num_nodes = num_proteins
    data["protein"].names = [f"protein{i}" for i in range(num_proteins)]
    data["protein"].module = torch.from_numpy(module).long()
    data[PPI_EDGE].edge_index = _both_directions(ppi)
    dt_index = torch.tensor(sorted(targets), dtype=torch.long).t().reshape(2, -1)
    data[TARGET_EDGE].edge_index = dt_index
    data[TARGETED_BY].edge_index = dt_index.flip(0)
    data[DDI].edge_index = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)
    data[DDI].edge_type = torch.tensor(rel, dtype=torch.long)
    data.side_effect_names = [
        f"SE{r} modules {m[0]}x{m[1]}" if m is not None else f"SE{r} popularity"
        for r, m in enumerate(se_modules)
    ]
    data.side_effect_modules = se_modules
    data.side_effect_kind = kinds
    data.num_side_effects = num_side_effects
    return data


def _drug_classes(
    rng: np.random.Generator,
    num_drugs: int,
    num_classes: int | None,
    num_modules: int,
    two_module_prob: float,
    members: list[np.ndarray],
    core_size: int,
) -> tuple[np.ndarray, list[np.ndarray], list[tuple[int, ...]]] | None:
    """``(class of each drug, modules of each class, core targets of each class)``, or None without classes."""
    if num_classes is None:
        return None
    modules, cores = [], []
    for _ in range(num_classes):
        mods = rng.choice(num_modules, size=2 if rng.random() < two_module_prob else 1, replace=False)
        pool = np.concatenate([members[int(m)] for m in mods])
        modules.append(mods)
        cores.append(tuple(int(p) for p in rng.choice(pool, size=min(core_size, len(pool)), replace=False)))
    return rng.integers(0, num_classes, size=num_drugs), modules, cores


def side_effect_counts(data: HeteroData) -> Counter:
    """Number of drug pairs per side-effect index (for summaries in ``notebooks/04_decagon.ipynb``)."""
    return Counter(data[DDI].edge_type.tolist())
