"""Tests of issue 12's hard negatives: personalised PageRank by power iteration, sparse top-k,
bands relative to the relevance set, their accuracy measure and the pooled max-margin loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit.recsys.pinsage.loss import max_margin_loss
from lecturekit.recsys.pinsage.negative_diagnostics import band_overlap
from lecturekit.recsys.pinsage.negatives import HardNegativeConfig, HardNegativeSampler, check_relative_band
from lecturekit.recsys.pinsage.ppr import PersonalizedPageRank, relevance_sizes, top_ranked

torch.set_num_threads(1)

# items 0..5, boards 0..3: board 0 = {0, 1, 2}, board 1 = {2, 3}, board 2 = {3, 4}, board 3 = {0, 1, 2, 3, 4} (a hub)
EDGES = torch.tensor([[0, 1, 2, 2, 3, 3, 4, 0, 1, 2, 3, 4], [0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3]])
NUM_ITEMS, NUM_BOARDS = 6, 4


def _exact_ppr(edges: torch.Tensor, restart: float, keep_boards: list[int]) -> np.ndarray:
    a = np.zeros((NUM_ITEMS, NUM_BOARDS))
    for i, u in edges.T.tolist():
        if u in keep_boards:
            a[i, u] += 1
    to_board = a / np.maximum(a.sum(1, keepdims=True), 1)
    to_item = (a / np.maximum(a.sum(0, keepdims=True), 1)).T
    p = to_board @ to_item  # item -> item, one traversal
    return restart * np.linalg.inv(np.eye(NUM_ITEMS) - (1 - restart) * p)  # row q: pi_q


def test_power_iteration_converges_to_the_exact_personalised_pagerank() -> None:
    ppr = PersonalizedPageRank(EDGES, NUM_ITEMS, NUM_BOARDS, restart_prob=0.3, num_iterations=80, batch=2)
    queries = torch.tensor([0, 3, 4, 5])
    exact = _exact_ppr(EDGES, 0.3, [0, 1, 2, 3])[queries.numpy()]
    assert np.allclose(ppr.scores(queries), exact, atol=1e-5)  # batches of 2 columns: same answer
    few = ppr.scores(queries, num_iterations=2)
    # two traversals: the mass found is r (1 + (1 - r) + (1 - r)^2), the rest is still walking
    assert few[:3].sum(1) == pytest.approx([0.3 * (1 + 0.7 + 0.49)] * 3, rel=1e-5)
    assert few[3, 5] == pytest.approx(0.3) and few[3].sum() == pytest.approx(
        0.3
    )  # isolated item 5: restart only


def test_hub_boards_are_pruned_like_pixie() -> None:
    ppr = PersonalizedPageRank(
        EDGES, NUM_ITEMS, NUM_BOARDS, restart_prob=0.4, num_iterations=80, max_board_degree=3
    )
    exact = _exact_ppr(EDGES, 0.4, [0, 1, 2])  # board 3 (5 saves) dropped
    assert np.allclose(ppr.scores(torch.arange(NUM_ITEMS)), exact, atol=1e-5)
    assert relevance_sizes(EDGES, NUM_ITEMS, NUM_BOARDS).tolist() == [4, 4, 4, 4, 4, 0]
    assert relevance_sizes(EDGES, NUM_ITEMS, NUM_BOARDS, max_board_degree=3).tolist() == [2, 2, 3, 2, 1, 0]


def test_power_iteration_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'restart_prob'"):
        PersonalizedPageRank(EDGES, NUM_ITEMS, NUM_BOARDS, restart_prob=1.0)
    with pytest.raises(ValueError, match="'num_iterations'"):
        PersonalizedPageRank(EDGES, NUM_ITEMS, NUM_BOARDS, num_iterations=0)
    with pytest.raises(ValueError, match="'max_board_degree'"):
        PersonalizedPageRank(EDGES, NUM_ITEMS, NUM_BOARDS, max_board_degree=0)
    with pytest.raises(ValueError, match="'edge_index' row 1"):
        PersonalizedPageRank(EDGES, NUM_ITEMS, 3)
    with pytest.raises(ValueError, match="'edge_index'"):
        relevance_sizes(EDGES.float(), NUM_ITEMS, NUM_BOARDS)


def test_top_ranked_is_the_sorted_prefix_with_unreached_items_in_tie_order_last() -> None:
    gen = torch.Generator().manual_seed(0)
    scores = torch.rand(5, 40, generator=gen)
    scores[:, 30:] = 0.0  # ten unreached items per query
    queries = torch.tensor([0, 3, 31, 39, 7])
    ties = torch.rand(5, 40, generator=gen)
    full = top_ranked(scores.numpy(), queries, 39, lambda rows: ties[rows])
    for b, q in enumerate(queries.tolist()):
        key = torch.where(scores[b] > 0, scores[b] * (1.0 + 2.0**-20 * ties[b]), -1.0 - ties[b])
        key[q] = -float("inf")
        assert torch.equal(full[b], torch.argsort(key, descending=True)[:39])  # what a dense sort gives
        assert q not in full[b].tolist()
    assert torch.equal(top_ranked(scores, queries, 12, lambda rows: ties[rows]), full[:, :12])


def test_relative_bands_follow_the_relevance_set_and_are_order_independent() -> None:
    gen = torch.Generator().manual_seed(2)
    items = torch.arange(80).repeat_interleave(2)
    edges = torch.stack([items, torch.randint(0, 30, (items.numel(),), generator=gen)])
    config = HardNegativeConfig(relative_band=(1.5, 3.0), num_iterations=6)
    sampler = HardNegativeSampler(edges, 80, 30, torch.zeros(0, 2, dtype=torch.long), config)
    q = torch.arange(0, 80, 7)
    size = sampler.relevance[q].clamp_min(1)
    lo, hi = sampler.band_limits(q)
    assert torch.equal(lo, torch.ceil(1.5 * size.double()).long().clamp(1, 79))
    assert torch.equal(hi, torch.maximum(torch.floor(3.0 * size.double()).long().clamp(1, 79), lo))
    bands = sampler.bands(q)
    ranking = sampler.ranking(q)
    for b in range(q.numel()):
        width = int(hi[b] - lo[b] + 1)
        assert torch.equal(bands[b, :width], ranking[b, lo[b] - 1 : hi[b]])
        assert bool((bands[b, width:] == -1).all())  # padding of the narrower bands
    fresh = HardNegativeSampler(edges, 80, 30, torch.zeros(0, 2, dtype=torch.long), config)
    fresh.bands(q.flip(0)[:3])  # another order, another first chunk
    assert torch.equal(fresh.bands(q), bands)
    view = fresh.view("no-curriculum", 5)
    drawn = view.sample(q, None, 2)
    for b in range(q.numel()):  # draws come from the band (or, where it is exhausted, anywhere)
        assert set(drawn[b].tolist()) <= set(bands[b].tolist()) | set(range(80))
    assert fresh.with_band(relative_band=(1.0, 1.0)).bands(q).shape[1] <= int(size.max())


def test_band_overlap_hand_computed_and_refuses_mismatched_rows() -> None:
    a = torch.tensor([[1, 2, 3, 4], [5, 6, -1, -1]])
    b = torch.tensor([[4, 3, 9, 8], [6, 7, 5, -1]])
    assert band_overlap(a, b) == pytest.approx((0.5 + 1.0) / 2)
    with pytest.raises(ValueError, match="same queries"):
        band_overlap(a, b[:1])
    with pytest.raises(ValueError, match="1 <= a <= b"):
        check_relative_band((3.0, 2.0))
    with pytest.raises(ValueError, match="relative_band"):
        check_relative_band("wide")


def test_pooled_loss_counts_every_negative_once_and_separate_is_the_old_sum() -> None:
    q = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    n = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    hard = torch.tensor([[[0.8, 0.6]], [[0.0, 1.0]]])
    # random hinges: q0 [0, .1], q1 [.3, 0]; hard hinges: q0 [0], q1 [.3]
    # pooled: q0 (.1 + 0) / 3, q1 (.3 + .3) / 3 -> mean (.1 / 3 + .2) / 2
    assert max_margin_loss(q, p, n, hard).item() == pytest.approx((0.1 / 3 + 0.2) / 2, abs=1e-6)
    # hard_weight 2 counts each hard negative twice: q0 .1 / 4, q1 (.3 + .6) / 4
    assert max_margin_loss(q, p, n, hard, hard_weight=2.0).item() == pytest.approx(
        (0.025 + 0.225) / 2, abs=1e-6
    )
    assert max_margin_loss(q, p, n, hard, weighting="separate").item() == pytest.approx(0.1 + 0.15, abs=1e-6)
    assert max_margin_loss(q, p, n, hard[:, :0]).item() == pytest.approx(max_margin_loss(q, p, n).item())
    with pytest.raises(ValueError, match="'weighting'"):
        max_margin_loss(q, p, n, hard, weighting="mean")
    with pytest.raises(ValueError, match="'hard_weight'"):
        max_margin_loss(q, p, n, hard, hard_weight=-1.0)
    with pytest.raises(ValueError, match="hard_negatives"):
        max_margin_loss(q, p, n, torch.zeros(2, 0, 3))
