"""experiments/seeds.py: the committed script behind multi-seed claims outside a notebook run."""

from __future__ import annotations

import importlib
import json
import re

import pytest

from experiments import seeds


def test_parse_seeds():
    assert seeds.parse_seeds("0-2,7") == [0, 1, 2, 7]
    for bad in ("x", "2,2", "-1", ""):
        with pytest.raises(SystemExit):
            seeds.parse_seeds(bad)


@pytest.mark.parametrize("app", sorted(seeds.APPS))
def test_every_registered_application_resolves(app):
    module_name, profiles_name, run_name = seeds.APPS[app]
    module = importlib.import_module(module_name)
    assert getattr(module, profiles_name).get("quick") is not None
    assert callable(getattr(module, run_name))


def test_runs_seeds_and_writes_intervals(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    with pytest.raises(SystemExit, match="unknown application"):
        seeds.run("nope", [0], "quick")
    out = seeds.run("decagon-leak", [0, 1], "quick")
    payload = json.loads(out.read_text())
    assert out == tmp_path / "experiments" / "decagon-leak-quick.json"
    assert payload["seeds"] == [0, 1] and payload["config"]
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?|unknown", payload["sources"])
    row = next(
        m
        for m in payload["metrics"]
        if m["method"] == "decagon-leaky-split" and m["metric"] == "auroc/degree-matched"
    )
    assert len(row["values"]) == 2 and row["ci95"][0] <= row["mean"] <= row["ci95"][1]
