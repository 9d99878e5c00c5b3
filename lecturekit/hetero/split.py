"""Drug-drug edge triples and the per-side-effect train/validation/test split.

Each side effect r is split on its own into train/validation/test *unordered pairs*; a pair's two directions
``(i, j, r)`` and ``(j, i, r)`` always land in the same part. The original Decagon code splits the entries of
the symmetric adjacency matrix independently, so the reverse of a test edge usually sits in training (and in
the message-passing graph): ``leak=True`` reproduces that to measure how much it inflates the scores.
Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Triples:
    """Directed typed edges: ``src[k] -> dst[k]`` of relation ``rel[k]`` (LongTensors of equal length)."""

    src: torch.Tensor
    dst: torch.Tensor
    rel: torch.Tensor

    def __post_init__(self) -> None:
        if not (self.src.shape == self.dst.shape == self.rel.shape) or self.src.dim() != 1:
            raise ValueError(
                f"Triples need 1-d src/dst/rel of equal length, got {tuple(self.src.shape)}, "
                f"{tuple(self.dst.shape)}, {tuple(self.rel.shape)}"
            )
        for name in ("src", "dst", "rel"):
            dtype = getattr(self, name).dtype
            if dtype != torch.long:
                # keys() multiplies ids: int32 would overflow, floats would round; refuse rather than cast.
                raise TypeError(f"Triples.{name} must be a LongTensor (torch.int64), got {dtype}")

    def __len__(self) -> int:
        return int(self.src.numel())

    def both_directions(self) -> Triples:
        """These edges plus their reverses."""
        return Triples(torch.cat([self.src, self.dst]), torch.cat([self.dst, self.src]), self.rel.repeat(2))

    def keys(self, num_nodes: int) -> torch.Tensor:
        """One int64 per directed edge: ``(rel * N + src) * N + dst``."""
        return (self.rel * num_nodes + self.src) * num_nodes + self.dst

    def check_range(self, num_nodes: int, num_relations: int, where: str = "triples") -> None:
        """Refuse node ids outside ``[0, num_nodes)`` or relation ids outside ``[0, num_relations)``.

        An out-of-range id would not fail later: ``keys()`` and the degree tables would silently map it
        to another (node, relation). The message names ``where`` and the first offending triple.
        """
        for name, value in (("num_nodes", num_nodes), ("num_relations", num_relations)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"argument {name!r} must be a positive int, got {value!r}")
        if num_relations * num_nodes * num_nodes >= 2**63:
            raise ValueError(
                f"{num_nodes} nodes x {num_relations} relations do not fit the int64 edge keys (N * N * R < 2**63)"
            )
        for name, limit, what in (
            ("src", num_nodes, "node"),
            ("dst", num_nodes, "node"),
            ("rel", num_relations, "relation"),
        ):
            ids = getattr(self, name)
            bad = (ids < 0) | (ids >= limit)
            if bool(bad.any()):
                k = int(bad.nonzero()[0])
                raise ValueError(
                    f"argument {where!r}: {int(bad.sum())} {name} ids outside [0, {limit}) (the {what} count), "
                    f"first at position {k}: ({int(self.src[k])}, {int(self.dst[k])}, {int(self.rel[k])})"
                )

    def subset(self, index: torch.Tensor) -> Triples:
        return Triples(self.src[index], self.dst[index], self.rel[index])

    @property
    def device(self) -> torch.device:
        return self.src.device

    def to(self, device: str | torch.device) -> Triples:
        """These triples on ``device`` (``self`` when they are there already: no copy)."""
        device = torch.device(device)
        if all(t.device == device for t in (self.src, self.dst, self.rel)):
            return self
        return Triples(self.src.to(device), self.dst.to(device), self.rel.to(device))

    @staticmethod
    def cat(parts: list[Triples]) -> Triples:
        return Triples(*(torch.cat([getattr(p, f) for p in parts]) for f in ("src", "dst", "rel")))


@dataclass
class DDISplit:
    """Directed train/validation/test triples plus every known positive (for excluding negatives)."""

    train: Triples
    val: Triples
    test: Triples
    all_pos: Triples
    num_drugs: int
    num_relations: int
    leak: bool

    def test_pairs_per_relation(self) -> torch.Tensor:
        """Directed test triples per relation, shape ``(num_relations,)`` (0: the relation is not evaluated)."""
        return torch.bincount(self.test.rel, minlength=self.num_relations)


def _split_index(n: int, val: float, test: float, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    perm = torch.randperm(n, generator=generator)
    n_test = int(round(n * test))
    n_val = int(round(n * val))
    return perm[n_test + n_val :], perm[n_test : n_test + n_val], perm[:n_test]


def split_pairs(
    pairs: Triples,
    num_drugs: int,
    num_relations: int,
    val: float = 0.1,
    test: float = 0.1,
    seed: int = 0,
    leak: bool = False,
) -> DDISplit:
    """Split each side effect's drug pairs into train/validation/test; returns directed triples.

    Args:
        pairs: every (unordered pair, side effect) once, e.g. ``data["drug", "side_effect", "drug"]``.
        val, test: fractions per side effect (rounded per side effect).
        leak: split the directed entries independently, as the original code does, instead of pairs.
    Raises ``ValueError`` for drug ids outside ``[0, num_drugs)``, relation ids outside
    ``[0, num_relations)`` and self-pairs (they would otherwise be remapped to other pairs silently).
    A side effect with so few pairs that its test share rounds to zero has no test pairs; count them with
    :meth:`DDISplit.test_pairs_per_relation`.
    Shapes: each returned part holds both directions of its pairs (``leak=False``).
    Used by ``notebooks/04_decagon.ipynb``.
    """
    if not (0 <= val < 1 and 0 <= test < 1 and val + test < 1):
        raise ValueError(f"arguments 'val' ({val}) and 'test' ({test}) must be fractions with val + test < 1")
    pairs.check_range(num_drugs, num_relations, "pairs")
    lo, hi = torch.minimum(pairs.src, pairs.dst), torch.maximum(pairs.src, pairs.dst)
    if bool((lo == hi).any()):
        raise ValueError("argument 'pairs' contains self-pairs (a drug with itself)")
    key = torch.unique((pairs.rel * num_drugs + lo) * num_drugs + hi)
    canon = Triples(key // num_drugs % num_drugs, key % num_drugs, key // (num_drugs * num_drugs))
    units = canon.both_directions() if leak else canon
    generator = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[], [], []]
    order = torch.argsort(units.rel, stable=True)
    counts = torch.bincount(units.rel, minlength=num_relations).tolist()
    start = 0
    for count in counts:
        members = order[start : start + count]
        start += count
        for k, idx in enumerate(_split_index(count, val, test, generator)):
            parts[k].append(members[idx])
    out = []
    for chosen in parts:
        sub = units.subset(torch.cat(chosen) if chosen else torch.zeros(0, dtype=torch.long))
        out.append(sub if leak else sub.both_directions())
    return DDISplit(
        train=out[0],
        val=out[1],
        test=out[2],
        all_pos=canon.both_directions(),
        num_drugs=num_drugs,
        num_relations=num_relations,
        leak=leak,
    )
