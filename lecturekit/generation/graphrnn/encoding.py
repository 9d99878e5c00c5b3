"""GraphRNN's sequence view of a graph: BFS node orderings and truncated adjacency vectors.

Used by ``notebooks/05_graphrnn.ipynb`` and the GraphRNN trainer.

Under a node ordering ``pi`` the graph becomes the sequence ``S_1, ..., S_{n-1}`` where
``S_i in {0,1}^M`` lists node ``i``'s edges to the ``M`` nodes right before it, most recent first:

    S_i[j] = A[pi(i), pi(i-1-j)]   for 0 <= j < min(i, M)   (zeros beyond).

A BFS ordering guarantees that every edge joins nodes at most ``M`` positions apart for a small ``M``
(the largest BFS-queue "span"), which is what makes the truncation lossless. Because every BFS node after
the first has an edge to an earlier node, an all-zero ``S_i`` never occurs inside a graph; the sampler
writes zero rows after its end-of-sequence (EOS) step and :func:`seq_to_graph` cuts there.
"""

from __future__ import annotations

from collections import deque

import networkx as nx
import numpy as np


def bfs_order(graph: nx.Graph, rng: np.random.Generator | None = None, start: int | None = None) -> list:
    """A random BFS ordering of ``graph``'s nodes (the paper's ``pi``).

    The nodes are first randomly permuted (neighbours are visited in permuted order), then BFS runs from
    ``start`` (random by default). Disconnected graphs continue with the next unvisited node in permuted
    order, so every node appears exactly once. Returns the list of node labels in visit order.
    """
    if graph.number_of_nodes() == 0:
        return []
    rng = rng or np.random.default_rng()
    nodes = list(graph.nodes())
    perm = [nodes[i] for i in rng.permutation(len(nodes))]
    rank = {v: i for i, v in enumerate(perm)}
    if start is None:
        start = perm[0]
    elif start not in rank:
        raise KeyError(f"argument 'start' = {start!r} is not a node of the graph")
    return ordered_bfs(graph, [start, *perm], rank.__getitem__)


def ordered_bfs(graph: nx.Graph, roots: list, key) -> list:
    """Breadth-first visit of every node: from each not yet visited node of ``roots`` in turn (so a
    disconnected graph continues from the next root), neighbours visited in increasing ``key``.
    Used by :func:`bfs_order` (random keys) and GraphVAE's fixed order (degree keys)."""
    order: list = []
    seen: set = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        queue = deque([root])
        while queue:
            v = queue.popleft()
            order.append(v)
            for w in sorted(graph.neighbors(v), key=key):
                if w not in seen:
                    seen.add(w)
                    queue.append(w)
        if len(order) == graph.number_of_nodes():
            break
    return order


def random_order(graph: nx.Graph, rng: np.random.Generator | None = None) -> list:
    """A uniformly random node ordering (the "no BFS" baseline of the M figure)."""
    rng = rng or np.random.default_rng()
    nodes = list(graph.nodes())
    return [nodes[i] for i in rng.permutation(len(nodes))]


def ordered_adjacency(graph: nx.Graph, order: list) -> np.ndarray:
    """Dense ``(n, n)`` 0/1 adjacency matrix with rows/columns in ``order``."""
    if len(order) != graph.number_of_nodes() or set(order) != set(graph.nodes()):
        raise ValueError("argument 'order' must list every node of the graph exactly once")
    return nx.to_numpy_array(graph, nodelist=order, dtype=np.float32)


def required_m(adj: np.ndarray) -> int:
    """Smallest ``M`` that encodes ``adj`` losslessly: ``max |i - j|`` over edges (the ordering's bandwidth)."""
    rows, cols = np.nonzero(np.triu(adj, 1))
    return int((cols - rows).max()) if rows.size else 0


def encode_adj(adj: np.ndarray, max_prev: int, truncate: bool = False) -> np.ndarray:
    """Adjacency ``(n, n)`` -> sequence ``(n-1, M)``: row ``i-1`` is ``S_i`` (edges of node i, newest first).

    An edge spanning more than ``max_prev`` positions cannot be encoded: with ``truncate=False`` this
    raises ``ValueError``; with ``truncate=True`` it is dropped (the paper's code does the same, since its
    ``M`` is estimated from sampled orderings and rare orderings can exceed it).
    """
    adj = np.asarray(adj)
    if adj.ndim != 2 or adj.shape[0] != adj.shape[1]:
        raise ValueError(f"argument 'adj' must be a square matrix, got shape {adj.shape}")
    if max_prev < 1:
        raise ValueError(f"argument 'max_prev' must be >= 1, got {max_prev}")
    n = adj.shape[0]
    if not truncate and required_m(adj) > max_prev:
        raise ValueError(f"an edge spans {required_m(adj)} > max_prev={max_prev} positions in this ordering")
    seq = np.zeros((max(n - 1, 0), max_prev), dtype=np.float32)
    for i in range(1, n):
        k = min(i, max_prev)
        seq[i - 1, :k] = adj[i, i - k : i][::-1]
    return seq


def decode_adj(seq: np.ndarray) -> np.ndarray:
    """Sequence ``(n-1, M)`` -> symmetric adjacency ``(n, n)`` (inverse of :func:`encode_adj`)."""
    seq = np.asarray(seq)
    if seq.ndim != 2:
        raise ValueError(f"argument 'seq' must be 2-D (n-1, M), got shape {seq.shape}")
    n, max_prev = seq.shape[0] + 1, seq.shape[1]
    adj = np.zeros((n, n), dtype=np.float32)
    for i in range(1, n):
        k = min(i, max_prev)
        adj[i, i - k : i] = seq[i - 1, :k][::-1]
    return np.maximum(adj, adj.T)


def seq_to_graph(seq: np.ndarray) -> nx.Graph:
    """Decode a (possibly EOS-terminated) sampled sequence into a graph.

    Rows after the first all-zero row are dropped (EOS); isolated nodes cannot occur before it.
    """
    seq = np.asarray(seq)
    zero_rows = np.flatnonzero(~seq.any(axis=1)) if seq.size else np.array([], dtype=int)
    if zero_rows.size:
        seq = seq[: zero_rows[0]]
    return nx.from_numpy_array(decode_adj(seq))


def graph_to_seq(
    graph: nx.Graph, max_prev: int, rng: np.random.Generator | None = None, truncate: bool = True
) -> np.ndarray:
    """Encode ``graph`` under a random BFS ordering into ``(n-1, M)`` (the training view).

    ``truncate=True`` drops the rare edges longer than ``M`` (see :func:`encode_adj`).
    """
    return encode_adj(ordered_adjacency(graph, bfs_order(graph, rng)), max_prev, truncate=truncate)


def estimate_max_prev(
    graphs: list[nx.Graph],
    orderings_per_graph: int = 20,
    use_bfs: bool = True,
    rng: np.random.Generator | None = None,
) -> tuple[int, np.ndarray]:
    """Estimate the paper's ``M`` from data: the largest bandwidth over random (BFS) orderings.

    Returns ``(M, spans)`` where ``spans`` holds the required ``M`` of every sampled ordering
    (``len(graphs) * orderings_per_graph`` values), e.g. for the "BFS shrinks M" histogram.
    """
    if not graphs:
        raise ValueError("argument 'graphs' is empty")
    rng = rng or np.random.default_rng(0)
    spans = []
    for graph in graphs:
        for _ in range(orderings_per_graph):
            order = bfs_order(graph, rng) if use_bfs else random_order(graph, rng)
            spans.append(required_m(ordered_adjacency(graph, order)))
    spans_arr = np.asarray(spans, dtype=int)
    return max(int(spans_arr.max()), 1), spans_arr
