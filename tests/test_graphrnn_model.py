"""GraphRNN / GraphRNN-S model, training and sampling (notebook 05)."""

import networkx as nx
import numpy as np
import pytest
import torch

from lecturekit.generation.graphrnn import (
    GraphRNN,
    GraphRNNConfig,
    TrainConfig,
    make_batch,
    sample_graphs,
    train_graphrnn,
)
from lecturekit.generation.graphrnn.training import sequence_loss, valid_mask

torch.set_num_threads(1)


def test_config_validation():
    with pytest.raises(ValueError, match="variant"):
        GraphRNNConfig(max_prev=3, max_nodes=10, variant="gran")


def test_make_batch_shapes_and_masks():
    graphs = [nx.path_graph(3), nx.cycle_graph(5)]
    x, y, mask, rows = make_batch(graphs, max_prev=3, rng=np.random.default_rng(0))
    assert x.shape == y.shape == mask.shape == (2, 5, 3)
    assert rows.tolist() == [[True, True, True, False, False], [True] * 5]
    assert torch.all(x[:, 0] == 1)
    assert y[0, 2].sum() == 0 and y[1, 4].sum() == 0  # EOS rows
    assert mask[0, 1].tolist() == [True, True, False] and mask[0, 2].sum() == 0  # no edge loss on EOS rows
    np.testing.assert_array_equal(valid_mask(3, 2), [[True, False], [True, True], [True, True]])


@pytest.mark.parametrize("variant", ["graphrnn", "graphrnn-s"])
def test_forward_shapes_and_causality(variant):
    torch.manual_seed(0)
    model = GraphRNN(GraphRNNConfig(max_prev=3, max_nodes=6, variant=variant, num_layers=2))
    x, y, mask, rows = make_batch([nx.cycle_graph(5), nx.path_graph(4)], 3, np.random.default_rng(0))
    logits, eos = model(x, y, rows)
    assert logits.shape == (2, 5, 3) and eos.shape == (2, 5)
    # changing a later input row must not change earlier outputs
    x2 = x.clone()
    x2[:, 3] = 1 - x2[:, 3]
    logits2, eos2 = model(x2, y, rows)
    assert torch.allclose(logits2[:, :3], logits[:, :3]) and torch.allclose(eos2[:, :3], eos[:, :3])
    assert torch.isfinite(sequence_loss(model, x, y, mask, rows))


@pytest.mark.parametrize("variant", ["graphrnn", "graphrnn-s"])
def test_tiny_model_overfits_a_grid(variant):
    # the 2 x 2 grid has one BFS sequence up to symmetry, so a memorising model samples it every time
    grid = nx.convert_node_labels_to_integers(nx.grid_2d_graph(2, 2))
    config = GraphRNNConfig(
        max_prev=2, max_nodes=8, variant=variant, num_layers=1, hidden_dim=32, embed_dim=16
    )
    torch.manual_seed(0)
    model = GraphRNN(config)
    history = train_graphrnn(model, [grid], TrainConfig(steps=60, batch_size=8, lr=0.02), progress=False)
    assert history.loss[-1] < 0.05 < history.loss[0]
    samples = sample_graphs(model, 40, seed=0)
    hits = sum(nx.is_isomorphic(g, grid) for g in samples)
    assert hits >= 36, f"only {hits}/40 samples are the 2x2 grid"
    assert all(g.number_of_nodes() <= config.max_nodes and nx.is_connected(g) for g in samples)


def test_sampling_respects_max_nodes_and_eos():
    torch.manual_seed(0)
    model = GraphRNN(GraphRNNConfig(max_prev=4, max_nodes=7, num_layers=1))
    graphs = sample_graphs(model, 30, seed=1)
    assert len(graphs) == 30
    assert all(1 <= g.number_of_nodes() <= 7 and nx.is_connected(g) for g in graphs)
