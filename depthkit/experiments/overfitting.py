"""Overfitting: a deep network memorizes a small noisy training set; what each remedy buys.

`run(OverfittingSettings)` trains, for each of `n_seeds` seeds (seed, seed+1, ...):
- the *problem* network: `depth` hidden ReLU layers of `width` units on `n_train`
  noisy points, no regularization;
- the same network with one *remedy*: dropout, a coupled L2 penalty, early stopping
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

Evaluation: the validation set (N_VAL points) is what early stopping watches;
the test set (N_TEST points, same distribution) is scored once at the end and
never used to choose a step or, on seeds outside TUNING_SEEDS (where the
defaults were chosen), a setting, so every remedy is judged on it, by test
accuracy rather than by the train-test gap (an underfitting network has a
small gap too). With `label_flip`, that share of the training labels is
flipped (label noise that a deep network memorizes, Zhang et al. 2017);
validation and test labels never are. make_moons' `noise` only moves points.

The defaults (20% flipped labels, noise 0.2, 60 points, 4 x 32, 150 Adam
steps) and each remedy preset's strength were chosen on seeds 100-119 only;
seeds 0-9 (the tests) and 10-19 (a one-off check) played no part. On both,
every remedy preset raised mean test accuracy by 5 points or more and was at
least as good as no remedy on at least 8 of 10 seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthkit import budget, fmt
from depthkit.data import DATASETS, Dataset, DataSettings, flip_labels, make_dataset
from depthkit.models import ModelSettings, predict_proba
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train_many

REMEDIES = ("dropout", "weight decay", "early stopping", "augmentation", "more data",
            "smaller network")
N_VAL = 300  # validation points per seed: the same for every run of that seed
N_TEST = 2000  # test points per seed: scored once at the end, never used to choose anything
TUNING_SEEDS = range(100, 120)  # the seeds the defaults and presets were chosen on (test sets included)
MAX_DATA_FACTOR = 10  # each seed's pool holds this many times n_train training points
GRID = 70  # decision-boundary grid points per axis
REMEDY_FIELDS = ("remedy", "dropout", "l2", "patience", "jitter", "data_factor", "small_depth",
                 "small_width")


@dataclass(frozen=True)
class OverfittingSettings(Settings):
    dataset: str = param("moons", choices=DATASETS, label="Dataset")
    noise: float = param(0.2, lo=0.0, hi=1.0, label="Noise",
                         help="Gaussian noise of this std moves each point; it flips no label.")
    label_flip: float = param(0.2, lo=0.0, hi=0.4, options=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4),
                              label="Flipped training labels (share)",
                              help="Label noise: this share of the training labels is flipped to the other "
                                   "class (validation and test labels are not). The network can still "
                                   "memorize them (Zhang et al. 2017).")
    n_train: int = param(60, lo=20, hi=500, options=(20, 30, 40, 60, 80, 120, 200, 300, 500),
                         label="Training points")
    depth: int = param(4, lo=2, hi=12, label="Hidden layers (depth)")
    width: int = param(32, lo=4, hi=128, options=(4, 8, 16, 32, 64, 128), label="Units per layer (width)")
    steps: int = param(150, lo=20, hi=2000, options=(50, 100, 150, 200, 300, 500, 1000, 2000),
                       label="Training steps (full batch)")
    lr: float = param(0.01, lo=1e-4, hi=0.03, options=(0.001, 0.003, 0.01, 0.02, 0.03),
                      label="Learning rate (Adam)")
    remedy: str = param("dropout", choices=REMEDIES, label="Remedy")
    dropout: float = param(0.3, lo=0.05, hi=0.9, options=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
                           label="Dropout p")
    # coupled L2 (Loshchilov & Hutter 2019): AdamW's decoupled decay would shrink every weight by
    # lr * lambda = 1.5e-4 per step at these defaults, about 2% over 150 steps: weak
    l2: float = param(0.015, lo=1e-4, hi=0.2, options=(0.001, 0.003, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.2),
                      label="Weight decay: L2 penalty",
                      help="Coupled L2: adds l2 · w to every gradient, i.e. (l2/2)·‖w‖² to the loss. "
                           "Adam then divides it by √v̂ like the rest of the gradient, so it acts hardest "
                           "on weights whose loss gradient is small (Loshchilov & Hutter 2019). Decoupled "
                           "weight decay (AdamW) would instead shrink every weight by the same fraction "
                           "lr · λ per step, whatever its size: weak in a run this short.")
    patience: int = param(30, lo=1, hi=1000, options=(5, 10, 20, 30, 50, 100, 200),
                          label="Early stopping: patience (steps)",
                          help="Stop when validation loss has not improved for this many steps, "
                               "then restore the weights of the best step.")
    jitter: float = param(0.4, lo=0.01, hi=1.0, options=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.8),
                          label="Augmentation: input jitter (std)",
                          help="Gaussian noise added to the training points at every step "
                               "(in standardized units).")
    data_factor: int = param(10, lo=2, hi=MAX_DATA_FACTOR, options=(2, 3, 5, 10),
                             label="More data: times as many training points")
    small_depth: int = param(2, lo=1, hi=12, label="Smaller network: depth")
    small_width: int = param(16, lo=2, hi=128, options=(2, 4, 8, 16, 32, 64), label="Smaller network: width")
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
        "dropout": f"dropout {fmt.num(s.dropout)}",
        "weight decay": f"weight decay (L2 {fmt.num(s.l2)})",
        "early stopping": f"early stopping (patience {s.patience})",
        "augmentation": f"input jitter {fmt.num(s.jitter)}",
        "more data": f"{s.data_factor} times as much data ({s.n_train * s.data_factor:,} points)",
        "smaller network": f"a smaller network ({s.small_depth} × {s.small_width})",
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


@dataclass(frozen=True)
class Pool:
    """One seed's data: validation, test, and MAX_DATA_FACTOR * n_train training points."""

    data: Dataset  # training points (labels flipped if asked) and the N_VAL validation points
    X_test: np.ndarray  # [N_TEST, 2] standardized like the rest; never used to choose anything
    y_test: np.ndarray
    flipped: np.ndarray  # [n_train * MAX_DATA_FACTOR] bool: training labels that were flipped


def make_pool(s: OverfittingSettings, seed: int) -> Pool:
    """One seed's data, all from the same distribution; only training labels are ever flipped."""
    n_train_pool = s.n_train * MAX_DATA_FACTOR
    n = N_VAL + N_TEST + n_train_pool
    d = make_dataset(DataSettings(name=s.dataset, n_samples=n, noise=s.noise,
                                  val_fraction=(N_VAL + N_TEST) / n, seed=seed))
    # the split shuffles, so the first N_VAL held-out points are a random validation set
    X_val, y_val, X_test, y_test = d.X_val[:N_VAL], d.y_val[:N_VAL], d.X_val[N_VAL:], d.y_val[N_VAL:]
    # each block of n_train points gets exactly the asked share, so the problem's own points and
    # every "more data" set (a whole number of blocks) hold that share
    blocks = [flip_labels(d.y_train[k * s.n_train:(k + 1) * s.n_train], s.label_flip, seed + 1_000_003 * k)
              for k in range(MAX_DATA_FACTOR)]
    data = Dataset(d.X_train, np.concatenate([y for y, _ in blocks]), X_val, y_val, d.mean, d.std)
    return Pool(data, X_test, y_test, np.concatenate([f for _, f in blocks]))


def first_points(pool: Pool, n_train: int) -> Dataset:
    """The pool's first n_train training points (a random subset: the split shuffles)."""
    d = pool.data
    return Dataset(d.X_train[:n_train], d.y_train[:n_train], d.X_val, d.y_val, d.mean, d.std)


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
    label_flip: float  # share of training labels flipped
    lr: float  # Adam's learning rate
    l2: float  # the L2 strength (used by the "weight decay" remedy)
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
    # test accuracy [S] of the final (for early stopping: restored) weights on N_TEST held-out points
    problem_final_test_acc: np.ndarray
    remedy_final_test_acc: np.ndarray
    # share of the flipped training labels [S] that the final weights predict (memorized);
    # NaN where no label was flipped
    problem_memorized: np.ndarray
    remedy_memorized: np.ndarray
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
    flipped: np.ndarray  # first seed's problem training points whose label was flipped [n] bool
    flipped_remedy: np.ndarray  # the same for the remedy's training points
    X_val: np.ndarray
    y_val: np.ndarray
    depth: int  # of the problem network
    batch_models: int  # models the first seed's problem network trained together with

    @property
    def problem_gap(self) -> np.ndarray:
        """Train minus test accuracy [S]: how much of the training score does not carry over."""
        return self.problem_final_train_acc - self.problem_final_test_acc

    @property
    def remedy_gap(self) -> np.ndarray:
        return self.remedy_final_train_acc - self.remedy_final_test_acc

    @property
    def test_gain(self) -> np.ndarray:
        """Remedy minus no remedy, test accuracy [S]: the verdict on the remedy."""
        return self.remedy_final_test_acc - self.problem_final_test_acc


@dataclass
class SweepResult:
    """The problem network at the smaller depths of `sweep_depths` (the largest is in Result)."""

    seeds: np.ndarray  # [S]
    depths: np.ndarray  # [D-1]
    params: np.ndarray  # [D-1]
    train_acc: np.ndarray  # [D-1, S] final accuracies
    val_acc: np.ndarray
    test_acc: np.ndarray


@dataclass
class Capacity:
    """The whole sweep: smaller depths from SweepResult, the largest from Result."""

    depths: np.ndarray  # [D]
    params: np.ndarray  # [D]
    train_acc: np.ndarray  # [D, S]
    val_acc: np.ndarray
    test_acc: np.ndarray

    @property
    def gap(self) -> np.ndarray:
        """Train minus test accuracy [D, S]."""
        return self.train_acc - self.test_acc


def capacity(result: Result, sweep: SweepResult) -> Capacity:
    """Join the sweep with the problem network it ends at (same seeds)."""
    if not np.array_equal(result.seeds, sweep.seeds):
        raise ValueError("capacity: the sweep and the result were run on different seeds")
    return Capacity(np.r_[sweep.depths, result.depth].astype(int),
                    np.r_[sweep.params, result.problem_params].astype(int),
                    np.vstack([sweep.train_acc, result.problem_final_train_acc[None]]),
                    np.vstack([sweep.val_acc, result.problem_final_val_acc[None]]),
                    np.vstack([sweep.test_acc, result.problem_final_test_acc[None]]))


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


def _test_acc(model: ModelSettings, res: TrainResult, pool: Pool) -> float:
    """Accuracy of the final weights on the pool's test points (eval mode: no dropout)."""
    proba = predict_proba(model, res.params, pool.X_test, res.buffers)
    return float(np.mean((proba > 0.5) == (pool.y_test > 0.5)))


def _memorized(model: ModelSettings, res: TrainResult, data: Dataset, flipped: np.ndarray) -> float:
    """Share of the flipped training points whose (flipped) label the final weights predict."""
    if not flipped.any():
        return float("nan")
    proba = predict_proba(model, res.params, data.X_train[flipped], res.buffers)
    return float(np.mean((proba > 0.5) == (data.y_train[flipped] > 0.5)))


def _check_settings(settings) -> None:
    if not isinstance(settings, OverfittingSettings):
        raise ValueError(f"expected OverfittingSettings, got {type(settings).__name__}")


def run(settings: OverfittingSettings) -> Result:
    """Train problem and remedy on every seed (one batched call); deterministic."""
    _check_settings(settings)
    s = settings
    budget.check_budget(cost(s), "The overfitting experiment")
    r_model, r_changes, r_n = remedy_setup(s)
    runs, pools = [], [make_pool(s, seed) for seed in s.seeds]
    for seed, pool in zip(s.seeds, pools):
        runs.append((s.problem_model(), _train_settings(s, seed), first_points(pool, s.n_train)))
        runs.append((r_model, _train_settings(s, seed, **r_changes), first_points(pool, r_n)))
    results = train_many(runs)
    prob, rem = results[0::2], results[1::2]
    first, first_rem = runs[0][2], runs[1][2]
    gx, gy = _grid([first.X_train, first.X_val, first_rem.X_train])

    def steps_of(rs, name):
        return np.array([-1 if getattr(r, name) is None else int(getattr(r, name)) for r in rs])

    return Result(
        remedy=remedy_label(s), label_flip=s.label_flip, lr=s.lr, l2=s.l2, seeds=np.array(s.seeds),
        **{f"problem_{n}": _stack(prob, n) for n in ("train_loss", "val_loss", "train_acc", "val_acc")},
        **{f"remedy_{n}": _stack(rem, n) for n in ("train_loss", "val_loss", "train_acc", "val_acc")},
        **{f"problem_final_{n}": np.array([getattr(r, f"final_{n}") for r in prob])
           for n in ("train_acc", "val_acc", "val_loss")},
        **{f"remedy_final_{n}": np.array([getattr(r, f"final_{n}") for r in rem])
           for n in ("train_acc", "val_acc", "val_loss")},
        problem_final_test_acc=np.array([_test_acc(s.problem_model(), r, p) for r, p in zip(prob, pools)]),
        remedy_final_test_acc=np.array([_test_acc(r_model, r, p) for r, p in zip(rem, pools)]),
        problem_memorized=np.array([_memorized(s.problem_model(), r, d, p.flipped[:s.n_train])
                                    for r, (_, _, d), p in zip(prob, runs[0::2], pools)]),
        remedy_memorized=np.array([_memorized(r_model, r, d, p.flipped[:r_n])
                                   for r, (_, _, d), p in zip(rem, runs[1::2], pools)]),
        best_step=steps_of(rem, "best_step") if s.remedy == "early stopping" else np.full(len(rem), -1),
        stopped_step=steps_of(rem, "stopped_step"),
        problem_diverged=steps_of(prob, "diverged_step"), remedy_diverged=steps_of(rem, "diverged_step"),
        problem_params=s.problem_model().n_params(), remedy_params=r_model.n_params(), remedy_n_train=r_n,
        grid_x=gx, grid_y=gy,
        problem_proba=_proba_grid(s.problem_model(), prob[0], gx, gy),
        remedy_proba=_proba_grid(r_model, rem[0], gx, gy),
        X_train=first.X_train, y_train=first.y_train,
        X_train_remedy=first_rem.X_train, y_train_remedy=first_rem.y_train,
        flipped=pools[0].flipped[:s.n_train], flipped_remedy=pools[0].flipped[:r_n],
        X_val=first.X_val, y_val=first.y_val, depth=s.depth, batch_models=prob[0].batch_size_models,
    )


def run_sweep(settings: OverfittingSettings) -> SweepResult:
    """The problem network at the sweep's smaller depths, on every seed; deterministic."""
    _check_settings(settings)
    s = sweep_settings(settings)
    budget.check_budget(sweep_cost(s), "The capacity sweep")
    depths = sweep_depths(s.depth)[:-1]
    pools = [make_pool(s, seed) for seed in s.seeds]
    models = [s.problem_model().replace(depth=d) for d in depths]
    runs = [(m, _train_settings(s, seed), first_points(pool, s.n_train))
            for m in models for seed, pool in zip(s.seeds, pools)]
    results = train_many(runs)
    n = len(s.seeds)

    def per_depth(score) -> np.ndarray:
        return np.array([[score(m, results[k * n + i], pools[i]) for i in range(n)]
                         for k, m in enumerate(models)]).reshape(len(depths), n)

    return SweepResult(
        seeds=np.array(s.seeds), depths=np.array(depths, dtype=int),
        params=np.array([m.n_params() for m in models], dtype=int),
        train_acc=per_depth(lambda m, r, p: r.final_train_acc),
        val_acc=per_depth(lambda m, r, p: r.final_val_acc),
        test_acc=per_depth(_test_acc))


PRESETS: dict[str, dict] = {
    # more flipped labels and longer training: test accuracy lower; the memorized share stays about
    # the same as at the defaults (mean 91% vs 92% on seeds 0-9), not higher
    "Memorize the noise": {"label_flip": 0.3, "steps": 300},
    "Dropout 0.3": {"remedy": "dropout", "dropout": 0.3},
    "Weight decay (L2)": {"remedy": "weight decay", "l2": 0.015},
    "Early stopping": {"remedy": "early stopping", "patience": 30},
    "Input jitter": {"remedy": "augmentation", "jitter": 0.4},
    "10x more data": {"remedy": "more data", "data_factor": 10},
    "A smaller network": {"remedy": "smaller network", "small_depth": 2, "small_width": 16},
}


def _size(diff: float) -> str:
    """The size of an accuracy difference, unsigned: '4.3 points' (the sentence gives the direction)."""
    return fmt.points(abs(diff)).lstrip("+")


def _gap(diff: float) -> str:
    """A train-test gap: '9.1 points', '−8.4 points'."""
    return fmt.points(diff).lstrip("+")


HELPS_ON = 0.8  # "helped": higher mean test accuracy and at least as good on this share of seeds


def verdict(r: Result) -> str:
    """Did the remedy help, judged on test accuracy over the seeds (never on the gap)?"""
    n, gain = len(r.seeds), r.test_gain
    k = int(np.sum(gain >= 0))
    mean = float(gain.mean())
    if round(100 * mean, 1) <= 0:
        return (f"**Here {r.remedy} did not help:** mean test accuracy "
                + (f"fell by {_size(mean)}" if round(100 * mean, 1) < 0 else "did not change")
                + f" (at least as good as no remedy on {k} of {n} seeds).")
    if k >= HELPS_ON * n:
        return (f"**Here {r.remedy} helped:** mean test accuracy rose by {_size(mean)}, and it was "
                f"at least as good as no remedy on {k} of {n} seeds.")
    return (f"**Here {r.remedy} helped on average but not reliably:** mean test accuracy rose by "
            f"{_size(mean)}, yet it was worse than no remedy on {n - k} of {n} seeds.")


def _memorized_text(r: Result, role: str) -> str:
    return fmt.percent(float(np.mean(getattr(r, f"{role}_memorized"))))


def first_seed_fit(r: Result) -> str:
    """What the first seed (the curves and boundaries) shows about fitting the noise, from its numbers."""
    seed, gap = r.seeds[0], r.problem_gap[0]
    fitted = "Where its boundary bends around single training points, it has fitted their noise."
    if not r.flipped.any():
        return fitted if gap > 0 else (f"On seed {seed} its train accuracy is not above its test "
                                       "accuracy: it has not fitted the noise of its points.")
    mem, mean = r.problem_memorized[0], float(np.mean(r.problem_memorized))
    if mem <= 0.5:
        return (f"On seed {seed} it did not memorize the flipped labels: it predicts the flipped label for "
                f"only {fmt.percent(mem)} of them (over the seeds, {fmt.percent(mean)} on average)"
                + (": this seed is an exception." if mean > 0.5 else "."))
    if gap <= 0:
        return (f"On seed {seed} it predicts the flipped label for {fmt.percent(mem)} of those points, "
                "yet its train accuracy is not above its test accuracy.")
    return f"On seed {seed} it predicts the flipped label for {fmt.percent(mem)} of those points. " + fitted


def test_set_text(r: Result) -> str:
    """Where the test set comes from and what it was (not) used for, honest about the tuning seeds."""
    text = (f"Test accuracy is measured on {N_TEST:,} fresh points from the same distribution, scored "
            "once at the end and never used to choose a step")
    tuned = [int(s) for s in r.seeds if int(s) in TUNING_SEEDS]
    if tuned:
        return (text + f". But the page's defaults and presets were chosen on seeds "
                f"{TUNING_SEEDS[0]}–{TUNING_SEEDS[-1]}, {len(tuned)} of which are in this run: on those "
                "seeds the test set did help choose the settings, so it flatters them.")
    return (text + " or a setting (the defaults and presets were chosen on seeds "
            f"{TUNING_SEEDS[0]}–{TUNING_SEEDS[-1]}, none of them in this run).")


def summary(r: Result, sweep: SweepResult | None = None) -> str:
    """The "What you are seeing" text; every number comes from `r` (and `sweep`)."""
    n = len(r.seeds)
    pg, rg = r.problem_gap, r.remedy_gap
    pct = fmt.percent
    first = (f"train accuracy {pct(r.problem_final_train_acc[0])} and test accuracy "
             f"{pct(r.problem_final_test_acc[0])} on seed {r.seeds[0]}")
    flips = int(r.flipped.sum())
    underfit = (rg.mean() < pg.mean() and r.test_gain.mean() <= 0
                and r.remedy_final_train_acc.mean() < r.problem_final_train_acc.mean())
    train_drop = r.problem_final_train_acc.mean() - r.remedy_final_train_acc.mean()
    lines = [
        "**What you are seeing.** "
        f"Without a remedy, the network ({r.problem_params:,} parameters for {len(r.y_train)} training "
        "points"
        + (f", {flips} of them with a flipped label" if flips else "")
        + f") reaches {first}. " + first_seed_fit(r)
        + f" With {r.remedy}: train {pct(r.remedy_final_train_acc[0])}, "
        f"test {pct(r.remedy_final_test_acc[0])}. " + test_set_text(r),
        "",
        f"**Over {n} seeds** (seeds {r.seeds[0]}–{r.seeds[-1]}, each with its own data and initialization): "
        f"mean test accuracy {pct(r.problem_final_test_acc.mean())} without a remedy, "
        f"{pct(r.remedy_final_test_acc.mean())} with {r.remedy}. " + verdict(r),
        "",
        f"The mean gap between train and test accuracy went from {_gap(pg.mean())} to {_gap(rg.mean())}"
        + (" (with flipped training labels, a network that does not memorize them scores lower on the "
           "training set than on the test set, so the gap can be negative)" if flips else "")
        + ". A narrower gap alone does not show that a remedy helped: a network "
        "that underfits has a small gap too, so the verdict above is read from test accuracy."
        + (f" Here train accuracy fell by {_size(train_drop)} while test accuracy did not rise: the "
           "gap narrowed because the network underfit." if underfit else ""),
    ]
    if flips:
        mem = float(np.mean(r.problem_memorized))
        lines += ["", f"**Label noise.** {pct(r.label_flip)} of the training labels were flipped to the "
                  "other class (validation and test labels were not; make_moons' own noise only moves the "
                  "points). Without a remedy the network predicts the flipped label for "
                  f"{_memorized_text(r, 'problem')} of those points on average over the seeds"
                  + (": it has memorized most of them, as deep networks memorize even random labels "
                     "(Zhang et al. 2017)" if mem > 0.5 else ": it has memorized only some of them")
                  + f". With {r.remedy}: {_memorized_text(r, 'remedy')}."]
    steps = r.problem_train_loss.shape[1]
    if r.remedy.startswith("weight decay"):
        lines += ["", "**Weight decay here is an L2 penalty** added to the loss, so Adam divides it by √v̂ "
                  "like the rest of the gradient: it pulls hardest on weights whose loss gradient is small "
                  "(Loshchilov & Hutter 2019). Decoupled weight decay (AdamW) with the same λ would instead "
                  "shrink every weight by the same fraction, learning rate × λ = "
                  f"{fmt.num(r.lr * r.l2)}, per step whatever its size: "
                  f"{fmt.percent(1 - (1 - r.lr * r.l2) ** steps)} over these {steps} steps."]
    if (r.best_step >= 0).any():
        stopped = r.stopped_step[0]
        bias = float(np.mean(r.remedy_final_val_acc - r.remedy_final_test_acc))
        lines += ["", f"**Early stopping** on seed {r.seeds[0]}: validation loss was lowest at step "
                  f"{r.best_step[0]}; "
                  + (f"patience ran out at step {stopped}, " if stopped >= 0 else
                     "patience never ran out before the last step; ")
                  + f"the weights of step {r.best_step[0]} were restored. That step was chosen on the "
                  "validation set, so the validation accuracy of the restored weights is a biased score; "
                  f"the test set gives the fair one. Over the seeds, validation accuracy was {_size(bias)} "
                  + ("higher" if bias > 0 else "lower") + " than test accuracy on average."]
    cap = capacity(r, sweep) if sweep is not None else None
    if cap is not None and len(cap.depths) > 1:
        d0, d1 = cap.depths[0], cap.depths[-1]
        g, t = cap.gap.mean(axis=1), cap.test_acc.mean(axis=1)
        trend = "grows" if g[-1] > g[0] else "does not grow"
        lines += ["", f"**Capacity** (no remedy): the mean train−test gap {trend} from depth {d0} "
                  f"({cap.params[0]:,} parameters) to depth {d1} ({cap.params[-1]:,} parameters): "
                  f"{_gap(g[0])}, then {_gap(g[-1])}; mean test accuracy "
                  f"{pct(t[0])}, then {pct(t[-1])}."]
    div = [f"seed {s}: step {t}" for s, t in zip(r.seeds, r.problem_diverged) if t >= 0]
    div += [f"seed {s} with the remedy: step {t}" for s, t in zip(r.seeds, r.remedy_diverged) if t >= 0]
    if div:
        lines += ["", "Some runs diverged (loss or gradient became non-finite) and stopped: "
                  + "; ".join(div) + ". Their accuracies are those of the last finite weights."]
    return "\n".join(lines)


