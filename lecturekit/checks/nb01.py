"""Checks for notebook 01's exercises (see `lecturekit.checks.base` for the contract).

* ``item_cosine_similarity(interactions) -> [N, N]``: the item-item CF similarity (the package's
  ``cosine_similarity_matrix(interactions.T)``).
* ``hit_at_k(scores, targets, seen, k) -> float``: hit@K with each user's seen items masked and ties
  broken by ``tie_break_priority`` (the package's ``hit_rate(rank_of_targets(scores, targets, exclude=seen), k)``).
* ``lightgcn_propagate(user_emb, item_emb, users, items) -> (user_out, item_out)``: one LightGCN
  propagation on the bipartite graph (PyG's ``LGConv`` on the stacked user+item graph).

Every expected value below was worked out by hand; the comments show the arithmetic. While a check
runs, the package's version of the step is replaced by a stand-in, and hidden random cases (ties
among the scores included) are compared with it (see ``lecturekit.checks.base.harden``). The LightGCN check
finds the known wrong propagations by name on its hand cases.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lecturekit.checks.base import ANY, Case, harden, run_check
from lecturekit.checks.hints import as_numpy, equals, explained

__all__ = ["hit_at_k", "item_cosine_similarity", "lightgcn_propagate"]

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
    scores = (
        rng.integers(0, 3, (users, items)).astype(np.float32) if ties else rng.normal(size=(users, items))
    )
    targets = rng.integers(0, items, users)
    seen = []
    for user in range(users):
        others = np.setdiff1d(np.arange(items), [targets[user]])
        seen.append(
            torch.tensor(
                rng.choice(others, int(rng.integers(0, len(others))), replace=False), dtype=torch.long
            )
        )
    k = int(rng.integers(1, items + 1))
    about = "ties among the scores, broken by tie_break_priority" if ties else "no ties"
    return (torch.tensor(scores, dtype=torch.float32), torch.tensor(targets), seen, k), {}, about


def _reference_hit_at_k(scores, targets, seen, k):
    from lecturekit.recsys.metrics import hit_rate, rank_of_targets

    return hit_rate(rank_of_targets(scores, targets, exclude=seen), k)


harden(
    "item_cosine_similarity",
    reference=_reference_cosine,
    draw=_draw_interactions,
    atol=1e-5,
    forbid=(
        "lecturekit.recsys.item_similarity.cosine_similarity_matrix",
        "torch.nn.functional.cosine_similarity",
        "torch.cosine_similarity",
        "sklearn.metrics.pairwise.cosine_similarity",
    ),
)
harden(
    "hit_at_k",
    reference=_reference_hit_at_k,
    draw=_draw_ranking,
    forbid=(
        "lecturekit.recsys.metrics.rank_of_targets",
        "lecturekit.recsys.metrics.hit_rate",
        "lecturekit.recsys.metrics.top_k_items",
        "lecturekit.recsys.metrics.recall_at_k",
    ),
)


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
        return (
            "the values are whole numbers, i.e. counts of users in common: a cosine divides each dot "
            "product by the lengths of both columns"
        )
    return None


def item_cosine_similarity(function: Callable) -> None:
    """Check ``item_cosine_similarity(interactions)`` on four small interaction matrices."""
    diagnoses = (_not_symmetric, _not_normalised, _counts, _diagonal_not_zero)
    cases = [
        # items are the columns: (1,1,0), (1,0,1), (0,1,0) with lengths sqrt2, sqrt2, 1.
        # sim(0,1) = 1 / (sqrt2 sqrt2) = 0.5; sim(0,2) = 1 / sqrt2; sim(1,2) = 0 (no user in common).
        (
            [[1, 1, 0], [1, 0, 1], [0, 1, 0]],
            [[0, 0.5, _R2], [0.5, 0, 0], [_R2, 0, 0]],
            "three users, three items",
        ),
        # item 1 has no interactions: its column has length 0, its similarity to everything is 0 (not NaN).
        ([[1, 0, 1], [1, 0, 0]], [[0, 0, _R2], [0, 0, 0], [_R2, 0, 0]], "an item nobody interacted with"),
        # two users, four items: the result is items x items (4 x 4), not users x users.
        # columns (1,0), (1,1), (0,1), (0,1): sim(0,1) = sim(1,2) = sim(1,3) = 1/sqrt2, sim(2,3) = 1.
        (
            [[1, 1, 0, 0], [0, 1, 1, 1]],
            [[0, _R2, 0, 0], [_R2, 0, _R2, _R2], [0, _R2, 0, 1], [0, _R2, 1, 0]],
            "two users, four items",
        ),
        # the toy listening example's shape: one heavy user does not make her items similar to everything.
        # columns (1,1,0), (1,1,1), (0,0,1): sim(0,1) = 2/(sqrt2 sqrt3), sim(0,2) = 0, sim(1,2) = 1/sqrt3.
        (
            [[1, 1, 0], [1, 1, 0], [0, 1, 1]],
            [[0, 2 / 6**0.5, 0], [2 / 6**0.5, 0, 3**-0.5], [0, 3**-0.5, 0]],
            "an item everyone interacted with",
        ),
    ]
    run_check(
        "item_cosine_similarity",
        function,
        [
            Case(
                args=(torch.tensor(matrix, dtype=torch.float32),),
                expected=ANY,
                label=label,
                check=explained(torch.tensor(expected, dtype=torch.float32), *diagnoses),
            )
            for matrix, expected, label in cases
        ],
    )


def hit_at_k(function: Callable) -> None:
    """Check ``hit_at_k(scores, targets, seen, k)`` on five small ranking problems and two with tied scores."""

    def case(scores, targets, seen, k, expected, label, unmasked=None, masked_to_zero=None, strict=None):
        def masked_item_ranked(got):
            if unmasked is not None and equals(unmasked, got):
                return (
                    "a seen item was ranked: items the user already interacted with outscore the target "
                    "here and must be removed from the ranking first"
                )
            return None

        def masked_to_zero_outranks(got):
            if masked_to_zero is not None and equals(masked_to_zero, got):
                return (
                    "masked items still outrank the target: every score here is negative, so a masked "
                    "item must get a score below all others (minus infinity), not 0"
                )
            return None

        def rank_k_missed(got):
            if strict is not None and equals(strict, got):
                return f"a target at rank exactly K = {k} is a hit: hit@K counts rank <= K"
            return None

        return Case(
            args=(
                torch.tensor(scores),
                torch.tensor(targets),
                [torch.tensor(s, dtype=torch.long) for s in seen],
                k,
            ),
            expected=ANY,
            label=label,
            check=explained(expected, masked_item_ranked, masked_to_zero_outranks, rank_k_missed),
        )

    cases = [
        # nothing masked, the target is third: a hit at K = 3.
        case([[0.4, 0.3, 0.2, 0.1]], [2], [[]], 3, 1.0, "the target ranks exactly K-th", strict=0.0),
        # seen items 0 and 1 score 0.9 and 0.8; masked, the target (item 3, 0.5) is first: a hit at K = 1.
        case(
            [[0.9, 0.8, 0.1, 0.5]],
            [3],
            [[0, 1]],
            1,
            1.0,
            "the user's two seen items outscore the target",
            unmasked=0.0,
        ),
        # user 0: target 0 scores lowest of four (rank 4, a miss); user 1: seen item 1 masked, target 3 first.
        case(
            [[0.1, 0.4, 0.3, 0.2], [0.3, 0.9, 0.2, 0.6]],
            [0, 3],
            [[], [1]],
            1,
            0.5,
            "two users, K = 1",
            unmasked=0.0,
        ),
        # ranks after masking: user 0 rank 5 (miss), user 1 rank 1, user 2 rank 2, user 3 rank 1 -> 3/4 at K = 2;
        # without masking users 1 and 2 would be at ranks 2 and 3 -> 2/4.
        case(
            [
                [5.0, 4.0, 3.0, 2.0, 1.0],
                [1.0, 2.0, 3.0, 4.0, 5.0],
                [0.5, 0.1, 0.9, 0.3, 0.7],
                [0.2, 0.8, 0.6, 0.4, 0.0],
            ],
            [4, 3, 0, 1],
            [[], [4], [2], [0, 3]],
            2,
            0.75,
            "four users, K = 2",
            unmasked=0.5,
        ),
        # all scores negative: masked items 0 and 3 must fall below the target (-2.0), which then beats item 2.
        case([[-1.0, -2.0, -3.0, -0.5]], [1], [[3, 0]], 1, 1.0, "negative scores", masked_to_zero=0.0),
        _tied_case(torch.zeros(6, 40), "a constant score for every item"),
        _tied_case(
            torch.randint(0, 3, (8, 30), generator=torch.Generator().manual_seed(1)).float(),
            "scores with many ties",
        ),
    ]
    run_check("hit_at_k", function, cases)


def _tied_case(scores: torch.Tensor, label: str) -> Case:
    """Tied scores: the answer must follow ``tie_break_priority``, as the package's ``rank_of_targets`` does."""
    from lecturekit.recsys.metrics import hit_rate, rank_of_targets

    num_users, num_items = scores.shape
    targets = torch.arange(num_users) * 3 % num_items
    seen = [torch.tensor([(t + 1) % num_items, (t + 2) % num_items]) for t in targets.tolist()]
    k = 10
    expected = hit_rate(
        rank_of_targets(scores, targets, exclude=seen), k
    )  # computed before it is switched off

    def check(got) -> str | None:
        if equals(expected, got):
            return None
        if equals(1.0, got):
            return (
                "every target counted as a hit on tied scores: a tie must not go the target's way -- order "
                "equal scores by `tie_break_priority(num_items)` (the higher priority ranks first)"
            )
        return (
            "differs on tied scores: order equal scores by `tie_break_priority(num_items)` "
            "(the higher priority ranks first), as the package's ranking does"
        )

    return Case(args=(scores, targets, seen, k), expected=ANY, label=label, check=check)


# ---- lightgcn_propagate ------------------------------------------------------------------------------------
def lgconv_reference(
    user_emb: torch.Tensor, item_emb: torch.Tensor, users: torch.Tensor, items: torch.Tensor
):
    """PyG's ``LGConv`` on the user+item graph (users first, then items), split back into (users, items)."""
    from torch_geometric.nn.conv import LGConv

    num_users = user_emb.shape[0]
    edge_index = torch.stack([torch.cat([users, items + num_users]), torch.cat([items + num_users, users])])
    out = LGConv()(torch.cat([user_emb, item_emb]), edge_index)
    return out[:num_users], out[num_users:]


def _wrong_variants(user_emb, item_emb, users, items) -> dict[str, torch.Tensor]:
    """Stacked ``[users + items, dim]`` results of the known wrong propagations, each with what is wrong."""
    num_users = user_emb.shape[0]
    x = torch.cat([user_emb, item_emb]).double()
    size = x.shape[0]
    adjacency = torch.zeros(size, size, dtype=torch.float64)
    adjacency[users, items + num_users] = 1.0
    adjacency[items + num_users, users] = 1.0
    degree = adjacency.sum(1)
    inverse = torch.where(degree > 0, 1.0 / degree.clamp_min(1), 0.0)
    root = inverse.sqrt()
    symmetric = root[:, None] * adjacency * root[None, :]
    looped = adjacency + torch.eye(size, dtype=torch.float64)
    looped_root = looped.sum(1).rsqrt()
    return {
        "each node divides by its own degree only (a mean over its neighbours); LightGCN divides every edge "
        "by the square root of the degrees of BOTH its ends": inverse[:, None] * (adjacency @ x),
        "each message is divided by its sender's degree only; LightGCN divides every edge by the square "
        "root of the degrees of BOTH its ends": adjacency @ (inverse[:, None] * x),
        "the neighbours are summed without normalisation: divide each edge by sqrt(deg(u) * deg(i))": adjacency
        @ x,
        "each edge is divided by the product of the two degrees; LightGCN divides by its square root": (
            inverse[:, None] * adjacency * inverse[None, :]
        )
        @ x,
        "the result includes each node's own embedding (a self loop, as in GCN); LightGCN's propagation sums "
        "over the neighbours only": (looped_root[:, None] * looped * looped_root[None, :]) @ x,
        "the result adds each node's own embedding; one propagation sums over the neighbours only": symmetric
        @ x
        + x,
    }


def _judge_propagation(user_emb, item_emb, users, items, expected):
    """A ``Case.check`` for one propagation case: says what is wrong without showing any expected value."""
    want_users, want_items = (e.detach().double() for e in expected)
    variants = _wrong_variants(user_emb, item_emb, users, items)
    isolated = torch.cat(
        [
            torch.bincount(users, minlength=len(user_emb)) == 0,
            torch.bincount(items, minlength=len(item_emb)) == 0,
        ]
    )

    def check(got) -> str | None:
        if (
            not isinstance(got, tuple | list)
            or len(got) != 2
            or not all(isinstance(t, torch.Tensor) for t in got)
        ):
            return "wrong type: return a pair of tensors `(user_out, item_out)`"
        for name, have, source in (("user_out", got[0], user_emb), ("item_out", got[1], item_emb)):
            if tuple(have.shape) != tuple(source.shape):
                what = "user" if name == "user_out" else "item"
                return (
                    f"wrong shape: {name} has shape {tuple(have.shape)}; it needs one row per {what} "
                    f"and the embeddings' width, {tuple(source.shape)}"
                )
        have = torch.cat([got[0].detach(), got[1].detach()]).double()
        if not bool(torch.isfinite(have).all()):
            return (
                "the result contains NaN or inf: a node without interactions has degree 0 -- guard the "
                "division (its output row is simply 0)"
            )
        want = torch.cat([want_users, want_items])
        if torch.allclose(have, want, rtol=1e-4, atol=1e-5):
            return None
        for message, variant in variants.items():
            if torch.allclose(have, variant, rtol=1e-4, atol=1e-5):
                return message
        if bool((have[isolated].abs() > 1e-5).any()):
            return "a node without interactions got a non-zero row: it has no neighbours, so its output is 0"
        bad = ~torch.isclose(have, want, rtol=1e-4, atol=1e-5).all(1)
        wrong_users, wrong_items = int(bad[: len(user_emb)].sum()), int(bad[len(user_emb) :].sum())
        return (
            f"differs: {wrong_users} of {len(user_emb)} user rows and {wrong_items} of {len(item_emb)} item rows "
            "are wrong (x'_u = sum over the user's items i of x_i / sqrt(deg(u) deg(i)), and the same for items)"
        )

    return check


def _propagation_case(user_emb, item_emb, users, items, label, expected=None) -> Case:
    user_emb, item_emb = (
        torch.as_tensor(user_emb, dtype=torch.float32),
        torch.as_tensor(item_emb, dtype=torch.float32),
    )
    users, items = torch.as_tensor(users, dtype=torch.long), torch.as_tensor(items, dtype=torch.long)
    if expected is None:
        expected = lgconv_reference(user_emb, item_emb, users, items)
    else:
        expected = tuple(torch.as_tensor(e, dtype=torch.float64) for e in expected)
    return Case(
        args=(user_emb, item_emb, users, items),
        expected=ANY,
        label=label,
        check=_judge_propagation(user_emb, item_emb, users, items, expected),
    )


def _hand_propagation_cases() -> list[Case]:
    r2, r3, r6 = 2**-0.5, 3**-0.5, 6**-0.5
    return [
        # edges (u0,i0), (u0,i1), (u1,i1): deg u0 = 2, u1 = 1, i0 = 1, i1 = 2.
        # u0' = 3/sqrt(2*1) + 4/sqrt(2*2); u1' = 4/sqrt(1*2); i0' = 1/sqrt(1*2); i1' = 1/sqrt(2*2) + 2/sqrt(1*2).
        _propagation_case(
            [[1.0], [2.0]],
            [[3.0], [4.0]],
            [0, 0, 1],
            [0, 1, 1],
            "two users, two items",
            expected=([[3 * r2 + 2], [4 * r2]], [[r2], [0.5 + 2 * r2]]),
        ),
        # user 2 and item 1 have no interactions: their rows are 0. deg u0 = u1 = 1, i0 = 2.
        # u0' = u1' = i0 / sqrt(1*2); i0' = (u0 + u1) / sqrt(2*1).
        _propagation_case(
            [[1.0, 0.0], [0.0, 2.0], [5.0, 5.0]],
            [[2.0, -2.0], [7.0, 7.0]],
            [1, 0],
            [0, 0],
            "a user and an item without interactions",
            expected=([[2 * r2, -2 * r2], [2 * r2, -2 * r2], [0, 0]], [[r2, 2 * r2], [0, 0]]),
        ),
        # a hub: u0 watched i0, i1, i2 (deg 3); u1 only i2 (deg 1); deg i0 = i1 = 1, i2 = 2.
        # u0' = (i0 + i1)/sqrt(3) + i2/sqrt(6); u1' = i2/sqrt(2); i0' = i1' = u0/sqrt(3); i2' = u0/sqrt(6) + u1/sqrt(2).
        _propagation_case(
            [[6.0], [1.0]],
            [[1.0], [2.0], [3.0]],
            [0, 1, 0, 0],
            [2, 2, 0, 1],
            "one user with three items, one with one",
            expected=([[3 * r3 + 3 * r6], [3 * r2]], [[6 * r3], [6 * r3], [6 * r6 + r2]]),
        ),
    ]


def _draw_propagation(rng):
    """A random bipartite graph: shapes varied, isolated users and items, sometimes a hub user."""
    num_users, num_items, dim = int(rng.integers(1, 10)), int(rng.integers(1, 13)), int(rng.integers(1, 6))
    mask = rng.random((num_users, num_items)) < rng.uniform(0.15, 0.65)
    if rng.random() < 0.3:
        mask[0] = True  # a hub user next to users with one or two items
    if rng.random() < 0.3 and num_items > 1:
        mask[:, -1] = False  # an item nobody interacted with
    if rng.random() < 0.3 and num_users > 1:
        mask[-1] = False  # a user without interactions
    mask[0, 0] = mask[0, 0] or not mask.any()
    users, items = mask.nonzero()
    order = rng.permutation(len(users))
    args = (
        torch.tensor(rng.normal(size=(num_users, dim)), dtype=torch.float32),
        torch.tensor(rng.normal(size=(num_items, dim)), dtype=torch.float32),
        torch.tensor(users[order], dtype=torch.long),
        torch.tensor(items[order], dtype=torch.long),
    )
    return args, {}, "a random bipartite graph (isolated nodes and hubs possible, edges in random order)"


harden(
    "lightgcn_propagate",
    reference=lgconv_reference,
    draw=_draw_propagation,
    atol=1e-5,
    rtol=1e-4,
    forbid=(
        "torch_geometric.nn.conv.LGConv",
        "torch_geometric.nn.conv.GCNConv",
        "torch_geometric.nn.conv.gcn_conv.gcn_norm",
        "torch_geometric.nn.models.LightGCN",
        "lecturekit.recsys.lightgcn.normalized_adjacency",
        "lecturekit.recsys.lightgcn.LightGCNRecommender",
    ),
)


def lightgcn_propagate(function: Callable) -> None:
    """Check ``lightgcn_propagate(user_emb, item_emb, users, items)`` on 3 hand cases and hidden random ones.

    The hidden cases are compared with PyG's ``LGConv`` (computed before the library is switched off).
    """
    run_check("lightgcn_propagate", function, _hand_propagation_cases())
