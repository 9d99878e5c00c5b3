"""Decagon (Zitnik et al. 2018) and its baselines for polypharmacy side effects (notebook 04).

Modules: :mod:`.split` (triples, pair-preserving split), :mod:`.graph` (normalised relation blocks),
:mod:`.encoder` (batched relational graph convolution), :mod:`.decoders` (inner/DistMult/bilinear/DEDICOM),
:mod:`.negatives` (degree^0.75 sampling, evaluation protocols), :mod:`.model`, :mod:`.train`,
:mod:`.evaluate` (AUROC/AUPRC/AP@50, the chance AP), :mod:`.baselines` (degree and popularity scores, PairMLP),
:mod:`.deepwalk`. Methods only: notebook 04's study (world sizing, runs, typed results, tables) is
:mod:`lecturekit.studies.nb04_decagon`.
"""

from lecturekit.hetero.decoders import (
    BilinearDecoder,
    DEDICOMDecoder,
    DistMultDecoder,
    InnerProductDecoder,
    make_decoder,
)
from lecturekit.hetero.encoder import DecagonEncoder, EncoderConfig, RelationalGraphConv
from lecturekit.hetero.evaluate import EvalResult, ap_at_k, evaluate, model_scorer
from lecturekit.hetero.graph import RelationalGraph, build_graph, drug_only, normalized_block
from lecturekit.hetero.model import Decagon, DecagonConfig, FactorizationModel
from lecturekit.hetero.negatives import DegreeNegativeSampler, evaluation_negatives
from lecturekit.hetero.split import DDISplit, Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, train_link_predictor

__all__ = [
    "BilinearDecoder",
    "DDISplit",
    "DEDICOMDecoder",
    "Decagon",
    "DecagonConfig",
    "DecagonEncoder",
    "DegreeNegativeSampler",
    "DistMultDecoder",
    "EncoderConfig",
    "EvalResult",
    "FactorizationModel",
    "InnerProductDecoder",
    "RelationalGraph",
    "RelationalGraphConv",
    "TrainConfig",
    "Triples",
    "ap_at_k",
    "build_graph",
    "drug_only",
    "evaluate",
    "evaluation_negatives",
    "make_decoder",
    "model_scorer",
    "normalized_block",
    "split_pairs",
    "train_link_predictor",
]
