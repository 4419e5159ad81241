"""Overfitting: a deep network memorizes a small noisy training set; what each remedy buys.

`run(OverfittingSettings)` trains, for each of `n_seeds` seeds (seed, seed+1, ...):
- the *problem* network: `depth` hidden ReLU layers of `width` units on `n_train`
  noisy points, no regularization;
- the same network with one *remedy*: dropout, an L2 penalty, early stopping
  (restoring the best weights), input jitter (augmentation), more training
  data, or a smaller network;
- a *capacity sweep* (`run_sweep`): the problem network at smaller depths.

Seed s draws both the data set and the initialization, so the spread over
seeds covers both kinds of luck. Problem and remedy of one seed share the same
validation points; "more data" adds training points drawn from the same pool,
so its validation set is identical too. Each part is trained in one
`train_many` call, which batches same-shaped models, so ten seeds cost little
more than one (a batch's cost is mostly per-step overhead at these sizes).

The sweep is its own run so that a page can show problem and remedy first and
reuse the sweep when only the remedy changes (`sweep_settings` drops the
remedy fields); its largest depth is the problem network of `run`, so
`capacity(result, sweep)` joins the two.

The defaults were chosen by measuring 20 seeds (0-19): the problem network
reaches ~99% train accuracy with a ~19-point gap, and each remedy's default
strength narrows the mean gap by 40-85% while raising mean validation accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthkit import budget
from depthkit.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.models import ModelSettings, predict_proba
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train_many

REMEDIES = ("dropout", "weight decay", "early stopping", "augmentation", "more data",
            "smaller network")
N_VAL = 300  # validation points per seed: the same for every run of that seed
MAX_DATA_FACTOR = 10  # each seed's pool holds this many times n_train training points
GRID = 70  # decision-boundary grid points per axis
REMEDY_FIELDS = ("remedy", "dropout", "l2", "patience", "jitter", "data_factor", "small_depth",
                 "small_width")


@dataclass(frozen=True)
class OverfittingSettings(Settings):
    dataset: str = param("moons", choices=DATASETS, label="Dataset")
    # std of the label-blurring noise: more noise, more points to memorize wrongly
    noise: float = param(0.35, lo=0.0, hi=1.0, label="Noise")
    n_train: int = param(40, lo=20, hi=500, options=(20, 30, 40, 60, 80, 120, 200, 300, 500),
                         label="Training points")
    depth: int = param(4, lo=2, hi=12, label="Hidden layers (depth)")
    width: int = param(32, lo=4, hi=128, options=(4, 8, 16, 32, 64, 128), label="Units per layer (width)")
    steps: int = param(150, lo=20, hi=2000, options=(50, 100, 150, 200, 300, 500, 1000, 2000),
                       label="Training steps (full batch)")
    lr: float = param(0.01, lo=1e-4, hi=0.03, options=(0.001, 0.003, 0.01, 0.02, 0.03),
                      label="Learning rate (Adam)")
    remedy: str = param("dropout", choices=REMEDIES, label="Remedy")
    dropout: float = param(0.5, lo=0.05, hi=0.9, options=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
                           label="Dropout p")
    # coupled L2: AdamW's decoupled decay barely touches weights this small (measured)
    l2: float = param(0.02, lo=1e-4, hi=0.2, options=(0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2),
                      label="Weight decay: L2 penalty",
                      help="Adds l2 * w to every gradient, i.e. (l2/2)*||w||^2 to the loss.")
    patience: int = param(30, lo=1, hi=1000, options=(5, 10, 20, 30, 50, 100, 200),
                          label="Early stopping: patience (steps)",
                          help="Stop when validation loss has not improved for this many steps, "
                               "then restore the weights of the best step.")
    jitter: float = param(0.3, lo=0.01, hi=1.0, options=(0.05, 0.1, 0.2, 0.3, 0.5, 0.8),
                          label="Augmentation: input jitter (std)",
                          help="Gaussian noise added to the training points at every step "
                               "(in standardized units).")
    data_factor: int = param(10, lo=2, hi=MAX_DATA_FACTOR, options=(2, 3, 5, 10),
                             label="More data: times as many training points")
    small_depth: int = param(1, lo=1, hi=12, label="Smaller network: depth")
    small_width: int = param(4, lo=2, hi=128, options=(2, 4, 8, 16, 32, 64), label="Smaller network: width")
    n_seeds: int = param(10, lo=3, hi=20, label="Seeds in the spread")
    seed: int = param(0, lo=0, hi=100000, label="First seed")

    def check(self) -> None:
        if self.remedy == "smaller network":
            small, big = self.small_model().n_params(), self.problem_model().n_params()
            if small >= big:
                raise ValueError(
                    f"OverfittingSettings: the smaller network ({self.small_depth} x {self.small_width}, "
                    f"{small:,} parameters) is not smaller than the problem network "
                    f"({self.depth} x {self.width}, {big:,} parameters)")

    def problem_model(self) -> ModelSettings:
        return ModelSettings(depth=self.depth, width=self.width, activation="relu")

    def small_model(self) -> ModelSettings:
        return ModelSettings(depth=self.small_depth, width=self.small_width, activation="relu")

    @property
    def seeds(self) -> list[int]:
        return list(range(self.seed, self.seed + self.n_seeds))


def remedy_label(s: OverfittingSettings) -> str:
    """The remedy and its strength, in words."""
    return {
        "dropout": f"dropout {s.dropout:g}",
        "weight decay": f"weight decay (L2 {s.l2:g})",
        "early stopping": f"early stopping (patience {s.patience})",
        "augmentation": f"input jitter {s.jitter:g}",
        "more data": f"{s.data_factor}x more data ({s.n_train * s.data_factor} points)",
        "smaller network": f"a smaller network ({s.small_depth} x {s.small_width})",
    }[s.remedy]


def _train_settings(s: OverfittingSettings, seed: int, **changes) -> TrainSettings:
    return TrainSettings(optimizer="adam", lr=s.lr, steps=s.steps, seed=seed, **changes)


def remedy_setup(s: OverfittingSettings) -> tuple[ModelSettings, dict, int]:
    """(model, TrainSettings overrides, training points) of the remedied network."""
    model, changes, n_train = s.problem_model(), {}, s.n_train
    if s.remedy == "dropout":
        model = model.replace(dropout=s.dropout)
    elif s.remedy == "weight decay":
        changes = {"l2": s.l2}
    elif s.remedy == "early stopping":
        changes = {"patience": s.patience, "restore_best": True}
    elif s.remedy == "augmentation":
        changes = {"input_noise": s.jitter}
    elif s.remedy == "more data":
        n_train = s.n_train * s.data_factor
    else:
        model = s.small_model()
    return model, changes, n_train


def sweep_depths(depth: int) -> list[int]:
    """Depths of the capacity sweep, ending with the problem network's own."""
    return sorted(d for d in {1, 2, depth // 2, depth} if 1 <= d <= depth)


def make_pool(s: OverfittingSettings, seed: int) -> Dataset:
    """One seed's data: N_VAL validation points and MAX_DATA_FACTOR * n_train training points."""
    n = N_VAL + s.n_train * MAX_DATA_FACTOR
    return make_dataset(DataSettings(name=s.dataset, n_samples=n, noise=s.noise,
                                     val_fraction=N_VAL / n, seed=seed))


def first_points(pool: Dataset, n_train: int) -> Dataset:
    """The pool's first n_train training points (a random subset: the split shuffles)."""
    return Dataset(pool.X_train[:n_train], pool.y_train[:n_train], pool.X_val, pool.y_val,
                   pool.mean, pool.std)


def cost(s: OverfittingSettings) -> float:
    """Matmul FLOPs of `run`: problem and remedy on every seed, plus the boundary grids."""
    r_model, r_changes, r_n = remedy_setup(s)
    per_seed = run_flops(s.problem_model(), _train_settings(s, 0), s.n_train, N_VAL)
    per_seed += run_flops(r_model, _train_settings(s, 0, **r_changes), r_n, N_VAL)
    return s.n_seeds * per_seed + 2 * 2 * GRID * GRID * (s.depth * s.width ** 2)


def sweep_settings(s: OverfittingSettings) -> OverfittingSettings:
    """The settings the sweep depends on: remedy fields back at their defaults."""
    defaults = OverfittingSettings()
    return s.replace(**{name: getattr(defaults, name) for name in REMEDY_FIELDS})


def sweep_cost(s: OverfittingSettings) -> float:
    """Matmul FLOPs of `run_sweep`."""
    return s.n_seeds * sum(run_flops(s.problem_model().replace(depth=d), _train_settings(s, 0),
                                     s.n_train, N_VAL) for d in sweep_depths(s.depth)[:-1])


@dataclass
class Result:
    """Curves of the first seed, finals of every seed, boundaries, capacity sweep."""

    remedy: str  # e.g. "dropout 0.5"
    seeds: np.ndarray  # [S]
    # per-step curves of every seed [S, T] (NaN after an early stop or divergence)
    problem_train_loss: np.ndarray
    problem_val_loss: np.ndarray
    problem_train_acc: np.ndarray
    problem_val_acc: np.ndarray
    remedy_train_loss: np.ndarray
    remedy_val_loss: np.ndarray
    remedy_train_acc: np.ndarray
    remedy_val_acc: np.ndarray
    # final accuracies and validation loss [S] (for early stopping: of the restored weights)
    problem_final_train_acc: np.ndarray
    problem_final_val_acc: np.ndarray
    problem_final_val_loss: np.ndarray
    remedy_final_train_acc: np.ndarray
    remedy_final_val_acc: np.ndarray
    remedy_final_val_loss: np.ndarray
    # early stopping [S]: restored step and stop step, -1 where none
    best_step: np.ndarray
    stopped_step: np.ndarray
    # first step that became non-finite [S], -1 where none
    problem_diverged: np.ndarray
    remedy_diverged: np.ndarray
    problem_params: int
    remedy_params: int
    remedy_n_train: int
    # decision boundaries of the first seed: P(class 1) on a grid [GRID, GRID]
    grid_x: np.ndarray
    grid_y: np.ndarray
    problem_proba: np.ndarray
    remedy_proba: np.ndarray
    X_train: np.ndarray  # first seed's problem training points [n, 2] (standardized)
    y_train: np.ndarray
    X_train_remedy: np.ndarray  # the remedy's training points (more data: more of them)
    y_train_remedy: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    depth: int  # of the problem network
    batch_models: int  # models the first seed's problem network trained together with

    @property
    def problem_gap(self) -> np.ndarray:
        return self.problem_final_train_acc - self.problem_final_val_acc

    @property
    def remedy_gap(self) -> np.ndarray:
        return self.remedy_final_train_acc - self.remedy_final_val_acc


@dataclass
class SweepResult:
    """The problem network at the smaller depths of `sweep_depths` (the largest is in Result)."""

    seeds: np.ndarray  # [S]
    depths: np.ndarray  # [D-1]
    params: np.ndarray  # [D-1]
    train_acc: np.ndarray  # [D-1, S] final accuracies
    val_acc: np.ndarray


@dataclass
class Capacity:
    """The whole sweep: smaller depths from SweepResult, the largest from Result."""

    depths: np.ndarray  # [D]
    params: np.ndarray  # [D]
    train_acc: np.ndarray  # [D, S]
    val_acc: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        return self.train_acc - self.val_acc


def capacity(result: Result, sweep: SweepResult) -> Capacity:
    """Join the sweep with the problem network it ends at (same seeds)."""
    if not np.array_equal(result.seeds, sweep.seeds):
        raise ValueError("capacity: the sweep and the result were run on different seeds")
    return Capacity(np.r_[sweep.depths, result.depth].astype(int),
                    np.r_[sweep.params, result.problem_params].astype(int),
                    np.vstack([sweep.train_acc, result.problem_final_train_acc[None]]),
                    np.vstack([sweep.val_acc, result.problem_final_val_acc[None]]))


def _stack(results: list[TrainResult], name: str) -> np.ndarray:
    return np.stack([getattr(r, name) for r in results])


def _grid(points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    allp = np.concatenate(points)
    lo, hi = allp.min(axis=0) - 0.4, allp.max(axis=0) + 0.4
    return np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)


def _proba_grid(model: ModelSettings, res: TrainResult, gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    xx, yy = np.meshgrid(gx, gy)
    pts = np.c_[xx.ravel(), yy.ravel()].astype(np.float32)
    return predict_proba(model, res.params, pts, res.buffers).reshape(GRID, GRID)


def _check_settings(settings) -> None:
    if not isinstance(settings, OverfittingSettings):
        raise ValueError(f"expected OverfittingSettings, got {type(settings).__name__}")


def run(settings: OverfittingSettings) -> Result:
    """Train problem and remedy on every seed (one batched call); deterministic."""
    _check_settings(settings)
    s = settings
    budget.check_budget(cost(s), "The overfitting experiment")
    r_model, r_changes, r_n = remedy_setup(s)
    runs = []
    for seed in s.seeds:
        pool = make_pool(s, seed)
        runs.append((s.problem_model(), _train_settings(s, seed), first_points(pool, s.n_train)))
        runs.append((r_model, _train_settings(s, seed, **r_changes), first_points(pool, r_n)))
    results = train_many(runs)
    prob, rem = results[0::2], results[1::2]
    first, first_rem = runs[0][2], runs[1][2]
    gx, gy = _grid([first.X_train, first.X_val, first_rem.X_train])

    def steps_of(rs, name):
        return np.array([-1 if getattr(r, name) is None else int(getattr(r, name)) for r in rs])

    return Result(
        remedy=remedy_label(s), seeds=np.array(s.seeds),
        **{f"problem_{n}": _stack(prob, n) for n in ("train_loss", "val_loss", "train_acc", "val_acc")},
        **{f"remedy_{n}": _stack(rem, n) for n in ("train_loss", "val_loss", "train_acc", "val_acc")},
        **{f"problem_final_{n}": np.array([getattr(r, f"final_{n}") for r in prob])
           for n in ("train_acc", "val_acc", "val_loss")},
        **{f"remedy_final_{n}": np.array([getattr(r, f"final_{n}") for r in rem])
           for n in ("train_acc", "val_acc", "val_loss")},
        best_step=steps_of(rem, "best_step") if s.remedy == "early stopping" else np.full(len(rem), -1),
        stopped_step=steps_of(rem, "stopped_step"),
        problem_diverged=steps_of(prob, "diverged_step"), remedy_diverged=steps_of(rem, "diverged_step"),
        problem_params=s.problem_model().n_params(), remedy_params=r_model.n_params(), remedy_n_train=r_n,
        grid_x=gx, grid_y=gy,
        problem_proba=_proba_grid(s.problem_model(), prob[0], gx, gy),
        remedy_proba=_proba_grid(r_model, rem[0], gx, gy),
        X_train=first.X_train, y_train=first.y_train,
        X_train_remedy=first_rem.X_train, y_train_remedy=first_rem.y_train,
        X_val=first.X_val, y_val=first.y_val, depth=s.depth, batch_models=prob[0].batch_size_models,
    )


def run_sweep(settings: OverfittingSettings) -> SweepResult:
    """The problem network at the sweep's smaller depths, on every seed; deterministic."""
    _check_settings(settings)
    s = sweep_settings(settings)
    budget.check_budget(sweep_cost(s), "The capacity sweep")
    depths = sweep_depths(s.depth)[:-1]
    data = [first_points(make_pool(s, seed), s.n_train) for seed in s.seeds]
    runs = [(s.problem_model().replace(depth=d), _train_settings(s, seed), data[i])
            for d in depths for i, seed in enumerate(s.seeds)]
    results = train_many(runs)
    n = len(s.seeds)
    return SweepResult(
        seeds=np.array(s.seeds), depths=np.array(depths, dtype=int),
        params=np.array([s.problem_model().replace(depth=d).n_params() for d in depths], dtype=int),
        train_acc=np.array([[r.final_train_acc for r in results[k * n:(k + 1) * n]]
                            for k in range(len(depths))]).reshape(len(depths), n),
        val_acc=np.array([[r.final_val_acc for r in results[k * n:(k + 1) * n]]
                          for k in range(len(depths))]).reshape(len(depths), n))


PRESETS: dict[str, dict] = {
    # noisier, fewer points, longer: the boundary draws islands around single points
    "Memorize the noise": {"noise": 0.5, "n_train": 30, "steps": 300},
    "Dropout 0.5": {"remedy": "dropout", "dropout": 0.5},
    "Weight decay (L2)": {"remedy": "weight decay", "l2": 0.02},
    "Early stopping": {"remedy": "early stopping", "patience": 30},
    "Input jitter": {"remedy": "augmentation", "jitter": 0.3},
    "10x more data": {"remedy": "more data", "data_factor": 10},
    "A smaller network": {"remedy": "smaller network", "small_depth": 1, "small_width": 4},
}


def _pts(x: float) -> str:
    """An accuracy difference in percentage points."""
    return f"{100 * x:.1f}"


def _gap(x: float) -> str:
    """'a 19.0-point gap', 'an 11.3-point gap' (the article as the number is spoken)."""
    number = _pts(x)
    whole = number.split(".")[0]  # "-8" reads "minus eight": "a"
    article = "an" if whole.startswith("8") or whole in ("11", "18") else "a"
    return f"{article} {number}-point gap"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def summary(r: Result, sweep: SweepResult | None = None) -> str:
    """The "What you are seeing" text; every number comes from `r` (and `sweep`)."""
    n = len(r.seeds)
    pg, rg = r.problem_gap, r.remedy_gap
    narrower = int(np.sum(rg < pg))
    better_val = int(np.sum(r.remedy_final_val_acc > r.problem_final_val_acc))
    d_val = r.remedy_final_val_acc.mean() - r.problem_final_val_acc.mean()
    reduction = 1 - rg.mean() / pg.mean() if pg.mean() > 0 else float("nan")
    lines = [
        "**What you are seeing.** "
        f"Without a remedy, the network ({r.problem_params:,} parameters for {len(r.y_train)} training "
        f"points) reaches train accuracy {_pct(r.problem_final_train_acc[0])} and validation accuracy "
        f"{_pct(r.problem_final_val_acc[0])} on seed {r.seeds[0]}: {_gap(pg[0])}. "
        "Where its boundary bends around single training points, it has learned their noise. "
        f"With {r.remedy}: train {_pct(r.remedy_final_train_acc[0])}, validation "
        f"{_pct(r.remedy_final_val_acc[0])}, {_gap(rg[0])}.",
        "",
        f"**Over {n} seeds** (seeds {r.seeds[0]}-{r.seeds[-1]}, each with its own data and initialization): "
        f"the mean gap is {_pts(pg.mean())} points without a remedy (range {_pts(pg.min())} to "
        f"{_pts(pg.max())}) and {_pts(rg.mean())} with {r.remedy}"
        + (f", {100 * reduction:.0f}% narrower. " if reduction >= 0 else
           f", {-100 * reduction:.0f}% wider. " if reduction < 0 else ". ")
        + f"The gap narrowed on {narrower} of {n} seeds"
        + (" (on every seed)" if narrower == n else
           ", so this remedy helped on only some seeds" if 0 < narrower else ", on none")
        + f". Mean validation accuracy went from {_pct(r.problem_final_val_acc.mean())} to "
        f"{_pct(r.remedy_final_val_acc.mean())} ({'+' if d_val >= 0 else '−'}{_pts(abs(d_val))} points; "
        f"higher on {better_val} of {n} seeds).",
    ]
    if (r.best_step >= 0).any():
        stopped = r.stopped_step[0]
        lines += ["", f"**Early stopping** on seed {r.seeds[0]}: validation loss was lowest at step "
                  f"{r.best_step[0]}; "
                  + (f"patience ran out at step {stopped}, " if stopped >= 0 else
                     "patience never ran out before the last step; ")
                  + f"the weights of step {r.best_step[0]} were restored."]
    cap = capacity(r, sweep) if sweep is not None else None
    if cap is not None and len(cap.depths) > 1:
        d0, d1 = cap.depths[0], cap.depths[-1]
        g = cap.gap.mean(axis=1)
        lines += ["", f"**Capacity:** the mean gap grows from {_pts(g[0])} points at depth {d0} "
                  f"({cap.params[0]:,} parameters) to {_pts(g[-1])} at depth {d1} "
                  f"({cap.params[-1]:,} parameters)." if g[-1] > g[0] else
                  f"**Capacity:** here the mean gap does not grow with depth: {_pts(g[0])} points at "
                  f"depth {d0}, {_pts(g[-1])} at depth {d1}."]
    div = [f"seed {s}: step {t}" for s, t in zip(r.seeds, r.problem_diverged) if t >= 0]
    div += [f"seed {s} with the remedy: step {t}" for s, t in zip(r.seeds, r.remedy_diverged) if t >= 0]
    if div:
        lines += ["", "Some runs diverged (loss or gradient became non-finite) and stopped: "
                  + "; ".join(div) + ". Their accuracies are those of the last finite weights."]
    return "\n".join(lines)


def tables(r: Result, sweep: SweepResult | None = None) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: first seed's curves, every seed's finals, the capacity sweep (if given)."""
    steps = np.arange(r.problem_train_loss.shape[1])
    per_step = {"step": steps}
    for role in ("problem", "remedy"):
        for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
            per_step[f"{role}_{name}"] = getattr(r, f"{role}_{name}")[0]
    per_seed = {"seed": r.seeds,
                "problem_train_acc": r.problem_final_train_acc, "problem_val_acc": r.problem_final_val_acc,
                "problem_gap": r.problem_gap,
                "remedy_train_acc": r.remedy_final_train_acc, "remedy_val_acc": r.remedy_final_val_acc,
                "remedy_gap": r.remedy_gap, "best_step": r.best_step, "stopped_step": r.stopped_step}
    out = {"per_step": per_step, "per_seed": per_seed}
    if sweep is not None:
        cap = capacity(r, sweep)
        n_d, n_s = cap.train_acc.shape
        out["capacity"] = {"depth": np.repeat(cap.depths, n_s), "parameters": np.repeat(cap.params, n_s),
                           "seed": np.tile(r.seeds, n_d), "train_acc": cap.train_acc.ravel(),
                           "val_acc": cap.val_acc.ravel()}
    return out
