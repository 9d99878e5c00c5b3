"""BFS sequence encoding, M estimation, datasets and baselines of notebook 05 (GraphRNN)."""

import networkx as nx
import numpy as np
import pytest
import torch

from lecturekit.generation.baselines import fit_baseline
from lecturekit.generation.graph_datasets import (
    community_small,
    ego_small,
    grid_graphs,
    load_dataset,
    split_graphs,
)
from lecturekit.generation.graphrnn import (
    bfs_order,
    decode_adj,
    encode_adj,
    estimate_max_prev,
    graph_to_seq,
    ordered_adjacency,
    random_order,
    required_m,
    seq_to_graph,
)

torch.set_num_threads(1)


def test_bfs_order_is_a_bfs_permutation():
    g = nx.grid_2d_graph(3, 4)
    rng = np.random.default_rng(0)
    order = bfs_order(g, rng)
    assert sorted(order) == sorted(g.nodes())
    # BFS: distances from the start never decrease along the order
    dist = nx.single_source_shortest_path_length(g, order[0])
    assert [dist[v] for v in order] == sorted(dist[v] for v in order)


def test_bfs_order_covers_disconnected_graphs():
    g = nx.disjoint_union(nx.path_graph(3), nx.cycle_graph(4))
    order = bfs_order(g, np.random.default_rng(1))
    assert sorted(order) == list(range(7))


def test_encode_decode_by_hand():
    adj = nx.to_numpy_array(nx.path_graph(4))  # 0-1-2-3
    seq = encode_adj(adj, max_prev=2)
    np.testing.assert_array_equal(seq, [[1, 0], [1, 0], [1, 0]])  # each node links to the previous one
    np.testing.assert_array_equal(decode_adj(seq), adj)
    tri = nx.to_numpy_array(nx.complete_graph(3))
    np.testing.assert_array_equal(encode_adj(tri, 2), [[1, 0], [1, 1]])


@pytest.mark.parametrize("name", ["community", "grid", "ego"])
def test_bfs_round_trip_is_isomorphic(name):
    graphs = {
        "community": community_small(8, seed=1),
        "grid": grid_graphs((2, 4), (3, 4)),
        "ego": ego_small(8, base_nodes=400, seed=2),
    }[name]
    rng = np.random.default_rng(0)
    for g in graphs:
        order = bfs_order(g, rng)
        adj = ordered_adjacency(g, order)
        m = required_m(adj)
        assert nx.is_isomorphic(seq_to_graph(encode_adj(adj, m)), g)
        # with M = n - 1 any ordering is lossless
        assert nx.is_isomorphic(seq_to_graph(graph_to_seq(g, g.number_of_nodes() - 1, rng)), g)


def test_encode_refuses_lossy_m_unless_truncating():
    adj = nx.to_numpy_array(nx.cycle_graph(5))  # edge 0-4 spans 4 positions
    assert required_m(adj) == 4
    with pytest.raises(ValueError, match="max_prev"):
        encode_adj(adj, 2)
    assert encode_adj(adj, 2, truncate=True).sum() == 4


def test_seq_to_graph_stops_at_eos():
    seq = np.array([[1, 0], [1, 1], [0, 0], [1, 0]], dtype=np.float32)
    g = seq_to_graph(seq)
    assert g.number_of_nodes() == 3 and g.number_of_edges() == 3


def test_m_computation_and_bfs_shrinks_it():
    grid = grid_graphs((4, 4), (6, 6))  # 4 x 6 grid: BFS bandwidth is small
    m_bfs, spans = estimate_max_prev(grid, orderings_per_graph=30, rng=np.random.default_rng(0))
    m_rand, _ = estimate_max_prev(grid, orderings_per_graph=30, use_bfs=False, rng=np.random.default_rng(0))
    assert spans.shape == (30,)
    assert m_bfs == spans.max() and 4 <= m_bfs <= 9
    assert m_rand > m_bfs
    # a path under BFS from anywhere needs M <= 2 (start in the middle: nodes alternate sides)
    m_path, _ = estimate_max_prev([nx.path_graph(10)], 30, rng=np.random.default_rng(0))
    assert m_path <= 2
    assert required_m(ordered_adjacency(nx.path_graph(5), random_order(nx.path_graph(5)))) >= 1


def test_datasets_and_split():
    comm = community_small(20, seed=0)
    assert all(12 <= g.number_of_nodes() <= 20 and nx.is_connected(g) for g in comm)
    egos = ego_small(30, base_nodes=500, seed=0)
    assert all(4 <= g.number_of_nodes() <= 20 and nx.is_connected(g) for g in egos)
    train, test = split_graphs(list(range(10)), 0.8, seed=0)
    assert len(train) == 8 and len(test) == 2 and sorted(train + test) == list(range(10))
    ds = load_dataset("grid", num_train=16, num_test=4)
    assert len(ds.train) == 16 and len(ds.test) == 4
    with pytest.raises(KeyError, match="unknown dataset"):
        load_dataset("citeseer", 10, 10)


def test_baselines_match_edge_counts():
    graphs = community_small(30, seed=3)
    mean_edges = np.mean([g.number_of_edges() for g in graphs])
    for generator in ("erdos-renyi", "barabasi-albert"):
        samples = fit_baseline(graphs, generator).sample(60, seed=0)
        assert {g.number_of_nodes() for g in samples} <= {g.number_of_nodes() for g in graphs}
        assert abs(np.mean([g.number_of_edges() for g in samples]) - mean_edges) < 0.25 * mean_edges
    with pytest.raises(ValueError, match="generator"):
        fit_baseline(graphs, "watts-strogatz")


def test_load_dataset_refuses_a_zero_or_bad_count():
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="argument 'num_train'"):
            load_dataset("community-small", bad, 10)
        with pytest.raises(ValueError, match="argument 'num_test'"):
            load_dataset("grid", 10, bad)
    assert len(load_dataset("grid", 10, 5).graphs) == 15


def test_ego_small_refuses_bad_ranges():
    with pytest.raises(ValueError, match="argument 'node_range'"):
        ego_small(5, node_range=(10, 4))
    with pytest.raises(ValueError, match="argument 'num_graphs'"):
        ego_small(0)


def test_baselines_refuse_graphs_that_are_not_simple_undirected():
    with pytest.raises(ValueError, match=r"argument 'graphs'\[0\] is a directed graph"):
        fit_baseline([nx.DiGraph([(0, 1), (1, 0)])], "erdos-renyi")
    with pytest.raises(ValueError, match=r"argument 'graphs'\[1\] is a multigraph"):
        fit_baseline([nx.path_graph(3), nx.MultiGraph([(0, 1), (0, 1)])], "barabasi-albert")
    with pytest.raises(ValueError, match="argument 'graphs' is empty"):
        fit_baseline([], "erdos-renyi")
    with pytest.raises(ValueError, match="argument 'num_graphs'"):
        fit_baseline([nx.path_graph(3)], "erdos-renyi").sample(0)
