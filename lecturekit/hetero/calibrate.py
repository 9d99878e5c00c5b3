"""Size the planted world of notebook 04 from its assumptions and the collision rate alone (no model trained).

A test positive ``(i, j, r)`` that the training sampler draws as a negative is a pair the model is *taught*
to call a non-edge. The sampler knows only training edges (using held-out labels to avoid them would leak
them), so the rate can only be kept low by the world's shape: with ``j ~ deg_r(j)^0.75`` over the drugs active
in ``r``, a held-out pair whose two drugs both have training edges of ``r`` is drawn almost surely within a
hundred epochs. :func:`calibration_table` therefore scans ``pairs_per_side_effect`` and reports, per world seed,
the expected rate over the whole epoch budget (:func:`lecturekit.hetero.negatives.negative_collision_rate`);
:func:`calibrated_pairs` picks the largest value below the limit on every run seed of the profile (the
worlds are the run seeds' own, so the check is exact for those runs). Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from lecturekit.hetero.experiment import (
    COLLISION_LIMIT,
    DecagonExperiment,
    PlantedWorld,
    collision_rate,
    make_split,
    world_seed,
)


def calibration_table(config: DecagonExperiment, pairs_grid: Sequence[int], seeds: Sequence[int]) -> pd.DataFrame:
    """Expected collision rate per (``pairs_per_side_effect``, run seed) over ``config.train.epochs`` epochs.

    Only worlds and splits are built (the run seeds' own, as :func:`~lecturekit.hetero.experiment.run_seed`
    builds them); no model is trained. Rows: grid values; columns: seeds.
    """
    if not isinstance(config.data, PlantedWorld):
        raise TypeError(f"calibration needs a PlantedWorld config, got {type(config.data).__name__}")
    if not pairs_grid or not seeds:
        raise ValueError("arguments 'pairs_grid' and 'seeds' must be non-empty")
    rows = {}
    for pairs in pairs_grid:
        variant = replace(config, data=replace(config.data, pairs_per_side_effect=int(pairs)))
        rates = {}
        for seed in seeds:
            data = variant.data.build(world_seed(seed))
            rates[seed] = collision_rate(make_split(data, variant, seed), config.train.epochs, config.train.neg_power)
        rows[int(pairs)] = rates
    table = pd.DataFrame(rows).T
    table.index.name, table.columns.name = "pairs per side effect", "run seed"
    return table


def calibrated_pairs(table: pd.DataFrame, margin: float = COLLISION_LIMIT) -> int:
    """The largest ``pairs_per_side_effect`` whose rate stays below ``margin`` on every seed of ``table``."""
    fits = [int(p) for p, row in table.iterrows() if float(row.max()) < margin]
    if not fits:
        raise ValueError(f"no grid value keeps the collision rate below {margin:.0%}: shrink the grid")
    return max(fits)
