"""The recommender evaluation protocol: hand-computed metrics, the split's promises, the baselines."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from course_lib.recsys import protocol as P


pytestmark = pytest.mark.usefixtures("private_cache")   # never the user's cache (conftest)


@pytest.fixture(scope="module")
def split(world):
    return P.leave_last_out(world)


# --- leave-one-out ranking metrics on a case computed by hand ---------------------------------
# 3 users x 5 items. User 0: item 0 excluded, target 2 (score .7) is beaten by item 1 -> rank 2.
# User 1: target 0 scores lowest of five -> rank 5. User 2: item 1 excluded, target 3 (.3) is
# beaten by items 0 and 2 and ties with item 4; ties lose -> rank 4.
SCORES = np.array([[0.9, 0.8, 0.7, 0.1, 0.5],
                   [0.1, 0.5, 0.4, 0.3, 0.2],
                   [0.6, 0.9, 0.55, 0.3, 0.3]])
TARGETS = np.array([2, 0, 3])
EXCLUDE = np.zeros((3, 5), bool)
EXCLUDE[0, 0] = EXCLUDE[2, 1] = True


def test_ranks_by_hand():
    assert P.ranks(SCORES, TARGETS, EXCLUDE).tolist() == [2, 5, 4]
    # without the exclusion, user 0's item 0 and user 2's item 1 beat the target too
    assert P.ranks(SCORES, TARGETS).tolist() == [3, 5, 5]


def test_ranking_metrics_by_hand():
    m = P.ranking_metrics(SCORES, TARGETS, EXCLUDE, k=2)
    assert m["users"] == 3
    assert m["hr"] == pytest.approx(1 / 3)                       # only user 0 (rank 2) is in the top 2
    assert m["ndcg"] == pytest.approx((1 / math.log2(3)) / 3)
    assert m["mrr"] == pytest.approx((1 / 2 + 1 / 5 + 1 / 4) / 3)
    # top-2 lists: {1, 2}, {1, 2}, {0, 2} -> items 0, 1, 2 of 5
    assert m["coverage"] == pytest.approx(3 / 5)
    assert P.top_k(SCORES, 2, EXCLUDE).tolist() == [[1, 2], [1, 2], [0, 2]]


def test_torch_and_numpy_inputs_agree():
    a = P.ranking_metrics(SCORES, TARGETS, EXCLUDE, k=3)
    b = P.ranking_metrics(torch.tensor(SCORES, dtype=torch.float32), torch.tensor(TARGETS), torch.tensor(EXCLUDE), k=3)
    assert a == pytest.approx(b)


def test_ranks_match_a_sort_on_random_scores():
    rng = np.random.default_rng(0)
    s = rng.random((50, 40))
    t = rng.integers(0, 40, 50)
    ex = rng.random((50, 40)) < 0.3
    ex[np.arange(50), t] = False
    ref = []
    for row, target, mask in zip(s, t, ex):
        order = [j for j in np.argsort(-row) if not mask[j]]
        ref.append(order.index(target) + 1)
    assert P.ranks(s, t, ex).tolist() == ref


def test_constant_scores_rank_the_target_last():
    m = P.ranking_metrics(np.zeros((4, 6)), [0, 1, 2, 3], k=5)
    assert m["hr"] == 0 and m["mrr"] == pytest.approx(1 / 6)


@pytest.mark.parametrize("kwargs, message", [
    (dict(scores=np.full((3, 5), np.nan), targets=TARGETS), "NaN"),
    (dict(scores=SCORES, targets=[0, 1]), "3 score rows but 2"),
    (dict(scores=SCORES, targets=[0, 1, 9]), "0..4"),
    (dict(scores=SCORES, targets=[0, 1, 2], exclude=EXCLUDE), "must stay rankable"),
    (dict(scores=SCORES, targets=TARGETS, k=0), "k must be"),
    (dict(scores=SCORES, targets=TARGETS, k=6), "k must be"),
])
def test_bad_inputs_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        P.ranking_metrics(kwargs["scores"], kwargs["targets"], kwargs.get("exclude"), k=kwargs.get("k", 2))


# --- Microsoft Recommenders' top-k metrics, by hand -------------------------------------------
RECOMMENDED = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
RELEVANT = [{1, 3, 7}, {9}, set()]     # user 2 has nothing relevant: left out of the means


def test_precision_recall_ndcg_by_hand():
    # user 0 hits ranks 1 and 3 of 3 relevant; user 1 hits nothing
    assert P.precision_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx((2 / 3 + 0) / 2)
    assert P.recall_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx((2 / 3 + 0) / 2)
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert P.ndcg_at_k(RECOMMENDED, RELEVANT, 3) == pytest.approx((dcg / idcg + 0) / 2)
    # k = 2: user 0 hits rank 1 only; ideal DCG over min(k, |relevant|) = 2 items
    assert P.ndcg_at_k(RECOMMENDED, RELEVANT, 2) == pytest.approx((1 / (1 + 1 / math.log2(3))) / 2)


def test_ndcg_ideal_uses_min_k_and_relevant_count():
    # one relevant item at rank 2: DCG = 1/log2(3), IDCG = 1 (one item, not k)
    assert P.ndcg_at_k([[5, 9]], [{9}], 2) == pytest.approx(1 / math.log2(3))
    assert P.recall_at_k([[5, 9]], [{9}], 2) == 1.0 and P.precision_at_k([[5, 9]], [{9}], 2) == 0.5


def test_boolean_relevance_matrix_gives_the_same_numbers():
    rel = np.zeros((3, 10), bool)
    for u, items in enumerate(RELEVANT):
        rel[u, list(items)] = True
    for f in (P.precision_at_k, P.recall_at_k, P.ndcg_at_k):
        assert f(RECOMMENDED, rel, 3) == pytest.approx(f(RECOMMENDED, RELEVANT, 3))


def test_topk_metrics_refuse_bad_input():
    with pytest.raises(ValueError, match="no user has a relevant item"):
        P.precision_at_k(RECOMMENDED, [set(), set(), set()], 3)
    with pytest.raises(ValueError, match=">= k"):
        P.recall_at_k(RECOMMENDED, RELEVANT, 4)
    with pytest.raises(ValueError, match="3 recommendation lists but 2"):
        P.ndcg_at_k(RECOMMENDED, RELEVANT[:2], 3)


def test_random_split_per_user_sizes_and_seed():
    ratings = pd.DataFrame({"user_id": np.repeat([0, 1, 2, 3], [4, 2, 10, 1]),
                            "item_id": np.arange(17), "rating": 3})
    train, test = P.random_split_per_user(ratings, test_frac=0.25, seed=1)
    # train gets round(0.75 n): 3 of 4, 2 of 2 (1.5 rounds to even), 8 of 10 (7.5 -> 8), 1 of 1
    assert train.groupby("user_id").size().tolist() == [3, 2, 8, 1]
    assert test.groupby("user_id").size().to_dict() == {0: 1, 2: 2}
    assert sorted(train.index.tolist() + test.index.tolist()) == list(range(17))
    again = P.random_split_per_user(ratings, test_frac=0.25, seed=1)[1]
    assert again.index.tolist() == test.index.tolist()
    others = {tuple(P.random_split_per_user(ratings, 0.25, seed=s)[1].index) for s in range(2, 8)}
    assert len(others) > 1
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        P.random_split_per_user(ratings, test_frac=1.0)


# --- the leave-last-out split -----------------------------------------------------------------
def test_leave_last_out_on_a_hand_made_log():
    t = pd.Timestamp("2024-01-01")
    rows = [(0, 10, "view", 0), (0, 11, "view", 1), (0, 11, "cart", 1.1), (0, 12, "view", 2),
            (0, 13, "view", 3), (0, 14, "view", 4), (0, 11, "view", 5),   # last row is a re-view
            (1, 10, "view", 0), (1, 15, "view", 1)]                       # too short to evaluate
    log = pd.DataFrame(rows, columns=["user_id", "item_id", "event", "minute"])
    log["timestamp"] = t + pd.to_timedelta(log.pop("minute"), unit="min")
    sp = P.leave_last_out(log, n_items=20, min_history=2)
    assert sp.val[["user_id", "item_id"]].values.tolist() == [[0, 13]]
    assert sp.test[["user_id", "item_id"]].values.tolist() == [[0, 14]]
    assert sorted(sp.train[sp.train.user_id == 0]["item_id"].unique()) == [10, 11, 12]
    assert len(sp.train[sp.train.user_id == 1]) == 2               # unevaluated users still train
    assert set(sp.history("test").query("user_id == 0")["item_id"]) == {10, 11, 12, 13}
    assert sp.seen("test")[0].nonzero()[0].tolist() == [10, 11, 12, 13]
    assert sp.train_matrix({"view": 1, "cart": 3})[0, [10, 11, 12, 13]].tolist() == [1, 3, 1, 0]
    with pytest.raises(ValueError, match="no user has enough history"):
        P.leave_last_out(log, min_history=5)
    with pytest.raises(ValueError, match="no weight for event"):
        sp.train_matrix({"view": 1})


def test_split_promises_on_the_tiny_world(world, split):
    assert len(split.val) == len(split.test) > 0.5 * len(world.customers)
    assert (split.val["user_id"].to_numpy() == split.test["user_id"].to_numpy()).all()
    assert (split.val["timestamp"].to_numpy() < split.test["timestamp"].to_numpy()).all()
    for which in P.WHICH:
        ev = split.events(which)
        seen = split.seen(which)
        assert not seen[ev["user_id"], ev["item_id"]].any()      # the held-out item is new to the user
        hist = split.history(which).merge(ev, on="user_id", suffixes=("", "_event"))
        assert (hist["timestamp"] < hist["timestamp_event"]).all()   # nothing from the future
    assert split.seen("test")[split.val["user_id"], split.val["item_id"]].all()
    assert (split.train_matrix().sum(1)[split.users] >= 3).all()
    assert split.train_matrix().shape == (len(world.customers), len(world.products))


def test_split_is_deterministic(world, split):
    again = P.leave_last_out(world)
    pd.testing.assert_frame_equal(again.train, split.train)
    pd.testing.assert_frame_equal(again.test, split.test)


def test_evaluate_accepts_vectors_matrices_and_functions(split):
    pop = P.popularity_scores(split)
    by_vector = P.evaluate(pop, split, "val")
    by_matrix = P.evaluate(np.tile(pop, (split.n_users, 1)), split, "val")
    by_function = P.evaluate(lambda users: np.tile(pop, (len(users), 1)), split, "val")
    assert by_vector == by_matrix == by_function
    assert 0 < by_vector["hr"] <= 1 and by_vector["users"] == len(split.val)
    with pytest.raises(ValueError, match="which must be 'val' or 'test'"):
        P.evaluate(pop, split, "train")
    with pytest.raises(ValueError, match="expected"):
        P.evaluate(pop[:-1], split, "val")


def test_oracle_is_exact_and_beats_popularity_and_random(world, split):
    oracle = P.oracle_scores(world, split, "test")
    assert np.allclose(oracle[split.users].sum(1), 1)
    rng = np.random.default_rng(0)
    m_oracle = P.evaluate(oracle, split, "test")
    m_pop = P.evaluate(P.popularity_scores(split), split, "test")
    m_random = P.evaluate(rng.random((split.n_users, split.n_items)), split, "test")
    # on 300 users popularity vs random is within noise; the oracle is far above both
    assert m_oracle["mrr"] > 2 * max(m_pop["mrr"], m_random["mrr"])
    assert m_oracle["hr"] > 2 * max(m_pop["hr"], m_random["hr"])
    assert m_random["coverage"] > 0.9 > m_pop["coverage"]
