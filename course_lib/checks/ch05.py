"""Checks for solutions/05_attention_exercises.ipynb."""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from . import ensure_callable, fail, passed, call as _call, tensor_of_shape as _tensor




def check_embedding_lookup(embedding_lookup) -> None:
    ensure_callable(embedding_lookup, "embedding_lookup")
    g = torch.Generator().manual_seed(5)
    weight = torch.randn(7, 3, generator=g, dtype=torch.float64)
    ids = torch.tensor([[4, 0], [6, 4]])
    out = _tensor(_call(embedding_lookup, "embedding_lookup", ids, weight), "embedding_lookup(ids [2, 2], E [7, 3])",
                  (2, 2, 3))
    expected = F.embedding(ids, weight)
    if not torch.allclose(out.double(), expected, atol=1e-6):
        fail(f"embedding_lookup gave row {out[0, 0].tolist()} for id 4; expected E[4] = {weight[4].tolist()}")
    passed("q1 embedding_lookup", 2)


def check_attention(attention) -> None:
    ensure_callable(attention, "attention")
    g = torch.Generator().manual_seed(6)
    q, k = torch.randn(2, 4, 8, generator=g, dtype=torch.float64), torch.randn(2, 5, 8, generator=g, dtype=torch.float64)
    v = torch.randn(2, 5, 3, generator=g, dtype=torch.float64)
    result = _call(attention, "attention", q, k, v, None)
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("attention should return a tuple (output, weights)")
    out = _tensor(result[0], "attention's output for q [2, 4, 8], k [2, 5, 8], v [2, 5, 3]", (2, 4, 3))
    weights = _tensor(result[1], "attention's weights", (2, 4, 5))
    if not torch.allclose(weights.double().sum(-1), torch.ones(2, 4, dtype=torch.float64), atol=1e-6):
        fail("each row of the attention weights should sum to 1: softmax over the keys (the last dimension)")
    unscaled = torch.softmax(q @ k.transpose(-2, -1), -1)
    if torch.allclose(weights.double(), unscaled, atol=1e-6):
        fail("your weights are softmax(q kᵀ): divide the scores by √d (d = q.shape[-1]) before the softmax")
    expected = F.scaled_dot_product_attention(q, k, v)
    if not torch.allclose(out.double(), expected, atol=1e-6):
        fail("attention(q, k, v) differs from F.scaled_dot_product_attention(q, k, v)")
    mask = torch.zeros(4, 5, dtype=torch.bool)
    mask[:, 3:] = True
    mask[0, 1] = True
    out_m, w_m = _call(attention, "attention", q, k, v, mask)
    if not torch.all(w_m[..., mask] == 0):
        fail("with a mask, blocked positions (mask True) must get exactly 0 weight: fill their scores with -inf")
    if not torch.allclose(out_m.double(), F.scaled_dot_product_attention(q, k, v, attn_mask=~mask), atol=1e-6):
        fail("attention(q, k, v, mask) differs from PyTorch with the same mask (True = blocked)")
    passed("q2 attention", 2)


def check_causal_mask(causal_mask) -> None:
    ensure_callable(causal_mask, "causal_mask")
    for n in (1, 4, 7):
        out = _tensor(_call(causal_mask, "causal_mask", n), f"causal_mask({n})", (n, n))
        if out.dtype != torch.bool:
            fail(f"causal_mask should return a bool tensor, got {out.dtype}")
        expected = torch.ones(n, n, dtype=torch.bool).triu(1)
        if torch.equal(out, expected):
            continue
        if torch.equal(out, ~expected):
            fail("your mask is inverted: True should mark what is BLOCKED (the future, above the diagonal)")
        if torch.equal(out, expected.T):
            fail("your mask blocks the past: position i may look at j <= i, so block j > i (above the diagonal)")
        fail(f"causal_mask({n}) should be True exactly where key j > query i; row 0 of yours: {out[0].tolist()}")
    passed("q3 causal_mask", 2)


def check_heads(split_heads, merge_heads) -> None:
    ensure_callable(split_heads, "split_heads")
    ensure_callable(merge_heads, "merge_heads")
    x = torch.arange(2 * 3 * 12, dtype=torch.float32).reshape(2, 3, 12)
    heads = _tensor(_call(split_heads, "split_heads", x, 4), "split_heads(x [2, 3, 12], 4)", (2, 4, 3, 3))
    if not torch.equal(heads[:, 1], x[..., 3:6]):
        if torch.equal(heads.reshape(2, 3, 12), x):
            fail("split_heads reshaped without moving the head axis: view as [B, L, h, d/h], then transpose(1, 2)")
        fail("head 1 of 4 should own features 3..5 of every position: heads[:, 1] == x[..., 3:6]")
    merged = _tensor(_call(merge_heads, "merge_heads", heads), "merge_heads(heads [2, 4, 3, 3])", (2, 3, 12))
    if not torch.equal(merged, x):
        fail("merge_heads(split_heads(x, h)) should give x back: transpose(1, 2), then reshape to [B, L, d]")
    passed("q4 split_heads / merge_heads", 2)


def check_positional_encoding(positional_encoding) -> None:
    ensure_callable(positional_encoding, "positional_encoding")
    pe = _tensor(_call(positional_encoding, "positional_encoding", 20, 6), "positional_encoding(20, 6)", (20, 6))
    for p, i in ((0, 0), (3, 0), (7, 1), (19, 2)):
        angle = p / 10000 ** (2 * i / 6)
        for col, want, fn in ((2 * i, math.sin(angle), "sin"), (2 * i + 1, math.cos(angle), "cos")):
            if not math.isclose(float(pe[p, col]), want, abs_tol=1e-5):
                fail(f"PE[{p}, {col}] is {float(pe[p, col]):.5f}; expected {fn}({p} / 10000^({2 * i}/6)) = {want:.5f}")
    passed("q5 positional_encoding", 2)


def check_additive_weights(additive_weights) -> None:
    ensure_callable(additive_weights, "additive_weights")
    g = torch.Generator().manual_seed(7)
    q, h = torch.randn(3, generator=g, dtype=torch.float64), torch.randn(5, 4, generator=g, dtype=torch.float64)
    w_q, w_h = torch.randn(6, 3, generator=g, dtype=torch.float64), torch.randn(6, 4, generator=g, dtype=torch.float64)
    v = torch.randn(6, generator=g, dtype=torch.float64)
    out = _tensor(_call(additive_weights, "additive_weights", q, h, w_q, w_h, v),
                  "additive_weights(q [3], H [5, 4], W_q [6, 3], W_h [6, 4], v [6])", (5,))
    scores = torch.stack([v @ torch.tanh(w_q @ q + w_h @ h[t]) for t in range(5)])
    if torch.allclose(out.double(), scores, atol=1e-6):
        fail("you returned the scores e_t; apply a softmax over t to get the weights α")
    if not torch.allclose(out.double().sum(), torch.tensor(1.0, dtype=torch.float64), atol=1e-6):
        fail(f"the weights should sum to 1 over the 5 states; yours sum to {float(out.sum()):.4f}")
    expected = torch.softmax(scores, 0)
    if not torch.allclose(out.double(), expected, atol=1e-6):
        fail(f"additive_weights gave {out.double().numpy().round(4).tolist()}; expected "
             f"{expected.numpy().round(4).tolist()} = softmax_t(vᵀ tanh(W_q q + W_h h_t))")
    passed("q6 additive_weights", 2)
