"""Notebook 04's study: one frozen config, one seed end to end.

* :class:`DecagonExperiment` (defaults = the ``course`` profile) with :data:`PROFILES`; the worlds, split,
  negatives, strata and the world's calibration are :mod:`lecturekit.studies.nb04_decagon_world`
  (re-exported here);
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
from dataclasses import dataclass, replace

import torch
from torch_geometric.data import HeteroData

from lecturekit.hetero.baselines import (
    PairMLP,
    degree_scorer,
    drug_pair_features,
    popularity_scorer,
    shuffled_targets,
)
from lecturekit.hetero.deepwalk import DeepWalkConfig, deepwalk_drug_features
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import Scorer, evaluate, model_scorer
from lecturekit.hetero.graph import build_graph, drug_only
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.split import DDISplit, Triples
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
from lecturekit.studies.nb04_decagon_world import (
    BioSNAP,
    PlantedWorld,
    both_active_share,
    calibrated_pairs,
    calibration_table,
    collision_rate,
    de_novo_lists,
    make_split,
    pair_training_degree,
    pairs_of,
    protocol_negatives,
    stratum_masks,
    world_seed,
    world_statistics,
)

FACTORIZATION_LR = 0.01  # the learned baselines' Adam step: the authors' code default, as ``TrainConfig.lr``
DE_NOVO_TOP = 10  # new pairs listed per side effect: a list a student can read


@dataclass(frozen=True)
class DecagonExperiment:
    """Everything notebook 04's runs depend on; the defaults are the ``course`` profile."""

    data: PlantedWorld | BioSNAP = PlantedWorld()
    decagon: DecagonConfig = DecagonConfig()
    train: TrainConfig = TrainConfig()  # every learned model: the same epoch budget and early stopping
    # each learned model picks one on the validation split; 1e-3 because RESCAL (d^2 parameters per side effect,
    # about 20 training triples each) chose the edge of (0, 1e-4) and rose from 0.62 to 0.80 validation AUROC with it
    weight_decays: tuple[float, ...] = (0.0, 1e-4, 1e-3)
    factorization_dim: int = 32  # = Decagon's embedding size
    mlp_hidden: int = 64  # concat-mlp and deepwalk's classifier
    deepwalk: DeepWalkConfig = DeepWalkConfig()
    val: float = 0.1  # the paper's 80/10/10 split per side effect
    test: float = 0.1
    methods: tuple[str, ...] = METHODS
    seeds: tuple[int, ...] = (0, 1, 2)  # run seeds: split, evaluation negatives, initialisation
    leak_methods: tuple[str, ...] = ("decagon", "dedicom", "rescal")  # the graph model and the two memorisers
    leak_seeds: tuple[int, ...] = (
        0,
        1,
        2,
    )  # a subset of ``seeds``: each leaky run is paired with a clean one

    def __post_init__(self) -> None:
        for name, allowed in (("methods", METHODS), ("leak_methods", METHODS)):
            chosen = getattr(self, name)
            unknown = [m for m in chosen if m not in allowed]
            if unknown or not chosen or len(set(chosen)) != len(chosen):
                raise ValueError(
                    f"DecagonExperiment.{name} must be distinct names from {allowed}, got {chosen}"
                )
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"DecagonExperiment.seeds must be distinct and non-empty, got {self.seeds}")
        if not set(self.leak_seeds) <= set(self.seeds):
            raise ValueError(
                f"DecagonExperiment.leak_seeds {self.leak_seeds} must be a subset of seeds {self.seeds}"
            )
        if not (0 < self.val < 1 and 0 < self.test < 1 and self.val + self.test < 1):
            raise ValueError(
                f"DecagonExperiment.val ({self.val}) and .test ({self.test}) must be fractions > 0, "
                "sum < 1 (the validation split drives early stopping and weight decay)"
            )
        if not self.weight_decays or any(w < 0 for w in self.weight_decays):
            raise ValueError(
                f"DecagonExperiment.weight_decays must be non-empty and >= 0, got {self.weight_decays}"
            )


def _quick_and_full() -> tuple[DecagonExperiment, DecagonExperiment]:
    tiny_encoder = DecagonConfig(encoder=EncoderConfig(hidden_dim=8, out_dim=4))
    quick = replace(
        COURSE,
        data=PlantedWorld(
            num_drugs=40,
            num_proteins=80,
            num_modules=4,
            num_side_effects=4,
            num_popularity_side_effects=1,
            pairs_per_side_effect=20,
            ppi_degree=6.0,
            num_drug_classes=8,
            num_mechanisms=2,
        ),
        decagon=tiny_encoder,
        train=replace(
            COURSE.train, epochs=3, eval_every=1
        ),  # CI: checks that everything runs, measures nothing
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
        data=PlantedWorld(
            num_drugs=645,
            num_proteins=19085,
            num_modules=10,
            num_side_effects=964,
            num_popularity_side_effects=20,
            pairs_per_side_effect=8,
            ppi_degree=75.0,
            num_mechanisms=45,
        ),
        seeds=(0, 1, 2, 3, 4),
    )
    return quick, full


COURSE = DecagonExperiment()
QUICK, FULL = _quick_and_full()
PROFILES = Profiles(quick=QUICK, course=COURSE, full=FULL)


# ---------------------------------------------------------------------------------------------------------
# One seed


def validation_negatives(split: DDISplit, seed: int) -> Triples:
    """Degree-matched negatives for the validation triples, excluding training and validation positives only.

    Test labels are never consulted (a validation negative may be a test positive, as in any real split).
    """
    known = Triples.cat([split.train, split.val])
    return evaluation_negatives(
        "degree-matched",
        split.val,
        known,
        split.num_drugs,
        split.num_relations,
        derive_seed(seed, "negatives/validation"),
        train=split.train,
    )


@dataclass
class Fitted:
    """A trained model's scorer with what model selection chose."""

    scorer: Scorer
    weight_decay: float = math.nan
    log: TrainLog | None = None


def fit_with_validation(
    build,
    split: DDISplit,
    config: DecagonExperiment,
    seed: int,
    method: str,
    settings: TrainConfig,
    val_negatives: Triples,
    watch: Triples | None = None,
) -> Fitted:
    """Train ``build()`` once per ``config.weight_decays`` value, early-stopped on the validation split; keep
    the best validation AUROC. Every candidate starts from the same initialisation and training stream."""
    best: tuple[float, torch.nn.Module, float, TrainLog] | None = None
    for weight_decay in config.weight_decays:
        torch.manual_seed(derive_seed(seed, f"init/{method}"))
        model = build()
        log = train_link_predictor(
            model,
            split.train,
            split.num_drugs,
            split.num_relations,
            replace(settings, weight_decay=weight_decay),
            torch_stream(seed, f"train/{method}"),
            val=split.val,
            val_negatives=val_negatives,
            watch=watch,
        )
        if best is None or log.best_val_auroc > best[0]:
            best = (log.best_val_auroc, model, weight_decay, log)
    assert best is not None
    return Fitted(model_scorer(best[1]), best[2], best[3])


def train_method(
    data: HeteroData,
    split: DDISplit,
    config: DecagonExperiment,
    seed: int,
    method: str,
    val_negatives: Triples | None = None,
) -> Fitted:
    """Train ``method`` on ``split.train`` with run ``seed``'s streams for it; returns its :class:`Fitted`.

    Must run inside :func:`lecturekit.seed.seeded`: the global generator is reseeded here per method
    (layer initialisation and dropout), so a method's result does not depend on which methods ran first.
    """
    if val_negatives is None:
        val_negatives = validation_negatives(split, seed)
    n, r = split.num_drugs, split.num_relations
    fit = lambda build, settings=config.train, watch=None: fit_with_validation(  # noqa: E731
        build, split, config, seed, method, settings, val_negatives, watch
    )
    if method in ("decagon", "decagon-summed-normalisation", "decagon-shuffled-targets", "ddi-gcn"):
        graph_data = drug_only(data) if method == "ddi-gcn" else data
        targets = (
            shuffled_targets(data, derive_seed(seed, "shuffled-targets"))
            if method == "decagon-shuffled-targets"
            else None
        )
        decagon = config.decagon
        if method == "decagon-summed-normalisation":
            decagon = replace(decagon, encoder=replace(decagon.encoder, normalisation="summed"))
        graph = build_graph(graph_data, split.train, targets=targets)
        drug_x = data["drug"].get("x")
        return fit(
            lambda: Decagon(graph, r, decagon, drug_x), watch=split.test if method == "decagon" else None
        )
    if method == "degree":
        return Fitted(degree_scorer(split.train, n, r))
    if method == "popularity":
        return Fitted(popularity_scorer(split.train, n, r))
    settings = replace(config.train, lr=FACTORIZATION_LR, batch_mode="full")
    if method in ("rescal", "dedicom"):
        decoder = "bilinear" if method == "rescal" else "dedicom"
        return fit(lambda: FactorizationModel(n, r, config.factorization_dim, decoder), settings)
    if method == "concat-mlp":
        features = drug_pair_features(data)
        return fit(lambda: PairMLP(features, r, config.mlp_hidden), settings)
    if method == "deepwalk":
        features = deepwalk_drug_features(
            data,
            split.train,
            config.deepwalk,
            torch_stream(seed, "deepwalk/walks"),
            init_generator=torch_stream(seed, "deepwalk/init"),
        )
        return fit(lambda: PairMLP(features, r, config.mlp_hidden), settings)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


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
    negatives = protocol_negatives(split, seed)
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
        strata = tuple(
            _scores(scorer, split.test.subset(m), matched.subset(m), split.num_relations)
            for m in masks.values()
        )
        log = fitted[method].log
        results.append(
            MethodResult(
                method,
                scores[0],
                scores[1],
                seconds,
                strata,
                fitted[method].weight_decay,
                log.best_epoch if log else -1,
                log.best_val_auroc if log else math.nan,
            )
        )
    return tuple(results), fitted, negatives


def run_seed(config: DecagonExperiment, seed: int) -> DecagonResult:
    """One seed end to end: its world, split, ``config.methods`` selected on validation, test evaluated once."""
    start = time.perf_counter()
    with seeded(seed):
        data = config.data.build(world_seed(seed))
        split = make_split(data, config, seed)
        methods, fitted, negatives = _train_and_evaluate(data, split, config, seed, config.methods)
        both_active = BothActive(
            *(
                both_active_share(split, e)
                for e in (split.test, negatives["uniform"], negatives["degree-matched"])
            )
        )
        planted = config.data.name == "planted"
        de_novo = (
            de_novo_lists(data, fitted["decagon"].scorer, DE_NOVO_TOP)
            if (planted and "decagon" in fitted)
            else ()
        )
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
        collision_rate_budget=collision_rate(split, config.train.epochs),
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
    return LeakResult(
        seed=seed, seconds=time.perf_counter() - start, dataset=config.data.name, methods=methods
    )


__all__ = [  # the study's config and runs, and (re-exported) its record names and result types
    "COLLISION_LIMIT",
    "COURSE",
    "DEGREE_BINS",
    "DE_NOVO_TOP",
    "FACTORIZATION_LR",
    "MAIN_PROTOCOL",
    "METHODS",
    "METRICS",
    "PAPER_TABLE2",
    "PROFILES",
    "PROTOCOLS",
    "STRATA",
    "BioSNAP",
    "BothActive",
    "DeNovoList",
    "DecagonExperiment",
    "DecagonResult",
    "LeakResult",
    "MethodResult",
    "PlantedWorld",
    "Scores",
    "calibrated_pairs",
    "calibration_table",
    "collision_rate",
    "de_novo_lists",
    "world_statistics",
    "fit_with_validation",
    "make_split",
    "pair_training_degree",
    "pairs_of",
    "per_seed",
    "run_leak_seed",
    "run_seed",
    "stratum_masks",
    "train_method",
    "validation_negatives",
    "world_seed",
]
