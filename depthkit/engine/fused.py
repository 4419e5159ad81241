"""A stacked MLP without dropout, plain or with training-mode batch norm, forward and backward by hand.

`mlp_logits(params, x, activation, residual, n_grad, buffers)` gives the same
logits as `models.forward` for such a model, as one autograd Function with a
hand-written backward; `loss_and_gradients` is the trainer's step without any
autograd graph (the same forward, the loss's gradient, the same backward).

- only the first `n_grad` points of x get a backward pass: the points after
  them (the validation set, appended by the trainer to a plain model's batch)
  share each layer's one matmul in the forward pass and cost nothing in the
  backward pass;
- the activation is applied in place on each layer's fresh pre-activation,
  and its derivative is taken from the output (tanh: 1 - y^2);
- on the CPU, tanh(z) = 2 sigmoid(2z) - 1 with the factor 2 folded into the
  layer's weights and bias (batch norm: its scale and shift; exact in floating
  point) and 2s - 1 in one pass: this CPU build's vectorized tanh runs several
  times slower than its sigmoid;
- batch norm (train mode: the batch's statistics) runs ATen's own kernels
  forward and backward (`native_batch_norm` and its backward, as autograd
  does) over the K models at once, the model axis folded into the channels:
  such a layer's matmuls write straight into that point-major [N, K*W]
  layout. The running statistics are updated once per forward (`buffers`).

Autograd through `models.forward` builds the same numbers (tests: bitwise)
with more elementwise passes, allocations and graph nodes; at the Training
speed page's small sizes (3 models, 140 points) the per-operation overhead,
not arithmetic, was most of a step, so every layer here makes as few calls
as it can.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
BN_MOMENTUM = 0.1  # as torch.nn.BatchNorm1d (models.py uses these values)
NORM_EPS = 1e-5
_aten = torch.ops.aten
_BACKWARD: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "tanh": _aten.tanh_backward,
    "sigmoid": _aten.sigmoid_backward,
    "relu": lambda g, y: _aten.threshold_backward(g, y, 0),
    "linear": lambda g, y: g,
}
_PARAMS = ("W_in", "b_in", "W_hid", "b_hid", "W_out", "b_out", "gamma", "beta")


def supports(norm: str, dropout: float, activation: str, training: bool = False) -> bool:
    """Whether this module computes such a model (batch norm: in training mode only)."""
    norm_ok = norm == "none" or (norm == "batch" and training)
    return norm_ok and dropout == 0 and activation in ACTIVATIONS


def _activate_(z: torch.Tensor, activation: str, neg_one: torch.Tensor) -> torch.Tensor:
    """The activation applied in place (tanh on the CPU: z holds 2x the pre-activation)."""
    if activation == "tanh":
        if z.device.type != "cpu":
            return z.tanh_()
        return torch.add(neg_one, z.sigmoid_(), alpha=2, out=z)  # 2 s - 1 in one pass
    if activation == "sigmoid":
        return z.sigmoid_()
    if activation == "relu":
        return z.relu_()
    return z


class NormRows:
    """Batch norm's per-layer vectors in the kernels' layout, in one reused table.

    The kernels take each layer's scale, shift and running statistics as one
    [K*W] vector (the models folded into the channels), and the point-major
    matmul output takes its bias so; the parameters and buffers hold them as
    [K, depth, 1, W]. A table [7, depth, K, W] holds them layer-major, each
    row's view made once, so a step costs one copy per tensor in and one per
    running statistic out instead of a split, a copy and a stack per layer
    (at the Training speed page's depth 32: 3-14% of a batch-norm step in A/B runs).
    Slots: scale, shift, running mean, running variance, scale and shift times
    the tanh trick's 2, bias. A trainer keeps one per group
    (`depthkit.engine.stacked.StackedRun`) and runs one forward pass at a time with it.
    """

    GAMMA, BETA, MEAN, VAR, GAMMA2, BETA2, BIAS = range(7)

    def __init__(self, gamma: torch.Tensor):
        k, depth, _, w = gamma.shape
        self.table = torch.empty(7, depth, k, w, dtype=gamma.dtype, device=gamma.device)
        self.rows = [slot.view(depth, k * w).unbind(0) for slot in self.table]

    def _put(self, slot: int, t: torch.Tensor, scale: float = 1.0) -> None:
        """t [K, depth, 1, W] into slot's layer-major [depth, K, W] table."""
        layer_major = t.detach()[:, :, 0].transpose(0, 1)
        if scale == 1.0:
            self.table[slot].copy_(layer_major)
        else:  # the same rounding as scaling first, then copying
            torch.mul(layer_major, scale, out=self.table[slot])

    def load(self, p: dict, buffers: dict | None, scale: float) -> list[tuple]:
        """Per layer: (scale, shift, running mean, running var) rows as the forward kernel takes them."""
        self._put(self.GAMMA, p["gamma"])
        self._put(self.BETA, p["beta"])
        g, b = self.GAMMA, self.BETA
        if scale != 1.0:
            self._put(self.GAMMA2, p["gamma"], scale)
            self._put(self.BETA2, p["beta"], scale)
            g, b = self.GAMMA2, self.BETA2
        running: list = [[None] * len(self.rows[0])] * 2
        if buffers:
            self._put(self.MEAN, buffers["running_mean"])
            self._put(self.VAR, buffers["running_var"])
            running = [self.rows[self.MEAN], self.rows[self.VAR]]
        bias = self.table[self.BIAS]
        bias[0].copy_(p["b_in"].detach()[:, 0])
        if len(bias) > 1:
            bias[1:].copy_(p["b_hid"].detach()[:, :, 0].transpose(0, 1))
        return list(zip(self.rows[g], self.rows[b], *running))

    @property
    def biases(self) -> tuple[torch.Tensor, ...]:
        """Each layer's bias row [K*W], as loaded by the last `load`."""
        return self.rows[self.BIAS]

    def store_running(self, buffers: dict) -> None:
        """Copy the running statistics that the kernel updated (in the rows) back to `buffers`."""
        for slot, name in ((self.MEAN, "running_mean"), (self.VAR, "running_var")):
            buffers[name][:, :, 0].transpose(0, 1).copy_(self.table[slot])

    @property
    def gammas(self) -> tuple[torch.Tensor, ...]:
        """Each layer's unscaled scale row, as loaded by the last `load` (for the backward pass)."""
        return self.rows[self.GAMMA]


def _layers(p: dict, scale: float, kind: str = "W") -> list:
    """Each hidden layer's stacked weight [K, in, W] (kind "W") or bias [K, 1, W] ("b"), times `scale`."""
    def scaled(name: str) -> torch.Tensor:
        return p[name] * scale if scale != 1.0 else p[name]

    out = [scaled(f"{kind}_in")]
    if p.get(f"{kind}_hid") is not None:
        out += scaled(f"{kind}_hid").unbind(1)
    return out


class _Pass:
    """What one forward pass keeps for its backward pass."""

    def __init__(self, p: dict, x: torch.Tensor, n_grad: int, activation: str, residual: bool):
        self.p, self.n_grad, self.activation, self.residual = p, n_grad, activation, residual
        self.bn = p.get("gamma") is not None
        self.inputs: list[torch.Tensor] = []
        self.outputs: list[torch.Tensor] = []
        self.bn_saved: list[tuple] = []
        self.rows: NormRows | None = None


def forward_pass(p: dict, x: torch.Tensor, n_grad: int, activation: str, residual: bool,
                 buffers: dict | None = None, rows: NormRows | None = None) -> tuple[torch.Tensor, _Pass]:
    """Logits [K, N] and what the backward pass needs; no autograd graph is built. A batch-norm
    model's vectors go through `rows` (a new table if None)."""
    s = _Pass(p, x, n_grad, activation, residual)
    tanh_trick = 2.0 if activation == "tanh" and x.device.type == "cpu" else 1.0
    ws = _layers(p, 1.0 if s.bn else tanh_trick)
    neg_one = torch.tensor(-1.0, dtype=x.dtype, device=x.device)
    h, k, n = x, x.shape[0], x.shape[1]
    all_points = n_grad == n
    bs: Sequence[torch.Tensor]
    if s.bn:
        s.rows = rows if rows is not None else NormRows(p["gamma"])
        bn_args = s.rows.load(p, buffers, tanh_trick)
        bs = s.rows.biases  # added to the point-major [N, K*W] layout
    else:
        bs = _layers(p, tanh_trick, "b")
    for layer, (w, b) in enumerate(zip(ws, bs)):
        if s.bn:  # the matmul writes point-major, the kernel's layout; y is a [K, N, W] view of it
            z = torch.empty(n, k, w.shape[2], dtype=x.dtype, device=x.device)
            torch.bmm(h, w, out=z.transpose(0, 1))
            flat = z.view(n, -1).add_(b)
            gamma, beta, rm, rv = bn_args[layer]
            out, mean, invstd = _aten.native_batch_norm(flat, gamma, beta, rm, rv, True, BN_MOMENTUM,
                                                        NORM_EPS)
            s.bn_saved.append((flat, mean, invstd))
            y_flat = _activate_(out, activation, neg_one)
            s.outputs.append(y_flat)
            y = y_flat.view(n, k, -1).transpose(0, 1)
        else:
            y = _activate_(torch.bmm(h, w).add_(b), activation, neg_one)
            s.outputs.append(y if all_points else y[:, :n_grad])
        s.inputs.append(h if all_points else h[:, :n_grad])
        h = h + y if residual and layer > 0 else y
    s.inputs.append(h if all_points else h[:, :n_grad])
    if s.bn and buffers:
        s.rows.store_running(buffers)  # type: ignore[union-attr]  # s.bn: set above
    return torch.baddbmm(p["b_out"], h, p["W_out"]).squeeze(-1), s


def backward_pass(s: _Pass, grad_logits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients by parameter name of sum(grad_logits * logits) (only the first n_grad points)."""
    p, depth = s.p, len(s.outputs)
    weights_t = [p["W_in"].transpose(1, 2)]
    if p.get("W_hid") is not None:
        weights_t += p["W_hid"].transpose(2, 3).unbind(1)
    act_backward = _BACKWARD[s.activation]
    g = grad_logits[:, :s.n_grad, None]
    # the output layer's matmuls have a width-1 side, for which this build's batched
    # matmul takes a slow path (at 8 models x 1,000 points: 150 and 125 us, ~2% of a step):
    # g^T h then a transpose gives autograd's h^T g bitwise (the same sums; tested), and
    # g w^T, one product per element, is a broadcast multiply
    grads = {"W_out": torch.bmm(g.transpose(1, 2), s.inputs[-1]).transpose(1, 2),
             "b_out": g.sum(1, keepdim=True)}
    w_out_t = p["W_out"].transpose(1, 2)
    gh = _matmul_point_major(g, w_out_t, torch.mul) if s.bn else g * w_out_t
    dWs: list[Any]
    dbs: list[Any]
    dgammas: list[Any]
    dbetas: list[Any]
    dWs, dbs, dgammas, dbetas = [None] * depth, [None] * depth, [None] * depth, [None] * depth
    gamma_rows: Any = s.rows.gammas if s.bn else None  # type: ignore[union-attr]  # s.bn: set by forward_pass
    for layer in range(depth - 1, -1, -1):
        gz = act_backward(gh, s.outputs[layer])
        if s.bn:  # point-major [N, K*W] in, [K, N, W] view of the input's gradient out
            flat, mean, invstd = s.bn_saved[layer]
            gz, dgammas[layer], dbetas[layer] = _aten.native_batch_norm_backward(
                gz, flat, gamma_rows[layer], None, None, mean, invstd, True, NORM_EPS, [True, True, True])
            gz = gz.view(gh.shape[0], g.shape[0], -1).transpose(0, 1)
        dWs[layer] = torch.bmm(s.inputs[layer].transpose(1, 2), gz)
        dbs[layer] = gz.sum(1, keepdim=True)
        if layer > 0:
            w_t = weights_t[layer]
            g_in = _matmul_point_major(gz, w_t) if s.bn else torch.bmm(gz, w_t)
            gh = g_in.add_(gh) if s.residual else g_in
    grads["W_in"], grads["b_in"] = dWs[0], dbs[0]
    if depth > 1:
        grads["W_hid"], grads["b_hid"] = torch.stack(dWs[1:], 1), torch.stack(dbs[1:], 1)
    if s.bn:
        k, w = g.shape[0], p["W_in"].shape[2]
        grads["gamma"], grads["beta"] = (torch.stack(d).view(depth, k, 1, w).transpose(0, 1)
                                         for d in (dgammas, dbetas))
    return grads


def _matmul_point_major(a: torch.Tensor, b: torch.Tensor,
                        op: Callable[..., torch.Tensor] = torch.bmm) -> torch.Tensor:
    """a @ b (or `op(a, b)`, e.g. torch.mul of [K, N, 1] by [K, 1, W]) written point-major:
    a [N, K*W] tensor (the layout of the batch-norm kernels)."""
    k, n, w = a.shape[0], a.shape[1], b.shape[2]
    out = torch.empty(n, k, w, dtype=a.dtype, device=a.device)
    op(a, b, out=out.transpose(0, 1))
    return out.view(n, k * w)


class _MLP(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, n_grad: int, activation: str, residual: bool,
                buffers: dict[str, torch.Tensor] | None, *params: torch.Tensor | None) -> torch.Tensor:
        p = dict(zip(_PARAMS, params))
        logits, ctx.state = forward_pass(p, x, n_grad, activation, residual, buffers)
        ctx.names = [n for n, t in p.items() if t is not None]
        return logits

    @staticmethod
    def backward(ctx: Any, grad_logits: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grads = backward_pass(ctx.state, grad_logits)
        del ctx.state
        return (None,) * 5 + tuple(grads.get(n) for n in _PARAMS)


def mlp_logits(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str, residual: bool,
               n_grad: int | None = None, buffers: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
    """Logits [K, N] of a model that `supports`; backward only through the first n_grad points.

    With batch norm (params has "gamma"), `buffers`' running statistics are updated in place
    (None or empty: not updated); a batch-norm model's n_grad must be all of x's points."""
    n = x.shape[1] if n_grad is None else n_grad
    if "gamma" in params and n != x.shape[1]:
        raise ValueError("mlp_logits: batch norm normalizes over every point of x; n_grad must be all")
    return _MLP.apply(x, n, activation, residual, buffers or None, *(params.get(n) for n in _PARAMS))


def loss_and_gradients(params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str,
                       residual: bool, buffers: dict | None, active: torch.Tensor | None,
                       rows: NormRows | None = None,
                       ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """The trainer's step without an autograd graph: per-model loss [K] (binary cross-entropy,
    mean over y's N points), all logits [K, x's points] and the gradients by name of the sum of
    the `active` models' losses; x's points after the first N ride along in the forward pass.
    A trainer passes its group's `rows` (batch norm) to reuse them step after step.

    Each gradient is computed by the operations autograd would run for
    `where(active, loss, 0).sum().backward()` through `mlp_logits`: bitwise the same (tested).
    """
    n = y.shape[1]
    with torch.no_grad():
        logits, state = forward_pass(params, x, n, activation, residual, buffers, rows)
        # contiguous: a strided slice would send each row's tail through the scalar
        # (not vectorized) loss kernels, rounding differently from a separate pass
        train = logits[:, :n].contiguous() if logits.shape[1] != n else logits
        loss = torch.nn.functional.binary_cross_entropy_with_logits(train, y, reduction="none").mean(1)
        ones = torch.ones_like(loss)
        weight = ones if active is None else torch.where(active, ones, torch.zeros_like(loss))
        # the backward of sum, then of mean over the points, then of the loss
        grad = (train.sigmoid() - y).mul_(weight[:, None].expand(-1, n) / n)
        return loss, logits, backward_pass(state, grad)
