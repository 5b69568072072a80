"""Classic recommenders: vectorised similarities against loops and scikit-learn, scoring rules, errors."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics.pairwise import cosine_similarity, euclidean_distances
from sklearn.naive_bayes import MultinomialNB

from course_lib.recsys import classic


def _ratings(seed=0, shape=(7, 9)):
    rng = np.random.default_rng(seed)
    r = rng.integers(1, 6, shape).astype(float)
    r[rng.random(shape) < 0.35] = np.nan
    return r


def _pearson_loop(a, b):
    both = ~np.isnan(a) & ~np.isnan(b)
    x, y = a[both], b[both]
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def test_corated_pearson_and_euclidean_match_loops():
    r = _ratings()
    mask = ~np.isnan(r)
    got_p = classic.user_similarity(np.nan_to_num(r), "pearson", mask=mask).numpy()
    got_e = classic.user_similarity(np.nan_to_num(r), "euclidean", mask=mask).numpy()
    for u in range(len(r)):
        for v in range(len(r)):
            assert got_p[u, v] == pytest.approx(_pearson_loop(r[u], r[v]), abs=1e-9)
            both = mask[u] & mask[v]
            want = 1 / (1 + math.dist(r[u, both], r[v, both])) if both.any() else 0.0
            assert got_e[u, v] == pytest.approx(want, abs=1e-9)


def test_whole_row_similarities_match_numpy_and_sklearn():
    x = np.random.default_rng(1).integers(0, 3, (12, 20)).astype(float)
    torch.testing.assert_close(classic.user_similarity(x, "pearson"), torch.as_tensor(np.corrcoef(x)))
    torch.testing.assert_close(classic.user_similarity(x, "cosine"), torch.as_tensor(cosine_similarity(x)))
    torch.testing.assert_close(classic.user_similarity(x, "euclidean"), torch.as_tensor(1 / (1 + euclidean_distances(x))))
    with pytest.raises(ValueError, match="unknown similarity 'manhattan'"):
        classic.user_similarity(x, "manhattan")


def test_user_cf_uses_only_the_k_nearest_other_users():
    sim = torch.tensor([[1.0, 0.9, 0.1, -0.5], [0.9, 1, 0, 0], [0.1, 0, 1, 0], [-0.5, 0, 0, 1]])
    X = torch.eye(4)
    scores = classic.user_cf_scores(X, sim, k=1)
    assert scores[0].tolist() == pytest.approx([0, 0.9, 0, 0])     # only user 1, never user 0 itself
    assert classic.top_k_neighbours(sim, 3)[0].tolist() == pytest.approx([0, 0.9, 0.1, 0])  # negative -> 0
    with pytest.raises(ValueError, match="k must be in 1..3"):
        classic.top_k_neighbours(sim, 4)


def test_item_similarity_is_cosine_of_columns_with_zero_diagonal():
    X = (np.random.default_rng(2).random((40, 15)) < 0.3).astype(np.float32)
    X[:, 3] = 0
    want = np.nan_to_num(cosine_similarity(X.T))
    np.fill_diagonal(want, 0)
    torch.testing.assert_close(classic.item_similarity(X), torch.as_tensor(want, dtype=torch.float32), atol=1e-6, rtol=1e-5)
    assert classic.item_similarity(X, shrink=5).max() < classic.item_similarity(X).max()


def test_recency_profile_weights_by_age():
    t = pd.Timestamp("2024-01-01")
    h = pd.DataFrame({"user_id": [0, 0, 0, 0, 1], "item_id": [4, 2, 4, 1, 3],
                      "timestamp": [t + pd.Timedelta(minutes=m) for m in (0, 1, 2, 3, 0)]})
    p = classic.recency_profile(h, 2, 5, half_life=1)
    assert p[0].tolist() == pytest.approx([0, 1, 0.25, 0, 0.5])    # item 1 newest, then 4 (re-viewed), then 2
    assert classic.recency_profile(h, 2, 5)[0].tolist() == [0, 1, 1, 0, 1]


def test_naive_bayes_matches_sklearn_for_every_user():
    rng = np.random.default_rng(3)
    F = np.concatenate([np.eye(6, dtype=np.float32)[rng.integers(0, 6, 25)], np.eye(4, dtype=np.float32)[rng.integers(0, 4, 25)]], 1)
    X = (rng.random((5, 25)) < 0.4).astype(np.float32)
    got = classic.naive_bayes_scores(X, F, alpha=0.5)
    for u in range(5):
        nb = MultinomialNB(alpha=0.5).fit(F, X[u].astype(int))
        want = nb.predict_joint_log_proba(F) @ np.array([-1.0, 1.0])
        torch.testing.assert_close(got[u].double(), torch.as_tensor(want), atol=1e-4, rtol=1e-5)


def _products():
    return pd.DataFrame({"product_id": range(6), "category": [0, 0, 0, 1, 1, 1],
                         "category_name": ["Bag"] * 3 + ["Coat"] * 3, "brand": list("ABABAB"),
                         "color": ["red"] * 6, "pattern": ["solid"] * 6, "material": ["x"] * 6,
                         "style": ["s"] * 6, "fit": [""] * 6, "season": ["all"] * 6,
                         "base_price": [10.0, 20, 30, 100, 200, 300]})


def test_item_features_one_hot_and_price_bands():
    f = classic.item_features(_products(), price_bands=3)
    assert f.matrix.shape[0] == 6 and (f.matrix.sum(1) == len(classic.FEATURE_COLUMNS)).all()
    band = f.codes[:, f.groups.index("price_band")]
    assert band.tolist() == [0, 1, 2, 0, 1, 2]                   # bands are within a category
    sim = classic.feature_similarity(f.matrix, "cosine")
    assert sim[0, 2] > sim[0, 3] and sim.diagonal().abs().max() == 0


def test_needs_filter_and_scores():
    p = _products()
    assert classic.needs_filter(p, category="Coat", max_price=250).tolist() == [False] * 3 + [True, True, False]
    with pytest.raises(ValueError, match="unknown category 'Hat'"):
        classic.needs_filter(p, category="Hat")
    needs = pd.DataFrame({"user_id": [0], "category": ["Bag"], "max_price": [25.0]})
    s = classic.needs_scores(needs, p, np.array([1.0, 2, 9, 9, 9, 9]), n_users=2)
    assert s[0].argsort(descending=True)[:2].tolist() == [1, 0]   # matching items first, by popularity
    assert s[1].argmax() in (2, 3, 4, 5)                          # no needs: plain popularity


def test_hybrid_standardizes_and_refuses_bad_weights():
    a, b = torch.tensor([[1.0, 2, 3]]), torch.tensor([[30.0, 10, 20]])
    z = classic.hybrid_scores({"a": a, "b": b}, {"a": 1, "b": 1})
    want = (a - a.mean()) / a.std(unbiased=False) + (b - b.mean()) / b.std(unbiased=False)
    torch.testing.assert_close(z, want)
    ex = torch.tensor([[False, True, False]])
    assert classic.hybrid_scores({"a": a}, {"a": 1}, ex)[0, 1] == -torch.inf
    with pytest.raises(ValueError, match="unknown component"):
        classic.hybrid_scores({"a": a}, {"c": 1})
    with pytest.raises(ValueError, match="non-negative"):
        classic.hybrid_scores({"a": a, "b": b}, {"a": 1, "b": -1})


def test_greedy_hybrid_weights_keeps_only_what_helps():
    # a made-up validation score: "a" is good alone, "b" helps at weight 0.5, "c" only hurts
    def val_score(w):
        return 1.0 * w.get("a", 0) - (w.get("b", 0) - 0.5) ** 2 + 0.25 * ("b" in w) - w.get("c", 0)

    weights, best = classic.greedy_hybrid_weights(val_score, ["a", "b", "c"], start={"a": 1.0})
    assert weights == {"a": 1.0, "b": 0.5}
    assert best == pytest.approx(val_score(weights))
