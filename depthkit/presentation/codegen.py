"""A short, runnable plain-PyTorch snippet that builds the network of a ModelSettings.

Shown on every page under "PyTorch code for this model"; a test executes it
and compares the parameter count with depthkit's own model.
"""

from __future__ import annotations

from depthkit.engine.models import LEAKY_SLOPE, NORM_EPS, ModelSettings

_ACT = {"sigmoid": "nn.Sigmoid()", "tanh": "nn.Tanh()", "relu": "nn.ReLU()",
        "leaky_relu": f"nn.LeakyReLU({LEAKY_SLOPE})", "gelu": "nn.GELU()", "linear": "nn.Identity()"}
_NORM = {"none": "nn.Identity()", "batch": f"nn.BatchNorm1d(n_out, eps={NORM_EPS})",
         "layer": f"nn.LayerNorm(n_out, eps={NORM_EPS})"}
_INIT = {
    "default": "        pass  # PyTorch's default: uniform(+-1/sqrt(fan_in)) for weights and biases",
    "xavier": "        nn.init.xavier_normal_(m.weight); nn.init.zeros_(m.bias)",
    "he": "        nn.init.kaiming_normal_(m.weight, nonlinearity='relu'); nn.init.zeros_(m.bias)",
}


def pytorch_snippet(settings: ModelSettings, n_inputs: int = 2) -> str:
    """Python source that defines `model`, an nn.Module equal in structure to depthkit's."""
    init = _INIT.get(settings.init)
    if init is None:  # "normal" with a gain
        init = (f"        nn.init.normal_(m.weight, 0.0, {settings.init_gain!r} / m.in_features ** 0.5)"
                "; nn.init.zeros_(m.bias)")
    return f'''import torch
from torch import nn


class Block(nn.Module):
    """Linear -> norm -> activation -> dropout, optionally with a skip connection."""

    def __init__(self, n_in, n_out, residual):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = {_NORM[settings.norm]}
        self.act = {_ACT[settings.activation]}
        self.drop = nn.Dropout({settings.dropout!r})
        self.residual = residual

    def forward(self, h):
        out = self.drop(self.act(self.norm(self.linear(h))))
        return h + out if self.residual else out


depth, width = {settings.depth}, {settings.width}
model = nn.Sequential(
    Block({n_inputs}, width, residual=False),
    *[Block(width, width, residual={settings.residual}) for _ in range(depth - 1)],
    nn.Linear(width, 1),  # one logit: train with nn.BCEWithLogitsLoss()
)
for m in model.modules():
    if isinstance(m, nn.Linear):
{init}

print(sum(p.numel() for p in model.parameters()), "parameters")
'''
