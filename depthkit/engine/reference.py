"""The same MLP and training loop written as plain, per-model PyTorch.

This is the yardstick for depthkit's batched trainer: tests check that both
give the same losses and gradient norms, and `bench/train_speed.py` times
both on the same work. It is also what the "PyTorch code for this model"
snippet on each page builds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from depthkit.engine.data import Dataset
from depthkit.engine.models import LEAKY_SLOPE, NORM_EPS, ModelSettings
from depthkit.engine.train import DTYPES, TrainSettings

_ACTIVATION_MODULES: dict[str, Callable[[], nn.Module]] = {
    "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_SLOPE), "gelu": nn.GELU, "linear": nn.Identity,
}


class Block(nn.Module):
    """Linear -> norm -> activation -> dropout, with an optional skip connection."""

    def __init__(self, n_in: int, n_out: int, settings: ModelSettings, residual: bool):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        norms = {"batch": lambda: nn.BatchNorm1d(n_out, eps=NORM_EPS),
                 "layer": lambda: nn.LayerNorm(n_out, eps=NORM_EPS), "none": nn.Identity}
        self.norm = norms[settings.norm]()
        self.act = _ACTIVATION_MODULES[settings.activation]()
        self.drop = nn.Dropout(settings.dropout)
        self.residual = residual

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        out = self.drop(self.act(self.norm(self.linear(h))))
        return h + out if self.residual else out


def build_module(settings: ModelSettings, n_inputs: int = 2) -> nn.Sequential:
    """An nn.Sequential equal in structure to depthkit's model (weights not set)."""
    blocks = [Block(n_inputs, settings.width, settings, residual=False)]
    blocks += [Block(settings.width, settings.width, settings, settings.residual)
               for _ in range(settings.depth - 1)]
    return nn.Sequential(*blocks, nn.Linear(settings.width, 1))


@torch.no_grad()
def load_params(module: nn.Sequential, params: dict[str, np.ndarray]) -> None:
    """Copy one model's depthkit parameters (numpy, [in, out] layout) into `module`."""
    blocks: list[Any] = list(module)[:-1]  # Blocks
    weights = [params["W_in"]] + list(params.get("W_hid", []))
    biases = [params["b_in"]] + list(params.get("b_hid", []))
    for i, (block, w, b) in enumerate(zip(blocks, weights, biases)):
        block.linear.weight.copy_(torch.as_tensor(w).t())
        block.linear.bias.copy_(torch.as_tensor(b).reshape(-1))
        if "gamma" in params:
            block.norm.weight.copy_(torch.as_tensor(params["gamma"][i]).reshape(-1))
            block.norm.bias.copy_(torch.as_tensor(params["beta"][i]).reshape(-1))
    module[-1].weight.copy_(torch.as_tensor(params["W_out"]).t())  # type: ignore[operator]  # an nn.Linear
    module[-1].bias.copy_(torch.as_tensor(params["b_out"]).reshape(-1))  # type: ignore[operator]


def train_plain(module: nn.Module, settings: TrainSettings, dataset: Dataset) -> dict[str, np.ndarray]:
    """Full-batch training of one module; per-step loss, grad norms, per-layer grad norms.

    Mirrors depthkit's recording: norms in float64, measured before clipping.
    """
    dtype = DTYPES[settings.dtype]
    module = module.to(dtype)
    X = torch.as_tensor(dataset.X_train, dtype=dtype)
    y = torch.as_tensor(dataset.y_train, dtype=dtype)
    Xv = torch.as_tensor(dataset.X_val, dtype=dtype)
    yv = torch.as_tensor(dataset.y_val, dtype=dtype)
    params = list(module.parameters())
    opt: torch.optim.Optimizer
    if settings.optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum,
                              weight_decay=settings.weight_decay + settings.l2)
    elif settings.l2 > 0:
        if settings.weight_decay > 0:
            raise ValueError("train_plain: l2 together with AdamW weight_decay is not mirrored")
        opt = torch.optim.Adam(params, lr=settings.lr, weight_decay=settings.l2)  # coupled L2
    else:
        opt = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
    linears = [b.linear for b in list(module)[:-1]]  # type: ignore[call-overload]  # an nn.Sequential
    losses, val_losses, grad_norms, layer_norms = [], [], [], []
    for _ in range(settings.steps):
        module.train()
        loss = nn.functional.binary_cross_entropy_with_logits(module(X).squeeze(-1), y)
        opt.zero_grad()
        loss.backward()
        total = torch.sqrt(sum(torch.linalg.vector_norm(p.grad, dtype=torch.float64) ** 2
                               for p in params))
        layer_norms.append([float(torch.linalg.vector_norm(lin.weight.grad, dtype=torch.float64))
                            for lin in linears])
        if settings.clip_norm > 0:
            nn.utils.clip_grad_norm_(params, settings.clip_norm)
        module.eval()
        with torch.no_grad():
            val_losses.append(float(nn.functional.binary_cross_entropy_with_logits(
                module(Xv).squeeze(-1), yv)))
        opt.step()
        losses.append(float(loss.detach()))
        grad_norms.append(float(total))
    return {"loss": np.array(losses), "val_loss": np.array(val_losses),
            "grad_norm": np.array(grad_norms), "layer_grad_norms": np.array(layer_norms)}
