"""Notebook 05's exercise checks: they pass the package and the notebook's solution, and say in plain
words what is wrong with a stub or a plausible mistake."""

from __future__ import annotations

import numpy as np
from exercise_cells import assert_exercise, failure, package_allowed

from lecturekit import checks
from lecturekit.generation.graph_metrics import MMDTerms, _off_diagonal_mean, mmd_terms
from lecturekit.generation.graphrnn import encode_adj

NB = "05_graphrnn"


# ---- encode_bfs_sequence -----------------------------------------------------------------------------
def test_encode_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.encode_bfs_sequence(lambda adj, m: encode_adj(adj, m, truncate=True))
        assert "all 3 hand cases pass" in capsys.readouterr().out


def test_encode_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex05-encode-solution", "encode_bfs_sequence", checks.encode_bfs_sequence, capsys)


def test_encode_names_each_mistake():
    def oldest_first(adj, m):
        n = adj.shape[0]
        out = np.zeros((n - 1, m), dtype=np.float32)
        for i in range(1, n):
            k = min(i, m)
            out[i - 1, :k] = adj[i, i - k : i]
        return out

    def wraps_around(adj, m):  # adj[i, i - m : i] with a negative start reads the wrong columns
        n = adj.shape[0]
        out = np.zeros((n - 1, m), dtype=np.float32)
        for i in range(1, n):
            out[i - 1] = adj[i, i - m : i][::-1]
        return out

    def upper_triangle(adj, m):
        n = adj.shape[0]
        out = np.zeros((n - 1, m), dtype=np.float32)
        for i in range(n - 1):
            for back in range(1, min(n - 1 - i, m) + 1):
                out[i, back - 1] = adj[i, i + back] * 0
        return out

    def square(adj, m):
        return adj

    assert "each row lists the earlier nodes oldest first" in failure(
        checks.encode_bfs_sequence, oldest_first
    )
    assert "raised ValueError on hand case 1" in failure(checks.encode_bfs_sequence, wraps_around)
    assert "the sequence is all zeros" in failure(checks.encode_bfs_sequence, upper_triangle)
    assert "wrong shape: expected (3, 2), got (4, 4)" in failure(checks.encode_bfs_sequence, square)


# ---- gaussian_emd_kernel --------------------------------------------------------------------------------
def package_kernel(p, q, sigma=1.0):
    return mmd_terms([p], [q], kernel="emd", sigma=sigma).xy


def test_kernel_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.gaussian_emd_kernel(package_kernel)
        assert "all 5 hand cases pass" in capsys.readouterr().out


def test_kernel_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex05-kernel-solution", "gaussian_emd_kernel", checks.gaussian_emd_kernel, capsys)


def _padded(p, q):
    length = max(len(p), len(q))
    return np.pad(p, (0, length - len(p))), np.pad(q, (0, length - len(q)))


def test_kernel_names_each_mistake():
    def counts(p, q, sigma=1.0):
        p, q = _padded(p, q)
        return float(np.exp(-(np.abs(np.cumsum(p) - np.cumsum(q)).sum() ** 2) / (2 * sigma**2)))

    def pmf_l1(p, q, sigma=1.0):
        p, q = _padded(p / p.sum(), q / q.sum())
        return float(np.exp(-(np.abs(p - q).sum() ** 2) / (2 * sigma**2)))

    def sigma_unsquared(p, q, sigma=1.0):
        p, q = _padded(p / p.sum(), q / q.sum())
        return float(np.exp(-(np.abs(np.cumsum(p) - np.cumsum(q)).sum() ** 2) / (2 * sigma)))

    def unpadded(p, q, sigma=1.0):
        return float(np.exp(-(np.abs(np.cumsum(p / p.sum()) - np.cumsum(q / q.sum())).sum() ** 2) / 2))

    assert "normalise each histogram to sum 1" in failure(checks.gaussian_emd_kernel, counts)
    assert "EMD compares the cumulative sums" in failure(checks.gaussian_emd_kernel, pmf_l1)
    assert "the bandwidth enters squared" in failure(checks.gaussian_emd_kernel, sigma_unsquared)
    message = failure(checks.gaussian_emd_kernel, unpadded)
    assert "raised ValueError on hand case 2 (histograms of different lengths (pad with zeros))" in message


# ---- mmd2 -------------------------------------------------------------------------------------------------
def package_mmd2(xs, ys, kernel, unbiased=False):
    """The package's estimator (MMDTerms) on Gram matrices built with the given kernel."""

    def gram(a, b):
        return np.array([[kernel(p, q) for q in b] for p in a])

    kxx, kyy, kxy = gram(xs, xs), gram(ys, ys), gram(xs, ys)
    terms = MMDTerms(
        float(kxx.mean()),
        float(kyy.mean()),
        float(kxy.mean()),
        _off_diagonal_mean(kxx),
        _off_diagonal_mean(kyy),
    )
    return terms.mmd2_unbiased if unbiased else terms.mmd2


def test_mmd2_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.mmd2(package_mmd2)
        assert "all 5 hand cases pass" in capsys.readouterr().out


def test_mmd2_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex05-mmd-solution", "mmd2", checks.mmd2, capsys)


def _mean(kernel, a, b, skip_diagonal=False, denominator=None):
    total = sum(
        kernel(p, q) for i, p in enumerate(a) for j, q in enumerate(b) if not (skip_diagonal and i == j)
    )
    return total / (denominator or len(a) * len(b))


def test_mmd2_names_each_mistake():
    with package_allowed():  # wrong answers built from the package's functions

        def keeps_diagonal(xs, ys, kernel, unbiased=False):
            return _mean(kernel, xs, xs) + _mean(kernel, ys, ys) - 2 * _mean(kernel, xs, ys)

        def divides_by_n_squared(xs, ys, kernel, unbiased=False):
            return (
                _mean(kernel, xs, xs, unbiased) + _mean(kernel, ys, ys, unbiased) - 2 * _mean(kernel, xs, ys)
            )

        def cross_once(xs, ys, kernel, unbiased=False):
            n, m = len(xs), len(ys)
            return (
                _mean(kernel, xs, xs, unbiased, n * (n - 1) if unbiased else None)
                + _mean(kernel, ys, ys, unbiased, m * (m - 1) if unbiased else None)
                - _mean(kernel, xs, ys)
            )

        def own_kernel(xs, ys, kernel, unbiased=False):
            return package_mmd2(xs, ys, lambda a, b: float(np.exp(-abs(a - b))), unbiased)

        assert "leaves out the pairs of a descriptor with itself" in failure(checks.mmd2, keeps_diagonal)
        assert "divides by N (N - 1), not N²" in failure(checks.mmd2, divides_by_n_squared)
        assert "the cross term enters twice" in failure(checks.mmd2, cross_once)
        assert "hand case 1 (biased, two against two) differs: your value" in failure(checks.mmd2, own_kernel)
