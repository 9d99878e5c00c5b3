"""A small planted graph trains quickly; the comparison runner works end to end (notebook 04)."""

from dataclasses import replace

import pytest
import torch

from lecturekit.data.polypharmacy import make_planted
from lecturekit.hetero.encoder import EncoderConfig
from lecturekit.hetero.evaluate import evaluate
from lecturekit.hetero.model import DecagonConfig
from lecturekit.hetero.negatives import evaluation_negatives
from lecturekit.hetero.train import TrainConfig
from lecturekit.studies.nb04_decagon import (
    COURSE,
    METHODS,
    PlantedWorld,
    make_split,
    run_leak_seed,
    run_seed,
    train_method,
)

torch.set_num_threads(1)

SMALL = dict(
    num_drugs=80,
    num_proteins=240,
    num_modules=6,
    num_side_effects=6,
    num_popularity_side_effects=0,
    pairs_per_side_effect=60,
    targets_per_drug=(3, 6),
    target_noise=0.05,
    seed=0,
)


def test_planted_trains_above_chance_under_degree_matched_negatives():
    world = {**SMALL, "num_drugs": 150, "num_proteins": 300, "num_modules": 8, "num_side_effects": 12}
    data = make_planted(**world)
    config = replace(
        COURSE,
        decagon=DecagonConfig(encoder=EncoderConfig(hidden_dim=32, out_dim=16)),
        train=TrainConfig(epochs=100, lr=0.02),
        test=0.2,
    )
    split = make_split(data, config, seed=0)
    scorer = train_method(data, split, config, 0, "decagon").scorer  # early-stopped on the validation split
    neg = evaluation_negatives(
        "degree-matched", split.test, split.all_pos, split.num_drugs, split.num_relations, 0
    )
    result = evaluate(scorer, split.test, neg, split.num_relations)
    assert result.auroc > 0.62, result.as_dict()  # ~0.70 measured over 3 world seeds


def test_run_seed_all_methods_smoke():
    world = PlantedWorld(
        num_drugs=40,
        num_proteins=60,
        num_modules=6,
        num_side_effects=6,
        num_popularity_side_effects=0,
        pairs_per_side_effect=20,
        num_drug_classes=8,
        num_mechanisms=3,
    )
    config = replace(
        COURSE,
        data=world,
        decagon=DecagonConfig(encoder=EncoderConfig(hidden_dim=8, out_dim=4)),
        train=TrainConfig(epochs=2, batch_mode="edge-type", batch_size=16),
        factorization_dim=4,
        seeds=(1,),
        leak_seeds=(1,),
    )
    out = run_seed(config, seed=1)
    assert out.method_names == METHODS
    for res in out.methods:
        for protocol in ("uniform", "degree-matched"):
            assert 0.0 <= res.protocol(protocol).auroc <= 1.0
            assert len(res.protocol(protocol).auroc_per_side_effect) == 6
    leaky = run_leak_seed(replace(config, leak_methods=("degree",)), seed=1)
    assert [m.method for m in leaky.methods] == ["degree"]
    # The leaky split keeps reverse edges in training: the degree score sees more and changes.
    assert leaky.method("degree").uniform != out.method("degree").uniform
    with pytest.raises(KeyError, match="rescal"):
        leaky.method("rescal")


def test_chunked_backward_matches_full_batch_gradient():
    from lecturekit.hetero.graph import build_graph
    from lecturekit.hetero.model import Decagon
    from lecturekit.hetero.train import _chunked_backward, _pair_loss

    data = make_planted(**{**SMALL, "num_drugs": 30, "num_proteins": 40, "pairs_per_side_effect": 15})
    config = replace(COURSE, decagon=DecagonConfig(encoder=EncoderConfig(8, 4), aux_weight=0.0))
    split = make_split(data, config, seed=0)
    torch.manual_seed(0)
    model = Decagon(build_graph(data, split.train), split.num_relations, config.decagon)
    model.eval()  # no dropout: both passes see the same function
    pos = split.train
    neg = type(pos)(pos.src, pos.dst.roll(1), pos.rel)
    full = _pair_loss(model, model.embed(), pos, neg)
    full.backward()
    expected = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    loss = _chunked_backward(model, model.embed(), pos, neg, TrainConfig(chunk_size=7), torch.Generator())
    assert torch.allclose(loss, full.detach(), atol=1e-5)
    assert sum(g is not None for g in expected) >= 5
    for p, g in zip(model.parameters(), expected, strict=True):
        assert (p.grad is None) == (g is None) or float(p.grad.abs().sum()) == 0.0
        if g is not None:
            assert torch.allclose(p.grad, g, atol=1e-5)
