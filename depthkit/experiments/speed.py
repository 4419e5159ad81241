"""Training speed, the trained half: how many steps a network needs to reach a target loss.

(The other half, what one step costs, is measured live in
`depthkit.experiments.timing`; neither module imports the other.)

- **Steps to a target** (`run`): plain, batch-norm, residual and residual +
  batch-norm networks at depths 2, 4, ... trained with full-batch Adam on the
  same data from several initialization seeds, by `depthkit.engine.train.train_many`
  with `record="loss"` (no per-step evaluation). Each is a
  `depthkit.experiments.record.Network`; the grid's arrays (losses, steps to the target,
  wall times) are computed from those records. Time to a loss is the product
  of the two halves: steps needed x time per step.
- Two measurements tell the deep plain networks' failures apart. Without
  normalization, PyTorch's default weights shrink the signal layer by layer:
  `input_reach` measures, at initialization, how much the deepest plain
  network's last hidden layer still varies across the training points
  compared with its first (vanishing). With batch norm the signal keeps its
  scale, yet a deeper plain network can still train worse: the batch-norm
  networks at depth ~4 and at the deepest depth keep training for
  `long_steps` steps (their first `steps` losses are the grid's: the same
  runs), which shows whether the deeper one ends with a higher *training*
  loss (He et al. 2016's degradation), and whether residual connections remove
  the gap. The deepest plain batch-norm network is also probed at
  initialization (first / last layer's gradient: Yang et al. 2019's explosion).
  Deterministic for a seed, cached like every other page. The records keep no
  final weights (`TrainResult.params` and `buffers` are empty): this page never
  draws them, and they were three quarters of a result's bytes in the memory
  cache, the disk store and the results shipped with the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import torch

from depthkit.core.spec import Settings, param
from depthkit.engine import budget
from depthkit.engine.data import DATASETS, Dataset, DataSettings, make_dataset
from depthkit.engine.models import ModelSettings, forward, init_params
from depthkit.engine.probes import probe_at_init
from depthkit.engine.train import TrainResult, TrainSettings, train_many
from depthkit.experiments.record import Network
from depthkit.experiments.result import Result as BaseResult

# (label, ModelSettings overrides); the first is the problem, the last the full fix
VARIANTS: tuple[tuple[str, dict[str, Any]], ...] = (
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
COIN_FLIP_BAND = 0.1  # a final loss this close to ln 2: the network barely learned
NOISE = 0.2  # dataset noise; fixed so the page has fewer knobs
PROBE_POINTS = 500  # probe_at_init's default batch


@dataclass(frozen=True)
class SpeedSettings(Settings):
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
    # the batch-norm networks at depth 4 and the deepest keep training to here (degradation)
    long_steps: int = param(60, lo=10, hi=1000, options=(30, 60, 100, 150, 200, 300, 500, 1000),
                            label="Steps for the batch-norm networks (degradation)",
                            help="The batch-norm networks at depth 4 and at the deepest depth keep "
                                 "training for this many steps: does the deeper one end with a higher "
                                 "training loss once the shallower one has long reached the target?")
    # initialization seeds seed, seed+1, ...; the data is the same for all
    seeds: int = param(3, lo=1, hi=10, label="Seeds per network")
    seed: int = param(0, lo=0, hi=10_000, label="First seed")

    @property
    def depths(self) -> list[int]:
        return [2 ** k for k in range(1, self.max_depth.bit_length()) if 2 ** k <= self.max_depth]

    @property
    def seed_list(self) -> list[int]:
        return [self.seed + s for s in range(self.seeds)]

    @property
    def long_depths(self) -> list[int]:
        """The depths trained for `long_steps`: the one nearest 4 and the deepest."""
        return sorted({shallow_depth(self.depths), self.depths[-1]})

    @property
    def total_long_steps(self) -> int:
        """Steps of the long runs: never fewer than the grid's."""
        return max(self.steps, self.long_steps)

    def is_long(self, variant: int, depth: int) -> bool:
        return variant in LONG_VARIANTS and depth in self.long_depths

    def data(self) -> DataSettings:
        return DataSettings(name=self.dataset, n_samples=self.n_samples, noise=NOISE, seed=self.seed)

    def model(self, variant: int, depth: int) -> ModelSettings:
        return ModelSettings(depth=depth, width=self.width, activation=self.activation,
                             **VARIANTS[variant][1])

    def training(self, variant: int, depth: int, seed: int) -> TrainSettings:
        """One more step than the loss curve needs: `record="loss"` records the loss before each
        update, so the loss after the last update is the extra step's."""
        steps = self.total_long_steps if self.is_long(variant, depth) else self.steps
        return TrainSettings(optimizer="adam", lr=self.lr, steps=steps + 1, seed=seed)


def shallow_depth(depths: list[int] | np.ndarray) -> int:
    """The trained depth nearest SHALLOW_DEPTH."""
    return int(min(depths, key=lambda d: abs(d - SHALLOW_DEPTH)))


PRESETS: dict[str, dict] = {
    "Defaults": {},
    "Gentler Adam (lr 0.01)": {"lr": 0.01, "steps": 50},
    "Up to depth 64": {"max_depth": 64, "seeds": 2},
    "tanh instead of ReLU": {"activation": "tanh", "lr": 0.01, "steps": 50, "long_steps": 150},
}


def loss_curve(training: TrainResult, n: int) -> np.ndarray:
    """The training loss after t updates, t = 0 … n-1 (train mode, the whole training set: what
    the optimizer saw); NaN from the first non-finite value on (the run diverged there)."""
    curve = np.asarray(training.loss[:n], dtype=float).copy()
    curve[np.maximum.accumulate(~np.isfinite(curve))] = np.nan
    return curve


def seconds_after(training: TrainResult, updates: int) -> float:
    """This model's share of its batch's wall time after `updates` updates."""
    return 0.0 if updates == 0 else float(training.elapsed[updates - 1]) / training.batch_size_models


def first_at_or_below(losses: np.ndarray, target: float) -> float:
    """Index of the first loss <= target (NaN never counts), or NaN if none."""
    hits = np.nonzero(np.asarray(losses) <= target)[0]
    return float(hits[0]) if len(hits) else float("nan")


@dataclass
class Result(BaseResult):
    """Every trained network, networks[variant][depth index][seed index]; arrays computed from them."""

    settings: SpeedSettings
    networks: tuple[tuple[tuple[Network, ...], ...], ...]
    shows_wall_clock = True  # time to the target, time per step: from each run's wall-clock records

    def _grid(self, fn: Callable[[Network], Any]) -> np.ndarray:
        return np.array([[[fn(n) for n in by_seed] for by_seed in by_depth] for by_depth in self.networks])

    variants = tuple(label for label, _ in VARIANTS)  # [V] labels, plain first
    long_variants = tuple(VARIANTS[v][0] for v in LONG_VARIANTS)

    @property
    def depths(self) -> np.ndarray:
        return np.array(self.settings.depths)

    @property
    def seeds(self) -> np.ndarray:
        return np.array(self.settings.seed_list)

    @property
    def long_depths(self) -> np.ndarray:
        return np.array(self.settings.long_depths)

    @property
    def long_steps(self) -> int:
        return self.settings.total_long_steps

    @cached_property
    def losses(self) -> np.ndarray:
        """[V, D, S, T+1] training loss after t updates (NaN once diverged)."""
        return self._grid(lambda n: loss_curve(n.training, self.settings.steps + 1))

    @cached_property
    def long_losses(self) -> np.ndarray:
        """[2, 2, S, long_steps+1]: the batch-norm variants at the long depths, trained on."""
        idx = [self.settings.depths.index(d) for d in self.settings.long_depths]
        return np.array([[[loss_curve(n.training, self.long_steps + 1) for n in self.networks[v][i]]
                          for i in idx] for v in LONG_VARIANTS])

    @cached_property
    def steps_to_target(self) -> np.ndarray:
        """[V, D, S] updates until the loss is <= the target; NaN = not reached."""
        return np.apply_along_axis(first_at_or_below, -1, self.losses, self.settings.target_loss)

    @cached_property
    def seconds_to_target(self) -> np.ndarray:
        """[V, D, S] the model's share of its batch's wall time until then; NaN = not reached."""
        hit = self.steps_to_target
        seconds = self._grid(lambda n: np.array([seconds_after(n.training, t) for t in
                                                 range(self.settings.steps + 1)]))
        safe = np.where(np.isfinite(hit), hit, 0).astype(int)
        return np.where(np.isfinite(hit), np.take_along_axis(seconds, safe[..., None], -1)[..., 0], np.nan)

    @property
    def final_loss(self) -> np.ndarray:
        """[V, D, S] training loss after the last update; NaN if diverged."""
        return self.losses[..., -1]

    @property
    def diverged(self) -> np.ndarray:
        return np.isnan(self.losses[..., -1])

    @cached_property
    def seconds_per_step(self) -> np.ndarray:
        """[V, D] wall time per step per model (its share of the batch), median over seeds."""
        T = self.settings.steps
        return np.median(self._grid(lambda n: seconds_after(n.training, T) / T), axis=-1)

    @property
    def params(self) -> np.ndarray:
        """[V, D] trainable parameters."""
        return np.array([[by_seed[0].model.n_params() for by_seed in by_depth] for by_depth in self.networks])

    @property
    def flops_per_step(self) -> np.ndarray:
        """[D] matmul FLOPs of one training step (computed)."""
        n = self.settings.data().n_train
        return np.array([budget.train_step_flops(n, 2, d, self.settings.width) for d in self.depths],
                        dtype=float)

    @property
    def input_reach(self) -> np.ndarray:
        """[S] the deepest plain network at initialization: last / first hidden layer's spread."""
        return np.array([n.scores["input_reach"] for n in self.networks[0][-1]])

    @property
    def bn_grad_ratio(self) -> np.ndarray:
        """[S] the deepest plain batch-norm network at initialization: first / last hidden layer's
        weight-gradient norm (Yang et al. 2019: without skips, batch norm makes it grow with depth)."""
        return np.array([n.at_init.weight_grad_ratio  # type: ignore[union-attr]
                         for n in self.networks[LONG_VARIANTS[0]][-1]])


def train_cost(settings: SpeedSettings) -> float:
    """FLOPs of the training grid: `steps` + 1 training steps per model (the last one's loss is
    the final loss), the long runs' extra steps, and the two probes at initialization."""
    n, w = settings.data().n_train, settings.width
    per_seed = sum(budget.train_step_flops(n, 2, d, w) * (settings.steps + 1)
                   for d in settings.depths) * len(VARIANTS)
    extra = settings.total_long_steps - settings.steps
    per_seed += sum(budget.train_step_flops(n, 2, d, w) * extra for d in settings.long_depths) \
        * len(LONG_VARIANTS)
    per_seed += budget.forward_flops(n, 2, settings.depths[-1], w)
    per_seed += 3 * budget.forward_flops(min(n, PROBE_POINTS), 2, settings.depths[-1], w)
    return float(per_seed * settings.seeds)


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
    data = make_dataset(settings.data())
    depths, seeds = settings.depths, settings.seed_list
    keys = [(v, d, s) for v in range(len(VARIANTS)) for d in depths for s in seeds]
    trained = iter(train_many([(settings.model(v, d), settings.training(v, d, s), data) for v, d, s in keys],
                              record="loss"))
    reach = input_reach(settings.model(0, depths[-1]), seeds, data)
    probes = probe_at_init([settings.model(LONG_VARIANTS[0], depths[-1])] * len(seeds), seeds, data,
                           PROBE_POINTS)

    def network(v: int, d: int, j: int) -> Network:
        deepest = d == depths[-1]
        return Network(label=f"{VARIANTS[v][0]}, depth {d}, seed {seeds[j]}", model=settings.model(v, d),
                       training=replace(next(trained), params={}, buffers={}),
                       at_init=probes[j] if deepest and v == LONG_VARIANTS[0] else None,
                       scores={"input_reach": float(reach[j])} if deepest and v == 0 else {})

    return Result(settings=settings, networks=tuple(
        tuple(tuple(network(v, d, j) for j in range(len(seeds))) for d in depths)
        for v in range(len(VARIANTS))))


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
        "shallow_steps": np.array([first_at_or_below(c, result.settings.target_loss) for c in L[0, 0]]),
    }


def still_falling(result: Result) -> np.ndarray:
    """[S] bool: the deep plain batch-norm network's loss at the end is below its loss halfway."""
    curves = result.long_losses[0, -1]
    return curves[:, -1] < curves[:, (curves.shape[-1] - 1) // 2]
