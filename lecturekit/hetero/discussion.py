"""Notebook 04's discussion text, built from the results of its runs so the prose cannot drift.

Every number is computed here from :class:`~lecturekit.hetero.experiment.DecagonResult` /
:class:`~lecturekit.hetero.experiment.LeakResult` objects, and every verdict ("ahead", "cannot be told
apart", "below chance") follows from a 95 % interval: differences between two methods are paired bootstrap
intervals over side effects (:func:`lecturekit.stats.paired_bootstrap` of the per-side-effect values, each
averaged over seeds; both methods share split and negatives), a method against chance or against itself on
another split is an interval over seeds (:func:`lecturekit.stats.seed_interval`). With one seed no verdict is
given; the text then says so.
Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lecturekit.hetero.experiment import (
    COLLISION_LIMIT,
    DEGREE_BINS,
    METRICS,
    PAPER_TABLE2,
    PROTOCOLS,
    STRATA,
    DecagonResult,
    LeakResult,
    MethodResult,
    Scores,
    per_seed,
)
from lecturekit.stats import Interval, paired_bootstrap, seed_interval
from lecturekit.studies.report import compare, interval, mean_pm

LABELS = {
    "decagon": "Decagon",
    "decagon-summed-normalisation": "Decagon with summed normalisation",
    "degree": "the degree score",
    "rescal": "RESCAL",
    "dedicom": "DEDICOM",
    "deepwalk": "DeepWalk + MLP",
    "concat-mlp": "the concatenated-features MLP",
    "ddi-gcn": "the drug–drug-only GCN",
    "decagon-shuffled-targets": "the shuffled-targets ablation",
}
FREE_EMBEDDINGS = ("rescal", "dedicom")


def _label(method: str) -> str:
    return LABELS.get(method, method)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def results_table(results: Sequence[DecagonResult | LeakResult]) -> pd.DataFrame:
    """Long table: one row per (seed, method, protocol, metric) with its value."""
    rows = [
        {"seed": r.seed, "method": m.method, "protocol": p, "metric": metric,
         "value": m.protocol(p).metric(metric)}
        for r in results for m in r.methods for p in PROTOCOLS for metric in METRICS
    ]
    return pd.DataFrame(rows)


def _scores_of(method: MethodResult, protocol: str) -> Scores:
    """``protocol`` is ``uniform``, ``degree-matched`` or ``degree-matched/<stratum>``."""
    if protocol.startswith("degree-matched/"):
        return method.stratum(protocol.split("/", 1)[1])
    return method.protocol(protocol)


def per_side_effect(results: Sequence[DecagonResult], method: str, protocol: str,
                    metric: str = "auroc") -> np.ndarray:
    """``metric`` of ``method`` per side effect, averaged over seeds (NaN where no seed evaluated it)."""
    field = {"auroc": "auroc_per_side_effect", "auprc": "auprc_per_side_effect", "ap@50": "ap50_per_side_effect"}
    rows = np.array([getattr(_scores_of(r.method(method), protocol), field[metric]) for r in results], dtype=float)
    seen = np.isfinite(rows)
    total = np.where(seen, rows, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def paired_difference(results: Sequence[DecagonResult], a: str, b: str, protocol: str,
                      metric: str = "auroc") -> Interval:
    """Mean over side effects of ``a - b`` (per side effect averaged over seeds), paired bootstrap interval.

    Side effects that either method leaves unevaluated are dropped; with one seed the result's ``n`` is 1,
    so no verdict is drawn from it (:func:`_above` / :func:`_below`).
    """
    x, y = per_side_effect(results, a, protocol, metric), per_side_effect(results, b, protocol, metric)
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return Interval(float("nan"), float("nan"), float("nan"), n=0)
    iv = paired_bootstrap(x[keep], y[keep])
    return iv if len(results) > 1 else Interval(iv.estimate, iv.estimate, iv.estimate, n=1)


def _above(iv: Interval, level: float = 0.0) -> bool:
    """The interval lies above ``level`` (never established by one seed)."""
    return iv.n > 1 and iv.low > level


def _below(iv: Interval, level: float = 0.0) -> bool:
    return iv.n > 1 and iv.high < level


def _compare(a: str, b: str, diff: Interval) -> str:
    """:func:`lecturekit.studies.report.compare`, except that one seed gives a number, not a verdict."""
    if diff.n < 2:
        return f"{a} minus {b} is {diff.estimate:+.3f} on the one seed (no interval, no verdict)"
    return compare(a, b, diff)


def _chance(values: np.ndarray) -> str:
    """Where an AUROC stands against 0.5, from its interval over seeds."""
    iv = seed_interval(values)
    if iv.n < 2:
        return "on one seed, so not placed against chance"
    if iv.low > 0.5:
        return "above chance"
    if iv.high < 0.5:
        return "below chance"
    return "indistinguishable from chance"


def _ranked(results: Sequence[DecagonResult], protocol: str, exclude: Sequence[str] = ()) -> list[str]:
    names = [m for m in results[0].method_names if m not in exclude]
    return sorted(names, key=lambda m: -float(per_seed(results, m, protocol).mean()))


def _seeds_note(results: Sequence[DecagonResult], profile: str) -> str:
    n = len(results)
    text = (f"*(Computed from this run: profile `{profile}`, {n} seed{'s' if n != 1 else ''}; a method's value "
            "has a 95 % interval over seeds, a difference between two methods a paired bootstrap interval over "
            "side effects (each side effect averaged over seeds; same split and negatives).")
    if n == 1:
        text += " With one seed an interval has zero width and no difference below is established."
    if profile == "quick":
        text += " The `quick` profile only checks that everything runs: its numbers mean nothing."
    return text + ")*"


def reading_the_results(results: Sequence[DecagonResult], profile: str) -> str:
    """The "Reading the results" discussion of section 4 (planted world, all methods)."""
    names = results[0].method_names
    trained = [m for m in names if m != "degree"]
    parts = ["### Reading the results", _seeds_note(results, profile)]

    # Uniform negatives: does counting appearances beat learning?
    if "degree" in names and trained:
        best = _ranked(results, "uniform", exclude=("degree",))[0]
        diff = paired_difference(results, "degree", best, "uniform")
        if _above(diff):
            head = "**Under uniform negatives the degree score wins.** It learns nothing, yet"
            tail = f"is ahead of every trained model: {_compare('the degree score', _label(best), diff)}."
        elif _below(diff):
            head = f"**Under uniform negatives {_label(best)} beats the degree score**"
            tail = f"({_compare(_label(best), 'the degree score', _neg(diff))})."
        else:
            head = ("**Under uniform negatives the degree score is not shown to trail the best trained model.** "
                    "It learns nothing;")
            tail = f"{_compare('the degree score', _label(best), diff)}."
        active = _mean_active(results)
        parts.append(
            f"{head} {tail} The degree score sees only whether a pair's drugs ever show side effect $r$: "
            f"{active['positives']:.0%} of test positives have both drugs with a training edge of their side "
            f"effect, against {active['uniform']:.0%} of uniform negatives. The paper's protocol therefore "
            "largely measures *who is popular with $r$*, and a high AUROC in Table 2 is not by itself evidence "
            "that a model learned pharmacology."
        )
        below = [m for m in trained if _below(seed_interval(per_seed(results, m, "uniform")), 0.5)]
        if below:
            listed = ", ".join(f"{_label(m)} ({mean_pm(per_seed(results, m, 'uniform'))})" for m in below)
            why = (" Free embeddings were trained only against degree-weighted negatives, so they never saw a "
                   "pair of 'inactive' drugs; how they rank such pairs is not what they were trained on."
                   if any(m in FREE_EMBEDDINGS for m in below) else "")
            parts.append(f"Below chance under uniform negatives (interval under 0.5): {listed}.{why}")

    # Degree-matched negatives: who reads biology?
    if "degree" in names:
        deg_u, deg_m = per_seed(results, "degree", "uniform"), per_seed(results, "degree", "degree-matched")
        change = seed_interval(deg_m - deg_u)
        verb = "drops" if _below(change) else "rises" if _above(change) else "is not shown to move"
        active = _mean_active(results)
        parts.append(
            f"**Under degree-matched negatives the degree score {verb}** from {mean_pm(deg_u)} to "
            f"{mean_pm(deg_m)} AUROC (change {interval(change)}), {_chance(deg_m)}: a matched negative's second drug "
            "has the same training degree in $r$ as its positive's, so the degree score ties every pair it can "
            f"match ({active['degree_matched']:.0%} of matched negatives have both drugs active, against "
            f"{active['positives']:.0%} of test positives). It is this protocol's chance reference."
        )
    ranking = _ranked(results, "degree-matched")
    leader, runner_up = ranking[0], ranking[1] if len(ranking) > 1 else None
    if runner_up is not None:
        parts.append(f"The ranking under degree-matched negatives: {', '.join(_label(m) for m in ranking)} "
                     "(by mean AUROC). The leader against the runner-up, per metric:")
        lines = [f"| metric | {_label(leader)} | {_label(runner_up)} | difference [95 % interval] |",
                 "|---|---|---|---|"]
        for metric in METRICS:
            diff = paired_difference(results, leader, runner_up, "degree-matched", metric)
            lines.append(f"| {metric} | {mean_pm(per_seed(results, leader, 'degree-matched', metric))} | "
                         f"{mean_pm(per_seed(results, runner_up, 'degree-matched', metric))} | {interval(diff)} |")
        parts.append("\n".join(lines))
        others = [m for m in names if m != leader]
        wins = sum(
            all(r.method(leader).degree_matched.metric(k) > r.method(m).degree_matched.metric(k)
                for m in others for k in METRICS)
            for r in results
        )
        auroc_diff = paired_difference(results, leader, runner_up, "degree-matched")
        parts.append(
            f"{_cap(_compare(_label(leader), _label(runner_up), auroc_diff))} in AUROC; {_label(leader)} is ahead "
            f"of every other method on all three metrics in {wins} of {len(results)} seeds."
        )
    if {"decagon", "decagon-shuffled-targets"} <= set(names):
        gain = paired_difference(results, "decagon", "decagon-shuffled-targets", "degree-matched")
        text = ("The shuffled-targets ablation keeps the model and the degrees and destroys the biology: "
                f"{_compare('Decagon', 'the ablation', gain)}")
        if "ddi-gcn" in names:
            vs_none = paired_difference(results, "decagon-shuffled-targets", "ddi-gcn", "degree-matched")
            text += f"; against no proteins at all, {_compare('the ablation', 'the drug–drug-only GCN', vs_none)}"
        text += ". "
        if _above(gain):
            text += ("So the gain comes from the drug → protein → module path, not from the extra parameters"
                     + (", and wrong biology is worse than none." if "ddi-gcn" in names and _below(vs_none)
                        else "."))
        else:
            text += "So this run cannot credit a gain to the drug → protein → module path."
        parts.append(text)
    if {"decagon", "decagon-summed-normalisation"} <= set(names):
        norm = paired_difference(results, "decagon", "decagon-summed-normalisation", "degree-matched")
        parts.append(
            "**Normalisation.** The authors normalise each block's message (drug → drug, protein → drug) before "
            "adding blocks; summing the blocks first lets the drug → drug block, a sum over all side effects, "
            f"outweigh the proteins. Under degree-matched negatives {_compare('Decagon', 'the summed variant', norm)}"
            + (", so the authors' normalisation matters here." if _above(norm) else
               ", so here the summed variant is the better one." if _below(norm) else
               ", so this run does not show that the choice matters.")
        )
    if "concat-mlp" in names:
        concat = per_seed(results, "concat-mlp", "degree-matched")
        text = ("Free embeddings (RESCAL, DEDICOM) and the drug–drug-only GCN must infer a drug's modules from its "
                "few training pairs. The concatenated-features MLP sees every drug's targets and mono side effects "
                "and its hidden layer can express \"one drug hits $a$ *and* the other hits $b$\" (the paper fed "
                f"the same kind of features to gradient-boosted trees): its AUROC is {mean_pm(concat)}, "
                f"{_chance(concat)}")
        if "decagon" in names:
            text += f"; {_compare('Decagon', 'the MLP', paired_difference(results, 'decagon', 'concat-mlp', 'degree-matched'))}"
        parts.append(text + ".")
    kinds = results[0].side_effect_kinds
    if "decagon" in names and "popularity" in kinds and "molecular" in kinds:
        by_kind = {k: np.array([np.nanmean([a for a, kind in zip(r.method("decagon").degree_matched
                                                                 .auroc_per_side_effect, kinds, strict=True)
                                            if kind == k]) for r in results])
                   for k in ("molecular", "popularity")}
        parts.append(
            f"Decagon's AUROC on the non-molecular side effects is {mean_pm(by_kind['popularity'])} "
            f"({_chance(by_kind['popularity'])}), against {mean_pm(by_kind['molecular'])} on the molecular ones "
            "(section 5): by construction nothing but popularity explains the former."
        )
    parts.append(_ap50_paragraph(results))
    if results[0].dataset == "planted":
        parts.append("Our absolute numbers are not comparable with the paper's (a small planted world, not "
                     "BioSNAP); the `paper` column in `04_decagon.json` is there for orientation only, and its "
                     "rows say `comparable: false`.")
    return "\n\n".join(parts)


def _neg(iv: Interval) -> Interval:
    return Interval(-iv.estimate, -iv.high, -iv.low, iv.level, iv.n)


def _mean_active(results: Sequence[DecagonResult]) -> dict[str, float]:
    return {k: float(np.mean([getattr(r.both_active, k) for r in results]))
            for k in ("positives", "uniform", "degree_matched")}


def _ap50_paragraph(results: Sequence[DecagonResult]) -> str:
    pairs = max(max(r.test_pairs_per_side_effect) for r in results)
    longest = 4 * pairs  # both directions of each test pair, plus one negative per directed positive
    learned = [m for m in results[0].method_names if m != "degree"]
    gap = max((abs(r.method(m).protocol(p).ap50 - r.method(m).protocol(p).auprc)
               for r in results for m in learned for p in PROTOCOLS), default=0.0)
    if longest < 50:
        text = (f"With at most {pairs} test pairs per side effect in this world, every ranked list "
                f"({longest} candidates at most) is shorter than 50, so AP@50 is AUPRC up to how ties are "
                f"broken: the largest gap between the two over the learned models is {gap:.3f}")
        if "degree" in results[0].method_names:
            dgap = max(abs(r.method("degree").protocol(p).ap50 - r.method("degree").protocol(p).auprc)
                       for r in results for p in PROTOCOLS)
            text += f", and {dgap:.3f} for the degree score with its many ties"
        return text + "."
    return (f"Ranked lists reach {longest} candidates, so AP@50 measures the top of each list, "
            "while AUPRC measures all of it.")


def leak_table(results: Sequence[DecagonResult], leaks: Sequence[LeakResult]) -> pd.DataFrame:
    """Clean vs leaky AUROC per (method, protocol), paired by seed, with the inflation's interval."""
    clean = _paired_clean(results, leaks)
    rows = []
    for method in leaks[0].methods:
        for protocol in PROTOCOLS:
            c = per_seed(clean, method.method, protocol)
            lk = per_seed(leaks, method.method, protocol)
            iv = seed_interval(lk - c)
            rows.append({"method": method.method, "protocol": protocol, "clean AUROC": c.mean(),
                         "leaky AUROC": lk.mean(), "inflation": iv.estimate, "inflation low": iv.low,
                         "inflation high": iv.high, "seeds": len(c)})
    return pd.DataFrame(rows)


def _paired_clean(results: Sequence[DecagonResult], leaks: Sequence[LeakResult]) -> list[DecagonResult]:
    by_seed = {r.seed: r for r in results}
    missing = [lk.seed for lk in leaks if lk.seed not in by_seed]
    if missing:
        raise ValueError(f"leaky runs of seeds {missing} have no clean run to compare with")
    return [by_seed[lk.seed] for lk in leaks]


def leak_discussion(results: Sequence[DecagonResult], leaks: Sequence[LeakResult], epochs: int) -> str:
    """Section 6's reading of the leak: who gains, by how much, against the paper's own gaps."""
    clean = _paired_clean(results, leaks)
    table = leak_table(results, leaks)
    matched = table[table["protocol"] == "degree-matched"].set_index("method")
    most = str(matched["inflation"].idxmax())
    n = len(leaks)
    parts = [f"*(Computed from this run: {n} seed{'s' if n != 1 else ''} of the leaky split, each paired with "
             "the clean run of the same seed; intervals are 95 % over seeds"
             + ("; one seed gives no interval" if n == 1 else "") + ".)*"]
    bullets = []
    for method in matched.index:
        lines = []
        for protocol in PROTOCOLS:
            row = table[(table["method"] == method) & (table["protocol"] == protocol)].iloc[0]
            iv = Interval(row["inflation"], row["inflation low"], row["inflation high"], n=n)
            lines.append(f"{interval(iv)} under {protocol} negatives")
        bullets.append(f"* {_cap(_label(method))}: leak inflation of AUROC {'; '.join(lines)}.")
    parts.append("\n".join(bullets))
    most_iv = _row_interval(table, most, "degree-matched", n)
    text = f"Under degree-matched negatives the leak pays most for {_label(most)}"
    if not _above(most_iv):
        text += ", though with these seeds no inflation is established (its interval reaches zero)."
    elif most in FREE_EMBEDDINGS:
        text += (" — a model that can **memorise** pairs: free drug embeddings just remember that $(j, i)$ "
                 "was a positive.")
    else:
        text += "."
    if "decagon" in matched.index and most != "decagon":
        leaky_most = per_seed(leaks, most, "degree-matched")
        honest = per_seed(clean, "decagon", "degree-matched")
        diff = seed_interval(leaky_most - honest)
        text += (f" With the leak, {_compare(f'leaky {_label(most)}', 'honest Decagon', diff)}"
                 + (" — a \"result\" produced entirely by the split." if _above(diff) else "."))
    if "decagon" in matched.index:
        text += (f" Decagon, smoothed by the graph and trained for this profile's {epochs} epochs, gains "
                 f"{interval(_row_interval(table, 'decagon', 'degree-matched', n))}; how much a model can "
                 "memorise grows with training, so rerun this section with more epochs "
                 "(`replace(config, train=replace(config.train, epochs=...))`) to see Decagon's share grow or not.")
    parts.append(text)
    paper_gap = PAPER_TABLE2["decagon"][0] - max(v[0] for k, v in PAPER_TABLE2.items() if k != "decagon")
    top = table.loc[table["inflation"].idxmax()]
    top_iv = _row_interval(table, str(top["method"]), str(top["protocol"]), n)
    if _above(top_iv, paper_gap):
        verdict = "larger than"
        end = ", so a pair-preserving split is not a detail."
    elif _below(top_iv, paper_gap):
        verdict = "smaller than"
        end = "; still, a leaky split flatters exactly the models that memorise."
    else:
        verdict = "not distinguishable from"
        end = "; more leaky seeds would tell which."
    parts.append(f"The largest inflation here ({_label(str(top['method']))}, {top['protocol']} negatives: "
                 f"{interval(top_iv)} AUROC) is {verdict} the gap between Decagon and the runner-up in the "
                 f"paper's Table 2 ({paper_gap:.3f}){end}")
    return "\n\n".join(parts)


def _row_interval(table: pd.DataFrame, method: str, protocol: str, n: int) -> Interval:
    row = table[(table["method"] == method) & (table["protocol"] == protocol)].iloc[0]
    return Interval(row["inflation"], row["inflation low"], row["inflation high"], n=n)


def best_molecular_side_effect(results: Sequence[DecagonResult]) -> int:
    """The molecular side effect with the best Decagon AUROC (degree-matched), averaged over seeds."""
    kinds = results[0].side_effect_kinds
    per_se = np.nanmean([r.method("decagon").degree_matched.auroc_per_side_effect for r in results], axis=0)
    candidates = [r for r, kind in enumerate(kinds) if kind == "molecular" and np.isfinite(per_se[r])]
    if not candidates:
        raise ValueError("no molecular side effect was evaluated")
    return max(candidates, key=lambda r: per_se[r])


def de_novo_discussion(results: Sequence[DecagonResult], side_effect: int, name: str) -> str:
    """Section 7's reading of the de novo list of ``side_effect`` (every seed's list)."""
    lists = [next(d for d in r.de_novo if d.side_effect == side_effect) for r in results]
    explained = np.array([d.explained_fraction for d in lists])
    base = lists[0].base_rate
    first = lists[0]
    ratio = explained.mean() / base if base > 0 else float("nan")
    k = len(first.pairs)
    crowded = first.popularity_percentile >= 75
    text = (
        f"Be sceptical here too. For the best-predicted molecular side effect ({name}), "
        f"{mean_pm(explained, 2)} of the top-{k} new pairs fit the planted rule (share per seed), "
        f"{ratio:.1f} times the {base:.1%} of a random pair. The first seed's list involves "
        f"{first.distinct_drugs} distinct drugs at a mean popularity percentile of "
        f"{first.popularity_percentile:.0f}"
        + (": it is dominated by popular drugs that the model pairs with everything. A raw Decagon score "
           "mixes \"popular with side effect $r$\" with \"fits the modules\", exactly the confound the uniform "
           "protocol rewards." if crowded else
           ", so popularity does not dominate it in this run; a raw Decagon score can still mix \"popular "
           "with side effect $r$\" with \"fits the modules\", the confound the uniform protocol rewards.")
        + " (An exercise: rank by the score's excess over the pair's mean score across side effects, and "
          "count again.) De novo predictions deserve the same degree-matched scrutiny before anyone reads "
          "pharmacology into them."
    )
    return text


def strata_table(results: Sequence[DecagonResult], metric: str = "auroc") -> pd.DataFrame:
    """Degree-matched ``metric`` per method (rows) and :data:`DEGREE_BINS` stratum (columns), mean over side
    effects of the per-side-effect values averaged over seeds; the last row counts directed test positives."""
    rows = {}
    for method in results[0].method_names:
        rows[method] = {s: float(np.nanmean(v)) if np.isfinite(v := per_side_effect(
            results, method, f"degree-matched/{s}", metric)).any() else float("nan") for s in STRATA}
    table = pd.DataFrame(rows).T
    table.loc["test positives (all seeds)"] = [sum(r.stratum_positives[k] for r in results)
                                                for k in range(len(STRATA))]
    return table


def strata_discussion(results: Sequence[DecagonResult]) -> str:
    """Section 4b: who beats the degree score (the chance reference) in which degree stratum."""
    bins = ", ".join(f"{name} = {lo}" + ("" if lo == hi else f"–{hi}" if hi < 10**9 else " or more")
                     for name, (lo, hi) in DEGREE_BINS.items())
    parts = [f"*(Strata by the pair's training degree, the smaller of its two drugs' numbers of training "
             f"drug–drug triples: {bins}. Intervals: paired bootstrap over side effects.)*"]
    names = [m for m in results[0].method_names if m != "degree"]
    if "degree" not in results[0].method_names:
        return parts[0]
    lines = []
    for stratum in STRATA:
        verdicts = []
        for method in names:
            diff = paired_difference(results, method, "degree", f"degree-matched/{stratum}")
            if diff.n == 0 or not np.isfinite(diff.estimate):
                continue
            if _above(diff):
                verdicts.append(f"{_label(method)} ({interval(diff)})")
        total = sum(r.stratum_positives[STRATA.index(stratum)] for r in results)
        beaten = ", ".join(verdicts) if verdicts else "no method is shown to"
        lines.append(f"* **{stratum}** ({total} directed test positives over all seeds): beating the degree "
                     f"score: {beaten}.")
    parts.append("\n".join(lines))
    parts.append("Within a stratum the matched negative's drug is as popular as the positive's partner, so the "
                 "degree score is the chance reference there: a method that does not clear it has learned "
                 "nothing beyond popularity for those pairs. Cold pairs hold a drug with no training pair at all, "
                 "which only a model reading targets or features can place.")
    return "\n\n".join(parts)


def collision_discussion(results: Sequence[DecagonResult]) -> str:
    """Section 3's check that training negatives rarely hit test positives (the world's calibration target)."""
    budget = np.array([r.collision_rate_budget for r in results])
    measured = np.array([r.collision_rate_decagon for r in results])
    worst = float(budget.max())
    text = (f"Expected share of directed test positives drawn at least once as a training negative over the whole "
            f"epoch budget: {mean_pm(budget)} (worst seed {worst:.1%}; the limit is {COLLISION_LIMIT:.0%}), "
            + ("within" if worst < COLLISION_LIMIT else "**over**") + " the limit.")
    if np.isfinite(measured).all():
        text += (f" In Decagon's early-stopped runs the share actually drawn was {mean_pm(measured)}. A test pair "
                 "drawn as a negative is one the model was taught to call a non-edge; the training sampler knows "
                 "only training edges, so the rate is kept low by sizing the world, not by peeking at test labels.")
    return text
