"""The RL budget study of notebook 06 (lecturekit.studies.nb06_gcpn_budget)."""

import dataclasses

import pytest

from lecturekit.generation.gcpn import evaluate
from lecturekit.results import METRIC_NAME
from lecturekit.studies import nb06_gcpn_budget as budget
from lecturekit.studies.contract import check_frozen

TINY = dataclasses.replace(
    budget.PROFILES.quick, gcpn=dataclasses.replace(budget.PROFILES.quick.gcpn, checkpoint_dir=None)
)


def _values(result: budget.BudgetResult) -> list:
    return [(r.method, r.metric, r.value) for r in result.rows()]


def test_profiles_are_frozen_and_budgets_are_checked():
    for name in ("quick", "course", "full"):
        check_frozen(budget.PROFILES.get(name), name)
    assert (
        budget.PROFILES.course.budgets[0] == budget.PROFILES.course.gcpn.plogp_iterations
    )  # starts at the notebook's
    assert budget.QED_PROFILES.course.budgets[0] == budget.QED_PROFILES.course.gcpn.qed_iterations
    assert budget.QED_PROFILES.course.task == "qed" and budget.PROFILES.course.task == "plogp"
    with pytest.raises(ValueError, match="task"):
        budget.BudgetExperiment(budget.PROFILES.course.gcpn, task="logp")
    for bad in ((), (0, 2), (4, 2), (2, 2)):
        with pytest.raises(ValueError, match="budgets"):
            budget.BudgetExperiment(budget.PROFILES.course.gcpn, budgets=bad)


def test_extending_one_run_through_its_checkpoint_equals_fresh_runs(tmp_path):
    fresh = budget.run_seed(TINY, 0, progress=False)  # no checkpoints: every budget trains from scratch
    cached = dataclasses.replace(
        TINY, gcpn=dataclasses.replace(TINY.gcpn, checkpoint_dir=str(tmp_path / "ckpt"))
    )
    extended = budget.run_seed(cached, 0, progress=False)
    for b in TINY.budgets:
        assert (tmp_path / "ckpt" / "seed0" / "budget" / f"plogp-gcpn-{b}.pt").is_file()
    assert _values(fresh) == _values(extended)
    assert _values(budget.run_seed(cached, 0, progress=False)) == _values(fresh)  # a rerun loads every budget
    rows = fresh.rows()
    assert {r.method for r in rows} == {"gcpn", "pretrained"}
    assert all(METRIC_NAME.fullmatch(r.metric) and not r.comparable for r in rows)
    assert {r.metric for r in rows if r.method == "pretrained"} == {
        f"plogp-top{k}/iterations={b}" for k in (1, 2, 3) for b in TINY.budgets
    }
    assert {r.metric for r in rows if r.method == "gcpn"} >= {
        f"top3-filter-pass/iterations={b}" for b in TINY.budgets
    }
    assert fresh.pool_size(2) == TINY.gcpn.num_envs * 2 + TINY.gcpn.eval_samples


def test_hydrocarbon_check():
    assert evaluate.is_hydrocarbon("CCCCCC") and evaluate.is_hydrocarbon("c1ccccc1")
    assert not evaluate.is_hydrocarbon("CCO") and not evaluate.is_hydrocarbon("not a molecule")
    assert not evaluate.is_hydrocarbon("")


def test_qed_study_names_its_metrics_by_task():
    tiny = dataclasses.replace(
        budget.QED_PROFILES.quick,
        gcpn=dataclasses.replace(budget.QED_PROFILES.quick.gcpn, checkpoint_dir=None),
    )
    rows = budget.run_seed(tiny, 0, progress=False).rows()
    assert {r.metric for r in rows if r.method == "pretrained"} == {
        f"qed-top{k}/iterations={b}" for k in (1, 2, 3) for b in tiny.budgets
    }
    assert all(0 <= r.value <= 1 for r in rows)
