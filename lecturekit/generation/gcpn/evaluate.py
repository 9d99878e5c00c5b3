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
  substructure filter;
* realism beyond the paper: ring shares (an SSSR ring of 8 or more atoms; a 3- or 4-ring), Fréchet
  ChemNet Distance (``fcd_torch``, weights shipped in its wheel) and internal diversity;
* intervals for the notebook's verdicts: Wilson (one proportion), Newcombe's hybrid score interval (a
  difference of two independent proportions) and a two-sample bootstrap of a difference of means.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

import numpy as np
from rdkit import Chem, RDLogger

from lecturekit.generation.gcpn import rewards
from lecturekit.generation.gcpn.data import canonical
from lecturekit.generation.gcpn.policy import GCPNPolicy
from lecturekit.generation.gcpn.train import sample
from lecturekit.stats import Interval

#: A ring of this many atoms or more (in RDKit's smallest set of smallest rings) counts as large:
#: MOSES training molecules hold none, drug molecules almost none.
LARGE_RING = 8


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


def window_hits(smiles: Sequence[str], window: str) -> list[str]:
    """The valid molecules of ``smiles`` whose property lies in a :data:`rewards.TARGET_WINDOWS` window, in order."""
    return [s for s in smiles if is_valid(s) and rewards.in_window(s, window)]


def targeting_metrics(smiles: Sequence[str], window: str) -> dict[str, float]:
    """Success rate and diversity of generated molecules for a :data:`rewards.TARGET_WINDOWS` window."""
    if not smiles:
        raise ValueError("argument 'smiles' is empty")
    hits = window_hits(smiles, window)
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


def constrained_candidates(
    policy: GCPNPolicy, starts: Sequence[str], samples_per_start: int, max_steps: int, seed: int = 0
) -> dict[str, list[str]]:
    """``samples_per_start`` molecules grown from each start by ``policy`` within ``max_steps`` (``""`` for an
    invalid one; a candidate equal to its start is kept, see :func:`unchanged_share`)."""
    env_config = replace(policy.env_config, max_steps=max_steps)
    repeated = [s for s in starts for _ in range(samples_per_start)]
    generated = sample(policy, len(repeated), seed=seed, starts=repeated, env_config=env_config)
    out: dict[str, list[str]] = {s: [] for s in starts}
    for start, mol in zip(repeated, generated, strict=True):
        out[start].append(mol if is_valid(mol) else "")
    return out


def unchanged_share(candidates: dict[str, list[str]]) -> float:
    """The share of all candidates that equal their start molecule (a policy that stops at once)."""
    same = [mol == canonical(start) for start, mols in candidates.items() for mol in mols]
    if not same:
        raise ValueError("argument 'candidates' holds no candidates")
    return float(np.mean(same))


def constrained_metrics(
    candidates: dict[str, list[str]], deltas: Sequence[float], examples: int = 4
) -> dict[float, dict]:
    """Per ``delta``: ``improvement`` (mean over successes), ``improvement_all`` (mean over all starts,
    failures 0), ``per_start`` (each start's best improvement, 0 for a failure, in start order, for paired
    intervals), ``similarity``, ``success`` and ``examples``, the ``(start, best candidate, improvement,
    similarity)`` of the first ``examples`` successful starts in start order."""
    if not candidates:
        raise ValueError("argument 'candidates' is empty")
    scored = {}
    for start, mols in candidates.items():
        base = rewards.penalized_logp(start)
        scored[start] = [
            (rewards.penalized_logp(m) - base, rewards.similarity(start, m), m)
            for m in sorted(set(mols))
            if m and m != canonical(start)
        ]
    out = {}
    for delta in deltas:
        improvements, sims, shown, per_start = [], [], [], []
        for start, pairs in scored.items():
            ok = [(imp, sim, mol) for imp, sim, mol in pairs if sim >= delta and imp > 0]
            per_start.append(float(max(ok)[0]) if ok else 0.0)
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
            "per_start": tuple(per_start),
            "examples": tuple(shown),
        }
    return out


def ring_shares(smiles: Sequence[str]) -> tuple[float, float]:
    """``(large, small)``: the shares of the valid molecules with an SSSR ring of :data:`LARGE_RING` or more
    atoms, and with a 3- or 4-ring. Raises ``ValueError`` when none is valid."""
    mols = [Chem.MolFromSmiles(s) for s in smiles if is_valid(s)]
    if not mols:
        raise ValueError("argument 'smiles' holds no valid molecule")
    sizes = [[len(ring) for ring in m.GetRingInfo().AtomRings()] for m in mols]
    large = np.mean([any(n >= LARGE_RING for n in ring) for ring in sizes])
    small = np.mean([any(n <= 4 for n in ring) for ring in sizes])
    return float(large), float(small)


@lru_cache(maxsize=1)
def _fcd_model():
    from fcd_torch import FCD  # ships ChemNet's weights in its wheel: no download

    return FCD(device="cpu", n_jobs=1)


def fcd(smiles: Sequence[str], reference: Sequence[str]) -> float:
    """Fréchet ChemNet Distance between the valid molecules of ``smiles`` and ``reference`` (lower: closer).
    Biased upwards at small samples: compare only at equal sample sizes."""
    valid = [s for s in smiles if is_valid(s)]
    if len(valid) < 2 or len(reference) < 2:
        raise ValueError("FCD needs at least two valid molecules on each side")
    return float(_fcd_model()(list(valid), list(reference)))


def wilson(hits: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion ``hits / n`` (95 % by default)."""
    if n < 1 or not 0 <= hits <= n:
        raise ValueError(f"need 0 <= hits <= n and n >= 1, got hits={hits}, n={n}")
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_difference(hits_a: int, n_a: int, hits_b: int, n_b: int) -> Interval:
    """``p_a - p_b`` of two independent proportions with Newcombe's hybrid score interval (from the two
    Wilson intervals; Newcombe 1998, method 10)."""
    pa, pb = hits_a / n_a, hits_b / n_b
    (la, ua), (lb, ub) = wilson(hits_a, n_a), wilson(hits_b, n_b)
    low = pa - pb - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = pa - pb + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return Interval(pa - pb, low, high, 0.95, n_a + n_b)


def mean_difference(
    a: Sequence[float], b: Sequence[float], *, num_resamples: int = 2000, seed: int = 0
) -> Interval:
    """``mean(a) - mean(b)`` of two independent samples with a percentile bootstrap interval (each side
    resampled on its own)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.size < 2 or y.size < 2:
        raise ValueError(f"need two or more values on each side, got {x.size} and {y.size}")
    rng = np.random.default_rng(seed)
    diffs = x[rng.integers(0, x.size, (num_resamples, x.size))].mean(1) - y[
        rng.integers(0, y.size, (num_resamples, y.size))
    ].mean(1)
    low, high = np.quantile(diffs, [0.025, 0.975])
    return Interval(float(x.mean() - y.mean()), float(low), float(high), 0.95, int(x.size + y.size))
