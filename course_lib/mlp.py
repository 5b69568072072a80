"""Feed-forward networks: a two-layer net with a hand-written backward pass, and reusable parts.

Taught in 02_feedforward. The from-scratch functions (`two_layer_forward`, `two_layer_backward`,
the losses, `numerical_gradient`) exist to be checked against autograd; later chapters use the
`MLP` builder and `EarlyStopping`.
"""
from __future__ import annotations

import copy
import math
from typing import Callable, Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU,
                                                   "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU}


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean squared error and its gradient with respect to `pred`. Taught in 02_feedforward."""
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    diff = pred - target
    return (diff ** 2).mean(), 2 * diff / diff.numel()


def softmax_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy of integer labels `y` [n] under softmax(`logits` [n, k]), and d loss/d logits.

    Stable for any logits: it subtracts each row's maximum before exponentiating (log-sum-exp).
    Taught in 02_feedforward.
    """
    if logits.ndim != 2 or y.shape != logits.shape[:1]:
        raise ValueError(f"expected logits [n, k] and labels [n]; got {tuple(logits.shape)} and {tuple(y.shape)}")
    shifted = logits - logits.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    n = len(y)
    loss = -log_probs[torch.arange(n), y].mean()
    dlogits = log_probs.exp()
    dlogits[torch.arange(n), y] -= 1
    return loss, dlogits / n


def init_two_layer(n_in: int, n_hidden: int, n_out: int, seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """Parameters W1 [n_in, n_hidden], b1, W2 [n_hidden, n_out], b2 of a ReLU net.

    W1 is He-initialised (variance 2 / n_in); W2 starts small (sd 0.01) so the untrained net is unsure.

    Taught in 02_feedforward.
    """
    for name, value in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    g = torch.Generator().manual_seed(seed)
    # He: variance 2 / fan_in keeps the scale of ReLU activations steady from layer to layer
    return {"W1": torch.randn(n_in, n_hidden, generator=g, dtype=dtype) * math.sqrt(2 / n_in),
            "b1": torch.zeros(n_hidden, dtype=dtype),
            "W2": torch.randn(n_hidden, n_out, generator=g, dtype=dtype) * 0.01,
            "b2": torch.zeros(n_out, dtype=dtype)}


def two_layer_forward(params: dict[str, torch.Tensor], x: torch.Tensor) -> tuple[torch.Tensor, tuple]:
    """Outputs of x -> Linear -> ReLU -> Linear, and the cache the backward pass needs.

    Taught in 02_feedforward.
    """
    z1 = x @ params["W1"] + params["b1"]
    h = z1.clamp(min=0)
    return h @ params["W2"] + params["b2"], (x, z1, h)


def two_layer_backward(params: dict[str, torch.Tensor], cache: tuple, dout: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the loss w.r.t. every parameter, given dout = d loss / d outputs (backpropagation).

    Taught in 02_feedforward.
    """
    x, z1, h = cache
    dh = dout @ params["W2"].T
    dz1 = dh * (z1 > 0)                      # ReLU passes the gradient only where it was active
    return {"W1": x.T @ dz1, "b1": dz1.sum(0), "W2": h.T @ dout, "b2": dout.sum(0)}


def numerical_gradient(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """Centred differences (f(x + h e_i) - f(x - h e_i)) / 2h for every entry of `x`; use float64.

    `f` maps a tensor shaped like `x` to a scalar. Taught in 02_feedforward.
    """
    if x.dtype != torch.float64:
        raise ValueError(f"numerical gradients need float64 (got {x.dtype}): float32 rounding swamps h")
    grad = torch.zeros_like(x)
    flat, gflat = x.detach().clone().reshape(-1), grad.reshape(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        plus = float(f(flat.reshape(x.shape)))
        flat[i] = old - h
        minus = float(f(flat.reshape(x.shape)))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * h)
    return grad


class MLP(nn.Sequential):
    """A multilayer perceptron: [Linear -> activation -> Dropout] per hidden width, then Linear.

    MLP(31, hidden=(64, 32), n_out=1, dropout=0.2). Taught in 02_feedforward; later chapters
    use it as a classifier head.
    """

    def __init__(self, n_in: int, hidden: Sequence[int] = (64,), n_out: int = 1, activation: str = "relu",
                 dropout: float = 0.0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        widths = [n_in, *hidden]
        if any(not isinstance(w, int) or w < 1 for w in [*widths, n_out]):
            raise ValueError(f"layer widths must be positive integers, got n_in={n_in!r}, hidden={hidden!r}, n_out={n_out!r}")
        layers: list[nn.Module] = []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Linear(a, b), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(widths[-1], n_out))
        super().__init__(*layers)


class EarlyStopping:
    """Stop when a validation score has not improved for `patience` epochs; remember the best model.

    `step(value, model)` returns True when training should stop; `restore(model)` loads the best
    weights back. mode="min" for losses, "max" for scores such as AUC. Taught in 02_feedforward.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, mode: str = "min"):
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"patience must be a positive integer, got {patience!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.patience, self.min_delta, self.mode = patience, float(min_delta), mode
        self.best: float | None = None
        self.best_epoch = -1
        self.epoch = -1
        self.bad_epochs = 0
        self._state: dict | None = None

    def improved(self, value: float) -> bool:
        """Whether `value` beats the best so far by more than min_delta (NaN never does)."""
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        gain = self.best - value if self.mode == "min" else value - self.best
        return gain > self.min_delta

    def step(self, value: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's validation value (and the model's weights if it is the best); True = stop."""
        self.epoch += 1
        value = float(value)
        if self.improved(value):
            self.best, self.best_epoch, self.bad_epochs = value, self.epoch, 0
            if model is not None:
                self._state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best weights seen by `step` back into `model`."""
        if self._state is None:
            raise RuntimeError("no best weights to restore: call step(value, model) with a model first")
        model.load_state_dict(self._state)
        return model
