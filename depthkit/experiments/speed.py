"""Training speed: what one step costs at each depth, and how many steps a network needs.

Two separate reasons make deep networks slow, measured separately:

- **Cost per step**: live timing, in `depthkit.experiments.timing`
  (`measure`, `fit_line`); this module holds the page's settings, including
  the timing group, and the budget of both halves.
- **Optimization difficulty: steps to a target** (`run`): plain,
  batch-norm, residual and residual + batch-norm networks at depths 2, 4, ...
  trained with Adam on the same data from several initialization seeds
  (same-shaped models batched as in `train_many`), recording the first step
  whose training loss is at or below the target. Time to a loss is the
  product of the two: steps needed x time per step.
- Two measurements tell the deep plain networks' failures apart. Without
  normalization, PyTorch's default weights shrink the signal layer by layer:
  `input_reach` measures, at initialization, how much the deepest plain
  network's last hidden layer still varies across the training points
  compared with its first (vanishing). With batch norm the signal keeps its
  scale, yet a deeper plain network can still train worse: the batch-norm
  networks at depth ~4 and at the deepest depth keep training for
  `long_steps` steps (their first `steps` losses are the grid's), which shows
  whether the deeper one ends with a higher *training* loss although the
  shallower one had long reached the target (He et al. 2016's degradation),
  and whether residual connections remove the gap.
  Deterministic for a seed, cached like every other page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from depthkit import budget, fmt
from depthkit.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.experiments.timing import NOISE, measure_cost
from depthkit.models import ModelSettings, bce_per_model, forward, init_buffers, init_params
from depthkit.optim import StackedOptimizer
from depthkit.probes import probe_at_init
from depthkit.spec import Settings, param
from depthkit.train import TrainSettings, max_group_size

# (label, ModelSettings overrides); the first is the problem, the last the full fix
VARIANTS = (
    ("plain", {}),
    ("batch norm", {"norm": "batch"}),
    ("residual", {"residual": True}),
    ("residual + batch norm", {"norm": "batch", "residual": True}),
)
# the batch-norm variants trained for `long_steps` at two depths: degradation without and with skips
LONG_VARIANTS = (1, 3)
SHALLOW_DEPTH = 4  # the shallower network the summary compares with (nearest trained depth)
LN2 = float(np.log(2.0))  # the loss of a constant prediction of 1/2: a coin flip
# below this ratio of last to first hidden layer spread the input no longer reaches the output
NO_REACH = 1e-3


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
    # the batch-norm networks at depth 4 and the deepest keep training to here (degradation)
    long_steps: int = param(60, lo=10, hi=1000, options=(30, 60, 100, 150, 200, 300, 500, 1000),
                            label="Steps for the batch-norm networks (degradation)",
                            help="The batch-norm networks at depth 4 and at the deepest depth keep "
                                 "training for this many steps: does the deeper one end with a higher "
                                 "training loss once the shallower one has long reached the target?")
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

    @property
    def long_depths(self) -> list[int]:
        """The depths trained for `long_steps`: the one nearest 4 and the deepest."""
        return sorted({shallow_depth(self.depths), self.depths[-1]})

    @property
    def total_long_steps(self) -> int:
        """Steps of the long runs: never fewer than the grid's."""
        return max(self.steps, self.long_steps)


def shallow_depth(depths: list[int] | np.ndarray) -> int:
    """The trained depth nearest SHALLOW_DEPTH."""
    return int(min(depths, key=lambda d: abs(d - SHALLOW_DEPTH)))


PRESETS: dict[str, dict] = {
    "Defaults": {},
    "Gentler Adam (lr 0.01)": {"lr": 0.01, "steps": 50},
    "Up to depth 64": {"max_depth": 64, "seeds": 2},
    "tanh instead of ReLU": {"activation": "tanh", "lr": 0.01, "steps": 50, "long_steps": 150},
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
    # degradation: the batch-norm variants LONG_VARIANTS at long_depths, trained long_steps
    long_variants: tuple  # [2] labels
    long_depths: np.ndarray  # [2] shallow, deepest
    long_steps: int
    long_losses: np.ndarray  # [2, 2, S, long_steps+1] training loss (NaN once diverged)
    # vanishing: the deepest plain network at initialization, last / first hidden layer's spread
    input_reach: np.ndarray  # [S] across the training points (0 = the input no longer shows)
    # the deepest plain batch-norm network at initialization: first / last hidden layer's
    # weight-gradient norm (Yang et al. 2019: batch norm without skips makes it explode)
    bn_grad_ratio: np.ndarray  # [S]


def train_cost(settings: SpeedSettings) -> float:
    """FLOPs of the training grid: `steps` training steps and one last forward pass per model,
    the long runs' extra steps, and the forward pass that measures the input's reach."""
    n, w = settings.data_settings().n_train, settings.width
    per_seed = sum(budget.train_step_flops(n, 2, d, w) * settings.steps + budget.forward_flops(n, 2, d, w)
                   for d in settings.depths) * len(VARIANTS)
    extra = settings.total_long_steps - settings.steps
    per_seed += sum(budget.train_step_flops(n, 2, d, w) * extra for d in settings.long_depths) \
        * len(LONG_VARIANTS)
    per_seed += budget.forward_flops(n, 2, settings.depths[-1], w)
    per_seed += 3 * budget.forward_flops(min(n, 500), 2, settings.depths[-1], w)  # the gradient probe
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


def input_reach(model: ModelSettings, seeds: list[int], data: Dataset) -> np.ndarray:
    """[K] at initialization: how much the last hidden layer varies across the training points,
    as a fraction of how much the first does (standard deviation over points, mean over units).

    Near 1: each point still looks different at the output end. Near 0: every
    point gives the same last layer, so the network predicts the same for all
    of them (with these default weights the biases, not the input, set it).
    """
    params = init_params([model] * len(seeds), seeds, data.n_inputs)
    X = torch.as_tensor(np.stack([data.X_train] * len(seeds)))
    with torch.no_grad():
        _, hidden = forward(params, X, model, keep_hidden=True)
    first = hidden[0].double().std(dim=1).mean(dim=1)
    last = hidden[-1].double().std(dim=1).mean(dim=1)
    return (last / first).numpy()


def run(settings: SpeedSettings) -> Result:
    """Train every variant at every depth from `settings.seeds` seeds; see the module doc."""
    budget.check_budget(train_cost(settings), "Training every network for the steps-to-target chart")
    data = make_dataset(settings.data_settings())
    depths, seeds = settings.depths, [settings.seed + s for s in range(settings.seeds)]
    ts = settings.train_settings(seeds[0])
    shape = (len(VARIANTS), len(depths), len(seeds))
    T, TL = settings.steps, settings.total_long_steps
    long_depths = settings.long_depths
    losses = np.full(shape + (T + 1,), np.nan)
    long_losses = np.full((len(LONG_VARIANTS), len(long_depths), len(seeds), TL + 1), np.nan)
    secs_to = np.full(shape, np.nan)
    per_step = np.full(shape[:2], np.nan)
    for v in range(len(VARIANTS)):
        for i, d in enumerate(depths):
            model = settings.model(v, d)
            size = max_group_size(model, len(data.y_train))
            # a long run's first T steps are the grid's: the same run, continued
            long = v in LONG_VARIANTS and d in long_depths
            for start in range(0, len(seeds), size):
                chunk = seeds[start:start + size]
                chunk_losses, seconds = train_losses(model, ts.replace(steps=TL) if long else ts, chunk, data)
                if long:
                    long_losses[LONG_VARIANTS.index(v), long_depths.index(d),
                                start:start + len(chunk)] = chunk_losses
                    chunk_losses, seconds = chunk_losses[:, :T + 1], seconds[:T + 1]
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
        lr=settings.lr, activation=settings.activation,
        long_variants=tuple(VARIANTS[v][0] for v in LONG_VARIANTS), long_depths=np.array(long_depths),
        long_steps=TL, long_losses=long_losses,
        input_reach=input_reach(settings.model(0, depths[-1]), seeds, data),
        bn_grad_ratio=np.array([p.weight_grad_ratio for p in probe_at_init(
            [settings.model(LONG_VARIANTS[0], depths[-1])] * len(seeds), seeds, data)]))


def reached_count(result: Result, variant: int, depth_index: int) -> int:
    return int(np.sum(np.isfinite(result.steps_to_target[variant, depth_index])))


def _span(values: np.ndarray) -> str:
    """'7' or '6–10': the whole numbers' range."""
    lo, hi = int(np.min(values)), int(np.max(values))
    return fmt.integer(lo) if lo == hi else f"{fmt.integer(lo)}–{fmt.integer(hi)}"


def _steps_text(result: Result, v: int, i: int) -> str:
    """'reached it in 3–9 steps on 3 of 3 seeds' or 'did not reach it in 80 steps on any of 3 seeds'."""
    s = result.steps_to_target[v, i]
    n = len(s)
    hit = s[np.isfinite(s)]
    if len(hit) == 0:
        return f"did not reach it in {fmt.integer(result.steps)} steps on any of {n} seeds"
    return f"reached it in {_span(hit)} steps on {len(hit)} of {n} seeds"


def _median(values: np.ndarray) -> float:
    """Median of the finite values; NaN when none (every run diverged)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if len(finite) else float("nan")


def _loss(x: float) -> str:
    return "diverged (not a number)" if not np.isfinite(x) else fmt.num(x)


def _reach_text(result: Result) -> str:
    """What the input-reach measurement says about the deepest plain network."""
    reach = _median(result.input_reach)
    deep = int(result.depths[-1])
    spread = ("does not vary across the training points at all (its spread is exactly 0 in float32)"
              if reach == 0 else
              f"varies across the training points {fmt.times(reach, 'more', 'less')} than its first")
    text = (f"At initialization the last hidden layer of the depth-{deep} plain network {spread} "
            f"(median over seeds). ")
    if reach < NO_REACH:
        return text + ("The input no longer reaches the output: at the start every point gets about "
                       "the same prediction. That is the vanishing-signal problem of PyTorch's default "
                       "weights in a deep network without normalization (see the Vanishing gradients "
                       "page), not He et al.'s degradation, which is about networks that do carry the "
                       "signal (below). ")
    return text


def summary(result: Result) -> str:
    """'What you are seeing' for the steps-to-target part; numbers from `result`."""
    d = result.depths
    deep = len(d) - 1
    shallow = list(d).index(shallow_depth(d))
    fix = len(result.variants) - 1
    plain_deep = result.final_loss[0, deep]
    near_ln2 = int(np.sum(np.abs(plain_deep - LN2) < 0.01))
    return (
        "**What you are seeing — optimization difficulty.** "
        f"Each network trained for {fmt.integer(result.steps)} full-batch Adam steps (learning rate "
        f"{fmt.num(result.lr)}, width {result.width}, {result.activation}, PyTorch's default "
        f"initialization) from {len(result.seeds)} seeds; the target is a training loss of "
        f"{fmt.num(result.target_loss)}. "
        f"The **plain** network at depth {d[shallow]} {_steps_text(result, 0, shallow)} "
        f"(median final loss {_loss(_median(result.final_loss[0, shallow]))}); at depth {d[deep]} it "
        f"{_steps_text(result, 0, deep)}: median final loss {_loss(_median(plain_deep))}, within 0.01 "
        f"of ln 2 = 0.693 on {near_ln2} of {len(plain_deep)} seeds (ln 2 is the loss of predicting ½ "
        "for every point, a coin flip). "
        + _reach_text(result) +
        f"With **residual connections and batch norm**, depth {d[deep]} {_steps_text(result, fix, deep)}. "
        "The time to reach a loss is the product of the two parts of this page: steps needed × time "
        "per step (last chart). Wall times: the seeds of one network train together; each model gets "
        "its share of that batch's time, measured when this result was computed (it is cached).")


def degradation(result: Result) -> dict[str, np.ndarray]:
    """Per-seed numbers behind the degradation text, from the long runs.

    plain_*: batch norm without skips; residual_*: residual + batch norm;
    *_shallow / *_deep: final training loss at the two depths; plain_lowest: the
    deep plain network's lowest loss over all its steps; shallow_steps: steps the
    shallow plain batch-norm network needed to reach the target (NaN = never).
    """
    L = result.long_losses
    with np.errstate(all="ignore"):
        lowest = np.array([np.nanmin(c) if np.isfinite(c).any() else np.nan for c in L[0, -1]])
    return {
        "plain_shallow": L[0, 0, :, -1], "plain_deep": L[0, -1, :, -1], "plain_lowest": lowest,
        "residual_shallow": L[1, 0, :, -1], "residual_deep": L[1, -1, :, -1],
        "shallow_steps": np.array([first_at_or_below(c, result.target_loss) for c in L[0, 0]]),
    }


def _coin_flip_text(result: Result, g: dict[str, np.ndarray]) -> str:
    """When the deep plain batch-norm network ended at ln 2 on most seeds: it learned nothing, and why."""
    n, dd = len(result.seeds), int(result.long_depths[-1])
    near = int(np.sum(np.abs(g["plain_deep"] - LN2) < 0.01))
    if near <= n / 2:
        return ""
    return (f"At depth {dd} it ended within 0.01 of ln 2 = 0.693 on {near} of {n} seeds: it did not learn "
            "at all, so this is not He et al.'s modest gap. At initialization its first hidden layer's "
            f"gradient was {fmt.times(_median(result.bn_grad_ratio), 'larger')} than its last layer's "
            "(median over seeds): batch norm without skip connections makes the gradient explode with "
            "depth (Yang et al. 2019; see the Exploding gradients page). ")


def still_falling(result: Result) -> np.ndarray:
    """[S] bool: the deep plain batch-norm network's loss at the end is below its loss halfway."""
    curves = result.long_losses[0, -1]
    return curves[:, -1] < curves[:, (curves.shape[-1] - 1) // 2]


def _gap_text(result: Result, g: dict[str, np.ndarray]) -> str:
    """Whether the deeper network ends higher, said of these steps, and how its loss was moving."""
    n, T = len(result.seeds), result.long_steps
    higher = int(np.sum(g["plain_deep"] > g["plain_shallow"]))
    if higher <= n / 2:
        return (f"The deeper network ends higher on only {higher} of {n} seeds: at these settings "
                "the batch-norm network does not show degradation. ")
    curves = result.long_losses[0, -1]
    half = (curves.shape[-1] - 1) // 2
    falling = int(still_falling(result).sum())
    above_own = int(np.sum(g["plain_deep"] > g["plain_lowest"] + 0.01))
    only = "" if falling > n / 2 else "only "
    return (f"Within these {fmt.integer(T)} steps the deeper network ends with the higher *training* loss "
            f"on {higher} of {n} seeds: the pattern He et al. called degradation, and since it is the "
            f"training loss it is not overfitting. Its loss was still falling over their second half on "
            f"{only}{falling} of {n} seeds (median {_loss(_median(curves[:, half]))} at step "
            f"{fmt.integer(half)}, {_loss(_median(curves[:, -1]))} at step {fmt.integer(T)}), and "
            f"unevenly: on {above_own} of {n} seeds it ended more than 0.01 above its own lowest loss. "
            "With more steps it may keep falling slowly; He et al. saw the gap persist through training. ")


def degradation_summary(result: Result) -> str:
    """'What you are seeing' for the batch-norm networks trained `long_steps`; numbers from `result`."""
    g = degradation(result)
    ds, dd = (int(x) for x in result.long_depths[[0, -1]])
    n, T = len(result.seeds), result.long_steps
    reached = np.isfinite(g["shallow_steps"])
    if reached.any():
        most = float(np.max(g["shallow_steps"][reached]))
        need = (f"reached the target ({fmt.num(result.target_loss)}) in {_span(g['shallow_steps'][reached])} "
                f"steps on {int(reached.sum())} of {n} seeds")
        if most > 0:
            need += f", so {fmt.integer(T)} steps are {fmt.times(T / most, 'more')} than it needed"
    else:
        need = f"did not reach the target ({fmt.num(result.target_loss)}) on any of {n} seeds"
    lowest_above = int(np.sum(g["plain_lowest"] > g["plain_shallow"]))
    below = int(np.sum(g["residual_deep"] <= result.target_loss))
    verdict = _coin_flip_text(result, g) or _gap_text(result, g)
    return (
        f"**What you are seeing — degradation.** The batch-norm networks at depths {ds} and {dd} "
        f"kept training, to {fmt.integer(T)} steps in all. Batch norm rescales every layer's "
        "pre-activations to mean 0 and variance 1 over the batch, so the signal cannot fade as in the "
        "plain network above "
        "(and the weights' scale, PyTorch's default or He's, is divided out). He et al. (2016) found "
        "that a deeper plain network *with* batch norm and He initialization still reaches a higher "
        "training error than a shallower one: degradation. Here, at depth "
        f"{ds} the plain batch-norm network {need}; it ended at a training loss of "
        f"{_loss(_median(g['plain_shallow']))} (median). At depth {dd}, given the same "
        f"{fmt.integer(T)} steps, it ended at {_loss(_median(g['plain_deep']))} (median), and even its "
        f"lowest loss along the way ({_loss(_median(g['plain_lowest']))}, median) was above depth "
        f"{ds}'s final loss on {lowest_above} of {n} seeds. " + verdict +
        f"With **residual connections** and batch norm, depth {dd} ended at "
        f"{_loss(_median(g['residual_deep']))} (median; depth {ds}: "
        f"{_loss(_median(g['residual_shallow']))}), at or below the target on {below} of {n} seeds.")


# ---------------------------------------------------------------- cost per step (live)
