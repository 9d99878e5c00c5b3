"""Notebook 06's exercise checks: they pass the package and the notebook's solution, and say in plain
words what is wrong with a stub or a plausible mistake; the package functions they check are the ones
the policy, the rewards and PPO use."""

from __future__ import annotations

import math

import torch
from exercise_cells import assert_exercise, failure, package_allowed

from lecturekit import checks
from lecturekit.generation.gcpn import rewards
from lecturekit.generation.gcpn.policy import ActionOutput, bond_order_log_probs, bond_order_mask
from lecturekit.generation.gcpn.ppo import clipped_policy_loss, ppo_loss
from lecturekit.generation.gcpn.rewards import (
    CYCLE_MEAN,
    CYCLE_STD,
    LOGP_MEAN,
    LOGP_STD,
    SA_MEAN,
    SA_STD,
    penalized_logp_from_terms,
)

NB = "06_gcpn"


# ---- bond_order_log_probs ------------------------------------------------------------------------------
def test_bond_orders_pass_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.bond_order_log_probs(bond_order_log_probs)
        assert "all 3 hand cases pass" in capsys.readouterr().out


def test_bond_orders_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex06-bond-solution", "bond_order_log_probs", checks.bond_order_log_probs, capsys)


def test_the_package_mask_keeps_a_row_without_legal_orders_finite():
    mask = bond_order_mask(torch.tensor([0, 3]), torch.tensor([2, 2]))
    assert mask.tolist() == [[True, True, True], [True, True, False]]


def _legal(free_first, free_second, use_max=False):
    limit = (torch.maximum if use_max else torch.minimum)(free_first, free_second)
    return torch.arange(1, 4).unsqueeze(0) <= limit.unsqueeze(1)


def test_bond_orders_name_each_mistake():
    def max_valence(logits, a, b):
        return torch.log_softmax(logits.masked_fill(~_legal(a, b, use_max=True), float("-inf")), -1)

    def probabilities(logits, a, b):
        return torch.softmax(logits.masked_fill(~_legal(a, b), float("-inf")), -1)

    def mask_after_softmax(logits, a, b):
        return torch.log_softmax(logits, -1).masked_fill(~_legal(a, b), -1e9)

    def no_mask(logits, a, b):
        return torch.log_softmax(logits, -1)

    assert "a bond may use at most min = 1" in failure(checks.bond_order_log_probs, max_valence)
    assert "log-probabilities are at most 0" in failure(checks.bond_order_log_probs, probabilities)
    assert "the probabilities sum to" in failure(checks.bond_order_log_probs, mask_after_softmax)
    assert "a double bond gets probability 0.333 between atoms with free valences 1 and 4" in failure(
        checks.bond_order_log_probs, no_mask
    )


# ---- penalized_logp_from_terms --------------------------------------------------------------------------
def test_plogp_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.penalized_logp_from_terms(penalized_logp_from_terms)
        assert "all 6 hand cases pass" in capsys.readouterr().out


def test_plogp_notebook_solution_and_stub(capsys):
    assert_exercise(
        NB, "ex06-plogp-solution", "penalized_logp_from_terms", checks.penalized_logp_from_terms, capsys
    )


def test_the_package_reads_the_terms_off_a_molecule():
    for smiles in ("c1ccccc1", "C1CCCCCCC1", "CCCCCC", "C1C2CC3CC1CC(C2)C3"):
        terms = rewards.logp(smiles), rewards.sa_score(smiles), rewards.largest_ring(smiles)
        for normalized in (True, False):
            assert rewards.penalized_logp(smiles, normalized) == penalized_logp_from_terms(*terms, normalized)
    assert math.isclose(rewards.penalized_logp("c1ccccc1"), 2.095171701744179, rel_tol=1e-9)  # the pin


def _plogp(logp, sa, ring, normalized=True, sa_sign=-1, use_max=True, cycle_sign=-1, standardise=True):
    cycle = max(0, ring - 6) if use_max else ring - 6
    s, c = sa_sign * sa, cycle_sign * cycle
    if not normalized or not standardise:
        return logp + s + c
    return (logp - LOGP_MEAN) / LOGP_STD + (s - SA_MEAN) / SA_STD + (c - CYCLE_MEAN) / CYCLE_STD


def test_plogp_names_each_mistake():
    def wrong(**mistake):
        return lambda logp, sa, ring, normalized=True: _plogp(logp, sa, ring, normalized, **mistake)

    check = checks.penalized_logp_from_terms
    assert "SA enters with a minus sign" in failure(check, wrong(sa_sign=1))
    assert "the cycle penalty is max(0, largest ring - 6)" in failure(check, wrong(use_max=False))
    assert "the cycle penalty is subtracted" in failure(check, wrong(cycle_sign=1))
    assert "normalized=True standardises each of the three terms" in failure(check, wrong(standardise=False))


# ---- clipped_policy_loss -----------------------------------------------------------------------------------
def through_ppo_loss(log_prob, old_log_prob, advantages, clip=0.2):
    """The policy part of the package's full PPO loss (value and entropy terms switched off)."""
    zeros = torch.zeros_like(log_prob)
    new = ActionOutput(zeros, zeros, zeros, zeros, log_prob, zeros, zeros)
    loss, _ = ppo_loss(new, old_log_prob, advantages, zeros, clip=clip, value_coef=0.0, entropy_coef=0.0)
    return loss


def test_ppo_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.clipped_policy_loss(clipped_policy_loss)
        checks.clipped_policy_loss(through_ppo_loss)
        out = capsys.readouterr().out
        assert out.count("all 4 hand cases pass (the values)") == 2
        assert out.count("the gradient with respect to log_prob is right too") == 2


def test_ppo_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex06-ppo-solution", "clipped_policy_loss", checks.clipped_policy_loss, capsys)


def test_ppo_names_each_mistake():
    def terms(log_prob, old, adv, clip):
        ratio = torch.exp(log_prob - old)
        return ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv

    def maximum(log_prob, old, adv, clip=0.2):
        return -torch.maximum(*terms(log_prob, old, adv, clip)).mean()

    def unclipped(log_prob, old, adv, clip=0.2):
        return -terms(log_prob, old, adv, clip)[0].mean()

    def clip_only(log_prob, old, adv, clip=0.2):
        return -terms(log_prob, old, adv, clip)[1].mean()

    def objective(log_prob, old, adv, clip=0.2):
        return torch.minimum(*terms(log_prob, old, adv, clip)).mean()

    def swapped_clip(log_prob, old, adv, clip=0.2):  # clamp(1 + eps, 1 - eps): every ratio becomes 1 - eps
        ratio = torch.exp(log_prob - old)
        return -torch.minimum(ratio * adv, ratio.clamp(1 + clip, 1 - clip) * adv).mean()

    def detached(log_prob, old, adv, clip=0.2):
        return -torch.minimum(*terms(log_prob, old, adv, clip)).mean().detach()

    def blocks_clipped_gradient_wrongly(
        log_prob, old, adv, clip=0.2
    ):  # right value, gradient through the clip
        ratio = torch.exp(log_prob - old)
        clipped = ratio + (ratio.clamp(1 - clip, 1 + clip) - ratio).detach()
        return -torch.minimum(ratio * adv, clipped * adv).mean()

    check = checks.clipped_policy_loss
    assert "the clipped term (1 + ε) A is the smaller one and counts" in failure(check, maximum)
    assert "the clipped term (1 + ε) A is the smaller one and counts" in failure(check, unclipped)
    assert (
        "hand case 2 (ratio 1.5, advantage -1): with a ratio above 1 + ε and a negative advantage"
        in failure(check, clip_only)
    )
    assert "return the loss to minimise, its negative" in failure(check, objective)
    assert "hand case 1 (ratio 1.5, advantage +1)" in failure(check, swapped_clip)
    assert "does not depend on log_prob through torch" in failure(check, detached)
    assert "the gradient with respect to log_prob differs at [0]" in failure(
        check, blocks_clipped_gradient_wrongly
    )
