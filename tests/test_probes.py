"""Probes at initialization: gradient and signal norms, saturation."""

import numpy as np
import pytest
import torch

from depthkit import ModelSettings, probe_at_init
from depthkit.engine.models import forward, init_params
from depthkit.engine.probes import probe, saturated_fraction


def test_sigmoid_vanishes_relu_he_does_not(moons):
    sig, he = probe_at_init([ModelSettings(depth=20, activation="sigmoid"),
                             ModelSettings(depth=20, activation="relu", init="he")], [0, 0], moons)
    assert sig.weight_grad_ratio < 1e-10 and sig.signal_ratio < 1e-10
    assert 0.05 < he.weight_grad_ratio < 20 and 0.05 < he.signal_ratio < 20


def test_signal_norms_match_autograd():
    s = ModelSettings(depth=3, width=5, activation="tanh")
    params = init_params([s], [0], 2, torch.float64)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), (rng.random(20) > 0.5).astype(float)
    res = probe(s, params, X, y)[0]
    p = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    _, hidden = forward(p, torch.tensor(X)[None], s, keep_hidden=True, training=True)
    logits, hidden = forward(p, torch.tensor(X)[None], s, keep_hidden=True, training=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[0], torch.tensor(y))
    grads = torch.autograd.grad(loss, hidden)
    np.testing.assert_allclose(res.signal_grad_norms, [float(g.norm()) for g in grads], rtol=1e-10)


def test_saturation_counts_dead_relus_and_saturated_sigmoids(moons):
    dead = ModelSettings(depth=3, width=16, activation="relu", init="normal", init_gain=0.05)
    sat = ModelSettings(depth=3, width=16, activation="sigmoid", init="normal", init_gain=8.0)
    a, b = probe_at_init([dead, sat], [0, 0], moons)
    assert b.saturated.mean() > 0.3
    assert np.all((a.saturated >= 0) & (a.saturated <= 1))


def test_saturated_means_a_derivative_under_a_tenth_of_its_peak():
    """The one rule for sigmoid and tanh: sigmoid' = s(1 - s) under 0.025, tanh' = 1 - t² under 0.1."""
    s = torch.tensor([0.02, 0.03, 0.5, 0.97, 0.98], dtype=torch.float64)
    sig = (s * (1 - s) < 0.25 / 10).to(torch.float64)
    assert sig.tolist() == [1, 0, 0, 0, 1]  # 0.05 (the old band) has slope 0.0475: 19% of the peak
    assert float(saturated_fraction(s.reshape(1, 1, -1), "sigmoid")) == pytest.approx(float(sig.mean()))
    t = torch.tensor([-0.96, -0.94, 0.0, 0.94, 0.96], dtype=torch.float64)
    tan = (1 - t ** 2 < 1 / 10).to(torch.float64)
    assert tan.tolist() == [1, 0, 0, 0, 1]
    assert float(saturated_fraction(t.reshape(1, 1, -1), "tanh")) == pytest.approx(float(tan.mean()))


def test_one_seed_per_model_required(moons):
    with pytest.raises(ValueError, match="one seed per model"):
        probe_at_init([ModelSettings()], [0, 1], moons)
