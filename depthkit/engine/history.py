"""What the training loop keeps: per-step records of K models, and the best weights so far.

`History` holds one [steps, K, ...] float64 tensor per recorded quantity
(the names are `TrainResult`'s fields), NaN wherever a model was no longer
training. `BestWeights` follows each model's lowest validation loss for early
stopping and can put those weights back.
"""

from __future__ import annotations

import numpy as np
import torch

from depthkit.engine.stacked import F64, StackedRun, per_model

# Recorded every step in every mode: what divergence, clipping and time need.
ALWAYS = ("loss", "grad_norm", "clipped")
# Recorded only with record="full": evaluation passes and per-layer statistics.
FULL = ("train_loss", "train_acc", "val_loss", "val_acc", "layer_grad_norms", "update_ratio",
        "weight_norms")
PER_LAYER = ("layer_grad_norms", "update_ratio", "weight_norms")


class History:
    """Per-step records; `put(t, mask, name=value, ...)` stores value where mask, NaN elsewhere."""

    def __init__(self, steps: int, k: int, depth: int, device: str):
        def blank(name: str) -> torch.Tensor:
            if name == "clipped":
                return torch.zeros((steps, k), dtype=torch.bool, device=device)
            shape = (steps, k, depth) if name in PER_LAYER else (steps, k)
            return torch.full(shape, float("nan"), dtype=F64, device=device)

        self.records = {name: blank(name) for name in ALWAYS + FULL}

    def put(self, t: int, mask: torch.Tensor, everyone: bool | None = None, **values: torch.Tensor) -> None:
        """`everyone`: whether mask is all True, if the caller knows (else it is computed)."""
        if everyone is None:
            everyone = bool(mask.all())  # the usual case: no NaN to write, one copy per record
        for name, value in values.items():
            rec = self.records[name]
            if everyone:
                rec[t] = value
            elif rec.dtype == torch.bool:
                rec[t] = mask & value
            else:
                rec[t] = torch.where(mask if value.dim() == 1 else mask[:, None], value.to(F64), torch.nan)

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: t.cpu().numpy() for name, t in self.records.items()}


class BestWeights:
    """Each model's lowest validation loss so far, the step it came at, and those weights."""

    def __init__(self, run: StackedRun, patience: list[int]):
        self.run = run
        self.patience = torch.tensor(patience, dtype=torch.int64, device=run.device)
        self.loss = torch.full((run.k,), float("inf"), dtype=F64, device=run.device)
        self.step = torch.zeros(run.k, dtype=torch.int64, device=run.device)
        self.params = {n: p.detach().clone() for n, p in run.params.items()}
        self.buffers = {n: b.clone() for n, b in run.buffers.items()}

    @torch.no_grad()
    def observe(self, t: int, active: torch.Tensor, val_loss: torch.Tensor) -> None:
        better = active & (val_loss.to(F64) < self.loss)
        self.loss = torch.where(better, val_loss.to(F64), self.loss)
        self.step = torch.where(better, torch.full_like(self.step, t), self.step)
        for store, current in ((self.params, self.run.params), (self.buffers, self.run.buffers)):
            for n, value in current.items():
                store[n] = torch.where(per_model(better, value), value, store[n])

    def out_of_patience(self, t: int, active: torch.Tensor) -> torch.Tensor:
        """The active models whose validation loss has not improved for `patience` steps."""
        return active & (t - self.step >= self.patience) & (self.patience > 0)

    @torch.no_grad()
    def restore(self) -> None:
        for n, p in self.run.params.items():
            p.copy_(self.params[n])
        for n, b in self.run.buffers.items():
            b.copy_(self.buffers[n])
