"""Unit tests of course_lib.conv: from-scratch convolution and pooling against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib.conv import (avg_pool2d, conv2d, conv_output_size, conv_params, corr1d, count_params,
                             max_pool2d, small_cnn)


def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("n, k, p, s", [(28, 3, 0, 1), (28, 3, 1, 1), (28, 5, 2, 2), (7, 7, 0, 3), (10, 4, 1, 3)])
def test_output_size_matches_torch(n, k, p, s):
    out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p)
    assert conv_output_size(n, k, p, s) == out.shape[-1]


def test_output_size_rejects_impossible_shapes():
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv_output_size(3, 5)
    with pytest.raises(ValueError, match="stride >= 1"):
        conv_output_size(8, 3, stride=0)


def test_corr1d_is_the_article_sum_and_flipped_convolution():
    x, k = _randn(9), _randn(3, seed=1)
    out = corr1d(x, k)
    assert out.shape == (7,)
    torch.testing.assert_close(out[0], (x[:3] * k).sum())  # C(x) = sum_i x[i] k[i]
    torch.testing.assert_close(out, torch.from_numpy(np.correlate(x.numpy(), k.numpy(), "valid")))
    torch.testing.assert_close(corr1d(x, k.flip(0)), torch.from_numpy(np.convolve(x.numpy(), k.numpy(), "valid")))


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 1), (2, 1), ((2, 1), (0, 2))])
def test_conv2d_matches_torch(stride, padding):
    x, w, b = _randn(2, 3, 9, 8), _randn(4, 3, 3, 2, seed=1), _randn(4, seed=2)
    torch.testing.assert_close(conv2d(x, w, b, stride, padding), F.conv2d(x, w, b, stride, padding))
    torch.testing.assert_close(conv2d(x[0], w, None, stride, padding), F.conv2d(x[:1], w, None, stride, padding)[0])


def test_conv2d_gradients_match_torch():
    x, w = _randn(1, 2, 6, 6).requires_grad_(), _randn(3, 2, 3, 3, seed=1).requires_grad_()
    ours = torch.autograd.grad(conv2d(x, w, padding=1).square().sum(), (x, w))
    theirs = torch.autograd.grad(F.conv2d(x, w, padding=1).square().sum(), (x, w))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_conv2d_explains_bad_input():
    with pytest.raises(ValueError, match="3 channels but the weight expects 2"):
        conv2d(_randn(1, 3, 5, 5), _randn(1, 2, 3, 3))
    with pytest.raises(ValueError, match="weight must be"):
        conv2d(_randn(1, 1, 5, 5), _randn(3, 3))
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv2d(_randn(1, 1, 2, 2), _randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="pair of ints"):
        conv2d(_randn(1, 1, 5, 5), _randn(1, 1, 3, 3), stride=1.5)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (1, 2), 0)])
def test_pooling_matches_torch(kernel, stride, padding):
    x = _randn(2, 3, 8, 9)
    torch.testing.assert_close(max_pool2d(x, kernel, stride, padding), F.max_pool2d(x, kernel, stride, padding))
    torch.testing.assert_close(avg_pool2d(x, kernel, stride, padding), F.avg_pool2d(x, kernel, stride, padding))
    torch.testing.assert_close(max_pool2d(x[0], kernel, stride, padding), F.max_pool2d(x, kernel, stride, padding)[0])


def test_pooling_rejects_too_much_padding():
    with pytest.raises(ValueError, match="at most half the kernel"):
        max_pool2d(_randn(1, 1, 6, 6), 2, padding=2)


def test_conv_params_matches_torch_layers():
    assert conv_params(3, 8, 5) == count_params(torch.nn.Conv2d(3, 8, 5))
    assert conv_params(16, 32, (3, 1), bias=False) == count_params(torch.nn.Conv2d(16, 32, (3, 1), bias=False))


def test_small_cnn_shapes_and_parts():
    torch.manual_seed(0)
    model = small_cnn(10)
    x = torch.rand(5, 1, 28, 28)
    assert model(x).shape == (5, 10)
    assert model.features(x).shape == (5, 32 * 7 * 7)
    assert model.head.in_features == 32 * 7 * 7
    assert small_cnn(4, in_channels=3, width=8, image_size=32)(torch.rand(2, 3, 32, 32)).shape == (2, 4)
    with pytest.raises(ValueError, match="n_classes"):
        small_cnn(0)
    with pytest.raises(ValueError, match="multiple of 4"):
        small_cnn(10, image_size=30)
