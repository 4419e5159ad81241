"""The training loop: many same-shaped models at once, every step recorded.

`train(model, train_settings, dataset)` trains one model; `train_many(runs)`
trains a list of (ModelSettings, TrainSettings, Dataset) triples, grouping
runs that share a shape into one batched computation (see models.py). Each
run gets a `TrainResult` of numpy arrays and plain numbers.

Metrics at step t describe the weights after t updates, measured before
update t is applied:
- `loss`: the objective on the batch actually trained on (train mode);
- `train_loss`/`train_acc`, `val_loss`/`val_acc`: eval mode (no dropout,
  batch-norm running statistics) on the full training and validation sets;
- `grad_norm`: the norm of all gradients of the model, before clipping;
- `layer_grad_norms[t, l]`: norm of hidden layer l's weight gradient;
- `update_ratio[t, l]`: ||dW_l|| / ||W_l|| of the update applied at step t.
Norms are accumulated in float64 so that a float32 gradient whose norm would
overflow or underflow still gets a number.

A non-finite loss or gradient norm stops that model cleanly: its
`diverged_step` says where, the values of that step are kept (inf/nan), later
steps are NaN, and its weights stay as they were before that step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from depthkit.core.spec import Settings, param
from depthkit.engine import budget, progress
from depthkit.engine.data import Dataset
from depthkit.engine.history import BestWeights, History
from depthkit.engine.models import ModelSettings, layer_weights, params_to_numpy, per_layer_norms
from depthkit.engine.stacked import DTYPES, StackedRun

# "full": every metric every step (evaluation passes, per-layer norms);
# "loss": only the training-batch loss, gradient norm and clipping per step (the
# final evaluation is still done), for pages that chart nothing else.
RECORD_MODES = ("full", "loss")


@dataclass(frozen=True)
class TrainSettings(Settings):
    optimizer: str = param("adam", choices=("sgd", "adam"), label="Optimizer",
                           help="Adam's weight decay is decoupled (AdamW).")
    lr: float = param(0.01, lo=1e-5, hi=10.0, log=True, label="Learning rate")
    # SGD only
    momentum: float = param(0.0, lo=0.0, hi=0.99, label="Momentum")
    steps: int = param(200, lo=1, hi=20000, label="Training steps")
    # 0 = full batch
    batch_size: int = param(0, lo=0, hi=20000, label="Batch size (0 = all)")
    weight_decay: float = param(0.0, lo=0.0, hi=1.0, label="Weight decay")
    # L2 penalty coupled to the loss: adds l2 * w to each gradient (torch.optim.Adam's
    # weight_decay); unlike AdamW's decoupled decay it acts on small weights too
    l2: float = param(0.0, lo=0.0, hi=1.0, label="L2 penalty",
                      help="Adds l2 * w to every gradient (L2 regularization, coupled).")
    # rescale the gradient when its total norm exceeds this; 0 = off
    clip_norm: float = param(0.0, lo=0.0, hi=1e6, label="Clip gradient norm at (0 = off)")
    # std of Gaussian jitter added to training inputs each step (augmentation)
    input_noise: float = param(0.0, lo=0.0, hi=2.0, label="Input jitter")
    # stop when validation loss has not improved for this many steps; 0 = off
    patience: int = param(0, lo=0, hi=20000, label="Early-stopping patience")
    # with early stopping: end with the weights of the best validation step
    restore_best: bool = param(True, label="Restore best weights")
    dtype: str = param("float32", choices=tuple(DTYPES), label="Precision")
    device: str = param("cpu", choices=("cpu", "cuda"), label="Device")
    # initialization, mini-batch order, dropout masks and jitter
    seed: int = param(0, lo=0, hi=2**31 - 1, label="Seed")

    def check(self) -> None:
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("TrainSettings.device='cuda': no CUDA device is available here; "
                             "use device='cpu'")


@dataclass
class TrainResult:
    """Everything one run recorded; numpy arrays and plain numbers only."""

    loss: np.ndarray  # [T]
    train_loss: np.ndarray  # [T]
    train_acc: np.ndarray  # [T]
    val_loss: np.ndarray  # [T]
    val_acc: np.ndarray  # [T]
    grad_norm: np.ndarray  # [T]
    layer_grad_norms: np.ndarray  # [T, depth]
    update_ratio: np.ndarray  # [T, depth]
    clipped: np.ndarray  # [T] bool
    elapsed: np.ndarray  # [T] seconds since the start of the batch this run trained in
    weight_change: np.ndarray  # [depth] ||W_end - W_start|| / ||W_start||
    weight_norms: np.ndarray  # [T, depth] ||W_l|| at each step
    steps_run: int
    diverged_step: int | None
    divergence: str  # "" or what became non-finite
    stopped_step: int | None  # early stopping: where patience ran out
    best_step: int | None  # lowest validation loss (with early stopping)
    final_train_loss: float
    final_train_acc: float
    final_val_loss: float
    final_val_acc: float
    params: dict[str, np.ndarray] = field(repr=False)  # final weights (restored if asked)
    buffers: dict[str, np.ndarray] = field(repr=False)
    flops: float = 0.0  # this run's share of matmul FLOPs
    batch_seconds: float = 0.0  # wall time of the whole batch it trained in
    batch_size_models: int = 1  # how many models trained together


def run_flops(model: ModelSettings, ts: TrainSettings, n_train: int, n_val: int,
              n_inputs: int = 2, record: str = "full") -> float:
    """Matmul FLOPs of a whole run: training steps plus the per-step evaluation it records."""
    batch = n_train if ts.batch_size == 0 else min(ts.batch_size, n_train)
    per_step = budget.train_step_flops(batch, n_inputs, model.depth, model.width)
    if record == "full" or ts.patience > 0:
        per_step += budget.forward_flops(n_val, n_inputs, model.depth, model.width)
    if record == "full" and _needs_eval_train(model, ts):
        per_step += budget.forward_flops(n_train, n_inputs, model.depth, model.width)
    return float(per_step * ts.steps)


def _needs_eval_train(model: ModelSettings, ts: TrainSettings) -> bool:
    """Does the eval-mode training-set pass differ from the training forward pass?"""
    return model.dropout > 0 or model.norm == "batch" or ts.batch_size != 0 or ts.input_noise > 0


def train(model: ModelSettings, settings: TrainSettings, dataset: Dataset,
          record: str = "full") -> TrainResult:
    """Train one model; see `train_many`."""
    return train_many([(model, settings, dataset)], record)[0]


def _group_key(model: ModelSettings, ts: TrainSettings, ds: Dataset) -> tuple:
    return (model.depth, model.width, model.activation, model.norm, model.residual,
            model.dropout > 0, ts.optimizer, ts.steps, ts.batch_size, ts.patience > 0,
            ts.restore_best, ts.dtype, ts.device, ds.X_train.shape, ds.X_val.shape)


def _check_run(run: tuple) -> None:
    if not (isinstance(run, tuple) and len(run) == 3):
        raise ValueError("each run must be a (ModelSettings, TrainSettings, Dataset) tuple")
    model, ts, ds = run
    if not isinstance(model, ModelSettings):
        raise ValueError(f"expected ModelSettings, got {type(model).__name__}")
    if not isinstance(ts, TrainSettings):
        raise ValueError(f"expected TrainSettings, got {type(ts).__name__}")
    if not isinstance(ds, Dataset):
        raise ValueError(f"expected a Dataset from make_dataset, got {type(ds).__name__}")


def max_group_size(model: ModelSettings, n_points: int) -> int:
    """Models per batch: K*depth about 400 at 1,000 points and width 32 fits in cache."""
    scale = (n_points / 1000) * (model.width / 32) ** 2
    return max(1, int(400 / (model.depth * max(scale, 0.25))))


def train_many(runs: list[tuple[ModelSettings, TrainSettings, Dataset]],
               record: str = "full") -> list[TrainResult]:
    """Train every run; same-shaped runs train together. Results in input order.

    `record` is "full" (every metric every step) or "loss" (see RECORD_MODES):
    with "loss" the per-step evaluation and per-layer arrays are NaN.
    """
    if record not in RECORD_MODES:
        raise ValueError(f"record must be one of {', '.join(RECORD_MODES)}, not {record!r}")
    runs = list(runs)
    for run in runs:
        _check_run(run)
    total = sum(run_flops(m, t, len(d.y_train), len(d.y_val), d.n_inputs, record) for m, t, d in runs)
    budget.check_budget(total, f"Training {len(runs)} model(s)")
    groups: dict[tuple, list[int]] = {}
    for i, (m, t, d) in enumerate(runs):
        groups.setdefault(_group_key(m, t, d), []).append(i)
    results: list[TrainResult | None] = [None] * len(runs)
    chunks = []
    for indices in groups.values():
        m0, _, d0 = runs[indices[0]]
        size = max_group_size(m0, len(d0.y_train))
        chunks += [indices[start:start + size] for start in range(0, len(indices), size)]
    tracker = progress.Tracker(sum(runs[c[0]][1].steps for c in chunks),
                               f"Training {len(runs)} network{'s' if len(runs) > 1 else ''}")
    for chunk in chunks:
        for i, res in zip(chunk, _train_group([runs[i] for i in chunk], record, tracker)):
            results[i] = res
    return results  # type: ignore[return-value]


def _train_group(runs: list[tuple[ModelSettings, TrainSettings, Dataset]], record: str,
                 tracker: progress.Tracker | None = None) -> list[TrainResult]:
    loop = _GroupLoop(runs, record)
    t0 = time.perf_counter()
    for t in range(loop.ts.steps):
        loop.step(t)
        loop.elapsed[t] = time.perf_counter() - t0
        loop.steps_run = t + 1
        if tracker is not None:
            tracker.advance()
        if not loop.everyone and not bool(loop.active.any()):
            if tracker is not None:
                tracker.advance(loop.ts.steps - t - 1)  # stopped early: its remaining steps are done
            break
    if loop.run.device == "cuda":
        torch.cuda.synchronize()
    return loop.results(time.perf_counter() - t0)


class _GroupLoop:
    """One group's training: the stacked run, what it records, and which models still train."""

    def __init__(self, runs: list[tuple[ModelSettings, TrainSettings, Dataset]], record: str):
        self.runs, self.record = runs, record
        self.run = run = StackedRun(runs)
        self.ts = ts = run.tsets[0]
        self.full = record == "full"
        self.hist = History(ts.steps, run.k, run.model.depth, run.device)
        self.best = BestWeights(run, [t.patience for t in run.tsets]) if ts.patience > 0 else None
        self.eval_train = self.full and (_needs_eval_train(run.model, ts) or any(s > 0 for s in run.noise))
        self.start_weights = [w.detach().clone() for w in layer_weights(run.params)]
        self.elapsed = np.full(ts.steps, np.nan)
        self.active = torch.ones(run.k, dtype=torch.bool, device=run.device)
        self.everyone = True  # every model still trains: the usual case, no masking needed
        self.diverged_at: list[int | None] = [None] * run.k
        self.divergence = [""] * run.k
        self.stopped_at: list[int | None] = [None] * run.k
        self.steps_run = 0

    def step(self, t: int) -> None:
        run, hist, best = self.run, self.hist, self.best
        xb, yb = run.batch()
        wants_val = self.full or best is not None
        loss, logits, grads, val = (run.gradients_and_val(xb, yb, self.active) if wants_val
                                    else (*run.gradients(xb, yb, self.active), None))
        with torch.no_grad():
            flat_grad = run.flat_grad(grads)
            grad_norm = run.grad_norm(flat_grad)
            was_active, everyone = self.active, self.everyone
            finite = torch.isfinite(loss) & torch.isfinite(grad_norm)
            active = finite if everyone else was_active & finite
            still = everyone and bool(finite.all())  # nobody stopped at this step
            # metrics of the weights before this update
            hist.put(t, was_active, everyone, loss=loss, grad_norm=grad_norm)
            if self.full:
                weight_norms = per_layer_norms(layer_weights(run.params))
                hist.put(t, was_active, everyone, weight_norms=weight_norms, layer_grad_norms=per_layer_norms(
                    [grads[n] for n in ("W_in", "W_hid") if n in grads]))
                if self.eval_train:
                    tl, ta = run.evaluate(run.X_train, run.y_train)
                else:
                    tl, ta = loss, ((logits > 0).to(run.dtype) == yb).to(torch.float64).mean(1)
                hist.put(t, was_active, everyone, train_loss=tl, train_acc=ta)
            if wants_val:
                vl, va = val if val is not None else run.evaluate(run.X_val, run.y_val)
                hist.put(t, was_active, everyone, val_loss=vl, val_acc=va)
            if not still:
                self._diverged(t, was_active & ~active, loss, grad_norm)
            if best is not None:
                best.observe(t, active, vl)
            # clip, then update the models still training
            scaled, clipped = run.clip(flat_grad, grad_norm)
            if run.clips:  # else nothing clipped: the record's False stays
                hist.put(t, active, still, clipped=clipped)
            delta = run.opt.step(scaled, active, still)
            if self.full:
                updates = run.opt.updates(delta)
                upd = per_layer_norms([updates[n] for n in ("W_in", "W_hid") if n in updates])
                hist.put(t, active, still, update_ratio=upd / weight_norms)
            if best is not None:
                out = best.out_of_patience(t, active)
                for j in torch.nonzero(out).flatten().tolist():
                    self.stopped_at[j] = t
                    still = False
                active = active & ~out
        self.active, self.everyone = active, still

    def _diverged(self, t: int, stopped: torch.Tensor, loss: torch.Tensor, grad_norm: torch.Tensor) -> None:
        """Note where and why the models in `stopped` became non-finite."""
        for j in torch.nonzero(stopped).flatten().tolist():
            self.diverged_at[j] = t
            what = "loss" if not torch.isfinite(loss[j]) else "gradient norm"
            self.divergence[j] = f"{what} became {float(loss[j] if what == 'loss' else grad_norm[j])}"

    @torch.no_grad()
    def results(self, seconds: float) -> list[TrainResult]:
        run, best = self.run, self.best
        if best is not None and self.ts.restore_best:
            best.restore()
        end_weights = layer_weights(run.params)
        change: Any  # a tensor, then its numpy array
        change = per_layer_norms([e - s for e, s in zip(end_weights, self.start_weights)])
        change = (change / per_layer_norms(self.start_weights)).cpu().numpy()
        ftl, fta = run.evaluate(run.X_train, run.y_train)
        fvl, fva = run.evaluate(run.X_val, run.y_val)
        arrays = self.hist.arrays()
        out = []
        for j, (m, tset, d) in enumerate(self.runs):
            flops = run_flops(m, tset, len(d.y_train), len(d.y_val), run.n_inputs, self.record)
            out.append(TrainResult(
                **{name: a[:, j].copy() for name, a in arrays.items()},
                elapsed=self.elapsed.copy(), weight_change=change[j].copy(), steps_run=self.steps_run,
                diverged_step=self.diverged_at[j], divergence=self.divergence[j],
                stopped_step=self.stopped_at[j],
                best_step=int(best.step[j]) if best is not None else None,
                final_train_loss=float(ftl[j]), final_train_acc=float(fta[j]),
                final_val_loss=float(fvl[j]), final_val_acc=float(fva[j]),
                params=params_to_numpy(run.params, j), buffers=params_to_numpy(run.buffers, j),
                flops=flops * self.steps_run / tset.steps, batch_seconds=seconds, batch_size_models=run.k))
        return out
