"""Bad input to lecturekit.hetero fails loudly, naming the argument (never a silent remap)."""

import numpy as np
import pytest
import torch

from lecturekit.hetero.baselines import degree_scorer
from lecturekit.hetero.evaluate import evaluate_scores
from lecturekit.hetero.negatives import DegreeNegativeSampler, evaluation_negatives, uniform_negatives
from lecturekit.hetero.split import Triples, split_pairs
from lecturekit.hetero.train import TrainConfig, train_link_predictor


def t(*values):
    return torch.tensor(values, dtype=torch.long)


PAIRS = Triples(t(0, 1, 2, 0), t(1, 2, 3, 3), t(0, 0, 1, 1))


def test_split_pairs_accepts_in_range_ids():
    split = split_pairs(PAIRS, num_drugs=4, num_relations=2, val=0.0, test=0.5)
    assert len(split.all_pos) == 8


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (Triples(t(0, 4), t(1, 2), t(0, 0)), r"'pairs': 1 src ids outside \[0, 4\).*\(4, 2, 0\)"),
        (Triples(t(0, 1), t(1, 9), t(0, 0)), r"'pairs': 1 dst ids outside \[0, 4\)"),
        (Triples(t(-1, 1), t(1, 2), t(0, 0)), r"'pairs': 1 src ids outside \[0, 4\)"),
        (Triples(t(0, 1), t(1, 2), t(0, 2)), r"'pairs': 1 rel ids outside \[0, 2\) \(the relation count\)"),
        (Triples(t(0, 1), t(1, 2), t(-1, 0)), r"'pairs': 1 rel ids outside \[0, 2\)"),
    ],
)
def test_split_pairs_refuses_out_of_range_ids(pairs, message):
    # A drug id >= num_drugs used to wrap into another pair's key (e.g. (0, 4) became (1, 0)).
    with pytest.raises(ValueError, match=message):
        split_pairs(pairs, num_drugs=4, num_relations=2)


def test_split_pairs_refuses_bad_sizes():
    with pytest.raises(ValueError, match="num_nodes"):
        split_pairs(PAIRS, num_drugs=0, num_relations=2)
    with pytest.raises(ValueError, match="int64 edge keys"):
        split_pairs(PAIRS, num_drugs=3_000_000_000, num_relations=2)


def test_triples_refuse_non_int64_ids():
    with pytest.raises(TypeError, match=r"Triples.src must be a LongTensor"):
        Triples(torch.tensor([0.0, 1.0]), t(1, 2), t(0, 0))
    with pytest.raises(TypeError, match=r"Triples.rel must be a LongTensor"):
        Triples(t(0, 1), t(1, 2), torch.tensor([0, 0], dtype=torch.int32))


def test_sampler_refuses_a_source_with_no_negative_left():
    # Drug 0 is linked to every other drug in relation 0: no negative exists for a query from drug 0.
    complete = Triples(t(0, 0, 0), t(1, 2, 3), t(0, 0, 0))
    sampler = DegreeNegativeSampler(complete, num_nodes=4, num_relations=1)
    with pytest.raises(
        ValueError, match=r"no negative exists for 1 queries: e.g. node 0 .* all 3 other nodes"
    ):
        sampler.corrupt(Triples(t(0, 1), t(1, 2), t(0, 0)), torch.Generator().manual_seed(0))
    fine = sampler.corrupt(Triples(t(1), t(0), t(0)), torch.Generator().manual_seed(0))
    assert not bool(sampler.is_excluded(fine).any())


def test_uniform_negatives_refuse_a_complete_relation():
    nodes = torch.arange(3)
    src, dst = torch.meshgrid(nodes, nodes, indexing="ij")
    keep = src != dst
    complete = Triples(src[keep], dst[keep], torch.zeros(int(keep.sum()), dtype=torch.long))
    with pytest.raises(ValueError, match=r"no uniform negative exists for relation 0"):
        uniform_negatives(complete.subset(torch.arange(2)), complete, 3, 1)
    with pytest.raises(ValueError, match=r"'positives': 1 rel ids outside \[0, 1\)"):
        evaluation_negatives("uniform", Triples(t(0), t(1), t(5)), complete, 3, 1)


def test_sampler_refuses_out_of_range_ids():
    with pytest.raises(ValueError, match=r"'positives': 1 dst ids outside \[0, 3\)"):
        DegreeNegativeSampler(Triples(t(0), t(3), t(0)), num_nodes=3, num_relations=1)


def test_evaluate_scores_refuses_what_it_used_to_drop():
    pos, neg = np.array([1.0, 2.0]), np.array([0.0, 0.5])
    with pytest.raises(ValueError, match=r"'pos_rel' holds relation ids outside \[0, 1\)"):
        evaluate_scores(pos, neg, np.array([0, 1]), np.array([0, 0]), 1)
    with pytest.raises(ValueError, match=r"'neg_scores' holds 1 non-finite"):
        evaluate_scores(pos, np.array([0.0, np.nan]), np.array([0, 0]), np.array([0, 0]), 1)
    assert evaluate_scores(pos, neg, np.array([0, 0]), np.array([0, 0]), 1).auroc == 1.0


def test_degree_scorer_refuses_out_of_range_ids():
    score = degree_scorer(PAIRS, num_drugs=4, num_relations=2)
    with pytest.raises(ValueError, match=r"'edges': 1 rel ids outside \[0, 2\)"):
        score(Triples(t(0), t(1), t(2)))  # used to read past the degree table silently


def test_train_link_predictor_refuses_bad_arguments():
    model = torch.nn.Linear(1, 1)
    with pytest.raises(ValueError, match="no triples"):
        train_link_predictor(model, Triples(t(), t(), t()), 4, 2, TrainConfig(), torch.Generator())
    with pytest.raises(TypeError, match="torch.Generator"):
        train_link_predictor(model, PAIRS, 4, 2, TrainConfig(), 0)
    with pytest.raises(ValueError, match="epochs"):
        train_link_predictor(model, PAIRS, 4, 2, TrainConfig(epochs=0), torch.Generator())
    with pytest.raises(ValueError, match=r"'train': 2 rel ids outside \[0, 1\)"):
        train_link_predictor(model, PAIRS, 4, 1, TrainConfig(), torch.Generator())
