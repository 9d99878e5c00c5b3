"""Executed copies read well: final progress bars, offline MathJax, the course page, the course kernel."""

from __future__ import annotations

import json

import nbformat
import pytest

from lecturekit import cli, course_site

BARS = """from tqdm.auto import tqdm
for _ in tqdm(range(50), desc="epochs"):
    pass
for _ in tqdm(range(5), desc="inner", leave=False):
    pass
bar = tqdm(total=10, desc="stopped")
bar.update(4)
bar.close()
for _ in tqdm(iter(range(3)), desc="no total"):
    pass
print("done")"""


def _executed(tmp_path, source):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source)]
    client = course_site.ExecutingClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    return notebook, client


def test_progress_bars_are_saved_in_their_final_state(tmp_path):
    notebook, client = _executed(tmp_path, BARS)
    frozen = [o["data"]["text/plain"] for o in notebook.cells[0].outputs if "data" in o]
    assert any(text.startswith("epochs:   0%") for text in frozen)  # what nbclient alone saves
    assert course_site.settle_progress_bars(notebook, client.closed_widgets) == 4
    texts = [o["data"]["text/plain"] if "data" in o else o["text"] for o in notebook.cells[0].outputs]
    assert texts[0].startswith("epochs: 100%|██████████| 50/50 [")
    assert texts[1].startswith("stopped:  40%|████      | 4/10 [")
    assert texts[2].startswith("no total: 3/? [")  # no bar drawn when the total is unknown
    assert texts[3] == "done\n"  # the leave=False bar removed itself, as it does live
    assert len(texts) == 4
    assert not any(course_site.WIDGET_VIEW in o.get("data", {}) for o in notebook.cells[0].outputs)
    assert "widgets" not in notebook.metadata  # its only users are gone


def test_other_widgets_and_their_state_are_kept(tmp_path):
    notebook, client = _executed(tmp_path, "import ipywidgets\nipywidgets.IntSlider(3)")
    assert course_site.settle_progress_bars(notebook, client.closed_widgets) == 0
    assert course_site.WIDGET_VIEW in notebook.cells[0].outputs[0]["data"]
    assert "widgets" in notebook.metadata


def test_html_uses_the_mathjax_copied_from_the_environment(tmp_path):
    url = course_site.install_mathjax(tmp_path)
    assert (tmp_path / "mathjax" / "MathJax.js").is_file()
    config = course_site.MATHJAX_CONFIG.split(",")[0]
    assert (tmp_path / "mathjax" / "config" / f"{config}.js").is_file()  # the config the URL names exists
    assert (tmp_path / "mathjax" / "jax" / "output" / "HTML-CSS").is_dir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(r"The loss $\mathcal{L} = -\log \sigma(x)$.")]
    body, _ = course_site.html_exporter(url).from_notebook_node(notebook)
    assert 'src="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"' in body
    assert "cdnjs.cloudflare.com/ajax/libs/mathjax" not in body
    assert course_site.install_mathjax(tmp_path) == url  # a second run reuses the copy


def test_course_page_lists_notebooks_in_order_with_runtime_and_headlines(tmp_path, monkeypatch):
    monkeypatch.setitem(course_site.HEADLINES, "01_first", (("ml-100k",), ("hit-rate",)))
    build = tmp_path / "build"
    (build / "results").mkdir(parents=True)
    (build / "html").mkdir()
    nb_dir = tmp_path / "nb"
    nb_dir.mkdir()
    for stem, title in (("01_first", "Recommenders from scratch"), ("02_second", "PinSage")):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nText.")]
        nbformat.write(notebook, nb_dir / f"{stem}.ipynb")
    (build / "html" / "01_first.html").write_text("<html></html>")
    (build / "results" / "timings.json").write_text(
        json.dumps(
            {
                "profile": "quick",
                "notebooks": {
                    "01_first": {"seconds": 42.4, "ok": True},
                    "02_second": {"seconds": 750.0, "ok": False},
                },
                "by_profile": {"course": {"01_first": {"seconds": 300.0, "ok": True}}},
            }
        )
    )
    rows = [
        {
            "dataset": "ml-100k",
            "method": f"m{i}",
            "metric": "hit-rate",
            "value": 0.1 * i,
            "paper": None,
            "comparable": False,
            "note": "same note",
            "profile": "course",
        }
        for i in range(8)
    ]
    rows[5].update(paper=0.5, note="another note")
    smoke = [dict(r, profile="quick", method=f"smoke{i}") for i, r in enumerate(rows)]
    strata = [dict(r, metric="hit-rate/new-query", method=f"stratum{i}") for i, r in enumerate(rows)]
    (build / "results" / "01_first.json").write_text(json.dumps(rows + smoke + strata))
    page = course_site.write_index(cli.list_notebooks(nb_dir), build).read_text()
    first, second = page.index("Recommenders from scratch"), page.index("PinSage")
    assert first < second
    assert '<a href="html/01_first.html">Recommenders from scratch</a>' in page
    assert "Runtime: 42 s (quick profile); 5.0 min (course profile)</p>" in page
    assert "Runtime: 12.5 min (quick profile) — <strong>failed</strong>" in page
    assert page.index("<td>m0</td>") < page.index("<td>m7</td>")  # the notebook's own order
    assert (
        "<td>m5</td><td>hit-rate</td><td>0.5</td><td>0.5</td><td>no</td>" in page
    )  # beside the paper: marked
    assert "<td>m0</td><td>hit-rate</td><td>0</td><td>—</td><td>—</td>" in page
    assert "smoke" not in page and "stratum" not in page  # course headline rows only
    assert page.count("<li>same note</li>") == 1 and '<td class="note">[1]</td>' in page  # numbered footnotes
    assert "No course-profile results recorded yet." in page  # 02 recorded nothing


def test_the_course_kernel_is_used_when_installed(monkeypatch, capsys):
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    specs = KernelSpecManager().find_kernel_specs()
    if cli.COURSE_KERNEL in specs:
        assert cli.course_kernel() == cli.COURSE_KERNEL
        assert "not this environment" not in capsys.readouterr().err

    def missing(self, name):
        raise NoSuchKernel(name)

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", missing)
    assert cli.course_kernel() == cli.FALLBACK_KERNEL
    assert "the course kernel 'lecturekit' is not installed (run `make kernel`)" in capsys.readouterr().err


@pytest.mark.skipif(
    "lecturekit" not in __import__("jupyter_client.kernelspec").kernelspec.find_kernel_specs(),
    reason="needs the course kernel (make kernel)",
)
def test_run_executes_in_the_course_kernel_and_writes_the_page(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("LECTUREKIT_PROFILE", "course")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Toy\n$x^2$"),
        nbformat.v4.new_code_cell(
            "import sys, os\nfrom tqdm.auto import tqdm\n"
            "for _ in tqdm(range(3), desc='steps'): pass\nprint(sys.prefix)"
        ),
    ]
    nbformat.write(notebook, tmp_path / "01_toy.ipynb")
    assert cli.run(["01"], "quick", timeout=120, directory=tmp_path) == 0
    executed = nbformat.read(tmp_path / "build/notebooks/01_toy.ipynb", as_version=4)
    texts = [o["data"]["text/plain"] if "data" in o else o["text"] for o in executed.cells[1].outputs]
    assert texts[0].startswith("steps: 100%|██████████| 3/3")
    html_page = (tmp_path / "build/html/01_toy.html").read_text()
    assert "mathjax/MathJax.js" in html_page
    assert (tmp_path / "build/html/mathjax/MathJax.js").is_file()
    index = (tmp_path / "build/index.html").read_text()
    assert '<a href="html/01_toy.html">Toy</a>' in index and "(quick profile)" in index


def test_notebooks_store_the_course_kernelspec():
    """Lab writes the kernel's spec and language_info on opening: stored equal, the notebook stays unmodified."""
    for path in cli.list_notebooks():
        metadata = nbformat.read(path, as_version=4).metadata
        assert metadata["kernelspec"] == cli.COURSE_KERNELSPEC, path.name
        info = metadata["language_info"]
        assert info["name"] == "python" and info["version"].startswith("3.11."), path.name
        assert info["pygments_lexer"] == "ipython3" and info["codemirror_mode"] == {
            "name": "ipython",
            "version": 3,
        }


@pytest.mark.skipif(
    "lecturekit" not in __import__("jupyter_client.kernelspec").kernelspec.find_kernel_specs(),
    reason="needs the course kernel (make kernel)",
)
def test_the_installed_course_kernel_matches_what_notebooks_store():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(cli.COURSE_KERNEL)
    assert spec.display_name == cli.COURSE_KERNELSPEC["display_name"]
    assert spec.language == cli.COURSE_KERNELSPEC["language"]


def test_timings_keep_the_last_run_of_every_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    (tmp_path / "results").mkdir()
    # a file from before by_profile existed: its course runs are kept under by_profile
    (tmp_path / "results" / "timings.json").write_text(
        json.dumps({"profile": "course", "notebooks": {"01_a": {"seconds": 100.0, "ok": True}}})
    )
    cli.write_timings("quick", {"01_a": {"seconds": 5.0, "ok": True}})
    cli.write_timings("quick", {"02_b": {"seconds": 7.0, "ok": True}})
    timings = json.loads((tmp_path / "results" / "timings.json").read_text())
    assert timings["profile"] == "quick" and set(timings["notebooks"]) == {"01_a", "02_b"}
    assert timings["by_profile"]["course"] == {"01_a": {"seconds": 100.0, "ok": True}}
    assert timings["by_profile"]["quick"]["01_a"]["seconds"] == 5.0
    cli.write_timings("course", {"02_b": {"seconds": 70.0, "ok": True}})
    timings = json.loads((tmp_path / "results" / "timings.json").read_text())
    assert set(timings["notebooks"]) == {"02_b"}  # the latest profile's runs, as before
    assert set(timings["by_profile"]["course"]) == {"01_a", "02_b"} and set(
        timings["by_profile"]["quick"]
    ) == {"01_a", "02_b"}
