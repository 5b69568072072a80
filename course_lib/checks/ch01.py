"""Checks for solutions/01_neurons_exercises.ipynb."""
from __future__ import annotations

import math

import torch

from . import call, ensure_callable, fail, passed, tensor_of_shape

_Z = torch.tensor([-100.0, -20.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 20.0, 100.0], dtype=torch.float64)


def _tensor_result(fn, name, *args):
    return tensor_of_shape(call(fn, name, *args), name)


def check_sigmoid(sigmoid) -> None:
    ensure_callable(sigmoid, "sigmoid")
    zero = _tensor_result(sigmoid, "sigmoid", torch.tensor(0.0))
    if not math.isclose(float(zero), 0.5, abs_tol=1e-6):
        fail(f"your sigmoid(0) returned {float(zero):.4g}; expected 0.5")
    out = _tensor_result(sigmoid, "sigmoid", _Z.clone())
    if out.shape != _Z.shape:
        fail(f"sigmoid should keep the input's shape {tuple(_Z.shape)}, got {tuple(out.shape)}")
    if not torch.isfinite(out).all():
        bad = _Z[~torch.isfinite(out)].tolist()
        fail(f"sigmoid returned nan/inf for z = {bad}: use a form that cannot overflow for large |z|")
    expected = torch.sigmoid(_Z)
    worst = (out.double() - expected).abs().argmax()
    if not torch.allclose(out.double(), expected, atol=1e-6):
        fail(f"sigmoid({_Z[worst].item():g}) returned {out[worst].item():.6g}; expected {expected[worst].item():.6g}")
    passed("q1 sigmoid", 2)


def check_derivatives(sigmoid_grad, tanh_grad) -> None:
    for name, fn, ref in (("sigmoid_grad", sigmoid_grad, torch.sigmoid), ("tanh_grad", tanh_grad, torch.tanh)):
        ensure_callable(fn, name)
        z = torch.linspace(-6, 6, 25, dtype=torch.float64, requires_grad=True)
        (expected,) = torch.autograd.grad(ref(z).sum(), z)
        out = _tensor_result(fn, name, z.detach().clone())
        if out.shape != z.shape:
            fail(f"{name} should keep the input's shape {tuple(z.shape)}, got {tuple(out.shape)}")
        if not torch.allclose(out.double(), expected, atol=1e-6):
            i = (out.double() - expected).abs().argmax()
            fail(f"{name}({z[i].item():g}) returned {out[i].item():.5g}; autograd says {expected[i].item():.5g}")
    passed("q2 derivatives", 2)


def check_neuron(neuron) -> None:
    ensure_callable(neuron, "neuron")
    g = torch.Generator().manual_seed(1)
    x, w, b = torch.randn(7, 3, generator=g), torch.randn(3, generator=g), torch.tensor(0.3)
    for act in (torch.sigmoid, torch.tanh, torch.relu):
        out = _tensor_result(neuron, "neuron", x, w, b, act)
        expected = act(x @ w + b)
        if out.shape != expected.shape:
            fail(f"neuron(x [7, 3], w [3], b, f) should return shape (7,), got {tuple(out.shape)}")
        if not torch.allclose(out, expected, atol=1e-5):
            fail(f"neuron(..., {act.__name__}) differs from {act.__name__}(x @ w + b) "
                 f"(first row: got {out[0].item():.4f}, expected {expected[0].item():.4f})")
    passed("q3 neuron", 2)


def check_gd_step(gd_step) -> None:
    ensure_callable(gd_step, "gd_step")
    g = torch.Generator().manual_seed(2)
    X = torch.randn(20, 2, dtype=torch.float64, generator=g)
    y = (torch.rand(20, generator=g, dtype=torch.float64) < 0.5).double()
    w0, b0, lr = torch.tensor([0.5, -0.2], dtype=torch.float64), torch.tensor(0.1, dtype=torch.float64), 0.3
    w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
    loss = torch.nn.functional.binary_cross_entropy_with_logits(X @ w + b, y)
    gw, gb = torch.autograd.grad(loss, (w, b))
    try:
        result = gd_step(w0.clone(), b0.clone(), X, y, lr)
    except NotImplementedError:
        raise
    except Exception as e:
        fail(f"gd_step raised {e.__class__.__name__}: {e}")
    if not (isinstance(result, tuple) and len(result) == 2):
        fail("gd_step should return a tuple (new_w, new_b)")
    new_w, new_b = (torch.as_tensor(r, dtype=torch.float64).detach() for r in result)
    if torch.allclose(new_w, w0) and torch.allclose(new_b, b0):
        fail("gd_step returned the parameters unchanged: subtract lr * gradient")
    if torch.allclose(new_w, w0 + lr * gw, atol=1e-6):
        fail("gd_step moved uphill: subtract the gradient, do not add it")
    if not torch.allclose(new_w, w0 - lr * gw, atol=1e-6) or not torch.allclose(new_b, b0 - lr * gb, atol=1e-6):
        fail(f"gd_step gave w={new_w.numpy().round(5)}, b={new_b.item():.5f}; expected "
             f"w={(w0 - lr * gw).numpy().round(5)}, b={(b0 - lr * gb).item():.5f} "
             "(gradient of the MEAN binary cross-entropy: X.T @ (p - y) / n)")
    passed("q4 gd_step", 2)


def check_training(train_neuron, X_train, y_train, X_test, y_test, min_accuracy: float = 0.75) -> None:
    ensure_callable(train_neuron, "train_neuron")
    try:
        w, b = train_neuron(X_train, y_train)
    except NotImplementedError:
        raise
    except Exception as e:
        fail(f"train_neuron raised {e.__class__.__name__}: {e}")
    w, b = torch.as_tensor(w).detach().float(), torch.as_tensor(b).detach().float()
    if w.shape != (X_train.shape[1],):
        fail(f"train_neuron should return w of shape ({X_train.shape[1]},), got {tuple(w.shape)}")
    acc = ((torch.sigmoid(X_test.float() @ w + b) >= 0.5).float() == y_test.float()).float().mean().item()
    if acc < min_accuracy:
        fail(f"your neuron's test accuracy is {acc:.3f}; it should reach at least {min_accuracy} "
             "(more steps? a larger learning rate? standardized inputs?)")
    passed("q5 train_neuron", 2, f"test accuracy {acc:.3f}")
