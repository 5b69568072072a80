"""Unit tests of course_lib.mlp: hand-written gradients against autograd, the MLP builder, early stopping."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from course_lib.mlp import (MLP, EarlyStopping, init_two_layer, mse_loss, numerical_gradient,
                            softmax_cross_entropy, two_layer_backward, two_layer_forward)


def data(n=12, d=5, k=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, k, (n,), generator=g)


def test_softmax_cross_entropy_matches_torch_and_is_stable():
    x, y = data()
    logits = torch.randn(12, 3, dtype=torch.float64, requires_grad=True)
    loss, dlogits = softmax_cross_entropy(logits.detach(), y)
    expected = F.cross_entropy(logits, y)
    (grad,) = torch.autograd.grad(expected, logits)
    torch.testing.assert_close(loss, expected.detach())
    torch.testing.assert_close(dlogits, grad)
    huge = torch.tensor([[1000.0, 0.0, -1000.0]])
    loss, d = softmax_cross_entropy(huge, torch.tensor([2]))
    assert torch.isfinite(loss) and torch.isfinite(d).all()
    torch.testing.assert_close(loss, F.cross_entropy(huge, torch.tensor([2])))


def test_mse_loss_matches_torch():
    pred = torch.randn(7, 2, dtype=torch.float64, requires_grad=True)
    target = torch.randn(7, 2, dtype=torch.float64)
    loss, dpred = mse_loss(pred.detach(), target)
    expected = F.mse_loss(pred, target)
    torch.testing.assert_close(loss, expected.detach())
    torch.testing.assert_close(dpred, torch.autograd.grad(expected, pred)[0])
    with pytest.raises(ValueError, match="shapes differ"):
        mse_loss(pred.detach(), target[:3])


def test_two_layer_backward_equals_autograd():
    x, y = data()
    params = init_two_layer(5, 8, 3, seed=1)
    logits, cache = two_layer_forward(params, x)
    _, dlogits = softmax_cross_entropy(logits, y)
    grads = two_layer_backward(params, cache, dlogits)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    out = torch.relu(x @ leaves["W1"] + leaves["b1"]) @ leaves["W2"] + leaves["b2"]
    torch.testing.assert_close(out.detach(), logits)
    auto = torch.autograd.grad(F.cross_entropy(out, y), list(leaves.values()))
    for (name, g), a in zip(grads.items(), auto):
        torch.testing.assert_close(g, a, msg=f"gradient of {name}")


def test_numerical_gradient_agrees_with_the_hand_gradient():
    x, y = data(n=6, d=3)
    params = init_two_layer(3, 4, 3, seed=2)

    def loss_of(W1):
        return softmax_cross_entropy(two_layer_forward({**params, "W1": W1}, x)[0], y)[0]

    logits, cache = two_layer_forward(params, x)
    grads = two_layer_backward(params, cache, softmax_cross_entropy(logits, y)[1])
    torch.testing.assert_close(numerical_gradient(loss_of, params["W1"]), grads["W1"], atol=1e-7, rtol=1e-5)
    with pytest.raises(ValueError, match="float64"):
        numerical_gradient(loss_of, params["W1"].float())


def test_init_is_seeded_and_validates():
    a, b = init_two_layer(4, 6, 2, seed=3), init_two_layer(4, 6, 2, seed=3)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert a["W1"].shape == (4, 6) and a["b2"].shape == (2,)
    with pytest.raises(ValueError, match="n_hidden"):
        init_two_layer(4, 0, 2)


def test_mlp_builder_shapes_dropout_and_errors():
    torch.manual_seed(0)
    model = MLP(5, hidden=(8, 4), n_out=2, dropout=0.5)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    x = torch.randn(10, 5)
    assert model(x).shape == (10, 2)
    model.eval()
    torch.testing.assert_close(model(x), model(x))   # no dropout noise at evaluation
    model.train()
    assert not torch.equal(model(x), model(x))       # dropout is random while training
    assert len(MLP(3, hidden=(), n_out=1)) == 1      # no hidden layer: logistic regression's shape
    with pytest.raises(ValueError, match="activation"):
        MLP(3, activation="swishy")
    with pytest.raises(ValueError, match="dropout"):
        MLP(3, dropout=1.0)
    with pytest.raises(ValueError, match="widths"):
        MLP(3, hidden=(0,))


def test_early_stopping_counts_patience_and_restores_the_best():
    model = torch.nn.Linear(2, 1)
    stopper = EarlyStopping(patience=2, min_delta=0.01)
    decisions = []
    for epoch, val in enumerate([1.0, 0.8, 0.795, 0.9, 0.7, 0.75, 0.71]):
        with torch.no_grad():
            model.weight.fill_(epoch)
        decisions.append(stopper.step(val, model))
    # 0.795 is not better by more than min_delta; 0.7 resets patience; two bad epochs then stop
    assert decisions == [False, False, False, True, False, False, True]
    assert stopper.best == 0.7 and stopper.best_epoch == 4
    stopper.restore(model)
    assert model.weight.eq(4).all()
    up = EarlyStopping(patience=1, mode="max")
    assert not up.step(0.6) and up.step(0.5) and up.best == 0.6
    assert not EarlyStopping().step(float("nan")) and EarlyStopping().improved(float("nan")) is False


def test_early_stopping_rejects_bad_arguments():
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(RuntimeError, match="no best weights"):
        EarlyStopping().restore(torch.nn.Linear(1, 1))
