"""The ``device`` argument: ``auto`` is the CPU here, an unavailable CUDA is refused clearly, CPU runs unchanged."""

from __future__ import annotations

import functools

import networkx as nx
import pytest
import torch
from tiny_worlds import tiny_pinsage_graph

from lecturekit.devices import resolve_device
from lecturekit.generation.gcpn import train as gcpn_train
from lecturekit.generation.graphrnn.model import GraphRNN, GraphRNNConfig
from lecturekit.generation.graphrnn.training import TrainConfig as GraphRNNTrain
from lecturekit.generation.graphrnn.training import train_graphrnn
from lecturekit.hetero import train as hetero_train
from lecturekit.recsys.pinsage import (
    NeighborTable,
    PinSage,
    PinSageConfig,
    TrainConfig,
    layerwise_embeddings,
    pernode_embeddings,
    train_pinsage,
)

torch.set_num_threads(1)
NO_CUDA = not torch.cuda.is_available()


def test_auto_resolves_to_the_cpu_on_a_machine_without_cuda(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("cpu") == resolve_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_auto_is_the_cpu_here_and_cuda_is_refused_naming_the_argument() -> None:
    assert resolve_device("auto").type == "cpu"
    for name in ("cuda", "cuda:0", torch.device("cuda")):
        with pytest.raises(ValueError, match="argument 'device'.*CUDA is not available.*device='cpu'"):
            resolve_device(name)


def test_unknown_device_names_are_refused() -> None:
    for bad in ("gpu", "tpu", 3, None, "meta"):
        with pytest.raises(ValueError, match="argument 'device' must be one of"):
            resolve_device(bad)


def test_auto_picks_cuda_where_there_is_one(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cuda:0") == torch.device("cuda:0")
    with pytest.raises(ValueError, match="1 CUDA device"):
        resolve_device("cuda:3")


@pytest.fixture(scope="module")
def tiny_pinsage():
    sampler, features, gen = tiny_pinsage_graph(0)
    pairs = torch.randint(0, 60, (64, 2), generator=gen)
    return sampler, features, pairs


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_pinsage_entry_points_take_device(tiny_pinsage) -> None:
    sampler, features, pairs = tiny_pinsage
    config = TrainConfig(epochs=1, batch_size=32, num_negatives=16)
    runs = []
    for device in ("cpu", "auto"):
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=8))
        history = train_pinsage(model, features, sampler, pairs, config, progress=False, device=device)
        table = NeighborTable(
            functools.partial(sampler.sample, generator=torch.Generator().manual_seed(1)), 60
        )
        runs.append(
            (
                history.step_loss,
                layerwise_embeddings(model, features, table, device=device).embeddings,
                pernode_embeddings(model, features, table, torch.arange(5), device=device).embeddings,
            )
        )
    assert (
        runs[0][0] == runs[1][0]
        and torch.equal(runs[0][1], runs[1][1])
        and torch.equal(runs[0][2], runs[1][2])
    )
    with pytest.raises(ValueError, match="CUDA is not available"):
        train_pinsage(model, features, sampler, pairs, config, progress=False, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        layerwise_embeddings(model, features, table, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        pernode_embeddings(model, features, table, device="cuda")


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_other_trainers_take_device_and_refuse_cuda_before_any_work() -> None:
    graphs = [nx.path_graph(5), nx.cycle_graph(6)]
    torch.manual_seed(0)
    model = GraphRNN(
        GraphRNNConfig(
            max_prev=4,
            max_nodes=8,
            embed_dim=8,
            hidden_dim=8,
            num_layers=1,
            edge_embed_dim=4,
            edge_hidden_dim=4,
            mlp_dim=8,
        )
    )
    history = train_graphrnn(
        model, graphs, GraphRNNTrain(steps=2, batch_size=2, log_every=1), progress=False, device="auto"
    )
    assert len(history.loss) == 2
    with pytest.raises(ValueError, match="CUDA is not available"):
        train_graphrnn(model, graphs, GraphRNNTrain(steps=1), progress=False, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        hetero_train.train_link_predictor(
            None, None, 1, 1, hetero_train.TrainConfig(), torch.Generator(), device="cuda"
        )
    for fn in (gcpn_train.pretrain, gcpn_train.pretrain_or_load):
        with pytest.raises(ValueError, match="CUDA is not available"):
            fn(None, None, 1, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        gcpn_train.sample(None, 1, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):
        gcpn_train.finetune(None, None, None, None, device="cuda")
