"""Vanishing gradients: a deep network whose early layers barely learn, next to a fix.

Two networks of the same depth and width train on the same data from the same
seed: the *problem* network (by default sigmoid with PyTorch's default
initialization) and the *fix* network (by default ReLU with He
initialization; batch norm or residual connections can be switched on for
it). Each is a `depthkit.experiments.record.Network`:

- `at_init`, `at_end`: probes on the full training set before and after
  training: every hidden layer's weight-gradient norm ||dL/dW_l||, the
  backpropagated signal ||dL/dh_l|| (h_l = output of hidden layer l), and the
  share of saturated (sigmoid/tanh) or dead (ReLU) units;
- `training`: the per-step loss, validation accuracy and per-layer gradient
  norms, how far each layer's weights moved (||W_end - W_start|| /
  ||W_start||), each step's update sizes and the final weights; from these
  `update_max` etc. give each layer's largest single-step ||dW_l|| (an upper
  bound on any one weight's step) next to half the float32 spacing at the
  layer's typical |w|: a step below that rounds away (w + dW == w);
- `scores`: the spectral norms ||W_l||_2 of the hidden-to-hidden weights at
  init (smallest, largest) and the sigmoid's bound on the signal ratio: the
  backward signal passes each layer through W_l^T diag(f'(z_l)), so for the
  sigmoid (f' <= 0.25) one layer scales it by at most 0.25 ||W_l||_2;
- `boundary`: P(class 1) on the Result's grid.

With raw-scale inputs (`inputs` other than "standardized") the same two
networks also train, from the same initial weights, on the standardized
version of the same points: `Result.standardized` holds what the page compares
(first-layer saturation at init, loss curve, validation accuracy, divergence).

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

from depthkit.core.spec import Settings, param
from depthkit.engine import budget
from depthkit.engine.data import DATASETS, INPUTS, STANDARDIZED, Dataset, DataSettings, make_dataset
from depthkit.engine.models import ACTIVATIONS, INITS, NORMS, ModelSettings, init_params, params_from_numpy
from depthkit.engine.probes import ProbeResult, first_last_ratio, probe, probe_at_init
from depthkit.engine.train import TrainResult, TrainSettings, run_flops, train_many
from depthkit.experiments.record import Grid, Network, boundary
from depthkit.experiments.result import Result as BaseResult

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
ROLES = ("problem", "fix")


@dataclass(frozen=True)
class VanishingSettings(Settings):
    # the problem network (left)
    activation: str = param("sigmoid", choices=ACTIVATIONS, label="Activation",
                            help="Activation of the problem network (left).")
    init: str = param("default", choices=INITS, label="Initialization",
                      help="default = PyTorch's nn.Linear default, U(±1/√fan_in) for weights and biases "
                           "(variance 1/(3·fan_in), a sixth of He's); he = N(0, 2/fan_in); "
                           "xavier = N(0, 2/(fan_in+fan_out)); normal = N(0, 1/fan_in).")
    # the fix network (right)
    fix_activation: str = param("relu", choices=ACTIVATIONS, label="Fix: activation")
    fix_init: str = param("he", choices=INITS, label="Fix: initialization")
    norm: str = param("none", choices=NORMS, label="Fix: normalization",
                      help="batch: normalize each hidden unit's pre-activation over the batch (mean 0, "
                           "variance 1, then a learned scale and shift); in evaluation it uses running "
                           "averages of those statistics. layer: normalize over the units of one "
                           "example instead: no dependence on the other examples in the batch, no "
                           "running statistics, the same computation in training and evaluation; it is "
                           "what Transformers use (Ba, Kiros & Hinton 2016).")
    residual: bool = param(False, label="Fix: residual connections",
                           help="h_l = h_(l-1) + f(h_(l-1)) on hidden layers 2..depth.")
    # both networks
    depth: int = param(20, lo=2, hi=50, label="Hidden layers (depth)")
    width: int = param(16, lo=4, hi=128, options=(4, 8, 16, 32, 64, 128), label="Units per layer")
    optimizer: str = param("sgd", choices=("sgd", "adam"), label="Optimizer",
                           help="Plain SGD shows the effect as it is. Adam divides each step by "
                                "sqrt(v) + ε with ε = 10⁻⁸: a gradient well above ε gets a step of "
                                "about the learning rate whatever its size, which hides a vanishing "
                                "gradient; one far below ε gets only about lr·g/ε: for g = 10⁻¹⁵ that "
                                "is lr × 10⁻⁷, too small to change a weight near 0.3 in float32 unless "
                                "lr is above about 0.15.")
    # 0.03, not 0.05: at 0.05 the ReLU + He fix spiked near step 90 and ended at chance on 2 of
    # seeds 100-109 under the other kernels (tests/kernels.py); at 0.03 it learned on 19 of 20 there
    # and on all 20 with this machine's kernels (seeds 0-19, 100-119)
    lr: float = param(0.03, lo=1e-4, hi=1.0, log=True,
                      options=(0.0003, 0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 1.0), label="Learning rate")
    steps: int = param(100, lo=10, hi=2000, options=(10, 50, 100, 200, 300, 500, 1000, 2000),
                       label="Training steps (full batch)")
    dataset: str = param("moons", choices=DATASETS, label="Dataset")
    n_samples: int = param(400, lo=100, hi=2000, options=(100, 200, 400, 1000, 2000),
                           label="Points (70% train, 30% validation)")
    seed: int = param(0, lo=0, hi=9999, label="Seed (data and initialization)")
    inputs: str = param(STANDARDIZED, choices=INPUTS, label="Input scale",
                        help="standardized: each feature shifted and scaled to mean 0, standard deviation "
                             "1 on the training set. raw: the generator's own coordinates (moons: x1 from "
                             "about −1 to 2, x2 from −0.5 to 1). x1 ×100: raw, with x1 multiplied by 100 "
                             "(one feature in other units). offset +10: raw plus 10 on both features "
                             "(far from zero mean). Both networks see the same inputs; with a raw scale "
                             "they also train on the standardized points, for comparison.")

    def model(self, role: str) -> ModelSettings:
        """The problem network (left) or the same depth and width with the fix (right)."""
        if role == "problem":
            return ModelSettings(depth=self.depth, width=self.width, activation=self.activation,
                                 init=self.init)
        if role == "fix":
            return ModelSettings(depth=self.depth, width=self.width, activation=self.fix_activation,
                                 init=self.fix_init, norm=self.norm,
                                 residual=self.residual)
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")

    def training(self, role: str) -> TrainSettings:
        """Both networks train alike: full batch, the page's optimizer, step and seed."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        return TrainSettings(optimizer=self.optimizer, lr=self.lr, steps=self.steps, seed=self.seed)

    def data(self) -> DataSettings:
        return DataSettings(name=self.dataset, n_samples=self.n_samples, seed=self.seed, inputs=self.inputs)

    def sweep_depths(self) -> tuple[int, ...]:
        """The depth sweep's depths, including the page's own depth."""
        return tuple(sorted(set(SWEEP_DEPTHS) | {self.depth}))


PRESETS: dict[str, dict] = {
    "Sigmoid, 20 layers": {},
    # ReLU alone is not enough: PyTorch's default init is too small for ReLU
    "ReLU + He": {"activation": "relu", "init": "default", "fix_activation": "relu", "fix_init": "he"},
    # batch norm tolerates (and here needs) a larger step, and its running statistics need
    # more steps to settle (at 100 steps some seeds still validate poorly); the plain sigmoid
    # still cannot learn with either
    "Sigmoid + batch norm": {"fix_activation": "sigmoid", "fix_init": "default", "norm": "batch",
                             "lr": 1.0, "steps": 200},
    "Residual": {"fix_activation": "sigmoid", "fix_init": "default", "residual": True, "lr": 0.3},
    # the defaults without standardization: one feature in the hundreds saturates the sigmoid's first
    # layer and blows up the ReLU + He network's output (He init keeps each layer at its input's scale)
    "Raw-scale inputs": {"inputs": "x1 ×100"},
}

_INIT_NAMES = {"default": "default init", "xavier": "Xavier init", "he": "He init",
               "normal": "N(0, 1/fan_in) init"}


def label(model: ModelSettings) -> str:
    """How the page names a network: 'sigmoid, default init', 'ReLU, He init + batch norm'."""
    norm = {"batch": ["batch norm"], "layer": ["layer norm"]}.get(model.norm, [])
    extras = norm + (["residual"] if model.residual else [])
    name = "ReLU" if model.activation == "relu" else model.activation
    return " + ".join([f"{name}, {_INIT_NAMES[model.init]}"] + extras)


@dataclass
class DepthSweep:
    """First/last-layer ratios of freshly initialized networks (float64), per SWEEP entry and depth."""

    depths: np.ndarray  # [D]
    labels: list[str]  # [C]
    grad_ratio: np.ndarray  # [C, D] first/last weight-gradient norm
    signal_ratio: np.ndarray  # [C, D] ||dL/dh_1|| / ||dL/dh_L||
    act_ratio: np.ndarray  # [C, D] RMS of h_L over RMS of h_1
    sigmoid_bound: np.ndarray  # [D] prod over layers 2..L of 0.25 ||W_l||_2 (sigmoid entry's weights)

    def column(self, depth: int) -> int:
        """The sweep column at (or nearest to) `depth`."""
        return int(np.argmin(np.abs(self.depths - depth)))


@dataclass
class Standardized:
    """One network trained, from the same initial weights, on the standardized version of the points."""

    saturated: np.ndarray  # [depth] share of saturated (or dead) units at init
    act_rms: np.ndarray  # [depth] RMS of each hidden layer's output at init
    loss: np.ndarray  # [steps + 1] training loss
    final_val_acc: float
    diverged_step: int | None


@dataclass
class Result(BaseResult):
    settings: VanishingSettings
    problem: Network
    fix: Network
    X_train: np.ndarray  # [n, 2] as the networks saw them (standardized unless `inputs` says otherwise)
    y_train: np.ndarray  # [n]
    grid: Grid  # where both boundaries are drawn
    sweep: DepthSweep
    # with raw-scale inputs: role -> the same network trained on standardized inputs; else None
    standardized: dict[str, Standardized] | None = None


# ---------------------------------------------------------------- numbers from a network's record

def grad_ratio(net: Network) -> float:
    """First over last hidden layer's weight-gradient norm at initialization."""
    return net.at_init.weight_grad_ratio  # type: ignore[union-attr]  # this page's networks are probed


def signal_ratio(net: Network) -> float:
    """||dL/dh_1|| / ||dL/dh_L|| at initialization."""
    return net.at_init.signal_ratio  # type: ignore[union-attr]


def change_ratio(net: Network) -> float:
    """First over last hidden layer's relative weight change over training."""
    return first_last_ratio(net.training.weight_change)


def first_grad_max(net: Network) -> float:
    """The first hidden layer's largest weight-gradient norm over training."""
    return _nanmax(net.training.layer_grad_norms[:, 0])


def update_max(net: Network) -> np.ndarray:
    """[depth] each layer's largest single-step ||dW_l|| (bounds any one weight's step)."""
    t = net.training
    with np.errstate(invalid="ignore"):
        steps = t.update_ratio * t.weight_norms
    return np.array([_nanmax(col) for col in steps.T])


def update_ratio_max(net: Network) -> np.ndarray:
    """[depth] each layer's largest single-step ||dW_l|| / ||W_l||."""
    return np.array([_nanmax(col) for col in net.training.update_ratio.T])


def weight_typical(net: Network) -> np.ndarray:
    """[depth] median |w| of each layer's final weights."""
    params = net.training.params
    weights = [params["W_in"]] + (list(params["W_hid"]) if "W_hid" in params else [])
    return np.array([float(np.median(np.abs(w))) for w in weights])


def half_spacing(net: Network) -> np.ndarray:
    """[depth] half the float32 spacing at each layer's typical |w|: smaller steps round away."""
    return np.spacing(weight_typical(net).astype(np.float32)).astype(np.float64) / 2


def _nanmax(values: np.ndarray) -> float:
    """Largest finite value; nan when there is none (a run that diverged at step 0)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.max()) if v.size else float("nan")


# ---------------------------------------------------------------- the sigmoid's bound

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


def _spectral_scores(model: ModelSettings, seed: int, n_inputs: int) -> dict[str, float]:
    norms = spectral_norms(model, seed, n_inputs)
    if not norms.size:
        return {"spectral_min": float("nan"), "spectral_max": float("nan"), "sigmoid_bound": float("nan")}
    return {"spectral_min": float(norms.min()), "spectral_max": float(norms.max()),
            "sigmoid_bound": sigmoid_bound(norms)}


# ---------------------------------------------------------------- the computation

def cost(s: VanishingSettings) -> float:
    """FLOPs: training both networks, four probes, the boundary grid, the depth sweep
    (with raw-scale inputs, the standardized comparison's training and probes too)."""
    data = s.data()
    n_train, n_val = data.n_train, s.n_samples - data.n_train
    runs = 1 if s.inputs == STANDARDIZED else 2
    flops = runs * sum(run_flops(s.model(role), s.training(role), n_train, n_val) for role in ROLES)
    flops += 2 * 2 * 3 * budget.forward_flops(n_train, 2, s.depth, s.width)  # probes
    flops += 2 * budget.forward_flops(GRID * GRID, 2, s.depth, s.width)  # boundaries
    # the sweep runs in float64, about twice the cost of float32
    flops += 2 * len(SWEEP) * sum(3 * budget.forward_flops(n_train, 2, d, s.width) for d in s.sweep_depths())
    return float(flops)


def _network(s: VanishingSettings, role: str, training: TrainResult, data: Dataset, grid: Grid) -> Network:
    """One trained network's record: probes before and after, boundary, spectral norms at init."""
    model = s.model(role)
    at_init = probe_at_init([model], [s.seed], data, n_points=len(data.y_train))[0]
    at_end = probe(model, params_from_numpy([training.params]), data.X_train, data.y_train)[0]
    return Network(label=label(model), model=model, training=training, at_init=at_init, at_end=at_end,
                   boundary=boundary(model, training, grid).astype(np.float32),
                   scores=_spectral_scores(model, s.seed, data.n_inputs))


def depth_sweep(s: VanishingSettings, data: Dataset) -> DepthSweep:
    """The sweep at initialization, in float64 so that ratios below float32's range
    (sigmoid at depth 50) still get a number instead of 0."""
    depths = s.sweep_depths()
    models = [ModelSettings(depth=d, width=s.width, activation=a, init=i)
              for a, i, _ in SWEEP for d in depths]
    probes = probe_at_init(models, [s.seed] * len(models), data, n_points=len(data.y_train),
                           dtype="float64")
    shape = (len(SWEEP), len(depths))
    rms = [act_rms(p) for p in probes]
    activation, init, _ = SWEEP[0]
    bound = np.array([sigmoid_bound(spectral_norms(
        ModelSettings(depth=d, width=s.width, activation=activation, init=init), s.seed, data.n_inputs))
        for d in depths])
    return DepthSweep(
        depths=np.array(depths), labels=[name for *_, name in SWEEP],
        grad_ratio=np.array([p.weight_grad_ratio for p in probes]).reshape(shape),
        signal_ratio=np.array([p.signal_ratio for p in probes]).reshape(shape),
        act_ratio=np.array([first_last_ratio(r[::-1]) for r in rms]).reshape(shape),
        sigmoid_bound=bound)


def act_rms(p: ProbeResult) -> np.ndarray:
    """[depth] root mean square of each hidden layer's output, from a probe's mean and std."""
    return np.sqrt(p.act_mean ** 2 + p.act_std ** 2)


def _standardized(s: VanishingSettings, role: str, training: TrainResult, data: Dataset) -> Standardized:
    """The comparison record of one network trained on standardized inputs."""
    at_init = probe_at_init([s.model(role)], [s.seed], data, n_points=len(data.y_train))[0]
    return Standardized(saturated=at_init.saturated, act_rms=act_rms(at_init), loss=training.loss,
                        final_val_acc=float(training.final_val_acc), diverged_step=training.diverged_step)


def _margin(s: VanishingSettings, X: np.ndarray) -> float | np.ndarray:
    """The grid's margin: GRID_MARGIN standardized units, scaled by each feature's spread if raw."""
    return GRID_MARGIN if s.inputs == STANDARDIZED else GRID_MARGIN * X.std(axis=0)


def run_many(settings: list[VanishingSettings]) -> list[Result]:
    """Run several settings; all their networks train in one batched call."""
    for s in settings:
        if not isinstance(s, VanishingSettings):
            raise ValueError(f"expected VanishingSettings, got {type(s).__name__}")
    budget.check_budget(sum(cost(s) for s in settings), "This comparison")
    datasets = [make_dataset(s.data()) for s in settings]
    raw = [s for s in settings if s.inputs != STANDARDIZED]
    references = [make_dataset(s.data().replace(inputs=STANDARDIZED)) for s in raw]
    trained = iter(train_many([(s.model(role), s.training(role), data)
                               for s, data in zip(settings + raw, datasets + references) for role in ROLES]))
    pending = [(s, data, next(trained), next(trained)) for s, data in zip(settings, datasets)]
    compared = iter([{role: _standardized(s, role, next(trained), data) for role in ROLES}
                     for s, data in zip(raw, references)])
    results = []
    for s, data, *runs in pending:
        grid = Grid.around(data.X_train, n=GRID, margin=_margin(s, data.X_train))
        problem, fix = (_network(s, role, t, data, grid) for role, t in zip(ROLES, runs))
        results.append(Result(settings=s, problem=problem, fix=fix, X_train=data.X_train,
                              y_train=data.y_train, grid=grid, sweep=depth_sweep(s, data),
                              standardized=next(compared) if s.inputs != STANDARDIZED else None))
    return results


def run(settings: VanishingSettings) -> Result:
    """Train the problem and fix networks of `settings`; probe them; sweep depth at init."""
    return run_many([settings])[0]
