"""The activations the app offers and their derivatives: one static figure, no Result, no training.

Computed from the real functions (`depthkit.engine.models.activate`, the same code the
networks run) with torch autograd on a grid of inputs, so the slopes drawn are
the slopes the backward pass multiplies by.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

from depthkit.core import fmt
from depthkit.engine.models import ACTIVATIONS, activate
from depthkit.presentation.charts.common import NEUTRAL, layout, series_style

X_RANGE = (-5.0, 5.0)
N_POINTS = 1001  # includes 0 exactly
NAMES = {"sigmoid": "sigmoid σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU",
         "gelu": "GELU", "linear": "linear"}
SHOWN = tuple(a for a in ACTIVATIONS if a != "linear")  # linear is the identity: slope 1 everywhere


def curves(activation: str, x: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, f(x), f'(x)) in float64, f' by autograd through `models.activate`."""
    x = np.linspace(*X_RANGE, N_POINTS) if x is None else np.asarray(x, dtype=np.float64)
    z = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = activate(z.clone(), activation)  # activate may work in place (tanh): give it a copy
    (slope,) = torch.autograd.grad(y.sum(), z)
    return x, y.detach().numpy(), slope.numpy()


def figure(activations: tuple[str, ...] = SHOWN) -> go.Figure:
    """Each activation (left) and its derivative (right) over [-5, 5]."""
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12)
    for k, name in enumerate(activations):
        x, y, slope = curves(name)
        style = series_style(k)
        label = NAMES[name]
        for col, values, what in ((1, y, "f"), (2, slope, "f′")):
            fig.add_trace(dict(type="scatter", x=x, y=values, mode="lines", name=label, legendgroup=name,
                               showlegend=col == 1, line=style["line"], customdata=fmt.nums(values),
                               hovertemplate=f"x = %{{x:.2f}}: {what} = %{{customdata}}"
                                             f"<extra>{label}</extra>"),
                          row=1, col=col)
    fig.add_hline(y=0.25, line=dict(color=NEUTRAL, dash="dash", width=1), row=1, col=2,
                  annotation_text="σ′ ≤ 0.25", annotation_position="bottom right")
    fig.add_hline(y=1.0, line=dict(color=NEUTRAL, dash="dot", width=1), row=1, col=2)
    fig.update_xaxes(title_text="pre-activation z", row=1, col=2)
    fig.update_yaxes(title_text="slope f′(z)", row=1, col=2)
    return layout(fig, "Activations f(z) (left) and their slopes f′(z) (right)", "pre-activation z", "f(z)")
