"""The "PyTorch code for this model" snippet runs and builds depthkit's network."""

import contextlib
import io

import numpy as np
import pytest
import torch

from depthkit.engine import reference
from depthkit.engine.models import ModelSettings, init_buffers, init_params, params_to_numpy, predict_proba
from depthkit.presentation.codegen import pytorch_snippet

CASES = [
    ModelSettings(),
    ModelSettings(depth=1, width=2, activation="linear"),
    ModelSettings(depth=20, width=16, activation="sigmoid", init="xavier"),
    ModelSettings(depth=12, width=48, activation="relu", init="he", norm="batch", residual=True),
    ModelSettings(depth=6, width=24, activation="tanh", init="normal", init_gain=2.5, norm="layer",
                  dropout=0.3),
    ModelSettings(depth=9, width=8, activation="leaky_relu", residual=True, dropout=0.5),
    ModelSettings(depth=3, width=64, activation="gelu", init="normal", init_gain=0.05),
]


def run_snippet(settings: ModelSettings) -> tuple[torch.nn.Module, str]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(pytorch_snippet(settings), "<snippet>", "exec"), namespace)  # noqa: S102
    return namespace["model"], out.getvalue()


@pytest.mark.parametrize("settings", CASES, ids=lambda s: f"{s.activation}-{s.depth}x{s.width}-{s.norm}")
def test_snippet_runs_and_counts_the_same_parameters(settings):
    torch.manual_seed(0)
    model, printed = run_snippet(settings)
    n = sum(p.numel() for p in model.parameters())
    depthkit_params = init_params([settings], [0], n_inputs=2)
    assert n == settings.n_params()
    assert n == sum(t.numel() for t in depthkit_params.values())
    assert n == sum(p.numel() for p in reference.build_module(settings).parameters())
    assert printed.strip() == f"{n} parameters"


@pytest.mark.parametrize("settings", CASES, ids=lambda s: f"{s.activation}-{s.depth}x{s.width}-{s.norm}")
def test_snippet_computes_what_depthkit_computes_with_the_same_weights(settings):
    model, _ = run_snippet(settings)
    params = init_params([settings], [3], n_inputs=2)
    buffers = init_buffers(params, settings)
    p_np, b_np = params_to_numpy(params, 0), params_to_numpy(buffers, 0) if buffers else None
    reference.load_params(model, p_np)  # the snippet's Blocks have the reference's attribute names
    X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    with torch.no_grad():
        ours = torch.sigmoid(model.eval()(torch.as_tensor(X))[:, 0]).double().numpy()
    np.testing.assert_allclose(ours, predict_proba(settings, p_np, X, b_np), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("init,expected_std", [("he", np.sqrt(2 / 128)), ("xavier", np.sqrt(2 / 256)),
                                               ("normal", 3.0 / np.sqrt(128))])
def test_snippet_draws_weights_like_depthkit(init, expected_std):
    settings = ModelSettings(depth=4, width=128, init=init, init_gain=3.0)
    torch.manual_seed(1)
    model, _ = run_snippet(settings)
    w = model[1].linear.weight.detach().numpy()
    theirs = init_params([settings], [1], n_inputs=2)["W_hid"][0, 0].numpy()
    assert abs(w.std() / expected_std - 1) < 0.05
    assert abs(theirs.std() / expected_std - 1) < 0.05
    assert np.all(model[1].linear.bias.detach().numpy() == 0)
