"""SGD (momentum) and Adam(W) over stacked parameters, one hyperparameter set per model.

Each hyperparameter is a [K] tensor, so models in one batch may use different
learning rates, weight decays or momenta. Updates follow torch.optim.SGD and
torch.optim.AdamW exactly (AdamW with weight_decay=0 is Adam); frozen models
(diverged or early-stopped) get no update. `step` returns the update tensors
so the trainer can measure ||dW|| / ||W||.

`l2` (optional, [K]) adds l2 * p to every gradient before either update: the
classic L2 penalty (l2/2)*||w||^2 coupled to the loss, as the `weight_decay`
argument of torch.optim.Adam and torch.optim.SGD. With Adam it regularizes
where AdamW's decoupled decay barely acts on small weights.
"""

from __future__ import annotations

import math

import torch

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def _per_model(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Broadcast a [K] vector over a [K, ...] tensor."""
    return v.view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    def __init__(self, params: dict[str, torch.Tensor], kind: str, lr: torch.Tensor,
                 momentum: torch.Tensor, weight_decay: torch.Tensor, l2: torch.Tensor | None = None):
        self.params = params
        self.l2 = l2
        self.kind = kind
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.t = 0
        self.state: dict[str, dict[str, torch.Tensor]] = {}

    @torch.no_grad()
    def step(self, grads: dict[str, torch.Tensor], active: torch.Tensor) -> dict[str, torch.Tensor]:
        """Apply one update to every active model; return each parameter's update."""
        self.t += 1
        updates = {}
        for name, p in self.params.items():
            g = grads[name]
            lr = _per_model(self.lr, p)
            wd = _per_model(self.weight_decay, p)
            st = self.state.setdefault(name, {})
            if self.l2 is not None:
                g = g + _per_model(self.l2, p) * p
            if self.kind == "sgd":
                g = g + wd * p  # L2 through the gradient, as torch.optim.SGD
                mom = _per_model(self.momentum, p)
                buf = st.get("buf")
                buf = g.clone() if buf is None else buf * mom + g
                st["buf"] = buf
                delta = -lr * buf
            else:
                b1, b2 = ADAM_BETAS
                m = st.get("m", torch.zeros_like(p)).mul_(b1).add_(g, alpha=1 - b1)
                v = st.get("v", torch.zeros_like(p)).mul_(b2).addcmul_(g, g, value=1 - b2)
                st["m"], st["v"] = m, v
                bc1 = 1 - b1 ** self.t
                bc2 = 1 - b2 ** self.t
                denom = (v.sqrt() / math.sqrt(bc2)).add_(ADAM_EPS)
                # decoupled weight decay first, as AdamW: p <- p * (1 - lr * wd)
                delta = -lr * wd * p - (lr / bc1) * m / denom
            delta = torch.where(_per_model(active, p), delta, torch.zeros_like(delta))
            p.add_(delta)
            updates[name] = delta
        return updates
