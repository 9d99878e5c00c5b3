"""Hard negatives from personalised PageRank and the curriculum that feeds them (notebook 03).

PinSage (Ying et al., KDD 2018, section 3.3) trains with two kinds of negatives:

* **random negatives**, shared by the whole batch (:func:`~lecturekit.recsys.pinsage.train.train_pinsage`
  draws them); almost all are trivially unrelated, so the max-margin loss stops learning early;
* **hard negatives**, per query: items that are *related but not too similar*. For a query ``q``
  rank all items by their personalised-PageRank score from ``q`` and draw from a middle **rank band**.
  The paper uses ranks 2000-5000 of 3 billion pins (the lecture's slides say "visit counts ranked
  1000-5000": both are *ranks* of the visit-count ordering, not counts).

Scores (:class:`PersonalizedPageRank`). Sparse power iteration on the item-board graph, batched over
queries: the expectation of the walks with restart that give PinSage its neighbourhoods, without
their Monte-Carlo noise. Walk visit counts (``estimator="walks"``) stay available as the baseline:
at the depth of the band most pins are visited once or never, so their order there is mostly noise
(notebook 03 measures both against a second estimate). Only the top ``hi`` ranks are needed, so
:func:`top_ranked` partitions each query's scores at rank ``hi`` and sorts only what lies above, instead
of sorting all ``N`` pins per query.

Bands. Either fixed ranks (:func:`resolve_band`: explicit ranks, catalogue fractions, or the
:func:`default_band` rule ``[4K, 10K]`` with ``K`` the hit-rate cut-off: the paper's 2000-5000 at
``K = 500``), or **relative to the query's relevance set** (``relative_band=(a, b)``): ranks
``a R(q)..b R(q)`` with ``R(q)`` the pins sharing a board with ``q`` (:func:`relevance_sizes`), so
``a >= 1`` starts just after what the query's own boards call related, whatever its degree.
Items tied at zero score are ordered at random, so a band beyond the reachable set degrades
gracefully into random negatives.

Exclusion: the query itself and every known positive of the query (from the training pairs, both
directions) are never returned as hard negatives; a replacement is drawn from the band instead.

Curriculum (:func:`num_hard_negatives`): epoch ``n`` (1-based) uses ``n - 1`` hard negatives per
query (one more per epoch, capped at ``max_hard``; the function takes another step): 0, 1, 2, ... Variants: ``"no-curriculum"``
(``max_hard`` from the first epoch; the paper reports it needs about twice the epochs) and
``"random-only"`` (never any hard negative).

The scores and the partial ranking live in :mod:`~lecturekit.recsys.pinsage.ppr`; the diagnostics (band
accuracy, relations to the query, score distributions, the sibling world) in
:mod:`~lecturekit.recsys.pinsage.negative_diagnostics`. The experiments of notebook 03 (configs, ``run_seed`` functions, typed results) live in
:mod:`lecturekit.studies.nb03_hard_negatives`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.ppr import PersonalizedPageRank, _is_int, relevance_sizes, top_ranked
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.seed import derive_seed

SCHEDULES = ("curriculum", "no-curriculum", "random-only")


def default_band(num_items: int) -> tuple[int, int]:
    """The documented rank-band rule ``[4K, 10K]`` with ``K`` the hit-rate cut-off of the catalogue.

    Returns 1-based inclusive ranks ``(lo, hi)``, clipped to ``num_items - 1`` (the query is not
    ranked). Paper: K = 500 -> (2000, 5000). Used by notebook 03.
    """
    k, _ = ranking_cutoffs(num_items)
    top = max(num_items - 1, 1)
    hi = min(10 * k, top)
    lo = min(4 * k, hi)
    return lo, hi


def resolve_band(num_items: int, band: tuple[float, float] | None = None) -> tuple[int, int]:
    """1-based inclusive ranks ``(lo, hi)`` of the hard-negative band.

    Args:
        num_items: catalogue size ``N``.
        band: ``None`` -> :func:`default_band`; two ints -> explicit ranks; two floats in (0, 1]
            -> fractions of the catalogue (``lo = max(1, round(f_lo N))``).

    Raises ``ValueError`` naming ``band`` when it is not two ranks or two fractions, not
    increasing, starts below rank 1 or reaches beyond the ``N - 1`` rankable items.
    """
    if not _is_int(num_items) or num_items < 2:
        raise ValueError(f"argument 'num_items' must be an int >= 2 for hard negatives, got {num_items!r}")
    if band is None:
        return default_band(num_items)
    if isinstance(band, str) or not hasattr(band, "__len__") or len(band) != 2:
        raise ValueError(f"argument 'band' must be (lo, hi), got {band!r}")
    lo_in, hi_in = band
    if all(_is_int(v) for v in band):
        lo, hi = int(lo_in), int(hi_in)
    elif all(isinstance(v, float) and 0.0 < v <= 1.0 for v in band):
        lo, hi = max(1, round(lo_in * num_items)), max(1, round(hi_in * num_items))
    else:
        raise ValueError(f"argument 'band' must be two int ranks or two fractions in (0, 1], got {band!r}")
    if not 1 <= lo <= hi:
        raise ValueError(f"argument 'band' must satisfy 1 <= lo <= hi, got ranks ({lo}, {hi}) from {band!r}")
    if hi > num_items - 1:
        raise ValueError(f"argument 'band' reaches rank {hi} but only {num_items - 1} items can be ranked")
    return lo, hi


ESTIMATORS = ("power", "walks")
# Personalised PageRank returns to the query after each item -> board -> item traversal with this probability
# (Pixie's and the neighbourhood walks' setting: scores stay local to the query's boards). Nothing varies it.
RESTART_PROB = 0.5


@dataclass(frozen=True)
class HardNegativeConfig:
    """Settings of :class:`HardNegativeSampler` (frozen: derive variants with ``dataclasses.replace``).

    Attributes:
        schedule: ``"curriculum"`` | ``"no-curriculum"`` | ``"random-only"``.
        max_hard: most hard negatives per query (the no-curriculum count), >= 1.
        band: rank band, see :func:`resolve_band` (``None`` = the ``[4K, 10K]`` rule); ignored when
            ``relative_band`` is set.
        relative_band: ``(a, b)``: query ``q``'s band is ranks ``ceil(a R(q))..floor(b R(q))``, with
            ``R(q)`` the size of its relevance set (:func:`relevance_sizes`); ``a >= 1`` starts the
            band just after the pins the query's own boards already call related.
        estimator: ``"power"`` (sparse power iteration of personalised PageRank, the default) or
            ``"walks"`` (Monte-Carlo visit counts of ``num_walks`` walks: the noisy estimate kept as
            the baseline that notebook 03 measures the band's accuracy against).
        num_iterations: power-iteration steps (the band's ranks are stable long before the scores
            converge: notebook 03 measures it against twice as many).
        max_board_degree: boards with more saves are dropped from the graph the scores and
            relevance sets are computed on (Pixie prunes hub boards the same way); ``None`` keeps all.
        num_walks, walk_length: the Monte-Carlo walks (``estimator="walks"`` only).
        seed: seed of the tie-breaks (pins with equal scores, notably zero) and of the draws from the band.

    Each bad value is a ``ValueError`` naming the field (the band is checked against the catalogue
    when the sampler is built, by :func:`resolve_band`).
    """

    schedule: str = "curriculum"
    max_hard: int = 6
    band: tuple[float, float] | None = None
    relative_band: tuple[float, float] | None = None
    estimator: str = "power"
    num_iterations: int = 8
    max_board_degree: int | None = None
    num_walks: int = 400
    walk_length: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"HardNegativeConfig.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if self.estimator not in ESTIMATORS:
            raise ValueError(
                f"HardNegativeConfig.estimator must be one of {ESTIMATORS}, got {self.estimator!r}"
            )
        for name in ("max_hard", "num_walks", "walk_length", "num_iterations"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"HardNegativeConfig.{name} must be an int >= 1, got {value!r}")
        if self.max_board_degree is not None and (
            not _is_int(self.max_board_degree) or self.max_board_degree < 1
        ):
            raise ValueError(
                f"HardNegativeConfig.max_board_degree must be None or an int >= 1, got {self.max_board_degree!r}"
            )
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"HardNegativeConfig.seed must be a non-negative int, got {self.seed!r}")
        for name in ("band", "relative_band"):
            if isinstance(getattr(self, name), list):  # a list would make the frozen config editable
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.relative_band is not None:
            check_relative_band(self.relative_band, "HardNegativeConfig.relative_band")


def check_relative_band(band: object, where: str = "argument 'relative_band'") -> tuple[float, float]:
    """``(a, b)`` with ``1 <= a <= b`` (multiples of the relevance-set size), else ``ValueError`` naming ``where``."""
    if isinstance(band, str) or not hasattr(band, "__len__") or len(band) != 2:
        raise ValueError(f"{where} must be (a, b) multiples of the relevance-set size, got {band!r}")
    a, b = band
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)) or not 1 <= a <= b:
        raise ValueError(
            f"{where} must satisfy 1 <= a <= b (the band starts after the relevance set), got {band!r}"
        )
    return float(a), float(b)


def relative_band_ranks(
    relevance: Tensor, relative_band: tuple[float, float], num_items: int
) -> tuple[Tensor, Tensor]:
    """1-based inclusive ranks ``(lo, hi)`` of the bands ``ceil(a R)..floor(b R)`` for relevance sizes ``R``.

    ``relevance``: ``(B,)`` relevance-set sizes (:func:`relevance_sizes`); ``relative_band``: ``(a, b)``
    with ``1 <= a <= b``. A pin alone on its boards (``R = 0``) counts as ``R = 1``; both ends are clipped
    to the ``num_items - 1`` rankable items and ``hi >= lo``, so every band holds at least one rank.
    Used by :meth:`HardNegativeSampler.band_limits` and notebook 03's exercise.
    """
    a, b = check_relative_band(relative_band)
    size = torch.as_tensor(relevance).long().clamp_min(1).double()  # a pin alone on its boards: R = 1
    top = num_items - 1
    lo = torch.ceil(a * size).long().clamp(1, top)
    hi = torch.maximum(torch.floor(b * size).long().clamp(1, top), lo)
    return lo, hi


def num_hard_negatives(
    epoch: int, schedule: str = "curriculum", max_hard: int = 6, per_epoch: int = 1
) -> int:
    """Hard negatives per query in 0-based ``epoch``.

    ``curriculum``: ``min(per_epoch * epoch, max_hard)`` -> 0, 1, 2, ... (the paper: epoch n uses n - 1);
    ``no-curriculum``: ``max_hard`` from the start; ``random-only``: 0. ``max_hard`` and
    ``per_epoch`` must be >= 1 (a curriculum that never adds one is ``"random-only"``). Used by notebook 03.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"argument 'schedule' must be one of {SCHEDULES}, got {schedule!r}")
    for name, value in (("epoch", epoch), ("max_hard", max_hard), ("per_epoch", per_epoch)):
        minimum = 0 if name == "epoch" else 1
        if not _is_int(value) or value < minimum:
            raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
    if schedule == "random-only":
        return 0
    if schedule == "no-curriculum":
        return max_hard
    return min(per_epoch * epoch, max_hard)


def positive_sets(pairs: Tensor, num_items: int) -> tuple[Tensor, Tensor]:
    """CSR ``(ptr, items)`` of each item's known positives (pairs taken in both directions); notebook 03."""
    pairs = torch.as_tensor(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"argument 'pairs' must be (P, 2), got shape {tuple(pairs.shape)}")
    if pairs.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"argument 'pairs' must hold integer item ids, got dtype {pairs.dtype}")
    pairs = pairs.long()
    if pairs.numel() and (int(pairs.min()) < 0 or int(pairs.max()) >= num_items):
        raise ValueError(f"argument 'pairs' has item ids outside [0, {num_items})")
    both = torch.unique(torch.cat([pairs, pairs.flip(1)]), dim=0)
    ptr = torch.zeros(num_items + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(torch.bincount(both[:, 0], minlength=num_items), 0)
    return ptr, both[:, 1].contiguous()


# ---------------------------------------------------------------------- personalised PageRank
class HardNegativeSampler:
    """Per-query hard negatives from a rank band of personalised PageRank.

    An instance is a :data:`~lecturekit.recsys.pinsage.train.NegativeSampler`: call it as
    ``sampler(queries, positives, epoch) -> (B, H)`` with ``H`` from the schedule; pass it to
    ``train_pinsage(..., negative_sampler=...)``. It depends only on the training graph, never on
    the model, so it can run inside DataLoader workers.

    Args:
        edge_index: ``(2, E)`` TRAINING item-user edges.
        num_items, num_users: id ranges.
        train_pairs: ``(P, 2)`` positive pairs; each query's positives (both directions) are excluded.
        config: :class:`HardNegativeConfig`.

    Bands are computed lazily per query and cached (one array per query); with ``relative_band`` each
    query has its own width. :meth:`view` gives samplers with another schedule and draw stream that
    share the cache; :meth:`with_band` one with another band that reuses the scores' estimator.
    Tie-breaks depend only on ``(config.seed, query, item)``, so a band never depends on which
    queries were computed before it.
    """

    def __init__(
        self,
        edge_index: Tensor,
        num_items: int,
        num_users: int,
        train_pairs: Tensor,
        config: HardNegativeConfig | None = None,
    ) -> None:
        self.config = HardNegativeConfig() if config is None else config
        if not isinstance(self.config, HardNegativeConfig):
            raise TypeError(
                f"argument 'config' must be a HardNegativeConfig, got {type(self.config).__name__}"
            )
        c = self.config
        self.num_items = num_items
        self.lo, self.hi = resolve_band(num_items, c.band)
        if c.estimator == "power":
            self.estimator = PersonalizedPageRank(
                edge_index,
                num_items,
                num_users,
                restart_prob=RESTART_PROB,
                num_iterations=c.num_iterations,
                max_board_degree=c.max_board_degree,
            )
        else:
            self.estimator = RandomWalkSampler(
                edge_index,
                num_items,
                num_users,
                num_walks=c.num_walks,
                walk_length=c.walk_length,
                restart_prob=RESTART_PROB,
                seed=c.seed,
            )
        self.relevance = relevance_sizes(edge_index, num_items, num_users, c.max_board_degree)
        self.pos_ptr, self.pos_items = positive_sets(train_pairs, num_items)
        # (query, positive) as one sorted int64 key each: membership is one binary search per item
        owner = torch.repeat_interleave(torch.arange(num_items), self.pos_ptr[1:] - self.pos_ptr[:-1])
        self._pos_keys = torch.sort(owner * num_items + self.pos_items).values
        tie = torch.Generator().manual_seed(derive_seed(c.seed, "ppr-ties"))
        self._tie_item, self._tie_query = (
            torch.rand(num_items, generator=tie),
            torch.rand(num_items, generator=tie),
        )
        self._bands: list[Tensor | None] = [None] * num_items
        self._features: Tensor | None = None  # with_features: rank by feature cosine instead
        self._gen = torch.Generator().manual_seed(c.seed + 1)

    # ------------------------------------------------------------------ derived samplers
    def view(self, schedule: str, seed: int) -> HardNegativeSampler:
        """A sampler with ``schedule`` and its own draw stream ``seed``, sharing this one's scores,
        positives and band cache.

        Why: the models of one run must see the same bands, and each model's draws must not depend
        on how many draws another model made before it (the order the notebook trains them in).
        Views fill the shared cache lazily: a query's band is a function of the graph, the config
        and the query alone (deterministic scores and tie keys), so who computes it first is irrelevant.
        """
        other = copy.copy(self)  # shallow: the band cache (a list) is shared
        other.config = replace(self.config, schedule=schedule, seed=seed)
        other._gen = torch.Generator().manual_seed(seed + 1)
        return other

    def with_band(
        self, band: tuple[float, float] | None = None, relative_band: tuple[float, float] | None = None
    ) -> HardNegativeSampler:
        """A sampler with another band and an empty band cache, sharing the estimator and positives."""
        other = copy.copy(self)
        other.config = replace(self.config, band=band, relative_band=relative_band)
        other.lo, other.hi = resolve_band(self.num_items, band)
        other._bands = [None] * self.num_items
        return other

    def with_features(self, features: Tensor) -> HardNegativeSampler:
        """A sampler that ranks by cosine similarity of ``features`` (e.g. the visual vectors) instead of
        personalised PageRank: its band holds the query's feature look-alikes, which a graph band cannot
        contain. Same band ranks, schedule, exclusions and views; an empty band cache."""
        features = torch.as_tensor(features)
        if features.ndim != 2 or features.shape[0] != self.num_items:
            raise ValueError(
                f"argument 'features' must be ({self.num_items}, d), got {tuple(features.shape)}"
            )
        other = copy.copy(self)
        other._features = torch.nn.functional.normalize(features.float(), dim=1)
        other._bands = [None] * self.num_items
        return other

    # ------------------------------------------------------------------ bands
    def _check_queries(self, queries: Tensor) -> Tensor:
        queries = torch.as_tensor(queries)
        if queries.ndim != 1:
            raise ValueError(f"argument 'queries' must be 1-D, got shape {tuple(queries.shape)}")
        if queries.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"argument 'queries' must hold integer item ids, got dtype {queries.dtype}")
        queries = queries.long()
        if queries.numel() and (int(queries.min()) < 0 or int(queries.max()) >= self.num_items):
            raise ValueError(f"argument 'queries' has item ids outside [0, {self.num_items})")
        return queries

    def scores(self, queries: Tensor) -> np.ndarray:
        """``(B, N)`` estimated personalised-PageRank scores (visit counts with ``estimator="walks"``; feature
        cosines after :meth:`with_features`)."""
        queries = self._check_queries(queries)
        if self._features is not None:  # with_features: cosine of the feature vectors
            return (self._features[queries] @ self._features.T).numpy()
        if isinstance(self.estimator, PersonalizedPageRank):
            return self.estimator.scores(queries)
        return self.estimator.visit_counts(queries).float().numpy()

    def tie_keys(self, queries: Tensor) -> Tensor:
        """``(B, N)`` tie-break keys in [0, 1): a per-query rotation of one random order of the items."""
        return torch.remainder(self._tie_item.unsqueeze(0) + self._tie_query[queries].unsqueeze(1), 1.0)

    def ranking(self, queries: Tensor, depth: int | None = None) -> Tensor:
        """``(B, depth)`` items ordered by score from each query, best first (default: all ``N - 1``);
        the query is excluded and zero scores are ordered at random (:func:`top_ranked`)."""
        queries = self._check_queries(queries)
        depth = self.num_items - 1 if depth is None else min(int(depth), self.num_items - 1)
        return top_ranked(self.scores(queries), queries, depth, lambda rows: self.tie_keys(queries[rows]))

    def band_limits(self, queries: Tensor) -> tuple[Tensor, Tensor]:
        """1-based inclusive ranks ``(lo, hi)`` of each query's band (``(B,)`` each)."""
        queries = self._check_queries(queries)
        if self.config.relative_band is None:
            return torch.full_like(queries, self.lo), torch.full_like(queries, self.hi)
        return relative_band_ranks(self.relevance[queries], self.config.relative_band, self.num_items)

    def bands(self, queries: Tensor) -> Tensor:
        """``(B, W)`` items at ranks ``lo..hi`` of each query (cached), padded with ``-1`` to the widest band."""
        queries = self._check_queries(queries)
        missing = torch.unique(
            queries[torch.tensor([self._bands[int(q)] is None for q in queries], dtype=torch.bool)]
        )
        if missing.numel():
            # Chunks of similar band depth: a chunk is ranked as deep as its deepest band, so a hub among
            # 511 ordinary queries would make the whole chunk pay for its depth.
            lo, hi = self.band_limits(missing)
            order = torch.argsort(hi, stable=True)
            for chunk, chunk_lo, chunk_hi in zip(
                *(x[order].split(512) for x in (missing, lo, hi)), strict=True
            ):
                ranked = self.ranking(chunk, int(chunk_hi.max()))
                for row, q in enumerate(chunk.tolist()):
                    self._bands[q] = ranked[row, int(chunk_lo[row]) - 1 : int(chunk_hi[row])].clone()
        rows = [self._bands[int(q)] for q in queries]
        width = max((r.numel() for r in rows), default=0)
        out = torch.full((queries.numel(), width), -1, dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, : r.numel()] = r
        return out

    def precompute(self, items: Tensor | None = None) -> None:
        """Fill the band cache for ``items`` (default: every item) before training, so DataLoader
        workers inherit it instead of recomputing it every epoch."""
        self.bands(torch.arange(self.num_items) if items is None else torch.as_tensor(items).long())

    def is_positive(self, queries: Tensor, items: Tensor) -> Tensor:
        """``(B, M)`` bool: ``items[b, m]`` is the query itself or a known positive of ``queries[b]``
        (padding ``-1`` never is). One binary search per item, however many positives a hub query has."""
        out = items == queries.unsqueeze(1)
        if self._pos_keys.numel() == 0:
            return out
        keys = queries.unsqueeze(1) * self.num_items + items
        at = torch.searchsorted(self._pos_keys, keys).clamp_max(self._pos_keys.numel() - 1)
        return out | ((self._pos_keys[at] == keys) & (items >= 0))

    def sample(self, queries: Tensor, positives: Tensor | None, num: int) -> Tensor:
        """``(B, num)`` hard negatives drawn uniformly from each query's band, excluding the query,
        ``positives`` and the query's known positives (the band's remaining items are used; a band
        with none left falls back to uniformly random non-positive items)."""
        queries = self._check_queries(queries)
        if not _is_int(num) or num < 0:
            raise ValueError(f"argument 'num' must be an int >= 0, got {num!r}")
        if positives is not None and tuple(torch.as_tensor(positives).shape) != tuple(queries.shape):
            raise ValueError(
                f"argument 'positives' must have the shape of 'queries' {tuple(queries.shape)}, "
                f"got {tuple(torch.as_tensor(positives).shape)}"
            )
        b = queries.numel()
        if num == 0 or b == 0:
            return torch.empty(b, num, dtype=torch.long)
        band = self.bands(queries)
        banned = (band < 0) | self.is_positive(queries, band)
        if positives is not None:
            banned |= band == torch.as_tensor(positives).long().unsqueeze(1)
        # Uniform draws among allowed band items: random keys, banned ones pushed to the end.
        keys = torch.rand(band.shape, generator=self._gen) + banned.float() * 2.0
        width = band.shape[1]
        picks = torch.argsort(keys, dim=1)[:, : min(num, width)]
        if num > width:  # more requested than the band holds: draw with replacement
            picks = picks[:, torch.randint(0, picks.shape[1], (num,), generator=self._gen)]
        out = band.gather(1, picks).clamp_min(0)
        bad = banned.gather(1, picks)
        if positives is not None:
            bad |= out == torch.as_tensor(positives).long().unsqueeze(1)
        for _ in range(100):  # rare: whole band banned -> random non-positive replacements
            if not bool(bad.any()):
                break
            out = torch.where(bad, torch.randint(0, self.num_items, out.shape, generator=self._gen), out)
            bad = self.is_positive(queries, out)
            if positives is not None:
                bad |= out == torch.as_tensor(positives).long().unsqueeze(1)
        return out

    def num_hard(self, epoch: int) -> int:
        """Hard negatives per query in 0-based ``epoch`` under this sampler's schedule."""
        c = self.config
        return num_hard_negatives(epoch, c.schedule, c.max_hard)  # one more per epoch, as the paper

    def __call__(self, queries: Tensor, positives: Tensor, epoch: int) -> Tensor:
        """The :data:`~lecturekit.recsys.pinsage.train.NegativeSampler` hook: ``(B, num_hard(epoch))``."""
        return self.sample(queries, positives, self.num_hard(epoch))
