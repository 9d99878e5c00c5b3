"""The notebooks' runtime line: read from timings.json, "not measured yet" where nothing was measured."""

from __future__ import annotations

import json

from lecturekit.runtime import runtime_line


def test_no_timings_file_says_not_measured_yet_for_every_profile(tmp_path):
    line = runtime_line("01_recsys_basics", tmp_path / "timings.json")
    assert line == ("**Runtime on this machine:** `quick` not measured yet; `course` not measured yet; "
                    "`full` not measured yet.")


def test_the_measured_profile_shows_its_time_and_date(tmp_path):
    path = tmp_path / "timings.json"
    path.write_text(json.dumps({"profile": "course", "notebooks": {
        "01_recsys_basics": {"seconds": 200.4, "ok": True, "finished": "2026-12-01T08:00:00+0000"},
        "04_decagon": {"seconds": 3725.0, "ok": False},
    }}))
    assert runtime_line("01_recsys_basics", path) == (
        "**Runtime on this machine:** `quick` not measured yet; `course` 3 min 20 s (last `lecturekit run`, "
        "2026-12-01); `full` not measured yet.")
    assert "`course` 1 h 02 min (last `lecturekit run`; that run failed)" in runtime_line("04_decagon", path)
    assert "`course` not measured yet" in runtime_line("05_graphrnn", path)


def test_a_corrupt_or_foreign_timings_file_measures_nothing(tmp_path):
    path = tmp_path / "timings.json"
    for text in ("{not json", "[1, 2]", json.dumps({"profile": "quick", "notebooks": {"01_recsys_basics": {"seconds": "x"}}})):
        path.write_text(text)
        assert "`quick` not measured yet" in runtime_line("01_recsys_basics", path)
