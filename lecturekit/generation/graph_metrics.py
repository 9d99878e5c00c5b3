"""MMD evaluation of generated graphs (GraphRNN's protocol and GRAN's re-evaluation), no compiled extras.

Used by ``notebooks/05_graphrnn.ipynb`` (and available to notebook 06).

Each graph ``G`` is summarised by a descriptor ``phi(G)``: its degree histogram, its histogram of local
clustering coefficients (100 bins on [0, 1]) or its mean 4-node orbit-count vector (15 orbits, ORCA's
numbering), computed by :mod:`lecturekit.generation.graph_descriptors` (which also holds the input checks). Two sets ``X`` (reference) and ``Y`` (generated) are compared by the (biased, V-statistic)
squared maximum mean discrepancy, as in both papers' code::

    MMD^2(X, Y) = mean_{x,x'} k(x,x') + mean_{y,y'} k(y,y') - 2 mean_{x,y} k(x,y).

The biased estimate includes the pairs ``x = x'`` (``k = 1``), so even two samples of one distribution
score about ``(1 - kbar_X) / N + (1 - kbar_Y) / M`` above zero: its floor depends on the sample sizes.
The **unbiased** (U-statistic) estimate drops those pairs, ``mean_{x != x'}`` and ``mean_{y != y'}``
(Gretton et al. 2012); its expectation is the population MMD^2, so it can be slightly negative.
:class:`KernelParts` keeps the per-reference-graph terms, so the reference (test) set can be
bootstrapped without recomputing kernels (:func:`bootstrap_mmd`). Scoring several generated sets on every
statistic and kernel at once is :mod:`lecturekit.generation.graph_mmd_tables`.

Kernels (histograms are normalised to sum 1 first, padded to a common length):

* ``kernel="emd"`` (GraphRNN, You et al. 2018): ``k(p, q) = exp(-EMD(p, q)^2 / (2 sigma^2))``. For 1-D
  histograms with ground distance ``|i - j| / s`` the earth mover's distance is
  ``EMD = sum_k |P_k - Q_k| / s`` (``P, Q`` the cumulative sums), so no ``pyemd`` is needed.
  Orbits use a plain Gaussian ``exp(-||x - y||^2 / (2 sigma^2))`` on the mean count vectors, as in the
  GraphRNN code.
* ``kernel="tv"`` (GRAN, Liao et al. 2019): ``k(p, q) = exp(-TV(p, q)^2 / (2 sigma^2))`` with
  ``TV = sum_k |p_k - q_k| / 2``; GRAN's code applies it to the orbit vectors as well.

Paper settings (the defaults): degree ``sigma = 1``; clustering 100 bins, ``sigma = 0.1``, ground
distance scaled by the number of bins; orbits ``sigma = 30``.

Input contract: the statistics are defined on **simple undirected graphs**, so every graph must be an
undirected ``nx.Graph`` with at least one node and no self-loops. Directed graphs, multigraphs,
0-node graphs and graphs with self-loops are refused with an error naming the argument and the index
of the graph (nothing is converted silently: a directed graph's orbit counts, a multigraph's
parallel edges or a self-loop's degree contribution would give silently wrong statistics). Convert
explicitly first if that is what you mean, e.g. ``nx.Graph(g.to_undirected())`` and
``g.remove_edges_from(nx.selfloop_edges(g))``. Bandwidths ``sigma`` (and ``scale``) must be finite and
positive; graph sets must be non-empty lists of graphs (a single graph is refused, not iterated).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from lecturekit.generation.graph_descriptors import (
    check_graphs,
    clustering_histogram,
    degree_histogram,
    mean_orbit_vector,
)

KERNELS = ("emd", "tv")


def _positive(name: str, value: object) -> float:
    """A finite ``value > 0`` (bandwidths, scales), else an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"argument {name!r} must be a positive number, got {value!r}")
    if not math.isfinite(float(value)) or value <= 0:
        raise ValueError(f"argument {name!r} must be finite and > 0, got {value!r}")
    return float(value)


def _check_kernel(kernel: object, allowed: Sequence[str] = KERNELS) -> None:
    if kernel not in allowed:
        raise ValueError(f"argument 'kernel' must be one of {tuple(allowed)}, got {kernel!r}")


def _descriptors(vectors: object, arg: str, is_hist: bool) -> list[np.ndarray]:
    """Validated 1-D finite descriptor vectors (non-negative when they are histograms)."""
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
        vectors = list(vectors)
    if isinstance(vectors, str | bytes) or not isinstance(vectors, Sequence):
        raise TypeError(f"argument {arg!r} must be a list of 1-D arrays, got {type(vectors).__name__}")
    if len(vectors) == 0:
        raise ValueError(f"argument {arg!r} is empty")
    out = []
    for i, vector in enumerate(vectors):
        array = np.asarray(vector, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f"argument {arg!r}[{i}] must be a 1-D vector, got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"argument {arg!r}[{i}] holds non-finite values")
        if is_hist and np.any(array < 0):
            raise ValueError(f"argument {arg!r}[{i}] is a histogram with negative entries")
        out.append(array)
    return out


# ---- kernels and MMD ------------------------------------------------------------------------------
def _pad(rows: Sequence[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(rows), length), dtype=np.float64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _pairwise_l1(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(N, D), (K, D) -> (N, K)`` L1 distances, chunked to bound memory."""
    out = np.empty((a.shape[0], b.shape[0]))
    step = max(1, 2_000_000 // max(b.size, 1))
    for start in range(0, a.shape[0], step):
        out[start : start + step] = np.abs(a[start : start + step, None, :] - b[None, :, :]).sum(-1)
    return out


def _kernel_matrix(a: np.ndarray, b: np.ndarray, kernel: str, sigma: float, scale: float) -> np.ndarray:
    """Gram matrix between descriptor rows ``a (N, D)`` and ``b (K, D)``: ``exp(-d^2 / (2 sigma^2))``."""
    return np.exp(-(_distance_matrix(a, b, kernel, scale) ** 2) / (2 * sigma**2))


def _distance_matrix(a: np.ndarray, b: np.ndarray, kernel: str, scale: float) -> np.ndarray:
    """The distance inside each kernel, between rows of ``a (N, D)`` and ``b (K, D)``.

    ``emd``: L1 between cumulative sums / ``scale``; ``tv``: L1 / 2; ``gaussian``: Euclidean distance.
    """
    if kernel == "emd":
        dist = _pairwise_l1(np.cumsum(a, axis=1), np.cumsum(b, axis=1)) / scale
    elif kernel == "tv":
        dist = _pairwise_l1(a, b) / 2.0
    elif kernel == "gaussian":
        sq = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
        dist = np.sqrt(np.maximum(sq, 0.0))
    else:
        raise ValueError(f"argument 'kernel' must be one of {KERNELS}, got {kernel!r}")
    return dist


@dataclass(frozen=True)
class MMDTerms:
    """The kernel means of the MMD^2 estimates: ``xx`` and ``yy`` within each set, ``xy`` across.

    ``xx`` / ``yy`` include the diagonal (the biased estimate); ``xx_unbiased`` / ``yy_unbiased`` leave it
    out (NaN for a set of one). ``xy`` near 0 means no reference descriptor is kernel-close to any
    generated one: the MMD then only measures how similar each set is to itself (it *saturates*) and
    cannot rank methods.
    """

    xx: float
    yy: float
    xy: float
    xx_unbiased: float = math.nan
    yy_unbiased: float = math.nan

    @property
    def mmd2(self) -> float:
        """Biased ``xx + yy - 2 xy``, clipped at 0 (rounding can make it slightly negative)."""
        return float(max(self.xx + self.yy - 2 * self.xy, 0.0))

    @property
    def mmd2_unbiased(self) -> float:
        """Unbiased ``xx_u + yy_u - 2 xy``; not clipped (an unbiased estimate of 0 is negative half the time)."""
        return float(self.xx_unbiased + self.yy_unbiased - 2 * self.xy)


def _off_diagonal_mean(gram: np.ndarray) -> float:
    """Mean of a square Gram matrix without its diagonal (NaN for a 1 x 1 matrix)."""
    n = gram.shape[0]
    if n < 2:
        return math.nan
    return float((gram.sum() - np.trace(gram)) / (n * (n - 1)))


@dataclass(frozen=True)
class KernelParts:
    """One MMD^2 kept per reference graph, so the reference set can be resampled (bootstrap).

    ``ref_gram`` is ``k(x_i, x_j)`` over the reference graphs (shared by every generated set scored
    against them), ``cross[i]`` the mean of ``k(x_i, y)`` over the generated graphs, ``yy`` / ``yy_unbiased``
    the within-generated means with and without the diagonal.
    """

    ref_gram: np.ndarray
    cross: np.ndarray
    yy: float
    yy_unbiased: float

    def terms(self) -> MMDTerms:
        """The kernel means over all reference graphs (what :func:`mmd_terms` returns)."""
        return MMDTerms(
            xx=float(self.ref_gram.mean()),
            yy=self.yy,
            xy=float(self.cross.mean()),
            xx_unbiased=_off_diagonal_mean(self.ref_gram),
            yy_unbiased=self.yy_unbiased,
        )

    def mmd2(self, index: np.ndarray | None = None, unbiased: bool = False) -> float:
        """MMD^2 with the reference graphs ``index`` (default: all, once each); see :func:`resampled_mmd2`."""
        return resampled_mmd2(
            self.ref_gram, self.cross, self.yy_unbiased if unbiased else self.yy, index, unbiased
        )


def resampled_mmd2(
    ref_gram: np.ndarray,
    cross: np.ndarray,
    yy: float,
    index: np.ndarray | None = None,
    unbiased: bool = False,
) -> float:
    """MMD^2 when the reference set is the graphs ``index`` (with repeats) and the generated set is fixed.

    Biased: every pair of the resample counts. Unbiased: pairs made of two copies of the *same* reference
    graph are left out (they are the resampled diagonal; keeping them would bias the estimate upwards).
    Not clipped, so the bootstrap distribution of the biased value is not distorted either.
    """
    index = np.arange(len(cross)) if index is None else np.asarray(index)
    sub = ref_gram[np.ix_(index, index)]
    if unbiased:
        distinct = index[:, None] != index[None, :]
        xx = float(sub[distinct].mean()) if distinct.any() else math.nan
    else:
        xx = float(sub.mean())
    return xx + yy - 2 * float(cross[index].mean())


def bootstrap_mmd(
    ref_gram: np.ndarray,
    cross: np.ndarray,
    yy: float,
    *,
    unbiased: bool = False,
    num_resamples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """``(estimate, low, high)``: MMD^2 with a percentile bootstrap interval over the reference (test) graphs.

    It shows how much the number would move with another draw of the same number of test graphs; the
    generated set is held fixed (its variation is what training seeds and sampling draws measure).
    """
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, int) or num_resamples < 1:
        raise ValueError(f"argument 'num_resamples' must be an int >= 1, got {num_resamples!r}")
    cross = np.asarray(cross, dtype=float)
    if ref_gram.shape != (len(cross), len(cross)):
        raise ValueError(
            f"argument 'ref_gram' has shape {ref_gram.shape}, expected ({len(cross)}, {len(cross)})"
        )
    rng = np.random.default_rng(seed)
    values = [
        resampled_mmd2(ref_gram, cross, yy, rng.integers(0, len(cross), len(cross)), unbiased)
        for _ in range(num_resamples)
    ]
    low, high = np.quantile(values, [0.5 - level / 2, 0.5 + level / 2])
    return resampled_mmd2(ref_gram, cross, yy, None, unbiased), float(low), float(high)


def mmd_terms(
    x: Sequence[np.ndarray],
    y: Sequence[np.ndarray],
    kernel: str = "emd",
    sigma: float = 1.0,
    scale: float = 1.0,
    is_hist: bool = True,
) -> MMDTerms:
    """The kernel means behind :func:`mmd_squared` (same arguments)."""
    return kernel_parts(x, y, kernel, sigma, scale, is_hist).terms()


def _matrices(xs: list[np.ndarray], ys: list[np.ndarray], is_hist: bool) -> tuple[np.ndarray, np.ndarray]:
    """Both descriptor sets zero-padded to one length, histograms normalised to sum 1."""
    length = max(max(len(v) for v in xs), max(len(v) for v in ys), 1)
    a, b = _pad(xs, length), _pad(ys, length)
    if is_hist:
        a = a / np.maximum(a.sum(1, keepdims=True), 1e-12)
        b = b / np.maximum(b.sum(1, keepdims=True), 1e-12)
    return a, b


def kernel_parts(
    x: Sequence[np.ndarray],
    y: Sequence[np.ndarray],
    kernel: str = "emd",
    sigma: float = 1.0,
    scale: float = 1.0,
    is_hist: bool = True,
) -> KernelParts:
    """Like :func:`mmd_terms` (same arguments) but keeps the per-reference-graph terms (:class:`KernelParts`)."""
    _check_kernel(kernel, (*KERNELS, "gaussian"))
    sigma, scale = _positive("sigma", sigma), _positive("scale", scale)
    a, b = _matrices(_descriptors(x, "x", is_hist), _descriptors(y, "y", is_hist), is_hist)
    kyy = _kernel_matrix(b, b, kernel, sigma, scale)
    return KernelParts(
        ref_gram=_kernel_matrix(a, a, kernel, sigma, scale),
        cross=_kernel_matrix(a, b, kernel, sigma, scale).mean(1),
        yy=float(kyy.mean()),
        yy_unbiased=_off_diagonal_mean(kyy),
    )


def mmd_sigma_sweep(
    x: Sequence[np.ndarray],
    y: Sequence[np.ndarray],
    sigmas: Sequence[float],
    kernel: str = "emd",
    scale: float = 1.0,
    is_hist: bool = True,
) -> list[MMDTerms]:
    """The MMD^2 terms at each bandwidth in ``sigmas`` (the distances are computed once)."""
    _check_kernel(kernel, (*KERNELS, "gaussian"))
    scale = _positive("scale", scale)
    if isinstance(sigmas, str) or len(sigmas) == 0:
        raise ValueError(f"argument 'sigmas' must be a non-empty sequence of bandwidths, got {sigmas!r}")
    sigmas = [_positive("sigmas", s) for s in sigmas]
    a, b = _matrices(_descriptors(x, "x", is_hist), _descriptors(y, "y", is_hist), is_hist)
    dxx, dyy, dxy = (_distance_matrix(p, q, kernel, scale) ** 2 for p, q in ((a, a), (b, b), (a, b)))
    out = []
    for sigma in sigmas:
        kxx, kyy, kxy = (np.exp(-d / (2 * sigma**2)) for d in (dxx, dyy, dxy))
        out.append(
            MMDTerms(
                float(kxx.mean()),
                float(kyy.mean()),
                float(kxy.mean()),
                _off_diagonal_mean(kxx),
                _off_diagonal_mean(kyy),
            )
        )
    return out


def mmd_squared(
    x: Sequence[np.ndarray],
    y: Sequence[np.ndarray],
    kernel: str = "emd",
    sigma: float = 1.0,
    scale: float = 1.0,
    is_hist: bool = True,
) -> float:
    """Biased MMD^2 between two sets of descriptor vectors (any lengths; zero-padded).

    Args:
        x, y: non-empty lists of 1-D finite arrays (histograms or feature vectors); the two sets may
            differ in size, and vectors in length (shorter ones are zero-padded: a histogram's
            missing bins are empty).
        kernel: ``"emd"``, ``"tv"`` or ``"gaussian"``.
        sigma: kernel bandwidth (> 0). scale: ground-distance scaling of the EMD (> 0; number of bins for
            clustering).
        is_hist: normalise each vector to sum 1 first (all-zero vectors stay zero; negative entries are
            refused).
    """
    return mmd_terms(x, y, kernel=kernel, sigma=sigma, scale=scale, is_hist=is_hist).mmd2


def _check(reference: Sequence[nx.Graph], generated: Sequence[nx.Graph], kernel: str) -> None:
    _check_kernel(kernel)
    check_graphs(reference, "reference_graphs")
    check_graphs(generated, "generated_graphs")


# ---- public API -----------------------------------------------------------------------------------
def mmd_degree(
    reference_graphs: Sequence[nx.Graph],
    generated_graphs: Sequence[nx.Graph],
    kernel: str = "emd",
    sigma: float = 1.0,
) -> float:
    """MMD^2 of degree distributions (paper: Gaussian-EMD, ``sigma = 1``). Used by notebooks 05/06."""
    _check(reference_graphs, generated_graphs, kernel)
    _positive("sigma", sigma)
    x = [degree_histogram(g) for g in reference_graphs]
    y = [degree_histogram(g) for g in generated_graphs]
    return mmd_squared(x, y, kernel=kernel, sigma=sigma, scale=1.0)


def mmd_clustering(
    reference_graphs: Sequence[nx.Graph],
    generated_graphs: Sequence[nx.Graph],
    kernel: str = "emd",
    bins: int = 100,
    sigma: float = 0.1,
) -> float:
    """MMD^2 of clustering-coefficient distributions (paper: 100 bins, ``sigma = 0.1``, EMD / bins)."""
    _check(reference_graphs, generated_graphs, kernel)
    _positive("sigma", sigma)
    x = [clustering_histogram(g, bins) for g in reference_graphs]
    y = [clustering_histogram(g, bins) for g in generated_graphs]
    return mmd_squared(x, y, kernel=kernel, sigma=sigma, scale=float(bins))


def mmd_orbit(
    reference_graphs: Sequence[nx.Graph],
    generated_graphs: Sequence[nx.Graph],
    kernel: str = "emd",
    sigma: float = 30.0,
) -> float:
    """MMD^2 of mean 4-node orbit counts (``sigma = 30``).

    ``kernel="emd"`` uses the GraphRNN code's Gaussian (RBF) kernel on the count vectors (orbit counts are
    not a histogram, so there is no EMD); ``kernel="tv"`` uses GRAN's Gaussian-TV kernel on them.
    """
    _check(reference_graphs, generated_graphs, kernel)
    _positive("sigma", sigma)
    x = [mean_orbit_vector(g) for g in reference_graphs]
    y = [mean_orbit_vector(g) for g in generated_graphs]
    return mmd_squared(x, y, kernel="gaussian" if kernel == "emd" else "tv", sigma=sigma, is_hist=False)


METRICS = ("mmd-degree", "mmd-clustering", "mmd-orbit")

# metric -> (kernel for "emd", kernel for "tv", sigma, scale, is_hist): the paper's settings
_SETTINGS = {
    "mmd-degree": ("emd", "tv", 1.0, 1.0, True),
    "mmd-clustering": ("emd", "tv", 0.1, 100.0, True),
    "mmd-orbit": ("gaussian", "tv", 30.0, 1.0, False),
}


def metric_name(metric: str, kernel: str) -> str:
    """``mmd-degree`` for the paper's ``emd`` protocol, ``mmd-degree/tv`` for GRAN's ``tv``."""
    return metric if kernel == "emd" else f"{metric}/{kernel}"
