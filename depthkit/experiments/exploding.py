"""Exploding gradients: a deep net with too large an init gain, trained beside one fix.

`run(ExplodingSettings) -> Result` trains the problem network (plain SGD,
full batch, no clipping) and the same network with one fix (gradient
clipping, a learning rate ten times smaller, He or Xavier initialization, or
batch norm) on the same data and seed: what is trained comes from the
settings' methods `model(role)`, `training(role)` and `data()` (role
"problem" or "fix"), and each is kept as a `depthkit.experiments.record.Network` whose
`at_init` probe holds ||dL/dh_l|| (the backward signal) and ||dL/dW_l|| (the
weight gradient) per layer. It adds computations that need no training:

- the gain × depth map of the backward-signal ratio: log10 of
  ||dL/dh_1|| / ||dL/dh_L|| over a grid of init gains and depths for the
  chosen activation, with the gain where the ratio crosses 1 at every depth
  (for ReLU the gain only rescales the ratio, by about (g/√2)^(L−1) against He
  init: there is no chaotic phase; for tanh the crossing moves toward g = 1
  with depth, the edge of chaos of Poole et al. 2016 and Schoenholz et al. 2017);
- batch norm at depth: the first/last weight-gradient ratio at initialization
  of batch-norm networks of several depths, without and with residual
  connections (Yang et al. 2019: without skips it grows with depth);
- repeated multiplication: the norm of a vector pushed through 100 random
  matrices of several gains, the smallest version of the problem;
- a ReLU-versus-sigmoid contrast at the chosen depth: how the first/last
  weight-gradient ratio behaves as the gain changes.

The words of the page live in depthkit.presentation.text.exploding, the charts in
depthkit.presentation.charts.exploding, the CSV tables in depthkit.presentation.tables.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from depthkit.core import fmt
from depthkit.core.spec import Settings, param
from depthkit.engine.budget import check_budget, forward_flops
from depthkit.engine.data import Dataset, DataSettings, make_dataset
from depthkit.engine.models import (
    ACTIVATIONS,
    ModelSettings,
    bce_per_model,
    forward,
    init_params,
    per_layer_norms,
)
from depthkit.engine.probes import probe_at_init
from depthkit.engine.train import TrainSettings, run_flops, train
from depthkit.experiments.record import Network
from depthkit.experiments.result import Result as BaseResult

FIXES = ("clipping", "smaller lr", "He init", "Xavier init", "batch norm")
LR_FACTOR = 20.0  # the "smaller lr" fix divides the learning rate by this
# (20, not 10: lr 1 / 10 = 0.1 is itself at the edge of stability for the "Step too large" preset's
# He-scaled network and diverged on 2 of 10 seeds under other kernels; lr 0.05 learns on every seed)
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
                      label="Learning rate (SGD)",
                      help="Every step uses the whole training set: full-batch gradient descent (plain "
                           "SGD on the whole training set), with no gradient noise.")
    fix: str = param("clipping", choices=FIXES, label="Compare with",
                     help="clipping: rescale the gradient to the threshold below; smaller lr: "
                          f"the learning rate / {LR_FACTOR:g}; He init: N(0, 2/fan_in), the scale for ReLU; "
                          "Xavier init: N(0, 2/(fan_in+fan_out)), the scale derived for tanh (slope 1 at 0; "
                          "the sigmoid's is 1/4 and GELU's 1/2, so their signal still shrinks): on "
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

    def model(self, role: str = "problem") -> ModelSettings:
        """The network of `role`: "problem" (gain g, no normalization) or "fix" (the compared one)."""
        problem = ModelSettings(depth=self.depth, width=self.width, activation=self.activation,
                                init="normal", init_gain=self.init_gain)
        if role == "problem" or self.fix in ("clipping", "smaller lr"):
            return problem
        if role != "fix":
            raise ValueError(f"no role {role!r}: 'problem' or 'fix'")
        if self.fix == "He init":
            return problem.replace(init="he")
        if self.fix == "Xavier init":
            return problem.replace(init="xavier")
        return problem.replace(norm="batch")

    def training(self, role: str = "problem") -> TrainSettings:
        """Plain SGD, full batch; the "fix" role clips or divides the learning rate when that is the fix."""
        ts = TrainSettings(optimizer="sgd", lr=self.lr, steps=self.steps, seed=self.seed)
        if role == "problem":
            return ts
        if role != "fix":
            raise ValueError(f"no role {role!r}: 'problem' or 'fix'")
        if self.fix == "clipping":
            return ts.replace(clip_norm=self.clip_norm)
        if self.fix == "smaller lr":
            return ts.replace(lr=max(self.lr / LR_FACTOR, 1e-5))
        return ts

    def data(self) -> DataSettings:
        return DataSettings(name="moons", n_samples=N_POINTS, noise=0.2, seed=self.seed)

    @property
    def changes_init(self) -> bool:
        """He/Xavier init and batch norm change the network at step 0; clipping and lr do not."""
        return self.fix in ("He init", "Xavier init", "batch norm")

    def label(self, role: str) -> str:
        """How the legends name each network: "problem: gain 2, lr 0.05", "with clipping at 3"."""
        if role == "problem":
            return f"problem: gain {fmt.num(self.init_gain)}, lr {fmt.num(self.lr)}"
        change = {"clipping": f"clipping at {fmt.num(self.clip_norm)}",
                  "smaller lr": f"lr {fmt.num(self.lr / LR_FACTOR)}"}.get(self.fix, self.fix)
        return f"with {change}"


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


@dataclass
class Result(BaseResult):
    """Both trained networks and the probes that need no training; settings in `settings`."""

    settings: ExplodingSettings
    problem: Network  # at_init: per-layer ||dL/dh_l||, ||dL/dW_l|| before training
    fix: Network
    phase_gains: np.ndarray  # [G]
    phase_depths: np.ndarray  # [D]
    phase_log_ratio: np.ndarray  # [D, G] log10 ||dL/dh_1|| / ||dL/dh_L||; nan where undefined
    phase_crossing: np.ndarray  # [D] gain where the ratio crosses 1 (nan: no crossing)
    product_gains: np.ndarray  # [P]
    product_norms: np.ndarray  # [P, PRODUCT_LAYERS + 1] ||x_k||, x_0 of norm 1
    contrast_gains: np.ndarray  # [C]
    relu_signal_ratio: np.ndarray  # [C] at the chosen depth and width
    relu_weight_ratio: np.ndarray  # [C] ||dL/dW_1|| / ||dL/dW_L||
    sigmoid_weight_ratio: np.ndarray  # [C]
    bn_depths: np.ndarray  # [B] depths of the batch-norm probe
    bn_ratio: np.ndarray  # [2, S, B] first/last weight-gradient ratio at init: [0] no skips, [1] residual

    @property
    def crossing_gain(self) -> float:
        """The gain where the ratio crosses 1 at the page's depth (nan: none)."""
        return float(self.phase_crossing[list(self.phase_depths).index(self.settings.depth)])


def phase_depths(s: ExplodingSettings) -> tuple[int, ...]:
    return tuple(sorted(set(PHASE_DEPTHS) | {s.depth}))


def cost(s: ExplodingSettings) -> float:
    """FLOPs: both training runs, the probes at initialization and the tiny product."""
    data = s.data()
    n_train, n_val = data.n_train, N_POINTS - data.n_train
    flops = sum(run_flops(s.model(role), s.training(role), n_train, n_val) for role in ("problem", "fix"))
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


def steps(net: Network) -> int:
    return len(net.training.loss)


def last_finite_step(net: Network) -> int:
    return steps(net) - 1 if net.diverged_step is None else net.diverged_step - 1


def total_weight_norm(net: Network) -> np.ndarray:
    """[T] norm of all hidden weights together at each step."""
    return np.sqrt(np.sum(net.training.weight_norms ** 2, axis=1))


def signal_ratio(r: Result) -> float:
    """The problem network's backward-signal ratio ||dL/dh_1|| / ||dL/dh_L|| at initialization."""
    return r.problem.at_init.signal_ratio  # type: ignore[union-attr]  # probed at init


def learned(net: Network) -> bool:
    """Finite to the end and a final training loss clearly below a coin flip's (ln 2)."""
    loss = net.training.final_train_loss
    return net.diverged_step is None and bool(np.isfinite(loss)) and loss < LEARNED_LOSS


def loss_rose(net: Network) -> bool:
    """Did the run end (or break off) at a loss over 1% above its start? (A run that learned
    nothing ends within float rounding of its start, e.g. 0.6931472 against 0.6931474.)"""
    end = last_finite_step(net)
    return bool(net.training.loss[end] > 1.01 * net.training.loss[0]) if end >= 0 else False


def step_size_unstable(r: Result) -> bool:
    """Layers that do not amplify the signal (ratio at most 10), yet the problem run diverged or its
    loss rose: the step, not the scale of the weights. (A ratio below 0.1 alone is vanishing: with
    a run that trained calmly the page says that instead.)"""
    return signal_ratio(r) <= 10 and (r.problem.diverged or loss_rose(r.problem))


def wrong_point_loss(net: Network) -> float:
    """A lower bound on the mean loss of a misclassified training point at the end.

    A correctly classified point costs at most ln 2 (P(true class) >= 0.5), so
    the wrong ones carry at least (loss - acc * ln 2) / (1 - acc) each on average.
    """
    loss, acc = net.training.final_train_loss, net.training.final_train_acc
    if not np.isfinite(loss) or acc >= 1:
        return float("nan")
    return float((loss - acc * COIN_FLIP_LOSS) / (1 - acc))


def deepest_crossing(r: Result) -> tuple[int, float]:
    """The deepest depth of the map and the gain where its ratio crosses 1 (nan: none)."""
    return int(r.phase_depths[-1]), float(r.phase_crossing[-1])


def crossing_moves_toward_1(r: Result) -> bool:
    """Is the deepest row's crossing closer to g = 1 than this depth's (tanh's edge of chaos)?"""
    deep, c_deep = deepest_crossing(r)
    c = r.crossing_gain
    return bool(r.settings.depth < deep and np.isfinite(c) and np.isfinite(c_deep)
                and abs(c_deep - 1) < abs(c - 1))


def bn_medians(r: Result) -> np.ndarray:
    """[2, B] median over initializations of the batch-norm ratio ([0] no skips, [1] residual)."""
    return np.median(r.bn_ratio, axis=1)


def divergence_parts(divergence: str) -> tuple[str, str]:
    """What became non-finite and how ("loss" or "gradient norm", "inf" or "nan"), from what
    train recorded ("gradient norm became inf")."""
    what, _, value = divergence.partition(" became ")
    try:
        kind = "nan" if math.isnan(float(value)) else "inf"
    except ValueError:
        kind = "nan"
    return what, kind


def _networks(s: ExplodingSettings, data: Dataset) -> tuple[Network, ...]:
    """The problem and the compared network, trained one at a time: a diverged run stops its own
    loop at once, while in a batch it would keep computing beside the run that still trains."""
    models = [s.model(role) for role in ("problem", "fix")]
    probes = probe_at_init(models, [s.seed, s.seed], data, n_points=PROBE_POINTS)
    return tuple(Network(label=s.label(role), model=m, training=train(m, s.training(role), data),
                         at_init=probe)
                 for role, m, probe in zip(("problem", "fix"), models, probes))


def run(s: ExplodingSettings) -> Result:
    if not isinstance(s, ExplodingSettings):
        raise ValueError(f"run expects ExplodingSettings, got {type(s).__name__}")
    check_budget(cost(s), "This comparison")
    data = make_dataset(s.data())
    problem, fix = _networks(s, data)
    depths = phase_depths(s)
    log_ratio, crossings, (relu_probes, sigmoid_probes) = phase(s.model("problem"), depths, data, s.seed)
    product_gains = tuple(sorted(set(PRODUCT_GAINS) | {s.init_gain}))
    return Result(
        settings=s, problem=problem, fix=fix,
        phase_gains=np.array(PHASE_GAINS), phase_depths=np.array(depths), phase_log_ratio=log_ratio,
        phase_crossing=crossings, product_gains=np.array(product_gains),
        product_norms=repeated_product(product_gains, s.width, PRODUCT_LAYERS, s.seed),
        contrast_gains=np.array(CONTRAST_GAINS),
        relu_signal_ratio=np.array([p.signal_ratio for p in relu_probes]),
        relu_weight_ratio=np.array([p.weight_grad_ratio for p in relu_probes]),
        sigmoid_weight_ratio=np.array([p.weight_grad_ratio for p in sigmoid_probes]),
        bn_depths=np.array(BN_DEPTHS),
        bn_ratio=batch_norm_ratios(s, data, tuple(s.seed + i for i in range(BN_SEEDS))),
    )
