"""Convolution (really cross-correlation) and pooling from scratch, and a small CNN.

Taught in 03_cnn. The from-scratch operations follow PyTorch's conventions (NCHW tensors,
weights [C_out, C_in, kh, kw], zero padding) so they can be checked against `F.conv2d`,
`F.max_pool2d` and `F.avg_pool2d`. Chapters 06 and 10 reuse `small_cnn`.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def _pair(value, name: str) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def conv_output_size(n: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """Output length along one axis: floor((n + 2*padding - kernel) / stride) + 1.

    Taught in 03_cnn. Raises ValueError when the kernel does not fit the padded input.
    """
    if kernel < 1 or stride < 1 or padding < 0 or n < 1:
        raise ValueError(f"need n >= 1, kernel >= 1, stride >= 1, padding >= 0; got "
                         f"n={n}, kernel={kernel}, padding={padding}, stride={stride}")
    if kernel > n + 2 * padding:
        raise ValueError(f"kernel {kernel} is larger than the padded input {n} + 2*{padding}")
    return (n + 2 * padding - kernel) // stride + 1


def corr1d(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """1-D cross-correlation: out[i] = sum_j x[i + j] * k[j] (the article's C(x) = sum x[i] k[i]).

    Taught in 03_cnn. `x` and `k` are 1-D; the output has len(x) - len(k) + 1 entries.
    """
    if x.ndim != 1 or k.ndim != 1:
        raise ValueError(f"corr1d needs 1-D x and k, got shapes {tuple(x.shape)} and {tuple(k.shape)}")
    conv_output_size(len(x), len(k))
    return x.unfold(0, len(k), 1) @ k


def _windows(x: torch.Tensor, kernel, stride, padding, fill: float = 0.0) -> torch.Tensor:
    """Every kernel-sized window of x [N, C, H, W] -> [N, C, H_out, W_out, kh, kw] (a view, no copy)."""
    if x.ndim != 4:
        raise ValueError(f"expected a batch [N, C, H, W], got shape {tuple(x.shape)}")
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    conv_output_size(x.shape[2], kh, ph, sh)  # validates both axes
    conv_output_size(x.shape[3], kw, pw, sw)
    if ph or pw:
        x = F.pad(x, (pw, pw, ph, ph), value=fill)
    return x.unfold(2, kh, sh).unfold(3, kw, sw)


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           stride=1, padding=0) -> torch.Tensor:
    """2-D cross-correlation with channels, as `torch.nn.functional.conv2d` computes it.

    Taught in 03_cnn. x: [N, C_in, H, W] (or [C_in, H, W]); weight: [C_out, C_in, kh, kw];
    bias: [C_out] or None. out[n, o, i, j] = bias[o] + sum_{c, a, b} x_pad[n, c, i*s + a, j*s + b] * weight[o, c, a, b].
    """
    single = x.ndim == 3
    if single:
        x = x.unsqueeze(0)
    if weight.ndim != 4:
        raise ValueError(f"weight must be [C_out, C_in, kh, kw], got shape {tuple(weight.shape)}")
    if x.ndim == 4 and x.shape[1] != weight.shape[1]:
        raise ValueError(f"input has {x.shape[1]} channels but the weight expects {weight.shape[1]}")
    windows = _windows(x, tuple(weight.shape[2:]), _pair(stride, "stride"), _pair(padding, "padding"))
    # Multiply each window by each kernel and sum over channels and kernel positions.
    out = torch.einsum("nchwab,ocab->nohw", windows, weight)
    if bias is not None:
        out = out + bias.view(1, -1, 1, 1)
    return out[0] if single else out


def _pool(x, kernel_size, stride, padding, fill):
    single = x.ndim == 3
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    padding = _pair(padding, "padding")
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"padding {padding} must be at most half the kernel {kernel}")
    windows = _windows(x.unsqueeze(0) if single else x, kernel, stride, padding, fill)
    return windows, single


def max_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0) -> torch.Tensor:
    """Max pooling: the largest value of each window, per channel (stride defaults to the kernel).

    Taught in 03_cnn. x: [N, C, H, W] or [C, H, W]; padding counts as -inf, as in F.max_pool2d.
    """
    windows, single = _pool(x, kernel_size, stride, padding, float("-inf"))
    out = windows.amax(dim=(-2, -1))
    return out[0] if single else out


def avg_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0) -> torch.Tensor:
    """Average pooling: the mean of each window, per channel (stride defaults to the kernel).

    Taught in 03_cnn. Padding counts as zeros in the mean, as F.avg_pool2d's default does.
    """
    windows, single = _pool(x, kernel_size, stride, padding, 0.0)
    out = windows.mean(dim=(-2, -1))
    return out[0] if single else out


def conv_params(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Learnable parameters of a conv layer: C_out * (C_in * kh * kw) weights (+ C_out biases).

    Taught in 03_cnn. Independent of the image size: the same kernels slide everywhere.
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    return out_channels * in_channels * kh * kw + (out_channels if bias else 0)


def small_cnn(n_classes: int = 10, in_channels: int = 1, width: int = 16, image_size: int = 28) -> nn.Sequential:
    """A small CNN for 28x28 product images: two conv-ReLU-maxpool blocks and a linear head.

    Taught in 03_cnn; reused in 06 (self-supervised features) and 10 (product recognition).
    `model.features` maps [N, in_channels, S, S] to a flat feature vector of `2*width*(S//4)**2`
    numbers; `model.head` maps it to `n_classes` logits. Inputs are floats, e.g. pixels / 255.
    """
    for name, value in (("n_classes", n_classes), ("in_channels", in_channels), ("width", width)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if image_size < 4 or image_size % 4:
        raise ValueError(f"image_size must be a positive multiple of 4 (two 2x2 poolings), got {image_size}")
    features = nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # S -> S/2
        nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # S/2 -> S/4
        nn.Flatten(),
    )
    head = nn.Linear(2 * width * (image_size // 4) ** 2, n_classes)
    return nn.Sequential(OrderedDict(features=features, head=head))


def count_params(model: nn.Module) -> int:
    """Number of trainable parameters of `model`. Taught in 03_cnn."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def to_tensor(images) -> torch.Tensor:
    """uint8 images [N, H, W] (numpy or torch) -> float32 [N, 1, H, W] in [0, 1]. Taught in 03_cnn; 06 reuses it."""
    x = torch.as_tensor(np.asarray(images))
    if x.ndim != 3:
        raise ValueError(f"expected images [N, H, W], got shape {tuple(x.shape)}")
    return x.float().div_(255).unsqueeze(1)
