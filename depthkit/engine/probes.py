"""Statistics of a network on one batch, without training.

For each hidden layer l (h_l = its output) a probe reports the activation
mean and standard deviation, the saturated fraction, the gradient norm of the
layer's weight matrix ||dL/dW_l||, and the norm of the backpropagated signal
||dL/dh_l||. Batch norm uses batch statistics (as in training); dropout is
off. Norms are computed in float64.

Saturation, one rule for both: the derivative is under a tenth of its peak.
For the sigmoid, s(1 - s) < 0.025 means outputs within (1 - sqrt(0.9)) / 2
~ 0.026 of 0 or 1; for tanh, 1 - t^2 < 0.1 means |t| > sqrt(0.9) ~ 0.949.
Counted over units and points; for ReLU-like activations, the share of units that are inactive
(<= 0) on every point of the batch ("dead" units); none for linear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from depthkit.engine import budget
from depthkit.engine.data import Dataset
from depthkit.engine.models import ModelSettings, bce_per_model, forward, init_params, per_layer_norms
from depthkit.engine.train import DTYPES

SATURATED_SLOPE = 0.1  # saturated: the derivative is under this fraction of its peak
SIGMOID_BAND = (1 - math.sqrt(1 - SATURATED_SLOPE)) / 2  # sigmoid' = s(1 - s) = 0.25 * SATURATED_SLOPE here
TANH_BAND = math.sqrt(1 - SATURATED_SLOPE)  # tanh' = 1 - t^2 = SATURATED_SLOPE here


@dataclass
class ProbeResult:
    act_mean: np.ndarray  # [depth]
    act_std: np.ndarray  # [depth]
    saturated: np.ndarray  # [depth] fraction in [0, 1]
    weight_grad_norms: np.ndarray  # [depth] ||dL/dW_l||
    signal_grad_norms: np.ndarray  # [depth] ||dL/dh_l||
    loss: float

    @property
    def weight_grad_ratio(self) -> float:
        """First over last hidden layer's weight-gradient norm."""
        return first_last_ratio(self.weight_grad_norms)

    @property
    def signal_ratio(self) -> float:
        """||dL/dh_1|| / ||dL/dh_L||: how much the backward signal shrank (<1) or grew (>1)."""
        return first_last_ratio(self.signal_grad_norms)


def first_last_ratio(values: np.ndarray) -> float:
    """values[0] / values[-1] in float64 (first hidden layer over last); 0/0 gives nan."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(values[0]) / np.float64(values[-1]))


def saturated_fraction(h: torch.Tensor, activation: str) -> torch.Tensor:
    """[K] share of saturated (or dead) units of one layer's output h [K, N, W]."""
    if activation == "sigmoid":
        return ((h < SIGMOID_BAND) | (h > 1 - SIGMOID_BAND)).to(torch.float64).mean(dim=(1, 2))
    if activation == "tanh":
        return (h.abs() > TANH_BAND).to(torch.float64).mean(dim=(1, 2))
    if activation in ("relu", "leaky_relu", "gelu"):
        return (h <= 0).all(dim=1).to(torch.float64).mean(dim=1)
    return torch.zeros(h.shape[0], dtype=torch.float64, device=h.device)


def probe(settings: ModelSettings, params: dict[str, torch.Tensor], X: np.ndarray,
          y: np.ndarray) -> list[ProbeResult]:
    """Probe K stacked models (params as from models.init_params) on one batch X, y."""
    k = params["W_in"].shape[0]
    dtype = params["W_in"].dtype
    device = params["W_in"].device
    params = {n: p.detach().clone().requires_grad_(True) for n, p in params.items()}
    x = torch.as_tensor(X, dtype=dtype, device=device).expand(k, -1, -1)
    yy = torch.as_tensor(y, dtype=dtype, device=device).expand(k, -1)
    logits, hidden = forward(params, x, settings, {}, training=True, update_stats=False,
                             keep_hidden=True)
    for h in hidden:
        h.retain_grad()
    loss = bce_per_model(logits, yy)
    loss.sum().backward()
    f64 = torch.float64
    with torch.no_grad():
        # a residual block's input and output are the same tensor path, so measure
        # the activation itself (h_l - h_{l-1}) for saturation
        acts = [hidden[0]] + [h - hp if settings.residual else h for hp, h in zip(hidden, hidden[1:])]
        mean = torch.stack([a.to(f64).mean(dim=(1, 2)) for a in acts], dim=1)
        std = torch.stack([a.to(f64).std(dim=(1, 2)) for a in acts], dim=1)
        sat = torch.stack([saturated_fraction(a, settings.activation) for a in acts], dim=1)
        signal = torch.stack([torch.linalg.vector_norm(h.grad, dim=(1, 2), dtype=f64)
                              for h in hidden], dim=1)
        wgrad = per_layer_norms([params[n].grad for n in ("W_in", "W_hid") if n in params])  # type: ignore[misc]
    out = []
    for j in range(k):
        out.append(ProbeResult(mean[j].cpu().numpy(), std[j].cpu().numpy(), sat[j].cpu().numpy(),
                               wgrad[j].cpu().numpy(), signal[j].cpu().numpy(), float(loss[j].detach())))
    return out


def probe_at_init(models: list[ModelSettings], seeds: list[int], dataset: Dataset,
                  n_points: int = 500, dtype: str = "float32") -> list[ProbeResult]:
    """Probe freshly initialized models on the first `n_points` training points.

    Models of the same shape are probed together; results come back in order.
    """
    if len(models) != len(seeds):
        raise ValueError("probe_at_init needs one seed per model")
    for m in models:
        if not isinstance(m, ModelSettings):
            raise ValueError(f"expected ModelSettings, got {type(m).__name__}")
    X, y = dataset.X_train[:n_points], dataset.y_train[:n_points]
    flops = sum(3 * budget.forward_flops(len(y), dataset.n_inputs, m.depth, m.width) for m in models)
    budget.check_budget(flops, f"Probing {len(models)} model(s)")
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(models):
        groups.setdefault((m.depth, m.width, m.activation, m.norm, m.residual), []).append(i)
    results: list[ProbeResult | None] = [None] * len(models)
    for idx in groups.values():
        params = init_params([models[i] for i in idx], [seeds[i] for i in idx], dataset.n_inputs,
                             DTYPES[dtype])
        for i, res in zip(idx, probe(models[idx[0]], params, X, y)):
            results[i] = res
    return results  # type: ignore[return-value]
