"""PinSage on one machine at 10k, 100k and 1M pins: every stage timed, peak memory per size (issue 16).

Per size, in its own subprocess (so ``peak_rss_gib``, the process's peak resident memory from
``getrusage``, belongs to that size alone), through the public APIs:

* ``generation``: :func:`lecturekit.data.pinboard.make_pinboard` at ``SAVES_PER_PIN`` saves per pin
  (10.5M saves at 1M pins; the default 5 gives 5M) and the pins' feature matrix;
* ``walks``: the sampler over the pin-board graph and the importance neighbourhood of EVERY pin
  (a :class:`NeighborTable`, 100 walks x 2 traversals per pin, top 20);
* ``training``: ``TRAIN_STEPS`` steps of :func:`train_pinsage` (batch 256, 256 shared negatives)
  on that table;
* ``inference``: :func:`layerwise_embeddings` of every pin;
* ``ann_index``: a faiss HNSW index over all embeddings, built and queried with ``ANN_QUERIES`` pins.

Writes ``build/bench/scale.json`` (``scale_smoke.json`` with ``--smoke``); points of other sizes
already in the file are kept, so ``--sizes 1000000`` adds the 1M point to an earlier 10k/100k run.
Run: ``python -m benchmarks.bench_scale [--sizes 10000,100000] [--threads 1] [--smoke]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import psutil
import torch

from benchmarks import write_report
from lecturekit.paths import build_dir

SIZES = (10_000, 100_000, 1_000_000)
SAVES_PER_PIN = 10.5  # >= 10M saves at 1M pins (the generator's default of 5 gives 5M)
WALKS = dict(num_walks=100, walk_length=2, restart_prob=0.5, top_t=20)  # as bench_pinsage
TRAIN_STEPS = 20  # a fixed amount of training: the cost per step, not convergence, is what scales
ANN_QUERIES = 1000
GIB = 2.0**30


def _rss_gib() -> float:
    return psutil.Process().memory_info().rss / GIB


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB  # Linux reports KiB


def run_point(num_pins: int, threads: int, train_steps: int) -> dict[str, Any]:
    """All stages at one size, in this process (call it in a fresh one: peak memory is per process)."""
    from lecturekit.data.pinboard import make_pinboard
    from lecturekit.recsys.pinsage import (
        EmbeddingIndex,
        NeighborTable,
        PinSage,
        PinSageConfig,
        RandomWalkSampler,
        TrainConfig,
        layerwise_embeddings,
        train_pinsage,
    )

    torch.set_num_threads(threads)
    stages: dict[str, dict[str, float]] = {}
    state: dict[str, Any] = {}

    def stage(name: str, fn: Callable[[], None]) -> None:
        t0 = time.perf_counter()
        fn()
        stages[name] = {"seconds": time.perf_counter() - t0, "rss_gib_after": _rss_gib()}

    def generation() -> None:
        world = make_pinboard(num_pins, seed=0, saves_per_pin=SAVES_PER_PIN)
        state["world"], state["features"] = world, world.features("combined")

    def walks() -> None:
        world = state["world"]
        sampler = RandomWalkSampler(world.edge_index(), world.num_pins, world.num_boards, seed=0, **WALKS)
        sample = functools.partial(sampler.sample, generator=torch.Generator().manual_seed(0))
        state["sampler"], state["table"] = sampler, NeighborTable(sample, world.num_pins)

    def training() -> None:
        torch.manual_seed(0)
        model = PinSage(PinSageConfig(in_dim=state["features"].shape[1]))
        config = TrainConfig(epochs=1, max_steps_per_epoch=train_steps)
        train_pinsage(
            model,
            state["features"],
            state["sampler"],
            state["world"].positive_pairs(),
            config,
            progress=False,
            neighbor_tables=[state["table"]],
        )
        state["model"] = model

    def inference() -> None:
        state["embeddings"] = layerwise_embeddings(
            state["model"], state["features"], state["table"]
        ).embeddings

    def ann_index() -> None:
        emb = state["embeddings"]
        index = EmbeddingIndex(emb, "hnsw", threads=threads)
        queries = emb[torch.randperm(emb.shape[0], generator=torch.Generator().manual_seed(0))[:ANN_QUERIES]]
        index.search(queries, 10)

    # The numba kernels load (or compile, on a first run) once per process: not a cost of any size.
    warm = make_pinboard(200, seed=0)
    RandomWalkSampler(warm.edge_index(), warm.num_pins, warm.num_boards, **WALKS).sample(torch.arange(4))
    for name, fn in (
        ("generation", generation),
        ("walks", walks),
        ("training", training),
        ("inference", inference),
        ("ann_index", ann_index),
    ):
        stage(name, fn)
    world = state["world"]
    return {
        "num_pins": num_pins,
        "num_boards": world.num_boards,
        "num_saves": len(world.save_pin),
        "num_edges": int(state["sampler"].item_users.numel()),
        "train_steps": train_steps,
        "threads": threads,
        "stages": stages,
        "peak_rss_gib": _peak_rss_gib(),
    }


def _in_subprocess(num_pins: int, threads: int, train_steps: int) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.bench_scale",
        "--point",
        str(num_pins),
        "--threads",
        str(threads),
        "--train-steps",
        str(train_steps),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"the {num_pins}-pin point failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"argument --sizes: comma-separated integers expected, got {text!r}") from None
    if not sizes or min(sizes) < 1000:
        raise SystemExit(f"argument --sizes: sizes must be >= 1000 pins, got {text!r}")
    return sorted(set(sizes))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated numbers of pins")
    parser.add_argument("--threads", type=int, default=1, help="torch and faiss threads per point")
    parser.add_argument("--train-steps", type=int, default=TRAIN_STEPS)
    parser.add_argument("--smoke", action="store_true", help="two tiny sizes (for the test suite)")
    parser.add_argument("--point", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON to stdout
    args = parser.parse_args(argv)
    if args.point is not None:
        print(json.dumps(run_point(args.point, args.threads, args.train_steps)))
        return {}
    sizes, steps = ([1000, 3000], 2) if args.smoke else (_sizes(args.sizes), args.train_steps)
    name = "scale_smoke" if args.smoke else "scale"
    previous = build_dir() / "bench" / f"{name}.json"
    points = {}
    if previous.is_file():  # keep the other sizes of an earlier run (e.g. add 1M to 10k and 100k)
        points = {p["num_pins"]: p for p in json.loads(previous.read_text()).get("points", [])}
    for n in sizes:
        points[n] = _in_subprocess(n, args.threads, steps)
        print(
            f"{n} pins: "
            + ", ".join(f"{k} {v['seconds']:.1f}s" for k, v in points[n]["stages"].items())
            + f"; peak {points[n]['peak_rss_gib']:.2f} GiB",
            file=sys.stderr,
        )
    result = {
        "machine": platform.platform(),
        "cpus": psutil.cpu_count(),
        "saves_per_pin": SAVES_PER_PIN,
        "walks": WALKS,
        "points": [points[n] for n in sorted(points)],
    }
    out = write_report(name, result, echo=False)
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
