"""The GraphRNN benchmark runs end to end in smoke mode (speed itself lives in benchmarks/)."""

import json

import torch

from benchmarks.bench_graphrnn import main

torch.set_num_threads(1)


def test_bench_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    result = main(["--smoke"])
    assert result["orbit_counting"][0]["speedup"] > 0
    assert json.loads((tmp_path / "bench" / "graphrnn.json").read_text())["profile"] == "smoke"
