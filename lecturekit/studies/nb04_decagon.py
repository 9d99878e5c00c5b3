"""Notebook 04's study: one frozen config, one seed end to end, the world's calibration.

* :class:`PlantedWorld` / :class:`BioSNAP` and :class:`DecagonExperiment` (defaults = the ``course``
  profile) with :data:`PROFILES`;
* :func:`calibration_table` / :func:`calibrated_pairs`: the world sized from its assumptions and the
  collision rate alone (worlds and splits only, no model trained);
* :func:`run_seed` -> :class:`~lecturekit.studies.nb04_decagon_results.DecagonResult`: the planted world of
  the run seed, every method of ``config.methods`` trained on one split (weight decay chosen and training
  stopped on the validation split, the same epoch budget for all), evaluated once on the test split under
  both protocols and, under the main (degree-matched) protocol, per degree stratum;
* :func:`run_leak_seed` -> :class:`~lecturekit.studies.nb04_decagon_results.LeakResult`:
  ``config.leak_methods`` retrained on the original code's leaky split, paired with :func:`run_seed` by seed.

Each run owns its random streams (:func:`lecturekit.seed.derive_seed` per purpose: world, split, evaluation
negatives, each method's initialisation and training draws, DeepWalk's walks and initialisation), so a
method's numbers do not depend on which other methods ran, nor on anything run before.
Typed results and tables: :mod:`lecturekit.studies.nb04_decagon_results`. Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import ClassVar

import pandas as pd
import torch
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import DDI, TARGETS, load_biosnap, make_planted
from lecturekit.hetero.baselines import (
    PairMLP,
    degree_scorer,
    drug_pair_features,
    popularity_scorer,
    shuffled_targets,
)
from lecturekit.hetero.deepwalk import DeepWalkConfig, deepwalk_drug_features
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import Scorer, chance_ap, evaluate, model_scorer
from lecturekit.hetero.graph import build_graph, drug_only
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import evaluation_negatives, negative_collision_rate
from lecturekit.hetero.split import DDISplit, Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, TrainLog, train_link_predictor
from lecturekit.seed import derive_seed, seeded, torch_stream
from lecturekit.studies.contract import Profiles
from lecturekit.studies.nb04_decagon_results import (
    COLLISION_LIMIT,
    DEGREE_BINS,
    MAIN_PROTOCOL,
    METHODS,
    METRICS,
    PAPER_TABLE2,
    PROTOCOLS,
    STRATA,
    BothActive,
    DecagonResult,
    DeNovoList,
    LeakResult,
    MethodResult,
    Scores,
    per_seed,
)


@dataclass(frozen=True)
class PlantedWorld:
    """The :func:`~lecturekit.data.polypharmacy.make_planted` world (its other arguments keep their defaults).

    Sized by :func:`calibration_table` from its assumptions and the collision rate alone (no model
    trained): ``pairs_per_side_effect`` is the largest of a grid whose expected share of test positives drawn
    as training negatives, over the whole epoch budget, stays below :data:`COLLISION_LIMIT` on the world of
    every course run seed. Assumptions: about BioSNAP's drug count, drugs hitting one or two of ten modules,
    log-normal popularity (sigma 0.7), one negative per training triple per epoch, a 100-epoch budget.
    """

    name: ClassVar[str] = "planted"
    num_drugs: int = 600  # about BioSNAP's 645
    num_proteins: int = 1000
    num_modules: int = 10  # 45 module pairs: each drug hits 1-2, so a module pair spans about 90 drugs
    num_side_effects: int = 100
    num_popularity_side_effects: int = 5  # a few with nothing to learn beyond popularity (a floor)
    pairs_per_side_effect: int = 12  # calibrated: more pairs per side effect -> more test pairs memorised as non-edges
    ppi_degree: float = 8.0
    # Drug-drug history carries part of the signal (issue #25), from three stated assumptions:
    num_drug_classes: int = 60  # about 10 drugs per class, sharing their primary targets (e.g. statins: HMGCR)
    class_core_targets: int = 2  # the primary targets every drug of a class hits
    num_mechanisms: int = 19  # 95 molecular side effects in families of 5 sharing one module pair
    pair_pool_factor: float = 2.0  # an interacting pair shows about half of its mechanism's side effects

    def build(self, seed: int) -> HeteroData:
        """The world of planted-world seed ``seed`` (:func:`run_seed` derives it from the run seed)."""
        return make_planted(**{f.name: getattr(self, f.name) for f in fields(self)}, seed=seed)


@dataclass(frozen=True)
class BioSNAP:
    """The real BioSNAP Decagon files in ``folder`` (the user supplies them; nothing is downloaded)."""

    name: ClassVar[str] = "biosnap"
    folder: str
    min_pairs: int = 500  # the paper's threshold: 964 side effects
    targets: str = TARGETS

    def build(self, seed: int = 0) -> HeteroData:
        """The files (``seed`` is ignored: the real data is one world)."""
        return load_biosnap(self.folder, self.min_pairs, self.targets)


@dataclass(frozen=True)
class DecagonExperiment:
    """Everything notebook 04's runs depend on; the defaults are the ``course`` profile."""

    data: PlantedWorld | BioSNAP = PlantedWorld()
    decagon: DecagonConfig = DecagonConfig()
    train: TrainConfig = TrainConfig()  # every learned model: the same epoch budget and early stopping
    # each learned model picks one on the validation split; 1e-3 because RESCAL (d^2 parameters per side effect,
    # about 20 training triples each) chose the edge of (0, 1e-4) and rose from 0.62 to 0.80 validation AUROC with it
    weight_decays: tuple[float, ...] = (0.0, 1e-4, 1e-3)
    factorization_lr: float = 0.01
    factorization_dim: int = 32  # = Decagon's embedding size
    mlp_hidden: int = 64  # concat-mlp and deepwalk's classifier
    deepwalk: DeepWalkConfig = DeepWalkConfig()
    val: float = 0.1  # the paper's 80/10/10 split per side effect
    test: float = 0.1
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2)  # run seeds: split, evaluation negatives, initialisation
    leak_methods: tuple[str, ...] = ("decagon", "dedicom", "rescal")  # the graph model and the two memorisers
    leak_seeds: tuple[int, ...] = (0, 1, 2)  # a subset of ``seeds``: each leaky run is paired with a clean one
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
        if not (0 < self.val < 1 and 0 < self.test < 1 and self.val + self.test < 1):
            raise ValueError(f"DecagonExperiment.val ({self.val}) and .test ({self.test}) must be fractions > 0, "
                             "sum < 1 (the validation split drives early stopping and weight decay)")
        if not self.weight_decays or any(w < 0 for w in self.weight_decays):
            raise ValueError(f"DecagonExperiment.weight_decays must be non-empty and >= 0, got {self.weight_decays}")


def _quick_and_full() -> tuple[DecagonExperiment, DecagonExperiment]:
    tiny_encoder = DecagonConfig(encoder=EncoderConfig(hidden_dim=8, out_dim=4))
    quick = replace(
        COURSE,
        data=PlantedWorld(num_drugs=40, num_proteins=80, num_modules=4, num_side_effects=4,
                          num_popularity_side_effects=1, pairs_per_side_effect=20, ppi_degree=6.0,
                          num_drug_classes=8, num_mechanisms=2),
        decagon=tiny_encoder,
        train=replace(COURSE.train, epochs=3, eval_every=1),  # CI: checks that everything runs, measures nothing
        factorization_dim=4,
        mlp_hidden=8,
        deepwalk=DeepWalkConfig(walks_per_node=1, walk_length=5, window=2, dim=4),
        seeds=(0,),
        leak_seeds=(0,),
    )
    full = replace(
        COURSE,
        # BioSNAP's node and side-effect counts, PPI mean degree 75 (715,612 edges over 19,085 proteins);
        # pairs per side effect calibrated on this profile's own five seeds (12 exceeds 5 % on seed 3; BioSNAP's
        # 500+ would memorise most test pairs as non-edges). Families stay mechanisms of one module pair: all 45
        # pairs of 10 modules, about 21 side effects each.
        data=PlantedWorld(num_drugs=645, num_proteins=19085, num_modules=10, num_side_effects=964,
                          num_popularity_side_effects=20, pairs_per_side_effect=8, ppi_degree=75.0,
                          num_mechanisms=45),
        seeds=(0, 1, 2, 3, 4),
    )
    return quick, full


COURSE = DecagonExperiment()
QUICK, FULL = _quick_and_full()
PROFILES = Profiles(quick=QUICK, course=COURSE, full=FULL)


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


def validation_negatives(split: DDISplit, seed: int) -> Triples:
    """Degree-matched negatives for the validation triples, excluding training and validation positives only.

    Test labels are never consulted (a validation negative may be a test positive, as in any real split).
    """
    known = Triples.cat([split.train, split.val])
    return evaluation_negatives("degree-matched", split.val, known, split.num_drugs, split.num_relations,
                                derive_seed(seed, "negatives/validation"), train=split.train)


@dataclass
class Fitted:
    """A trained model's scorer with what model selection chose."""

    scorer: Scorer
    weight_decay: float = math.nan
    log: TrainLog | None = None


def fit_with_validation(
    build, split: DDISplit, config: DecagonExperiment, seed: int, method: str, settings: TrainConfig,
    val_negatives: Triples, watch: Triples | None = None,
) -> Fitted:
    """Train ``build()`` once per ``config.weight_decays`` value, early-stopped on the validation split; keep
    the best validation AUROC. Every candidate starts from the same initialisation and training stream."""
    best: tuple[float, torch.nn.Module, float, TrainLog] | None = None
    for weight_decay in config.weight_decays:
        torch.manual_seed(derive_seed(seed, f"init/{method}"))
        model = build()
        log = train_link_predictor(model, split.train, split.num_drugs, split.num_relations,
                                   replace(settings, weight_decay=weight_decay), torch_stream(seed, f"train/{method}"),
                                   val=split.val, val_negatives=val_negatives, watch=watch)
        if best is None or log.best_val_auroc > best[0]:
            best = (log.best_val_auroc, model, weight_decay, log)
    assert best is not None
    return Fitted(model_scorer(best[1]), best[2], best[3])


def train_method(data: HeteroData, split: DDISplit, config: DecagonExperiment, seed: int, method: str,
                 val_negatives: Triples | None = None) -> Fitted:
    """Train ``method`` on ``split.train`` with run ``seed``'s streams for it; returns its :class:`Fitted`.

    Must run inside :func:`lecturekit.seed.seeded`: the global generator is reseeded here per method
    (layer initialisation and dropout), so a method's result does not depend on which methods ran first.
    """
    if val_negatives is None:
        val_negatives = validation_negatives(split, seed)
    n, r = split.num_drugs, split.num_relations
    fit = lambda build, settings=config.train, watch=None: fit_with_validation(  # noqa: E731
        build, split, config, seed, method, settings, val_negatives, watch)
    if method in ("decagon", "decagon-summed-normalisation", "decagon-shuffled-targets", "ddi-gcn"):
        graph_data = drug_only(data) if method == "ddi-gcn" else data
        targets = (shuffled_targets(data, derive_seed(seed, "shuffled-targets"))
                   if method == "decagon-shuffled-targets" else None)
        decagon = config.decagon
        if method == "decagon-summed-normalisation":
            decagon = replace(decagon, encoder=replace(decagon.encoder, normalisation="summed"))
        graph = build_graph(graph_data, split.train, targets=targets)
        drug_x = data["drug"].get("x")
        return fit(lambda: Decagon(graph, r, decagon, drug_x), watch=split.test if method == "decagon" else None)
    if method == "degree":
        return Fitted(degree_scorer(split.train, n, r))
    if method == "popularity":
        return Fitted(popularity_scorer(split.train, n, r))
    settings = replace(config.train, lr=config.factorization_lr, batch_mode="full")
    if method in ("rescal", "dedicom"):
        decoder = "bilinear" if method == "rescal" else "dedicom"
        return fit(lambda: FactorizationModel(n, r, config.factorization_dim, decoder), settings)
    if method == "concat-mlp":
        features = drug_pair_features(data)
        return fit(lambda: PairMLP(features, r, config.mlp_hidden), settings)
    if method == "deepwalk":
        features = deepwalk_drug_features(data, split.train, config.deepwalk, torch_stream(seed, "deepwalk/walks"),
                                          init_generator=torch_stream(seed, "deepwalk/init"))
        return fit(lambda: PairMLP(features, r, config.mlp_hidden), settings)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def _negatives(split: DDISplit, seed: int) -> dict[str, Triples]:
    return {
        p: evaluation_negatives(p, split.test, split.all_pos, split.num_drugs, split.num_relations,
                                derive_seed(seed, f"negatives/{p}"), train=split.train)
        for p in PROTOCOLS
    }


def pair_training_degree(split: DDISplit, edges: Triples) -> torch.Tensor:
    """Per triple: the smaller of its two drugs' numbers of training drug-drug triples (any side effect)."""
    degree = torch.bincount(split.train.src, minlength=split.num_drugs)  # both directions: once per drug
    return torch.minimum(degree[edges.src], degree[edges.dst])


def stratum_masks(split: DDISplit) -> dict[str, torch.Tensor]:
    """Boolean mask over ``split.test`` per :data:`DEGREE_BINS` stratum."""
    degree = pair_training_degree(split, split.test)
    return {name: (degree >= lo) & (degree <= hi) for name, (lo, hi) in DEGREE_BINS.items()}


def _scores(scorer: Scorer, positives: Triples, negatives: Triples, num_relations: int) -> Scores:
    if len(positives) == 0:
        return Scores.empty(num_relations)
    try:
        return Scores.from_eval(evaluate(scorer, positives, negatives, num_relations))
    except ValueError as err:  # no side effect with both positives and negatives in this subset
        if "no relation has both" not in str(err):
            raise
        return Scores.empty(num_relations)


def _train_and_evaluate(
    data: HeteroData, split: DDISplit, config: DecagonExperiment, seed: int, methods: Sequence[str]
) -> tuple[tuple[MethodResult, ...], dict[str, Fitted], dict[str, Triples]]:
    negatives = _negatives(split, seed)
    val_negatives = validation_negatives(split, seed)
    masks = stratum_masks(split)
    matched = negatives["degree-matched"]  # one per test positive, in the same order (same source drug)
    results, fitted = [], {}
    for method in methods:
        start = time.perf_counter()
        fitted[method] = train_method(data, split, config, seed, method, val_negatives)
        seconds = time.perf_counter() - start
        scorer = fitted[method].scorer
        # The test split is touched here, once per trained model, after model selection is done.
        scores = [_scores(scorer, split.test, negatives[p], split.num_relations) for p in PROTOCOLS]
        strata = tuple(_scores(scorer, split.test.subset(m), matched.subset(m), split.num_relations)
                       for m in masks.values())
        log = fitted[method].log
        results.append(MethodResult(
            method, scores[0], scores[1], seconds, strata, fitted[method].weight_decay,
            log.best_epoch if log else -1, log.best_val_auroc if log else math.nan))
    return tuple(results), fitted, negatives


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
        scores = scorer(Triples(iu, ju, torch.full_like(iu, r))).cpu().double()  # any scorer's device
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


def world_seed(seed: int) -> int:
    """The planted world's seed of run ``seed``: each run seed draws its own world."""
    return derive_seed(seed, "world") % 2**32


def collision_rate(split: DDISplit, epochs: int, power: float) -> float:
    """Expected share of directed test positives drawn at least once as a training negative within ``epochs``."""
    return negative_collision_rate(split.train, split.test, split.num_drugs, split.num_relations, epochs, power)


def run_seed(config: DecagonExperiment, seed: int) -> DecagonResult:
    """One seed end to end: its world, split, ``config.methods`` selected on validation, test evaluated once."""
    start = time.perf_counter()
    with seeded(seed):
        data = config.data.build(world_seed(seed))
        split = make_split(data, config, seed)
        methods, fitted, negatives = _train_and_evaluate(data, split, config, seed, config.methods)
        both_active = BothActive(*(_both_active_share(split, e) for e in
                                   (split.test, negatives["uniform"], negatives["degree-matched"])))
        planted = config.data.name == "planted"
        de_novo = de_novo_lists(data, fitted["decagon"].scorer, config.de_novo_top) if (
            planted and "decagon" in fitted) else ()
        decagon_log = fitted["decagon"].log if "decagon" in fitted else None
        drawn = decagon_log.drawn if decagon_log is not None else None
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
        world_seed=world_seed(seed),
        collision_rate_budget=collision_rate(split, config.train.epochs, config.train.neg_power),
        collision_rate_decagon=float(drawn.double().mean()) if drawn is not None and len(drawn) else math.nan,
        stratum_positives=tuple(int(m.sum()) for m in stratum_masks(split).values()),
        side_effect_names=tuple(data.side_effect_names),
    )


def run_leak_seed(config: DecagonExperiment, seed: int) -> LeakResult:
    """``config.leak_methods`` on the leaky split of run ``seed`` (same streams as :func:`run_seed`)."""
    start = time.perf_counter()
    with seeded(seed):
        data = config.data.build(world_seed(seed))
        split = make_split(data, config, seed, leak=True)
        methods, _, _ = _train_and_evaluate(data, split, config, seed, config.leak_methods)
    return LeakResult(seed=seed, seconds=time.perf_counter() - start, dataset=config.data.name, methods=methods)


def calibration_table(config: DecagonExperiment, pairs_grid: Sequence[int], seeds: Sequence[int]) -> pd.DataFrame:
    """Expected collision rate per (``pairs_per_side_effect``, run seed) over ``config.train.epochs`` epochs.

    A test positive the training sampler draws as a negative is a pair the model is *taught* to call a
    non-edge; the sampler knows only training edges, so only the world's shape keeps the rate low. Only
    worlds and splits are built (the run seeds' own, as :func:`run_seed` builds them); no model is trained.
    Rows: grid values; columns: seeds.
    """
    if not isinstance(config.data, PlantedWorld):
        raise TypeError(f"calibration needs a PlantedWorld config, got {type(config.data).__name__}")
    if not pairs_grid or not seeds:
        raise ValueError("arguments 'pairs_grid' and 'seeds' must be non-empty")
    rows = {}
    for pairs in pairs_grid:
        variant = replace(config, data=replace(config.data, pairs_per_side_effect=int(pairs)))
        rows[int(pairs)] = {
            seed: collision_rate(make_split(variant.data.build(world_seed(seed)), variant, seed),
                                 config.train.epochs, config.train.neg_power)
            for seed in seeds
        }
    table = pd.DataFrame(rows).T
    table.index.name, table.columns.name = "pairs per side effect", "run seed"
    return table


def world_statistics(config: DecagonExperiment, seeds: Sequence[int]) -> pd.DataFrame:
    """What each run seed's world and split offer, from data alone (no model): per seed, the share of test
    positives (and of each protocol's negatives) whose drug pair is a training pair of another side effect
    -- the drug-drug history a baseline can use -- the share of test positives holding a cold drug, and
    the AP a random ranking gets on the per-side-effect lists (AUPRC = AP@50 here: lists are short)."""
    rows = {}
    for seed in seeds:
        data = config.data.build(world_seed(seed))
        split = make_split(data, config, seed)
        n = split.num_drugs
        seen = torch.zeros(n * n, dtype=torch.bool)
        seen[split.train.src * n + split.train.dst] = True
        negatives = _negatives(split, seed)
        sizes = split.test_pairs_per_relation()
        row = {"test positives with pair history": float(seen[split.test.src * n + split.test.dst].double().mean())}
        for protocol, neg in negatives.items():
            row[f"{protocol} negatives with pair history"] = float(seen[neg.src * n + neg.dst].double().mean())
        row["test positives with a cold drug"] = float((pair_training_degree(split, split.test) == 0).double().mean())
        evaluated = [int(p) for p in sizes if p]
        level = {p: chance_ap(p, p) for p in set(evaluated)}  # one positive list vs as many negatives
        row["chance AP of the lists"] = sum(level[p] for p in evaluated) / max(len(evaluated), 1)
        rows[seed] = row
    table = pd.DataFrame(rows)
    table.columns.name = "run seed"
    return table.round(3)


def calibrated_pairs(table: pd.DataFrame, margin: float = COLLISION_LIMIT) -> int:
    """The largest ``pairs_per_side_effect`` whose rate stays below ``margin`` on every seed of ``table``."""
    fits = [int(p) for p, row in table.iterrows() if float(row.max()) < margin]
    if not fits:
        raise ValueError(f"no grid value keeps the collision rate below {margin:.0%}: shrink the grid")
    return max(fits)


__all__ = [  # the study's config and runs, and (re-exported) its record names and result types
    "COLLISION_LIMIT", "COURSE", "DEGREE_BINS", "MAIN_PROTOCOL", "METHODS", "METRICS", "PAPER_TABLE2", "PROFILES",
    "PROTOCOLS", "STRATA", "BioSNAP", "BothActive", "DeNovoList", "DecagonExperiment", "DecagonResult",
    "LeakResult", "MethodResult", "PlantedWorld", "Scores", "calibrated_pairs", "calibration_table",
    "collision_rate", "de_novo_lists", "world_statistics", "fit_with_validation", "make_split", "pair_training_degree", "pairs_of",
    "per_seed", "run_leak_seed", "run_seed", "stratum_masks", "train_method", "validation_negatives", "world_seed",
]
