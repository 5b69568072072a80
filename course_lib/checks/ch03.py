"""Checks for solutions/03_cnn_exercises.ipynb."""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F

from . import ensure_callable, fail, passed

# References taken at import, before any check hides the built-ins from the learner's code.
_conv2d, _max_pool2d = F.conv2d, F.max_pool2d


@contextmanager
def _without_builtins(*names):
    """Make torch's own conv/pool functions raise while a from-scratch answer runs."""
    def forbidden(*_, **__):
        raise RuntimeError(f"write it from scratch: torch's {names[0]} is switched off while the check "
                           "runs (your answer is compared with it)")

    saved = []
    for module in (F, torch):
        for name in names:
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, forbidden)
    try:
        yield
    finally:
        for module, name, fn in saved:
            setattr(module, name, fn)


def _call(fn, name, *args, forbid=()):
    try:
        with _without_builtins(*forbid):
            return fn(*args)
    except NotImplementedError:
        raise
    except Exception as e:
        fail(f"{name} raised {e.__class__.__name__}: {e}")


def _tensor(out, name):
    if not isinstance(out, torch.Tensor):
        fail(f"{name} should return a torch.Tensor, got {type(out).__name__}")
    return out


def _compare(out, expected, what):
    if tuple(out.shape) != tuple(expected.shape):
        fail(f"{what} returned shape {tuple(out.shape)}; expected {tuple(expected.shape)}")
    if not torch.allclose(out.double(), expected.double(), atol=1e-5, rtol=1e-4):
        worst = (out.double() - expected.double()).abs().argmax()
        idx = tuple(int(i) for i in torch.unravel_index(worst, expected.shape))
        fail(f"{what} differs from PyTorch at index {idx}: got {out[idx].item():.5g}, "
             f"expected {expected[idx].item():.5g}")


def _randn(*shape, seed):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def check_output_size(output_size) -> None:
    ensure_callable(output_size, "output_size")
    for n, k, p, s in [(28, 3, 0, 1), (28, 3, 1, 1), (28, 5, 2, 2), (28, 2, 0, 2), (7, 3, 1, 2),
                       (10, 4, 1, 3), (5, 5, 0, 1), (32, 7, 3, 2)]:
        expected = _conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1]
        got = _call(output_size, "output_size", n, k, p, s)
        if got != expected:
            fail(f"output_size(n={n}, kernel={k}, padding={p}, stride={s}) returned {got!r}; expected {expected} "
                 "(⌊(n + 2p − k)/s⌋ + 1)")
    passed("q1 output_size", 2)


def check_corr2d(corr2d) -> None:
    ensure_callable(corr2d, "corr2d")
    x, k = _randn(6, 6, seed=1), _randn(3, 3, seed=2)
    for p, s in [(0, 1), (1, 1), (1, 2), (2, 3)]:
        out = _tensor(_call(corr2d, "corr2d", x.clone(), k.clone(), p, s, forbid=("conv2d",)), "corr2d")
        expected = _conv2d(x[None, None], k[None, None], padding=p, stride=s)[0, 0]
        _compare(out, expected, f"corr2d on a 6×6 input with a 3×3 kernel, padding={p}, stride={s},")
    # A kernel that is not square catches swapped axes.
    x, k = _randn(5, 7, seed=3), _randn(2, 3, seed=4)
    out = _tensor(_call(corr2d, "corr2d", x.clone(), k.clone(), 0, 1, forbid=("conv2d",)), "corr2d")
    _compare(out, _conv2d(x[None, None], k[None, None])[0, 0], "corr2d on a 5×7 input with a 2×3 kernel")
    passed("q2 corr2d", 2)


def check_max_pool(max_pool) -> None:
    ensure_callable(max_pool, "max_pool")
    x = _randn(8, 6, seed=5)
    for size in (2, 3):
        out = _tensor(_call(max_pool, "max_pool", x.clone(), size,
                            forbid=("max_pool2d", "max_pool2d_with_indices", "adaptive_max_pool2d")), "max_pool")
        _compare(out, _max_pool2d(x[None, None], size)[0, 0], f"max_pool on an 8×6 map with size={size}")
    x = -torch.rand(4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(6)) - 1
    out = _tensor(_call(max_pool, "max_pool", x.clone(), 2, forbid=("max_pool2d", "max_pool2d_with_indices")),
                  "max_pool")
    _compare(out, _max_pool2d(x[None, None], 2)[0, 0], "max_pool on a map of negative numbers "
             "(start the maximum at -inf or at the window's first value, not at 0)")
    passed("q3 max_pool", 2)


def check_conv_multi(conv_multi) -> None:
    ensure_callable(conv_multi, "conv_multi")
    x, w, b = _randn(3, 7, 6, seed=7), _randn(4, 3, 3, 2, seed=8), _randn(4, seed=9)
    out = _tensor(_call(conv_multi, "conv_multi", x.clone(), w.clone(), b.clone(), forbid=("conv2d",)), "conv_multi")
    expected = _conv2d(x[None], w, b)[0]
    if out.shape == expected.shape[1:]:
        fail(f"conv_multi returned shape {tuple(out.shape)}: one map per OUTPUT channel is expected, "
             f"{tuple(expected.shape)}")
    _compare(out, expected, "conv_multi with x [3, 7, 6], weight [4, 3, 3, 2], bias [4]")
    no_bias = _tensor(_call(conv_multi, "conv_multi", x.clone(), w.clone(), torch.zeros(4, dtype=torch.float64),
                            forbid=("conv2d",)), "conv_multi")
    if torch.allclose(no_bias, out):
        fail("conv_multi ignores the bias: add bias[o] to every value of output channel o")
    passed("q4 conv_multi", 2)


def check_layer_params(layer_params) -> None:
    ensure_callable(layer_params, "layer_params")
    for c_in, c_out, k in [(1, 16, 3), (16, 32, 3), (3, 64, 7), (64, 10, 1), (5, 2, 4)]:
        expected = sum(p.numel() for p in torch.nn.Conv2d(c_in, c_out, k).parameters())
        got = _call(layer_params, "layer_params", c_in, c_out, k)
        if got != expected:
            hint = " (did you forget the biases, one per output channel?)" if got == expected - c_out else ""
            fail(f"layer_params({c_in}, {c_out}, {k}) returned {got!r}; nn.Conv2d({c_in}, {c_out}, {k}) "
                 f"has {expected}{hint}")
    passed("q5 layer_params", 2)


def check_edge_kernel(vertical_edge_kernel) -> None:
    ensure_callable(vertical_edge_kernel, "vertical_edge_kernel")
    kernel = _tensor(_call(vertical_edge_kernel, "vertical_edge_kernel"), "vertical_edge_kernel()").double()
    if tuple(kernel.shape) != (3, 3):
        fail(f"the kernel should be 3×3, got shape {tuple(kernel.shape)}")
    flat = torch.full((1, 1, 8, 8), 0.7, dtype=torch.float64)
    vertical = torch.zeros(1, 1, 8, 8, dtype=torch.float64)
    vertical[..., :, 4:] = 1.0        # dark on the left, bright on the right
    horizontal = vertical.transpose(-1, -2).contiguous()  # dark on top, bright below
    k = kernel[None, None]
    if _conv2d(flat, k).abs().max() > 1e-6:
        fail("on a flat grey image the response should be 0 everywhere: make the weights sum to 0")
    if _conv2d(vertical, k).max() < 1:
        fail("a dark-to-bright step from left to right should give a response of at least 1 "
             f"(got at most {_conv2d(vertical, k).max().item():.3g})")
    if _conv2d(horizontal, k).abs().max() > 1e-6:
        fail("a horizontal edge (dark on top, bright below) should give 0: make each column's weights "
             "balance across rows, e.g. constant down each column")
    passed("q6 vertical_edge_kernel", 2)
