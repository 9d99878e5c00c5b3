"""The GraphVAE baseline (notebook 05): fixed BFS order, one-shot decoder, ELBO training, sampling."""

import networkx as nx
import numpy as np
import pytest
import torch

from lecturekit.generation.graphvae import (
    MAX_NODES,
    GraphVAE,
    GraphVAEConfig,
    GraphVAETrainConfig,
    encode_graphs,
    fixed_bfs_order,
    train_graphvae,
)

torch.set_num_threads(1)


def test_fixed_bfs_order_is_a_deterministic_bfs():
    star = nx.star_graph(4)
    assert fixed_bfs_order(star)[0] == 0  # the hub first
    graph = nx.relabel_nodes(nx.path_graph(5), {i: 4 - i for i in range(5)})
    assert fixed_bfs_order(graph) == fixed_bfs_order(graph)
    two = nx.disjoint_union(nx.path_graph(3), nx.complete_graph(3))
    assert sorted(fixed_bfs_order(two)) == list(range(6))


def test_encoding_pads_and_refuses_big_or_bad_graphs():
    adj, mask = encode_graphs([nx.path_graph(3), nx.cycle_graph(5)], 6)
    assert adj.shape == (2, 6, 6) and mask.sum(1).tolist() == [3.0, 5.0]
    assert torch.equal(adj, adj.transpose(1, 2)) and adj[0].sum() == 4  # two undirected edges
    with pytest.raises(ValueError, match="holds a graph of 7 nodes"):
        encode_graphs([nx.path_graph(7)], 6)
    with pytest.raises(ValueError, match="directed"):
        encode_graphs([nx.DiGraph([(0, 1)])], 6)
    with pytest.raises(ValueError, match="max_nodes"):
        GraphVAEConfig(MAX_NODES + 1)
    with pytest.raises(ValueError, match="GraphVAETrainConfig"):
        GraphVAETrainConfig(steps=0)


def test_training_lowers_the_loss_and_is_reproducible():
    graphs = [nx.cycle_graph(n) for n in (4, 5, 6)] * 4

    def run():
        torch.manual_seed(0)
        model = GraphVAE(GraphVAEConfig(6, hidden_dim=16, latent_dim=4, decoder_dim=32))
        losses = train_graphvae(model, graphs, GraphVAETrainConfig(steps=150, batch_size=8, lr=3e-3, seed=1))
        return model, losses

    model, losses = run()
    assert np.mean(losses[-20:]) < 0.6 * np.mean(losses[:20])
    _, again = run()
    assert losses == again
    samples = model.sample(30, seed=2)
    assert all(1 <= g.number_of_nodes() <= 6 for g in samples)
    assert [sorted(g.edges()) for g in samples] == [sorted(g.edges()) for g in model.sample(30, seed=2)]
    # it learned the cycles' degrees: most nodes of the samples have degree 2
    degrees = [d for g in samples for _, d in g.degree()]
    assert np.mean(np.array(degrees) == 2) > 0.5
    with pytest.raises(ValueError, match="argument 'num_graphs'"):
        model.sample(0)
