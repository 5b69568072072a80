"""Checks for solutions/06_self_supervised_exercises.ipynb."""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .. import ssl
from . import call as _call
from . import ensure_callable, fail, passed


def check_rotate_four(rotate_four) -> None:
    ensure_callable(rotate_four, "rotate_four")
    x = torch.arange(5 * 36, dtype=torch.float32).reshape(5, 1, 6, 6)
    out = _call(rotate_four, "rotate_four", x.clone())
    if not (isinstance(out, tuple) and len(out) == 2):
        fail("rotate_four should return a tuple (turned images, labels)")
    turned, labels = out
    if not isinstance(turned, torch.Tensor) or turned.shape != (20, 1, 6, 6):
        fail(f"for x of shape (5, 1, 6, 6) the turned images should have shape (20, 1, 6, 6), "
             f"got {tuple(turned.shape) if isinstance(turned, torch.Tensor) else type(turned).__name__}")
    labels = torch.as_tensor(labels)
    expected_labels = torch.arange(4).repeat_interleave(5)
    if labels.shape != (20,) or not torch.equal(labels.long(), expected_labels):
        if labels.shape == (20,) and torch.equal(labels.long(), torch.arange(4).repeat(5)):
            fail("your labels are interleaved (0, 1, 2, 3, 0, 1, ...): stack the rotations in blocks, "
                 "all images turned 0 times first, then all turned once, ...")
        fail(f"labels should be [0]*5 + [1]*5 + [2]*5 + [3]*5, got {labels.tolist()}")
    if labels.is_floating_point():
        fail("labels should be integers (torch.long), as cross-entropy expects")
    for k in range(4):
        block = turned[5 * k:5 * (k + 1)]
        if torch.equal(block, torch.rot90(x, k, dims=(-2, -1))):
            continue
        if torch.equal(block, torch.rot90(x, -k, dims=(-2, -1))):
            fail(f"block {k} is turned clockwise; label k means k quarter turns counter-clockwise "
                 "(torch.rot90(x, k, dims=(-2, -1)))")
        fail(f"block {k} (rows {5 * k}..{5 * k + 4}) should be the images turned {90 * k}° "
             "counter-clockwise; it is not")
    passed("q1 rotate_four", 2)


def check_nt_xent(nt_xent) -> None:
    ensure_callable(nt_xent, "nt_xent")
    z = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    tau = 0.5
    hand = math.log(1 + 2 * math.exp(-1 / tau))
    got = _call(nt_xent, "nt_xent", z, z.clone(), tau)
    if not isinstance(got, torch.Tensor) or got.numel() != 1:
        fail("nt_xent should return a scalar tensor (the mean loss over all 2N views)")
    if not math.isclose(got.item(), hand, rel_tol=1e-4):
        no_mask = math.log(math.exp(1 / tau) + 1 + 2) - 1 / tau      # the view compared with itself too
        no_norm = F.cross_entropy(torch.tensor([[0.0, 0.0, 1.0 / tau, 0.0]]), torch.tensor([2])).item()
        hint = ""
        if math.isclose(got.item(), no_mask, rel_tol=1e-3):
            hint = " It looks as if a view counts as its own negative: mask the diagonal (k != i)."
        elif math.isclose(got.item(), no_norm, rel_tol=1e-3) or got.item() < 0.05:
            hint = " Normalise the embeddings to unit length first (cosine similarity)."
        fail(f"for two identical orthogonal pairs, z = (1, 0) and (0, 3), at τ = 0.5 your loss is "
             f"{got.item():.4f}; by hand it is log(1 + 2e^-2) = {hand:.4f}.{hint}")
    g = torch.Generator().manual_seed(6)
    for n, d, t in ((4, 3, 0.5), (7, 5, 0.1), (3, 8, 1.0)):
        z1, z2 = torch.randn(n, d, generator=g), torch.randn(n, d, generator=g)
        got = _call(nt_xent, "nt_xent", z1, z2, t)
        expected = ssl.nt_xent(z1, z2, t)
        if not torch.allclose(torch.as_tensor(got).float(), expected, atol=1e-4, rtol=1e-4):
            swapped = ssl.nt_xent(z1, z2[torch.roll(torch.arange(n), 1)], t)
            hint = " (is the positive of view i really view i + N, and of view i + N view i?)" \
                if torch.allclose(torch.as_tensor(got).float(), swapped, atol=1e-4) else ""
            fail(f"on random embeddings (N={n}, D={d}, τ={t}) your loss is {float(got):.4f}; "
                 f"expected {expected.item():.4f}{hint}")
    z1 = torch.randn(4, 3, generator=g, requires_grad=True)
    loss = _call(nt_xent, "nt_xent", z1, z1.detach() + 0.1, 0.5)
    if not loss.requires_grad:
        fail("the loss has no gradient: build it from torch operations on z1 and z2 (no .detach(), no numpy)")
    passed("q2 nt_xent", 3)


def check_freeze(freeze, embed) -> None:
    ensure_callable(freeze, "freeze")
    ensure_callable(embed, "embed")
    torch.manual_seed(0)
    encoder = ssl.conv_encoder(4).train()
    x = torch.rand(6, 1, 28, 28)
    expected = encoder(x).detach()
    frozen = _call(freeze, "freeze", encoder)
    if not isinstance(frozen, torch.nn.Module):
        fail(f"freeze should return the encoder (a torch.nn.Module), got {type(frozen).__name__}")
    trainable = [name for name, p in frozen.named_parameters() if p.requires_grad]
    if trainable:
        fail(f"after freeze, these parameters still require gradients: {trainable[:3]}... "
             "set requires_grad to False on every parameter")
    if frozen.training:
        fail("freeze should also put the encoder in evaluation mode (.eval())")
    fresh = ssl.conv_encoder(4).train()   # embed must not build a graph even for a trainable encoder
    out = _call(embed, "embed", fresh, x)
    if not isinstance(out, torch.Tensor) or out.shape != (6, 256):
        fail(f"embed(encoder, x) for 6 photos should return a tensor of shape (6, 256), "
             f"got {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    if out.requires_grad:
        fail("embed returned a tensor that requires grad: compute the features under torch.no_grad()")
    out = _call(embed, "embed", frozen, x)
    if not torch.allclose(out, expected, atol=1e-5):
        fail("embed(encoder, x) should return encoder(x), the features, unchanged")
    passed("q3 freeze and embed", 2)


def check_sample_per_class(sample_k_per_class, labels) -> None:
    ensure_callable(sample_k_per_class, "sample_k_per_class")
    labels = np.asarray(labels)
    n_classes = len(np.unique(labels))
    idx = np.asarray(_call(sample_k_per_class, "sample_k_per_class", labels, 20, seed=0))
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer):
        fail(f"sample_k_per_class should return a 1-D array of integer indices, got {idx.dtype} shape {idx.shape}")
    if len(idx) != 20 * n_classes:
        fail(f"with k=20 and {n_classes} classes you should return {20 * n_classes} indices, got {len(idx)}")
    if len(np.unique(idx)) != len(idx):
        fail("some indices repeat: draw without replacement (replace=False)")
    counts = np.bincount(labels[idx], minlength=n_classes)
    if not (counts == 20).all():
        fail(f"every class should appear exactly 20 times; counts per class: {counts.tolist()}")
    again = np.asarray(sample_k_per_class(labels, 20, seed=0))
    if not np.array_equal(np.sort(idx), np.sort(again)):
        fail("the same seed should give the same draw: use np.random.default_rng(seed)")
    other = np.asarray(sample_k_per_class(labels, 20, seed=1))
    if np.array_equal(np.sort(idx), np.sort(other)):
        fail("seed=0 and seed=1 gave the same draw: the seed should change which examples are picked")
    smallest = int(np.bincount(labels).min())
    try:
        sample_k_per_class(labels, smallest + 1, seed=0)
    except ValueError:
        pass
    except NotImplementedError:
        raise
    except Exception as e:
        fail(f"asking for more examples than a class has should raise ValueError, not {e.__class__.__name__}")
    else:
        fail(f"the smallest class has {smallest} examples; asking for k={smallest + 1} should raise ValueError")
    passed("q4 sample_k_per_class", 2)


def check_probe(train_probe, f_train, y_train, f_test, y_test, margin: float = 0.05) -> None:
    ensure_callable(train_probe, "train_probe")
    f_train, f_test = torch.as_tensor(f_train).float(), torch.as_tensor(f_test).float()
    y_train, y_test = torch.as_tensor(y_train).long(), torch.as_tensor(y_test).long()
    n_classes = int(y_train.max()) + 1
    predict = _call(train_probe, "train_probe", f_train.clone(), y_train.clone(), n_classes)
    ensure_callable(predict, "the value train_probe returns")
    with torch.no_grad():
        scores = torch.as_tensor(_call(predict, "your probe", f_test.clone()))
    if scores.shape != (len(f_test), n_classes):
        fail(f"your probe should map features [{len(f_test)}, {f_test.shape[1]}] to scores "
             f"[{len(f_test)}, {n_classes}], got {tuple(scores.shape)}")
    acc = float((scores.argmax(1) == y_test).float().mean())
    reference = ssl.linear_probe(f_train.numpy(), y_train.numpy(), C=0.1, max_iter=300)
    reference = reference.score(f_test.numpy(), y_test.numpy())
    if acc < reference - margin:
        fail(f"your probe's test accuracy is {acc:.3f}; scikit-learn's logistic regression on the same features "
             f"reaches {reference:.3f}. Standardize the features, train longer, or add a little weight decay.")
    passed("q5 train_probe", 3, f"test accuracy {acc:.3f} (scikit-learn reference {reference:.3f})")
