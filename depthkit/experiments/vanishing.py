"""Vanishing gradients: a deep network whose early layers barely learn, next to a fix.

Two networks of the same depth and width train on the same data from the same
seed: the *problem* network (by default sigmoid with PyTorch's default
initialization) and the *fix* network (by default ReLU with He
initialization; batch norm or residual connections can be switched on for
it). For each we record

- the gradient norm of every hidden layer's weights, at initialization and
  after training (probes on the full training set), and at every step;
- the backpropagated signal ||dL/dh_l|| (h_l = output of hidden layer l);
- how far each layer's weights moved: ||W_end - W_start|| / ||W_start||;
- the share of saturated (sigmoid/tanh) or dead (ReLU) units per layer;
- loss, validation accuracy and the decision boundary.

A depth sweep at initialization (no training) adds the first/last-layer
ratios of several activation/initialization pairs for depths 2..50.

`run_many` trains the networks of several settings together (same-shaped
models share one batched computation); `run(settings)` is `run_many([settings])[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from depthkit import budget
from depthkit.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.models import ACTIVATIONS, INITS, ModelSettings, params_from_numpy, predict_proba
from depthkit.probes import ProbeResult, first_last_ratio, probe, probe_at_init
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train_many

GRID = 60  # decision-boundary grid points per axis
GRID_MARGIN = 0.5  # grid extends this far (standardized units) beyond the data
SIGMOID_SLOPE = 0.25  # the largest derivative of the sigmoid, reached at 0
# (activation, init, label) of the depth sweep; init "normal" is N(0, 1/fan_in), zero biases
SWEEP = (
    ("sigmoid", "default", "sigmoid, default init"),
    ("tanh", "xavier", "tanh, Xavier init"),
    ("relu", "default", "ReLU, default init"),
    ("relu", "normal", "ReLU, N(0, 1/fan_in)"),
    ("relu", "he", "ReLU, He init"),
)
SUBTLE = 3  # the sweep entry whose weight-gradient ratio hides the vanishing signal
SWEEP_DEPTHS = (2, 5, 10, 15, 20, 30, 40, 50)


@dataclass(frozen=True)
class VanishingSettings(Settings):
    # the problem network (left)
    activation: str = param("sigmoid", choices=ACTIVATIONS, label="Activation",
                            help="Activation of the problem network (left).")
    init: str = param("default", choices=INITS, label="Initialization",
                      help="default = PyTorch's nn.Linear default; he = N(0, 2/fan_in); "
                           "xavier = N(0, 2/(fan_in+fan_out)); normal = N(0, 1/fan_in).")
    # the fix network (right)
    fix_activation: str = param("relu", choices=ACTIVATIONS, label="Fix: activation")
    fix_init: str = param("he", choices=INITS, label="Fix: initialization")
    batch_norm: bool = param(False, label="Fix: batch norm",
                             help="Normalize each hidden layer's pre-activations over the batch.")
    residual: bool = param(False, label="Fix: residual connections",
                           help="h_l = h_(l-1) + f(h_(l-1)) on hidden layers 2..depth.")
    # both networks
    depth: int = param(20, lo=2, hi=50, label="Hidden layers (depth)")
    width: int = param(16, lo=4, hi=128, options=(4, 8, 16, 32, 64, 128), label="Units per layer")
    optimizer: str = param("sgd", choices=("sgd", "adam"), label="Optimizer",
                           help="Plain SGD shows the effect honestly: Adam divides each step by "
                                "the gradient's own size, so tiny early-layer gradients still move "
                                "weights and part of the problem is hidden.")
    lr: float = param(0.05, lo=1e-4, hi=1.0, log=True,
                      options=(0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0), label="Learning rate")
    steps: int = param(100, lo=10, hi=2000, options=(10, 50, 100, 200, 300, 500, 1000, 2000),
                       label="Training steps (full batch)")
    dataset: str = param("moons", choices=DATASETS, label="Dataset")
    n_samples: int = param(400, lo=100, hi=2000, options=(100, 200, 400, 1000, 2000),
                           label="Points (70% train, 30% validation)")
    seed: int = param(0, lo=0, hi=9999, label="Seed (data and initialization)")


PRESETS: dict[str, dict] = {
    "Sigmoid, 20 layers": {},
    # ReLU alone is not enough: PyTorch's default init is too small for ReLU
    "ReLU + He": {"activation": "relu", "init": "default", "fix_activation": "relu", "fix_init": "he"},
    # batch norm tolerates (and here needs) a larger step, and its running statistics need
    # more steps to settle (at 100 steps some seeds still validate poorly); the plain sigmoid
    # still cannot learn with either
    "Sigmoid + batch norm": {"fix_activation": "sigmoid", "fix_init": "default", "batch_norm": True,
                             "lr": 1.0, "steps": 200},
    "Residual": {"fix_activation": "sigmoid", "fix_init": "default", "residual": True, "lr": 0.3},
}

_INIT_NAMES = {"default": "default init", "xavier": "Xavier init", "he": "He init",
               "normal": "N(0, 1/fan_in) init"}


def _label(activation: str, init: str, norm: str = "none", residual: bool = False) -> str:
    extras = (["batch norm"] if norm == "batch" else []) + (["residual"] if residual else [])
    name = "ReLU" if activation == "relu" else activation
    return " + ".join([f"{name}, {_INIT_NAMES[init]}"] + extras)


def problem_model(s: VanishingSettings) -> ModelSettings:
    """The network that shows the problem (left)."""
    return ModelSettings(depth=s.depth, width=s.width, activation=s.activation, init=s.init)


def fix_model(s: VanishingSettings) -> ModelSettings:
    """The same depth and width with the fix (right)."""
    return ModelSettings(depth=s.depth, width=s.width, activation=s.fix_activation, init=s.fix_init,
                         norm="batch" if s.batch_norm else "none", residual=s.residual)


def train_settings(s: VanishingSettings) -> TrainSettings:
    return TrainSettings(optimizer=s.optimizer, lr=s.lr, steps=s.steps, seed=s.seed)


def data_settings(s: VanishingSettings) -> DataSettings:
    return DataSettings(name=s.dataset, n_samples=s.n_samples, seed=s.seed)


@dataclass
class NetworkResult:
    """One network's record; numpy arrays and plain numbers only."""

    label: str
    grad_init: np.ndarray  # [depth] ||dL/dW_l|| at initialization
    grad_final: np.ndarray  # [depth] after training
    signal_init: np.ndarray  # [depth] ||dL/dh_l|| at initialization
    signal_final: np.ndarray  # [depth]
    saturated_init: np.ndarray  # [depth] share of saturated/dead units
    saturated_final: np.ndarray  # [depth]
    layer_grad_norms: np.ndarray  # [T, depth] at every training step
    weight_change: np.ndarray  # [depth] ||W_end - W_start|| / ||W_start||
    loss: np.ndarray  # [T] training loss
    val_acc: np.ndarray  # [T] validation accuracy
    final_val_acc: float
    final_train_acc: float
    diverged_step: int | None
    divergence: str
    boundary: np.ndarray  # [GRID, GRID] P(class 1) on the grid, rows = y

    @property
    def grad_ratio(self) -> float:
        """First over last hidden layer's weight-gradient norm at initialization."""
        return first_last_ratio(self.grad_init)

    @property
    def signal_ratio(self) -> float:
        """||dL/dh_1|| / ||dL/dh_L|| at initialization."""
        return first_last_ratio(self.signal_init)

    @property
    def change_ratio(self) -> float:
        """First over last hidden layer's relative weight change over training."""
        return first_last_ratio(self.weight_change)


@dataclass
class Result:
    problem: NetworkResult
    fix: NetworkResult
    depth: int
    steps: int
    optimizer: str
    lr: float
    X_train: np.ndarray  # [n, 2] standardized
    y_train: np.ndarray  # [n]
    grid_x: np.ndarray  # [GRID]
    grid_y: np.ndarray  # [GRID]
    sweep_depths: np.ndarray  # [D]
    sweep_labels: list[str]  # [C]
    sweep_grad_ratio: np.ndarray  # [C, D] first/last weight-gradient norm at init (float64)
    sweep_signal_ratio: np.ndarray  # [C, D] ||dL/dh_1|| / ||dL/dh_L|| at init (float64)


def sweep_depths(s: VanishingSettings) -> tuple[int, ...]:
    """The sweep's depths, including the page's own depth."""
    return tuple(sorted(set(SWEEP_DEPTHS) | {s.depth}))


def cost(s: VanishingSettings) -> float:
    """FLOPs: training both networks, four probes, the boundary grid, the depth sweep."""
    data = data_settings(s)
    n_train, n_val = data.n_train, s.n_samples - data.n_train
    ts = train_settings(s)
    flops = sum(run_flops(m, ts, n_train, n_val) for m in (problem_model(s), fix_model(s)))
    flops += 2 * 2 * 3 * budget.forward_flops(n_train, 2, s.depth, s.width)  # probes
    flops += 2 * budget.forward_flops(GRID * GRID, 2, s.depth, s.width)  # boundaries
    # the sweep runs in float64, about twice the cost of float32
    flops += 2 * len(SWEEP) * sum(3 * budget.forward_flops(n_train, 2, d, s.width) for d in sweep_depths(s))
    return float(flops)


def _grid(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = X.min(axis=0) - GRID_MARGIN, X.max(axis=0) + GRID_MARGIN
    gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
    xx, yy = np.meshgrid(gx, gy)
    return gx, gy, np.c_[xx.ravel(), yy.ravel()].astype(np.float32)


def _probe_final(model: ModelSettings, res: TrainResult, data: Dataset) -> ProbeResult:
    """Gradients and saturation of the trained weights on the full training set."""
    params = params_from_numpy([res.params])
    return probe(model, params, data.X_train, data.y_train)[0]


def _network(model: ModelSettings, res: TrainResult, at_init: ProbeResult, data: Dataset,
             grid: np.ndarray) -> NetworkResult:
    final = _probe_final(model, res, data)
    boundary = predict_proba(model, res.params, grid, res.buffers).reshape(GRID, GRID)
    return NetworkResult(
        label=_label(model.activation, model.init, model.norm, model.residual),
        grad_init=at_init.weight_grad_norms, grad_final=final.weight_grad_norms,
        signal_init=at_init.signal_grad_norms, signal_final=final.signal_grad_norms,
        saturated_init=at_init.saturated, saturated_final=final.saturated,
        layer_grad_norms=res.layer_grad_norms, weight_change=res.weight_change,
        loss=res.loss, val_acc=res.val_acc, final_val_acc=res.final_val_acc,
        final_train_acc=res.final_train_acc, diverged_step=res.diverged_step,
        divergence=res.divergence, boundary=boundary.astype(np.float32))


def depth_sweep(s: VanishingSettings, data: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(depths, weight-gradient ratios [C, D], signal ratios [C, D]) at initialization.

    Float64, so that ratios below float32's range (sigmoid at depth 50) still
    get a number instead of 0.
    """
    depths = sweep_depths(s)
    models = [ModelSettings(depth=d, width=s.width, activation=a, init=i)
              for a, i, _ in SWEEP for d in depths]
    probes = probe_at_init(models, [s.seed] * len(models), data, n_points=len(data.y_train),
                           dtype="float64")
    grad = np.array([p.weight_grad_ratio for p in probes]).reshape(len(SWEEP), len(depths))
    signal = np.array([p.signal_ratio for p in probes]).reshape(len(SWEEP), len(depths))
    return np.array(depths), grad, signal


def run_many(settings: list[VanishingSettings]) -> list[Result]:
    """Run several settings; all their networks train in one batched call."""
    for s in settings:
        if not isinstance(s, VanishingSettings):
            raise ValueError(f"expected VanishingSettings, got {type(s).__name__}")
    budget.check_budget(sum(cost(s) for s in settings), "This comparison")
    datasets = [make_dataset(data_settings(s)) for s in settings]
    runs = []
    for s, data in zip(settings, datasets):
        runs += [(problem_model(s), train_settings(s), data), (fix_model(s), train_settings(s), data)]
    trained = train_many(runs)
    results = []
    for i, (s, data) in enumerate(zip(settings, datasets)):
        models = [problem_model(s), fix_model(s)]
        at_init = probe_at_init(models, [s.seed, s.seed], data, n_points=len(data.y_train))
        gx, gy, grid = _grid(data.X_train)
        nets = [_network(m, trained[2 * i + j], at_init[j], data, grid) for j, m in enumerate(models)]
        depths, grad, signal = depth_sweep(s, data)
        results.append(Result(
            problem=nets[0], fix=nets[1], depth=s.depth, steps=s.steps, optimizer=s.optimizer,
            lr=s.lr, X_train=data.X_train, y_train=data.y_train, grid_x=gx, grid_y=gy,
            sweep_depths=depths, sweep_labels=[label for *_, label in SWEEP],
            sweep_grad_ratio=grad, sweep_signal_ratio=signal))
    return results


def run(settings: VanishingSettings) -> Result:
    """Train the problem and fix networks of `settings`; probe them; sweep depth at init."""
    return run_many([settings])[0]


# ---------------------------------------------------------------- text and tables

def times(r: float) -> str:
    """A ratio first/last as words: '4,300x smaller', '1.3x larger', 'about equal'."""
    if not np.isfinite(r):
        return "not measurable (the last layer's gradient is 0)"
    if r == 0:
        return "0: it underflowed to exactly 0 in float32"
    if 0.9 <= r <= 1.1:
        return "about the same size"
    factor, word = (1 / r, "smaller") if r < 1 else (r, "larger")
    return f"{number(factor)}x {word}"


def number(v: float) -> str:
    """Compact positive number: 4,300 / 12 / 2.5 / 1.1e+15."""
    if v >= 1e5:
        return f"{v:.1e}"
    if v >= 10:
        return f"{v:,.0f}"
    return f"{v:.2g}" if v < 1 else f"{v:.1f}"


def ratio_number(r: float) -> str:
    """A ratio that may be 0 or not finite."""
    if not np.isfinite(r):
        return "not measurable"
    return "0 (below float32's range)" if r == 0 else number(r)


def percent(v: float) -> str:
    """A fraction as a percentage that keeps tiny values visible."""
    if not np.isfinite(v):
        return "n/a"
    if v == 0:
        return "0% (not at all, in float32)"
    p = 100 * v
    if p >= 1:
        return f"{p:.0f}%"
    return f"{p:.2g}%" if p >= 1e-3 else f"{p:.1e}%"


def share(values: np.ndarray) -> str:
    """Mean share over layers, as a percentage ('<1%' for small non-zero shares)."""
    v = float(np.mean(values))
    return "<1%" if 0 < v < 0.005 else f"{100 * v:.0f}%"


def _slope_note(net: NetworkResult) -> str:
    if net.label.startswith("sigmoid") and float(np.mean(net.saturated_init)) < 0.05:
        return (" (so saturation is not the cause here: the sigmoid's slope is at most 0.25, and with "
                "small weights every layer multiplies the backward signal by less than that)")
    return ""


def _network_text(net: NetworkResult, depth: int) -> str:
    return (f"the first hidden layer's weight gradient is **{times(net.grad_ratio)}** than "
            f"layer {depth}'s ({net.grad_init[0]:.1e} vs {net.grad_init[-1]:.1e}; the backpropagated "
            f"signal ||dL/dh_1|| / ||dL/dh_{depth}|| is {ratio_number(net.signal_ratio)}); over training "
            f"its weights moved **{percent(net.weight_change[0])}**, layer {depth}'s "
            f"**{percent(net.weight_change[-1])}**")


def summary(result: Result) -> str:
    """'What you are seeing', every number from `result`."""
    p, f, depth = result.problem, result.fix, result.depth
    opt = "plain SGD" if result.optimizer == "sgd" else "Adam"
    lines = [
        "**What you are seeing**",
        "",
        f"- **Problem ({p.label}, {depth} layers):** at initialization {_network_text(p, depth)} "
        f"in {result.steps} steps of {opt} (learning rate {result.lr:g}). "
        f"Saturated or dead units: {share(p.saturated_init)} at initialization, "
        f"{share(p.saturated_final)} after training{_slope_note(p)}. "
        f"Validation accuracy: **{percent(p.final_val_acc)}**.",
        f"- **Fix ({f.label}):** {_network_text(f, depth)}. "
        f"Validation accuracy: **{percent(f.final_val_acc)}**.",
    ]
    i = min(range(len(result.sweep_depths)), key=lambda k: abs(result.sweep_depths[k] - depth))
    d = int(result.sweep_depths[i])
    lines.append(
        f"- **Two ratios (depth sweep, depth {d}):** for {result.sweep_labels[SUBTLE]} the weight-gradient "
        f"ratio is {ratio_number(result.sweep_grad_ratio[SUBTLE, i])} while the backpropagated signal ratio "
        f"||dL/dh_1|| / ||dL/dh_L|| is {ratio_number(result.sweep_signal_ratio[SUBTLE, i])}. "
        "A weight gradient is (layer input) x (signal): here the activations shrink toward the output "
        "while the signal shrinks toward the input, so every layer's gradient shrinks together "
        "and only the signal ratio, or the absolute scale, shows it. For the sigmoid each layer "
        "can pass back at most 0.25 of the signal "
        f"(dashed line): the sweep's sigmoid signal ratio at depth {d} is "
        f"{ratio_number(result.sweep_signal_ratio[0, i])}.")
    if result.optimizer == "adam":
        lines.append("- **Adam** divides each step by the gradient's own running size, so even tiny "
                     "early-layer gradients move the weights: it hides part of the effect. "
                     "Switch back to SGD to see it plainly.")
    for name, net in (("problem", p), ("fix", f)):
        if net.diverged_step is not None:
            lines.append(f"- The {name} network **diverged at step {net.diverged_step}** "
                         f"({net.divergence}); it keeps the weights from before that step.")
    return "\n".join(lines)


def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_").replace("__", "_")


def tables(result: Result) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: per layer, per step, and the depth sweep."""
    per_layer: dict[str, np.ndarray] = {"layer": np.arange(1, result.depth + 1)}
    per_step: dict[str, np.ndarray] = {"step": np.arange(len(result.problem.loss))}
    for name, net in (("problem", result.problem), ("fix", result.fix)):
        for field in ("grad_init", "grad_final", "signal_init", "signal_final", "weight_change",
                      "saturated_init", "saturated_final"):
            per_layer[f"{name}_{field}"] = getattr(net, field)
        per_step[f"{name}_loss"] = net.loss
        per_step[f"{name}_val_acc"] = net.val_acc
        per_step[f"{name}_grad_first_layer"] = net.layer_grad_norms[:, 0]
        per_step[f"{name}_grad_last_layer"] = net.layer_grad_norms[:, -1]
    sweep: dict[str, np.ndarray] = {"depth": result.sweep_depths}
    for k, label in enumerate(result.sweep_labels):
        sweep[f"{_slug(label)}_grad_ratio"] = result.sweep_grad_ratio[k]
        sweep[f"{_slug(label)}_signal_ratio"] = result.sweep_signal_ratio[k]
    return {"per_layer": per_layer, "per_step": per_step, "depth_sweep": sweep}
