"""Unit tests of course_lib.ssl (taught in 06_self_supervised)."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_lib import ssl


def _images(n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g)


def _nt_xent_loop(z1, z2, t):
    """The definition, one anchor at a time (the notebook's from-scratch version)."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n2 = len(z)
    total = 0.0
    for i in range(n2):
        j = (i + n2 // 2) % n2
        sims = [torch.exp(z[i] @ z[k] / t) for k in range(n2) if k != i]
        total = total - torch.log(torch.exp(z[i] @ z[j] / t) / sum(sims))
    return total / n2


def test_to_tensor_scales_and_adds_a_channel():
    x = ssl.to_tensor(np.array([[[0, 255], [51, 102]]], dtype=np.uint8))
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    torch.testing.assert_close(x[0, 0], torch.tensor([[0.0, 1.0], [0.2, 0.4]]))
    with pytest.raises(ValueError, match=r"\[N, H, W\]"):
        ssl.to_tensor(np.zeros((2, 1, 28, 28), np.uint8))


def test_rotate_batch_blocks_and_labels():
    x = _images(5)
    turned, labels = ssl.rotate_batch(x)
    assert turned.shape == (20, 1, 28, 28)
    assert labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    torch.testing.assert_close(turned[:5], x)
    # one quarter turn counter-clockwise: the top row becomes the left column, read bottom-up
    torch.testing.assert_close(turned[5:10, 0, :, 0], x[:, 0, 0, :].flip(-1))
    for k in range(4):   # turning block k a further (4 - k) quarter turns gives the originals back
        torch.testing.assert_close(torch.rot90(turned[5 * k:5 * (k + 1)], 4 - k, dims=(-2, -1)), x)
    with pytest.raises(ValueError, match="square"):
        ssl.rotate_batch(torch.zeros(2, 1, 28, 20))
    with pytest.raises(ValueError, match="square"):
        ssl.rotate_batch(torch.zeros(28, 28))


def test_conv_encoder_shapes():
    enc = ssl.conv_encoder(16)
    assert ssl.feature_dim(enc) == 1024
    assert enc(_images(3)).shape == (3, 1024)
    assert ssl.feature_dim(ssl.conv_encoder(4)) == 256
    with pytest.raises(ValueError, match="width"):
        ssl.conv_encoder(0)


def test_nt_xent_matches_a_hand_computation():
    # two pairs of identical, orthogonal embeddings: each anchor has similarity 1 with its positive
    # and 0 with both negatives, so every anchor's loss is -log(e^{1/t} / (e^{1/t} + 2))
    z = torch.tensor([[1.0, 0.0], [0.0, 3.0]])   # the length does not matter: cosine similarity
    t = 0.5
    expected = math.log(1 + 2 * math.exp(-1 / t))
    assert ssl.nt_xent(z, z.clone(), t).item() == pytest.approx(expected, rel=1e-6)


def test_nt_xent_matches_the_definition_and_is_symmetric():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    for t in (0.1, 0.5, 2.0):
        torch.testing.assert_close(ssl.nt_xent(z1, z2, t), _nt_xent_loop(z1, z2, t))
        torch.testing.assert_close(ssl.nt_xent(z1, z2, t), ssl.nt_xent(z2, z1, t))
    perm = torch.randperm(6, generator=g)       # reordering the pairs changes nothing
    torch.testing.assert_close(ssl.nt_xent(z1[perm], z2[perm]), ssl.nt_xent(z1, z2))
    # aligned pairs score better than random pairs
    assert ssl.nt_xent(z1, z1 + 0.01 * z2) < ssl.nt_xent(z1, z2)


def test_nt_xent_gradient_is_correct_and_bad_input_raises():
    g = torch.Generator().manual_seed(2)
    z1 = torch.randn(4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    z2 = torch.randn(4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: ssl.nt_xent(a, b, 0.5), (z1, z2))
    with pytest.raises(ValueError, match=r"\[N, D\]"):
        ssl.nt_xent(torch.zeros(4, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="temperature"):
        ssl.nt_xent(torch.zeros(4, 3), torch.zeros(4, 3), temperature=0)


def test_random_crops_are_reproducible_views():
    x = _images(8)
    a = ssl.random_crops(x, torch.Generator().manual_seed(3))
    b = ssl.random_crops(x, torch.Generator().manual_seed(3))
    c = ssl.random_crops(x, torch.Generator().manual_seed(4))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    # no zoom, no brightness change, no noise: the view is the image itself
    same = ssl.random_crops(x, torch.Generator().manual_seed(3), min_scale=1.0, brightness=0, noise=0)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)


def test_pretrain_rotation_learns_and_repeats():
    # images with an up/down and a left/right asymmetry: the rotation is learnable
    x = _images(64) * 0.3
    x[:, :, :8, 4:12] += 0.7
    torch.manual_seed(0)   # the encoder's initialisation (training itself is seeded by seed=0)
    enc_a = ssl.conv_encoder(4)
    enc_b = copy.deepcopy(enc_a)
    rng_state = torch.random.get_rng_state()
    head, losses = ssl.pretrain_rotation(enc_a, x, epochs=6, batch_size=16, lr=5e-3, seed=0)
    assert torch.equal(torch.random.get_rng_state(), rng_state), "pretraining leaves the global RNG alone"
    _, losses_b = ssl.pretrain_rotation(enc_b, x, epochs=6, batch_size=16, lr=5e-3, seed=0)
    assert losses == losses_b, "same seed, same run"
    assert len(losses) == 6 * 4
    assert np.mean(losses[-4:]) < 0.5 * np.mean(losses[:4]), f"rotation loss should fall: {losses}"
    turned, k = ssl.rotate_batch(x)
    with torch.no_grad():
        assert (head(enc_a(turned)).argmax(1) == k).float().mean() > 0.9
    with pytest.raises(ValueError, match="epochs"):
        ssl.pretrain_rotation(enc_a, x, epochs=0)


def test_pretrain_contrastive_runs_and_repeats():
    x = _images(40)
    enc = ssl.conv_encoder(4)
    enc_b = copy.deepcopy(enc)
    head, losses = ssl.pretrain_contrastive(enc, x, epochs=2, batch_size=16, seed=0)
    _, losses_b = ssl.pretrain_contrastive(enc_b, x, epochs=2, batch_size=16, seed=0)
    assert losses == losses_b
    assert len(losses) == 2 * 3 and all(math.isfinite(v) for v in losses)
    assert head(enc(x[:2])).shape == (2, 64)
    for a, b in zip(enc.parameters(), ssl.conv_encoder(4).parameters()):
        assert a.shape == b.shape


def test_freeze_and_extract_features():
    enc = ssl.conv_encoder(4)
    frozen = ssl.freeze(copy.deepcopy(enc))
    assert not frozen.training and not any(p.requires_grad for p in frozen.parameters())
    enc.train()
    x = _images(10)
    feats = ssl.extract_features(enc, x, batch_size=3)
    assert feats.shape == (10, 256) and feats.dtype == np.float32
    assert enc.training, "extract_features restores the training mode"
    np.testing.assert_allclose(feats, enc(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_sample_per_class():
    labels = np.repeat(np.arange(4), [5, 6, 7, 8])
    idx = ssl.sample_per_class(labels, 3, seed=1)
    assert len(idx) == 12 and len(set(idx.tolist())) == 12
    assert np.bincount(labels[idx]).tolist() == [3, 3, 3, 3]
    np.testing.assert_array_equal(idx, ssl.sample_per_class(labels, 3, seed=1))
    assert not np.array_equal(idx, ssl.sample_per_class(labels, 3, seed=2))
    with pytest.raises(ValueError, match="only 5 examples"):
        ssl.sample_per_class(labels, 6)
    with pytest.raises(ValueError, match="at least 1"):
        ssl.sample_per_class(labels, 0)


def test_linear_probe_and_scratch_classifier_fit_easy_data():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    centers = rng.normal(0, 3, (3, 5))
    X = (centers[y] + rng.normal(0, 0.5, (90, 5))).astype(np.float32)
    probe = ssl.linear_probe(X, y)
    assert probe.score(X, y) > 0.95
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    losses = ssl.train_classifier(model, torch.tensor(X), torch.tensor(y), epochs=30, batch_size=30, lr=0.05)
    assert losses[-1] < 0.5 * losses[0]
    assert (ssl.predict(model, torch.tensor(X)).argmax(1).numpy() == y).mean() > 0.9


def test_rotation_features_on_tiny_world_beat_random(monkeypatch, tmp_path):
    """The chapter's claim in miniature: rotation pretraining helps a few-label linear probe."""
    from course_lib.shop import load_world

    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    torch.set_num_threads(1)
    images = load_world("tiny", seed=0).images()
    torch.manual_seed(0)
    random_enc = ssl.conv_encoder(8)
    enc = copy.deepcopy(random_enc)
    ssl.pretrain_rotation(enc, ssl.to_tensor(images.extra["unlabeled"]), epochs=8, seed=0)
    idx = ssl.sample_per_class(images.y_train, 10, seed=0)
    x_lab, x_test = ssl.to_tensor(images.x_train[idx]), ssl.to_tensor(images.x_test)
    scores = {}
    for name, e in (("ssl", enc), ("random", random_enc)):
        probe = ssl.linear_probe(ssl.extract_features(e, x_lab), images.y_train[idx], C=0.1)
        scores[name] = probe.score(ssl.extract_features(e, x_test), images.y_test)
    assert scores["ssl"] > scores["random"], scores
