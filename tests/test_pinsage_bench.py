"""Smoke test of the PinSage benchmark (tiny sizes; speed itself is only measured in benchmarks/)."""

from __future__ import annotations

import json
import random

import torch

from benchmarks.bench_pinsage import main, naive_sample

torch.set_num_threads(1)


def test_bench_smoke(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    result = main(["--smoke"])
    saved = json.loads((tmp_path / "bench" / "pinsage_smoke.json").read_text())
    assert saved["sampler"]["speedup"] == result["sampler"]["speedup"] > 1
    assert all(v > 0 for k, v in result["sampler"].items() if k.startswith("floor_ns_"))
    assert result["inference"][0]["max_abs_difference"] < 1e-4
    inference = result["inference"][0]
    assert inference["pernode_computed_est"] > inference["layerwise_computed"]
    assert inference["max_abs_difference_recompute"] < 1e-5
    assert inference["pernode_matmul_multiplies_est"] > inference["layerwise_recompute_matmul_multiplies"]
    assert inference["layerwise_recompute_matmul_multiplies"] > inference["layerwise_matmul_multiplies"] > 0
    assert inference["matmul_work_ratio_recompute_vs_shared"] == (
        inference["layerwise_recompute_matmul_multiplies"] / inference["layerwise_matmul_multiplies"]
    )
    assert saved["inference"][0]["layerwise_matmul_multiplies"] == inference["layerwise_matmul_multiplies"]
    assert result["retrieval"][0]["exact_recall_at_10"] == 1.0
    assert result["calibration"]["same_decisions"] and result["calibration"]["speedup_median"] > 0
    ranking = result["ranking"]
    assert (
        ranking["ranks_identical"]
        and ranking["ranks_speedup_median"] > 0
        and ranking["bands_speedup_median"] > 0
    )
    assert (
        ranking["kernel_rows_depending_on_depth"] == 0
    )  # the kernel's order never depends on the depth asked for
    assert (
        0
        <= ranking["bands_rows_identical_to_topk"]
        <= ranking["bands_rows_same_set_as_topk"]
        <= ranking["queries"]
    )
    hot = result["hotspots"][0]
    assert hot["versions"] == ["coo", "concat", "now"]
    for name in ("train", "inference"):
        assert hot[f"{name}_speedup_vs_coo_median"] > 0 and hot[f"{name}_speedup_vs_concat_median"] > 0
        assert all(hot[f"{name}_profile_{kind}"] for kind in hot["versions"])
    # the older code versions compute the same embeddings (up to float rounding): only the speed differs
    for kind in ("coo", "concat"):
        assert (
            0 < hot[f"inference_max_abs_difference_vs_{kind}"] < 1e-5
        )  # > 0: the versions' code reached the output
    assert hot["inference_max_abs_difference_vs_now"] == 0.0


def test_naive_baseline_counts_and_normalises() -> None:
    # items 0, 1, 2 share user 0: walks from item 0 reach exactly items 1 and 2
    item_users, user_items = [[0], [0], [0]], [[0, 1, 2]]
    best = naive_sample(
        item_users,
        user_items,
        0,
        num_walks=400,
        walk_length=2,
        restart_prob=0.5,
        top_t=5,
        rng=random.Random(0),
    )
    assert {item for item, _ in best} == {1, 2}
    assert abs(sum(w for _, w in best) - 1.0) < 1e-9
