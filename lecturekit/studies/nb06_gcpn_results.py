"""Notebook 06's typed results: what one seed of :mod:`lecturekit.studies.nb06_gcpn` measured, the rows it
records (``rows()``) and the comparisons each section of the notebook discusses (``comparisons(section)``, for
:func:`lecturekit.studies.report.verdict_table`). A companion of ``nb06_gcpn`` (kept apart for size)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from lecturekit.generation.gcpn import evaluate, rewards
from lecturekit.results import Row
from lecturekit.seed import derive_seed
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import RunResult
from lecturekit.studies.report import Comparison

if TYPE_CHECKING:
    from lecturekit.studies.nb06_gcpn import GCPNExperiment

TASKS = ("qed", "plogp")
#: RL methods: ``(adversarial reward, reward shaping)``: GCPN and its two ablations.
METHODS = {"gcpn": (True, True), "gcpn-no-adversarial": (False, True), "gcpn-no-shaping": (True, False)}
#: The paper's numbers (You et al. 2018, Tables 1-3), on ZINC250k, for orientation only.
PAPER_TOP = {"plogp": (7.98, 7.85, 7.80), "qed": (0.948, 0.947, 0.946)}
PAPER_DATASET_BEST = {"plogp": 4.52, "qed": 0.948}  # best ZINC250k molecule
PAPER_TARGETING = {
    "logp[-2.5,-2]": (0.855, 0.392),
    "logp[5,5.5]": (0.547, 0.855),
    "mw[150,200]": (0.761, 0.921),
    "mw[500,550]": (0.741, 0.920),
}  # (success, diversity)
PAPER_CONSTRAINED = {
    0.0: (4.20, 0.32),
    0.2: (4.12, 0.34),
    0.4: (2.49, 0.47),
    0.6: (0.79, 0.68),
}  # (impr., sim.)
SCORES = {"qed": rewards.qed, "plogp": rewards.penalized_logp}


@dataclass(frozen=True)
class SampleSummary:
    """A set of generated molecules: generation metrics, per-valid-sample scores, realism."""

    n: int
    validity: float
    uniqueness: float
    novelty: float
    qed: tuple[float, ...]
    sa: tuple[float, ...]
    plogp: tuple[float, ...]
    large_ring: float  # share with an SSSR ring of 8 or more atoms
    small_ring: float  # share with a 3- or 4-ring
    int_div: float  # mean pairwise Tanimoto distance

    @property
    def mean_qed(self) -> float:
        return float(np.mean(self.qed)) if self.qed else 0.0

    @property
    def mean_sa(self) -> float:
        return float(np.mean(self.sa)) if self.sa else 0.0


def summarise(smiles: Sequence[str], training: frozenset[str] | set[str]) -> SampleSummary:
    gen = evaluate.generation_metrics(smiles, training)
    valid = [s for s in smiles if evaluate.is_valid(s)]
    large, small = evaluate.ring_shares(valid) if valid else (0.0, 0.0)
    return SampleSummary(
        len(smiles),
        gen["validity"],
        gen["uniqueness"],
        gen["novelty"],
        tuple(rewards.qed(s) for s in valid),
        tuple(rewards.sa_score(s) for s in valid),
        tuple(rewards.penalized_logp(s) for s in valid),
        large,
        small,
        rewards.diversity(valid),
    )


@dataclass(frozen=True)
class TargetingOutcome:
    hits: int
    pretrained_hits: int
    samples: int
    diversity: float | None  # None when there is no hit (missing, never 0.0)
    # share of the run's training molecules inside the window (what the expert imitates)
    training_share: float
    expert_term_hits: int | None = None  # the ablation with the reference's expert term; None where not run

    @property
    def success(self) -> float:
        return self.hits / self.samples

    @property
    def pretrained_success(self) -> float:
        return self.pretrained_hits / self.samples


@dataclass(frozen=True)
class ConstrainedOutcome:
    """One policy's constrained optimisation at one delta (``per_start``: best improvement per start, 0 = failure)."""

    improvement: float
    improvement_all: float
    similarity: float
    success: float
    per_start: tuple[float, ...]
    examples: tuple[tuple[str, str, float, float], ...]


@dataclass(frozen=True)
class GCPNResult(RunResult):
    """One seed of notebook 06. Keys of the per-run mappings are ``"<task>/<method>"``."""

    partial_metrics: ClassVar[tuple[str, ...]] = ("diversity/",)  # a window without hits has no diversity

    dataset: str
    train_summary: str
    test_summary: str
    num_train: int
    expert_pairs: int
    bc_losses: tuple[float, ...]
    untrained: SampleSummary
    samples: Mapping[str, SampleSummary]  # pretrained, training-data and every RL method's realism samples
    histories: Mapping[str, tuple[Mapping[str, float], ...]]
    final: Mapping[str, SampleSummary]  # eval_samples final molecules per RL run
    tops: Mapping[str, tuple[tuple[str, float], ...]]
    pool_sizes: Mapping[str, int]
    generation: Mapping[str, Mapping[str, float]]
    fcd: Mapping[str, float]  # against eval_samples MOSES test molecules
    filter_pass: Mapping[str, float]
    verdicts: Mapping[str, tuple[bool, bool]]
    targeting: Mapping[str, TargetingOutcome]
    constrained: Mapping[str, Mapping[float, ConstrainedOutcome]]  # "gcpn" / "pretrained" -> delta -> outcome
    unchanged: Mapping[str, float]  # share of constrained candidates equal to their start
    constrained_start_plogp: tuple[float, ...]
    constrained_source: str
    constrained_dataset: str  # "zinc" with the paper's starts file, else the run's data set
    num_reference: int
    config: GCPNExperiment

    def rows(self) -> list[Row]:
        c, ds = self.config, self.dataset
        where = f"{ds} molecules ({self.num_train} training), not the paper's ZINC250k; far smaller budget"
        rows: list[Row] = []
        for task in TASKS:
            for method in (*METHODS, "pretrained", "dataset-best"):
                paper = (
                    PAPER_TOP[task]
                    if method == "gcpn"
                    else (PAPER_DATASET_BEST[task],)
                    if method == "dataset-best"
                    else ()
                )
                for k, (_, value) in enumerate(self.tops[f"{task}/{method}"], start=1):
                    rows.append(
                        Row(
                            ds,
                            method,
                            f"{task}-top{k}",
                            value,
                            paper[k - 1] if k <= len(paper) else None,
                            note=f"best distinct of {self.pool_sizes[f'{task}/{method}']} molecules; {where}",
                        )
                    )
        for method, gen in self.generation.items():
            for metric, value in gen.items():
                rows.append(
                    Row(
                        ds,
                        method,
                        metric,
                        value,
                        1.0 if metric == "validity" and method == "gcpn" else None,
                        note=f"{2 * c.eval_samples} final samples of the QED and pLogP agents; {where}",
                    )
                )
        for method, value in self.filter_pass.items():
            rows.append(
                Row(
                    ds,
                    method,
                    "filter-pass",
                    value,
                    note=f"share passing the steric-strain and ZINC "
                    f"substructure filters ({2 * c.filter_samples} molecules); {where}",
                )
            )
        for method in METHODS:
            rows.append(
                Row(
                    ds,
                    method,
                    "qed-mean",
                    self.final[f"qed/{method}"].mean_qed,
                    note=f"mean QED of {c.eval_samples} final samples of the QED agent; {where}",
                )
            )
            rows.append(
                Row(
                    ds,
                    method,
                    "plogp-mean",
                    float(np.mean(self.final[f"plogp/{method}"].plogp)),
                    note=f"mean penalized logP of {c.eval_samples} final samples of the pLogP agent; {where}",
                )
            )
        for method in ("pretrained", "training-data"):
            s = self.samples[method]
            rows.append(Row(ds, method, "qed-mean", s.mean_qed, note=f"{c.eval_samples} molecules; {where}"))
            rows.append(
                Row(
                    ds,
                    method,
                    "plogp-mean",
                    float(np.mean(s.plogp)),
                    note=f"{c.eval_samples} molecules; {where}",
                )
            )
        for method, s in self.samples.items():
            note = f"{c.eval_samples} molecules (an RL method: half from each agent); SSSR rings; {where}"
            rows += [
                Row(ds, method, "sa-mean", s.mean_sa, note=note),
                Row(ds, method, "large-ring-share", s.large_ring, note=note),
                Row(ds, method, "small-ring-share", s.small_ring, note=note),
                Row(ds, method, "int-div", s.int_div, note=note),
                Row(
                    ds,
                    method,
                    "fcd",
                    self.fcd[method],
                    note=f"Frechet ChemNet Distance to {c.eval_samples} "
                    f"MOSES test molecules (biased at this size: compare with training-data); {note}",
                ),
            ]
        for window, out in self.targeting.items():
            p_success, p_diversity = PAPER_TARGETING[window]
            note = f"{c.target_samples} samples after {c.target_iterations} PPO iterations (the reference's reward); {where}"
            rows.append(Row(ds, "gcpn", f"success/{window}", out.success, p_success, note=note))
            if out.diversity is not None:  # no hit: diversity is missing, not 0
                rows.append(
                    Row(
                        ds,
                        "gcpn",
                        f"diversity/{window}",
                        out.diversity,
                        p_diversity,
                        note=f"mean pairwise Tanimoto distance over all hits; {note}",
                    )
                )
            rows.append(
                Row(
                    ds,
                    "pretrained",
                    f"success/{window}",
                    out.pretrained_success,
                    note=f"{c.target_samples} samples of the pretrained policy, no RL; {where}",
                )
            )
            rows.append(
                Row(
                    ds,
                    "training-data",
                    f"success/{window}",
                    out.training_share,
                    note=f"share of the {self.num_train} training molecules inside the window; {where}",
                )
            )
            if out.expert_term_hits is not None:
                rows.append(
                    Row(
                        ds,
                        "gcpn-expert-term",
                        f"success/{window}",
                        out.expert_term_hits / out.samples,
                        note=f"ablation: the reference's expert term during targeting; {note}",
                    )
                )
        cds = self.constrained_dataset
        note = (
            f"{self.constrained_source}; {c.constrained_samples} candidates per start of {c.min_actions} to "
            f"{c.constrained_steps} attempted actions; 2048-bit Morgan radius-2 Tanimoto similarity"
        )
        for method in ("gcpn", "pretrained"):
            rows.append(
                Row(
                    cds,
                    method,
                    "unchanged",
                    self.unchanged[method],
                    note=f"share of candidates equal to their start; {note}",
                )
            )
            for delta, out in self.constrained[method].items():
                p_improvement, p_similarity = PAPER_CONSTRAINED[delta] if method == "gcpn" else (None, None)
                rows.append(
                    Row(
                        cds,
                        method,
                        f"improvement-all/delta={delta}",
                        out.improvement_all,
                        p_improvement,
                        note=f"mean over all starts, a failed start counting 0 (as the paper); {note}",
                    )
                )
                rows.append(
                    Row(
                        cds,
                        method,
                        f"success/delta={delta}",
                        out.success,
                        1.0 if method == "gcpn" else None,
                        note=note,
                    )
                )
                if method == "gcpn":
                    rows.append(
                        Row(
                            cds,
                            method,
                            f"improvement/delta={delta}",
                            out.improvement,
                            note=f"mean over successful starts only (flatters a low success rate); {note}",
                        )
                    )
                    rows.append(
                        Row(
                            cds,
                            method,
                            f"similarity/delta={delta}",
                            out.similarity,
                            p_similarity,
                            note=f"mean over successful starts; {note}",
                        )
                    )
        return rows

    def comparisons(self, section: str) -> list[Comparison]:
        """What a section of the notebook discusses, for :func:`~lecturekit.studies.report.verdict_table`:
        ``"targeting"`` (success, Newcombe interval), ``"means"`` (mean QED / pLogP of every method vs the
        pretrained policy, bootstrap over samples), ``"constrained"`` (improvement over all starts, paired
        bootstrap over starts) or ``"top-k"`` (one seed: no interval, so no verdict)."""
        seed = derive_seed(self.seed, "comparisons")
        if section == "targeting":
            out = []
            for w, o in self.targeting.items():
                against = [("pretrained", o.pretrained_hits)]
                if o.expert_term_hits is not None:
                    against.append(("gcpn-expert-term", o.expert_term_hits))
                out += [
                    Comparison(
                        "gcpn",
                        name,
                        f"success/{w}",
                        evaluate.proportion_difference(o.hits, o.samples, hits, o.samples),
                        "samples (Newcombe)",
                    )
                    for name, hits in against
                ]
            return out
        if section == "means":
            base = self.samples["pretrained"]
            out = []
            for task, field in (("qed", "qed"), ("plogp", "plogp")):
                for method in (*METHODS, "training-data"):
                    values = getattr(
                        self.final[f"{task}/{method}"] if method in METHODS else self.samples[method], field
                    )
                    out.append(
                        Comparison(
                            method,
                            "pretrained",
                            f"{task}-mean",
                            evaluate.mean_difference(values, getattr(base, field), seed=seed),
                            "samples",
                        )
                    )
            return out
        if section == "constrained":
            return [
                Comparison(
                    "gcpn",
                    "pretrained",
                    f"improvement-all/delta={d}",
                    paired_bootstrap(
                        self.constrained["gcpn"][d].per_start,
                        self.constrained["pretrained"][d].per_start,
                        seed=seed,
                    ),
                    "starts",
                )
                for d in self.constrained["gcpn"]
            ]
        if section == "top-k":
            out = []
            for task in TASKS:
                for k in range(3):
                    diff = self.tops[f"{task}/gcpn"][k][1] - self.tops[f"{task}/pretrained"][k][1]
                    out.append(
                        Comparison(
                            "gcpn",
                            "pretrained",
                            f"{task}-top{k + 1}",
                            Interval(diff, diff, diff),
                            "one seed: no interval",
                        )
                    )
            return out
        raise KeyError(
            f"unknown section {section!r}; expected 'targeting', 'means', 'constrained' or 'top-k'"
        )
