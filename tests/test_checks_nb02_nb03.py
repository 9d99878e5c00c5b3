"""Notebook 02's and 03's exercise checks: they pass the package and the notebooks' solutions, and say in
plain words what is wrong with a stub or a plausible mistake; the package functions the exercises mirror
agree with the code paths the experiments use."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_cells import assert_exercise, failure, package_allowed

from lecturekit import checks
from lecturekit.recsys.pinsage.layers import PinSageConv
from lecturekit.recsys.pinsage.loss import max_margin_loss
from lecturekit.recsys.pinsage.negative_diagnostics import sibling_task
from lecturekit.recsys.pinsage.negatives import (
    HardNegativeConfig,
    HardNegativeSampler,
    num_hard_negatives,
    relative_band_ranks,
)
from lecturekit.recsys.pinsage.ppr import top_ranked
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler, importance_neighborhood

NB02, NB03 = "02_pinsage", "03_hard_negatives"


# ---- the package functions the exercises mirror -------------------------------------------------------
def test_importance_neighborhood_is_the_rule_the_sampler_applies_to_its_walks():
    edges = torch.tensor([[0, 1, 2, 3, 4, 5, 0, 2, 4, 6, 1, 6], [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3]])
    sampler = RandomWalkSampler(edges, num_items=8, num_users=4, num_walks=40, top_t=4)
    items = torch.arange(8)  # item 7 is isolated: an all-padding row
    counts = sampler.visit_counts(items, generator=torch.Generator().manual_seed(3))
    expected = sampler.sample(items, generator=torch.Generator().manual_seed(3))
    got = importance_neighborhood(counts, 4)
    assert torch.equal(got[0], expected[0])
    assert torch.allclose(got[1], expected[1])
    assert torch.equal(got[0][7], torch.full((4,), -1)) and float(got[1][7].sum()) == 0.0


def test_importance_neighborhood_refuses_bad_arguments():
    with pytest.raises(ValueError, match="'counts' must be"):
        importance_neighborhood(torch.zeros(3), 2)
    with pytest.raises(ValueError, match="'top_t' must be an int >= 1"):
        importance_neighborhood(torch.zeros(1, 3), 0)


def test_relative_band_ranks_are_what_the_sampler_uses():
    task = sibling_task(seed=0)
    sampler = HardNegativeSampler(
        task.edge_index,
        task.num_items,
        task.num_users,
        task.train_pairs,
        HardNegativeConfig(relative_band=(1.5, 3.0)),
    )
    queries = torch.arange(task.num_items)
    lo, hi = sampler.band_limits(queries)
    want_lo, want_hi = relative_band_ranks(sampler.relevance, (1.5, 3.0), task.num_items)
    assert torch.equal(lo, want_lo) and torch.equal(hi, want_hi)
    lo, hi = relative_band_ranks(torch.tensor([0, 3, 1000]), (2, 4), 50)
    assert lo.tolist() == [2, 6, 49] and hi.tolist() == [4, 12, 49]  # R = 0 counts as 1; clipped to N - 1
    with pytest.raises(ValueError, match="1 <= a <= b"):
        relative_band_ranks(torch.tensor([1]), (0.5, 2.0), 10)


# ---- notebook 02 ---------------------------------------------------------------------------------------
def package_convolution(h, neighbors, weights, Q, q, W, w):
    conv = PinSageConv(h.shape[1], Q.shape[0], W.shape[0])
    with torch.no_grad():
        conv.Q.weight.copy_(Q), conv.Q.bias.copy_(q), conv.W.weight.copy_(W), conv.W.bias.copy_(w)
        return conv(h, neighbors, weights)


def package_loss(query, positive, negatives, margin):
    return max_margin_loss(query, positive, negatives, margin=margin)


def test_nb02_checks_pass_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.importance_neighborhood(importance_neighborhood)
        checks.pinsage_convolution(package_convolution)
        checks.max_margin_loss(package_loss)
        out = capsys.readouterr().out
        assert "importance_neighborhood: all 4 hand cases pass" in out
        assert (
            "pinsage_convolution: all 3 hand cases pass" in out
            and "max_margin_loss: all 3 hand cases pass" in out
        )


@pytest.mark.parametrize(
    "grade_id, name",
    [
        ("ex02-weights-solution", "importance_neighborhood"),
        ("ex02-conv-solution", "pinsage_convolution"),
        ("ex02-loss-solution", "max_margin_loss"),
    ],
)
def test_nb02_notebook_solutions_pass_and_stubs_fail(grade_id, name, capsys):
    assert_exercise(NB02, grade_id, name, getattr(checks, name), capsys)


def test_importance_neighborhood_names_each_mistake():
    with package_allowed():  # wrong answers built from the package's functions

        def raw_counts(counts, top_t):
            values, ids = torch.sort(counts, dim=1, descending=True, stable=True)
            values, ids = values[:, :top_t], ids[:, :top_t]
            return torch.where(values > 0, ids, -1), values

        def over_all_visits(counts, top_t):
            neighbors, weights = importance_neighborhood(counts, top_t)
            kept = torch.where(neighbors >= 0, counts.gather(1, neighbors.clamp_min(0)), 0.0)
            return neighbors, kept / counts.sum(1, keepdim=True).clamp_min(1e-12)

        def unstable(counts, top_t):  # ties broken by the larger id
            neighbors, weights = importance_neighborhood(counts.flip(1), top_t)
            return torch.where(neighbors >= 0, counts.shape[1] - 1 - neighbors, -1), weights

        def nan_rows(counts, top_t):
            neighbors, weights = importance_neighborhood(counts, top_t)
            kept = torch.where(neighbors >= 0, counts.gather(1, neighbors.clamp_min(0)), 0.0)
            return neighbors, kept / kept.sum(1, keepdim=True)

        def no_padding(counts, top_t):  # unvisited items kept as neighbours (with weight 0)
            values, ids = torch.sort(counts, dim=1, descending=True, stable=True)
            values, ids = values[:, :top_t], ids[:, :top_t]
            return ids, values / values.sum(1, keepdim=True).clamp_min(1e-12)

        assert "the weights are the raw visit counts" in failure(checks.importance_neighborhood, raw_counts)
        assert "weights not normalised: each row with a visit must sum to 1" in failure(
            checks.importance_neighborhood, over_all_visits
        )
        message = failure(checks.importance_neighborhood, unstable)
        assert "hand case 2" in message and "the right neighbours in the wrong order" in message
        message = failure(checks.importance_neighborhood, nan_rows)
        assert "hand case 3 (a query whose walks visited nothing)" in message and "NaN" in message
        message = failure(checks.importance_neighborhood, no_padding)
        assert (
            "hand case 2 (two queries, one with only two visited items): neighbors differs at [1, 2]: your value 0"
            in message
        )


def test_pinsage_convolution_names_each_mistake():
    with package_allowed():  # wrong answers built from the package's functions

        def unnormalised(h, nbr, wt, Q, q, W, w):
            messages = torch.relu(h @ Q.T + q)
            pooled = (wt.unsqueeze(-1) * messages[nbr.clamp_min(0)]).sum(1)
            return torch.relu(torch.cat([h[: len(nbr)], pooled], 1) @ W.T + w)

        def no_relu(h, nbr, wt, Q, q, W, w):
            pooled = (wt.unsqueeze(-1) * (h @ Q.T + q)[nbr.clamp_min(0)]).sum(1)
            z = torch.relu(torch.cat([h[: len(nbr)], pooled], 1) @ W.T + w)
            return z / z.norm(dim=1, keepdim=True)

        def equal_weights(h, nbr, wt, Q, q, W, w):
            uniform = (nbr >= 0).float() / (nbr >= 0).sum(1, keepdim=True)
            return package_convolution(h, nbr, uniform, Q, q, W, w)

        def every_node(h, nbr, wt, Q, q, W, w):  # one row per node of h, not per destination
            full = torch.cat([nbr, torch.full((len(h) - len(nbr), nbr.shape[1]), -1)])
            pad = torch.cat([wt, torch.zeros(len(h) - len(nbr), wt.shape[1])])
            pad[len(nbr) :, 0], full[len(nbr) :, 0] = 1.0, 0
            return package_convolution(h, full, pad, Q, q, W, w)

        assert "the output rows do not have length 1" in failure(checks.pinsage_convolution, unnormalised)
        message = failure(checks.pinsage_convolution, no_relu)
        assert "hand case 2" in message and "must pass through ReLU(Q h_u + q) before pooling" in message
        assert "averaged with equal weights" in failure(checks.pinsage_convolution, equal_weights)
        assert (
            "hand case 3 (two destinations, three source nodes, unequal weights): wrong shape: expected (2, 2), got (3, 2)"
            in failure(checks.pinsage_convolution, every_node)
        )


def test_max_margin_loss_names_each_mistake():
    with package_allowed():  # wrong answers built from the package's functions

        def no_hinge(query, positive, negatives, margin):
            return (query @ negatives.T - (query * positive).sum(1, keepdim=True) + margin).mean()

        def summed(query, positive, negatives, margin):
            return package_loss(query, positive, negatives, margin) * len(query) * len(negatives)

        def per_query_sum(query, positive, negatives, margin):
            return package_loss(query, positive, negatives, margin) * len(negatives)

        def swapped(query, positive, negatives, margin):
            return torch.relu((query * positive).sum(1, keepdim=True) - query @ negatives.T + margin).mean()

        def per_pair(query, positive, negatives, margin):  # a matrix instead of the mean
            return torch.relu(query @ negatives.T - (query * positive).sum(1, keepdim=True) + margin)

        assert "the loss is negative: each term is a hinge" in failure(checks.max_margin_loss, no_hinge)
        assert "this is the sum of the hinge terms" in failure(checks.max_margin_loss, summed)
        # one query in hand case 1: its per-query sum is the total sum, and the message says so
        assert "this is the sum of the hinge terms" in failure(checks.max_margin_loss, per_query_sum)
        assert "the positive and the negative scores are swapped" in failure(checks.max_margin_loss, swapped)
        assert "expected a single number (the mean), got shape (1, 2)" in failure(
            checks.max_margin_loss, per_pair
        )


# ---- notebook 03 ---------------------------------------------------------------------------------------
def package_band(scores, query, relevance_size, a, b):
    n = scores.numel()
    lo, hi = (int(x[0]) for x in relative_band_ranks(torch.tensor([relevance_size]), (a, b), n))
    # The hand cases have no ties among the ranks that matter, so the tie keys (random in the sampler) are 0.
    ranked = top_ranked(scores[None], torch.tensor([query]), hi, lambda rows: torch.zeros(len(rows), n))
    return ranked[0, lo - 1 : hi]


def test_nb03_checks_pass_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.hard_negative_band(package_band)
        checks.hard_negatives_in_epoch(num_hard_negatives)
        out = capsys.readouterr().out
        assert (
            "hard_negative_band: all 5 hand cases pass" in out
            and "hard_negatives_in_epoch: all 6 hand cases pass" in out
        )


@pytest.mark.parametrize(
    "grade_id, name",
    [
        ("ex03-band-solution", "hard_negative_band"),
        ("ex03-curriculum-solution", "hard_negatives_in_epoch"),
    ],
)
def test_nb03_notebook_solutions_pass_and_stubs_fail(grade_id, name, capsys):
    assert_exercise(NB03, grade_id, name, getattr(checks, name), capsys)


def _ranking(scores, query, include_query=False):
    order = torch.sort(scores, descending=True, stable=True).indices
    return order if include_query else order[order != query]


def _limits(relevance_size, a, b, n):
    size = max(relevance_size, 1)
    return min(math.ceil(a * size), n - 1), min(max(math.floor(b * size), math.ceil(a * size)), n - 1)


def test_hard_negative_band_names_each_mistake():
    def with_query(scores, query, relevance_size, a, b):
        lo, hi = _limits(relevance_size, a, b, scores.numel())
        return _ranking(scores, query, include_query=True)[lo - 1 : hi]

    def zero_based(scores, query, relevance_size, a, b):
        lo, hi = _limits(relevance_size, a, b, scores.numel())
        return _ranking(scores, query)[lo : hi + 1]

    def truncated(scores, query, relevance_size, a, b):
        size = max(relevance_size, 1)
        return _ranking(scores, query)[int(a * size) - 1 : math.floor(b * size)]

    def unclamped(scores, query, relevance_size, a, b):
        return _ranking(scores, query)[math.ceil(a * relevance_size) - 1 : math.floor(b * relevance_size)]

    def ascending(scores, query, relevance_size, a, b):
        lo, hi = _limits(relevance_size, a, b, scores.numel())
        return _ranking(-scores, query)[lo - 1 : hi]

    message = failure(checks.hard_negative_band, with_query)
    assert message.startswith(
        "`hard_negative_band`: hand case 1 (R = 1, band (2, 4)): the query itself was ranked"
    )
    assert "one rank too deep: ranks are 1-based" in failure(checks.hard_negative_band, zero_based)
    message = failure(checks.hard_negative_band, truncated)
    assert (
        "hand case 3" in message
        and "ceil(a R) and floor(b R)" in message
        and "wrong shape: expected (3,), got (4,)" in message
    )
    message = failure(checks.hard_negative_band, unclamped)
    assert "hand case 4 (R = 0)" in message and "an empty band: a query with R = 0 counts as R = 1" in message
    assert "hand case 1" in failure(checks.hard_negative_band, ascending)


def test_hard_negative_band_wrong_type_is_said_plainly():
    with package_allowed():  # wrong answers built from the package's functions

        def as_list(scores, query, relevance_size, a, b):
            return package_band(scores, query, relevance_size, a, b).tolist()

        assert "wrong type: expected a torch tensor, got a list" in failure(
            checks.hard_negative_band, as_list
        )


def test_hard_negatives_in_epoch_names_each_mistake():
    with package_allowed():  # wrong answers built from the package's functions

        def one_based(epoch, schedule, max_hard, per_epoch):
            return {"random-only": 0, "no-curriculum": max_hard}.get(
                schedule, min(per_epoch * (epoch + 1), max_hard)
            )

        def uncapped(epoch, schedule, max_hard, per_epoch):
            return {"random-only": 0, "no-curriculum": max_hard}.get(schedule, per_epoch * epoch)

        def ignores_schedule(epoch, schedule, max_hard, per_epoch):
            return min(per_epoch * epoch, max_hard)

        def as_float(epoch, schedule, max_hard, per_epoch):
            return float(num_hard_negatives(epoch, schedule, max_hard, per_epoch))

        message = failure(checks.hard_negatives_in_epoch, one_based)
        assert message.startswith("`hard_negatives_in_epoch`: hand case 1 (epoch 0, 'curriculum'")
        assert "epoch is 0-based here: the first epoch (epoch 0) uses random negatives only" in message
        assert "the curriculum never goes beyond max_hard = 4" in failure(
            checks.hard_negatives_in_epoch, uncapped
        )
        assert "hand case 5 (epoch 0, 'no-curriculum'" in failure(
            checks.hard_negatives_in_epoch, ignores_schedule
        )
        assert "expected a whole number of hard negatives (an int), got float" in failure(
            checks.hard_negatives_in_epoch, as_float
        )
