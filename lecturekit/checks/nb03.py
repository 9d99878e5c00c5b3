"""Checks for notebook 03's exercises (see `lecturekit.checks.base` for the contract).

* ``hard_negative_band(scores, query, relevance_size, a, b) -> (W,)``: the items at ranks
  ``ceil(a R)..floor(b R)`` of one query's personalised-PageRank ranking (the package's
  ``relative_band_ranks`` and ``top_ranked`` in ``lecturekit.recsys.pinsage.negatives``, which
  ``HardNegativeSampler.bands`` uses).
* ``hard_negatives_in_epoch(epoch, schedule, max_hard, per_epoch) -> int``: the curriculum (the
  package's ``lecturekit.recsys.pinsage.negatives.num_hard_negatives``).

Every expected value below was worked out by hand; the comments show the arithmetic. The hand
cases have no tied scores among the ranks that matter (the package breaks ties at random).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lecturekit.checks.base import Case, differences, harden, run_check
from lecturekit.checks.hints import as_numpy

__all__ = ["hard_negative_band", "hard_negatives_in_epoch"]

_NEGATIVES = "lecturekit.recsys.pinsage.negatives"
_PPR = "lecturekit.recsys.pinsage.ppr"


# ---- hidden random cases, against the package's implementation
def _draw_band(rng):
    items = int(rng.integers(4, 16))
    scores = rng.permutation(items).astype(np.float32) + 1.0  # distinct positive scores: no ties to break
    query, relevance = int(rng.integers(items)), int(rng.integers(0, 5))
    a = float(rng.choice([1.0, 1.5, 2.0, rng.uniform(1.0, 3.0)]))
    b = a + float(rng.choice([0.0, 1.0, rng.uniform(0.0, 3.0)]))
    return (torch.tensor(scores / items), query, relevance, a, b), {}, f"{items} pins, R = {relevance}"


def _reference_band(scores, query, relevance_size, a, b):
    from lecturekit.recsys.pinsage.negatives import relative_band_ranks
    from lecturekit.recsys.pinsage.ppr import top_ranked

    lo, hi = relative_band_ranks(torch.tensor([relevance_size]), (a, b), scores.numel())
    ranking = top_ranked(
        scores[None], torch.tensor([query]), int(hi), lambda rows: torch.zeros(len(rows), scores.numel())
    )
    return ranking[0, int(lo) - 1 : int(hi)]


def _draw_epoch(rng):
    schedule = str(rng.choice(["curriculum", "curriculum", "no-curriculum", "random-only"]))
    epoch, max_hard, per_epoch = int(rng.integers(0, 12)), int(rng.integers(1, 9)), int(rng.integers(1, 4))
    return (epoch, schedule, max_hard, per_epoch), {}, f"schedule {schedule!r}, per_epoch may exceed 1"


def _reference_epoch(epoch, schedule, max_hard, per_epoch):
    from lecturekit.recsys.pinsage.negatives import num_hard_negatives

    return num_hard_negatives(epoch, schedule, max_hard, per_epoch)


harden(
    "hard_negative_band",
    reference=_reference_band,
    draw=_draw_band,
    forbid=(
        f"{_NEGATIVES}.relative_band_ranks",
        f"{_PPR}.top_ranked",
        f"{_PPR}._top_ranked_kernel",
        f"{_NEGATIVES}.HardNegativeSampler",
    ),
)
harden(
    "hard_negatives_in_epoch",
    reference=_reference_epoch,
    draw=_draw_epoch,
    forbid=(f"{_NEGATIVES}.num_hard_negatives",),
)


def _band_case(
    scores,
    query,
    relevance,
    a,
    b,
    expected,
    label,
    *,
    with_query=None,
    zero_based=None,
    truncated=None,
    unclamped=None,
) -> Case:
    """One hand case; the keyword arguments are what a known mistake returns here, each with its hint."""
    mistakes = [
        (
            with_query,
            "the query itself was ranked: it has the largest score of its own PageRank (its restart "
            "mass) and must be left out before counting ranks",
        ),
        (
            zero_based,
            "the band is one rank too deep: ranks are 1-based (rank 1 is the best item), so rank r "
            "is position r - 1 of the ranking",
        ),
        (
            truncated,
            "the band's ends are ceil(a R) and floor(b R): rounding the start down lets in an item "
            "just before the band",
        ),
        (
            unclamped,
            "an empty band: a query with R = 0 counts as R = 1, and ranks beyond the N - 1 rankable "
            "items are clipped to N - 1, so every band holds at least one item",
        ),
    ]

    def check(got):
        problem = differences(torch.tensor(expected, dtype=torch.long), got)
        if problem is None:
            return None
        if hasattr(got, "shape") or isinstance(got, list | tuple):
            items = as_numpy(got).reshape(-1).tolist()
            for wrong, hint in mistakes:
                if wrong is not None and items == [float(i) for i in wrong]:
                    return f"{hint}; {problem}"
        return problem

    return Case(
        args=(torch.tensor(scores, dtype=torch.float32), query, relevance, a, b), label=label, check=check
    )


def hard_negative_band(function: Callable) -> None:
    """Check ``hard_negative_band(scores, query, relevance_size, a, b)`` on five small PageRank vectors."""
    # Query 2 of 8 pins; ranking without the query: 1 (.20), 4 (.12), 6 (.08), 0 (.05), 5 (.03), 3 (.01), 7 (0).
    eight = [0.05, 0.20, 0.60, 0.01, 0.12, 0.03, 0.08, 0.00]
    # Query 0 of 10 pins; ranking: 4 (.30), 8 (.15), 2 (.11), 6 (.09), 3 (.07), 9 (.06), 7 (.04), 1 (.02), 5 (.01).
    ten = [0.50, 0.02, 0.11, 0.07, 0.30, 0.01, 0.09, 0.04, 0.15, 0.06]
    cases = [
        # R = 1, (a, b) = (2, 4): ranks 2..4 -> 4, 6, 0. With the query ranked: 1, 4, 6; 0-based: 6, 0, 5.
        _band_case(
            eight, 2, 1, 2.0, 4.0, [4, 6, 0], "R = 1, band (2, 4)", with_query=[1, 4, 6], zero_based=[6, 0, 5]
        ),
        # R = 2, (1.5, 2.5): ranks 3..5 -> 2, 6, 3.
        _band_case(
            ten,
            0,
            2,
            1.5,
            2.5,
            [2, 6, 3],
            "R = 2, band (1.5, 2.5)",
            with_query=[8, 2, 6],
            zero_based=[6, 3, 9],
        ),
        # R = 3, (1.2, 2.1): ranks ceil(3.6) = 4 .. floor(6.3) = 6 -> 6, 3, 9; int(3.6) = 3 would add item 2.
        _band_case(ten, 0, 3, 1.2, 2.1, [6, 3, 9], "R = 3, fractional ends", truncated=[2, 6, 3, 9]),
        # R = 0 (a pin alone on its boards) counts as 1: (2, 3) -> ranks 2..3 -> 4, 6.
        _band_case(eight, 2, 0, 2.0, 3.0, [4, 6], "R = 0", unclamped=[]),
        # 6 pins, query 5: ranking 1 (.3), 3 (.2), 4 (.15), 0 (.1), 2 (.05). R = 3, (2, 4): ranks 6..12,
        # clipped to the 5 rankable items -> rank 5 only -> item 2.
        _band_case(
            [0.10, 0.30, 0.05, 0.20, 0.15, 0.90],
            5,
            3,
            2.0,
            4.0,
            [2],
            "a band beyond the catalogue",
            unclamped=[],
        ),
    ]
    run_check("hard_negative_band", function, cases)


def hard_negatives_in_epoch(function: Callable) -> None:
    """Check ``hard_negatives_in_epoch(epoch, schedule, max_hard, per_epoch)`` on the three schedules."""

    def case(epoch, schedule, max_hard, per_epoch, expected, *, one_based=None, uncapped=None):
        def check(got):
            if isinstance(got, bool) or not isinstance(got, int | np.integer):
                return f"expected a whole number of hard negatives (an int), got {type(got).__name__}"
            if int(got) == expected:
                return None
            hints = []
            if one_based is not None and int(got) == one_based:
                hints.append(
                    "epoch is 0-based here: the first epoch (epoch 0) uses random negatives only, "
                    "epoch n (1-based) uses n - 1"
                )
            if uncapped is not None and int(got) == uncapped:
                hints.append(f"the curriculum never goes beyond max_hard = {max_hard}")
            prefix = "; ".join(hints) + "; " if hints else ""
            return f"{prefix}differs: your value {int(got)}"

        return Case(
            args=(epoch, schedule, max_hard, per_epoch),
            check=check,
            label=f"epoch {epoch}, {schedule!r}, max_hard={max_hard}, per_epoch={per_epoch}",
        )

    cases = [
        case(0, "curriculum", 6, 1, 0, one_based=1),  # the first epoch: random negatives only
        case(1, "curriculum", 6, 1, 1, one_based=2),
        case(3, "curriculum", 6, 2, 6, one_based=8),  # 2 per epoch: 0, 2, 4, 6
        case(9, "curriculum", 4, 1, 4, uncapped=9),  # capped at max_hard
        case(0, "no-curriculum", 3, 1, 3),  # max_hard from the first epoch
        case(5, "random-only", 3, 1, 0),  # never any
    ]
    run_check("hard_negatives_in_epoch", function, cases)
