"""Importance-based neighbourhoods: random walks with restart on the item-user bipartite graph.

PinSage (Ying et al., KDD 2018) defines the neighbourhood of an item ``v`` as the ``T`` items
most visited by short random walks started at ``v``, with the L1-normalised visit counts as
importance weights. The walks go item -> user -> item (one *traversal*); after every traversal the
walk returns to the query with probability ``restart_prob``. Everything is vectorised over all
walks of a batch with CSR gathers (no Python loop per walk). Used by notebooks 02 and 03.
"""

from __future__ import annotations

import torch
from torch import Tensor


def _csr(src: Tensor, dst: Tensor, num_src: int) -> tuple[Tensor, Tensor]:
    """CSR (ptr, neighbours) of the directed edges src -> dst."""
    order = torch.argsort(src * (int(dst.max()) + 1 if dst.numel() else 1) + dst)
    counts = torch.bincount(src, minlength=num_src)
    ptr = torch.zeros(num_src + 1, dtype=torch.long)
    ptr[1:] = torch.cumsum(counts, 0)
    return ptr, dst[order].contiguous()


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
        seed: seed of the sampler's own ``torch.Generator``.

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
        self.item_ptr, self.item_users = _csr(items, users, num_items)
        self.user_ptr, self.user_items = _csr(users, items, num_users)
        self.item_degree = self.item_ptr[1:] - self.item_ptr[:-1]
        self.user_degree = self.user_ptr[1:] - self.user_ptr[:-1]
        self.generator = torch.Generator()
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Reset the sampler's random stream (e.g. per DataLoader worker)."""
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

    def traverse(self, cur: Tensor) -> Tensor:
        """One item -> user -> item step from each item in ``cur`` (-1 where ``cur`` is -1 or isolated)."""
        nxt = torch.full_like(cur, -1)
        num_edges = self.item_users.numel()
        if num_edges == 0:
            return nxt
        c = cur.clamp_min(0)
        deg = self.item_degree[c]
        alive = (cur >= 0) & (deg > 0)
        offset = (torch.rand(cur.shape, generator=self.generator) * deg).long()
        offset = torch.minimum(offset, (deg - 1).clamp_min(0))
        user = self.item_users[(self.item_ptr[c] + offset).clamp_max(num_edges - 1)]
        udeg = self.user_degree[user]  # >= 1 for a user reached through an edge
        offset = torch.minimum((torch.rand(cur.shape, generator=self.generator) * udeg).long(), udeg - 1)
        return torch.where(alive, self.user_items[self.user_ptr[user] + offset], nxt)

    def walks(self, items: Tensor, num_walks: int | None = None) -> Tensor:
        """``(B, num_walks * walk_length)`` items visited from each query (-1 = dead step)."""
        items = self._check_items(items)
        w = self.num_walks if num_walks is None else num_walks
        start = items.repeat_interleave(w)
        cur = start.clone()
        visits = torch.empty(start.numel(), self.walk_length, dtype=torch.long)
        for step in range(self.walk_length):
            nxt = self.traverse(cur)
            visits[:, step] = nxt
            restart = (torch.rand(cur.shape, generator=self.generator) < self.restart_prob) | (nxt < 0)
            cur = torch.where(restart, start, nxt)
        return visits.view(items.numel(), w * self.walk_length)

    def _row_counts(self, items: Tensor) -> tuple[Tensor, Tensor]:
        """Per query: its visits sorted by item id ``(B, M)`` and, at the first position of each
        item's run, that item's visit count (0 elsewhere, and for dead steps / the query itself).

        Counting runs inside each row (a row-wise sort) is much cheaper than one global
        ``unique`` over ``B * M`` keys.
        """
        visits = self.walks(items)
        visits = torch.where(visits == items.unsqueeze(1), torch.full_like(visits, -1), visits)
        ordered = torch.sort(visits, dim=1).values
        b, m = ordered.shape
        boundary = torch.ones(b, m + 1, dtype=torch.bool)
        boundary[:, 1:m] = ordered[:, 1:] != ordered[:, :-1]
        position = torch.arange(m + 1).expand(b, m + 1)
        marks = torch.where(boundary, position, torch.full_like(position, m))
        next_mark = torch.flip(torch.cummin(torch.flip(marks, [1]), 1).values, [1])
        length = next_mark[:, 1:] - position[:, :m]
        counts = torch.where(boundary[:, :m] & (ordered >= 0), length, torch.zeros_like(length))
        return ordered, counts

    # ------------------------------------------------------------------ public API
    def visit_counts(self, items: Tensor) -> Tensor:
        """``(B, num_items)`` float visit counts of the walks with restart from each query (query
        itself excluded). Used by the Pixie baseline (notebook 02) and hard negatives (notebook 03)."""
        items = self._check_items(items)
        ordered, counts = self._row_counts(items)
        out = torch.zeros(items.numel(), self.num_items)
        keep = counts > 0
        rows = torch.arange(items.numel()).unsqueeze(1).expand_as(ordered)
        out[rows[keep], ordered[keep]] = counts[keep].float()
        return out

    def sample(self, items: Tensor, top_t: int | None = None) -> tuple[Tensor, Tensor]:
        """Importance neighbourhoods: the top-``T`` most visited items and their L1-normalised counts.

        Returns ``(neighbors, weights)``, both ``(B, T)``, best first; ties broken by item id.
        Rows with fewer than ``T`` visited items are padded with ``-1`` / ``0``; an isolated item
        gets an all-padding row. Non-empty rows' weights sum to 1.
        """
        items = self._check_items(items)
        t = self.top_t if top_t is None else top_t
        if not isinstance(t, int) or t < 1:
            raise ValueError(f"argument 'top_t' must be an int >= 1, got {top_t!r}")
        ordered, counts = self._row_counts(items)
        m = ordered.shape[1]
        # Rank by count, then by smaller item id (= earlier position in the sorted row).
        key = torch.where(counts > 0, counts * (m + 1) + (m - torch.arange(m)), torch.zeros_like(counts))
        top = key.topk(min(t, m), dim=1)
        found = top.values > 0
        neighbors = torch.full((items.numel(), t), -1, dtype=torch.long)
        weights = torch.zeros(items.numel(), t)
        neighbors[:, : top.indices.shape[1]] = torch.where(found, ordered.gather(1, top.indices), -1)
        weights[:, : top.indices.shape[1]] = torch.where(found, counts.gather(1, top.indices).float(), 0.0)
        return neighbors, weights / weights.sum(1, keepdim=True).clamp_min(1e-12)

    def sample_direct(self, items: Tensor, num_samples: int | None = None) -> tuple[Tensor, Tensor]:
        """GraphSAGE-style neighbourhoods: ``num_samples`` (default ``T``) uniform one-traversal
        neighbours (item -> random user -> random item, with replacement, the query allowed to be
        skipped), each with weight ``1 / count``; used by the mean-/max-pooling baselines.

        Returns ``(B, S)`` neighbours and weights (``-1`` / ``0`` where nothing is reachable).
        """
        items = self._check_items(items)
        s = self.top_t if num_samples is None else int(num_samples)
        if s < 1:
            raise ValueError(f"argument 'num_samples' must be >= 1, got {num_samples!r}")
        nbrs = self.traverse(items.repeat_interleave(s)).view(items.numel(), s)
        nbrs = torch.where(nbrs == items.unsqueeze(1), torch.full_like(nbrs, -1), nbrs)
        valid = (nbrs >= 0).float()
        return nbrs, valid / valid.sum(1, keepdim=True).clamp_min(1.0)
