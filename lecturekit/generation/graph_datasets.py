"""Small synthetic graph datasets of the GraphRNN paper, generated offline with networkx.

Used by ``notebooks/05_graphrnn.ipynb``. Three families, as in You et al. (ICML 2018), Table 2:

* ``community-small`` -- two Erdős–Rényi communities (intra-community edge probability ``p_intra``)
  joined by sparse inter-community edges (``p_inter``, at least one), 12-20 nodes in total;
* ``grid`` -- 2-D grid graphs ``rows x cols`` (small sizes so a CPU can train on them);
* ``ego-small`` -- radius-1 ego networks of 4-20 nodes. The paper cuts them from the Citeseer citation
  graph, which is not available offline; we cut them from a generated power-law graph with triadic
  closure (Holme–Kim ``powerlaw_cluster_graph``), a citation-like stand-in.

Train and test sets are drawn **independently**, each from its own random stream (the paper's code
shuffles one set and splits it 80/20; on small synthetic families that leaves test graphs that are
isomorphic copies of training graphs, so a generator could score well by memorising):

* ``community-small`` -- test graphs come from their own stream; a candidate isomorphic to a training
  graph is skipped (rare: two G(n, 0.7) communities seldom repeat);
* ``grid`` -- the *shapes* are held out: an ``r x c`` grid is the same graph as ``c x r``, so a shape is
  the unordered pair; training uses the shapes with ``r + c`` even, testing those with ``r + c`` odd
  (interleaved sizes, so the test shapes lie inside the training size range);
* ``ego-small`` -- train and test egos have distinct centres in the same base graph. Small egos are
  often isomorphic to each other (stars with a few triangles), so copies remain; they are counted and
  reported, not removed (removing them would change the distribution the stand-in is meant to mimic).

:func:`count_isomorphic_copies` counts test graphs with an isomorphic training copy.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from lecturekit.seed import derive_seed

DATASETS: tuple[str, ...] = ("community-small", "grid", "ego-small")


GRID_SIDES = (2, 5)  # r, c in 2..5: 4-25 nodes, small enough for a CPU
# community_small re-draws a disconnected community; at the default p_intra=0.7 nearly every draw is
# connected, so a thousand failures in a row means p_intra is far too small for the sizes asked.
MAX_COMMUNITY_DRAWS = 1000


@dataclass
class GraphSplit:
    """A dataset's training and test graphs, drawn independently (see the module docstring).

    ``skipped`` counts test candidates dropped because they were isomorphic to a training graph.
    """

    name: str
    train: list[nx.Graph]
    test: list[nx.Graph]
    skipped: int = 0

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
    re-drawn, at most :data:`MAX_COMMUNITY_DRAWS` times in a row: ``p_intra`` too small to give connected
    communities of these sizes is an error, never an endless loop. Returns ``num_graphs`` graphs with
    12-20 nodes for the default sizes.
    """
    if isinstance(num_graphs, bool) or not isinstance(num_graphs, numbers.Integral) or num_graphs < 1:
        raise ValueError(f"argument 'num_graphs' must be an int >= 1, got {num_graphs!r}")
    low, high = community_sizes
    if (
        not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in (low, high))
        or not 1 <= low <= high
    ):
        raise ValueError(
            f"argument 'community_sizes' must be (low, high) ints with 1 <= low <= high, got {community_sizes}"
        )
    for name, p in (("p_intra", p_intra), ("p_inter", p_inter)):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not math.isfinite(p) or not 0 <= p <= 1:
            raise ValueError(f"argument {name!r} must be a probability in [0, 1], got {p!r}")
    if p_intra == 0 and high > 1:
        raise ValueError("argument 'p_intra' is 0: a community of 2 or more nodes would never be connected")
    rng = random.Random(seed)
    graphs = []
    while len(graphs) < num_graphs:
        parts = []
        for _ in range(2):
            for _draw in range(MAX_COMMUNITY_DRAWS):
                part = nx.gnp_random_graph(rng.randint(low, high), p_intra, seed=rng.randrange(2**31))
                if nx.is_connected(part):
                    break
            else:
                raise ValueError(
                    f"argument 'p_intra'={p_intra} gave no connected community of {low}-{high} nodes in "
                    f"{MAX_COMMUNITY_DRAWS} draws; raise p_intra or lower community_sizes"
                )
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


def grid_graphs(
    rows: tuple[int, int] = GRID_SIDES, cols: tuple[int, int] = GRID_SIDES, repeats: int = 1
) -> list[nx.Graph]:
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
    """Seeded shuffle, then the first ``train_fraction`` for training and the rest for testing (the paper's 80/20).

    Kept for comparison with the paper's protocol; :func:`load_dataset` draws test sets independently instead.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"argument 'train_fraction' must be in (0, 1), got {train_fraction}")
    if len(graphs) < 2:
        raise ValueError(f"need at least 2 graphs to split, got {len(graphs)}")
    order = list(range(len(graphs)))
    random.Random(seed).shuffle(order)
    cut = min(max(int(train_fraction * len(graphs)), 1), len(graphs) - 1)
    return [graphs[i] for i in order[:cut]], [graphs[i] for i in order[cut:]]


# ---- held-out test sets -----------------------------------------------------------------------------
def grid_shapes(sides: tuple[int, int] = GRID_SIDES) -> list[tuple[int, int]]:
    """The distinct grid shapes ``(r, c)`` with ``r <= c`` in ``sides`` (``r x c`` and ``c x r`` are one graph)."""
    low, high = sides
    if not 1 <= low <= high:
        raise ValueError(f"argument 'sides' must be (low, high) with 1 <= low <= high, got {sides}")
    return [(r, c) for r in range(low, high + 1) for c in range(r, high + 1)]


def held_out_grid_shapes(
    sides: tuple[int, int] = GRID_SIDES,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(train_shapes, test_shapes)``: shapes with ``r + c`` even train, odd ones test (interleaved sizes)."""
    shapes = grid_shapes(sides)
    train = [s for s in shapes if sum(s) % 2 == 0]
    test = [s for s in shapes if sum(s) % 2 == 1]
    if not train or not test:
        raise ValueError(f"argument 'sides' = {sides} leaves no training or no test shape")
    return train, test


def grid_shape(graph: nx.Graph) -> tuple[int, int] | None:
    """The canonical shape ``(r, c)``, ``r <= c``, of a 2-D grid graph, or ``None`` if ``graph`` is no grid.

    A grid has ``n = r c`` nodes and ``2 r c - r - c`` edges, so ``r + c = 2n - |E|`` and ``r c = n`` fix
    the pair; the candidate is then confirmed by an isomorphism test. Two grids are isomorphic exactly when
    their canonical shapes are equal, which makes this a canonical form for grids.
    """
    n, e = graph.number_of_nodes(), graph.number_of_edges()
    total = 2 * n - e
    disc = total * total - 4 * n
    if n == 0 or disc < 0:
        return None
    root = int(round(disc**0.5))
    if root * root != disc or (total - root) % 2:
        return None
    r, c = (total - root) // 2, (total + root) // 2
    if r < 1 or r * c != n:
        return None
    return (r, c) if nx.is_isomorphic(graph, nx.grid_2d_graph(r, c)) else None


def count_isomorphic_copies(test: Sequence[nx.Graph], train: Sequence[nx.Graph]) -> int:
    """How many ``test`` graphs are isomorphic to some ``train`` graph (degree-sequence bucket, exact check)."""
    buckets = _buckets(train)
    return sum(_has_copy(graph, buckets) for graph in test)


def _invariant(graph: nx.Graph) -> tuple[int, ...]:
    return tuple(sorted(d for _, d in graph.degree()))


def _buckets(graphs: Sequence[nx.Graph]) -> dict[tuple[int, ...], list[nx.Graph]]:
    buckets: dict[tuple[int, ...], list[nx.Graph]] = {}
    for graph in graphs:
        buckets.setdefault(_invariant(graph), []).append(graph)
    return buckets


def _has_copy(graph: nx.Graph, buckets: dict[tuple[int, ...], list[nx.Graph]]) -> bool:
    return any(nx.is_isomorphic(graph, other) for other in buckets.get(_invariant(graph), []))


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"argument {name!r} must be an int >= 1, got {value!r}")
    return value


def _random_grids(shapes: Sequence[tuple[int, int]], num_graphs: int, rng: random.Random) -> list[nx.Graph]:
    """``num_graphs`` grids with shapes drawn uniformly from ``shapes``, each in a random orientation."""
    graphs = []
    for _ in range(num_graphs):
        r, c = rng.choice(list(shapes))
        graphs.append(_relabel(nx.grid_2d_graph(*((r, c) if rng.random() < 0.5 else (c, r)))))
    return graphs


def load_dataset(name: str, num_train: int, num_test: int, seed: int = 0) -> GraphSplit:
    """One of :data:`DATASETS`: ``num_train`` training and ``num_test`` test graphs, drawn independently.

    Training and test graphs come from their own random streams derived from ``seed`` (see the module
    docstring for how each family keeps test graphs out of training). The paper uses 100 community graphs
    and 200 egos, split 80/20; notebook 05 keeps the training sizes and draws larger test sets. Used by
    notebook 05.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    num_train, num_test = _count("num_train", num_train), _count("num_test", num_test)
    train_seed, test_seed = derive_seed(seed, f"{name}/train"), derive_seed(seed, f"{name}/test")
    if name == "community-small":
        train = community_small(num_train, seed=train_seed % 2**32)
        buckets, test, skipped, batch = _buckets(train), [], 0, 0
        while (
            len(test) < num_test
        ):  # draw in batches from the test stream, skipping copies of training graphs
            for graph in community_small(num_test, seed=derive_seed(test_seed, str(batch)) % 2**32):
                if _has_copy(graph, buckets):
                    skipped += 1
                elif len(test) < num_test:
                    test.append(graph)
            batch += 1
            if batch > 20:
                raise RuntimeError(
                    f"community-small: could not draw {num_test} test graphs unlike the training set"
                )
        return GraphSplit(name, train, test, skipped)
    if name == "grid":
        train_shapes, test_shapes = held_out_grid_shapes()
        return GraphSplit(
            name,
            _random_grids(train_shapes, num_train, random.Random(train_seed)),
            _random_grids(test_shapes, num_test, random.Random(test_seed)),
        )
    egos = ego_small(num_train + num_test, seed=seed)  # distinct centres, in a seeded random order
    order = list(range(len(egos)))
    random.Random(test_seed).shuffle(order)
    return GraphSplit(name, [egos[i] for i in order[:num_train]], [egos[i] for i in order[num_train:]])
