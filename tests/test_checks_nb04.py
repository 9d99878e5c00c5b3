"""Notebook 04's exercise checks: they pass the package and the notebook's solution, and say in plain
words what is wrong with a stub or a plausible mistake; the package's candidates are what its sampler uses."""

from __future__ import annotations

import pytest
import torch
from exercise_cells import assert_exercise, failure, package_allowed

from lecturekit import checks
from lecturekit.hetero.decoders import DEDICOMDecoder, dedicom_logits
from lecturekit.hetero.negatives import (
    degree_matched_candidates,
    relation_degree,
    training_degree_matched_negatives,
)
from lecturekit.hetero.split import Triples

NB = "04_decagon"


# ---- dedicom_logits -------------------------------------------------------------------------------------
def test_dedicom_passes_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.dedicom_logits(dedicom_logits)

        def through_the_module(z_i, z_j, d_r, R):
            decoder = DEDICOMDecoder(len(d_r), R.shape[0])
            with torch.no_grad():
                decoder.global_interaction.copy_(R)
                decoder.local.copy_(d_r)
            index = torch.arange(len(z_i))
            return decoder(z_i, z_j, index, index, index).detach()

        checks.dedicom_logits(through_the_module)
        assert capsys.readouterr().out.count("all 3 hand cases pass") == 2


def test_dedicom_notebook_solution_and_stub(capsys):
    assert_exercise(NB, "ex04-dedicom-solution", "dedicom_logits", checks.dedicom_logits, capsys)


def test_dedicom_names_each_mistake():
    def transposed(z_i, z_j, d_r, R):
        return ((z_j * d_r) @ R * d_r * z_i).sum(-1)

    def one_side(z_i, z_j, d_r, R):
        return ((z_i * d_r) @ R * z_j).sum(-1)

    def all_pairs(z_i, z_j, d_r, R):
        return (z_i * d_r) @ R @ (z_j * d_r).T

    assert "the pair read the other way round: R is not symmetric" in failure(
        checks.dedicom_logits, transposed
    )
    assert "D_r scales both embeddings" in failure(checks.dedicom_logits, one_side)
    message = failure(checks.dedicom_logits, all_pairs)
    assert "wrong shape: expected (1,), got (1, 1)" in message


# ---- degree_matched_candidates ---------------------------------------------------------------------------
def test_candidates_pass_the_package(capsys):
    with package_allowed():  # the package's own functions, through the hand cases
        checks.degree_matched_candidates(degree_matched_candidates)
        checks.degree_matched_candidates(lambda *args: degree_matched_candidates(*args).tolist())
        assert capsys.readouterr().out.count("all 4 hand cases pass") == 2


def test_candidates_notebook_solution_and_stub(capsys):
    assert_exercise(
        NB, "ex04-candidates-solution", "degree_matched_candidates", checks.degree_matched_candidates, capsys
    )


def test_candidates_name_each_mistake():
    def keeps_known(degree, source, target, known):
        mask = degree == degree[target]
        mask[source] = False
        return mask.nonzero().flatten()

    def keeps_source(degree, source, target, known):
        mask = degree == degree[target]
        mask[known] = False
        return mask.nonzero().flatten()

    def source_degree(degree, source, target, known):
        mask = degree == degree[source]
        mask[source] = False
        mask[known] = False
        return mask.nonzero().flatten()

    def as_matrix(degree, source, target, known):
        return torch.zeros(1, 1)

    assert "includes drug 2, which is already linked to drug 0" in failure(
        checks.degree_matched_candidates, keeps_known
    )
    assert "includes the source drug 0 itself" in failure(checks.degree_matched_candidates, keeps_source)
    message = failure(checks.degree_matched_candidates, source_degree)
    assert "hand case 2" in message and "misses a drug that has the target's training degree 0" in message
    assert "2" not in message.split("(your ids")[1]  # the missing drug is not named
    assert "wrong shape: expected a 1-D list of drug ids" in failure(
        checks.degree_matched_candidates, as_matrix
    )


def test_the_package_sampler_draws_only_candidates():
    generator = torch.Generator().manual_seed(0)
    num_drugs, num_relations = 30, 2
    pairs = torch.randint(0, num_drugs, (2, 120), generator=generator)
    keep = pairs[0] != pairs[1]
    train = Triples(
        pairs[0][keep],
        pairs[1][keep],
        torch.randint(0, num_relations, (int(keep.sum()),), generator=generator),
    ).both_directions()
    positives = train.subset(torch.arange(0, len(train), 7))
    negatives = training_degree_matched_negatives(
        positives, train, train, num_drugs, num_relations, torch.Generator().manual_seed(1)
    )
    checked = 0
    for k in range(len(positives)):
        i, j, r = int(positives.src[k]), int(positives.dst[k]), int(positives.rel[k])
        degree = relation_degree(train, r, num_drugs)
        if int(negatives.src[k]) == i:  # the target replaced: among the per-side-effect candidates
            known = train.dst[(train.src == i) & (train.rel == r)]
            candidates = degree_matched_candidates(degree, i, j, known)
            if len(candidates):
                assert int(negatives.dst[k]) in candidates.tolist(), (k, i, j, r)
                checked += 1
        else:  # the source replaced (no target matched both degrees): the target kept, the source's degree matched
            assert int(negatives.dst[k]) == j and int(degree[int(negatives.src[k])]) == int(degree[i])
    assert checked > 10


def test_candidates_refuse_ids_outside_the_drugs():
    with pytest.raises(ValueError, match="argument 'target' = 9 is outside"):
        degree_matched_candidates(torch.zeros(4, dtype=torch.long), 0, 9, torch.tensor([1]))
    with pytest.raises(ValueError, match="argument 'known' has node ids outside"):
        degree_matched_candidates(torch.zeros(4, dtype=torch.long), 0, 1, torch.tensor([-1]))
    with pytest.raises(ValueError, match="node ids outside"):
        relation_degree(Triples(torch.tensor([5]), torch.tensor([0]), torch.tensor([0])), 0, 4)
