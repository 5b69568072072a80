"""A short training loop: tqdm progress, a loss curve redrawn sparingly, and the history back.

Chapter 02 (feed-forward networks) writes this loop by hand first; later chapters call `fit`.
"""
from __future__ import annotations

import time
from typing import Callable, Iterable

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm


def make_loader(*tensors, batch_size: int = 64, shuffle: bool = True, seed: int = 0) -> DataLoader:
    """A DataLoader over in-memory tensors, shuffled reproducibly with its own seeded generator."""
    tensors = [t if isinstance(t, torch.Tensor) else torch.as_tensor(np.asarray(t)) for t in tensors]
    gen = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(*tensors), batch_size=batch_size, shuffle=shuffle, generator=gen)


@torch.no_grad()
def evaluate(model: torch.nn.Module, loader: Iterable, loss_fn: Callable, device=None,
             metrics: dict[str, Callable] | None = None) -> dict[str, float]:
    """Mean loss (weighted by batch size) and metrics over `loader`; `metrics` maps name -> f(y, out)."""
    device = device or next(model.parameters()).device
    was_training = model.training
    model.eval()
    total, n, outs, ys = 0.0, 0, [], []
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        out = model(xb)
        total += loss_fn(out, yb).item() * len(yb)
        n += len(yb)
        if metrics:
            outs.append(out.cpu())
            ys.append(yb.cpu())
    model.train(was_training)
    result = {"loss": total / max(n, 1)}
    if metrics:
        out, y = torch.cat(outs), torch.cat(ys)
        result.update({name: float(f(y, out)) for name, f in metrics.items()})
    return result


@torch.no_grad()
def predict(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Class scores of `model` for `x`, in eval mode, on the CPU. Taught in 03_cnn; 06 reuses it."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = torch.cat([model(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def fit(model: torch.nn.Module, loss_fn: Callable, optimizer: torch.optim.Optimizer, train_loader,
        epochs: int = 10, val_loader=None, device=None, metrics: dict[str, Callable] | None = None,
        clip_grad: float | None = None, plot: bool = True, plot_every_s: float = 2.0,
        progress: bool = True) -> dict[str, list[float]]:
    """Train `model` for `epochs`; return the history: train_loss, and val_loss / val_<metric>.

    The loss curve is redrawn at most every `plot_every_s` seconds (redrawing costs time) and
    once at the end, in place, when running inside Jupyter.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    device = device or next(model.parameters()).device
    model.to(device)
    history: dict[str, list[float]] = {"train_loss": []}
    live = _LivePlot(plot_every_s) if plot else None
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for _ in bar:
        model.train()
        total, n = 0.0, 0
        for xb, yb in train_loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
            total += loss.item() * len(yb)
            n += len(yb)
        history["train_loss"].append(total / max(n, 1))
        if val_loader is not None:
            for key, value in evaluate(model, val_loader, loss_fn, device, metrics).items():
                history.setdefault(f"val_{key}", []).append(value)
        bar.set_postfix({k: f"{v[-1]:.4f}" for k, v in history.items()})
        if live:
            live.update(history)
    if live:
        live.update(history, final=True)
    return history


class _LivePlot:
    """Redraws the loss curves in one output area, at most every `every_s` seconds."""

    def __init__(self, every_s: float):
        self.every_s, self.last, self.handle = every_s, 0.0, None

    def update(self, history: dict, final: bool = False) -> None:
        if not final and time.monotonic() - self.last < self.every_s:
            return
        import matplotlib.pyplot as plt

        from .plots import plot_history

        losses = {k: v for k, v in history.items() if k.endswith("loss")}
        fig, ax = plt.subplots(figsize=(5.5, 3))
        plot_history(losses, ax=ax, title="loss")
        try:
            from IPython import get_ipython
            from IPython.display import display
            in_notebook = get_ipython() is not None and "IPKernelApp" in get_ipython().config
        except ImportError:
            in_notebook = False
        if in_notebook:
            if self.handle is None:
                self.handle = display(fig, display_id=True)
            else:
                self.handle.update(fig)
        plt.close(fig)
        self.last = time.monotonic()
