"""Notebook 03's mechanism check: the small planted sibling world (``negative_diagnostics.sibling_task``), where the
hard-negative band is built to hold the near-identical sibling group (settings: ``HardNegativesConfig.siblings``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.negative_diagnostics import sibling_task
from lecturekit.recsys.pinsage.negatives import resolve_band
from lecturekit.results import Row
from lecturekit.seed import derive_seed, seeded
from lecturekit.studies.nb03_hard_negatives import (
    METHODS,
    PROFILES,
    SCHEDULE_METHODS,
    HardNegativesConfig,
    RankedRun,
    train_method,
)
from lecturekit.studies.pinsage_runner import HardNegativeSettings, hard_negative_sampler
from lecturekit.threads import torch_threads

__all__ = [
    "PROFILES",
    "SiblingResult",
    "run_sibling_seed",
]  # PROFILES: notebook 03's (HardNegativesConfig.siblings)


@dataclass(frozen=True)
class SiblingResult(RankedRun):
    """One seed of the sibling world (:func:`run_sibling_seed`)."""

    num_items: int = 0
    sibling_share: float = 0.0  # share of drawn hard negatives from the sibling group
    random_sibling_share: float = 0.0  # the same for a uniformly random item (chance level)

    def rows(self) -> list[Row]:
        note = (
            f"planted sibling world ({self.num_items} items, groups with a near-identical sibling group), "
            f"hit@{self.cutoff} and MRR scale {self.mrr_scale:g}; a mechanism check with no paper number"
        )
        return self._rows("pinboard-siblings", SCHEDULE_METHODS, note)


def run_sibling_seed(config: HardNegativesConfig, seed: int) -> SiblingResult:
    """The three PinSage schedules on the sibling world, and how many drawn hard negatives are siblings."""
    start = time.perf_counter()
    sib = config.siblings
    gnn = replace(
        config.gnn,
        epochs=sib.epochs,
        steps_per_epoch=sib.steps_per_epoch,
        batch_size=sib.batch_size,
        num_negatives=sib.num_negatives,
        hidden_dim=sib.hidden_dim,
    )
    walks = replace(config.walks, top_t=sib.top_t, num_walks=sib.num_walks)
    settings = HardNegativeSettings(
        max_hard=sib.max_hard,
        band=sib.band,
        k_band=None,
        max_board_degree=None,
        num_walks=sib.hard_num_walks,
        walk_length=sib.hard_walk_length,
    )
    with seeded(seed), torch_threads(config.num_threads):
        task = sibling_task(seed=sib.world_seed)
        resolve_band(task.num_items, sib.band)  # a bad band is an error before any training
        hard = hard_negative_sampler(task, settings, sib.world_seed)
        probe = task.train_pairs[: sib.diagnosis_queries]
        drawn = hard.view("no-curriculum", derive_seed(seed, "diagnosis-draws")).sample(
            probe[:, 0], probe[:, 1], sib.max_hard
        )
        sibling_group = (task.labels[probe[:, 0]] ^ 1).unsqueeze(1)
        siblings = task.labels[drawn] == sibling_group
        chance = float((task.labels.unsqueeze(0) == sibling_group).float().mean())
        ranks = {
            m: train_method(
                task,
                m,
                config,
                seed,
                sib.gain,
                hard,
                gnn=gnn,
                walks=walks,
                variant=replace(METHODS[m], loss=sib.loss),
            ).ranks
            for m in SCHEDULE_METHODS
        }
    k, scale = ranking_cutoffs(task.num_items)
    return SiblingResult(
        seed=seed,
        seconds=time.perf_counter() - start,
        cutoff=k,
        mrr_scale=scale,
        ranks=ranks,
        num_items=task.num_items,
        sibling_share=float(siblings.float().mean()),
        random_sibling_share=chance,
    )
