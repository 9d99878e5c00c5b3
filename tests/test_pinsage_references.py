"""Notebook 02's references and the changes that made PinSage's training learn (issue #23): the
parameter-free importance smoothing, popularity, kNN plus a log-degree prior, the same-interest
oracle, the smoothing start of the model and the in-batch sampled softmax."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lecturekit.recsys.pinsage.baselines import (
    knn_popularity_scorer,
    oracle_scorer,
    popularity_scorer,
    smoothed_embeddings,
)
from lecturekit.recsys.pinsage.batching import BlockBuilder, NeighborTable
from lecturekit.recsys.pinsage.evaluation import evaluate_related
from lecturekit.recsys.pinsage.inference import layerwise_embeddings, pernode_embeddings
from lecturekit.recsys.pinsage.loss import in_batch_softmax_loss
from lecturekit.recsys.pinsage.mapreduce import mapreduce_embeddings
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig

torch.set_num_threads(1)


def _table(n: int = 40, t: int = 3, seed: int = 0) -> tuple[torch.Tensor, NeighborTable]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    nbr = torch.randint(0, n, (n, t), generator=g)
    nbr[0] = -1  # an item without neighbours (a new pin)
    weight = torch.rand(n, t, generator=g)
    weight = torch.where(nbr >= 0, weight / weight.sum(1, keepdim=True), 0.0)

    def neighbours(nodes):
        return nbr[nodes], weight[nodes]

    return x, NeighborTable(neighbours, n, degree=torch.arange(n))


def test_smoothing_is_one_identity_convolution_by_hand() -> None:
    x, table = _table()
    z = smoothed_embeddings(x, table.neighbors, table.weights, 2.0)
    v = 5
    by_hand = x[v] + 2.0 * sum(table.weights[v, j] * x[table.neighbors[v, j]] for j in range(3))
    torch.testing.assert_close(z[v], F.normalize(by_hand, dim=0))
    torch.testing.assert_close(z[0], F.normalize(x[0], dim=0))  # no neighbours: its own features
    torch.testing.assert_close(
        smoothed_embeddings(x, table.neighbors, table.weights, 0.0), F.normalize(x, dim=1)
    )
    with pytest.raises(ValueError, match="gain"):
        smoothed_embeddings(x, table.neighbors, table.weights, -1.0)


def test_two_hop_smoothing_by_hand() -> None:
    x, table = _table()
    nbr, w = table.neighbors, table.weights

    def hop(h: torch.Tensor, v: int) -> torch.Tensor:
        return sum(w[v, j] * h[nbr[v, j]] for j in range(3) if nbr[v, j] >= 0)

    h = torch.stack([x[v] + 2.0 * hop(x, v) if v else x[v] for v in range(len(x))])
    z = smoothed_embeddings(x, nbr, w, 2.0, second_gain=0.5)
    torch.testing.assert_close(z[5], F.normalize(h[5] + 0.5 * hop(h, 5), dim=0))
    torch.testing.assert_close(z[0], F.normalize(x[0], dim=0))  # no neighbours at either hop
    with pytest.raises(ValueError, match="second_gain"):
        smoothed_embeddings(x, nbr, w, 2.0, second_gain=-1.0)


@pytest.mark.parametrize("pooling", ["importance", "mean", "max"])
def test_the_smoothing_start_ranks_as_the_parameter_free_smoothing(pooling: str) -> None:
    x, table = _table()
    model = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=16, pooling=pooling, neighbor_skip=2.0))
    z = layerwise_embeddings(model, x, table).embeddings
    ref = smoothed_embeddings(x, table.neighbors, table.weights, 2.0)
    torch.testing.assert_close(z @ z.T, ref @ ref.T, atol=1e-5, rtol=0)
    # and it is a trainable path, not a constant: S is a parameter that starts at g R
    torch.testing.assert_close(model.S.weight, 2.0 * model.R.weight)
    assert model.S.weight.requires_grad


def test_minibatch_pernode_layerwise_and_mapreduce_agree_with_the_smoothing_path() -> None:
    x, table = _table(n=60, t=4, seed=1)
    torch.manual_seed(0)
    model = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=8, neighbor_skip=1.5))
    with torch.no_grad():  # move off the start so every path matters
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    layerwise = layerwise_embeddings(model, x, table, chunk_size=17).embeddings
    batch = BlockBuilder(60, 2).build(torch.arange(60), table)
    torch.testing.assert_close(model.embed_targets(batch, x, table.degree), layerwise, atol=1e-5, rtol=0)
    torch.testing.assert_close(
        pernode_embeddings(model, x, table, batch_size=13).embeddings, layerwise, atol=1e-5, rtol=0
    )
    torch.testing.assert_close(
        layerwise_embeddings(model, x, table, share_messages=False).embeddings, layerwise, atol=1e-5, rtol=0
    )
    torch.testing.assert_close(
        mapreduce_embeddings(model, x, table, partition_size=17), layerwise, atol=1e-5, rtol=0
    )
    plain = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=8))
    assert plain.S is None
    with pytest.raises(ValueError, match="neighbor_skip"):
        PinSageConfig(in_dim=8, neighbor_skip=-1.0)
    with pytest.raises(ValueError, match="residual"):
        PinSageConfig(in_dim=8, neighbor_skip=1.0, residual=False)


def test_in_batch_softmax_hand_computed() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    n = torch.tensor([[0.0, 1.0]])
    # query 0: logits [q.p0, q.p1, q.n] = [1, .6, 0] / tau; query 1: [0, .8, 1] / tau, answers 0 and 1
    tau = 0.5
    l0 = -torch.log_softmax(torch.tensor([1.0, 0.6, 0.0]) / tau, 0)[0]
    l1 = -torch.log_softmax(torch.tensor([0.0, 0.8, 1.0]) / tau, 0)[1]
    torch.testing.assert_close(in_batch_softmax_loss(q, p, n, temperature=tau), (l0 + l1) / 2)
    hard = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]]])
    h0 = -torch.log_softmax(torch.tensor([1.0, 0.6, 0.0, 0.0]) / tau, 0)[0]
    h1 = -torch.log_softmax(torch.tensor([0.0, 0.8, 1.0, 0.0]) / tau, 0)[1]
    torch.testing.assert_close(in_batch_softmax_loss(q, p, n, hard, temperature=tau), (h0 + h1) / 2)
    with pytest.raises(ValueError, match="temperature"):
        in_batch_softmax_loss(q, p, n, temperature=0.0)


def test_popularity_knn_prior_and_oracle() -> None:
    degree = torch.tensor([5, 0, 9, 1])
    pairs = torch.tensor([[1, 2], [0, 3]])
    ranks = evaluate_related(popularity_scorer(degree), pairs, 4, k=1).ranks
    assert ranks.tolist() == [1, 2]  # item 2 is the most saved; for query 0 (skipped) item 3 comes after 2
    x = torch.eye(4)
    scores = knn_popularity_scorer(x, degree, 0.5)(torch.tensor([0]))
    torch.testing.assert_close(scores[0], torch.eye(4)[0] + 0.5 * torch.log1p(degree.float()))
    with pytest.raises(ValueError, match="weight"):
        knn_popularity_scorer(x, degree, -0.1)
    interest = torch.tensor([0, 0, 1, 1, 0])
    assert oracle_scorer(interest)(torch.tensor([2])).tolist() == [[0.0, 0.0, 1.0, 1.0, 0.0]]
