"""The course page and SUMMARY.md a person can read (issue #26): the course profile's headline rows only,
a comparability mark and numbered footnotes, at most 200 lines / under 300 kB, every string escaped,
written atomically."""

from __future__ import annotations

import json
import os

import mistune
import nbformat
import pytest

from lecturekit import course_site

LONG_NOTE = "a planted world, not the paper's data; " * 10  # 400 characters, repeated on many rows
METHODS = {
    "01_recsys_basics": (
        "movielens-100k",
        ["popularity", "item-cf", "content-knn", "bpr-mf"],
        ["hit@10", "recall@10", "ndcg@10", "mrr"],
    ),
    "02_pinsage": (
        "pinboard",
        [
            "visual",
            "annotation",
            "combined-knn",
            "combined",
            "pixie",
            "item-cf",
            "mean-pooling",
            "max-pooling",
            "pinsage",
            "pinsage-random-negatives",
        ],
        ["hit-rate", "mrr-scaled", "hit-rate/new-query", "hit-rate/tail-query", "mrr-scaled/new-target"],
    ),
    "03_hard_negatives": (
        "pinboard",
        ["pinsage", "pinsage-random-only", "pinsage-no-curriculum", "mean-pooling"],
        ["hit-rate", "mrr-scaled", "hit-rate/band=2r-5r"],
    ),
    "04_decagon": (
        "planted",
        ["decagon", "degree", "rescal", "dedicom", "deepwalk", "concat-mlp", "ddi-gcn"],
        ["auroc/uniform", "auroc/degree-matched", "auprc/uniform", "auroc/degree-matched/cold"],
    ),
    "05_graphrnn": (
        "community-small",
        ["graphrnn", "graphrnn-s", "erdos-renyi", "graphvae"],
        ["mmd-degree", "mmd-clustering", "mmd-orbit", "mmd-degree/tv", "mmd-degree/unbiased"],
    ),
    "06_gcpn": (
        "moses",
        ["gcpn", "gcpn-no-adversarial", "pretrained", "dataset-best"],
        ["plogp-top1", "plogp-top2", "qed-top1", "validity", "uniqueness", "success/logp=[-2.5,-2]"],
    ),
}


def _row(notebook, dataset, method, metric, profile, note=LONG_NOTE, paper=None, comparable=False):
    return {
        "notebook": notebook,
        "dataset": dataset,
        "method": method,
        "metric": metric,
        "profile": profile,
        "value": 0.5,
        "std": 0.01,
        "n": 3,
        "values": [0.49, 0.5, 0.51],
        "paper": paper,
        "comparable": comparable,
        "note": note,
    }


@pytest.fixture
def course_build(tmp_path):
    """A build/ as a full `make run` + `make test` leave it: course and quick rows, strata, long notes."""
    build = tmp_path / "build"
    results = build / "results"
    results.mkdir(parents=True)
    total = 0
    for notebook, (dataset, methods, metrics) in METHODS.items():
        rows = [
            _row(
                notebook,
                dataset,
                m,
                metric,
                profile,
                paper=0.7 if metric == metrics[0] else None,
                note=LONG_NOTE + m,
            )
            for profile in ("course", "quick")
            for m in methods
            for metric in metrics
        ]
        rows += [_row(notebook, f"{dataset}-regime/x={i}", "pinsage", "hit-rate", "course") for i in range(9)]
        total += len(rows)
        (results / f"{notebook}.json").write_text(json.dumps(rows))
    assert total > 300
    notebooks = build / "nb"
    notebooks.mkdir()
    for notebook in METHODS:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell(f"# {notebook}")]
        nbformat.write(nb, notebooks / f"{notebook}.ipynb")
    return build


def test_summary_holds_the_course_profiles_headline_rows_in_at_most_200_lines(course_build):
    path, errors = course_site.write_summary(course_build / "results")
    text = path.read_text()
    assert not errors and len(text.splitlines()) <= 200
    assert "| quick |" not in text and "hit-rate/new-query" not in text and "regime" not in text
    for method in ("pinsage", "bpr-mf", "decagon", "graphrnn", "gcpn", "popularity"):
        assert f"| {method} |" in text, method
    rows, keys, notebook = [], [], None
    for line in text.splitlines():
        notebook = line[3:] if line.startswith("## ") else notebook
        if line.startswith("| ") and "---" not in line and "dataset" not in line:
            rows.append(line)
            keys.append((notebook, *(cell.strip() for cell in line.split("|")[1:4])))
    assert len(keys) == len(set(keys))  # one row per (dataset, method, metric)
    assert all(line.split("|")[6].strip() in ("yes", "no", "—") for line in rows)  # a comparability mark each
    assert "| 0.7 | no |" in text  # beside the paper's number, not comparable: said so
    assert not any(LONG_NOTE[:40] in line for line in rows)  # notes are footnotes, each written once
    footnotes = [line for line in text.splitlines() if LONG_NOTE[:40] in line]
    assert len(footnotes) == len(set(footnotes)) and footnotes[0].startswith("1. ")
    assert "\n1. " in text and "[1]" in text
    quick = (course_build / "results" / "SUMMARY-quick.md").read_text()  # the smoke rows live elsewhere
    assert "quick profile" in quick and "| bpr-mf |" in quick


def test_the_course_page_is_small_and_shows_pinsage_and_bpr_mf(course_build):
    notebooks = sorted((course_build / "nb").glob("*.ipynb"))
    page = course_site.write_index(notebooks, course_build).read_text()
    assert len(page.encode()) < 300_000
    assert "<td>pinsage</td>" in page and "<td>bpr-mf</td>" in page and "<td>quick</td>" not in page
    assert page.count("<li>") < 60 and "regime" not in page


HOSTILE = [
    '<script>alert("x")</script>',
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "a | b",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_string_from_a_results_file_is_escaped(tmp_path, hostile):
    build = tmp_path / "build"
    (build / "results").mkdir(parents=True)
    row = _row("01_x", hostile, hostile, "hit-rate", "course", note=hostile)
    (build / "results" / "01_x.json").write_text(json.dumps([row]))
    (build / "results" / "timings.json").write_text(
        json.dumps({"profile": hostile, "notebooks": {"01_x": {"seconds": 1, "ok": True}}})
    )
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {hostile}")]
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    page = course_site.write_index([tmp_path / "01_x.ipynb"], build).read_text()
    summary = course_site.write_summary(build / "results")[0].read_text()
    rendered = mistune.html(summary)
    for text in (page, rendered):
        assert "<script" not in text and "<img" not in text and 'href="javascript' not in text
    table = [line for line in summary.splitlines() if line.startswith("| 01")]
    assert all(len(line.split(" | ")) == 7 for line in table)  # a '|' in a string does not add a column


def test_page_and_summary_are_written_by_an_atomic_replace(course_build, monkeypatch):
    replaced = []
    real = os.replace
    monkeypatch.setattr(
        os, "replace", lambda src, dst: (replaced.append(os.path.basename(dst)), real(src, dst))
    )
    course_site.write_summary(course_build / "results")
    course_site.write_index(sorted((course_build / "nb").glob("*.ipynb")), course_build)
    assert {"SUMMARY.md", "SUMMARY-quick.md", "index.html"} <= set(replaced)
    assert not list(course_build.rglob("*.tmp"))
