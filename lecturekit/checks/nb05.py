"""Checks for notebook 05's exercises (see `lecturekit.checks.base` for the contract).

* ``encode_bfs_sequence(adj, M) -> (n-1, M)``: GraphRNN's truncated adjacency sequence (the package's
  ``lecturekit.generation.graphrnn.encode_adj(adj, M, truncate=True)``).
* ``gaussian_emd_kernel(p, q, sigma) -> float``: the paper's kernel between two degree histograms (the
  package's ``graph_metrics.mmd_terms([p], [q], kernel="emd", sigma=sigma).xy``).
* ``mmd2(xs, ys, kernel, unbiased=False) -> float``: the biased and unbiased MMD² estimates for any kernel
  (the package's ``graph_metrics.MMDTerms``).

Every expected value below was worked out by hand; the comments show the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lecturekit.checks.base import ANY, Case, harden, run_check
from lecturekit.checks.hints import as_numpy, equals, explained

__all__ = ["encode_bfs_sequence", "gaussian_emd_kernel", "mmd2"]

_METRICS = "lecturekit.generation.graph_metrics"
_MMD = tuple(
    f"{_METRICS}.{name}"
    for name in (
        "mmd_terms",
        "kernel_parts",
        "mmd_squared",
        "mmd_sigma_sweep",
        "resampled_mmd2",
        "MMDTerms",
        "_kernel_matrix",
        "_distance_matrix",
    )
)


# ---- hidden random cases, against the package's implementation
def _draw_graph(rng):
    n = int(rng.integers(2, 10))
    upper = np.triu(rng.random((n, n)) < rng.uniform(0.2, 0.7), 1)
    m = int(rng.integers(1, n + 2))
    return ((upper | upper.T).astype(np.float32), m), {}, f"{n} nodes, M = {m}"


def _reference_encoding(adj, M):
    from lecturekit.generation.graphrnn.encoding import encode_adj

    return encode_adj(adj, M, truncate=True)


def _draw_histograms(rng):
    p, q = (rng.integers(0, 4, int(rng.integers(1, 7))).astype(float) for _ in range(2))
    p[int(rng.integers(len(p)))] += 1  # at least one node in each histogram
    q[int(rng.integers(len(q)))] += 1
    sigma = float(rng.choice([1.0, rng.uniform(0.3, 3.0)]))
    return (p, q, sigma), {}, "histograms of counts, sigma other than 1 too"


def _reference_kernel(p, q, sigma):
    from lecturekit.generation.graph_metrics import mmd_terms

    return mmd_terms([p], [q], kernel="emd", sigma=sigma).xy


def _gaussian_kernel(width: float):
    return lambda a, b: math.exp(-((float(a) - float(b)) ** 2) / (2 * width**2))


def _draw_sets(rng):
    xs, ys = (list(rng.normal(size=int(rng.integers(2, 6)))) for _ in range(2))
    kernel = _reciprocal_kernel if rng.random() < 0.5 else _gaussian_kernel(float(rng.uniform(0.5, 2.0)))
    unbiased = bool(rng.random() < 0.5)
    return (xs, ys, kernel), {"unbiased": unbiased}, f"sets of {len(xs)} and {len(ys)}, unbiased={unbiased}"


def _reference_mmd2(xs, ys, kernel, unbiased=False):
    from lecturekit.generation.graph_metrics import MMDTerms, _off_diagonal_mean

    gram = lambda a, b: np.array([[kernel(u, v) for v in b] for u in a])  # noqa: E731
    kxx, kyy, kxy = gram(xs, xs), gram(ys, ys), gram(xs, ys)
    terms = MMDTerms(kxx.mean(), kyy.mean(), kxy.mean(), _off_diagonal_mean(kxx), _off_diagonal_mean(kyy))
    return float(terms.mmd2_unbiased if unbiased else terms.xx + terms.yy - 2 * terms.xy)


harden(
    "encode_bfs_sequence",
    reference=_reference_encoding,
    draw=_draw_graph,
    forbid=(
        "lecturekit.generation.graphrnn.encoding.encode_adj",
        "lecturekit.generation.graphrnn.encoding.graph_to_seq",
    ),
)
harden(
    "gaussian_emd_kernel",
    reference=_reference_kernel,
    draw=_draw_histograms,
    rtol=1e-5,
    atol=1e-7,
    forbid=(*_MMD, "scipy.stats.wasserstein_distance"),
)
harden("mmd2", reference=_reference_mmd2, draw=_draw_sets, rtol=1e-5, atol=1e-7, forbid=_MMD)


def _adjacency(n: int, edges: list[tuple[int, int]]) -> np.ndarray:
    adj = np.zeros((n, n), dtype=np.float32)
    for a, b in edges:
        adj[a, b] = adj[b, a] = 1.0
    return adj


def encode_bfs_sequence(function: Callable) -> None:
    """Check ``encode_bfs_sequence(adj, M)`` on three small ordered graphs."""

    def case(n, edges, m, expected, label, oldest_first=None):
        expected = np.array(expected, dtype=np.float32)

        def reversed_rows(got):
            if oldest_first is not None and np.allclose(as_numpy(got), oldest_first):
                return (
                    "each row lists the earlier nodes oldest first: S_i starts with the node right before "
                    "node i (column 0 = one position back)"
                )
            return None

        def lower_triangle(got):
            if not np.any(as_numpy(got)):
                return "the sequence is all zeros: row i - 1 holds node i's edges to the nodes before it"
            return None

        return Case(
            args=(_adjacency(n, edges), m),
            expected=ANY,
            label=label,
            check=explained(expected, reversed_rows, lower_triangle),
        )

    cases = [
        # triangle 0-1-2 plus node 3 hanging off node 1, M = 2:
        # S_1 = (A10, -) = (1, 0); S_2 = (A21, A20) = (1, 1); S_3 = (A32, A31) = (0, 1).
        case(
            4,
            [(0, 1), (0, 2), (1, 2), (1, 3)],
            2,
            [[1, 0], [1, 1], [0, 1]],
            "a triangle with a tail, M = 2",
            oldest_first=np.array([[1, 0], [1, 1], [1, 0]]),
        ),
        # a star centred on node 0, M = 3: node i's only edge is i positions back; node 4's edge spans 4 > M
        # positions and is dropped, so S_4 is all zeros.
        case(
            5,
            [(0, 1), (0, 2), (0, 3), (0, 4)],
            3,
            [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]],
            "a star whose last edge is longer than M",
            oldest_first=np.array([[1, 0, 0], [1, 0, 0], [1, 0, 0], [0, 0, 0]]),
        ),
        # a path of three nodes with M = 4 > n - 1: S_1 = (1, 0, 0, 0), S_2 = (1, 0, 0, 0); the unused slots are 0.
        case(3, [(0, 1), (1, 2)], 4, [[1, 0, 0, 0], [1, 0, 0, 0]], "a path with M larger than the graph"),
    ]
    run_check("encode_bfs_sequence", function, cases)


def gaussian_emd_kernel(function: Callable) -> None:
    """Check ``gaussian_emd_kernel(p, q, sigma)`` on five pairs of degree histograms."""

    def case(p, q, sigma, expected, label, **mistakes):
        messages = {
            "counts": "histograms with the same shape must give 1: normalise each histogram to sum 1 first",
            "pmf_l1": (
                "the distance ignores how far the mass moves along the degree axis: EMD compares the "
                "cumulative sums, not the histograms themselves"
            ),
            "bandwidth": "the bandwidth enters squared: exp(-EMD² / (2 σ²))",
            "square": "the distance enters squared: exp(-EMD² / (2 σ²))",
        }

        def diagnose(got):
            for mistake, value in mistakes.items():
                if equals(value, got):
                    return messages[mistake]
            return None

        return Case(
            args=(np.array(p, dtype=float), np.array(q, dtype=float), sigma),
            expected=ANY,
            label=label,
            check=explained(expected, diagnose),
        )

    cases = [
        # same normalised histogram (two nodes of degree 1): EMD 0, kernel 1. Raw counts would give
        # cumulative sums (0, 2) and (0, 4), distance 2, kernel exp(-2).
        case([0, 2], [0, 4], 1.0, 1.0, "one edge vs two disjoint edges", counts=math.exp(-2.0)),
        # different lengths: pad [0, 1] to [0, 1, 0]; q = [0, 2/3, 1/3]. Cumulative sums (0, 1, 1) and
        # (0, 2/3, 1): EMD = 1/3, kernel exp(-1/18).
        # (the L1 distance of the histograms themselves, 2/3, would give exp(-2/9))
        case(
            [0, 2],
            [0, 2, 1],
            1.0,
            math.exp(-1 / 18),
            "histograms of different lengths (pad with zeros)",
            pmf_l1=math.exp(-2 / 9),
        ),
        # mass moves one bin: EMD 1 (the histograms differ by 2 in L1), kernel exp(-1/2).
        case(
            [1, 0, 0, 0],
            [0, 1, 0, 0],
            1.0,
            math.exp(-0.5),
            "all mass moves one degree up",
            pmf_l1=math.exp(-2.0),
        ),
        # mass moves two bins: EMD 2, kernel exp(-4/2) = exp(-2) (L1 of the histograms is still 2).
        case([1, 0, 0, 0], [0, 0, 1, 0], 1.0, math.exp(-2.0), "all mass moves two degrees up"),
        # sigma = 2: exp(-2² / (2 · 2²)) = exp(-1/2); unsquared sigma gives exp(-1), unsquared EMD exp(-1/4).
        case(
            [1, 0, 0],
            [0, 0, 1],
            2.0,
            math.exp(-0.5),
            "bandwidth sigma = 2",
            bandwidth=math.exp(-1.0),
            square=math.exp(-0.25),
        ),
    ]
    run_check("gaussian_emd_kernel", function, cases)


def _reciprocal_kernel(a: float, b: float) -> float:
    """The checks' own kernel on numbers: 1 / (1 + |a - b|) (a positive definite one)."""
    return 1.0 / (1.0 + abs(float(a) - float(b)))


def mmd2(function: Callable) -> None:
    """Check ``mmd2(xs, ys, kernel, unbiased)`` with the kernel k(a, b) = 1 / (1 + |a - b|) on numbers."""

    def case(xs, ys, unbiased, expected, label, **mistakes):
        messages = {
            "with_diagonal": (
                "the unbiased estimate leaves out the pairs of a descriptor with itself "
                "(i == j) from the two within-set means"
            ),
            "wrong_count": "with the pairs i == j left out, each within-set mean divides by N (N - 1), not N²",
            "cross_once": "the cross term enters twice: MMD² = mean k(x, x') + mean k(y, y') - 2 mean k(x, y)",
            "no_diagonal": "the biased estimate (the papers') keeps the pairs of a descriptor with itself",
        }

        def diagnose(got):
            for mistake, value in mistakes.items():
                if equals(value, got):
                    return messages[mistake]
            return None

        return Case(
            args=(list(xs), list(ys), _reciprocal_kernel),
            kwargs={"unbiased": unbiased},
            expected=ANY,
            label=label,
            check=explained(expected, diagnose),
        )

    # xs = [0, 1]: within-x kernel values 1, 1/2, 1/2, 1 -> mean 3/4, off-diagonal mean 1/2.
    # ys = [1, 3]: 1, 1/3, 1/3, 1 -> mean 2/3, off-diagonal mean 1/3.
    # across: k(0,1) = 1/2, k(0,3) = 1/4, k(1,1) = 1, k(1,3) = 1/3 -> mean 25/48.
    cases = [
        case(
            [0.0, 1.0],
            [1.0, 3.0],
            False,
            3 / 4 + 2 / 3 - 2 * 25 / 48,
            "biased, two against two",
            cross_once=3 / 4 + 2 / 3 - 25 / 48,
            no_diagonal=1 / 2 + 1 / 3 - 2 * 25 / 48,
        ),
        case(
            [0.0, 1.0],
            [1.0, 3.0],
            True,
            1 / 2 + 1 / 3 - 2 * 25 / 48,
            "unbiased, two against two",
            with_diagonal=3 / 4 + 2 / 3 - 2 * 25 / 48,
            wrong_count=1 / 4 + 1 / 6 - 2 * 25 / 48,
        ),
        # the same set twice: biased 3/4 + 3/4 - 2 * 3/4 = 0; unbiased 1/2 + 1/2 - 3/2 = -1/2 (it can go below 0).
        case([0.0, 1.0], [0.0, 1.0], True, -0.5, "unbiased, a set against itself", with_diagonal=0.0),
        # ys = [0, 2, 2]: within-y sum 3 + 4 * 1/3 + 2 = 19/3 over 9 pairs; off-diagonal (4/3 + 2) / 6 = 5/9.
        # across: x = 0 gives 1, 1/3, 1/3; x = 1 gives 1/2 three times -> 19/6 over 6 pairs = 19/36.
        case(
            [0.0, 1.0],
            [0.0, 2.0, 2.0],
            False,
            3 / 4 + 19 / 27 - 2 * 19 / 36,
            "biased, sets of different sizes",
        ),
        case(
            [0.0, 1.0],
            [0.0, 2.0, 2.0],
            True,
            1 / 2 + 5 / 9 - 2 * 19 / 36,
            "unbiased, sets of different sizes",
        ),
    ]
    run_check("mmd2", function, cases)
