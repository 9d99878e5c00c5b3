"""The Decagon benchmark runs end to end on a tiny graph (speed itself lives in benchmarks/)."""

import json

import torch

from benchmarks.bench_decagon import main, random_graph
from lecturekit.data.polypharmacy import DDI

torch.set_num_threads(1)


def test_bench_smoke(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    report = main(["--smoke"])
    saved = json.loads((tmp_path / "bench" / "decagon.json").read_text())
    assert saved["graph"] == "smoke"
    for kind in ("ours_layer", "pyg_rgcn_layer", "ours_epoch"):
        assert report["results"][kind]["seconds"] > 0
    assert report["rgcn_over_ours_layer_time"] > 0


def test_random_graph_statistics():
    data = random_graph(drugs=20, proteins=30, ppi=100, targets=40, relations=4, ddi=200)
    ei = data[DDI].edge_index
    assert bool((ei[0] < ei[1]).all()) and int(data[DDI].edge_type.max()) < 4


def test_bench_smoke_reads_biosnap_files_and_records_the_epoch(tmp_path, monkeypatch):
    """The real-data path: files in BioSNAP's format are written, loaded by load_biosnap, trained one epoch."""
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    report = main(["--smoke"])
    files = report["results"]["biosnap_files"]
    assert files["load_seconds"] > 0 and files["epoch_seconds"] > 0 and files["side_effects"] == 5
    assert report["peak_rss_gb"] > 0 and report["epoch_seconds"] == files["epoch_seconds"]
