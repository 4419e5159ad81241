"""SGD (momentum) and Adam(W) over stacked parameters, one hyperparameter set per model.

Each hyperparameter is a [K] tensor, so models in one batch may use different
learning rates, weight decays or momenta. Updates follow torch.optim.SGD and
torch.optim.AdamW exactly (AdamW with weight_decay=0 is Adam); frozen models
(diverged or early-stopped) get no update. `step` returns the update, which
`updates` splits by parameter so the trainer can measure ||dW|| / ||W||.

`l2` (optional, [K]) adds l2 * p to every gradient before either update: the
classic L2 penalty (l2/2)*||w||^2 coupled to the loss, as the `weight_decay`
argument of torch.optim.Adam and torch.optim.SGD. With Adam it regularizes
where AdamW's decoupled decay barely acts on small weights.

The parameters live in one [K, P] tensor (`flatten`: each named parameter is
a view into it), so an update is a dozen elementwise operations on that one
tensor, whatever the number of parameter tensors: at the Training speed
page's small sizes, the per-operation overhead of updating each tensor on its
own was a sixth of a training step. The arithmetic per element is the same.
"""

from __future__ import annotations

import math

import torch

ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def flatten(params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One [K, P] tensor holding every [K, ...] parameter, and each parameter as a view into it."""
    k = next(iter(params.values())).shape[0]
    flat = torch.cat([p.detach().reshape(k, -1) for p in params.values()], 1)
    return flat, _views(flat, params)


def _views(flat: torch.Tensor, like: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """`flat`'s columns as tensors shaped like `like`'s, in its order."""
    out, start = {}, 0
    for name, p in like.items():
        size = p[0].numel()
        out[name] = flat[:, start:start + size].view(p.shape)
        start += size
    return out


class StackedOptimizer:
    """Updates `flat` [K, P] (`params` are views into it: see `flatten`)."""

    def __init__(self, flat: torch.Tensor, params: dict[str, torch.Tensor], kind: str, lr: torch.Tensor,
                 momentum: torch.Tensor, weight_decay: torch.Tensor, l2: torch.Tensor | None = None):
        self.flat, self.params = flat, params
        self.l2 = None if l2 is None else l2[:, None]
        self.kind = kind
        self.lr, self.momentum, self.weight_decay = lr[:, None], momentum[:, None], weight_decay[:, None]
        # decoupled decay of 0 everywhere: its term -lr*wd*p is a signed zero, so skip it
        self.decays = bool((weight_decay != 0).any())
        self.t = 0
        self.state: dict[str, torch.Tensor] = {}

    def flat_grad(self, grads: dict[str, torch.Tensor]) -> torch.Tensor:
        """The gradients by name as one [K, P] tensor, in the parameters' order."""
        return torch.cat([grads[n].reshape(self.flat.shape[0], -1) for n in self.params], 1)

    def updates(self, delta: torch.Tensor) -> dict[str, torch.Tensor]:
        """A [K, P] update (from `step`) by parameter name (views)."""
        return _views(delta, self.params)

    @torch.no_grad()
    def step(self, grad: torch.Tensor | dict[str, torch.Tensor], active: torch.Tensor,
             everyone: bool | None = None) -> torch.Tensor:
        """Apply one update to every active model; return the update [K, P] (see `updates`): a
        tensor the next step may overwrite. `everyone`: whether all are active, if known."""
        self.t += 1
        g = self.flat_grad(grad) if isinstance(grad, dict) else grad
        p, lr, wd = self.flat, self.lr, self.weight_decay
        if self.l2 is not None:
            g = g + self.l2 * p
        if self.kind == "sgd":
            g = g + wd * p  # L2 through the gradient, as torch.optim.SGD
            buf = self.state.get("buf")
            buf = g.clone() if buf is None else buf * self.momentum + g
            self.state["buf"] = buf
            delta = -lr * buf
        else:
            delta = self._adam(g)
        if not (bool(active.all()) if everyone is None else everyone):
            delta = torch.where(active[:, None], delta, torch.zeros_like(delta))
        p.add_(delta)
        return delta

    def _adam(self, g: torch.Tensor) -> torch.Tensor:
        b1, b2 = ADAM_BETAS
        if not self.state:
            # the moments, and two scratch tensors that every step reuses: at the Training speed
            # page's sizes a fresh [K, P] tensor per operation cost as much as the arithmetic
            self.state = {name: torch.zeros_like(g) for name in ("m", "v", "denom", "step")}
        m = self.state["m"].mul_(b1).add_(g, alpha=1 - b1)
        v = self.state["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
        bc1 = 1 - b1 ** self.t
        bc2 = 1 - b2 ** self.t
        denom = torch.sqrt(v, out=self.state["denom"]).div_(math.sqrt(bc2)).add_(ADAM_EPS)
        step = torch.mul(self.lr / bc1, m, out=self.state["step"]).div_(denom)
        # decoupled weight decay first, as AdamW: p <- p * (1 - lr * wd)
        return -self.lr * self.weight_decay * self.flat - step if self.decays else step.neg_()
