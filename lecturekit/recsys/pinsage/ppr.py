"""Personalised PageRank on the item-board graph and the partial ranking the hard-negative bands are cut
from (notebook 03; :mod:`lecturekit.recsys.pinsage.negatives` builds the bands and the sampler on them)."""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_edges(edge_index: Tensor, num_items: int, num_users: int) -> np.ndarray:
    edge_index = torch.as_tensor(edge_index)
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"argument 'edge_index' must have shape (2, E), got {tuple(edge_index.shape)}")
    if edge_index.dtype not in (torch.int32, torch.int64):
        raise ValueError(f"argument 'edge_index' must hold integer ids, got dtype {edge_index.dtype}")
    for name, value in (("num_items", num_items), ("num_users", num_users)):
        if not _is_int(value) or value < 1:
            raise ValueError(f"argument {name!r} must be an int >= 1, got {value!r}")
    edges = edge_index.long().numpy()
    for row, what, limit in ((0, "items", num_items), (1, "users", num_users)):
        if edges.shape[1] and (edges[row].min() < 0 or edges[row].max() >= limit):
            raise ValueError(f"argument 'edge_index' row {row} ({what}) has ids outside [0, {limit})")
    return edges


class PersonalizedPageRank:
    """Personalised PageRank on the item-board bipartite graph by sparse power iteration (notebook 03).

    The walk of :class:`~lecturekit.recsys.pinsage.sampler.RandomWalkSampler` in expectation: from an
    item go to one of its boards, then to one of the board's items (one traversal, the transition
    ``P = D_item^-1 A D_board^-1 A^T``); after each traversal return to the query with probability
    ``r``. The score of item ``i`` for query ``q`` is the stationary visit share

        pi_q = r sum_{t >= 0} (1 - r)^t e_q P^t,

    truncated after ``num_iterations`` traversals (the missing mass is ``(1 - r)^(num_iterations + 1)``).
    Queries are processed in column batches: one iteration is two sparse-times-dense products
    (``scipy.sparse``, cost ``2 E`` per query), against the millions of walk steps a Monte-Carlo
    estimate needs before the visit counts at the depth of the band stop being mostly noise.

    Boards with more than ``max_board_degree`` saves are dropped first (Pixie prunes hub boards: a
    spam board links everything to everything). An item whose boards are all dropped keeps only its
    restart mass (every other item scores 0 for it).
    """

    def __init__(
        self,
        edge_index: Tensor,
        num_items: int,
        num_users: int,
        *,
        restart_prob: float = 0.5,
        num_iterations: int = 8,
        max_board_degree: int | None = None,
        batch: int = 512,
    ) -> None:
        edges = _check_edges(edge_index, num_items, num_users)
        if not 0.0 < float(restart_prob) < 1.0:
            raise ValueError(f"argument 'restart_prob' must be in (0, 1), got {restart_prob!r}")
        for name, value in (("num_iterations", num_iterations), ("batch", batch)):
            if not _is_int(value) or value < 1:
                raise ValueError(f"argument {name!r} must be an int >= 1, got {value!r}")
        if max_board_degree is not None and (not _is_int(max_board_degree) or max_board_degree < 1):
            raise ValueError(
                f"argument 'max_board_degree' must be None or an int >= 1, got {max_board_degree!r}"
            )
        self.num_items, self.num_users = num_items, num_users
        self.restart_prob, self.num_iterations, self.batch = float(restart_prob), num_iterations, batch
        adjacency = sp.csr_matrix(
            (np.ones(edges.shape[1], np.float32), (edges[0], edges[1])), shape=(num_items, num_users)
        )
        if max_board_degree is not None:
            keep = np.asarray(adjacency.sum(0)).ravel() <= max_board_degree
            adjacency = (adjacency @ sp.diags(keep.astype(np.float32))).tocsr()
            adjacency.eliminate_zeros()
        self.adjacency = adjacency  # duplicate saves count twice, as in the walks
        item_degree = np.asarray(adjacency.sum(1)).ravel()
        board_degree = np.asarray(adjacency.sum(0)).ravel()
        # Column-stochastic transposes: mass (items x queries) -> boards -> items, one product each.
        self._to_boards = (
            sp.diags(1.0 / np.maximum(item_degree, 1)).astype(np.float32) @ adjacency
        ).T.tocsr()
        # The (1 - r) of every traversal is folded into the second matrix: one product less per step.
        to_items = adjacency @ sp.diags((1.0 - self.restart_prob) / np.maximum(board_degree, 1)).astype(
            np.float32
        )
        self._to_items = to_items.astype(np.float32).tocsr()

    def scores(self, queries: Tensor | np.ndarray, num_iterations: int | None = None) -> np.ndarray:
        """``(B, N)`` float32 personalised-PageRank scores of every item for each query (the query included)."""
        q = np.asarray(torch.as_tensor(queries).long())
        iterations = self.num_iterations if num_iterations is None else num_iterations
        out = np.empty((q.size, self.num_items), np.float32)
        for start in range(0, q.size, self.batch):
            chunk = q[start : start + self.batch]
            term = np.zeros((self.num_items, chunk.size), np.float32)
            term[chunk, np.arange(chunk.size)] = self.restart_prob
            total = term.copy()
            for _ in range(iterations):
                term = self._to_items @ (self._to_boards @ term)
                total += term
            out[start : start + chunk.size] = total.T
        return out


def relevance_sizes(
    edge_index: Tensor, num_items: int, num_users: int, max_board_degree: int | None = None
) -> Tensor:
    """``(N,)`` size ``R(q)`` of each item's relevance set: the distinct other pins sharing a board with it.

    Why this set: the query's known positives (pins saved next to it) are on its boards, and so is
    everything one traversal of the walk reaches, the top of its PageRank ranking. A band that
    starts at rank ``a R(q)`` with ``a >= 1`` starts after them. Boards with more than
    ``max_board_degree`` saves are ignored, as in :class:`PersonalizedPageRank`. Used by notebook 03.
    """
    edges = _check_edges(edge_index, num_items, num_users)
    adjacency = sp.csr_matrix(
        (np.ones(edges.shape[1], np.float32), (edges[0], edges[1])), shape=(num_items, num_users)
    )
    adjacency.data[:] = 1.0  # sp sums duplicates: co-membership only
    if max_board_degree is not None:
        keep = np.asarray(adjacency.sum(0)).ravel() <= max_board_degree
        adjacency = (adjacency @ sp.diags(keep.astype(np.float32))).tocsr()
        adjacency.eliminate_zeros()
    shared = (adjacency @ adjacency.T).tocsr()
    self_loops = (shared.diagonal() > 0).astype(np.int64)
    return torch.from_numpy(np.diff(shared.indptr).astype(np.int64) - self_loops)


@numba.njit(cache=True, nogil=True)
def _descending_bits(values):
    """``uint64`` codes of float32 ``values`` whose ascending order is the values' descending order."""
    bits = values.view(np.uint32).astype(np.uint64)
    sign = np.uint64(0x80000000)
    ascending = np.where(
        bits & sign, ~bits & np.uint64(0xFFFFFFFF), bits | sign
    )  # IEEE order as unsigned ints
    return np.uint64(0xFFFFFFFF) - ascending


@numba.njit(cache=True, nogil=True)
def _top_ranked_kernel(scores, ties, queries, out):
    """Row ``b`` of ``out`` (``(B, depth)``): items by ``(key, tie)`` descending, then by id, ``key`` as
    in :func:`top_ranked`. A partition finds the ``depth``-th key; only the items at or above it are
    sorted, once, on one 64-bit code per item (key bits, then tie bits): a stable sort keeps ids ascending."""
    num_items, depth = scores.shape[1], out.shape[1]
    nudge, one = np.float32(2.0**-20), np.float32(1.0)
    keys = np.empty(num_items, np.float32)
    for b in range(scores.shape[0]):
        for j in range(num_items):
            s, t = np.float32(scores[b, j]), ties[b, j]
            key = s * (one + nudge * t)
            keys[j] = key if key > 0 else -one - t
        keys[queries[b]] = np.float32(-3.0)
        threshold = np.partition(keys, num_items - depth)[num_items - depth]
        candidates = np.nonzero(keys >= threshold)[0]  # ascending ids
        code = (_descending_bits(keys[candidates]) << np.uint64(32)) | _descending_bits(ties[b, candidates])
        out[b, :] = candidates[np.argsort(code, kind="mergesort")[:depth]]


def top_ranked(
    scores: np.ndarray | Tensor, queries: Tensor, depth: int, tie_key: Callable[[Tensor], Tensor]
) -> Tensor:
    """``(B, depth)`` items with the highest ``scores`` per query, best first, the query excluded.

    The order is that of ``key = score * (1 + 2**-20 * tie)`` (float32) for reached items and
    ``-1 - tie`` for items scoring 0 (never reached), which puts them below every reached item in tie
    order, so a band beyond the reachable set degrades into random negatives. The relative nudge of a
    few float32 ulps orders exactly equal scores (symmetric boards) by the tie keys in ``[0, 1)``;
    ``tie_key(rows)`` gives the ``(len(rows), N)`` keys of those rows. Keys the nudge leaves equal (it
    has only a few float32 steps) are ordered by the tie key, then by item id, so the result depends on
    nothing but the scores and keys: never on the depth asked for or on the other rows.

    A compiled partition per row to the ``depth``-th key, then a sort of the items above it (``depth``
    of ``N``), instead of sorting all ``N`` items per query. Used by notebook 03.
    """
    queries = torch.as_tensor(queries).long().contiguous()
    values = torch.as_tensor(scores).detach().cpu().contiguous().numpy()
    if values.ndim != 2 or values.shape[0] != queries.numel():
        raise ValueError(f"argument 'scores' must be ({queries.numel()}, N), got shape {tuple(values.shape)}")
    num_items = values.shape[1]
    if not 1 <= depth <= num_items - 1:
        raise ValueError(f"argument 'depth' must be in [1, {num_items - 1}], got {depth!r}")
    ties = torch.as_tensor(tie_key(torch.arange(queries.numel())), dtype=torch.float32).contiguous()
    if ties.shape != values.shape:
        raise ValueError(f"tie_key returned shape {tuple(ties.shape)}, expected {tuple(values.shape)}")
    out = torch.empty(queries.numel(), depth, dtype=torch.long)
    _top_ranked_kernel(values, ties.numpy(), queries.numpy(), out.numpy())
    return out
