"""The synthetic pinboard world (issue 2): planted structure, determinism, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lecturekit.data.pinboard import HOUR, make_pinboard, temporal_split

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def world():
    return make_pinboard(5000, seed=3)


def test_shapes_and_ranges(world) -> None:
    assert world.num_pins == 5000
    assert world.visual.shape == (5000, 32) and world.visual.dtype == np.float32
    assert world.save_pin.min() >= 0 and world.save_pin.max() < world.num_pins
    assert world.save_board.max() < world.num_boards
    assert np.all(np.diff(world.save_time) >= 0)  # sorted by time
    assert world.annotation_ptr[-1] == len(world.annotation_words)
    assert world.annotation_words.max() < world.vocab_size
    assert (np.diff(world.annotation_ptr) == 0).mean() > 0.05  # annotations are incomplete
    lookalike = world.category_lookalike
    topic = world.category_topic
    assert np.all(topic[lookalike] != topic)  # look-alikes are in DIFFERENT topics (10 topics: all paired)
    for kind, dim in (("visual", 32), ("annotation", 32), ("combined", 64)):
        feats = world.features(kind)
        assert feats.shape == (5000, dim) and torch.isfinite(feats).all()


def test_same_category_pins_co_occur_on_boards_far_more_than_chance(world) -> None:
    edges = world.edge_index()
    pins, boards = edges[0].numpy(), edges[1].numpy()
    order = np.argsort(boards, kind="stable")
    pins, boards = pins[order], boards[order]
    same_board = boards[1:] == boards[:-1]
    cat = world.pin_category
    observed = (cat[pins[1:]] == cat[pins[:-1]])[same_board].mean()
    chance = np.sum((np.bincount(cat) / world.num_pins) ** 2)
    assert observed > 10 * chance


def test_visual_features_confuse_lookalike_categories_across_topics(world) -> None:
    vis = world.features("visual")
    centroids = torch.stack([vis[torch.from_numpy(world.pin_category == c)].mean(0) for c in range(world.num_categories)])
    dist = torch.cdist(centroids, centroids)
    dist.fill_diagonal_(float("inf"))
    nearest = dist.argmin(1).numpy()
    assert np.mean(nearest == world.category_lookalike) > 0.9


def test_positive_pairs_follow_the_one_hour_rule(world) -> None:
    pairs = world.positive_pairs().numpy()
    assert len(pairs) > 1000 and np.all(pairs[:, 0] != pairs[:, 1])
    same_cat = (world.pin_category[pairs[:, 0]] == world.pin_category[pairs[:, 1]]).mean()
    assert same_cat > 0.5
    assert len(world.positive_pairs(max_gap=60.0)) < len(pairs) < len(world.positive_pairs(max_gap=100 * HOUR))


def test_temporal_split_holds_out_test_saves(world) -> None:
    split = temporal_split(world, test_fraction=0.1, max_test_pairs=200)
    assert 0.85 < split.train_mask.mean() < 0.95
    degree = np.bincount(split.edge_index[0].numpy(), minlength=world.num_pins)
    assert len(split.test_pairs) == 200
    assert np.all(degree[split.test_pairs.numpy()] > 0)


def test_determinism_by_seed() -> None:
    a, b, c = make_pinboard(1000, seed=1), make_pinboard(1000, seed=1), make_pinboard(1000, seed=2)
    assert np.array_equal(a.save_pin, b.save_pin) and np.array_equal(a.visual, b.visual)
    assert not np.array_equal(a.save_pin, c.save_pin)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_pins": 5}, "num_pins"),
        ({"num_pins": 1000.5}, "num_pins"),
        ({"num_pins": 1000, "seed": -1}, "seed"),
        ({"num_pins": 1000, "num_topics": 1}, "num_topics"),
        ({"num_pins": 1000, "board_noise": 1.5}, "board_noise"),
        ({"num_pins": 1000, "board_size": 0}, "board_size"),
        ({"num_pins": 30, "num_topics": 10, "categories_per_topic": 6}, "categories"),
        ({"num_pins": 1000, "category_word_prob": 0.6, "style_word_prob": 0.6}, "must not exceed"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        make_pinboard(**kwargs)


def test_bad_split_and_feature_arguments(world) -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        temporal_split(world, test_fraction=1.0)
    with pytest.raises(ValueError, match="kind"):
        world.features("audio")
    with pytest.raises(ValueError, match="max_gap"):
        world.positive_pairs(max_gap=0)
