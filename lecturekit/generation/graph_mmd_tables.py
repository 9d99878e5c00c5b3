"""Every statistic and kernel of notebook 05 for several generated sets against one reference set at once.

:func:`kernel_table` keeps the per-reference-graph kernel parts (for bootstraps over the test graphs),
:func:`mmd_table` the kernel means, :func:`mmd_report` the MMD^2 values, named ``mmd-degree`` ... for the
paper's Gaussian-EMD protocol and ``mmd-degree/tv`` ... for GRAN's Gaussian-TV. Descriptors are computed once
per set and the reference Gram matrix once per metric. The kernels and estimates themselves are
:mod:`lecturekit.generation.graph_metrics`. Used by ``notebooks/05_graphrnn.ipynb`` (its study module).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np

from lecturekit.generation.graph_descriptors import (
    check_graphs,
    clustering_histogram,
    degree_histogram,
    mean_orbit_vector,
)
from lecturekit.generation.graph_metrics import (
    _SETTINGS,
    KERNELS,
    KernelParts,
    MMDTerms,
    _check_kernel,
    _descriptors,
    _kernel_matrix,
    _matrices,
    _off_diagonal_mean,
    metric_name,
)


def describe_graphs(graphs: Sequence[nx.Graph]) -> dict[str, list[np.ndarray]]:
    """Each graph's descriptor per statistic of :data:`METRICS` (orbit counting dominates the cost)."""
    return {
        "mmd-degree": [degree_histogram(g) for g in graphs],
        "mmd-clustering": [clustering_histogram(g) for g in graphs],
        "mmd-orbit": [mean_orbit_vector(g) for g in graphs],
    }


def _check_table_input(reference_graphs: object, generated: object, kernels: object) -> None:
    if not isinstance(generated, Mapping):
        raise TypeError(
            f"argument 'generated' must map method names to lists of graphs, got {type(generated).__name__}"
        )
    if not generated:
        raise ValueError("argument 'generated' is empty")
    if isinstance(kernels, str) or len(kernels) == 0:
        raise ValueError(f"argument 'kernels' must be a non-empty sequence of {KERNELS}, got {kernels!r}")
    for kernel in kernels:
        _check_kernel(kernel)
    check_graphs(reference_graphs, "reference_graphs")
    for method, graphs in generated.items():
        check_graphs(graphs, "generated", f"argument 'generated'[{method!r}]")


def kernel_table(
    reference_graphs: Sequence[nx.Graph],
    generated: Mapping[str, Sequence[nx.Graph]],
    kernels: Sequence[str] = KERNELS,
) -> dict[str, dict[str, KernelParts]]:
    """``{method: {metric: KernelParts}}`` for every statistic and kernel, against one reference set.

    Descriptors are computed once per set and the reference Gram matrix once per metric (every method's
    :class:`KernelParts` shares it). Used by notebook 05, which bootstraps over the test graphs.
    """
    _check_table_input(reference_graphs, generated, kernels)
    ref = describe_graphs(reference_graphs)
    gram: dict[str, np.ndarray] = {}
    table: dict[str, dict[str, KernelParts]] = {}
    for method, graphs in generated.items():
        gen = describe_graphs(graphs)
        row = {}
        for metric, (k_emd, k_tv, sigma, scale, is_hist) in _SETTINGS.items():
            for kernel in kernels:
                name, k = metric_name(metric, kernel), k_emd if kernel == "emd" else k_tv
                a, b = _matrices(
                    _descriptors(ref[metric], "x", is_hist), _descriptors(gen[metric], "y", is_hist), is_hist
                )
                if name not in gram:
                    gram[name] = _kernel_matrix(a, a, k, sigma, scale)
                kyy = _kernel_matrix(b, b, k, sigma, scale)
                row[name] = KernelParts(
                    gram[name],
                    _kernel_matrix(a, b, k, sigma, scale).mean(1),
                    float(kyy.mean()),
                    _off_diagonal_mean(kyy),
                )
        table[method] = row
    return table


def mmd_table(
    reference_graphs: Sequence[nx.Graph],
    generated: Mapping[str, Sequence[nx.Graph]],
    kernels: Sequence[str] = KERNELS,
) -> dict[str, dict[str, MMDTerms]]:
    """Like :func:`mmd_report` but keeps the kernel means of each MMD (``{method: {metric: MMDTerms}}``).

    The cross term ``xy`` tells whether an MMD saturated (see :class:`MMDTerms`).
    """
    parts = kernel_table(reference_graphs, generated, kernels)
    return {
        method: {
            metric: MMDTerms(
                float(p.ref_gram.mean()),
                p.yy,
                float(p.cross.mean()),
                _off_diagonal_mean(p.ref_gram),
                p.yy_unbiased,
            )
            for metric, p in row.items()
        }
        for method, row in parts.items()
    }


def mmd_report(
    reference_graphs: Sequence[nx.Graph],
    generated: Mapping[str, Sequence[nx.Graph]],
    kernels: Sequence[str] = KERNELS,
) -> dict[str, dict[str, float]]:
    """All three MMDs under each kernel for several generated sets against one reference set.

    Returns ``{method: {metric: value}}`` with metric names ``mmd-degree`` ... for ``emd`` (the paper's
    protocol) and ``mmd-degree/tv`` ... for ``tv``. Descriptors are computed once per set (orbit counting
    dominates the cost). Every set is checked (simple undirected graphs, non-empty).
    """
    table = mmd_table(reference_graphs, generated, kernels)
    return {method: {metric: terms.mmd2 for metric, terms in row.items()} for method, row in table.items()}
