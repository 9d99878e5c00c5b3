"""The one PinSage runner of notebooks 02 and 03: world, sampler, model, training, embedding, ranking.

Both studies (:mod:`lecturekit.studies.nb02_pinsage`, :mod:`lecturekit.studies.nb03_hard_negatives`)
build their worlds, walk samplers, models, hard-negative samplers and references here, and train
every GNN through :func:`train_variant`, so a change to the recipe reaches both notebooks.

* :class:`Variant` -- what one GNN row changes: pooling, hard-negative schedule, loss, start;
* :func:`make_world`, :func:`make_sampler`, :func:`new_model`, :func:`embed` -- the building blocks;
* :func:`choose_references` / :func:`run_references` -- the parameter-free references (importance
  smoothing, kNN with a log-degree prior, the same-interest oracle), their settings chosen on validation;
* :func:`hard_negative_sampler` -- PinSage's PPR bands over a task's training graph;
* :func:`train_variant` -- one variant trained with the shared settings (:class:`GNNSettings`);
* :data:`PAPER` -- Ying et al. 2018, Table 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from lecturekit.data.pinboard import Pinboard, make_pinboard
from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.baselines import (
    knn_popularity_scorer,
    oracle_scorer,
    smoothed_embeddings,
)
from lecturekit.recsys.pinsage.batching import NeighborTable
from lecturekit.recsys.pinsage.datasets import RelatedItemTask
from lecturekit.recsys.pinsage.evaluation import (
    RankingResult,
    embedding_scorer,
    evaluate_related,
)
from lecturekit.recsys.pinsage.inference import layerwise_embeddings
from lecturekit.recsys.pinsage.loss import WEIGHTINGS, max_margin_loss
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.negatives import SCHEDULES, HardNegativeConfig, HardNegativeSampler
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import (
    EpochNeighborhoods,
    TrainConfig,
    TrainHistory,
    neighbor_fn,
    train_pinsage,
)
from lecturekit.recsys.pinsage.xent import xent_loss
from lecturekit.seed import derive_seed, torch_stream

PAPER = {  # Ying et al. 2018, Table 1 (Pinterest, hit@500 among 5M candidates, MRR scale 100): (hit-rate, scaled MRR)
    "visual": (0.17, 0.23),
    "annotation": (0.14, 0.19),
    "combined": (0.27, 0.37),
    "max-pooling": (0.39, 0.37),
    "mean-pooling": (0.41, 0.51),
    "mean-pooling-xent": (0.29, 0.35),
    "mean-pooling-hard": (0.46, 0.56),
    "pinsage": (0.67, 0.59),
}
LOSSES = ("softmax", "margin", "xent")

# Fixed settings (issue #22's audit: no profile, notebook, test or ablation varies them, so they are not config fields).
RESTART_PROB = 0.5  # walks go back to the query after each traversal with this probability: keeps them local
RECIPE_LOSS = (
    "softmax"  # the loss every GNN row trains with unless its Variant names another (in-batch softmax)
)
# Cosine logits / 0.1, the usual contrastive scale. Measured on validation (02's world, seed 1, T = 20): 0.05
# reaches the same best hit-rate later, 0.2 stays lower (docs/notebooks/02_pinsage.md).
TEMPERATURE = 0.1
MARGIN = 0.1  # the max-margin Delta of the margin ablations, on cosines in [-1, 1] (the paper tunes it; not tuned here)
DEFAULT_GAIN = 2.0  # the smoothing start's g where there is no validation split (MovieLens; g = 2 won on every pinboard seed)
SMOOTHING_GAINS = (0.5, 1.0, 2.0, 4.0, 8.0)  # importance-smoothed's g grid (factor-2 steps around g = 1)
PRIOR_WEIGHTS = (0.003, 0.01, 0.03, 0.1, 0.3)  # knn-popularity's log-degree weight grid (factor ~3 steps)
PPR_ITERATIONS = (
    8  # power iteration for the hard negatives' band: membership already matches 16 (03, section 2)
)
# The world's two free assumptions (the rest are make_pinboard's defaults); 02's regime map varies both.
FEATURE_FRACTION = 0.35  # combined-feature kNN reaches 35 % of the same-interest oracle: content helps, the graph must add the rest
SAVES_PER_PIN = 5.0  # graph density: mean saves per pin (most pins 0-3, hubs 50+)


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True)
class WalkSettings:
    """Random walks with restart that define importance neighbourhoods (and Pixie's scores)."""

    num_walks: int = 100  # walks per pin: stable top-20 visit counts on a 20k-pin world
    walk_length: int = 2  # pin -> board -> pin traversals per walk (short walks, as the paper)
    top_t: int = 20  # neighbourhood size T; notebook 02's selection chooses it on the validation split


@dataclass(frozen=True)
class GNNSettings:
    """Architecture and training of the GNNs (every variant of a study trains with the same budget)."""

    hidden_dim: int = 64  # width of convolutions and embeddings (the paper: far wider, 3B pins)
    # An epoch is 30 steps of 512, about half a pass over the ~35k training pairs of 02's world: validation
    # picks the stopping point at that grain, and the hard-negative curriculum (epoch n adds n - 1) ramps within it.
    epochs: int = (
        6  # upper bound (~3 passes); notebook 02's selection picks the best validated epoch count <= this
    )
    steps_per_epoch: int | None = 30  # None: one pass over the training pairs
    batch_size: int = 512  # the paper's smallest batch; its positives are the other queries' negatives
    num_negatives: int = 128  # shared uniform negatives beside the batch's (the paper: 500)
    lr: float = 1e-3  # notebook 02's selection chooses it on the validation split
    num_workers: int = 1  # one producer process builds the next batch while the main process trains


@dataclass(frozen=True)
class ReferenceSettings:
    """How the parameter-free references are tuned on the validation pairs (grids: :data:`SMOOTHING_GAINS`,
    :data:`PRIOR_WEIGHTS`)."""

    val_pairs: int = 1000  # validation pairs per check (seeded subsample): cheap, decides settings only


@dataclass(frozen=True)
class HardNegativeSettings:
    """The PPR scores and band of the hard negatives (schedule and draw stream are set per variant and run)."""

    max_hard: int = 5  # the curriculum reaches it in the last epoch (epoch n uses n - 1)
    # ranks a K..b K of the PPR ranking, in units of the hit-rate cut-off K (rank within the candidate set,
    # as the evaluation counts): 1K..2.5K = just beyond the top K the model is judged on
    k_band: tuple[float, float] | None = (1.0, 2.5)
    band: tuple[float, float] | None = (
        None  # fixed ranks (used when k_band is None; the sibling world's band)
    )
    max_board_degree: int | None = 50  # regular boards hold ~12 saves, spam boards ~80: prune hubs as Pixie
    num_walks: int = 400  # the Monte-Carlo estimate the band's accuracy is compared with (walks per query)
    walk_length: int = 3

    def __post_init__(self) -> None:
        if self.k_band is not None:
            a, b = self.k_band
            if not 0 < a < b or self.band is not None:
                raise ValueError(
                    f"HardNegativeSettings.k_band must be (a, b) with 0 < a < b and no other band set, "
                    f"got {self.k_band!r}"
                )
        self.sampler_config("curriculum", 0)  # the sampler's checks name the bad field

    def ranks(self, num_items: int) -> tuple[int, int] | tuple[float, float] | None:
        """The fixed band of a catalogue of ``num_items`` (``k_band`` in ranks; else ``band``)."""
        if self.k_band is None:
            return self.band
        k = ranking_cutoffs(num_items)[0]
        lo = max(1, round(self.k_band[0] * k))
        return lo, min(num_items - 1, max(lo, round(self.k_band[1] * k)))

    def label(self) -> str:
        """Words for the band: ``ranks 1K-2.5K`` (cut-off units) or fixed ranks. (The library's
        ``HardNegativeConfig.relative_band``, ranks ``a R..b R``, is notebook 03's exercise; no study uses it.)"""
        if self.k_band is not None:
            return f"ranks {self.k_band[0]:g}K-{self.k_band[1]:g}K"
        return "fixed ranks " + ("[4K, 10K]" if self.band is None else f"{self.band[0]}-{self.band[1]}")

    def sampler_config(
        self, schedule: str, seed: int, estimator: str = "power", num_items: int | None = None
    ) -> HardNegativeConfig:
        """The sampler's config (``num_items`` turns ``k_band`` into ranks; without it the band is left open)."""
        band = self.band if self.k_band is None or num_items is None else self.ranks(num_items)
        return HardNegativeConfig(
            schedule=schedule,
            max_hard=self.max_hard,
            band=band,
            estimator=estimator,
            num_iterations=PPR_ITERATIONS,
            max_board_degree=self.max_board_degree,
            num_walks=self.num_walks,
            walk_length=self.walk_length,
            seed=seed,
        )


@dataclass(frozen=True)
class Variant:
    """What one GNN row changes; everything else comes from :class:`GNNSettings`.

    ``pooling``: ``importance`` (PinSage) | ``mean`` | ``max``; ``hard``: the hard-negative schedule
    (``random-only`` = none, ``curriculum`` = the paper's, ``no-curriculum`` = all from epoch 1);
    ``loss``: ``None`` = :data:`RECIPE_LOSS`, ``margin`` = max-margin with uniform negatives (+ hard ones,
    ``weighting``), ``xent`` = softmax over the uniform negatives only (the paper's ablation);
    ``smoothing_start``: start at the importance-smoothed reference (``False``: at feature kNN);
    ``hard_weight``: a hard negative's weight in the loss (1: as one random negative; softmax: as
    ``hard_weight`` candidates, :func:`~lecturekit.recsys.pinsage.loss.in_batch_softmax_loss`).
    """

    pooling: str = "importance"
    hard: str = "random-only"
    loss: str | None = None
    smoothing_start: bool = True
    weighting: str = "pooled"
    hard_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.hard not in SCHEDULES:
            raise ValueError(f"Variant.hard must be one of {SCHEDULES}, got {self.hard!r}")
        if self.loss is not None and self.loss not in LOSSES:
            raise ValueError(f"Variant.loss must be None or one of {LOSSES}, got {self.loss!r}")
        if not self.hard_weight > 0:
            raise ValueError(f"Variant.hard_weight must be positive, got {self.hard_weight!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"Variant.weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")


# ---------------------------------------------------------------------- building blocks
def make_world(num_pins: int, seed: int) -> Pinboard:
    """The seed's world with the course's assumptions (:data:`FEATURE_FRACTION`, :data:`SAVES_PER_PIN`)."""
    return make_pinboard(num_pins, seed=seed, feature_fraction=FEATURE_FRACTION, saves_per_pin=SAVES_PER_PIN)


def make_sampler(
    task: RelatedItemTask, walks: WalkSettings, seed: int, top_t: int | None = None, split: str = "train"
) -> RandomWalkSampler:
    """The walk sampler over the graph ``split`` of ``task`` is evaluated on (see :meth:`RelatedItemTask.graph`)."""
    return RandomWalkSampler(
        task.graph(split),
        task.num_items,
        task.num_users,
        num_walks=walks.num_walks,
        walk_length=walks.walk_length,
        restart_prob=RESTART_PROB,
        top_t=top_t or walks.top_t,
        seed=seed,
    )


def new_model(in_dim: int, hidden_dim: int, pooling: str, seed: int, gain: float = 0.0) -> PinSage:
    """A freshly initialised GNN whose weights depend on ``seed`` alone (the global RNG is left as it was).
    ``gain > 0``: the smoothing start (:attr:`PinSageConfig.neighbor_skip`): untrained, it ranks as the
    importance-smoothed reference with that ``g``; 0: as combined-feature kNN."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return PinSage(
            PinSageConfig(
                in_dim=in_dim, hidden_dim=hidden_dim, out_dim=hidden_dim, pooling=pooling, neighbor_skip=gain
            )
        )


def embed(model: PinSage, task: RelatedItemTask, walks: WalkSettings, seed: int, split: str) -> Tensor:
    """Layer-wise embeddings of every item on ``split``'s graph (same weights: no retraining)."""
    sampler = make_sampler(task, walks, seed, split=split)
    table = NeighborTable(neighbor_fn(sampler, model.config.pooling), task.num_items)
    return layerwise_embeddings(model, task.features["combined"], table).embeddings


def rank(embeddings: Tensor, task: RelatedItemTask, split: str = "test") -> RankingResult:
    """Every ``split`` pair's target ranked among all items by the embeddings' dot products."""
    return evaluate_related(embedding_scorer(embeddings), task.pairs(split), task.num_items)


def validation_subsample(task: RelatedItemTask, size: int, seed: int) -> Tensor:
    """At most ``size`` validation pairs (a seeded subsample, for the per-epoch checks)."""
    pairs = task.pairs("val")
    if len(pairs) <= size:
        return pairs
    return pairs[torch.randperm(len(pairs), generator=torch_stream(seed, "validation"))[:size].sort().values]


def graph_degree_of(task: RelatedItemTask, split: str) -> Tensor:
    """``(num_items,)`` distinct boards (users) of each item in the graph ``split`` is ranked on."""
    edges = torch.unique(task.graph(split), dim=1)
    return torch.bincount(edges[0], minlength=task.num_items)


def hard_negative_sampler(
    task: RelatedItemTask, hard: HardNegativeSettings, seed: int
) -> HardNegativeSampler:
    """PinSage's PPR bands over the training graph, filled for the training queries before training
    (DataLoader workers inherit them instead of recomputing them every epoch). Each variant draws from
    its own :meth:`~HardNegativeSampler.view` (its schedule and stream), sharing these bands."""
    sampler = HardNegativeSampler(
        task.edge_index,
        task.num_items,
        task.num_users,
        task.train_pairs,
        hard.sampler_config("curriculum", seed, num_items=task.num_items),
    )
    sampler.precompute(torch.unique(task.train_pairs[:, 0]))
    return sampler


# ---------------------------------------------------------------------- references
@dataclass(frozen=True)
class ReferenceChoice:
    """The settings of the parameter-free references, chosen on the validation pairs.

    Attributes:
        gain: importance-smoothed's ``g`` (also the GNNs' smoothing start).
        prior_weight: knn-popularity's log-degree weight.
        validation: method -> validation hit-rate at the chosen setting.
    """

    gain: float
    prior_weight: float
    validation: dict[str, float]


def choose_references(
    task: RelatedItemTask, walks: WalkSettings, references: ReferenceSettings, seed: int
) -> ReferenceChoice:
    """``g`` and the prior weight with the best validation hit-rate (validation graph, ``walks.top_t``)."""
    val = validation_subsample(task, references.val_pairs, seed)
    x = task.features["combined"]
    table = NeighborTable(make_sampler(task, walks, seed, split="val").sample, task.num_items)
    degree = graph_degree_of(task, "val")

    def hit(score_fn: Callable[[Tensor], Tensor]) -> float:
        return evaluate_related(score_fn, val, task.num_items).hit_rate

    smoothed = {
        g: hit(embedding_scorer(smoothed_embeddings(x, table.neighbors, table.weights, g)))
        for g in SMOOTHING_GAINS
    }
    prior = {w: hit(knn_popularity_scorer(x, degree, w)) for w in PRIOR_WEIGHTS}
    gain, weight = max(smoothed, key=smoothed.get), max(prior, key=prior.get)
    return ReferenceChoice(
        gain, weight, {"importance-smoothed": smoothed[gain], "knn-popularity": prior[weight]}
    )


def run_references(
    task: RelatedItemTask, walks: WalkSettings, seed: int, choice: ReferenceChoice, split: str = "test"
) -> dict[str, RankingResult]:
    """knn-popularity, importance-smoothed (``choice``'s settings, ``split``'s graph) and the same-interest
    oracle on ``split``'s pairs."""
    pairs, x = task.pairs(split), task.features["combined"]
    table = NeighborTable(make_sampler(task, walks, seed, split=split).sample, task.num_items)
    interest = torch.from_numpy(task.extra["world"].pin_cluster)
    scorers = {
        "knn-popularity": knn_popularity_scorer(x, graph_degree_of(task, split), choice.prior_weight),
        "importance-smoothed": embedding_scorer(
            smoothed_embeddings(x, table.neighbors, table.weights, choice.gain)
        ),
        "oracle": oracle_scorer(interest),
    }
    return {name: evaluate_related(score, pairs, task.num_items) for name, score in scorers.items()}


# ---------------------------------------------------------------------- training
def train_variant(
    task: RelatedItemTask,
    variant: Variant,
    walks: WalkSettings,
    gnn: GNNSettings,
    seed: int,
    gain: float,
    *,
    hard: HardNegativeSampler | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    val_pairs: Tensor | None = None,
    tables: EpochNeighborhoods | None = None,
    eval_fn: Callable[[PinSage, int], dict[str, float]] | None = None,
    progress: bool = True,
    stop: Callable[[TrainHistory], bool] | None = None,
) -> tuple[PinSage, TrainHistory]:
    """Train ``variant`` on ``task.features["combined"]`` over the training graph.

    ``gain``: the smoothing start's ``g`` (used when ``variant.smoothing_start``). ``hard``: the run's
    bands (:func:`hard_negative_sampler`), required unless ``variant.hard == "random-only"``; the
    variant draws from a view with its schedule and the stream ``derive_seed(seed, "hard-negative-draws")``.
    ``tables``: training neighbourhoods resampled every epoch and shared by the models of one seed.
    With ``val_pairs`` the validation hit-rate and scaled MRR (validation graph) are stored after every
    epoch in ``history.evaluations`` (``eval_fn`` replaces that check); test pairs are never read here.
    ``stop``: an early-stopping rule handed to :func:`~lecturekit.recsys.pinsage.train.train_pinsage`.
    """
    x = task.features["combined"]
    model = new_model(
        x.shape[1], gnn.hidden_dim, variant.pooling, seed, gain if variant.smoothing_start else 0.0
    )
    sampler = make_sampler(task, walks, seed)
    negatives = None
    if variant.hard != "random-only":
        if hard is None:
            raise ValueError(f"variant {variant} trains with hard negatives: pass argument 'hard'")
        negatives = hard.view(variant.hard, derive_seed(seed, "hard-negative-draws"))
    loss = variant.loss or RECIPE_LOSS
    loss_fn = None
    if loss == "xent":
        loss_fn = functools.partial(xent_loss, temperature=TEMPERATURE)
    elif loss == "margin" and variant.weighting != "pooled":
        loss_fn = functools.partial(max_margin_loss, weighting=variant.weighting)
    train = TrainConfig(
        epochs=epochs or gnn.epochs,
        batch_size=gnn.batch_size,
        num_negatives=gnn.num_negatives,
        margin=MARGIN,
        lr=gnn.lr,
        max_steps_per_epoch=steps_per_epoch or gnn.steps_per_epoch,
        num_workers=gnn.num_workers,
        seed=seed,
        loss="margin" if loss == "xent" else loss,
        temperature=TEMPERATURE,
        hard_weight=variant.hard_weight,
    )
    if eval_fn is None and val_pairs is not None:
        val_table = NeighborTable(
            neighbor_fn(make_sampler(task, walks, seed, split="val"), variant.pooling), task.num_items
        )

        def eval_fn(m: PinSage, epoch: int) -> dict[str, float]:
            emb = layerwise_embeddings(m, x, val_table).embeddings
            return evaluate_related(embedding_scorer(emb), val_pairs, task.num_items).as_dict()

    history = train_pinsage(
        model,
        x,
        sampler,
        task.train_pairs,
        train,
        negative_sampler=negatives,
        eval_fn=eval_fn,
        progress=progress,
        loss_fn=loss_fn,
        neighbor_tables=tables or EpochNeighborhoods(sampler, variant.pooling, seed),
        stop=stop,
    )
    return model, history
