"""`lecturekit run` degrades, never collapses (issue #27): tiny fixture notebooks that die, time out,
run out of memory or kill their worker; the others still run and every report is written."""

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from lecturekit import cli, paths

FIXTURES = Path(__file__).parent / "fixtures" / "faults"
pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="the fixtures kill processes with POSIX signals"
)


def _timings(build: Path) -> dict:
    return json.loads((build / "results" / "timings.json").read_text())["notebooks"]


@pytest.mark.timeout(180)
def test_dead_kernel_timeout_and_oom_fail_alone_and_every_report_is_written(tmp_path, monkeypatch, capsys):
    build = tmp_path / "build"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(build))
    (build / "results").mkdir(parents=True)
    (build / "results" / "timings.json").write_text(
        '{"profile": "quick", "notebooks": [1, 2]}'
    )  # hand-broken
    code = cli.run(["01", "02", "03", "04", "05"], "quick", timeout=3, directory=FIXTURES)
    assert code == 1
    timings = _timings(build)
    assert {stem: entry["ok"] for stem, entry in timings.items()} == {
        "01_ok": True,
        "02_dies": False,
        "03_slow": False,
        "04_oom": False,
        "05_after": True,
    }
    assert "kernel died in cell 2" in timings["02_dies"]["error"]
    assert "timed out" in timings["03_slow"]["error"] and "3 s" in timings["03_slow"]["error"]
    assert "MemoryError" in timings["04_oom"]["error"]
    assert timings["03_slow"]["seconds"] < 60  # stopped at the timeout, not after the cell's 120 s
    # the notebook after the failures ran and recorded; every report exists and names the failures
    assert json.loads((build / "results" / "05_after.json").read_text())[0]["value"] == 0.25
    summary = (build / "results" / "SUMMARY.md").read_text()
    assert (
        "| toy | m | acc | 0.5 |" in (build / "results" / "SUMMARY-quick.md").read_text()
    )  # a quick run's rows
    for stem in ("02_dies", "03_slow", "04_oom"):
        assert f"**{stem}**" in summary
        assert (build / "html" / f"{stem}.html").is_file()
    sections = {
        part.split("</h2>")[0].rsplit(" ", 1)[-1].split("<")[0]: part
        for part in (build / "index.html").read_text().split("<section>")[1:]
    }
    assert {stem for stem, part in sections.items() if "failed" in part} == {"02_dies", "03_slow", "04_oom"}
    # the executed copy shows what ran and where it stopped
    died = nbformat.read(build / "notebooks" / "02_dies.ipynb", as_version=4)
    assert died.cells[1].outputs[0]["text"].strip() == "before"
    assert "kernel died" in died.cells[2].outputs[-1]["evalue"]
    err = capsys.readouterr().err
    assert "FAILED: 02_dies, 03_slow, 04_oom" in err and "Traceback" not in err


@pytest.mark.timeout(180)
def test_a_notebook_that_kills_its_worker_fails_alone_with_two_jobs(tmp_path, monkeypatch):
    build = tmp_path / "build"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(build))
    assert cli.run(["11", "01"], "quick", timeout=60, directory=FIXTURES, jobs=2) == 1
    timings = _timings(build)
    assert {stem: entry["ok"] for stem, entry in timings.items()} == {"01_ok": True, "11_kills_worker": False}
    assert "worker process died" in timings["11_kills_worker"]["error"]
    assert json.loads((build / "results" / "01_ok.json").read_text())[0]["value"] == 0.5
    assert "**11_kills_worker**" in (build / "results" / "SUMMARY.md").read_text()
    assert (build / "index.html").is_file()


def test_relative_build_dir_resolves_against_the_project_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", "out/build")
    assert paths.build_dir() == paths.project_root() / "out" / "build"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "abs"))
    assert paths.build_dir() == tmp_path / "abs"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", "")
    assert paths.build_dir() == paths.project_root() / "build"


@pytest.mark.timeout(120)
def test_driver_and_kernel_share_a_relative_build_dir(tmp_path, monkeypatch):
    # The kernel runs in the notebook's folder, the driver here: both must write to <root>/<relative>.
    relative = Path("build") / "tests" / f"faults-relative-{os.getpid()}"
    target = paths.project_root() / relative
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(relative))
    try:
        assert cli.run(["01"], "quick", timeout=60, directory=FIXTURES) == 0
        assert (
            json.loads((target / "results" / "01_ok.json").read_text())[0]["method"] == "m"
        )  # from the kernel
        assert (target / "results" / "timings.json").is_file() and (
            target / "notebooks" / "01_ok.ipynb"
        ).is_file()
        assert not (tmp_path / relative).exists() and not (FIXTURES / relative).exists()
    finally:
        import shutil

        shutil.rmtree(target, ignore_errors=True)


def test_summary_command_reports_a_broken_results_file_without_a_traceback(tmp_path, monkeypatch, capsys):
    build = tmp_path / "build"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(build))
    results = build / "results"
    results.mkdir(parents=True)
    good = {"dataset": "toy", "method": "m", "metric": "acc", "value": 0.5, "profile": "course"}
    (results / "01_good.json").write_text(json.dumps([good]))
    (results / "02_missing.json").write_text(json.dumps([{k: v for k, v in good.items() if k != "method"}]))
    (results / "03_string.json").write_text(json.dumps([{**good, "value": "0.5"}]))
    (results / "04_dir.json").mkdir()
    (results / "05_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (results / "timings.json").write_text('{"profile": "course", "notebooks": {"01_good": "fast"}}')
    assert cli.main(["summary"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "02_missing.json, row 0: key 'method' is missing" in err
    assert "03_string.json, row 0: key 'value' must be a finite number, found '0.5'" in err
    assert "04_dir.json cannot be read" in err
    assert "05_deep.json is nested too deeply" in err
    assert "| toy | m | acc | 0.5 |" in (results / "SUMMARY.md").read_text()
    assert (build / "index.html").is_file()


@pytest.mark.timeout(120)
def test_an_unreadable_notebook_fails_alone(tmp_path, monkeypatch):
    build = tmp_path / "build"
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(build))
    (tmp_path / "01_ok.ipynb").write_bytes((FIXTURES / "01_ok.ipynb").read_bytes())
    (tmp_path / "02_cut.ipynb").write_text('{"cells": [{"cell_type": "code", "sour')  # a half-saved file
    assert cli.run([], "quick", timeout=60, directory=tmp_path) == 1
    timings = _timings(build)
    assert timings["01_ok"]["ok"] and not timings["02_cut"]["ok"]
    assert timings["02_cut"]["error"].startswith("cannot read 02_cut.ipynb")
    assert "**02_cut**: cannot read" in (build / "results" / "SUMMARY.md").read_text()


@pytest.mark.parametrize(("option", "value"), [("--jobs", "0"), ("--timeout", "0"), ("--timeout", "-5")])
def test_run_refuses_nonsense_options_naming_them(option, value, tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    with pytest.raises(SystemExit, match=option.lstrip("-")):
        cli.main(["run", "01", option, value])
