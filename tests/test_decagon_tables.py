"""Notebook 04's tables: paired over (seed, side effect) units, one world at a time, intervals in [-1, 1]."""

import math

import numpy as np
import pytest

from lecturekit.studies.nb04_decagon_results import (
    BothActive,
    DecagonResult,
    LeakResult,
    MethodResult,
    Scores,
    best_baseline,
    comparisons,
    kind_table,
    level_table,
    one_world_table,
    paired_units,
    results_table,
    strata_table,
)
from lecturekit.studies.report import verdict_table

KINDS = ("molecular", "molecular", "popularity")


def _scores(auroc: float, per_se=(0.1, 0.0, -0.2)) -> Scores:
    values = tuple(auroc + d for d in per_se)
    return Scores(auroc, auroc, auroc, values, values, values)


def _result(
    seed: int, aurocs: dict[str, float], names=("SE0 modules 1x2", "SE1 modules 3x4", "SE2 popularity")
):
    methods = tuple(
        MethodResult(
            m,
            _scores(a + 0.01 * seed),
            _scores(a + 0.01 * seed),
            1.0,
            strata=(_scores(a), _scores(a), _scores(a)),
        )
        for m, a in aurocs.items()
    )
    return DecagonResult(
        seed=seed,
        seconds=1.0,
        dataset="planted",
        methods=methods,
        side_effect_kinds=KINDS,
        test_pairs_per_side_effect=(1, 2, 1),
        both_active=BothActive(0.8, 0.1, 1.0),
        de_novo=(),
        epochs=100,
        test_share=0.1,
        stratum_positives=(2, 4, 6),
        side_effect_names=names,
    )


AUROCS = {"decagon": 0.8, "degree": 0.5, "popularity": 0.5, "rescal": 0.6, "dedicom": 0.7}


def test_results_table_is_long_form():
    table = results_table([_result(s, AUROCS) for s in range(2)])
    assert set(table.columns) == {"seed", "method", "protocol", "metric", "value"}
    assert len(table) == 2 * len(AUROCS) * 2 * 3


def test_level_table_gives_a_seed_interval_per_protocol():
    table = level_table([_result(s, AUROCS) for s in range(3)])
    assert table.loc["decagon", "degree-matched"] == pytest.approx(0.81)
    assert table.loc["decagon", "degree-matched 95 % interval"].startswith("[0.7")
    assert level_table([_result(0, AUROCS)]).loc["decagon", "uniform 95 % interval"] == "one seed"


def _extreme(seed: int) -> DecagonResult:
    """Per-side-effect AUROCs at the ends of [0, 1]: differences of +-1 per unit."""

    def method(name, values):
        return MethodResult(
            name,
            _scores(0.5),
            Scores(0.5, 0.5, 0.5, values, (0.5,) * 3, (0.5,) * 3),
            1.0,
            strata=(_scores(0.5),) * 3,
        )

    base = _result(seed, {})
    return DecagonResult(
        **{**base.__dict__, "methods": (method("a", (1.0, 0.0, 1.0)), method("b", (0.0, 1.0, 0.0)))}
    )


def test_paired_units_pool_seed_and_side_effect_and_stay_in_range():
    results = [_result(s, AUROCS) for s in range(3)]
    iv = paired_units(results, "decagon", results, "rescal", "degree-matched")
    assert iv.estimate == pytest.approx(0.2) and iv.n == 9  # 3 seeds x 3 side effects, all evaluated
    extreme = [_extreme(s) for s in range(3)]
    wide = paired_units(extreme, "a", extreme, "b", "degree-matched")
    assert -1.0 <= wide.low <= wide.high <= 1.0 and wide.high - wide.low > 0.5


def test_comparisons_feed_the_verdict_table_and_pair_leaks_by_seed():
    results = [_result(s, AUROCS) for s in range(3)]
    table = verdict_table(
        comparisons(results, [("decagon", "dedicom"), ("popularity", "degree")], "degree-matched")
    )
    assert list(table["verdict"]) == ["ahead", "no interval"]  # the second difference is exactly 0 everywhere
    leaks = [
        LeakResult(
            seed=r.seed,
            seconds=1.0,
            dataset="planted",
            methods=(MethodResult("decagon", _scores(0.9), _scores(0.9), 1.0),),
        )
        for r in results
    ]
    leak = comparisons(results, [("decagon", "decagon")], "degree-matched", b_runs=leaks)[0]
    assert leak.diff.estimate > 0 and "leaky - clean" in leak.metric
    cold = comparisons(results, [("decagon", "rescal")], "degree-matched/cold")[0]  # a stratum's units
    assert cold.diff.estimate == pytest.approx(0.2) and "degree-matched/cold" in cold.metric
    with pytest.raises(ValueError, match="no partner"):
        paired_units(leaks, "decagon", results[:1], "decagon", "degree-matched")


def test_best_baseline_is_the_highest_learned_baseline():
    assert best_baseline([_result(s, AUROCS) for s in range(2)]) == "dedicom"


def test_one_world_tables_carry_that_worlds_labels_in_index_order():
    result = _result(1, AUROCS, names=("SE0 modules 7x8", "SE1 modules 0x5", "SE2 popularity"))
    table = one_world_table(result, ["decagon", "rescal"])
    assert list(table["side effect"]) == ["SE0 modules 7x8", "SE1 modules 0x5", "SE2 popularity"]
    assert table["decagon"].tolist() == pytest.approx([0.91, 0.81, 0.61])
    kinds = kind_table(result, ["decagon"])
    assert set(kinds["kind"]) == {"molecular", "popularity"}
    assert math.isnan(kinds.set_index("kind").loc["popularity", "mean AUROC"])  # one side effect: no interval


def test_strata_table_counts_positives_over_seeds():
    table = strata_table([_result(s, AUROCS) for s in range(2)])
    assert table.loc["test positives (all seeds)"].tolist() == [4, 8, 12]
    assert np.isfinite(table.loc["decagon"].to_numpy(dtype=float)).all()
