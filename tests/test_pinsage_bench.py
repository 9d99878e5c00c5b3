"""Smoke test of the PinSage benchmark (tiny sizes; speed itself is only measured in benchmarks/)."""

from __future__ import annotations

import torch

from benchmarks.bench_pinsage import main

torch.set_num_threads(1)


def test_bench_smoke(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    result = main(["--smoke"])
    assert (tmp_path / "bench" / "pinsage_smoke.json").exists()
    assert result["sampler"]["speedup"] > 1
    assert result["inference"][0]["max_abs_difference"] < 1e-4
    assert result["inference"][0]["pernode_computed_est"] > result["inference"][0]["layerwise_computed"]
    assert result["retrieval"][0]["exact_recall_at_10"] == 1.0
