"""Self-supervised learning: pretext tasks on unlabelled images, and linear probes with few labels.

Taught in 06_self_supervised: the rotation pretext task (predict 0/90/180/270°), the SimCLR
NT-Xent contrastive loss on two augmented crops, a small convolutional encoder, and the linear
probe that measures what a frozen encoder learned. Chapter 10 reuses the pretrained encoder.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

from .conv import to_tensor  # noqa: F401  (re-exported: 06 uses ssl.to_tensor)
from .train import predict  # noqa: F401  (re-exported: 06 uses ssl.predict)

ROTATIONS = (0, 90, 180, 270)  # degrees, counter-clockwise; label k means k quarter turns


def rotate_batch(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The rotation pretext task for one batch: every image in all four rotations, with labels.

    `x` is [N, C, H, W] with H == W. Returns (x_rot [4N, C, H, W], labels [4N]) where block k
    (rows k*N .. (k+1)*N - 1) holds the images turned k quarter turns counter-clockwise and
    label k. Taught in 06_self_supervised.
    """
    if x.ndim != 4 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"rotate_batch needs square images [N, C, H, W], got shape {tuple(x.shape)}")
    turned = torch.cat([torch.rot90(x, k, dims=(-2, -1)) for k in range(4)])
    labels = torch.arange(4, device=x.device).repeat_interleave(len(x))
    return turned, labels


def conv_encoder(width: int = 8) -> nn.Sequential:
    """A small CNN encoder for 28x28 grey images: three stride-2 3x3 convolutions, flattened.

    Channels width, 2*width, 4*width; spatial 28 -> 14 -> 7 -> 4; output [N, 64*width]: 512
    features for the default width 8. Stride-2 convolutions (no pooling) keep it CPU-cheap and keep
    where things are, which a rotation task needs. Taught in 06_self_supervised.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    layers, c_in = [], 1
    for c_out in (width, 2 * width, 4 * width):
        layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU()]
        c_in = c_out
    return nn.Sequential(*layers, nn.Flatten())


def feature_dim(encoder: nn.Module, image_size: int = 28) -> int:
    """Length of the feature vector `encoder` makes from one 1-channel image. Taught in 06_self_supervised."""
    p = next(encoder.parameters())
    with torch.no_grad():
        return encoder(torch.zeros(1, 1, image_size, image_size, device=p.device, dtype=p.dtype)).shape[1]


def _batches(n: int, batch_size: int, generator: torch.Generator):
    order = torch.randperm(n, generator=generator)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def pretrain_rotation(encoder: nn.Module, x: torch.Tensor, epochs: int = 2, batch_size: int = 64,
                      lr: float = 2e-3, seed: int = 0, device=None) -> tuple[nn.Linear, list[float]]:
    """Train `encoder` (in place) to predict which of the four rotations an unlabelled image shows.

    `x`: float images [N, 1, H, W]. Each step rotates `batch_size` images four ways (so a step
    sees 4 * batch_size examples) and minimises cross-entropy over the 4 rotation classes.
    Returns (the rotation head, the loss of every step). Taught in 06_self_supervised.
    """
    device = torch.device(device or next(encoder.parameters()).device)
    head = _seeded(lambda: nn.Linear(feature_dim(encoder), 4), seed).to(device)
    params = list(encoder.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    gen, losses = torch.Generator().manual_seed(seed), []
    encoder.train()
    for _ in range(_check_epochs(epochs)):
        for idx in _batches(len(x), batch_size, gen):
            xb, yb = rotate_batch(x[idx].to(device))
            loss = F.cross_entropy(head(encoder(xb)), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return head, losses


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's normalized temperature-scaled cross-entropy for N positive pairs (z1[i], z2[i]).

    Each of the 2N embeddings is an anchor: its positive is its pair, its negatives are the other
    2N - 2 embeddings. With cosine similarities s and temperature t, the loss of anchor i with
    positive j is -log(exp(s_ij / t) / sum_{k != i} exp(s_ik / t)); the result is the mean over
    all 2N anchors. Taught in 06_self_supervised.
    """
    if z1.shape != z2.shape or z1.ndim != 2:
        raise ValueError(f"z1 and z2 must both be [N, D], got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    n = len(z1)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    positives = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(z.device)
    return F.cross_entropy(logits, positives)


def random_crops(x: torch.Tensor, generator: torch.Generator, min_scale: float = 0.6,
                 brightness: float = 0.4, noise: float = 0.05) -> torch.Tensor:
    """One augmented view per image: a random crop (zoomed back to full size), brightness and noise.

    A crop covers a side fraction in [min_scale, 1] at a random position inside the image and is
    resampled bilinearly with `affine_grid` / `grid_sample`. Taught in 06_self_supervised.
    """
    n = len(x)
    rand = lambda *shape: torch.rand(*shape, generator=generator).to(x.device)
    scale = min_scale + (1 - min_scale) * rand(n)
    shift = (1 - scale)[:, None] * (2 * rand(n, 2) - 1)    # keep the crop inside the image
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0] = theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    view = F.grid_sample(x, grid, align_corners=False)
    gain = 1 + brightness * (2 * rand(n, 1, 1, 1) - 1)
    return (view * gain + noise * torch.randn(x.shape, generator=generator).to(x.device)).clamp(0, 1)


def pretrain_contrastive(encoder: nn.Module, x: torch.Tensor, epochs: int = 1, batch_size: int = 128,
                         temperature: float = 0.5, lr: float = 2e-3, projection_dim: int = 64,
                         seed: int = 0, device=None) -> tuple[nn.Module, list[float]]:
    """SimCLR-style pretraining of `encoder` (in place): two random crops per image, NT-Xent loss.

    A projection head (Linear-ReLU-Linear) maps features to the space where the loss is computed;
    as in SimCLR it is discarded afterwards. Returns (projection head, loss of every step).
    Taught in 06_self_supervised.
    """
    device = torch.device(device or next(encoder.parameters()).device)
    d = feature_dim(encoder)
    make_head = lambda: nn.Sequential(nn.Linear(d, 128), nn.ReLU(), nn.Linear(128, projection_dim))
    head = _seeded(make_head, seed).to(device)
    opt = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=lr)
    gen, losses = torch.Generator().manual_seed(seed), []
    encoder.train()
    for _ in range(_check_epochs(epochs)):
        for idx in _batches(len(x), batch_size, gen):
            if len(idx) < 2:
                continue  # a lone image has no negatives
            xb = x[idx].to(device)
            z1, z2 = head(encoder(random_crops(xb, gen))), head(encoder(random_crops(xb, gen)))
            loss = nt_xent(z1, z2, temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return head, losses


def freeze(module: nn.Module) -> nn.Module:
    """Stop training `module`: no gradients for its parameters, eval mode. Taught in 06_self_supervised."""
    for p in module.parameters():
        p.requires_grad_(False)
    return module.eval()


@torch.no_grad()
def extract_features(encoder: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> np.ndarray:
    """Features of images `x` [N, 1, H, W] from a frozen `encoder`, as float32 numpy [N, D].

    Runs in eval mode without building a graph. Taught in 06_self_supervised.
    """
    device = next(encoder.parameters()).device
    was_training = encoder.training
    encoder.eval()
    out = [encoder(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)]
    encoder.train(was_training)
    return torch.cat(out).numpy()


def sample_per_class(labels, k: int, seed: int = 0) -> np.ndarray:
    """Indices of `k` examples of every class in `labels`, drawn without replacement, sorted.

    A class with fewer than `k` examples raises ValueError. Taught in 06_self_supervised.
    """
    labels = np.asarray(labels)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(labels):
        members = np.flatnonzero(labels == c)
        if len(members) < k:
            raise ValueError(f"class {c} has only {len(members)} examples; cannot draw {k}")
        picks.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(picks))


def linear_probe(train_features, train_labels, C: float = 1.0, max_iter: int = 1000):
    """Fit a linear probe: standardize the frozen features, then multinomial logistic regression.

    Returns the fitted scikit-learn pipeline (use `.score(features, labels)` for accuracy).
    `C` is the inverse L2 strength: small label sets need the regularisation. The fit runs with one
    BLAS thread: a small problem gains nothing from more, and idle BLAS threads spinning beside
    PyTorch's own threads can slow the next training step many times over. Taught in 06_self_supervised.
    """
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter))
    with threadpool_limits(1, user_api="blas"):
        return probe.fit(np.asarray(train_features), np.asarray(train_labels))


def train_classifier(model: nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int = 10,
                     batch_size: int = 64, lr: float = 2e-3, seed: int = 0) -> list[float]:
    """Supervised training of `model` (in place) with Adam and cross-entropy; returns the step losses.

    Used for the from-scratch control: the encoder plus a linear layer, trained on the labels only.
    Taught in 06_self_supervised.
    """
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen, losses = torch.Generator().manual_seed(seed), []
    model.train()
    for _ in range(_check_epochs(epochs)):
        for idx in _batches(len(x), batch_size, gen):
            loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses


def _seeded(make, seed: int):
    """Build a module with its own seed, leaving the global random state as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return make()


def _check_epochs(epochs: int) -> int:
    if int(epochs) != epochs or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs}")
    return int(epochs)
