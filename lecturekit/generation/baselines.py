"""Traditional graph-generator baselines fitted to the training graphs (GraphRNN paper, Section 5).

Used by ``notebooks/05_graphrnn.ipynb``.

As in the GraphRNN code, parameters are fitted per training-graph size ``n`` by matching the edge count
``|E|`` and averaging over the training graphs of that size:

* Erdős–Rényi ``G(n, p)``: ``p = |E| / (n (n-1) / 2)``;
* Barabási–Albert ``BA(n, m)``: ``m (n - m) = |E|``  =>  ``m = (n - sqrt(n^2 - 4|E|)) / 2`` (rounded, >= 1).

Sampling draws ``n`` from the empirical training size distribution, then the generator with that
size's fitted parameter.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from lecturekit.generation.graph_descriptors import check_graphs

GENERATORS = ("erdos-renyi", "barabasi-albert")


@dataclass
class FittedBaseline:
    """A generator with per-size parameters (``p`` for ER, ``m`` for BA) and the training sizes."""

    generator: str
    params: dict[int, float] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)

    def sample(self, num_graphs: int, seed: int = 0) -> list[nx.Graph]:
        """``num_graphs`` graphs with sizes drawn from the training sizes."""
        if isinstance(num_graphs, bool) or not isinstance(num_graphs, int) or num_graphs < 1:
            raise ValueError(f"argument 'num_graphs' must be an int >= 1, got {num_graphs!r}")
        rng = np.random.default_rng(seed)
        graphs = []
        for n in rng.choice(self.sizes, size=num_graphs):
            n = int(n)
            graph_seed = int(rng.integers(2**31))
            if self.generator == "erdos-renyi":
                graphs.append(nx.gnp_random_graph(n, self.params[n], seed=graph_seed))
            else:
                m = int(min(max(round(self.params[n]), 1), n - 1))
                graphs.append(nx.barabasi_albert_graph(n, m, seed=graph_seed) if n > 1 else nx.empty_graph(n))
        return graphs


def fit_baseline(graphs: list[nx.Graph], generator: str) -> FittedBaseline:
    """Fit ``generator`` (``"erdos-renyi"`` or ``"barabasi-albert"``) to ``graphs`` by matching edge counts.

    ``graphs`` must be simple undirected graphs with at least one node (directed graphs or multigraphs
    would give wrong edge densities; refused like the MMD metrics do).
    """
    if generator not in GENERATORS:
        raise ValueError(f"argument 'generator' must be one of {GENERATORS}, got {generator!r}")
    check_graphs(graphs, "graphs")
    per_size: dict[int, list[float]] = defaultdict(list)
    for graph in graphs:
        n, e = graph.number_of_nodes(), graph.number_of_edges()
        if n < 2:
            per_size[n].append(0.0)
        elif generator == "erdos-renyi":
            per_size[n].append(e / (n * (n - 1) / 2))
        else:
            per_size[n].append((n - math.sqrt(max(n * n - 4 * e, 0))) / 2)
    params = {n: float(np.mean(values)) for n, values in per_size.items()}
    return FittedBaseline(generator, params, [g.number_of_nodes() for g in graphs])


def perturbed_copies(graphs: list[nx.Graph], rng: np.random.Generator, edits: int = 1) -> list[nx.Graph]:
    """A control, not a generator: each training graph copied with ``edits`` random edge moves.

    One move removes a uniformly random edge and adds a uniformly random non-edge (the edge count is kept),
    so every copy is a near-duplicate of a training graph that is (usually) no longer of its family -- a grid
    loses its grid shape. A model that "generalises" must beat this control, not only the exact copies (the
    train-vs-test row), on a statistic that tells the control from the test graphs themselves.
    """
    if not isinstance(edits, int) or edits < 0:
        raise ValueError(f"argument 'edits' must be an int >= 0, got {edits!r}")
    check_graphs(graphs, "graphs")
    out = []
    for graph in graphs:
        copy = nx.Graph(graph)
        nodes = list(copy.nodes)
        for _ in range(edits):
            edges = list(copy.edges)
            non_edges = [
                (u, v) for i, u in enumerate(nodes) for v in nodes[i + 1 :] if not copy.has_edge(u, v)
            ]
            if not edges or not non_edges:
                break
            copy.remove_edge(*edges[int(rng.integers(len(edges)))])
            copy.add_edge(*non_edges[int(rng.integers(len(non_edges)))])
        out.append(copy)
    return out
