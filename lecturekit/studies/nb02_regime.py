"""Notebook 02's regime map: who wins where, over 3 feature strengths x 3 graph densities of small worlds
(the study's config is :class:`~lecturekit.studies.nb02_pinsage.PinSageExperiment`, its ``regime`` field)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from lecturekit.data.pinboard import make_pinboard
from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.baselines import feature_scorer
from lecturekit.recsys.pinsage.datasets import pinboard_task
from lecturekit.recsys.pinsage.evaluation import (
    RankingResult,
    embedding_scorer,
    evaluate_related,
)
from lecturekit.recsys.pinsage.pixie import pixie_scorer
from lecturekit.results import Row
from lecturekit.seed import seeded
from lecturekit.stats import Interval, paired_bootstrap
from lecturekit.studies.contract import RunResult
from lecturekit.studies.nb02_pinsage import (
    REGIME_DENSITIES,
    REGIME_FEATURES,
    PinSageExperiment,
    train_combined,
)
from lecturekit.studies.nb02_pinsage_results import REGIME_METHODS
from lecturekit.studies.pinsage_runner import Variant, choose_references, embed, make_sampler, train_variant


# ---------------------------------------------------------------------- the regime map
@dataclass(frozen=True)
class RegimeMargin:
    """A regime-map cell's best method, its runner-up and ``best - runner_up`` in hit-rate (interval)."""

    best: str
    runner_up: str
    difference: Interval

    @property
    def decided(self) -> bool:
        return self.difference.low > 0


@dataclass(frozen=True)
class RegimeResult(RunResult):
    """One seed of the regime map: ``cells[(features, density)][method]`` -> test ranking."""

    k: int
    num_pins: int
    cells: dict[tuple[str, str], dict[str, RankingResult]]
    feature_strength: dict[tuple[str, str], float]
    epochs: int
    steps_per_epoch: int

    def margins(self) -> dict[tuple[str, str], RegimeMargin]:
        """Each cell's best method by hit-rate, the runner-up, and the hit-rate difference between them
        with its 95 % paired-bootstrap interval over the cell's test pairs (every method ranks the same
        pairs). A cell whose interval holds 0 has no winner that its test pairs can tell apart."""
        out = {}
        for cell, rankings in self.cells.items():
            best, second = sorted(REGIME_METHODS, key=lambda m: -rankings[m].hit_rate)[:2]
            hits = {m: (rankings[m].ranks <= self.k).double().numpy() for m in (best, second)}
            out[cell] = RegimeMargin(best, second, paired_bootstrap(hits[best], hits[second]))
        return out

    def rows(self) -> list[Row]:
        rows = []
        for (features, density), rankings in self.cells.items():
            note = (
                f"regime map: small planted pinboard world ({self.num_pins} pins), features '{features}' "
                f"(calibrated: combined-feature kNN at a set fraction of the same-interest oracle), density "
                f"'{density}' (mean saves per pin); PinSage with random negatives and a short budget "
                f"({self.epochs} x {self.steps_per_epoch} steps); hit@{self.k} over every test pair; no paper number"
            )
            dataset = f"pinboard-regime/features={features},density={density}"
            for method in REGIME_METHODS:
                rows.append(
                    Row(dataset, method, "hit-rate", rankings[method].hit_rate, comparable=False, note=note)
                )
                rows.append(
                    Row(
                        dataset,
                        method,
                        "mrr-scaled",
                        rankings[method].mrr_scaled,
                        comparable=False,
                        note=note,
                    )
                )
        return rows


def run_regime_seed(config: PinSageExperiment, seed: int, progress: bool = True) -> RegimeResult:
    """Pixie vs the combined-feature baselines (kNN and the paper's MLP) vs PinSage in 3 feature strengths x 3 graph densities (small worlds).

    Every cell is a fresh world of ``config.regime.num_pins`` pins (the same seed), its features
    calibrated to the cell's fraction of the same-interest oracle; PinSage (random negatives) trains
    for ``config.regime`` 's short budget with the config's ``T`` and learning rate.
    """
    began = time.perf_counter()
    regime = config.regime
    small = replace(
        config,
        num_pins=regime.num_pins,
        gnn=replace(
            config.gnn,
            epochs=regime.epochs,
            steps_per_epoch=regime.steps_per_epoch,
            hidden_dim=regime.hidden_dim,
        ),
    )
    cells, strength = {}, {}
    with seeded(seed):
        for features, fraction in REGIME_FEATURES:
            for density, saves in REGIME_DENSITIES:
                world = make_pinboard(
                    regime.num_pins, seed=seed, feature_fraction=fraction, saves_per_pin=saves
                )
                task = pinboard_task(world, seed=seed)
                pairs = task.test_pairs
                sampler = make_sampler(task, config.walks, seed, split="test")
                gain = choose_references(task, config.walks, config.references, seed).gain
                model, _ = train_variant(
                    task, Variant(), config.walks, small.gnn, seed, gain, progress=progress
                )
                emb = embed(model, task, config.walks, seed, "test")
                cells[(features, density)] = {
                    "pixie": evaluate_related(
                        pixie_scorer(sampler, config.pixie_rounds), pairs, task.num_items
                    ),
                    "combined-knn": evaluate_related(
                        feature_scorer(task.features["combined"]), pairs, task.num_items
                    ),
                    "combined": train_combined(task, small, seed),
                    "pinsage": evaluate_related(embedding_scorer(emb), pairs, task.num_items),
                }
                strength[(features, density)] = world.feature_strength
    return RegimeResult(
        seed=seed,
        seconds=time.perf_counter() - began,
        k=ranking_cutoffs(regime.num_pins)[0],
        num_pins=regime.num_pins,
        cells=cells,
        feature_strength=strength,
        epochs=regime.epochs,
        steps_per_epoch=regime.steps_per_epoch,
    )
