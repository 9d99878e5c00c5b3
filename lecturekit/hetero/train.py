"""The training loop shared by Decagon and the learned baselines of notebook 04.

Per step: embed all nodes, score a batch of positive drug-drug triples and one degree^0.75 negative per
positive (:class:`~lecturekit.hetero.negatives.DegreeNegativeSampler`), the cross-entropy loss,
plus the model's auxiliary loss if it has one. Two batch modes:

* ``full``: one step per epoch on all training triples (fast on CPU for the planted graphs);
* ``edge-type``: the paper's minibatches -- each batch holds ``batch_size`` triples of a *single* side effect,
  batches of all side effects shuffled together; the encoder runs once per batch.

Early stopping (every model of notebook 04 alike): every ``eval_every`` epochs the model scores the validation
triples against fixed validation negatives; the parameters of the best mean validation AUROC are restored at
the end, and training stops after ``patience`` evaluations without improvement. ``epochs`` is the budget.

Devices: the model trains on ``device``; the triples, the negative sampler and every random draw stay on the
CPU (one CPU ``torch.Generator``), and each batch's positives and negatives are copied to the device after
they are drawn, so a GPU run draws the same batches and negatives as a CPU run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from lecturekit.devices import check_cpu_generator, resolve_device
from lecturekit.hetero.evaluate import mean_auroc, model_scorer
from lecturekit.hetero.model import binary_cross_entropy
from lecturekit.hetero.negatives import DegreeNegativeSampler
from lecturekit.hetero.split import Triples

NEG_POWER = 0.75  # negatives ~ deg^0.75 (the paper, after word2vec); no study varies it


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and loop settings (the notebook's sizes live in :mod:`lecturekit.studies.nb04_decagon`).

    The random stream (negatives, edge-type batches, auxiliary samples) is not a setting: the caller passes
    a ``torch.Generator`` to :func:`train_link_predictor`, so one config serves every seed.
    """

    epochs: int = 100  # the budget of full-batch epochs (early stopping usually ends sooner)
    lr: float = 0.01  # Adam, the authors' code default
    weight_decay: float = 0.0
    batch_mode: str = "full"  # or "edge-type"
    batch_size: int = 512  # edge-type mode only (the authors' code default)
    chunk_size: int | None = None  # score the decoder in chunks of this many triples (memory), same gradient
    eval_every: int = 5  # epochs between validation checks (early stopping)
    patience: int = 4  # validation checks without improvement before stopping


@dataclass
class TrainLog:
    """What :func:`train_link_predictor` did: losses, validation AUROC per check, the epoch kept."""

    loss: list[float] = field(default_factory=list)
    val_auroc: list[tuple[int, float]] = field(default_factory=list)  # (epoch, mean AUROC over side effects)
    best_epoch: int = -1  # the epoch whose parameters were kept (-1: the last, no validation given)
    epochs_run: int = 0
    drawn: torch.Tensor | None = None  # per ``watch`` triple: ever drawn as a training negative

    @property
    def best_val_auroc(self) -> float:
        return max((v for _, v in self.val_auroc), default=float("nan"))


def edge_type_batches(edges: Triples, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """Index batches each drawn from one relation, in shuffled order (the paper's minibatches)."""
    perm = torch.randperm(len(edges), generator=generator)
    order = perm[torch.argsort(edges.rel[perm], stable=True)]
    counts = torch.bincount(edges.rel).tolist()
    batches, start = [], 0
    for count in counts:
        for b in range(0, count, batch_size):
            batches.append(order[start + b : start + min(b + batch_size, count)])
        start += count
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[k] for k in shuffle]


def train_link_predictor(
    model: nn.Module,
    train: Triples,
    num_drugs: int,
    num_relations: int,
    config: TrainConfig,
    generator: torch.Generator,
    val: Triples | None = None,
    val_negatives: Triples | None = None,
    watch: Triples | None = None,
    *,
    device: str | torch.device = "cpu",
) -> TrainLog:
    """Train ``model`` (``embed``/``score``[/``auxiliary_loss``]) on ``train``; returns its :class:`TrainLog`.

    ``generator`` drives every draw of the loop (negatives, batch order, auxiliary edges); dropout draws
    from torch's global generator, which the caller seeds (``run_seed`` runs inside
    :func:`lecturekit.seed.seeded`). Training negatives are drawn from ``train`` alone (never a training
    positive; held-out labels are not consulted). ``val``/``val_negatives``: early stopping (module
    docstring). ``watch``: held-out triples to *monitor* (never used for training): ``TrainLog.drawn`` says
    which were drawn as training negatives. Used by ``notebooks/04_decagon.ipynb``.

    ``device``: ``"cpu"`` (default), ``"cuda"`` (``"cuda:N"``) or ``"auto"`` (CUDA when available, else the
    CPU); a CUDA device this machine lacks is refused before any work. The model is moved there and *stays
    there* (the restored best parameters included): score it with
    :func:`~lecturekit.hetero.evaluate.model_scorer`, which moves the triples to the model's device and
    returns scores on the CPU. The inputs (``train``, ``val``, ...), the negative sampler and all draws of
    ``generator`` (a CPU generator) stay on the CPU; each batch is copied to the device once drawn, so the
    draws do not depend on the device. ``TrainLog.drawn`` is on the CPU.
    """
    dev = resolve_device(device)
    if config.batch_mode not in ("full", "edge-type"):
        raise ValueError(f"TrainConfig.batch_mode must be 'full' or 'edge-type', got {config.batch_mode!r}")
    if not isinstance(config.epochs, int) or config.epochs < 1:
        raise ValueError(f"TrainConfig.epochs must be a positive int, got {config.epochs!r}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"argument 'generator' must be a torch.Generator, got {type(generator).__name__}")
    if len(train) == 0:
        raise ValueError("argument 'train' holds no triples: nothing to train on")
    if (val is None) != (val_negatives is None):
        raise ValueError("arguments 'val' and 'val_negatives' go together: pass both or neither")
    if not isinstance(config.eval_every, int) or config.eval_every < 1 or config.patience < 1:
        raise ValueError(
            f"TrainConfig.eval_every ({config.eval_every}) and .patience ({config.patience}) must be >= 1"
        )
    check_cpu_generator(generator)
    cpu = torch.device("cpu")  # the sampler's tables and the draws live here (no copy for CPU inputs)
    train = train.to(cpu)
    val, val_negatives, watch = (t.to(cpu) if t is not None else None for t in (val, val_negatives, watch))
    train.check_range(num_drugs, num_relations, "train")
    model.to(dev)
    sampler = DegreeNegativeSampler(train, num_drugs, num_relations, power=NEG_POWER)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True
    )
    log = TrainLog()
    watch_keys = torch.sort(watch.keys(num_drugs)).values if watch is not None else None
    drawn = torch.zeros(len(watch_keys), dtype=torch.bool) if watch_keys is not None else None
    best_state: dict[str, Any] | None = None
    checks_without_gain = 0
    model.train()
    for epoch in range(config.epochs):
        if config.batch_mode == "full":
            batches = [torch.arange(len(train))]
        else:
            batches = edge_type_batches(train, config.batch_size, generator)
        total = 0.0
        for index in batches:
            pos = train.subset(index)
            neg = sampler.corrupt(pos, generator)
            if watch_keys is not None and len(watch_keys):
                keys = neg.keys(num_drugs)
                at = torch.searchsorted(watch_keys, keys).clamp(max=len(watch_keys) - 1)
                drawn[at[watch_keys[at] == keys]] = True
            pos, neg = pos.to(dev), neg.to(dev)  # drawn on the CPU; no copy when dev is the CPU
            optimizer.zero_grad()
            z = model.embed()
            if config.chunk_size is None or len(pos) <= config.chunk_size:
                loss = _pair_loss(model, z, pos, neg)
                if hasattr(model, "auxiliary_loss"):
                    loss = loss + model.auxiliary_loss(z, generator)
                loss.backward()
            else:
                loss = _chunked_backward(model, z, pos, neg, config, generator)
            optimizer.step()
            total += float(loss.detach()) * len(index)
        log.loss.append(total / max(len(train), 1))
        log.epochs_run = epoch + 1
        if val is not None and ((epoch + 1) % config.eval_every == 0 or epoch + 1 == config.epochs):
            scorer = model_scorer(model)  # scores come back on the CPU
            auroc = mean_auroc(
                scorer(val).double().numpy(),
                scorer(val_negatives).double().numpy(),
                val.rel.numpy(),
                val_negatives.rel.numpy(),
                num_relations,
            )
            model.train()
            if not log.val_auroc or auroc > log.best_val_auroc:
                best_state, log.best_epoch, checks_without_gain = copy.deepcopy(model.state_dict()), epoch, 0
            else:
                checks_without_gain += 1
            log.val_auroc.append((epoch, auroc))
            if checks_without_gain >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    log.drawn = drawn
    return log


def _pair_loss(model: nn.Module, z: dict[str, torch.Tensor], pos: Triples, neg: Triples) -> torch.Tensor:
    return binary_cross_entropy(model.score(z, pos), model.score(z, neg))


def _chunked_backward(
    model: nn.Module,
    z: dict[str, torch.Tensor],
    pos: Triples,
    neg: Triples,
    config: TrainConfig,
    generator: torch.Generator,
) -> torch.Tensor:
    """Same gradient as one full-batch backward, with the decoder evaluated chunk by chunk.

    The embeddings are detached into leaves; each chunk's loss (weighted by its share of the batch, since
    the loss is a mean) is backpropagated into them and into the decoder; finally ``sum(z * dL/dz)`` (plus the
    auxiliary loss) is backpropagated once through the encoder. Peak memory: one chunk of decoder activations.
    """
    leaves = {t: v.detach().requires_grad_() for t, v in z.items()}
    total = torch.zeros((), device=pos.device)
    n, chunk = len(pos), int(config.chunk_size or len(pos))
    for start in range(0, n, chunk):
        index = torch.arange(start, min(start + chunk, n), device=pos.device)
        part = _pair_loss(model, leaves, pos.subset(index), neg.subset(index)) * (len(index) / n)
        part.backward()
        total = total + part.detach()
    surrogate = sum((z[t] * leaves[t].grad).sum() for t in z if leaves[t].grad is not None)
    if hasattr(model, "auxiliary_loss"):
        aux = model.auxiliary_loss(z, generator)
        surrogate = surrogate + aux
        total = total + aux.detach()
    if isinstance(surrogate, torch.Tensor) and surrogate.requires_grad:
        surrogate.backward()
    return total
