"""The two related-item tasks of notebook 02 in one shape: pinboard world and MovieLens-100K.

A :class:`RelatedItemTask` holds the training graph (item-user edges), training pairs, held-out
(query, target) pairs whose connection is NOT in the training graph, and item feature sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from lecturekit.data.movielens import MovieLens
from lecturekit.data.pinboard import Pinboard
from lecturekit.data.pinboard_split import temporal_split


@dataclass
class RelatedItemTask:
    """Attributes:
    name: record dataset name (``pinboard`` / ``movielens-100k``).
    edge_index: ``(2, E)`` training item-user edges.
    train_pairs, test_pairs: ``(P, 2)`` / ``(Q, 2)`` (query, related item) ids.
    features: name -> ``(num_items, d)`` float features (``combined`` is the model input).
    labels: optional ``(num_items,)`` class per item for plots (topic / main genre).
    val_pairs: ``(V, 2)`` validation pairs (chosen budgets are read off them), or ``None``.
    val_edge_index, test_edge_index: the graph validation / test is evaluated on (``None``: the
        training graph); the pinboard's grows by the new pins' saves (see
        :func:`lecturekit.data.pinboard_split.temporal_split`).
    train_degree: ``(num_items,)`` distinct training users (boards) of each item: the strata.
    """

    name: str
    num_items: int
    num_users: int
    edge_index: Tensor
    train_pairs: Tensor
    test_pairs: Tensor
    features: dict[str, Tensor]
    labels: Tensor | None = None
    extra: dict = field(default_factory=dict)
    val_pairs: Tensor | None = None
    val_edge_index: Tensor | None = None
    test_edge_index: Tensor | None = None
    train_degree: Tensor | None = None

    def graph(self, split: str) -> Tensor:
        """The item-user edges ``split`` (``"train"``, ``"val"`` or ``"test"``) is evaluated on."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"argument 'split' must be 'train', 'val' or 'test', got {split!r}")
        grown = {"train": None, "val": self.val_edge_index, "test": self.test_edge_index}[split]
        return self.edge_index if grown is None else grown

    def pairs(self, split: str) -> Tensor:
        """The evaluation pairs of ``split`` (``"val"`` or ``"test"``)."""
        if split == "val":
            if self.val_pairs is None:
                raise ValueError(f"task {self.name!r} has no validation pairs")
            return self.val_pairs
        if split == "test":
            return self.test_pairs
        raise ValueError(f"argument 'split' must be 'val' or 'test', got {split!r}")

    def degree(self) -> Tensor:
        """``(num_items,)`` training degree (distinct users) of each item."""
        if self.train_degree is not None:
            return self.train_degree
        e = torch.unique(self.edge_index, dim=1)
        return torch.bincount(e[0], minlength=self.num_items)


def pinboard_task(
    world: Pinboard,
    test_fraction: float = 0.1,
    max_test_pairs: int | None = None,
    seed: int = 0,
    val_fraction: float = 0.1,
) -> RelatedItemTask:
    """Temporal train / validation / test split of a pinboard world (boards play the users); every
    evaluation pair unless ``max_test_pairs`` subsamples. Used by notebooks 02 and 03."""
    split = temporal_split(
        world,
        test_fraction=test_fraction,
        max_test_pairs=max_test_pairs,
        seed=seed,
        val_fraction=val_fraction,
    )
    return RelatedItemTask(
        name="pinboard",
        num_items=world.num_pins,
        num_users=world.num_boards,
        edge_index=split.edge_index,
        train_pairs=split.train_pairs,
        test_pairs=split.test_pairs,
        features={k: world.features(k) for k in ("visual", "annotation", "combined")},
        labels=torch.from_numpy(world.pin_topic),
        extra={"split": split, "world": world},
        val_pairs=split.val_pairs,
        val_edge_index=split.val_edge_index,
        test_edge_index=split.test_edge_index,
        train_degree=torch.from_numpy(split.train_degree),
    )


def movielens_task(ml: MovieLens, min_rating: float = 0.0) -> RelatedItemTask:
    """MovieLens-100K as related items: consecutive movies of one user (time-ordered) are pairs.

    Each user's LAST rating is held out of the graph; the test pair is (the user's previous
    movie, the last movie). Training pairs are consecutive movies among the remaining ratings.
    Features: ``annotation`` = genre tags, ``combined`` = genres + release-decade one-hot (there
    is no visual signal for movies). Used by notebook 02.
    """
    r = ml.ratings
    r = r[r["rating"] >= min_rating].reset_index(drop=True)
    r = r.reset_index(names="_row").sort_values(["user", "timestamp", "_row"], kind="stable")
    user, item = r["user"].to_numpy(), r["item"].to_numpy()
    last = np.r_[user[1:] != user[:-1], True]
    same = user[1:] == user[:-1]
    train_mask = ~last
    test = np.stack([item[:-1], item[1:]], 1)[same & last[1:]]
    keep_train = same & ~last[1:]
    train = np.stack([item[:-1], item[1:]], 1)[keep_train]
    train = train[train[:, 0] != train[:, 1]]
    edge_index = torch.from_numpy(np.stack([item[train_mask], user[train_mask]]).astype(np.int64))
    degree = np.bincount(item[train_mask], minlength=ml.num_items)
    test = test[(degree[test[:, 0]] > 0) & (degree[test[:, 1]] > 0) & (test[:, 0] != test[:, 1])]
    genres = torch.from_numpy(ml.genre_matrix).float()
    years = ml.items["year"].fillna(ml.items["year"].median()).to_numpy()
    decade = np.clip((years - 1920) // 10, 0, 8).astype(np.int64)
    decade_1hot = torch.nn.functional.one_hot(torch.from_numpy(decade), 9).float()
    return RelatedItemTask(
        name="movielens-100k",
        num_items=ml.num_items,
        num_users=ml.num_users,
        edge_index=edge_index,
        train_pairs=torch.from_numpy(train.astype(np.int64)),
        test_pairs=torch.from_numpy(test.astype(np.int64)),
        features={"annotation": genres, "combined": torch.cat([genres, decade_1hot], 1)},
        labels=torch.from_numpy(ml.genre_matrix.argmax(1)),
    )
