"""The paper's Combined baseline: a 2-layer MLP on content features trained on the pairs (notebook 02)."""

import pytest
import torch

from lecturekit.recsys.pinsage.content_mlp import (
    ContentMLP,
    ContentMLPTraining,
    content_embeddings,
    train_content_mlp,
)

TRAINING = ContentMLPTraining(
    epochs=3, steps_per_epoch=30, batch_size=64, num_negatives=64, margin=0.1, lr=1e-2, hidden_dim=16
)


def _planted(num_items: int = 600, groups: int = 30, dim: int = 24, seed: int = 0):
    """Items in groups; only the first 4 feature columns say the group (the rest is louder noise),
    pairs within a group: an MLP must learn to read the right columns."""
    g = torch.Generator().manual_seed(seed)
    group = torch.randint(0, groups, (num_items,), generator=g)
    centres = torch.randn(groups, 4, generator=g)
    x = torch.cat(
        [
            centres[group] + 0.3 * torch.randn(num_items, 4, generator=g),
            3.0 * torch.randn(num_items, dim - 4, generator=g),
        ],
        1,
    )
    pairs = []
    for c in range(groups):
        members = torch.nonzero(group == c).flatten()
        if len(members) > 1:
            pairs.append(torch.stack([members[:-1], members[1:]], 1))
    return x, torch.cat(pairs), group


def _same_group_top1(emb: torch.Tensor, group: torch.Tensor) -> float:
    s = emb @ emb.T
    s.fill_diagonal_(-float("inf"))
    return float((group[s.argmax(1)] == group).double().mean())


def test_embeddings_are_unit_rows_of_the_configured_width() -> None:
    model = ContentMLP(10, 8, 6)
    z = model(torch.randn(5, 10))
    assert z.shape == (5, 6)
    assert torch.allclose(z.norm(dim=1), torch.ones(5), atol=1e-5)


def test_training_learns_which_columns_carry_the_signal() -> None:
    x, pairs, group = _planted()
    raw = _same_group_top1(torch.nn.functional.normalize(x, dim=1), group)
    model, _ = train_content_mlp(x, pairs, TRAINING, seed=0)
    learned = _same_group_top1(content_embeddings(model, x), group)
    assert learned > raw + 0.2, (raw, learned)


def test_seed_alone_fixes_the_result_and_the_global_rng_is_untouched() -> None:
    x, pairs, _ = _planted()
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a, _ = train_content_mlp(x, pairs, TRAINING, seed=4)
    after = torch.rand(1)
    b, _ = train_content_mlp(x, pairs, TRAINING, seed=4)
    assert torch.equal(before, after)
    assert torch.equal(content_embeddings(a, x), content_embeddings(b, x))


def test_validation_keeps_the_best_epochs_weights() -> None:
    x, pairs, group = _planted()
    seen = []

    def validate(emb: torch.Tensor) -> float:
        score = [0.9, 0.1, 0.2][len(seen)]  # epoch 1 is "best" on this made-up validation
        seen.append(emb.clone())
        return score

    model, scores = train_content_mlp(x, pairs, TRAINING, seed=0, validate=validate)
    assert scores == [0.9, 0.1, 0.2]
    assert torch.allclose(content_embeddings(model, x), seen[0], atol=1e-6)


@pytest.mark.parametrize("field", ["epochs", "steps_per_epoch", "batch_size", "num_negatives", "hidden_dim"])
def test_bad_budget_is_named(field: str) -> None:
    kwargs = dict(
        epochs=1, steps_per_epoch=1, batch_size=1, num_negatives=1, margin=0.1, lr=1e-3, hidden_dim=4
    )
    kwargs[field] = 0
    with pytest.raises(ValueError, match=field):
        ContentMLPTraining(**kwargs)


def test_bad_inputs_are_named() -> None:
    x, pairs, _ = _planted()
    with pytest.raises(ValueError, match="features"):
        train_content_mlp(x[0], pairs, TRAINING, seed=0)
    with pytest.raises(ValueError, match="train_pairs"):
        train_content_mlp(x, pairs[:0], TRAINING, seed=0)


def test_untrained_model_ranks_exactly_as_feature_knn() -> None:
    x, _, _ = _planted()
    with torch.no_grad():
        z = ContentMLP(x.shape[1], 16, x.shape[1])(x)
    xn = torch.nn.functional.normalize(x, dim=1)
    assert torch.allclose(z @ z.T, xn @ xn.T, atol=1e-5)
