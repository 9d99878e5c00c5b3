"""Notebook 05's study in the course's one shape: frozen config -> ``run_seed`` -> typed result -> rows.

One seed is one **training seed**: per dataset it estimates ``M`` from random BFS orderings, trains
GraphRNN, GraphRNN-S and the GraphVAE baseline once, fits Erdős–Rényi and Barabási–Albert to the
training graphs, builds the perturbed-copies control (each training graph with one random edge moved),
then draws ``num_sample_draws`` generated sets from every method and scores each set
against the test graphs by MMD (three statistics, two kernels, biased and unbiased estimates), plus a
bandwidth sweep of the degree MMD. The datasets are fixed (:data:`DATA_SEED`) across seeds; their test
graphs are drawn independently of the training graphs (see :mod:`lecturekit.generation.graph_datasets`).

Three kinds of spread, kept apart: sampling draws of one trained model (sampling noise), training seeds
(``num_train_seeds``: what another training run would change) and a bootstrap over the test graphs
(what another draw of test graphs would change; the per-test-graph kernel terms are kept for it).

Typed results and tables: :mod:`lecturekit.studies.nb05_graphrnn_results`. Used by
``notebooks/05_graphrnn.ipynb``::

    config = PROFILES.get()
    results = run_seeds(run_seed, config, range(config.num_train_seeds))
    record_runs("05_graphrnn", results)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import torch

from lecturekit.generation.baselines import GENERATORS, fit_baseline, perturbed_copies
from lecturekit.generation.graph_datasets import DATASETS, GraphSplit, count_isomorphic_copies, load_dataset
from lecturekit.generation.graph_descriptors import degree_histogram
from lecturekit.generation.graph_metrics import mmd_sigma_sweep
from lecturekit.generation.graph_mmd_tables import kernel_table
from lecturekit.generation.graphrnn.encoding import estimate_max_prev
from lecturekit.generation.graphrnn.model import VARIANTS, GraphRNN, GraphRNNConfig
from lecturekit.generation.graphrnn.sampling import sample_graphs
from lecturekit.generation.graphrnn.training import TrainConfig, train_graphrnn
from lecturekit.generation.graphvae import GraphVAE, GraphVAEConfig, GraphVAETrainConfig, train_graphvae
from lecturekit.seed import derive_seed, numpy_stream, seeded
from lecturekit.studies.contract import Profiles, check_frozen
from lecturekit.studies.nb05_graphrnn_results import (
    FLOOR,
    GRAPHVAE,
    METHODS,
    METRIC_NAMES,
    PAPER,
    PERTURBED,
    RECORDED_METRICS,
    DatasetResult,
    GraphRNNResult,
    LossCurve,
    MethodScores,
)


# ---- config -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetSettings:
    """Sizes and training length of one dataset (training and test graphs are drawn independently)."""

    name: str
    num_train: int
    num_test: int
    steps: int  # training steps of each GraphRNN variant

    def __post_init__(self) -> None:
        if self.name not in DATASETS:
            raise ValueError(f"DatasetSettings.name must be one of {DATASETS}, got {self.name!r}")
        if self.num_train < 2 or self.num_test < 2 or self.steps < 1:
            raise ValueError(
                f"DatasetSettings({self.name!r}) needs num_train >= 2, num_test >= 2 and steps >= 1"
            )


DATA_SEED = 0  # the datasets stay fixed across training seeds (no study draws them otherwise)
# The degree-MMD bandwidth sweep around the paper's 1 (no profile varies it).
DEGREE_SIGMAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class GraphRNNExperiment:
    """Notebook 05's settings; the defaults are the ``course`` profile (a 2-core CPU, minutes)."""

    datasets: tuple[DatasetSettings, ...] = (
        # the paper's 80 training graphs; 100 test graphs from their own stream; 800 steps keep 3 seeds in minutes
        DatasetSettings("community-small", num_train=80, num_test=100, steps=800),
        DatasetSettings("grid", num_train=80, num_test=100, steps=400),  # shapes r + c even train, odd test
        DatasetSettings("ego-small", num_train=160, num_test=100, steps=400),  # paper's 160 training egos
    )
    batch_size: int = 32  # paper (Adam at the paper's rate and decay: graphrnn's TrainConfig.lr, LR_DECAY)
    num_layers: int = 1  # paper: 4-layer GRUs; 1 layer trains in minutes on a laptop
    hidden_dim: int = 64  # paper's graph-level GRU size for small graphs
    m_orderings: int = 20  # random BFS orderings per training graph to estimate the bandwidth M
    # GraphVAE's Adam steps; the loss has flattened by then on every dataset here (its sizes, batch and rate
    # are GraphVAEConfig's and GraphVAETrainConfig's defaults: the GraphRNN authors' GraphVAE baseline)
    graphvae_steps: int = 1000
    num_sample_draws: int = 2  # generated sets per trained model: their spread is sampling noise only
    num_train_seeds: int = 3  # training runs per method: the spread a student's own run would show
    num_bootstrap: int = 1000  # resamples of the test graphs for the bootstrap intervals

    def __post_init__(self) -> None:
        names = [d.name for d in self.datasets]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"GraphRNNExperiment.datasets must name distinct datasets, got {names}")
        for field in (
            "batch_size",
            "num_layers",
            "hidden_dim",
            "m_orderings",
            "num_sample_draws",
            "num_train_seeds",
            "num_bootstrap",
        ):
            if getattr(self, field) < 1:
                raise ValueError(f"GraphRNNExperiment.{field} must be >= 1, got {getattr(self, field)}")

    def dataset(self, name: str) -> DatasetSettings:
        for settings in self.datasets:
            if settings.name == name:
                return settings
        raise KeyError(f"dataset {name!r} is not in this config; it has {[d.name for d in self.datasets]}")


def _each_dataset(config: GraphRNNExperiment, **changes: int) -> tuple[DatasetSettings, ...]:
    return tuple(replace(d, **changes) for d in config.datasets)


COURSE = GraphRNNExperiment()
PROFILES = Profiles(
    quick=replace(  # CI: seconds, only checks that everything runs
        COURSE,
        datasets=_each_dataset(COURSE, num_train=15, num_test=12, steps=8),
        batch_size=16,
        hidden_dim=32,
        m_orderings=5,
        graphvae_steps=8,
        num_sample_draws=1,
        num_train_seeds=2,
        num_bootstrap=50,
    ),
    course=COURSE,
    full=replace(  # the paper's small-graph setting: 3000 epochs x 32 batches of 32, 4-layer GRUs
        COURSE,
        datasets=_each_dataset(COURSE, steps=96_000),
        num_layers=4,
        m_orderings=100,
        graphvae_steps=20_000,
        num_sample_draws=4,
        num_train_seeds=5,
    ),
)


# ---- one seed -----------------------------------------------------------------------------------
def load_datasets(config: GraphRNNExperiment) -> dict[str, GraphSplit]:
    """The datasets of ``config``, drawn with :data:`DATA_SEED` (the same for every training seed)."""
    return {d.name: load_dataset(d.name, d.num_train, d.num_test, seed=DATA_SEED) for d in config.datasets}


def _train_graphvae(config: GraphRNNExperiment, train: list[nx.Graph], seed: int, name: str) -> GraphVAE:
    torch.manual_seed(derive_seed(seed, f"{name}/{GRAPHVAE}/init"))  # layer initialisation
    model = GraphVAE(GraphVAEConfig(max(g.number_of_nodes() for g in train)))
    train_graphvae(
        model,
        train,
        GraphVAETrainConfig(config.graphvae_steps, seed=derive_seed(seed, f"{name}/{GRAPHVAE}/batches")),
    )
    return model


def _scores(method: str, parts: list[dict], sweeps: list[list]) -> MethodScores:
    """Stack the per-draw kernel parts (one dict metric -> KernelParts per draw) of one method."""

    def stack(get) -> np.ndarray:
        return np.array([[get(draw[metric]) for draw in parts] for metric in METRIC_NAMES])

    return MethodScores(
        method,
        biased=stack(lambda p: p.mmd2()),
        unbiased=stack(lambda p: p.mmd2(unbiased=True)),
        cross=stack(lambda p: p.cross),
        yy=stack(lambda p: p.yy),
        yy_unbiased=stack(lambda p: p.yy_unbiased),
        sweep=np.array([[t.mmd2 for t in sweep] for sweep in sweeps]).T,
        sweep_unbiased=np.array([[t.mmd2_unbiased for t in sweep] for sweep in sweeps]).T,
    )


def run_seed(config: GraphRNNExperiment, seed: int, progress: bool = False) -> GraphRNNResult:
    """One training seed end to end on every dataset of ``config`` (see the module docstring).

    Every random choice comes from a stream named after ``seed``, the dataset and its purpose, so a
    dataset's result does not depend on the others, on earlier notebook cells or on global RNG state.
    """
    check_frozen(config)
    start = time.perf_counter()
    draws = config.num_sample_draws
    datasets = []
    with seeded(seed):
        for settings, split in zip(config.datasets, load_datasets(config).values(), strict=True):
            name = settings.name
            m, bfs_spans = estimate_max_prev(
                split.train, config.m_orderings, use_bfs=True, rng=numpy_stream(seed, f"{name}/bfs-orderings")
            )
            _, random_spans = estimate_max_prev(
                split.train,
                config.m_orderings,
                use_bfs=False,
                rng=numpy_stream(seed, f"{name}/random-orderings"),
            )
            max_nodes = max(g.number_of_nodes() for g in split.train)
            num_generated = len(split.train)  # every method contributes as many graphs as the training set

            generated: dict[str, list[list[nx.Graph]]] = {}
            curves = []
            for variant in VARIANTS:
                torch.manual_seed(derive_seed(seed, f"{name}/{variant}/init"))  # layer initialisation
                model = GraphRNN(
                    GraphRNNConfig(
                        max_prev=m,
                        max_nodes=max_nodes,
                        variant=variant,
                        num_layers=config.num_layers,
                        hidden_dim=config.hidden_dim,
                    )
                )
                train_config = TrainConfig(
                    steps=settings.steps,
                    batch_size=config.batch_size,
                    seed=derive_seed(seed, f"{name}/{variant}/batches"),
                )
                started = time.perf_counter()
                history = train_graphrnn(model, split.train, train_config, progress=progress)
                curves.append(
                    LossCurve(
                        variant, tuple(history.steps), tuple(history.loss), time.perf_counter() - started
                    )
                )
                generated[variant] = [
                    sample_graphs(model, num_generated, seed=derive_seed(seed, f"{name}/{variant}/draw-{d}"))
                    for d in range(draws)
                ]
            started = time.perf_counter()
            vae = _train_graphvae(config, split.train, seed, name)
            vae_seconds = time.perf_counter() - started
            generated[GRAPHVAE] = [
                vae.sample(num_generated, seed=derive_seed(seed, f"{name}/{GRAPHVAE}/draw-{d}"))
                for d in range(draws)
            ]
            generated[PERTURBED] = [
                perturbed_copies(split.train, numpy_stream(seed, f"{name}/{PERTURBED}/draw-{d}"))
                for d in range(draws)
            ]
            for generator in GENERATORS:
                fitted = fit_baseline(split.train, generator)
                generated[generator] = [
                    fitted.sample(num_generated, seed=derive_seed(seed, f"{name}/{generator}/draw-{d}"))
                    for d in range(draws)
                ]

            # one table call per dataset: the test graphs' descriptors and Gram matrices are computed once
            sets = {
                f"{method}/{d}": graphs
                for method, per_draw in generated.items()
                for d, graphs in enumerate(per_draw)
            }
            sets[FLOOR] = split.train
            table = kernel_table(split.test, sets)
            test_degrees = [degree_histogram(g) for g in split.test]
            sweeps = {
                key: mmd_sigma_sweep(test_degrees, [degree_histogram(g) for g in graphs], DEGREE_SIGMAS)
                for key, graphs in sets.items()
            }
            scores = []
            for method in METHODS:
                keys = [FLOOR] * draws if method == FLOOR else [f"{method}/{d}" for d in range(draws)]
                scores.append(_scores(method, [table[k] for k in keys], [sweeps[k] for k in keys]))
            first_draw = tuple((method, tuple(per_draw[0])) for method, per_draw in generated.items())
            datasets.append(
                DatasetResult(
                    name=name,
                    num_train=len(split.train),
                    num_test=len(split.test),
                    max_nodes=max_nodes,
                    max_prev=m,
                    bfs_spans=tuple(int(s) for s in bfs_spans),
                    random_spans=tuple(int(s) for s in random_spans),
                    test_in_train=count_isomorphic_copies(split.test, split.train),
                    scores=tuple(scores),
                    curves=tuple(curves),
                    first_draw=(*first_draw, (FLOOR, tuple(split.train))),
                    test_gram=np.stack([table[FLOOR][metric].ref_gram for metric in METRIC_NAMES]),
                    sigmas=DEGREE_SIGMAS,
                    graphvae_seconds=vae_seconds,
                )
            )
    return GraphRNNResult(
        seed=seed, seconds=time.perf_counter() - start, datasets=tuple(datasets), num_draws=draws
    )


__all__ = [  # the study's config and runs, and (re-exported) its record names and result types
    "COURSE",
    "DATA_SEED",
    "DEGREE_SIGMAS",
    "FLOOR",
    "GRAPHVAE",
    "METHODS",
    "PAPER",
    "PERTURBED",
    "PROFILES",
    "RECORDED_METRICS",
    "DatasetResult",
    "DatasetSettings",
    "GraphRNNExperiment",
    "GraphRNNResult",
    "LossCurve",
    "MethodScores",
    "count_isomorphic_copies",
    "load_datasets",
    "run_seed",
]
