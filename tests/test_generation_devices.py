"""GraphRNN sampling, GraphVAE and DeepWalk's skip-gram take ``device`` (issue #16); the CPU path is unchanged.

This machine may have no GPU, so the plumbing is checked three ways: ``"auto"`` (with CUDA hidden) gives
the CPU run bit for bit; ``"cuda"`` where there is none is refused before any work (nothing drawn,
nothing moved, no mode switched); and the training loops run with their device patched to PyTorch's
``meta`` device while a guard records every call that mixes a meta tensor with a (non-scalar) CPU one --
exactly the tensors a CUDA run would reject. The comparison of a real CUDA run with the CPU one is skipped
without a GPU. Sampling is not run on ``meta``: its draws read probabilities back to the CPU, which a
meta tensor cannot do (the CUDA test covers it).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

import lecturekit.generation.graphrnn.training as graphrnn_training
import lecturekit.generation.graphvae as graphvae_module
import lecturekit.hetero.deepwalk as deepwalk_module
from lecturekit.data.polypharmacy import make_planted
from lecturekit.devices import on_device
from lecturekit.generation.graphrnn import GraphRNN, GraphRNNConfig, sample_graphs, sample_sequences
from lecturekit.generation.graphrnn.training import TrainConfig, train_graphrnn
from lecturekit.generation.graphvae import GraphVAE, GraphVAEConfig, GraphVAETrainConfig, train_graphvae
from lecturekit.hetero.deepwalk import (
    DeepWalkConfig,
    deepwalk_drug_features,
    random_walks,
    skipgram_embeddings,
)
from lecturekit.hetero.split import Triples

torch.set_num_threads(1)
VARIANTS = ("graphrnn", "graphrnn-s")
GRAPHS = [
    nx.convert_node_labels_to_integers(g)
    for g in (nx.grid_2d_graph(2, 3), nx.path_graph(5), nx.cycle_graph(6), nx.star_graph(4))
]
RNN_TRAIN = TrainConfig(steps=4, batch_size=3, log_every=1)
VAE_TRAIN = GraphVAETrainConfig(steps=10, batch_size=4, seed=2)
WALKS = DeepWalkConfig(walks_per_node=2, walk_length=6, window=2, dim=4, negatives=2, epochs=2, batch_size=64)
KARATE = torch.tensor(list(nx.karate_club_graph().edges())).T
KARATE = torch.cat([KARATE, KARATE.flip(0)], dim=1)
WORLD = make_planted(
    num_drugs=12,
    num_proteins=15,
    num_modules=2,
    num_side_effects=2,
    num_popularity_side_effects=1,
    pairs_per_side_effect=6,
    seed=1,
)


def _graphrnn(variant: str) -> GraphRNN:
    torch.manual_seed(0)
    return GraphRNN(
        GraphRNNConfig(
            max_prev=4,
            max_nodes=7,
            variant=variant,
            num_layers=2,
            embed_dim=8,
            hidden_dim=8,
            mlp_dim=8,
            edge_embed_dim=4,
            edge_hidden_dim=4,
        )
    )


def _graphvae() -> GraphVAE:
    torch.manual_seed(0)
    return GraphVAE(GraphVAEConfig(7, hidden_dim=8, latent_dim=4, decoder_dim=16))


def _walks() -> torch.Tensor:
    return random_walks(KARATE, 34, WALKS, torch.Generator().manual_seed(7))


def _ddi_train() -> Triples:
    ddi = WORLD["drug", "side_effect", "drug"]
    return Triples(ddi.edge_index[0], ddi.edge_index[1], ddi.edge_type)


def _edges(graphs: list[nx.Graph]) -> list[list[tuple[int, int]]]:
    return [sorted(g.edges()) for g in graphs]


def _state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _run(device: str) -> dict[str, object]:
    """Every entry point once on ``device``, everything read back as CPU values."""
    out: dict[str, object] = {}
    for variant in VARIANTS:
        model = _graphrnn(variant)
        out[variant, "loss"] = train_graphrnn(model, GRAPHS, RNN_TRAIN, progress=False, device=device).loss
        out[variant, "seqs"] = sample_sequences(model, 6, torch.Generator().manual_seed(1), device=device)
        out[variant, "graphs"] = _edges(sample_graphs(model, 12, seed=3, batch_size=5, device=device))
        out[variant, "state"] = _state(model)
    vae = _graphvae()
    out["vae", "loss"] = train_graphvae(vae, GRAPHS, VAE_TRAIN, device=device)
    out["vae", "graphs"] = _edges(vae.sample(12, seed=4, device=device))
    out["vae", "state"] = _state(vae)
    torch.manual_seed(9)  # the skip-gram's tables are initialised from the global generator
    out["skipgram"] = skipgram_embeddings(
        _walks(), 34, WALKS, torch.Generator().manual_seed(8), device=device
    )
    torch.manual_seed(9)
    out["deepwalk"] = deepwalk_drug_features(
        WORLD, _ddi_train(), WALKS, torch.Generator().manual_seed(8), device=device
    )
    return out


def _assert_same(a: object, b: object) -> None:
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _assert_same(a[key], b[key])
    elif isinstance(a, torch.Tensor):
        assert b.device.type == "cpu" and a.dtype == b.dtype and torch.equal(a, b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    else:
        assert a == b


def test_auto_is_the_cpu_run_bit_for_bit_on_a_machine_without_cuda(monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu, auto = _run("cpu"), _run("auto")
    _assert_same(cpu, auto)
    assert isinstance(auto["graphrnn", "seqs"], np.ndarray) and auto["deepwalk"].shape == (12, 4)


@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_is_refused_before_any_work(monkeypatch, device) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    generator = torch.Generator().manual_seed(1)
    generator_state = generator.get_state()
    refused = pytest.raises(ValueError, match="CUDA is not available")
    for variant in VARIANTS:
        model = _graphrnn(variant).train()
        before = _state(model)
        with refused:
            sample_sequences(model, 3, generator, device=device)
        with refused:
            sample_graphs(model, 3, device=device)
        with refused:
            train_graphrnn(model, GRAPHS, RNN_TRAIN, progress=False, device=device)
        assert model.training, "the device check comes before model.eval()"
        _assert_same(before, _state(model))
    vae = _graphvae().train()
    before = _state(vae)
    with refused:
        train_graphvae(vae, GRAPHS, VAE_TRAIN, device=device)
    with refused:
        vae.sample(3, device=device)
    assert vae.training
    _assert_same(before, _state(vae))
    walks = _walks()
    global_state = torch.get_rng_state()
    with refused:
        skipgram_embeddings(walks, 34, WALKS, generator, device=device)
    with refused:
        deepwalk_drug_features(WORLD, _ddi_train(), WALKS, generator, device=device)
    assert torch.equal(generator.get_state(), generator_state) and torch.equal(
        torch.get_rng_state(), global_state
    )


def test_unknown_device_is_refused() -> None:
    with pytest.raises(ValueError, match="argument 'device' must be one of"):
        sample_graphs(_graphrnn("graphrnn"), 2, device="tpu")
    with pytest.raises(ValueError, match="argument 'device' must be one of"):
        skipgram_embeddings(_walks(), 34, WALKS, torch.Generator(), device="gpu")


def test_sampling_on_the_models_device_uses_the_model_itself() -> None:
    model = _graphrnn("graphrnn")
    assert on_device(model, torch.device("cpu")) is model
    moved = on_device(model, torch.device("meta"))  # any other device: a copy, the model stays put
    assert (
        moved is not model
        and next(moved.parameters()).is_meta
        and next(model.parameters()).device.type == "cpu"
    )
    sample_graphs(model, 2, device="cpu")
    assert all(p.device.type == "cpu" for p in model.parameters()) and not model.training


MOVING = {"_has_compatible_shallow_copy_type"}  # Module.to's own check while it moves a parameter


class _MixedDevices(TorchFunctionMode):
    """Records calls whose tensor arguments mix the ``meta`` device with non-scalar CPU tensors (a CUDA run
    would reject them with "Expected all tensors to be on the same device"; CPU scalars are allowed there)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        flat = [a for x in (*args, *kwargs.values()) for a in (x if isinstance(x, (list, tuple)) else (x,))]
        tensors = [t for t in flat if isinstance(t, torch.Tensor)]
        name = getattr(func, "__name__", str(func))
        if name in MOVING:
            return func(*args, **kwargs)
        if any(t.device.type == "meta" for t in tensors) and any(
            t.device.type == "cpu" and t.dim() > 0 for t in tensors
        ):
            self.calls.append(name)
        return func(*args, **kwargs)


def _on_meta(monkeypatch) -> None:
    meta = lambda device="cpu": torch.device("meta")  # noqa: E731
    for module in (graphrnn_training, graphvae_module, deepwalk_module):
        monkeypatch.setattr(module, "resolve_device", meta)


def test_training_loops_keep_every_tensor_on_the_device(monkeypatch) -> None:
    """On ``meta`` the loops run their forward and backward passes and optimiser steps; they stop only where
    a value is read back as a number (``loss.item()``) or copied out (the result's ``.cpu()``)."""
    _on_meta(monkeypatch)
    with _MixedDevices() as mode:
        with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
            train_graphvae(_graphvae(), GRAPHS, VAE_TRAIN, device="cpu")
        with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
            train_graphrnn(_graphrnn("graphrnn-s"), GRAPHS, RNN_TRAIN, progress=False, device="cpu")
        with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
            skipgram_embeddings(_walks(), 34, WALKS, torch.Generator(), device="cpu")
    assert mode.calls == []
    with _MixedDevices() as mode:  # the guard sees a mix that meta itself lets through (CUDA would not)
        torch.nn.functional.embedding(torch.tensor([0, 1]), torch.zeros(3, 2, device="meta"))
    assert mode.calls == ["embedding"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_cuda_run_runs_on_the_gpu_and_tracks_the_cpu_run() -> None:
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # fp32 on both sides
    try:  # (the GRUs run on cuDNN; pytest's monkeypatch cannot restore these flags)
        _compare_cuda_with_cpu()
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32


def _compare_cuda_with_cpu() -> None:
    def agreeing(draw) -> int:
        # The draws are the same CPU random words on both devices; a bit differs only where a uniform
        # falls between the CPU's and the GPU's probability (~1e-6 apart), which then shifts the rest of
        # the batch. Count the seeds whose samples agree exactly instead of requiring every one to.
        return sum(draw("cuda", seed) == draw("cpu", seed) for seed in range(3))

    for variant in VARIANTS:
        model = _graphrnn(variant)  # trained on the CPU, sampled on both devices
        cpu_loss = train_graphrnn(model, GRAPHS, RNN_TRAIN, progress=False, device="cpu").loss
        seqs = sample_sequences(model, 6, torch.Generator().manual_seed(1), device="cuda")
        assert isinstance(seqs, np.ndarray) and seqs.shape == (6, 6, 4) and set(np.unique(seqs)) <= {0.0, 1.0}
        assert agreeing(lambda d, s: _edges(sample_graphs(model, 12, seed=s, device=d))) >= 2  # noqa: B023
        assert all(p.device.type == "cpu" for p in model.parameters()), "sampling does not move the model"
        with pytest.raises(ValueError, match="CPU torch.Generator"):
            sample_sequences(model, 2, torch.Generator(device="cuda"), device="cuda")

        on_gpu = _graphrnn(variant)
        loss = train_graphrnn(on_gpu, GRAPHS, RNN_TRAIN, progress=False, device="cuda").loss
        assert all(p.device.type == "cuda" for p in on_gpu.parameters()), (
            "training leaves the model on the device"
        )
        np.testing.assert_allclose(loss, cpu_loss, rtol=1e-3)
        assert on_device(on_gpu, torch.device("cuda")) is on_gpu  # "cuda" is the current device: no copy
        assert len(sample_graphs(on_gpu, 5, seed=0, device="cuda")) == 5
        assert len(sample_graphs(on_gpu, 5, seed=0, device="cpu")) == 5  # from a CPU copy
        assert all(p.device.type == "cuda" for p in on_gpu.parameters())

    vae = _graphvae()
    cpu_loss = train_graphvae(vae, GRAPHS, VAE_TRAIN, device="cpu")
    assert agreeing(lambda d, s: _edges(vae.sample(12, seed=s, device=d))) >= 2
    assert all(p.device.type == "cpu" for p in vae.parameters())
    on_gpu = _graphvae()
    loss = train_graphvae(on_gpu, GRAPHS, VAE_TRAIN, device="cuda")
    assert all(p.device.type == "cuda" for p in on_gpu.parameters())
    np.testing.assert_allclose(loss, cpu_loss, rtol=1e-3)
    assert all(1 <= g.number_of_nodes() <= 7 for g in on_gpu.sample(5, device="cuda"))

    embeddings = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(9)
        embeddings[device] = skipgram_embeddings(
            _walks(), 34, WALKS, torch.Generator().manual_seed(8), device=device
        )
    assert embeddings["cuda"].device.type == "cpu"
    torch.testing.assert_close(embeddings["cuda"], embeddings["cpu"], rtol=1e-3, atol=1e-3)
    torch.manual_seed(9)
    z = deepwalk_drug_features(WORLD, _ddi_train(), WALKS, torch.Generator().manual_seed(8), device="cuda")
    assert z.device.type == "cpu" and z.shape == (12, 4) and torch.isfinite(z).all()
