"""Time-based leave-last-out split: every user's latest interaction is held out.

Used by notebook 01 (and MovieLens parts of 02/03).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch


@dataclass
class LeaveLastOutSplit:
    """``train`` holds all but each user's last ``num_test`` interactions; ``test_items[u]`` the held-out
    item of user ``test_users[u]`` (users with too few interactions are kept only in train)."""

    train: pd.DataFrame
    test_users: torch.Tensor
    test_items: torch.Tensor
    num_users: int
    num_items: int

    def train_items_of(self, users: torch.Tensor) -> list[torch.Tensor]:
        """Items each user interacted with in training (the 'seen' items to mask)."""
        grouped = self.train.groupby("user")["item"].apply(lambda s: torch.tensor(s.to_numpy()))
        empty = torch.empty(0, dtype=torch.long)
        return [grouped.get(int(u), empty) for u in users]


def leave_last_out(
    frame: pd.DataFrame, num_users: int, num_items: int, min_train: int = 1
) -> LeaveLastOutSplit:
    """Hold out each user's most recent interaction (by ``timestamp``; equal timestamps keep file order).

    Args:
        frame: interactions with 0-based ``user``, ``item`` and a ``timestamp`` column.
        num_users, num_items: id ranges (items never interacted with still count in ranking).
        min_train: a user needs at least this many training interactions to get a test item.

    Raises ``ValueError`` for ids outside ``[0, num_users)`` / ``[0, num_items)``, missing
    timestamps, and a split where ``min_train`` leaves no user with a test item (saying how
    many users it filtered out).
    """
    for column in ("user", "item", "timestamp"):
        if column not in frame.columns:
            raise KeyError(f"leave_last_out needs column {column!r}; got {list(frame.columns)}")
    if not isinstance(min_train, int) or isinstance(min_train, bool) or min_train < 0:
        raise ValueError(f"argument 'min_train' must be a non-negative int, got {min_train!r}")
    if len(frame) == 0:
        raise ValueError("argument 'frame' holds no interactions to split")
    for column, limit in (("user", num_users), ("item", num_items)):
        ids = frame[column].to_numpy()
        if ids.min() < 0 or ids.max() >= limit:
            raise ValueError(f"column {column!r} has ids outside [0, {limit}) (argument 'num_{column}s')")
    if frame["timestamp"].isna().any():
        raise ValueError("column 'timestamp' has missing values; the latest interaction is undefined")
    ordered = frame.reset_index(drop=True).reset_index(names="_row")
    ordered = ordered.sort_values(["user", "timestamp", "_row"], kind="stable")
    position_from_end = ordered.groupby("user").cumcount(ascending=False)
    counts = ordered.groupby("user")["item"].transform("size")
    is_test = (position_from_end == 0) & (counts > min_train)
    test = ordered[is_test]
    if len(test) == 0:
        raise ValueError(
            f"no user has more than min_train={min_train} interactions: the split filtered out all "
            f"{ordered['user'].nunique()} users, leaving nothing to test"
        )
    train = ordered[~is_test].drop(columns="_row").reset_index(drop=True)
    return LeaveLastOutSplit(
        train=train,
        test_users=torch.tensor(test["user"].to_numpy(), dtype=torch.long),
        test_items=torch.tensor(test["item"].to_numpy(), dtype=torch.long),
        num_users=num_users,
        num_items=num_items,
    )
