"""MapReduce inference: local and Dask (2-worker LocalCluster) give identical embeddings, = layerwise_embeddings."""

from __future__ import annotations

import functools

import pytest
import torch

from lecturekit.data.pinboard import make_pinboard
from lecturekit.recsys.pinsage import (
    NeighborTable,
    PinSage,
    PinSageConfig,
    RandomWalkSampler,
    layerwise_embeddings,
)
from lecturekit.recsys.pinsage.mapreduce import mapreduce_embeddings, partitions

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def world():
    pins = make_pinboard(1200, seed=3)
    x = pins.features("combined")
    sampler = RandomWalkSampler(
        pins.edge_index(), pins.num_pins, pins.num_boards, num_walks=30, top_t=10, seed=0
    )
    table = NeighborTable(
        functools.partial(sampler.sample, generator=torch.Generator().manual_seed(2)), pins.num_pins
    )
    torch.manual_seed(0)
    model = PinSage(PinSageConfig(in_dim=x.shape[1], hidden_dim=16, out_dim=8))
    return model, x, table


def test_local_mapreduce_is_layerwise_inference(world) -> None:
    model, x, table = world
    local = mapreduce_embeddings(model, x, table, partition_size=257)  # partitions of unequal sizes
    assert torch.equal(local, layerwise_embeddings(model, x, table, chunk_size=257).embeddings)
    # other partitionings give the same embeddings up to float rounding
    torch.testing.assert_close(
        local, mapreduce_embeddings(model, x, table, partition_size=5000), rtol=0, atol=1e-5
    )


def test_dask_cluster_gives_identical_embeddings(world) -> None:
    distributed = pytest.importorskip("distributed")
    model, x, table = world
    local = mapreduce_embeddings(model, x, table, partition_size=300)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )
    try:
        # by scheduler address, as against a real cluster (the executor opens and closes its own client)
        remote = mapreduce_embeddings(
            model, x, table, partition_size=300, scheduler=cluster.scheduler_address
        )
        with distributed.Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            by_client = mapreduce_embeddings(model, x, table, partition_size=300, scheduler=client)
            assert client.status == "running"  # a client passed in is left open
    finally:
        cluster.close()
    assert torch.equal(remote, local) and torch.equal(by_client, local)


def test_bad_partition_size_is_refused(world) -> None:
    model, x, table = world
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="partition_size"):
            mapreduce_embeddings(model, x, table, partition_size=bad)
    assert [p.numel() for p in partitions(10, 4)] == [4, 4, 2]
