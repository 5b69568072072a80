"""Metrics shared by chapters (classification for now; ranking metrics arrive with chapter 07)."""
from __future__ import annotations

import numpy as np
import torch


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def accuracy(y_true, y_pred) -> float:
    """Fraction of equal labels. `y_pred` may be labels [n] or scores [n, classes] (argmax taken)."""
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: y_true {y_true.shape}, y_pred {y_pred.shape}")
    return float((y_true == y_pred).mean())


def binary_accuracy(y_true, p, threshold: float = 0.5) -> float:
    """Accuracy of probabilities `p` thresholded at `threshold` (taught in 01_neurons)."""
    return float((_np(y_true) == (_np(p) >= threshold)).mean())


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts [n_classes, n_classes]: rows true class, columns predicted class."""
    y_true, y_pred = _np(y_true).astype(int), _np(y_pred)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(1)
    return np.bincount(y_true * n_classes + y_pred.astype(int), minlength=n_classes**2).reshape(n_classes, n_classes)
