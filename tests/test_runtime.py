"""The notebooks' runtime line: this machine's last run, else the committed measurement in docs/runtimes.json,
never "not measured yet"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lecturekit.cli import list_notebooks
from lecturekit.runtime import COMMITTED, committed, runtime_line

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reference(tmp_path):
    path = tmp_path / "runtimes.json"
    path.write_text(
        json.dumps(
            {
                "measured_on": "a 2-core laptop, 2026-12-05",
                "seconds": {"course": {"01_recsys_basics": 142}, "quick": {"01_recsys_basics": 30}},
            }
        )
    )
    return path


def test_a_first_run_shows_the_committed_measurement_for_its_profile(tmp_path, reference):
    line = runtime_line("01_recsys_basics", tmp_path / "timings.json", reference, profile="course")
    assert line == (
        "**Runtime** (this kernel runs the `course` profile): `course` about 2 min 22 s (measured on a "
        "2-core laptop, 2026-12-05, `docs/runtimes.json`); `quick` about 30 s (measured on a 2-core "
        "laptop, 2026-12-05, `docs/runtimes.json`)."
    )
    assert (
        runtime_line("01_recsys_basics", tmp_path / "t.json", reference, profile="quick").index("`quick`")
        < 60
    )
    assert "not measured yet" not in line


def test_this_machines_run_replaces_the_committed_number(tmp_path, reference):
    path = tmp_path / "timings.json"
    path.write_text(
        json.dumps(
            {
                "profile": "course",
                "notebooks": {
                    "01_recsys_basics": {
                        "seconds": 200.4,
                        "ok": True,
                        "finished": "2026-12-01T08:00:00+0000",
                    },
                    "04_decagon": {"seconds": 3725.0, "ok": False},
                },
            }
        )
    )
    line = runtime_line("01_recsys_basics", path, reference, profile="course")
    assert "`course` 3 min 20 s (this machine's last `lecturekit run`, 2026-12-01)" in line
    assert "`quick` about 30 s" in line
    assert "`course` 1 h 02 min (this machine's last `lecturekit run`; that run failed)" in runtime_line(
        "04_decagon", path, reference, profile="course"
    )


def test_a_corrupt_timings_file_falls_back_to_the_committed_number(tmp_path, reference):
    path = tmp_path / "timings.json"
    for text in (
        "{not json",
        "[1, 2]",
        json.dumps({"profile": "quick", "notebooks": {"01_recsys_basics": {"seconds": "x"}}}),
    ):
        path.write_text(text)
        assert "`quick` about 30 s" in runtime_line("01_recsys_basics", path, reference, profile="quick")


def test_every_course_notebook_has_a_committed_course_runtime():
    for path in list_notebooks():
        found, where = committed(path.stem, ROOT / COMMITTED)
        assert "course" in found and where, path.stem
    text = runtime_line("02_pinsage", ROOT / "build-does-not-exist" / "timings.json", profile="course")
    assert "not measured" not in text and "`course` about" in text


def test_run_with_two_jobs_starts_the_longest_expected_notebook_first(tmp_path, monkeypatch):
    """``lecturekit run --jobs 2`` hands workers the longest expected notebook first (a shorter course run)."""
    from lecturekit import cli

    build = tmp_path / "build"
    (build / "results").mkdir(parents=True)
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(build))
    timings = {"by_profile": {"course": {"01_ok": {"seconds": 5.0}, "05_after": {"seconds": 50.0}}}}
    (build / "results" / "timings.json").write_text(json.dumps(timings))
    order = []
    monkeypatch.setattr(cli, "_run_in_pool", lambda notebooks, *args: order.extend(p.stem for p in notebooks))
    monkeypatch.setattr(cli, "write_reports", lambda notebooks: ([], []))
    fixtures = Path(__file__).parent / "fixtures" / "faults"
    cli.run(["01", "05"], "course", timeout=None, directory=fixtures, jobs=2)
    assert order == ["05_after", "01_ok"]
