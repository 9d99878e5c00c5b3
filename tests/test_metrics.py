"""Ranking metrics against hand-computed cases."""

import math

import pytest
import torch

from lecturekit.recsys.metrics import (
    hit_rate,
    mrr,
    ndcg_at_k,
    rank_of_targets,
    recall_at_k,
    scaled_mrr,
    top_k_items,
)


def test_rank_of_targets_masks_seen_items_but_never_the_target():
    scores = torch.tensor([[0.9, 0.1, 0.5, 0.3], [0.2, 0.8, 0.4, 0.6]])
    targets = torch.tensor([2, 0])
    # User 0 saw item 0 (masked: target moves to rank 1); user 1 lists its own target as seen.
    ranks = rank_of_targets(scores, targets, exclude=[torch.tensor([0]), torch.tensor([0, 1])])
    assert ranks.tolist() == [1, 3]
    assert rank_of_targets(scores, targets).tolist() == [2, 4]


def test_ties_do_not_favour_the_target_and_agree_with_top_k():
    scores = torch.zeros(200, 50)
    targets = torch.arange(200) % 50
    ranks = rank_of_targets(scores, targets)
    # A constant scorer spreads targets over all ranks, mean near the middle (25.5).
    assert 20 < ranks.double().mean() < 31
    top = top_k_items(scores, 10)
    hits_from_top = (top == targets[:, None]).any(1).double().mean().item()
    assert hits_from_top == pytest.approx(hit_rate(ranks, 10))


def test_hit_ndcg_mrr_by_hand():
    ranks = torch.tensor([1, 3, 12])
    assert hit_rate(ranks, 10) == pytest.approx(2 / 3)
    assert hit_rate(ranks, 1) == pytest.approx(1 / 3)
    assert ndcg_at_k(ranks, 10) == pytest.approx((1 + 1 / math.log2(4) + 0) / 3)
    assert mrr(ranks) == pytest.approx((1 + 1 / 3 + 1 / 12) / 3)


def test_scaled_mrr_buckets_ranks():
    ranks = torch.tensor([1, 100, 101, 250])
    # ceil(r / 100) = 1, 1, 2, 3
    assert scaled_mrr(ranks, 100) == pytest.approx((1 + 1 + 1 / 2 + 1 / 3) / 4)
    assert scaled_mrr(ranks, 1) == pytest.approx(mrr(ranks))


def test_recall_at_k_with_several_targets():
    top = torch.tensor([[1, 2, 3], [4, 5, 6]])
    targets = [torch.tensor([2, 9]), torch.tensor([4, 5, 6, 7])]
    assert recall_at_k(top, targets) == pytest.approx((1 / 2 + 3 / 4) / 2)
    assert recall_at_k(top, targets, k=1) == pytest.approx((0 + 1 / 4) / 2)


def test_top_k_masks_excluded_items():
    scores = torch.tensor([[5.0, 4.0, 3.0, 2.0]])
    assert top_k_items(scores, 2, exclude=[torch.tensor([0])]).tolist() == [[1, 2]]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: hit_rate(torch.tensor([0, 1]), 10), "1-based"),
        (lambda: hit_rate(torch.tensor([], dtype=torch.long), 10), "empty"),
        (lambda: hit_rate(torch.tensor([1]), 0), "'k'"),
        (lambda: scaled_mrr(torch.tensor([1]), 0), "'scale'"),
        (lambda: rank_of_targets(torch.zeros(2, 3), torch.tensor([0, 3])), "'targets'"),
        (lambda: rank_of_targets(torch.zeros(3), torch.tensor([0])), "'scores'"),
        (lambda: rank_of_targets(torch.zeros(2, 3), torch.tensor([0, 1]), exclude=[[]]), "'exclude'"),
        (lambda: hit_rate(torch.tensor([1, 2]), -3), "'k'"),
        (lambda: hit_rate(torch.tensor([1, 2]), True), "'k'"),  # a bool is not a cut-off
        (lambda: hit_rate(torch.tensor([1, 2]), 2.0), "'k'"),
        (lambda: ndcg_at_k(torch.tensor([1, 2]), 0), "'k'"),
        (lambda: hit_rate(torch.tensor([1.0, float("nan")]), 10), "finite"),  # NaN passes 'rank >= 1' checks
        (lambda: mrr(torch.tensor([1.5, 2.0])), "whole"),
        (lambda: scaled_mrr(torch.tensor([1]), float("nan")), "'scale'"),
        (lambda: top_k_items(torch.zeros(2, 3), 0), "'k'"),
        (lambda: top_k_items(torch.zeros(2, 3), 4), "only 3 items"),  # a shorter list would shrink recall
        (lambda: recall_at_k(torch.tensor([[1, 2]]), [torch.tensor([1])], k=3), "only 2 items"),
        (lambda: recall_at_k(torch.tensor([[1, 2]]), [torch.tensor([], dtype=torch.long)]), "no targets"),
        (
            lambda: rank_of_targets(torch.zeros(1, 3), torch.tensor([0]), exclude=[torch.tensor([-1])]),
            "row 0",
        ),
        (lambda: top_k_items(torch.zeros(1, 3), 1, exclude=[torch.tensor([3])]), "outside"),
        (lambda: top_k_items(torch.zeros(1, 3), 1, exclude=[[], []]), "'exclude'"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_nan_scores_are_refused_not_ranked_first():
    # NaN compares false with every score: without the check its target would get rank 1.
    scores = torch.tensor([[0.5, 0.2, 0.1], [0.3, float("nan"), 0.2]])
    with pytest.raises(ValueError, match=r"'scores' holds NaN \(first in query row 1\)"):
        rank_of_targets(scores, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="NaN"):
        top_k_items(scores, 2)
    # -inf (how callers mask items) stays allowed.
    scores[1, 1] = float("-inf")
    assert rank_of_targets(scores, torch.tensor([0, 1])).tolist() == [1, 3]
