"""Exploding gradients: a deep net with too large an init gain, trained beside one fix.

`run(ExplodingSettings)` trains the problem network (plain SGD, full batch,
no clipping) and the same network with one fix (gradient clipping, a
learning rate ten times smaller, He or Xavier initialization, or batch norm)
on the same data and seed, and adds computations that need no training:

- per-layer probes at initialization: ||dL/dh_l|| (the backward signal) and
  ||dL/dW_l|| (the weight gradient) of both networks;
- the phase diagram: log10 of ||dL/dh_1|| / ||dL/dh_L|| over a grid of init
  gains and depths for the chosen activation, with the gain where the ratio
  crosses 1 at every depth;
- repeated multiplication: the norm of a vector pushed through 100 random
  matrices of several gains, the smallest version of the problem;
- a ReLU-versus-sigmoid contrast at the chosen depth: how the first/last
  weight-gradient ratio behaves as the gain changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from depthkit.budget import check_budget, forward_flops
from depthkit.data import Dataset, DataSettings, make_dataset
from depthkit.models import ACTIVATIONS, ModelSettings
from depthkit.probes import probe_at_init
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train

FIXES = ("clipping", "smaller lr", "He init", "Xavier init", "batch norm")
LR_FACTOR = 10.0  # the "smaller lr" fix divides the learning rate by this
N_POINTS = 1000  # moons points (70% train), as in the reference setting
PHASE_GAINS = tuple(round(0.5 + 0.1 * i, 2) for i in range(26))  # 0.5 .. 3.0
PHASE_DEPTHS = (2, 5, 10, 20, 30, 40, 50)
PHASE_POINTS = 100  # points per probe: the ratio is a property of the weights, not of N
PROBE_POINTS = 500
PRODUCT_GAINS = (0.5, 0.9, 1.0, 1.1, 1.5, 2.0)
PRODUCT_LAYERS = 100  # d2l.ai multiplies 100 random matrices
CONTRAST_GAINS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)


@dataclass(frozen=True)
class ExplodingSettings(Settings):
    depth: int = param(20, lo=2, hi=50, label="Hidden layers (depth)")
    width: int = param(32, lo=4, hi=128, options=(8, 16, 32, 64, 128), label="Units per layer (width)")
    activation: str = param("relu", choices=ACTIVATIONS, label="Activation")
    # weights ~ N(0, g^2 / fan_in), zero biases; He initialization is g = sqrt(2) ~ 1.41
    init_gain: float = param(2.0, lo=0.5, hi=3.0, options=(0.5, 0.75, 1.0, 1.25, 1.41, 1.5, 1.75, 2.0,
                                                            2.5, 3.0), label="Init gain g",
                             help="Weights drawn from N(0, g²/fan_in), zero biases. "
                                  "He initialization is g = √2 ≈ 1.41.")
    # plain SGD, full batch
    lr: float = param(0.05, lo=1e-4, hi=3.0, log=True,
                      options=(0.0005, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0, 3.0),
                      label="Learning rate (SGD)")
    fix: str = param("clipping", choices=FIXES, label="Fix to compare",
                     help="clipping: rescale the gradient to the threshold below; smaller lr: "
                          "the learning rate / 10; He init: N(0, 2/fan_in) (for ReLU); Xavier init: "
                          "N(0, 2/(fan_in+fan_out)) (for tanh and sigmoid); batch norm: "
                          "normalize every hidden layer. Everything else stays the same.")
    # rescale the whole gradient to this norm when it is larger (the "clipping" fix)
    clip_norm: float = param(1.0, lo=0.01, hi=100.0, options=(0.1, 0.3, 1.0, 3.0, 10.0),
                             label="Clip gradient norm at")
    # 200 keeps the default view near 2 s on a small CPU; the reference setting uses 300
    steps: int = param(200, lo=10, hi=2000, options=(50, 100, 200, 300, 500, 1000, 2000),
                       label="Training steps")
    # drives the data sample and both networks' initialization
    seed: int = param(0, lo=0, hi=1_000_000, label="Seed")


PRESETS = {
    "Gain 3, 30 layers": {"depth": 30, "init_gain": 3.0},
    "Learning rate too high": {"init_gain": 1.41, "lr": 1.0, "fix": "smaller lr"},
    # the reference setting: clipped at 1.0 it trains below a loss of 0.4 in 300 steps
    "Clipped": {"init_gain": 2.0, "depth": 20, "lr": 0.05, "fix": "clipping", "clip_norm": 1.0,
                "steps": 300},
    "He init": {"fix": "He init"},
}


@dataclass(frozen=True)
class Run:
    """One trained network: what the charts need, numpy and plain numbers only."""

    label: str
    loss: np.ndarray  # [T] training loss (full batch) before step t's update
    grad_norm: np.ndarray  # [T] whole-gradient norm, before clipping
    clipped: np.ndarray  # [T] bool: clipping rescaled step t's gradient
    weight_norm: np.ndarray  # [T] norm of all hidden weights together
    layer_weight_norms: np.ndarray  # [T, depth]
    diverged_step: int | None
    divergence: str  # "" or e.g. "loss became nan"
    signal_norms: np.ndarray  # [depth] ||dL/dh_l|| at initialization
    weight_grad_norms: np.ndarray  # [depth] ||dL/dW_l|| at initialization
    final_val_acc: float

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def last_finite_step(self) -> int:
        return self.steps - 1 if self.diverged_step is None else self.diverged_step - 1


@dataclass(frozen=True)
class Result:
    settings: ExplodingSettings
    problem: Run
    fix: Run
    fix_changes_init: bool  # He init / batch norm: the fixed network differs at step 0
    phase_gains: np.ndarray  # [G]
    phase_depths: np.ndarray  # [D]
    phase_log_ratio: np.ndarray  # [D, G] log10 ||dL/dh_1|| / ||dL/dh_L||; nan where undefined
    phase_crossing: np.ndarray  # [D] gain where the ratio crosses 1 (nan: no crossing)
    crossing_gain: float  # phase_crossing at the chosen depth
    product_gains: np.ndarray  # [P]
    product_norms: np.ndarray  # [P, PRODUCT_LAYERS + 1] ||x_k||, x_0 of norm 1
    contrast_gains: np.ndarray  # [C]
    relu_signal_ratio: np.ndarray  # [C] at the chosen depth and width
    relu_weight_ratio: np.ndarray  # [C] ||dL/dW_1|| / ||dL/dW_L||
    sigmoid_weight_ratio: np.ndarray  # [C]


def problem_model(s: ExplodingSettings) -> ModelSettings:
    return ModelSettings(depth=s.depth, width=s.width, activation=s.activation, init="normal",
                         init_gain=s.init_gain)


def problem_train(s: ExplodingSettings) -> TrainSettings:
    return TrainSettings(optimizer="sgd", lr=s.lr, steps=s.steps, seed=s.seed)


def fixed_model_and_train(s: ExplodingSettings) -> tuple[ModelSettings, TrainSettings]:
    model, ts = problem_model(s), problem_train(s)
    if s.fix == "clipping":
        return model, ts.replace(clip_norm=s.clip_norm)
    if s.fix == "smaller lr":
        return model, ts.replace(lr=max(s.lr / LR_FACTOR, 1e-5))
    if s.fix == "He init":
        return model.replace(init="he"), ts
    if s.fix == "Xavier init":
        return model.replace(init="xavier"), ts
    return model.replace(norm="batch"), ts


def data_settings(s: ExplodingSettings) -> DataSettings:
    return DataSettings(name="moons", n_samples=N_POINTS, noise=0.2, seed=s.seed)


def phase_depths(s: ExplodingSettings) -> tuple[int, ...]:
    return tuple(sorted(set(PHASE_DEPTHS) | {s.depth}))


def cost(s: ExplodingSettings) -> float:
    """FLOPs: both training runs, the probes at initialization and the tiny product."""
    data = data_settings(s)
    n_train, n_val = data.n_train, N_POINTS - data.n_train
    flops = run_flops(problem_model(s), problem_train(s), n_train, n_val)
    flops += run_flops(*fixed_model_and_train(s), n_train, n_val)
    probe = 3 * sum(forward_flops(PHASE_POINTS, 2, d, s.width) for d in phase_depths(s)) * len(PHASE_GAINS)
    probe += 3 * forward_flops(PROBE_POINTS, 2, s.depth, s.width) * (2 + 2 * len(CONTRAST_GAINS))
    product = 2 * s.width * s.width * PRODUCT_LAYERS * (len(PRODUCT_GAINS) + 1)
    return float(flops + probe + product)


def crossing(gains: np.ndarray, log_ratio: np.ndarray) -> float:
    """The gain where log10(ratio) first changes sign, interpolated linearly; nan if none."""
    for i in range(len(gains) - 1):
        a, b = log_ratio[i], log_ratio[i + 1]
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        if a == 0:
            return float(gains[i])
        if a < 0 < b or b < 0 < a:
            return float(gains[i] + (gains[i + 1] - gains[i]) * (0 - a) / (b - a))
    return float("nan")


def band_width(log_ratio_row: np.ndarray, step: float = PHASE_GAINS[1] - PHASE_GAINS[0]) -> float:
    """How wide (in g) the grid region is where the ratio stays within 10x of 1."""
    return float(np.sum(np.abs(log_ratio_row) < 1) * step)


def repeated_product(gains: tuple[float, ...], width: int, layers: int, seed: int) -> np.ndarray:
    """||M_k ... M_1 x|| for k = 0..layers, M_i ~ N(0, g^2/width), ||x|| = 1; [len(gains), layers+1].

    Every gain uses the same underlying random draws (scaled by g), so the
    curves differ only by the gain. float64: 3^100 and 0.5^100 both fit.
    """
    rng = np.random.default_rng(seed)
    mats = rng.standard_normal((layers, width, width)) / math.sqrt(width)
    x0 = rng.standard_normal(width)
    x0 /= np.linalg.norm(x0)
    out = np.empty((len(gains), layers + 1))
    for i, g in enumerate(gains):
        x = x0.copy()
        out[i, 0] = 1.0
        for k in range(layers):
            x = g * (mats[k] @ x)
            out[i, k + 1] = np.linalg.norm(x)
    return out


def _log10_ratio(ratio: float) -> float:
    """log10 of a ratio; nan where it is 0, inf or undefined (a norm underflowed)."""
    return math.log10(ratio) if np.isfinite(ratio) and ratio > 0 else float("nan")


def phase(model: ModelSettings, depths: tuple[int, ...], data: Dataset, seed: int,
          contrast: bool = True) -> tuple[np.ndarray, np.ndarray, tuple[list, list]]:
    """The phase diagram of `model`'s activation and width at initialization, in one probe call.

    Returns log10 signal ratios [len(depths), len(PHASE_GAINS)], the crossing
    gain at each depth, and (with `contrast`) the ReLU and sigmoid probes at
    `model.depth` for CONTRAST_GAINS.
    """
    grid = [model.replace(depth=d, init_gain=float(g)) for d in depths for g in PHASE_GAINS]
    extra = []
    if contrast:
        extra = [model.replace(activation=act, init_gain=float(g))
                 for act in ("relu", "sigmoid") for g in CONTRAST_GAINS]
    probes = probe_at_init(grid + extra, [seed] * (len(grid) + len(extra)), data, n_points=PHASE_POINTS)
    gains = np.array(PHASE_GAINS)
    log_ratio = np.array([_log10_ratio(p.signal_ratio) for p in probes[:len(grid)]])
    log_ratio = log_ratio.reshape(len(depths), len(gains))
    crossings = np.array([crossing(gains, row) for row in log_ratio])
    rest = probes[len(grid):]
    n = len(CONTRAST_GAINS)
    return log_ratio, crossings, (rest[:n], rest[n:])


def _run(label: str, res: TrainResult, probe) -> Run:
    return Run(label=label, loss=res.loss, grad_norm=res.grad_norm, clipped=res.clipped.astype(bool),
               weight_norm=np.sqrt(np.sum(res.weight_norms ** 2, axis=1)),
               layer_weight_norms=res.weight_norms, diverged_step=res.diverged_step,
               divergence=res.divergence, signal_norms=probe.signal_grad_norms,
               weight_grad_norms=probe.weight_grad_norms, final_val_acc=res.final_val_acc)


def fix_label(s: ExplodingSettings) -> str:
    if s.fix == "clipping":
        return f"clipped at {s.clip_norm:g}"
    if s.fix == "smaller lr":
        return f"lr {s.lr / LR_FACTOR:g}"
    return s.fix


def run(s: ExplodingSettings) -> Result:
    if not isinstance(s, ExplodingSettings):
        raise ValueError(f"run expects ExplodingSettings, got {type(s).__name__}")
    check_budget(cost(s), "This comparison")
    data = make_dataset(data_settings(s))
    model, ts = problem_model(s), problem_train(s)
    fix_model, fix_ts = fixed_model_and_train(s)
    # trained one at a time: a diverged run stops its own loop at once, while in a
    # batch it would keep computing beside the run that still trains
    problem_res = train(model, ts, data)
    fix_res = train(fix_model, fix_ts, data)
    init_probes = probe_at_init([model, fix_model], [s.seed, s.seed], data, n_points=PROBE_POINTS)

    depths = phase_depths(s)
    log_ratio, crossings, contrast = phase(model, depths, data, s.seed)
    relu_probes, sigmoid_probes = contrast
    gains = np.array(PHASE_GAINS)

    product_gains = tuple(sorted(set(PRODUCT_GAINS) | {s.init_gain}))
    return Result(
        settings=s,
        problem=_run(f"problem: gain {s.init_gain:g}, lr {s.lr:g}", problem_res, init_probes[0]),
        fix=_run(f"fix: {fix_label(s)}", fix_res, init_probes[1]),
        fix_changes_init=s.fix in ("He init", "Xavier init", "batch norm"),
        phase_gains=gains, phase_depths=np.array(depths), phase_log_ratio=log_ratio,
        phase_crossing=crossings, crossing_gain=float(crossings[depths.index(s.depth)]),
        product_gains=np.array(product_gains),
        product_norms=repeated_product(product_gains, s.width, PRODUCT_LAYERS, s.seed),
        contrast_gains=np.array(CONTRAST_GAINS),
        relu_signal_ratio=np.array([p.signal_ratio for p in relu_probes]),
        relu_weight_ratio=np.array([p.weight_grad_ratio for p in relu_probes]),
        sigmoid_weight_ratio=np.array([p.weight_grad_ratio for p in sigmoid_probes]),
    )


def fmt(x: float) -> str:
    """A number as the page writes it: 3 significant digits, powers of ten when large or small."""
    if x is None or not np.isfinite(x):
        return str(x)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.1e}"
    return f"{x:.3g}"


def _story(run: Run, role: str) -> str:
    """What happened to one run, in a sentence."""
    start = f"starts at a loss of {fmt(run.loss[0])} with a gradient norm of {fmt(run.grad_norm[0])}"
    if run.diverged_step is not None:
        return (f"The {role} {start}; at step {run.diverged_step} its {run.divergence} and training "
                "stopped: the updates had thrown the weights to values whose outputs overflow.")
    end = run.steps - 1
    growth = float(np.nanmax(run.grad_norm) / run.grad_norm[0]) if run.grad_norm[0] > 0 else float("nan")
    text = (f"The {role} {start}, stays finite for all {run.steps} steps and ends at a loss of "
            f"{fmt(run.loss[end])} (largest gradient norm {fmt(float(np.nanmax(run.grad_norm)))}, "
            f"{fmt(growth)}x its start)")
    if run.clipped.any():
        text += f"; clipping rescaled the gradient on {int(run.clipped.sum())} of {run.steps} steps"
        if run.loss[end] > math.log(2):  # worse than predicting 50/50 for every point
            text += (f". After {run.steps} steps its loss is still above that of a coin flip (0.693): "
                     "clipping bounds each step, so climbing down from a badly scaled start takes "
                     "many steps")
    return text + "."


def summary(r: Result) -> str:
    """The "What you are seeing" text; every number comes from `r`."""
    s = r.settings
    p = r.problem
    lines = ["**What you are seeing**", ""]
    shape = f"{s.activation}, {s.depth} layers, gain {s.init_gain:g}, SGD lr {s.lr:g}"
    lines.append(f"- {_story(p, f'problem network ({shape})')}")
    lines.append(f"- {_story(r.fix, f'fixed network ({fix_label(s)})')}")
    signal = p.signal_norms
    lines.append(
        f"- At initialization the backward signal ||dL/dh|| is {fmt(signal[-1])} at the last hidden "
        f"layer and {fmt(signal[0])} at the first: a ratio of {fmt(signal[0] / signal[-1])}. "
        "Above 1 it grew on its way back to the input (exploding), below 1 it shrank (vanishing).")
    if np.isfinite(r.crossing_gain):
        lines.append(f"- Phase diagram: for {s.activation} at depth {s.depth} the ratio crosses 1 at "
                     f"g ≈ {r.crossing_gain:.2f} (He initialization is g = √2 ≈ 1.41). Below it "
                     "gradients vanish, above it they explode.")
        first, last = r.phase_depths[0], r.phase_depths[-1]
        lines[-1] += (f" The band of gains where the ratio stays within 10x of 1 narrows with depth: "
                      f"{band_width(r.phase_log_ratio[0]):.1f} wide at depth {first}, "
                      f"{band_width(r.phase_log_ratio[-1]):.1f} at depth {last}.")
    else:
        lines.append(f"- Phase diagram: for {s.activation} at depth {s.depth} the ratio does not cross 1 "
                     "for any gain from 0.5 to 3.")
    lo, hi = float(np.nanmin(r.relu_weight_ratio)), float(np.nanmax(r.relu_weight_ratio))
    g0, g1 = r.contrast_gains[0], r.contrast_gains[-1]
    sig = r.sigmoid_weight_ratio[list(r.contrast_gains).index(1.0)]
    lines.append(
        f"- What explodes is the backward signal and the overall gradient scale, not the ratio between "
        f"layers: in a ReLU network of this shape, from g = {g0:g} to {g1:g} the signal ratio goes "
        f"from {fmt(r.relu_signal_ratio[0])} to {fmt(r.relu_signal_ratio[-1])}, yet the first/last "
        f"*weight*-gradient ratio stays between {fmt(lo)} and {fmt(hi)} (every layer's gradient is "
        f"scaled by about the same factor, (g/√2)^depth). In a sigmoid network of the same shape "
        f"that ratio itself collapses: {fmt(sig)} at g = 1.")
    k = r.product_norms.shape[1] - 1
    gains = list(r.product_gains)
    ends = ", ".join(f"g = {g:g}: {fmt(r.product_norms[i, -1])}" for i, g in enumerate(gains))
    lines.append(f"- Repeated multiplication: a vector of norm 1 after {k} random matrices has norm "
                 f"{ends}. Only g ≈ 1 keeps it in range; a ReLU zeroes about half the signal, which "
                 "moves that balance point to g = √2.")
    return "\n".join(lines)


def tables(r: Result) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: per step, per layer, the phase diagram, the repeated product."""
    p, f = r.problem, r.fix
    per_step = {"step": np.arange(p.steps)}
    for name, run_ in (("problem", p), ("fix", f)):
        per_step[f"{name}_loss"] = run_.loss
        per_step[f"{name}_grad_norm"] = run_.grad_norm
        per_step[f"{name}_clipped"] = run_.clipped
        per_step[f"{name}_weight_norm"] = run_.weight_norm
    per_layer = {"layer": np.arange(1, len(p.signal_norms) + 1)}
    for name, run_ in (("problem", p), ("fix", f)):
        per_layer[f"{name}_signal_grad_norm"] = run_.signal_norms
        per_layer[f"{name}_weight_grad_norm"] = run_.weight_grad_norms
    depth, gain = np.meshgrid(r.phase_depths, r.phase_gains, indexing="ij")
    phase = {"depth": depth.ravel(), "gain": gain.ravel(),
             "log10_signal_ratio": r.phase_log_ratio.ravel()}
    product = {"matrices": np.arange(r.product_norms.shape[1])}
    for i, g in enumerate(r.product_gains):
        product[f"norm_gain_{g:g}"] = r.product_norms[i]
    return {"per_step": per_step, "per_layer": per_layer, "phase_diagram": phase, "product": product}
