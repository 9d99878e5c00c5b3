"""Checks for notebook 02's exercises (see `lecturekit.checks.base` for the contract).

* ``importance_neighborhood(counts, top_t) -> (neighbors, weights)``: PinSage's importance
  neighbourhood from visit counts (the package's ``lecturekit.recsys.pinsage.sampler.importance_neighborhood``,
  the rule ``RandomWalkSampler.sample`` applies to its walks).
* ``pinsage_convolution(h, neighbors, weights, Q, q, W, w) -> (n_dst, out)``: one importance-pooling
  convolution, Algorithm 1 (the package's ``PinSageConv``).
* ``max_margin_loss(query, positive, negatives, margin) -> scalar``: the hinge loss with negatives shared
  by the batch (the package's ``lecturekit.recsys.pinsage.loss.max_margin_loss`` without hard negatives).

Every expected value below was worked out by hand; the comments show the arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from lecturekit.checks.base import ANY, Case, differences, harden, run_check
from lecturekit.checks.hints import as_numpy, equals, explained

__all__ = ["importance_neighborhood", "max_margin_loss", "pinsage_convolution"]

_PINSAGE = "lecturekit.recsys.pinsage"


# ---- hidden random cases, against the package's implementation
def _draw_counts(rng):
    queries, items = int(rng.integers(1, 5)), int(rng.integers(2, 10))
    counts = rng.integers(0, 4, (queries, items)) * (rng.random((queries, items)) < 0.7)  # ties and zero rows
    return (
        (torch.tensor(counts, dtype=torch.float32), int(rng.integers(1, items + 3))),
        {},
        "ties among the counts",
    )


def _reference_neighborhood(counts, top_t):
    from lecturekit.recsys.pinsage.sampler import importance_neighborhood as package

    return package(counts, top_t)


def _draw_convolution(rng):
    nodes, d_in, hidden, d_out = (int(rng.integers(2, 7)), *(int(v) for v in rng.integers(2, 5, 3)))
    destinations, top_t = int(rng.integers(1, nodes + 1)), int(rng.integers(1, 4))
    neighbors = rng.integers(0, nodes, (destinations, top_t))
    weights = rng.random((destinations, top_t)) + 0.05
    padding = rng.random((destinations, top_t)) < 0.25
    padding[:, 0] = False
    neighbors[padding], weights[padding] = -1, 0.0
    weights /= weights.sum(1, keepdims=True)
    args = (
        _t(rng.normal(size=(nodes, d_in))),
        _ids(neighbors),
        _t(weights),
        _t(rng.normal(size=(hidden, d_in))),
        _t(rng.normal(size=hidden)),
        _t(rng.normal(size=(d_out, d_in + hidden))),
        _t(rng.normal(size=d_out)),
    )
    return args, {}, f"{nodes} nodes, {destinations} destinations, dimensions {d_in} -> {hidden} -> {d_out}"


def _reference_convolution(h, neighbors, weights, Q, q, W, w):
    from lecturekit.recsys.pinsage.layers import PinSageConv

    layer = PinSageConv(Q.shape[1], Q.shape[0], W.shape[0])
    with torch.no_grad():
        for linear, weight, bias in ((layer.Q, Q, q), (layer.W, W, w)):
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        return layer(h, neighbors, weights)


def _draw_loss(rng):
    batch, negatives, dim = int(rng.integers(1, 6)), int(rng.integers(1, 7)), int(rng.integers(2, 6))
    margin = float(rng.choice([rng.uniform(0.05, 1.5), 0.1]))
    embed = lambda rows: _t(rng.normal(size=(rows, dim)) / dim**0.5)  # noqa: E731 - three draws of one shape
    return (embed(batch), embed(batch), embed(negatives)), {"margin": margin}, "margins other than 0.1 too"


def _reference_loss(query, positive, negatives, margin):
    from lecturekit.recsys.pinsage.loss import max_margin_loss as package

    return package(query, positive, negatives, margin=margin)


harden(
    "importance_neighborhood",
    reference=_reference_neighborhood,
    draw=_draw_counts,
    forbid=(
        f"{_PINSAGE}.sampler.importance_neighborhood",
        f"{_PINSAGE}.sampler.RandomWalkSampler",
        f"{_PINSAGE}.sampler._top_kernel",
    ),
)
harden(
    "pinsage_convolution",
    reference=_reference_convolution,
    draw=_draw_convolution,
    atol=1e-5,
    rtol=1e-4,
    forbid=(f"{_PINSAGE}.layers.PinSageConv",),
)
harden(
    "max_margin_loss",
    reference=_reference_loss,
    draw=_draw_loss,
    atol=1e-6,
    rtol=1e-4,
    forbid=(
        f"{_PINSAGE}.loss.max_margin_loss",
        "torch.nn.functional.margin_ranking_loss",
        "torch.margin_ranking_loss",
        "torch.nn.MarginRankingLoss",
    ),
)


def _t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


def _ids(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.long)


# ---------------------------------------------------------------------------------------- neighbourhoods
def _same_rows_in_another_order(expected, got) -> bool:
    array = as_numpy(got)
    return array.shape == np.shape(expected) and all(
        sorted(row) == sorted(want) for row, want in zip(array.tolist(), expected, strict=True)
    )


def importance_neighborhood(function: Callable) -> None:
    """Check ``importance_neighborhood(counts, top_t)`` on four small visit-count matrices."""

    def result(neighbors, weights, unnormalised=None):
        """A ``Case.check`` comparing the ``(neighbors, weights)`` pair, with plain-words diagnoses."""

        def check(got):
            if not isinstance(got, tuple | list) or len(got) != 2:
                return f"expected a pair (neighbors, weights), got {type(got).__name__}"
            got_neighbors, got_weights = got
            problem = differences(_ids(neighbors), got_neighbors)
            if problem:
                if problem.startswith("differs") and _same_rows_in_another_order(neighbors, got_neighbors):
                    problem = (
                        "the right neighbours in the wrong order (most visited first, equal counts by smaller id); "
                        + problem
                    )
                return f"neighbors {problem}"
            problem = differences(_t(weights), got_weights)
            if problem and problem.startswith("differs"):
                rows = as_numpy(got_weights)
                sums = rows.sum(1)
                if unnormalised is not None and np.allclose(rows, unnormalised):
                    return (
                        "the weights are the raw visit counts: divide each row by the total of its kept "
                        f"counts so that it sums to 1 (row sums {np.round(sums, 4).tolist()}); weights {problem}"
                    )
                visited = np.asarray(weights).sum(1) > 0
                if not np.allclose(sums[visited], 1.0, atol=1e-5):
                    return (
                        "weights not normalised: each row with a visit must sum to 1 over its T kept neighbours "
                        f"(row sums {np.round(sums, 4).tolist()}); weights {problem}"
                    )
            return f"weights {problem}" if problem else None

        return check

    cases = [
        # counts of items 0..5 from one query: 5, 0, 2, 7, 1, 0. Top 3: item 3 (7), item 0 (5), item 2 (2);
        # total 14 -> weights 7/14, 5/14, 2/14.
        Case(
            args=(_t([[5, 0, 2, 7, 1, 0]]), 3),
            label="one query, top 3 of 6 items",
            check=result([[3, 0, 2]], [[0.5, 5 / 14, 1 / 7]], unnormalised=[[7, 5, 2]]),
        ),
        # two queries; row 1 has only two visited items: padded with -1 / 0. Row 0: 4, 4, 1 of 9 ... equal
        # counts (items 1 and 2, 4 visits each) are ordered by the smaller item id first.
        Case(
            args=(_t([[0, 4, 4, 1], [0, 0, 3, 1]]), 3),
            label="two queries, one with only two visited items",
            check=result(
                [[1, 2, 3], [2, 3, -1]],
                [[4 / 9, 4 / 9, 1 / 9], [0.75, 0.25, 0.0]],
                unnormalised=[[4, 4, 1], [3, 1, 0]],
            ),
        ),
        # a query nobody reached (an isolated pin): all padding, weights 0 (not NaN).
        Case(
            args=(_t([[2, 1, 1], [0, 0, 0]]), 2),
            label="a query whose walks visited nothing",
            check=result([[0, 1], [-1, -1]], [[2 / 3, 1 / 3], [0.0, 0.0]], unnormalised=[[2, 1], [0, 0]]),
        ),
        # top_t larger than the catalogue: every visited item kept, the rest padding.
        Case(
            args=(_t([[1, 3]]), 4),
            label="T larger than the number of items",
            check=result([[1, 0, -1, -1]], [[0.75, 0.25, 0.0, 0.0]], unnormalised=[[3, 1, 0, 0]]),
        ),
    ]
    run_check("importance_neighborhood", function, cases)


# ---------------------------------------------------------------------------------------- convolution
def _unit_rows(got) -> str | None:
    norms = np.linalg.norm(as_numpy(got), axis=1)
    if not np.allclose(norms, 1.0, atol=1e-5):
        return (
            "the output rows do not have length 1: the last step divides z_v by its L2 norm "
            f"(row lengths {np.round(norms, 4).tolist()})"
        )
    return None


def pinsage_convolution(function: Callable) -> None:
    """Check ``pinsage_convolution(h, neighbors, weights, Q, q, W, w)`` on three tiny graphs (dims 2 -> 2 -> 2).

    Messages ``m_u = ReLU(Q h_u + q)``, pooled ``n_v = sum_u alpha_u m_u``, ``z_v = ReLU(W [h_v || n_v] + w)``,
    output ``z_v / ||z_v||``. In every case ``W = [[1, 0, 0, 0], [0, 0, 1, 1]]``: ``z_v = ReLU(h_v[0] + w_0,
    n_v[0] + n_v[1] + w_1)``.
    """
    identity, no_bias = _t([[1, 0], [0, 1]]), _t([0, 0])
    w_pick = _t([[1, 0, 0, 0], [0, 0, 1, 1]])

    def no_relu_on_messages(value):
        def diagnose(got):
            if np.allclose(as_numpy(got), value, atol=1e-5):
                return "the neighbour messages must pass through ReLU(Q h_u + q) before pooling (one is negative here)"
            return None

        return diagnose

    def unweighted(value):
        def diagnose(got):
            if np.allclose(as_numpy(got), value, atol=1e-5):
                return (
                    "the neighbours were averaged with equal weights: importance pooling weights each "
                    "neighbour's message by its alpha_u"
                )
            return None

        return diagnose

    s = 3.25**-0.5
    cases = [
        # Q = I, q = 0: m_u = h_u. n_0 = .5 (0,1) + .5 (1,1) = (.5, 1) -> z_0 = (1, 1.5) / sqrt(3.25);
        # n_1 = (1,0) -> z_1 = (0, 1); n_2 = .75 (1,0) + .25 (0,1) -> z_2 = (1, 1) / sqrt 2.
        # (Equal weights would give the same outputs here; case 3 is the one where alpha_u matters.)
        Case(
            args=(
                _t([[1, 0], [0, 1], [1, 1]]),
                _ids([[1, 2], [0, -1], [0, 1]]),
                _t([[0.5, 0.5], [1, 0], [0.75, 0.25]]),
                identity,
                no_bias,
                w_pick,
                no_bias,
            ),
            label="three nodes, Q = identity, one padded neighbour",
            check=explained(_t([[s, 1.5 * s], [0, 1], [2**-0.5, 2**-0.5]]), _unit_rows),
        ),
        # Q = [[1, -1], [0, 2]], q = (0, -1): m_0 = ReLU(2-1, 2-1) = (1, 1); m_1 = ReLU(1-3, 6-1) = (0, 5).
        # w = (-1, 0.5): z_0 = ReLU(2-1, 0+5+.5) = (1, 5.5) / sqrt(31.25); z_1 = ReLU(1-1, 1+1+.5) = (0, 1).
        # Without the ReLU on m_1: n_0 = (-2, 5) -> z_0 = (1, 3.5) / sqrt(13.25).
        Case(
            args=(
                _t([[2, 1], [1, 3]]),
                _ids([[1], [0]]),
                _t([[1], [1]]),
                _t([[1, -1], [0, 2]]),
                _t([0, -1]),
                w_pick,
                _t([-1, 0.5]),
            ),
            label="two nodes, a message with a negative entry, biases",
            check=explained(
                _t([[1 / 31.25**0.5, 5.5 / 31.25**0.5], [0, 1]]),
                _unit_rows,
                no_relu_on_messages(_t([[1 / 13.25**0.5, 3.5 / 13.25**0.5], [0, 1]])),
            ),
        ),
        # two destinations among three nodes (destination v is row v of h). n_0 = .25 (3,1) + .75 (0,2) =
        # (.75, 1.75) -> z_0 = (1, 2.5) / sqrt(7.25); n_1 = (3, 1) -> z_1 = (0, 4) -> (0, 1).
        # Equal weights: n_0 = (1.5, 1.5) -> z_0 = (1, 3) / sqrt 10.
        Case(
            args=(
                _t([[1, 0], [0, 2], [3, 1]]),
                _ids([[2, 1], [2, -1]]),
                _t([[0.25, 0.75], [1, 0]]),
                identity,
                no_bias,
                w_pick,
                no_bias,
            ),
            label="two destinations, three source nodes, unequal weights",
            check=explained(
                _t([[1 / 7.25**0.5, 2.5 / 7.25**0.5], [0, 1]]),
                _unit_rows,
                unweighted(_t([[1 / 10**0.5, 3 / 10**0.5], [0, 1]])),
            ),
        ),
    ]
    run_check("pinsage_convolution", function, cases)


# ---------------------------------------------------------------------------------------- loss
def max_margin_loss(function: Callable) -> None:
    """Check ``max_margin_loss(query, positive, negatives, margin)`` on three small batches."""

    def negative_loss(got):
        value = as_numpy(got)
        if value.size == 1 and value.item() < -1e-9:
            return "the loss is negative: each term is a hinge max(0, ...), which is never below 0"
        return None

    def summed(total, per_query_sum):
        def diagnose(got):
            if equals(total, got):
                return (
                    "this is the sum of the hinge terms: the loss is their mean over every (query, negative)"
                )
            if per_query_sum is not None and equals(per_query_sum, got):
                return (
                    "each query's hinges were summed, then averaged over queries: "
                    "average over the negatives too"
                )
            return None

        return diagnose

    def sign_flipped(value):
        def diagnose(got):
            if equals(value, got):
                return (
                    "the positive and the negative scores are swapped: the hinge is "
                    "z_q.z_n - z_q.z_i + margin (a negative scoring near the positive costs)"
                )
            return None

        return diagnose

    def scalar(got):
        if as_numpy(got).size != 1:
            return f"expected a single number (the mean), got shape {tuple(as_numpy(got).shape)}"
        return None

    cases = [
        # z_q . z_i = 1; negatives score 0.5 and 0.95; margin 0.1: max(0, .5-1+.1) = 0, max(0, .95-1+.1) = .05
        # -> mean 0.025 (sum 0.05). Without the hinge: (-.4 + .05) / 2 = -0.175. Swapped: max(0, 1-.5+.1) = .6,
        # max(0, 1-.95+.1) = .15 -> 0.375.
        Case(
            args=(_t([[1, 0]]), _t([[1, 0]]), _t([[0.5, 0], [0.95, 0]])),
            kwargs={"margin": 0.1},
            label="one pair, two negatives",
            expected=ANY,
            check=lambda got: (
                scalar(got) or explained(0.025, negative_loss, sign_flipped(0.375), summed(0.05, None))(got)
            ),
        ),
        # two pairs sharing three negatives, margin 0.2. Query 0: positive score .5, negatives .2, .6, 0 ->
        # hinges 0, .3, 0. Query 1: positive score 1, negatives .9, .1, 0 -> hinges .1, 0, 0.
        # Mean over the 6 (query, negative) terms: .4 / 6. Sum: .4; mean over queries of the sums: .2.
        Case(
            args=(_t([[1, 0], [0, 1]]), _t([[0.5, 0], [0, 1]]), _t([[0.2, 0.9], [0.6, 0.1], [0, 0]])),
            kwargs={"margin": 0.2},
            label="two pairs sharing three negatives",
            expected=ANY,
            check=lambda got: scalar(got) or explained(0.4 / 6, negative_loss, summed(0.4, 0.2))(got),
        ),
        # every negative already more than the margin below the positive: the loss is exactly 0.
        Case(
            args=(_t([[0.6, 0.8]]), _t([[0.6, 0.8]]), _t([[0.8, -0.6], [-0.6, -0.8]])),
            kwargs={"margin": 0.5},
            label="easy negatives only",
            expected=ANY,
            check=lambda got: scalar(got) or explained(0.0, negative_loss)(got),
        ),
    ]
    run_check("max_margin_loss", function, cases)
