"""A small planted graph trains quickly; the comparison runner works end to end (notebook 04)."""

import torch

from lecturekit.data.polypharmacy import make_planted
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import evaluate, model_scorer
from lecturekit.hetero.experiment import METHODS, ExperimentConfig, make_split, run_seed, train_decagon
from lecturekit.hetero.model import DecagonConfig
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.train import TrainConfig

torch.set_num_threads(1)

SMALL = dict(
    num_drugs=80, num_proteins=240, num_modules=6, num_side_effects=6, num_popularity_side_effects=0,
    pairs_per_side_effect=60, targets_per_drug=(3, 6), target_noise=0.05, seed=0,
)


def test_planted_trains_above_chance_under_degree_matched_negatives():
    data = make_planted(**SMALL)
    config = ExperimentConfig(
        decagon=DecagonConfig(encoder=EncoderConfig(hidden_dim=32, out_dim=16)),
        train=TrainConfig(epochs=100, lr=0.02),
        test=0.2,
    )
    split = make_split(data, config, seed=0)
    model = train_decagon(data, split, config, seed=0)
    neg = evaluation_negatives("degree-matched", split.test, split.all_pos, split.num_drugs, split.num_relations, 0)
    result = evaluate(model_scorer(model), split.test, neg, split.num_relations)
    assert result.auroc > 0.65, result.as_dict()


def test_run_seed_all_methods_smoke():
    data = make_planted(**{**SMALL, "num_drugs": 40, "num_proteins": 60, "pairs_per_side_effect": 20})
    config = ExperimentConfig(
        decagon=DecagonConfig(encoder=EncoderConfig(hidden_dim=8, out_dim=4)),
        train=TrainConfig(epochs=2, batch_mode="edge-type", batch_size=16),
        factorization_epochs=2,
        lr_epochs=2,
    )
    out = run_seed(data, config, seed=1)
    assert set(out["results"]) == set(METHODS)
    for res in out["results"].values():
        for protocol in ("uniform", "degree-matched"):
            assert 0.0 <= res[protocol].auroc <= 1.0
    leaky = run_seed(data, config, seed=1, methods=["degree"], leak=True)
    assert leaky["split"].leak
