"""Minibatch training of PinSage with the max-margin loss (notebooks 02 and 03).

A producer-consumer pipeline as in the paper: a ``DataLoader`` over :class:`PairBatches` (with
``num_workers`` worker processes) samples each step's pairs, shared negatives, optional hard
negatives and their K-hop computation graph, while the main process trains on the previous batch.

Neighbourhoods: ``neighborhoods="epoch"`` (default) resamples every item's neighbourhood once per
epoch into a :class:`~lecturekit.recsys.pinsage.batching.NeighborTable` (cheap on a laptop: the
walks of an item are shared by all steps of the epoch); ``"step"`` samples fresh walks for every
step's computation graph, exactly as in the paper. Several models trained on one graph share the
per-epoch tables through :class:`EpochNeighborhoods` (same tables as without it, walked once).

Faithful and leak-free: a training pair's two pins are kept out of each other's whole receptive field
(every layer, also through neighbours: :meth:`~lecturekit.recsys.pinsage.batching.BlockBuilder.build`);
the model reads the log degree of the TRAINING graph (``sampler.item_degree``) beside the features; and
with probability ``config.neighborhood_dropout`` a query, and independently its positive, is shown as a
new pin (no neighbours at any layer, degree 0), so that pins without saves are not only ever random
negatives. Both sides: new pins are queries *and* targets at test time, and with queries alone the model
learned a space where a pin without saves (most random negatives are such pins) sits far from every
graph-smoothed query: validation hit-rate on pairs with a new target fell from 0.24 untrained to 0.04
(notebook 02's world, session 4).

Randomness: training owns its streams. Each epoch's walks come from a generator derived from
``config.seed`` and the epoch and passed to the walk call (the caller's sampler is never reseeded
or advanced), the pair order and negatives from per-(epoch, worker) generators, and global draws
(if a custom ``loss_fn`` makes any) from torch's global generator seeded with ``config.seed`` and
restored afterwards. So a run is a function of its inputs and ``config``, whatever ran before.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from tqdm.auto import tqdm

from lecturekit.devices import resolve_device
from lecturekit.ids import as_ids
from lecturekit.recsys.pinsage.batching import BlockBuilder, MiniBatch, NeighborFn, NeighborTable
from lecturekit.recsys.pinsage.loss import in_batch_softmax_loss, max_margin_loss
from lecturekit.recsys.pinsage.model import InputTable, PinSage, batch_to
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler

LOSSES = ("margin", "softmax")

NegativeSampler = Callable[[Tensor, Tensor, int], Tensor]
"""``(queries (B,), positives (B,), epoch) -> (B, H)`` extra hard-negative item ids per query.
Runs inside the DataLoader workers: it must not depend on the model being trained."""


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of :func:`train_pinsage` (frozen: a run cannot be edited halfway).

    ``neighborhood_dropout``: probability that a training query, and independently its positive, is
    treated as a pin without saves in its step (see :meth:`~lecturekit.recsys.pinsage.batching.BlockBuilder.build`'s ``isolate``); 0 turns
    it off. Drawn from its own stream, so the pair order and negatives do not depend on it.
    """

    epochs: int = 5
    batch_size: int = 256
    num_negatives: int = 256
    margin: float = 0.1
    lr: float = 3e-3
    max_steps_per_epoch: int | None = None
    neighborhoods: str = "epoch"
    num_workers: int = 0
    hard_weight: float = 1.0
    seed: int = 0
    # Share of each step's queries shown as new pins (empty neighbourhood at every layer, degree 0, in
    # nobody's neighbourhood): isolated pins then also occur as queries with positives, not only as random
    # negatives, so "no neighbours => unrelated" is no shortcut; about the share of new pins a model serves.
    neighborhood_dropout: float = 0.15
    # "margin": the paper's max-margin loss against the shared uniform negatives (+ hard ones);
    # "softmax": :func:`~lecturekit.recsys.pinsage.loss.in_batch_softmax_loss` (the batch's positives
    # are negatives too, drawn as positives are), at temperature ``temperature``.
    loss: str = "margin"
    temperature: float = 0.1  # cosines in [-1, 1]: logits in [-10, 10], the usual contrastive scale

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"TrainConfig.loss must be one of {LOSSES}, got {self.loss!r}")
        if self.neighborhoods not in ("epoch", "step"):
            raise ValueError(
                f"TrainConfig.neighborhoods must be 'epoch' or 'step', got {self.neighborhoods!r}"
            )
        if not 0.0 <= float(self.neighborhood_dropout) < 1.0:
            raise ValueError(
                f"TrainConfig.neighborhood_dropout must be in [0, 1), got {self.neighborhood_dropout!r}"
            )
        for name in ("epochs", "batch_size", "num_negatives"):
            if getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be >= 1, got {getattr(self, name)!r}")


@dataclass
class TrainHistory:
    """Per-step losses, per-epoch mean loss and optional per-epoch evaluation dicts."""

    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    evaluations: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    num_hard: list[int] = field(
        default_factory=list
    )  # hard negatives per query in each epoch (the curriculum)


def neighbor_fn(sampler: RandomWalkSampler, pooling: str) -> NeighborFn:
    """Importance neighbourhoods (``sampler.sample``) for PinSage, uniform direct neighbours
    (``sampler.sample_direct``) for the mean-/max-pooling baselines."""
    return sampler.sample if pooling == "importance" else sampler.sample_direct


@dataclass
class PairBatch:
    """One training step: the computation graph and where each role sits in its outputs."""

    graph: MiniBatch
    queries: Tensor
    positives: Tensor
    num_negatives: int
    num_hard: int
    isolated: Tensor | None = None

    def __reduce__(self):
        # A DataLoader worker sends each batch through a pipe. Pickled as tensors, each of its nine
        # storages travels as a shared-memory file descriptor with its own socket handshake: about 7 ms
        # of the training process's time per batch at 20k pins (a tenth of a step). As NumPy arrays the
        # few hundred kB are copied through the pipe instead.
        return _unpack_arrays, (_pack_arrays(self),)


def _pack_arrays(value: Any) -> Any:
    """``value`` (dataclasses, lists and tensors nested) with every CPU tensor as a NumPy array."""
    if isinstance(value, Tensor):
        return ("tensor", value.detach().cpu().numpy())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            "dataclass",
            type(value),
            {f.name: _pack_arrays(getattr(value, f.name)) for f in dataclasses.fields(value)},
        )
    if isinstance(value, list):
        return ("list", [_pack_arrays(v) for v in value])
    return ("value", value)


def _unpack_arrays(packed: Any) -> Any:
    """Inverse of :func:`_pack_arrays` (the arrays become tensors without a copy)."""
    kind, *rest = packed
    if kind == "tensor":
        return torch.from_numpy(rest[0])
    if kind == "dataclass":
        cls, values = rest
        return cls(**{name: _unpack_arrays(v) for name, v in values.items()})
    if kind == "list":
        return [_unpack_arrays(v) for v in rest[0]]
    return rest[0]


class PairBatches(IterableDataset):
    """Yields :class:`PairBatch` es for one epoch; shards batches across DataLoader workers."""

    def __init__(
        self,
        pairs: Tensor,
        num_items: int,
        num_layers: int,
        neighbors: NeighborFn,
        config: TrainConfig,
        epoch: int,
        negative_sampler: NegativeSampler | None = None,
        fresh_walks: bool = False,
    ) -> None:
        """``fresh_walks``: ``neighbors`` is a sampler method taking ``generator=`` (``"step"``
        neighbourhoods); each worker then walks from its own stream."""
        self.pairs, self.num_items, self.num_layers = pairs, num_items, num_layers
        self.neighbors, self.config, self.epoch = neighbors, config, epoch
        self.negative_sampler, self.fresh_walks = negative_sampler, fresh_walks
        steps = -(-pairs.shape[0] // config.batch_size)
        self.num_steps = min(steps, config.max_steps_per_epoch or steps)

    def __len__(self) -> int:
        return self.num_steps

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        if info is not None:
            torch.set_num_threads(1)
        seed = self.config.seed * 1_000_003 + self.epoch
        neighbors = self.neighbors
        if self.fresh_walks:  # fresh walks per step: one independent stream per worker
            neighbors = functools.partial(
                neighbors, generator=torch.Generator().manual_seed(seed * 64 + worker)
            )
        order = torch.randperm(self.pairs.shape[0], generator=torch.Generator().manual_seed(seed))
        builder = BlockBuilder(self.num_items, self.num_layers)
        gen = torch.Generator().manual_seed(seed * 64 + worker + 1)
        # Its own stream: turning neighbourhood dropout on or off leaves the order and negatives as they were.
        dropout_gen = torch.Generator().manual_seed((seed * 64 + worker) ^ 0x5DEECE66D)
        for step in range(worker, self.num_steps, workers):
            pairs = self.pairs[order[step * self.config.batch_size : (step + 1) * self.config.batch_size]]
            q, p = pairs[:, 0], pairs[:, 1]
            neg = torch.randint(0, self.num_items, (self.config.num_negatives,), generator=gen)
            hard = torch.empty(q.numel(), 0, dtype=torch.long)
            if self.negative_sampler is not None:
                hard = torch.as_tensor(self.negative_sampler(q, p, self.epoch)).long()
                if hard.ndim != 2 or hard.shape[0] != q.numel():
                    raise ValueError(
                        f"negative_sampler must return ({q.numel()}, H) ids, got {tuple(hard.shape)}"
                    )
            targets = torch.cat([q, p, neg, hard.reshape(-1)])
            exclude = torch.cat(
                [pairs, pairs.flip(1)]
            )  # a pair never sees each other, at any layer: no leakage
            isolated = None
            if self.config.neighborhood_dropout > 0:
                drop = torch.rand(2, q.numel(), generator=dropout_gen) < self.config.neighborhood_dropout
                isolated = torch.unique(torch.cat([q[drop[0]], p[drop[1]]]))
            graph = builder.build(targets, neighbors, exclude, isolate=isolated)
            yield PairBatch(graph, q, p, neg.numel(), hard.shape[1], graph.isolated)


def _unbatched(item: PairBatch) -> PairBatch:
    """The DataLoader's collate function: each dataset item already is one step's batch."""
    return item


def _loss(
    model: PinSage, inputs: InputTable, item: PairBatch, config: TrainConfig, loss_fn: Callable | None = None
) -> Tensor:
    z = model(item.graph, inputs)[item.graph.target_index]
    b = item.queries.numel()
    zq, zp = z[:b], z[b : 2 * b]
    zn = z[2 * b : 2 * b + item.num_negatives]
    zh = z[2 * b + item.num_negatives :].view(b, item.num_hard, -1) if item.num_hard else None
    if loss_fn is not None:
        return loss_fn(zq, zp, zn, zh, margin=config.margin, hard_weight=config.hard_weight)
    if config.loss == "softmax":
        return in_batch_softmax_loss(
            zq, zp, zn, zh, hard_weight=config.hard_weight, temperature=config.temperature
        )
    return max_margin_loss(zq, zp, zn, zh, margin=config.margin, hard_weight=config.hard_weight)


def epoch_walks(config: TrainConfig, epoch: int) -> torch.Generator:
    """The stream of epoch ``epoch``'s neighbourhood walks: a function of ``config.seed`` and the epoch only
    (so epoch ``e`` of a resumed or longer run walks exactly as in the original run)."""
    return torch.Generator().manual_seed(config.seed * 7919 + epoch)


class EpochNeighborhoods:
    """Neighbourhoods resampled every epoch, sampled once and shared by all models trained on one graph.

    ``for_epoch(e)`` (also ``tables[e]``) is the :class:`NeighborTable` of epoch ``e``, walked from
    :func:`epoch_walks` of ``seed``: passed as ``train_pinsage(..., neighbor_tables=...)`` with
    ``config.seed == seed`` a run trains exactly as without tables (where each epoch samples its own
    table), while the walks are paid once for several models. Epoch tables are cached (memory: one
    ``(num_items, T)`` table per epoch seen); ``tables[0]`` is the fixed table for inference.
    """

    def __init__(self, sampler: RandomWalkSampler, pooling: str, seed: int) -> None:
        self.sampler, self.pooling, self.seed = sampler, pooling, int(seed)
        self._tables: dict[int, NeighborTable] = {}

    def for_epoch(self, epoch: int) -> NeighborTable:
        if epoch not in self._tables:
            walks = epoch_walks(TrainConfig(seed=self.seed), epoch)
            sample = functools.partial(neighbor_fn(self.sampler, self.pooling), generator=walks)
            self._tables[epoch] = NeighborTable(sample, self.sampler.num_items)
        return self._tables[epoch]

    def __getitem__(self, epoch: int) -> NeighborTable:
        return self.for_epoch(epoch)


def train_pinsage(
    model: PinSage,
    features: Tensor,
    sampler: RandomWalkSampler,
    train_pairs: Tensor,
    config: TrainConfig,
    negative_sampler: NegativeSampler | None = None,
    eval_fn: Callable[[PinSage, int], dict[str, float]] | None = None,
    progress: bool = True,
    neighbor_tables: Sequence[NeighborFn] | EpochNeighborhoods | None = None,
    loss_fn: Callable[..., Tensor] | None = None,
    *,
    stop: Callable[[TrainHistory], bool] | None = None,
    device: str | torch.device = "cpu",
) -> TrainHistory:
    """Train ``model`` on positive pairs with shared random negatives (+ optional hard negatives).

    Args:
        model: a :class:`PinSage`; its ``config.pooling`` picks the neighbourhoods (:func:`neighbor_fn`).
        features: ``(num_items, in_dim)`` item features.
        sampler: random walks over the TRAINING graph. Only read: the walks draw from
            :func:`epoch_walks` streams, so the sampler's own stream is left as it was.
        train_pairs: ``(P, 2)`` (query, positive) item ids.
        config: :class:`TrainConfig`.
        negative_sampler: optional :data:`NegativeSampler` (notebook 03's hard negatives).
        eval_fn: called as ``eval_fn(model, epoch)`` after each epoch; its dict is stored.
        neighbor_tables: optional precomputed neighbourhood tables (e.g. shared by several models
            trained on the same graph); epoch ``e`` uses ``neighbor_tables[e % len]`` (a fixed
            cycle), or, for an :class:`EpochNeighborhoods`, its table of epoch ``e`` (resampled every
            epoch, as without tables). They must match the model's pooling (:func:`neighbor_fn`).
        loss_fn: replaces :func:`~lecturekit.recsys.pinsage.loss.max_margin_loss` (same signature:
            ``(query, positive, negatives, hard_negatives, margin=, hard_weight=)``).
        stop: called with the history after each epoch (after ``eval_fn``); ``True`` ends training there
            (early stopping on validation: :func:`~lecturekit.recsys.pinsage.train.no_better_for`).
        device: where the model trains: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when
            available). The model is moved there; walks and computation graphs stay on the CPU (the
            DataLoader workers build them) and each step's graph is copied over.

    Returns: :class:`TrainHistory`.
    """
    train_pairs = as_ids(train_pairs, "train_pairs")
    num_items = features.shape[0]
    if train_pairs.ndim != 2 or train_pairs.shape[1] != 2 or train_pairs.shape[0] == 0:
        raise ValueError(
            f"argument 'train_pairs' must be a non-empty (P, 2) tensor, got {tuple(train_pairs.shape)}"
        )
    if int(train_pairs.min()) < 0 or int(train_pairs.max()) >= num_items:
        raise ValueError(f"argument 'train_pairs' has ids outside [0, {num_items})")
    if sampler.num_items != num_items:
        raise ValueError(f"sampler has {sampler.num_items} items but features has {num_items} rows")
    dev = resolve_device(device)
    # Global draws during training (only a custom loss_fn could make any) are seeded from the
    # config; fork_rng gives the caller its generator back untouched afterwards.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model.to(dev)
        # no weight decay: 1e-4 changed nothing (02)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        history = TrainHistory()
        sample = neighbor_fn(sampler, model.config.pooling)
        degree = sampler.item_degree.to(dev)  # the log-degree input always reads the TRAINING graph
        features = features.to(dev)
        inputs = model.input_table(features, degree)  # once per run, gathered per step
        began = time.perf_counter()
        for epoch in range(config.epochs):
            fresh = config.neighborhoods == "step" and not neighbor_tables
            if isinstance(neighbor_tables, EpochNeighborhoods):
                neighbors = neighbor_tables.for_epoch(epoch)
            elif neighbor_tables:
                neighbors = neighbor_tables[epoch % len(neighbor_tables)]
            elif fresh:
                neighbors = sample
            else:
                neighbors = NeighborTable(
                    functools.partial(sample, generator=epoch_walks(config, epoch)), num_items
                )
            data = PairBatches(
                train_pairs,
                num_items,
                model.config.num_layers,
                neighbors,
                config,
                epoch,
                negative_sampler,
                fresh,
            )
            # The loader gets its own generator, and the progress bar never wraps the loader: a
            # tqdm that holds an iterator of it (tqdm.auto does, eagerly) keeps worker-owning
            # iterators alive, to be garbage-collected later inside another epoch's forked worker
            # (the "can only test a child process" tracebacks of the executed notebook).
            loader = DataLoader(
                data,
                batch_size=None,
                num_workers=config.num_workers,
                collate_fn=_unbatched,
                generator=torch.Generator().manual_seed(config.seed * 1_000_003 + epoch),
            )
            bar = tqdm(total=len(data), disable=not progress, desc=f"epoch {epoch + 1}", leave=False)
            model.train()
            losses, hard = [], 0
            for item in loader:
                hard = max(hard, item.num_hard)
                if dev.type != "cpu":
                    item = dataclasses.replace(item, graph=batch_to(item.graph, dev))
                loss = _loss(model, inputs, item, config, loss_fn)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                bar.update()
            bar.close()
            history.step_loss += losses
            history.epoch_loss.append(sum(losses) / max(len(losses), 1))
            history.num_hard.append(hard)
            if eval_fn is not None:
                model.eval()
                history.evaluations.append(eval_fn(model, epoch))
            if stop is not None and stop(history):
                break
        history.seconds += time.perf_counter() - began
    return history


def no_better_for(epochs: int, metric: str = "hit-rate") -> Callable[[TrainHistory], bool]:
    """A ``stop`` rule for :func:`train_pinsage`: the last ``epochs`` evaluations found no better ``metric``
    than the best before them (validation-based early stopping with patience ``epochs``)."""
    if epochs < 1:
        raise ValueError(f"argument 'epochs' must be >= 1, got {epochs!r}")

    def stop(history: TrainHistory) -> bool:
        scores = [e[metric] for e in history.evaluations]
        return len(scores) > epochs and max(scores[-epochs:]) <= max(scores[:-epochs])

    return stop
