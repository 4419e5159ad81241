"""The hand-written MLP passes (depthkit.engine.fused: plain and train-mode batch norm) against autograd
through models.forward, the trainer's graph-free step against autograd, and the trainer's
validation points riding along in the training pass against a separate evaluation."""

import itertools

import numpy as np
import pytest
import torch

from depthkit import ModelSettings, TrainSettings, train, train_many
from depthkit.engine.fused import ACTIVATIONS, loss_and_gradients, mlp_logits, supports
from depthkit.engine.models import bce_per_model, forward, init_buffers, init_params
from depthkit.engine.stacked import StackedRun


@pytest.mark.parametrize("activation, residual, depth", itertools.product(ACTIVATIONS, [False, True], [1, 4]))
def test_fused_logits_and_gradients_equal_autograd(activation, residual, depth):
    model = ModelSettings(depth=depth, width=8, activation=activation, residual=residual)
    gen = torch.Generator().manual_seed(depth)
    x = torch.randn(3, 50, 2, generator=gen, dtype=torch.float64)
    y = (torch.rand(3, 40, generator=gen) > 0.5).double()
    out = []
    for fused in (True, False):
        params = init_params([model] * 3, [0, 1, 2], 2, torch.float64)
        for p in params.values():
            p.requires_grad_(True)
        logits = (mlp_logits(params, x, activation, residual, n_grad=40) if fused
                  else forward(params, x, model, fused=False)[0])
        bce_per_model(logits[:, :40], y).sum().backward()  # the last 10 points: forward only
        out.append((logits.detach(), {n: p.grad for n, p in params.items()}))
    (a, grads_a), (b, grads_b) = out
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    assert grads_a.keys() == grads_b.keys()
    for name in grads_a:
        torch.testing.assert_close(grads_a[name], grads_b[name], rtol=1e-10, atol=1e-14, msg=name)


def test_only_plain_models_are_fused():
    assert supports("none", 0.0, "tanh")
    assert not supports("batch", 0.0, "tanh")
    assert not supports("none", 0.1, "relu")
    assert not supports("none", 0.0, "gelu")


@pytest.mark.parametrize("batch_size", [0, 64])
def test_validation_riding_along_equals_a_separate_evaluation(moons, batch_size):
    model = ModelSettings(depth=5, width=16, activation="tanh")
    run = StackedRun([(model, TrainSettings(seed=s, batch_size=batch_size), moons) for s in range(2)])
    assert run.val_rides_along
    xb, yb = run.batch()
    loss, _, grads, (vl, va) = run.gradients_and_val(xb, yb)
    loss2, _, grads2 = run.gradients(xb, yb)
    el, ea = run.evaluate(run.X_val, run.y_val)
    # bitwise: one matmul per layer over both sets computes each row as the separate passes do
    assert torch.equal(vl, el) and torch.equal(va, ea)
    assert torch.equal(loss, loss2)
    for name in grads:
        assert torch.equal(grads[name], grads2[name]), name


def test_recording_less_trains_the_same_models(moons):
    """record="loss" skips the validation points; the training itself is bitwise the same."""
    model = ModelSettings(depth=6, width=16, activation="relu")
    runs = [(model, TrainSettings(steps=30, seed=s), moons) for s in (0, 1)]
    for full, lean in zip(train_many(runs), train_many(runs, record="loss")):
        np.testing.assert_array_equal(full.loss, lean.loss)
        np.testing.assert_array_equal(full.params["W_hid"], lean.params["W_hid"])


@pytest.mark.parametrize("norm", ["none", "batch"])
def test_trainer_with_and_without_fusing_agrees_in_float64(moons, monkeypatch, norm):
    """Step after step: with batch norm the fused trainer reuses one table of per-layer vectors
    (fused.NormRows) and copies the running statistics back, which the evaluation reads."""
    model = ModelSettings(depth=6, width=16, activation="tanh", residual=True, norm=norm)
    ts = TrainSettings(steps=40, lr=1e-2, dtype="float64", seed=3)
    fused = train(model, ts, moons)
    monkeypatch.setattr("depthkit.engine.fused.supports", lambda *a, **k: False)
    plain = train(model, ts, moons)
    for name in ("loss", "val_loss", "val_acc", "grad_norm", "layer_grad_norms", "update_ratio",
                 "final_val_loss"):
        np.testing.assert_allclose(getattr(fused, name), getattr(plain, name), rtol=1e-9, err_msg=name)
    for name in fused.buffers:
        np.testing.assert_allclose(fused.buffers[name], plain.buffers[name], rtol=1e-9, err_msg=name)


@pytest.mark.parametrize("activation, residual, depth", itertools.product(ACTIVATIONS, [False, True], [1, 4]))
def test_fused_batch_norm_equals_autograd_bitwise(activation, residual, depth):
    """Train-mode batch norm by hand: logits, gradients and running statistics as autograd's."""
    model = ModelSettings(depth=depth, width=8, activation=activation, residual=residual, norm="batch")
    gen = torch.Generator().manual_seed(depth)
    x = torch.randn(3, 40, 2, generator=gen)
    y = (torch.rand(3, 40, generator=gen) > 0.5).float()
    out = []
    for fused in (True, False):
        params = init_params([model] * 3, [0, 1, 2], 2)
        with torch.no_grad():  # scales and shifts away from 1 and 0
            params["gamma"].uniform_(0.5, 1.5, generator=torch.Generator().manual_seed(1))
            params["beta"].uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(2))
        buffers = init_buffers(params, model)
        for p in params.values():
            p.requires_grad_(True)
        logits = forward(params, x, model, buffers, training=True, fused=fused)[0]
        bce_per_model(logits, y).sum().backward()
        out.append((logits.detach(), {n: p.grad for n, p in params.items()}, buffers))
    (a, grads_a, bufs_a), (b, grads_b, bufs_b) = out
    assert torch.equal(a, b)
    assert grads_a.keys() == grads_b.keys() and "gamma" in grads_a
    for name in grads_a:
        assert torch.equal(grads_a[name], grads_b[name]), name
    untouched = init_buffers(init_params([model] * 3, [0, 1, 2], 2), model)
    for name in bufs_a:
        assert torch.equal(bufs_a[name], bufs_b[name]), name
        assert not torch.equal(bufs_a[name], untouched[name]), name  # the running statistics moved


def test_batch_norm_is_fused_only_in_training_mode():
    assert supports("batch", 0.0, "relu", training=True)
    assert not supports("batch", 0.0, "relu", training=False)
    assert not supports("batch", 0.1, "relu", training=True)
    assert not supports("layer", 0.0, "relu", training=True)


@pytest.mark.parametrize("norm, n_val", [("none", 0), ("none", 7), ("batch", 0)])
def test_gradients_without_a_graph_equal_autograd_bitwise(norm, n_val):
    """loss_and_gradients (the trainer's step) against autograd through mlp_logits, a model masked."""
    model = ModelSettings(depth=3, width=8, activation="tanh", residual=True, norm=norm)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 30 + n_val, 2, generator=gen)
    y = (torch.rand(3, 30, generator=gen) > 0.5).float()
    active = torch.tensor([True, False, True])
    params = init_params([model] * 3, [0, 1, 2], 2)
    for p in params.values():
        p.requires_grad_(True)
    buffers_a, buffers_b = init_buffers(params, model), init_buffers(params, model)
    loss, logits, grads = loss_and_gradients(params, x, y, "tanh", True, buffers_a, active)
    both = mlp_logits(params, x, "tanh", True, n_grad=30, buffers=buffers_b)
    ref = bce_per_model(both[:, :30].contiguous(), y)
    torch.where(active, ref, torch.zeros_like(ref)).sum().backward()
    assert torch.equal(loss, ref.detach()) and torch.equal(logits, both.detach())
    for name, p in params.items():
        assert torch.equal(grads[name], p.grad), name
    assert not grads["W_in"][1].any()  # the masked model gets no gradient
    for name in buffers_a:
        assert torch.equal(buffers_a[name], buffers_b[name])
