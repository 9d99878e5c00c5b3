"""Notebook 04's experiment shape: frozen config and profiles, reproducible typed runs, recorded rows."""

import dataclasses
import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from lecturekit.results import METRIC_NAME
from lecturekit.studies.contract import check_frozen, collect_rows
from lecturekit.studies.nb04_decagon import (
    COURSE,
    DE_NOVO_TOP,
    METHODS,
    PAPER_TABLE2,
    PROFILES,
    BioSNAP,
    DecagonExperiment,
    run_leak_seed,
    run_seed,
)

torch.set_num_threads(1)
FIXTURES = Path(__file__).parent / "fixtures" / "biosnap"
TINY = replace(PROFILES.quick, methods=("decagon", "degree", "rescal"), leak_methods=("decagon",))


def _numbers(result):
    """Everything a result reports except wall-clock times."""
    return [(m.method, m.uniform, m.degree_matched) for m in result.methods], [r.value for r in result.rows()]


def test_config_is_frozen_all_the_way_down():
    for config in (PROFILES.quick, PROFILES.course, PROFILES.full):
        check_frozen(config)
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.train.epochs = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.decagon.encoder.hidden_dim = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.data.num_drugs = 1  # type: ignore[misc]


def _flat(config, prefix=""):
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if dataclasses.is_dataclass(value):
            out.update(_flat(value, f"{prefix}{f.name}."))
        else:
            out[prefix + f.name] = value
    return out


def test_profiles_share_the_calibrated_world_shape_and_one_budget():
    # Issue #13 resized the world (calibrated on the collision rate); every learned model shares one budget.
    # each profile calibrated on its own seeds (issue #25's world): course 12, full 8
    assert (COURSE.data.pairs_per_side_effect, PROFILES.full.data.pairs_per_side_effect) == (12, 8)
    for config in (PROFILES.quick, COURSE, PROFILES.full):
        assert config.decagon.encoder.out_dim == config.factorization_dim
        assert config.leak_seeds == config.seeds[: len(config.leak_seeds)]
        assert config.val > 0  # early stopping and weight decay need it
    assert len(COURSE.seeds) == 3 and len(PROFILES.quick.seeds) == 1


def test_profiles_differ_from_course_only_in_sizes():
    assert PROFILES.course == DecagonExperiment()
    sizes_only = {
        "data.",
        "decagon.encoder.hidden_dim",
        "decagon.encoder.out_dim",
        "train.epochs",
        "train.eval_every",
        "factorization_dim",
        "mlp_hidden",
        "deepwalk.",
        "seeds",
        "leak_seeds",
    }
    course = _flat(COURSE)
    for profile in ("quick", "full"):
        other = _flat(PROFILES.get(profile))
        changed = {k for k in course if course[k] != other[k]}
        assert changed and all(any(k.startswith(s) for s in sizes_only) for k in changed), changed


def test_config_refuses_bad_settings():
    with pytest.raises(ValueError, match="methods"):
        replace(COURSE, methods=("decagon", "node2vec"))
    with pytest.raises(ValueError, match="leak_seeds"):
        replace(COURSE, leak_seeds=(7,))
    with pytest.raises(ValueError, match="seeds"):
        replace(COURSE, seeds=(0, 0))
    with pytest.raises(ValueError, match="test"):
        replace(COURSE, test=0.0)
    with pytest.raises(ValueError, match="validation split"):
        replace(COURSE, val=0.0)
    with pytest.raises(ValueError, match="weight_decays"):
        replace(COURSE, weight_decays=())


def test_run_seed_is_reproducible_and_ignores_global_random_state():
    first = run_seed(TINY, 3)
    torch.rand(1000), np.random.rand(1000), random.random()  # what earlier notebook cells might draw
    torch.manual_seed(12345)
    state = torch.get_rng_state()
    second = run_seed(TINY, 3)
    assert torch.equal(state, torch.get_rng_state())  # leaves no trace for later cells either
    assert _numbers(first) == _numbers(second)
    assert first.de_novo == second.de_novo
    assert _numbers(run_seed(TINY, 4)) != _numbers(first)


def test_a_methods_numbers_do_not_depend_on_which_methods_ran():
    # Every method (issue #25): run alone, and after all the others in reverse order, it gives the same numbers.
    everything = run_seed(
        replace(PROFILES.quick, methods=tuple(reversed(METHODS)), leak_methods=("decagon",)), 3
    )
    for method in METHODS:
        alone = run_seed(replace(PROFILES.quick, methods=(method,), leak_methods=(method,)), 3).method(method)
        together = everything.method(method)
        assert (alone.uniform, alone.degree_matched) == (together.uniform, together.degree_matched), method


def test_rows_follow_the_naming_rule_and_merge_over_seeds():
    results = [run_seed(TINY, s) for s in (0, 1)]
    rows = results[0].rows()
    assert {r.method for r in rows} == set(TINY.methods)
    protocols = {f"{m}/{p}" for m in ("auroc", "auprc", "ap@50") for p in ("uniform", "degree-matched")}
    strata = {f"{m}/degree-matched/{s}" for m in ("auroc", "auprc", "ap@50") for s in ("cold", "low", "high")}
    assert protocols <= {r.metric for r in rows} <= protocols | strata
    assert {r.metric for r in rows} & strata  # some stratum is evaluated
    for row in rows:
        assert METRIC_NAME.fullmatch(row.metric)
        assert row.dataset == "planted" and row.comparable is False and row.note
        expected = row.method in PAPER_TABLE2 and row.metric.endswith("/uniform")
        assert (row.paper is not None) == expected
    names = [{r.metric for r in res.rows()} for res in results]
    if names[0] == names[1]:
        merged = collect_rows(results)  # notes and paper numbers agree between seeds
        assert all(isinstance(r.value, list) and len(r.value) == 2 for r in merged)
    else:  # an empty stratum in one seed's tiny world: merging refuses rather than averaging unequal seeds
        with pytest.raises(ValueError, match="degree-matched/"):
            collect_rows(results)
    assert all(math.isfinite(r.value) for r in rows)  # empty strata are left out, never recorded as NaN
    leak = run_leak_seed(TINY, 0)
    assert {(r.method, r.metric) for r in leak.rows()} == {
        ("decagon-leaky-split", "auroc/uniform"),
        ("decagon-leaky-split", "auroc/degree-matched"),
    }


def test_result_carries_what_the_notebook_reads():
    result = run_seed(TINY, 0)
    assert result.method_names == TINY.methods
    decagon = result.method("decagon")
    assert len(decagon.degree_matched.auroc_per_side_effect) == TINY.data.num_side_effects
    assert len(result.side_effect_kinds) == TINY.data.num_side_effects
    assert sum(result.test_pairs_per_side_effect) > 0
    assert 0 <= result.both_active.uniform <= result.both_active.degree_matched <= 1
    molecular = [r for r, k in enumerate(result.side_effect_kinds) if k == "molecular"]
    assert [d.side_effect for d in result.de_novo] == molecular
    for listing in result.de_novo:
        assert len(listing.pairs) == DE_NOVO_TOP and list(listing.scores) == sorted(
            listing.scores, reverse=True
        )
        assert 0 < listing.base_rate < 1
    with pytest.raises(KeyError, match="dedicom"):
        result.method("dedicom")


def test_biosnap_rows_are_comparable_only_where_the_protocol_is_the_papers():
    config = replace(
        PROFILES.quick,
        data=BioSNAP(str(FIXTURES / "good"), min_pairs=3),
        methods=("decagon", "degree"),
        val=0.25,
        test=0.25,
    )
    result = run_seed(config, 0)
    assert result.dataset == "biosnap" and result.de_novo == () and result.side_effect_kinds == ()
    for row in result.rows():
        assert row.dataset == "biosnap"
        is_paper_protocol = row.method == "decagon" and row.metric.endswith("/uniform")
        assert row.comparable is is_paper_protocol
        if row.comparable:
            assert (
                row.paper
                == PAPER_TABLE2["decagon"][("auroc", "auprc", "ap@50").index(row.metric.split("/")[0])]
            )
            assert "differs from the paper" in row.note and "split" in row.note and "epochs" in row.note


def test_methods_constant_uses_issue_13_and_25_names():
    assert METHODS == (
        "decagon",
        "decagon-summed-normalisation",
        "degree",
        "popularity",
        "rescal",
        "dedicom",
        "deepwalk",
        "concat-mlp",
        "ddi-gcn",
        "decagon-shuffled-targets",
    )


def test_each_run_seed_draws_its_own_world_and_reports_the_collision_rate():
    a, b = run_seed(TINY, 0), run_seed(TINY, 1)
    assert a.world_seed != b.world_seed
    assert 0 <= a.collision_rate_budget <= 1 and 0 <= a.collision_rate_decagon <= 1
    assert sum(a.stratum_positives) == 2 * sum(
        a.test_pairs_per_side_effect
    )  # every test triple in one stratum
    decagon = a.method("decagon")
    assert decagon.weight_decay in TINY.weight_decays and 0 <= decagon.best_epoch < TINY.train.epochs
    assert len(decagon.strata) == 3 and math.isnan(a.method("degree").weight_decay)


def test_course_world_keeps_test_positives_out_of_training_negatives():
    # The calibration target, checked on the course world of two run seeds (no model is trained).
    from lecturekit.studies.nb04_decagon import collision_rate, make_split, world_seed

    for seed in (0, 1):
        data = COURSE.data.build(world_seed(seed))
        split = make_split(data, COURSE, seed)
        assert collision_rate(split, COURSE.train.epochs) < 0.05
