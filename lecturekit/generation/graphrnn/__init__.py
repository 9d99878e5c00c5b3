"""GraphRNN (You et al., ICML 2018): BFS sequence encoding, GraphRNN-S / GraphRNN, training, sampling.

Used by ``notebooks/05_graphrnn.ipynb``.
"""

from lecturekit.generation.graphrnn.encoding import (
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
from lecturekit.generation.graphrnn.model import GraphRNN, GraphRNNConfig
from lecturekit.generation.graphrnn.sampling import sample_graphs, sample_sequences
from lecturekit.generation.graphrnn.training import TrainConfig, TrainHistory, make_batch, train_graphrnn

__all__ = [
    "GraphRNN",
    "GraphRNNConfig",
    "TrainConfig",
    "TrainHistory",
    "bfs_order",
    "decode_adj",
    "encode_adj",
    "estimate_max_prev",
    "graph_to_seq",
    "make_batch",
    "ordered_adjacency",
    "random_order",
    "required_m",
    "sample_graphs",
    "sample_sequences",
    "seq_to_graph",
    "train_graphrnn",
]
