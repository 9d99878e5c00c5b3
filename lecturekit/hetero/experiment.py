"""Notebook 04's experiments: one frozen config, one seed end to end, typed results.

* :class:`DecagonExperiment` -- the config (defaults = the ``course`` profile) and :data:`PROFILES`;
* :func:`run_seed` -> :class:`DecagonResult`: every method of ``config.methods`` trained on one split and
  evaluated under both :data:`PROTOCOLS` (all methods share the split and the evaluation negatives);
* :func:`run_leak_seed` -> :class:`LeakResult`: ``config.leak_methods`` retrained on the original code's
  leaky split (the reverse of a test edge stays in training), paired with :func:`run_seed` by seed.

Each run owns its random streams (:func:`lecturekit.experiment.derive_seed` per purpose: split, evaluation
negatives, each method's initialisation and training draws), so a method's numbers do not depend on which
other methods ran, nor on anything run before. Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import torch
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import DDI, TARGETS, load_biosnap, make_planted
from lecturekit.experiment import Profiles, RunResult, derive_seed, seeded, torch_stream
from lecturekit.hetero.baselines import ConcatFeaturesLR, degree_scorer, drug_pair_features, shuffled_targets
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import EvalResult, Scorer, evaluate, model_scorer
from lecturekit.hetero.graph import build_graph, drug_only
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.split import DDISplit, Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, train_link_predictor
from lecturekit.results import Row

# Record names (issue #13): concat-features is today's logistic regression on concatenated features.
METHODS = ("decagon", "degree", "rescal", "dedicom", "concat-features", "ddi-gcn", "decagon-shuffled-targets")
PROTOCOLS = ("uniform", "degree-matched")
METRICS = ("auroc", "auprc", "ap@50")

# Table 2 of Zitnik et al. 2018 (BioSNAP, uniform negatives, the authors' split): AUROC, AUPRC, AP@50.
PAPER_TABLE2 = MappingProxyType({
    "decagon": (0.872, 0.832, 0.803),
    "concat-features": (0.793, 0.764, 0.712),
    "dedicom": (0.705, 0.637, 0.567),
    "rescal": (0.693, 0.613, 0.476),
})


@dataclass(frozen=True)
class PlantedWorld:
    """The :func:`~lecturekit.data.polypharmacy.make_planted` world (its other arguments keep their defaults)."""

    name: ClassVar[str] = "planted"
    num_drugs: int = 300  # about half BioSNAP's 645: a full-batch epoch takes well under a second
    num_proteins: int = 1000
    num_modules: int = 20  # 190 module pairs, so side effects rarely share a rule
    num_side_effects: int = 60
    num_popularity_side_effects: int = 3  # a few with nothing to learn beyond popularity (a floor)
    pairs_per_side_effect: int = 60  # 6 test pairs per side effect at a 10 % test share
    ppi_degree: float = 8.0
    seed: int = 0  # one world for every run seed: the seeds vary the split and the initialisation

    def build(self) -> HeteroData:
        return make_planted(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True)
class BioSNAP:
    """The real BioSNAP Decagon files in ``folder`` (the user supplies them; nothing is downloaded)."""

    name: ClassVar[str] = "biosnap"
    folder: str
    min_pairs: int = 500  # the paper's threshold: 964 side effects
    targets: str = TARGETS

    def build(self) -> HeteroData:
        return load_biosnap(self.folder, self.min_pairs, self.targets)


@dataclass(frozen=True)
class DecagonExperiment:
    """Everything notebook 04's runs depend on; the defaults are the ``course`` profile."""

    data: PlantedWorld | BioSNAP = PlantedWorld()
    decagon: DecagonConfig = DecagonConfig()
    train: TrainConfig = TrainConfig()  # Decagon, the drug-drug-only GCN and the ablation
    factorization_epochs: int = 200  # RESCAL / DEDICOM: free embeddings learn slower than the encoder
    factorization_lr: float = 0.01
    factorization_dim: int = 32  # = Decagon's embedding size
    factorization_weight_decay: float = 0.0
    lr_epochs: int = 100  # concatenated-features logistic regression
    lr_lr: float = 0.05  # a convex model with zero initialisation tolerates a larger step
    val: float = 0.1  # the paper's 80/10/10 split per side effect
    test: float = 0.1
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2)  # run seeds: split, evaluation negatives, initialisation
    leak_methods: tuple[str, ...] = ("decagon", "dedicom", "rescal")  # the graph model and the two memorisers
    leak_seeds: tuple[int, ...] = (0, 1)  # a subset of ``seeds``: each leaky run is paired with a clean one
    de_novo_top: int = 10  # new pairs listed per side effect

    def __post_init__(self) -> None:
        for name, allowed in (("methods", METHODS), ("leak_methods", METHODS)):
            chosen = getattr(self, name)
            unknown = [m for m in chosen if m not in allowed]
            if unknown or not chosen or len(set(chosen)) != len(chosen):
                raise ValueError(f"DecagonExperiment.{name} must be distinct names from {allowed}, got {chosen}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"DecagonExperiment.seeds must be distinct and non-empty, got {self.seeds}")
        if not set(self.leak_seeds) <= set(self.seeds):
            raise ValueError(f"DecagonExperiment.leak_seeds {self.leak_seeds} must be a subset of seeds {self.seeds}")
        if not (0 <= self.val < 1 and 0 < self.test < 1 and self.val + self.test < 1):
            raise ValueError(f"DecagonExperiment.val ({self.val}) and .test ({self.test}) must be fractions, sum < 1")


def _quick_and_full() -> tuple[DecagonExperiment, DecagonExperiment]:
    tiny_encoder = DecagonConfig(encoder=EncoderConfig(hidden_dim=8, out_dim=4))
    quick = replace(
        COURSE,
        data=PlantedWorld(num_drugs=40, num_proteins=80, num_modules=4, num_side_effects=4,
                          num_popularity_side_effects=1, pairs_per_side_effect=20, ppi_degree=6.0),
        decagon=tiny_encoder,
        train=replace(COURSE.train, epochs=3),  # CI: checks that everything runs, measures nothing
        factorization_epochs=3,
        factorization_dim=4,
        lr_epochs=3,
        seeds=(0,),
        leak_seeds=(0,),
    )
    full = replace(
        COURSE,
        # BioSNAP's node and side-effect counts, PPI mean degree 75 (715,612 edges over 19,085 proteins).
        data=PlantedWorld(num_drugs=645, num_proteins=19085, num_modules=30, num_side_effects=964,
                          num_popularity_side_effects=20, pairs_per_side_effect=500, ppi_degree=75.0),
        factorization_epochs=300,
        lr_epochs=200,
        seeds=(0, 1, 2, 3, 4),
    )
    return quick, full


COURSE = DecagonExperiment()
QUICK, FULL = _quick_and_full()
PROFILES = Profiles(quick=QUICK, course=COURSE, full=FULL)


# ---------------------------------------------------------------------------------------------------------
# Typed results


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
    def from_eval(cls, result: EvalResult) -> Scores:
        per = result.per_relation
        return cls(result.auroc, result.auprc, result.ap50,
                   *(tuple(float(v) for v in per[m]) for m in METRICS))

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

    def protocol(self, name: str) -> Scores:
        if name not in PROTOCOLS:
            raise ValueError(f"argument 'name' must be one of {PROTOCOLS}, got {name!r}")
        return self.uniform if name == "uniform" else self.degree_matched


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
    side_effect_kinds: tuple[str, ...]  # "molecular" / "popularity" per side effect (planted); () for real data
    test_pairs_per_side_effect: tuple[int, ...]  # unordered test pairs (0: side effect not evaluated)
    both_active: BothActive
    de_novo: tuple[DeNovoList, ...]  # per planted molecular side effect (needs "decagon"); () otherwise
    epochs: int  # Decagon's training epochs (said in the notes)
    test_share: float  # the test fraction of each side effect's pairs (said in the notes)

    def method(self, name: str) -> MethodResult:
        return _method_result(self.methods, name)

    @property
    def method_names(self) -> tuple[str, ...]:
        return tuple(m.method for m in self.methods)

    def note(self, method: str, protocol: str) -> str:
        """What a recorded number of ``method`` under ``protocol`` is (the same for every seed)."""
        if self.dataset == "planted":
            base = (f"planted world (known biology), pair-preserving split per side effect ({self.test_share:.0%} "
                    f"test); test pairs vs one {protocol} negative each; mean over side effects")
            if protocol == "uniform" and method in PAPER_TABLE2:
                return base + "; paper: real BioSNAP data, the authors' leaky split (orientation only)"
            return base
        base = (f"BioSNAP, {len(self.test_pairs_per_side_effect)} side effects; test pairs vs one {protocol} "
                "negative each; mean over side effects")
        if protocol == "uniform" and method in PAPER_TABLE2:
            return base + ("; the paper's data, negatives and metrics; differs from the paper: pair-preserving "
                           "split (the authors' split leaks reverse edges, which inflates scores), "
                           f"{self.epochs} full-batch epochs instead of edge-type minibatches")
        return base + ("; not a protocol of the paper" if protocol == "degree-matched" else "")

    def rows(self) -> list[Row]:
        out = []
        for result in self.methods:
            for protocol in PROTOCOLS:
                scores = result.protocol(protocol)
                for k, metric in enumerate(METRICS):
                    paper = PAPER_TABLE2[result.method][k] if (protocol == "uniform"
                                                              and result.method in PAPER_TABLE2) else None
                    comparable = self.dataset == "biosnap" and paper is not None
                    out.append(Row(self.dataset, result.method, f"{metric}/{protocol}", scores.metric(metric),
                                   paper=paper, comparable=comparable, note=self.note(result.method, protocol)))
        return out


@dataclass(frozen=True)
class LeakResult(RunResult):
    """One seed of ``config.leak_methods`` trained and evaluated on the leaky split (:func:`run_leak_seed`)."""

    dataset: str
    methods: tuple[MethodResult, ...]

    def method(self, name: str) -> MethodResult:
        return _method_result(self.methods, name)

    def rows(self) -> list[Row]:
        note = ("the original code's split: directed entries split independently, so the reverse of a test "
                f"edge stays in training ({self.dataset}); compare with the same method's clean row")
        return [
            Row(self.dataset, f"{r.method}-leaky-split", f"auroc/{protocol}", r.protocol(protocol).auroc, note=note)
            for r in self.methods
            for protocol in PROTOCOLS
        ]


# ---------------------------------------------------------------------------------------------------------
# One seed


def pairs_of(data: HeteroData) -> Triples:
    """The drug-drug (pair, side effect) triples of ``data`` (each unordered pair once)."""
    ei = data[DDI].edge_index
    return Triples(ei[0], ei[1], data[DDI].edge_type)


def make_split(data: HeteroData, config: DecagonExperiment, seed: int, leak: bool = False) -> DDISplit:
    """The split of run ``seed`` (the one :func:`run_seed` uses)."""
    return split_pairs(pairs_of(data), int(data["drug"].num_nodes), int(data.num_side_effects),
                       config.val, config.test, derive_seed(seed, "split"), leak)


def train_decagon(
    data: HeteroData, split: DDISplit, config: DecagonExperiment, generator: torch.Generator,
    targets: torch.Tensor | None = None,
) -> Decagon:
    """Build the training graph (no val/test drug-drug edges) and train Decagon on it."""
    graph = build_graph(data, split.train, targets=targets)
    model = Decagon(graph, split.num_relations, config.decagon, data["drug"].get("x"))
    train_link_predictor(model, split.train, split.num_drugs, split.num_relations, config.train, generator)
    return model


def train_method(data: HeteroData, split: DDISplit, config: DecagonExperiment, seed: int, method: str) -> Scorer:
    """Train ``method`` on ``split.train`` with run ``seed``'s streams for it; returns its scorer.

    Must run inside :func:`lecturekit.experiment.seeded`: the global generator is reseeded here per method
    (layer initialisation and dropout), so a method's result does not depend on which methods ran first.
    """
    torch.manual_seed(derive_seed(seed, f"init/{method}"))
    generator = torch_stream(seed, f"train/{method}")
    n, r = split.num_drugs, split.num_relations
    if method == "decagon":
        return model_scorer(train_decagon(data, split, config, generator))
    if method == "decagon-shuffled-targets":
        targets = shuffled_targets(data, derive_seed(seed, "shuffled-targets"))
        return model_scorer(train_decagon(data, split, config, generator, targets))
    if method == "ddi-gcn":
        return model_scorer(train_decagon(drug_only(data), split, config, generator))
    if method == "degree":
        return degree_scorer(split.train, n, r)
    if method in ("rescal", "dedicom"):
        model = FactorizationModel(n, r, config.factorization_dim, "bilinear" if method == "rescal" else "dedicom")
        settings = replace(config.train, epochs=config.factorization_epochs, lr=config.factorization_lr,
                           weight_decay=config.factorization_weight_decay, batch_mode="full")
        train_link_predictor(model, split.train, n, r, settings, generator)
        return model_scorer(model)
    if method == "concat-features":
        model = ConcatFeaturesLR(drug_pair_features(data), r)
        settings = replace(config.train, epochs=config.lr_epochs, lr=config.lr_lr, batch_mode="full")
        train_link_predictor(model, split.train, n, r, settings, generator)
        return model_scorer(model)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def _negatives(split: DDISplit, seed: int) -> dict[str, Triples]:
    return {
        p: evaluation_negatives(p, split.test, split.all_pos, split.num_drugs, split.num_relations,
                                derive_seed(seed, f"negatives/{p}"))
        for p in PROTOCOLS
    }


def _train_and_evaluate(
    data: HeteroData, split: DDISplit, config: DecagonExperiment, seed: int, methods: Sequence[str]
) -> tuple[tuple[MethodResult, ...], dict[str, Scorer], dict[str, Triples]]:
    negatives = _negatives(split, seed)
    results, scorers = [], {}  # type: ignore[var-annotated]
    for method in methods:
        start = time.perf_counter()
        scorers[method] = train_method(data, split, config, seed, method)
        seconds = time.perf_counter() - start
        scores = [Scores.from_eval(evaluate(scorers[method], split.test, negatives[p], split.num_relations))
                  for p in PROTOCOLS]
        results.append(MethodResult(method, scores[0], scores[1], seconds))
    return tuple(results), scorers, negatives


def _both_active_share(split: DDISplit, edges: Triples) -> float:
    """Share of ``edges`` whose two drugs both have a training edge of the edge's side effect."""
    deg = torch.bincount(split.train.rel * split.num_drugs + split.train.src,
                         minlength=split.num_relations * split.num_drugs)
    base = edges.rel * split.num_drugs
    return float(((deg[base + edges.src] > 0) & (deg[base + edges.dst] > 0)).double().mean())


def de_novo_lists(data: HeteroData, scorer: Scorer, top: int) -> tuple[DeNovoList, ...]:
    """For every planted molecular side effect, the ``top`` best-scored pairs that are no known pair of it."""
    n = int(data["drug"].num_nodes)
    iu, ju = torch.triu_indices(n, n, offset=1)
    modules = data["drug"].modules
    hits = torch.zeros(n, int(data["protein"].module.max()) + 1, dtype=torch.bool)
    for i, mods in enumerate(modules):
        hits[i, list(mods)] = True
    popularity = data["drug"].popularity
    percentile = 100.0 * torch.argsort(torch.argsort(popularity)).double() / max(n - 1, 1)
    ddi = data[DDI]
    out = []
    for r, rule in enumerate(data.side_effect_modules):
        if rule is None:
            continue
        a, b = rule
        fits = (hits[iu, a] & hits[ju, b]) | (hits[iu, b] & hits[ju, a])
        known = ddi.edge_index[:, ddi.edge_type == r]
        is_known = torch.zeros(n, n, dtype=torch.bool)
        is_known[known[0], known[1]] = True
        scores = scorer(Triples(iu, ju, torch.full_like(iu, r))).double()
        scores[is_known[iu, ju]] = -math.inf
        best = torch.argsort(scores, descending=True, stable=True)[:top]
        best = best[torch.isfinite(scores[best])]
        drugs = torch.cat([iu[best], ju[best]])
        out.append(DeNovoList(
            side_effect=r,
            modules=(int(a), int(b)),
            pairs=tuple((int(iu[k]), int(ju[k])) for k in best),
            scores=tuple(float(scores[k]) for k in best),
            explained=tuple(bool(fits[k]) for k in best),
            base_rate=float(fits.double().mean()),
            popularity_percentile=float(percentile[drugs].mean()) if len(drugs) else math.nan,
        ))
    return tuple(out)


def run_seed(config: DecagonExperiment, seed: int) -> DecagonResult:
    """One seed end to end: build the data, split, train ``config.methods``, evaluate under both protocols."""
    start = time.perf_counter()
    with seeded(seed):
        data = config.data.build()
        split = make_split(data, config, seed)
        methods, scorers, negatives = _train_and_evaluate(data, split, config, seed, config.methods)
        both_active = BothActive(*(_both_active_share(split, e) for e in
                                   (split.test, negatives["uniform"], negatives["degree-matched"])))
        planted = config.data.name == "planted"
        de_novo = de_novo_lists(data, scorers["decagon"], config.de_novo_top) if (
            planted and "decagon" in scorers) else ()
    return DecagonResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        dataset=config.data.name,
        methods=methods,
        side_effect_kinds=tuple(data.side_effect_kind) if planted else (),
        test_pairs_per_side_effect=tuple(int(v) // 2 for v in split.test_pairs_per_relation()),
        both_active=both_active,
        de_novo=de_novo,
        epochs=config.train.epochs,
        test_share=config.test,
    )


def run_leak_seed(config: DecagonExperiment, seed: int) -> LeakResult:
    """``config.leak_methods`` on the leaky split of run ``seed`` (same streams as :func:`run_seed`)."""
    start = time.perf_counter()
    with seeded(seed):
        data = config.data.build()
        split = make_split(data, config, seed, leak=True)
        methods, _, _ = _train_and_evaluate(data, split, config, seed, config.leak_methods)
    return LeakResult(seed=seed, seconds=time.perf_counter() - start, dataset=config.data.name, methods=methods)


def per_seed(results: Sequence[DecagonResult | LeakResult], method: str, protocol: str,
             metric: str = "auroc") -> np.ndarray:
    """``metric`` of ``method`` under ``protocol``, one value per result (in the given order)."""
    return np.array([r.method(method).protocol(protocol).metric(metric) for r in results])


__all__ = [
    "COURSE",
    "METHODS",
    "METRICS",
    "PAPER_TABLE2",
    "PROFILES",
    "PROTOCOLS",
    "BioSNAP",
    "BothActive",
    "DeNovoList",
    "DecagonExperiment",
    "DecagonResult",
    "LeakResult",
    "MethodResult",
    "PlantedWorld",
    "Scores",
    "de_novo_lists",
    "make_split",
    "pairs_of",
    "per_seed",
    "run_leak_seed",
    "run_seed",
    "train_decagon",
    "train_method",
]
