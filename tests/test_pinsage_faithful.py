"""PinSage training is leak-free at every layer and inductive by design; inference shares messages.

* a training batch's computation graph never lets a pair partner into the other's receptive field;
* neighbourhood dropout shows a query as a pin without saves (every layer, degree 0);
* the log-degree input and the residual feature path; per-epoch neighbourhoods shared across models;
* layer-wise inference with each message computed once equals per-node recomputation, with less work;
* on a tiny planted world, the inductive defaults rank for new (isolated) pins about as well as
  feature kNN, while the plain model (no residual, no dropout, no degree) does far worse.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    BlockBuilder,
    NeighborTable,
    PinSage,
    PinSageConfig,
    RandomWalkSampler,
    TrainConfig,
    layerwise_embeddings,
    pernode_embeddings,
    pinboard_task,
    train_pinsage,
)
from lecturekit.recsys.pinsage.batching import graph_degree
from lecturekit.recsys.pinsage.train import EpochNeighborhoods, PairBatches

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def task():
    return pinboard_task(make_pinboard(1500, seed=0), max_test_pairs=50)


@pytest.fixture(scope="module")
def sampler(task):
    return RandomWalkSampler(task.edge_index, task.num_items, task.num_users, num_walks=40, top_t=10, seed=0)


def receptive_fields(batch) -> torch.Tensor:
    """``(n_out, n_nodes)`` bool: which input nodes (``batch.nodes``) reach each output node, through
    any path of the computation graph (a node feeds itself at the layer above: h_v is in W[h_v || n_v])."""
    n_out = batch.output_nodes.numel()
    field = torch.eye(n_out, dtype=torch.bool)
    for block in reversed(batch.blocks):  # from the output layer down to the inputs
        feeds = torch.zeros(block.n_dst, block.n_src, dtype=torch.bool)
        rows = torch.arange(block.n_dst).unsqueeze(1).expand_as(block.nbr)
        valid = block.nbr >= 0
        feeds[rows[valid], block.nbr[valid]] = True
        feeds[torch.arange(block.n_dst), torch.arange(block.n_dst)] = True
        field = (field.float() @ feeds.float()) > 0
    return field


def _leaks(batch, pairs: torch.Tensor) -> int:
    field = receptive_fields(batch)
    out_row = {int(v): i for i, v in enumerate(batch.output_nodes)}
    column = {int(v): i for i, v in enumerate(batch.nodes)}
    return sum(
        bool(field[out_row[a], column[b]]) or bool(field[out_row[b], column[a]]) for a, b in pairs.tolist()
    )


def _training_batch(task, sampler, table, **config):
    config = TrainConfig(batch_size=64, num_negatives=32, seed=3, **config)
    data = PairBatches(task.train_pairs, task.num_items, 2, table, config, epoch=0)
    item = next(iter(data))
    return item, torch.stack([item.queries, item.positives], dim=1)


def test_pair_partners_never_reach_each_other_at_any_layer(task, sampler) -> None:
    table = NeighborTable(sampler.sample, task.num_items)
    item, pairs = _training_batch(task, sampler, table, neighborhood_dropout=0.0)
    assert _leaks(item.graph, pairs) == 0
    # layer by layer: the partner is in no neighbourhood of a node that feeds the query at that layer
    out_row = {int(v): i for i, v in enumerate(item.graph.output_nodes)}
    for q, p in pairs.tolist():
        reach = torch.zeros(item.graph.output_nodes.numel(), dtype=torch.bool)
        reach[out_row[q]] = True
        for block in reversed(item.graph.blocks):
            rows = block.nbr[reach[: block.n_dst]]
            globals_ = item.graph.nodes[rows[rows >= 0]]
            assert p not in globals_.tolist()
            grown = torch.zeros(block.n_src, dtype=torch.bool)
            grown[: block.n_dst] = reach[: block.n_dst]
            grown[rows[rows >= 0]] = True
            reach = grown
    # the same batch built with the outer exclusion only (or none) leaks: the check can fail
    targets = item.graph.output_nodes[item.graph.target_index]
    unguarded = BlockBuilder(task.num_items, 2).build(targets, table)
    assert _leaks(unguarded, pairs) > len(pairs) // 4
    outer_only = BlockBuilder(task.num_items, 1).build(targets, table, torch.cat([pairs, pairs.flip(1)]))
    assert _leaks(outer_only, pairs) == 0  # one layer: the outer exclusion is the whole receptive field


def test_exclusion_keeps_weights_normalised_and_untouched_rows_identical(task, sampler) -> None:
    table = NeighborTable(sampler.sample, task.num_items)
    q = int(torch.nonzero(table.neighbors[:, 2] >= 0)[0])
    p = int(table.neighbors[q, 0])
    batch = BlockBuilder(task.num_items, 2).build(torch.tensor([q, p]), table, torch.tensor([[q, p], [p, q]]))
    for block in batch.blocks:
        sums = block.weight.sum(1)
        assert torch.allclose(sums[sums > 0], torch.ones_like(sums[sums > 0]), atol=1e-6)
    plain = BlockBuilder(task.num_items, 2).build(torch.tensor([q, p]), table)
    assert batch.blocks[-1].nbr.shape == plain.blocks[-1].nbr.shape
    with pytest.raises(ValueError, match="exclude"):
        BlockBuilder(task.num_items, 2).build(torch.tensor([q]), table, torch.tensor([q, p]))
    with pytest.raises(ValueError, match="exclude"):
        BlockBuilder(task.num_items, 2).build(torch.tensor([q]), table, torch.tensor([[q, task.num_items]]))


def test_neighbourhood_dropout_shows_queries_and_positives_as_new_pins(task, sampler) -> None:
    table = NeighborTable(sampler.sample, task.num_items)
    item, _ = _training_batch(task, sampler, table, neighborhood_dropout=0.5)
    isolated = item.graph.isolated
    pair_pins = torch.cat([item.queries, item.positives])
    assert isolated is not None and 0 < isolated.numel() < torch.unique(pair_pins).numel()
    assert torch.isin(isolated, pair_pins).all()
    # both sides: new pins are test queries and test targets
    assert torch.isin(isolated, item.queries).any() and torch.isin(isolated, item.positives).any()
    graph = item.graph
    local = {int(v): i for i, v in enumerate(graph.nodes)}
    for node in isolated.tolist():
        for block in graph.blocks:
            if local[node] < block.n_dst:
                assert (block.nbr[local[node]] < 0).all()  # empty neighbourhood at every layer
            assert not (block.nbr == local[node]).any()  # and in nobody's neighbourhood
    model = PinSage(PinSageConfig(in_dim=task.features["combined"].shape[1], hidden_dim=8, out_dim=8))
    x = model.inputs(task.features["combined"], graph.nodes, sampler.item_degree, isolated)
    is_isolated = torch.isin(graph.nodes, isolated)
    assert (x[is_isolated, -1] == 0).all() and (x[~is_isolated, -1] > 0).any()  # degree input 0, as a new pin
    # no dropout: no isolated nodes; bad probability refused
    item, _ = _training_batch(task, sampler, table, neighborhood_dropout=0.0)
    assert item.graph.isolated is None
    with pytest.raises(ValueError, match="neighborhood_dropout"):
        TrainConfig(neighborhood_dropout=1.0)


def test_log_degree_input_and_residual_path(task, sampler) -> None:
    x = task.features["combined"]
    # PyTorch's init: the isometry init starts G2 at 0, so neither R's scale nor the degree would show yet
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=8, out_dim=8, feature_isometry_init=False))
    nodes = torch.arange(10)
    inputs = model.inputs(x, nodes, sampler.item_degree)
    assert inputs.shape == (10, x.shape[1] + 1)
    assert torch.allclose(inputs[:, -1], torch.log1p(sampler.item_degree[:10].float()))
    assert model.convs[0].Q.in_features == x.shape[1] + 1
    with pytest.raises(ValueError, match="degree"):
        model.inputs(x, nodes)
    with pytest.raises(ValueError, match="features"):
        model.inputs(x[:, 1:], nodes, sampler.item_degree)
    with pytest.raises(ValueError, match="'x'"):
        model.head(torch.zeros(2, 8))
    plain = PinSage(
        PinSageConfig(in_dim=x.shape[1], hidden_dim=8, out_dim=8, log_degree_input=False, residual=False)
    )
    assert plain.R is None and plain.inputs(x, nodes).shape == (10, x.shape[1])
    # the residual path: an isolated pin's embedding moves with R
    table = NeighborTable(sampler.sample, task.num_items)
    before = layerwise_embeddings(model, x, table).embeddings
    with torch.no_grad():
        model.R.weight.mul_(3.0)
    after = layerwise_embeddings(model, x, table).embeddings
    assert (before - after).abs().max() > 1e-3
    # inference reads the table's own degrees; other degrees give other embeddings; a bare function has none
    assert graph_degree(table) is sampler.item_degree
    other = layerwise_embeddings(model, x, table, degree=sampler.item_degree * 0).embeddings
    assert (other - after).abs().max() > 1e-4
    bare = NeighborTable(lambda items: table(items), task.num_items)
    assert bare.degree is None
    with pytest.raises(ValueError, match="degree"):
        layerwise_embeddings(model, x, bare)


@pytest.mark.parametrize("pooling", ["importance", "mean", "max"])
def test_shared_messages_match_recomputation_with_less_work(task, sampler, pooling) -> None:
    torch.manual_seed(0)
    x = task.features["combined"]
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=16, out_dim=8, pooling=pooling))
    fn = sampler.sample if pooling == "importance" else sampler.sample_direct
    table = NeighborTable(fn, task.num_items)
    shared = layerwise_embeddings(model, x, table, chunk_size=333)
    recomputed = layerwise_embeddings(model, x, table, chunk_size=333, share_messages=False)
    subset = torch.arange(0, task.num_items, 7)
    pernode = pernode_embeddings(model, x, table, subset, batch_size=64)
    assert torch.allclose(shared.embeddings, recomputed.embeddings, atol=1e-5)
    assert torch.allclose(shared.embeddings[subset], pernode.embeddings, atol=1e-5)
    n, t, d, hidden = task.num_items, sampler.top_t, x.shape[1] + 1, 16
    conv = n * (d * hidden + (d + hidden) * hidden) + n * (hidden * hidden + (hidden + hidden) * hidden)
    head = n * (hidden * hidden + hidden * 8 + d * 8)
    assert shared.matmul_multiplies == conv + head  # each node's message once per layer
    extra_messages = n * t * (d * hidden + hidden * hidden)  # T more messages per node and layer
    assert recomputed.matmul_multiplies == shared.matmul_multiplies + extra_messages
    assert shared.pooling_multiplies == recomputed.pooling_multiplies > 0
    assert pernode.matmul_multiplies * n / subset.numel() > recomputed.matmul_multiplies


def test_epoch_neighbourhoods_are_resampled_and_shared(task, sampler) -> None:
    x = task.features["combined"]
    config = TrainConfig(epochs=3, batch_size=32, num_negatives=16, max_steps_per_epoch=2, seed=4)
    tables = EpochNeighborhoods(sampler, "importance", seed=config.seed)
    assert not torch.equal(tables[0].neighbors, tables[1].neighbors)  # a fresh sample every epoch
    assert tables[1] is tables.for_epoch(1)  # sampled once, shared by the models that train on it
    models = []
    for use_tables in (False, True):
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=8, out_dim=8))
        train_pinsage(
            model,
            x,
            sampler,
            task.train_pairs,
            config,
            progress=False,
            neighbor_tables=tables if use_tables else None,
        )
        models.append(model)
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert TrainConfig().neighborhoods == "epoch"


# ---------------------------------------------------------------------- inductive by design
def _planted(
    seed: int = 0, clusters: int = 12, per: int = 20, boards: int = 6, board_size: int = 6, dim: int = 16
):
    """Clusters of pins with features ``centre + noise``; boards hold pins of one cluster; the first two
    pins of every cluster are NEW (no save at all). Pairs: consecutive pins of a board."""
    gen = torch.Generator().manual_seed(seed)
    n = clusters * per
    cluster = torch.arange(n) // per
    x = torch.randn(clusters, dim, generator=gen)[cluster] + torch.randn(n, dim, generator=gen)
    new = (torch.arange(n) % per) < 2
    items, users, pairs = [], [], []
    for c in range(clusters):
        old = torch.arange(c * per, (c + 1) * per)[~new[c * per : (c + 1) * per]]
        for _ in range(boards):
            members = old[torch.randperm(len(old), generator=gen)[:board_size]]
            items += members.tolist()
            users += [len(users) // board_size] * len(members)
            pairs += list(zip(members[:-1].tolist(), members[1:].tolist(), strict=True))
    return x, cluster, new, torch.tensor([items, users]), clusters * boards, torch.tensor(pairs)


def _precision_at(emb: torch.Tensor, queries: torch.Tensor, cluster: torch.Tensor, k: int = 5) -> float:
    scores = emb[queries] @ emb.T
    scores[torch.arange(len(queries)), queries] = -float("inf")
    top = scores.topk(k, dim=1).indices
    return float((cluster[top] == cluster[queries].unsqueeze(1)).float().mean())


def test_new_pins_rank_about_as_well_as_feature_knn_only_with_the_inductive_options() -> None:
    x, cluster, new, edges, num_users, pairs = _planted()
    n = x.shape[0]
    sampler = RandomWalkSampler(edges, n, num_users, num_walks=20, top_t=5, seed=0)
    assert (sampler.item_degree[new] == 0).all()
    queries = torch.nonzero(new).squeeze(1)
    knn = _precision_at(F.normalize(x, dim=1), queries, cluster)

    def new_pin_precision(model_options: dict, dropout: float) -> float:
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=16, out_dim=16, **model_options))
        config = TrainConfig(
            epochs=5,
            batch_size=32,
            num_negatives=32,
            max_steps_per_epoch=8,
            seed=0,
            neighborhood_dropout=dropout,
        )
        train_pinsage(model, x, sampler, pairs, config, progress=False)
        return _precision_at(
            layerwise_embeddings(model, x, NeighborTable(sampler.sample, n)).embeddings, queries, cluster
        )

    inductive = new_pin_precision({}, dropout=0.3)
    plain = new_pin_precision(dict(log_degree_input=False, residual=False), dropout=0.0)
    assert inductive >= knn - 0.05, (inductive, knn)
    assert plain < knn - 0.25, (plain, knn)  # what the check catches: "no neighbours => unrelated"
