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
- the largest single-step update of each layer's weights ||dW_l|| (an upper
  bound on any one weight's step) next to half the float32 spacing at the
  layer's typical |w|: a step below that rounds away (w + dW == w);
- the spectral norms ||W_l||_2 of the hidden-to-hidden weights at init: the
  backward signal passes each layer through W_l^T diag(f'(z_l)), so for the
  sigmoid (f' <= 0.25) one layer scales it by at most 0.25 ||W_l||_2;
- the share of saturated (sigmoid/tanh) or dead (ReLU) units per layer;
- loss, validation accuracy and the decision boundary.

A depth sweep at initialization (no training) adds the first/last-layer
ratios of several activation/initialization pairs for depths 2..50, and for
the sigmoid the true upper bound of its signal ratio, prod_l 0.25 ||W_l||_2
over the L-1 hidden-to-hidden layers of each swept network's own weights.

`run_many` trains the networks of several settings together (same-shaped
models share one batched computation); `run(settings)` is `run_many([settings])[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from depthkit import budget, fmt
from depthkit.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.models import ACTIVATIONS, INITS, ModelSettings, init_params, params_from_numpy, predict_proba
from depthkit.optim import ADAM_EPS
from depthkit.probes import ProbeResult, first_last_ratio, probe, probe_at_init
from depthkit.spec import Settings, param
from depthkit.train import TrainResult, TrainSettings, run_flops, train_many

GRID = 60  # decision-boundary grid points per axis
GRID_MARGIN = 0.5  # grid extends this far (standardized units) beyond the data
SIGMOID_SLOPE = 0.25  # the largest derivative of the sigmoid, reached at 0
# a step below this share of |w| rounds away in float32 for any w: half a float32 step is
# between 2^-25 and 2^-24 of |w|
FLOAT32_ROUNDS_AWAY = 2.0 ** -25
# below this share of saturated units, saturation cannot explain the vanishing signal
FEW_SATURATED = 0.05
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
                           help="Plain SGD shows the effect as it is. Adam divides each step by "
                                "sqrt(v) + ε with ε = 10⁻⁸: a gradient well above ε gets a step of "
                                "about the learning rate whatever its size, which hides a vanishing "
                                "gradient; one far below ε gets only about lr·g/ε, so a gradient of "
                                "10⁻¹⁵ still does not move the weights.")
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
    update_max: np.ndarray  # [depth] largest single-step ||dW_l|| (bounds any one weight's step)
    update_ratio_max: np.ndarray  # [depth] largest single-step ||dW_l|| / ||W_l||
    weight_typical: np.ndarray  # [depth] median |w| of each layer's final weights
    half_spacing: np.ndarray  # [depth] half the float32 spacing at weight_typical: smaller steps round away
    spectral_init: np.ndarray  # [depth - 1] ||W_l||_2 of hidden layers 2..depth at initialization
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
    def first_grad_max(self) -> float:
        """The first hidden layer's largest weight-gradient norm over training."""
        return _nanmax(self.layer_grad_norms[:, 0])

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
    sweep_act_ratio: np.ndarray  # [C, D] RMS of h_L over RMS of h_1 at init
    sweep_sigmoid_bound: np.ndarray  # [D] prod over layers 2..L of 0.25 ||W_l||_2 (sigmoid entry's weights)


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


def _nanmax(values: np.ndarray) -> float:
    """Largest finite value; nan when there is none (a run that diverged at step 0)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size else float("nan")


def spectral_norms(model: ModelSettings, seed: int, n_inputs: int = 2) -> np.ndarray:
    """[depth - 1] ||W_l||_2 of hidden layers 2..depth of `model` as initialized from `seed`.

    The same draw as the trainer's and the probes' (init_params), in float64.
    """
    params = init_params([model], [seed], n_inputs, torch.float64)
    if "W_hid" not in params:
        return np.zeros(0)
    return torch.linalg.matrix_norm(params["W_hid"][0], ord=2).numpy()


def sigmoid_bound(spectral: np.ndarray) -> float:
    """prod_l 0.25 ||W_l||_2: an upper bound on a sigmoid network's ||dL/dh_1|| / ||dL/dh_L||.

    dL/dh_(l-1) = (dL/dh_l * sigmoid'(z_l)) W_l^T row by row, and sigmoid' <= 0.25,
    so each of the L-1 layers scales the signal's norm by at most 0.25 ||W_l||_2.
    """
    return float(np.prod(SIGMOID_SLOPE * np.asarray(spectral, dtype=np.float64)))


def per_layer(ratio: float, depth: int) -> float:
    """The geometric-mean factor per layer of a ratio over depth - 1 layers."""
    if depth < 2 or not np.isfinite(ratio) or ratio <= 0:
        return float("nan")
    return float(ratio ** (1.0 / (depth - 1)))


def _update_sizes(res: TrainResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(largest single-step ||dW_l||, median |w_l|, half the float32 spacing there), per layer."""
    with np.errstate(invalid="ignore"):
        steps = res.update_ratio * res.weight_norms  # ||dW_l|| of each step's update
    update_max = np.array([_nanmax(steps[:, layer]) for layer in range(steps.shape[1])])
    weights = [res.params["W_in"]] + (list(res.params["W_hid"]) if "W_hid" in res.params else [])
    typical = np.array([float(np.median(np.abs(w))) for w in weights])
    half = np.spacing(typical.astype(np.float32)).astype(np.float64) / 2
    return update_max, typical, half


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
             grid: np.ndarray, seed: int) -> NetworkResult:
    final = _probe_final(model, res, data)
    update_max, typical, half = _update_sizes(res)
    boundary = predict_proba(model, res.params, grid, res.buffers).reshape(GRID, GRID)
    return NetworkResult(
        label=_label(model.activation, model.init, model.norm, model.residual),
        grad_init=at_init.weight_grad_norms, grad_final=final.weight_grad_norms,
        signal_init=at_init.signal_grad_norms, signal_final=final.signal_grad_norms,
        saturated_init=at_init.saturated, saturated_final=final.saturated,
        layer_grad_norms=res.layer_grad_norms, weight_change=res.weight_change,
        update_max=update_max, update_ratio_max=np.array([_nanmax(col) for col in res.update_ratio.T]),
        weight_typical=typical, half_spacing=half, spectral_init=spectral_norms(model, seed, data.n_inputs),
        loss=res.loss, val_acc=res.val_acc, final_val_acc=res.final_val_acc,
        final_train_acc=res.final_train_acc, diverged_step=res.diverged_step,
        divergence=res.divergence, boundary=boundary.astype(np.float32))


def depth_sweep(s: VanishingSettings, data: Dataset) -> tuple[np.ndarray, ...]:
    """(depths, weight-gradient ratios [C, D], signal ratios [C, D], activation ratios [C, D],
    sigmoid bound [D]) at initialization.

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
    rms = [np.sqrt(p.act_mean ** 2 + p.act_std ** 2) for p in probes]
    act = np.array([first_last_ratio(r[::-1]) for r in rms]).reshape(len(SWEEP), len(depths))
    activation, init, _ = SWEEP[0]
    bound = np.array([sigmoid_bound(spectral_norms(
        ModelSettings(depth=d, width=s.width, activation=activation, init=init), s.seed, data.n_inputs))
        for d in depths])
    return np.array(depths), grad, signal, act, bound


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
        nets = [_network(m, trained[2 * i + j], at_init[j], data, grid, s.seed)
                for j, m in enumerate(models)]
        depths, grad, signal, act, bound = depth_sweep(s, data)
        results.append(Result(
            problem=nets[0], fix=nets[1], depth=s.depth, steps=s.steps, optimizer=s.optimizer,
            lr=s.lr, X_train=data.X_train, y_train=data.y_train, grid_x=gx, grid_y=gy,
            sweep_depths=depths, sweep_labels=[label for *_, label in SWEEP],
            sweep_grad_ratio=grad, sweep_signal_ratio=signal, sweep_act_ratio=act,
            sweep_sigmoid_bound=bound))
    return results


def run(settings: VanishingSettings) -> Result:
    """Train the problem and fix networks of `settings`; probe them; sweep depth at init."""
    return run_many([settings])[0]


# ---------------------------------------------------------------- text and tables

def ratio_words(r: float) -> str:
    """A first/last ratio as words: '6.1 × 10¹⁵ times smaller', 'about the same'."""
    if np.isnan(r):
        return "not measurable (both gradients are 0)"
    if r == 0:
        return "infinitely smaller: it underflowed to exactly 0 in float32"
    return fmt.times(r)


def share(values: np.ndarray) -> str:
    """Mean share over layers, as a percentage ('under 1%' for small non-zero shares)."""
    v = float(np.mean(values))
    return "under 1%" if 0 < v < 0.005 else fmt.percent(v)


def moved(change: float) -> str:
    """A relative weight change, saying so when it is exactly 0."""
    return "exactly 0 (not one weight changed)" if change == 0 else fmt.percent(change)


def _sweep_index(result: Result) -> int:
    """The sweep column at (or nearest to) the page's depth."""
    return min(range(len(result.sweep_depths)), key=lambda k: abs(result.sweep_depths[k] - result.depth))


def _slope_text(net: NetworkResult, depth: int) -> str:
    """The sigmoid's per-layer factor: bounded by 0.25 ||W_l||_2, typically well under it."""
    if not net.label.startswith("sigmoid") or depth < 2:
        return ""
    factors = SIGMOID_SLOPE * net.spectral_init
    lo, hi = float(factors.min()), float(factors.max())
    typical = per_layer(net.signal_ratio, depth)
    spread = f"between {fmt.num(lo)} and {fmt.num(hi)}" if fmt.num(lo) != fmt.num(hi) else fmt.num(lo)
    text = (f" Each layer passes the backward signal through Wᵀ·diag(σ′) with σ′ ≤ 0.25, so it scales "
            f"the signal by at most 0.25·‖W_l‖₂ (spectral norm), here {spread} per layer")
    if hi < 1:
        text += (f": the signal must shrink at every one of the {depth - 1} layers between layer 1 "
                 f"and layer {depth}")
    else:
        text += ": where that exceeds 1 a layer may pass back more than it receives"
    if np.isfinite(typical):
        text += (f". Measured, it shrank by a factor of {fmt.num(typical)} per layer on average "
                 "(typical, not a bound)")
    if float(np.mean(net.saturated_init)) < FEW_SATURATED:
        text += "; almost no unit is saturated, so saturation is not the cause here"
    return text + "."


def _rounding_text(net: NetworkResult, depth: int) -> str:
    """Why the first layer did (not) move: its step against half a float32 step at its typical |w|."""
    step, half, w = float(net.update_max[0]), float(net.half_spacing[0]), float(net.weight_typical[0])
    if not np.isfinite(step):
        return ""
    grad = float(net.grad_init[0])
    head = (f"- **The first layer's step against float32's:** its gradient is not zero ({fmt.num(grad)} "
            f"at initialization), and the largest update it got in any one step was at most "
            f"{fmt.num(step)} (‖ΔW_1‖, which bounds every single weight's step). Float32 numbers near its "
            f"typical weight |w| ≈ {fmt.num(w)} are {fmt.num(2 * half)} apart; ")
    if step < half:
        tail = (f"an update under half that step ({fmt.num(half)}, here {fmt.times(step / half)}) rounds "
                "away: w + Δw gives back w.")
        if net.weight_change[0] == 0:
            tail += " Indeed not one first-layer weight changed."
        return head + tail
    return head + (f"its steps were {fmt.times(step / half)} than half that spacing, so they did register "
                   f"(the layer moved {moved(float(net.weight_change[0]))}).")


def _adam_text(net: NetworkResult, lr: float) -> str:
    """When Adam hides a vanishing gradient and when it cannot, with this run's numbers."""
    g, step, half = net.first_grad_max, float(net.update_max[0]), float(net.half_spacing[0])
    text = ("- **Adam** divides each step by √v̂ + ε (ε = 10⁻⁸). A gradient well above ε gets a step "
            "of about the learning rate whatever its size, which hides a vanishing gradient in the weight "
            "change; a gradient far below ε gets only about lr·g/ε. ")
    if not (np.isfinite(g) and np.isfinite(step)):
        return text
    side = "below" if g < ADAM_EPS else "above"
    entries = "smaller still" if g < ADAM_EPS else "no larger than the norm"
    text += (f"Here the problem network's first-layer gradient norm was at most {fmt.num(g)}, "
             f"{fmt.times(g / ADAM_EPS)} than ε ({side} it); ε acts on each entry, and the entries "
             f"are {entries}. Its largest step was "
             f"{fmt.num(step)} (lr = {fmt.num(lr)}): ")
    if step < half:
        return text + ("still under half a float32 step, so even Adam does not move it. "
                       "The gradient-flow chart shows the vanishing gradient either way.")
    return text + ("enough to move it, so the weight-change chart no longer shows how small the gradient is; "
                   "the gradient-flow chart still does. Switch to SGD to see the effect plainly.")


def _network_text(net: NetworkResult, depth: int) -> str:
    return (f"the first hidden layer's weight gradient is **{ratio_words(net.grad_ratio)}** than "
            f"layer {depth}'s ({fmt.num(net.grad_init[0])} vs {fmt.num(net.grad_init[-1])}; "
            f"the backpropagated signal ratio ‖dL/dh_1‖ / ‖dL/dh_{depth}‖ is {fmt.num(net.signal_ratio)})")


def _moved_text(net: NetworkResult, depth: int) -> str:
    return (f"its first layer's weights changed by **{moved(float(net.weight_change[0]))}**, layer {depth}'s "
            f"by **{moved(float(net.weight_change[-1]))}** (‖W_end − W_start‖ / ‖W_start‖)")


def _verdict(p: NetworkResult, f: NetworkResult) -> str:
    diff = f.final_val_acc - p.final_val_acc
    if abs(diff) < 0.005:
        return "- **Result:** both networks reach the same validation accuracy."
    better, worse = ("fix", "problem") if diff > 0 else ("problem", "fix")
    return (f"- **Result:** the {better} network reaches the higher validation accuracy, "
            f"{fmt.points(abs(diff)).lstrip('+')} above the {worse} network's.")


def _sweep_text(result: Result) -> str:
    i = _sweep_index(result)
    d = int(result.sweep_depths[i])
    grad, signal = result.sweep_grad_ratio[SUBTLE, i], result.sweep_signal_ratio[SUBTLE, i]
    act = result.sweep_act_ratio[SUBTLE, i]
    text = (f"- **Two ratios (depth sweep, depth {d}):** for {result.sweep_labels[SUBTLE]} the "
            f"weight-gradient ratio is {fmt.num(grad)} while the backpropagated signal ratio "
            f"‖dL/dh_1‖ / ‖dL/dh_L‖ is {fmt.num(signal)}. A weight gradient is (layer input) × (signal)")
    if signal < grad / 30 and act < 1 / 30 and 1 / 30 <= grad <= 30:
        text += (f": here the layer outputs shrink toward the output (last over first: {fmt.num(act)}) "
                 "as the signal shrinks toward the input, so every layer's weight gradient shrinks together "
                 "and only the signal ratio, or the absolute scale, shows it.")
    else:
        text += ", so the two ratios can differ."
    bound, sig = float(result.sweep_sigmoid_bound[i]), float(result.sweep_signal_ratio[0, i])
    text += (f" For {result.sweep_labels[0]} the signal ratio is {fmt.num(sig)}, under its upper bound "
             f"∏ 0.25·‖W_l‖₂ = {fmt.num(bound)} computed from the same weights (dashed line; "
             f"{fmt.num(per_layer(bound, d))} per layer on average, against a measured "
             f"{fmt.num(per_layer(sig, d))}). The bound is not 0.25 per layer: it grows with the weights, "
             "and with ‖W_l‖₂ above 4 a layer's factor could exceed 1.")
    return text


def _divergence_words(recorded: str) -> str:
    """The trainer's record ('gradient norm became inf') with the value in words."""
    what, sep, value = recorded.rpartition(" became ")
    try:
        return f"{what} became {fmt.num(float(value))}" if sep else recorded
    except ValueError:
        return recorded


def summary(result: Result) -> str:
    """'What you are seeing', every number from `result`."""
    p, f, depth = result.problem, result.fix, result.depth
    opt = "plain SGD" if result.optimizer == "sgd" else "Adam"
    lines = [
        "**What you are seeing**",
        "",
        f"- **Problem ({p.label}, {depth} layers):** at initialization {_network_text(p, depth)}."
        f"{_slope_text(p, depth)} In {result.steps} steps of {opt} (learning rate {fmt.num(result.lr)}) "
        f"{_moved_text(p, depth)}. Saturated or dead units: {share(p.saturated_init)} at initialization, "
        f"{share(p.saturated_final)} after training. "
        f"Validation accuracy: **{fmt.percent(p.final_val_acc)}**.",
        _rounding_text(p, depth),
        f"- **Fix ({f.label}):** {_network_text(f, depth)}; {_moved_text(f, depth)}. "
        f"Validation accuracy: **{fmt.percent(f.final_val_acc)}**.",
        _verdict(p, f),
        _sweep_text(result),
    ]
    if result.optimizer == "adam":
        lines.append(_adam_text(p, result.lr))
    for name, net in (("problem", p), ("fix", f)):
        if net.diverged_step is not None:
            lines.append(f"- The {name} network **diverged at step {net.diverged_step}** "
                         f"({_divergence_words(net.divergence)}); it keeps the weights from before "
                         "that step.")
    return "\n".join(line for line in lines if line is not None and line != "")


