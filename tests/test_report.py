"""The course's one verdict rule (lecturekit.studies.report.verdict_table)."""

import pytest

from lecturekit.stats import Interval, paired_bootstrap, seed_interval
from lecturekit.studies.report import AHEAD, BEHIND, NO_INTERVAL, TIED, Comparison, verdict, verdict_table


def test_verdict_follows_the_interval_only():
    assert verdict(Interval(0.05, 0.01, 0.09)) == AHEAD
    assert verdict(Interval(-0.05, -0.09, -0.01)) == BEHIND
    assert verdict(Interval(0.05, -0.01, 0.09)) == TIED
    assert verdict(Interval(0.0, -0.01, 0.01)) == TIED
    assert verdict(seed_interval([0.3])) == NO_INTERVAL  # one seed: a number, never a winner


def test_verdict_table_rows_and_columns():
    ahead = paired_bootstrap([1.0, 1.0, 1.0, 0.0] * 20, [0.0, 0.0, 1.0, 0.0] * 20)
    tied = seed_interval([0.01, -0.02, 0.015])
    table = verdict_table(
        [Comparison("pinsage", "pixie", "hit-rate", ahead, "test pairs"), Comparison("x", "y", "mrr", tied)]
    )
    assert list(table.columns) == ["a", "b", "metric", "a - b", "95 % interval", "over", "verdict"]
    assert list(table["verdict"]) == [AHEAD, TIED]
    assert table.loc[0, "a - b"] == pytest.approx(0.5)
    assert table.loc[1, "over"] == "n = 3"
    with pytest.raises(TypeError, match="Comparison"):
        verdict_table([("a", "b", "m", ahead)])
