"""Checks for solutions/08_recsys_deep_exercises.ipynb."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from . import ensure_callable, fail, passed, call as _call



def _mf_case():
    g = torch.Generator().manual_seed(8)
    P, Q = torch.randn(5, 3, generator=g), torch.randn(6, 3, generator=g)
    bu, bi = torch.randn(5, generator=g) * 0.3, torch.randn(6, generator=g) * 0.3
    users, items = torch.tensor([0, 1, 4, 4, 2]), torch.tensor([5, 0, 3, 1, 1])
    return P, Q, bu, bi, 3.5, users, items


def check_mf(mf_predict, rmse) -> None:
    ensure_callable(mf_predict, "mf_predict")
    ensure_callable(rmse, "rmse")
    P, Q, bu, bi, mu, users, items = _mf_case()
    expected = mu + bu[users] + bi[items] + (P[users] * Q[items]).sum(1)
    out = _call(mf_predict, "mf_predict", P, Q, bu, bi, mu, users, items)
    if not isinstance(out, torch.Tensor):
        fail(f"mf_predict should return a tensor, got {type(out).__name__}")
    if out.shape != expected.shape:
        fail(f"mf_predict returned shape {tuple(out.shape)}; expected one prediction per (user, item) pair: {tuple(expected.shape)}")
    if not torch.allclose(out.float(), expected, atol=1e-5):
        i = int((out.float() - expected).abs().argmax())
        fail(f"prediction for user {int(users[i])}, item {int(items[i])} is {float(out[i]):.4f}; expected "
             f"μ + b_u + b_i + p_u·q_i = {float(expected[i]):.4f}")
    pred, true = torch.tensor([3.0, 4.5, 2.0, 5.0]), torch.tensor([4.0, 4.0, 2.0, 3.0])
    got = float(_call(rmse, "rmse", pred, true))
    want = math.sqrt((1 + 0.25 + 0 + 4) / 4)
    if not math.isclose(got, want, rel_tol=1e-5):
        hint = " (did you forget the square root?)" if math.isclose(got, want**2, rel_tol=1e-5) else ""
        fail(f"rmse([3, 4.5, 2, 5], [4, 4, 2, 3]) returned {got:.4f}; expected {want:.4f}{hint}")
    passed("q1 mf", 2)


def check_bpr_loss(bpr_loss) -> None:
    ensure_callable(bpr_loss, "bpr_loss")
    pos = torch.tensor([2.0, -1.0, 0.0, 50.0, -50.0], dtype=torch.float64)
    neg = torch.tensor([1.0, 1.0, 0.0, -50.0, 50.0], dtype=torch.float64)
    expected = F.softplus(neg - pos).mean()
    out = _call(bpr_loss, "bpr_loss", pos, neg)
    if not isinstance(out, torch.Tensor) or out.numel() != 1:
        fail("bpr_loss should return a scalar tensor (the mean over pairs)")
    if not torch.isfinite(out):
        fail("bpr_loss is not finite when s⁺ - s⁻ = -100: use a stable form (F.logsigmoid or softplus)")
    if not torch.allclose(out.double(), expected, atol=1e-6):
        if torch.allclose(out.double(), F.softplus(pos - neg).mean(), atol=1e-6):
            fail("bpr_loss has the sign of the difference reversed: it should be -log σ(s⁺ - s⁻)")
        fail(f"bpr_loss returned {float(out):.5f}; expected mean(-log σ(s⁺ - s⁻)) = {float(expected):.5f}")
    passed("q2 bpr_loss", 2)


def check_sample_negatives(sample_negatives) -> None:
    ensure_callable(sample_negatives, "sample_negatives")
    positives = {0: {0, 1, 2, 3, 4, 5, 6, 7}, 1: {9}, 2: set()}
    users = np.array([0, 1, 2] * 400)
    out = np.asarray(_call(sample_negatives, "sample_negatives", users, positives, 10, np.random.default_rng(0)))
    if out.shape != users.shape:
        fail(f"sample_negatives returned shape {out.shape}; expected one item per user: {users.shape}")
    if out.min() < 0 or out.max() >= 10:
        fail("sampled items must be item ids in 0..n_items-1")
    for u, items in positives.items():
        drawn = set(out[users == u].tolist())
        if drawn & items:
            fail(f"user {u} got negative(s) {sorted(drawn & items)} that are among their positives {sorted(items)}")
    if set(out[users == 0].tolist()) != {8, 9}:
        fail(f"user 0 can only get items 8 and 9; got {sorted(set(out[users == 0].tolist()))}")
    counts = np.bincount(out[users == 2], minlength=10)
    if counts.min() < 15:
        fail(f"user 2 has no positives, so all 10 items should be drawn about equally often; counts {counts.tolist()}")
    passed("q3 sample_negatives", 2)


def check_top_k_unseen(top_k_unseen) -> None:
    ensure_callable(top_k_unseen, "top_k_unseen")
    scores = torch.tensor([[0.9, 0.1, 0.8, 0.5, 0.7], [0.2, 0.3, 0.4, 0.5, 0.6]])
    seen = torch.tensor([[True, False, False, False, False], [False, False, False, False, True]])
    out = _call(top_k_unseen, "top_k_unseen", scores, seen, 2)
    out = torch.as_tensor(np.asarray(out)).tolist()
    want = [[2, 4], [3, 2]]
    if out != want:
        if out == [[0, 2], [4, 3]]:
            fail("your top-k includes items the user has already seen; give them -inf first")
        fail(f"top_k_unseen on the example returned {out}; expected {want} (best first, seen items excluded)")
    g = torch.Generator().manual_seed(3)
    s, m = torch.rand(20, 30, generator=g), torch.rand(20, 30, generator=g) < 0.4
    got = torch.as_tensor(np.asarray(_call(top_k_unseen, "top_k_unseen", s, m, 5)))
    ref = torch.topk(s.masked_fill(m, -torch.inf), 5).indices
    if got.shape != ref.shape or not torch.equal(got.long(), ref):
        fail("top_k_unseen disagrees with torch.topk on random scores with a random seen mask")
    passed("q4 top_k_unseen", 2)


def check_rerank(rerank) -> None:
    ensure_callable(rerank, "rerank")
    ranked = [7, 3, 5, 1, 0, 2, 6, 4]
    in_stock = np.array([True, True, True, False, True, True, True, True])
    bought = np.array([False, False, False, False, False, False, False, True])
    category = np.array([0, 1, 0, 0, 1, 0, 1, 0])
    out = [int(i) for i in _call(rerank, "rerank", ranked, in_stock, bought, category, 4, 2)]
    want = [5, 1, 0, 6]
    if 7 in out:
        fail("item 7 was already bought: it must not be recommended")
    if 3 in out:
        fail("item 3 is out of stock: it must not be recommended")
    if 2 in out:
        fail("item 2 would be the third item of category 0 (after 5 and 0): max_per_category=2 forbids it")
    if out != want:
        fail(f"rerank returned {out}; expected {want} (keep the ranking order, skip bought, out-of-stock and "
             "over-represented categories, stop at k)")
    passed("q5 rerank", 2)
