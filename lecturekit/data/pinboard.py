"""A seeded synthetic Pinterest-like world with planted structure (notebooks 02 and 03).

The world is built from stated assumptions, fixed before any model is trained on it, and is
generated fully vectorised in NumPy (a 20k-pin world in well under a second, plus the feature
calibration):

* **Interests.** Pins belong to fine *categories* (``num_topics * categories_per_topic``) grouped in
  *topics*; each category splits into *interests* of about ``cluster_size`` pins. Relatedness lives at
  the interest level: two pins are "related" when users who save one save the other next to it, and
  users do that within an interest.
* **Time.** The timeline is one year. A share ``initial_pins`` of the pins exists at the start (the
  catalogue), the rest are created uniformly over the year. A pin can only be saved after its
  creation, so the pins created late have few saves and those created after a training cut-off
  have none before it: the *new pins* the paper embeds without retraining.
* **Heavy tails.** Each pin has a popularity drawn from a log-normal (``popularity`` is its sigma):
  most pins get 0-3 saves, a few hubs get 50 and more. Board sizes are log-normal too.
* **Boards** mix 1-3 interests (probabilities ``interests_per_board``); each extra interest is from the
  same topic with probability ``same_topic_prob``, else any. A board's saves come in *sessions*
  (minutes apart, sessions spread from the board's creation to the end of the year); each session is
  about one of the board's interests. A save picks a pin of the session's interest
  (``cluster_prob``), else of its category; a fraction ``board_noise`` is off-interest (same topic
  with ``same_topic_prob``, else any pin). Within each choice the pin is drawn by popularity among the
  pins that exist at the save's time; a share ``fresh_prob`` of the on-interest saves picks among the
  interest's pins of the last ``fresh_days`` (fresh content gets saved: this is what puts new pins
  into the test pairs). A fraction ``spam_fraction`` of boards are large *spam* boards of
  random pins; they stay in the graph (Pinterest has them too).
* **Content features.** Visual: every category shares a prototype with a *look-alike* category of a
  different topic (the lecture's bed rail vs garden fence); ``feature_strength`` scales the category
  and interest offsets on top of the prototype and unit noise. Annotations: ``Poisson(words_per_pin)``
  words per pin (a title and a few description words), except for a share ``unannotated`` of pins
  that have none (Pinterest's annotations are incomplete); a word is informative
  (one of the interest's two "style" words, a category word or a topic word) with probability
  ``1 - exp(-feature_strength)``, else a noise word. The style pool has two words per interest by
  default, so a style word points at about one interest (a pool that does not grow with the world
  would make annotations ever vaguer as the world grows).
* **Two modalities, comparable and complementary** (the paper's premise: visual and annotation
  nearest neighbours are of the same order, 0.17 and 0.14 hit-rate in its Table 1, and their
  concatenation beats both). Visual vectors confuse look-alike categories and are noisy; annotations
  are sparse but name the interest when they are informative. :func:`modality_fractions` measures
  the three nearest-neighbour fractions; a test checks the premise on the default world.
* **Feature calibration** (:func:`calibrate_feature_strength`): unless ``feature_strength`` is given,
  it is chosen by bisection so that combined-feature nearest neighbours reach ``feature_fraction`` of
  the *same-interest oracle*'s hit-rate@K on random same-interest pin pairs (the oracle ranks all
  pins of the query's interest first, in random order). The calibration reads features only, never
  the graph or a model, and ranks with the evaluation's tie-breaking
  (:func:`~lecturekit.ranking.hits_at_k`): sparse annotations tie many pins at
  the same score, and counting a tied target as a hit would credit annotations with hits that no
  ranking gives (session 3's calibration did, and so over-rated them).

Positive pairs (the lecture's rule): two pins saved consecutively to the same board within one hour
(:meth:`Pinboard.positive_pairs`). :func:`lecturekit.data.pinboard_split.temporal_split` splits the saves by
time into train, validation and test; the content features and their calibration live in
:mod:`lecturekit.data.pinboard_features`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

from lecturekit.data.pinboard_features import _with_strength, calibrate_feature_strength

HOUR = 3600.0
DAY = 24 * HOUR
YEAR = 365 * DAY


@dataclass
class Pinboard:
    """The generated world. Ids are 0-based: pins ``0..num_pins-1``, boards ``0..num_boards-1``.

    Attributes:
        pin_category: ``[num_pins]`` fine category of each pin.
        pin_cluster: ``[num_pins]`` interest of each pin (a sub-category of about ``cluster_size`` pins).
        pin_created: ``[num_pins]`` creation time (seconds; 0 for the initial catalogue).
        pin_popularity: ``[num_pins]`` the log-normal weight by which saves pick pins.
        cluster_category: ``[num_clusters]`` category of each interest.
        category_topic: ``[num_categories]`` topic of each category.
        category_lookalike: ``[num_categories]`` the look-alike category (other topic) sharing the
            visual prototype, or the category itself when it has no partner (odd topic count).
        visual: ``[num_pins, visual_dim]`` float32 visual features.
        annotation_ptr, annotation_words: CSR list of word ids per pin (``vocab_size`` words).
        word_kind: ``[vocab_size]`` 0 = category, 1 = topic, 2 = style (interest), 3 = noise word.
        board_category: ``[num_boards]`` category of the board's first interest (-1 for spam boards).
        board_cluster: ``[num_boards]`` the board's first interest (meaningless for spam).
        board_interests: ``[num_boards, 3]`` the board's 1-3 interests, padded with -1.
        board_user: ``[num_boards]`` owner of the board.
        save_pin, save_board, save_time: one row per save, sorted by time (seconds).
        feature_strength: the strength used for the content features (calibrated or given).
    """

    pin_category: np.ndarray
    pin_cluster: np.ndarray
    pin_created: np.ndarray
    pin_popularity: np.ndarray
    cluster_category: np.ndarray
    category_topic: np.ndarray
    category_lookalike: np.ndarray
    visual: np.ndarray
    annotation_ptr: np.ndarray
    annotation_words: np.ndarray
    word_kind: np.ndarray
    board_category: np.ndarray
    board_cluster: np.ndarray
    board_interests: np.ndarray
    board_user: np.ndarray
    save_pin: np.ndarray
    save_board: np.ndarray
    save_time: np.ndarray
    seed: int
    feature_strength: float = 1.0

    @property
    def num_pins(self) -> int:
        return len(self.pin_category)

    @property
    def num_boards(self) -> int:
        return len(self.board_category)

    @property
    def num_categories(self) -> int:
        return len(self.category_topic)

    @property
    def num_clusters(self) -> int:
        return len(self.cluster_category)

    @property
    def num_topics(self) -> int:
        return int(self.category_topic.max()) + 1

    @property
    def vocab_size(self) -> int:
        return len(self.word_kind)

    @property
    def pin_topic(self) -> np.ndarray:
        """``[num_pins]`` topic of each pin."""
        return self.category_topic[self.pin_category]

    @property
    def is_spam_board(self) -> np.ndarray:
        return self.board_category < 0

    def saves_per_pin(self, save_mask: np.ndarray | None = None) -> np.ndarray:
        """``[num_pins]`` number of saves of each pin (among ``save_mask``)."""
        pins = self.save_pin if save_mask is None else self.save_pin[save_mask]
        return np.bincount(pins, minlength=self.num_pins)

    def annotation_matrix(self, tfidf: bool = True) -> sp.csr_matrix:
        """``[num_pins, vocab_size]`` sparse bag of words (TF-IDF weighted and row-normalised by default)."""
        data = np.ones(len(self.annotation_words), dtype=np.float32)
        mat = sp.csr_matrix(
            (data, self.annotation_words, self.annotation_ptr), shape=(self.num_pins, self.vocab_size)
        )
        mat.sum_duplicates()
        if tfidf:
            df = np.bincount(mat.indices, minlength=self.vocab_size).astype(np.float32)
            idf = np.log((1.0 + self.num_pins) / (1.0 + df)) + 1.0
            mat = mat @ sp.diags(idf.astype(np.float32))
            norms = np.sqrt(np.asarray(mat.multiply(mat).sum(1)).ravel())
            mat = sp.diags((1.0 / np.maximum(norms, 1e-12)).astype(np.float32)) @ mat
        return sp.csr_matrix(mat, dtype=np.float32)

    def word_vectors(self, dim: int = 32) -> np.ndarray:
        """``[vocab_size, dim]`` fixed random word vectors (a stand-in for pretrained word embeddings;
        seeded by the world's seed, so the same world always gets the same vectors)."""
        rng = np.random.default_rng(self.seed + 7_777)
        return (rng.standard_normal((self.vocab_size, dim)) / np.sqrt(dim)).astype(np.float32)

    def features(self, kind: str = "combined", annotation_dim: int = 32) -> torch.Tensor:
        """Dense pin features as a float tensor (notebooks 02 and 03).

        * ``visual``: standardised visual vectors ``[N, visual_dim]``;
        * ``annotation``: TF-IDF-weighted mean of word vectors (:meth:`word_vectors`), ``[N, annotation_dim]``
          (all zeros for a pin without words), like the paper's annotation embeddings;
        * ``combined``: both L2-normalised and concatenated.
        """
        if kind not in ("visual", "annotation", "combined"):
            raise ValueError(f"argument 'kind' must be 'visual', 'annotation' or 'combined', got {kind!r}")
        parts = []
        if kind in ("visual", "combined"):
            vis = torch.from_numpy(self.visual).float()
            vis = (vis - vis.mean(0)) / vis.std(0).clamp_min(1e-6)
            parts.append(torch.nn.functional.normalize(vis, dim=1) if kind == "combined" else vis)
        if kind in ("annotation", "combined"):
            ann = torch.from_numpy(np.asarray(self.annotation_matrix() @ self.word_vectors(annotation_dim)))
            parts.append(torch.nn.functional.normalize(ann, dim=1) if kind == "combined" else ann)
        return torch.cat(parts, dim=1)

    def edge_index(self, save_mask: np.ndarray | None = None) -> torch.Tensor:
        """``(2, E)`` unique pin-board edges (row 0 pins, row 1 boards) of the saves in ``save_mask``."""
        pins, boards = self.save_pin, self.save_board
        if save_mask is not None:
            pins, boards = pins[save_mask], boards[save_mask]
        key = np.unique(pins.astype(np.int64) * self.num_boards + boards)
        return torch.from_numpy(np.stack([key // self.num_boards, key % self.num_boards]).reshape(2, -1))

    def positive_pairs(self, max_gap: float = HOUR, save_mask: np.ndarray | None = None) -> torch.Tensor:
        """``(P, 2)`` pairs (earlier pin, later pin) saved consecutively to one board within ``max_gap`` s.

        Consecutive means adjacent in the board's time-ordered saves (among ``save_mask`` saves);
        pairs of a pin with itself are dropped.
        """
        return torch.from_numpy(self._consecutive(max_gap, save_mask)[0])

    def _consecutive(self, max_gap: float, save_mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Pairs as in :meth:`positive_pairs` plus the save index of each pair's later save."""
        if not max_gap > 0:
            raise ValueError(f"argument 'max_gap' must be positive seconds, got {max_gap!r}")
        idx = np.arange(len(self.save_pin)) if save_mask is None else np.flatnonzero(save_mask)
        order = idx[np.lexsort((self.save_time[idx], self.save_board[idx]))]
        board, time, pin = self.save_board[order], self.save_time[order], self.save_pin[order]
        keep = (board[1:] == board[:-1]) & (time[1:] - time[:-1] <= max_gap) & (pin[1:] != pin[:-1])
        pairs = np.stack([pin[:-1][keep], pin[1:][keep]], axis=1).astype(np.int64).reshape(-1, 2)
        return pairs, order[1:][keep]


class _EligibleDraw:
    """Draw pins of a group by popularity among those created by a given time, vectorised.

    Pins are sorted by (group, creation time); the cumulative popularity over that order turns
    "a pin of group g that exists at time t, with probability proportional to its popularity" into
    one uniform number and two binary searches per draw.
    """

    def __init__(self, group: np.ndarray, created: np.ndarray, weight: np.ndarray, num_groups: int) -> None:
        self.order = np.lexsort((created, group))
        self.span = float(created.max()) + 1.0
        self.key = group[self.order] * self.span + created[self.order]
        self.cum = np.cumsum(weight[self.order].astype(np.float64))
        self.start = np.searchsorted(group[self.order], np.arange(num_groups), side="left")

    def __call__(
        self, group: np.ndarray, time: np.ndarray, rng: np.random.Generator, since: np.ndarray | None = None
    ) -> np.ndarray:
        """Pin ids (-1 where no pin of the group exists yet at that time); with ``since``, only pins
        created at or after it (fresh pins: a contiguous range of the same order)."""
        start = self.start[group]
        if since is not None:
            start = np.maximum(
                start, np.searchsorted(self.key, group * self.span + np.clip(since, 0.0, self.span - 1.0))
            )
        stop = np.searchsorted(self.key, group * self.span + np.minimum(time, self.span - 1.0), side="right")
        ok = stop > start
        base = np.where(start > 0, self.cum[np.maximum(start - 1, 0)], 0.0)
        top = self.cum[np.maximum(stop - 1, 0)]
        u = base + rng.random(len(group)) * (top - base)
        idx = np.clip(np.searchsorted(self.cum, u, side="right"), start, np.maximum(stop - 1, start))
        return np.where(ok, self.order[np.minimum(idx, len(self.order) - 1)], -1)


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_prob(name: str, value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"argument {name!r} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _check_positive(name: str, value: object, allow_zero: bool = False) -> float:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"argument {name!r} must be {kind} number, got {value!r}")
    return float(value)


def make_pinboard(
    num_pins: int,
    seed: int = 0,
    *,
    num_topics: int = 10,
    categories_per_topic: int = 6,
    cluster_size: int = 25,
    initial_pins: float = 0.3,
    popularity: float = 1.3,
    saves_per_pin: float = 5.0,
    board_size: float = 12.0,
    board_size_sigma: float = 1.0,
    interests_per_board: tuple[float, float, float] = (0.5, 0.3, 0.2),
    cluster_prob: float = 0.9,
    board_noise: float = 0.1,
    same_topic_prob: float = 0.4,
    spam_fraction: float = 0.04,
    spam_board_size: float = 80.0,
    session_prob: float = 0.3,
    fresh_prob: float = 0.5,
    fresh_days: float = 30.0,
    boards_per_user: float = 4.0,
    feature_strength: float | None = None,
    feature_fraction: float = 0.35,
    visual_dim: int = 32,
    visual_noise: float = 1.0,
    words_per_pin: float = 6.0,
    unannotated: float = 0.05,
    words_per_category: int = 2,
    words_per_topic: int = 2,
    style_words: int | None = None,
    noise_words: int = 60,
) -> Pinboard:
    """Generate the synthetic Pinterest-like world (notebooks 02 and 03; the assumptions are in the module docstring).

    Args:
        num_pins: number of pins (1,000 .. 1,000,000 intended).
        seed: RNG seed; the same arguments and seed give the same world.
        num_topics, categories_per_topic: the category hierarchy (topics >= 2 for look-alikes).
        cluster_size: mean pins per interest.
        initial_pins: share of pins that exist at the start of the year; the rest are created uniformly over it.
        popularity: sigma of the log-normal pin popularity (0 = all pins equally popular).
        saves_per_pin: mean saves per pin overall (sets the number of boards: the graph density).
        board_size, board_size_sigma: mean and log-normal sigma of the saves on a regular board.
        interests_per_board: probabilities of a board having 1, 2 or 3 interests.
        cluster_prob: chance an on-interest save is from the session's interest (else from its category).
        board_noise: chance a save on a regular board is off-interest; of those, ``same_topic_prob``
            are from the interest's topic and the rest any pin. ``same_topic_prob`` also is the chance
            that a board's extra interest is from the topic of its first.
        spam_fraction, spam_board_size: share of boards that are spam (random pins) and their mean size.
        session_prob: chance that a save starts a new session of its board (sessions are days apart).
        fresh_prob, fresh_days: chance that an on-interest save picks among the interest's pins created
            in the last ``fresh_days`` (fresh content is saved most; falls back to any existing pin).
        boards_per_user: mean boards per user.
        feature_strength: scale of the content signal; ``None`` = calibrated to ``feature_fraction``
            (:func:`calibrate_feature_strength`).
        visual_dim, visual_noise, words_per_pin, words_per_category, words_per_topic, style_words,
        noise_words: the shape of the content features (see the module docstring); ``style_words``
            ``None`` = two per interest.
        unannotated: share of pins without any annotation words.
    """
    num_pins = _check_int("num_pins", num_pins, 10)
    seed = _check_int("seed", seed, 0)
    num_topics = _check_int("num_topics", num_topics, 2)
    categories_per_topic = _check_int("categories_per_topic", categories_per_topic, 1)
    cluster_size = _check_int("cluster_size", cluster_size, 2)
    visual_dim = _check_int("visual_dim", visual_dim, 1)
    for name, value in (
        ("words_per_category", words_per_category),
        ("words_per_topic", words_per_topic),
        ("noise_words", noise_words),
    ):
        _check_int(name, value, 1)
    if style_words is not None:
        _check_int("style_words", style_words, 1)
    for name, value in (
        ("initial_pins", initial_pins),
        ("cluster_prob", cluster_prob),
        ("board_noise", board_noise),
        ("same_topic_prob", same_topic_prob),
        ("spam_fraction", spam_fraction),
        ("session_prob", session_prob),
        ("fresh_prob", fresh_prob),
        ("feature_fraction", feature_fraction),
        ("unannotated", unannotated),
    ):
        _check_prob(name, value)
    for name, value in (
        ("saves_per_pin", saves_per_pin),
        ("board_size", board_size),
        ("spam_board_size", spam_board_size),
        ("boards_per_user", boards_per_user),
        ("fresh_days", fresh_days),
    ):
        _check_positive(name, value)
    for name, value in (
        ("popularity", popularity),
        ("board_size_sigma", board_size_sigma),
        ("visual_noise", visual_noise),
        ("words_per_pin", words_per_pin),
    ):
        _check_positive(name, value, allow_zero=True)
    if feature_strength is not None:
        _check_positive("feature_strength", feature_strength, allow_zero=True)
    probs = np.asarray(interests_per_board, dtype=np.float64)
    if probs.shape != (3,) or np.any(probs < 0) or not np.isclose(probs.sum(), 1.0):
        raise ValueError(
            f"argument 'interests_per_board' must be 3 probabilities summing to 1, got {interests_per_board!r}"
        )
    num_categories = num_topics * categories_per_topic
    if num_pins < num_categories:
        raise ValueError(
            f"argument 'num_pins' ({num_pins}) must be at least the number of categories ({num_categories})"
        )

    rng = np.random.default_rng(seed)
    category_topic = np.repeat(np.arange(num_topics), categories_per_topic)
    # Look-alikes: category j of topic 2s pairs with category j of topic 2s+1 (different topics).
    slot = np.arange(num_categories) % categories_per_topic
    partner_topic = np.where(category_topic % 2 == 0, category_topic + 1, category_topic - 1)
    has_partner = partner_topic < num_topics
    lookalike = np.where(has_partner, partner_topic * categories_per_topic + slot, np.arange(num_categories))

    # Pins: category sizes vary mildly; ids shuffled so the id says nothing about the category.
    weights = rng.gamma(4.0, 1.0, num_categories)
    pin_category = rng.choice(num_categories, size=num_pins, p=weights / weights.sum())
    pin_category[rng.permutation(num_pins)[:num_categories]] = np.arange(num_categories)  # none empty
    cat_size = np.bincount(pin_category, minlength=num_categories)
    clusters_per_cat = np.maximum(np.round(cat_size / cluster_size), 1).astype(np.int64)
    cluster_start_id = np.concatenate([[0], np.cumsum(clusters_per_cat)[:-1]])
    pin_cluster = cluster_start_id[pin_category] + (
        rng.random(num_pins) * clusters_per_cat[pin_category]
    ).astype(np.int64)
    num_clusters = int(clusters_per_cat.sum())
    cluster_category = np.repeat(np.arange(num_categories), clusters_per_cat)
    clu_size = np.bincount(pin_cluster, minlength=num_clusters)
    pin_created = np.where(rng.random(num_pins) < initial_pins, 0.0, rng.uniform(0.0, YEAR, num_pins))
    pin_popularity = rng.lognormal(0.0, popularity, num_pins) if popularity > 0 else np.ones(num_pins)

    # Boards: 1-3 interests each, log-normal sizes (mean board_size), a few spam boards.
    total_saves = saves_per_pin * num_pins
    mean_size = (1 - spam_fraction) * board_size + spam_fraction * spam_board_size
    num_boards = max(int(round(total_saves / mean_size)), 1)
    spam = rng.random(num_boards) < spam_fraction
    interest_p = clu_size / num_pins
    first = rng.choice(num_clusters, size=num_boards, p=interest_p)
    num_interests = 1 + rng.choice(3, size=num_boards, p=probs)
    # Extra interests: of the first interest's topic with same_topic_prob, else any interest.
    topic_of_cluster = category_topic[cluster_category]
    topic_draw = _EligibleDraw(
        topic_of_cluster, np.zeros(num_clusters), clu_size.astype(np.float64), num_topics
    )
    extra_same = topic_draw(np.repeat(topic_of_cluster[first], 2), np.zeros(2 * num_boards), rng).reshape(
        -1, 2
    )
    extra_any = rng.choice(num_clusters, size=(num_boards, 2), p=interest_p)
    extra = np.where(rng.random((num_boards, 2)) < same_topic_prob, extra_same, extra_any)
    board_interests = np.concatenate([first[:, None], extra], axis=1)
    board_interests[np.arange(3)[None, :] >= num_interests[:, None]] = -1
    board_category = np.where(spam, -1, cluster_category[first])
    mu = np.log(np.where(spam, spam_board_size, board_size)) - board_size_sigma**2 / 2
    sizes = np.maximum(np.round(rng.lognormal(mu, board_size_sigma)), 2).astype(np.int64)
    num_users = max(int(round(num_boards / boards_per_user)), 1)
    board_user = rng.integers(0, num_users, num_boards)
    board_created = rng.uniform(0.0, YEAR, num_boards)

    # Saves come in sessions: each about one of the board's interests, started at a uniform time
    # between the board's creation and the end of the year, its saves minutes apart.
    save_board = np.repeat(np.arange(num_boards), sizes)
    n = len(save_board)
    board_first_save = np.concatenate([[True], save_board[1:] != save_board[:-1]])
    new_session = board_first_save | (rng.random(n) < session_prob)
    session = np.cumsum(new_session) - 1
    session_board = save_board[new_session]
    num_sessions = len(session_board)
    session_start = board_created[session_board] + rng.random(num_sessions) * (
        YEAR - board_created[session_board]
    )
    pick = (rng.random(num_sessions) * num_interests[session_board]).astype(np.int64)
    session_interest = board_interests[session_board, pick]
    gaps = np.where(new_session, 0.0, rng.exponential(10 * 60.0, n))
    within = np.cumsum(gaps)
    within -= within[np.flatnonzero(new_session)][session]
    save_time = session_start[session] + within

    interest = session_interest[session]
    r = rng.random(n)
    is_spam = spam[save_board]
    off = is_spam | (r < board_noise)
    same_topic = ~is_spam & off & (rng.random(n) < same_topic_prob)
    in_interest = ~off & (rng.random(n) < cluster_prob)
    by_interest = _EligibleDraw(pin_cluster, pin_created, pin_popularity, num_clusters)
    by_category = _EligibleDraw(pin_category, pin_created, pin_popularity, num_categories)
    by_topic = _EligibleDraw(category_topic[pin_category], pin_created, pin_popularity, num_topics)
    anyone = _EligibleDraw(np.zeros(num_pins, dtype=np.int64), pin_created, pin_popularity, 1)
    save_pin = np.full(n, -1, dtype=np.int64)
    for mask, draw, group in (
        (in_interest, by_interest, interest),
        (~off & ~in_interest, by_category, cluster_category[interest]),
        (same_topic, by_topic, topic_of_cluster[interest]),
        (off & ~same_topic, anyone, np.zeros(n, dtype=np.int64)),
    ):
        idx = np.flatnonzero(mask)
        save_pin[idx] = draw(group[idx], save_time[idx], rng)
    fresh = np.flatnonzero(in_interest & (rng.random(n) < fresh_prob))
    fresh_pin = by_interest(interest[fresh], save_time[fresh], rng, since=save_time[fresh] - fresh_days * DAY)
    save_pin[fresh] = np.where(fresh_pin >= 0, fresh_pin, save_pin[fresh])
    keep = save_pin >= 0  # a save whose group has no pin yet at its time is dropped (never before creation)
    save_pin, save_board, save_time = save_pin[keep], save_board[keep], save_time[keep]
    order = np.argsort(save_time, kind="stable")

    world = Pinboard(
        pin_category=pin_category.astype(np.int64),
        pin_cluster=pin_cluster.astype(np.int64),
        pin_created=pin_created,
        pin_popularity=pin_popularity,
        cluster_category=cluster_category.astype(np.int64),
        category_topic=category_topic.astype(np.int64),
        category_lookalike=lookalike.astype(np.int64),
        visual=np.zeros((num_pins, visual_dim), dtype=np.float32),
        annotation_ptr=np.zeros(num_pins + 1, dtype=np.int64),
        annotation_words=np.zeros(0, dtype=np.int64),
        word_kind=np.zeros(1, dtype=np.int64),
        board_category=board_category.astype(np.int64),
        board_cluster=first.astype(np.int64),
        board_interests=board_interests.astype(np.int64),
        board_user=board_user.astype(np.int64),
        save_pin=save_pin[order],
        save_board=save_board[order].astype(np.int64),
        save_time=save_time[order],
        seed=seed,
    )
    content = dict(
        visual_dim=visual_dim,
        visual_noise=visual_noise,
        words_per_pin=words_per_pin,
        unannotated=unannotated,
        words_per_category=words_per_category,
        words_per_topic=words_per_topic,
        style_words=2 * num_clusters if style_words is None else style_words,
        noise_words=noise_words,
    )
    if feature_strength is None:
        feature_strength = calibrate_feature_strength(world, feature_fraction, **content)
    return _with_strength(world, feature_strength, **content)
