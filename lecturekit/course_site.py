"""The executed course as students read it: settled progress bars, offline formulas, a course page.

``lecturekit run`` uses three things from here:

- :class:`ExecutingClient` runs a notebook like nbclient's ``NotebookClient`` (with encrypted kernel
  traffic, :func:`encrypt_kernel_traffic`) and also notes which widgets the kernel closed. :func:`settle_progress_bars` then turns each tqdm widget in the saved
  outputs into one text line showing its *final* state (``epochs: 100%|██████████| 50/50 [...]``)
  and drops the bars that closed themselves (``leave=False``). Without it a saved copy shows every
  bar at "0%": the widget's text fallback is written when the bar is created, and the widget
  itself needs a live Jupyter (or JavaScript from a CDN) to draw.
- :func:`install_mathjax` copies the MathJax 2.7 files shipped by ``jupyter-server-mathjax`` (a
  pinned requirement) into ``build/html/mathjax/`` and :func:`html_exporter` points nbconvert at
  them, so formulas render from the environment with no network (nbconvert's default is a CDN).
- :func:`write_index` writes ``build/index.html``: the notebooks in lecture order, each with its
  rendered HTML, its runtime from ``timings.json``, its headline results, then the summary table.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from nbclient import NotebookClient

from lecturekit.results import locked

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the combined config jupyter-server-mathjax ships
_BAR_WIDTH = 10  # characters, as tqdm's own text bar in a narrow column


def encrypt_kernel_traffic(manager) -> None:
    """Have ``manager`` (a jupyter_client ``KernelManager``) give its kernels CurveZMQ keys when the
    kernelspec declares support: the kernel's traffic is encrypted, and ipykernel no longer prints
    "Kernel is running over TCP without encryption" on every start (``lecturekit lab`` passes the same
    setting to JupyterLab, the README's nbgrader config sets it for grading)."""
    import zmq

    if zmq.has("curve"):
        manager.transport_encryption = "auto"


class ExecutingClient(NotebookClient):
    """``NotebookClient`` that also records the ids of widgets closed during execution."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.closed_widgets: set[str] = set()

    def create_kernel_manager(self):  # noqa: D102 - nbclient's hook
        manager = super().create_kernel_manager()
        encrypt_kernel_traffic(manager)
        return manager

    def handle_comm_msg(self, outs, msg, cell_index):  # noqa: D102 - nbclient's hook
        if msg["msg_type"] == "comm_close":
            self.closed_widgets.add(msg["content"]["comm_id"])
        return super().handle_comm_msg(outs, msg, cell_index)


def _text(html_value: str) -> str:
    """An HTML widget's text as plain text (tqdm pads with figure spaces and escapes ``<``)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_value)).replace("\u2007", " ").strip()


def _progress_line(model_id: str, state: dict[str, dict]) -> str | None:
    """The text line of a tqdm widget (HBox of HTML, progress, HTML) from its saved state, else None."""
    box = state.get(model_id, {})
    if box.get("model_name") != "HBoxModel":
        return None
    children = [c.removeprefix("IPY_MODEL_") for c in box.get("state", {}).get("children", [])]
    models = [state.get(c, {}) for c in children]
    names = [m.get("model_name") for m in models]
    if len(models) != 3 or names[0] != "HTMLModel" or names[2] != "HTMLModel":
        return None
    if names[1] not in ("FloatProgressModel", "IntProgressModel"):
        return None
    left, bar, right = (m.get("state", {}) for m in models)
    left_text, right_text = _text(left.get("value", "")), _text(right.get("value", ""))
    if not right_text:
        return left_text
    if re.match(r"\S+/\?", right_text):  # no total known ("3/?"): tqdm's full widget bar means nothing
        return f"{left_text} {right_text}"
    maximum, value = float(bar.get("max", 0) or 0), float(bar.get("value", 0) or 0)
    filled = round(_BAR_WIDTH * min(max(value / maximum, 0.0), 1.0)) if maximum > 0 else 0
    return f"{left_text}|{'█' * filled}{' ' * (_BAR_WIDTH - filled)}| {right_text}"


def settle_progress_bars(notebook, closed_widgets: set[str] | frozenset[str] = frozenset()) -> int:
    """Replace each saved tqdm widget output by its final text line; drop bars closed during the run.

    Returns how many outputs were changed. Other widgets are left alone. When no widget output is
    left, the notebook's saved widget state (which only fed those bars) is removed too.
    """
    widgets = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    state = widgets.get("state", {})
    changed, remaining = 0, 0
    for cell in notebook.cells:
        kept = []
        for output in cell.get("outputs", []):
            view = (
                output.get("data", {}).get(WIDGET_VIEW)
                if output.get("output_type") == "display_data"
                else None
            )
            if view is None:
                kept.append(output)
                continue
            model_id = view.get("model_id", "")
            line = _progress_line(model_id, state)
            if line is None:
                kept.append(output)
                remaining += 1
                continue
            changed += 1
            if model_id in closed_widgets:
                continue  # tqdm(leave=False): the bar removed itself when done, so it is not kept
            output["data"] = {"text/plain": line}
            kept.append(output)
        if "outputs" in cell:
            cell["outputs"] = kept
    if changed and not remaining:
        notebook.metadata.pop("widgets", None)
    return changed


def mathjax_source() -> Path:
    """The MathJax files in this environment (from ``jupyter-server-mathjax``); clear error if absent."""
    try:
        import jupyter_server_mathjax
    except ImportError as error:  # pragma: no cover - a pinned requirement
        raise RuntimeError(
            "MathJax for the offline HTML comes from the 'jupyter-server-mathjax' package, "
            "which is not installed: run `make setup`"
        ) from error
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise RuntimeError(f"MathJax.js is missing from {static}: reinstall jupyter-server-mathjax")
    return static


def install_mathjax(html_dir: Path) -> str:
    """Copy MathJax into ``html_dir/mathjax`` (once per version); return the URL for the HTML files there."""
    source = mathjax_source()
    target = html_dir / "mathjax"
    stamp = target / ".source"
    marker = f"{source} {(source / 'MathJax.js').stat().st_size}"
    with locked(html_dir):  # `lecturekit run --jobs N`: notebooks finishing together must not copy at once
        if not (stamp.is_file() and stamp.read_text() == marker):
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            stamp.write_text(marker)
    return f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"


SOLUTIONS_ENV = (
    "LECTUREKIT_SOLUTIONS"  # "1": the HTML shows the instructor notebooks (`make run SOLUTIONS=1`)
)


def for_instructors() -> bool:
    """Whether this build publishes the solutions (``LECTUREKIT_SOLUTIONS=1``); by default it does not."""
    return os.environ.get(SOLUTIONS_ENV, "").strip().lower() in ("1", "true", "yes")


def html_exporter(mathjax_url: str):
    """nbconvert's HTML exporter with formulas rendered by the given (local) MathJax.

    Unless :func:`for_instructors`, the HTML is the student view (``lecturekit.classroom.published_view``:
    solutions stubbed, their checks' outputs cleared, quiz answers left out); the executed notebook in
    ``build/notebooks/`` keeps everything.
    """
    from nbconvert import HTMLExporter

    from lecturekit.classroom import StudentView

    exporter = HTMLExporter(mathjax_url=mathjax_url)
    if not for_instructors():
        exporter.register_preprocessor(StudentView(), enabled=True)
    return exporter


# ----------------------------------------------------------------------------------------------
# The course page and SUMMARY.md: one profile's headline rows, escaped, written atomically

PAGE_PROFILE = "course"  # the page and SUMMARY.md show this profile; others go to SUMMARY-<profile>.md
# The rows each notebook discusses: (datasets, metrics); every method recorded for them gets a row.
HEADLINES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "01_recsys_basics": (("movielens-100k",), ("hit@10", "ndcg@10")),
    "02_pinsage": (("pinboard",), ("hit-rate", "mrr-scaled")),
    "03_hard_negatives": (("pinboard",), ("hit-rate", "mrr-scaled")),
    "04_decagon": (("planted", "biosnap"), ("auroc/uniform", "auroc/degree-matched")),
    "05_graphrnn": (("community-small",), ("mmd-degree", "mmd-clustering", "mmd-orbit")),
    "06_gcpn": ((), ("plogp-top1", "qed-top1", "validity")),  # () = any dataset
}
MAX_ROWS = 24  # per notebook: 02 has ten methods on two metrics; more rows are counted, not shown
MAX_LINES = 200  # SUMMARY.md; footnotes beyond it point to the results file
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def format_value(row: dict[str, Any]) -> str:
    text = f"{row['value']:.4g}"
    if "std" in row:
        text += f" ± {row['std']:.2g} (n={row['n']})"
    return text


def _comparable(row: dict[str, Any]) -> str:
    if row.get("paper") is None:
        return "—"  # no paper number to compare with
    return "yes" if row.get("comparable") else "no"


def md(value: Any) -> str:
    """``value`` as inert Markdown text: HTML escaped, Markdown punctuation backslashed, one line."""
    text = html.escape(" ".join(str(value).split()), quote=False)  # no &#x27;: its "#" would be backslashed
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def headline_rows(notebook: str, rows: list[dict], profile: str = PAGE_PROFILE) -> list[dict]:
    """The rows of ``profile`` that ``notebook`` discusses (:data:`HEADLINES`), in recording order (all of
    ``profile``'s rows for a notebook not listed there)."""
    datasets, metrics = HEADLINES.get(notebook, ((), ()))
    return [
        row
        for row in rows
        if row.get("profile") == profile
        and (not metrics or row.get("metric") in metrics)
        and (not datasets or row.get("dataset") in datasets)
    ]


class _Footnotes:
    """Numbered notes shared by the rows of one page: a note repeated on many rows is written once."""

    def __init__(self, limit: int | None = None) -> None:
        self.notes: list[str] = []
        self.limit = limit

    def mark(self, note: Any) -> str:
        text = " ".join(str(note or "").split())
        if not text:
            return ""
        if text not in self.notes:
            if self.limit is not None and len(self.notes) >= self.limit:
                return "†"
            self.notes.append(text)
        return f"[{self.notes.index(text) + 1}]"


def _results(directory: Path) -> list[tuple[str, list[dict] | str]]:
    """``(notebook, rows)`` per results file, or ``(notebook, error)`` for an unreadable one."""
    from lecturekit.results import TIMINGS_FILE, ResultsFileError, read_rows

    found: list[tuple[str, list[dict] | str]] = []
    files = (
        sorted(p for p in directory.glob("*.json") if p.name != TIMINGS_FILE) if directory.exists() else []
    )
    for path in files:
        try:
            found.append((path.stem, read_rows(path)))
        except ResultsFileError as err:
            found.append((path.stem, str(err)))
    return found


def summary_markdown(directory: Path | None = None, profile: str = PAGE_PROFILE) -> tuple[str, list[str]]:
    """``SUMMARY.md``: per notebook, one row per (method, metric) it discusses, ``profile``'s rows only,
    ours beside the paper's number with a comparability mark and the notes as numbered footnotes.

    Returns ``(markdown, errors)``: an unreadable results file is named in both and skipped. At most
    :data:`MAX_LINES` lines; every string from a results file is escaped (:func:`md`).
    """
    from lecturekit.results import results_dir

    directory = directory or results_dir()
    lines = [
        f"# Course results ({md(profile)} profile)",
        "",
        "The headline numbers each notebook discusses, ours beside the paper's. *Comparable*: **yes** only when",
        "our number measures the same thing as the paper's (same data, same protocol); **no**: the paper's number",
        "is for orientation only; —: no paper number. Values with ± are mean ± sd over seeds (n). Every recorded",
        "row (strata, sweeps, other profiles) is in `results/<notebook>.json`.",
        "",
    ]
    errors: list[str] = []
    notes = _Footnotes()
    sections = []
    for notebook, rows in _results(directory):
        if isinstance(rows, str):
            errors.append(rows)
            sections.append([f"## {html.escape(notebook)}", "", f"**Unreadable:** {md(rows)}", ""])
            continue
        shown = headline_rows(notebook, rows, profile)
        if not shown:
            continue
        section = [
            f"## {html.escape(notebook)}",
            "",
            "| dataset | method | metric | ours | paper | comparable | notes |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in shown[:MAX_ROWS]:
            paper = "—" if row.get("paper") is None else f"{row['paper']:.4g}"
            section.append(
                f"| {md(row['dataset'])} | {md(row['method'])} | {md(row['metric'])} | "
                f"{format_value(row)} | {paper} | {_comparable(row)} | {notes.mark(row.get('note'))} |"
            )
        if len(shown) > MAX_ROWS:
            section.append(f"\n{len(shown) - MAX_ROWS} more rows in `results/{html.escape(notebook)}.json`.")
        sections.append([*section, ""])
    if not sections:
        return "\n".join(lines + [f"No {md(profile)}-profile results recorded yet.", ""]), errors
    body = [line for section in sections for line in section]
    budget = MAX_LINES - len(lines) - len(body) - 3
    lines += body + ["## Notes", ""]
    for number, note in enumerate(notes.notes, start=1):
        if number > budget:
            lines.append(f"{number}–{len(notes.notes)}. see the `note` field in `results/<notebook>.json`.")
            break
        lines.append(f"{number}. {md(note)}")
    return "\n".join(lines) + "\n", errors


def write_summary(directory: Path | None = None) -> tuple[Path, list[str]]:
    """Write ``SUMMARY.md`` (the course profile) beside the results files, and ``SUMMARY-<profile>.md`` for
    every other profile with results (e.g. the quick smoke runs of ``make test``); atomically. Returns
    ``SUMMARY.md``'s path and the unreadable files' errors."""
    from lecturekit.config import PROFILES
    from lecturekit.results import atomic_write, results_dir

    directory = directory or results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "SUMMARY.md"
    text, errors = summary_markdown(directory)
    atomic_write(path, text)
    profiles = {
        row.get("profile") for _, rows in _results(directory) if isinstance(rows, list) for row in rows
    }
    for profile in sorted(p for p in profiles if p in PROFILES and p != PAGE_PROFILE):
        atomic_write(directory / f"SUMMARY-{profile}.md", summary_markdown(directory, profile)[0])
    return path, errors


def notebook_title(path: Path) -> str:
    """The first Markdown heading of a notebook, else its file stem."""
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - a broken notebook still gets a line on the page
        return path.stem
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return path.stem


def _runtime(entry: dict | None, profile: str | None) -> str:
    if not isinstance(entry, dict):
        return "not run yet"
    try:
        seconds = float(entry.get("seconds", 0))
    except (TypeError, ValueError):
        return "not run yet"
    span = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
    status = "" if entry.get("ok", False) else " — <strong>failed</strong>"
    return f"{span} ({html.escape(str(profile))} profile){status}"


def _runtimes(stem: str, timings: dict) -> str:
    """This run's runtime, then the last one of every other profile (``by_profile``)."""
    profile = timings.get("profile")
    notebooks = timings.get("notebooks") if isinstance(timings.get("notebooks"), dict) else {}
    parts = [_runtime(notebooks.get(stem), profile)]
    by_profile = timings.get("by_profile") if isinstance(timings.get("by_profile"), dict) else {}
    for other, entries in sorted(by_profile.items()):
        if other != profile and isinstance(entries, dict) and stem in entries:
            parts.append(_runtime(entries[stem], other))
    return "; ".join(parts)


def _rows_table(rows: list[dict], notes: _Footnotes) -> str:
    cells = []
    for r in rows:
        paper = "—" if r.get("paper") is None else f"{r['paper']:.4g}"
        mark = notes.mark(r.get("note"))
        values = (r["dataset"], r["method"], r["metric"], format_value(r), paper, _comparable(r))
        cells.append(
            "<tr>"
            + "".join(f"<td>{html.escape(str(v))}</td>" for v in values)
            + f'<td class="note">{html.escape(mark)}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("dataset", "method", "metric", "ours", "paper", "comparable", "note")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(cells)}</tbody></table>"


def _notes_list(notes: _Footnotes) -> str:
    if not notes.notes:
        return ""
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes.notes)
    return f'<ol class="notes">{items}</ol>'


def index_html(notebooks: list[Path], build: Path) -> str:
    """The course page's HTML (see :func:`write_index`): every string from a results or timings file is escaped."""
    from lecturekit.results import TIMINGS_FILE, ResultsFileError, read_rows

    results = build / "results"
    try:
        timings = json.loads((results / TIMINGS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        timings = {}
    timings = timings if isinstance(timings, dict) else {}
    sections = []
    for path in notebooks:
        rendered = build / "html" / f"{path.stem}.html"
        title = html.escape(notebook_title(path))
        heading = f'<a href="html/{html.escape(path.stem)}.html">{title}</a>' if rendered.exists() else title
        notes = _Footnotes()
        try:
            rows = read_rows(results / f"{path.stem}.json")
        except ResultsFileError as error:
            table = f"<p><strong>Unreadable results:</strong> {html.escape(str(error))}</p>"
        else:
            shown = headline_rows(path.stem, rows)
            table = (
                _rows_table(shown[:MAX_ROWS], notes)
                if shown
                else (f"<p>No {PAGE_PROFILE}-profile results recorded yet.</p>")
            )
            if len(shown) > MAX_ROWS:
                table += f'<p class="more">{len(shown) - MAX_ROWS} more rows in results/{html.escape(path.stem)}.json.</p>'
        sections.append(
            f'<section><h2>{heading}</h2><p class="runtime">Runtime: {_runtimes(path.stem, timings)}'
            f"</p>{table}{_notes_list(notes)}</section>"
        )
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
        "table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
        "th{background:#f3f3f3}.runtime{color:#555}.more,.notes{font-size:.85rem;color:#444}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>GNN applications: the course</title>'
        f"<style>{style}</style></head><body><h1>GNN applications: the course</h1>"
        "<p>The notebooks in lecture order, as executed by <code>lecturekit run</code>: open one to read it with "
        f"its outputs. Each table holds the {PAGE_PROFILE} profile's headline numbers, ours beside the paper's; "
        "<em>comparable</em> says whether they measure the same thing (— when the paper has no such number). "
        'Every row is in <a href="results/SUMMARY.md">results/SUMMARY.md</a> and the results files; runtimes '
        "come from <code>results/timings.json</code>.</p>" + "".join(sections) + "</body></html>\n"
    )


def write_index(notebooks: list[Path], build: Path) -> Path:
    """Write ``build/index.html`` for ``notebooks`` (in lecture order), atomically; returns its path."""
    from lecturekit.results import atomic_write

    build.mkdir(parents=True, exist_ok=True)
    path = build / "index.html"
    atomic_write(path, index_html(notebooks, build))
    return path
