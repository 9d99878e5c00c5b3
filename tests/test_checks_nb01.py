"""Notebook 01's exercise checks: they pass the package and the notebook's solution, and say in plain
words what is wrong with a stub or a plausible mistake."""

from __future__ import annotations

import re

import pytest
import torch
from exercise_cells import assert_exercise, define, failure, package_allowed, solution_source

from lecturekit import checks
from lecturekit.checks.base import HARDENING, OwnCodeRequired, hidden_cases, stand_ins
from lecturekit.checks.nb01 import lgconv_reference
from lecturekit.recsys.item_similarity import cosine_similarity_matrix, item_cf
from lecturekit.recsys.lightgcn import normalized_adjacency
from lecturekit.recsys.metrics import hit_rate, rank_of_targets, tie_break_priority

NB = "01_recsys_basics"


# ---- item_cosine_similarity ------------------------------------------------------------------------
def test_item_cosine_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.item_cosine_similarity(lambda r: cosine_similarity_matrix(r.T))
        checks.item_cosine_similarity(lambda r: item_cf(r).similarity)
        assert "4 hand cases pass" in capsys.readouterr().out


def test_item_cosine_notebook_solution_and_stub(capsys):
    assert_exercise(
        NB, "ex01-cosine-solution", "item_cosine_similarity", checks.item_cosine_similarity, capsys
    )


def _unit_columns(r):
    return r.T / r.T.norm(dim=1, keepdim=True).clamp_min(1e-12)


def test_item_cosine_names_each_mistake():
    def with_diagonal(r):
        unit = _unit_columns(r)
        return unit @ unit.T

    def unnormalised(r):
        s = r.T @ r
        return s.fill_diagonal_(0.0)

    def users_not_items(r):
        unit = r / r.norm(dim=1, keepdim=True)
        return (unit @ unit.T).fill_diagonal_(0.0)

    def divides_by_zero(r):
        unit = r.T / r.T.norm(dim=1, keepdim=True)
        return (unit @ unit.T).fill_diagonal_(0.0)

    def one_sided(r):  # divides by one column's length only: not symmetric
        s = r.T @ r / r.T.norm(dim=1, keepdim=True).clamp_min(1e-12)
        return s.fill_diagonal_(0.0)

    assert "the diagonal is not zero: an item must not count as its own neighbour" in failure(
        checks.item_cosine_similarity, with_diagonal
    )
    assert "counts of users in common: a cosine divides" in failure(
        checks.item_cosine_similarity, unnormalised
    )
    assert "wrong shape: expected (3, 3), got (2, 2)" in failure(
        checks.item_cosine_similarity, users_not_items
    )
    message = failure(checks.item_cosine_similarity, divides_by_zero)
    assert "hand case 2 (an item nobody interacted with)" in message and "NaN" in message
    assert "not symmetric" in failure(checks.item_cosine_similarity, one_sided)


def test_item_cosine_in_place_edit_is_refused():
    def in_place(r):
        r.div_(r.norm(dim=0, keepdim=True).clamp_min(1e-12))
        return (r.T @ r).fill_diagonal_(0.0)

    assert "changed its argument 1 in place" in failure(checks.item_cosine_similarity, in_place)


# ---- hit_at_k ------------------------------------------------------------------------------------------
def package_hit_at_k(scores, targets, seen, k):
    return hit_rate(rank_of_targets(scores, targets, exclude=seen), k)


def test_hit_at_k_refuses_the_package_while_it_runs():
    message = failure(checks.hit_at_k, package_hit_at_k)
    assert "call your own code" in message
    # ...and the package works again afterwards.
    assert hit_rate(rank_of_targets(torch.zeros(1, 3), torch.tensor([0])), 3) == 1.0


def _tie_aware(scores, targets, seen, k):
    scores = scores.clone().double()
    for user, items in enumerate(seen):
        scores[user, items] = float("-inf")
    priority = tie_break_priority(scores.shape[1])
    target = scores[torch.arange(len(targets)), targets][:, None]
    ahead = (scores > target) | ((scores == target) & (priority[None, :] > priority[targets][:, None]))
    return float((1 + ahead.sum(1) <= k).float().mean())


def test_hit_at_k_passes_a_tie_aware_answer(capsys):
    checks.hit_at_k(_tie_aware)
    assert "7 hand cases pass" in capsys.readouterr().out


def test_hit_at_k_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex01-hit-solution", "hit_at_k", checks.hit_at_k, capsys)


def _ranks(scores, targets):
    target_scores = scores[torch.arange(len(targets)), targets]
    return 1 + (scores > target_scores[:, None]).sum(1)


def test_hit_at_k_names_each_mistake():
    def unmasked(scores, targets, seen, k):
        return float((_ranks(scores, targets) <= k).float().mean())

    def masked_to_zero(scores, targets, seen, k):
        scores = scores.clone()
        for user, items in enumerate(seen):
            scores[user, items] = 0.0
        return float((_ranks(scores, targets) <= k).float().mean())

    def strict(scores, targets, seen, k):
        scores = scores.clone()
        for user, items in enumerate(seen):
            scores[user, items] = float("-inf")
        return float((_ranks(scores, targets) < k).float().mean())

    def in_place(scores, targets, seen, k):
        for user, items in enumerate(seen):
            scores[user, items] = float("-inf")
        return float((_ranks(scores, targets) <= k).float().mean())

    message = failure(checks.hit_at_k, unmasked)
    assert message.startswith(
        "`hit_at_k`: hand case 2 (the user's two seen items outscore the target): a seen item was ranked"
    )
    assert "differs: your value 0" in message and "expected" not in message  # never the expected value
    assert "must get a score below all others (minus infinity), not 0" in failure(
        checks.hit_at_k, masked_to_zero
    )
    assert "a target at rank exactly K = 3 is a hit" in failure(checks.hit_at_k, strict)
    assert "changed its argument 1 in place" in failure(checks.hit_at_k, in_place)


def test_hit_at_k_ties_must_not_favour_the_target():
    def ties_for_the_target(
        scores, targets, seen, k
    ):  # the notebook's old solution: hit@10 = 1 on constant scores
        scores = scores.clone().float()
        for user, items in enumerate(seen):
            scores[user, items] = float("-inf")
        return float((_ranks(scores, targets) <= k).float().mean())

    def ties_against_the_target(scores, targets, seen, k):
        scores = scores.clone().float()
        for user, items in enumerate(seen):
            scores[user, items] = float("-inf")
        target = scores[torch.arange(len(targets)), targets][:, None]
        return float((((scores >= target).sum(1)) <= k).float().mean())

    message = failure(checks.hit_at_k, ties_for_the_target)
    assert (
        "a constant score for every item" in message
        and "every target counted as a hit on tied scores" in message
    )
    assert "tie_break_priority" in failure(checks.hit_at_k, ties_against_the_target)
    scores = torch.zeros(50, 1682)
    targets = torch.randint(0, 1682, (50,), generator=torch.Generator().manual_seed(0))
    solution = define(solution_source(NB, "ex01-hit-solution"), "hit_at_k")
    assert solution(scores, targets, [torch.empty(0, dtype=torch.long)] * 50, 10) < 0.5
    assert solution(scores, targets, [torch.empty(0, dtype=torch.long)] * 50, 10) == package_hit_at_k(
        scores, targets, [torch.empty(0, dtype=torch.long)] * 50, 10
    )


# ---- lightgcn_propagate ----------------------------------------------------------------------------------
def _propagate(user_emb, item_emb, users, items, *, normalise="symmetric", self_loops=False):
    num_users, num_items = len(user_emb), len(item_emb)
    deg_u = torch.bincount(users, minlength=num_users).float()
    deg_i = torch.bincount(items, minlength=num_items).float()
    if self_loops:
        deg_u, deg_i = deg_u + 1, deg_i + 1
    if normalise == "symmetric":
        to_user = to_item = (deg_u[users] * deg_i[items]).rsqrt()
    else:  # "row": a mean over the receiving node's neighbours
        to_user, to_item = 1 / deg_u[users], 1 / deg_i[items]
    user_out = torch.zeros_like(user_emb).index_add_(0, users, to_user[:, None] * item_emb[items])
    item_out = torch.zeros_like(item_emb).index_add_(0, items, to_item[:, None] * user_emb[users])
    if self_loops:
        user_out, item_out = user_out + user_emb / deg_u[:, None], item_out + item_emb / deg_i[:, None]
    return user_out, item_out


def test_lightgcn_passes_an_index_add_answer(capsys):
    checks.lightgcn_propagate(_propagate)
    assert "all 3 hand cases pass, and 24 hidden random cases" in capsys.readouterr().out


def test_lightgcn_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex01-lightgcn-solution", "lightgcn_propagate", checks.lightgcn_propagate, capsys)


def test_lightgcn_hand_cases_agree_with_pyg():
    from lecturekit.checks.nb01 import _hand_propagation_cases

    for case in _hand_propagation_cases():
        assert case.check(lgconv_reference(*case.args)) is None, case.label


def test_lightgcn_hidden_cases_vary_shapes_isolated_nodes_and_hubs():
    hardening = HARDENING["lightgcn_propagate"]
    cases = hidden_cases("lightgcn_propagate", hardening.reference, hardening.draw)
    shapes = {(len(c.args[0]), len(c.args[1]), c.args[0].shape[1]) for c in cases}
    assert len(shapes) >= 15

    def isolated(case):
        user_emb, item_emb, users, items = case.args
        return len(set(users.tolist())) < len(user_emb) or len(set(items.tolist())) < len(item_emb)

    assert sum(isolated(c) for c in cases) >= 5  # isolated nodes
    degrees = [torch.bincount(c.args[2]).max() / torch.bincount(c.args[3]).clamp_min(1).min() for c in cases]
    assert max(degrees) >= 4  # a hub user beside items with one user
    again = hidden_cases("lightgcn_propagate", hardening.reference, hardening.draw)
    assert [str(c.args) for c in again] == [str(c.args) for c in cases]  # seeded


def test_lightgcn_refuses_delegation_to_pyg_or_the_package():
    from torch_geometric.nn import LGConv
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    def via_lgconv(user_emb, item_emb, users, items):
        return lgconv_reference(user_emb, item_emb, users, items)

    def via_module(user_emb, item_emb, users, items):
        n = len(user_emb)
        edges = torch.stack([torch.cat([users, items + n]), torch.cat([items + n, users])])
        out = LGConv()(torch.cat([user_emb, item_emb]), edges)
        return out[:n], out[n:]

    def via_gcn_norm(user_emb, item_emb, users, items):
        n = len(user_emb)
        edges = torch.stack([torch.cat([users, items + n]), torch.cat([items + n, users])])
        index, weight = gcn_norm(edges, None, n + len(item_emb), add_self_loops=False)
        x = torch.cat([user_emb, item_emb])
        out = torch.zeros_like(x).index_add_(0, index[1], weight[:, None] * x[index[0]])
        return out[:n], out[n:]

    def via_package(user_emb, item_emb, users, items):
        n = len(user_emb)
        edges = torch.stack([torch.cat([users, items + n]), torch.cat([items + n, users])])
        out = normalized_adjacency(edges, n + len(item_emb)) @ torch.cat([user_emb, item_emb])
        return out[:n], out[n:]

    for answer in (via_lgconv, via_module, via_gcn_norm, via_package):
        assert "call your own code" in failure(checks.lightgcn_propagate, answer), answer.__name__
    assert (
        via_gcn_norm(torch.ones(1, 2), torch.ones(1, 2), torch.tensor([0]), torch.tensor([0]))[0].sum() == 2
    )
    with stand_ins(["torch_geometric.nn.conv.gcn_conv.gcn_norm"]):
        with pytest.raises(OwnCodeRequired):
            gcn_norm(torch.tensor([[0], [1]]), None, 2)
    assert len(gcn_norm(torch.tensor([[0], [1]]), None, 2, add_self_loops=False)) == 2  # restored


def test_lightgcn_names_each_wrong_variant():
    def row_normalised(*args):
        return _propagate(*args, normalise="row")

    def with_self_loops(*args):
        return _propagate(*args, self_loops=True)

    def unnormalised(user_emb, item_emb, users, items):
        return (
            torch.zeros_like(user_emb).index_add_(0, users, item_emb[items]),
            torch.zeros_like(item_emb).index_add_(0, items, user_emb[users]),
        )

    def nan_for_isolated(user_emb, item_emb, users, items):
        deg_u = torch.bincount(users, minlength=len(user_emb)).float()
        deg_i = torch.bincount(items, minlength=len(item_emb)).float()
        user_out, item_out = _propagate(user_emb, item_emb, users, items)
        return user_out * deg_u.sqrt()[:, None] / deg_u.sqrt()[:, None], item_out * deg_i[:, None] / deg_i[
            :, None
        ]

    def users_only(user_emb, item_emb, users, items):
        user_out, _ = _propagate(user_emb, item_emb, users, items)
        return user_out, item_emb.clone()

    def one_output(user_emb, item_emb, users, items):
        return _propagate(user_emb, item_emb, users, items)[0]

    assert "divides by its own degree only (a mean" in failure(checks.lightgcn_propagate, row_normalised)
    assert "self loop" in failure(checks.lightgcn_propagate, with_self_loops)
    assert "without normalisation" in failure(checks.lightgcn_propagate, unnormalised)
    assert "NaN or inf" in failure(checks.lightgcn_propagate, nan_for_isolated)
    assert "0 of 2 user rows and 2 of 2 item rows are wrong" in failure(checks.lightgcn_propagate, users_only)
    assert "return a pair of tensors" in failure(checks.lightgcn_propagate, one_output)


def test_lightgcn_messages_show_no_expected_values():
    def slightly_off(*args):
        user_out, item_out = _propagate(*args)
        return user_out * 1.01, item_out

    message = failure(checks.lightgcn_propagate, slightly_off)
    assert "expected" not in message and not re.search(r"\d\.\d", message), message
    assert "user rows" in message
