"""Negative sampling for typed drug-drug edges, for training and for the two evaluation protocols.

* Training (the paper): for a positive ``(i, j, r)`` corrupt the target, ``j' ~ deg_r(j')^0.75``, where
  ``deg_r`` counts relation-r training edges -- never a known positive, never ``i`` itself.
* Evaluation, protocol "uniform" (the paper's): a drug pair drawn uniformly at random that is not a known
  positive of r. Most such pairs involve drugs that never have side effect r, so a degree count wins.
* Evaluation, protocol "degree-matched": keep ``i``; given the training triples, draw ``j'`` uniformly among
  the drugs whose *training* degree in ``r`` equals that of the positive's ``j`` (zero included), taking
  among them the global training degree (any relation) nearest ``j``'s, so neither the per-relation degree score nor the global
  popularity count can tell a negative from its positive (their AUROC is chance: the chance reference).
  Without training triples (or where no such drug is free) ``j' ~ deg_r(j')`` over all known edges.

All sampling is vectorised over relations: one ``searchsorted`` on the concatenated per-relation CDFs
(``cdf[r * N + n] = r + P_r(node <= n)``). Used by ``notebooks/04_decagon.ipynb``.
"""

from __future__ import annotations

import torch

from lecturekit.hetero.split import Triples


class DegreeNegativeSampler:
    """Draw ``j' ~ (deg_r(j') + eps)^power`` per relation, rejecting known positives and self-pairs.

    Args:
        positives: directed triples whose degrees define the distribution (training edges).
        exclude: triples never returned (defaults to ``positives``); pass all known edges for evaluation.
        num_nodes, num_relations: sizes; power: 0.75 (training) or 1.0 (degree-matched evaluation).
    Relations without edges, and queries whose source is linked to every node of the degree support (after
    ``max_rounds // 5`` rejections), fall back to uniform. Its tables live on the CPU and it draws from CPU
    generators: pass CPU triples (the training loop draws here, then copies each batch to its device).
    Used by ``notebooks/04_decagon.ipynb``.
    """

    def __init__(
        self,
        positives: Triples,
        num_nodes: int,
        num_relations: int,
        power: float = 0.75,
        exclude: Triples | None = None,
        max_rounds: int = 100,
    ) -> None:
        self.num_nodes, self.num_relations, self.power, self.max_rounds = (
            num_nodes,
            num_relations,
            power,
            max_rounds,
        )
        positives.check_range(num_nodes, num_relations, "positives")
        deg = torch.bincount(positives.rel * num_nodes + positives.dst, minlength=num_relations * num_nodes)
        weight = deg.view(num_relations, num_nodes).double().pow(power)
        empty = weight.sum(1) == 0
        weight[empty] = 1.0
        self.probs = weight / weight.sum(1, keepdim=True)
        cdf = self.probs.cumsum(1)
        cdf[:, -1] = 1.0
        self._cdf = (cdf + torch.arange(num_relations, dtype=torch.float64).unsqueeze(1)).flatten()
        excl = positives if exclude is None else exclude
        excl.check_range(num_nodes, num_relations, "exclude")
        self._excluded = torch.unique(excl.keys(num_nodes))
        # Excluded targets per (relation, source), self-pairs aside: a source with none left has no negative.
        source_key = self._excluded // num_nodes
        not_self = source_key % num_nodes != self._excluded % num_nodes
        self._blocked = torch.bincount(source_key[not_self], minlength=num_relations * num_nodes)

    def is_excluded(self, edges: Triples) -> torch.Tensor:
        """Bool mask: edge is a known positive or a self-pair."""
        keys = edges.keys(self.num_nodes)
        pos = torch.searchsorted(self._excluded, keys).clamp(max=max(len(self._excluded) - 1, 0))
        hit = self._excluded[pos] == keys if len(self._excluded) else torch.zeros_like(keys, dtype=torch.bool)
        return hit | (edges.src == edges.dst)

    def draw(self, rel: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Nodes ``j' ~ P_rel`` (no rejection), shape of ``rel``."""
        u = torch.rand(rel.shape, dtype=torch.float64, generator=generator) + rel.double()
        idx = torch.searchsorted(self._cdf, u, right=True)
        idx = torch.minimum(idx, (rel + 1) * self.num_nodes - 1)
        return idx - rel * self.num_nodes

    def corrupt(self, edges: Triples, generator: torch.Generator | None = None) -> Triples:
        """Replace every target by a sampled node so that no result is a known positive or self-pair.

        Raises ``ValueError`` before drawing when some source is already linked to every other node in
        the query's relation: no negative exists for it (sampling would otherwise loop, or give up late).
        """
        edges.check_range(self.num_nodes, self.num_relations, "edges")
        free = self.num_nodes - 1 - self._blocked[edges.rel * self.num_nodes + edges.src]
        if bool((free <= 0).any()):
            k = int((free <= 0).nonzero()[0])
            raise ValueError(
                f"no negative exists for {int((free <= 0).sum())} queries: e.g. node {int(edges.src[k])} is "
                f"linked to all {self.num_nodes - 1} other nodes in relation {int(edges.rel[k])}"
            )
        dst = self.draw(edges.rel, generator)
        out = Triples(edges.src, dst, edges.rel)
        for round_ in range(self.max_rounds):
            bad = self.is_excluded(out)
            if not bool(bad.any()):
                return out
            dst = dst.clone()
            if round_ < self.max_rounds // 5:
                dst[bad] = self.draw(edges.rel[bad], generator)
            else:  # the source may be linked to every node of the degree support: fall back to uniform
                dst[bad] = torch.randint(0, self.num_nodes, (int(bad.sum()),), generator=generator)
            out = Triples(edges.src, dst, edges.rel)
        raise RuntimeError(
            f"could not draw negatives in {self.max_rounds} rounds for relations "
            f"{sorted(set(edges.rel[self.is_excluded(out)].tolist()))[:10]}: they are (nearly) complete"
        )


def uniform_negatives(
    positives: Triples,
    exclude: Triples,
    num_nodes: int,
    num_relations: int,
    generator: torch.Generator | None = None,
) -> Triples:
    """One uniformly random non-edge pair per positive, same relation (protocol "uniform").

    Raises ``ValueError`` when a positive's relation has no non-edge pair left (a complete relation).
    """
    positives.check_range(num_nodes, num_relations, "positives")
    sampler = DegreeNegativeSampler(
        Triples(*(torch.zeros(0, dtype=torch.long),) * 3), num_nodes, num_relations, exclude=exclude
    )
    free_pairs = num_nodes * (num_nodes - 1) - sampler._blocked.view(num_relations, num_nodes).sum(1)
    full = free_pairs[positives.rel] <= 0
    if bool(full.any()):
        raise ValueError(
            f"no uniform negative exists for relation {int(positives.rel[full][0])}: every pair of its "
            f"{num_nodes} nodes is a known edge"
        )
    src = torch.randint(0, num_nodes, positives.rel.shape, generator=generator)
    dst = torch.randint(0, num_nodes, positives.rel.shape, generator=generator)
    for _ in range(100):
        bad = sampler.is_excluded(Triples(src, dst, positives.rel))
        if not bool(bad.any()):
            return Triples(src, dst, positives.rel)
        src, dst = src.clone(), dst.clone()
        src[bad] = torch.randint(0, num_nodes, (int(bad.sum()),), generator=generator)
        dst[bad] = torch.randint(0, num_nodes, (int(bad.sum()),), generator=generator)
    raise RuntimeError("could not draw uniform negatives in 100 rounds: some relation is nearly complete")


def degree_matched_negatives(
    positives: Triples,
    exclude: Triples,
    num_nodes: int,
    num_relations: int,
    generator: torch.Generator | None = None,
) -> Triples:
    """Keep each positive's source, draw the target ``~ deg_r`` over ``exclude`` (all known edges)."""
    sampler = DegreeNegativeSampler(exclude, num_nodes, num_relations, power=1.0, exclude=exclude)
    return sampler.corrupt(positives, generator)


def relation_degree(train: Triples, relation: int, num_nodes: int) -> torch.Tensor:
    """``(num_nodes,)`` each node's number of training edges of ``relation`` (as a source: both directions
    of a pair are stored, so this is its degree in that relation)."""
    sources = train.src[train.rel == relation]
    if sources.numel() and (int(sources.min()) < 0 or int(sources.max()) >= num_nodes):
        raise ValueError(f"argument 'train' has node ids outside [0, {num_nodes}) in relation {relation}")
    return torch.bincount(sources, minlength=num_nodes)


def degree_matched_candidates(
    train_degree: torch.Tensor, source: int, target: int, known: torch.Tensor
) -> torch.Tensor:
    """The nodes a degree-matched negative of the positive ``(source, target)`` is drawn from, uniformly.

    ``train_degree``: ``(N,)`` training degrees in the positive's relation (:func:`relation_degree`);
    ``known``: the nodes linked to ``source`` in that relation by any known edge (train, validation or
    test). Returns the sorted ids ``j'`` with ``train_degree[j'] == train_degree[target]``, ``j' != source``
    and ``j'`` not in ``known`` -- the set :func:`training_degree_matched_negatives` samples from
    (when it is empty that sampler falls back to ``deg_r``-weighted draws). Notebook 04's exercise.
    """
    train_degree = torch.as_tensor(train_degree)
    known = torch.as_tensor(known, dtype=torch.long).reshape(-1)
    num_nodes = len(train_degree)
    for name, node in (("source", source), ("target", target)):
        if not 0 <= int(node) < num_nodes:
            raise ValueError(f"argument {name!r} = {node} is outside [0, {num_nodes})")
    if known.numel() and (int(known.min()) < 0 or int(known.max()) >= num_nodes):
        raise ValueError(f"argument 'known' has node ids outside [0, {num_nodes})")
    same = train_degree == train_degree[int(target)]
    same[int(source)] = False
    same[known] = False
    return same.nonzero().squeeze(1)


def _exact_draw(
    positives: Triples,
    key: torch.Tensor,
    num_nodes: int,
    checker: DegreeNegativeSampler,
    generator: torch.Generator | None,
    max_rounds: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per positive, a node ``n`` with ``key[r * N + n] == key[r * N + dst]`` (the key encodes the relation),
    uniformly, never an excluded triple. Returns ``(dst, still unmatched)``."""
    order = torch.argsort(key, stable=True)
    ordered = key[order]
    query = key[positives.rel * num_nodes + positives.dst]
    first = torch.searchsorted(ordered, query)
    count = torch.searchsorted(ordered, query, right=True) - first
    dst = positives.dst.clone()
    bad = count > 1  # a key held by the target alone has no other node
    unmatched = ~bad
    for _ in range(max_rounds):
        if not bool(bad.any()):
            break
        pick = (
            first[bad]
            + (torch.rand(int(bad.sum()), dtype=torch.float64, generator=generator) * count[bad]).long()
        )
        dst[bad] = order[pick.clamp(max=len(order) - 1)] % num_nodes
        bad = bad & checker.is_excluded(Triples(positives.src, dst, positives.rel))
    return dst, bad | unmatched


def _signed_nearest(
    i: int,
    j: int,
    r: int,
    deg_r: torch.Tensor,
    overall: torch.Tensor,
    checker: DegreeNegativeSampler,
    generator: torch.Generator | None,
) -> tuple[int, int] | None:
    """A negative for ``(i, j, r)`` with one endpoint replaced by a node of the same relation degree whose
    global degree is the nearest *above* or *below* (the direction drawn at random, so the popularity count
    ranks the negative above its positive as often as below); ``None`` when no such node is free."""
    up = bool(torch.rand(1, generator=generator).item() < 0.5)
    nodes = torch.arange(len(deg_r))
    for direction in (up, not up):
        for keep, vary, target_side in ((i, j, True), (j, i, False)):
            gap = overall - overall[vary]
            ok = (deg_r == deg_r[vary]) & ((gap > 0) if direction else (gap < 0)) & (nodes != keep)
            cand = ok.nonzero().squeeze(1)
            if not len(cand):
                continue
            pairs = Triples(torch.full_like(cand, keep), cand, torch.full_like(cand, r))
            cand = cand[~checker.is_excluded(pairs)]
            if not len(cand):
                continue
            best = cand[gap[cand].abs() == gap[cand].abs().min()]
            n = int(best[torch.randint(len(best), (1,), generator=generator)])
            return (i, n) if target_side else (n, j)
    return None


def training_degree_matched_negatives(
    positives: Triples,
    exclude: Triples,
    train: Triples,
    num_nodes: int,
    num_relations: int,
    generator: torch.Generator | None = None,
    max_rounds: int = 60,
) -> Triples:
    """One negative per positive with the same two training degrees (``train`` counts): its relation's and
    the global one (triples of any relation), so neither the per-relation degree score nor the global
    popularity count can tell it from its positive; never a triple of ``exclude`` nor a self-pair.

    In order, for each positive: (1) keep the source, replace the target by a node with the target's two
    degrees; (2) else keep the target and replace the source likewise (pairs are unordered); (3) else
    replace one endpoint by a node of the same relation degree whose global degree is the nearest above or
    below, the direction drawn at random (the popularity count's ties break, but as often each way); (4) else
    :func:`degree_matched_negatives`. Only (3) and (4) can break the no-learning scores' ties.
    """
    train.check_range(num_nodes, num_relations, "train")
    positives.check_range(num_nodes, num_relations, "positives")
    deg = torch.bincount(train.rel * num_nodes + train.src, minlength=num_relations * num_nodes)
    overall = torch.bincount(train.src, minlength=num_nodes)  # both directions stored: once per triple
    levels = int(deg.max()) + 1 if len(deg) else 1
    group = torch.arange(num_relations).repeat_interleave(num_nodes) * levels + deg
    checker = DegreeNegativeSampler(
        Triples(*(torch.zeros(0, dtype=torch.long),) * 3), num_nodes, num_relations, exclude=exclude
    )
    span = int(overall.max()) + 1
    exact = group * span + overall.repeat(num_relations)
    src, dst = positives.src.clone(), positives.dst.clone()
    # 1. the target replaced by a node with the same two degrees (both scores tie exactly);
    new_dst, bad = _exact_draw(positives, exact, num_nodes, checker, generator, max_rounds)
    dst[~bad] = new_dst[~bad]
    # 2. else the source replaced likewise (the pair is unordered: ties again);
    if bool(bad.any()):
        idx = bad.nonzero().squeeze(1)
        flipped = Triples(positives.dst[idx], positives.src[idx], positives.rel[idx])
        new_src, still = _exact_draw(flipped, exact, num_nodes, checker, generator, max_rounds)
        src[idx[~still]], dst[idx[~still]] = new_src[~still], positives.dst[idx[~still]]
        bad[idx[~still]] = False
    # 3. else one endpoint with the same relation degree and the nearest global degree above or below;
    for k in bad.nonzero().squeeze(1).tolist():
        r = int(positives.rel[k])
        found = _signed_nearest(
            int(positives.src[k]),
            int(positives.dst[k]),
            r,
            deg[r * num_nodes : (r + 1) * num_nodes],
            overall,
            checker,
            generator,
        )
        if found is not None:
            (src[k], dst[k]), bad[k] = found, False
    # 4. else a target drawn in proportion to its degree.
    if bool(bad.any()):
        rest = degree_matched_negatives(
            positives.subset(bad.nonzero().squeeze(1)), exclude, num_nodes, num_relations, generator
        )
        dst[bad] = rest.dst
    return Triples(src, dst, positives.rel)


def evaluation_negatives(
    protocol: str,
    positives: Triples,
    exclude: Triples,
    num_nodes: int,
    num_relations: int,
    seed: int = 0,
    train: Triples | None = None,
) -> Triples:
    """Negatives for ``protocol`` in ("uniform", "degree-matched"), one per positive, seeded.

    ``train``: match degree-matched negatives on the training degree (:func:`training_degree_matched_negatives`).
    """
    generator = torch.Generator().manual_seed(seed)
    if protocol == "uniform":
        return uniform_negatives(positives, exclude, num_nodes, num_relations, generator)
    if protocol == "degree-matched":
        if train is not None:
            return training_degree_matched_negatives(
                positives, exclude, train, num_nodes, num_relations, generator
            )
        return degree_matched_negatives(positives, exclude, num_nodes, num_relations, generator)
    raise ValueError(f"argument 'protocol' must be 'uniform' or 'degree-matched', got {protocol!r}")


def negative_collision_rate(
    train: Triples,
    held_out: Triples,
    num_nodes: int,
    num_relations: int,
    draws_per_edge: int,
    power: float = 0.75,
) -> float:
    """Expected share of ``held_out`` triples drawn at least once as a *training* negative.

    Training corrupts the target of every training triple ``(i, x, r)`` once per pass with
    ``j ~ deg_r(j)^power`` (:class:`DegreeNegativeSampler`, which knows only ``train``), so over
    ``draws_per_edge`` passes a held-out ``(i, j, r)`` is drawn with probability
    ``1 - (1 - p_r(j))^(draws_per_edge * deg_r(i))``. Rejection of training positives is ignored (it raises
    ``p_r(j)`` slightly, so the rate is a small underestimate only for nearly complete relations).
    A held-out positive drawn as a negative is a test pair the model is *taught* to call a non-edge; this is
    the quantity the planted world is sized to keep small (notebook 04, section 3).
    """
    if not isinstance(draws_per_edge, int) or draws_per_edge < 0:
        raise ValueError(f"argument 'draws_per_edge' must be an int >= 0, got {draws_per_edge!r}")
    if len(held_out) == 0:
        raise ValueError("argument 'held_out' holds no triples")
    sampler = DegreeNegativeSampler(train, num_nodes, num_relations, power=power)
    held_out.check_range(num_nodes, num_relations, "held_out")
    out_degree = torch.bincount(train.rel * num_nodes + train.src, minlength=num_relations * num_nodes)
    draws = draws_per_edge * out_degree[held_out.rel * num_nodes + held_out.src].double()
    p = sampler.probs[held_out.rel, held_out.dst]
    has_edges = torch.bincount(train.rel, minlength=num_relations)[held_out.rel] > 0
    p = torch.where(has_edges, p, torch.zeros_like(p))  # an edgeless relation draws uniformly: not from train
    return float((1.0 - (1.0 - p).pow(draws)).mean())
