"""Leave-last-out split and the notebook-01 recommenders."""

import pandas as pd
import pytest
import torch

from lecturekit.recsys.bpr import BPRConfig, bpr_loss, sample_negatives, train_bpr
from lecturekit.recsys.evaluate import evaluate_recommender
from lecturekit.recsys.item_similarity import PopularityRecommender, content_knn, interaction_matrix, item_cf
from lecturekit.recsys.split import leave_last_out


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
    model, history = train_bpr(users, items, R, BPRConfig(dim=8, epochs=150, batch_size=256, lr=0.05), progress=False)
    assert history[-1] < history[0]
    bpr = evaluate_recommender(model, split, k=5)
    pop = evaluate_recommender(PopularityRecommender(R), split, k=5)
    cf = evaluate_recommender(item_cf(R), split, k=5)
    # own cluster has 20 - 5 seen = 15 candidates: a perfect-cluster model hits ~5/15 at k=5
    assert bpr["hit@5"] > 0.28 and cf["hit@5"] > 0.28
    assert pop["hit@5"] < min(bpr["hit@5"], cf["hit@5"]) - 0.1
