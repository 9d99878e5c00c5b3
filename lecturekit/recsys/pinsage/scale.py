"""Reading ``benchmarks/bench_scale.py``'s ``scale.json``: the cost of each stage against the number of pins.

Notebook 02 plots the measured curve (:func:`plot_scale`) and states how each stage grows with N
from the measurements themselves (:func:`growth_exponents`, the slope of log seconds vs log pins
between the two largest sizes: 1 is linear). :func:`extrapolate` carries the two largest sizes one size
further (fixed + per-pin cost), an estimate to be read as such and replaced by the measured point once it exists.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

STAGES = ("generation", "walks", "training", "inference", "ann_index")


def load_scale(path: str | Path, max_pins: int | None = None) -> list[dict[str, Any]]:
    """The measured points of ``path`` (sorted by pins; only those up to ``max_pins`` when given)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no scale benchmark here; run `python -m benchmarks.bench_scale` first"
        )
    try:
        points = json.loads(path.read_text())["points"]
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a bench_scale report (a JSON object with 'points'): {err}") from None
    for i, point in enumerate(points):
        missing = [k for k in ("num_pins", "stages", "peak_rss_gib") if k not in point]
        missing += [
            f"stages.{s}.seconds" for s in STAGES if "seconds" not in point.get("stages", {}).get(s, {})
        ]
        if missing:
            raise ValueError(f"{path}: point {i} lacks {', '.join(missing)}")
    points = sorted(points, key=lambda p: p["num_pins"])
    points = [p for p in points if max_pins is None or p["num_pins"] <= max_pins]
    if not points:
        raise ValueError(f"{path}: no point with at most {max_pins} pins")
    return points


def growth_exponents(points: list[dict[str, Any]]) -> dict[str, float] | None:
    """Per stage (and ``peak_rss_gib``), the log-log slope between the two largest sizes; ``None``
    with fewer than two sizes. Time ~ N^slope: 1 = linear, < 1 = fixed costs still dominate."""
    if len(points) < 2:
        return None
    a, b = points[-2], points[-1]
    ratio = math.log(b["num_pins"] / a["num_pins"])
    out = {s: math.log(b["stages"][s]["seconds"] / a["stages"][s]["seconds"]) / ratio for s in STAGES}
    out["peak_rss_gib"] = math.log(b["peak_rss_gib"] / a["peak_rss_gib"]) / ratio
    return out


def extrapolate(points: list[dict[str, Any]], num_pins: int) -> dict[str, float] | None:
    """Seconds per stage and peak memory at ``num_pins``, each as ``fixed + per_pin * N`` through the two
    largest measured sizes (an estimate; ``None`` with fewer than two sizes). Affine rather than the
    log-log slope: the fixed parts (imports, kernels, the fixed training steps) would otherwise bend a
    linear per-pin cost into a too-low estimate; for a super-linear stage (HNSW build, ~N log N) it is
    a lower bound."""
    if len(points) < 2:
        return None
    a, b = points[-2], points[-1]
    span = b["num_pins"] - a["num_pins"]

    def line(ya: float, yb: float) -> float:
        return yb + (yb - ya) / span * (num_pins - b["num_pins"])

    out = {s: line(a["stages"][s]["seconds"], b["stages"][s]["seconds"]) for s in STAGES}
    out["peak_rss_gib"] = line(a["peak_rss_gib"], b["peak_rss_gib"])
    return out


def scale_table(points: list[dict[str, Any]]) -> str:
    """A Markdown table: pins, saves, seconds per stage, peak memory (for display)."""
    head = "| pins | saves | " + " | ".join(f"{s} (s)" for s in STAGES) + " | peak memory (GiB) |"
    rule = "|" + "---|" * (len(STAGES) + 3)
    rows = [
        f"| {p['num_pins']:,} | {p.get('num_saves', 0):,} | "
        + " | ".join(f"{p['stages'][s]['seconds']:.2f}" for s in STAGES)
        + f" | {p['peak_rss_gib']:.2f} |"
        for p in points
    ]
    return "\n".join([head, rule, *rows])


def plot_scale(path: str | Path, max_pins: int | None = None, ax: Any = None) -> Any:
    """Seconds of each stage vs number of pins, log-log, one line per stage; returns the figure."""
    import matplotlib.pyplot as plt

    points = load_scale(path, max_pins)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    pins = [p["num_pins"] for p in points]
    for stage in STAGES:
        ax.plot(
            pins, [p["stages"][stage]["seconds"] for p in points], marker="o", label=stage.replace("_", " ")
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("pins")
    ax.set_ylabel("seconds (one machine)")
    ax.set_title("PinSage stages vs graph size")
    ax.legend()
    return ax.figure


def _growth_words(slope: float) -> str:
    if slope < 0.5:
        return "barely grows (fixed costs dominate at these sizes)"
    if slope < 0.85:
        return "grows sub-linearly"
    if slope <= 1.15:
        return "grows about linearly"
    return "grows faster than linearly"


def scale_report(points: list[dict[str, Any]], target: int = 1_000_000) -> str:
    """Markdown for notebook 02: the measured table, how each stage grows with N (computed from the two
    largest sizes), and, when ``target`` pins were not measured, the extrapolated cost marked as such."""
    lines = [scale_table(points), ""]
    slopes = growth_exponents(points)
    if slopes is None:
        lines.append(
            f"Only {points[0]['num_pins']:,} pins were measured here: run `python -m benchmarks.bench_scale` "
            "for the curve."
        )
        return "\n".join(lines)
    a, b = points[-2]["num_pins"], points[-1]["num_pins"]
    lines.append(f"From {a:,} to {b:,} pins (time ~ N^slope):")
    lines += [f"- {s.replace('_', ' ')}: slope {slopes[s]:.2f}, {_growth_words(slopes[s])}" for s in STAGES]
    lines.append(f"- peak memory: slope {slopes['peak_rss_gib']:.2f}")
    if all(p["num_pins"] != target for p in points):
        est = extrapolate(points, target)
        total = sum(est[s] for s in STAGES)
        lines.append(
            f"\nNot measured at {target:,} pins; fixed + per-pin costs carried on estimate about {total:,.0f} s in all "
            f"and {est['peak_rss_gib']:.1f} GiB peak memory (an estimate, not a measurement)."
        )
    return "\n".join(lines)


def scale_section(
    path: str | Path | None = None, max_pins: int | None = None, measure: tuple[int, ...] = (10_000,)
) -> tuple[Any, str]:
    """Notebook 02's scale section: ``(figure, markdown)`` from ``path`` (default
    ``build/bench/scale.json``). When that file is missing, the ``measure`` sizes are benchmarked
    first (``benchmarks.bench_scale`` in a subprocess: the 10k point takes seconds); the larger sizes
    come from running the benchmark outside the notebook. ``max_pins`` limits what is read
    (the quick profile reads the 10k point only)."""
    import subprocess
    import sys

    from lecturekit.paths import build_dir, project_root

    path = Path(path) if path is not None else build_dir() / "bench" / "scale.json"
    if not path.is_file() and measure:
        cmd = [sys.executable, "-m", "benchmarks.bench_scale", "--sizes", ",".join(map(str, measure))]
        subprocess.run(cmd, cwd=project_root(), check=True, capture_output=True)
    return plot_scale(path, max_pins), scale_report(load_scale(path, max_pins))
