"""One trained network's record, the same on every page, and the decision-boundary grid.

A page's Result holds `Network`s (a tuple of them per role where it trains
several seeds). Each bundles what training recorded (`training`: the
`TrainResult` with its per-step curves, per-layer arrays, divergence and final
weights), optional per-layer statistics before and after training (`at_init`,
`at_end`: `ProbeResult`s), an optional decision boundary on a `Grid`, and a
few page-specific numbers in `scores` (e.g. test accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from depthkit.engine.budget import forward_flops
from depthkit.engine.models import ModelSettings, predict_proba
from depthkit.engine.probes import ProbeResult
from depthkit.engine.train import TrainResult


@dataclass(frozen=True)
class Grid:
    """Points covering the data (plus a margin) on which a boundary is drawn."""

    x: np.ndarray  # [n] first input coordinate
    y: np.ndarray  # [n] second input coordinate

    @classmethod
    def around(cls, points: list[np.ndarray] | np.ndarray, n: int = 60,
               margin: float | np.ndarray = 0.5) -> Grid:
        """An n × n grid over the bounding box of `points` ([m, 2] arrays), widened by `margin`
        (a number, or one per coordinate)."""
        allp = np.concatenate([np.asarray(p) for p in points]) if isinstance(points, list) else points
        lo, hi = allp.min(axis=0) - margin, allp.max(axis=0) + margin
        return cls(np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n))

    @property
    def points(self) -> np.ndarray:
        """[n*n, 2] float32 inputs, row-major in y (row i is y[i])."""
        xx, yy = np.meshgrid(self.x, self.y)
        return np.c_[xx.ravel(), yy.ravel()].astype(np.float32)

    def flops(self, model: ModelSettings) -> float:
        """Matmul FLOPs of one boundary of `model` (for the budget)."""
        return forward_flops(len(self.x) * len(self.y), 2, model.depth, model.width)


def boundary(model: ModelSettings, training: TrainResult, grid: Grid) -> np.ndarray:
    """P(class 1) of the trained network at every grid point: [len(y), len(x)]."""
    proba = predict_proba(model, training.params, grid.points, training.buffers)
    return proba.reshape(len(grid.y), len(grid.x))


@dataclass
class Network:
    """One trained network: numpy arrays and plain numbers only (picklable, no tensors)."""

    label: str  # how the page names it, e.g. "sigmoid, PyTorch default init"
    model: ModelSettings
    training: TrainResult
    at_init: ProbeResult | None = None  # per-layer statistics before training
    at_end: ProbeResult | None = None  # the same after training
    boundary: np.ndarray | None = None  # [G, G] P(class 1) on the Result's grid
    scores: dict[str, float] = field(default_factory=dict)  # page-specific, e.g. {"test_acc": 0.81}

    @property
    def depth(self) -> int:
        return self.model.depth

    @property
    def diverged_step(self) -> int | None:
        return self.training.diverged_step

    @property
    def divergence(self) -> str:
        return self.training.divergence

    @property
    def diverged(self) -> bool:
        return self.training.diverged_step is not None


def stack(networks: tuple[Network, ...] | list[Network], name: str) -> np.ndarray:
    """One TrainResult field (e.g. "val_acc") or score (e.g. "test_acc") of every network: [S, ...]."""
    if all(name in n.scores for n in networks):
        return np.array([n.scores[name] for n in networks], dtype=float)
    return np.stack([np.asarray(getattr(n.training, name)) for n in networks])
