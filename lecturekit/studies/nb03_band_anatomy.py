"""Notebook 03's look inside the hard-negative band, before any training: what the personalised-PageRank
ranking holds at each depth, how accurate the band is, and what the drawn hard negatives are
(same interest / same category / same topic / look-alike / unrelated, :data:`RELATIONS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from lecturekit.data.pinboard import Pinboard
from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.negative_diagnostics import RELATIONS, band_overlap, relation_to_query
from lecturekit.recsys.pinsage.negatives import HardNegativeSampler
from lecturekit.seed import derive_seed, seeded
from lecturekit.studies.pinsage_runner import PPR_ITERATIONS, HardNegativeSettings, hard_negative_sampler
from lecturekit.threads import torch_threads


def shares_of(codes: Tensor) -> tuple[float, ...]:
    return tuple(float((codes == c).float().mean()) for c in range(len(RELATIONS)))


def relations_of(world: Pinboard) -> tuple[Tensor, ...]:
    return tuple(
        torch.from_numpy(a)
        for a in (world.pin_category, world.category_topic, world.category_lookalike, world.pin_cluster)
    )


def drawn_content(
    world: Pinboard, task: RelatedItemTask, hard: HardNegativeSampler, queries: int, seed: int
) -> tuple[float, ...]:
    """Shares of :data:`RELATIONS` among the hard negatives drawn for ``queries`` training queries."""
    gen = torch.Generator().manual_seed(derive_seed(seed, "content-queries"))
    pairs = task.train_pairs[torch.randperm(task.train_pairs.shape[0], generator=gen)[:queries]]
    drawn = hard.view("no-curriculum", derive_seed(seed, "content-draws")).sample(
        pairs[:, 0], pairs[:, 1], max(hard.config.max_hard, 1)
    )
    category, topic, lookalike, interest = relations_of(world)
    q = pairs[:, 0].unsqueeze(1).expand_as(drawn)
    return shares_of(relation_to_query(category, topic, lookalike, q, drawn, interest))


# ---------------------------------------------------------------------- what the ranking holds (no training)
@dataclass(frozen=True)
class BandAnatomy:
    """What the personalised-PageRank ranking of training queries holds (section 2 of notebook 03).

    ``depth``: for rank ranges ``"lo-hi"``, the shares of :data:`RELATIONS`; ``in_band``: the same
    for the hard-negative band (``walk_in_band``: for the band of the Monte-Carlo walk estimate);
    ``mix``: shares for the positive, drawn hard negatives and random negatives;
    ``relevance``: the 10th, 50th and 90th percentile of the queries' relevance-set size ``R``;
    ``median_band``: the median query's band ranks; ``accuracy``: estimate -> share of band pins
    that a second estimate also puts in the band (:func:`~lecturekit.recsys.pinsage.negatives.band_overlap`);
    ``band_visits``: the median visit count, in the walk estimate, of the pins in the power-iteration band;
    ``queries``/``positives``/``hard``/``random``: the drawn examples (for the grid plot).
    """

    band: str
    depth: Mapping[str, tuple[float, ...]]
    in_band: tuple[float, ...]
    walk_in_band: tuple[float, ...]
    mix: Mapping[str, tuple[float, ...]]
    relevance: tuple[float, float, float]
    median_band: tuple[int, int]
    accuracy: Mapping[str, float]
    band_visits: float
    num_walk_steps: int  # traversals per query of the walk estimate
    queries: Tensor
    positives: Tensor
    hard: Tensor
    random: Tensor
    category: Tensor  # the world's arrays, for labelling the examples
    category_topic: Tensor
    lookalike: Tensor
    interest: Tensor


def band_anatomy(
    world: Pinboard,
    task: RelatedItemTask,
    settings: HardNegativeSettings,
    *,
    hist_queries: int,
    world_seed: int,
    seed: int = 0,
    num_threads: int = 1,
) -> BandAnatomy:
    """Rank-depth relations, band accuracy and the negative mix of ``hist_queries`` training queries of
    ``task`` (seed ``seed`` picks the queries, the walks and the draws; no training)."""
    with seeded(seed), torch_threads(num_threads):
        category, topic, lookalike, interest = relations_of(world)
        hard = hard_negative_sampler(task, settings, world_seed)
        gen = torch.Generator().manual_seed(derive_seed(seed, "anatomy-queries"))
        pairs = task.train_pairs[torch.randperm(task.train_pairs.shape[0], generator=gen)[:hist_queries]]
        q = pairs[:, 0]
        ranking = hard.ranking(q)

        def shares(items: Tensor) -> tuple[float, ...]:
            rows = q.unsqueeze(1).expand_as(items) if items.ndim == 2 else q
            codes = relation_to_query(category, topic, lookalike, rows, items.clamp_min(0), interest)
            return shares_of(codes[items >= 0])  # -1 pads the narrower bands

        edges = [1, 6, 11, 21, 41, 101, 201, 401, task.num_items]
        depth = {}
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            if lo > ranking.shape[1]:
                break
            depth[f"{lo}-{min(hi - 1, ranking.shape[1])}"] = shares(ranking[:, lo - 1 : hi - 1])
        band = hard.bands(q)

        # How accurate is the band? A second estimate should put the same pins in it.
        def estimate(**change: object) -> HardNegativeSampler:
            c = replace(
                settings.sampler_config("no-curriculum", world_seed, num_items=task.num_items), **change
            )
            return HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, c)

        n = PPR_ITERATIONS
        converged = estimate(num_iterations=2 * n).bands(q)
        walks = [estimate(estimator="walks", seed=derive_seed(seed, f"anatomy-walks-{i}")) for i in (1, 2)]
        walk_bands = [w.bands(q) for w in walks]
        accuracy = {
            f"power iteration, {n} vs {2 * n} iterations": band_overlap(band, converged),
            f"power iteration, {max(n // 2, 1)} vs {2 * n} iterations": band_overlap(
                estimate(num_iterations=max(n // 2, 1)).bands(q), converged
            ),
            f"walks ({settings.num_walks} x {settings.walk_length}), two independent estimates": band_overlap(
                *walk_bands
            ),
            f"walks ({settings.num_walks} x {settings.walk_length}) vs power iteration ({2 * n} iterations)": band_overlap(
                walk_bands[0], converged
            ),
        }
        visits = torch.from_numpy(walks[0].scores(q)).gather(1, band.clamp_min(0))[band >= 0]
        lo, hi = hard.band_limits(q)
        sizes = hard.relevance[q].clamp_min(1).double()
        drawn = hard.view("no-curriculum", derive_seed(seed, "anatomy-draws")).sample(
            q, pairs[:, 1], settings.max_hard
        )
        rand = torch.randint(0, task.num_items, drawn.shape, generator=gen)
        mix = {
            "positive": shares(pairs[:, 1:2]),
            "hard negatives": shares(drawn),
            "random negatives": shares(rand),
        }
    return BandAnatomy(
        band=settings.label(),
        depth=depth,
        in_band=shares(band),
        walk_in_band=shares(walk_bands[0]),
        mix=mix,
        relevance=tuple(
            float(v) for v in torch.quantile(sizes, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64))
        ),
        median_band=(int(lo.median()), int(hi.median())),
        accuracy=accuracy,
        band_visits=float(visits.median()),
        num_walk_steps=settings.num_walks * settings.walk_length,
        queries=q,
        positives=pairs[:, 1],
        hard=drawn,
        random=rand,
        category=category,
        category_topic=topic,
        lookalike=lookalike,
        interest=interest,
    )
