"""MMD metrics and 4-node orbit counts of lecturekit.generation.graph_metrics (notebook 05)."""

import networkx as nx
import numpy as np
import pytest
import torch

from lecturekit.generation.graph_descriptors import (
    clustering_histogram,
    degree_histogram,
    mean_orbit_vector,
    orbit_counts,
    orbit_counts_naive,
)
from lecturekit.generation.graph_metrics import (
    mmd_clustering,
    mmd_degree,
    mmd_orbit,
    mmd_squared,
)

torch.set_num_threads(1)


def orbits_of(graph, node):
    counts = orbit_counts(graph)
    return {o: int(c) for o, c in enumerate(counts[list(graph.nodes()).index(node)]) if c}


# ---- hand-counted orbits (ORCA numbering) ---------------------------------------------------------
def test_orbits_path_p4_by_hand():
    g = nx.path_graph(4)  # 0-1-2-3
    assert orbits_of(g, 0) == {0: 1, 1: 1, 4: 1}  # end: one P3 as end, P4 end
    assert orbits_of(g, 1) == {0: 2, 1: 1, 2: 1, 5: 1}  # inner: end of 1-2-3, middle of 0-1-2, P4 inner


def test_orbits_star_by_hand():
    g = nx.star_graph(3)  # centre 0, leaves 1..3
    assert orbits_of(g, 0) == {0: 3, 2: 3, 7: 1}
    assert orbits_of(g, 1) == {0: 1, 1: 2, 6: 1}


def test_orbits_triangle_cycle_k4_by_hand():
    assert orbits_of(nx.complete_graph(3), 0) == {0: 2, 3: 1}
    assert orbits_of(nx.cycle_graph(4), 0) == {0: 2, 1: 2, 2: 1, 8: 1}
    assert orbits_of(nx.complete_graph(4), 0) == {0: 3, 3: 3, 14: 1}


def test_orbits_paw_and_diamond_by_hand():
    paw = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)])  # triangle 0,1,2 with tail 2-3
    assert orbits_of(paw, 3) == {0: 1, 1: 2, 9: 1}  # tail end
    assert orbits_of(paw, 0) == {0: 2, 1: 1, 3: 1, 10: 1}  # degree-2 triangle node
    assert orbits_of(paw, 2) == {0: 3, 2: 2, 3: 1, 11: 1}  # degree-3 node
    diamond = nx.Graph([(0, 2), (0, 3), (1, 2), (1, 3), (2, 3)])  # K4 minus edge 0-1
    assert orbits_of(diamond, 0) == {0: 2, 1: 2, 3: 1, 12: 1}
    assert orbits_of(diamond, 2) == {0: 3, 2: 1, 3: 2, 13: 1}


def test_orbits_disconnected_sets_are_ignored():
    g = nx.disjoint_union(nx.complete_graph(3), nx.empty_graph(1))  # triangle + isolated node
    counts = orbit_counts(g)
    assert counts[3].sum() == 0
    assert counts[:3, 4:].sum() == 0


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_orbits_match_naive(seed):
    g = nx.gnp_random_graph(8, 0.5, seed=seed)
    np.testing.assert_array_equal(orbit_counts(g), orbit_counts_naive(g))


def test_mean_orbit_vector_shape():
    vec = mean_orbit_vector(nx.cycle_graph(5))
    assert vec.shape == (15,)
    assert vec[0] == pytest.approx(2.0)


# ---- descriptors ------------------------------------------------------------------------------------
def test_histograms():
    np.testing.assert_array_equal(degree_histogram(nx.star_graph(3)), [0, 3, 0, 1])
    hist = clustering_histogram(nx.complete_graph(4))
    assert hist.shape == (100,) and hist[-1] == 4 and hist.sum() == 4


def test_emd_kernel_is_cdf_distance():
    # one unit of mass moved by two bins: EMD = 2, k = exp(-4/2) with sigma = 1
    p, q = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    expected = 2 - 2 * np.exp(-2.0)
    assert mmd_squared([p], [q], kernel="emd", sigma=1.0) == pytest.approx(expected)
    # TV between disjoint histograms is 1
    assert mmd_squared([p], [q], kernel="tv", sigma=1.0) == pytest.approx(2 - 2 * np.exp(-0.5))


# ---- MMD properties ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graph_sets():
    a = [nx.gnp_random_graph(14, 0.3, seed=s) for s in range(12)]
    b = [nx.gnp_random_graph(14, 0.3, seed=100 + s) for s in range(12)]
    far = [nx.barabasi_albert_graph(14, 1, seed=s) for s in range(12)]
    return a, b, far


@pytest.mark.parametrize("metric", [mmd_degree, mmd_clustering, mmd_orbit])
@pytest.mark.parametrize("kernel", ["emd", "tv"])
def test_mmd_properties(graph_sets, metric, kernel):
    a, b, far = graph_sets
    assert metric(a, a, kernel=kernel) == pytest.approx(0.0, abs=1e-9)
    assert metric(a, far, kernel=kernel) == pytest.approx(metric(far, a, kernel=kernel))
    assert metric(a, far, kernel=kernel) > metric(a, b, kernel=kernel)


def test_mmd_bad_input():
    with pytest.raises(ValueError, match="kernel"):
        mmd_degree([nx.path_graph(3)], [nx.path_graph(3)], kernel="rbf")
    with pytest.raises(ValueError, match="generated_graphs"):
        mmd_degree([nx.path_graph(3)], [])


def test_mmd_report_matches_public_functions(graph_sets):
    from lecturekit.generation.graph_mmd_tables import mmd_report

    a, b, far = graph_sets
    report = mmd_report(a, {"b": b, "far": far})
    assert set(report) == {"b", "far"}
    assert report["far"]["mmd-degree"] == pytest.approx(mmd_degree(a, far))
    assert report["far"]["mmd-clustering/tv"] == pytest.approx(mmd_clustering(a, far, kernel="tv"))
    assert report["b"]["mmd-orbit"] == pytest.approx(mmd_orbit(a, b))
    assert report["b"]["mmd-orbit/tv"] == pytest.approx(mmd_orbit(a, b, kernel="tv"))


# ---- bad input: refused with the argument named, never a silently wrong statistic ----------------
GOOD = [nx.path_graph(4), nx.cycle_graph(5)]


def _with_self_loop():
    g = nx.path_graph(4)
    g.add_edge(2, 2)
    return g


@pytest.mark.parametrize("metric", [mmd_degree, mmd_clustering, mmd_orbit])
@pytest.mark.parametrize(
    "bad, message",
    [
        (nx.DiGraph([(0, 1), (1, 2)]), "directed"),
        (nx.MultiGraph([(0, 1), (0, 1), (1, 2)]), "multigraph"),
        (nx.Graph(), "0 nodes"),
        (_with_self_loop(), "self-loop"),
    ],
    ids=["directed", "multigraph", "empty", "self-loop"],
)
def test_metrics_refuse_graphs_that_are_not_simple_undirected(metric, bad, message):
    with pytest.raises(ValueError, match=rf"argument 'generated_graphs'\[1\].*{message}"):
        metric(GOOD, [GOOD[0], bad])
    with pytest.raises(ValueError, match=rf"argument 'reference_graphs'\[0\].*{message}"):
        metric([bad], GOOD)


@pytest.mark.parametrize("metric", [mmd_degree, mmd_clustering, mmd_orbit])
@pytest.mark.parametrize("sigma", [0, -1.0, float("nan"), float("inf")])
def test_metrics_refuse_non_positive_sigma(metric, sigma):
    with pytest.raises(ValueError, match="argument 'sigma'"):
        metric(GOOD, GOOD, sigma=sigma)


def test_mmd_squared_refuses_bad_bandwidths_and_descriptors():
    p, q = [np.array([1.0, 0.0])], [np.array([0.0, 1.0])]
    with pytest.raises(ValueError, match="argument 'sigma'"):
        mmd_squared(p, q, sigma=0.0)
    with pytest.raises(ValueError, match="argument 'scale'"):
        mmd_squared(p, q, scale=-2.0)
    with pytest.raises(TypeError, match="argument 'sigma'"):
        mmd_squared(p, q, sigma=True)
    with pytest.raises(ValueError, match=r"argument 'y' is empty"):
        mmd_squared(p, [])
    with pytest.raises(ValueError, match=r"argument 'x'\[0\] must be a 1-D vector"):
        mmd_squared([np.ones((2, 2))], q)
    with pytest.raises(ValueError, match=r"argument 'y'\[0\] holds non-finite"):
        mmd_squared(p, [np.array([np.nan, 1.0])])
    with pytest.raises(ValueError, match="negative entries"):
        mmd_squared(p, [np.array([-1.0, 2.0])])
    # a feature vector (not a histogram) may be negative
    assert mmd_squared(p, [np.array([-1.0, 2.0])], kernel="gaussian", is_hist=False) > 0


def test_graph_sets_must_be_lists_of_graphs():
    with pytest.raises(TypeError, match="single graph"):
        mmd_degree(nx.path_graph(3), GOOD)  # a graph iterates over its nodes: never treat it as a set
    with pytest.raises(TypeError, match="argument 'generated_graphs'.*list"):
        mmd_degree(GOOD, (g for g in GOOD))
    with pytest.raises(TypeError, match=r"argument 'reference_graphs'\[1\] must be a networkx graph"):
        mmd_degree([nx.path_graph(3), "x"], GOOD)
    with pytest.raises(ValueError, match="argument 'reference_graphs' is empty"):
        mmd_orbit([], GOOD)


def test_descriptors_refuse_what_they_cannot_count():
    with pytest.raises(ValueError, match="directed"):
        orbit_counts(nx.DiGraph([(0, 1), (1, 2), (2, 0)]))
    with pytest.raises(ValueError, match="self-loop"):
        orbit_counts(_with_self_loop())  # used to drop the loop silently while degrees counted it twice
    with pytest.raises(ValueError, match="self-loop"):
        degree_histogram(_with_self_loop())
    with pytest.raises(ValueError, match="0 nodes"):
        mean_orbit_vector(nx.Graph())  # the mean over no nodes used to be a silent zero vector
    with pytest.raises(ValueError, match="argument 'bins'"):
        clustering_histogram(nx.path_graph(3), bins=0)
    assert orbit_counts(nx.Graph()).shape == (0, 15)  # well defined: no nodes, no rows


def test_mmd_report_checks_every_generated_set():
    from lecturekit.generation.graph_mmd_tables import mmd_report

    with pytest.raises(ValueError, match=r"argument 'generated'\['b'\]\[0\].*directed"):
        mmd_report(GOOD, {"a": GOOD, "b": [nx.DiGraph([(0, 1)])]})
    with pytest.raises(ValueError, match="argument 'generated' is empty"):
        mmd_report(GOOD, {})
    with pytest.raises(ValueError, match="argument 'kernels'"):
        mmd_report(GOOD, {"a": GOOD}, kernels=())
    with pytest.raises(ValueError, match="argument 'kernel'"):
        mmd_report(GOOD, {"a": GOOD}, kernels=("rbf",))
    with pytest.raises(TypeError, match="argument 'generated'"):
        mmd_report(GOOD, [GOOD])


def test_mmd_terms_expose_saturation():
    from lecturekit.generation.graph_metrics import mmd_terms

    # two disjoint one-bin histograms per side: TV = 1 between any two distinct ones, so with sigma = 0.1
    # the cross term is exp(-50) ~ 0 and the MMD is the within-set similarity alone
    x = [np.eye(4)[0], np.eye(4)[1]]
    y = [np.eye(4)[2], np.eye(4)[3]]
    terms = mmd_terms(x, y, kernel="tv", sigma=0.1)
    assert terms.xy < 1e-20
    assert terms.mmd2 == pytest.approx(terms.xx + terms.yy) == pytest.approx(0.5 + 0.5)
    assert mmd_squared(x, y, kernel="tv", sigma=0.1) == pytest.approx(terms.mmd2)


# ---- issue 13: unbiased estimate, per-test-graph parts, bootstrap, bandwidth sweep ------------------
def _sets():
    import networkx as nx

    from lecturekit.generation.graph_descriptors import degree_histogram

    x = [degree_histogram(nx.gnp_random_graph(12, 0.3, seed=s)) for s in range(15)]
    y = [degree_histogram(nx.barabasi_albert_graph(12, 2, seed=s)) for s in range(10)]
    return x, y


def test_unbiased_mmd_drops_the_self_pairs():
    from lecturekit.generation.graph_metrics import mmd_terms

    x, y = _sets()
    terms = mmd_terms(x, y)
    n, m = len(x), len(y)
    # biased xx = ((n - 1) xx_u + 1) / n, since k(x, x) = 1
    assert np.isclose(terms.xx, ((n - 1) * terms.xx_unbiased + 1) / n)
    assert np.isclose(terms.yy, ((m - 1) * terms.yy_unbiased + 1) / m)
    assert terms.mmd2 > terms.mmd2_unbiased
    # two samples of one distribution: the unbiased estimate centres on 0, the biased one does not
    same = mmd_terms(x[:7], x[7:])
    assert same.mmd2_unbiased < same.mmd2 and abs(same.mmd2_unbiased) < same.mmd2
    assert np.isnan(mmd_terms(x[:1], y).xx_unbiased)


def test_kernel_parts_rebuild_the_mmd_and_bootstrap_around_it():
    from lecturekit.generation.graph_metrics import bootstrap_mmd, kernel_parts, mmd_terms, resampled_mmd2

    x, y = _sets()
    parts, terms = kernel_parts(x, y), mmd_terms(x, y)
    assert np.isclose(parts.mmd2(), terms.mmd2) and np.isclose(parts.mmd2(unbiased=True), terms.mmd2_unbiased)
    # a resample that repeats graph 0: the unbiased estimate leaves the copies' pairs out
    index = np.array([0, 0, 1, 2])
    sub = parts.ref_gram[np.ix_([0, 1, 2], [0, 1, 2])]
    expected_xx = (
        2 * sub[0, 1] * 2 + 2 * sub[0, 2] * 2 + 2 * sub[1, 2]
    ) / 10  # 10 ordered distinct-graph pairs
    got = (
        resampled_mmd2(parts.ref_gram, parts.cross, 0.0, index, unbiased=True) + 2 * parts.cross[index].mean()
    )
    assert np.isclose(got, expected_xx)
    estimate, low, high = bootstrap_mmd(
        parts.ref_gram, parts.cross, parts.yy_unbiased, unbiased=True, num_resamples=300
    )
    assert np.isclose(estimate, terms.mmd2_unbiased) and low < estimate < high
    with pytest.raises(ValueError, match="argument 'num_resamples'"):
        bootstrap_mmd(parts.ref_gram, parts.cross, parts.yy, num_resamples=0)
    with pytest.raises(ValueError, match="argument 'ref_gram'"):
        bootstrap_mmd(parts.ref_gram[:3, :3], parts.cross, parts.yy)


def test_kernel_table_matches_mmd_report_and_shares_the_test_gram():
    import networkx as nx

    from lecturekit.generation.graph_mmd_tables import kernel_table, mmd_report

    ref = [nx.cycle_graph(n) for n in range(4, 9)]
    gen = {"a": [nx.path_graph(n) for n in range(4, 10)], "b": [nx.star_graph(n) for n in range(3, 7)]}
    parts, report = kernel_table(ref, gen), mmd_report(ref, gen)
    for method in gen:
        for metric, value in report[method].items():
            assert np.isclose(parts[method][metric].mmd2(), value)
    assert parts["a"]["mmd-degree"].ref_gram is parts["b"]["mmd-degree"].ref_gram


def test_sigma_sweep_matches_single_bandwidths():
    from lecturekit.generation.graph_metrics import mmd_sigma_sweep, mmd_terms

    x, y = _sets()
    sweep = mmd_sigma_sweep(x, y, (0.5, 1.0, 4.0))
    for sigma, terms in zip((0.5, 1.0, 4.0), sweep, strict=True):
        direct = mmd_terms(x, y, sigma=sigma)
        assert np.isclose(terms.mmd2, direct.mmd2) and np.isclose(terms.mmd2_unbiased, direct.mmd2_unbiased)
    with pytest.raises(ValueError, match="argument 'sigmas'"):
        mmd_sigma_sweep(x, y, ())
    with pytest.raises(ValueError, match="argument 'sigmas'"):
        mmd_sigma_sweep(x, y, (1.0, -1.0))
