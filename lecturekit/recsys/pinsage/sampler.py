"""Importance-based neighbourhoods: random walks with restart on the item-user bipartite graph.

PinSage (Ying et al., KDD 2018) defines the neighbourhood of an item ``v`` as the ``T`` items
most visited by short random walks started at ``v``, with the L1-normalised visit counts as
importance weights. The walks go item -> user -> item (one *traversal*); after every traversal the
walk returns to the query with probability ``restart_prob``. Used by notebooks 02 and 03.

Everything is vectorised over all walks of a chunk of queries (no Python loop per walk):

* one 62-bit random word per walker and step gives the user choice, the item choice and the
  restart decision (24, 24 and 14 bits); choices are ``(bits * degree) >> 24`` offsets into flat
  CSR arrays read with ``index_select``;
* visits are counted by one stable sort of ``row * num_items + item`` keys (int32 where they fit)
  and run lengths; the top-``T`` per query comes from a ``topk`` over the distinct items.

Measured (``benchmarks/bench_pinsage.py``, one thread, 10k pins): about 150-250 ns per walk step
including the counting, 8-12x a per-walk Python loop (1.2-2.3 us per step); the floor is set by the
random word, the gathers and the counting sort (their per-element costs are in the report).
"""

from __future__ import annotations

import torch
from torch import Tensor

_MASK24 = (1 << 24) - 1


def _csr(src: Tensor, dst: Tensor, num_src: int) -> tuple[Tensor, Tensor]:
    """CSR (ptr, neighbours) of the directed edges src -> dst."""
    order = torch.argsort(src * (int(dst.max()) + 1 if dst.numel() else 1) + dst)
    counts = torch.bincount(src, minlength=num_src)
    ptr = torch.zeros(num_src + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(counts, 0)
    return ptr, dst[order].contiguous()


def importance_neighborhood(counts: Tensor, top_t: int) -> tuple[Tensor, Tensor]:
    """Importance neighbourhoods from a dense ``(B, N)`` visit-count matrix (notebook 02's exercise).

    The rule :meth:`RandomWalkSampler.sample` applies to its walks' counts, written for counts given
    directly: each row's ``top_t`` most visited items (most visited first, equal counts by smaller item
    id) and their counts divided by the row's total over those ``top_t`` (PinSage's ``alpha_u``).
    Rows with fewer than ``top_t`` visited items are padded with ``-1`` / ``0``; a row with no visit is
    all padding (weights 0, not NaN). Returns ``(neighbors, weights)``, both ``(B, top_t)``.
    """
    counts = torch.as_tensor(counts)
    if counts.ndim != 2:
        raise ValueError(f"argument 'counts' must be (B, N), got shape {tuple(counts.shape)}")
    if not isinstance(top_t, int) or isinstance(top_t, bool) or top_t < 1:
        raise ValueError(f"argument 'top_t' must be an int >= 1, got {top_t!r}")
    kept = min(top_t, counts.shape[1])
    ordered = torch.sort(counts, dim=1, descending=True, stable=True)  # stable: equal counts keep id order
    values, ids = ordered.values[:, :kept], ordered.indices[:, :kept]
    visited = values > 0
    neighbors = torch.full((counts.shape[0], top_t), -1, dtype=torch.long)
    weights = torch.zeros(counts.shape[0], top_t)
    neighbors[:, :kept] = torch.where(visited, ids, -1)
    weights[:, :kept] = torch.where(visited, values.float(), 0.0)
    return neighbors, weights / weights.sum(1, keepdim=True).clamp_min(1e-12)


class RandomWalkSampler:
    """Random walks with restart over a ``(2, E)`` item-user edge index.

    Args:
        edge_index: ``(2, E)`` long tensor, row 0 item ids in ``[0, num_items)``, row 1 user ids
            in ``[0, num_users)`` (duplicate edges are allowed and count twice).
        num_items, num_users: id ranges (isolated items / users are allowed).
        num_walks: walks per query item.
        walk_length: item -> user -> item traversals per walk.
        restart_prob: probability of returning to the query after each traversal.
        top_t: neighbourhood size ``T`` kept by :meth:`sample`.
        seed: seed of the sampler's own ``torch.Generator`` (the default stream of every call).

Every walking method takes an optional ``generator``: the walks then draw from that stream and
the sampler's own stream is left untouched, so code that owns its randomness (training, one run
of a notebook) never needs to reseed a sampler somebody else passed in.

    A query's visit count of item ``u`` is the number of traversals (over all its walks) that
    ended at ``u``; the query itself is never counted. Total traversals per query are
    ``num_walks * walk_length``.
    """

    def __init__(
        self,
        edge_index: Tensor,
        num_items: int,
        num_users: int,
        num_walks: int = 50,
        walk_length: int = 2,
        restart_prob: float = 0.5,
        top_t: int = 20,
        seed: int = 0,
    ) -> None:
        edge_index = torch.as_tensor(edge_index)
        if edge_index.ndim != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"argument 'edge_index' must have shape (2, E), got {tuple(edge_index.shape)}")
        if edge_index.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"argument 'edge_index' must hold integer ids, got dtype {edge_index.dtype}")
        for name, value, minimum in (
            ("num_items", num_items, 1),
            ("num_users", num_users, 1),
            ("num_walks", num_walks, 1),
            ("walk_length", walk_length, 1),
            ("top_t", top_t, 1),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                raise ValueError(f"argument {name!r} must be an int >= {minimum}, got {value!r}")
        if not 0.0 <= float(restart_prob) <= 1.0:
            raise ValueError(f"argument 'restart_prob' must be in [0, 1], got {restart_prob!r}")
        edge_index = edge_index.long()
        items, users = edge_index[0], edge_index[1]
        if items.numel() and (int(items.min()) < 0 or int(items.max()) >= num_items):
            raise ValueError(f"argument 'edge_index' row 0 (items) has ids outside [0, {num_items})")
        if users.numel() and (int(users.min()) < 0 or int(users.max()) >= num_users):
            raise ValueError(f"argument 'edge_index' row 1 (users) has ids outside [0, {num_users})")
        self.num_items, self.num_users = num_items, num_users
        self.num_walks, self.walk_length = num_walks, walk_length
        self.restart_prob, self.top_t = float(restart_prob), top_t
        # Queries per chunk: ~200k visits keep the walk tensors in cache (measured: 2x vs one big batch).
        self._chunk = max(1, 200_000 // (num_walks * walk_length))
        self.item_ptr, self.item_users = _csr(items, users, num_items)
        self.user_ptr, self.user_items = _csr(users, items, num_users)
        self.item_degree = self.item_ptr[1:] - self.item_ptr[:-1]
        self.user_degree = self.user_ptr[1:] - self.user_ptr[:-1]
        self.generator = torch.Generator()
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Reset the sampler's own random stream (the default of calls without ``generator``)."""
        self.generator.manual_seed(int(seed))

    # ------------------------------------------------------------------ checks and walks
    def _check_items(self, items: Tensor) -> Tensor:
        items = torch.as_tensor(items)
        if items.ndim != 1:
            raise ValueError(f"argument 'items' must be 1-D, got shape {tuple(items.shape)}")
        if items.numel() == 0:
            raise ValueError("argument 'items' is empty: nothing to sample")
        if items.dtype not in (torch.int32, torch.int64):
            raise ValueError(f"argument 'items' must hold integer ids, got dtype {items.dtype}")
        items = items.long()
        if int(items.min()) < 0 or int(items.max()) >= self.num_items:
            raise ValueError(f"argument 'items' has ids outside [0, {self.num_items})")
        return items

    def _traverse(self, cur: Tensor, bits: Tensor) -> Tensor:
        """One item -> user -> item step from each (non-isolated) item in ``cur``.

        ``bits`` holds 62 random bits per walker: bits 0-23 pick the user, bits 24-47 the item
        (``offset = (field * degree) >> 24``, the same 24-bit resolution as a float32 uniform).
        ``index_select`` on flat CSR arrays is ~3x cheaper than advanced indexing here.
        """
        degree = self.item_degree.index_select(0, cur)
        edge = self.item_ptr.index_select(0, cur) + (((bits & _MASK24) * degree) >> 24)
        user = self.item_users.index_select(0, edge)
        degree = self.user_degree.index_select(0, user)  # >= 1: the user was reached through an edge
        edge = self.user_ptr.index_select(0, user) + ((((bits >> 24) & _MASK24) * degree) >> 24)
        return self.user_items.index_select(0, edge)

    def _random_bits(self, n: int, generator: torch.Generator | None) -> Tensor:
        return torch.randint(0, 1 << 62, (n,), generator=self.generator if generator is None else generator)

    def _starts(self, items: Tensor, repeats: int) -> tuple[Tensor, Tensor]:
        """Which queries can walk (only a query can be isolated: walks reach items through edges) and
        the walker start items, each of those queries ``repeats`` times."""
        alive = self.item_degree[items] > 0
        return alive, items[alive].repeat_interleave(repeats)

    def walks(
        self, items: Tensor, num_walks: int | None = None, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """``(B, num_walks * walk_length)`` items visited from each query (-1 for an isolated query)."""
        return self._walks(self._check_items(items), self.num_walks if num_walks is None else num_walks, generator)

    def _walks(self, items: Tensor, num_walks: int, generator: torch.Generator | None = None) -> Tensor:
        """:meth:`walks` on already checked ``items``."""
        visits = torch.full((items.numel(), num_walks * self.walk_length), -1, dtype=torch.long)
        alive, start = self._starts(items, num_walks)
        if start.numel() == 0:
            return visits
        # Bits 48-61 of each step's random word decide the restart (resolution 1/16384).
        threshold = int(round(self.restart_prob * (1 << 14)))
        steps = torch.empty(self.walk_length, start.numel(), dtype=torch.long)
        cur = start
        for step in range(self.walk_length):
            bits = self._random_bits(start.numel(), generator)
            steps[step] = self._traverse(cur, bits)
            cur = torch.where((bits >> 48) < threshold, start, steps[step])
        visits[alive] = steps.t().reshape(-1, num_walks * self.walk_length)
        return visits

    def _count(self, items: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Visit counts as triples ``(row, item, count)`` sorted by row, then item id; the query
        itself is not counted. Processed in chunks of queries so the walk tensors stay in cache."""
        rows, found, counts = [], [], []
        for offset in range(0, items.numel(), self._chunk):
            chunk = items[offset : offset + self._chunk]
            visits = self._walks(chunk, self.num_walks, generator)
            b, m = visits.shape
            key = torch.arange(b).unsqueeze(1) * self.num_items + visits
            key = torch.where((visits < 0) | (visits == chunk.unsqueeze(1)), torch.full_like(key, -1), key).view(-1)
            if b * self.num_items < 2**31:  # int32 keys sort ~2x faster
                key = key.int()
            ordered = torch.sort(key, stable=True).values
            first = torch.ones(ordered.numel(), dtype=torch.bool)
            first[1:] = ordered[1:] != ordered[:-1]
            starts = torch.nonzero(first).squeeze(1)
            count = torch.diff(starts, append=torch.tensor([ordered.numel()]))
            unique = ordered.index_select(0, starts).long()
            keep = unique >= 0
            unique, count = unique[keep], count[keep]
            row = unique // self.num_items
            rows.append(row + offset)
            found.append(unique - row * self.num_items)
            counts.append(count)
        return torch.cat(rows), torch.cat(found), torch.cat(counts)

    # ------------------------------------------------------------------ public API
    def visit_counts(self, items: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """``(B, num_items)`` float visit counts of the walks with restart from each query (query
        itself excluded). Used by the Pixie baseline (notebook 02) and hard negatives (notebook 03)."""
        items = self._check_items(items)
        row, item, count = self._count(items, generator)
        out = torch.zeros(items.numel(), self.num_items)
        out[row, item] = count.float()
        return out

    def sample(
        self, items: Tensor, top_t: int | None = None, *, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """Importance neighbourhoods: the top-``T`` most visited items and their L1-normalised counts.

        Returns ``(neighbors, weights)``, both ``(B, T)``, best first; ties broken by item id.
        Rows with fewer than ``T`` visited items are padded with ``-1`` / ``0``; an isolated item
        gets an all-padding row. Non-empty rows' weights sum to 1.
        """
        items = self._check_items(items)
        t = self.top_t if top_t is None else top_t
        if not isinstance(t, int) or t < 1:
            raise ValueError(f"argument 'top_t' must be an int >= 1, got {top_t!r}")
        row, item, count = self._count(items, generator)
        b, m = items.numel(), self.num_walks * self.walk_length
        # Dense (B, M) layout: each row's distinct items in id order, then rank by count and,
        # among equal counts, by smaller item id (= earlier position in the row).
        position = torch.arange(row.numel()) - torch.searchsorted(row, row)
        flat = row * m + position
        key = torch.zeros(b * m, dtype=torch.long).index_copy_(0, flat, count * (m + 1) + (m - position)).view(b, m)
        ids = torch.full((b * m,), -1, dtype=torch.long).index_copy_(0, flat, item).view(b, m)
        top = key.topk(min(t, m), dim=1)
        found = top.values > 0
        neighbors = torch.full((b, t), -1, dtype=torch.long)
        weights = torch.zeros(b, t)
        neighbors[:, : top.indices.shape[1]] = torch.where(found, ids.gather(1, top.indices), -1)
        weights[:, : top.indices.shape[1]] = torch.where(found, top.values // (m + 1), 0).float()
        return neighbors, weights / weights.sum(1, keepdim=True).clamp_min(1e-12)

    def sample_direct(
        self, items: Tensor, num_samples: int | None = None, *, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """GraphSAGE-style neighbourhoods: ``num_samples`` (default ``T``) uniform one-traversal
        neighbours (item -> random user -> random item, with replacement, the query allowed to be
        skipped), each with weight ``1 / count``; used by the mean-/max-pooling baselines.

        Returns ``(B, S)`` neighbours and weights (``-1`` / ``0`` where nothing is reachable).
        """
        items = self._check_items(items)
        s = self.top_t if num_samples is None else int(num_samples)
        if s < 1:
            raise ValueError(f"argument 'num_samples' must be >= 1, got {num_samples!r}")
        nbrs = torch.full((items.numel(), s), -1, dtype=torch.long)
        alive, start = self._starts(items, s)
        if start.numel():
            nbrs[alive] = self._traverse(start, self._random_bits(start.numel(), generator)).view(-1, s)
        nbrs = torch.where(nbrs == items.unsqueeze(1), torch.full_like(nbrs, -1), nbrs)
        valid = (nbrs >= 0).float()
        return nbrs, valid / valid.sum(1, keepdim=True).clamp_min(1.0)
