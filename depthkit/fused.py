"""A plain stacked MLP (no normalization, no dropout) as one autograd Function.

`mlp_logits(params, x, activation, residual, n_grad)` gives the same logits as
`models.forward` for such a model, with a hand-written backward:

- only the first `n_grad` points of x get a backward pass: the points after
  them (the validation set, appended by the trainer) share each layer's one
  matmul in the forward pass and cost nothing in the backward pass;
- the activation is applied in place on each layer's fresh pre-activation,
  and its derivative is taken from the output (tanh: 1 - y^2);
- on the CPU, tanh(z) = 2 sigmoid(2z) - 1 with the factor 2 folded into the
  layer's weights and bias (exact in floating point) and 2s - 1 in one pass:
  this CPU build's vectorized tanh runs several times slower than its sigmoid.

Autograd through `models.forward` builds the same numbers with more
elementwise passes, allocations and graph nodes; tests check both agree.
"""

from __future__ import annotations

import torch

ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear")
_BACKWARD = {
    "tanh": torch.ops.aten.tanh_backward,
    "sigmoid": torch.ops.aten.sigmoid_backward,
    "relu": lambda g, y: torch.ops.aten.threshold_backward(g, y, 0),
    "linear": lambda g, y: g,
}


def supports(norm: str, dropout: float, activation: str) -> bool:
    """Whether a model with these settings is one this Function computes."""
    return norm == "none" and dropout == 0 and activation in ACTIVATIONS


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


class _PlainMLP(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, n_grad, activation, residual, W_in, b_in, W_hid, b_hid, W_out, b_out):
        scale = 2.0 if activation == "tanh" and x.device.type == "cpu" else 1.0
        weights, biases = [W_in * scale], [b_in * scale]
        if W_hid is not None:
            weights += (W_hid * scale).unbind(1)
            biases += (b_hid * scale).unbind(1)
        neg_one = torch.tensor(-1.0, dtype=x.dtype, device=x.device)
        h, inputs, outputs = x, [], []
        for layer, (w, b) in enumerate(zip(weights, biases)):
            y = _activate_(torch.bmm(h, w).add_(b), activation, neg_one)
            inputs.append(h[:, :n_grad])
            outputs.append(y[:, :n_grad])
            h = h + y if residual and layer > 0 else y
        inputs.append(h[:, :n_grad])
        ctx.activation, ctx.residual, ctx.n_grad, ctx.depth = activation, residual, n_grad, len(weights)
        ctx.save_for_backward(W_in, W_hid, W_out, *inputs, *outputs)
        return torch.baddbmm(b_out, h, W_out).squeeze(-1)

    @staticmethod
    def backward(ctx, grad_logits):
        W_in, W_hid, W_out, *saved = ctx.saved_tensors
        depth = ctx.depth
        inputs, outputs = saved[:depth + 1], saved[depth + 1:]
        weights = [W_in] + (list(W_hid.unbind(1)) if W_hid is not None else [])
        act_backward = _BACKWARD[ctx.activation]
        g = grad_logits[:, :ctx.n_grad, None]
        dW_out = torch.bmm(inputs[-1].transpose(1, 2), g)
        db_out = g.sum(1, keepdim=True)
        gh = torch.bmm(g, W_out.transpose(1, 2))
        dWs, dbs = [None] * depth, [None] * depth
        for layer in range(depth - 1, -1, -1):
            gz = act_backward(gh, outputs[layer])
            dWs[layer] = torch.bmm(inputs[layer].transpose(1, 2), gz)
            dbs[layer] = gz.sum(1, keepdim=True)
            if layer > 0:
                g_in = torch.bmm(gz, weights[layer].transpose(1, 2))
                gh = g_in.add_(gh) if ctx.residual and layer > 0 else g_in
        dW_hid = torch.stack(dWs[1:], 1) if depth > 1 else None
        db_hid = torch.stack(dbs[1:], 1) if depth > 1 else None
        return None, None, None, None, dWs[0], dbs[0], dW_hid, db_hid, dW_out, db_out


def mlp_logits(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str, residual: bool,
               n_grad: int | None = None) -> torch.Tensor:
    """Logits [K, N] of a model that `supports`; backward only through the first n_grad points."""
    return _PlainMLP.apply(x, x.shape[1] if n_grad is None else n_grad, activation,
                           residual, params["W_in"], params["b_in"], params.get("W_hid"),
                           params.get("b_hid"), params["W_out"], params["b_out"])
