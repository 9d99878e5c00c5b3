"""The trust spine: checkpoints, results with caveats, the run command, the experiment shape."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import nbformat
import numpy as np
import pytest
import torch

from lecturekit import checkpoints, cli, course_site, results
from lecturekit.results import Row
from lecturekit.seed import numpy_stream, seeded, torch_stream
from lecturekit.stats import bootstrap_mean, paired_bootstrap, seed_interval
from lecturekit.studies.contract import Profiles, RunResult, check_frozen, collect_rows, record_runs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("LECTUREKIT_PROFILE", "course")
    return tmp_path / "build"


# ------------------------------------------------------------------ checkpoints
@dataclass(frozen=True)
class _Cfg:
    lr: float = 1e-3
    seed: int = 0
    inner: tuple[int, ...] = (1, 2)


def _sig(**changes):
    return checkpoints.signature(replace(_Cfg(), **changes), {"name": "toy", "size": 10}, [checkpoints])


def test_checkpoint_round_trip_and_atomic_save(tmp_path):
    path = tmp_path / "ck" / "run.pt"
    state = {
        "model": {"w": torch.arange(3.0)},
        "epoch": 2,
        "history": [0.5, 0.25],
        "rng": torch.get_rng_state(),
    }
    checkpoints.save(path, state, _sig())
    assert sorted(p.name for p in path.parent.iterdir()) == ["run.pt"]  # no temporary left behind
    assert path.stat().st_mode & 0o777 == checkpoints.umask_mode()  # readable as a plainly written file
    loaded = checkpoints.load(path, _sig())
    assert loaded["epoch"] == 2 and torch.equal(loaded["model"]["w"], torch.arange(3.0))
    assert checkpoints.load(tmp_path / "absent.pt", _sig()) is None


def test_checkpoint_mismatch_names_the_differing_fields(tmp_path):
    path = tmp_path / "run.pt"
    checkpoints.save(path, {"epoch": 0}, _sig())
    with pytest.raises(checkpoints.CheckpointMismatch, match=r"config\.lr: saved 0\.001, now 0\.01") as err:
        checkpoints.load(path, _sig(lr=1e-2, seed=3))
    assert set(err.value.differences) == {"config.lr", "config.seed"}
    other_data = checkpoints.signature(_Cfg(), {"name": "toy", "size": 11}, [checkpoints])
    with pytest.raises(checkpoints.CheckpointMismatch, match=r"data\.size"):
        checkpoints.load(path, other_data)
    other_code = checkpoints.signature(_Cfg(), {"name": "toy", "size": 10}, [checkpoints, results])
    with pytest.raises(checkpoints.CheckpointMismatch, match="source"):
        checkpoints.load(path, other_code)
    assert checkpoints.load(path, _sig(lr=1e-2), overwrite=True) is None  # asked to start afresh


def test_checkpoint_refuses_unsafe_state_and_crafted_files(tmp_path):
    with pytest.raises(TypeError, match="plain tensors"):
        checkpoints.save(tmp_path / "bad.pt", {"obj": object()}, _sig())
    assert not (tmp_path / "bad.pt").exists()

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    crafted = tmp_path / "crafted.pt"
    torch.save({"format": 1, "signature": json.dumps(_sig()), "state": {"x": Exploit()}}, crafted)
    with pytest.raises(ValueError, match="not a readable lecturekit checkpoint"):
        checkpoints.load(crafted, _sig())
    assert not (tmp_path / "pwned").exists()
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ValueError, match=str(raw.name)):
        checkpoints.load(raw, _sig())
    plain = tmp_path / "plain.pt"
    torch.save({"model": {"w": torch.ones(1)}}, plain)  # safe to read, but not ours: no signature
    with pytest.raises(ValueError, match="not a lecturekit checkpoint"):
        checkpoints.load(plain, _sig())


def test_no_unsafe_loads_anywhere_in_the_project():
    pattern = re.compile(r"weights_only\s*=\s*False|pickle\.load|joblib\.load|import pickle|import joblib")
    offenders = []
    for path in [
        *ROOT.glob("lecturekit/**/*.py"),
        *ROOT.glob("benchmarks/**/*.py"),
        *ROOT.glob("notebooks/*.ipynb"),
        *ROOT.glob("experiments/**/*.py"),
        *ROOT.glob("tools/**/*.py"),
    ]:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert not offenders, offenders
    loads = []
    for path in ROOT.glob("lecturekit/**/*.py"):
        if path.name != "checkpoints.py" and "torch.load(" in path.read_text(encoding="utf-8"):
            loads.append(str(path.relative_to(ROOT)))
    assert not loads, f"torch.load outside lecturekit/checkpoints.py: {loads}"


# ------------------------------------------------------------------ results
def _writer(args):
    build_dir, worker = args
    import os

    os.environ["LECTUREKIT_BUILD_DIR"] = build_dir
    os.environ["LECTUREKIT_PROFILE"] = "course"
    from lecturekit import results as res

    for i in range(20):
        res.record("01_demo", "toy", f"m{worker}-{i}", "hit-rate", 0.1)


def test_record_is_safe_under_concurrent_writers(build):
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_writer, [(str(build), w) for w in range(4)])
    rows = results.load("01_demo")
    assert len(rows) == 80 and len({r["method"] for r in rows}) == 80


def test_rows_carry_comparability_and_notes(build):
    results.record(
        "04_demo",
        "planted",
        "decagon",
        "auroc/uniform",
        0.8,
        paper=0.872,
        note="planted world; paper: BioSNAP",
    )
    results.record(
        "04_demo",
        "biosnap",
        "decagon",
        "auroc/uniform",
        0.86,
        paper=0.872,
        comparable=True,
        note="BioSNAP, the paper's protocol",
    )
    with pytest.raises(ValueError, match="no 'paper' number"):
        results.record("04_demo", "planted", "x", "auroc", 0.5, comparable=True)
    with pytest.raises(TypeError, match="'comparable'"):
        results.record("04_demo", "planted", "x", "auroc", 0.5, comparable="yes")
    with pytest.raises(ValueError, match="metric names"):
        results.record("04_demo", "planted", "x", "AUROC (uniform)", 0.5)
    summary = course_site.write_summary()[0].read_text()
    assert "| comparable | notes |" in summary
    assert "| planted | decagon | auroc/uniform | 0.8 | 0.872 | no | [1] |" in summary
    assert "| biosnap | decagon | auroc/uniform | 0.86 | 0.872 | yes | [2] |" in summary
    assert "1. planted world; paper: BioSNAP" in summary


def test_corrupt_results_file_is_named_and_the_rest_is_summarised(build):
    results.record("01_demo", "toy", "pop", "hit-rate", 0.1)
    bad = build / "results" / "02_broken.json"
    bad.write_text("{not json")
    with pytest.raises(results.ResultsFileError, match="02_broken.json"):
        results.record("02_broken", "toy", "pop", "hit-rate", 0.1)
    path, errors = course_site.write_summary()
    assert len(errors) == 1 and "02_broken.json" in errors[0]
    text = path.read_text()
    assert "| toy | pop | hit-rate | 0.1 |" in text and "Unreadable" in text


# ------------------------------------------------------------------ the run command
def _notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(notebook, path)


def test_resolve_refuses_paths_and_ambiguous_names(tmp_path):
    for name in ("01_a_one", "02_b_two", "03_b_three"):
        _notebook(tmp_path / f"{name}.ipynb", "1")
    assert [p.stem for p in cli.resolve(["02", "03_b", "01_a_one"], tmp_path)] == [
        "02_b_two",
        "03_b_three",
        "01_a_one",
    ]
    with pytest.raises(SystemExit, match="is a path"):
        cli.resolve([str(tmp_path / "01_a_one.ipynb")], tmp_path)
    with pytest.raises(SystemExit, match="is a path"):
        cli.resolve(["01_a_one.ipynb"], tmp_path)
    with pytest.raises(SystemExit, match="matches several notebooks"):
        cli.resolve(["0"], tmp_path)
    with pytest.raises(SystemExit, match="unknown notebook"):
        cli.resolve(["99"], tmp_path)


def test_run_fails_on_printed_tracebacks_and_writes_timings(tmp_path, build):
    _notebook(tmp_path / "01_clean.ipynb", "print('fine')")
    _notebook(
        tmp_path / "02_noisy.ipynb",
        "import sys\nprint('Traceback (most recent call last):\\n  File x\\nAssertionError: child', file=sys.stderr)",
    )
    _notebook(
        tmp_path / "03_shown.ipynb",
        "from IPython.display import display\nimport traceback\n"
        "try:\n    1/0\nexcept ZeroDivisionError:\n    traceback.print_exc()",
    )
    assert cli.run(["01"], "quick", timeout=120, directory=tmp_path) == 0
    assert cli.run(["02"], "quick", timeout=120, directory=tmp_path) == 1
    assert cli.run(["03"], "quick", timeout=120, directory=tmp_path) == 1
    timings = json.loads((build / "results" / "timings.json").read_text())
    assert timings["profile"] == "quick"
    assert set(timings["notebooks"]) == {"01_clean", "02_noisy", "03_shown"}
    assert timings["notebooks"]["01_clean"]["ok"] and not timings["notebooks"]["02_noisy"]["ok"]
    assert isinstance(timings["notebooks"]["01_clean"]["seconds"], float)


def test_run_writes_the_summary_despite_a_corrupt_results_file(tmp_path, build):
    _notebook(
        tmp_path / "01_rec.ipynb", "from lecturekit import record\nrecord('01_rec', 'toy', 'm', 'acc', 0.5)"
    )
    (build / "results").mkdir(parents=True)
    (build / "results" / "09_bad.json").write_text("[1, 2")
    assert cli.run(["01"], "quick", timeout=120, directory=tmp_path) == 1  # the corrupt file is an error...
    assert (
        "| toy | m | acc | 0.5 |" in (build / "results" / "SUMMARY-quick.md").read_text()
    )  # ...the rest is summarised


# ------------------------------------------------------------------ the experiment shape
@dataclass(frozen=True)
class _Exp:
    size: int = 100
    dims: tuple[int, ...] = (4, 8)


@dataclass(frozen=True)
class _Result(RunResult):
    hit: float = 0.0

    def rows(self):
        return [Row("toy", "m", "hit-rate", self.hit, paper=0.5, note="toy world")]


def test_profiles_are_frozen_and_built_by_replace(monkeypatch):
    course = _Exp()
    profiles = Profiles(quick=replace(course, size=10), course=course, full=replace(course, size=1000))
    monkeypatch.setenv("LECTUREKIT_PROFILE", "quick")
    assert profiles.get().size == 10 and profiles.get("full").size == 1000
    with pytest.raises(AttributeError):
        profiles.get().size = 3  # type: ignore[misc]

    @dataclass(frozen=True)
    class Leaky:
        world: dict = field(default_factory=dict)

    @dataclass
    class Editable:
        size: int = 1

    with pytest.raises(TypeError, match="world is a dict"):
        check_frozen(Leaky())
    with pytest.raises(TypeError, match="frozen dataclass"):
        Profiles(quick=Editable(), course=Editable(), full=Editable())


def test_record_runs_merges_seeds(build):
    runs = [_Result(seed=1, seconds=0.1, hit=0.4), _Result(seed=0, seconds=0.1, hit=0.2)]
    merged = collect_rows(runs)
    assert len(merged) == 1 and merged[0].value == [0.2, 0.4]  # ordered by seed
    stored = record_runs("01_demo", runs)
    assert stored[0]["n"] == 2 and stored[0]["values"] == [0.2, 0.4] and stored[0]["note"] == "toy world"
    with pytest.raises(ValueError, match="repeat a seed"):
        collect_rows([runs[0], runs[0]])


@dataclass(frozen=True)
class _Hits(RunResult):
    hits: int = 0
    partial_metrics: ClassVar[tuple[str, ...]] = ("diversity/",)

    def rows(self):
        rows = [Row("toy", "m", "success/w", self.hits / 10)]
        if self.hits:  # no hit, no diversity
            rows.append(Row("toy", "m", "diversity/w", 0.5 + self.hits / 100, note="over hits"))
        if self.hits > 1:
            rows.append(Row("toy", "m", "runs-with-two-hits", 1.0))
        return rows


def test_partial_metrics_merge_over_the_seeds_that_have_them():
    runs = [
        _Hits(seed=2, seconds=0.1, hits=3),
        _Hits(seed=0, seconds=0.1, hits=0),
        _Hits(seed=1, seconds=0.1, hits=1),
    ]
    with pytest.raises(ValueError, match="runs-with-two-hits was produced by 1 of 3 seeds"):
        collect_rows(runs)  # not declared partial: an error
    merged = {r.metric: r for r in collect_rows(runs[1:])}
    assert merged["success/w"].value == [0.0, 0.1]
    assert merged["diversity/w"].value == [0.51]  # a list: one seed of two
    assert merged["diversity/w"].note == "over hits; defined in 1 of 2 seeds (1)"


def test_runs_own_their_random_streams():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    with seeded(5):
        a = torch.randn(3)
    assert torch.equal(torch.get_rng_state(), before)  # the cells after see no trace
    torch.randn(10)  # "another cell ran before"
    with seeded(5):
        b = torch.randn(3)
    assert torch.equal(a, b)
    assert torch.equal(
        torch.randn(2, generator=torch_stream(3, "split")), torch.randn(2, generator=torch_stream(3, "split"))
    )
    assert not torch.equal(torch_stream(3, "split").get_state(), torch_stream(3, "init").get_state())
    assert numpy_stream(1, "x").integers(1 << 30) == numpy_stream(1, "x").integers(1 << 30)


def test_intervals():
    assert seed_interval([0.5]).low == 0.5
    iv = seed_interval([0.1, 0.2, 0.3])
    assert iv.low < 0.2 < iv.high and iv.n == 3
    diff = paired_bootstrap(np.ones(200), np.zeros(200))
    assert diff.estimate == 1.0 and diff.excludes_zero()
    noise = bootstrap_mean(np.random.default_rng(0).normal(size=500))
    assert noise.low < 0 < noise.high
    with pytest.raises(ValueError, match="differ in length"):
        paired_bootstrap([1.0, 2.0], [1.0])
