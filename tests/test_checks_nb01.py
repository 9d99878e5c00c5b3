"""Notebook 01's exercise checks: they pass the package and the notebook's solution, and say in plain
words what is wrong with a stub or a plausible mistake."""

from __future__ import annotations

import torch
from exercise_cells import assert_exercise, failure, package_allowed

from lecturekit import checks
from lecturekit.recsys.item_similarity import cosine_similarity_matrix, item_cf
from lecturekit.recsys.metrics import hit_rate, rank_of_targets

NB = "01_recsys_basics"


# ---- item_cosine_similarity ------------------------------------------------------------------------
def test_item_cosine_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.item_cosine_similarity(lambda r: cosine_similarity_matrix(r.T))
        checks.item_cosine_similarity(lambda r: item_cf(r).similarity)
        assert "4 hand cases pass" in capsys.readouterr().out


def test_item_cosine_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex01-cosine-solution", "item_cosine_similarity", checks.item_cosine_similarity, capsys)


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
        checks.item_cosine_similarity, with_diagonal)
    assert "counts of users in common: a cosine divides" in failure(checks.item_cosine_similarity, unnormalised)
    assert "wrong shape: expected (3, 3), got (2, 2)" in failure(checks.item_cosine_similarity, users_not_items)
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


def test_hit_at_k_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.hit_at_k(package_hit_at_k)
        assert "5 hand cases pass" in capsys.readouterr().out


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
    assert message.startswith("`hit_at_k`: hand case 2 (the user's two seen items outscore the target): a seen item was ranked")
    assert "differs: your value 0" in message and "expected" not in message  # never the expected value
    assert "must get a score below all others (minus infinity), not 0" in failure(checks.hit_at_k, masked_to_zero)
    assert "a target at rank exactly K = 3 is a hit" in failure(checks.hit_at_k, strict)
    assert "changed its argument 1 in place" in failure(checks.hit_at_k, in_place)
