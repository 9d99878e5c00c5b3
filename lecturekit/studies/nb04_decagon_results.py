"""Notebook 04's typed results and the tables its sections display (no prose, no verdict words).

* record names and protocol constants (:data:`METHODS`, :data:`PROTOCOLS`, :data:`MAIN_PROTOCOL`, ...);
* :class:`DecagonResult` / :class:`LeakResult` (one seed each) and their recorded :meth:`rows`;
* tables: :func:`results_table` (long), :func:`level_table` (each method's mean with a seed interval),
  :func:`comparisons` (paired differences for :func:`lecturekit.studies.report.verdict_table`),
  :func:`strata_table`, :func:`one_world_table` (per side effect of ONE world, labelled with its module pairs).

Paired differences resample (seed, side effect) units: each side effect is scored within its own seed's
world, and both methods share that world's split and negatives, so a unit is one paired comparison; the
mean of a per-unit AUROC difference stays within [-1, 1] and so does its bootstrap interval.
Used by ``notebooks/04_decagon.ipynb`` through :mod:`lecturekit.studies.nb04_decagon`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from lecturekit.hetero.evaluate import EvalResult
from lecturekit.results import Row
from lecturekit.stats import Interval, bootstrap_mean, paired_bootstrap, seed_interval
from lecturekit.studies.contract import RunResult
from lecturekit.studies.report import Comparison

# Record names (issues #13, #25).
METHODS = (
    "decagon",
    "decagon-summed-normalisation",
    "degree",
    "popularity",
    "rescal",
    "dedicom",
    "deepwalk",
    "concat-mlp",
    "ddi-gcn",
    "decagon-shuffled-targets",
)
PROTOCOLS = ("uniform", "degree-matched")
METRICS = ("auroc", "auprc", "ap@50")
# Strata of test pairs by the pair's training degree: the smaller of its two drugs' numbers of training
# drug-drug triples (any side effect). Bounds are inclusive; "cold" pairs hold a drug the model never saw
# in a training pair, so only its targets (or features) can place it.
DEGREE_BINS = MappingProxyType({"cold": (0, 0), "low": (1, 4), "high": (5, 10**9)})
STRATA = tuple(DEGREE_BINS)

# Table 2 of Zitnik et al. 2018 (BioSNAP, uniform negatives, the authors' split): AUROC, AUPRC, AP@50.
# Their concatenated-features baseline used gradient-boosted trees, their DeepWalk baseline logistic regression.
PAPER_TABLE2 = MappingProxyType(
    {
        "decagon": (0.872, 0.832, 0.803),
        "concat-mlp": (0.793, 0.764, 0.712),
        "deepwalk": (0.761, 0.737, 0.658),
        "dedicom": (0.705, 0.637, 0.567),
        "rescal": (0.693, 0.613, 0.476),
    }
)
COLLISION_LIMIT = 0.05  # issue #13: under 5 % of test positives may ever be drawn as training negatives

MAIN_PROTOCOL = "degree-matched"  # the chance reference: no-learning scores sit at 0.5 under it
NO_LEARNING = ("degree", "popularity")
BASELINES = ("rescal", "dedicom", "deepwalk", "concat-mlp", "ddi-gcn")  # the learned baselines of issue #25


@dataclass(frozen=True)
class Scores:
    """One method under one protocol: means over side effects, and per side effect (NaN: not evaluated)."""

    auroc: float
    auprc: float
    ap50: float
    auroc_per_side_effect: tuple[float, ...]
    auprc_per_side_effect: tuple[float, ...]
    ap50_per_side_effect: tuple[float, ...]

    @classmethod
    def empty(cls, num_relations: int) -> Scores:
        """Nothing to evaluate (an empty stratum): every value NaN."""
        nan = (math.nan,) * num_relations
        return cls(math.nan, math.nan, math.nan, nan, nan, nan)

    @classmethod
    def from_eval(cls, result: EvalResult) -> Scores:
        per = result.per_relation
        return cls(
            result.auroc, result.auprc, result.ap50, *(tuple(float(v) for v in per[m]) for m in METRICS)
        )

    def metric(self, name: str) -> float:
        """The mean of ``name`` in :data:`METRICS` (``auroc``, ``auprc``, ``ap@50``)."""
        if name not in METRICS:
            raise ValueError(f"argument 'name' must be one of {METRICS}, got {name!r}")
        return {"auroc": self.auroc, "auprc": self.auprc, "ap@50": self.ap50}[name]


@dataclass(frozen=True)
class MethodResult:
    """One method of one seed: its scores under both protocols and its training time."""

    method: str
    uniform: Scores
    degree_matched: Scores
    train_seconds: float
    strata: tuple[Scores, ...] = ()  # degree-matched, per :data:`STRATA` (cold, low, high)
    weight_decay: float = math.nan  # chosen on the validation split (NaN: nothing learned)
    best_epoch: int = -1  # the epoch kept by early stopping (-1: nothing learned)
    val_auroc: float = math.nan  # its validation AUROC (degree-matched validation negatives)

    def protocol(self, name: str) -> Scores:
        if name not in PROTOCOLS:
            raise ValueError(f"argument 'name' must be one of {PROTOCOLS}, got {name!r}")
        return self.uniform if name == "uniform" else self.degree_matched

    def stratum(self, name: str) -> Scores:
        """Degree-matched scores of the test pairs in stratum ``name`` of :data:`DEGREE_BINS`."""
        if name not in STRATA:
            raise ValueError(f"argument 'name' must be one of {STRATA}, got {name!r}")
        return self.strata[STRATA.index(name)]


@dataclass(frozen=True)
class DeNovoList:
    """Decagon's top-scored drug pairs that are no known pair of one planted molecular side effect."""

    side_effect: int
    modules: tuple[int, int]  # the planted module pair (a, b) of the side effect
    pairs: tuple[tuple[int, int], ...]  # (drug i, drug j), best first
    scores: tuple[float, ...]
    explained: tuple[bool, ...]  # does the pair fit the planted rule (one drug hits a, the other b)?
    base_rate: float  # the fraction of all drug pairs that fit the rule
    popularity_percentile: float  # mean popularity percentile (0-100) of the drugs in the list

    @property
    def explained_fraction(self) -> float:
        return sum(self.explained) / len(self.explained) if self.explained else math.nan

    @property
    def distinct_drugs(self) -> int:
        return len({d for pair in self.pairs for d in pair})


@dataclass(frozen=True)
class BothActive:
    """Share of test positives / evaluation negatives whose two drugs both have a training edge of the
    side effect: what the degree score can see."""

    positives: float
    uniform: float
    degree_matched: float


def _method_result(results: Sequence[MethodResult], name: str) -> MethodResult:
    for result in results:
        if result.method == name:
            return result
    raise KeyError(f"method {name!r} was not run; have {[r.method for r in results]}")


@dataclass(frozen=True)
class DecagonResult(RunResult):
    """One seed of the comparison (:func:`run_seed`)."""

    dataset: str  # "planted" or "biosnap"
    methods: tuple[MethodResult, ...]
    side_effect_kinds: tuple[
        str, ...
    ]  # "molecular" / "popularity" per side effect (planted); () for real data
    test_pairs_per_side_effect: tuple[int, ...]  # unordered test pairs (0: side effect not evaluated)
    both_active: BothActive
    de_novo: tuple[DeNovoList, ...]  # per planted molecular side effect (needs "decagon"); () otherwise
    epochs: int  # the epoch budget of every learned model (said in the notes)
    test_share: float  # the test fraction of each side effect's pairs (said in the notes)
    world_seed: int = 0  # the planted world's seed, derived from the run seed
    collision_rate_budget: float = math.nan  # expected share of test positives drawn as training negatives
    collision_rate_decagon: float = math.nan  # share actually drawn in Decagon's run (early stopped)
    stratum_positives: tuple[int, ...] = ()  # directed test positives per :data:`STRATA` stratum
    side_effect_names: tuple[str, ...] = ()  # this world's labels (planted: its module pairs)

    def method(self, name: str) -> MethodResult:
        return _method_result(self.methods, name)

    @property
    def method_names(self) -> tuple[str, ...]:
        return tuple(m.method for m in self.methods)

    def note(self, method: str, protocol: str, stratum: str | None = None) -> str:
        """What a recorded number of ``method`` under ``protocol`` (and ``stratum``) is (the same for every seed)."""
        strata = ""
        if stratum is not None:
            lo, hi = DEGREE_BINS[stratum]
            bound = f"{lo}" if lo == hi else f"{lo}-{hi}" if hi < 10**9 else f">={lo}"
            strata = (
                f"; only test pairs whose less-connected drug has {bound} training drug-drug triples "
                f"({stratum}), with their own matched negatives"
            )
        if self.dataset == "planted":
            base = (
                f"planted world of this run seed (known biology), pair-preserving split per side effect "
                f"({self.test_share:.0%} test); early stopping and weight decay on the validation split, "
                f"budget {self.epochs} epochs; test pairs vs one {protocol} negative each; mean over side "
                f"effects{strata}"
            )
            if protocol == "uniform" and method in PAPER_TABLE2:
                classifier = {
                    "concat-mlp": " (the paper: gradient-boosted trees, here an MLP)",
                    "deepwalk": " (the paper: logistic regression, here an MLP)",
                }.get(method, "")
                return (
                    base
                    + f"; paper: real BioSNAP data, the authors' leaky split{classifier} (orientation only)"
                )
            return base
        base = (
            f"BioSNAP, {len(self.test_pairs_per_side_effect)} side effects; test pairs vs one {protocol} "
            "negative each; mean over side effects"
        )
        if protocol == "uniform" and method in PAPER_TABLE2:
            return base + (
                "; the paper's data, negatives and metrics; differs from the paper: pair-preserving "
                "split (the authors' split leaks reverse edges, which inflates scores), "
                f"{self.epochs} full-batch epochs instead of edge-type minibatches"
            )
        return base + strata + ("; not a protocol of the paper" if protocol == "degree-matched" else "")

    def rows(self) -> list[Row]:
        """Every method x metric under both protocols, and per degree stratum (empty strata are left out)."""
        out = []
        for result in self.methods:
            for protocol in PROTOCOLS:
                scores = result.protocol(protocol)
                for k, metric in enumerate(METRICS):
                    paper = (
                        PAPER_TABLE2[result.method][k]
                        if (protocol == "uniform" and result.method in PAPER_TABLE2)
                        else None
                    )
                    comparable = self.dataset == "biosnap" and paper is not None
                    out.append(
                        Row(
                            self.dataset,
                            result.method,
                            f"{metric}/{protocol}",
                            scores.metric(metric),
                            paper=paper,
                            comparable=comparable,
                            note=self.note(result.method, protocol),
                        )
                    )
            for stratum, scores in zip(STRATA, result.strata, strict=True):
                for metric in METRICS:
                    value = scores.metric(metric)
                    if math.isfinite(value):
                        out.append(
                            Row(
                                self.dataset,
                                result.method,
                                f"{metric}/degree-matched/{stratum}",
                                value,
                                note=self.note(result.method, "degree-matched", stratum),
                            )
                        )
        return out


@dataclass(frozen=True)
class LeakResult(RunResult):
    """One seed of ``config.leak_methods`` trained and evaluated on the leaky split (:func:`run_leak_seed`)."""

    dataset: str
    methods: tuple[MethodResult, ...]

    def method(self, name: str) -> MethodResult:
        return _method_result(self.methods, name)

    def rows(self) -> list[Row]:
        note = (
            "the original code's split: directed entries split independently, so the reverse of a test "
            f"edge stays in training ({self.dataset}); compare with the same method's clean row"
        )
        return [
            Row(
                self.dataset,
                f"{r.method}-leaky-split",
                f"auroc/{protocol}",
                r.protocol(protocol).auroc,
                note=note,
            )
            for r in self.methods
            for protocol in PROTOCOLS
        ]


def per_seed(
    results: Sequence[DecagonResult | LeakResult], method: str, protocol: str, metric: str = "auroc"
) -> np.ndarray:
    """``metric`` of ``method`` under ``protocol``, one value per result (in the given order)."""
    return np.array([r.method(method).protocol(protocol).metric(metric) for r in results])


def results_table(results: Sequence[DecagonResult | LeakResult]) -> pd.DataFrame:
    """Long table: one row per (seed, method, protocol, metric) with its value."""
    rows = [
        {
            "seed": r.seed,
            "method": m.method,
            "protocol": p,
            "metric": metric,
            "value": m.protocol(p).metric(metric),
        }
        for r in results
        for m in r.methods
        for p in PROTOCOLS
        for metric in METRICS
    ]
    return pd.DataFrame(rows)


def level_table(results: Sequence[DecagonResult], metric: str = "auroc") -> pd.DataFrame:
    """Per method (rows) and protocol: mean over seeds with its 95 % seed interval (3 decimals)."""
    rows = {}
    for method in results[0].method_names:
        row = {}
        for protocol in PROTOCOLS:
            iv = seed_interval(per_seed(results, method, protocol, metric))
            row[protocol] = round(iv.estimate, 3)
            row[f"{protocol} 95 % interval"] = f"[{iv.low:.3f}, {iv.high:.3f}]" if iv.n > 1 else "one seed"
        rows[method] = row
    return pd.DataFrame(rows).T


def _units(result: DecagonResult | LeakResult, method: str, protocol: str) -> np.ndarray:
    """Per side effect AUROC of ``method`` under ``protocol`` (``degree-matched/<stratum>`` for a stratum)."""
    m = result.method(method)
    scores = m.stratum(protocol.split("/", 1)[1]) if protocol.count("/") else m.protocol(protocol)
    return np.asarray(scores.auroc_per_side_effect, dtype=float)


def paired_units(
    a_runs: Sequence[DecagonResult | LeakResult],
    a: str,
    b_runs: Sequence[DecagonResult | LeakResult],
    b: str,
    protocol: str,
) -> Interval:
    """Mean over (seed, side effect) units of ``AUROC(a) - AUROC(b)``, paired bootstrap interval.

    ``a_runs`` and ``b_runs`` are paired by seed (the same worlds); units either leaves unevaluated drop out.
    """
    by_seed = {r.seed: r for r in b_runs}
    missing = [r.seed for r in a_runs if r.seed not in by_seed]
    if missing:
        raise ValueError(f"runs of seeds {missing} have no partner to compare with")
    x = np.concatenate([_units(r, a, protocol) for r in a_runs])
    y = np.concatenate([_units(by_seed[r.seed], b, protocol) for r in a_runs])
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        return Interval(math.nan, math.nan, math.nan, n=0)
    return paired_bootstrap(x[keep], y[keep])


def comparisons(
    results: Sequence[DecagonResult],
    pairs: Sequence[tuple[str, str]],
    protocol: str,
    b_runs: Sequence[DecagonResult | LeakResult] | None = None,
) -> list[Comparison]:
    """One :class:`Comparison` per ``(a, b)`` (AUROC, paired over seed x side-effect units)."""
    label = protocol if b_runs is None else f"{protocol}, leaky - clean split"
    return [
        Comparison(
            a,
            b,
            f"auroc ({label})",
            paired_units(results if b_runs is None else b_runs, a, results, b, protocol),
            over="(seed, side effect) units, paired",
        )
        for a, b in pairs
    ]


def chance_comparisons(
    results: Sequence[DecagonResult], methods: Sequence[str], protocol: str, level: float = 0.5
) -> list[Comparison]:
    """Each method's mean AUROC minus ``level`` (0.5: chance), interval over seeds (each seed its own world)."""
    return [
        Comparison(
            m,
            f"{level:g}",
            f"auroc ({protocol})",
            seed_interval(per_seed(results, m, protocol) - level),
            over="seeds",
        )
        for m in methods
    ]


def best_baseline(results: Sequence[DecagonResult], protocol: str = MAIN_PROTOCOL) -> str:
    """The learned baseline of :data:`BASELINES` with the highest mean AUROC over seeds under ``protocol``."""
    run = [m for m in BASELINES if m in results[0].method_names]
    if not run:
        raise ValueError(f"no learned baseline was run; have {results[0].method_names}")
    return max(run, key=lambda m: float(per_seed(results, m, protocol).mean()))


def strata_table(results: Sequence[DecagonResult], metric: str = "auroc") -> pd.DataFrame:
    """Degree-matched ``metric`` per method (rows) and stratum (columns): the mean over seeds of each seed's
    mean over side effects (each within its own world); the last row counts directed test positives."""
    rows = {}
    for method in results[0].method_names:
        rows[method] = {
            s: float(np.nanmean([r.method(method).stratum(s).metric(metric) for r in results]))
            if any(math.isfinite(r.method(method).stratum(s).metric(metric)) for r in results)
            else math.nan
            for s in STRATA
        }
    table = pd.DataFrame(rows).T.round(3)
    table.loc["test positives (all seeds)"] = [
        sum(r.stratum_positives[k] for r in results) for k in range(len(STRATA))
    ]
    return table


def one_world_table(
    result: DecagonResult, methods: Sequence[str], protocol: str = MAIN_PROTOCOL
) -> pd.DataFrame:
    """Per side effect of ONE seed's world, in index order (no ranking): its label (module pair or
    popularity), kind, test pairs and each method's AUROC under ``protocol``."""
    table = pd.DataFrame(
        {
            "side effect": result.side_effect_names,
            "kind": result.side_effect_kinds or ("",) * len(result.side_effect_names),
            "test pairs": result.test_pairs_per_side_effect,
        }
    )
    for method in methods:
        table[method] = np.round(_units(result, method, protocol), 3)
    return table


def kind_table(result: DecagonResult, methods: Sequence[str], protocol: str = MAIN_PROTOCOL) -> pd.DataFrame:
    """Within ONE world: each method's mean AUROC over the side effects of each kind, bootstrap interval."""
    kinds = np.array(result.side_effect_kinds)
    rows = []
    for method in methods:
        values = _units(result, method, protocol)
        for kind in dict.fromkeys(result.side_effect_kinds):
            v = values[(kinds == kind) & np.isfinite(values)]
            iv = bootstrap_mean(v) if len(v) > 1 else Interval(math.nan, math.nan, math.nan, n=len(v))
            rows.append(
                {
                    "method": method,
                    "kind": kind,
                    "side effects": len(v),
                    "mean AUROC": round(iv.estimate, 3),
                    "95 % interval": f"[{iv.low:.3f}, {iv.high:.3f}]",
                }
            )
    return pd.DataFrame(rows)


def de_novo_comparison(result: DecagonResult) -> Comparison:
    """Within ONE world: the share of Decagon's top new pairs that fit their side effect's planted rule,
    minus the share of all drug pairs that fit it, bootstrap interval over its molecular side effects."""
    lists = [d for d in result.de_novo if d.pairs]
    if not lists:
        raise ValueError(f"seed {result.seed} has no de novo list (planted world and 'decagon' needed)")
    diff = paired_bootstrap([d.explained_fraction for d in lists], [d.base_rate for d in lists])
    return Comparison(
        "top new pairs",
        "random pair",
        f"share fitting the rule (seed {result.seed}'s world)",
        diff,
        over=f"{len(lists)} molecular side effects",
    )
