"""The paper's *Combined* baseline: a 2-layer MLP on the concatenated content features (notebook 02).

Ying et al. (2018), Section 4: the combined-embeddings baseline concatenates the visual and
annotation embeddings and computes an embedding from them with a two-layer perceptron trained on
the same data and with the same loss as PinSage. It sees no graph at all, so it is "the best that
content alone can do once it learns from the pairs", the baseline PinSage's graph has to beat. It
gets PinSage's residual feature path and initialisation too (:func:`~lecturekit.recsys.pinsage.model.init_feature_isometry`:
``R`` an isometry of the features, ``W2`` zero), so the two models differ by the graph alone and
both start as nearest neighbours on the features:

    z = normalise(W2 ReLU(W1 x + b1) + b2 + R x)

trained with PinSage's loss (``ContentMLPTraining.loss``: the in-batch sampled softmax of notebook 02,
or :func:`~lecturekit.recsys.pinsage.loss.max_margin_loss` with shared uniform random negatives) on the
training pairs, for the same number of steps, batch size, negatives and learning rate, and stopped at
the best validation epoch.

Devices: :func:`train_content_mlp` and :func:`content_embeddings` take ``device`` (``"cpu"`` default,
``"cuda"``, ``"auto"``). The weights are initialised and every random draw made on the CPU, so a CUDA
run draws the same; the model is left on ``device`` (as PinSage's trainer leaves it) and the
embeddings come back on the CPU.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.devices import resolve_device
from lecturekit.recsys.pinsage.loss import in_batch_softmax_loss, max_margin_loss
from lecturekit.recsys.pinsage.model import init_feature_isometry


class ContentMLP(nn.Module):
    """``z = normalise(W2 ReLU(W1 x + b1) + b2 + R x)``: a content-only item embedding.

    Args:
        in_dim: feature dimension of ``x``.
        hidden_dim: width of the hidden layer.
        out_dim: embedding dimension.

    Shapes: ``x (N, in_dim) -> z (N, out_dim)``, rows of unit length. Untrained, ``z`` is ``x``
    up to a rotation (when ``out_dim >= in_dim``): its cosine ranking is the features'.
    """

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int) -> None:
        super().__init__()
        self.lin1 = nn.Linear(in_dim, hidden_dim)
        self.lin2 = nn.Linear(hidden_dim, out_dim)
        self.R = nn.Linear(in_dim, out_dim, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()
        self.R.reset_parameters()
        init_feature_isometry(self.R, self.R.in_features, self.lin2)

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.lin2(F.relu(self.lin1(x))) + self.R(x), dim=1)


@dataclass(frozen=True)
class ContentMLPTraining:
    """The budget, matched to the GNNs' (:class:`~lecturekit.studies.pinsage_runner.GNNSettings`)."""

    epochs: int
    steps_per_epoch: int
    batch_size: int
    num_negatives: int
    margin: float
    lr: float
    hidden_dim: int
    loss: str = "margin"  # or "softmax": the GNNs' in-batch sampled softmax (same loss as PinSage)
    temperature: float = 0.1

    def __post_init__(self) -> None:
        for name in ("epochs", "steps_per_epoch", "batch_size", "num_negatives", "hidden_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"ContentMLPTraining.{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.lr > 0:
            raise ValueError(f"ContentMLPTraining.lr must be > 0, got {self.lr!r}")
        if self.loss not in ("margin", "softmax"):
            raise ValueError(f"ContentMLPTraining.loss must be 'margin' or 'softmax', got {self.loss!r}")


def train_content_mlp(
    features: Tensor,
    train_pairs: Tensor,
    training: ContentMLPTraining,
    seed: int,
    validate: Callable[[Tensor], float] | None = None,
    *,
    device: str | torch.device = "cpu",
) -> tuple[ContentMLP, list[float]]:
    """Train the combined baseline (notebook 02); returns the model and the validation score per epoch.

    Args:
        features: ``(num_items, d)`` content features (the GNNs' input without the degree column).
        train_pairs: ``(P, 2)`` positive (query, related) pairs of the training split.
        training: the budget (the GNNs' epochs, steps, batch, negatives, margin and learning rate).
        seed: weights, pair order and negatives depend on it alone.
        validate: ``embeddings (num_items, out_dim) -> score`` on the validation split; with it the
            weights of the best epoch are returned (early stopping, as the GNN budget is chosen).
            It is given CPU embeddings (:func:`content_embeddings`), whatever ``device``.
        device: where the model trains: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when
            available). Weights are initialised on the CPU and moved there, the features copied there
            once; pairs and negatives are drawn on the CPU and each step's ids copied over. The model
            is returned on ``device``.
    """
    dev = resolve_device(device)
    if features.ndim != 2:
        raise ValueError(f"argument 'features' must be (num_items, d), got {tuple(features.shape)}")
    if train_pairs.ndim != 2 or train_pairs.shape[1] != 2 or len(train_pairs) == 0:
        raise ValueError(
            f"argument 'train_pairs' must be a non-empty (P, 2) tensor, got {tuple(train_pairs.shape)}"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = ContentMLP(features.shape[1], training.hidden_dim, training.hidden_dim)
    model.to(dev)
    x = features.to(dev)
    gen = torch.Generator().manual_seed(seed * 1_000_003 + 17)
    opt = torch.optim.Adam(model.parameters(), lr=training.lr)
    scores: list[float] = []
    best_state, best = copy.deepcopy(model.state_dict()), -float("inf")
    num_items = features.shape[0]
    for _ in range(training.epochs):
        model.train()
        for _ in range(training.steps_per_epoch):
            pick = torch.randint(0, len(train_pairs), (training.batch_size,), generator=gen)
            neg = torch.randint(0, num_items, (training.num_negatives,), generator=gen)
            q, p = train_pairs[pick, 0], train_pairs[pick, 1]
            z = model(x[torch.cat([q, p, neg]).to(dev)])
            b = len(q)
            if training.loss == "softmax":
                loss = in_batch_softmax_loss(
                    z[:b], z[b : 2 * b], z[2 * b :], temperature=training.temperature
                )
            else:
                loss = max_margin_loss(z[:b], z[b : 2 * b], z[2 * b :], margin=training.margin)
            opt.zero_grad()
            loss.backward()
            opt.step()
        if validate is not None:
            score = float(validate(content_embeddings(model, x, device=dev)))
            scores.append(score)
            if score > best:
                best, best_state = score, copy.deepcopy(model.state_dict())
    if validate is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, scores


@torch.no_grad()
def content_embeddings(model: ContentMLP, features: Tensor, *, device: str | torch.device = "cpu") -> Tensor:
    """``(num_items, out_dim)`` embeddings of every item (no graph: new pins need nothing else), on the CPU.

    ``device``: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when available); the model is put in
    eval mode and moved there (as :func:`~lecturekit.recsys.pinsage.inference.layerwise_embeddings` does),
    the features copied there.
    """
    dev = resolve_device(device)
    model.eval()
    model.to(dev)
    return model(features.to(dev)).cpu()
