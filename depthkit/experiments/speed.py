"""Training speed: what one step costs at each depth, and how many steps a network needs.

Two separate reasons make deep networks slow, measured separately:

- **Cost per step**: live timing, in `depthkit.experiments.timing`
  (`measure`, `fit_line`); this module holds the page's settings, including
  the timing group, and the budget of both halves.
- **Steps to a target** (`run`): plain, batch-norm, residual and
  residual + batch-norm networks at depths 2, 4, ... trained with Adam on the
  same data from several initialization seeds (same-shaped models batched
  as in `train_many`), recording the first step whose training loss is at or
  below the target.
  Deterministic for a seed, cached like every other page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from depthkit import budget
from depthkit.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.experiments.timing import NOISE, measure_cost
from depthkit.models import ModelSettings, bce_per_model, forward, init_buffers, init_params
from depthkit.optim import StackedOptimizer
from depthkit.spec import Settings, param
from depthkit.train import TrainSettings, max_group_size

# (label, ModelSettings overrides); the first is the problem, the last the full fix
VARIANTS = (
    ("plain", {}),
    ("batch norm", {"norm": "batch"}),
    ("residual", {"residual": True}),
    ("residual + batch norm", {"norm": "batch", "residual": True}),
)
@dataclass(frozen=True)
class SpeedSettings(Settings):
    # --- steps to a target (trained, cached) ---
    # depths 2, 4, 8, ... up to this
    max_depth: int = param(32, choices=(8, 16, 32, 64), label="Deepest network trained",
                           help="Trains depths 2, 4, 8, … up to this many hidden layers.")
    width: int = param(32, lo=4, hi=128, options=(8, 16, 32, 64, 128), label="Units per layer (width)")
    activation: str = param("relu", choices=("relu", "tanh", "gelu", "sigmoid"), label="Activation")
    lr: float = param(0.03, lo=1e-4, hi=0.1, log=True, options=(1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1),
                      label="Adam learning rate")
    steps: int = param(30, lo=10, hi=1000, options=(10, 20, 30, 50, 100, 150, 300, 500, 1000),
                       label="Training steps (full batch)")
    target_loss: float = param(0.1, lo=0.01, hi=0.6, options=(0.02, 0.05, 0.1, 0.2, 0.3, 0.5),
                               label="Target training loss")
    dataset: str = param("moons", choices=DATASETS, label="Dataset")
    n_samples: int = param(200, lo=40, hi=2000, options=(100, 200, 500, 1000, 2000),
                           label="Points (70% for training)")
    # initialization seeds seed, seed+1, ...; the data is the same for all
    seeds: int = param(3, lo=1, hi=10, label="Seeds per network")
    seed: int = param(0, lo=0, hi=10_000, label="First seed")
    # --- cost per step (measured live) ---
    # timed depths 2, M/4, M/2, 3M/4, M: evenly spread, so the line fit sees all of them
    time_max_depth: int = param(64, choices=(16, 32, 64), label="Deepest network timed")
    time_width: int = param(32, lo=8, hi=256, options=(8, 16, 32, 64, 128, 256), label="Width timed")
    # a second series at another width; 0 = none
    time_width2: int = param(64, lo=0, hi=256, options=(0, 8, 16, 32, 64, 128, 256),
                             label="Second width timed (0 = none)")
    time_points: int = param(250, lo=50, hi=5000, options=(50, 100, 250, 500, 1000, 2000, 5000),
                             label="Batch size timed (points)")
    repeats: int = param(5, lo=3, hi=15, label="Repeats per depth")
    # timed steps in one repeat; their mean is that repeat's time per step
    steps_per_repeat: int = param(1, lo=1, hi=20, label="Steps per repeat")
    compare_threads: bool = param(True, label="Compare 1 thread with all CPU threads")

    @property
    def depths(self) -> list[int]:
        return [2 ** k for k in range(1, self.max_depth.bit_length()) if 2 ** k <= self.max_depth]

    @property
    def time_depths(self) -> list[int]:
        m = self.time_max_depth
        return sorted({2, m // 4, m // 2, 3 * m // 4, m})

    @property
    def time_widths(self) -> list[int]:
        ws = [self.time_width]
        if self.time_width2 and self.time_width2 != self.time_width:
            ws.append(self.time_width2)
        return ws

    def data_settings(self) -> DataSettings:
        return DataSettings(name=self.dataset, n_samples=self.n_samples, noise=NOISE, seed=self.seed)

    def model(self, variant: int, depth: int, width: int | None = None) -> ModelSettings:
        return ModelSettings(depth=depth, width=width or self.width, activation=self.activation,
                             **VARIANTS[variant][1])

    def train_settings(self, seed: int) -> TrainSettings:
        return TrainSettings(optimizer="adam", lr=self.lr, steps=self.steps, seed=seed)


PRESETS: dict[str, dict] = {
    "Defaults": {},
    "Gentler Adam (lr 0.01)": {"lr": 0.01, "steps": 50},
    "Up to depth 64": {"max_depth": 64, "seeds": 2},
    "tanh instead of ReLU": {"activation": "tanh", "lr": 0.01, "steps": 50},
    "Wide layers, timed": {"time_width": 128, "time_width2": 256, "time_points": 200,
                           "time_max_depth": 16},
}


# ---------------------------------------------------------------- steps to a target


@dataclass
class Result:
    """Steps to a target loss for each variant x depth x seed; numpy arrays and plain numbers."""

    variants: tuple  # [V] labels, plain first
    depths: np.ndarray  # [D]
    seeds: np.ndarray  # [S]
    losses: np.ndarray  # [V, D, S, T+1] full-batch training loss after t updates (NaN once diverged)
    steps_to_target: np.ndarray  # [V, D, S] updates until loss <= target; NaN = not reached
    seconds_to_target: np.ndarray  # [V, D, S] the model's share of its batch's wall time until then
    final_loss: np.ndarray  # [V, D, S] training loss after the last update; NaN if diverged
    diverged: np.ndarray  # [V, D, S] bool: the loss became NaN/inf
    seconds_per_step: np.ndarray  # [V, D] wall time per step per model (its share of the batch)
    params: np.ndarray  # [V, D] trainable parameters
    flops_per_step: np.ndarray  # [D] matmul FLOPs of one training step (computed)
    steps: int
    target_loss: float
    width: int
    n_train: int
    lr: float
    activation: str


def train_cost(settings: SpeedSettings) -> float:
    """FLOPs of the training grid: `steps` training steps and one last forward pass per model."""
    n, w = settings.data_settings().n_train, settings.width
    per_seed = sum(budget.train_step_flops(n, 2, d, w) * settings.steps + budget.forward_flops(n, 2, d, w)
                   for d in settings.depths) * len(VARIANTS)
    return float(per_seed * settings.seeds)


def cost(settings: SpeedSettings) -> float:
    """FLOPs of the whole page: the training grid plus the timed steps."""
    return train_cost(settings) + measure_cost(settings)


def first_at_or_below(losses: np.ndarray, target: float) -> float:
    """Index of the first loss <= target (NaN never counts), or NaN if none."""
    hits = np.nonzero(np.asarray(losses) <= target)[0]
    return float(hits[0]) if len(hits) else float("nan")


def train_losses(model: ModelSettings, ts: TrainSettings, seeds: list[int], data: Dataset,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch training of one model shape from several seeds at once; only what this page needs.

    Returns (losses [K, T+1], seconds [T+1]): the training loss after t updates
    (train mode, the whole training set: what the optimizer sees; NaN from the
    first non-finite value on) and the wall time since the start after t updates.
    The same stacked model and Adam as `depthkit.train.train_many` (a test
    checks the losses agree), without its per-step evaluation and per-layer
    statistics, which would triple the cost of the batch-norm networks here.
    """
    k = len(seeds)
    params = init_params([model] * k, seeds, data.n_inputs)
    for p in params.values():
        p.requires_grad_(True)
    buffers = init_buffers(params, model)  # running statistics are not needed: never evaluated
    X = torch.as_tensor(np.stack([data.X_train] * k))
    y = torch.as_tensor(np.stack([data.y_train] * k))
    zeros = torch.zeros(k)
    opt = StackedOptimizer(params, ts.optimizer, torch.full((k,), ts.lr), zeros, zeros)
    active = torch.ones(k, dtype=torch.bool)
    losses = torch.full((ts.steps + 1, k), float("nan"), dtype=torch.float64)
    seconds = np.zeros(ts.steps + 1)
    t0 = time.perf_counter()
    for t in range(ts.steps + 1):
        logits, _ = forward(params, X, model, buffers, training=True, update_stats=False)
        loss = bce_per_model(logits, y)
        losses[t] = loss.detach().to(torch.float64)
        if t == ts.steps:
            break
        for p in params.values():
            p.grad = None
        loss.sum().backward()
        opt.step({n: p.grad for n, p in params.items()}, active)
        seconds[t + 1] = time.perf_counter() - t0
    out = losses.numpy().T.copy()
    bad = ~np.isfinite(out)
    out[np.maximum.accumulate(bad, axis=1)] = np.nan
    return out, seconds


def run(settings: SpeedSettings) -> Result:
    """Train every variant at every depth from `settings.seeds` seeds; see the module doc."""
    budget.check_budget(train_cost(settings), "Training every network for the steps-to-target chart")
    data = make_dataset(settings.data_settings())
    depths, seeds = settings.depths, [settings.seed + s for s in range(settings.seeds)]
    ts = settings.train_settings(seeds[0])
    shape = (len(VARIANTS), len(depths), len(seeds))
    T = settings.steps
    losses = np.full(shape + (T + 1,), np.nan)
    secs_to = np.full(shape, np.nan)
    per_step = np.full(shape[:2], np.nan)
    for v in range(len(VARIANTS)):
        for i, d in enumerate(depths):
            model = settings.model(v, d)
            size = max_group_size(model, len(data.y_train))
            for start in range(0, len(seeds), size):
                chunk = seeds[start:start + size]
                chunk_losses, seconds = train_losses(model, ts, chunk, data)
                losses[v, i, start:start + len(chunk)] = chunk_losses
                share = seconds / len(chunk)  # each model's share of its batch's time
                per_step[v, i] = share[-1] / T
                for j, curve in enumerate(chunk_losses):
                    hit = first_at_or_below(curve, settings.target_loss)
                    if np.isfinite(hit):
                        secs_to[v, i, start + j] = share[int(hit)]
    steps_to = np.apply_along_axis(first_at_or_below, -1, losses, settings.target_loss)
    diverged = np.isnan(losses[..., -1])
    final = losses[..., -1]
    n_train = len(data.y_train)
    return Result(
        variants=tuple(label for label, _ in VARIANTS),
        depths=np.array(depths), seeds=np.array(seeds), losses=losses,
        steps_to_target=steps_to, seconds_to_target=secs_to, final_loss=final, diverged=diverged,
        seconds_per_step=per_step,
        params=np.array([[settings.model(v, d).n_params() for d in depths] for v in range(len(VARIANTS))]),
        flops_per_step=np.array([budget.train_step_flops(n_train, 2, d, settings.width) for d in depths],
                                dtype=float),
        steps=T, target_loss=settings.target_loss, width=settings.width, n_train=n_train,
        lr=settings.lr, activation=settings.activation)


def reached_count(result: Result, variant: int, depth_index: int) -> int:
    return int(np.sum(np.isfinite(result.steps_to_target[variant, depth_index])))


def _steps_text(result: Result, v: int, i: int) -> str:
    """'reached in 3-9 steps (3/3 seeds)' or 'not reached in 80 steps (0/3 seeds)'."""
    s = result.steps_to_target[v, i]
    n = len(s)
    hit = s[np.isfinite(s)]
    if len(hit) == 0:
        return f"did not reach it in {result.steps} steps on any of {n} seeds"
    span = f"{int(hit.min())}" if hit.min() == hit.max() else f"{int(hit.min())}–{int(hit.max())}"
    return f"reached it in {span} steps on {len(hit)} of {n} seeds"


def _fmt_loss(x: float) -> str:
    return "diverged (NaN)" if not np.isfinite(x) else f"{x:.3g}"


def summary(result: Result) -> str:
    """'What you are seeing' for the steps-to-target part; numbers from `result`."""
    d = result.depths
    deep = len(d) - 1
    shallow = int(np.argmin(np.abs(d - 4)))
    fix = len(result.variants) - 1
    plain_shallow = float(np.nanmedian(result.final_loss[0, shallow])) \
        if np.isfinite(result.final_loss[0, shallow]).any() else float("nan")
    plain_deep = float(np.nanmedian(result.final_loss[0, deep])) \
        if np.isfinite(result.final_loss[0, deep]).any() else float("nan")
    return (
        "**What you are seeing — steps to a target.** "
        f"Each network trained for {result.steps} full-batch Adam steps (learning rate {result.lr:g}, "
        f"width {result.width}, {result.activation}, PyTorch's default initialization) "
        f"from {len(result.seeds)} seeds; the target is a training loss of {result.target_loss:g}. "
        f"The **plain** network at depth {d[shallow]} {_steps_text(result, 0, shallow)} "
        f"(median final loss {_fmt_loss(plain_shallow)}); at depth {d[deep]} it "
        f"{_steps_text(result, 0, deep)} (median final loss {_fmt_loss(plain_deep)}; "
        "0.693 = ln 2 is a coin flip). "
        f"That is He et al.'s degradation: the deeper plain network ends with the *higher* training "
        f"error. With **residual connections and batch norm**, depth {d[deep]} "
        f"{_steps_text(result, fix, deep)}. "
        "Wall times: the seeds of one network train together; each model gets its share of that "
        "batch's time, measured when this result was computed (it is cached).")


def tables(result: Result) -> dict[str, dict[str, np.ndarray]]:
    """Per variant x depth x seed rows for CSV download."""
    V, D, S = result.steps_to_target.shape
    v, i, j = np.meshgrid(np.arange(V), np.arange(D), np.arange(S), indexing="ij")
    v, i, j = v.ravel(), i.ravel(), j.ravel()
    return {"steps_to_target": {
        "network": np.array(result.variants)[v], "depth": result.depths[i], "seed": result.seeds[j],
        "steps_to_target": result.steps_to_target[v, i, j],
        "seconds_to_target": result.seconds_to_target[v, i, j],
        "final_train_loss": result.final_loss[v, i, j], "diverged": result.diverged[v, i, j],
        "params": result.params[v, i], "flops_per_step": result.flops_per_step[i]}}


# ---------------------------------------------------------------- cost per step (live)
