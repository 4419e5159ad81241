"""Exploding gradients: a deep net with too large an init gain, trained beside one fix.

`run(ExplodingSettings)` trains the problem network (plain SGD, full batch,
no clipping) and the same network with one fix (gradient clipping, a
learning rate ten times smaller, He or Xavier initialization, or batch norm)
on the same data and seed, and adds computations that need no training:

- per-layer probes at initialization: ||dL/dh_l|| (the backward signal) and
  ||dL/dW_l|| (the weight gradient) of both networks;
- the gain × depth map of the backward-signal ratio: log10 of
  ||dL/dh_1|| / ||dL/dh_L|| over a grid of init gains and depths for the
  chosen activation, with the gain where the ratio crosses 1 at every depth
  (for ReLU the gain only rescales the ratio, by about (g/√2)^(L−1) against He
  init: there is no chaotic phase; for tanh the crossing near g ≈ 1 is the
  edge of chaos of Poole et al. 2016 and Schoenholz et al. 2017);
- batch norm at depth: the first/last weight-gradient ratio at initialization
  of batch-norm networks of several depths, without and with residual
  connections (Yang et al. 2019: without skips it grows with depth);
- repeated multiplication: the norm of a vector pushed through 100 random
  matrices of several gains, the smallest version of the problem;
- a ReLU-versus-sigmoid contrast at the chosen depth: how the first/last
  weight-gradient ratio behaves as the gain changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from depthkit import fmt
from depthkit.budget import check_budget, forward_flops
from depthkit.data import Dataset, DataSettings, make_dataset
from depthkit.models import ACTIVATIONS, ModelSettings, bce_per_model, forward, init_params, per_layer_norms
from depthkit.probes import probe_at_init
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train

FIXES = ("clipping", "smaller lr", "He init", "Xavier init", "batch norm")
LR_FACTOR = 10.0  # the "smaller lr" fix divides the learning rate by this
N_POINTS = 1000  # moons points (70% train), as in the reference setting
PHASE_GAINS = tuple(round(0.5 + 0.1 * i, 2) for i in range(26))  # 0.5 .. 3.0
PHASE_DEPTHS = (2, 5, 10, 20, 30, 40, 50)
PHASE_POINTS = 100  # points per probe of the gain × depth map: the ratio depends on the weights, not N
PROBE_POINTS = 500
PRODUCT_GAINS = (0.5, 0.9, 1.0, 1.1, 1.5, 2.0)
PRODUCT_LAYERS = 100  # d2l.ai multiplies 100 random matrices
CONTRAST_GAINS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
BN_DEPTHS = (2, 5, 10, 20, 30, 40, 50)
BN_SEEDS = 3  # initializations per depth on the page (seed, seed + 1, ...): a median and a range
COIN_FLIP_LOSS = math.log(2)  # cross-entropy of predicting 50/50 for every point
LEARNED_LOSS = 0.5  # "learned": a final loss clearly below a coin flip's, not just under it
COIN_FLIP_MARGIN = 0.01  # a final loss this close to ln 2 is a coin flip's: nothing learned
CONFIDENT_LOSS = 100.0  # a wrong point's loss above this: P(true class) below e^-100


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
    fix: str = param("clipping", choices=FIXES, label="Compare with",
                     help="clipping: rescale the gradient to the threshold below; smaller lr: "
                          "the learning rate / 10; He init: N(0, 2/fan_in), the scale for ReLU; "
                          "Xavier init: N(0, 2/(fan_in+fan_out)), the scale for tanh and sigmoid: on "
                          "ReLU it is half of He's variance, so the backward signal shrinks by about "
                          "1/√2 per layer (vanishing instead of exploding; He et al. 2015 report a "
                          "30-layer ReLU network with Xavier init that fails to converge); "
                          "batch norm: normalize every hidden layer (removes the gain's scale, but "
                          "without skip connections its gradients still grow with depth). "
                          "Everything else stays the same.")
    # rescale the whole gradient to this norm when it is larger (the "clipping" fix). 3, not 1:
    # at 1 each step moves the weights by only lr × 1 and in 200 steps the clipped network ended
    # below a loss of 0.5 on 4 of 10 seeds (20-29, seeds no test uses); at 3 on 9 of 10
    clip_norm: float = param(3.0, lo=0.01, hi=100.0, options=(0.1, 0.3, 1.0, 3.0, 10.0),
                             label="Clip gradient norm at")
    # 200 keeps the default view near 2 s on a small CPU; the reference setting uses 300
    steps: int = param(200, lo=10, hi=2000, options=(50, 100, 200, 300, 500, 1000, 2000),
                       label="Training steps")
    # drives the data sample and both networks' initialization
    seed: int = param(0, lo=0, hi=1_000_000, label="Seed")


STEP_TOO_LARGE = "Step too large: lr 1 (another cause)"
PRESETS = {
    # clipping alone does not rescue this one: the page's headline says so
    "Gain 3, 30 layers": {"depth": 30, "init_gain": 3.0, "clip_norm": 1.0},
    # He init, so the layers do not amplify the backward signal: the step itself is too
    # large for the curvature of the loss (step-size instability, not exploding layers)
    STEP_TOO_LARGE: {"init_gain": 1.41, "lr": 1.0, "fix": "smaller lr"},
    # the reference setting: clipped at 1.0, 300 steps to climb down from its start
    "Clipped at 1": {"init_gain": 2.0, "depth": 20, "lr": 0.05, "fix": "clipping", "clip_norm": 1.0,
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
    divergence: str  # "" or what train recorded, e.g. "gradient norm became inf"
    signal_norms: np.ndarray  # [depth] ||dL/dh_l|| at initialization
    weight_grad_norms: np.ndarray  # [depth] ||dL/dW_l|| at initialization
    final_val_acc: float
    final_loss: float  # training loss after the last update (nan if it diverged)
    final_train_acc: float  # training accuracy after the last update, same pass as final_loss

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
    fix_changes_init: bool  # He/Xavier init, batch norm: the compared network differs at step 0
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
    bn_depths: np.ndarray  # [B] depths of the batch-norm probe
    bn_ratio: np.ndarray  # [2, S, B] first/last weight-gradient ratio at init: [0] no skips, [1] residual


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
    bn = 3 * 2 * BN_SEEDS * sum(forward_flops(data.n_train, 2, d, s.width) for d in BN_DEPTHS)
    return float(flops + probe + product + bn)


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
    """The gain × depth map of `model`'s activation and width at initialization, in one probe call.

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


def batch_norm_model(s: ExplodingSettings, depth: int, residual: bool) -> ModelSettings:
    """The page's network with batch norm on every hidden layer (He init: with batch norm the
    gain does not change the forward pass, and it scales every weight gradient alike)."""
    return ModelSettings(depth=depth, width=s.width, activation=s.activation, init="he",
                         norm="batch", residual=residual)


def batch_norm_ratios(s: ExplodingSettings, data: Dataset, seeds: tuple[int, ...],
                      depths: tuple[int, ...] = BN_DEPTHS) -> np.ndarray:
    """||dL/dW_1|| / ||dL/dW_L|| at initialization of batch-norm networks; [2, len(seeds), len(depths)].

    [0]: no skip connections, [1]: residual. All training points form the batch (as in
    the page's full-batch training), in training mode. One lean float32 forward and
    backward per depth for all seeds together: only the weight gradients are needed,
    so this skips the general probe's per-layer statistics.
    """
    X = torch.as_tensor(data.X_train, dtype=torch.float32)
    y = torch.as_tensor(data.y_train, dtype=torch.float32)
    k = len(seeds)
    out = np.empty((2, k, len(depths)))
    for i, residual in enumerate((False, True)):
        for j, depth in enumerate(depths):
            model = batch_norm_model(s, depth, residual)
            params = init_params([model] * k, list(seeds), data.n_inputs)
            weights = [params["W_in"]] + ([params["W_hid"]] if "W_hid" in params else [])
            for w in weights:
                w.requires_grad_(True)
            logits, _ = forward(params, X.expand(k, -1, -1), model, {}, training=True,
                                update_stats=False)
            grads = torch.autograd.grad(bce_per_model(logits, y.expand(k, -1)).sum(), weights)
            norms = per_layer_norms(list(grads)).numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                out[i, :, j] = norms[:, 0] / norms[:, -1]
    return out


def _run(label: str, res: TrainResult, probe) -> Run:
    return Run(label=label, loss=res.loss, grad_norm=res.grad_norm, clipped=res.clipped.astype(bool),
               weight_norm=np.sqrt(np.sum(res.weight_norms ** 2, axis=1)),
               layer_weight_norms=res.weight_norms, diverged_step=res.diverged_step,
               divergence=res.divergence, signal_norms=probe.signal_grad_norms,
               weight_grad_norms=probe.weight_grad_norms, final_val_acc=res.final_val_acc,
               final_loss=res.final_train_loss, final_train_acc=res.final_train_acc)


def fix_label(s: ExplodingSettings) -> str:
    """The compared network's change, as a legend names it: "clipping at 1", "lr 0.005"."""
    if s.fix == "clipping":
        return f"clipping at {fmt.num(s.clip_norm)}"
    if s.fix == "smaller lr":
        return f"lr {fmt.num(s.lr / LR_FACTOR)}"
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
        problem=_run(f"problem: gain {fmt.num(s.init_gain)}, lr {fmt.num(s.lr)}", problem_res,
                     init_probes[0]),
        fix=_run(f"with {fix_label(s)}", fix_res, init_probes[1]),
        fix_changes_init=s.fix in ("He init", "Xavier init", "batch norm"),
        phase_gains=gains, phase_depths=np.array(depths), phase_log_ratio=log_ratio,
        phase_crossing=crossings, crossing_gain=float(crossings[depths.index(s.depth)]),
        product_gains=np.array(product_gains),
        product_norms=repeated_product(product_gains, s.width, PRODUCT_LAYERS, s.seed),
        contrast_gains=np.array(CONTRAST_GAINS),
        relu_signal_ratio=np.array([p.signal_ratio for p in relu_probes]),
        relu_weight_ratio=np.array([p.weight_grad_ratio for p in relu_probes]),
        sigmoid_weight_ratio=np.array([p.weight_grad_ratio for p in sigmoid_probes]),
        bn_depths=np.array(BN_DEPTHS),
        bn_ratio=batch_norm_ratios(s, data, tuple(s.seed + i for i in range(BN_SEEDS))),
    )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def divergence_parts(divergence: str) -> tuple[str, str]:
    """What became non-finite and how ("loss" or "gradient norm", "inf" or "nan"), from what
    train recorded ("gradient norm became inf")."""
    what, _, value = divergence.partition(" became ")
    try:
        kind = "nan" if math.isnan(float(value)) else "inf"
    except ValueError:
        kind = "nan"
    return what, kind


def divergence_cause(run: Run) -> str:
    """The recorded cause in words: "loss became infinite", "gradient norm became not a number"."""
    what, kind = divergence_parts(run.divergence)
    return f"{what} became {'infinite' if kind == 'inf' else 'not a number (NaN)'}"


def divergence_story(run: Run) -> str:
    """What the recorded cause means, in a clause; it follows the cause, never a fixed guess."""
    what, kind = divergence_parts(run.divergence)
    limit = fmt.num(FLOAT32_MAX)
    if what == "loss" and kind == "inf":
        return (f"its loss became infinite: the network's outputs had grown past float32's largest "
                f"number (about {limit})")
    if what == "loss":
        return ("its loss became not a number (NaN): values inside the network had overflowed to "
                "infinity and met arithmetic such as ∞ − ∞, which has no value")
    if kind == "inf":
        return (f"its gradient became infinite while the loss was still finite: on the way back "
                f"the signal had been multiplied past float32's largest number (about {limit})")
    return ("its gradient became not a number (NaN) while the loss was still finite: the backward "
            "pass met arithmetic such as ∞ − ∞ or 0 × ∞")


def learned(run: Run) -> bool:
    """Finite to the end and a final training loss clearly below a coin flip's (ln 2)."""
    return (run.diverged_step is None and bool(np.isfinite(run.final_loss))
            and run.final_loss < LEARNED_LOSS)


def _fix_phrase(s: ExplodingSettings) -> str:
    """The compared change inside a sentence: "clipping at 1", "He initialization"."""
    return {"clipping": f"clipping at {fmt.num(s.clip_norm)}",
            "smaller lr": f"a learning rate ten times smaller ({fmt.num(s.lr / LR_FACTOR)})",
            "He init": "He initialization", "Xavier init": "Xavier initialization",
            "batch norm": "batch norm"}[s.fix]


def _where(loss: float) -> str:
    """A final loss against a coin flip's (within 0.01 of ln 2 is "at" it: nothing learned)."""
    if np.isfinite(loss) and abs(loss - COIN_FLIP_LOSS) <= COIN_FLIP_MARGIN:
        return f"at a coin flip's {fmt.num(COIN_FLIP_LOSS)}: it learned nothing"
    if not np.isfinite(loss) or loss >= COIN_FLIP_LOSS:
        return f"above a coin flip's {fmt.num(COIN_FLIP_LOSS)}"
    return f"not far below a coin flip's {fmt.num(COIN_FLIP_LOSS)}"


def headline(r: Result) -> str:
    """One sentence above the charts: what happened to each network, from the result."""
    p, f = r.problem, r.fix
    phrase = _fix_phrase(r.settings)
    subject = phrase[0].upper() + phrase[1:]
    if p.diverged_step is not None:
        first = f"The problem network diverged at step {p.diverged_step} ({divergence_cause(p)})."
    else:
        first = (f"The problem network stayed finite for all {p.steps} steps and ended at a loss of "
                 f"{fmt.num(p.final_loss)}.")
    if f.diverged_step is not None:
        return (f"{first} {subject} did not rescue it: the compared network diverged too, at step "
                f"{f.diverged_step} ({divergence_cause(f)}).")
    acc = fmt.percent(f.final_val_acc)
    if not learned(f):
        return f"{first} {_not_rescued(r, subject, phrase)}"
    return (f"{first} With {phrase} the network stayed finite and learned: a loss of "
            f"{fmt.num(f.final_loss)}, well below a coin flip's {fmt.num(COIN_FLIP_LOSS)}, and "
            f"validation accuracy {acc}.")


def wrong_point_loss(run: Run) -> float:
    """A lower bound on the mean loss of a misclassified training point at the end.

    A correctly classified point costs at most ln 2 (P(true class) >= 0.5), so
    the wrong ones carry at least (loss - acc * ln 2) / (1 - acc) each on average.
    """
    acc = run.final_train_acc
    if not np.isfinite(run.final_loss) or acc >= 1:
        return float("nan")
    return float((run.final_loss - acc * COIN_FLIP_LOSS) / (1 - acc))


def _not_rescued(r: Result, subject: str, phrase: str) -> str:
    """The compared network stayed finite but did not learn: what was measured, nothing more."""
    s, f = r.settings, r.fix
    moved = "fell" if f.final_loss < f.loss[0] else "rose"
    steps = f"{f.steps} steps"
    if s.fix == "clipping" and f.clipped.all():
        steps += (f" of length {fmt.num(s.lr * s.clip_norm)} (lr × {fmt.num(s.clip_norm)}: clipping "
                  "acted on every one)")
    text = (f"{subject} kept the compared network finite, and its loss {moved} from {fmt.num(f.loss[0])} "
            f"to {fmt.num(f.final_loss)} in {steps}; that is {_where(f.final_loss)}: {phrase} alone "
            f"did not rescue it in {f.steps} steps.")
    acc = fmt.percent(f.final_val_acc)
    wrong = wrong_point_loss(f)
    if wrong > CONFIDENT_LOSS:
        return (f"{text} {acc} of validation points are on the right side, but the wrong ones are "
                f"predicted with enormous confidence: a misclassified training point costs on average "
                f"at least {fmt.num(wrong)} (a coin flip's guess costs {fmt.num(COIN_FLIP_LOSS)}).")
    return f"{text} Validation accuracy {acc}."


def _story(run: Run, role: str, s: ExplodingSettings) -> str:
    """What happened to one run, in a sentence or two."""
    start = (f"starts at a loss of {fmt.num(run.loss[0])} with a gradient norm of "
             f"{fmt.num(run.grad_norm[0])}")
    if run.diverged_step is not None:
        top = float(np.nanmax(run.grad_norm[:run.diverged_step])) if run.diverged_step else float("nan")
        grew = (f" (its gradient norm had reached {fmt.num(top)})"
                if run.diverged_step > 1 and top > 1.05 * run.grad_norm[0] else "")
        return (f"The {role} {start}; at step {run.diverged_step} {divergence_story(run)}{grew}. "
                "Training stopped there.")
    top = float(np.nanmax(run.grad_norm))
    growth = top / run.grad_norm[0] if run.grad_norm[0] > 0 else float("nan")
    text = (f"The {role} {start}, stays finite for all {run.steps} steps and ends at a loss of "
            f"{fmt.num(run.final_loss)} with validation accuracy {fmt.percent(run.final_val_acc)}")
    if growth > 1.05:
        text += f" (largest gradient norm {fmt.num(top)}, {fmt.times(growth)} than at step 0)"
    if run.clipped.any():
        text += (f"; clipping rescaled the gradient on {int(run.clipped.sum())} of {run.steps} steps, "
                 f"so each of those steps moved the weights by exactly lr × {fmt.num(s.clip_norm)} = "
                 f"{fmt.num(s.lr * s.clip_norm)}")
        if not learned(run):
            text += f". Its loss is {_where(run.final_loss)}"
    return text + "."


def _signal_line(r: Result) -> str:
    signal = r.problem.signal_norms
    ratio = signal[0] / signal[-1]
    if ratio > 10:
        verdict = "it grew on its way back to the input (exploding)"
    elif ratio < 0.1:
        verdict = "it shrank on its way back to the input (vanishing)"
    else:
        verdict = "within 10× of 1, so the layers neither amplify nor shrink it much"
    return (f"At initialization the backward signal ||dL/dh|| of the problem network is "
            f"{fmt.num(signal[-1])} at the last hidden layer and {fmt.num(signal[0])} at the first: "
            f"a ratio of {fmt.num(ratio)}: {verdict}.")


def signal_ratio(r: Result) -> float:
    """The problem network's backward-signal ratio ||dL/dh_1|| / ||dL/dh_L|| at initialization."""
    signal = r.problem.signal_norms
    return float(signal[0] / signal[-1])


def loss_rose(run: Run) -> bool:
    """Did the run end (or break off) at a higher loss than it started from?"""
    return bool(run.loss[run.last_finite_step] > run.loss[0]) if run.last_finite_step >= 0 else False


def step_size_unstable(r: Result) -> bool:
    """Layers that neither amplify nor shrink the signal much (ratio 0.1 to 10), yet the problem
    run diverged or its loss rose: the step, not the scale of the weights."""
    p = r.problem
    return 0.1 <= signal_ratio(r) <= 10 and (p.diverged_step is not None or loss_rose(p))


def _vanishing_line(r: Result) -> str:
    return (f"Here the layers shrink the backward signal (ratio {fmt.num(signal_ratio(r))}): this "
            "network is vanishing, not exploding — see the Vanishing gradients page.")


def _step_size_line(r: Result) -> str:
    """For a problem network whose layers do not amplify the signal: the other mechanism."""
    s, p = r.settings, r.problem
    end = p.last_finite_step
    top = float(np.nanmax(p.grad_norm[:end + 1]))
    what = (f"diverged at step {p.diverged_step}" if p.diverged_step is not None
            else f"ended at a loss of {fmt.num(p.final_loss)}")
    growth = top / p.grad_norm[0]
    grew = (f"its gradient norm grew {fmt.times(growth)} (from {fmt.num(p.grad_norm[0])} to "
            f"{fmt.num(top)}) before it {what}" if growth > 1.05 else
            f"its gradient norm never rose above its start of {fmt.num(p.grad_norm[0])}, and it {what}")
    ratio = p.signal_norms[0] / p.signal_norms[-1]
    return (f"**A different cause: the step is too large.** These layers neither amplify nor shrink "
            f"the backward signal much (its first/last ratio above is {fmt.num(ratio)}), yet with lr "
            f"{fmt.num(s.lr)} {grew}. This is "
            "step-size instability: each step is longer than the curvature of the loss allows (on a "
            "quadratic, a step beyond 2 / curvature overshoots the minimum and lands higher), so the "
            "loss and the gradient feed each other. The fix is a smaller step, not a different scale "
            "of weights.")


def _xavier_line(r: Result) -> str:
    s = r.settings
    signal = r.fix.signal_norms
    ratio = signal[0] / signal[-1]
    if s.activation not in ("relu", "leaky_relu"):
        return (f"Xavier initialization is the scale meant for tanh and sigmoid (Glorot & Bengio 2010); "
                f"with it this {s.activation} network's backward-signal ratio at initialization is "
                f"{fmt.num(ratio)}.")
    predicted = (1 / math.sqrt(2)) ** (s.depth - 1)
    direction = ("so it swaps explosion for vanishing" if ratio < 0.1 else
                 "and here the ratio stays within 10× of 1")
    return (f"Xavier initialization on ReLU: its variance 2/(fan_in + fan_out) is half of He's 2/fan_in "
            f"(fan-in equals fan-out here), so each ReLU layer scales the backward signal by about "
            f"1/√2: {s.depth - 1} layers, {s.depth - 1} factors of 1/√2, give {fmt.num(predicted)}, and "
            f"the measured ratio at initialization is {fmt.num(ratio)}, {direction}. He et al. (2015) "
            "report a 30-layer ReLU network with Xavier init that fails to converge.")


def _map_line(r: Result) -> str:
    s = r.settings
    name = "Gain × depth map of the backward-signal ratio"
    if not np.isfinite(r.crossing_gain):
        return (f"{name}: for {s.activation} at depth {s.depth} the ratio does not cross 1 for any gain "
                f"from {fmt.num(r.phase_gains[0])} to {fmt.num(r.phase_gains[-1])}.")
    cross = fmt.num(r.crossing_gain)
    text = f"{name}: for {s.activation} at depth {s.depth} the ratio crosses 1 at g ≈ {cross}"
    if s.activation == "relu":
        c = r.crossing_gain
        side = ("a little above" if 1.43 < c <= 1.8 else "at" if 1.39 <= c <= 1.43 else
                "a little below" if 1.25 <= c < 1.39 else "far from")
        gains = list(np.round(r.phase_gains, 2))
        row = r.phase_log_ratio[list(r.phase_depths).index(s.depth)]
        change = 10 ** (row[gains.index(2.0)] - row[gains.index(1.0)])
        text += (f", {side} √2 ≈ 1.41 (He initialization). He init balances the signal on average; "
                 "at finite width the typical network needs a slightly larger g. A ReLU network has "
                 "no chaotic phase: with zero biases the gain only rescales the backward signal, by "
                 "about (g/√2)^(L−1) against He init. Here doubling g from 1 to 2 multiplied the "
                 f"ratio by {fmt.num(change)}; the rule predicts {s.depth - 1} factors of 2: "
                 f"{fmt.num(2.0 ** (s.depth - 1))}.")
    elif s.activation == "tanh":
        text += f" at this depth{_tanh_trend(r)}"
    else:
        text += "."
    return f"{text} {_band_line(r)}"


def deepest_crossing(r: Result) -> tuple[int, float]:
    """The deepest depth of the map and the gain where its ratio crosses 1 (nan: none)."""
    return int(r.phase_depths[-1]), float(r.phase_crossing[-1])


def crossing_moves_toward_1(r: Result) -> bool:
    """Is the deepest row's crossing closer to g = 1 than this depth's (tanh's edge of chaos)?"""
    deep, c_deep = deepest_crossing(r)
    c = r.crossing_gain
    return bool(r.settings.depth < deep and np.isfinite(c) and np.isfinite(c_deep)
                and abs(c_deep - 1) < abs(c - 1))


def _tanh_trend(r: Result) -> str:
    """The tanh crossing against depth, then the edge of chaos it moves toward (or not)."""
    deep, c_deep = deepest_crossing(r)
    edge = ("the edge of chaos of tanh with zero biases (Poole et al. 2016, Schoenholz et al. 2017), "
            "between the ordered phase (smaller g: signals converge and gradients vanish) and the "
            "chaotic phase (larger g: nearby inputs pull apart and gradients explode)")
    if crossing_moves_toward_1(r):
        return (f"; deeper, the crossing moves toward g = 1 ({fmt.num(c_deep)} at depth {deep}), "
                f"{edge}.")
    if r.settings.depth < deep and np.isfinite(c_deep):
        return f"; at depth {deep} it is {fmt.num(c_deep)}. With zero biases g = 1 is {edge}."
    return f". With zero biases g = 1 is {edge}."


def tanh_map_note(r: Result) -> str:
    """The map's note for tanh, from the crossings it shows."""
    deep, c_deep = deepest_crossing(r)
    where = f"tanh: ratio 1 at g ≈ {fmt.num(r.crossing_gain)} at depth {r.settings.depth}"
    if r.settings.depth < deep:
        where += f", {fmt.num(c_deep)} at depth {deep}"
    edge = "the edge of chaos with zero biases (Poole et al. 2016, Schoenholz et al. 2017)"
    if crossing_moves_toward_1(r):
        return f"{where}: deeper, toward g = 1, {edge}"
    return f"{where}; g = 1 is {edge}"


def _band_line(r: Result) -> str:
    """How wide the band of balanced gains is at the shallowest and the deepest depth."""
    first, last = r.phase_depths[0], r.phase_depths[-1]
    wide, narrow = band_width(r.phase_log_ratio[0]), band_width(r.phase_log_ratio[-1])
    trend = "narrows" if narrow < wide else "does not narrow"
    whole = bool(np.all(np.abs(r.phase_log_ratio[0]) < 1))
    at_first = (f"the whole grid (g from {fmt.num(r.phase_gains[0])} to {fmt.num(r.phase_gains[-1])}) "
                f"at depth {first}" if whole else f"{fmt.num(wide)} wide at depth {first}")
    return (f"The band of gains where the ratio stays within 10× of 1 {trend} with depth: "
            f"{at_first}, {fmt.num(narrow)} wide at depth {last}.")


def bn_medians(r: Result) -> np.ndarray:
    """[2, B] median over initializations of the batch-norm ratio ([0] no skips, [1] residual)."""
    return np.median(r.bn_ratio, axis=1)


def _batch_norm_line(r: Result) -> str:
    med = bn_medians(r)
    depths = list(r.bn_depths)
    picks = [d for d in (depths[0], 10, 30, depths[-1]) if d in depths]

    def at(row: np.ndarray) -> str:
        return ", ".join(f"{fmt.num(row[depths.index(d)])} at depth {d}" for d in picks)
    plain, res = med
    grows = plain[-1] > 10 * plain[0] and plain[-1] > 10
    verdict = ("the weight gradients grow toward the input, faster the deeper the network "
               "(Yang et al. 2019)" if grows else "no steady growth with depth here")
    within = bool(np.all((res > 0.1) & (res < 10)))
    res_verdict = ("stays within 10× of 1 at every depth" if within
                   else f"stays between {fmt.num(res.min())} and {fmt.num(res.max())}")
    return (f"Batch norm removes the gain's scale (at initialization a batch-norm layer's output does "
            f"not depend on g), but not depth's effect. Without skip connections the first/last "
            f"weight-gradient ratio at initialization is {at(plain)} (median of {r.bn_ratio.shape[1]} "
            f"initializations): {verdict}. With residual connections it {res_verdict} "
            f"({at(res)}).")


def summary(r: Result) -> str:
    """The "What you are seeing" text; every number comes from `r`."""
    s = r.settings
    p = r.problem
    lines = ["**What you are seeing**", ""]
    shape = (f"{s.activation}, {s.depth} layers, gain {fmt.num(s.init_gain)}, "
             f"SGD lr {fmt.num(s.lr)}")
    lines.append(f"- {_story(p, f'problem network ({shape})', s)}")
    lines.append(f"- {_story(r.fix, f'same network with {fix_label(s)}', s)}")
    lines.append(f"- {_signal_line(r)}")
    if signal_ratio(r) < 0.1:
        lines.append(f"- {_vanishing_line(r)}")
    elif step_size_unstable(r):
        lines.append(f"- {_step_size_line(r)}")
    if s.fix == "Xavier init":
        lines.append(f"- {_xavier_line(r)}")
    lines.append(f"- {_map_line(r)}")
    lines.append(f"- {_batch_norm_line(r)}")
    lo, hi = float(np.nanmin(r.relu_weight_ratio)), float(np.nanmax(r.relu_weight_ratio))
    g0, g1 = fmt.num(r.contrast_gains[0]), fmt.num(r.contrast_gains[-1])
    sig = r.sigmoid_weight_ratio[list(r.contrast_gains).index(1.0)]
    lines.append(
        f"- What explodes in ReLU is the backward signal and the overall gradient scale, not the ratio "
        f"between layers: in a ReLU network of this shape, from g = {g0} to {g1} the signal ratio goes "
        f"from {fmt.num(r.relu_signal_ratio[0])} to {fmt.num(r.relu_signal_ratio[-1])}, yet the "
        f"first/last *weight*-gradient ratio stays between {fmt.num(lo)} and {fmt.num(hi)} (every "
        f"layer's gradient is scaled by about the same factor). In a sigmoid network of the same shape "
        f"that ratio itself collapses: {fmt.num(sig)} at g = 1.")
    k = r.product_norms.shape[1] - 1
    ends = ", ".join(f"g = {fmt.num(g)}: {fmt.num(r.product_norms[i, -1])}"
                     for i, g in enumerate(r.product_gains))
    lines.append(f"- Repeated multiplication: a vector of norm 1 after {k} random matrices has norm "
                 f"{ends}. Only g ≈ 1 keeps it in range; a ReLU zeroes about half the signal, which "
                 "moves that balance point to g = √2.")
    return "\n".join(lines)


