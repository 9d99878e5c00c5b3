"""Notebook 04's world: the planted world and the real files, the run seed's split and negatives, the
degree strata, and the world's sizing from data alone (no model trained).

* :class:`PlantedWorld` (assumptions stated beside each field) / :class:`BioSNAP`; :func:`world_seed`;
* :func:`make_split` (pair-preserving, or the original code's leaky split) and :func:`protocol_negatives`
  (one negative per test positive and protocol, seeded);
* :func:`pair_training_degree`, :func:`stratum_masks` (cold / low / high), :func:`both_active_share`;
* :func:`calibration_table` / :func:`calibrated_pairs` (the collision rate over the epoch budget) and
  :func:`world_statistics` (pair history, cold share, chance AP) -- computed before any model number;
* :func:`de_novo_lists`: a scorer's top new pairs per planted side effect, checked against the world's rule.

Used by :mod:`lecturekit.studies.nb04_decagon` and ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, ClassVar

import pandas as pd
import torch
from torch_geometric.data import HeteroData

from lecturekit.data.polypharmacy import DDI, load_biosnap, make_planted
from lecturekit.hetero.evaluate import Scorer, chance_ap
from lecturekit.hetero.negatives import evaluation_negatives, negative_collision_rate
from lecturekit.hetero.split import DDISplit, Triples, split_pairs
from lecturekit.hetero.train import NEG_POWER
from lecturekit.seed import derive_seed
from lecturekit.studies.nb04_decagon_results import COLLISION_LIMIT, DEGREE_BINS, PROTOCOLS, DeNovoList

if TYPE_CHECKING:  # only for annotations: the config module imports this one
    from lecturekit.studies.nb04_decagon import DecagonExperiment

CLASS_CORE_TARGETS = 2  # the primary targets every drug of a class hits
PAIR_POOL_FACTOR = (
    2.0  # a mechanism's pool holds twice a side effect's pairs: a pair shows about half its family
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
    pairs_per_side_effect: int = (
        12  # calibrated: more pairs per side effect -> more test pairs memorised as non-edges
    )
    ppi_degree: float = 8.0
    # Drug-drug history carries part of the signal (issue #25), from three stated assumptions (the third and
    # the classes' core targets are the constants PAIR_POOL_FACTOR and CLASS_CORE_TARGETS above):
    num_drug_classes: int = (
        60  # about 10 drugs per class, sharing their primary targets (e.g. statins: HMGCR)
    )
    num_mechanisms: int = 19  # 95 molecular side effects in families of 5 sharing one module pair

    def build(self, seed: int) -> HeteroData:
        """The world of planted-world seed ``seed`` (:func:`run_seed` derives it from the run seed)."""
        return make_planted(
            **{f.name: getattr(self, f.name) for f in fields(self)},
            class_core_targets=CLASS_CORE_TARGETS,
            pair_pool_factor=PAIR_POOL_FACTOR,
            seed=seed,
        )


@dataclass(frozen=True)
class BioSNAP:
    """The real BioSNAP Decagon files in ``folder`` (the user supplies them; nothing is downloaded)."""

    name: ClassVar[str] = "biosnap"
    folder: str
    min_pairs: int = 500  # the paper's threshold: 964 side effects

    def build(self, seed: int = 0) -> HeteroData:
        """The files (``seed`` is ignored: the real data is one world)."""
        return load_biosnap(self.folder, self.min_pairs)


def pairs_of(data: HeteroData) -> Triples:
    """The drug-drug (pair, side effect) triples of ``data`` (each unordered pair once)."""
    ei = data[DDI].edge_index
    return Triples(ei[0], ei[1], data[DDI].edge_type)


def make_split(data: HeteroData, config: DecagonExperiment, seed: int, leak: bool = False) -> DDISplit:
    """The split of run ``seed`` (the one :func:`run_seed` uses)."""
    return split_pairs(
        pairs_of(data),
        int(data["drug"].num_nodes),
        int(data.num_side_effects),
        config.val,
        config.test,
        derive_seed(seed, "split"),
        leak,
    )


def protocol_negatives(split: DDISplit, seed: int) -> dict[str, Triples]:
    return {
        p: evaluation_negatives(
            p,
            split.test,
            split.all_pos,
            split.num_drugs,
            split.num_relations,
            derive_seed(seed, f"negatives/{p}"),
            train=split.train,
        )
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


def both_active_share(split: DDISplit, edges: Triples) -> float:
    """Share of ``edges`` whose two drugs both have a training edge of the edge's side effect."""
    deg = torch.bincount(
        split.train.rel * split.num_drugs + split.train.src, minlength=split.num_relations * split.num_drugs
    )
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
        out.append(
            DeNovoList(
                side_effect=r,
                modules=(int(a), int(b)),
                pairs=tuple((int(iu[k]), int(ju[k])) for k in best),
                scores=tuple(float(scores[k]) for k in best),
                explained=tuple(bool(fits[k]) for k in best),
                base_rate=float(fits.double().mean()),
                popularity_percentile=float(percentile[drugs].mean()) if len(drugs) else math.nan,
            )
        )
    return tuple(out)


def world_seed(seed: int) -> int:
    """The planted world's seed of run ``seed``: each run seed draws its own world."""
    return derive_seed(seed, "world") % 2**32


def collision_rate(split: DDISplit, epochs: int) -> float:
    """Expected share of directed test positives drawn at least once as a training negative within ``epochs``."""
    return negative_collision_rate(
        split.train, split.test, split.num_drugs, split.num_relations, epochs, NEG_POWER
    )


def calibration_table(
    config: DecagonExperiment, pairs_grid: Sequence[int], seeds: Sequence[int]
) -> pd.DataFrame:
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
            seed: collision_rate(
                make_split(variant.data.build(world_seed(seed)), variant, seed),
                config.train.epochs,
            )
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
        negatives = protocol_negatives(split, seed)
        sizes = split.test_pairs_per_relation()
        row = {
            "test positives with pair history": float(
                seen[split.test.src * n + split.test.dst].double().mean()
            )
        }
        for protocol, neg in negatives.items():
            row[f"{protocol} negatives with pair history"] = float(
                seen[neg.src * n + neg.dst].double().mean()
            )
        row["test positives with a cold drug"] = float(
            (pair_training_degree(split, split.test) == 0).double().mean()
        )
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
