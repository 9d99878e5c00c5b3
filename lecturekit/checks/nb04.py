"""Checks for notebook 04's exercises (see `lecturekit.checks.base` for the contract).

* ``dedicom_logits(z_i, z_j, d_r, R) -> (E,)``: Decagon's decoder ``z_i^T D_r R D_r z_j`` (the package's
  ``lecturekit.hetero.decoders.dedicom_logits``).
* ``degree_matched_candidates(degree, source, target, known)``: the drugs a degree-matched negative is
  drawn from (the package's ``lecturekit.hetero.negatives.degree_matched_candidates``).

Every expected value below was worked out by hand; the comments show the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lecturekit.checks.base import ANY, Case, harden, run_check
from lecturekit.checks.hints import as_numpy, explained

__all__ = ["dedicom_logits", "degree_matched_candidates"]


# ---- hidden random cases, against the package's implementation
def _draw_decoder(rng):
    pairs, dim = int(rng.integers(1, 6)), int(rng.integers(2, 6))
    z_i, z_j, d_r = (_t(rng.normal(size=(pairs, dim))) for _ in range(3))
    return (z_i, z_j, d_r, _t(rng.normal(size=(dim, dim)))), {}, f"{pairs} pairs, d = {dim}, R not symmetric"


def _reference_decoder(z_i, z_j, d_r, R):
    from lecturekit.hetero.decoders import dedicom_logits as package

    return package(z_i, z_j, d_r, R)


def _draw_candidates(rng):
    drugs = int(rng.integers(3, 12))
    degree = rng.integers(0, 4, drugs)
    source, target = (int(v) for v in rng.choice(drugs, 2, replace=False))
    others = np.setdiff1d(np.arange(drugs), [source])
    known = rng.choice(others, int(rng.integers(0, len(others) + 1)), replace=False)
    return (torch.tensor(degree), source, target, torch.tensor(known, dtype=torch.long)), {}, f"{drugs} drugs"


def _reference_candidates(degree, source, target, known):
    from lecturekit.hetero.negatives import degree_matched_candidates as package

    return package(degree, source, target, known)


def _sorted_ids(value: Any) -> list[int]:
    ids = _ids(value)
    if isinstance(ids, str):
        raise ValueError(ids)
    return ids


harden(
    "dedicom_logits",
    reference=_reference_decoder,
    draw=_draw_decoder,
    rtol=1e-4,
    atol=1e-5,
    forbid=("lecturekit.hetero.decoders.dedicom_logits", "lecturekit.hetero.decoders.DEDICOMDecoder"),
)
harden(
    "degree_matched_candidates",
    reference=_reference_candidates,
    draw=_draw_candidates,
    transform=_sorted_ids,
    forbid=(
        "lecturekit.hetero.negatives.degree_matched_candidates",
        "lecturekit.hetero.negatives.training_degree_matched_negatives",
        "lecturekit.hetero.negatives.degree_matched_negatives",
        "lecturekit.hetero.negatives.DegreeNegativeSampler",
    ),
)


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def dedicom_logits(function: Callable) -> None:
    """Check ``dedicom_logits(z_i, z_j, d_r, R)`` on three small decoders (d = 2)."""
    asymmetric = _t([[0, 2], [3, 0]])

    def transposed(value):
        def diagnose(got):
            array = as_numpy(got)
            if array.size == 1 and np.isclose(array.item(), value):
                return (
                    "this is z_j^T D R D z_i, the pair read the other way round: R is not symmetric, "
                    "so z_i must stand on the left"
                )
            return None

        return diagnose

    def one_diagonal(values):
        def diagnose(got):
            array = as_numpy(got).reshape(-1)
            if any(array.size == 1 and np.isclose(array.item(), v) for v in values):
                return "D_r scales both embeddings: it appears on each side of R (z_i^T D_r R D_r z_j)"
            return None

        return diagnose

    cases = [
        # D = I: z_i^T R z_j = R[0, 1] = 2 for z_i = e0, z_j = e1 (the reverse order would read R[1, 0] = 3).
        Case(
            args=(_t([[1, 0]]), _t([[0, 1]]), _t([[1, 1]]), asymmetric),
            expected=ANY,
            label="one pair, D_r = identity, R not symmetric",
            check=explained(_t([2]), transposed(3.0)),
        ),
        # D z_i = D z_j = (2, 1) and R = I: 2*2 + 1*1 = 5; with D on one side only 2 + 1 = 3, on neither 2.
        Case(
            args=(_t([[1, 1]]), _t([[1, 1]]), _t([[2, 1]]), _t([[1, 0], [0, 1]])),
            expected=ANY,
            label="one pair, R = identity, D_r = diag(2, 1)",
            check=explained(_t([5]), one_diagonal((3.0, 2.0))),
        ),
        # R = [[1, 2], [0, 1]]; pair k uses its own row of d_r.
        # pair 0: D z_i = (1, 1), D z_j = (3, -0.5), R D z_j = (2, -0.5) -> 1.5
        # pair 1: D z_i = (0, 2), D z_j = (2, 0),    R D z_j = (2, 0)    -> 0
        # pair 2: D = I, z_i = (-1, 1), R z_j = (3, 1)                    -> -2
        Case(
            args=(
                _t([[1, 2], [0, 1], [-1, 1]]),
                _t([[3, -1], [1, 0], [1, 1]]),
                _t([[1, 0.5], [2, 2], [1, 1]]),
                _t([[1, 2], [0, 1]]),
            ),
            expected=ANY,
            label="three pairs, each with its own D_r",
            check=explained(_t([1.5, 0.0, -2.0])),
        ),
    ]
    run_check("dedicom_logits", function, cases)


def _ids(got: Any) -> list[int] | str:
    """The returned node ids as a sorted list, or a sentence saying why they cannot be read."""
    if got is None:
        return "returned None: did the function forget its `return`?"
    if hasattr(got, "detach") or isinstance(got, np.ndarray):
        array = as_numpy(got)
        if array.ndim != 1:
            return f"wrong shape: expected a 1-D list of drug ids, got shape {tuple(array.shape)}"
        if not np.allclose(array, np.round(array)):
            return "expected whole drug ids, got fractional values"
        values = [int(v) for v in array]
    elif isinstance(got, list | tuple | set | frozenset):
        if not all(
            isinstance(v, int | np.integer) or (hasattr(v, "item") and float(v.item()).is_integer())
            for v in got
        ):
            return "expected drug ids (whole numbers)"
        values = [int(v) for v in got]
    else:
        return f"wrong type: expected a tensor or list of drug ids, got a {type(got).__name__}"
    if len(set(values)) != len(values):
        return "a drug is listed twice: each candidate once"
    return sorted(values)


def degree_matched_candidates(function: Callable) -> None:
    """Check ``degree_matched_candidates(degree, source, target, known)`` on four small relations."""

    def case(degree, source, target, known, expected, label):
        degree_t = torch.tensor(degree, dtype=torch.long)

        def check(got):
            ids = _ids(got)
            if isinstance(ids, str):
                return ids
            if ids == expected:
                return None
            extra = [v for v in ids if v not in expected]
            missing = [v for v in expected if v not in ids]
            for v in extra:
                if not 0 <= v < len(degree):
                    return f"returned drug {v}, but the drugs are 0..{len(degree) - 1}"
                if v == source:
                    return f"includes the source drug {source} itself: a drug is never paired with itself"
                if v in known:
                    return (
                        f"includes drug {v}, which is already linked to drug {source} (a known edge is "
                        "never a negative)"
                    )
                if degree[v] != degree[target]:
                    return (
                        f"includes drug {v}, whose training degree is {degree[v]}, not the target's "
                        f"{degree[target]}: match the degree of the target (drug {target}), not of the source"
                    )
            if missing:
                return (
                    f"misses a drug that has the target's training degree {degree[target]} and is not linked "
                    f"to drug {source} (your ids: {ids})"
                )
            return f"differs: your ids {ids}"

        return Case(
            args=(degree_t, source, target, torch.tensor(known, dtype=torch.long)),
            expected=ANY,
            label=label,
            check=check,
        )

    cases = [
        # degree 2: drugs 0, 2, 4; drop the source 0 and its known partner 2 -> [4].
        case([2, 0, 2, 1, 2, 0], 0, 2, [2, 3], [4], "target of degree 2"),
        # degree 0 counts too: drugs 1, 2, 4 have no training edge; 1 is a known partner -> [2, 4].
        case([1, 0, 0, 3, 0], 3, 1, [0, 1], [2, 4], "a target without training edges (degree 0)"),
        # the source has the target's degree: degree 1 is drugs 0, 1, 2; drop source 0 and partner 1 -> [2].
        case([1, 1, 1, 0], 0, 1, [1], [2], "the source has the target's degree"),
        # every drug of degree 3 is linked to the source already: no candidate at all.
        case([3, 3, 1, 3, 1], 1, 0, [0, 3], [], "no candidate left"),
    ]
    run_check("degree_matched_candidates", function, cases)
