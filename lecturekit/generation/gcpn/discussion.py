"""The discussion of notebook 06, written from the results of its seeds (so it cannot drift from them).

Every claim is computed: "beats" only when the number is ahead (over seeds: when the 95 % interval of
the per-seed differences excludes zero), "ties" when equal to the shown precision, "does not beat"
otherwise. With one seed the text says so: a single run shows what happened, not how reliably.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lecturekit.studies import report
from lecturekit.generation.gcpn.evaluate import is_hydrocarbon
from lecturekit.generation.gcpn.experiment import (
    PAPER_CONSTRAINED,
    PAPER_DATASET_BEST,
    PAPER_TARGETING,
    PAPER_TOP,
    PROFILES,
    GCPNResult,
)
from lecturekit.stats import bootstrap_mean, seed_interval


def _values(results: Sequence[GCPNResult], fn: Callable[[GCPNResult], float]) -> list[float]:
    return [float(fn(r)) for r in results]


def _fmt(values: Sequence[float], digits: int = 3) -> str:
    return report.mean_pm(list(values) if len(values) > 1 else values[0], digits)


def versus(a: Sequence[float], b: Sequence[float], digits: int = 3) -> str:
    """``"beats"``, ``"ties"`` or ``"does not beat"`` for ``a`` against ``b`` (per-seed values).

    One seed: compared at the shown precision. Several seeds: "beats" only when the 95 % interval
    of the per-seed differences lies above zero (the interval is appended).
    """
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if len(diffs) == 1:
        if round(a[0], digits) > round(b[0], digits):
            return "beats"
        return "ties" if round(a[0], digits) == round(b[0], digits) else "does not beat"
    iv = seed_interval(diffs)
    verdict = "beats" if iv.low > 0 else "does not beat" if iv.high < 0 else "cannot be told apart from"
    return f"{verdict} ({report.interval(iv, digits)} over {len(diffs)} seeds, 95 % interval)"


def _mean_with_interval(values: Sequence[float]) -> str:
    iv = bootstrap_mean(values)
    return f"{iv.estimate:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def _mean_claim(a: Sequence[float], b: Sequence[float], higher: str, lower: str) -> str:
    """Two sample means of one seed: ``higher`` / ``lower`` only when their bootstrap intervals do not
    overlap (a conservative test), else "not clearly different from"."""
    ia, ib = bootstrap_mean(a), bootstrap_mean(b)
    if ia.low > ib.high:
        return higher
    if ia.high < ib.low:
        return lower
    return "not clearly different from"


def discussion(results: Sequence[GCPNResult]) -> str:
    """The Markdown of notebook 06's discussion, for the results of one or more seeds."""
    if not results:
        raise ValueError("argument 'results' is empty")
    r0, n = results[0], len(results)
    c = r0.config
    seeds = "one seed" if n == 1 else f"{n} seeds"
    lines = [
        f"**What this run measured** ({seeds}; {r0.num_train} {r0.dataset} training molecules, {c.bc_steps} "
        f"behaviour-cloning steps, {c.qed_iterations} PPO iterations of {c.num_envs} episodes for QED and "
        f"{c.plogp_iterations} for penalized logP, {c.target_iterations} per targeting window and "
        f"{c.constrained_iterations} for constrained optimisation; the paper's terminal validity reward and "
        f"filters {'on' if c.paper_terms else 'off'}, at least {c.min_actions} actions per episode). None of it "
        "is comparable to the paper's numbers: other molecules (MOSES, not ZINC250k) and a budget of minutes, "
        "not hours."
        + (" One seed shows what happened, not how reliably it happens." if n == 1 else ""),
        "",
    ]

    # validity, uniqueness, novelty
    validity = {m: _values(results, lambda r, m=m: r.generation[m]["validity"]) for m in r0.generation}
    all_valid = all(v == 1.0 for vals in validity.values() for v in vals)
    uniq = {m: _fmt(_values(results, lambda r, m=m: r.generation[m]["uniqueness"])) for m in r0.generation}
    novel = {m: _fmt(_values(results, lambda r, m=m: r.generation[m]["novelty"])) for m in r0.generation}
    lines.append(
        ("* **Validity is 1 for every run**, by construction: masks remove illegal choices and the environment "
         "rejects the rest, so every molecule passes RDKit — the paper's headline advantage over SMILES models. "
         if all_valid else
         f"* **Validity is below 1** ({', '.join(f'{m}: {_fmt(v)}' for m, v in validity.items())}): the masks "
         "should make every molecule valid, so this is worth investigating. ")
        + "Uniqueness of the final samples: " + ", ".join(f"{m} {v}" for m, v in uniq.items())
        + "; novelty: " + ", ".join(f"{m} {v}" for m, v in novel.items())
        + f" (against the whole training split, {r0.num_reference} molecules)."
    )

    # the valence mask: does the step penalty teach validity?
    masked, unmasked = r0.mask_histories["masked"], r0.mask_histories["unmasked"]
    if masked and unmasked:
        first_u, last_u = unmasked[0]["valid_actions"], unmasked[-1]["valid_actions"]
        rises = last_u > first_u
        reward_m = _values(results, lambda r: float(np.mean([h["reward"] for h in r.mask_histories["masked"][-3:]])))
        reward_u = _values(results, lambda r: float(np.mean([h["reward"] for h in r.mask_histories["unmasked"][-3:]])))
        better = np.mean(reward_m) >= np.mean(reward_u)
        lines.append(
            f"* **Valence mask.** Without it the agent proposes bonds that break valences; the environment reverts "
            f"them and the step penalty punishes them. The fraction of valid actions went from {first_u:.2f} in the "
            f"first to {last_u:.2f} in the last of {len(unmasked)} iterations"
            + (" — the step penalty is teaching validity" if rises else " — at this budget the step penalty has "
               "not taught validity")
            + f"; with the mask every action is valid by construction. Mean QED reward over the last iterations: "
            f"{_fmt(reward_m)} with the mask, {_fmt(reward_u)} without, so the mask "
            + ("stays the default: it spends no episodes on learning valences." if better else
               "is not better here on the reward; it stays the default because it makes every action count.")
        )

    # QED
    def top1(key: str) -> list[float]:
        return _values(results, lambda r: r.tops[key][0][1] if r.tops[key] else float("nan"))

    gcpn, noadv, pre, best = top1("qed/gcpn"), top1("qed/gcpn-no-adversarial"), top1("qed/pretrained"), \
        top1("qed/dataset-best")
    budget = r0.pool_sizes["qed/pretrained"]
    lines.append(
        f"* **QED top-1: {_fmt(gcpn)} with the adversarial reward, {_fmt(noadv)} without** (best training "
        f"molecule {_fmt(best)}; paper {PAPER_TOP['qed'][0]} on ZINC250k). Is it the RL or the pretraining? The "
        f"pretrained policy *without any RL*, given as many molecules ({budget}), reaches {_fmt(pre)}: at the "
        f"same sample count GCPN {versus(gcpn, pre)} the pretrained-only policy, and GCPN without the "
        f"discriminator {versus(noadv, pre)} it."
    )
    top3 = {m: _values(results, lambda r, m=m: r.tops[f"qed/{m}"][-1][1] if r.tops[f"qed/{m}"] else float("nan"))
            for m in ("gcpn", "pretrained")}
    noshape = top1("qed/gcpn-no-shaping")
    lines.append(f"  QED top-3: GCPN {_fmt(top3['gcpn'])}, pretrained {_fmt(top3['pretrained'])} (GCPN "
                 f"{versus(top3['gcpn'], top3['pretrained'])} it). Without reward shaping GCPN reaches a top-1 of "
                 f"{_fmt(noshape)}: shaping {versus(gcpn, noshape)} the unshaped run.")
    if n == 1:
        mean_gcpn, mean_pre = r0.final["qed/gcpn"].qed, r0.pretrained.qed
        claim = _mean_claim(mean_gcpn, mean_pre, "higher than", "lower than")
        lines.append(
            f"  The *average* QED of the final samples is {_mean_with_interval(mean_gcpn)} for GCPN and "
            f"{_mean_with_interval(mean_pre)} for the pretrained policy (mean and 95 % bootstrap interval over "
            f"{c.eval_samples} samples each): GCPN's average is {claim} the pretrained policy's"
            + (" (the intervals overlap)." if claim.startswith("not") else ".")
        )
    else:
        means_g = _values(results, lambda r: r.final["qed/gcpn"].mean_qed)
        means_p = _values(results, lambda r: r.pretrained.mean_qed)
        lines.append(f"  Mean QED of the final samples: GCPN {_fmt(means_g)}, pretrained {_fmt(means_p)}; GCPN "
                     f"{versus(means_g, means_p)} the pretrained policy.")

    # penalized logP
    gcpn, noadv = top1("plogp/gcpn"), top1("plogp/gcpn-no-adversarial")
    pre, best = top1("plogp/pretrained"), top1("plogp/dataset-best")
    tops = [s for r in results for s, _ in r.tops["plogp/gcpn"]]
    hydro = sum(is_hydrocarbon(s) for s in tops)
    hacked = hydro * 2 > len(tops)
    lines.append(
        f"* **Penalized logP top-1: {_fmt(gcpn, 2)} with the adversarial reward, {_fmt(noadv, 2)} without** "
        f"(best training molecule {_fmt(best, 2)}, pretrained policy's best of {r0.pool_sizes['plogp/pretrained']} "
        f"samples {_fmt(pre, 2)}; paper {PAPER_TOP['plogp'][0]}). GCPN {versus(gcpn, best, 2)} the best training "
        f"molecule and {versus(gcpn, pre, 2)} the pretrained policy. "
        + (f"Look at the molecules: {hydro} of the {len(tops)} top GCPN molecules are pure hydrocarbons. That is "
           "**reward hacking** — penalized logP rewards hydrophobic bulk and barely penalises it, so the agent "
           "learns \"add carbons\", not chemistry." if hacked else
           f"{hydro} of the {len(tops)} top GCPN molecules are pure hydrocarbons; still, penalized logP rewards "
           "hydrophobic bulk, so watch for agents that learn \"add carbons\" rather than chemistry.")
        + f" The discriminator pulls towards molecules that look like the data: with it GCPN "
        f"{versus(gcpn, noadv, 2)} the run without it on this objective."
    )
    earns = [versus(top1("qed/gcpn"), top1("qed/pretrained")), versus(top3["gcpn"], top3["pretrained"]),
             versus(gcpn, pre, 2)]
    if all(v.startswith("beats") for v in earns):
        lines.append("* **RL earns its keep at this budget**: at matched sample counts GCPN beats the pretrained-only "
                     "policy on QED top-1, QED top-3 and penalized logP top-1.")
    else:
        lines.append("* **RL does not earn its keep at this budget** on all three of QED top-1, QED top-3 and "
                     f"penalized logP top-1 (GCPN {earns[0]}, {earns[1]} and {earns[2]} the pretrained-only policy). "
                     f"With {c.qed_iterations} PPO iterations of {c.num_envs} episodes the pretrained policy's samples "
                     f"are nearly as good. The budget study below (`experiments.seeds gcpn-plogp-budget`) extends the "
                     "penalized-logP agent to larger budgets on this machine; the `full` profile "
                     f"({PROFILES.full.qed_iterations} iterations of {PROFILES.full.num_envs} episodes, paper-sized "
                     "network) is the paper's budget, hours on many cores.")

    # the paper's filters
    fp = {m: _fmt(_values(results, lambda r, m=m: r.filter_pass[m])) for m in r0.filter_pass}
    flagged = sorted({s for r in results for s, v in r.verdicts.items() if not all(v)
                      and any(s == t for t, _ in r.tops["qed/gcpn"] + r.tops["plogp/gcpn"])})
    lines.append("* **Filters.** Fraction of final samples passing both the steric-strain and the ZINC substructure "
                 "filter: " + ", ".join(f"{m} {v}" for m, v in fp.items()) + f". {len(flagged)} of GCPN's top "
                 "molecules fail a filter (see their verdicts in the drawing above).")

    # adversarial reward and synthesisability
    parts = []
    for task in ("qed", "plogp"):
        with_adv = _values(results, lambda r, t=task: r.final[f"{t}/gcpn"].mean_sa)
        without = _values(results, lambda r, t=task: r.final[f"{t}/gcpn-no-adversarial"].mean_sa)
        easier = "easier" if np.mean(with_adv) < np.mean(without) else "not easier"
        parts.append(f"{task} run {_fmt(with_adv, 2)} with vs {_fmt(without, 2)} without ({easier} to synthesise "
                     "with it)")
    train_sa = float(np.mean([np.mean(r.train_sa) for r in results]))
    lines.append(f"* **Adversarial reward and realism.** Mean SA score of the final samples (lower is easier): "
                 f"{'; '.join(parts)}. The {r0.dataset} training molecules average {train_sa:.2f}. SA is one view "
                 "of realism; the molecules drawn above are another.")

    # targeting
    items = []
    for window in c.windows:
        ours = _values(results, lambda r, w=window: r.targeting[w].success)
        base = _values(results, lambda r, w=window: r.targeting[w].pretrained_success)
        items.append(f"{window}: {_fmt(ours)} (pretrained {_fmt(base)}, paper {PAPER_TARGETING[window][0]})")
    lines.append(f"* **Targeting (Table 2)** with {c.target_iterations} PPO iteration(s) per window, success over "
                 f"{c.target_samples} samples: " + "; ".join(items) + ". With so few samples each rate is coarse; "
                 "the paper's rates come from much longer training on ZINC250k.")

    # constrained optimisation
    items = []
    for delta in c.deltas:
        imp_all = _values(results, lambda r, d=delta: r.constrained[d].improvement_all)
        imp = _values(results, lambda r, d=delta: r.constrained[d].improvement)
        succ = _values(results, lambda r, d=delta: r.constrained[d].success)
        items.append(f"δ = {delta}: improvement {_fmt(imp_all, 2)} over all starts ({_fmt(imp, 2)} over the "
                     f"successful ones), success {_fmt(succ, 2)} (paper {PAPER_CONSTRAINED[delta][0]}, 1.0)")
    lines.append(f"* **Constrained optimisation (Table 3)** on {r0.constrained_source}, {c.constrained_iterations} "
                 f"PPO iteration(s), at most {c.constrained_steps} added actions: " + "; ".join(items) + ". The "
                 "improvement over all starts counts a failed start as 0, as the paper does; the one over successes "
                 "flatters a low success rate. GCPN's actions only *add* atoms and bonds to the start molecule.")
    lines.append("* **Scale.** The paper trains for hours on ZINC250k with 64-unit layers and thousands of "
                 "iterations; the `full` profile has such settings. Read these numbers as a working pipeline at "
                 "laptop scale, not as a reproduction of the paper's tables.")
    return "\n".join(lines)


#: (method, metric) pairs of the seed sweep shown in the notebook: does RL earn its keep?
SWEEP_HEADLINE = (("gcpn", "qed-top1"), ("pretrained", "qed-top1"), ("gcpn", "qed-top3"), ("pretrained", "qed-top3"),
                  ("gcpn", "plogp-top1"), ("pretrained", "plogp-top1"), ("gcpn", "filter-pass"),
                  ("gcpn", "improvement-all/delta=0.4"))


def seed_sweep(path) -> str:
    """Markdown of the headline metrics of the output of ``python -m experiments.seeds gcpn`` at ``path`` (mean and
    95 % interval over its seeds), or how to produce it when the file is missing."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        return (f"No seed sweep yet for this profile (`{path}` is missing). Run "
                "`python -m experiments.seeds gcpn --seeds 0-2 --profile <profile>` to get the headline numbers "
                "over three seeds; this notebook then shows them here.")
    payload = json.loads(path.read_text())
    by_key = {(m["method"], m["metric"]): m for m in payload["metrics"]}
    lines = [f"**Seed sweep** ({len(payload['seeds'])} seeds, profile `{payload['profile']}`, from `{path.name}`):", "",
             "| method | metric | mean | 95 % interval over seeds |", "|---|---|---|---|"]
    for key in SWEEP_HEADLINE:
        if key in by_key:
            m = by_key[key]
            lines.append(f"| {key[0]} | {key[1]} | {m['mean']:.3f} | [{m['ci95'][0]:.3f}, {m['ci95'][1]:.3f}] |")
    for metric in ("qed-top1", "qed-top3", "plogp-top1"):
        g, p = by_key.get(("gcpn", metric)), by_key.get(("pretrained", metric))
        if g and p:
            lines.append("")
            lines.append(f"* {metric}: GCPN {versus(g['values'], p['values'])} the pretrained-only policy.")
    return "\n".join(lines)


def budget_study(path) -> str:
    """Markdown of the output of ``python -m experiments.seeds gcpn-<task>-budget`` at ``path``: GCPN vs the
    pretrained-only policy on the task (penalized logP or QED) at each PPO budget (mean and interval over
    seeds, computed verdicts), or how to produce it when the file is missing (notebook 06)."""
    import json
    import re
    from pathlib import Path

    path = Path(path)
    task = "qed" if "-qed-" in path.name else "plogp"
    name, digits = ("QED", 3) if task == "qed" else ("Penalized logP", 2)
    if not path.is_file():
        return (f"No {name} budget study yet for this profile (`{path}` is missing). Run "
                f"`python -m experiments.seeds gcpn-{task}-budget --seeds 0-2 --profile <profile>`: it extends the "
                f"notebook's {name} agent to larger PPO budgets and compares it at each with as many samples of the "
                "pretrained policy; this notebook then shows it here.")
    payload = json.loads(path.read_text())
    by_key = {(m["method"], m["metric"]): m for m in payload["metrics"]}
    budgets = sorted({int(match.group(1)) for _, metric in by_key
                      if (match := re.fullmatch(rf"{task}-top1/iterations=(\d+)", metric))})
    lines = [f"**{name} against the RL budget** ({len(payload['seeds'])} seeds, profile "
             f"`{payload['profile']}`, from `{path.name}`; top-1 of the best distinct molecules, GCPN's training "
             "episodes plus final samples against as many samples of the pretrained policy):", "",
             "| PPO iterations | GCPN top-1 | pretrained top-1 | GCPN vs pretrained (top-1) | GCPN vs pretrained (top-3) |",
             "|---|---|---|---|---|"]
    wins = []
    for budget in budgets:
        g1, p1 = by_key[("gcpn", f"{task}-top1/iterations={budget}")], by_key[("pretrained", f"{task}-top1/iterations={budget}")]
        g3, p3 = by_key[("gcpn", f"{task}-top3/iterations={budget}")], by_key[("pretrained", f"{task}-top3/iterations={budget}")]
        top1, top3 = versus(g1["values"], p1["values"], digits), versus(g3["values"], p3["values"], digits)
        if top1.startswith("beats") and top3.startswith("beats"):
            wins.append(budget)
        lines.append(f"| {budget} | {_fmt(g1['values'], digits)} | {_fmt(p1['values'], digits)} | {top1} | {top3} |")
    lines.append("")
    if task == "qed":
        room = [PAPER_DATASET_BEST["qed"] - float(np.mean(by_key[("pretrained", f"qed-top1/iterations={b}")]["values"]))
                for b in budgets]  # fmt: skip
        lines.append(f"* Room at the top: QED's best known value is {PAPER_DATASET_BEST['qed']} (ZINC250k's best molecule, "
                     "and the paper's GCPN top-1). The pretrained policy's top-1 leaves "
                     + ", ".join(f"{r:.3f} at {b}" for r, b in zip(room, budgets, strict=True))
                     + " PPO iterations (mean over seeds): no policy can beat it on top-1 by more than that.")
    last = budgets[-1]
    passing = by_key.get(("gcpn", f"top3-filter-pass/iterations={last}"))
    carbon = by_key.get(("gcpn", f"top3-hydrocarbon/iterations={last}"))
    if passing and carbon:
        lines.append(f"* What the agent found at {last} iterations: of GCPN's top-3 molecules "
                     f"{np.mean(carbon['values']):.0%} are pure hydrocarbons and {np.mean(passing['values']):.0%} pass "
                     "both of the paper's filters (steric strain, ZINC substructures), mean over seeds."
                     + (" Penalized logP rewards hydrophobic bulk, and long alkane chains are the known way to win it; "
                        "the paper's filter penalties make that costlier but do not forbid it. A higher score is not a "
                        "better drug." if task == "plogp" else ""))
    if wins and wins == [b for b in budgets if b >= wins[0]]:
        verdict = f"* GCPN beats the pretrained-only policy on both top-1 and top-3 from {wins[0]} PPO iterations on."
    elif wins:
        verdict = ("* GCPN beats the pretrained-only policy on both top-1 and top-3 at "
                   f"{', '.join(map(str, wins))} PPO iterations, but not at every larger budget of this study.")
    lines.append(verdict if wins else
                 f"* GCPN does not beat the pretrained-only policy on both top-1 and top-3 at any budget up to "
                 f"{last} PPO iterations in this study; whether a larger one would is open (the paper trains for hours "
                 "on many cores)."
                 + (f" QED is bounded (the paper's and ZINC250k's best molecule: {PAPER_DATASET_BEST['qed']}) and the "
                    "pretrained policy's best samples already come close, so the top-k leaves RL little room; the mean "
                    "QED of the final samples, in the discussion above, is where RL can show." if task == "qed" else ""))
    return "\n".join(lines)
