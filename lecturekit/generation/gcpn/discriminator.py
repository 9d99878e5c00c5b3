"""GCPN's adversarial reward (notebook 06): a GCN discriminator between dataset and generated states.

``D(s) = sigmoid(MLP(readout(RGCN(s))))`` is trained with binary cross-entropy to give 1 to
(partial or complete) molecules from expert trajectories of the data set and 0 to states the
policy generated. The adversarial reward of a state is ``w * (2 D(s) - 1)`` in ``[-w, w]``: the
trainer adds it with weight ``train.W_STEP`` to every step and ``train.W_FINAL`` to the final molecule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturekit.devices import module_device
from lecturekit.generation.gcpn.env import EnvConfig
from lecturekit.generation.gcpn.policy import Batch, DenseRGCN, graph_readout


class Discriminator(nn.Module):
    """Graph convolutional discriminator (same encoder family as the policy)."""

    def __init__(self, env_config: EnvConfig, hidden: int = 64, layers: int = 2) -> None:
        super().__init__()
        self.env_config = env_config
        self.encoder = DenseRGCN(env_config.num_types + 1, hidden, layers)
        self.head = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        for layer in self.head:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()

    def forward(self, batch: Batch) -> Tensor:
        """Logits (B,) of "looks like the data set" (on the device of the parameters; ``batch`` is moved there)."""
        batch = batch.to(module_device(self))
        h = self.encoder(batch.x, batch.adj, batch.node)
        return self.head(graph_readout(h, batch, self.env_config.max_atoms)).squeeze(-1)

    @torch.no_grad()
    def reward(self, batch: Batch) -> Tensor:
        """``2 D(s) - 1`` (B,), in [-1, 1]."""
        return 2.0 * torch.sigmoid(self(batch)) - 1.0


def discriminator_loss(disc: Discriminator, real: Batch, fake: Batch) -> Tensor:
    """Binary cross-entropy with real states labelled 1 and generated states 0."""
    real_logit, fake_logit = disc(real), disc(fake)
    return F.binary_cross_entropy_with_logits(
        real_logit, torch.ones_like(real_logit)
    ) + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit))
