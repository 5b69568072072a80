"""Unit tests of course_lib.attention: every from-scratch piece agrees with PyTorch's built-in."""
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from course_lib.attention import (AdditiveAttention, EncoderLayer, MultiHeadAttention, TransformerClassifier,
                                  causal_mask, merge_heads, padding_mask, scaled_dot_product_attention,
                                  sinusoidal_positional_encoding, split_heads)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def test_scaled_dot_product_matches_torch_with_and_without_mask(gen):
    q, k, v = (torch.randn(2, 3, 5, 8, generator=gen, dtype=torch.float64) for _ in range(3))
    out, weights = scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 5, dtype=torch.float64))
    mask = causal_mask(5)
    out, weights = scaled_dot_product_attention(q, k, v, mask)
    # F.scaled_dot_product_attention's boolean mask means the opposite: True = may attend
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=~mask))
    assert (weights[..., mask] == 0).all(), "blocked positions get exactly zero weight"


def test_masks():
    assert causal_mask(3).tolist() == [[False, True, True], [False, False, True], [False, False, False]]
    assert padding_mask([1, 3]).tolist() == [[False, True, True], [False, False, False]]
    assert padding_mask(torch.tensor([2]), max_len=4).tolist() == [[False, False, True, True]]


def test_split_and_merge_heads_are_inverse(gen):
    x = torch.randn(2, 5, 12, generator=gen)
    heads = split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(heads[:, 1], x[..., 4:8])   # head 1 owns features 4..7
    torch.testing.assert_close(merge_heads(heads), x)
    with pytest.raises(ValueError, match="divisible"):
        split_heads(x, 5)


@pytest.mark.parametrize("masks", ["none", "padding", "causal", "both"])
def test_multi_head_matches_nn_multihead_attention(gen, masks):
    torch.manual_seed(0)
    theirs = nn.MultiheadAttention(16, 4, batch_first=True).double().eval()
    mine = MultiHeadAttention(16, 4).double().copy_from(theirs).eval()
    x = torch.randn(3, 6, 16, generator=gen, dtype=torch.float64)
    kpm = padding_mask([6, 4, 2]) if masks in ("padding", "both") else None
    am = causal_mask(6) if masks in ("causal", "both") else None
    out, w = mine(x, x, x, key_padding_mask=kpm, attn_mask=am)
    ref_out, ref_w = theirs(x, x, x, key_padding_mask=kpm, attn_mask=am, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(w, ref_w)


def test_cross_attention_with_different_lengths(gen):
    torch.manual_seed(1)
    theirs = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    mine = MultiHeadAttention(8, 2).copy_from(theirs).eval()
    q, kv = torch.randn(2, 3, 8, generator=gen), torch.randn(2, 7, 8, generator=gen)
    out, w = mine(q, kv, kv)
    assert out.shape == (2, 3, 8) and w.shape == (2, 2, 3, 7)
    torch.testing.assert_close(out, theirs(q, kv, kv)[0])


def test_encoder_layer_matches_nn_transformer_encoder_layer(gen):
    torch.manual_seed(2)
    theirs = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=True).double().eval()
    mine = EncoderLayer(16, 4, 32, dropout=0.0).double().copy_from(theirs).eval()
    x = torch.randn(2, 5, 16, generator=gen, dtype=torch.float64)
    pad = padding_mask([5, 3])
    out = mine(x, key_padding_mask=pad)
    ref = theirs(x, src_key_padding_mask=pad)
    torch.testing.assert_close(out[~pad], ref[~pad])     # the fast path may zero padded rows


def test_sinusoidal_positional_encoding_formula():
    pe = sinusoidal_positional_encoding(50, 8)
    assert pe.shape == (50, 8)
    p, i = 7, 2
    assert math.isclose(pe[p, 2 * i].item(), math.sin(p / 10000 ** (2 * i / 8)), abs_tol=1e-6)
    assert math.isclose(pe[p, 2 * i + 1].item(), math.cos(p / 10000 ** (2 * i / 8)), abs_tol=1e-6)
    torch.testing.assert_close(pe[0], torch.tensor([0.0, 1.0] * 4))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positional_encoding(10, 7)


def test_additive_attention_formula_and_mask(gen):
    torch.manual_seed(3)
    att = AdditiveAttention(query_dim=4, key_dim=6, hidden=5)
    q, h = torch.randn(2, 4, generator=gen), torch.randn(2, 3, 6, generator=gen)
    ctx, w = att(q, h)
    scores = torch.stack([torch.stack([att.v.weight[0] @ torch.tanh(att.w_query.weight @ q[b] + att.w_key(h[b, t]))
                                       for t in range(3)]) for b in range(2)])
    torch.testing.assert_close(w, torch.softmax(scores, -1))
    torch.testing.assert_close(ctx, torch.einsum("bt,btd->bd", w, h))
    ctx, w = att(q, h, key_padding_mask=padding_mask([3, 1]))
    assert w[1, 1:].eq(0).all() and torch.allclose(ctx[1], h[1, 0])


def test_transformer_classifier_shapes_padding_and_learning():
    torch.manual_seed(0)
    model = TransformerClassifier(vocab_size=12, n_classes=2, d_model=16, n_heads=2, n_layers=1, d_ff=32,
                                  max_len=10, dropout=0.0).eval()
    tokens = torch.tensor([[3, 4, 5, 0, 0], [6, 7, 0, 0, 0], [0, 0, 0, 0, 0]])
    logits = model(tokens)
    assert logits.shape == (3, 2) and torch.isfinite(logits).all(), "an empty text must not give NaN"
    # padding is invisible: extra pad columns do not change the logits
    torch.testing.assert_close(model(torch.cat([tokens, torch.zeros(3, 2, dtype=torch.long)], 1)), logits)
    maps = model.attention_maps(tokens)
    assert len(maps) == 1 and maps[0].shape == (3, 2, 5, 5)
    assert maps[0][0, :, :, 3:].eq(0).all(), "no attention on padding"
    with pytest.raises(ValueError, match="max_len"):
        model(torch.ones(1, 11, dtype=torch.long))
    # it can learn a task that needs word order: does token 3 come before token 4?
    g = torch.Generator().manual_seed(0)
    x = torch.randint(5, 12, (256, 6), generator=g)
    pos = torch.stack([torch.randperm(6, generator=g)[:2] for _ in range(256)])
    x[torch.arange(256), pos[:, 0]], x[torch.arange(256), pos[:, 1]] = 3, 4
    y = (pos[:, 0] < pos[:, 1]).long()
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    assert (model(x).argmax(1) == y).float().mean() > 0.9, "positional encoding lets it learn word order"


def test_chapter_checks_accept_the_library_and_reject_common_mistakes():
    from course_lib.checks import ch05

    ch05.check_attention(lambda q, k, v, mask=None: scaled_dot_product_attention(q, k, v, mask))
    ch05.check_causal_mask(causal_mask)
    ch05.check_heads(split_heads, merge_heads)
    ch05.check_positional_encoding(sinusoidal_positional_encoding)

    def unscaled(q, k, v, mask=None):
        w = torch.softmax(q @ k.transpose(-2, -1), -1)
        return w @ v, w

    with pytest.raises(AssertionError, match="√d"):
        ch05.check_attention(unscaled)
    with pytest.raises(AssertionError, match="inverted"):
        ch05.check_causal_mask(lambda n: ~causal_mask(n))
    with pytest.raises(AssertionError, match="head axis"):
        ch05.check_heads(lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1), merge_heads)
    with pytest.raises(AssertionError, match="softmax"):
        ch05.check_additive_weights(lambda q, H, W_q, W_h, v: torch.tanh(W_q @ q + H @ W_h.T) @ v)
