"""Notebook 02's experiments: frozen config and profiles, budget chosen on validation, reproducible
run_seed over every test pair with strata, the regime map, rows named by the rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from lecturekit.ranking import fast_ranks
from lecturekit.recsys.metrics import rank_of_targets
from lecturekit.recsys.pinsage.evaluation import (
    STRATA,
    RankingResult,
    evaluate_related,
    lookalike_mix,
    strata,
)
from lecturekit.results import METRIC_NAME
from lecturekit.studies.contract import check_frozen, collect_rows
from lecturekit.studies.nb02_pinsage import COURSE, PROFILES, PinSageExperiment, run_seed, run_selection
from lecturekit.studies.nb02_pinsage_results import (
    MOVIELENS_METHODS,
    PINBOARD_METHODS,
    REGIME_METHODS,
    MovieLensResult,
    pooled_hits,
)
from lecturekit.studies.nb02_regime import RegimeResult, run_regime_seed

torch.set_num_threads(1)

TINY = dataclasses.replace(
    PROFILES.quick,
    num_pins=800,
    gnn=dataclasses.replace(PROFILES.quick.gnn, epochs=2, steps_per_epoch=3, hidden_dim=8, lr=3e-3),
    hard=dataclasses.replace(PROFILES.quick.hard, max_hard=1, num_walks=30),
    references=dataclasses.replace(PROFILES.quick.references, val_pairs=50),
    selection=dataclasses.replace(PROFILES.quick.selection, t_values=(5, 10), lr_values=(3e-3, 1e-2)),
    regime=dataclasses.replace(
        PROFILES.quick.regime, num_pins=600, epochs=1, steps_per_epoch=2, hidden_dim=8
    ),
)


def test_config_is_frozen_and_profiles_are_replacements_of_the_course() -> None:
    for name in ("quick", "course", "full"):
        check_frozen(PROFILES.get(name), name)
    assert PROFILES.course == PinSageExperiment() == COURSE
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.num_pins = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.gnn.lr = 1.0  # type: ignore[misc]
    assert PROFILES.quick.gnn.num_workers == 0 and PROFILES.course.gnn.num_workers == 1
    assert COURSE.num_pins == 20_000 and COURSE.selection.t_values == (10, 20, 50)


def test_bad_config_values_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="num_pins"):
        dataclasses.replace(COURSE, num_pins=0)
    with pytest.raises(ValueError, match="t_values"):
        dataclasses.replace(COURSE, selection=dataclasses.replace(COURSE.selection, t_values=()))
    with pytest.raises(ValueError, match="lr_values"):
        dataclasses.replace(COURSE, selection=dataclasses.replace(COURSE.selection, lr_values=(0.0,)))


@pytest.fixture(scope="module")
def selection():
    return run_selection(TINY, 0, progress=False)


@pytest.fixture(scope="module")
def result(selection):
    return run_seed(selection.apply(TINY), 0, progress=False)


def test_selection_reads_validation_only_and_picks_the_best_curve_point(selection) -> None:
    assert set(selection.curves) >= {(5, 3e-3), (10, 3e-3)}
    assert all(len(c) == TINY.gnn.epochs for c in selection.curves.values())
    best = max(max(c) for c in selection.curves.values())
    assert max(selection.curves[(selection.top_t, selection.lr)]) == best
    assert selection.curves[(selection.top_t, selection.lr)][selection.epochs - 1] == best
    chosen = selection.apply(TINY)
    assert (chosen.walks.top_t, chosen.gnn.lr, chosen.gnn.epochs) == (
        selection.top_t,
        selection.lr,
        selection.epochs,
    )
    for row in selection.rows():
        assert METRIC_NAME.fullmatch(row.metric) and not row.comparable
    assert any(
        row.method == "pinsage-untrained" and row.value == selection.untrained for row in selection.rows()
    )


def test_the_untrained_reference_is_importance_smoothed_or_feature_knn_on_the_validation_pairs() -> None:
    from lecturekit.recsys.pinsage import feature_scorer, pinboard_task
    from lecturekit.recsys.pinsage.baselines import smoothed_embeddings
    from lecturekit.recsys.pinsage.batching import NeighborTable
    from lecturekit.recsys.pinsage.evaluation import embedding_scorer, evaluate_related
    from lecturekit.studies.nb02_pinsage import make_world, untrained_validation_hit
    from lecturekit.studies.pinsage_runner import make_sampler, validation_subsample

    task = pinboard_task(make_world(TINY, 0), seed=0)
    val = validation_subsample(task, 200, 0)
    x = task.features["combined"]
    knn = evaluate_related(feature_scorer(x), val, task.num_items).hit_rate
    wide = dataclasses.replace(TINY, gnn=dataclasses.replace(TINY.gnn, hidden_dim=x.shape[1] + 1))
    assert untrained_validation_hit(task, wide, 0, 5, val, 0.0) == pytest.approx(
        knn, abs=2 / len(val)
    )  # float ties
    table = NeighborTable(
        make_sampler(task, dataclasses.replace(TINY.walks, top_t=5), 0, split="val").sample, task.num_items
    )
    smoothed = smoothed_embeddings(x, table.neighbors, table.weights, 2.0)
    reference = evaluate_related(embedding_scorer(smoothed), val, task.num_items).hit_rate
    assert untrained_validation_hit(task, wide, 0, 5, val, 2.0) == pytest.approx(reference, abs=2 / len(val))
    assert 0 <= untrained_validation_hit(task, TINY, 0, 5, val, 2.0) <= 1  # narrower: a projection


def _fingerprint(result) -> dict:
    out = {m: r.ranks.tolist() for m, r in result.rankings.items()}
    out["lookalike"] = [dataclasses.astuple(v) for v in result.lookalike.values()]
    return out


def test_run_seed_is_reproducible_and_independent_of_global_rng(result, selection) -> None:
    torch.rand(1000)
    np.random.rand(1000)
    again = run_seed(selection.apply(TINY), 0, progress=False)
    assert _fingerprint(again) == _fingerprint(result)


def test_every_test_pair_is_ranked_and_strata_partition_the_queries(result) -> None:
    assert set(result.validation) == {"pinsage-untrained", "pinsage"}
    assert all(0 <= v <= 1 for v in result.validation.values())
    d = result.diagnosis  # what training added to its start, on the validation pairs
    assert d.gain == pytest.approx(d.trained - d.untrained) and 0 <= d.two_hop <= 1
    assert set(d.moved) == {"R", "S"} and all(v > 0 for v in d.moved.values()) and d.branch_norm > 0
    assert set(d.strata) == {"untrained", "trained"} and set(d.strata["trained"]) <= set(STRATA)
    task = result.task
    assert all(len(r.ranks) == len(task.test_pairs) for r in result.rankings.values())
    for method in PINBOARD_METHODS:
        by = result.strata[method]
        query_strata = [s for s in STRATA if s.endswith("-query")]
        assert sum(len(by[s].ranks) for s in query_strata if s in by) == len(task.test_pairs)
    degree = task.degree()
    new_targets = int((degree[task.test_pairs[:, 1]] == 0).sum())
    assert new_targets > 0 and len(result.strata["pinsage"]["new-target"].ranks) == new_targets


def test_rows_follow_the_naming_rule_and_say_they_are_not_comparable(result) -> None:
    rows = result.rows()
    assert {r.method for r in rows} == set(PINBOARD_METHODS)
    metrics = {r.metric for r in rows}
    assert {
        "hit-rate",
        "mrr-scaled",
        "hit-rate/new-query",
        "hit-rate/new-target",
        "mrr-scaled/new-query",
    } <= metrics
    for row in rows:
        assert METRIC_NAME.fullmatch(row.metric), row.metric
        assert row.dataset == "pinboard" and not row.comparable and row.note
    paper = {(r.method, r.metric): r.paper for r in rows}
    assert paper[("pinsage", "hit-rate")] == 0.67 and paper[("pinsage-random-negatives", "hit-rate")] is None
    assert paper[("pinsage", "hit-rate/new-query")] is None
    assert collect_rows([result])


def test_regime_map_rows() -> None:
    regime = run_regime_seed(TINY, 0, progress=False)
    assert len(regime.cells) == 9
    strengths = {f: regime.feature_strength[(f, "medium")] for f in ("weak", "medium", "strong")}
    assert strengths["weak"] < strengths["medium"] < strengths["strong"]
    datasets = {r.dataset for r in regime.rows()}
    assert "pinboard-regime/features=weak,density=sparse" in datasets and len(datasets) == 9
    assert {r.method for r in regime.rows()} == set(REGIME_METHODS)
    assert all(METRIC_NAME.fullmatch(r.metric) and not r.comparable for r in regime.rows())


def test_regime_margins_name_the_winner_and_call_a_tie_a_tie() -> None:
    gen = torch.Generator().manual_seed(0)
    hit, miss = torch.ones(400, dtype=torch.long), torch.full((400,), 50)
    coin = torch.where(torch.rand(400, generator=gen) < 0.5, 1, 50)

    def cell(**hits):
        return {m: RankingResult(hits.get(m, miss), k=10, scale=2.0) for m in REGIME_METHODS}

    clear = cell(pixie=hit, pinsage=coin)  # pixie hits every pair, pinsage half of them
    first_miss = int(torch.nonzero(coin != 1)[0])
    close = cell(pixie=coin, pinsage=torch.where(torch.arange(400) == first_miss, 1, coin))  # one pair apart
    regime = RegimeResult(
        seed=0,
        seconds=0.0,
        k=10,
        num_pins=100,
        cells={("weak", "sparse"): clear, ("weak", "dense"): close},
        feature_strength={},
        epochs=1,
        steps_per_epoch=1,
    )
    margins = regime.margins()
    won = margins[("weak", "sparse")]
    assert (won.best, won.runner_up, won.decided) == ("pixie", "pinsage", True)
    assert won.difference.estimate == pytest.approx(1 - float((coin == 1).double().mean()))
    tied = margins[("weak", "dense")]
    assert (tied.best, tied.runner_up) == ("pinsage", "pixie") and not tied.decided
    assert tied.difference.low <= 0 <= tied.difference.high


def test_movielens_rows() -> None:
    ranks = RankingResult(torch.tensor([1, 5, 30]), k=10, scale=2.0)
    result = MovieLensResult(
        seed=0,
        seconds=0.0,
        k=10,
        scale=2.0,
        num_items=100,
        rankings={m: ranks for m in MOVIELENS_METHODS},
        strata={m: {"head-query": ranks} for m in MOVIELENS_METHODS},
    )
    rows = result.rows()
    assert {r.dataset for r in rows} == {"movielens-100k"}
    assert {r.metric for r in rows} == {
        "hit-rate",
        "mrr-scaled",
        "hit-rate/head-query",
        "mrr-scaled/head-query",
    }
    assert all(not r.comparable and r.paper is None for r in rows)


def test_fast_ranks_match_the_reference_with_ties() -> None:
    gen = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 4, (50, 300), generator=gen).float()  # many ties
    scores[:10] = torch.randn(10, 300, generator=gen)
    targets = torch.randint(0, 300, (50,), generator=gen)
    assert torch.equal(fast_ranks(scores, targets), rank_of_targets(scores, targets))
    scores[3, 7] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        fast_ranks(scores, targets)


def test_strata_split_by_query_degree_and_new_target() -> None:
    pairs = torch.tensor([[0, 1], [1, 2], [2, 3], [3, 0]])
    degree = torch.tensor([0, 2, 5, 9])
    result = evaluate_related(
        lambda q: torch.rand(len(q), 4, generator=torch.Generator().manual_seed(0)), pairs, 4
    )
    by = strata(result, pairs, degree)
    assert {s: len(r.ranks) for s, r in by.items()} == {
        "new-query": 1,
        "tail-query": 1,
        "torso-query": 1,
        "head-query": 1,
        "new-target": 1,
    }
    with pytest.raises(ValueError, match="pairs"):
        strata(result, pairs[:2], degree)


def test_lookalike_mix() -> None:
    category = torch.tensor([0, 0, 1, 1, 2, 2])
    lookalike = torch.tensor([1, 0, 2])
    scores = torch.tensor([[0, 1, 0.9, 0.8, 0, 0]] * 6, dtype=torch.float)
    mix = lookalike_mix(lambda q: scores[q], torch.tensor([0]), category, lookalike, k=3)
    assert mix.same_category == pytest.approx(1 / 3) and mix.lookalike_category == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="queries"):
        lookalike_mix(lambda q: scores[q], torch.tensor([]), category, lookalike)


def test_pooled_hits_pair_queries_across_seeds_and_strata(result) -> None:
    hits = pooled_hits([result], "pinsage")
    assert hits.shape == (len(result.task.test_pairs),)
    assert (
        pooled_hits([result], "pixie", "new-query").shape
        == pooled_hits([result], "combined", "new-query").shape
    )
    with pytest.raises(ValueError, match="stratum"):
        pooled_hits([result], "pinsage", "old")
    with pytest.raises(ValueError, match="empty"):
        pooled_hits([], "pinsage")


def test_the_pinsage_row_trains_with_the_hard_negative_curriculum() -> None:
    """02's ``pinsage`` row is PinSage *with* the paper's curriculum (epoch n adds n - 1 hard negatives);
    ``pinsage-random-negatives`` never draws one. Fails if the row silently loses its hard negatives."""
    from lecturekit.recsys.pinsage import pinboard_task
    from lecturekit.studies.nb02_pinsage import make_world, train_gnns
    from lecturekit.studies.nb02_pinsage_results import VARIANTS

    assert (
        VARIANTS["pinsage"].hard == "curriculum"
        and VARIANTS["pinsage-random-negatives"].hard == "random-only"
    )
    task = pinboard_task(make_world(TINY, 0), seed=0)
    config = dataclasses.replace(TINY, gnn=dataclasses.replace(TINY.gnn, epochs=3))
    runs = train_gnns(task, config, 0, 2.0, methods=("pinsage", "pinsage-random-negatives"), progress=False)
    assert runs["pinsage"].history.num_hard == [
        0,
        1,
        1,
    ]  # epoch n adds n - 1, capped at TINY.hard.max_hard = 1
    assert runs["pinsage-random-negatives"].history.num_hard == [0, 0, 0]
    assert not torch.equal(runs["pinsage"].embeddings, runs["pinsage-random-negatives"].embeddings)
