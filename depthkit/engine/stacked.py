"""K same-shaped models training together: their state and the parts of one training step.

`StackedRun(runs)` holds the stacked parameters and buffers, the optimizer,
the data and one random generator per model for a list of (ModelSettings,
TrainSettings, Dataset) runs that share a shape (train.py groups them). One
training step is, in order:

    xb, yb = run.batch()                       # each model's own batch (and jitter)
    loss, logits, grads = run.gradients(xb, yb) # forward + backward, train mode
    # or, also scoring the validation set on the same weights in the same pass:
    loss, logits, grads, val = run.gradients_and_val(xb, yb)
    flat = run.flat_grad(grads)                 # all gradients as one [K, P] tensor
    grad_norm = run.grad_norm(flat)
    scaled, clipped = run.clip(flat, grad_norm)
    delta = run.opt.step(scaled, active)        # the update [K, P]; run.opt.updates(delta) by name

`step()` is forward + backward + update on the whole training set and nothing
else: no norms, no evaluation, no bookkeeping. The Training speed page times it.
The loop that records every step lives in train.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from depthkit.engine import fused as plain_mlp
from depthkit.engine.data import Dataset
from depthkit.engine.models import ModelSettings, bce_per_model, forward, init_buffers, init_params
from depthkit.engine.optim import StackedOptimizer, flatten

DTYPES = {"float32": torch.float32, "float64": torch.float64}
F64 = torch.float64


def _vec(values: list, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device)


def _stack(runs: list, attr: str, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.as_tensor(np.stack([getattr(d, attr) for _, _, d in runs]), dtype=dtype, device=device)


def per_model(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A [K] vector shaped to broadcast over a [K, ...] tensor."""
    return v.view(-1, *[1] * (like.dim() - 1))


class StackedRun:
    """The training state of K same-shaped runs (see the module docstring)."""

    # runs: (ModelSettings, TrainSettings, Dataset); TrainSettings is train.py's, which imports this
    # module, so it is not named here (tests/test_structure.py: no import cycle, TYPE_CHECKING too)
    def __init__(self, runs: list[tuple[ModelSettings, Any, Dataset]]):
        self.models = [r[0] for r in runs]
        self.tsets = [r[1] for r in runs]
        self.model, ts = self.models[0], self.tsets[0]
        self.k = len(runs)
        self.dtype, self.device = DTYPES[ts.dtype], ts.device
        dtype, device = self.dtype, self.device
        self.n_inputs = runs[0][2].n_inputs

        # every parameter is a view into one [K, P] tensor that the optimizer updates at once
        self.flat, self.params = flatten(init_params(self.models, [t.seed for t in self.tsets],
                                                     self.n_inputs, dtype, device))
        for p in self.params.values():
            p.requires_grad_(True)
        self.buffers = init_buffers(self.params, self.model)
        self.X_train = _stack(runs, "X_train", dtype, device)
        self.y_train = _stack(runs, "y_train", dtype, device)
        self.X_val = _stack(runs, "X_val", dtype, device)
        self.y_val = _stack(runs, "y_val", dtype, device)
        self.n_train = self.X_train.shape[1]
        self.batch_size = self.n_train if ts.batch_size == 0 else min(ts.batch_size, self.n_train)

        # one generator per model: its batches, masks and jitter do not depend on the batch
        self.gens = [torch.Generator().manual_seed(int(t.seed) + 1) for t in self.tsets]
        tsets = self.tsets
        self.opt = StackedOptimizer(
            self.flat, self.params, ts.optimizer, _vec([t.lr for t in tsets], dtype, device),
            _vec([t.momentum for t in tsets], dtype, device),
            _vec([t.weight_decay for t in tsets], dtype, device),
            _vec([t.l2 for t in tsets], dtype, device) if any(t.l2 > 0 for t in tsets) else None)
        self.clip_norm = _vec([t.clip_norm for t in tsets], F64, device)
        self.clips = any(t.clip_norm > 0 for t in tsets)
        self.dropout_p = _vec([m.dropout for m in self.models], dtype, device)
        self.noise = [t.input_noise for t in tsets]
        self._perms: list[torch.Tensor | None] = [None] * self.k
        self._cursor = [self.n_train] * self.k
        self._all = torch.ones(self.k, dtype=torch.bool, device=device)
        m = self.model
        # a plain model's eval mode is its train mode: the validation points can ride
        # along in the training forward pass (one matmul per layer, no backward)
        self.val_rides_along = plain_mlp.supports(m.norm, m.dropout, m.activation)
        # forward and backward by hand, no autograd graph (plain, or batch norm in train mode)
        self.fused = plain_mlp.supports(m.norm, m.dropout, m.activation, training=True)
        # batch norm's per-layer vectors in the fused kernels' layout, one table for every step
        batch_norm = self.fused and m.norm == "batch"
        self.norm_rows = plain_mlp.NormRows(self.params["gamma"]) if batch_norm else None
        self._train_and_val = torch.cat([self.X_train, self.X_val], 1) if self.val_rides_along else None

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All points, or the next slice of each model's own shuffled order; plus jitter."""
        k, n, batch = self.k, self.n_train, self.batch_size
        if batch == n:
            xb, yb = self.X_train, self.y_train
        else:
            idx = []
            for j in range(k):
                if self._cursor[j] + batch > n:
                    self._perms[j] = torch.randperm(n, generator=self.gens[j])
                    self._cursor[j] = 0
                idx.append(self._perms[j][self._cursor[j]:self._cursor[j] + batch])  # type: ignore[index]
                self._cursor[j] += batch
            index = torch.stack(idx).to(self.device)
            xb = torch.gather(self.X_train, 1, index[:, :, None].expand(-1, -1, self.n_inputs))
            yb = torch.gather(self.y_train, 1, index)
        if any(s > 0 for s in self.noise):
            jitter = torch.stack([torch.randn(batch, self.n_inputs, generator=g) * s
                                  for g, s in zip(self.gens, self.noise)]).to(xb)
            xb = xb + jitter
        return xb, yb

    def gradients(self, xb: torch.Tensor, yb: torch.Tensor, active: torch.Tensor | None = None,
                  ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Train-mode forward and backward: (per-model loss [K], logits, gradients by name).

        Models not `active` contribute no gradient (their loss may be non-finite).
        """
        if self.fused:
            m = self.model
            return plain_mlp.loss_and_gradients(self.params, xb, yb, m.activation, m.residual, self.buffers,
                                                active, self.norm_rows)
        logits, _ = forward(self.params, xb, self.model, self.buffers, training=True,
                            dropout_p=self.dropout_p, generators=self.gens)
        return self._backward(logits, yb, active)

    def gradients_and_val(self, xb: torch.Tensor, yb: torch.Tensor, active: torch.Tensor | None = None,
                          ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor], tuple | None]:
        """`gradients`, plus the validation (loss, accuracy) [K] of the same weights.

        For a plain model the validation points share the training forward pass
        (see `depthkit.engine.fused`); otherwise val is None and `evaluate` is the way.
        """
        if not self.val_rides_along:
            return *self.gradients(xb, yb, active), None
        n = xb.shape[1]
        x: Any = self._train_and_val if xb is self.X_train else torch.cat([xb, self.X_val], 1)  # a tensor
        m = self.model
        loss, both, grads = plain_mlp.loss_and_gradients(self.params, x, yb, m.activation, m.residual, None,
                                                         active)
        # contiguous: a strided slice would send each row's tail through the scalar
        # (not vectorized) loss kernels, rounding differently from `evaluate`
        val = self.scores(both[:, n:].contiguous(), self.y_val)
        return loss, both[:, :n], grads, val

    def _backward(self, logits: torch.Tensor, yb: torch.Tensor, active: torch.Tensor | None,
                  ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        loss = bce_per_model(logits, yb)
        for p in self.params.values():
            p.grad = None
        if active is None:
            loss.sum().backward()
        else:
            torch.where(active, loss, torch.zeros_like(loss)).sum().backward()
        return loss, logits, {n: p.grad for n, p in self.params.items()}  # type: ignore[misc]  # after backward

    @torch.no_grad()
    def flat_grad(self, grads: dict[str, torch.Tensor]) -> torch.Tensor:
        """The gradients as one [K, P] tensor, laid out as the parameters (`self.flat`)."""
        return self.opt.flat_grad(grads)

    @torch.no_grad()
    def grad_norm(self, flat_grad: torch.Tensor) -> torch.Tensor:
        """Each model's total gradient norm [K] (of `flat_grad`), accumulated in float64."""
        return torch.linalg.vector_norm(flat_grad, dim=1, dtype=F64)

    @torch.no_grad()
    def clip(self, flat_grad: torch.Tensor, grad_norm: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`flat_grad` rescaled where its norm exceeds the clip threshold; and where that happened."""
        clip = self.clip_norm
        if not self.clips:  # nobody clips: scaling by 1 would change nothing
            return flat_grad, torch.zeros_like(clip, dtype=torch.bool)
        coef = torch.where(clip > 0, torch.clamp(clip / (grad_norm + 1e-6), max=1.0), torch.ones_like(clip))
        clipped = (clip > 0) & (grad_norm > clip)
        return flat_grad * coef.to(flat_grad.dtype)[:, None], clipped

    @torch.no_grad()
    def evaluate(self, X: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Eval-mode loss and accuracy [K] on (X, y)."""
        logits, _ = forward(self.params, X, self.model, self.buffers, training=False)
        return self.scores(logits, y)

    @staticmethod
    def scores(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Loss and accuracy [K] of logits [K, N] against labels y."""
        logits = logits.detach()
        return bce_per_model(logits, y), ((logits > 0).to(y.dtype) == y).to(F64).mean(1)

    def step(self) -> None:
        """Forward + backward + optimizer update on the whole training set, nothing else."""
        _, _, grads = self.gradients(self.X_train, self.y_train)
        self.opt.step(self.flat_grad(grads), self._all, everyone=True)
