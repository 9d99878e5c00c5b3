"""Decagon's training and scoring take ``device`` (issue #16): ``auto`` is CUDA where there is one, the CPU
otherwise (then bit-identical to ``cpu``); an unavailable CUDA is refused up front; draws stay on the CPU."""

from __future__ import annotations

import math

import pytest
import torch
from torch.overrides import TorchFunctionMode

from lecturekit.data.polypharmacy import make_planted
from lecturekit.hetero.baselines import PairMLP, drug_pair_features
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import evaluate, model_scorer
from lecturekit.hetero.graph import build_graph
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.split import Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, _chunked_backward, train_link_predictor
from lecturekit.studies.nb04_decagon import de_novo_lists

torch.set_num_threads(1)
NO_CUDA = not torch.cuda.is_available()
WORLD = make_planted(
    num_drugs=30,
    num_proteins=40,
    num_modules=3,
    num_side_effects=5,
    num_popularity_side_effects=1,
    pairs_per_side_effect=12,
    seed=2,
)
N, R = 30, 5
# Edge-type batches, chunked decoder and the auxiliary loss: every path of the loop runs.
LOOP = TrainConfig(epochs=4, eval_every=2, patience=10, batch_mode="edge-type", batch_size=8, chunk_size=5)


@pytest.fixture(scope="module")
def split():
    ddi = WORLD["drug", "side_effect", "drug"]
    return split_pairs(Triples(ddi.edge_index[0], ddi.edge_index[1], ddi.edge_type), N, R, 0.2, 0.2, seed=0)


@pytest.fixture(scope="module")
def val_negatives(split):
    return evaluation_negatives("degree-matched", split.val, split.train, N, R, seed=0)


def _decagon(split, dropout: float = 0.1, features: bool = True) -> Decagon:
    config = DecagonConfig(
        encoder=EncoderConfig(8, 4, dropout=dropout), aux_batch=16, use_drug_features=features
    )
    return Decagon(build_graph(WORLD, split.train), R, config, WORLD["drug"].x.float())


BUILDERS = {
    "decagon": _decagon,
    "decagon-one-hot": lambda split, dropout=0.1: _decagon(split, dropout, features=False),
    "rescal": lambda split, dropout=0.1: FactorizationModel(N, R, 4, "bilinear"),
    "concat-mlp": lambda split, dropout=0.1: PairMLP(drug_pair_features(WORLD, 6), R, 5),
}


def _run(split, val_negatives, method: str, device: str, config: TrainConfig = LOOP, dropout: float = 0.1):
    torch.manual_seed(0)  # initialisation (on the CPU, before any move) and dropout
    model = BUILDERS[method](split, dropout)
    log = train_link_predictor(
        model,
        split.train,
        N,
        R,
        config,
        torch.Generator().manual_seed(1),
        val=split.val,
        val_negatives=val_negatives,
        watch=split.test,
        device=device,
    )
    return model, log, model_scorer(model)(split.test)


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA: 'auto' is not the CPU")
@pytest.mark.parametrize("method", list(BUILDERS))
def test_auto_is_bit_identical_to_cpu_here(split, val_negatives, method) -> None:
    runs = [_run(split, val_negatives, method, device) for device in ("cpu", "auto")]
    (_, log_cpu, scores_cpu), (model, log_auto, scores_auto) = runs
    assert log_cpu.loss == log_auto.loss and log_cpu.val_auroc == log_auto.val_auroc
    assert log_cpu.best_epoch == log_auto.best_epoch and torch.equal(log_cpu.drawn, log_auto.drawn)
    assert torch.equal(scores_cpu, scores_auto) and scores_auto.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in model.parameters())


@pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA")
def test_cuda_is_refused_before_any_work(split) -> None:
    torch.manual_seed(0)
    model = _decagon(split)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    generator = torch.Generator().manual_seed(1)
    state = generator.get_state()
    for device in ("cuda", "cuda:0", torch.device("cuda")):
        with pytest.raises(ValueError, match="argument 'device'.*CUDA is not available"):
            train_link_predictor(model, split.train, N, R, LOOP, generator, device=device)
    assert torch.equal(generator.get_state(), state)  # nothing drawn
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())  # nothing trained


def test_auto_moves_the_model_to_cuda_where_cuda_is_available(split, monkeypatch) -> None:
    """No ``cpu_only`` any more: with a GPU, ``auto`` sends the model there (stopped at the move here)."""

    class Moved(Exception):
        pass

    class Spy(FactorizationModel):
        def to(self, *args, **kwargs):
            raise Moved(args, kwargs)

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(Moved) as moved:
        train_link_predictor(Spy(N, R, 4), split.train, N, R, LOOP, torch.Generator(), device="auto")
    assert moved.value.args[0] == (torch.device("cuda"),)


def test_a_generator_on_another_device_is_refused(split, monkeypatch) -> None:
    class FakeGenerator(torch.Generator):
        device = torch.device("cuda", 0)

    with pytest.raises(ValueError, match="CPU torch.Generator"):
        train_link_predictor(FactorizationModel(N, R, 4), split.train, N, R, LOOP, FakeGenerator())


FACTORIES = {
    torch.zeros,
    torch.ones,
    torch.empty,
    torch.full,
    torch.arange,
    torch.tensor,
    torch.eye,
    torch.linspace,
    torch.rand,
    torch.randn,
    torch.randint,
    torch.randperm,
}


class _DevicelessFactories(TorchFunctionMode):
    """Records tensor factories called with neither ``device=`` (it would build on the CPU whatever the
    model's device) nor ``generator=`` (a CPU draw, moved afterwards on purpose)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in FACTORIES and kwargs.get("device") is None and kwargs.get("generator") is None:
            self.calls.append(getattr(func, "__name__", str(func)))
        return func(*args, **kwargs)


@pytest.mark.parametrize("method", list(BUILDERS))
def test_forward_passes_build_no_tensor_on_a_fixed_device(split, method) -> None:
    """Every tensor the models make inside ``embed``/``score``/``auxiliary_loss`` (and the chunked backward)
    follows its inputs' device: a device-less factory there would be a CPU tensor in a CUDA run."""
    torch.manual_seed(0)
    model = BUILDERS[method](split)
    pos = split.train.subset(torch.arange(12))
    neg = Triples(pos.src, torch.roll(pos.dst, 1), pos.rel)
    with _DevicelessFactories() as mode:
        z = model.embed()
        model.score(z, pos)
        if hasattr(model, "auxiliary_loss"):
            model.auxiliary_loss(z, torch.Generator().manual_seed(0))
        _chunked_backward(model, model.embed(), pos, neg, TrainConfig(chunk_size=5), torch.Generator())
    assert mode.calls == []
    with _DevicelessFactories() as mode:  # the guard itself sees such a call
        torch.zeros(2), torch.arange(3, device="cpu"), torch.randint(0, 3, (2,), generator=torch.Generator())
    assert mode.calls == ["zeros"]


def test_moving_a_model_moves_what_its_forward_reads_and_leaves_the_callers_graph(split) -> None:
    """``model.to(device)`` on the ``meta`` device (shapes, no data; mixing it with CPU tensors raises): the
    graph copy, features, scores and auxiliary loss all follow. (Sparse matmuls have no meta kernel, so
    ``embed`` itself runs on a real device only: the CUDA test below.)"""
    cpu, meta = torch.device("cpu"), torch.device("meta")
    assert split.train.to(cpu) is split.train
    for method, build in BUILDERS.items():
        model = build(split)
        if isinstance(model, Decagon):
            assert model.graph_on(model.device) is model.graph  # on its own device: no copy
        model.to(meta)
        pos = split.train.subset(torch.arange(12)).to(meta)
        assert pos.device == meta and all(b.device == meta for b in model.buffers())
        if isinstance(model, Decagon):
            graph = model.graph_on(model.device)
            assert model.device == meta and graph is model.graph_on(meta)  # copied once, then kept
            assert model.graph.device == cpu and all(b.csr.device == cpu for b in model.graph.blocks)
            assert all(
                t.device == meta for b in graph.blocks for t in (b.matrix, b.csr, b.csr_t, b.edges.src)
            )
            z = {t: torch.randn(n, 4, device=meta) for t, n in model.graph.num_nodes.items()}
            assert model.auxiliary_loss(z, torch.Generator().manual_seed(0)).device == meta
        else:
            z = model.embed()
        assert model.score(z, pos).device == meta, method


@pytest.mark.skipif(NO_CUDA, reason="needs a CUDA device")
@pytest.mark.parametrize("method", list(BUILDERS))
def test_training_on_cuda_matches_the_cpu_run(split, val_negatives, method) -> None:
    # No dropout: the CPU and CUDA global generators draw different masks. One validation check, at the
    # end, so early stopping keeps the last epoch in both runs (a near tie cannot pick another epoch).
    config = TrainConfig(
        epochs=4, eval_every=4, patience=10, batch_mode="edge-type", batch_size=8, chunk_size=5
    )
    model_cpu, log_cpu, scores_cpu = _run(split, val_negatives, method, "cpu", config, dropout=0.0)
    model, log, scores = _run(split, val_negatives, method, "cuda", config, dropout=0.0)
    assert all(p.device.type == "cuda" for p in model.parameters())  # the model stays where it trained
    assert all(b.device.type == "cuda" for b in model.buffers())
    assert all(p.device.type == "cpu" for p in model_cpu.parameters())
    # The draws are made on the CPU generator: the same negatives in both runs, exactly.
    assert log.drawn.device.type == "cpu" and torch.equal(log.drawn, log_cpu.drawn)
    assert log.epochs_run == log_cpu.epochs_run == 4 and log.best_epoch == log_cpu.best_epoch == 3
    torch.testing.assert_close(torch.tensor(log.loss), torch.tensor(log_cpu.loss), rtol=1e-3, atol=1e-4)
    (_, auroc), (_, auroc_cpu) = log.val_auroc[-1], log_cpu.val_auroc[-1]
    assert math.isfinite(auroc) and abs(auroc - auroc_cpu) <= 0.05
    assert scores.device.type == "cpu" and bool(torch.isfinite(scores).all())
    torch.testing.assert_close(scores, scores_cpu, rtol=1e-2, atol=1e-2)
    # Scoring entry points after training: CPU triples in, CPU numbers out.
    result = evaluate(model_scorer(model), split.val, val_negatives, R)
    assert abs(result.auroc - evaluate(model_scorer(model_cpu), split.val, val_negatives, R).auroc) <= 0.05
    if isinstance(model, Decagon):
        assert model.graph.device.type == "cpu"  # the caller's graph is never moved
        lists = de_novo_lists(WORLD, model_scorer(model), 3)
        assert lists and all(math.isfinite(s) for dn in lists for s in dn.scores)
