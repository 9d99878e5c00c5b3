"""Notebook 02's experiment shape: frozen config and profiles, reproducible run_seed, rows named by the rule."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from legacy_sizes import legacy_sizes

from lecturekit.experiment import check_frozen, collect_rows
from lecturekit.recsys.pinsage.evaluation import RankingResult, lookalike_mix
from lecturekit.recsys.pinsage.experiment import (
    COURSE,
    MIN_NEW_PIN_PAIRS,
    MOVIELENS_METHODS,
    PINBOARD_METHODS,
    PROFILES,
    MovieLensResult,
    PinSageExperiment,
    run_seed,
)
from lecturekit.results import METRIC_NAME

torch.set_num_threads(1)

TINY = dataclasses.replace(
    PROFILES.quick, num_pins=600, test_pairs=60, t_values=(5, 10), detail_seeds=(0,),
    gnn=dataclasses.replace(PROFILES.quick.gnn, epochs=1, steps_per_epoch=3, hidden_dim=8),
)  # fmt: skip


def test_config_is_frozen_and_profiles_are_replacements_of_the_course() -> None:
    for name in ("quick", "course", "full"):
        check_frozen(PROFILES.get(name), name)
    assert PROFILES.course == PinSageExperiment() == COURSE
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.num_pins = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.gnn.lr = 1.0  # type: ignore[misc]
    assert PROFILES.quick.gnn.num_workers == 0 and PROFILES.course.gnn.num_workers == 1


@pytest.mark.parametrize("profile", ["quick", "course", "full"])
def test_profiles_keep_the_sizes_of_the_old_config_section(profile) -> None:
    old, new = legacy_sizes("pinsage", profile), PROFILES.get(profile)
    expected = {
        "num_pins": new.num_pins, "num_seeds": new.num_seeds, "test_pairs": new.test_pairs,
        "num_walks": new.walks.num_walks, "walk_length": new.walks.walk_length, "restart_prob": new.walks.restart_prob,
        "top_t": new.walks.top_t, "t_values": list(new.t_values), "hidden_dim": new.gnn.hidden_dim,
        "epochs": new.gnn.epochs, "steps_per_epoch": new.gnn.steps_per_epoch, "batch_size": new.gnn.batch_size,
        "num_negatives": new.gnn.num_negatives, "margin": new.gnn.margin, "lr": new.gnn.lr,
        "num_workers": new.gnn.num_workers, "pixie_rounds": new.pixie_rounds, "ml_epochs": new.movielens.epochs,
        "ml_steps_per_epoch": new.movielens.steps_per_epoch,
    }  # fmt: skip
    assert {k: old[k] for k in expected} == expected


def test_bad_config_values_are_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="num_pins"):
        dataclasses.replace(COURSE, num_pins=0)
    with pytest.raises(ValueError, match="t_values"):
        dataclasses.replace(COURSE, t_values=())
    with pytest.raises(ValueError, match="test_pairs"):
        dataclasses.replace(COURSE, test_pairs=2.5)


@pytest.fixture(scope="module")
def result():
    return run_seed(TINY, 0, progress=False)


def _fingerprint(result) -> dict:
    out = {m: r.ranks.tolist() for m, r in result.rankings.items()}
    out.update({f"T={t}": r.ranks.tolist() for t, r in result.t_sweep.items()})
    out["lookalike"] = [dataclasses.astuple(v) for v in result.lookalike.values()]
    return out


def test_run_seed_is_reproducible_and_independent_of_global_rng(result) -> None:
    torch.rand(100)  # a cell before used the global generators
    np.random.rand(10)
    torch.manual_seed(12345)
    again = run_seed(TINY, 0, progress=False)
    assert _fingerprint(again) == _fingerprint(result)
    assert all(torch.equal(a, b) for a, b in zip(again.pinsage.state_dict().values(),
                                                 result.pinsage.state_dict().values(), strict=True))  # fmt: skip


def test_detail_seeds_add_curves_and_the_t_sweep_only(result) -> None:
    assert set(result.t_sweep) == {5, 10}
    assert all(len(h.evaluations) == TINY.gnn.epochs for h in result.histories.values())
    other = run_seed(dataclasses.replace(TINY, detail_seeds=()), 0, progress=False)
    assert other.t_sweep == {} and all(h.evaluations == [] for h in other.histories.values())
    assert {m: r.ranks.tolist() for m, r in other.rankings.items()} == {m: r.ranks.tolist() for m, r in result.rankings.items()}


def test_rows_follow_the_naming_rule_and_say_they_are_not_comparable(result) -> None:
    rows = result.rows()
    assert {r.method for r in rows} == set(PINBOARD_METHODS)
    assert {r.metric for r in rows} >= {"hit-rate", "mrr-scaled"}
    for row in rows:
        assert METRIC_NAME.fullmatch(row.metric), row.metric
        assert row.dataset == "pinboard" and row.comparable is False
        assert "planted" in row.note and "5M" in row.note
    paper = {(r.method, r.metric): r.paper for r in rows}
    assert paper[("pinsage", "hit-rate")] == 0.67 and paper[("pixie", "hit-rate")] is None
    merged = collect_rows([result, dataclasses.replace(result, seed=1)])
    assert all(isinstance(r.value, list) and len(r.value) == 2 for r in merged)


def test_new_pin_queries_are_ranked_and_recorded_as_strata(result) -> None:
    cold = result.task.extra["split"].cold_pairs
    assert len(cold) >= MIN_NEW_PIN_PAIRS  # this tiny world has a few held-out pairs with a new query pin
    assert set(result.new_pin) == {"pinsage", "pixie", "pinsage/isolated", "pixie/isolated"}
    assert all(r.ranks.numel() == len(cold) for r in result.new_pin.values())
    new = [r for r in result.rows() if "/" in r.metric]
    assert {r.metric for r in new} == {"hit-rate/new-query", "mrr-scaled/new-query", "hit-rate/new-query/isolated",
                                       "mrr-scaled/new-query/isolated"}  # fmt: skip
    assert {r.method for r in new} == {"pinsage", "pixie"} and all(r.paper is None for r in new)
    without = dataclasses.replace(result, new_pin={})
    assert {r.metric for r in without.rows()} == {"hit-rate", "mrr-scaled"}


def test_movielens_rows() -> None:
    fake = RankingResult(torch.tensor([1, 2, 30]), 10, 2.0)
    ml = MovieLensResult(seed=0, seconds=1.0, k=10, scale=2.0, num_items=1682, rankings=dict.fromkeys(MOVIELENS_METHODS, fake))
    rows = ml.rows()
    assert {r.dataset for r in rows} == {"movielens-100k"} and {r.method for r in rows} == set(MOVIELENS_METHODS)
    assert all(METRIC_NAME.fullmatch(r.metric) and not r.comparable and r.paper is None and r.note for r in rows)


def test_lookalike_mix() -> None:
    category = torch.tensor([0, 0, 1, 1, 2, 2])
    lookalike = torch.tensor([1, 0, 0])  # category 0 and 1 look alike
    scores = torch.tensor([[0.0, 1.0, 0.5, 0.0, 0.0, 0.0]]).expand(6, 6)  # everybody's best: item 1, then 2
    mix = lookalike_mix(lambda q: scores[q], torch.tensor([0]), category, lookalike, k=2)
    assert mix.same_category == 0.5 and mix.lookalike_category == 0.5
    with pytest.raises(ValueError, match="queries"):
        lookalike_mix(lambda q: scores[q], torch.tensor([], dtype=torch.long), category, lookalike)


def test_pooled_hits_pair_queries_across_seeds(result) -> None:
    from lecturekit.recsys.pinsage.experiment import pooled_hits

    two = [result, dataclasses.replace(result, seed=1)]
    hits = pooled_hits(two, "pinsage")
    assert hits.numel() == 2 * result.rankings["pinsage"].ranks.numel()
    assert abs(float(hits.mean()) - result.rankings["pinsage"].hit_rate) < 1e-12
    with pytest.raises(ValueError, match="results"):
        pooled_hits([], "pinsage")
