"""``device=`` of the recsys entry points: BPR-MF (notebook 01), the Combined content MLP (notebook 02) and
MapReduce inference. ``auto`` is the CPU here and bit-identical to it, an unavailable CUDA is refused before
any work, the meta device stands in for an accelerator (a step that mixes it with CPU tensors the way CUDA
refuses fails), and on a CUDA machine each runs there and agrees with the CPU run."""

from __future__ import annotations

import copy
import functools

import pytest
import torch
from tiny_worlds import tiny_pinsage_graph
from torch import Tensor
from torch.overrides import TorchFunctionMode
from torch.utils import _pytree as pytree

from lecturekit.recsys import bpr
from lecturekit.recsys.bpr import BPRConfig, MatrixFactorization, train_bpr
from lecturekit.recsys.pinsage import (
    NeighborTable,
    PinSage,
    PinSageConfig,
    content_mlp,
    layerwise_embeddings,
    mapreduce,
)
from lecturekit.recsys.pinsage.content_mlp import (
    ContentMLP,
    ContentMLPTraining,
    content_embeddings,
    train_content_mlp,
)
from lecturekit.recsys.pinsage.mapreduce import mapreduce_embeddings, worker_device

torch.set_num_threads(1)
NO_CUDA = not torch.cuda.is_available()
needs_no_cuda = pytest.mark.skipif(not NO_CUDA, reason="this machine has CUDA ('auto' is the GPU there)")
needs_cuda = pytest.mark.skipif(NO_CUDA, reason="needs a CUDA device")

BPR = BPRConfig(dim=4, epochs=3, batch_size=16, lr=0.05)
CONTENT = ContentMLPTraining(
    epochs=2, steps_per_epoch=4, batch_size=8, num_negatives=8, margin=0.1, lr=1e-2, hidden_dim=8
)


# ------------------------------------------------------------------ tiny worlds
@pytest.fixture(scope="module")
def interactions():
    gen = torch.Generator().manual_seed(0)
    R = (torch.rand(20, 15, generator=gen) < 0.3).float()
    users, items = R.nonzero(as_tuple=True)
    return users, items, R


@pytest.fixture(scope="module")
def content():
    gen = torch.Generator().manual_seed(1)
    return torch.randn(30, 6, generator=gen), torch.randint(0, 30, (40, 2), generator=gen)


@pytest.fixture(scope="module")
def pinsage_world():
    sampler, features, _ = tiny_pinsage_graph(2)
    table = NeighborTable(functools.partial(sampler.sample, generator=torch.Generator().manual_seed(1)), 60)
    return features, table


def _pinsage() -> PinSage:
    torch.manual_seed(0)
    return PinSage(PinSageConfig(in_dim=8, hidden_dim=16, out_dim=8))


def _bpr_run(interactions, device):
    users, items, R = interactions
    gen = torch.Generator().manual_seed(0)
    model, history = train_bpr(users, items, R, BPR, gen, progress=False, device=device)
    return model, history, gen


def _content_run(content, device):
    x, pairs = content
    seen: list[Tensor] = []

    def validate(emb: Tensor) -> float:  # the internal validation path: CPU embeddings whatever the device
        assert emb.device.type == "cpu"
        seen.append(emb)
        return -float(len(seen))  # the first epoch is the best: its weights come back

    model, scores = train_content_mlp(x, pairs, CONTENT, seed=3, validate=validate, device=device)
    return model, scores, seen


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)


# ------------------------------------------------------------------ auto == cpu, bit for bit
@needs_no_cuda
def test_bpr_auto_is_the_cpu_run_bit_for_bit(interactions) -> None:
    (m_cpu, h_cpu, g_cpu), (m_auto, h_auto, g_auto) = (_bpr_run(interactions, d) for d in ("cpu", "auto"))
    assert h_cpu == h_auto and _same_weights(m_cpu, m_auto)
    assert torch.equal(g_cpu.get_state(), g_auto.get_state())  # the same draws
    users = torch.arange(5)
    assert torch.equal(m_cpu.score_users(users), m_auto.score_users(users))
    default_model, default_history = train_bpr(
        *interactions, BPR, torch.Generator().manual_seed(0), progress=False
    )
    assert default_history == h_cpu and _same_weights(default_model, m_cpu)


@needs_no_cuda
def test_content_mlp_auto_is_the_cpu_run_bit_for_bit(content) -> None:
    (m_cpu, s_cpu, e_cpu), (m_auto, s_auto, e_auto) = (_content_run(content, d) for d in ("cpu", "auto"))
    assert s_cpu == s_auto and _same_weights(m_cpu, m_auto)
    assert len(e_cpu) == CONTENT.epochs and all(torch.equal(a, b) for a, b in zip(e_cpu, e_auto, strict=True))
    x, _ = content
    assert torch.equal(content_embeddings(m_cpu, x), content_embeddings(m_auto, x, device="auto"))
    assert torch.equal(content_embeddings(m_cpu, x), e_cpu[0])  # best (first) epoch's weights returned


@needs_no_cuda
def test_local_mapreduce_auto_is_the_cpu_run_bit_for_bit(pinsage_world) -> None:
    features, table = pinsage_world
    model = _pinsage()
    cpu = mapreduce_embeddings(model, features, table, partition_size=25, device="cpu")
    auto = mapreduce_embeddings(model, features, table, partition_size=25, device=torch.device("cpu"))
    assert torch.equal(cpu, auto) and torch.equal(
        cpu, mapreduce_embeddings(model, features, table, 25, device="auto")
    )
    assert torch.equal(cpu, layerwise_embeddings(model, features, table, chunk_size=25).embeddings)


@needs_no_cuda
def test_dask_workers_resolve_the_device_themselves(pinsage_world) -> None:
    distributed = pytest.importorskip("distributed")
    features, table = pinsage_world
    model = _pinsage()
    local = mapreduce_embeddings(model, features, table, partition_size=25)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            # in-process workers share this process's objects: each run gets its own copy of the model
            auto = mapreduce_embeddings(
                copy.deepcopy(model), features, table, 25, scheduler=client, device="auto"
            )
            assert torch.equal(auto, local)
            # "cuda" is not refused by the client (a worker may have a GPU) but by the worker, which has none
            with pytest.raises(ValueError, match="CUDA is not available"):
                mapreduce_embeddings(
                    copy.deepcopy(model), features, table, 25, scheduler=client, device="cuda"
                )


def test_worker_device_checks_the_name_but_leaves_cuda_to_the_workers() -> None:
    assert (
        worker_device("auto") == "auto"
        and worker_device(" CUDA ") == "cuda"
        and worker_device("cpu") == "cpu"
    )
    assert worker_device(torch.device("cuda", 1)) == "cuda:1"
    for bad in ("gpu", "tpu", "meta", None, 3):
        with pytest.raises(ValueError, match="argument 'device' must be one of"):
            worker_device(bad)


# ------------------------------------------------------------------ refused before any work
@needs_no_cuda
def test_bpr_refuses_cuda_before_drawing_anything(interactions) -> None:
    gen = torch.Generator().manual_seed(0)
    before = gen.get_state()
    for bad, message in (("cuda", "CUDA is not available"), ("gpu", "must be one of")):
        with pytest.raises(ValueError, match=message):
            train_bpr(*interactions, BPR, gen, progress=False, device=bad)
    assert torch.equal(gen.get_state(), before)  # not even the initialisation was drawn


@needs_no_cuda
def test_content_mlp_refuses_cuda_before_any_work(content, monkeypatch) -> None:
    x, pairs = content

    def no_model(*args, **kwargs):
        raise AssertionError("a model was built before the device was checked")

    monkeypatch.setattr(content_mlp, "ContentMLP", no_model)
    with pytest.raises(ValueError, match="CUDA is not available"):
        train_content_mlp(x, pairs, CONTENT, seed=0, device="cuda")
    with pytest.raises(ValueError, match="CUDA is not available"):  # before the argument checks, too
        train_content_mlp(x[0], pairs, CONTENT, seed=0, device="cuda")
    model = ContentMLP(6, 8, 8).train()
    state = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match="CUDA is not available"):
        content_embeddings(model, x, device="cuda")
    assert model.training and _same_weights(model, _loaded(ContentMLP(6, 8, 8), state))


def _loaded(model: torch.nn.Module, state) -> torch.nn.Module:
    model.load_state_dict(state)
    return model


@needs_no_cuda
def test_mapreduce_refuses_cuda_or_a_bad_name_before_any_work(pinsage_world) -> None:
    features, table = pinsage_world
    model = _pinsage().train()
    with pytest.raises(ValueError, match="CUDA is not available"):
        mapreduce_embeddings(model, features, table, partition_size=25, device="cuda")
    assert model.training  # not even put in eval mode
    # with a scheduler, a bad name is refused before connecting (nothing listens on this port)
    with pytest.raises(ValueError, match="argument 'device' must be one of"):
        mapreduce_embeddings(model, features, table, scheduler="tcp://127.0.0.1:9", device="gpu")
    assert model.training


# ------------------------------------------------------------------ the meta device as a stand-in accelerator
_MOVES = {Tensor.to, Tensor.cpu, Tensor.copy_, Tensor.data.__set__, torch._has_compatible_shallow_copy_type}
_INDEXING = {Tensor.__getitem__, Tensor.__setitem__}


class _DeviceGuard(TorchFunctionMode):
    """Fails any torch call that mixes meta tensors with CPU ones where CUDA would refuse to mix CUDA and
    CPU: CPU scalars (0-dim) may join, a meta tensor may be indexed by CPU ids, moves and copies are free."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func not in _MOVES:
            tensors = [t for t in pytree.tree_leaves((args, kwargs)) if isinstance(t, Tensor)]
            if func in _INDEXING:
                mixed = (
                    bool(tensors)
                    and tensors[0].device.type == "cpu"
                    and any(t.device.type == "meta" for t in tensors[1:])
                )
            else:
                mixed = len({t.device.type for t in tensors if t.device.type != "cpu" or t.ndim > 0}) > 1
            if mixed:
                raise AssertionError(
                    f"{getattr(func, '__qualname__', func)} mixes devices: "
                    f"{[(t.device.type, tuple(t.shape)) for t in tensors]}"
                )
        return func(*args, **kwargs)


NO_DATA = r"cannot be called on meta tensors|Cannot copy out of meta tensor"  # meta holds no values: the end


def test_guard_catches_a_forgotten_move() -> None:
    with _DeviceGuard(), pytest.raises(AssertionError, match="mixes devices"):
        torch.nn.Embedding(3, 2).to("meta")(torch.tensor([0, 1]))
    with _DeviceGuard(), pytest.raises(AssertionError, match="mixes devices"):
        torch.randn(3)[torch.tensor([0, 1], device="meta")]


@pytest.fixture
def meta_device(monkeypatch):
    """Every entry point's ``device`` resolves to the meta device (whatever was passed)."""
    for module in (bpr, content_mlp, mapreduce):
        monkeypatch.setattr(module, "resolve_device", lambda device: torch.device("meta"))


def test_entry_points_move_every_operand_to_the_device(
    meta_device, interactions, content, pinsage_world
) -> None:
    # each runs on "the accelerator" until it needs a value back (a loss, or the CPU result): so far,
    # no torch call saw a model on the device and an input left on the CPU
    with _DeviceGuard(), pytest.raises(RuntimeError, match=NO_DATA):  # after the first step: loss.item()
        train_bpr(*interactions, BPR, torch.Generator().manual_seed(0), progress=False, device="x")
    with _DeviceGuard(), pytest.raises(NotImplementedError, match=NO_DATA):  # scores come back on the CPU
        MatrixFactorization(20, 15, 4).to("meta").score_users(torch.arange(3))
    x, pairs = content
    with _DeviceGuard():
        model, _ = train_content_mlp(x, pairs, CONTENT, seed=0, device="x")  # all steps, no values read
    assert {p.device.type for p in model.parameters()} == {"meta"}  # the model is left on the device
    with _DeviceGuard(), pytest.raises(NotImplementedError, match=NO_DATA):  # validation embeds on the device
        train_content_mlp(x, pairs, CONTENT, seed=0, validate=lambda emb: 0.0, device="x")
    features, table = pinsage_world
    with _DeviceGuard(), pytest.raises(NotImplementedError, match=NO_DATA):
        mapreduce_embeddings(_pinsage(), features, table, partition_size=25, device="x")


# ------------------------------------------------------------------ on a GPU
@needs_cuda
def test_each_entry_point_runs_on_cuda_and_agrees_with_the_cpu(interactions, content, pinsage_world) -> None:
    close = functools.partial(torch.testing.assert_close, rtol=1e-4, atol=1e-4)
    (m_cpu, h_cpu, g_cpu), (m_gpu, h_gpu, g_gpu) = (_bpr_run(interactions, d) for d in ("cpu", "cuda"))
    assert torch.equal(g_cpu.get_state(), g_gpu.get_state())  # the same draws, on the CPU generator
    assert m_gpu.user.weight.device.type == "cuda"
    close(torch.tensor(h_gpu), torch.tensor(h_cpu))
    users = torch.arange(20)
    scores = m_gpu.score_users(users)
    assert scores.device.type == "cpu"
    close(scores, m_cpu.score_users(users))

    (c_cpu, s_cpu, e_cpu), (c_gpu, s_gpu, e_gpu) = (_content_run(content, d) for d in ("cpu", "cuda"))
    assert s_cpu == s_gpu and next(c_gpu.parameters()).device.type == "cuda"
    for a, b in zip(e_gpu, e_cpu, strict=True):
        close(a, b)
    x, _ = content
    emb = content_embeddings(c_gpu, x, device="cuda")
    assert emb.device.type == "cpu"
    close(emb, content_embeddings(copy.deepcopy(c_cpu), x))

    features, table = pinsage_world
    model = _pinsage()
    cpu = mapreduce_embeddings(copy.deepcopy(model), features, table, partition_size=25)
    gpu = mapreduce_embeddings(model, features, table, partition_size=25, device="cuda")
    assert gpu.device.type == "cpu" and next(model.parameters()).device.type == "cuda"
    close(gpu, cpu)
