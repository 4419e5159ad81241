"""The stacked MLP: parameter counts, initialization scales, forward pass vs nn.Module."""

import math

import numpy as np
import pytest
import torch

from depthkit import ModelSettings
from depthkit.engine.models import ACTIVATIONS, forward, init_params, params_to_numpy, predict_proba
from depthkit.engine.reference import build_module, load_params


@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
def test_parameter_count_matches_torch_module(norm):
    s = ModelSettings(depth=5, width=16, norm=norm, residual=True)
    module = build_module(s)
    assert s.n_params() == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("init, std", [("he", math.sqrt(2 / 128)), ("normal", 2.5 / math.sqrt(128)),
                                       ("xavier", math.sqrt(2 / 256))])
def test_init_scales(init, std):
    s = ModelSettings(depth=3, width=128, init=init, init_gain=2.5)
    p = init_params([s], [0], 2)
    w = p["W_hid"][0].flatten()
    assert abs(float(w.std()) - std) / std < 0.03
    assert float(p["b_hid"].abs().max()) == 0.0


def test_default_init_is_pytorch_linear_uniform():
    s = ModelSettings(depth=2, width=64)
    w = init_params([s], [0], 2)["W_hid"][0]
    bound = 1 / math.sqrt(64)
    assert float(w.abs().max()) <= bound and float(w.abs().max()) > 0.95 * bound


def test_a_model_does_not_depend_on_its_batch():
    s = ModelSettings(depth=3, width=8)
    alone = init_params([s], [5], 2)
    together = init_params([s, s, s], [1, 5, 9], 2)
    for name in alone:
        torch.testing.assert_close(alone[name][0], together[name][1], rtol=0, atol=0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("norm, residual", [("none", False), ("batch", True), ("layer", False)])
def test_forward_matches_torch_module(activation, norm, residual):
    s = ModelSettings(depth=4, width=8, activation=activation, norm=norm, residual=residual)
    params = init_params([s, s], [0, 1], 2, torch.float64)
    x = torch.randn(2, 30, 2, dtype=torch.float64)
    logits, hidden = forward(params, x, s, {}, training=True, update_stats=False, keep_hidden=True)
    assert logits.shape == (2, 30) and len(hidden) == 4
    for k in range(2):
        module = build_module(s).double().train()
        load_params(module, params_to_numpy(params, k))
        torch.testing.assert_close(logits[k], module(x[k]).squeeze(-1), rtol=1e-10, atol=1e-12)


def test_predict_proba_is_a_probability():
    s = ModelSettings(depth=2, width=8)
    params = params_to_numpy(init_params([s], [0], 2), 0)
    p = predict_proba(s, params, np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32))
    assert p.shape == (50,) and np.all((p > 0) & (p < 1))
