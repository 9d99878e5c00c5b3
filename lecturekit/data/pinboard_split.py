"""The temporal train / validation / test split of a pinboard world (notebooks 02 and 03)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lecturekit.data.pinboard import HOUR, Pinboard, _check_int


@dataclass
class PinboardSplit:
    """Temporal split of a :class:`Pinboard` into train / validation / test by save time (:func:`temporal_split`).

    Attributes:
        cutoffs: ``(train_end, validation_end)`` save times (seconds).
        train_mask: ``[num_saves]`` saves up to ``train_end``: the training graph.
        edge_index: ``(2, E)`` training pin-board edges.
        train_pairs: ``(P, 2)`` positive pairs among training saves on regular boards (a spam board's
            consecutive saves are random pins, a quarter of all pairs if kept; the spam stays in the graph).
        train_degree: ``[num_pins]`` distinct training boards of each pin (0 = a *new* pin).
        val_pairs, test_pairs: ``(Q, 2)`` (query, target) pairs whose later save falls in the
            validation / test window, on a regular (non-spam) board, every such pair (unique).
        val_edge_index, test_edge_index: the graph each window is evaluated on: the training graph
            plus every save of the new pins made before the window begins (old pins keep their training
            graph). Nothing from inside or after the window: the validation graph is the training graph,
            and the test graph grows by the new pins' validation-window saves.
    """

    cutoffs: tuple[float, float]
    train_mask: np.ndarray
    edge_index: torch.Tensor
    train_pairs: torch.Tensor
    train_degree: np.ndarray
    val_pairs: torch.Tensor
    test_pairs: torch.Tensor
    val_edge_index: torch.Tensor
    test_edge_index: torch.Tensor

    @property
    def grown_edge_index(self) -> torch.Tensor:
        """The test graph (the training graph grown by the new pins' saves)."""
        return self.test_edge_index

    @property
    def cold_pairs(self) -> torch.Tensor:
        """Test pairs whose query is a new pin (no training save)."""
        return self.test_pairs[torch.from_numpy(self.train_degree[self.test_pairs[:, 0].numpy()] == 0)]


def temporal_split(
    world: Pinboard,
    test_fraction: float = 0.1,
    max_gap: float = HOUR,
    max_test_pairs: int | None = None,
    seed: int = 0,
    *,
    val_fraction: float = 0.1,
) -> PinboardSplit:
    """Split the saves by time: the first ``1 - val_fraction - test_fraction`` train, then validation, then test.

    An evaluation pair is a positive pair (:meth:`Pinboard.positive_pairs` over all saves) whose
    later save falls in the window, on a non-spam board (the paper's evaluation pairs are curated;
    training pairs drop the spam boards too, the training graph keeps them). The window's graph holds only saves made before the window begins,
    so its pairs' saves (and anything later) are never in it; a pair whose target already sits on
    that board in the graph (a repeated save) is dropped: the answer would be an edge. ``max_test_pairs`` (default ``None``: every pair) subsamples both windows, seeded.
    Used by notebooks 02 and 03.
    """
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        if not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"argument {name!r} must be in (0, 1), got {value!r}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            "arguments 'val_fraction' + 'test_fraction' must be below 1 (something must be left to train on)"
        )
    if max_test_pairs is not None:
        _check_int("max_test_pairs", max_test_pairs, 1)
    train_end, val_end = np.quantile(world.save_time, [1 - val_fraction - test_fraction, 1 - test_fraction])
    time = world.save_time
    train_mask = time <= train_end
    edge_index = world.edge_index(train_mask)
    train_degree = np.bincount(edge_index[0].numpy(), minlength=world.num_pins)
    all_pairs, later_save = world._consecutive(max_gap, None)
    regular = ~world.is_spam_board[world.save_board[later_save]]
    save_key = world.save_pin * world.num_boards + world.save_board
    new_pin_save = train_degree[world.save_pin] == 0
    rng = np.random.default_rng([seed, 9_001])

    def window(lo: float, hi: float) -> tuple[torch.Tensor, torch.Tensor]:
        held = regular & (time[later_save] > lo) & (time[later_save] <= hi)
        pairs, held_key = all_pairs[held], save_key[later_save[held]]
        # Leak-free: the graph a window is ranked on holds only saves made before the window begins (the
        # training graph plus the new pins' saves up to ``lo``), so no pair sees a save made after its own.
        in_graph = train_mask | (new_pin_save & (time <= lo))
        graph = world.edge_index(in_graph)
        graph_key = (graph[0] * world.num_boards + graph[1]).numpy()
        pairs = pairs[~np.isin(held_key, graph_key)]  # a repeated save: the pair is an edge already
        pairs = np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)
        if max_test_pairs is not None and len(pairs) > max_test_pairs:
            pairs = pairs[np.sort(rng.choice(len(pairs), max_test_pairs, replace=False))]
        return torch.from_numpy(pairs.astype(np.int64)).reshape(-1, 2), graph

    val_pairs, val_graph = window(train_end, val_end)
    test_pairs, test_graph = window(val_end, np.inf)
    return PinboardSplit(
        cutoffs=(float(train_end), float(val_end)),
        train_mask=train_mask,
        edge_index=edge_index,
        train_pairs=world.positive_pairs(max_gap, train_mask & ~world.is_spam_board[world.save_board]),
        train_degree=train_degree,
        val_pairs=val_pairs,
        test_pairs=test_pairs,
        val_edge_index=val_graph,
        test_edge_index=test_graph,
    )
