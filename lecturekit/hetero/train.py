"""The training loop shared by Decagon and the learned baselines of notebook 04.

Per step: embed all nodes, score a batch of positive drug-drug triples and one degree^0.75 negative per
positive (:class:`~lecturekit.hetero.negatives.DegreeNegativeSampler`), cross-entropy (or max-margin) loss,
plus the model's auxiliary loss if it has one. Two batch modes:

* ``full``: one step per epoch on all training triples (fast on CPU for the planted graphs);
* ``edge-type``: the paper's minibatches -- each batch holds ``batch_size`` triples of a *single* side effect,
  batches of all side effects shuffled together; the encoder runs once per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from lecturekit.hetero.model import binary_cross_entropy, max_margin
from lecturekit.hetero.negatives import DegreeNegativeSampler
from lecturekit.hetero.split import Triples


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser and loop settings (the notebook's sizes live in :mod:`lecturekit.hetero.experiment`).

    The random stream (negatives, edge-type batches, auxiliary samples) is not a setting: the caller passes
    a ``torch.Generator`` to :func:`train_link_predictor`, so one config serves every seed.
    """

    epochs: int = 100  # full-batch epochs: the planted worlds' loss has flattened by then
    lr: float = 0.01  # Adam, the authors' code default
    weight_decay: float = 0.0
    loss: str = "xent"  # or "margin"
    margin: float = 0.1  # max-margin loss only (the authors' code default)
    batch_mode: str = "full"  # or "edge-type"
    batch_size: int = 512  # edge-type mode only (the authors' code default)
    neg_power: float = 0.75  # negatives ~ deg^0.75 (the paper, after word2vec)
    chunk_size: int | None = None  # score the decoder in chunks of this many triples (memory), same gradient
    progress: bool = False


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
) -> list[dict[str, Any]]:
    """Train ``model`` (``embed``/``score``[/``auxiliary_loss``]) on ``train``; returns per-epoch loss history.

    ``generator`` drives every draw of the loop (negatives, batch order, auxiliary edges); dropout draws
    from torch's global generator, which the caller seeds (``run_seed`` runs inside
    :func:`lecturekit.experiment.seeded`). Negatives never hit a training positive.
    Used by ``notebooks/04_decagon.ipynb``.
    """
    if config.loss not in ("xent", "margin"):
        raise ValueError(f"TrainConfig.loss must be 'xent' or 'margin', got {config.loss!r}")
    if config.batch_mode not in ("full", "edge-type"):
        raise ValueError(f"TrainConfig.batch_mode must be 'full' or 'edge-type', got {config.batch_mode!r}")
    if not isinstance(config.epochs, int) or config.epochs < 1:
        raise ValueError(f"TrainConfig.epochs must be a positive int, got {config.epochs!r}")
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"argument 'generator' must be a torch.Generator, got {type(generator).__name__}")
    if len(train) == 0:
        raise ValueError("argument 'train' holds no triples: nothing to train on")
    train.check_range(num_drugs, num_relations, "train")
    sampler = DegreeNegativeSampler(train, num_drugs, num_relations, power=config.neg_power)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True
    )
    history: list[dict[str, Any]] = []
    model.train()
    for epoch in tqdm(range(config.epochs), desc="epochs", disable=not config.progress, leave=False):
        if config.batch_mode == "full":
            batches = [torch.arange(len(train))]
        else:
            batches = edge_type_batches(train, config.batch_size, generator)
        total = 0.0
        for index in batches:
            pos = train.subset(index)
            neg = sampler.corrupt(pos, generator)
            optimizer.zero_grad()
            z = model.embed()
            if config.chunk_size is None or len(pos) <= config.chunk_size:
                loss = _pair_loss(model, z, pos, neg, config)
                if hasattr(model, "auxiliary_loss"):
                    loss = loss + model.auxiliary_loss(z, generator)
                loss.backward()
            else:
                loss = _chunked_backward(model, z, pos, neg, config, generator)
            optimizer.step()
            total += float(loss.detach()) * len(index)
        history.append({"epoch": epoch, "loss": total / max(len(train), 1)})
    model.eval()
    return history


def _pair_loss(model: nn.Module, z: dict[str, torch.Tensor], pos: Triples, neg: Triples, config: TrainConfig):
    s_pos, s_neg = model.score(z, pos), model.score(z, neg)
    if config.loss == "xent":
        return binary_cross_entropy(s_pos, s_neg)
    return max_margin(s_pos, s_neg, config.margin)


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
    total = torch.zeros(())
    n, chunk = len(pos), int(config.chunk_size or len(pos))
    for start in range(0, n, chunk):
        index = torch.arange(start, min(start + chunk, n))
        part = _pair_loss(model, leaves, pos.subset(index), neg.subset(index), config) * (len(index) / n)
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
