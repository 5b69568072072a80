"""Checks for solutions/04_rnn_exercises.ipynb."""
from __future__ import annotations

import torch
from torch import nn

from . import ensure_callable, fail, passed, call as _call, tensor_of_shape



def _tensor(out, name, shape):
    return tensor_of_shape(out, name, shape).detach()


def check_rnn_step(rnn_step) -> None:
    ensure_callable(rnn_step, "rnn_step")
    torch.manual_seed(4)
    batch, d, n = 3, 4, 5
    cell = nn.RNNCell(d, n)
    x, h = torch.randn(batch, d), torch.randn(batch, n)
    with torch.no_grad():
        expected = cell(x, h)
        out = _call(rnn_step, "rnn_step", x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    out = _tensor(out, f"rnn_step(x [{batch}, {d}], h [{batch}, {n}], ...)", (batch, n))
    if torch.allclose(out, torch.tanh(x @ cell.weight_ih.T + cell.bias_ih + cell.bias_hh), atol=1e-5):
        fail("rnn_step ignores the previous hidden state: add W_hh h_prev")
    if not torch.allclose(out, expected, atol=1e-5):
        fail(f"rnn_step differs from nn.RNNCell (first row: got {out[0].numpy().round(4)}, expected "
             f"{expected[0].numpy().round(4)}); weights are [n, d] and [n, n], so use x_t @ W_ih.T and h_prev @ W_hh.T, and add both biases")
    passed("q1 rnn_step", 2)


def check_rnn_forward(rnn_forward) -> None:
    ensure_callable(rnn_forward, "rnn_forward")
    torch.manual_seed(5)
    batch, T, d, n = 2, 6, 3, 4
    rnn = nn.RNN(d, n, batch_first=True)
    x, h0 = torch.randn(batch, T, d), torch.randn(batch, n)
    with torch.no_grad():
        expected, expected_h = rnn(x, h0.unsqueeze(0))
        result = _call(rnn_forward, "rnn_forward", x, h0, rnn)
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("rnn_forward should return a tuple (output, h_n)")
    output = _tensor(result[0], "rnn_forward's output", (batch, T, n))
    h_n = _tensor(result[1], "rnn_forward's h_n", (1, batch, n))
    if not torch.allclose(output[:, 0], expected[:, 0], atol=1e-5):
        fail("the first hidden state differs from nn.RNN's: start from h0 and apply rnn_step to x[:, 0]")
    bad = [t for t in range(T) if not torch.allclose(output[:, t], expected[:, t], atol=1e-5)]
    if bad:
        fail(f"hidden states at steps {bad} differ from nn.RNN's: feed each new h into the next step")
    if not torch.allclose(h_n, expected_h, atol=1e-5):
        fail("h_n should be the last hidden state, shaped [1, batch, n] (use .unsqueeze(0))")
    passed("q2 rnn_forward", 2)


def check_clip_by_norm(clip_by_norm) -> None:
    ensure_callable(clip_by_norm, "clip_by_norm")
    g = torch.Generator().manual_seed(6)
    shapes = [(4, 3), (4,), (2, 2, 2)]
    grads = [10 * torch.randn(s, generator=g) for s in shapes]
    params = [torch.zeros(s, requires_grad=True) for s in shapes]
    for p, gr in zip(params, grads):
        p.grad = gr.clone()
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0).item()
    out = _call(clip_by_norm, "clip_by_norm", [gr.clone() for gr in grads], 1.0)
    if not isinstance(out, (list, tuple)) or len(out) != len(grads):
        fail(f"clip_by_norm should return a list of {len(grads)} tensors, one per gradient")
    for k, (mine, p) in enumerate(zip(out, params)):
        mine = _tensor(mine, f"clip_by_norm's tensor {k}", p.shape)
        if not torch.allclose(mine.float(), p.grad, atol=1e-5):
            separate = grads[k] * min(1.0, 1.0 / (grads[k].norm().item() + 1e-6))
            hint = (" You clipped each tensor on its own: use the joint norm over all of them."
                    if torch.allclose(mine.float(), separate, atol=1e-5) else "")
            fail(f"after clipping a gradient of joint norm {total:.2f} to 1.0, tensor {k} differs from "
                 f"clip_grad_norm_'s result.{hint}")
    small = [0.01 * gr for gr in grads]
    out = _call(clip_by_norm, "clip_by_norm", [s.clone() for s in small], 1.0)
    if not all(torch.allclose(torch.as_tensor(o).float(), s, atol=1e-7) for o, s in zip(out, small)):
        fail("a gradient whose norm is already below max_norm must come back unchanged (factor min(1, ...))")
    passed("q3 clip_by_norm", 2)


def check_lstm_step(lstm_step) -> None:
    ensure_callable(lstm_step, "lstm_step")
    torch.manual_seed(7)
    batch, d, n = 3, 4, 5
    cell = nn.LSTMCell(d, n)
    x, h, c = torch.randn(batch, d), torch.randn(batch, n), torch.randn(batch, n)
    with torch.no_grad():
        expected_h, expected_c = cell(x, (h, c))
        result = _call(lstm_step, "lstm_step", x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("lstm_step should return a tuple (h_t, c_t)")
    h_t = _tensor(result[0], "lstm_step's h_t", (batch, n))
    c_t = _tensor(result[1], "lstm_step's c_t", (batch, n))
    if not torch.allclose(c_t, expected_c, atol=1e-5):
        fail(f"c_t differs from nn.LSTMCell's (first row: got {c_t[0].numpy().round(4)}, expected "
             f"{expected_c[0].numpy().round(4)}); gate order is i, f, g, o and c_t = f*c_prev + i*g")
    if not torch.allclose(h_t, expected_h, atol=1e-5):
        fail("c_t is right but h_t differs from nn.LSTMCell's: h_t = sigmoid(o) * tanh(c_t)")
    passed("q4 lstm_step", 2)


def check_masked_cross_entropy(masked_cross_entropy) -> None:
    ensure_callable(masked_cross_entropy, "masked_cross_entropy")
    g = torch.Generator().manual_seed(8)
    batch, L, C = 4, 6, 5
    logits = torch.randn(batch, L, C, generator=g)
    targets = torch.randint(0, C, (batch, L), generator=g)
    lengths = torch.tensor([6, 3, 1, 4])
    mask = torch.arange(L) < lengths[:, None]
    expected = nn.functional.cross_entropy(logits[mask], targets[mask])
    out = _call(masked_cross_entropy, "masked_cross_entropy", logits.clone(), targets.clone(), lengths)
    out = torch.as_tensor(out).detach().float()
    if out.numel() != 1:
        fail(f"masked_cross_entropy should return one number (a scalar tensor), got shape {tuple(out.shape)}")
    if torch.isclose(out.reshape(()), nn.functional.cross_entropy(logits.reshape(-1, C), targets.reshape(-1)), atol=1e-5):
        fail("your loss averages over all positions, padded ones included: keep only positions t < length")
    if not torch.isclose(out.reshape(()), expected, atol=1e-5):
        fail(f"masked_cross_entropy returned {out.item():.4f}; expected {expected.item():.4f} "
             "(mean over the real positions, each counted once)")
    # Changing what sits in the padding must change nothing.
    noisy_logits, noisy_targets = logits.clone(), targets.clone()
    noisy_logits[~mask] = 100 * torch.randn(int((~mask).sum()), C, generator=g)
    noisy_targets[~mask] = (noisy_targets[~mask] + 1) % C
    again = torch.as_tensor(_call(masked_cross_entropy, "masked_cross_entropy", noisy_logits, noisy_targets, lengths))
    if not torch.isclose(again.detach().float().reshape(()), expected, atol=1e-5):
        fail("the result changed when only the padded positions changed: mask them out")
    passed("q5 masked_cross_entropy", 2)
