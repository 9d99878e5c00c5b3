"""How much of a molecule file notebook 06's vocabulary keeps, and how many of those the expert rebuilds.

Issue #24's line "the vocabulary covers the charges that ZINC uses (at least 95 % of the paper's 800 starts and of
ZINC's test set kept)". JT-VAE's ZINC-250k test file is not shipped with anything installed here; the MOSES test
set (``molsets``' ``test.csv.gz``, a ZINC Clean Leads subset from which MOSES removed every charged molecule) is,
so it checks the neutral part of the vocabulary only. Run::

    python -m lecturekit.studies.nb06_gcpn_coverage                  # the MOSES test set
    python -m lecturekit.studies.nb06_gcpn_coverage --file PATH      # e.g. JT-VAE's opt.test.logP-SA

It prints one JSON object per file; ``docs/notebooks/06_gcpn.md`` holds the measured numbers.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from lecturekit.generation.gcpn import data
from lecturekit.generation.gcpn.env import EnvConfig
from lecturekit.generation.gcpn.expert import replay, trajectory
from lecturekit.studies.nb06_gcpn import COURSE, MAX_ATOMS

#: Molecules whose expert round trip is tried (the first ones kept): issue #24 measured on 300 ZINC molecules.
EXPERT_MOLECULES = 1000


@dataclass(frozen=True)
class Coverage:
    """``kept`` of ``total`` input molecules pass :func:`data.filter_smiles` with ``vocab``; of the first
    ``expert_tried`` kept, the expert's trajectory (at most ``max_steps`` actions) rebuilds ``expert_rebuilt``."""

    source: str
    total: int
    kept: int
    skipped: dict[str, int]
    expert_tried: int
    expert_rebuilt: int
    max_steps: int
    vocab: tuple[data.AtomType, ...] = field(default=data.GCPN_VOCAB)

    @property
    def kept_share(self) -> float:
        return self.kept / self.total if self.total else float("nan")


def rebuilds(smiles: str, env: EnvConfig, rng: np.random.Generator) -> bool:
    """Whether a random expert trajectory of ``smiles`` fits ``env.max_steps`` and replays to the same molecule
    (what :func:`lecturekit.generation.gcpn.ppo.expert_episodes` needs to use it)."""
    actions = trajectory(smiles, env, rng)
    return len(actions) <= env.max_steps and replay(actions, env).smiles() == data.canonical(smiles)


def coverage(
    smiles: Iterable[str],
    source: str,
    vocab: Sequence[data.AtomType] = data.GCPN_VOCAB,
    max_steps: int = COURSE.max_steps,
    expert_molecules: int = EXPERT_MOLECULES,
    seed: int = 0,
) -> Coverage:
    """The share of ``smiles`` the vocabulary keeps (duplicates count as skipped) and the expert's rebuilds."""
    kept = data.filter_smiles(smiles, vocab, MAX_ATOMS, source=source)
    env = EnvConfig(vocab=tuple(vocab), max_atoms=MAX_ATOMS, max_steps=max_steps)
    rng = np.random.default_rng(seed)
    tried = kept.smiles[:expert_molecules]
    rebuilt = sum(rebuilds(s, env, rng) for s in tried)
    total = len(kept) + sum(kept.skipped.values())
    return Coverage(
        source, total, len(kept), dict(kept.skipped), len(tried), rebuilt, max_steps, tuple(vocab)
    )


def moses_test_smiles() -> list[str]:
    """Every SMILES of MOSES's test split, read as :func:`data.load_moses` reads it (``molsets`` not imported)."""
    path = data.moses_path("test")
    with gzip.open(path, "rt") as handle:
        return list(data.read_csv_smiles(handle, path))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", action="append", default=[], help="a SMILES list (one per line)")
    parser.add_argument("--no-moses", action="store_true", help="leave out the MOSES test set")
    parser.add_argument("--expert-molecules", type=int, default=EXPERT_MOLECULES)
    args = parser.parse_args(argv)
    # MOSES has no charged molecule, so both vocabularies keep the same ones there; a ZINC file tells them apart.
    inputs = (
        [] if args.no_moses else [(f"moses-test {data.moses_path('test')}", moses_test_smiles(), ("GCPN",))]
    )
    for path in args.file:
        with open(path) as handle:
            inputs.append((path, list(data.read_smiles_list(handle)), ("GCPN", "MOSES")))
    for source, smiles, vocabularies in inputs:
        for name in vocabularies:
            vocab = getattr(data, f"{name}_VOCAB")
            found = coverage(smiles, source, vocab, expert_molecules=args.expert_molecules)
            print(
                json.dumps({"vocabulary": name, "kept_share": found.kept_share, **asdict(found)}), flush=True
            )


if __name__ == "__main__":
    main()
