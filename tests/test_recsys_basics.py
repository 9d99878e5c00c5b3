"""Leave-last-out split, the notebook-01 recommenders and its experiment (config, run_seed, rows)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from lecturekit.data.errors import DataFormatError
from lecturekit.data.interactions import from_frame
from lecturekit.data.movielens import GENRES
from lecturekit.recsys.bpr import BPRConfig, bpr_loss, sample_negatives, train_bpr
from lecturekit.recsys.evaluate import evaluate_recommender
from lecturekit.recsys.item_similarity import PopularityRecommender, content_knn, interaction_matrix, item_cf
from lecturekit.recsys.lightgcn import (
    LightGCNConfig,
    bipartite_edge_index,
    normalized_adjacency,
    train_lightgcn,
)
from lecturekit.recsys.split import leave_last_out
from lecturekit.results import METRIC_NAME, make_row
from lecturekit.studies.contract import check_frozen, collect_rows
from lecturekit.studies.nb01_recsys import (
    COURSE,
    METHODS,
    PROFILES,
    LightGCNSearch,
    RecsysExperiment,
    hit_difference,
    layer_hits,
    mean_metrics,
    prepare_data,
    related_items,
    run_seed,
    run_validation_seed,
)


def test_leave_last_out_holds_out_the_latest_interaction():
    frame = pd.DataFrame(
        {"user": [0, 0, 0, 1, 1, 2], "item": [5, 6, 7, 1, 2, 3], "timestamp": [30, 10, 20, 5, 5, 1]}
    )
    split = leave_last_out(frame, num_users=3, num_items=8)
    # user 0: latest is item 5 (t=30); user 1: tie at t=5 -> the later row (item 2); user 2 has one row only.
    assert split.test_users.tolist() == [0, 1]
    assert split.test_items.tolist() == [5, 2]
    assert sorted(split.train["item"].tolist()) == [1, 3, 6, 7]
    seen = split.train_items_of(torch.tensor([0, 2]))
    assert sorted(seen[0].tolist()) == [6, 7] and seen[1].tolist() == [3]
    with pytest.raises(KeyError, match="timestamp"):
        leave_last_out(frame.drop(columns="timestamp"), 3, 8)


def test_item_cf_finds_co_interacted_items():
    # items 0,1 always together; items 2,3 always together.
    users = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    items = torch.tensor([0, 1, 0, 1, 2, 3, 2, 3])
    cf = item_cf(interaction_matrix(users, items, 4, 4))
    assert cf.related_items(0, k=1).tolist() == [1]
    assert cf.similarity[0, 1] == pytest.approx(1.0) and cf.similarity[0, 2] == 0


def test_content_knn_uses_features_and_checks_shapes():
    features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    model = content_knn(features, torch.zeros(2, 3), k=1)
    assert model.related_items(0, k=1).tolist() == [1]
    with pytest.raises(ValueError, match="item_features has 3 rows"):
        content_knn(features, torch.zeros(2, 4))


def test_bpr_loss_by_hand():
    loss = bpr_loss(torch.tensor([2.0, 0.0]), torch.tensor([0.0, 0.0]))
    expected = (torch.log1p(torch.exp(torch.tensor(-2.0))) + torch.log(torch.tensor(2.0))) / 2
    assert loss.item() == pytest.approx(expected.item())


def test_negatives_are_never_observed_items():
    interactions = torch.zeros(3, 5)
    interactions[:, :4] = 1  # only item 4 is unobserved
    negatives = sample_negatives(torch.tensor([0, 1, 2] * 10), interactions, torch.Generator().manual_seed(0))
    assert negatives.eq(4).all()


def test_bpr_beats_popularity_on_planted_clusters():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    # 2 user groups x 2 item clusters; each user watches 6 random items of its cluster, the held-out
    # (latest) one too. A personalised model ranks the own cluster first; popularity cannot.
    rows = []
    generator = torch.Generator().manual_seed(0)
    for user in range(200):
        cluster = user % 2
        chosen = torch.randperm(20, generator=generator)[:6] + 20 * cluster
        rows += [(user, int(item), t) for t, item in enumerate(chosen)]
    frame = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    split = leave_last_out(frame, 200, 40)
    users, items = torch.tensor(split.train["user"].to_numpy()), torch.tensor(split.train["item"].to_numpy())
    R = interaction_matrix(users, items, 200, 40)
    config = BPRConfig(dim=8, epochs=150, batch_size=256, lr=0.05)
    model, history = train_bpr(users, items, R, config, torch.Generator().manual_seed(0), progress=False)
    assert history[-1] < history[0]
    bpr = evaluate_recommender(model, split, k=5)
    pop = evaluate_recommender(PopularityRecommender(R), split, k=5)
    cf = evaluate_recommender(item_cf(R), split, k=5)
    # own cluster has 20 - 5 seen = 15 candidates: a perfect-cluster model hits ~5/15 at k=5
    assert bpr.hit > 0.28 and cf.hit > 0.28
    assert pop.hit < min(bpr.hit, cf.hit) - 0.1
    assert bpr.metrics()["hit@5"] == bpr.hit and bpr.ranks.shape == (200,)


# --- Notebook 01's experiment shape: frozen config, run_seed, rows ---


def _changed_fields(a, b, prefix=""):
    out = set()
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if dataclasses.is_dataclass(x):
            out |= _changed_fields(x, y, f"{prefix}{f.name}.")
        elif x != y:
            out.add(f"{prefix}{f.name}")
    return out


def test_config_is_frozen_and_profiles_keep_todays_sizes():
    for profile in ("quick", "course", "full"):
        check_frozen(PROFILES.get(profile))
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.k = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.bpr.epochs = 1
    assert PROFILES.course is COURSE and COURSE == RecsysExperiment()
    # The sizes notebook 01 used before this config existed (config.sizes("recsys_basics")).
    sizes = {
        p: (c.bpr.epochs, c.bpr.dim, c.bpr.batch_size, c.num_seeds)
        for p, c in (("quick", PROFILES.quick), ("course", PROFILES.course), ("full", PROFILES.full))
    }
    assert sizes == {"quick": (3, 32, 4096, 1), "course": (30, 64, 2048, 3), "full": (200, 64, 2048, 5)}
    search = {"search.layers", "search.dims", "search.lrs", "search.epochs", "sweep_layers"}
    assert (
        _changed_fields(COURSE, PROFILES.quick)
        == {"bpr.dim", "bpr.epochs", "bpr.batch_size", "num_seeds"} | search
    )
    assert _changed_fields(COURSE, PROFILES.full) == {"bpr.epochs", "num_seeds"} | search
    assert COURSE.lightgcn is None  # chosen on validation, never fixed in the config
    assert (COURSE.k, COURSE.content.neighbours, COURSE.bpr.lr) == (10, 20, 5e-3)


def _write_grouplens(folder, num_users=40, num_movies=24, per_user=6, seed=0):
    """A planted MovieLens in GroupLens format: two audiences, each watching its half of the catalogue."""
    folder.mkdir()
    rng = np.random.default_rng(seed)
    lines = []
    for user in range(1, num_users + 1):
        half = (user % 2) * (num_movies // 2)
        movies = rng.choice(num_movies // 2, size=per_user, replace=False) + half + 1
        for t, movie in enumerate(movies):
            lines.append(f"{user}\t{movie}\t{int(rng.integers(1, 6))}\t{880000000 + 100 * user + t}")
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    items = []
    for movie in range(1, num_movies + 1):
        flags = ["0"] * len(GENRES)
        flags[1 + movie % 5] = "1"
        items.append(
            f"{movie}|Movie {movie} ({1950 + movie})|01-Jan-1990||http://example.invalid/|" + "|".join(flags)
        )
    (folder / "u.item").write_text("\n".join(items) + "\n", encoding="latin-1")
    return folder


@pytest.fixture
def small_config(tmp_path):
    folder = _write_grouplens(tmp_path / "ml")
    return dataclasses.replace(
        COURSE,
        bpr=BPRConfig(dim=8, epochs=20, batch_size=64, lr=0.05),
        k=5,
        num_seeds=2,
        data_path=str(folder),
        content=dataclasses.replace(COURSE.content, neighbours=5),
        sweep_layers=(0, 1),
        lightgcn=LightGCNConfig(layers=1, dim=8, epochs=20, batch_size=64, lr=0.05),
        search=LightGCNSearch(layers=(1, 2), dims=(8,), lrs=(0.05,), epochs=(5, 10)),
    )


def _same(a, b):
    assert a.bpr_loss == b.bpr_loss
    np.testing.assert_array_equal(a.bpr_item_embeddings, b.bpr_item_embeddings)
    for method in METHODS:
        np.testing.assert_array_equal(a.evaluations[method].ranks, b.evaluations[method].ranks)
    assert [r.value for r in a.rows()] == [r.value for r in b.rows()]


def test_run_seed_is_reproducible_and_independent_of_global_rng(small_config):
    first = run_seed(small_config, 3)
    torch.rand(1000), np.random.rand(1000)  # a notebook cell that used the global generators
    torch.manual_seed(12345)
    second = run_seed(small_config, 3)
    _same(first, second)
    other = run_seed(small_config, 4)
    assert not np.array_equal(other.bpr_item_embeddings, first.bpr_item_embeddings)
    for method in ("popularity", "item-cf", "content-knn"):  # deterministic methods ignore the seed
        np.testing.assert_array_equal(other.evaluations[method].ranks, first.evaluations[method].ranks)
    # ...and run_seed leaves the global generator where it was.
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    run_seed(small_config, 3)
    assert torch.equal(torch.rand(3), expected)


def test_run_seed_learns_the_planted_audiences(small_config):
    results = [run_seed(small_config, s) for s in (0, 1)]
    table = mean_metrics(results)
    assert list(table.index) == list(METHODS)
    # Popularity cannot tell the audiences apart; item-CF can (its neighbours are the own half).
    assert hit_difference(results, "item-cf", "popularity").low > 0
    assert results[0].random_hit == pytest.approx(np.mean(5 / (24 - 5)))


def test_rows_follow_the_naming_rule_and_say_they_are_not_comparable(small_config):
    results = [run_seed(small_config, s) for s in (0, 1)]
    rows = results[0].rows()
    assert {(r.method, r.metric) for r in rows} == {
        (m, x) for m in METHODS for x in ("hit@5", "recall@5", "ndcg@5", "mrr")
    }
    for row in rows:
        assert METRIC_NAME.fullmatch(row.metric) and row.dataset == "movielens-100k"
        assert row.comparable is False and row.paper is None
        assert "not comparable" in row.note and "leave-last-out" in row.note
        make_row("01_recsys_basics", row, profile="quick")  # the results module accepts it
    merged = collect_rows(results)  # notes agree between seeds
    assert len(merged) == len(rows) and all(len(r.value) == 2 for r in merged)


def test_related_items_exclude_the_query(small_config):
    data = prepare_data(small_config)
    related = related_items(data, run_seed(small_config, 0), query=0, k=3)
    assert set(related) == {"item-cf", "content-knn", "bpr-mf"}
    for items in related.values():
        assert len(items) == 3 and 0 not in items


# --- Bad input of the recsys pieces ---


def test_split_refuses_a_filter_that_leaves_no_test_user():
    frame = pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 2], "timestamp": [1, 2, 3]})
    with pytest.raises(ValueError, match=r"min_train=5 .*filtered out all 2 users"):
        leave_last_out(frame, 2, 3, min_train=5)
    with pytest.raises(ValueError, match="'min_train'"):
        leave_last_out(frame, 2, 3, min_train=-1)
    with pytest.raises(ValueError, match=r"column 'item' has ids outside \[0, 2\)"):
        leave_last_out(frame, 2, 2)
    with pytest.raises(ValueError, match="no interactions"):
        leave_last_out(frame.iloc[:0], 2, 3)
    with pytest.raises(ValueError, match="'timestamp' has missing values"):
        leave_last_out(frame.assign(timestamp=[1.0, None, 3.0]), 2, 3)


def test_empty_data_after_loading_is_an_error(tmp_path, small_config):
    folder = tmp_path / "one"
    folder.mkdir()
    # Every user has one rating only: the split has nothing to hold out.
    (folder / "u.data").write_text("1\t1\t4\t881250949\n2\t1\t3\t881250950\n")
    (folder / "u.item").write_text(
        "1|Movie (1990)|01-Jan-1990||http://example.invalid/|" + "|".join(["0"] * 18 + ["1"]) + "\n"
    )
    with pytest.raises(ValueError, match="filtered out all 2 users"):
        prepare_data(dataclasses.replace(small_config, data_path=str(folder)))
    with pytest.raises(DataFormatError, match="no interactions"):
        from_frame(pd.DataFrame({"user": [], "item": []}), "somewhere.csv")


def test_interaction_matrix_refuses_ids_out_of_range():
    with pytest.raises(ValueError, match=r"argument 'users' has ids outside \[0, 2\)"):
        interaction_matrix(torch.tensor([0, -1]), torch.tensor([0, 1]), 2, 2)  # -1 would mark the last row
    with pytest.raises(ValueError, match=r"argument 'items' has ids outside \[0, 2\)"):
        interaction_matrix(torch.tensor([0, 1]), torch.tensor([0, 2]), 2, 2)
    with pytest.raises(ValueError, match="one length"):
        interaction_matrix(torch.tensor([0, 1]), torch.tensor([0]), 2, 2)


def test_negative_sampling_refuses_a_user_without_negatives():
    interactions = torch.ones(2, 3)
    interactions[1, 2] = 0
    with pytest.raises(ValueError, match="user 0 interacted with all 3 items"):
        sample_negatives(torch.tensor([1, 0]), interactions, torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dim": 0}, "dim"),
        ({"epochs": -1}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"lr": 0.0}, "lr"),
        ({"dim": True}, "dim"),
    ],
)
def test_bpr_config_refuses_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=rf"BPRConfig\.{message}"):
        BPRConfig(**kwargs)


def test_similarity_recommenders_refuse_bad_k_and_features():
    features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    for k in (0, -1, True):
        with pytest.raises(ValueError, match="argument 'k'"):
            content_knn(features, torch.zeros(2, 3), k=k)
    with pytest.raises(ValueError, match="NaN or infinite"):
        content_knn(features.clone().fill_(float("nan")), torch.zeros(2, 3))
    model = content_knn(features, torch.zeros(2, 3), k=None)
    with pytest.raises(ValueError, match=r"argument 'k' must be an int in \[1, 2\]"):
        model.related_items(0, k=3)  # would return the query itself
    with pytest.raises(ValueError, match="argument 'item'"):
        model.related_items(3, k=1)


def test_evaluate_refuses_scores_of_the_wrong_shape():
    frame = pd.DataFrame({"user": [0, 0, 1, 1], "item": [0, 1, 1, 2], "timestamp": [1, 2, 3, 4]})
    split = leave_last_out(frame, 2, 3)

    class Short:
        def score_users(self, users):
            return torch.zeros(len(users), 2)

    with pytest.raises(ValueError, match=r"score_users returned shape \(2, 2\), expected \(2, 3\)"):
        evaluate_recommender(Short(), split, k=1)


# --- LightGCN ---


def test_lightgcn_adjacency_is_pygs_symmetric_normalisation():
    from torch_geometric.nn.conv import LGConv

    users, items = (
        torch.tensor([0, 0, 1, 2, 2]),
        torch.tensor([0, 1, 1, 2, 2]),
    )  # (2, 2) repeated: counts once
    edges = bipartite_edge_index(users, items, 3, 3)
    assert edges.shape == (2, 8)
    x = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(normalized_adjacency(edges, 6) @ x, LGConv()(x, edges))
    with pytest.raises(ValueError, match=r"argument 'items' has ids outside \[0, 3\)"):
        bipartite_edge_index(users, items + 1, 3, 3)
    with pytest.raises(ValueError, match="LightGCNConfig.layers"):
        LightGCNConfig(layers=-1)


def test_lightgcn_beats_popularity_on_planted_clusters():
    generator = torch.Generator().manual_seed(0)
    rows = []
    for user in range(200):
        chosen = torch.randperm(20, generator=generator)[:6] + 20 * (user % 2)
        rows += [(user, int(item), t) for t, item in enumerate(chosen)]
    split = leave_last_out(pd.DataFrame(rows, columns=["user", "item", "timestamp"]), 200, 40)
    users, items = torch.tensor(split.train["user"].to_numpy()), torch.tensor(split.train["item"].to_numpy())
    R = interaction_matrix(users, items, 200, 40)
    config = LightGCNConfig(layers=2, dim=8, epochs=60, batch_size=256, lr=0.05)
    model, history = train_lightgcn(users, items, R, config, torch.Generator().manual_seed(0), progress=False)
    assert history[-1] < history[0]
    lightgcn = evaluate_recommender(model, split, k=5)
    pop = evaluate_recommender(PopularityRecommender(R), split, k=5)
    assert lightgcn.hit > 0.28 and pop.hit < lightgcn.hit - 0.1


def test_validation_never_sees_test_items_and_picks_the_best_grid_point(small_config):
    validation = run_validation_seed(small_config, 0)
    data = prepare_data(small_config)
    assert len(validation.grid) == 4 and validation.chosen.epochs in (5, 10)
    assert validation.evaluation.hit == validation.grid["hit@5"].max()
    # the validation split trains without the test items and holds out each user's second-to-last rating
    from lecturekit.studies.nb01_recsys import validation_data

    carved = validation_data(data, small_config)
    test_pairs = set(zip(data.split.test_users.tolist(), data.split.test_items.tolist(), strict=True))
    train_pairs = set(zip(carved.train_users.tolist(), carved.train_items.tolist(), strict=True))
    assert not test_pairs & train_pairs
    names = {(r.method, r.metric) for r in validation.rows()}
    assert ("lightgcn-validation", "hit@5") in names and ("lightgcn-validation", "layers") in names
    tuned = validation.tuned(small_config)
    assert tuned.lightgcn == validation.chosen


def test_layer_sweep_and_untuned_config_validates_itself(small_config):
    result = run_seed(dataclasses.replace(small_config, lightgcn=None), 0)
    assert result.validation is not None and set(result.layer_evaluations) == {
        0,
        1,
        result.config.lightgcn.layers,
    }
    assert {r.method for r in result.rows()} == {*METHODS, "lightgcn-validation"}
    table = layer_hits([result])
    assert list(table.columns) == ["seed 0"] and 0 in table.index


def test_ranking_metrics_equal_pyg_link_prediction_metrics():
    from torch_geometric.metrics import LinkPredHitRatio, LinkPredMRR, LinkPredNDCG, LinkPredRecall

    from lecturekit.recsys.metrics import hit_rate, mrr, ndcg_at_k, rank_of_targets, recall_at_k, top_k_items

    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(300, 120, generator=generator)  # continuous: no ties, so both rank the same
    targets = torch.randint(0, 120, (300,), generator=generator)
    label_index = torch.stack([torch.arange(300), targets])
    ranks = rank_of_targets(scores, targets)
    for k in (1, 5, 10, 50):
        top = top_k_items(scores, k)
        for metric, ours in (
            (LinkPredHitRatio(k), hit_rate(ranks, k)),
            (LinkPredNDCG(k), ndcg_at_k(ranks, k)),
            (LinkPredRecall(k), recall_at_k(top, [t.reshape(1) for t in targets])),
        ):
            metric.update(top, label_index)
            assert float(metric.compute()) == pytest.approx(ours, abs=1e-6), (type(metric).__name__, k)
    full = LinkPredMRR(120)  # PyG's MRR@K is 0 beyond K; over the whole catalogue it is plain MRR
    full.update(top_k_items(scores, 120), label_index)
    assert float(full.compute()) == pytest.approx(mrr(ranks), abs=1e-6)
