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

import numpy as np
import torch

from depthkit import budget
from depthkit.data import Dataset
from depthkit.models import (
    ModelSettings,
    bce_per_model,
    forward,
    init_buffers,
    init_params,
    layer_weights,
    params_to_numpy,
    per_layer_norms,
)
from depthkit.optim import StackedOptimizer
from depthkit.spec import Settings, param

DTYPES = {"float32": torch.float32, "float64": torch.float64}


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
              n_inputs: int = 2) -> float:
    """Matmul FLOPs of a whole run: training steps plus per-step evaluation."""
    batch = n_train if ts.batch_size == 0 else min(ts.batch_size, n_train)
    per_step = budget.train_step_flops(batch, n_inputs, model.depth, model.width)
    per_step += budget.forward_flops(n_val, n_inputs, model.depth, model.width)
    if _needs_eval_train(model, ts):
        per_step += budget.forward_flops(n_train, n_inputs, model.depth, model.width)
    return float(per_step * ts.steps)


def _needs_eval_train(model: ModelSettings, ts: TrainSettings) -> bool:
    """Does the eval-mode training-set pass differ from the training forward pass?"""
    return model.dropout > 0 or model.norm == "batch" or ts.batch_size != 0 or ts.input_noise > 0


def train(model: ModelSettings, settings: TrainSettings, dataset: Dataset) -> TrainResult:
    """Train one model; see `train_many`."""
    return train_many([(model, settings, dataset)])[0]


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


def train_many(runs: list[tuple[ModelSettings, TrainSettings, Dataset]]) -> list[TrainResult]:
    """Train every run; same-shaped runs train together. Results in input order."""
    runs = list(runs)
    for run in runs:
        _check_run(run)
    total = sum(run_flops(m, t, len(d.y_train), len(d.y_val), d.n_inputs) for m, t, d in runs)
    budget.check_budget(total, f"Training {len(runs)} model(s)")
    groups: dict[tuple, list[int]] = {}
    for i, (m, t, d) in enumerate(runs):
        groups.setdefault(_group_key(m, t, d), []).append(i)
    results: list[TrainResult | None] = [None] * len(runs)
    for indices in groups.values():
        m0, _, d0 = runs[indices[0]]
        size = max_group_size(m0, len(d0.y_train))
        for start in range(0, len(indices), size):
            chunk = indices[start:start + size]
            for i, res in zip(chunk, _train_group([runs[i] for i in chunk])):
                results[i] = res
    return results  # type: ignore[return-value]


def _vec(values: list, dtype: torch.dtype, device: str) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, device=device)


def _stack_data(runs, attr: str, dtype, device) -> torch.Tensor:
    return torch.as_tensor(np.stack([getattr(d, attr) for _, _, d in runs]), dtype=dtype, device=device)


def _evaluate(params, buffers, model, X, y) -> tuple[torch.Tensor, torch.Tensor]:
    """Eval-mode loss and accuracy [K] on (X, y)."""
    with torch.no_grad():
        logits, _ = forward(params, X, model, buffers, training=False)
        return bce_per_model(logits, y), ((logits > 0).to(y.dtype) == y).to(torch.float64).mean(1)


def _train_group(runs: list[tuple[ModelSettings, TrainSettings, Dataset]]) -> list[TrainResult]:
    models = [r[0] for r in runs]
    tsets = [r[1] for r in runs]
    model, ts = models[0], tsets[0]
    k, steps, depth = len(runs), ts.steps, model.depth
    dtype, device = DTYPES[ts.dtype], ts.device
    f64 = torch.float64
    n_inputs = runs[0][2].n_inputs

    params = init_params(models, [t.seed for t in tsets], n_inputs, dtype, device)
    for p in params.values():
        p.requires_grad_(True)
    buffers = init_buffers(params, model)
    start_weights = [w.detach().clone() for w in layer_weights(params)]
    X_train = _stack_data(runs, "X_train", dtype, device)
    y_train = _stack_data(runs, "y_train", dtype, device)
    X_val = _stack_data(runs, "X_val", dtype, device)
    y_val = _stack_data(runs, "y_val", dtype, device)
    n_train = X_train.shape[1]

    # one generator per model: its batches, masks and jitter do not depend on the batch
    gens = [torch.Generator().manual_seed(int(t.seed) + 1) for t in tsets]
    opt = StackedOptimizer(params, ts.optimizer, _vec([t.lr for t in tsets], dtype, device),
                           _vec([t.momentum for t in tsets], dtype, device),
                           _vec([t.weight_decay for t in tsets], dtype, device),
                           _vec([t.l2 for t in tsets], dtype, device) if any(t.l2 > 0 for t in tsets)
                           else None)
    clip = _vec([t.clip_norm for t in tsets], f64, device)
    dropout_p = _vec([m.dropout for m in models], dtype, device)
    noise = [t.input_noise for t in tsets]
    patience = _vec([t.patience for t in tsets], torch.int64, device)
    batch = n_train if ts.batch_size == 0 else min(ts.batch_size, n_train)
    eval_train = _needs_eval_train(model, ts) or any(n > 0 for n in noise)

    def rec(*shape, fill=float("nan"), dt=f64):
        return torch.full((steps, k, *shape), fill, dtype=dt, device=device)

    r_loss, r_tl, r_ta, r_vl, r_va, r_gn = (rec() for _ in range(6))
    r_lg, r_ur, r_wn = rec(depth), rec(depth), rec(depth)
    r_clip = rec(fill=False, dt=torch.bool)
    elapsed = np.full(steps, np.nan)

    active = torch.ones(k, dtype=torch.bool, device=device)
    diverged_at = [None] * k
    divergence = [""] * k
    stopped_at: list[int | None] = [None] * k
    best_loss = torch.full((k,), float("inf"), dtype=f64, device=device)
    best_step = torch.zeros(k, dtype=torch.int64, device=device)
    best_params = {n: p.detach().clone() for n, p in params.items()} if ts.patience > 0 else None
    best_buffers = {n: b.clone() for n, b in buffers.items()} if ts.patience > 0 else None
    perms = [None] * k
    cursor = [n_train] * k
    steps_run = 0

    t0 = time.perf_counter()
    for t in range(steps):
        # the batch: all points, or the next slice of each model's own shuffled order
        if batch == n_train:
            xb, yb = X_train, y_train
        else:
            idx = []
            for j in range(k):
                if cursor[j] + batch > n_train:
                    perms[j] = torch.randperm(n_train, generator=gens[j])
                    cursor[j] = 0
                idx.append(perms[j][cursor[j]:cursor[j] + batch])
                cursor[j] += batch
            index = torch.stack(idx).to(device)
            xb = torch.gather(X_train, 1, index[:, :, None].expand(-1, -1, n_inputs))
            yb = torch.gather(y_train, 1, index)
        if any(n > 0 for n in noise):
            jitter = torch.stack([torch.randn(batch, n_inputs, generator=g) * s
                                  for g, s in zip(gens, noise)]).to(xb)
            xb = xb + jitter

        logits, _ = forward(params, xb, model, buffers, training=True, dropout_p=dropout_p,
                            generators=gens)
        loss = bce_per_model(logits, yb)
        for p in params.values():
            p.grad = None
        torch.where(active, loss, torch.zeros_like(loss)).sum().backward()
        grads = {n: p.grad for n, p in params.items()}

        with torch.no_grad():
            sq = sum(torch.linalg.vector_norm(g.reshape(k, -1), dim=1, dtype=f64) ** 2
                     for g in grads.values())
            grad_norm = torch.sqrt(sq)
            finite = torch.isfinite(loss) & torch.isfinite(grad_norm)
            was_active = active.clone()
            newly = was_active & ~finite
            active = was_active & finite

            # metrics of the weights before this update
            r_loss[t] = torch.where(was_active, loss.to(f64), torch.nan)
            r_gn[t] = torch.where(was_active, grad_norm, torch.nan)
            lw = layer_weights(params)
            r_lg[t] = torch.where(was_active[:, None],
                                  per_layer_norms([params[n].grad for n in ("W_in", "W_hid")
                                                   if n in params]), torch.nan)
            r_wn[t] = torch.where(was_active[:, None], per_layer_norms(lw), torch.nan)
            if eval_train:
                tl, ta = _evaluate(params, buffers, model, X_train, y_train)
            else:
                tl = loss.to(f64)
                ta = ((logits > 0).to(dtype) == y_train).to(f64).mean(1)
            vl, va = _evaluate(params, buffers, model, X_val, y_val)
            r_tl[t] = torch.where(was_active, tl.to(f64), torch.nan)
            r_ta[t] = torch.where(was_active, ta, torch.nan)
            r_vl[t] = torch.where(was_active, vl.to(f64), torch.nan)
            r_va[t] = torch.where(was_active, va, torch.nan)

            if bool(newly.any()):
                for j in torch.nonzero(newly).flatten().tolist():
                    diverged_at[j] = t
                    what = "loss" if not torch.isfinite(loss[j]) else "gradient norm"
                    value = loss[j] if what == "loss" else grad_norm[j]
                    divergence[j] = f"{what} became {float(value)}"

            if best_params is not None:
                better = active & (vl.to(f64) < best_loss)
                best_loss = torch.where(better, vl.to(f64), best_loss)
                best_step = torch.where(better, torch.full_like(best_step, t), best_step)
                for n, p in params.items():
                    best_params[n] = torch.where(better.view(-1, *[1] * (p.dim() - 1)), p, best_params[n])
                for n, b in buffers.items():
                    best_buffers[n] = torch.where(better.view(-1, *[1] * (b.dim() - 1)), b, best_buffers[n])

            # clip, then update the models still training
            coef = torch.where(clip > 0, torch.clamp(clip / (grad_norm + 1e-6), max=1.0),
                               torch.ones_like(clip))
            r_clip[t] = active & (clip > 0) & (grad_norm > clip)
            scaled = {n: g * coef.to(g.dtype).view(-1, *[1] * (g.dim() - 1)) for n, g in grads.items()}
            updates = opt.step(scaled, active)
            upd = per_layer_norms([updates[n] for n in ("W_in", "W_hid") if n in updates])
            r_ur[t] = torch.where(active[:, None], upd / r_wn[t], torch.nan)

            if best_params is not None:
                out_of_patience = active & (t - best_step >= patience) & (patience > 0)
                for j in torch.nonzero(out_of_patience).flatten().tolist():
                    stopped_at[j] = t
                active = active & ~out_of_patience

        elapsed[t] = time.perf_counter() - t0
        steps_run = t + 1
        if not bool(active.any()):
            break
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0

    with torch.no_grad():
        if best_params is not None and ts.restore_best:
            for n, p in params.items():
                p.copy_(best_params[n])
            for n, b in buffers.items():
                b.copy_(best_buffers[n])
        end_weights = layer_weights(params)
        change = per_layer_norms([e - s for e, s in zip(end_weights, start_weights)])
        change = change / per_layer_norms(start_weights)
        ftl, fta = _evaluate(params, buffers, model, X_train, y_train)
        fvl, fva = _evaluate(params, buffers, model, X_val, y_val)

    arrays = {name: t.cpu().numpy() for name, t in dict(
        loss=r_loss, train_loss=r_tl, train_acc=r_ta, val_loss=r_vl, val_acc=r_va,
        grad_norm=r_gn, layer_grad_norms=r_lg, update_ratio=r_ur, clipped=r_clip,
        weight_norms=r_wn).items()}
    change_np = change.cpu().numpy()
    results = []
    for j, (m, tset, d) in enumerate(runs):
        flops = run_flops(m, tset, len(d.y_train), len(d.y_val), n_inputs)
        results.append(TrainResult(
            **{name: a[:, j].copy() for name, a in arrays.items()},
            elapsed=elapsed.copy(), weight_change=change_np[j].copy(), steps_run=steps_run,
            diverged_step=diverged_at[j], divergence=divergence[j], stopped_step=stopped_at[j],
            best_step=int(best_step[j]) if best_params is not None else None,
            final_train_loss=float(ftl[j]), final_train_acc=float(fta[j]),
            final_val_loss=float(fvl[j]), final_val_acc=float(fva[j]),
            params=params_to_numpy(params, j), buffers=params_to_numpy(buffers, j),
            flops=flops * steps_run / steps, batch_seconds=seconds, batch_size_models=k))
    return results
