"""The penalized-logP RL budget study of notebook 06 (lecturekit.generation.gcpn.budget)."""

import dataclasses
import json

import pytest

from lecturekit.generation.gcpn import budget, evaluate
from lecturekit.generation.gcpn.discussion import budget_study
from lecturekit.results import METRIC_NAME
from lecturekit.studies.contract import check_frozen

TINY = dataclasses.replace(budget.PROFILES.quick,
                           gcpn=dataclasses.replace(budget.PROFILES.quick.gcpn, checkpoint_dir=None))  # fmt: skip


def _values(result: budget.BudgetResult) -> list:
    return [(r.method, r.metric, r.value) for r in result.rows()]


def test_profiles_are_frozen_and_budgets_are_checked():
    for name in ("quick", "course", "full"):
        check_frozen(budget.PROFILES.get(name), name)
    assert budget.PROFILES.course.budgets[0] == budget.PROFILES.course.gcpn.plogp_iterations  # starts at the notebook's
    assert budget.QED_PROFILES.course.budgets[0] == budget.QED_PROFILES.course.gcpn.qed_iterations
    assert budget.QED_PROFILES.course.task == "qed" and budget.PROFILES.course.task == "plogp"
    with pytest.raises(ValueError, match="task"):
        budget.BudgetExperiment(budget.PROFILES.course.gcpn, task="logp")
    for bad in ((), (0, 2), (4, 2), (2, 2)):
        with pytest.raises(ValueError, match="budgets"):
            budget.BudgetExperiment(budget.PROFILES.course.gcpn, budgets=bad)


def test_extending_one_run_through_its_checkpoint_equals_fresh_runs(tmp_path):
    fresh = budget.run_seed(TINY, 0, progress=False)  # no checkpoints: every budget trains from scratch
    cached = dataclasses.replace(TINY, gcpn=dataclasses.replace(TINY.gcpn, checkpoint_dir=str(tmp_path / "ckpt")))
    extended = budget.run_seed(cached, 0, progress=False)
    for b in TINY.budgets:
        assert (tmp_path / "ckpt" / "seed0" / "budget" / f"plogp-gcpn-{b}.pt").is_file()
    assert _values(fresh) == _values(extended)
    assert _values(budget.run_seed(cached, 0, progress=False)) == _values(fresh)  # a rerun loads every budget
    rows = fresh.rows()
    assert {r.method for r in rows} == {"gcpn", "pretrained"}
    assert all(METRIC_NAME.fullmatch(r.metric) and not r.comparable for r in rows)
    assert {r.metric for r in rows if r.method == "pretrained"} == {
        f"plogp-top{k}/iterations={b}" for k in (1, 2, 3) for b in TINY.budgets}
    assert {r.metric for r in rows if r.method == "gcpn"} >= {f"top3-filter-pass/iterations={b}" for b in TINY.budgets}
    assert fresh.pool_size(2) == TINY.gcpn.num_envs * 2 + TINY.gcpn.eval_samples


def test_hydrocarbon_check():
    assert evaluate.is_hydrocarbon("CCCCCC") and evaluate.is_hydrocarbon("c1ccccc1")
    assert not evaluate.is_hydrocarbon("CCO") and not evaluate.is_hydrocarbon("not a molecule")
    assert not evaluate.is_hydrocarbon("")


def _payload(gcpn: dict[int, list[float]], pretrained: dict[int, list[float]]) -> dict:
    metrics = []
    for method, values in (("gcpn", gcpn), ("pretrained", pretrained)):
        for b, v in values.items():
            for k in (1, 3):
                metrics.append({"method": method, "metric": f"plogp-top{k}/iterations={b}", "values": v})
    return {"seeds": [0, 1, 2], "profile": "course", "metrics": metrics}


def test_qed_study_names_its_metrics_by_task(tmp_path):
    tiny = dataclasses.replace(budget.QED_PROFILES.quick,
                               gcpn=dataclasses.replace(budget.QED_PROFILES.quick.gcpn, checkpoint_dir=None))  # fmt: skip
    rows = budget.run_seed(tiny, 0, progress=False).rows()
    assert {r.metric for r in rows if r.method == "pretrained"} == {
        f"qed-top{k}/iterations={b}" for k in (1, 2, 3) for b in tiny.budgets}
    assert all(0 <= r.value <= 1 for r in rows)
    assert "No QED budget study yet" in budget_study(tmp_path / "gcpn-qed-budget-course.json")


def test_budget_study_verdicts_follow_the_numbers(tmp_path):
    assert "No Penalized logP budget study yet" in budget_study(tmp_path / "missing.json")
    path = tmp_path / "study.json"
    path.write_text(json.dumps(_payload({6: [2.0, 2.1, 1.9], 60: [3.0, 3.2, 3.1]},
                                        {6: [2.2, 2.2, 2.1], 60: [2.3, 2.4, 2.3]})))  # fmt: skip
    text = budget_study(path)
    assert "from 60 PPO iterations on" in text
    payload = json.loads(path.read_text())
    payload["metrics"] += [{"method": "gcpn", "metric": "top3-filter-pass/iterations=60", "values": [0.0, 1 / 3, 0.0]},
                           {"method": "gcpn", "metric": "top3-hydrocarbon/iterations=60", "values": [1.0, 1.0, 2 / 3]}]
    path.write_text(json.dumps(payload))
    assert "89% are pure hydrocarbons and 11% pass" in budget_study(path)
    path.write_text(json.dumps(_payload({6: [2.0, 2.1, 1.9]}, {6: [2.2, 2.2, 2.1]})))
    assert "does not beat the pretrained-only policy on both top-1 and top-3 at any budget up to 6" in budget_study(path)
    path.write_text(json.dumps(_payload({6: [2.0, 2.1, 1.9], 24: [3.0, 3.2, 3.1], 60: [2.0, 2.1, 1.9]},
                                        {6: [2.2, 2.2, 2.1], 24: [2.3, 2.4, 2.3], 60: [2.2, 2.2, 2.1]})))  # fmt: skip
    assert "at 24 PPO iterations, but not at every larger budget" in budget_study(path)


def test_qed_study_states_the_room_left_at_the_top(tmp_path):
    path = tmp_path / "gcpn-qed-budget-course.json"
    payload = _payload({10: [0.93, 0.93, 0.93], 300: [0.946, 0.947, 0.946]},
                       {10: [0.92, 0.93, 0.94], 300: [0.944, 0.945, 0.946]})  # fmt: skip
    for m in payload["metrics"]:
        m["metric"] = m["metric"].replace("plogp", "qed")
    path.write_text(json.dumps(payload))
    text = budget_study(path)
    assert "The pretrained policy's top-1 leaves 0.018 at 10, 0.003 at 300 PPO iterations" in text
    assert "does not beat the pretrained-only policy on both top-1 and top-3 at any budget up to 300" in text
