"""User–item interactions: the common table every recommender in the course consumes.

``Interactions`` holds 0-based contiguous ``user``/``item`` ids (with the original ids kept for
display), an optional rating and timestamp. ``load_interactions_csv`` reads any CSV of
interactions with the columns named by argument. Used by notebooks 01 and 02.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from lecturekit.data.errors import (
    DataFormatError,
    float_column,
    integer_column,
    read_table,
    require_file,
    require_rows,
    require_unique_pairs,
)


@dataclass
class Interactions:
    """A user–item interaction table with contiguous 0-based ids.

    Attributes:
        frame: DataFrame with int columns ``user`` and ``item``, and ``rating`` / ``timestamp``
            when the source has them.
        user_ids, item_ids: original id of each 0-based user / item.
        skipped: rows the loader dropped on purpose, by reason (e.g. ``{"duplicate pairs": 3}``);
            empty when nothing was dropped.
    """

    frame: pd.DataFrame
    user_ids: np.ndarray
    item_ids: np.ndarray
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def num_users(self) -> int:
        return len(self.user_ids)

    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    def edge_index(self) -> torch.Tensor:
        """``[2, E]`` (user, item) edge index of the bipartite interaction graph."""
        return torch.as_tensor(self.frame[["user", "item"]].to_numpy().T.copy(), dtype=torch.long)


def from_frame(frame: pd.DataFrame, source: str | Path, item_ids: np.ndarray | None = None) -> Interactions:
    """Re-index ``frame``'s ``user``/``item`` columns to 0-based ids.

    ``item_ids`` fixes the item universe (e.g. every movie in the catalogue, rated or not); an
    interaction naming an item outside it is an error. An empty ``frame`` is an error naming ``source``.
    """
    if len(frame) == 0:
        raise DataFormatError(f"{source}: no interactions to index")
    user_ids, users = np.unique(frame["user"].to_numpy(), return_inverse=True)
    if item_ids is None:
        item_ids, items = np.unique(frame["item"].to_numpy(), return_inverse=True)
    else:
        item_ids = np.asarray(item_ids)
        order = np.argsort(item_ids)
        position = np.searchsorted(item_ids, frame["item"].to_numpy(), sorter=order)
        position = np.clip(position, 0, len(item_ids) - 1)
        items = order[position]
        unknown = item_ids[items] != frame["item"].to_numpy()
        if unknown.any():
            bad = frame["item"].to_numpy()[unknown][0].item()
            raise DataFormatError(
                f"{source}: column 'item' names item {bad!r}, which the item catalogue lacks "
                f"({int(unknown.sum())} interactions with unknown items in all)"
            )
    frame = frame.copy()
    frame["user"], frame["item"] = users.astype("int64"), items.astype("int64")
    return Interactions(frame=frame.reset_index(drop=True), user_ids=user_ids, item_ids=item_ids)


def load_interactions_csv(
    path: str | Path,
    user_col: str = "user",
    item_col: str = "item",
    timestamp_col: str | None = None,
    rating_col: str | None = None,
    sep: str = ",",
    duplicates: str = "error",
) -> Interactions:
    """Load any user–item interaction CSV (plain or ``.gz``, UTF-8); ids must be integers.

    Args:
        path: the CSV file (with a header row).
        user_col, item_col: names of the user and item id columns.
        timestamp_col, rating_col: optional columns to keep as ``timestamp`` / ``rating``.
        sep: field separator.
        duplicates: what a repeated (user, item) pair does: ``"error"`` (default) refuses it
            naming both lines -- a repeat would let a held-out interaction also sit in the
            training history; ``"keep-first"`` keeps the first occurrence in file order and
            counts the rest in ``Interactions.skipped["duplicate pairs"]``.

    Raises ``FileNotFoundError`` for a missing file and ``DataFormatError`` (a ``ValueError``)
    naming the file -- and the line where a row is at fault -- for a missing column, ids that
    are not decimal integers inside int64, non-finite ratings, non-integer timestamps, ragged rows,
    bytes that are not UTF-8, a fake or corrupt ``.gz``, a repeated pair, and an empty file.
    """
    if duplicates not in ("error", "keep-first"):
        raise ValueError(f"argument 'duplicates' must be 'error' or 'keep-first', got {duplicates!r}")
    path = require_file(path, "interaction CSV")
    table = read_table(path, sep=sep)
    wanted = {"user": user_col, "item": item_col, "timestamp": timestamp_col, "rating": rating_col}
    wanted = {name: col for name, col in wanted.items() if col is not None}
    table.require_columns(wanted.values())
    require_rows(table)
    users, items = integer_column(table, user_col), integer_column(table, item_col)
    frame = pd.DataFrame({"user": users, "item": items})
    if rating_col is not None:
        frame["rating"] = float_column(table, rating_col)
    if timestamp_col is not None:
        frame["timestamp"] = integer_column(table, timestamp_col)
    skipped = {}
    if duplicates == "error":
        require_unique_pairs(table, users, items, f"({user_col}, {item_col})")
    else:
        repeated = frame.duplicated(["user", "item"], keep="first")
        skipped["duplicate pairs"] = int(repeated.sum())
        frame = frame[~repeated.to_numpy()]
    result = from_frame(frame, path)
    result.skipped.update(skipped)
    return result
