"""A seeded synthetic Pinterest-like world with planted structure (notebooks 02 and 03).

The world, generated fully vectorised in NumPy (100k pins in about a second):

* **Pins** belong to fine *categories* (``num_topics * categories_per_topic``), grouped in *topics*;
  each category splits into *interest clusters* of about ``cluster_size`` pins (what one board is
  really about). Within a cluster some pins are popular (saved far more often than others).
* **Visual features** (dense, ``visual_dim``): every category is paired with a *look-alike*
  category of a DIFFERENT topic (the lecture's bed-rail vs garden-fence); both share one visual
  prototype, so visual nearest neighbours mix the two topics:
  ``x_visual = prototype[look-alike group] + category_shift * e_category + visual_noise * eps``.
* **Annotations** (sparse words, noisy and incomplete): ``Poisson(words_per_pin)`` words per pin
  (many pins have none); each word is a category word, a topic word or a generic noise word.
* **Boards** are each about one interest cluster; their owner saves pins over time. A save picks a
  pin of the board's cluster, of its category, of the same topic (``board_noise``), or anything. A fraction
  ``spam_fraction`` of boards are large *spam* boards of random pins. Spam boards and random saves
  make a pin's direct (board) neighbours noisy, while random-walk visit counts stay on-topic: a
  same-category pin is reached by many paths, a random one by a single path.
* **Timestamps**: saves to a board come in sessions (minutes apart), sessions days apart.
  Positive training pairs (the lecture's rule): two pins saved consecutively to the same board
  within one hour (:meth:`Pinboard.positive_pairs`).

:func:`temporal_split` holds out the latest saves: the test pairs' saves are not in the training
graph, so graph methods cannot read the answer off a shared board.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass
class Pinboard:
    """The generated world. Ids are 0-based: pins ``0..num_pins-1``, boards ``0..num_boards-1``.

    Attributes:
        pin_category: ``[num_pins]`` fine category of each pin.
        pin_cluster: ``[num_pins]`` interest cluster (a sub-category of about ``cluster_size`` pins).
        cluster_category: ``[num_clusters]`` category of each cluster.
        category_topic: ``[num_categories]`` topic of each category.
        category_lookalike: ``[num_categories]`` the look-alike category (other topic) sharing the
            visual prototype, or the category itself when it has no partner (odd topic count).
        visual: ``[num_pins, visual_dim]`` float32 visual features.
        annotation_ptr, annotation_words: CSR list of word ids per pin (``vocab_size`` words).
        word_kind: ``[vocab_size]`` 0 = category, 1 = topic, 2 = style (cluster), 3 = noise word.
        board_category: ``[num_boards]`` category the board is about (-1 for spam boards).
        board_cluster: ``[num_boards]`` interest cluster the board is about (meaningless for spam).
        board_user: ``[num_boards]`` owner of the board.
        save_pin, save_board, save_time: one row per save, sorted by time (seconds).
    """

    pin_category: np.ndarray
    pin_cluster: np.ndarray
    cluster_category: np.ndarray
    category_topic: np.ndarray
    category_lookalike: np.ndarray
    visual: np.ndarray
    annotation_ptr: np.ndarray
    annotation_words: np.ndarray
    word_kind: np.ndarray
    board_category: np.ndarray
    board_cluster: np.ndarray
    board_user: np.ndarray
    save_pin: np.ndarray
    save_board: np.ndarray
    save_time: np.ndarray
    seed: int

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

    def annotation_matrix(self, tfidf: bool = True) -> sp.csr_matrix:
        """``[num_pins, vocab_size]`` sparse bag of words (TF-IDF weighted and row-normalised by default)."""
        data = np.ones(len(self.annotation_words), dtype=np.float32)
        mat = sp.csr_matrix((data, self.annotation_words, self.annotation_ptr), shape=(self.num_pins, self.vocab_size))
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
        return torch.from_numpy(np.stack([key // self.num_boards, key % self.num_boards]))

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


def _grouped(group: np.ndarray, num_groups: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Members of each group in random order, concatenated, and each group's start offset."""
    order = rng.permutation(len(group))
    order = order[np.argsort(group[order], kind="stable")]
    size = np.bincount(group, minlength=num_groups)
    return order, np.concatenate([[0], np.cumsum(size)[:-1]])


def _skewed(size: np.ndarray, popularity: float, rng: np.random.Generator) -> np.ndarray:
    """Index in ``[0, size)`` skewed toward 0 (popular members): ``floor(size * U**popularity)``."""
    return np.minimum((size * rng.random(len(size)) ** popularity).astype(np.int64), np.maximum(size - 1, 0))


def _check_int(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_prob(name: str, value: object) -> float:
    if not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"argument {name!r} must be a probability in [0, 1], got {value!r}")
    return float(value)


def make_pinboard(
    num_pins: int,
    seed: int = 0,
    *,
    num_topics: int = 10,
    categories_per_topic: int = 6,
    visual_dim: int = 32,
    visual_noise: float = 1.0,
    category_shift: float = 0.5,
    cluster_shift: float = 0.3,
    words_per_pin: float = 2.0,
    category_word_prob: float = 0.35,
    style_word_prob: float = 0.35,
    topic_word_prob: float = 0.1,
    words_per_category: int = 2,
    words_per_topic: int = 2,
    style_words: int = 120,
    noise_words: int = 60,
    saves_per_pin: float = 5.0,
    board_size: float = 12.0,
    cluster_size: int = 25,
    cluster_prob: float = 0.9,
    board_noise: float = 0.1,
    same_topic_prob: float = 0.4,
    spam_fraction: float = 0.04,
    spam_board_size: float = 80.0,
    boards_per_user: float = 4.0,
    popularity: float = 1.2,
) -> Pinboard:
    """Generate the synthetic Pinterest-like world (issue 2; notebooks 02 and 03).

    Args:
        num_pins: number of pins (1,000 .. 1,000,000 intended).
        seed: RNG seed; the same arguments and seed give the same world.
        num_topics, categories_per_topic: the category hierarchy (topics >= 2 for look-alikes).
        visual_dim, visual_noise, category_shift, cluster_shift: visual features = shared
            look-alike prototype + ``category_shift`` * category offset + ``cluster_shift`` *
            cluster offset + ``visual_noise`` * N(0, I).
        words_per_pin: mean of the Poisson number of annotation words (0 words is common).
        category_word_prob, style_word_prob, topic_word_prob: chance a word is a category word,
            one of the cluster's two *style* words (drawn from ``style_words`` shared by all
            clusters, so a style word alone is ambiguous) or a topic word; else a noise word.
        saves_per_pin: mean saves per pin overall (sets the number of boards).
        board_size: mean number of saves on a regular board; ``spam_board_size`` for spam boards.
        cluster_size: mean pins per interest cluster (boards are about one cluster).
        cluster_prob: chance an on-category save comes from the board's cluster (else its category).
        board_noise: chance a save on a regular board is off-category; of those, ``same_topic_prob``
            are from the same topic and the rest uniformly random pins.
        spam_fraction: fraction of boards that are spam (uniformly random pins).
        boards_per_user: mean boards per user.
        popularity: within-category skew (pin index ~ size * U**popularity; 1 = uniform).
    """
    num_pins = _check_int("num_pins", num_pins, 10)
    seed = _check_int("seed", seed, 0)
    num_topics = _check_int("num_topics", num_topics, 2)
    categories_per_topic = _check_int("categories_per_topic", categories_per_topic, 1)
    visual_dim = _check_int("visual_dim", visual_dim, 1)
    cluster_size = _check_int("cluster_size", cluster_size, 1)
    for name, value in (
        ("category_word_prob", category_word_prob),
        ("style_word_prob", style_word_prob),
        ("topic_word_prob", topic_word_prob),
        ("board_noise", board_noise),
        ("cluster_prob", cluster_prob),
        ("same_topic_prob", same_topic_prob),
        ("spam_fraction", spam_fraction),
    ):
        _check_prob(name, value)
    if category_word_prob + style_word_prob + topic_word_prob > 1:
        raise ValueError("arguments 'category_word_prob' + 'style_word_prob' + 'topic_word_prob' must not exceed 1")
    for name, value in (
        ("saves_per_pin", saves_per_pin),
        ("board_size", board_size),
        ("spam_board_size", spam_board_size),
        ("boards_per_user", boards_per_user),
        ("popularity", popularity),
    ):
        if not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"argument {name!r} must be a positive number, got {value!r}")
    for name, value in (("visual_noise", visual_noise), ("category_shift", category_shift), ("cluster_shift", cluster_shift), ("words_per_pin", words_per_pin)):
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"argument {name!r} must be a non-negative number, got {value!r}")
    num_categories = num_topics * categories_per_topic
    if num_pins < num_categories:
        raise ValueError(f"argument 'num_pins' ({num_pins}) must be at least the number of categories ({num_categories})")

    rng = np.random.default_rng(seed)
    category_topic = np.repeat(np.arange(num_topics), categories_per_topic)
    # Look-alikes: category j of topic 2s pairs with category j of topic 2s+1 (different topics).
    topic_of, slot = category_topic, np.arange(num_categories) % categories_per_topic
    partner_topic = np.where(topic_of % 2 == 0, topic_of + 1, topic_of - 1)
    has_partner = partner_topic < num_topics
    lookalike = np.where(has_partner, partner_topic * categories_per_topic + slot, np.arange(num_categories))
    visual_group = np.minimum(np.arange(num_categories), lookalike)

    # Pins: category sizes vary mildly; ids shuffled so the id says nothing about the category.
    weights = rng.gamma(4.0, 1.0, num_categories)
    pin_category = rng.choice(num_categories, size=num_pins, p=weights / weights.sum())
    pin_category[rng.permutation(num_pins)[:num_categories]] = np.arange(num_categories)  # none empty
    cat_size = np.bincount(pin_category, minlength=num_categories)
    # Interests: each category splits into clusters of about ``cluster_size`` pins.
    clusters_per_cat = np.maximum(np.round(cat_size / cluster_size), 1).astype(np.int64)
    cluster_start_id = np.concatenate([[0], np.cumsum(clusters_per_cat)[:-1]])
    pin_cluster = cluster_start_id[pin_category] + (rng.random(num_pins) * clusters_per_cat[pin_category]).astype(np.int64)
    num_clusters = int(clusters_per_cat.sum())
    cluster_category = np.repeat(np.arange(num_categories), clusters_per_cat)
    cat_members, cat_start = _grouped(pin_category, num_categories, rng)
    clu_members, clu_start = _grouped(pin_cluster, num_clusters, rng)
    clu_size = np.bincount(pin_cluster, minlength=num_clusters)
    topic_members, topic_start = _grouped(category_topic[pin_category], num_topics, rng)
    topic_size = np.bincount(category_topic[pin_category], minlength=num_topics)

    # Visual features.
    prototypes = rng.standard_normal((num_categories, visual_dim)).astype(np.float32)
    offsets = rng.standard_normal((num_categories, visual_dim)).astype(np.float32)
    visual = (
        prototypes[visual_group[pin_category]]
        + category_shift * offsets[pin_category]
        + cluster_shift * rng.standard_normal((num_clusters, visual_dim)).astype(np.float32)[pin_cluster]
        + visual_noise * rng.standard_normal((num_pins, visual_dim)).astype(np.float32)
    ).astype(np.float32)

    # Annotations: category, topic, style (shared by a few clusters) and noise words.
    num_cat_w, num_top_w = num_categories * words_per_category, num_topics * words_per_topic
    word_kind = np.concatenate(
        [np.zeros(num_cat_w), np.ones(num_top_w), np.full(style_words, 2), np.full(noise_words, 3)]
    ).astype(np.int64)
    cluster_style = num_cat_w + num_top_w + rng.integers(0, max(style_words, 1), (num_clusters, 2))
    counts = rng.poisson(words_per_pin, num_pins)
    annotation_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    word_pin = np.repeat(np.arange(num_pins), counts)
    m = len(word_pin)
    kind = rng.random(m)
    cat_w = pin_category[word_pin] * words_per_category + rng.integers(0, words_per_category, m)
    top_w = num_cat_w + category_topic[pin_category[word_pin]] * words_per_topic + rng.integers(0, words_per_topic, m)
    style_w = cluster_style[pin_cluster[word_pin], rng.integers(0, 2, m)] if style_words else cat_w
    noise_w = num_cat_w + num_top_w + style_words + rng.integers(0, max(noise_words, 1), m) if noise_words else cat_w
    edges = np.cumsum([category_word_prob, style_word_prob, topic_word_prob])
    annotation_words = np.select(
        [kind < edges[0], kind < edges[1], kind < edges[2]], [cat_w, style_w, top_w], noise_w
    ).astype(np.int64)

    # Boards.
    total_saves = saves_per_pin * num_pins
    mean_size = (1 - spam_fraction) * board_size + spam_fraction * spam_board_size
    num_boards = max(int(round(total_saves / mean_size)), 1)
    spam = rng.random(num_boards) < spam_fraction
    board_cluster = rng.choice(num_clusters, size=num_boards, p=clu_size / num_pins)
    board_category = np.where(spam, -1, cluster_category[board_cluster])
    sizes = 1 + rng.poisson(np.where(spam, spam_board_size, board_size) - 1)
    num_users = max(int(round(num_boards / boards_per_user)), 1)
    board_user = rng.integers(0, num_users, num_boards)

    save_board = np.repeat(np.arange(num_boards), sizes)
    n = len(save_board)
    b_cat, b_clu = board_category[save_board], board_cluster[save_board]
    r = rng.random(n)
    off = (r < board_noise) | (b_cat < 0)
    in_cluster = ~off & (r < board_noise + (1 - board_noise) * cluster_prob)
    same_topic = off & (b_cat >= 0) & (rng.random(n) < same_topic_prob)
    c = np.maximum(b_cat, 0)
    # Popular pins first: index ~ size * U**popularity within the cluster / category.
    pin_cluster_save = clu_members[clu_start[b_clu] + _skewed(clu_size[b_clu], popularity, rng)]
    pin_cat_save = cat_members[cat_start[c] + _skewed(cat_size[c], popularity, rng)]
    t = category_topic[c]
    pin_topic_save = topic_members[topic_start[t] + rng.integers(0, topic_size[t])]
    pin_random = rng.integers(0, num_pins, n)
    save_pin = np.where(
        off, np.where(same_topic, pin_topic_save, pin_random), np.where(in_cluster, pin_cluster_save, pin_cat_save)
    )

    # Timestamps: board created uniformly in a year; sessions of minutes, sessions days apart.
    created = rng.uniform(0, 365 * DAY, num_boards)
    new_session = rng.random(n) < 0.3
    gaps = np.where(new_session, rng.exponential(4 * DAY, n), rng.exponential(10 * 60.0, n))
    first = np.concatenate([[True], save_board[1:] != save_board[:-1]])
    gaps[first] = 0.0
    cum = np.cumsum(gaps)
    board_offset = cum[np.flatnonzero(first)]
    save_time = created[save_board] + cum - np.repeat(board_offset, sizes)
    order = np.argsort(save_time, kind="stable")
    return Pinboard(
        pin_category=pin_category.astype(np.int64),
        pin_cluster=pin_cluster.astype(np.int64),
        cluster_category=cluster_category.astype(np.int64),
        category_topic=category_topic.astype(np.int64),
        category_lookalike=lookalike.astype(np.int64),
        visual=visual,
        annotation_ptr=annotation_ptr,
        annotation_words=annotation_words,
        word_kind=word_kind,
        board_category=board_category.astype(np.int64),
        board_cluster=board_cluster.astype(np.int64),
        board_user=board_user.astype(np.int64),
        save_pin=save_pin[order].astype(np.int64),
        save_board=save_board[order].astype(np.int64),
        save_time=save_time[order],
        seed=seed,
    )


@dataclass
class PinboardSplit:
    """Temporal split of a :class:`Pinboard` (see :func:`temporal_split`).

    Attributes:
        train_mask: ``[num_saves]`` saves in the training graph.
        edge_index: ``(2, E)`` training pin-board edges.
        train_pairs: ``(P, 2)`` positive pairs among training saves.
        test_pairs: ``(Q, 2)`` (query, target) pairs whose later save is held out; both pins are
            in the training graph (they may also share other, older boards).
        cold_pairs: ``(Q', 2)`` held-out pairs whose query is a NEW pin (first saved after the
            cutoff, absent from the training graph) and whose target is known.
        grown_edge_index: the graph after the cutoff: all saves except the evaluation pairs'
            own later saves (new pins get edges here; used to embed them without retraining).
    """

    train_mask: np.ndarray
    edge_index: torch.Tensor
    train_pairs: torch.Tensor
    test_pairs: torch.Tensor
    cold_pairs: torch.Tensor
    grown_edge_index: torch.Tensor


def temporal_split(
    world: Pinboard, test_fraction: float = 0.1, max_gap: float = HOUR, max_test_pairs: int | None = None, seed: int = 0
) -> PinboardSplit:
    """Hold out the latest ``test_fraction`` of saves; test pairs are positive pairs among all saves
    whose later save is held out (used by notebooks 02 and 03).

    Test pairs come from non-spam boards (the paper's evaluation pairs are curated); training pairs
    keep the spam. A test pair is kept only when both pins have a training save (so graph methods
    know them); the held-out save itself is never in the training graph. ``max_test_pairs``
    subsamples (seeded) to bound evaluation cost.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"argument 'test_fraction' must be in (0, 1), got {test_fraction!r}")
    cutoff = np.quantile(world.save_time, 1 - test_fraction)
    train_mask = world.save_time <= cutoff
    edge_index = world.edge_index(train_mask)
    train_pairs = world.positive_pairs(max_gap, train_mask)
    all_pairs, later_save = world._consecutive(max_gap, None)
    # Test pairs: the later save is held out, and the board is not spam (curated evaluation pairs).
    held = ~train_mask[later_save] & ~world.is_spam_board[world.save_board[later_save]]
    pairs, held_saves = all_pairs[held], later_save[held]
    degree = np.bincount(edge_index[0].numpy(), minlength=world.num_pins)
    known = (degree[pairs[:, 0]] > 0) & (degree[pairs[:, 1]] > 0)
    # Cold pairs: the query pin is NEW (no training save) and the target is known.
    cold = (degree[pairs[:, 0]] == 0) & (degree[pairs[:, 1]] > 0)
    grown_mask = np.ones(len(world.save_time), dtype=bool)
    grown_mask[held_saves] = False  # the grown graph never contains an evaluation pair's own save
    rng = np.random.default_rng(seed)

    def _subsample(p: np.ndarray) -> torch.Tensor:
        p = np.unique(p, axis=0) if len(p) else p.reshape(0, 2)
        if max_test_pairs is not None and len(p) > max_test_pairs:
            p = p[np.sort(rng.choice(len(p), max_test_pairs, replace=False))]
        return torch.from_numpy(p.astype(np.int64)).reshape(-1, 2)

    return PinboardSplit(
        train_mask=train_mask,
        edge_index=edge_index,
        train_pairs=train_pairs,
        test_pairs=_subsample(pairs[known]),
        cold_pairs=_subsample(pairs[cold]),
        grown_edge_index=world.edge_index(grown_mask),
    )
