"""MLPs as stacked tensors, so that K same-shaped models run as one computation.

A model with `depth` hidden layers of `width` units maps 2-D points to one
logit (binary classification). Hidden layer l computes

    z_l = h_{l-1} W_l + b_l  ->  norm (optional)  ->  activation  ->  dropout
    h_l = h_{l-1} + that      (residual, layers 2..depth, when enabled)
    h_l = that                (otherwise)

and the output layer is a plain linear map of h_depth. For K models, the
weights of every layer are stacked along a leading model axis and multiplied
with `torch.baddbmm`; hidden layers 2..depth live in one tensor
`W_hid[K, depth-1, width, width]` that the forward pass `unbind`s, so the
optimizer and the per-layer norms touch a handful of large tensors instead of
hundreds of small ones. `depthkit.engine.reference` builds the same network as a
plain `nn.Module` and is used to check this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from depthkit.core.spec import Settings, param
from depthkit.engine import fused as plain_mlp

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu", "linear")
INITS = ("default", "xavier", "he", "normal")
NORMS = ("none", "batch", "layer")
BN_MOMENTUM = plain_mlp.BN_MOMENTUM  # as torch.nn.BatchNorm1d
NORM_EPS = plain_mlp.NORM_EPS
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class ModelSettings(Settings):
    # number of hidden layers
    depth: int = param(4, lo=1, hi=64, label="Hidden layers (depth)")
    # units per hidden layer
    width: int = param(32, lo=2, hi=256, label="Units per layer (width)")
    activation: str = param("relu", choices=ACTIVATIONS, label="Activation")
    # default = PyTorch's nn.Linear default (uniform, +-1/sqrt(fan_in), biases too);
    # xavier = N(0, 2/(fan_in+fan_out)); he = N(0, 2/fan_in);
    # normal = N(0, init_gain^2/fan_in); the last three with zero biases
    init: str = param("default", choices=INITS, label="Initialization")
    # the gain g of init="normal" (He is g = sqrt(2) ~ 1.41)
    init_gain: float = param(1.0, lo=0.05, hi=8.0, label="Init gain g")
    norm: str = param("none", choices=NORMS, label="Normalization")
    # skip connections h_l = h_{l-1} + f(h_{l-1}) on hidden layers 2..depth
    residual: bool = param(False, label="Residual connections")
    # probability of zeroing a hidden unit during training
    dropout: float = param(0.0, lo=0.0, hi=0.9, label="Dropout p")

    def n_params(self, n_inputs: int = 2) -> int:
        """Trainable parameters: weights, biases and normalization scales/shifts."""
        count = n_inputs * self.width + self.width
        count += (self.depth - 1) * (self.width * self.width + self.width)
        count += self.width + 1
        if self.norm != "none":
            count += 2 * self.depth * self.width
        return count


class _FastTanh(torch.autograd.Function):
    """tanh(x) = 2 sigmoid(2x) - 1.

    This CPU build's vectorized tanh runs about 3x slower than its sigmoid
    (measured: 690 vs 220 us on 256k floats), and tanh dominates a deep tanh
    network's step. The result differs from torch.tanh by float rounding only.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        # in place: x is a fresh pre-activation that nothing else reads, and
        # skipping three 1 MB allocations per layer is measurably faster
        y = x.mul_(2).sigmoid_().mul_(2).sub_(1)
        ctx.mark_dirty(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:
        (y,) = ctx.saved_tensors
        return torch.ops.aten.tanh_backward(grad, y)


def activate(z: torch.Tensor, activation: str) -> torch.Tensor:
    if activation == "sigmoid":
        return torch.sigmoid(z)
    if activation == "tanh":
        return _FastTanh.apply(z) if z.device.type == "cpu" else torch.tanh(z)
    if activation == "relu":
        return torch.relu(z)
    if activation == "leaky_relu":
        return torch.nn.functional.leaky_relu(z, LEAKY_SLOPE)
    if activation == "gelu":
        return torch.nn.functional.gelu(z)
    return z


def _init_layer(fan_in: int, fan_out: int, settings: ModelSettings,
                gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One layer's (W [fan_in, fan_out], b [fan_out]) for one model, float32."""
    w = torch.empty(fan_out, fan_in)  # nn.Linear's layout, drawn in its order
    b = torch.zeros(fan_out)
    if settings.init == "default":
        bound = 1.0 / math.sqrt(fan_in)
        w.uniform_(-bound, bound, generator=gen)
        b.uniform_(-bound, bound, generator=gen)
    else:
        if settings.init == "xavier":
            std = math.sqrt(2.0 / (fan_in + fan_out))
        elif settings.init == "he":
            std = math.sqrt(2.0 / fan_in)
        else:
            std = settings.init_gain / math.sqrt(fan_in)
        w.normal_(0.0, std, generator=gen)
    return w.t().contiguous(), b


def init_params(settings: list[ModelSettings], seeds: list[int], n_inputs: int,
                dtype: torch.dtype = torch.float32, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Stacked initial parameters for K models of one shape (init may differ).

    Model k is drawn from its own generator seeded with `seeds[k]`, so it is
    the same model whatever else is in the batch.
    """
    first = settings[0]
    depth, width = first.depth, first.width
    per_model: dict[str, list[torch.Tensor]] = {"W_in": [], "b_in": [], "W_hid": [], "b_hid": [],
                                                "W_out": [], "b_out": []}
    for s, seed in zip(settings, seeds):
        gen = torch.Generator().manual_seed(int(seed))
        w, b = _init_layer(n_inputs, width, s, gen)
        per_model["W_in"].append(w)
        per_model["b_in"].append(b[None])
        ws, bs = [], []
        for _ in range(depth - 1):
            w, b = _init_layer(width, width, s, gen)
            ws.append(w)
            bs.append(b[None])
        if depth > 1:
            per_model["W_hid"].append(torch.stack(ws))
            per_model["b_hid"].append(torch.stack(bs))
        w, b = _init_layer(width, 1, s, gen)
        per_model["W_out"].append(w)
        per_model["b_out"].append(b[None])
    params = {name: torch.stack(ts).to(dtype=dtype, device=device)
              for name, ts in per_model.items() if ts}
    if first.norm != "none":
        k = len(settings)
        params["gamma"] = torch.ones(k, depth, 1, width, dtype=dtype, device=device)
        params["beta"] = torch.zeros(k, depth, 1, width, dtype=dtype, device=device)
    return params


def init_buffers(params: dict[str, torch.Tensor], settings: ModelSettings) -> dict[str, torch.Tensor]:
    """Batch-norm running statistics (empty for other norms)."""
    if settings.norm != "batch":
        return {}
    gamma = params["gamma"]
    return {"running_mean": torch.zeros_like(gamma), "running_var": torch.ones_like(gamma)}


def _normalize(z: torch.Tensor, layer: int, settings: ModelSettings, params: dict,
               buffers: dict, training: bool, update_stats: bool) -> torch.Tensor:
    gamma = params["gamma"][:, layer]
    beta = params["beta"][:, layer]
    if settings.norm == "layer":
        # torch's fused kernel; the per-model scale and shift are applied after it
        return torch.nn.functional.layer_norm(z, z.shape[-1:], eps=NORM_EPS) * gamma + beta
    if not training:
        mean = buffers["running_mean"][:, layer]
        var = buffers["running_var"][:, layer]
        return (z - mean) * torch.rsqrt(var + NORM_EPS) * gamma + beta
    k, n, w = z.shape
    # K models' batch norms as one: the model axis folds into the channels, so a
    # single fused kernel (forward, backward and the running statistics) replaces a
    # chain of elementwise ops and a separate pass for the statistics
    flat = z.transpose(0, 1).reshape(n, k * w)
    rm: Any  # running statistics: copies when update_stats, else None (the kernel updates none)
    rv: Any
    rm = rv = None
    if update_stats:  # contiguous copies for the kernel to update (this layer's slice is strided)
        rm = buffers["running_mean"][:, layer].reshape(k * w).clone()
        rv = buffers["running_var"][:, layer].reshape(k * w).clone()
    out = torch.nn.functional.batch_norm(flat, rm, rv, gamma.reshape(k * w), beta.reshape(k * w),
                                         training=True, momentum=BN_MOMENTUM, eps=NORM_EPS)
    if update_stats:
        with torch.no_grad():
            buffers["running_mean"][:, layer] = rm.view_as(buffers["running_mean"][:, layer])
            buffers["running_var"][:, layer] = rv.view_as(buffers["running_var"][:, layer])
    return out.view(n, k, w).transpose(0, 1)


def forward(params: dict[str, torch.Tensor], x: torch.Tensor, settings: ModelSettings,
            buffers: dict | None = None, training: bool = False,
            dropout_p: torch.Tensor | None = None, generators: list | None = None,
            update_stats: bool = True, keep_hidden: bool = False, fused: bool = True,
            ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Logits [K, N] for inputs x [K, N, n_inputs]; optionally every h_l [K, N, width].

    `training` selects batch statistics and dropout. Dropout masks come from
    the per-model `generators`, with per-model probability `dropout_p` [K].
    A model without dropout, plain or (in training mode) with batch norm, goes
    through `depthkit.engine.fused` unless `fused` is False or the hidden layers are
    asked for.
    """
    if fused and not keep_hidden and plain_mlp.supports(settings.norm, settings.dropout, settings.activation,
                                                        training):
        stats = buffers if settings.norm == "batch" and update_stats else None
        return plain_mlp.mlp_logits(params, x, settings.activation, settings.residual, buffers=stats), []
    buffers = buffers or {}
    hidden: list[torch.Tensor] = []
    hid_w = params["W_hid"].unbind(1) if "W_hid" in params else ()
    hid_b = params["b_hid"].unbind(1) if "b_hid" in params else ()
    weights = (params["W_in"],) + tuple(hid_w)
    biases = (params["b_in"],) + tuple(hid_b)
    use_dropout = training and dropout_p is not None and settings.dropout > 0
    h = x
    for layer, (w, b) in enumerate(zip(weights, biases)):
        z = torch.bmm(h, w).add_(b)  # in place: cheaper than baddbmm's broadcast copy
        if settings.norm != "none":
            z = _normalize(z, layer, settings, params, buffers, training, update_stats)
        a = activate(z, settings.activation)
        if use_dropout:
            a = a * _dropout_mask(a, dropout_p, generators)  # type: ignore[arg-type]  # use_dropout: p given
        h = h + a if (settings.residual and layer > 0) else a
        if keep_hidden:
            hidden.append(h)
    logits = torch.baddbmm(params["b_out"], h, params["W_out"]).squeeze(-1)
    return logits, hidden


def _dropout_mask(a: torch.Tensor, p: torch.Tensor, generators: list) -> torch.Tensor:
    """Inverted-dropout masks, one generator per model so a model's draws are its own."""
    k, n, w = a.shape
    noise = torch.stack([torch.rand(n, w, generator=g) for g in generators]).to(a)
    keep = 1.0 - p.view(k, 1, 1)
    return (noise < keep).to(a.dtype) / keep


def bce_per_model(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of each model [K] (logits, y: [K, N])."""
    losses = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return losses.mean(dim=1)


def layer_weights(params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The hidden layers' weight tensors in order, for per-layer statistics."""
    out = [params["W_in"]]
    if "W_hid" in params:
        out.append(params["W_hid"])
    return out


def per_layer_norms(tensors: list[torch.Tensor]) -> torch.Tensor:
    """[K, depth] float64 Frobenius norms of W_in and each slice of W_hid."""
    parts = [torch.linalg.vector_norm(tensors[0], dim=(1, 2), dtype=torch.float64)[:, None]]
    if len(tensors) > 1:
        parts.append(torch.linalg.vector_norm(tensors[1], dim=(2, 3), dtype=torch.float64))
    return torch.cat(parts, dim=1)


def params_to_numpy(params: dict[str, torch.Tensor], k: int) -> dict[str, np.ndarray]:
    """Model k's parameters (and buffers) as numpy arrays, model axis removed."""
    return {name: t[k].detach().cpu().numpy().copy() for name, t in params.items()}


def params_from_numpy(models: list[dict[str, np.ndarray]], dtype: torch.dtype = torch.float32,
                      device: str = "cpu") -> dict[str, torch.Tensor]:
    """Stack per-model numpy parameters back into tensors."""
    return {name: torch.as_tensor(np.stack([m[name] for m in models]), dtype=dtype, device=device)
            for name in models[0]}


def predict_proba(settings: ModelSettings, params: dict[str, np.ndarray], X: np.ndarray,
                  buffers: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """P(class 1) of one model (numpy parameters) for points X [N, 2], eval mode."""
    dtype = torch.float64 if params["W_in"].dtype == np.float64 else torch.float32
    stacked = params_from_numpy([params], dtype)
    bufs = params_from_numpy([buffers], dtype) if buffers else {}
    with torch.no_grad():
        logits, _ = forward(stacked, torch.as_tensor(X, dtype=dtype)[None], settings, bufs)
    return torch.sigmoid(logits[0]).double().numpy()
