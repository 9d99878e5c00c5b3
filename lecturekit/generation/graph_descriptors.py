"""Graphs in, descriptors out: the input contract of notebook 05's statistics and the per-graph descriptors.

* :func:`check_graph` / :func:`check_graphs`: simple undirected ``nx.Graph`` objects only (directed graphs,
  multigraphs, 0-node graphs and self-loops are refused with an error naming the argument and the graph's
  index; nothing is converted silently);
* descriptors: :func:`degree_histogram`, :func:`clustering_histogram` (100 bins on [0, 1]) and the 4-node
  orbit counts (:func:`orbit_counts`, vectorised; :func:`orbit_counts_naive`, the readable reference;
  :func:`mean_orbit_vector`, 15 orbits in ORCA's numbering).

The kernels and MMD estimates that compare sets of descriptors are :mod:`lecturekit.generation.graph_metrics`.
Used by ``notebooks/05_graphrnn.ipynb`` (and notebook 06).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations

import networkx as nx
import numpy as np

NUM_ORBITS = 15


# ---- input checks ---------------------------------------------------------------------------------
def check_graph(graph: object, where: str = "argument 'graph'", allow_empty: bool = False) -> nx.Graph:
    """Refuse anything but a simple undirected graph (see the module docstring); returns ``graph``.

    ``where`` names the argument (and index) in the error. ``allow_empty`` admits 0-node graphs (for
    descriptors that are well defined on them, e.g. orbit counts of shape ``(0, 15)``).
    """
    if not isinstance(graph, nx.Graph):
        raise TypeError(f"{where} must be a networkx graph, got {type(graph).__name__}")
    if graph.is_directed():
        raise ValueError(
            f"{where} is a directed graph; the graph statistics are defined on undirected graphs "
            "(convert explicitly, e.g. nx.Graph(g.to_undirected()))"
        )
    if graph.is_multigraph():
        raise ValueError(
            f"{where} is a multigraph; parallel edges would be counted once by some statistics and "
            "several times by others (convert explicitly with nx.Graph(g))"
        )
    if graph.number_of_nodes() == 0 and not allow_empty:
        raise ValueError(f"{where} has 0 nodes; its degree/clustering/orbit statistics are undefined")
    loops = nx.number_of_selfloops(graph)
    if loops:
        raise ValueError(
            f"{where} has {loops} self-loop(s); the statistics are defined on simple graphs "
            "(remove them explicitly with g.remove_edges_from(nx.selfloop_edges(g)))"
        )
    return graph


def check_graphs(graphs: object, arg: str, where: str | None = None) -> list[nx.Graph]:
    """A non-empty list (or tuple) of simple undirected graphs; errors name ``arg`` and the index.

    ``where`` replaces ``argument '<arg>'`` in the messages (e.g. ``argument 'generated'['graphrnn']``).
    """
    where = where or f"argument {arg!r}"
    if isinstance(graphs, nx.Graph):
        raise TypeError(f"{where} is a single graph; pass a list of graphs")
    if isinstance(graphs, str | bytes) or not isinstance(graphs, Sequence):
        raise TypeError(f"{where} must be a list of networkx graphs, got {type(graphs).__name__}")
    if len(graphs) == 0:
        raise ValueError(f"{where} is empty")
    for i, graph in enumerate(graphs):
        check_graph(graph, f"{where}[{i}]")
    return list(graphs)


# ---- descriptors ----------------------------------------------------------------------------------
def degree_histogram(graph: nx.Graph) -> np.ndarray:
    """Counts of nodes with degree 0, 1, 2, ... (``nx.degree_histogram``); simple graphs only."""
    check_graph(graph)
    return np.asarray(nx.degree_histogram(graph), dtype=np.float64)


def clustering_histogram(graph: nx.Graph, bins: int = 100) -> np.ndarray:
    """Histogram of local clustering coefficients, ``bins`` equal bins on [0, 1]; simple graphs only."""
    check_graph(graph)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"argument 'bins' must be an int >= 1, got {bins!r}")
    coeffs = list(nx.clustering(graph).values())
    hist, _ = np.histogram(coeffs, bins=bins, range=(0.0, 1.0))
    return hist.astype(np.float64)


@lru_cache(maxsize=64)
def _subsets(n: int, k: int) -> np.ndarray:
    if n < k:
        return np.zeros((0, k), dtype=np.int64)
    flat = np.fromiter((i for combo in combinations(range(n), k) for i in combo), dtype=np.int64)
    return flat.reshape(-1, k)


def orbit_counts(graph: nx.Graph, chunk: int = 200_000) -> np.ndarray:
    """Per-node counts of the 15 node orbits of 2-4-node graphlets, ORCA numbering, ``(n, 15)`` int.

    Vectorised over all 3- and 4-node subsets (numpy): each subset's induced sub-adjacency gives its
    graphlet and each member's orbit from its degree inside the subset:

    * 0 edge (degree); 1/2 path P3 end/middle; 3 triangle;
    * 4/5 path P4 end/inner; 6/7 star leaf/centre; 8 4-cycle; 9/10/11 paw tail/degree-2/degree-3;
      12/13 diamond degree-2/degree-3; 14 K4.

    Meant for the small graphs of notebook 05 (``O(n^4)`` subsets; fine up to ~60 nodes). Simple
    undirected graphs only (directed graphs, multigraphs and self-loops are refused, see the module
    docstring); a 0-node graph gives a ``(0, 15)`` array.
    """
    check_graph(graph, allow_empty=True)
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"argument 'chunk' must be an int >= 1, got {chunk!r}")
    nodes = list(graph.nodes())
    n = len(nodes)
    counts = np.zeros((n, NUM_ORBITS), dtype=np.int64)
    if n == 0:
        return counts
    adj = nx.to_numpy_array(graph, nodelist=nodes, dtype=np.int8)
    counts[:, 0] = adj.sum(1)
    # 3-node subsets: path (2 edges) and triangle (3 edges)
    for k, table in ((3, _ORBIT3), (4, _ORBIT4)):
        subsets = _subsets(n, k)
        for start in range(0, len(subsets), chunk):
            sub = subsets[start : start + chunk]
            induced = adj[sub[:, :, None], sub[:, None, :]]  # (C, k, k)
            deg = induced.sum(2)  # (C, k)
            edges = deg.sum(1) // 2
            shape = edges * 16 + deg.max(1) * 4 + deg.min(1)  # graphlet key
            orbit = table[shape[:, None], deg]  # (C, k), -1 = not a connected graphlet
            keep = orbit >= 0
            np.add.at(counts, (sub[keep], orbit[keep]), 1)
    return counts


def _orbit_tables() -> tuple[np.ndarray, np.ndarray]:
    """Lookup ``[edges*16 + maxdeg*4 + mindeg, node degree] -> orbit`` for 3- and 4-node subsets."""
    t3 = np.full((16 * 7, 4), -1, dtype=np.int64)
    t3[2 * 16 + 2 * 4 + 1, [1, 2]] = [1, 2]  # path: ends orbit 1, middle orbit 2
    t3[3 * 16 + 2 * 4 + 2, 2] = 3  # triangle
    t4 = np.full((16 * 7, 4), -1, dtype=np.int64)
    t4[3 * 16 + 2 * 4 + 1, [1, 2]] = [4, 5]  # P4
    t4[3 * 16 + 3 * 4 + 1, [1, 3]] = [6, 7]  # star
    t4[4 * 16 + 2 * 4 + 2, 2] = 8  # C4
    t4[4 * 16 + 3 * 4 + 1, [1, 2, 3]] = [9, 10, 11]  # paw
    t4[5 * 16 + 3 * 4 + 2, [2, 3]] = [12, 13]  # diamond
    t4[6 * 16 + 3 * 4 + 3, 3] = 14  # K4
    return t3, t4


_ORBIT3, _ORBIT4 = _orbit_tables()


def orbit_counts_naive(graph: nx.Graph) -> np.ndarray:
    """Reference implementation of :func:`orbit_counts`: a plain Python loop over connected subsets.

    Classifies each connected induced 3/4-node subgraph by ``nx.is_isomorphic`` against the graphlets.
    Slow; used by the tests and the benchmark. Same input contract as :func:`orbit_counts`.
    """
    check_graph(graph, allow_empty=True)
    nodes = list(graph.nodes())
    index = {v: i for i, v in enumerate(nodes)}
    counts = np.zeros((len(nodes), NUM_ORBITS), dtype=np.int64)
    for v in nodes:
        counts[index[v], 0] = graph.degree(v)
    patterns = [
        (nx.path_graph(3), {1: 1, 2: 2}),
        (nx.complete_graph(3), {2: 3}),
        (nx.path_graph(4), {1: 4, 2: 5}),
        (nx.star_graph(3), {1: 6, 3: 7}),
        (nx.cycle_graph(4), {2: 8}),
        (nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)]), {1: 9, 2: 10, 3: 11}),
        (nx.Graph([(0, 1), (1, 2), (2, 0), (1, 3), (2, 3)]), {2: 12, 3: 13}),
        (nx.complete_graph(4), {3: 14}),
    ]
    for k in (3, 4):
        for subset in combinations(nodes, k):
            sub = graph.subgraph(subset)
            if not nx.is_connected(sub):
                continue
            for pattern, orbit_of_degree in patterns:
                if pattern.number_of_nodes() == k and nx.is_isomorphic(sub, pattern):
                    for v in subset:
                        counts[index[v], orbit_of_degree[sub.degree(v)]] += 1
                    break
    return counts


def mean_orbit_vector(graph: nx.Graph) -> np.ndarray:
    """GraphRNN's orbit descriptor: orbit counts summed over nodes / number of nodes, shape ``(15,)``.

    A 0-node graph is refused (the mean over no nodes is undefined).
    """
    check_graph(graph)
    return orbit_counts(graph).sum(0) / graph.number_of_nodes()
