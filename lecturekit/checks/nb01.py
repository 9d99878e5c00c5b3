"""Checks for notebook 01's exercises (see `lecturekit.checks.base` for the contract).

* ``item_cosine_similarity(interactions) -> [N, N]``: the item-item CF similarity (the package's
  ``cosine_similarity_matrix(interactions.T)``).
* ``hit_at_k(scores, targets, seen, k) -> float``: hit@K with each user's seen items masked (the
  package's ``hit_rate(rank_of_targets(scores, targets, exclude=seen), k)``).

Every expected value below was worked out by hand; the comments show the arithmetic. While a check
runs, the package's version of the step is replaced by a stand-in, and hidden random cases (ties
among the scores included) are compared with it (see ``lecturekit.checks.base.harden``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lecturekit.checks.base import ANY, Case, harden, run_check
from lecturekit.checks.hints import as_numpy, equals, explained

__all__ = ["hit_at_k", "item_cosine_similarity"]

_R2 = 2**-0.5  # 1 / sqrt(2): the cosine of the columns (1, 1) and (1, 0)


# ---- hidden random cases, against the package's implementation
def _draw_interactions(rng):
    users, items = int(rng.integers(1, 9)), int(rng.integers(2, 9))
    matrix = (rng.random((users, items)) < rng.uniform(0.2, 0.7)).astype(np.float32)
    if rng.random() < 0.3:
        matrix[:, int(rng.integers(items))] = 0  # an item nobody interacted with
    return (torch.tensor(matrix),), {}, "a random 0/1 matrix"


def _reference_cosine(interactions):
    from lecturekit.recsys.item_similarity import cosine_similarity_matrix

    return cosine_similarity_matrix(interactions.T.float())


def _draw_ranking(rng):
    users, items = int(rng.integers(1, 7)), int(rng.integers(3, 12))
    ties = rng.random() < 0.5
    scores = rng.integers(0, 3, (users, items)).astype(np.float32) if ties else rng.normal(size=(users, items))
    targets = rng.integers(0, items, users)
    seen = []
    for user in range(users):
        others = np.setdiff1d(np.arange(items), [targets[user]])
        seen.append(torch.tensor(rng.choice(others, int(rng.integers(0, len(others))), replace=False), dtype=torch.long))
    k = int(rng.integers(1, items + 1))
    about = "ties among the scores, broken by tie_break_priority" if ties else "no ties"
    return (torch.tensor(scores, dtype=torch.float32), torch.tensor(targets), seen, k), {}, about


def _reference_hit_at_k(scores, targets, seen, k):
    from lecturekit.recsys.metrics import hit_rate, rank_of_targets

    return hit_rate(rank_of_targets(scores, targets, exclude=seen), k)


harden("item_cosine_similarity", reference=_reference_cosine, draw=_draw_interactions, atol=1e-5,
       forbid=("lecturekit.recsys.item_similarity.cosine_similarity_matrix", "torch.nn.functional.cosine_similarity",
               "torch.cosine_similarity", "sklearn.metrics.pairwise.cosine_similarity"))  # fmt: skip
harden("hit_at_k", reference=_reference_hit_at_k, draw=_draw_ranking,
       forbid=("lecturekit.recsys.metrics.rank_of_targets", "lecturekit.recsys.metrics.hit_rate",
               "lecturekit.recsys.metrics.top_k_items", "lecturekit.recsys.metrics.recall_at_k"))  # fmt: skip


def _not_symmetric(got) -> str | None:
    array = as_numpy(got)
    if not np.allclose(array, array.T, atol=1e-6):
        return "the matrix is not symmetric: sim(i, j) and sim(j, i) compare the same two columns"
    return None


def _diagonal_not_zero(got) -> str | None:
    if not np.allclose(np.diag(as_numpy(got)), 0.0, atol=1e-6):
        return "the diagonal is not zero: an item must not count as its own neighbour (set sim(i, i) to 0)"
    return None


def _not_normalised(got) -> str | None:
    if (as_numpy(got) > 1 + 1e-6).any():
        return "some similarities exceed 1: a cosine divides the dot product by both columns' lengths"
    return None


def _counts(got) -> str | None:
    array = as_numpy(got)
    if np.allclose(array, np.round(array)) and (array != 0).any():
        return ("the values are whole numbers, i.e. counts of users in common: a cosine divides each dot "
                "product by the lengths of both columns")
    return None


def item_cosine_similarity(function: Callable) -> None:
    """Check ``item_cosine_similarity(interactions)`` on four small interaction matrices."""
    diagnoses = (_not_symmetric, _not_normalised, _counts, _diagonal_not_zero)
    cases = [
        # items are the columns: (1,1,0), (1,0,1), (0,1,0) with lengths sqrt2, sqrt2, 1.
        # sim(0,1) = 1 / (sqrt2 sqrt2) = 0.5; sim(0,2) = 1 / sqrt2; sim(1,2) = 0 (no user in common).
        ([[1, 1, 0], [1, 0, 1], [0, 1, 0]],
         [[0, 0.5, _R2], [0.5, 0, 0], [_R2, 0, 0]], "three users, three items"),
        # item 1 has no interactions: its column has length 0, its similarity to everything is 0 (not NaN).
        ([[1, 0, 1], [1, 0, 0]],
         [[0, 0, _R2], [0, 0, 0], [_R2, 0, 0]], "an item nobody interacted with"),
        # two users, four items: the result is items x items (4 x 4), not users x users.
        # columns (1,0), (1,1), (0,1), (0,1): sim(0,1) = sim(1,2) = sim(1,3) = 1/sqrt2, sim(2,3) = 1.
        ([[1, 1, 0, 0], [0, 1, 1, 1]],
         [[0, _R2, 0, 0], [_R2, 0, _R2, _R2], [0, _R2, 0, 1], [0, _R2, 1, 0]], "two users, four items"),
        # the toy listening example's shape: one heavy user does not make her items similar to everything.
        # columns (1,1,0), (1,1,1), (0,0,1): sim(0,1) = 2/(sqrt2 sqrt3), sim(0,2) = 0, sim(1,2) = 1/sqrt3.
        ([[1, 1, 0], [1, 1, 0], [0, 1, 1]],
         [[0, 2 / 6**0.5, 0], [2 / 6**0.5, 0, 3**-0.5], [0, 3**-0.5, 0]], "an item everyone interacted with"),
    ]
    run_check("item_cosine_similarity", function, [
        Case(args=(torch.tensor(matrix, dtype=torch.float32),), expected=ANY, label=label,
             check=explained(torch.tensor(expected, dtype=torch.float32), *diagnoses))
        for matrix, expected, label in cases
    ])


def hit_at_k(function: Callable) -> None:
    """Check ``hit_at_k(scores, targets, seen, k)`` on five small ranking problems (no tied scores)."""

    def case(scores, targets, seen, k, expected, label, unmasked=None, masked_to_zero=None, strict=None):
        def masked_item_ranked(got):
            if unmasked is not None and equals(unmasked, got):
                return ("a seen item was ranked: items the user already interacted with outscore the target "
                        "here and must be removed from the ranking first")
            return None

        def masked_to_zero_outranks(got):
            if masked_to_zero is not None and equals(masked_to_zero, got):
                return ("masked items still outrank the target: every score here is negative, so a masked "
                        "item must get a score below all others (minus infinity), not 0")
            return None

        def rank_k_missed(got):
            if strict is not None and equals(strict, got):
                return f"a target at rank exactly K = {k} is a hit: hit@K counts rank <= K"
            return None

        return Case(
            args=(torch.tensor(scores), torch.tensor(targets), [torch.tensor(s, dtype=torch.long) for s in seen], k),
            expected=ANY, label=label,
            check=explained(expected, masked_item_ranked, masked_to_zero_outranks, rank_k_missed),
        )

    cases = [
        # nothing masked, the target is third: a hit at K = 3.
        case([[0.4, 0.3, 0.2, 0.1]], [2], [[]], 3, 1.0, "the target ranks exactly K-th", strict=0.0),
        # seen items 0 and 1 score 0.9 and 0.8; masked, the target (item 3, 0.5) is first: a hit at K = 1.
        case([[0.9, 0.8, 0.1, 0.5]], [3], [[0, 1]], 1, 1.0, "the user's two seen items outscore the target",
             unmasked=0.0),
        # user 0: target 0 scores lowest of four (rank 4, a miss); user 1: seen item 1 masked, target 3 first.
        case([[0.1, 0.4, 0.3, 0.2], [0.3, 0.9, 0.2, 0.6]], [0, 3], [[], [1]], 1, 0.5, "two users, K = 1",
             unmasked=0.0),
        # ranks after masking: user 0 rank 5 (miss), user 1 rank 1, user 2 rank 2, user 3 rank 1 -> 3/4 at K = 2;
        # without masking users 1 and 2 would be at ranks 2 and 3 -> 2/4.
        case([[5.0, 4.0, 3.0, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 5.0], [0.5, 0.1, 0.9, 0.3, 0.7],
              [0.2, 0.8, 0.6, 0.4, 0.0]], [4, 3, 0, 1], [[], [4], [2], [0, 3]], 2, 0.75, "four users, K = 2",
             unmasked=0.5),
        # all scores negative: masked items 0 and 3 must fall below the target (-2.0), which then beats item 2.
        case([[-1.0, -2.0, -3.0, -0.5]], [1], [[3, 0]], 1, 1.0, "negative scores", masked_to_zero=0.0),
    ]
    run_check("hit_at_k", function, cases)
