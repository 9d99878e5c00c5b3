"""Results files, timings and every other output (issue #27): atomic writes that leave the previous file
intact when a write fails, readers that name the file, row and key they cannot use, and `import
lecturekit` without `fcntl` (issue #26: Windows has none)."""

import json
import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from lecturekit import atomic, cli, results

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "faults"
GOOD = {"dataset": "toy", "method": "m", "metric": "acc", "value": 0.5, "profile": "course"}


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )


# --------------------------------------------------------------------------- atomic writes


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
def test_a_write_cut_short_by_a_file_size_limit_leaves_the_previous_file_intact(tmp_path):
    # A full disk, simulated: past 64 kB every write fails (EFBIG), in a child process.
    old = {name: f"old {name}\n" * 10 for name in ("plain.txt", "01_demo.json", "timings.json", "run.pt")}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "01_demo.json").write_text(json.dumps([GOOD]))
    done = _python(
        f"""
        import resource, signal, sys
        import torch
        from pathlib import Path
        from lecturekit import atomic, checkpoints, cli, results
        root = Path({str(tmp_path)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))
        big = "x" * 200_000
        attempts = [
            lambda: atomic.atomic_write_text(root / "plain.txt", big),
            lambda: results.record("01_demo", "toy", "m", "note-test", 1.0, note=big),
            lambda: cli.write_timings("quick", {{"01_demo": {{"seconds": 1.0, "ok": True, "pad": big}}}}),
            lambda: checkpoints.save(root / "run.pt", {{"w": torch.zeros(100_000)}}, {{"config": {{}}}}),
        ]
        for attempt in attempts:
            try:
                attempt()
            except (OSError, RuntimeError) as err:  # torch.save wraps the OSError in a RuntimeError
                print("refused", type(err).__name__)
            else:
                sys.exit("a write past the size limit succeeded")
    """,
        LECTUREKIT_BUILD_DIR=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split().count("refused") == 4
    assert (tmp_path / "plain.txt").read_text() == old["plain.txt"]
    assert json.loads((tmp_path / "results" / "01_demo.json").read_text()) == [GOOD]
    assert (tmp_path / "run.pt").read_text() == old["run.pt"]
    assert not (tmp_path / "results" / "timings.json").exists()  # never half-written
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def test_a_writer_failing_midway_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    atomic.atomic_write_text(path, "old")
    assert path.stat().st_mode & 0o777 == atomic.umask_mode()

    def crash(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", crash)
    with pytest.raises(OSError, match="No space"):
        atomic.atomic_write_text(path, "new content")
    with pytest.raises(RuntimeError), atomic.atomic_open(path) as handle:
        handle.write(b"half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


@pytest.mark.timeout(120)
def test_executed_notebook_and_html_survive_a_failed_rewrite(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    notebook = FIXTURES / "01_ok.ipynb"
    kernel = cli.course_kernel()
    assert cli.execute_notebook(notebook, "quick", 60, kernel)[0]
    executed, html = tmp_path / "build/notebooks/01_ok.ipynb", tmp_path / "build/html/01_ok.html"
    before = executed.read_bytes(), html.read_bytes()
    monkeypatch.setattr(
        atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    )
    ok, _, error = cli.execute_notebook(notebook, "quick", 60, kernel)
    assert not ok and "writing its outputs failed" in error and "No space left" in error
    assert (executed.read_bytes(), html.read_bytes()) == before
    nbformat.validate(nbformat.reads(before[0].decode(), as_version=4))


def test_every_output_writer_of_the_run_path_writes_atomically():
    # In-place writes (write_text, nbformat.write, open(..., "w")) leave half files behind on a full disk.
    in_place = re.compile(r"\.write_text\(|\.write_bytes\(|nbformat\.write\(|open\([^)]*['\"][wa]b?['\"]")
    files = [
        "lecturekit/cli.py",
        "lecturekit/results.py",
        "lecturekit/checkpoints.py",
        "experiments/seeds.py",
        "benchmarks/__init__.py",
    ]
    offenders = [f for f in files if in_place.search((ROOT / f).read_text(encoding="utf-8"))]
    assert offenders == []


# --------------------------------------------------------------------------- readers


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"rows": []}', "must hold a JSON list of result rows, found a dict"),
        ("[1]", "row 0: a row must be a JSON object, found int"),
        (json.dumps([{k: v for k, v in GOOD.items() if k != "dataset"}]), "row 0: key 'dataset' is missing"),
        (
            json.dumps([GOOD, {**GOOD, "method": 3}]),
            "row 1: key 'method' must be a non-empty string, found 3",
        ),
        (json.dumps([{k: v for k, v in GOOD.items() if k != "value"}]), "row 0: key 'value' is missing"),
        (json.dumps([{**GOOD, "value": "0.5"}]), "key 'value' must be a finite number, found '0.5'"),
        (json.dumps([{**GOOD, "value": True}]), "key 'value' must be a finite number, found True"),
        (
            '[{"dataset": "d", "method": "m", "metric": "a", "value": NaN}]',
            "key 'value' must be a finite number",
        ),
        (json.dumps([{**GOOD, "value": {"deep": [1]}}]), "key 'value' must be a finite number"),
        (json.dumps([{**GOOD, "std": 0.1}]), "key 'n' must be a positive integer beside 'std'"),
        (json.dumps([{**GOOD, "paper": "0.7"}]), "key 'paper' must be a finite number"),
        (json.dumps([{**GOOD, "comparable": "yes"}]), "key 'comparable' must be true or false"),
        (json.dumps([{**GOOD, "note": ["a"]}]), "key 'note' must be a string"),
        (json.dumps([{**GOOD, "values": [1, "x"]}]), "key 'values' must be a list of finite numbers"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('[{"dataset": ', "is not valid JSON"),
    ],
)
def test_read_rows_names_the_file_row_and_key_it_cannot_use(tmp_path, content, message):
    path = tmp_path / "01_demo.json"
    path.write_text(content)
    with pytest.raises(results.ResultsFileError, match=re.escape(message)) as err:
        results.read_rows(path)
    assert str(path) in str(err.value)


def test_read_rows_accepts_what_record_writes_and_refuses_folders_and_bad_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    stored = results.record("01_demo", "toy", "m", "acc", [0.5, 0.7], paper=0.6, comparable=True, note="n")
    assert results.read_rows(results.results_path("01_demo")) == [stored]
    assert math.isclose(stored["value"], 0.6)
    folder = tmp_path / "results" / "02_folder.json"
    folder.mkdir()
    with pytest.raises(results.ResultsFileError, match="02_folder.json cannot be read"):
        results.read_rows(folder)
    latin = tmp_path / "results" / "03_latin.json"
    latin.write_bytes(b'[{"dataset": "caf\xe9"}]')
    with pytest.raises(results.ResultsFileError, match="03_latin.json is not valid JSON"):
        results.read_rows(latin)
    # a writer never merges into a file it cannot read: it names it and leaves it alone
    (tmp_path / "results" / "04_bad.json").write_text(json.dumps([{**GOOD, "value": "x"}]))
    with pytest.raises(results.ResultsFileError, match="04_bad.json, row 0"):
        results.record("04_bad", "toy", "m", "acc", 0.5)
    assert json.loads((tmp_path / "results" / "04_bad.json").read_text()) == [{**GOOD, "value": "x"}]


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[1, 2]",
        '{"profile": "quick", "notebooks": [1]}',
        '{"profile": "quick", "notebooks": {"01": "x"}, "by_profile": {"course": 3, "bogus": {}}}',
    ],
)
def test_write_timings_rewrites_a_broken_timings_file(tmp_path, monkeypatch, content):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    (tmp_path / "results").mkdir()
    cli.timings_path().write_text(content)
    cli.write_timings("quick", {"01_demo": {"seconds": 1.0, "ok": False, "error": "boom"}})
    timings = json.loads(cli.timings_path().read_text())
    assert timings["notebooks"] == {"01_demo": {"seconds": 1.0, "ok": False, "error": "boom"}}
    assert set(timings["by_profile"]) <= {"quick", "course", "full"}
    assert "**01_demo**: boom" in cli.failures_markdown(timings)


# --------------------------------------------------------------------------- no fcntl (Windows)

_BLOCK_FCNTL = """
import importlib.abc, sys
class NoFcntl(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "fcntl":
            raise ModuleNotFoundError("No module named 'fcntl' (hidden: as on Windows)", name=name)
sys.modules.pop("fcntl", None)
sys.meta_path.insert(0, NoFcntl())
"""


@pytest.mark.timeout(180)
def test_lecturekit_imports_and_records_without_fcntl(tmp_path):
    done = _python(
        _BLOCK_FCNTL
        + """
import threading, warnings
warnings.simplefilter("ignore")
import lecturekit, lecturekit.results, lecturekit.cli, lecturekit.checkpoints, lecturekit.course_site
from lecturekit import results
threads = [threading.Thread(target=results.record, args=("01_demo", "toy", f"m{i}", "acc", 0.5)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert sorted(r["method"] for r in results.load("01_demo")) == [f"m{i}" for i in range(8)]
assert "fcntl" not in sys.modules
print("ok")
""",
        LECTUREKIT_BUILD_DIR=str(tmp_path),
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


@pytest.mark.timeout(300)
@pytest.mark.skipif(
    os.environ.get("LECTUREKIT_NO_FCNTL_RUN") == "1", reason="already inside the fcntl-less run"
)
def test_the_results_tests_pass_without_fcntl(tmp_path):
    # This file's tests again, in a Python where `import fcntl` fails (the kernel-running ones aside).
    code = (
        _BLOCK_FCNTL
        + f"""
import pytest
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-W", "ignore::UserWarning",
                      "-k", "not executed_notebook", {__file__!r}]))
"""
    )
    done = _python(code, LECTUREKIT_NO_FCNTL_RUN="1")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\d+ passed", done.stdout)


# --------------------------------------------------------------------------- study outputs (experiments.seeds)

SWEEP = {
    "app": "gcpn",
    "profile": "quick",
    "seeds": [0, 1],
    "config": {},
    "seconds": [1.0, 1.0],
    "metrics": [
        {
            "dataset": "moses",
            "method": "gcpn",
            "metric": "qed-top1",
            "values": [0.8, 0.9],
            "mean": 0.85,
            "ci95": [0.7, 1.0],
            "paper": 0.948,
            "comparable": False,
            "note": "",
        }
    ],
}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda text: text[: len(text) // 2],
            "cannot be read (JSONDecodeError",
        ),  # a sweep interrupted mid-write
        (
            lambda text: json.dumps({k: v for k, v in SWEEP.items() if k != "metrics"}),
            "key 'metrics' must be a list",
        ),
        (
            lambda text: json.dumps({**SWEEP, "metrics": [{**SWEEP["metrics"][0], "mean": "high"}]}),
            "metrics[0]: key 'mean' must be a finite number, found 'high'",
        ),
        (
            lambda text: json.dumps(
                {**SWEEP, "metrics": [{k: v for k, v in SWEEP["metrics"][0].items() if k != "ci95"}]}
            ),
            "metrics[0]: key 'ci95' must be a [low, high] pair",
        ),  # an output of an older script
        (
            lambda text: json.dumps({**SWEEP, "metrics": [{**SWEEP["metrics"][0], "values": []}]}),
            "metrics[0]: key 'values' must be a non-empty list",
        ),
    ],
)
def test_study_outputs_that_are_cut_short_or_stale_are_named_with_their_key(tmp_path, mutate, message):
    path = tmp_path / "gcpn-quick.json"
    path.write_text(mutate(json.dumps(SWEEP)))
    with pytest.raises(results.ResultsFileError, match=re.escape(message)) as err:
        results.read_sweep(path)
    assert str(path) in str(err.value)


def test_a_well_formed_study_output_reads_back(tmp_path):
    path = atomic.atomic_write_text(tmp_path / "gcpn-quick.json", json.dumps(SWEEP))
    assert results.read_sweep(path) == SWEEP
    with pytest.raises(FileNotFoundError, match="experiments.seeds"):
        results.read_sweep(tmp_path / "missing.json")
