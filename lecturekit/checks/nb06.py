"""Checks for notebook 06's exercises (see `lecturekit.checks.base` for the contract).

* ``bond_order_log_probs(logits, free_first, free_second) -> (B, 3)``: the valence-masked choice of a bond
  order (the package's ``lecturekit.generation.gcpn.policy.bond_order_log_probs``).
* ``penalized_logp_from_terms(logp, sa, largest_ring, normalized=True) -> float``: the penalized-logP reward
  (the package's ``lecturekit.generation.gcpn.rewards.penalized_logp_from_terms``).
* ``clipped_policy_loss(log_prob, old_log_prob, advantages, clip=0.2) -> scalar tensor``: PPO's clipped
  objective as a loss (the package's ``lecturekit.generation.gcpn.ppo.clipped_policy_loss``).

Every expected value below was worked out by hand (penalized logP with the published ZINC250k means and
standard deviations of ``rewards``); the comments show the arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from lecturekit.checks.base import (
    ANY,
    Case,
    CheckFailed,
    call_student,
    differences,
    harden,
    passed,
    run_check,
)
from lecturekit.checks.hints import as_numpy, equals, explained

__all__ = ["bond_order_log_probs", "clipped_policy_loss", "penalized_logp_from_terms"]

_GCPN = "lecturekit.generation.gcpn"


# ---- hidden random cases, against the package's implementation
def _draw_bonds(rng):
    pairs = int(rng.integers(1, 7))
    free_first, free_second = (
        rng.integers(1, 5, pairs),
        rng.integers(1, 5, pairs),
    )  # either may be the smaller
    logits = torch.tensor(rng.normal(scale=2.0, size=(pairs, 3)), dtype=torch.float32)
    return (logits, torch.tensor(free_first), torch.tensor(free_second)), {}, "free valences in either order"


def _reference_bonds(logits, free_first, free_second):
    from lecturekit.generation.gcpn.policy import bond_order_log_probs as package

    return package(logits, free_first, free_second)


def _probabilities(log_probs):
    return torch.exp(torch.as_tensor(log_probs, dtype=torch.float32))


def _draw_terms(rng):
    ring = int(rng.choice([0, *range(3, 13)]))
    normalized = bool(rng.random() < 0.6)
    args = (float(rng.uniform(-3, 7)), float(rng.uniform(1, 8)), ring)
    return args, {"normalized": normalized}, f"normalized={normalized}"


def _reference_terms(logp, sa, largest_ring, normalized=True):
    from lecturekit.generation.gcpn.rewards import penalized_logp_from_terms as package

    return package(logp, sa, largest_ring, normalized)


def _draw_ppo(rng):
    steps = int(rng.integers(1, 9))
    old = rng.normal(-1.0, 0.5, steps)
    ratios = rng.choice([rng.uniform(0.3, 0.7), rng.uniform(0.7, 1.3), rng.uniform(1.3, 2.0)], steps)
    clip = float(rng.choice([0.1, 0.3, rng.uniform(0.05, 0.45)]))  # never the default 0.2
    args = (
        torch.tensor(old + np.log(ratios), dtype=torch.float32),
        torch.tensor(old, dtype=torch.float32),
        torch.tensor(rng.normal(size=steps), dtype=torch.float32),
        clip,
    )
    return args, {}, f"{steps} transitions, epsilon other than 0.2"


def _reference_ppo(log_prob, old_log_prob, advantages, clip=0.2):
    from lecturekit.generation.gcpn.ppo import clipped_policy_loss as package

    return package(log_prob, old_log_prob, advantages, clip)


harden(
    "bond_order_log_probs",
    reference=_reference_bonds,
    draw=_draw_bonds,
    transform=_probabilities,
    atol=1e-5,
    rtol=1e-4,
    forbid=(
        f"{_GCPN}.policy.bond_order_log_probs",
        f"{_GCPN}.policy.bond_order_mask",
        f"{_GCPN}.policy._masked_log_softmax",
    ),
)
harden(
    "penalized_logp_from_terms",
    reference=_reference_terms,
    draw=_draw_terms,
    rtol=1e-6,
    atol=1e-6,
    forbid=(
        f"{_GCPN}.rewards.penalized_logp_from_terms",
        f"{_GCPN}.rewards.penalized_logp",
        f"{_GCPN}.rewards.ring_penalty",
    ),
)
harden(
    "clipped_policy_loss",
    reference=_reference_ppo,
    draw=_draw_ppo,
    rtol=1e-4,
    atol=1e-6,
    forbid=(f"{_GCPN}.ppo.clipped_policy_loss", f"{_GCPN}.ppo.ppo_loss"),
)

_ORDERS = ("single", "double", "triple")


def bond_order_log_probs(function: Callable) -> None:
    """Check ``bond_order_log_probs(logits, free_first, free_second)`` on three batches of atom pairs."""

    def case(logits, free_first, free_second, probabilities, label):
        expected = np.array(probabilities, dtype=float)

        def check(got):
            problem = differences(torch.zeros(expected.shape), got)  # type and shape; -inf is fine here
            if problem is not None and not problem.startswith(("differs", "the result contains")):
                return problem
            values = as_numpy(got)
            if np.isnan(values).any():
                return (
                    "the result contains NaN: every pair here has at least one legal order, so mask the "
                    "illegal ones (a large negative logit or -inf) before the log-softmax"
                )
            if (values > 1e-6).any():
                return (
                    "some values are above 0, but log-probabilities are at most 0: return "
                    "log-probabilities (e.g. torch.log_softmax), not probabilities or logits"
                )
            probs = np.exp(values)
            for row in range(len(expected)):
                limit = min(free_first[row], free_second[row])
                for order in range(3):
                    if order + 1 > limit and probs[row, order] > 1e-6:
                        return (
                            f"row {row}: a {_ORDERS[order]} bond gets probability {probs[row, order]:.3g} "
                            f"between atoms with free valences {free_first[row]} and {free_second[row]}; "
                            f"a bond may use at most min = {limit}"
                        )
                total = probs[row].sum()
                if not math.isclose(total, 1.0, abs_tol=1e-5):
                    return (
                        f"row {row}: the probabilities sum to {total:.4g}, not 1: normalise over the legal "
                        "orders only (mask first, then the log-softmax)"
                    )
            problem = differences(expected, probs)
            return None if problem is None else f"the probabilities (exp of your result) {problem}"

        return Case(
            args=(
                torch.tensor(logits, dtype=torch.float32),
                torch.tensor(free_first),
                torch.tensor(free_second),
            ),
            expected=ANY,
            label=label,
            check=check,
        )

    softmax_123 = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()  # (0.0900, 0.2447, 0.6652)
    cases = [
        # min(1, 4) = 1: only a single bond is legal, whatever the logits.
        case([[0.0, 0.0, 0.0]], [1], [4], [[1, 0, 0]], "one free valence on the first atom"),
        # min(2, 3) = 2: single or double, in the ratio e^0 : e^ln2 = 1 : 2.
        case([[0.0, math.log(2.0), 0.0]], [2], [3], [[1 / 3, 2 / 3, 0]], "free valences 2 and 3"),
        # row 0: all legal, a plain softmax; row 1: min(2, 4) = 2, two equal logits; row 2: min(1, 1) = 1.
        case(
            [[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [2.0, 0.0, 0.0]],
            [3, 2, 1],
            [3, 4, 1],
            [list(softmax_123), [0.5, 0.5, 0], [1, 0, 0]],
            "three pairs",
        ),
    ]
    run_check("bond_order_log_probs", function, cases)


def penalized_logp_from_terms(function: Callable) -> None:
    """Check ``penalized_logp_from_terms(logp, sa, largest_ring, normalized)`` on six sets of terms."""
    messages = {
        "sa_sign": (
            "SA enters with a minus sign: the term is -SA (normalised: (-SA - mean) / std, the published "
            "mean being that of -SA)"
        ),
        "no_max": "rings of up to six atoms cost nothing: the cycle penalty is max(0, largest ring - 6)",
        "cycle_sign": "the cycle penalty is subtracted: the term is -cycle (normalised: (-cycle - mean) / std)",
        "unnormalised": (
            "normalized=True standardises each of the three terms with the ZINC250k means and "
            "standard deviations"
        ),
    }

    def case(logp, sa, ring, normalized, expected, label, **mistakes):
        def diagnose(got):
            for mistake, value in mistakes.items():
                if equals(value, got, atol=1e-4):
                    return messages[mistake]
            return None

        return Case(
            args=(logp, sa, ring),
            kwargs={"normalized": normalized},
            expected=ANY,
            label=label,
            check=explained(expected, diagnose, rtol=1e-6, atol=1e-6),
        )

    cases = [
        # 3.0 - 2.5 - max(0, 8 - 6) = -1.5 (adding SA: 3.5; adding the cycle penalty: 2.5)
        case(3.0, 2.5, 8, False, -1.5, "unnormalised, an 8-ring", sa_sign=3.5, cycle_sign=2.5),
        # 3.0 - 2.5 - max(0, 5 - 6) = 0.5 (without the max: 1.5)
        case(3.0, 2.5, 5, False, 0.5, "unnormalised, a 5-ring", no_max=1.5),
        # logP and -SA at their ZINC means: only the cycle term differs from its mean,
        # (0 + 0.0485697) / 0.2860212 = 0.169811 (unnormalised: -0.595486; SA added: 7.494359)
        case(
            2.4570953396190123,
            3.0525811293166134,
            6,
            True,
            0.16981148868758966,
            "normalised, logP and -SA at the ZINC means",
            sa_sign=7.494359326166002,
            unnormalised=-0.5954857896976011,
        ),
        # benzene's terms: logP 1.6866, SA 1.0, one 6-ring -> 2.095172 (unnormalised 0.6866)
        case(1.6866, 1.0, 6, True, 2.095171701744179, "normalised, benzene's terms", unnormalised=0.6866),
        # no ring: the cycle term is (0 + 0.0485697) / 0.2860212 again; total -0.085789 (without the max: 20.89)
        case(
            2.0, 3.0, 0, True, -0.08578871398159549, "normalised, no ring at all", no_max=20.891676483468736
        ),
        # a 10-ring: penalty 4, cycle term (-4 + 0.0485697) / 0.2860212 = -13.8152; total -12.237805
        case(
            3.1194,
            2.1227,
            10,
            True,
            -12.237805048038714,
            "normalised, a 10-ring",
            cycle_sign=15.73214854856173,
        ),
    ]
    run_check("penalized_logp_from_terms", function, cases)


# Five transitions: probability ratios rho and advantages A; old log-probabilities are arbitrary.
_RATIOS = (1.5, 1.5, 0.5, 0.5, 1.1)
_ADVANTAGES = (1.0, -1.0, 1.0, -1.0, 2.0)
_OLD = (-1.0, -2.0, -0.5, -1.5, -0.7)


def _inputs(index: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    old = torch.tensor([_OLD[i] for i in index])
    new = old + torch.log(torch.tensor([_RATIOS[i] for i in index]))
    return new, old, torch.tensor([_ADVANTAGES[i] for i in index])


def clipped_policy_loss(function: Callable) -> None:
    """Check ``clipped_policy_loss(log_prob, old_log_prob, advantages, clip)`` on hand cases and its gradient."""
    above_positive = (
        "with a ratio above 1 + ε and a positive advantage the clipped term (1 + ε) A is the smaller "
        "one and counts: clip the ratio, then take the minimum of the two terms"
    )
    above_negative = (
        "with a ratio above 1 + ε and a negative advantage the unclipped term ρA is the smaller one "
        "and counts: take the minimum of the two terms (not the maximum, not the clipped term alone)"
    )
    below_negative = (
        "with a ratio below 1 - ε and a negative advantage the clipped term (1 - ε) A is the smaller "
        "one and counts: clip the ratio, then take the minimum of the two terms"
    )
    objective = "this is the objective to maximise; return the loss to minimise, its negative"

    def case(index, expected, label, wrong):
        def diagnose(got):
            for value, message in wrong.items():
                if equals(value, got):
                    return message
            return None

        return Case(
            args=(*_inputs(index), 0.2), expected=ANY, label=label, check=explained(expected, diagnose)
        )

    cases = [
        # rho 1.5, A = 1: min(1.5, 1.2) = 1.2 -> loss -1.2
        case([0], -1.2, "ratio 1.5, advantage +1", {-1.5: above_positive, 1.2: objective}),
        # rho 1.5, A = -1: min(-1.5, -1.2) = -1.5 -> loss 1.5
        case([1], 1.5, "ratio 1.5, advantage -1", {1.2: above_negative, -1.5: objective}),
        # rho 0.5, A = -1: min(-0.5, -0.8) = -0.8 -> loss 0.8
        case([3], 0.8, "ratio 0.5, advantage -1", {0.5: below_negative, -0.8: objective}),
        # all five: terms 1.2, -1.5, 0.5, -0.8, 2.2 -> mean 0.32 -> loss -0.32
        case([0, 1, 2, 3, 4], -0.32, "five transitions (the loss is a mean)", {0.32: objective}),
    ]
    run_check("clipped_policy_loss", function, cases, success="all 4 hand cases pass (the values).")
    _gradient_case(function)


def _gradient_case(function: Callable) -> None:
    """The loss must reach log_prob through torch, and clipped terms pass no gradient."""
    name = "clipped_policy_loss"
    new, old, advantages = _inputs([0, 1, 2, 3, 4])
    new = new.clone().requires_grad_(True)
    label = "the gradient case (five transitions)"
    loss = call_student(name, function, (new, old, advantages, 0.2), case=label)
    if not (hasattr(loss, "requires_grad") and loss.requires_grad):
        raise CheckFailed(
            f"`{name}`: {label}: the loss does not depend on log_prob through torch, so PPO could "
            "not train with it: keep every step in torch (no .item(), .detach(), numpy or floats)"
        )
    if loss.numel() != 1:
        raise CheckFailed(
            f"`{name}`: {label}: expected a single number (a scalar tensor), got shape {tuple(loss.shape)}"
        )
    loss.reshape(()).backward()
    # d loss / d log_prob_k = -rho_k A_k / 5 where the unclipped term counts, 0 where the clipped one does:
    # transitions 0 and 3 are clipped; 1: 1.5/5 = 0.3; 2: -0.5/5 = -0.1; 4: -2.2/5 = -0.44.
    expected = torch.tensor([0.0, 0.3, -0.1, 0.0, -0.44])
    problem = differences(expected, new.grad, rtol=1e-4, atol=1e-5)
    if problem:
        raise CheckFailed(
            f"`{name}`: {label}: the gradient with respect to log_prob {problem} (a clipped term "
            "passes no gradient; the unclipped term ρA has gradient ρA)"
        )
    passed(name, "the gradient with respect to log_prob is right too.")
