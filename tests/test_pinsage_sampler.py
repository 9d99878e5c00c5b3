"""RandomWalkSampler: visit counts match exact expectations, top-T, weights, restart, padding, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit.recsys.pinsage import RandomWalkSampler

torch.set_num_threads(1)

# items 0..5, users 0..3. Component {0,1,2,3} via users 0,1; {4} alone on user 2; item 5 isolated;
# user 3 has no edges (zero degree).
EDGES = torch.tensor([[0, 1, 2, 2, 3, 3, 4], [0, 0, 0, 1, 1, 1, 2]])
NUM_ITEMS, NUM_USERS = 6, 4


def _transition() -> np.ndarray:
    """Exact item -> user -> item transition matrix P[i, j]."""
    inc = np.zeros((NUM_ITEMS, NUM_USERS))
    np.add.at(inc, (EDGES[0].numpy(), EDGES[1].numpy()), 1.0)
    item_deg = inc.sum(1, keepdims=True)
    user_deg = inc.sum(0, keepdims=True)
    to_user = np.divide(inc, item_deg, out=np.zeros_like(inc), where=item_deg > 0)
    to_item = np.divide(inc, user_deg, out=np.zeros_like(inc), where=user_deg > 0).T
    return to_user @ to_item


def _expected_visits(query: int, walk_length: int, restart: float) -> np.ndarray:
    """Expected visits per walk: d_1 = e_q P, d_{k+1} = (restart e_q + (1 - restart) d_k) P."""
    p = _transition()
    e = np.eye(NUM_ITEMS)[query]
    d, total = e @ p, np.zeros(NUM_ITEMS)
    for _ in range(walk_length):
        total += d
        d = (restart * e + (1 - restart) * d) @ p
    total[query] = 0.0  # the query itself is never counted
    return total


@pytest.mark.parametrize(("walk_length", "restart"), [(1, 0.5), (3, 0.0), (3, 0.3), (4, 1.0)])
def test_visit_counts_match_exact_expectation(walk_length: int, restart: float) -> None:
    walks = 8000
    sampler = RandomWalkSampler(
        EDGES,
        NUM_ITEMS,
        NUM_USERS,
        num_walks=walks,
        walk_length=walk_length,
        restart_prob=restart,
        top_t=3,
        seed=0,
    )
    counts = sampler.visit_counts(torch.tensor([0, 3])).numpy() / walks
    for row, query in enumerate([0, 3]):
        np.testing.assert_allclose(counts[row], _expected_visits(query, walk_length, restart), atol=0.04)


def test_top_t_neighbours_and_weights_follow_visit_counts() -> None:
    sampler = RandomWalkSampler(
        EDGES, NUM_ITEMS, NUM_USERS, num_walks=20000, walk_length=3, restart_prob=0.3, top_t=2
    )
    neighbors, weights = sampler.sample(torch.tensor([0]))
    expected = _expected_visits(0, 3, 0.3)
    best = np.argsort(-expected)[:2]
    assert set(neighbors[0].tolist()) == set(best.tolist())
    np.testing.assert_allclose(
        weights[0].numpy(), expected[neighbors[0].numpy()] / expected[neighbors[0].numpy()].sum(), atol=0.02
    )
    assert weights[0, 0] >= weights[0, 1]  # best first


def test_weights_sum_to_one_and_padding_when_fewer_than_t_reachable() -> None:
    sampler = RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS, num_walks=50, walk_length=2, top_t=5)
    neighbors, weights = sampler.sample(torch.tensor([0, 4, 5]))
    assert neighbors.shape == weights.shape == (3, 5)
    assert torch.allclose(weights[0].sum(), torch.tensor(1.0))
    assert (neighbors[0, :3] >= 0).all() and (neighbors[0, 3:] == -1).all()  # only 3 other items reachable
    assert (weights[0, 3:] == 0).all()
    # item 4 is alone on its user, item 5 isolated: all padding, no NaN.
    assert (neighbors[1:] == -1).all() and (weights[1:] == 0).all() and torch.isfinite(weights).all()
    assert (neighbors != torch.tensor([0, 4, 5]).unsqueeze(1)).all()  # never the query itself


def test_restart_one_stays_within_one_traversal() -> None:
    sampler = RandomWalkSampler(
        EDGES, NUM_ITEMS, NUM_USERS, num_walks=2000, walk_length=5, restart_prob=1.0, top_t=5
    )
    counts = sampler.visit_counts(torch.tensor([0]))[0]
    assert counts[3] == 0  # item 3 is two traversals away from item 0
    sampler = RandomWalkSampler(
        EDGES, NUM_ITEMS, NUM_USERS, num_walks=2000, walk_length=5, restart_prob=0.0, top_t=5
    )
    assert sampler.visit_counts(torch.tensor([0]))[0, 3] > 0


def test_direct_neighbours_are_uniform_one_hop_samples() -> None:
    sampler = RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS, top_t=4000)
    neighbors, weights = sampler.sample_direct(torch.tensor([0, 5]))
    assert set(neighbors[0][neighbors[0] >= 0].tolist()) == {1, 2}
    assert torch.allclose(weights[0].sum(), torch.tensor(1.0)) and (weights[1] == 0).all()


def test_seeded_sampler_is_reproducible() -> None:
    a = RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS, num_walks=30, seed=5).sample(torch.tensor([0, 1, 2]))
    b = RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS, num_walks=30, seed=5).sample(torch.tensor([0, 1, 2]))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_bad_input_raises_clear_errors() -> None:
    sampler = RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS)
    with pytest.raises(ValueError, match="outside"):
        sampler.sample(torch.tensor([6]))
    with pytest.raises(ValueError, match="outside"):
        sampler.sample(torch.tensor([-1]))
    with pytest.raises(ValueError, match="empty"):
        sampler.sample(torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="integer"):
        sampler.visit_counts(torch.tensor([0.5]))
    with pytest.raises(ValueError, match="top_t"):
        sampler.sample(torch.tensor([0]), top_t=0)
    with pytest.raises(ValueError, match="row 1"):
        RandomWalkSampler(EDGES, NUM_ITEMS, 2)
    with pytest.raises(ValueError, match="shape"):
        RandomWalkSampler(EDGES[0], NUM_ITEMS, NUM_USERS)
    with pytest.raises(ValueError, match="restart_prob"):
        RandomWalkSampler(EDGES, NUM_ITEMS, NUM_USERS, restart_prob=1.5)


def test_rows_stay_with_their_query_across_internal_chunks() -> None:
    # 40000 walks x 3 traversals -> one query per internal chunk: rows must not shift between chunks.
    walks = 40000
    sampler = RandomWalkSampler(
        EDGES, NUM_ITEMS, NUM_USERS, num_walks=walks, walk_length=3, restart_prob=0.3, top_t=3, seed=1
    )
    queries = [3, 5, 0, 4, 1]
    counts = sampler.visit_counts(torch.tensor(queries)).numpy() / walks
    for row, query in enumerate(queries):
        np.testing.assert_allclose(counts[row], _expected_visits(query, 3, 0.3), atol=0.03)
    neighbors, _ = sampler.sample(torch.tensor(queries))
    assert (neighbors[1] == -1).all() and (neighbors[3] == -1).all()  # isolated item 5, lonely item 4
