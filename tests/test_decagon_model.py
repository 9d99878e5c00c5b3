"""Decagon pieces against hand computations: normalisation, layer, decoders, sampler, split, metrics."""

import math

import numpy as np
import pytest
import torch

from lecturekit.hetero import (
    BilinearDecoder,
    DEDICOMDecoder,
    DegreeNegativeSampler,
    DistMultDecoder,
    InnerProductDecoder,
    RelationalGraphConv,
    Triples,
    ap_at_k,
    normalized_block,
    split_pairs,
)
from lecturekit.hetero.graph import Block, RelationalGraph
from lecturekit.hetero.negatives import evaluation_negatives

torch.set_num_threads(1)


def t(*xs):
    return torch.tensor(xs, dtype=torch.long)


def test_normalisation_square_with_self_loops():
    # relation 0: 0-1, 1-2 (both directions); relation 1: 0-2.
    e = Triples(t(0, 1, 1, 2, 0, 2), t(1, 0, 2, 1, 2, 0), t(0, 0, 0, 0, 1, 1))
    m = normalized_block(e, 3, 3, 2, self_loops=True).to_dense()  # (3, 3 * 2), column j * R + r
    deg0, deg1 = [2, 3, 2], [2, 1, 2]
    assert m[0, 1 * 2 + 0] == pytest.approx(1 / math.sqrt(deg0[0] * deg0[1]))
    assert m[1, 2 * 2 + 0] == pytest.approx(1 / math.sqrt(3 * 2))
    assert m[0, 0 * 2 + 0] == pytest.approx(1 / 2)  # self-loop counted in the degree
    assert m[1, 1 * 2 + 1] == pytest.approx(1.0)  # isolated in relation 1: only its loop
    assert m[2, 0 * 2 + 1] == pytest.approx(1 / 2)
    assert m[0, 2 * 2 + 0] == 0 and m[1, 0 * 2 + 1] == 0
    assert int((m != 0).sum()) == 6 + 6  # edges + one loop per node per relation
    del deg1


def test_normalisation_bipartite():
    # drug -> protein: d0->p0, d0->p1, d1->p0 (2 drugs, 2 proteins, 1 relation)
    m = normalized_block(Triples(t(0, 0, 1), t(0, 1, 0), t(0, 0, 0)), 2, 2, 1, self_loops=False).to_dense()
    assert m[0, 0] == pytest.approx(1 / math.sqrt(2 * 2))
    assert m[1, 0] == pytest.approx(1 / math.sqrt(1 * 2))
    assert m[0, 1] == pytest.approx(1 / math.sqrt(2 * 1))
    assert m[1, 1] == 0


def test_relational_conv_matches_per_relation_loop():
    torch.manual_seed(0)
    n_d, n_p, num_rel = 4, 3, 3
    dd = Triples(t(0, 1, 2, 3, 0, 2), t(1, 0, 3, 2, 2, 0), t(0, 0, 2, 2, 1, 1))
    dp = Triples(t(0, 1, 3), t(0, 2, 2), t(0, 0, 0))
    graph = RelationalGraph({"drug": n_d, "protein": n_p})
    graph.blocks.append(Block("drug", "drug", num_rel, normalized_block(dd, n_d, n_d, num_rel, True), dd))
    graph.blocks.append(Block("drug", "protein", 1, normalized_block(dp, n_d, n_p, 1, False), dp))
    x = {"drug": torch.randn(n_d, 5), "protein": torch.randn(n_p, 5)}
    conv = RelationalGraphConv(graph, {"drug": 5, "protein": 5}, 2)
    out = conv(graph, x)
    # Naive reference: for every relation, sum_j c_ij W_r x_j with c from the dense adjacency (+I).
    w_dd, w_dp = conv.weights["drug_to_drug"], conv.weights["drug_to_protein"]
    ref_d = torch.zeros(n_d, 2)
    for r in range(num_rel):
        a = torch.eye(n_d)
        for s, d in zip(dd.src[dd.rel == r].tolist(), dd.dst[dd.rel == r].tolist(), strict=True):
            a[d, s] = 1
        deg = a.sum(1)
        c = a / torch.sqrt(deg[:, None] * deg[None, :])
        ref_d += c @ x["drug"] @ w_dd[r]
    a = torch.zeros(n_p, n_d)
    a[dp.dst, dp.src] = 1
    c = a / torch.sqrt(a.sum(1, keepdim=True).clamp_min(1) * a.sum(0, keepdim=True).clamp_min(1))
    ref_p = c @ x["drug"] @ w_dp[0]
    assert torch.allclose(out["drug"], ref_d, atol=1e-5)
    assert torch.allclose(out["protein"], ref_p, atol=1e-5)
    out["drug"].sum().backward()
    assert w_dd.grad is not None and w_dd.grad.abs().sum() > 0


def test_relational_conv_featureless_is_onehot():
    torch.manual_seed(0)
    dd = Triples(t(0, 1), t(1, 0), t(1, 1))
    graph = RelationalGraph({"drug": 3})
    graph.blocks.append(Block("drug", "drug", 2, normalized_block(dd, 3, 3, 2, True), dd))
    onehot = RelationalGraphConv(graph, {"drug": None}, 4)
    dense = RelationalGraphConv(graph, {"drug": 3}, 4)
    with torch.no_grad():
        dense.weights["drug_to_drug"].copy_(onehot.weights["drug_to_drug"].permute(1, 0, 2))
    assert torch.allclose(onehot(graph, {"drug": None})["drug"], dense(graph, {"drug": torch.eye(3)})["drug"])


def test_decoders_against_hand_computation():
    torch.manual_seed(0)
    z = torch.randn(4, 3)
    src, dst, rel = t(0, 2, 3), t(1, 3, 0), t(1, 0, 1)
    assert torch.allclose(InnerProductDecoder()(z, z, src, dst, rel), (z[src] * z[dst]).sum(1))
    dm = DistMultDecoder(2, 3)
    ref = torch.stack([z[s] @ torch.diag(dm.diag[r]) @ z[d] for s, d, r in zip(src, dst, rel, strict=True)])
    assert torch.allclose(dm(z, z, src, dst, rel), ref, atol=1e-6)
    bl = BilinearDecoder(2, 3)
    ref = torch.stack([z[s] @ bl.weight[r] @ z[d] for s, d, r in zip(src, dst, rel, strict=True)])
    assert torch.allclose(bl(z, z, src, dst, rel), ref, atol=1e-6)
    many = torch.randint(0, 4, (100,))  # enough edges for the table path
    ref = torch.stack(
        [z[s] @ bl.weight[r] @ z[d] for s, d, r in zip(many, many.flip(0), many % 2, strict=True)]
    )
    assert torch.allclose(bl(z, z, many, many.flip(0), many % 2), ref, atol=1e-5)
    de = DEDICOMDecoder(2, 3)
    ref = torch.stack(
        [
            z[s] @ torch.diag(de.local[r]) @ de.global_interaction @ torch.diag(de.local[r]) @ z[d]
            for s, d, r in zip(src, dst, rel, strict=True)
        ]
    )
    assert torch.allclose(de(z, z, src, dst, rel), ref, atol=1e-6)


def test_sampler_never_true_edges_and_follows_degree():
    n, num_rel = 30, 2
    gen = torch.Generator().manual_seed(0)
    # relation 0: star around node 0 plus a chain; relation 1: a few edges
    src = [0] * 20 + list(range(20, 29))
    dst = list(range(1, 21)) + list(range(21, 30))
    pos = Triples(t(*src), t(*dst), torch.zeros(len(src), dtype=torch.long))
    pos = Triples.cat([pos, Triples(t(3, 4), t(4, 5), t(1, 1))]).both_directions()
    sampler = DegreeNegativeSampler(pos, n, num_rel, power=0.75)
    queries = pos.subset(torch.randint(0, len(pos), (20000,), generator=gen))
    neg = sampler.corrupt(queries, gen)
    true = set(zip(pos.src.tolist(), pos.dst.tolist(), pos.rel.tolist(), strict=True))
    drawn = list(zip(neg.src.tolist(), neg.dst.tolist(), neg.rel.tolist(), strict=True))
    assert not any(e in true for e in drawn)
    assert not bool((neg.src == neg.dst).any())
    # Without rejection, draws follow deg^0.75 per relation.
    rel = torch.zeros(50000, dtype=torch.long)
    counts = torch.bincount(sampler.draw(rel, gen), minlength=n).double()
    deg = torch.bincount(pos.dst[pos.rel == 0], minlength=n).double()
    expected = deg.pow(0.75) / deg.pow(0.75).sum()
    assert torch.allclose(counts / counts.sum(), expected, atol=0.01)
    assert int(counts[deg == 0].sum()) == 0
    rel1 = sampler.draw(torch.ones(1000, dtype=torch.long), gen)
    assert set(rel1.tolist()) <= {3, 4, 5}
    # Node 4 is linked to all of relation 1's support {3, 5} (and itself): uniform fallback, still valid.
    neg = sampler.corrupt(Triples(t(4, 4), t(5, 3), t(1, 1)), gen)
    assert not bool(sampler.is_excluded(neg).any())


def test_evaluation_negatives_protocols():
    n = 20
    pos = Triples(t(0, 0, 1, 2), t(1, 2, 2, 3), t(0, 0, 0, 1)).both_directions()
    for protocol in ("uniform", "degree-matched"):
        neg = evaluation_negatives(protocol, pos, pos, n, 2, seed=1)
        true = set(zip(pos.src.tolist(), pos.dst.tolist(), pos.rel.tolist(), strict=True))
        assert not any(
            e in true for e in zip(neg.src.tolist(), neg.dst.tolist(), neg.rel.tolist(), strict=True)
        )
        assert torch.equal(neg.rel, pos.rel)
    dm = evaluation_negatives("degree-matched", pos, pos, n, 2, seed=1)
    assert torch.equal(dm.src, pos.src)
    with pytest.raises(ValueError, match="protocol"):
        evaluation_negatives("random", pos, pos, n, 2)


def test_split_keeps_pair_directions_together():
    gen = torch.Generator().manual_seed(0)
    n, num_rel = 40, 3
    i = torch.randint(0, n, (600,), generator=gen)
    j = torch.randint(0, n, (600,), generator=gen)
    keep = i != j
    pairs = Triples(i[keep], j[keep], torch.randint(0, num_rel, (600,), generator=gen)[keep])
    split = split_pairs(pairs, n, num_rel, val=0.1, test=0.2, seed=0)
    parts = {}
    for name in ("train", "val", "test"):
        part = getattr(split, name)
        keys = set(part.keys(n).tolist())
        rev = set(Triples(part.dst, part.src, part.rel).keys(n).tolist())
        assert keys == rev  # both directions present in the same part
        parts[name] = keys
    assert not (parts["train"] & parts["test"]) and not (parts["train"] & parts["val"])
    assert len(parts["train"] | parts["val"] | parts["test"]) == len(split.all_pos)
    # per side effect fractions
    for r in range(num_rel):
        total = int((split.all_pos.rel == r).sum())
        assert abs(int((split.test.rel == r).sum()) - 0.2 * total) <= 2
    leaky = split_pairs(pairs, n, num_rel, val=0.1, test=0.2, seed=0, leak=True)
    train = set(leaky.train.keys(n).tolist())
    reverse_of_test = set(Triples(leaky.test.dst, leaky.test.src, leaky.test.rel).keys(n).tolist())
    assert len(train & reverse_of_test) > 0.5 * len(leaky.test)  # the original code's leak
    with pytest.raises(ValueError, match="self-pairs"):
        split_pairs(Triples(t(1), t(1), t(0)), n, num_rel)


def test_ap_at_k():
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    labels = np.array([1, 0, 1, 0])
    assert ap_at_k(scores, labels, k=50) == pytest.approx((1 + 2 / 3) / 2)
    assert ap_at_k(scores, labels, k=1) == pytest.approx(1.0)
    assert math.isnan(ap_at_k(scores, np.zeros(4), 50))


def test_ap_at_k_breaks_ties_pessimistically():
    labels = np.array([1, 1, 0, 0])
    constant = np.zeros(4)
    assert ap_at_k(constant, labels, 50, ties="authors") == pytest.approx(
        1.0
    )  # the authors' rule, positives first
    # pessimistic: negatives first -> hits at ranks 3 and 4: (1/3 + 2/4) / 2
    assert ap_at_k(constant, labels, 50) == pytest.approx((1 / 3 + 2 / 4) / 2)
    with pytest.raises(ValueError, match="ties"):
        ap_at_k(constant, labels, 50, ties="random")
