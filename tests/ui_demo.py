"""A small Settings class and a cheap deterministic experiment for testing depthkit.ui.

Used by the AppTest tests of the URL round-trip (tests/test_ui.py) and by the
browser tests, which serve tests/ui_demo_app.py with `streamlit run`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthkit.core.spec import Settings, param
from depthkit.engine.models import ModelSettings


@dataclass(frozen=True)
class DemoSettings(Settings):
    # one widget of every kind ui.controls draws
    depth: int = param(8, lo=1, hi=64, label="Hidden layers (depth)")  # slider
    gain: float = param(1.0, lo=0.1, hi=4.0, options=(0.5, 1.0, 1.41, 2.0), label="Init gain")  # discrete
    activation: str = param("tanh", choices=("tanh", "relu", "sigmoid"), label="Activation")  # selectbox
    residual: bool = param(False, label="Residual connections")  # toggle
    seed: int = param(0, lo=0, hi=100_000, label="Seed")  # number_input (range > 1000)
    noise: float = param(0.1, lo=0.0, hi=0.5, label="Input noise")  # float slider

    def check(self) -> None:
        if self.activation == "sigmoid" and self.residual and self.depth > 48:
            raise ValueError("demo: sigmoid with residual connections allows at most 48 layers")


PRESETS = {"Deep tanh": {"depth": 40}, "ReLU, He gain": {"activation": "relu", "gain": 1.41}}


@dataclass(frozen=True)
class DemoResult:
    signal_std: np.ndarray  # [depth] std of the hidden signal after each layer
    final_std: float


CALLS: list[DemoSettings] = []  # every computation, so tests can tell a cache hit from a run


def run(s: DemoSettings) -> DemoResult:
    """Push random points through a random MLP and record the signal's spread per layer."""
    CALLS.append(s)
    rng = np.random.default_rng(s.seed)
    width = 32
    h = rng.normal(size=(256, width)) * (1 + s.noise)
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
           "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[s.activation]
    stds = []
    for _ in range(s.depth):
        w = rng.normal(size=(width, width)) * s.gain / np.sqrt(width)
        out = act(h @ w)
        h = h + out if s.residual else out
        stds.append(float(h.std()))
    stds = np.array(stds)
    return DemoResult(stds, float(stds[-1]))


def summary(r: DemoResult) -> str:
    return f"The signal's spread after the last layer is **{r.final_std:.6g}**."


def model_of(s: DemoSettings) -> ModelSettings:
    return ModelSettings(depth=s.depth, activation=s.activation,
                         residual=s.residual)
