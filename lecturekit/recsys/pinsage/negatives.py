"""Hard negatives from personalised PageRank and the curriculum that feeds them (notebook 03).

PinSage (Ying et al., KDD 2018, section 3.3) trains with two kinds of negatives:

* **random negatives**, shared by the whole batch (:func:`~lecturekit.recsys.pinsage.train.train_pinsage`
  draws them); almost all are trivially unrelated, so the max-margin loss stops learning early;
* **hard negatives**, per query: items that are *related but not too similar*. For a query ``q``
  rank all items by their personalised-PageRank score, estimated by the visit counts of random
  walks with restart from ``q`` (the same :class:`~lecturekit.recsys.pinsage.sampler.RandomWalkSampler`
  machinery), and draw from a middle **rank band** ``[lo, hi]``. The paper uses ranks 2000-5000 of
  3 billion pins.

Rank-band rule (:func:`default_band`). The paper evaluates hit-rate@K with ``K = 500``; its band
2000-5000 is ``[4K, 10K]``: just outside the evaluation cut-off, far enough down not to contain
near-duplicates of the positive. We keep that *ratio to the cut-off* and take ``K`` from
:func:`~lecturekit.recsys.pinsage.evaluation.ranking_cutoffs` (``K = max(10, N / 1000)``), so

    band(N) = [4 K(N), 10 K(N)],   e.g. N = 10k -> ranks 40-100;  N = 5M -> 20k-50k.

Users override it with explicit ranks (``band=(lo, hi)``) or catalogue fractions
(``band=(0.005, 0.02)``). Items tied at zero visits are ordered at random, so a band beyond the
visited set degrades gracefully into random negatives.

Exclusion: the query itself and every known positive of the query (from the training pairs, both
directions) are never returned as hard negatives; a replacement is drawn from the band instead.

Curriculum (:func:`num_hard_negatives`): epoch ``n`` (1-based) uses ``n - 1`` hard negatives per
query (``per_epoch`` per epoch, capped at ``max_hard``): 0, 1, 2, ... Variants: ``"no-curriculum"``
(``max_hard`` from the first epoch; the paper reports it needs about twice the epochs) and
``"random-only"`` (never any hard negative).

The experiments of notebook 03 (configs, ``run_seed`` functions, typed results) live in
:mod:`lecturekit.recsys.pinsage.hard_negative_experiment`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.evaluation import ranking_cutoffs
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler

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


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


@dataclass(frozen=True)
class HardNegativeConfig:
    """Settings of :class:`HardNegativeSampler` (frozen: derive variants with ``dataclasses.replace``).

    Attributes:
        schedule: ``"curriculum"`` | ``"no-curriculum"`` | ``"random-only"``.
        max_hard: most hard negatives per query (the no-curriculum count), >= 1.
        per_epoch: hard negatives added per epoch by the curriculum (paper: 1), >= 1.
        band: rank band, see :func:`resolve_band` (``None`` = the ``[4K, 10K]`` rule).
        num_walks, walk_length, restart_prob: the personalised-PageRank walks (more walks than the
            neighbourhood sampler uses: the band sits deeper in the ranking than the top ``T``).
        seed: seed of the walks and of the draws from the band.

    Each bad value is a ``ValueError`` naming the field (the band is checked against the catalogue
    when the sampler is built, by :func:`resolve_band`).
    """

    schedule: str = "curriculum"
    max_hard: int = 6
    per_epoch: int = 1
    band: tuple[float, float] | None = None
    num_walks: int = 400
    walk_length: int = 3
    restart_prob: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"HardNegativeConfig.schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("max_hard", "per_epoch", "num_walks", "walk_length"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"HardNegativeConfig.{name} must be an int >= 1, got {value!r}")
        if not 0.0 <= float(self.restart_prob) < 1.0:  # 1.0 would restart before every step: no walk at all
            raise ValueError(f"HardNegativeConfig.restart_prob must be in [0, 1), got {self.restart_prob!r}")
        if not _is_int(self.seed) or self.seed < 0:
            raise ValueError(f"HardNegativeConfig.seed must be a non-negative int, got {self.seed!r}")
        if isinstance(self.band, list):  # a list would make the frozen config editable
            object.__setattr__(self, "band", tuple(self.band))


def num_hard_negatives(epoch: int, schedule: str = "curriculum", max_hard: int = 6, per_epoch: int = 1) -> int:
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


class HardNegativeSampler:
    """Per-query hard negatives from a rank band of personalised-PageRank visit counts.

    An instance is a :data:`~lecturekit.recsys.pinsage.train.NegativeSampler`: call it as
    ``sampler(queries, positives, epoch) -> (B, H)`` with ``H`` from the schedule; pass it to
    ``train_pinsage(..., negative_sampler=...)``. It depends only on the training graph, never on
    the model, so it can run inside DataLoader workers.

    Args:
        edge_index: ``(2, E)`` TRAINING item-user edges.
        num_items, num_users: id ranges.
        train_pairs: ``(P, 2)`` positive pairs; each query's positives (both directions) are excluded.
        config: :class:`HardNegativeConfig`.

    Bands are computed lazily per query and cached (``N x (hi - lo + 1)`` ids at most).
    :meth:`view` gives samplers with another schedule and draw stream that share the cache, so
    several models of one run are trained on the same bands without recomputing the walks.
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
            raise TypeError(f"argument 'config' must be a HardNegativeConfig, got {type(self.config).__name__}")
        self.num_items = num_items
        self.lo, self.hi = resolve_band(num_items, self.config.band)
        self.walker = RandomWalkSampler(
            edge_index, num_items, num_users, num_walks=self.config.num_walks, walk_length=self.config.walk_length,
            restart_prob=self.config.restart_prob, seed=self.config.seed,
        )  # fmt: skip
        self.pos_ptr, self.pos_items = positive_sets(train_pairs, num_items)
        width = self.hi - self.lo + 1
        self.cache = num_items * width <= 50_000_000  # ~400 MB of ids at most; else recompute per batch
        self._bands = torch.full((num_items if self.cache else 0, width), -1, dtype=torch.long)
        self._have = torch.zeros(num_items, dtype=torch.bool)
        self._gen = torch.Generator().manual_seed(self.config.seed + 1)

    def view(self, schedule: str, seed: int) -> HardNegativeSampler:
        """A sampler with ``schedule`` and its own draw stream ``seed``, sharing this one's walks,
        positives and band cache (filled here first, so the view never writes to it).

        Why: the models of one run must see the same bands, and each model's draws must not depend
        on how many draws another model made before it (the order the notebook trains them in).
        Without a cache (huge catalogues) views share the walker, whose stream then does depend on
        the order.
        """
        self.precompute()
        other = copy.copy(self)  # shallow: the tensors of the cache are shared, read only
        other.config = replace(self.config, schedule=schedule, seed=seed)
        other._gen = torch.Generator().manual_seed(other.config.seed + 1)
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

    def ranking(self, queries: Tensor) -> Tensor:
        """``(B, N - 1)`` items ordered by visit count from each query, best first; the query is
        excluded and ties (notably zero visits) are broken at random."""
        queries = self._check_queries(queries)
        counts = self.walker.visit_counts(queries)
        noise = torch.rand(counts.shape, generator=self._gen)  # < 1: only breaks ties
        key = counts + noise
        key[torch.arange(queries.numel()), queries] = -1.0
        order = torch.argsort(key, dim=1, descending=True)
        return order[:, :-1]

    def bands(self, queries: Tensor) -> Tensor:
        """``(B, hi - lo + 1)`` items at ranks ``lo..hi`` (1-based) for each query (cached)."""
        queries = self._check_queries(queries)
        if not self.cache:
            return self.ranking(queries)[:, self.lo - 1 : self.hi]
        missing = torch.unique(queries[~self._have[queries]])
        for chunk in missing.split(1024) if missing.numel() else ():
            self._bands[chunk] = self.ranking(chunk)[:, self.lo - 1 : self.hi]
            self._have[chunk] = True
        return self._bands[queries]

    def precompute(self, items: Tensor | None = None) -> None:
        """Fill the band cache for ``items`` (default: every item) before training, so DataLoader
        workers inherit it instead of recomputing it every epoch."""
        if self.cache:
            self.bands(torch.arange(self.num_items) if items is None else torch.as_tensor(items).long())

    def is_positive(self, queries: Tensor, items: Tensor) -> Tensor:
        """``(B, M)`` bool: ``items[b, m]`` is the query itself or a known positive of ``queries[b]``."""
        out = items == queries.unsqueeze(1)
        start, end = self.pos_ptr[queries], self.pos_ptr[queries + 1]
        longest = int((end - start).max()) if queries.numel() else 0
        for j in range(longest):
            has = (start + j) < end
            known = self.pos_items[(start + j).clamp_max(max(self.pos_items.numel() - 1, 0))]
            out |= has.unsqueeze(1) & (items == known.unsqueeze(1))
        return out

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
        banned = self.is_positive(queries, band)
        if positives is not None:
            banned |= band == torch.as_tensor(positives).long().unsqueeze(1)
        # Uniform draws among allowed band items: random keys, banned ones pushed to the end.
        keys = torch.rand(band.shape, generator=self._gen) + banned.float() * 2.0
        width = band.shape[1]
        picks = torch.argsort(keys, dim=1)[:, : min(num, width)]
        if num > width:  # more requested than the band holds: draw with replacement
            picks = picks[:, torch.randint(0, picks.shape[1], (num,), generator=self._gen)]
        out = band.gather(1, picks)
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
        return num_hard_negatives(epoch, c.schedule, c.max_hard, c.per_epoch)

    def __call__(self, queries: Tensor, positives: Tensor, epoch: int) -> Tensor:
        """The :data:`~lecturekit.recsys.pinsage.train.NegativeSampler` hook: ``(B, num_hard(epoch))``."""
        return self.sample(queries, positives, self.num_hard(epoch))


# ---------------------------------------------------------------------- what the negatives look like
RELATIONS = ("same category", "same topic", "look-alike", "unrelated")
"""Relation of an item to a query in the pinboard world (codes 0..3 of :func:`relation_to_query`)."""


def relation_to_query(pin_category: Tensor, category_topic: Tensor, lookalike: Tensor, queries: Tensor,
                      items: Tensor) -> Tensor:  # fmt: skip
    """``items.shape`` codes: 0 same category as the query, 1 same topic (other category), 2 the
    visual look-alike category, 3 unrelated. Arrays from a :class:`~lecturekit.data.pinboard.Pinboard`
    (``pin_category``, ``category_topic``, ``category_lookalike``). Used by notebook 03."""
    qc = pin_category[queries].unsqueeze(-1) if items.ndim > queries.ndim else pin_category[queries]
    ic = pin_category[items]
    code = torch.full(items.shape, 3, dtype=torch.long)
    code = torch.where(ic == lookalike[qc], torch.full_like(code, 2), code)
    code = torch.where(category_topic[ic] == category_topic[qc], torch.full_like(code, 1), code)
    return torch.where(ic == qc, torch.zeros_like(code), code)


def score_distributions(
    embeddings: Tensor, pairs: Tensor, hard: Tensor, num_random: int = 20, seed: int = 0
) -> dict[str, Tensor]:
    """Dot-product scores of each query with its positive, ``num_random`` uniform random items and
    its hard negatives ``hard`` (``(Q, H)``): the histogram that explains the gain (notebook 03)."""
    pairs = torch.as_tensor(pairs).long()
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise ValueError(f"argument 'pairs' must be (Q, 2), got shape {tuple(pairs.shape)}")
    if hard.ndim != 2 or hard.shape[0] != pairs.shape[0]:
        raise ValueError(f"argument 'hard' must be ({pairs.shape[0]}, H), got shape {tuple(hard.shape)}")
    if not _is_int(num_random) or num_random < 1:
        raise ValueError(f"argument 'num_random' must be an int >= 1, got {num_random!r}")
    q, p = pairs[:, 0], pairs[:, 1]
    gen = torch.Generator().manual_seed(seed)
    rnd = torch.randint(0, embeddings.shape[0], (q.numel(), num_random), generator=gen)
    zq = embeddings[q]
    return {
        "positive": (zq * embeddings[p]).sum(1),
        "random negative": torch.einsum("qd,qkd->qk", zq, embeddings[rnd]).reshape(-1),
        "hard negative": torch.einsum("qd,qkd->qk", zq, embeddings[hard]).reshape(-1),
    }


def sibling_task(
    num_pairs: int = 10,
    group_size: int = 20,
    boards_per_group: int = 12,
    board_size: int = 6,
    cross_boards: int = 6,
    subtle: float = 0.25,
    seed: int = 0,
) -> RelatedItemTask:
    """A small planted world built so that hard negatives matter (unit test and notebook 03).

    Items come in ``2 * num_pairs`` groups of ``group_size``; groups ``2s`` and ``2s + 1`` are
    *siblings*. Features (16-d): ``prototype[sibling pair] + subtle * offset[group] + 0.3 noise``, so a
    sibling looks almost the same as a group-mate and only a subtle direction tells them apart.
    Boards: ``boards_per_group`` boards of ``board_size`` items of one group and ``cross_boards``
    boards mixing a group with its sibling, so personalised PageRank ranks siblings just below the
    group (the middle band). Positive pairs: consecutive items of a one-group board; the first board
    of every group is held out (its saves leave the graph) and gives the test pairs.
    Random negatives are almost never siblings (``1 / (2 num_pairs)`` of them), hard negatives mostly are.
    Bad sizes are a ``ValueError`` naming the argument.
    """
    for name, value, minimum in (("num_pairs", num_pairs, 1), ("group_size", group_size, 2),
                                 ("boards_per_group", boards_per_group, 2), ("board_size", board_size, 2),
                                 ("cross_boards", cross_boards, 0), ("seed", seed, 0)):  # fmt: skip
        if not _is_int(value) or value < minimum:
            raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
    if board_size > group_size:
        raise ValueError(f"argument 'board_size' ({board_size}) must not exceed 'group_size' ({group_size})")
    if not subtle >= 0:
        raise ValueError(f"argument 'subtle' must be >= 0, got {subtle!r}")
    g = torch.Generator().manual_seed(seed)
    groups, n = 2 * num_pairs, 2 * num_pairs * group_size
    group = torch.arange(n) // group_size
    prototype = torch.randn(num_pairs, 16, generator=g)
    offset = torch.randn(groups, 16, generator=g)
    features = prototype[group // 2] + subtle * offset[group] + 0.3 * torch.randn(n, 16, generator=g)
    items, boards, train, test, held_out = [], [], [], [], []
    board = 0
    for gr in range(groups):
        for j in range(boards_per_group + cross_boards):
            pool = group_size * gr + torch.randperm(group_size, generator=g)[:board_size]
            if j >= boards_per_group:
                half = board_size // 2
                pool[half:] = group_size * (gr ^ 1) + torch.randperm(group_size, generator=g)[: board_size - half]
            else:
                seq = pool.tolist()
                (test if j == 0 else train).extend(zip(seq[:-1], seq[1:], strict=True))
            items.append(pool)
            boards.append(torch.full((board_size,), board))
            held_out.append(torch.full((board_size,), j == 0))
            board += 1
    edge_index = torch.stack([torch.cat(items), torch.cat(boards)])[:, ~torch.cat(held_out)]
    return RelatedItemTask(
        name="siblings", num_items=n, num_users=board, edge_index=edge_index, train_pairs=torch.tensor(train),
        test_pairs=torch.tensor(test), features={"combined": features}, labels=group,
    )  # fmt: skip
