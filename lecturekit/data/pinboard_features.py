"""The pinboard world's content features and their calibration (notebooks 02 and 03).

:func:`lecturekit.data.pinboard.make_pinboard` draws each pin's visual vector and annotation words here
(:func:`_content_draws`, :func:`_content_features`) and, unless ``feature_strength`` is given, calibrates their
strength on the features alone (:func:`calibrate_feature_strength`, :func:`same_interest_fraction`): combined-feature
nearest neighbours reach a set fraction of the same-interest oracle's hit-rate@K. No graph and no model enters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from lecturekit.ranking import hits_at_k, ranking_cutoffs

if TYPE_CHECKING:  # annotations only: the world module imports this one to build its features
    from lecturekit.data.pinboard import Pinboard


def _grouped(group: np.ndarray, num_groups: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Members of each group in random order, concatenated, and each group's start offset."""
    order = rng.permutation(len(group))
    order = order[np.argsort(group[order], kind="stable")]
    size = np.bincount(group, minlength=num_groups)
    return order, np.concatenate([[0], np.cumsum(size)[:-1]])


@dataclass(frozen=True)
class _Content:
    """The random draws behind the content features, fixed per world so the strength can vary alone."""

    prototypes: np.ndarray
    category_offsets: np.ndarray
    interest_offsets: np.ndarray
    noise: np.ndarray
    word_counts: np.ndarray
    word_informative: np.ndarray  # uniform per word: informative when below 1 - exp(-strength)
    word_kind: np.ndarray  # uniform per word: which informative kind
    word_pick: np.ndarray  # uniform per word: which word of that kind
    cluster_style: np.ndarray


def _content_draws(
    pin_cluster: np.ndarray,
    num_categories: int,
    num_clusters: int,
    visual_dim: int,
    words_per_pin: float,
    unannotated: float,
    style_words: int,
    seed: int,
) -> _Content:
    rng = np.random.default_rng([seed, 31_337])
    counts = rng.poisson(words_per_pin, len(pin_cluster))
    counts[rng.random(len(pin_cluster)) < unannotated] = 0
    m = int(counts.sum())
    return _Content(
        prototypes=rng.standard_normal((num_categories, visual_dim)).astype(np.float32),
        category_offsets=rng.standard_normal((num_categories, visual_dim)).astype(np.float32),
        interest_offsets=rng.standard_normal((num_clusters, visual_dim)).astype(np.float32),
        noise=rng.standard_normal((len(pin_cluster), visual_dim)).astype(np.float32),
        word_counts=counts,
        word_informative=rng.random(m),
        word_kind=rng.random(m),
        word_pick=rng.random(m),
        cluster_style=rng.integers(0, style_words, (num_clusters, 2)),
    )


def _content_features(
    draws: _Content,
    strength: float,
    pin_category: np.ndarray,
    pin_cluster: np.ndarray,
    category_topic: np.ndarray,
    visual_group: np.ndarray,
    visual_noise: float,
    words_per_category: int,
    words_per_topic: int,
    style_words: int,
    noise_words: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(visual, annotation_ptr, annotation_words, word_kind)`` at ``strength`` (monotone in it)."""
    visual = (
        draws.prototypes[visual_group[pin_category]]
        + strength * (0.5 * draws.category_offsets[pin_category] + draws.interest_offsets[pin_cluster])
        + visual_noise * draws.noise
    ).astype(np.float32)
    num_categories, num_topics = len(category_topic), int(category_topic.max()) + 1
    num_cat_w, num_top_w = num_categories * words_per_category, num_topics * words_per_topic
    word_kind = np.concatenate(
        [np.zeros(num_cat_w), np.ones(num_top_w), np.full(style_words, 2), np.full(noise_words, 3)]
    ).astype(np.int64)
    counts = draws.word_counts
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    word_pin = np.repeat(np.arange(len(pin_category)), counts)
    cat = pin_category[word_pin]

    def pick(n: int) -> np.ndarray:
        return np.minimum((draws.word_pick * n).astype(np.int64), n - 1)

    style_w = num_cat_w + num_top_w + draws.cluster_style[pin_cluster[word_pin], pick(2)]
    cat_w = cat * words_per_category + pick(words_per_category)
    top_w = num_cat_w + category_topic[cat] * words_per_topic + pick(words_per_topic)
    noise_w = num_cat_w + num_top_w + style_words + pick(noise_words)
    informative = draws.word_informative < 1.0 - np.exp(-strength)
    # Of the informative words: half name the interest's style (ambiguous alone: the style pool is
    # shared), a third the category, the rest the topic.
    chosen = np.select([draws.word_kind < 0.5, draws.word_kind < 0.85], [style_w, cat_w], top_w)
    words = np.where(informative, chosen, noise_w).astype(np.int64)
    return visual, ptr, words, word_kind


def same_interest_fraction(
    world: Pinboard, k: int | None = None, num_queries: int = 1000, seed: int = 0, kind: str = "combined"
) -> float:
    """Feature kNN hit-rate@``k`` on random same-interest pairs, as a fraction of the same-interest
    oracle's (which ranks the query's interest first, in random order).

    Reads the content features ``kind`` only (no graph, no model; ``combined`` is the calibration
    target of :func:`calibrate_feature_strength`). Ranks break ties as the evaluation does, so a
    target tied with many pins is not a free hit. ``k`` defaults to the evaluation cut-off
    (:func:`lecturekit.ranking.ranking_cutoffs`).
    """
    if k is None:
        k = ranking_cutoffs(world.num_pins)[0]
    size = np.bincount(world.pin_cluster, minlength=world.num_clusters)
    rng = np.random.default_rng([seed, 4_242])
    candidates = np.flatnonzero(size[world.pin_cluster] >= 2)
    if len(candidates) == 0:
        raise ValueError("no interest has two pins: the same-interest calibration needs pairs")
    queries = rng.choice(candidates, size=min(num_queries, len(candidates)), replace=False)
    members, start = _grouped(world.pin_cluster, world.num_clusters, rng)
    c = world.pin_cluster[queries]
    # A random other member of the query's interest: draw among size - 1 slots, skip the query.
    slot = (rng.random(len(queries)) * (size[c] - 1)).astype(np.int64)
    targets = members[start[c] + slot]
    targets = np.where(targets == queries, members[start[c] + size[c] - 1], targets)
    x = torch.nn.functional.normalize(world.features(kind), dim=1)
    q = torch.from_numpy(queries)
    scores = x[q] @ x.T
    scores[torch.arange(len(q)), q] = -float("inf")
    knn = float(hits_at_k(scores, torch.from_numpy(targets), k).double().mean())
    oracle = float(np.mean(np.minimum(1.0, k / (size[c] - 1))))
    return knn / oracle


def modality_fractions(world: Pinboard, **kwargs: object) -> dict[str, float]:
    """:func:`same_interest_fraction` of the ``visual``, ``annotation`` and ``combined`` features
    (notebook 02 shows them: the two modalities should be of the same order and their
    concatenation better than either, as in the paper's Table 1)."""
    return {
        kind: same_interest_fraction(world, kind=kind, **kwargs)
        for kind in ("visual", "annotation", "combined")
    }


def calibrate_feature_strength(
    world: Pinboard, fraction: float, tolerance: float = 0.01, max_strength: float = 8.0, **content: object
) -> float:
    """The ``feature_strength`` at which :func:`same_interest_fraction` reaches ``fraction`` (bisection).

    ``content`` are the feature arguments of :func:`make_pinboard` the world was made with; the
    strength is searched in ``[0, max_strength]`` with the world's fixed feature draws.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"argument 'fraction' must be in (0, 1), got {fraction!r}")
    lo, hi = 0.0, max_strength
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        got = same_interest_fraction(_with_strength(world, mid, **content))
        if abs(got - fraction) <= tolerance:
            return mid
        lo, hi = (mid, hi) if got < fraction else (lo, mid)
    return 0.5 * (lo + hi)


def _with_strength(
    world: Pinboard,
    strength: float,
    *,
    visual_dim: int,
    visual_noise: float,
    words_per_pin: float,
    unannotated: float,
    words_per_category: int,
    words_per_topic: int,
    style_words: int,
    noise_words: int,
) -> Pinboard:
    draws = _content_draws(
        world.pin_cluster,
        world.num_categories,
        world.num_clusters,
        visual_dim,
        words_per_pin,
        unannotated,
        style_words,
        world.seed,
    )
    visual_group = np.minimum(np.arange(world.num_categories), world.category_lookalike)
    visual, ptr, words, kinds = _content_features(
        draws,
        strength,
        world.pin_category,
        world.pin_cluster,
        world.category_topic,
        visual_group,
        visual_noise,
        words_per_category,
        words_per_topic,
        style_words,
        noise_words,
    )
    return dataclasses.replace(
        world,
        visual=visual,
        annotation_ptr=ptr,
        annotation_words=words,
        word_kind=kinds,
        feature_strength=float(strength),
    )
