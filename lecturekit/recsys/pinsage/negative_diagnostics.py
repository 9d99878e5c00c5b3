"""What hard negatives are, measured: band accuracy, the relation of items to a query in the pinboard world,
score distributions, and the small planted sibling world (notebook 03)."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.ppr import _is_int


def band_overlap(first: Tensor, second: Tensor) -> float:
    """Mean over queries of the share of ``first``'s band items (``-1`` = padding) also in ``second``'s band.

    How accurate a band is: two estimates of the same ranking should put the same pins in the band.
    """
    if first.shape[0] != second.shape[0]:
        raise ValueError(
            f"arguments 'first' and 'second' must hold the same queries, got {first.shape[0]} and {second.shape[0]} rows"
        )
    shares = []
    for a, b in zip(first, second, strict=True):
        a = a[a >= 0]
        if a.numel():
            shares.append(float(torch.isin(a, b[b >= 0]).float().mean()))
    return float(np.mean(shares)) if shares else float("nan")


# ---------------------------------------------------------------------- what the negatives look like
RELATIONS = ("same interest", "same category", "same topic", "look-alike", "unrelated")
"""Relation of an item to a query in the pinboard world (codes 0..4 of :func:`relation_to_query`)."""


def relation_to_query(
    pin_category: Tensor,
    category_topic: Tensor,
    lookalike: Tensor,
    queries: Tensor,
    items: Tensor,
    pin_interest: Tensor | None = None,
) -> Tensor:
    """``items.shape`` codes: 0 same interest as the query (only with ``pin_interest``), 1 same category
    (another interest), 2 same topic (other category), 3 the visual look-alike category, 4 unrelated.
    Arrays from a :class:`~lecturekit.data.pinboard.Pinboard` (``pin_category``, ``category_topic``,
    ``category_lookalike``, ``pin_cluster``). Used by notebook 03."""
    expand = items.ndim > queries.ndim
    qc = pin_category[queries].unsqueeze(-1) if expand else pin_category[queries]
    ic = pin_category[items]
    code = torch.full(items.shape, 4, dtype=torch.long)
    code = torch.where(ic == lookalike[qc], torch.full_like(code, 3), code)
    code = torch.where(category_topic[ic] == category_topic[qc], torch.full_like(code, 2), code)
    code = torch.where(ic == qc, torch.ones_like(code), code)
    if pin_interest is not None:
        qi = pin_interest[queries].unsqueeze(-1) if expand else pin_interest[queries]
        code = torch.where(pin_interest[items] == qi, torch.zeros_like(code), code)
    return code


def score_distributions(
    embeddings: Tensor, pairs: Tensor, hard: Tensor, num_random: int = 20, seed: int = 0
) -> dict[str, Tensor]:
    """Dot-product scores of each query with its positive, ``num_random`` uniform random items and
    its hard negatives ``hard`` (``(Q, H)``): the histogram that explains the gain (notebook 03)."""
    pairs = torch.as_tensor(pairs).long()
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"argument 'pairs' must be (Q, 2), got shape {tuple(pairs.shape)}")
    if hard.ndim != 2 or hard.shape[0] != pairs.shape[0]:
        raise ValueError(f"argument 'hard' must be ({pairs.shape[0]}, H), got shape {tuple(hard.shape)}")
    if not _is_int(num_random) or num_random < 1:
        raise ValueError(f"argument 'num_random' must be an int >= 1, got {num_random!r}")
    q, p = pairs[:, 0], pairs[:, 1]
    gen = torch.Generator().manual_seed(seed)
    rnd = torch.randint(0, embeddings.shape[0], (q.numel(), num_random), generator=gen)
    zq = embeddings[q]
    return {
        "positive": (zq * embeddings[p]).sum(1),
        "random negative": torch.einsum("qd,qkd->qk", zq, embeddings[rnd]).reshape(-1),
        "hard negative": torch.einsum("qd,qkd->qk", zq, embeddings[hard]).reshape(-1),
    }


def sibling_task(
    num_pairs: int = 10,
    group_size: int = 20,
    boards_per_group: int = 12,
    board_size: int = 6,
    cross_boards: int = 6,
    subtle: float = 0.25,
    seed: int = 0,
) -> RelatedItemTask:
    """A small planted world built so that hard negatives matter (unit test and notebook 03).

    Items come in ``2 * num_pairs`` groups of ``group_size``; groups ``2s`` and ``2s + 1`` are
    *siblings*. Features (16-d): ``prototype[sibling pair] + subtle * offset[group] + 0.3 noise``, so a
    sibling looks almost the same as a group-mate and only a subtle direction tells them apart.
    Boards: ``boards_per_group`` boards of ``board_size`` items of one group and ``cross_boards``
    boards mixing a group with its sibling, so personalised PageRank ranks siblings just below the
    group (the middle band). Positive pairs: consecutive items of a one-group board; the first board
    of every group is held out (its saves leave the graph) and gives the test pairs.
    Random negatives are almost never siblings (``1 / (2 num_pairs)`` of them), hard negatives mostly are.
    Bad sizes are a ``ValueError`` naming the argument.
    """
    for name, value, minimum in (
        ("num_pairs", num_pairs, 1),
        ("group_size", group_size, 2),
        ("boards_per_group", boards_per_group, 2),
        ("board_size", board_size, 2),
        ("cross_boards", cross_boards, 0),
        ("seed", seed, 0),
    ):
        if not _is_int(value) or value < minimum:
            raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
    if board_size > group_size:
        raise ValueError(f"argument 'board_size' ({board_size}) must not exceed 'group_size' ({group_size})")
    if not subtle >= 0:
        raise ValueError(f"argument 'subtle' must be >= 0, got {subtle!r}")
    g = torch.Generator().manual_seed(seed)
    groups, n = 2 * num_pairs, 2 * num_pairs * group_size
    group = torch.arange(n) // group_size
    prototype = torch.randn(num_pairs, 16, generator=g)
    offset = torch.randn(groups, 16, generator=g)
    features = prototype[group // 2] + subtle * offset[group] + 0.3 * torch.randn(n, 16, generator=g)
    items, boards, train, test, held_out = [], [], [], [], []
    board = 0
    for gr in range(groups):
        for j in range(boards_per_group + cross_boards):
            pool = group_size * gr + torch.randperm(group_size, generator=g)[:board_size]
            if j >= boards_per_group:
                half = board_size // 2
                pool[half:] = (
                    group_size * (gr ^ 1) + torch.randperm(group_size, generator=g)[: board_size - half]
                )
            else:
                seq = pool.tolist()
                (test if j == 0 else train).extend(zip(seq[:-1], seq[1:], strict=True))
            items.append(pool)
            boards.append(torch.full((board_size,), board))
            held_out.append(torch.full((board_size,), j == 0))
            board += 1
    edge_index = torch.stack([torch.cat(items), torch.cat(boards)])[:, ~torch.cat(held_out)]
    return RelatedItemTask(
        name="siblings",
        num_items=n,
        num_users=board,
        edge_index=edge_index,
        train_pairs=torch.tensor(train),
        test_pairs=torch.tensor(test),
        features={"combined": features},
        labels=group,
    )
