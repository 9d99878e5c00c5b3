"""Tests of notebook 03's hard negatives, curriculum and cross-entropy variant (issue 4)."""

from __future__ import annotations

import pytest
import torch

from lecturekit.recsys.pinsage.loss import max_margin_loss
from lecturekit.recsys.pinsage.negatives import (
    METHODS,
    HardNegativeConfig,
    HardNegativeSampler,
    default_band,
    num_hard_negatives,
    resolve_band,
    run_variant,
    sibling_task,
)
from lecturekit.recsys.pinsage.xent import xent_loss

torch.set_num_threads(1)


def _chain_graph(num_items: int = 60, num_users: int = 40, seed: int = 0) -> torch.Tensor:
    """A random bipartite graph where every item has 2-4 users."""
    gen = torch.Generator().manual_seed(seed)
    items = torch.arange(num_items).repeat_interleave(3)
    users = torch.randint(0, num_users, (items.numel(),), generator=gen)
    return torch.stack([items, users])


# ---------------------------------------------------------------------- bands
def test_default_band_follows_documented_rule() -> None:
    assert default_band(5_000_000) == (20_000, 50_000)  # K = 5000 -> [4K, 10K]
    assert default_band(10_000) == (40, 100)  # K = 10
    assert default_band(50) == (40, 49)  # clipped to the N - 1 rankable items


def test_resolve_band_ranks_fractions_and_errors() -> None:
    assert resolve_band(1000, (5, 20)) == (5, 20)
    assert resolve_band(1000, (0.01, 0.05)) == (10, 50)
    with pytest.raises(ValueError, match="band"):
        resolve_band(1000, (20, 5))
    with pytest.raises(ValueError, match="band"):
        resolve_band(100, (10, 200))
    with pytest.raises(ValueError, match="band"):
        resolve_band(100, (0.1, 5))


def test_band_selection_within_band_and_never_query_or_positives() -> None:
    num_items, num_users = 60, 40
    edges = _chain_graph(num_items, num_users)
    queries = torch.arange(0, num_items, 3)
    # every query's positives: the next two items
    pairs = torch.cat([torch.stack([queries, (queries + 1) % num_items], 1), torch.stack([queries, (queries + 2) % num_items], 1)])
    config = HardNegativeConfig(band=(5, 15), num_walks=300, walk_length=2, max_hard=8, schedule="no-curriculum")
    sampler = HardNegativeSampler(edges, num_items, num_users, pairs, config)
    ranking = sampler.ranking(queries)
    assert ranking.shape == (queries.numel(), num_items - 1)
    assert not bool((ranking == queries.unsqueeze(1)).any())
    band = sampler.bands(queries)
    assert torch.equal(band, sampler.bands(queries))  # cached: the same band again
    positives = (queries + 1) % num_items
    hard = sampler(queries, positives, epoch=0)
    assert hard.shape == (queries.numel(), 8)
    for row, q in enumerate(queries.tolist()):
        known = {q, (q + 1) % num_items, (q + 2) % num_items}
        allowed = set(band[row].tolist()) - known
        assert set(hard[row].tolist()) <= allowed
        assert not set(hard[row].tolist()) & known


def test_band_ranks_are_by_visit_count() -> None:
    num_items, num_users = 60, 40
    edges = _chain_graph(num_items, num_users, seed=1)
    config = HardNegativeConfig(band=(3, 6), num_walks=500, walk_length=2)
    sampler = HardNegativeSampler(edges, num_items, num_users, torch.zeros(0, 2, dtype=torch.long), config)
    queries = torch.tensor([0, 7])
    sampler.walker.reseed(123)
    ranking = sampler.ranking(queries)
    sampler.walker.reseed(123)
    counts = sampler.walker.visit_counts(queries)
    ranked_counts = counts.gather(1, ranking)
    assert bool((ranked_counts[:, :-1] >= ranked_counts[:, 1:]).all())  # non-increasing down the ranking


def test_band_exhausted_by_positives_falls_back_to_random_non_positives() -> None:
    num_items, num_users = 30, 20
    edges = _chain_graph(num_items, num_users)
    q = torch.tensor([0])
    probe = HardNegativeSampler(edges, num_items, num_users, torch.zeros(0, 2, dtype=torch.long),
                                HardNegativeConfig(band=(1, 3), num_walks=200))  # fmt: skip
    band = probe.bands(q)[0]
    pairs = torch.stack([torch.zeros(3, dtype=torch.long), band], 1)  # the whole band is positive
    sampler = HardNegativeSampler(edges, num_items, num_users, pairs, HardNegativeConfig(band=(1, 3), num_walks=200))
    sampler._bands, sampler._have = probe._bands.clone(), probe._have.clone()
    hard = sampler.sample(q, None, 5)
    assert not set(hard[0].tolist()) & ({0} | set(band.tolist()))


# ---------------------------------------------------------------------- curriculum
def test_curriculum_schedule_counts() -> None:
    assert [num_hard_negatives(e, "curriculum", max_hard=10) for e in range(5)] == [0, 1, 2, 3, 4]
    assert [num_hard_negatives(e, "curriculum", max_hard=2) for e in range(5)] == [0, 1, 2, 2, 2]
    assert [num_hard_negatives(e, "curriculum", max_hard=10, per_epoch=2) for e in range(3)] == [0, 2, 4]
    assert [num_hard_negatives(e, "no-curriculum", max_hard=3) for e in range(3)] == [3, 3, 3]
    assert [num_hard_negatives(e, "random-only", max_hard=3) for e in range(3)] == [0, 0, 0]
    with pytest.raises(ValueError, match="schedule"):
        num_hard_negatives(0, "sometimes")
    with pytest.raises(ValueError, match="schedule"):
        HardNegativeConfig(schedule="sometimes")


def test_sampler_follows_schedule_per_epoch() -> None:
    edges = _chain_graph()
    sampler = HardNegativeSampler(edges, 60, 40, torch.zeros(0, 2, dtype=torch.long),
                                  HardNegativeConfig(band=(2, 10), max_hard=3, num_walks=100))  # fmt: skip
    q = torch.arange(4)
    assert [sampler(q, q + 10, e).shape[1] for e in range(5)] == [0, 1, 2, 3, 3]


# ---------------------------------------------------------------------- losses
def test_max_margin_with_hard_negatives_hand_computed() -> None:
    q = torch.tensor([[1.0, 0.0]])
    p = torch.tensor([[0.8, 0.6]])  # s_qp = 0.8
    n = torch.tensor([[0.0, 1.0], [0.75, 0.0]])  # s = 0.0, 0.75
    h = torch.tensor([[[0.9, 0.1], [0.5, 0.5]]])  # s = 0.9, 0.5
    # random: [0 - 0.8 + 0.1]_+ = 0, [0.75 - 0.8 + 0.1]_+ = 0.05 -> mean 0.025
    # hard:   [0.9 - 0.8 + 0.1]_+ = 0.2, [0.5 - 0.8 + 0.1]_+ = 0 -> mean 0.1, weight 0.5 -> 0.05
    loss = max_margin_loss(q, p, n, h, margin=0.1, hard_weight=0.5)
    assert loss.item() == pytest.approx(0.075, abs=1e-6)


def test_xent_loss_hand_computed_and_hook() -> None:
    q = torch.tensor([[1.0, 0.0]])
    p = torch.tensor([[0.8, 0.6]])
    n = torch.tensor([[0.0, 1.0]])
    h = torch.tensor([[[0.5, 0.5]]])
    logits = torch.tensor([0.8, 0.0, 0.5]) / 0.1
    expected = -(logits[0] - torch.logsumexp(logits, 0))
    assert xent_loss(q, p, n, h, temperature=0.1).item() == pytest.approx(expected.item(), rel=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        xent_loss(q, p, n, temperature=0.0)


def test_method_table_names() -> None:
    assert set(METHODS) == {
        "mean-pooling", "mean-pooling-hard", "mean-pooling-xent",
        "pinsage", "pinsage-random-only", "pinsage-no-curriculum",
    }  # fmt: skip


# ---------------------------------------------------------------------- planted graph
def test_planted_graph_hard_negatives_beat_random_only() -> None:
    task = sibling_task(seed=0)
    config = HardNegativeConfig(band=(20, 39), num_walks=500, walk_length=2, max_hard=4)
    hard = HardNegativeSampler(task.edge_index, task.num_items, task.num_users, task.train_pairs, config)
    q = task.train_pairs[:200, 0]
    drawn = hard.sample(q, task.train_pairs[:200, 1], 4)
    assert float((task.labels[drawn] == (task.labels[q] ^ 1).unsqueeze(1)).float().mean()) > 0.5  # mostly siblings
    common = dict(
        hard_sampler=hard, model_config=dict(hidden_dim=16, out_dim=16), sampler_config=dict(top_t=5, num_walks=20),
        train_config=dict(epochs=6, max_steps_per_epoch=8, batch_size=64, num_negatives=16),
    )  # fmt: skip
    random_only = run_variant(task, "pinsage-random-only", seed=0, **common)
    curriculum = run_variant(task, "pinsage", seed=0, **common)
    assert curriculum.final.mrr_scaled >= random_only.final.mrr_scaled


def test_benchmark_smoke(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("LECTUREKIT_BUILD_DIR", str(tmp_path))
    from benchmarks.bench_hard_negatives import main

    result = main(["--smoke"])
    assert (tmp_path / "bench" / "hard_negatives.json").exists()
    assert result["naive_s_per_batch"] > 0 and result["cached_s_per_batch"] > 0
