"""Metrics of GCPN's three tasks (notebook 06, paper Tables 1-3).

* generation: validity (RDKit parses the generated molecule), uniqueness (unique / valid),
  novelty (unique molecules absent from the training set / unique);
* property optimisation: top-k unique molecules by a score;
* property targeting: success (fraction of generated molecules inside the window) and diversity
  (mean pairwise Tanimoto distance over all hits, repeats included: a repeated hit adds distance 0);
* constrained optimisation: from each start molecule sample modifications; for every threshold
  ``delta`` keep the best penalized-logP improvement among candidates with similarity >= delta.
  Success: some candidate improves the score at that similarity. ``improvement_all`` averages over
  every start (a failure counts 0), ``improvement`` and ``similarity`` over the successful starts;
* filters: the fraction of valid molecules passing both the steric-strain and the ZINC
  substructure filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

import numpy as np
from rdkit import Chem, RDLogger

from lecturekit.generation.gcpn import rewards
from lecturekit.generation.gcpn.data import canonical
from lecturekit.generation.gcpn.policy import GCPNPolicy
from lecturekit.generation.gcpn.train import sample


def is_valid(smiles: str) -> bool:
    """Whether RDKit parses ``smiles`` into a non-empty molecule."""
    RDLogger.DisableLog("rdApp.*")
    if not smiles:
        return False
    mol = Chem.MolFromSmiles(smiles)
    return mol is not None and mol.GetNumAtoms() > 0


def is_hydrocarbon(smiles: str) -> bool:
    """Carbon atoms only (hydrogens implicit), e.g. an alkane chain: how an agent can win penalized
    logP without chemistry (notebook 06's discussion and budget study)."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    return mol is not None and all(atom.GetSymbol() == "C" for atom in mol.GetAtoms())


def generation_metrics(smiles: Sequence[str], training: Iterable[str]) -> dict[str, float]:
    """Validity, uniqueness and novelty of generated SMILES against the training SMILES."""
    if not smiles:
        raise ValueError("argument 'smiles' is empty")
    valid = [canonical(s) for s in smiles if is_valid(s)]
    unique = set(valid)
    train = training if isinstance(training, (set, frozenset)) else set(training)  # no copy of a big set
    return {
        "validity": len(valid) / len(smiles),
        "uniqueness": len(unique) / max(len(valid), 1),
        "novelty": len(unique - train) / max(len(unique), 1),
    }


def top_k(smiles: Iterable[str], score: Callable[[str], float], k: int = 3) -> list[tuple[str, float]]:
    """The ``k`` best distinct valid molecules by ``score``, best first."""
    best: dict[str, float] = {}
    for s in smiles:
        if is_valid(s) and s not in best:
            best[s] = float(score(s))
    return sorted(best.items(), key=lambda kv: -kv[1])[:k]


def targeting_metrics(smiles: Sequence[str], window: str) -> dict[str, float]:
    """Success rate and diversity of generated molecules for a :data:`rewards.TARGET_WINDOWS` window."""
    if not smiles:
        raise ValueError("argument 'smiles' is empty")
    hits = [s for s in smiles if is_valid(s) and rewards.in_window(s, window)]
    return {"success": len(hits) / len(smiles), "diversity": rewards.diversity(sorted(hits))}


def filter_verdicts(smiles: str, cache: dict[str, tuple[bool, bool]] | None = None) -> tuple[bool, bool]:
    """``(passes the steric-strain filter, passes the ZINC substructure filter)`` of a valid molecule."""
    if cache is not None and smiles in cache:
        return cache[smiles]
    verdict = (rewards.strain_ok(smiles), rewards.zinc_filter_ok(smiles))
    if cache is not None:
        cache[smiles] = verdict
    return verdict


def filter_pass(smiles: Sequence[str], cache: dict[str, tuple[bool, bool]] | None = None) -> float:
    """Fraction of ``smiles`` (invalid ones count as failing) that pass both filters."""
    if not smiles:
        raise ValueError("argument 'smiles' is empty")
    return sum(is_valid(s) and all(filter_verdicts(s, cache)) for s in smiles) / len(smiles)


def constrained_candidates(policy: GCPNPolicy, starts: Sequence[str], samples_per_start: int,
                           max_steps: int, seed: int = 0) -> dict[str, list[str]]:
    """``samples_per_start`` molecules grown from each start by ``policy`` within ``max_steps``."""
    env_config = replace(policy.env_config, max_steps=max_steps)
    repeated = [s for s in starts for _ in range(samples_per_start)]
    generated = sample(policy, len(repeated), seed=seed, starts=repeated, env_config=env_config)
    out: dict[str, list[str]] = {s: [] for s in starts}
    for start, mol in zip(repeated, generated, strict=True):
        if is_valid(mol):
            out[start].append(mol)
    return out


def constrained_metrics(candidates: dict[str, list[str]], deltas: Sequence[float],
                        examples: int = 4) -> dict[float, dict]:
    """Per ``delta``: ``improvement`` (mean over successes), ``improvement_all`` (mean over all starts,
    failures 0), ``similarity``, ``success`` and ``examples``, the ``(start, best candidate,
    improvement, similarity)`` of the first ``examples`` successful starts in start order."""
    if not candidates:
        raise ValueError("argument 'candidates' is empty")
    scored = {}
    for start, mols in candidates.items():
        base = rewards.penalized_logp(start)
        scored[start] = [(rewards.penalized_logp(m) - base, rewards.similarity(start, m), m)
                         for m in sorted(set(mols)) if m != canonical(start)]
    out = {}
    for delta in deltas:
        improvements, sims, shown = [], [], []
        for start, pairs in scored.items():
            ok = [(imp, sim, mol) for imp, sim, mol in pairs if sim >= delta and imp > 0]
            if ok:
                imp, sim, mol = max(ok)
                improvements.append(imp)
                sims.append(sim)
                if len(shown) < examples:
                    shown.append((start, mol, float(imp), float(sim)))
        out[delta] = {
            "improvement": float(np.mean(improvements)) if improvements else 0.0,
            "improvement_all": float(np.sum(improvements)) / len(scored),
            "improvement_std": float(np.std(improvements)) if improvements else 0.0,
            "similarity": float(np.mean(sims)) if sims else 0.0,
            "success": len(improvements) / len(scored),
            "examples": tuple(shown),
        }
    return out
