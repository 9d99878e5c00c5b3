"""Minibatch training of PinSage with the max-margin loss (notebooks 02 and 03).

A producer-consumer pipeline as in the paper: a ``DataLoader`` over :class:`PairBatches` (with
``num_workers`` worker processes) samples each step's pairs, shared negatives, optional hard
negatives and their K-hop computation graph, while the main process trains on the previous batch.

Neighbourhoods: ``neighborhoods="epoch"`` (default) resamples every item's neighbourhood once per
epoch into a :class:`~lecturekit.recsys.pinsage.batching.NeighborTable` (cheap on a laptop: the
walks of an item are shared by all steps of the epoch); ``"step"`` samples fresh walks for every
step's computation graph, exactly as in the paper.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from tqdm.auto import tqdm

from lecturekit.recsys.pinsage.batching import BlockBuilder, MiniBatch, NeighborFn, NeighborTable
from lecturekit.recsys.pinsage.loss import max_margin_loss
from lecturekit.recsys.pinsage.model import PinSage
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler

NegativeSampler = Callable[[Tensor, Tensor, int], Tensor]
"""``(queries (B,), positives (B,), epoch) -> (B, H)`` extra hard-negative item ids per query.
Runs inside the DataLoader workers: it must not depend on the model being trained."""


@dataclass
class TrainConfig:
    """Optimisation settings of :func:`train_pinsage`."""

    epochs: int = 5
    batch_size: int = 256
    num_negatives: int = 256
    margin: float = 0.1
    lr: float = 3e-3
    weight_decay: float = 0.0
    max_steps_per_epoch: int | None = None
    neighborhoods: str = "epoch"
    num_workers: int = 0
    hard_weight: float = 1.0
    seed: int = 0
    checkpoint: str | Path | None = None

    def __post_init__(self) -> None:
        if self.neighborhoods not in ("epoch", "step"):
            raise ValueError(f"TrainConfig.neighborhoods must be 'epoch' or 'step', got {self.neighborhoods!r}")
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
        sampler: RandomWalkSampler | None = None,
    ) -> None:
        self.pairs, self.num_items, self.num_layers = pairs, num_items, num_layers
        self.neighbors, self.config, self.epoch = neighbors, config, epoch
        self.negative_sampler, self.sampler = negative_sampler, sampler
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
        if self.sampler is not None:  # fresh walks per step: one independent stream per worker
            self.sampler.reseed(seed * 64 + worker)
        order = torch.randperm(self.pairs.shape[0], generator=torch.Generator().manual_seed(seed))
        builder = BlockBuilder(self.num_items, self.num_layers)
        gen = torch.Generator().manual_seed(seed * 64 + worker + 1)
        for step in range(worker, self.num_steps, workers):
            pairs = self.pairs[order[step * self.config.batch_size : (step + 1) * self.config.batch_size]]
            q, p = pairs[:, 0], pairs[:, 1]
            neg = torch.randint(0, self.num_items, (self.config.num_negatives,), generator=gen)
            hard = torch.empty(q.numel(), 0, dtype=torch.long)
            if self.negative_sampler is not None:
                hard = torch.as_tensor(self.negative_sampler(q, p, self.epoch)).long()
                if hard.ndim != 2 or hard.shape[0] != q.numel():
                    raise ValueError(f"negative_sampler must return ({q.numel()}, H) ids, got {tuple(hard.shape)}")
            targets = torch.cat([q, p, neg, hard.reshape(-1)])
            exclude = torch.cat([pairs, pairs.flip(1)])  # a pair never sees each other: no leakage
            graph = builder.build(targets, self.neighbors, exclude)
            yield PairBatch(graph, q, p, neg.numel(), hard.shape[1])


def _loss(model: PinSage, features: Tensor, item: PairBatch, config: TrainConfig, loss_fn: Callable | None = None) -> Tensor:
    z = model(item.graph, features)[item.graph.target_index]
    b = item.queries.numel()
    zq, zp = z[:b], z[b : 2 * b]
    zn = z[2 * b : 2 * b + item.num_negatives]
    zh = z[2 * b + item.num_negatives :].view(b, item.num_hard, -1) if item.num_hard else None
    loss_fn = max_margin_loss if loss_fn is None else loss_fn
    return loss_fn(zq, zp, zn, zh, margin=config.margin, hard_weight=config.hard_weight)


def train_pinsage(
    model: PinSage,
    features: Tensor,
    sampler: RandomWalkSampler,
    train_pairs: Tensor,
    config: TrainConfig,
    negative_sampler: NegativeSampler | None = None,
    eval_fn: Callable[[PinSage, int], dict[str, float]] | None = None,
    progress: bool = True,
    neighbor_tables: Sequence[NeighborFn] | None = None,
    loss_fn: Callable[..., Tensor] | None = None,
) -> TrainHistory:
    """Train ``model`` on positive pairs with shared random negatives (+ optional hard negatives).

    Args:
        model: a :class:`PinSage`; its ``config.pooling`` picks the neighbourhoods (:func:`neighbor_fn`).
        features: ``(num_items, in_dim)`` item features.
        sampler: random walks over the TRAINING graph.
        train_pairs: ``(P, 2)`` (query, positive) item ids.
        config: :class:`TrainConfig`. With ``config.checkpoint`` set, model + optimiser + RNG state
            are saved after every epoch and training resumes from the file when it exists.
        negative_sampler: optional :data:`NegativeSampler` (notebook 03's hard negatives).
        eval_fn: called as ``eval_fn(model, epoch)`` after each epoch; its dict is stored.
        neighbor_tables: optional precomputed neighbourhood tables (e.g. shared by several models
            trained on the same graph); epoch ``e`` uses ``neighbor_tables[e % len]``. They must
            match the model's pooling (:func:`neighbor_fn`).
        loss_fn: replaces :func:`~lecturekit.recsys.pinsage.loss.max_margin_loss` (same signature:
            ``(query, positive, negatives, hard_negatives, margin=, hard_weight=)``).

    Returns: :class:`TrainHistory`.
    """
    train_pairs = torch.as_tensor(train_pairs).long()
    num_items = features.shape[0]
    if train_pairs.ndim != 2 or train_pairs.shape[1] != 2 or train_pairs.shape[0] == 0:
        raise ValueError(f"argument 'train_pairs' must be a non-empty (P, 2) tensor, got {tuple(train_pairs.shape)}")
    if int(train_pairs.min()) < 0 or int(train_pairs.max()) >= num_items:
        raise ValueError(f"argument 'train_pairs' has ids outside [0, {num_items})")
    if sampler.num_items != num_items:
        raise ValueError(f"sampler has {sampler.num_items} items but features has {num_items} rows")
    torch.manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    history, start_epoch = TrainHistory(), 0
    ckpt = Path(config.checkpoint) if config.checkpoint else None
    if ckpt is not None and ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        history, start_epoch = state["history"], state["epoch"] + 1
    sample = neighbor_fn(sampler, model.config.pooling)
    began = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        sampler.reseed(config.seed * 7919 + epoch)
        fresh = config.neighborhoods == "step" and not neighbor_tables
        if neighbor_tables:
            neighbors = neighbor_tables[epoch % len(neighbor_tables)]
        else:
            neighbors = sample if fresh else NeighborTable(sample, num_items)
        data = PairBatches(
            train_pairs, num_items, model.config.num_layers, neighbors, config, epoch, negative_sampler,
            sampler if fresh else None,
        )  # fmt: skip
        loader = DataLoader(data, batch_size=None, num_workers=config.num_workers, collate_fn=lambda x: x)
        model.train()
        losses = []
        for item in tqdm(loader, total=len(data), disable=not progress, desc=f"epoch {epoch + 1}", leave=False):
            loss = _loss(model, features, item, config, loss_fn)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        history.step_loss += losses
        history.epoch_loss.append(sum(losses) / max(len(losses), 1))
        if eval_fn is not None:
            model.eval()
            history.evaluations.append(eval_fn(model, epoch))
        if ckpt is not None:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "rng": torch.get_rng_state(), "history": history, "epoch": epoch}  # fmt: skip
            torch.save(state, ckpt)
    history.seconds += time.perf_counter() - began
    return history
