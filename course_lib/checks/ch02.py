"""Checks for solutions/02_feedforward_exercises.ipynb."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import ensure_callable, fail, passed, call as _call, tensor_of_shape



def _tensor(out, name, shape):
    return tensor_of_shape(out, name, shape).detach().double()


def check_linear_forward(linear_forward) -> None:
    ensure_callable(linear_forward, "linear_forward")
    g = torch.Generator().manual_seed(0)
    x, W, b = torch.randn(6, 4, generator=g), torch.randn(4, 3, generator=g), torch.randn(3, generator=g)
    out = _tensor(_call(linear_forward, "linear_forward", x, W, b), "linear_forward(x [6, 4], W [4, 3], b [3])", (6, 3))
    expected = F.linear(x, W.T, b).double()   # torch stores the weight as [out, in]
    if torch.allclose(out, (x @ W).double(), atol=1e-5) and not torch.allclose(out, expected, atol=1e-5):
        fail("linear_forward ignores the bias b: return x @ W + b")
    if not torch.allclose(out, expected, atol=1e-5):
        fail(f"linear_forward's first row is {out[0].numpy().round(4)}; expected {expected[0].numpy().round(4)} (x @ W + b)")
    passed("q1 linear_forward", 2)


def check_cross_entropy(cross_entropy) -> None:
    ensure_callable(cross_entropy, "cross_entropy")
    g = torch.Generator().manual_seed(1)
    logits, y = torch.randn(8, 5, generator=g, dtype=torch.float64), torch.randint(0, 5, (8,), generator=g)
    out = _tensor(_call(cross_entropy, "cross_entropy", logits.clone(), y), "cross_entropy", ())
    expected = F.cross_entropy(logits, y)
    if torch.allclose(out, F.cross_entropy(logits, y, reduction="sum")) and not torch.allclose(out, expected):
        fail("cross_entropy returned the SUM over examples; return the MEAN")
    if not torch.allclose(out, expected, atol=1e-6):
        fail(f"cross_entropy on random logits returned {out.item():.5f}; F.cross_entropy gives {expected.item():.5f}")
    huge = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 10.0]])
    labels = torch.tensor([0, 2])
    out = _tensor(_call(cross_entropy, "cross_entropy", huge.clone(), labels), "cross_entropy", ())
    if not torch.isfinite(out):
        fail("cross_entropy on logits of ±1000 returned nan/inf: subtract each row's maximum before exp (log-sum-exp)")
    expected = F.cross_entropy(huge, labels).double()
    if not torch.allclose(out, expected, rtol=1e-5):
        fail(f"cross_entropy on logits of ±1000 returned {out.item():.3f}; expected {expected.item():.3f}")
    passed("q2 cross_entropy", 2)


def check_two_layer_backward(two_layer_backward) -> None:
    ensure_callable(two_layer_backward, "two_layer_backward")
    g = torch.Generator().manual_seed(2)
    X, y = torch.randn(10, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (10,), generator=g)
    params = {"W1": torch.randn(4, 6, generator=g, dtype=torch.float64), "b1": 0.1 * torch.randn(6, generator=g, dtype=torch.float64),
              "W2": torch.randn(6, 3, generator=g, dtype=torch.float64), "b2": torch.zeros(3, dtype=torch.float64)}
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    loss = F.cross_entropy(torch.relu(X @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"], y)
    expected = dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))
    grads = _call(two_layer_backward, "two_layer_backward", X, y, *(v.clone() for v in params.values()))
    if not isinstance(grads, dict) or set(grads) != set(params):
        fail(f"two_layer_backward should return a dict with keys {sorted(params)}, got "
             f"{sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    for name in ("W2", "b2", "W1", "b1"):   # in backward order: the first wrong one is the one to fix
        got = _tensor(grads[name], f"the gradient of {name}", params[name].shape)
        if torch.allclose(got, expected[name] * len(y), atol=1e-6) and not torch.allclose(got, expected[name], atol=1e-6):
            fail(f"the gradient of {name} is {len(y)} times too large: the loss is the MEAN over examples, divide by n")
        if not torch.allclose(got, expected[name], atol=1e-6):
            hint = " (did you apply the ReLU mask Z1 > 0?)" if name in ("W1", "b1") else ""
            fail(f"the gradient of {name} differs from autograd: largest difference "
                 f"{(got - expected[name]).abs().max().item():.3g}{hint}")
    passed("q3 two_layer_backward", 3)


def check_adam_step(adam_step) -> None:
    ensure_callable(adam_step, "adam_step")
    g = torch.Generator().manual_seed(3)
    w0 = torch.randn(5, generator=g, dtype=torch.float64)
    grads = [torch.randn(5, generator=g, dtype=torch.float64) for _ in range(4)]
    lr, betas, eps = 0.1, (0.9, 0.999), 1e-8
    ref = w0.clone().requires_grad_()
    opt = torch.optim.Adam([ref], lr=lr, betas=betas, eps=eps)
    w, m, s = w0.clone(), torch.zeros(5, dtype=torch.float64), torch.zeros(5, dtype=torch.float64)
    for t, grad in enumerate(grads, start=1):
        ref.grad = grad.clone()
        opt.step()
        result = _call(adam_step, "adam_step", w, grad.clone(), m, s, t, lr, betas[0], betas[1], eps)
        if not (isinstance(result, tuple) and len(result) == 3):
            fail("adam_step should return a tuple (new_w, new_m, new_s)")
        w, m, s = (_tensor(r, "each value adam_step returns", (5,)) for r in result)
        if not torch.allclose(w, ref.detach(), atol=1e-7):
            hint = " (bias correction: divide m by 1 - beta1**t and s by 1 - beta2**t)" if t == 1 else ""
            fail(f"after step {t} your weights differ from torch.optim.Adam's by up to "
                 f"{(w - ref.detach()).abs().max().item():.3g}{hint}")
    passed("q4 adam_step", 3)


def check_early_stopping(early_stop_epoch) -> None:
    ensure_callable(early_stop_epoch, "early_stop_epoch")
    cases = [([1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69], 2, (4, 2)),
             ([1.0, 0.8, 0.7, 0.72, 0.71, 0.75, 0.69], 3, (5, 2)),
             ([1.0, 0.9, 0.8, 0.7], 2, (3, 3)),            # never stopped: last epoch, best is the last
             ([0.5, 0.6, 0.5, 0.4], 2, (2, 0)),            # equal is not better
             ([0.5], 1, (0, 0))]
    for losses, patience, expected in cases:
        got = _call(early_stop_epoch, "early_stop_epoch", list(losses), patience)
        if not (isinstance(got, tuple) and len(got) == 2):
            fail("early_stop_epoch should return a tuple (stop_epoch, best_epoch)")
        got = tuple(int(v) for v in got)
        if got != expected:
            fail(f"early_stop_epoch({losses}, patience={patience}) returned {got}; expected {expected} "
                 "(stop at the epoch where the loss has failed to beat the best for `patience` epochs in a row; "
                 "epochs count from 0)")
    passed("q5 early_stop_epoch", 2)
