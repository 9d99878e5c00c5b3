"""Issue 13: test graphs are not copies of training graphs, and are drawn from their own random stream."""

import networkx as nx
import pytest

from lecturekit.generation.graph_datasets import (
    count_isomorphic_copies,
    grid_shape,
    grid_shapes,
    held_out_grid_shapes,
    load_dataset,
)
from lecturekit.studies.nb05_graphrnn import COURSE, load_datasets


@pytest.fixture(scope="module")
def course_data():
    return load_datasets(COURSE)


def test_no_test_graph_is_isomorphic_to_a_training_graph(course_data):
    for name in ("community-small", "grid"):
        split = course_data[name]
        assert len(split.test) >= 100
        # exact check, pair by pair (no invariant bucketing, so the counting helper is checked too)
        assert not any(
            nx.is_isomorphic(t, g)
            for t in split.test
            for g in split.train
            if t.number_of_nodes() == g.number_of_nodes() and t.number_of_edges() == g.number_of_edges()
        )
        assert count_isomorphic_copies(split.test, split.train) == 0


def test_grid_shapes_are_held_out_by_canonical_form(course_data):
    split = course_data["grid"]
    train = {grid_shape(g) for g in split.train}
    test = {grid_shape(g) for g in split.test}
    assert None not in train | test
    assert not train & test
    expected_train, expected_test = held_out_grid_shapes()
    assert train == set(expected_train) and test == set(expected_test)
    # r x c and c x r are one graph and one canonical shape
    assert grid_shape(nx.grid_2d_graph(2, 5)) == grid_shape(nx.grid_2d_graph(5, 2)) == (2, 5)
    assert nx.is_isomorphic(nx.grid_2d_graph(2, 5), nx.grid_2d_graph(5, 2))


def test_grid_shape_recognises_only_grids():
    assert grid_shape(nx.grid_2d_graph(3, 4)) == (3, 4)
    assert grid_shape(nx.path_graph(5)) == (1, 5)  # a path is a 1 x n grid
    assert grid_shape(nx.cycle_graph(5)) is None
    assert grid_shape(nx.complete_graph(4)) is None
    star = nx.star_graph(3)  # 4 nodes, 3 edges: the numbers of a 1 x 4 grid, but not its shape
    assert grid_shape(star) is None
    assert len(grid_shapes((2, 5))) == 10  # 16 ordered shapes, 10 distinct graphs
    with pytest.raises(ValueError, match="argument 'sides'"):
        grid_shapes((3, 2))
    with pytest.raises(ValueError, match="no training or no test shape"):
        held_out_grid_shapes((2, 2))


def test_test_sets_have_their_own_random_stream():
    # more test graphs change neither the training graphs nor the first test graphs
    small, large = load_dataset("community-small", 30, 10), load_dataset("community-small", 30, 20)
    assert [sorted(g.edges()) for g in small.train] == [sorted(g.edges()) for g in large.train]
    assert [sorted(g.edges()) for g in small.test] == [sorted(g.edges()) for g in large.test[:10]]
    other_train = load_dataset("community-small", 40, 10)
    assert [sorted(g.edges()) for g in other_train.test] == [sorted(g.edges()) for g in small.test]


def test_ego_small_copies_are_counted_not_hidden(course_data):
    split = course_data["ego-small"]
    copies = count_isomorphic_copies(split.test, split.train)
    assert 0 < copies <= len(split.test)  # the stand-in's small egos repeat; the notebook reports this count
