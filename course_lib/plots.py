"""One consistent plot style, and the plots several chapters share."""
from __future__ import annotations

import matplotlib

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

PALETTE = "colorblind"


def use_theme() -> None:
    """The course's plot theme (seaborn whitegrid, colour-blind palette, compact figures)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE,
                  rc={"figure.figsize": (6.4, 3.6), "figure.dpi": 90, "axes.titleweight": "bold"})


def plot_history(history: dict, ax=None, title: str = "training curve", logy: bool = False):
    """Plot every list in `history` (e.g. train_loss, val_loss) against the epoch. Used by train.fit."""
    ax = ax or plt.subplots()[1]
    for key, values in history.items():
        if isinstance(values, (list, tuple)) and values:
            ax.plot(np.arange(1, len(values) + 1), values, marker="o" if len(values) < 30 else None,
                    label=key.replace("_", " "))
    ax.set(xlabel="epoch", title=title)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax


def plot_decision_boundary(predict, X: np.ndarray, y: np.ndarray, ax=None, resolution: int = 200,
                           labels=("no", "yes"), feature_names=("x1", "x2"), title: str = ""):
    """Shade where `predict(points [n, 2]) -> probabilities [n]` is above 0.5; scatter the data.

    Taught in 01_neurons (a single neuron's linear decision boundary).
    """
    ax = ax or plt.subplots()[1]
    pad = 0.1 * (X.max(0) - X.min(0))
    lo, hi = X.min(0) - pad, X.max(0) + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    p = np.asarray(predict(grid)).reshape(g1.shape)
    ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
    ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=1.5)
    colors = sns.color_palette(PALETTE, 2)
    for k, name in enumerate(labels):
        m = y == k
        ax.scatter(X[m, 0], X[m, 1], s=14, color=colors[k], edgecolor="white", linewidth=0.4, label=name)
    ax.set(xlabel=feature_names[0], ylabel=feature_names[1], title=title)
    ax.legend(loc="best")
    return ax


def plot_confusion(cm: np.ndarray, class_names, ax=None, normalize: bool = True, title: str = "confusion matrix"):
    """Heatmap of a confusion matrix (rows: true class, columns: predicted)."""
    ax = ax or plt.subplots(figsize=(6, 5))[1]
    data = cm / cm.sum(1, keepdims=True).clip(min=1) if normalize else cm
    sns.heatmap(data, annot=len(class_names) <= 12, fmt=".2f" if normalize else "d", cmap="Blues",
                xticklabels=class_names, yticklabels=class_names, cbar=False, ax=ax)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return ax
