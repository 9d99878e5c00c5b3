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
from lecturekit.studies.nb03_hard_negatives import NUM_THREADS, PROFILES, HardNegativesConfig, train_method
from lecturekit.studies.nb03_hard_negatives_results import METHODS, SCHEDULE_METHODS, RankedRun
from lecturekit.studies.pinsage_runner import HardNegativeSettings, hard_negative_sampler
from lecturekit.threads import torch_threads

# The toy world's fixed sizes (issue #22's audit: no profile, notebook or test varies them; notebook 03's
# SiblingConfig keeps the seeds, the epochs and the loss, which the profiles and the notebook vary).
WORLD_SEED = 0  # one world; the seeds vary walks, initialisation and batches
TRAINING = dict(
    steps_per_epoch=8, batch_size=64, num_negatives=16, hidden_dim=16
)  # 400 items: 8 x 64 pairs an epoch
WALKS = dict(top_t=5, num_walks=20)  # 20-pin groups: the 5 most visited are group-mates
GAIN = 1.0  # the smoothing start's g (the toy world has no validation split to choose it on)
HARD = HardNegativeSettings(  # ranks 20-39: just below the 19 group-mates, i.e. the sibling group
    max_hard=4, band=(20, 39), k_band=None, max_board_degree=None, num_walks=500, walk_length=2
)
DIAGNOSIS_QUERIES = 200  # training queries whose drawn hard negatives are classified

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
    gnn = replace(config.gnn, epochs=sib.epochs, **TRAINING)
    walks = replace(config.walks, **WALKS)
    with seeded(seed), torch_threads(NUM_THREADS):
        task = sibling_task(seed=WORLD_SEED)
        resolve_band(task.num_items, HARD.band)  # a bad band is an error before any training
        hard = hard_negative_sampler(task, HARD, WORLD_SEED)
        probe = task.train_pairs[:DIAGNOSIS_QUERIES]
        drawn = hard.view("no-curriculum", derive_seed(seed, "diagnosis-draws")).sample(
            probe[:, 0], probe[:, 1], HARD.max_hard
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
                GAIN,
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
