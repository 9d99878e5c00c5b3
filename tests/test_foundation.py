"""Profiles, results API, seeding, pinned environment and committed notebooks."""

import json
import re
from pathlib import Path

import pytest

from lecturekit import config, course_site, results

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("LECTUREKIT_PROFILE", raising=False)
    monkeypatch.delenv("CI", raising=False)
    return monkeypatch


def test_profile_defaults_to_course_and_ci_means_quick(clean_env):
    assert config.get_profile() == "course"
    clean_env.setenv("CI", "true")
    assert config.get_profile() == "quick"
    clean_env.setenv("CI", "false")
    assert config.get_profile() == "course"


def test_explicit_profile_wins(clean_env):
    clean_env.setenv("CI", "1")
    clean_env.setenv("LECTUREKIT_PROFILE", "full")
    assert config.get_profile() == "full"
    assert config.get_profile("Course") == "course"


def test_unknown_profile_names_its_source(clean_env):
    clean_env.setenv("LECTUREKIT_PROFILE", "fast")
    with pytest.raises(ValueError, match="LECTUREKIT_PROFILE is 'fast'"):
        config.get_profile()
    with pytest.raises(ValueError, match="argument 'profile'"):
        config.get_profile("huge")


APPLICATIONS = {  # notebook -> the module holding its frozen config and run_seed
    "01_recsys_basics": "lecturekit.studies.nb01_recsys",
    "02_pinsage": "lecturekit.studies.nb02_pinsage",
    "03_hard_negatives": "lecturekit.studies.nb03_hard_negatives",
    "04_decagon": "lecturekit.studies.nb04_decagon",
    "05_graphrnn": "lecturekit.studies.nb05_graphrnn",
    "06_gcpn": "lecturekit.studies.nb06_gcpn",
}


@pytest.mark.parametrize("notebook", sorted(APPLICATIONS))
def test_every_application_has_frozen_profiles_and_a_run_seed(notebook, clean_env):
    import importlib
    import inspect

    from lecturekit.studies.contract import Profiles, RunResult

    module = importlib.import_module(APPLICATIONS[notebook])
    assert isinstance(module.PROFILES, Profiles), (
        notebook
    )  # built and checked frozen in Profiles.__post_init__
    assert module.PROFILES.get() is module.PROFILES.course
    clean_env.setenv("LECTUREKIT_PROFILE", "quick")
    assert module.PROFILES.get() is module.PROFILES.quick
    runs = [
        f
        for name, f in vars(module).items()
        if name.startswith("run_") and name.endswith("seed") and callable(f)
    ]
    assert runs, f"{APPLICATIONS[notebook]} has no run_seed"
    for run in runs:
        returned = inspect.signature(run).return_annotation
        result_type = getattr(module, returned, None) if isinstance(returned, str) else returned
        assert isinstance(result_type, type) and issubclass(result_type, RunResult), (run.__name__, returned)
    source = (ROOT / "notebooks" / f"{notebook}.ipynb").read_text()
    assert "PROFILES.get()" in source and "record_runs(" in source, (
        f"{notebook} does not use the experiment shape"
    )
    assert "sizes(" not in source


def test_record_writes_upserts_and_summarises(tmp_path, clean_env):
    clean_env.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    results.record("01_demo.ipynb", "toy", "pop", "hit@10", 0.1, paper=0.2)
    results.record("01_demo", "toy", "pop", "hit@10", 0.15)  # replaces, never duplicates
    results.record("01_demo", "toy", "mf", "hit@10", [0.2, 0.4])
    rows = json.loads((tmp_path / "results" / "01_demo.json").read_text())
    assert len(rows) == 2
    pop = next(r for r in rows if r["method"] == "pop")
    assert pop == {
        "notebook": "01_demo",
        "dataset": "toy",
        "method": "pop",
        "metric": "hit@10",
        "profile": "course",
        "value": 0.15,
        "paper": None,
        "comparable": False,
        "note": "",
    }
    mf = next(r for r in rows if r["method"] == "mf")
    assert mf["value"] == pytest.approx(0.3) and mf["n"] == 2 and mf["std"] == pytest.approx(0.1414, abs=1e-3)
    summary = course_site.write_summary()[0].read_text()
    assert "| toy | mf | hit@10 | 0.3 ± 0.14 (n=2) | — | — |  |" in summary
    assert "## 01_demo" in summary


def test_record_rejects_bad_values(tmp_path, clean_env):
    clean_env.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="finite"):
        results.record("01_demo", "toy", "pop", "hit@10", float("nan"))
    with pytest.raises(TypeError, match="'value'"):
        results.record("01_demo", "toy", "pop", "hit@10", "high")
    with pytest.raises(ValueError, match="'method'"):
        results.record("01_demo", "toy", "", "hit@10", 0.1)
    with pytest.raises(ValueError, match="empty sequence"):
        results.record("01_demo", "toy", "pop", "hit@10", [])


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_requirements_are_pinned_and_environment_yml_agrees():
    pins = _requirements()
    assert pins["torch"] == "2.13.0"
    env = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*python=3\.11\s*$", env, re.M)
    env_pins = {}
    for name, version in re.findall(r"^\s*-\s*([A-Za-z0-9_.\-]+)==(\S+)\s*$", env, re.M):
        env_pins[name.lower().replace("_", "-")] = version
    assert env_pins == pins
    for line in (ROOT / "requirements-data.txt").read_text().split():
        assert re.fullmatch(r"[a-z]+==[0-9.]+", line), line  # pinned too; installed with --no-deps


def test_committed_notebooks_are_stripped_and_numbered():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        assert re.match(r"\d\d_[a-z0-9_]+\.ipynb$", path.name), path.name
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, (
                    f"{path.name} has outputs"
                )


def test_cli_lists_notebooks_in_order(capsys):
    from lecturekit.cli import main

    assert main(["list"]) == 0
    names = capsys.readouterr().out.split()
    assert names == sorted(names) and names[0] == "01_recsys_basics"
    with pytest.raises(SystemExit, match="unknown notebook"):
        main(["run", "99_nothing"])
