"""PinSage (Ying et al., KDD 2018), one module per concept (notebooks 02 and 03).

* :mod:`.sampler`     -- :class:`RandomWalkSampler`: importance neighbourhoods, visit counts.
* :mod:`.layers`      -- :class:`PinSageConv`: importance / mean / max pooling convolution.
* :mod:`.model`       -- :class:`PinSage`, :class:`PinSageConfig`.
* :mod:`.batching`    -- K-hop computation graphs of a batch (:class:`BlockBuilder`, :class:`NeighborTable`).
* :mod:`.loss`        -- :func:`max_margin_loss` (the paper's) and the in-batch sampled softmax (the course's).
* :mod:`.train`       -- :func:`train_pinsage` (producer-consumer DataLoader, ``negative_sampler`` hook).
* :mod:`.inference`   -- layer-wise vs per-node inference.
* :mod:`.retrieval`   -- :class:`EmbeddingIndex` (faiss exact / HNSW, torch fallback).
* :mod:`.evaluation`  -- :func:`evaluate_related`: rank the true related item among all items.
* :mod:`.baselines`, :mod:`.pixie` -- references (popularity, kNN + log-degree prior, the oracle, the
  parameter-free importance smoothing), feature kNN, item-CF, Pixie.
* :mod:`.negatives`, :mod:`.ppr`, :mod:`.negative_diagnostics` -- hard negatives (notebook 03).
* :mod:`.datasets`    -- :class:`RelatedItemTask` for the pinboard world and MovieLens-100K.

The studies of notebooks 02 and 03 (and their shared runner) live in :mod:`lecturekit.studies`.
"""

from lecturekit.ranking import ranking_cutoffs
from lecturekit.recsys.pinsage.baselines import feature_scorer, item_cf_scorer
from lecturekit.recsys.pinsage.batching import (
    Block,
    BlockBuilder,
    MiniBatch,
    NeighborTable,
    graph_degree,
    tree_batch,
)
from lecturekit.recsys.pinsage.datasets import RelatedItemTask, movielens_task, pinboard_task
from lecturekit.recsys.pinsage.evaluation import (
    LookalikeMix,
    RankingResult,
    embedding_scorer,
    evaluate_related,
    lookalike_mix,
)
from lecturekit.recsys.pinsage.inference import InferenceResult, layerwise_embeddings, pernode_embeddings
from lecturekit.recsys.pinsage.layers import PinSageConv
from lecturekit.recsys.pinsage.loss import max_margin_loss
from lecturekit.recsys.pinsage.model import PinSage, PinSageConfig
from lecturekit.recsys.pinsage.pixie import pixie_scorer, pixie_scores
from lecturekit.recsys.pinsage.retrieval import EmbeddingIndex
from lecturekit.recsys.pinsage.sampler import RandomWalkSampler
from lecturekit.recsys.pinsage.train import (
    EpochNeighborhoods,
    NegativeSampler,
    TrainConfig,
    TrainHistory,
    epoch_walks,
    neighbor_fn,
    train_pinsage,
)

__all__ = [
    "Block",
    "BlockBuilder",
    "EmbeddingIndex",
    "EpochNeighborhoods",
    "InferenceResult",
    "LookalikeMix",
    "MiniBatch",
    "NegativeSampler",
    "NeighborTable",
    "PinSage",
    "PinSageConfig",
    "PinSageConv",
    "RandomWalkSampler",
    "RankingResult",
    "RelatedItemTask",
    "TrainConfig",
    "TrainHistory",
    "embedding_scorer",
    "epoch_walks",
    "evaluate_related",
    "feature_scorer",
    "graph_degree",
    "item_cf_scorer",
    "layerwise_embeddings",
    "lookalike_mix",
    "max_margin_loss",
    "movielens_task",
    "neighbor_fn",
    "pernode_embeddings",
    "pinboard_task",
    "pixie_scorer",
    "pixie_scores",
    "ranking_cutoffs",
    "tree_batch",
    "train_pinsage",
]
