"""Tiny inputs shared by the device tests (a random 60-item, 20-user graph with its walker)."""

from __future__ import annotations

import torch

from lecturekit.recsys.pinsage import RandomWalkSampler


def tiny_pinsage_graph(seed: int) -> tuple[RandomWalkSampler, torch.Tensor, torch.Generator]:
    """``(sampler, features (60, 8), generator)`` drawn from ``seed``; the generator goes on for further draws."""
    gen = torch.Generator().manual_seed(seed)
    edges = torch.stack(
        [torch.randint(0, 60, (300,), generator=gen), torch.randint(0, 20, (300,), generator=gen)]
    )
    sampler = RandomWalkSampler(edges, 60, 20, num_walks=20, top_t=5, seed=0)
    return sampler, torch.randn(60, 8, generator=gen), gen
