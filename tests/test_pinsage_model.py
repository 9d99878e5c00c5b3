"""PinSage layers, computation graphs, loss, inference and retrieval."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage import (
    BlockBuilder,
    EmbeddingIndex,
    NeighborTable,
    PinSage,
    PinSageConfig,
    PinSageConv,
    RandomWalkSampler,
    evaluate_related,
    layerwise_embeddings,
    max_margin_loss,
    pernode_embeddings,
    tree_batch,
)

torch.set_num_threads(1)


def _random_graph(num_items: int = 80, num_users: int = 30, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    items = torch.arange(num_items - 2).repeat_interleave(3)  # the last two items stay isolated
    return torch.stack([items, torch.randint(0, num_users, (items.numel(),), generator=gen)])


@pytest.mark.parametrize("pooling", ["importance", "mean", "max"])
def test_conv_shapes_normalisation_and_reference(pooling: str) -> None:
    torch.manual_seed(0)
    conv = PinSageConv(8, 5, 6, pooling=pooling)
    h = torch.randn(12, 8)
    nbr = torch.tensor([[4, 5, -1], [6, -1, -1], [-1, -1, -1], [7, 8, 9]])
    weight = torch.tensor([[0.7, 0.3, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.2, 0.3, 0.5]])
    out = conv(h, nbr, weight)
    assert out.shape == (4, 6)
    norms = out.norm(dim=1)
    assert torch.allclose(norms[norms > 0], torch.ones_like(norms[norms > 0]), atol=1e-5)
    msg = F.relu(conv.Q(h))
    rows = []
    for i in range(4):
        valid = nbr[i] >= 0
        m = msg[nbr[i][valid]]
        if pooling == "max":
            n = m.max(0).values if valid.any() else torch.zeros(5)
        else:
            n = (weight[i][valid].unsqueeze(1) * m).sum(0)
        rows.append(F.normalize(F.relu(conv.W(torch.cat([h[i], n]))), dim=0))
    assert torch.allclose(out, torch.stack(rows), atol=1e-5)


def test_conv_rejects_unknown_pooling() -> None:
    with pytest.raises(ValueError, match="pooling"):
        PinSageConv(4, 4, 4, pooling="sum")


def test_block_builder_reindexes_and_excludes_pairs() -> None:
    edges = _random_graph()
    sampler = RandomWalkSampler(edges, 80, 30, num_walks=20, top_t=5, seed=1)
    table = NeighborTable(sampler.sample, 80)
    builder = BlockBuilder(80, num_layers=2)
    targets = torch.tensor([3, 7, 3, 79])
    batch = builder.build(targets, table)
    assert torch.equal(batch.output_nodes[batch.target_index], targets)
    top, bottom = batch.blocks[1], batch.blocks[0]
    assert top.n_dst == 3 and bottom.n_dst == top.n_src and bottom.n_src == batch.nodes.numel()
    assert torch.equal(batch.nodes[: top.n_dst], batch.output_nodes)
    # local ids point at the same global neighbours as the table
    for row, node in enumerate(batch.output_nodes.tolist()):
        glob = table.neighbors[node]
        local = top.nbr[row]
        assert torch.equal(torch.where(local >= 0, batch.nodes[local.clamp_min(0)], -1), glob)
    # excluding (3, its best neighbour) removes it and renormalises
    banned = int(table.neighbors[3, 0])
    batch = builder.build(torch.tensor([3]), table, exclude=torch.tensor([[3, banned]]))
    nbr_global = batch.nodes[batch.blocks[1].nbr[0].clamp_min(0)][batch.blocks[1].nbr[0] >= 0]
    assert banned not in nbr_global.tolist()
    assert torch.allclose(batch.blocks[1].weight[0].sum(), torch.tensor(1.0))
    with pytest.raises(ValueError, match="outside"):
        builder.build(torch.tensor([80]), table)
    with pytest.raises(ValueError, match="non-empty"):
        builder.build(torch.tensor([], dtype=torch.long), table)


@pytest.mark.parametrize("num_layers", [1, 2, 3])  # the paper's K = 2; the code is written for any depth
def test_layerwise_pernode_and_minibatch_inference_agree(num_layers: int) -> None:
    torch.manual_seed(0)
    edges = _random_graph()
    sampler = RandomWalkSampler(edges, 80, 30, num_walks=20, top_t=6, seed=2)
    table = NeighborTable(sampler.sample, 80)
    model = PinSage(PinSageConfig(in_dim=10, hidden_dim=16, out_dim=8, num_layers=num_layers))
    x = torch.randn(80, 10)
    layerwise = layerwise_embeddings(model, x, table, chunk_size=17)
    pernode = pernode_embeddings(model, x, table, batch_size=13)
    batch = BlockBuilder(80, num_layers).build(torch.arange(80), table)
    minibatch = model.embed_targets(batch, x, sampler.item_degree)
    assert torch.allclose(layerwise.embeddings, pernode.embeddings, atol=1e-5)
    assert torch.allclose(layerwise.embeddings, minibatch, atol=1e-5)
    assert layerwise.computed_embeddings == num_layers * 80
    assert torch.allclose(layerwise.embeddings.norm(dim=1), torch.ones(80), atol=1e-5)
    tree = tree_batch(torch.tensor([0, 1]), table, num_layers)
    assert tree.nodes.numel() == 2 * 7**num_layers
    if num_layers == 2:
        assert pernode.computed_embeddings == 80 * (1 + 7)  # 1 output + (1 + T) first-layer nodes each


def test_max_margin_loss_hand_computed() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    n = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    # pos scores: 1.0, 0.8; q.n: [[0, 1], [1, 0]]; hinge with margin 0.1:
    # q0: max(0, 0-1+.1)=0, max(0, 1-1+.1)=.1 ; q1: max(0, 1-.8+.1)=.3, max(0, 0-.8+.1)=0 -> mean .1
    assert torch.isclose(max_margin_loss(q, p, n, margin=0.1), torch.tensor(0.1))
    hard = torch.tensor([[[0.8, 0.6]], [[0.0, 1.0]]])  # q.h = .8, 1.0 -> hinge .0+.3=.3? (.8-1+.1<0)
    # q0: max(0, .8 - 1 + .1) = 0; q1: max(0, 1 - .8 + .1) = .3 -> mean .15, weight 2 -> +.3
    assert torch.isclose(
        max_margin_loss(q, p, n, hard, margin=0.1, hard_weight=2.0, weighting="separate"), torch.tensor(0.4)
    )
    with pytest.raises(ValueError, match="hard_negatives"):
        max_margin_loss(q, p, n, torch.zeros(3, 1, 2))
    with pytest.raises(ValueError, match="negatives"):
        max_margin_loss(q, p, torch.zeros(3, 5))


@pytest.mark.parametrize("kind", ["exact", "hnsw", "torch"])
def test_embedding_index_search_and_recall(kind: str) -> None:
    torch.manual_seed(0)
    emb = F.normalize(torch.randn(500, 16), dim=1)
    exact = EmbeddingIndex(emb, "torch")
    index = EmbeddingIndex(emb, kind)
    scores, ids = index.search(emb[:20], 5)
    assert ids.shape == (20, 5) and torch.equal(ids[:, 0], torch.arange(20))
    assert torch.all(scores[:, :-1] >= scores[:, 1:] - 1e-6)
    assert index.recall_against(exact, emb[:50], k=10) > (0.999 if kind != "hnsw" else 0.8)
    with pytest.raises(ValueError, match="kind"):
        EmbeddingIndex(emb, "ivf-pq")
    with pytest.raises(ValueError, match="queries"):
        index.search(torch.zeros(2, 3), 5)


def test_evaluation_ranks_against_all_items_but_the_query() -> None:
    emb = torch.eye(5)
    emb[1] = emb[0] * 0.9  # item 1 is item 0's best match
    result = evaluate_related(lambda q: emb[q] @ emb.T, torch.tensor([[0, 1], [0, 2]]), 5, k=1, scale=1)
    assert result.ranks[0] == 1 and result.ranks[1] > 1
    assert result.hit_rate == 0.5
    assert ranking_cutoffs(20000) == (20, 4.0) and ranking_cutoffs(1682) == (10, 2.0)
    with pytest.raises(ValueError, match="pairs"):
        evaluate_related(lambda q: emb[q] @ emb.T, torch.tensor([[0, 9]]), 5)


def test_untrained_pinsage_ranks_items_as_their_features_do() -> None:
    # The residual path starts as an isometry of the features and G2 at zero: whatever the
    # neighbourhoods, the first embeddings rank like nearest neighbours on the features.
    from lecturekit.recsys.pinsage.batching import NeighborTable
    from lecturekit.recsys.pinsage.inference import layerwise_embeddings
    from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig

    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 8, generator=g)
    nbr = torch.randint(0, 40, (40, 3), generator=g)

    def neighbours(nodes):
        return nbr[nodes], torch.ones(len(nodes), 3)

    model = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=16))
    z = layerwise_embeddings(model, x, NeighborTable(neighbours, 40, degree=torch.arange(40))).embeddings
    xn = torch.nn.functional.normalize(x, dim=1)
    assert torch.allclose(z @ z.T, xn @ xn.T, atol=1e-5)
    plain = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=16, feature_isometry_init=False))
    z = layerwise_embeddings(plain, x, NeighborTable(neighbours, 40, degree=torch.arange(40))).embeddings
    assert not torch.allclose(z @ z.T, xn @ xn.T, atol=1e-2)


@pytest.mark.parametrize("k", [1, 3, 20])
def test_hits_at_k_equals_ranks_within_k_also_with_ties(k: int) -> None:
    from lecturekit.ranking import fast_ranks, hits_at_k

    g = torch.Generator().manual_seed(k)
    scores = torch.randint(0, 6, (200, 50), generator=g).float()  # coarse scores: many ties, also at the k-th
    scores[:, 0] = -float("inf")  # the query's own column
    targets = torch.randint(1, 50, (200,), generator=g)
    assert torch.equal(hits_at_k(scores, targets, k), fast_ranks(scores, targets) <= k)
    with pytest.raises(ValueError, match="'k'"):
        hits_at_k(scores, targets, 0)
