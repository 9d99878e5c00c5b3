"""`lecturekit run` executes a notebook and writes the executed copy, HTML and the summary."""

import json
import sys

import nbformat
import pytest

from lecturekit import cli


def _notebook(path, source):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(notebook, path)


@pytest.mark.skipif(not sys.executable, reason="needs a python kernel")
def test_run_executes_notebooks_and_writes_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("LECTUREKIT_PROFILE", "course")  # run() overrides it; monkeypatch restores it
    good, bad = tmp_path / "01_good.ipynb", tmp_path / "02_bad.ipynb"
    _notebook(
        good,
        "from lecturekit import get_profile, record\nrecord('01_good', 'toy', 'm', 'acc', 0.5)\nprint(get_profile())",
    )
    _notebook(bad, "raise RuntimeError('boom')")
    assert cli.run(["01_good"], "quick", timeout=120, directory=tmp_path) == 0
    executed = nbformat.read(tmp_path / "build/notebooks/01_good.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"].strip() == "quick"  # the profile reached the kernel
    assert (tmp_path / "build/html/01_good.html").read_text().startswith("<!DOCTYPE html>")
    rows = json.loads((tmp_path / "build/results/01_good.json").read_text())
    assert rows[0]["profile"] == "quick"
    assert (
        "| toy | m | acc | 0.5 |" in (tmp_path / "build/results/SUMMARY-quick.md").read_text()
    )  # smoke rows
    assert (
        "| toy |" not in (tmp_path / "build/results/SUMMARY.md").read_text()
    )  # the page is the course profile's
    assert (
        cli.run(["02_bad"], "quick", timeout=120, directory=tmp_path) == 1
    )  # a failing notebook fails the run
    assert (tmp_path / "build/notebooks/02_bad.ipynb").exists()  # ...but its partial output is kept


@pytest.mark.skipif(not sys.executable, reason="needs a python kernel")
def test_run_with_two_jobs_runs_notebooks_side_by_side(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    # Each notebook waits until the other has started: only a run with two at once can finish.
    for name, mine, other in (("01_a", "a", "b"), ("02_b", "b", "a")):
        _notebook(
            tmp_path / f"{name}.ipynb",
            "import pathlib, time\n"
            f"root = pathlib.Path({str(tmp_path)!r})\n"
            f"(root / 'started-{mine}').touch()\n"
            "deadline = time.time() + 60\n"
            f"while not (root / 'started-{other}').exists():\n"
            "    assert time.time() < deadline, 'the other notebook never started'\n"
            "    time.sleep(0.1)\n"
            f"from lecturekit import record\nrecord({name!r}, 'toy', 'm', 'acc', 0.5)",
        )
    assert cli.run([], "quick", timeout=120, directory=tmp_path, jobs=2) == 0
    timings = json.loads((tmp_path / "build/results/timings.json").read_text())
    assert {n: t["ok"] for n, t in timings["notebooks"].items()} == {"01_a": True, "02_b": True}
    assert {t["jobs"] for t in timings["notebooks"].values()} == {2}
    assert {
        r["method"]
        for n in ("01_a", "02_b")
        for r in json.loads((tmp_path / f"build/results/{n}.json").read_text())
    } == {"m"}
    with pytest.raises(SystemExit, match="jobs"):
        cli.run([], "quick", timeout=120, directory=tmp_path, jobs=0)
