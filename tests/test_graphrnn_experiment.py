"""Notebook 05's experiment shape: frozen config and profiles, run_seed, rows and the generated discussion."""

import dataclasses
from dataclasses import replace

import numpy as np
import pytest
import torch

from lecturekit.experiment import check_frozen, collect_rows
from lecturekit.generation.graphrnn.discussion import difference, discussion_markdown, verdict
from lecturekit.generation.graphrnn.experiment import (
    COURSE,
    FLOOR,
    METHODS,
    METRIC_NAMES,
    PROFILES,
    DatasetResult,
    DatasetSettings,
    GraphRNNExperiment,
    GraphRNNResult,
    MethodScores,
    count_isomorphic_copies,
    run_seed,
)
from lecturekit.results import METRIC_NAME

torch.set_num_threads(1)

TINY = replace(PROFILES.quick, datasets=(DatasetSettings("grid", num_graphs=10, steps=3),), num_sample_draws=2)


# ---- config -------------------------------------------------------------------------------------
def test_config_is_frozen_and_course_is_the_default():
    for profile in ("quick", "course", "full"):
        check_frozen(PROFILES.get(profile))
    assert PROFILES.course == GraphRNNExperiment() == COURSE
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.lr = 1.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.datasets[0].steps = 1  # type: ignore[misc]


def test_profiles_keep_the_sizes_of_before_the_refactor():
    # the numbers of config.sizes("graphrnn") when this config replaced it (the shape changed, not the runs)
    expected = {
        "quick": ({"community-small": (15, 8), "grid": (15, 8), "ego-small": (15, 8)}, 16, 3e-3, 1, 32, 5, 1),
        "course": ({"community-small": (100, 1500), "grid": (100, 600), "ego-small": (200, 600)}, 32, 3e-3, 1, 64, 20, 4),
        "full": ({"community-small": (100, 96000), "grid": (100, 96000), "ego-small": (200, 96000)}, 32, 3e-3, 4, 64, 100, 4),
    }
    for profile, (per_dataset, batch, lr, layers, hidden, orderings, draws) in expected.items():
        config = PROFILES.get(profile)
        assert {d.name: (d.num_graphs, d.steps) for d in config.datasets} == per_dataset
        assert [d.name for d in config.datasets] == ["community-small", "grid", "ego-small"]
        assert (config.batch_size, config.lr, config.num_layers, config.hidden_dim, config.m_orderings,
                config.num_sample_draws) == (batch, lr, layers, hidden, orderings, draws)
        assert (config.num_train_seeds, config.data_seed) == (1, 0)  # one training seed, fixed data


def test_profiles_differ_from_course_only_in_sizes():
    for profile in ("quick", "full"):
        config = PROFILES.get(profile)
        changed = {f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(COURSE, f.name)}
        assert changed <= {"datasets", "batch_size", "hidden_dim", "num_layers", "m_orderings", "num_sample_draws"}
        assert [d.name for d in config.datasets] == [d.name for d in COURSE.datasets]


def test_config_refuses_bad_settings():
    with pytest.raises(ValueError, match="name must be one of"):
        DatasetSettings("citeseer", 10, 5)
    with pytest.raises(ValueError, match="num_graphs >= 2"):
        DatasetSettings("grid", 1, 5)
    with pytest.raises(ValueError, match="distinct datasets"):
        GraphRNNExperiment(datasets=(DatasetSettings("grid", 10, 5), DatasetSettings("grid", 20, 5)))
    with pytest.raises(ValueError, match="num_sample_draws"):
        replace(COURSE, num_sample_draws=0)
    with pytest.raises(KeyError, match="not in this config"):
        TINY.dataset("ego-small")


# ---- run_seed -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run():
    return run_seed(TINY, 0)


def _values(result):
    return [(r.dataset, r.method, r.metric, r.value) for r in result.rows()]


def test_run_seed_is_reproducible_and_ignores_global_rng(tiny_run):
    torch.manual_seed(123)
    np.random.seed(7)
    torch.rand(100)  # a cell that ran before must not change the result
    before = torch.get_rng_state()
    again = run_seed(TINY, 0)
    assert torch.equal(torch.get_rng_state(), before)  # and the run leaves the global stream alone
    assert _values(again) == _values(tiny_run)
    losses = [(c.steps, c.loss) for c in again.dataset("grid").curves]  # seconds differ, the losses may not
    assert losses == [(c.steps, c.loss) for c in tiny_run.dataset("grid").curves]
    other = run_seed(TINY, 1)
    assert _values(other) != _values(tiny_run)


def test_result_is_typed_and_complete(tiny_run):
    assert isinstance(tiny_run, GraphRNNResult) and tiny_run.num_draws == 2
    data = tiny_run.dataset("grid")
    assert [s.method for s in data.scores] == list(METHODS)
    for scores in data.scores:
        for metric in METRIC_NAMES:
            assert len(scores.values(metric)) == 2
    floor = data.method(FLOOR)
    assert floor.values("mmd-degree")[0] == floor.values("mmd-degree")[1]  # no sampling in the floor
    assert [c.variant for c in data.curves] == ["graphrnn", "graphrnn-s"]
    assert len(data.samples("graphrnn")) == data.num_train
    assert len(data.bfs_spans) == data.num_train * TINY.m_orderings
    assert 0 <= data.test_in_train <= data.num_test


def test_rows_follow_the_naming_rule_and_say_not_comparable(tiny_run):
    rows = tiny_run.rows()
    assert len(rows) == len(METHODS) * len(METRIC_NAMES)
    for row in rows:
        assert METRIC_NAME.fullmatch(row.metric), row.metric
        assert row.comparable is False and row.note
        assert row.paper is None  # the paper has no small-grid numbers
    merged = collect_rows([tiny_run, run_seed(TINY, 1)])
    assert all(isinstance(r.value, list) and len(r.value) == 2 for r in merged)


def test_ego_small_note_says_not_comparable_to_citeseer():
    config = replace(TINY, datasets=(DatasetSettings("ego-small", num_graphs=10, steps=2),), num_sample_draws=1)
    rows = run_seed(config, 0).rows()
    graphrnn_degree = next(r for r in rows if r.method == "graphrnn" and r.metric == "mmd-degree")
    assert graphrnn_degree.paper == 0.0003 and graphrnn_degree.comparable is False
    assert "NOT comparable" in graphrnn_degree.note and "Citeseer" in graphrnn_degree.note


def test_isomorphic_copies_are_counted():
    import networkx as nx

    train = [nx.path_graph(4), nx.cycle_graph(4)]
    test = [nx.relabel_nodes(nx.cycle_graph(4), {0: 3, 3: 0}), nx.star_graph(3), nx.path_graph(5)]
    assert count_isomorphic_copies(test, train) == 1


# ---- generated discussion -----------------------------------------------------------------------
def _fake_result(seed, values, cross=1.0, num_draws=4):
    """A result on community-small whose MMDs are ``values[method]`` per draw for every metric."""
    scores = tuple(
        MethodScores(m, mmd=tuple(tuple(values[m]) for _ in METRIC_NAMES),
                     cross=tuple(tuple([cross[m] if isinstance(cross, dict) else cross] * num_draws) for _ in METRIC_NAMES))
        for m in METHODS
    )
    data = DatasetResult("community-small", 80, 20, 20, 15, (1, 2), (5, 9), 0, scores, (), ())
    return GraphRNNResult(seed=seed, seconds=1.0, datasets=(data,), num_draws=num_draws)


def test_verdicts_need_an_interval_that_excludes_zero():
    values = {"graphrnn": [0.10, 0.11, 0.09, 0.10], "graphrnn-s": [0.2, 0.05, 0.3, 0.1],
              "erdos-renyi": [0.30, 0.31, 0.29, 0.30], "barabasi-albert": [0.12, 0.05, 0.2, 0.02],
              FLOOR: [0.05] * 4}
    result = _fake_result(0, values)
    assert verdict(difference([result], "community-small", "graphrnn", "erdos-renyi", "mmd-degree")) == "lower"
    assert verdict(difference([result], "community-small", "graphrnn", "barabasi-albert", "mmd-degree")) == "indistinguishable"
    assert verdict(difference([result], "community-small", "erdos-renyi", "graphrnn", "mmd-degree")) == "higher"
    text = discussion_markdown([result])
    assert "lower MMD than Erdős–Rényi on 1 of 1 datasets (community-small)" in text
    assert "Barabási–Albert on 0 of 1 datasets" in text
    assert "sampling noise only" in text
    assert "saturated" not in text.split("**Saturation.**")[0]  # no cell is marked saturated


def test_a_single_draw_is_never_called_a_win():
    values = {m: [v] for m, v in zip(METHODS, (0.1, 0.2, 0.3, 0.4, 0.05), strict=True)}
    result = _fake_result(0, values, num_draws=1)
    assert verdict(difference([result], "community-small", "graphrnn", "erdos-renyi", "mmd-degree")) == "untested"
    text = discussion_markdown([result])
    assert "on 0 of 1 datasets" in text and "untested" in text and "no interval" in text
    assert "[" not in text.split("|---|")[-1].split("\n* ")[0]  # no zero-width interval in the table


def test_saturation_is_reported_when_every_method_saturates():
    values = {m: [0.062] * 4 for m in METHODS}
    text = discussion_markdown([_fake_result(0, values, cross=1e-9)])
    assert "saturated for every method, the floor included" in text and "no method wins it" in text
    partial = {m: (1e-9 if m == "erdos-renyi" else 0.5) for m in METHODS}
    text = discussion_markdown([_fake_result(0, values, cross=partial)])
    assert "saturated for every method" not in text and "saturated for Erdős–Rényi" in text
    text = discussion_markdown([_fake_result(0, values, cross=0.5)])
    assert "No MMD saturated" in text


def test_several_seeds_use_intervals_over_seeds():
    base = {"graphrnn": [0.1] * 4, "graphrnn-s": [0.2] * 4, "erdos-renyi": [0.3] * 4,
            "barabasi-albert": [0.4] * 4, FLOOR: [0.05] * 4}
    shifted = {m: [v + 0.01 for v in vs] for m, vs in base.items()}
    results = [_fake_result(0, base), _fake_result(1, shifted), _fake_result(2, base)]
    diff = difference(results, "community-small", "graphrnn", "erdos-renyi", "mmd-degree")
    assert diff.n == 3 and diff.high < 0
    assert "over 3 training seeds" in discussion_markdown(results)
    with pytest.raises(ValueError, match="empty"):
        discussion_markdown([])
