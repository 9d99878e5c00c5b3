"""Matrix factorisation trained with Bayesian Personalised Ranking (Rendle et al., UAI 2009).

Score ``x_ui = p_u · q_i + b_i``. BPR maximises ``ln σ(x_ui − x_uj)`` for observed item i and an
unobserved item j of the same user, i.e. it learns to *rank*, not to regress ratings. Used by
notebook 01 as the learned-embedding baseline.

Devices: :func:`train_bpr` trains on ``device`` (``"cpu"`` default, ``"cuda"``, ``"auto"``) and returns
the model there (as :func:`~lecturekit.recsys.pinsage.train.train_pinsage` does); all random draws stay
on the caller's CPU generator, so a CUDA run draws the same. :meth:`MatrixFactorization.score_users`
takes user ids on any device and returns CPU scores, so evaluation code is the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from lecturekit.devices import resolve_device

WEIGHT_DECAY = 1e-5  # L2 on the embeddings used in a step, as in the BPR paper; no study tunes or varies it


@dataclass(frozen=True)
class BPRConfig:
    """BPR-MF training settings (frozen: a run cannot change them behind the notebook's back)."""

    dim: int = 64
    epochs: int = 60
    batch_size: int = 2048
    lr: float = 5e-3

    def __post_init__(self) -> None:
        for name, minimum in (("dim", 1), ("batch_size", 1), ("epochs", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"BPRConfig.{name} must be an int >= {minimum}, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"BPRConfig.lr must be positive, got {self.lr!r}")


class MatrixFactorization(nn.Module):
    """``x_ui = p_u · q_i + b_i`` with ``p_u, q_i ∈ R^dim``.

    Shapes: ``forward(users [B], items [B]) -> [B]``.
    """

    def __init__(
        self, num_users: int, num_items: int, dim: int, generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        self.user = nn.Embedding(num_users, dim)
        self.item = nn.Embedding(num_items, dim)
        self.item_bias = nn.Embedding(num_items, 1)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """N(0, 0.1²) embeddings, zero biases; drawn from ``generator`` (torch's global one if None)."""
        nn.init.normal_(self.user.weight, std=0.1, generator=generator)
        nn.init.normal_(self.item.weight, std=0.1, generator=generator)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, users: Tensor, items: Tensor) -> Tensor:
        return (self.user(users) * self.item(items)).sum(-1) + self.item_bias(items).squeeze(-1)

    @torch.no_grad()
    def score_users(self, users: Tensor) -> Tensor:
        """``[len(users), num_items]`` scores for every item, on the CPU (computed on the model's device;
        ``users`` may sit anywhere)."""
        users = torch.as_tensor(users).to(self.user.weight.device)
        return (self.user(users) @ self.item.weight.T + self.item_bias.weight.T).cpu()


def bpr_loss(positive_scores: Tensor, negative_scores: Tensor) -> Tensor:
    """``mean(−ln σ(x_ui − x_uj))``, computed stably as softplus of the negated difference."""
    return F.softplus(negative_scores - positive_scores).mean()


def sample_negatives(users: Tensor, interactions: Tensor, generator: torch.Generator) -> Tensor:
    """One uniformly drawn item per user that the user has *not* interacted with (rejection sampling).

    A user who interacted with every item has no negative: that is an error naming the user
    (rejection sampling would otherwise loop forever).
    """
    num_items = interactions.shape[1]
    full = interactions.gt(0).sum(1)[users] == num_items  # counts per user first: no [B, N] gather
    if bool(full.any()):
        raise ValueError(
            f"user {int(users[full][0])} interacted with all {num_items} items: no negative to sample"
        )
    negatives = torch.randint(num_items, users.shape, generator=generator)
    clash = interactions[users, negatives] > 0
    while bool(clash.any()):
        negatives[clash] = torch.randint(num_items, (int(clash.sum()),), generator=generator)
        clash = interactions[users, negatives] > 0
    return negatives


def train_bpr(
    users: Tensor,
    items: Tensor,
    interactions: Tensor,
    config: BPRConfig,
    generator: torch.Generator,
    progress: bool = True,
    *,
    device: str | torch.device = "cpu",
) -> tuple[MatrixFactorization, list[float]]:
    """Train BPR-MF on the observed (user, item) pairs; returns the model and the loss per epoch.

    Args:
        users, items: ``[E]`` training interactions (CPU tensors).
        interactions: ``[U, N]`` binary matrix of the same interactions (for negative sampling; CPU).
        generator: the run's own random stream (a CPU ``torch.Generator``); initialisation, batch
            order and negatives all draw from it, so the result depends on it alone (it is used,
            never reseeded).
        device: where the model trains: ``"cpu"`` (default), ``"cuda"`` or ``"auto"`` (CUDA when
            available). The weights are initialised on the CPU and moved there; each step's batch
            order and negatives are drawn on the CPU (negative sampling reads ``interactions``) and
            the step's ids copied over. The model is returned on ``device``
            (:meth:`MatrixFactorization.score_users` returns CPU scores wherever it is).
    """
    dev = resolve_device(device)
    if len(users) == 0 or len(users) != len(items):
        raise ValueError(
            f"arguments 'users' and 'items' must be non-empty and of one length, got {len(users)}, {len(items)}"
        )
    model = MatrixFactorization(interactions.shape[0], interactions.shape[1], config.dim, generator).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: list[float] = []
    for _ in tqdm(range(config.epochs), desc="BPR-MF epochs", disable=not progress):
        order = torch.randperm(len(users), generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            u, i = users[batch], items[batch]
            j = sample_negatives(u, interactions, generator)
            u, i, j = u.to(dev), i.to(dev), j.to(dev)
            loss = bpr_loss(model(u, i), model(u, j))
            regulariser = (
                WEIGHT_DECAY
                * (model.user(u).pow(2).sum() + model.item(i).pow(2).sum() + model.item(j).pow(2).sum())
                / len(batch)
            )
            optimizer.zero_grad()
            (loss + regulariser).backward()
            optimizer.step()
            total += loss.item() * len(batch)
        history.append(total / len(order))
    return model, history
