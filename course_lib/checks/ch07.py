"""Checks for solutions/07_recsys_classic_exercises.ipynb."""
from __future__ import annotations

import math

import numpy as np
import torch

from ..recsys import classic
from . import ensure_callable, fail, passed, call as _call



def _ratings(seed, n_users=6, n_items=8, missing=0.35):
    rng = np.random.default_rng(seed)
    r = rng.integers(1, 6, (n_users, n_items)).astype(float)
    r[rng.random(r.shape) < missing] = np.nan
    return r


def check_pearson(pearson_corated) -> None:
    ensure_callable(pearson_corated, "pearson_corated")
    a = np.array([5, 3, np.nan, 1, 4, np.nan])
    b = np.array([4, np.nan, 2, 1, 5, 2])
    got = float(_call(pearson_corated, "pearson_corated", a, b))
    both = ~np.isnan(a) & ~np.isnan(b)
    want = float(np.corrcoef(a[both], b[both])[0, 1])
    if not math.isclose(got, want, abs_tol=1e-6):
        fail(f"pearson_corated({a.tolist()}, {b.tolist()}) returned {got:.4f}; expected {want:.4f} "
             "(use only items 0, 3 and 4, which both rated, with means over those items)")
    for edge, what in (((np.array([1, np.nan, 3.0]), np.array([np.nan, 2, 3.0]))), "one co-rated item"), \
                      (((np.array([2, 2, 2.0]), np.array([1, 4, 5.0]))), "constant ratings"):
        got = float(_call(pearson_corated, "pearson_corated", *edge))
        if got != 0.0:
            fail(f"with {what} the similarity is undefined: return 0.0, got {got}")
    r = _ratings(7)
    sim = classic.user_similarity(np.nan_to_num(r), "pearson", mask=~np.isnan(r)).numpy()
    for u, v in ((0, 1), (2, 5), (3, 4)):
        got = float(_call(pearson_corated, "pearson_corated", r[u], r[v]))
        if not math.isclose(got, sim[u, v], abs_tol=1e-6):
            fail(f"on random ratings, users {u} and {v}: got {got:.4f}, expected {sim[u, v]:.4f}")
    passed("q1 pearson", 2)


def check_item_cosine(item_cosine) -> None:
    ensure_callable(item_cosine, "item_cosine")
    g = torch.Generator().manual_seed(3)
    X = (torch.rand(30, 12, generator=g) < 0.3).float()
    X[:, 5] = 0                                     # an item nobody touched
    C = X.T @ X
    got = _call(item_cosine, "item_cosine", C.clone())
    if not isinstance(got, torch.Tensor) or got.shape != C.shape:
        fail(f"item_cosine should return a tensor of shape {tuple(C.shape)}, got {getattr(got, 'shape', type(got))}")
    if not torch.isfinite(got).all():
        fail("item_cosine returned nan/inf: an item nobody touched (C_ii = 0) should get similarity 0")
    want = classic.item_similarity(X)
    if got.diagonal().abs().max() > 1e-6:
        fail("set the diagonal to 0: an item should not recommend itself")
    if not torch.allclose(got.float(), want, atol=1e-5):
        i, j = divmod(int((got.float() - want).abs().argmax()), C.shape[1])
        fail(f"sim[{i}, {j}] = {got[i, j].item():.4f}; expected C_ij / sqrt(C_ii C_jj) = {want[i, j].item():.4f}")
    passed("q2 item_cosine", 2)


def check_hr_ndcg(hr_ndcg_at_k) -> None:
    ensure_callable(hr_ndcg_at_k, "hr_ndcg_at_k")
    ranking = [7, 3, 9, 1, 4, 0]
    for target, k, want in ((7, 3, (1.0, 1.0)), (9, 3, (1.0, 0.5)), (1, 3, (0.0, 0.0)),
                            (1, 5, (1.0, 1 / math.log2(5))), (8, 6, (0.0, 0.0))):
        got = _call(hr_ndcg_at_k, "hr_ndcg_at_k", ranking, target, k)
        try:
            hr, ndcg = (float(x) for x in got)
        except Exception:
            fail(f"hr_ndcg_at_k should return a pair (hr, ndcg), got {got!r}")
        if not (math.isclose(hr, want[0]) and math.isclose(ndcg, want[1], abs_tol=1e-9)):
            fail(f"ranking {ranking}, target {target}, k={k}: got ({hr:.4f}, {ndcg:.4f}); "
                 f"expected ({want[0]:.4f}, {want[1]:.4f}) — the rank is 1-based and NDCG = 1/log2(1 + rank)")
    passed("q3 hr_ndcg", 2)


def _predict_reference(ratings, sim, u, i, k):
    mean_u = np.nanmean(ratings[u])
    raters = [v for v in range(len(ratings)) if v != u and not np.isnan(ratings[v, i])]
    near = sorted(raters, key=lambda v: -sim[u, v])[:k]
    den = sum(abs(sim[u, v]) for v in near)
    if den == 0:
        return float(mean_u)
    return float(mean_u + sum(sim[u, v] * (ratings[v, i] - np.nanmean(ratings[v])) for v in near) / den)


def check_predict_rating(predict_rating) -> None:
    ensure_callable(predict_rating, "predict_rating")
    for seed in range(5):
        r = _ratings(seed, 8, 10, 0.3)
        sim = classic.user_similarity(np.nan_to_num(r), "pearson", mask=~np.isnan(r)).numpy()
        for u, i, k in ((0, 1, 2), (3, 4, 3), (5, 9, 8)):
            want = _predict_reference(r, sim, u, i, k)
            got = float(_call(predict_rating, "predict_rating", r.copy(), sim.copy(), u, i, k))
            if not math.isclose(got, want, abs_tol=1e-6):
                fail(f"predict_rating(u={u}, i={i}, k={k}) on random ratings (seed {seed}) returned {got:.4f}; "
                     f"expected {want:.4f}: mean-centre each neighbour's rating and divide by the sum of |sim|")
    r = np.array([[4, np.nan], [3, np.nan]])
    got = float(_call(predict_rating, "predict_rating", r, np.ones((2, 2)), 0, 1, 1))
    if not math.isclose(got, 4.0):
        fail(f"nobody else rated the item: return the user's mean 4.0, got {got}")
    passed("q4 predict_rating", 2)


def check_hybrid(hybrid) -> None:
    ensure_callable(hybrid, "hybrid")
    g = torch.Generator().manual_seed(5)
    a, b = torch.rand(20, generator=g) * 10, torch.randn(20, generator=g)
    for w in (0.0, 0.3, 1.0):
        got = _call(hybrid, "hybrid", a.clone(), b.clone(), w)
        want = classic.hybrid_scores({"a": a[None], "b": b[None]}, {"a": w, "b": 1 - w} if 0 < w < 1 else
                                     ({"a": 1.0} if w == 1 else {"b": 1.0}))[0]
        if not isinstance(got, torch.Tensor) or got.shape != a.shape:
            fail(f"hybrid should return a tensor of shape {tuple(a.shape)}")
        if not torch.allclose(got.float(), want.float(), atol=1e-5):
            fail(f"hybrid(a, b, w={w}) differs from w * z(a) + (1 - w) * z(b) by up to "
                 f"{(got.float() - want.float()).abs().max().item():.3g}; z-score with the population sd")
    passed("q5 hybrid", 2)
