"""Small synthetic graph datasets of the GraphRNN paper, generated offline with networkx.

Used by ``notebooks/05_graphrnn.ipynb``. Three families, as in You et al. (ICML 2018), Table 2:

* ``community-small`` -- two Erdős–Rényi communities (intra-community edge probability ``p_intra``)
  joined by sparse inter-community edges (``p_inter``, at least one), 12-20 nodes in total;
* ``grid`` -- 2-D grid graphs ``rows x cols`` (small sizes so a CPU can train on them);
* ``ego-small`` -- radius-1 ego networks of 4-20 nodes. The paper cuts them from the Citeseer citation
  graph, which is not available offline; we cut them from a generated power-law graph with triadic
  closure (Holme–Kim ``powerlaw_cluster_graph``), a citation-like stand-in.

Every dataset is split 80/20 into train/test after a seeded shuffle, as in the paper's code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import networkx as nx

DATASETS: tuple[str, ...] = ("community-small", "grid", "ego-small")


@dataclass
class GraphSplit:
    """A dataset's graphs after the 80/20 split (``train`` is 80 %)."""

    name: str
    train: list[nx.Graph]
    test: list[nx.Graph]

    @property
    def graphs(self) -> list[nx.Graph]:
        return self.train + self.test


def _relabel(graph: nx.Graph) -> nx.Graph:
    """Plain ``0..n-1`` integer labels, no attributes."""
    out = nx.Graph()
    mapping = {node: i for i, node in enumerate(graph.nodes())}
    out.add_nodes_from(range(len(mapping)))
    out.add_edges_from((mapping[u], mapping[v]) for u, v in graph.edges() if u != v)
    return out


def community_small(
    num_graphs: int = 100,
    community_sizes: tuple[int, int] = (6, 10),
    p_intra: float = 0.7,
    p_inter: float = 0.05,
    seed: int = 0,
) -> list[nx.Graph]:
    """Two-community graphs: each community ``G(n_c, p_intra)`` with ``n_c`` uniform in ``community_sizes``.

    Every cross pair gets an edge with probability ``p_inter``; when none is drawn one random cross edge is
    added so the graph stays connected across communities. A community that is itself disconnected is
    re-drawn. Returns ``num_graphs`` graphs with 12-20 nodes for the default sizes.
    """
    if num_graphs < 1:
        raise ValueError(f"argument 'num_graphs' must be >= 1, got {num_graphs}")
    low, high = community_sizes
    if not 1 <= low <= high:
        raise ValueError(f"argument 'community_sizes' must be (low, high) with 1 <= low <= high, got {community_sizes}")
    rng = random.Random(seed)
    graphs = []
    while len(graphs) < num_graphs:
        parts = []
        for _ in range(2):
            while True:
                part = nx.gnp_random_graph(rng.randint(low, high), p_intra, seed=rng.randrange(2**31))
                if nx.is_connected(part):
                    break
            parts.append(part)
        graph = nx.disjoint_union(parts[0], parts[1])
        left = range(parts[0].number_of_nodes())
        right = range(parts[0].number_of_nodes(), graph.number_of_nodes())
        cross = [(u, v) for u in left for v in right if rng.random() < p_inter]
        if not cross:
            cross = [(rng.choice(left), rng.choice(right))]
        graph.add_edges_from(cross)
        graphs.append(_relabel(graph))
    return graphs


def grid_graphs(rows: tuple[int, int] = (2, 5), cols: tuple[int, int] = (2, 5), repeats: int = 1) -> list[nx.Graph]:
    """All 2-D grids with ``rows[0] <= r <= rows[1]`` and ``cols[0] <= c <= cols[1]``, each ``repeats`` times.

    The paper's grid dataset uses 10 <= r, c < 20 (100-400 nodes); the course uses small grids.
    """
    if repeats < 1 or rows[0] < 1 or cols[0] < 1 or rows[0] > rows[1] or cols[0] > cols[1]:
        raise ValueError(f"bad grid sizes: rows={rows}, cols={cols}, repeats={repeats}")
    graphs = []
    for r in range(rows[0], rows[1] + 1):
        for c in range(cols[0], cols[1] + 1):
            graphs.extend(_relabel(nx.grid_2d_graph(r, c)) for _ in range(repeats))
    return graphs


def ego_small(
    num_graphs: int = 200,
    node_range: tuple[int, int] = (4, 20),
    base_nodes: int = 3000,
    m: int = 2,
    p_triangle: float = 0.3,
    seed: int = 0,
) -> list[nx.Graph]:
    """Radius-1 ego graphs with ``node_range[0] <= |V| <= node_range[1]`` from a generated citation-like graph.

    The base graph is ``nx.powerlaw_cluster_graph(base_nodes, m, p_triangle)`` (preferential attachment with
    triadic closure: heavy-tailed degrees and clustering, like a citation network). Egos are drawn
    without replacement among the centres whose ego graph has an admissible size. Stand-in for the paper's
    Citeseer egos (Citeseer is not available offline).
    """
    if num_graphs < 1:
        raise ValueError(f"argument 'num_graphs' must be >= 1, got {num_graphs}")
    if not 1 <= node_range[0] <= node_range[1]:
        raise ValueError(f"argument 'node_range' must be (low, high) with 1 <= low <= high, got {node_range}")
    base = nx.powerlaw_cluster_graph(base_nodes, m, p_triangle, seed=seed)
    centres = [v for v in base.nodes() if node_range[0] <= base.degree(v) + 1 <= node_range[1]]
    if len(centres) < num_graphs:
        raise ValueError(
            f"only {len(centres)} ego graphs of {node_range} nodes in a base graph of {base_nodes} nodes; "
            f"increase 'base_nodes' or lower 'num_graphs' ({num_graphs})"
        )
    rng = random.Random(seed)
    chosen = rng.sample(centres, num_graphs)
    return [_relabel(nx.ego_graph(base, v, radius=1)) for v in chosen]


def split_graphs(graphs: list[nx.Graph], train_fraction: float = 0.8, seed: int = 0) -> tuple[list, list]:
    """Seeded shuffle, then the first ``train_fraction`` for training and the rest for testing (paper: 80/20)."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"argument 'train_fraction' must be in (0, 1), got {train_fraction}")
    if len(graphs) < 2:
        raise ValueError(f"need at least 2 graphs to split, got {len(graphs)}")
    order = list(range(len(graphs)))
    random.Random(seed).shuffle(order)
    cut = min(max(int(train_fraction * len(graphs)), 1), len(graphs) - 1)
    return [graphs[i] for i in order[:cut]], [graphs[i] for i in order[cut:]]


def load_dataset(name: str, num_graphs: int | None = None, seed: int = 0) -> GraphSplit:
    """One of :data:`DATASETS`, split 80/20. ``num_graphs`` overrides the paper's count (100 / all / 200).

    For ``grid`` the count is reached by repeating the small grids (2..5 x 2..5 has 16 distinct shapes).
    ``num_graphs=None`` means the paper's count; anything else must be an int >= 2 (``0`` used to fall
    back to the default silently). Used by notebook 05.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if num_graphs is not None and (isinstance(num_graphs, bool) or not isinstance(num_graphs, int) or num_graphs < 2):
        raise ValueError(f"argument 'num_graphs' must be None (the paper's count) or an int >= 2, got {num_graphs!r}")
    if name == "community-small":
        graphs = community_small(num_graphs or 100, seed=seed)
    elif name == "grid":
        base = grid_graphs()
        count = num_graphs or len(base)
        graphs = [base[i % len(base)] for i in range(count)]
    else:
        graphs = ego_small(num_graphs or 200, seed=seed)
    train, test = split_graphs(graphs, 0.8, seed=seed)
    return GraphSplit(name, train, test)
