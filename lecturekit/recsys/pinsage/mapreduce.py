"""Layer-wise inference as MapReduce (Ying et al., KDD 2018, Section 3.3), in-process or on a Dask cluster.

The nodes are cut into partitions (contiguous id ranges). Every stage is a *map* over partitions,
each task a pure function of its arguments, and a *reduce* that assembles what the next stage needs:

1. ``input_map``:    partition P -> ``x[P]`` (its features with the log-degree column).
2. per layer k:
   ``message_map``:  P -> ``ReLU(Q_k h^{k-1}[P] + q_k)``, each node's message computed once;
   reduce:           the messages of all partitions concatenated into one table (every partition needs
                     its neighbours' messages, and a neighbour may sit in any partition);
   ``combine_map``:  P -> ``h^k[P]`` from ``h^{k-1}[P]``, the message table and P's neighbourhoods.
3. ``head_map``:     P -> the embeddings of P; the final reduce assembles them in id order.

A partition's ``h^{k-1}[P]`` flows from its own previous map straight into its next ones (on a
cluster the futures stay on the workers); only the message table is shared, once per layer. The same
dataflow runs on :class:`LocalExecutor` (one process, the default: this *is*
:func:`~lecturekit.recsys.pinsage.inference.layerwise_embeddings`) or on :class:`DaskExecutor`
(``scheduler="tcp://host:8786"``, or a ``distributed.Client``), and gives the same embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from lecturekit.devices import resolve_device
from lecturekit.recsys.pinsage.batching import NeighborFn, graph_degree
from lecturekit.recsys.pinsage.model import PinSage


# ------------------------------------------------------------------ map steps (what a worker runs)
def input_map(model: PinSage, features: Tensor, degree: Tensor | None) -> Tensor:
    """``x`` of one partition from its own feature rows (and degrees)."""
    return model.inputs(features, torch.arange(features.shape[0], device=features.device), degree)


def message_map(model: PinSage, layer: int, h: Tensor) -> Tensor:
    """The layer's message ``ReLU(Q h + q)`` of each node of one partition."""
    return model.convs[layer].neighbor_messages(h)


def combine_map(
    model: PinSage, layer: int, h: Tensor, messages: Tensor, nbr: Tensor, weight: Tensor
) -> Tensor:
    """``h^k`` of one partition: pool its neighbours' rows of the full message table, combine with ``h``."""
    valid = nbr >= 0
    return model.convs[layer].combine(h, messages, torch.where(valid, nbr, -1), weight * valid)


def head_map(
    model: PinSage, h: Tensor, x: Tensor, x_all: Tensor | None, nbr: Tensor, weight: Tensor
) -> Tensor:
    """The final dense layers (and residual, and the smoothing path over the table ``x_all`` of every
    item's inputs when the model has one) of one partition: its embeddings."""
    smoothed = None if x_all is None else model.smooth(x_all, nbr, weight)
    return model.head(h, x, smoothed)


def assemble(*parts: Tensor) -> Tensor:
    """The reduce step: partitions' rows back in id order."""
    return torch.cat(parts)


# ------------------------------------------------------------------ executors
class LocalExecutor:
    """Runs each task at once in this process (``submit`` returns the value itself)."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return fn(*args)

    def share(self, value: Any) -> Any:
        return value

    def gather(self, values: Sequence[Any]) -> list[Any]:
        return list(values)


def _fresh(value: Any, device: torch.device) -> Any:
    """``value`` on ``device`` in freshly allocated memory. Deserialised tensors can sit at any address,
    and the BLAS kernels' results depend (in the last bit) on the alignment of their operands: a torch
    allocation has the same alignment in every process, so cluster and local runs agree bit for bit."""
    if isinstance(value, Tensor):
        return value.to(device, copy=True)
    if isinstance(value, torch.nn.Module):
        if not getattr(value, "_lecturekit_fresh", False):  # the model: once per worker
            value.to(device)
            for tensor in [*value.parameters(), *value.buffers()]:
                tensor.data = tensor.data.clone()
            value._lecturekit_fresh = True
        return value
    return value


def _on_device(device: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` on the worker's ``device`` (resolved there: ``"auto"`` means that worker's GPU, if any)
    and hand the result back on the CPU, so results can move between workers of any kind."""
    dev = resolve_device(device)
    moved = [_fresh(a, dev) for a in args]
    with torch.no_grad():  # inference: a worker keeps no autograd graph (and ships plain tensors)
        out = fn(*moved)
    return out.cpu() if isinstance(out, Tensor) else out


class DaskExecutor:
    """Submits each task to a ``dask.distributed`` cluster; results stay on the workers as futures
    until :meth:`gather`. ``scheduler``: an address such as ``"tcp://10.0.0.5:8786"`` or a ``Client``."""

    def __init__(self, scheduler: Any, device: str = "cpu") -> None:
        from distributed import Client  # imported here: local inference needs no Dask

        self._own = not isinstance(scheduler, Client)
        self.client = Client(scheduler) if self._own else scheduler
        self.device = device

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(_on_device, self.device, fn, *args, pure=False)

    def share(self, value: Any) -> Any:
        """Send ``value`` to every worker once (the model), instead of once per task."""
        return self.client.scatter(value, broadcast=True)

    def gather(self, values: Sequence[Any]) -> list[Any]:
        return self.client.gather(list(values))

    def close(self) -> None:
        if self._own:
            self.client.close()


def worker_device(device: str | torch.device) -> str:
    """The device name the cluster's workers resolve (:func:`_on_device`), checked here first.

    An unknown name is refused at once with :func:`~lecturekit.devices.resolve_device`'s message;
    ``"cuda"``/``"cuda:N"`` and ``"auto"`` are *not* checked against this machine's GPUs (a worker may
    have one where the client has none): each worker resolves the name itself.
    """
    name = str(device).strip().lower() if isinstance(device, (str, torch.device)) else None
    if name is not None:
        if name == "auto":
            return name
        try:
            if torch.device(name).type in ("cpu", "cuda"):
                return name
        except RuntimeError:
            pass
    resolve_device(device)  # raises ValueError naming the argument for anything else
    return str(device)


# ------------------------------------------------------------------ the dataflow
def partitions(num_items: int, partition_size: int) -> list[Tensor]:
    """Contiguous id ranges of at most ``partition_size`` nodes."""
    if not isinstance(partition_size, int) or isinstance(partition_size, bool) or partition_size < 1:
        raise ValueError(f"argument 'partition_size' must be an int >= 1, got {partition_size!r}")
    return list(torch.arange(num_items).split(partition_size))


def input_degree(model: PinSage, neighbors: NeighborFn, degree: Tensor | None) -> Tensor | None:
    """The degree input: the argument, else the table's/sampler's own (:func:`graph_degree`)."""
    if degree is None and model.config.log_degree_input:
        degree = graph_degree(neighbors)
        if degree is None:
            raise ValueError(
                "argument 'degree' is required: the model has log_degree_input=True and 'neighbors' does not "
                "carry degrees (pass degree=sampler.item_degree, or a NeighborTable built from a sampler)"
            )
    return degree


def run_layerwise(
    executor: LocalExecutor | DaskExecutor,
    model: PinSage,
    features: Tensor,
    neighbors: NeighborFn,
    parts: Sequence[Tensor],
    degree: Tensor | None,
    device: torch.device | None = None,
) -> Tensor:
    """The map and reduce steps of the module docstring over ``parts``; returns ``(num_items, out_dim)``.

    ``device`` (local executor): where the partitions' inputs are put before their maps run.
    """
    move = (lambda t: t) if device is None else (lambda t: t.to(device))
    shared_model = executor.share(model)
    inputs, tables = [], []
    for part in parts:
        nbr, weight = neighbors(part)
        feat = move(features[part])
        deg = None if degree is None else move(degree[part])
        inputs.append(executor.submit(input_map, shared_model, feat, deg))
        tables.append((move(nbr), move(weight)))
    h = inputs
    for layer in range(model.config.num_layers):
        messages = executor.submit(
            assemble, *[executor.submit(message_map, shared_model, layer, hp) for hp in h]
        )
        h = [
            executor.submit(combine_map, shared_model, layer, hp, messages, nbr, weight)
            for hp, (nbr, weight) in zip(h, tables, strict=True)
        ]
    x_all = executor.submit(assemble, *inputs) if model.S is not None else None
    out = [
        executor.submit(head_map, shared_model, hp, xp, x_all, nbr, weight)
        for hp, xp, (nbr, weight) in zip(h, inputs, tables, strict=True)
    ]
    return torch.cat([part.cpu() for part in executor.gather(out)])


@torch.no_grad()
def mapreduce_embeddings(
    model: PinSage,
    features: Tensor,
    neighbors: NeighborFn,
    partition_size: int = 4096,
    *,
    degree: Tensor | None = None,
    scheduler: Any = None,
    device: str | torch.device = "cpu",
) -> Tensor:
    """Embeddings of every item by MapReduce: in this process by default, on a Dask cluster when
    ``scheduler`` is given (its address, e.g. ``"tcp://host:8786"``, or a ``distributed.Client``).

    ``neighbors`` is a FIXED lookup (a :class:`~lecturekit.recsys.pinsage.batching.NeighborTable`); it
    is read here and each partition's rows are shipped with its tasks. The result is on the CPU, equal
    to :func:`~lecturekit.recsys.pinsage.inference.layerwise_embeddings` for the same ``partition_size``
    (its ``chunk_size``).

    ``device``: where the maps run, ``"cpu"`` (default), ``"cuda"``/``"cuda:N"`` or ``"auto"`` (a GPU
    where there is one). In this process (no ``scheduler``) it is resolved here before any work (an
    unavailable CUDA is refused), the model is moved there (as ``layerwise_embeddings`` does) and each
    partition's inputs are copied over. On a cluster only the name is checked here (an unknown one is
    refused, see :func:`worker_device`); each worker resolves it itself, so ``"auto"`` uses the GPU of
    whichever worker has one and ``"cuda"`` is refused by a worker without one (the ``ValueError``
    reaches the caller). The model is moved to the CPU to be shipped; results travel between workers on
    the CPU.
    """
    dev = resolve_device(device) if scheduler is None else worker_device(device)
    model.eval()
    degree = input_degree(model, neighbors, degree)
    parts = partitions(features.shape[0], partition_size)
    if scheduler is None:
        return run_layerwise(LocalExecutor(), model.to(dev), features, neighbors, parts, degree, dev)
    executor = DaskExecutor(scheduler, dev)
    try:
        return run_layerwise(executor, model.cpu(), features.cpu(), neighbors, parts, degree)
    finally:
        executor.close()
