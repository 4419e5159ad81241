"""Toy 2-D classification datasets from scikit-learn (plus two-spirals and xor).

`make_dataset(DataSettings)` returns standardized train and validation arrays
(float32 features, 0/1 labels). The same settings give the same arrays: the
seed drives sampling, noise and the train/validation split. Features are
standardized with the training set's mean and standard deviation.

`inputs` turns standardization off, to show what it is for (LeCun et al.
1998): "raw" keeps the generator's own coordinates (moons: x1 in [-1, 2], x2
in [-0.5, 1]); "x1 ×100" multiplies the raw x1 by 100 (one feature in other
units: hundreds against ones); "offset +10" adds 10 to both raw features (far
from zero mean). In every case `X = (X_generated - mean) / std` with the
Dataset's own `mean` and `std`.

`noise` moves the inputs (Gaussian jitter of the points); it never changes a
label. Label noise is a separate, opt-in step: `flip_labels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import make_circles, make_moons
from sklearn.model_selection import train_test_split

from depthkit.core.spec import Settings, param

DATASETS = ("moons", "circles", "spirals", "xor")
STANDARDIZED = "standardized"
# input scale -> (per-feature factor, offset) applied to the generator's raw coordinates
RAW_INPUTS = {"raw": ((1.0, 1.0), 0.0), "x1 ×100": ((100.0, 1.0), 0.0), "offset +10": ((1.0, 1.0), 10.0)}
INPUTS = (STANDARDIZED, *RAW_INPUTS)


@dataclass(frozen=True)
class DataSettings(Settings):
    name: str = param("moons", choices=DATASETS, label="Dataset")
    # points before the split; train gets (1 - val_fraction) of them
    n_samples: int = param(1000, lo=20, hi=20000, label="Points")
    # standard deviation of the Gaussian noise added to the points
    noise: float = param(0.2, lo=0.0, hi=1.0, label="Noise")
    # share of points held out for validation
    val_fraction: float = param(0.3, lo=0.05, hi=0.98, label="Validation share")
    seed: int = param(0, lo=0, hi=2**31 - 1, label="Data seed")
    # standardized (zero mean, unit variance on the training set) or a raw scale
    inputs: str = param(STANDARDIZED, choices=INPUTS, label="Input scale")

    def check(self) -> None:
        n_train = self.n_train
        if n_train < 4 or self.n_samples - n_train < 4:
            raise ValueError(
                f"DataSettings: n_samples={self.n_samples} with val_fraction="
                f"{self.val_fraction} leaves {n_train} training and "
                f"{self.n_samples - n_train} validation points; each needs at least 4")

    @property
    def n_train(self) -> int:
        return self.n_samples - int(round(self.n_samples * self.val_fraction))


@dataclass(frozen=True)
class Dataset:
    """Standardized (or raw-scale) arrays; `mean`/`std` map the generator's coordinates to these."""

    X_train: np.ndarray  # [n_train, 2] float32
    y_train: np.ndarray  # [n_train] float32, 0 or 1
    X_val: np.ndarray
    y_val: np.ndarray
    mean: np.ndarray  # [2]
    std: np.ndarray  # [2]

    @property
    def n_inputs(self) -> int:
        return int(self.X_train.shape[1])


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals, 1.5 turns each, the classic hard toy problem."""
    n0 = n // 2
    labels = np.r_[np.zeros(n0), np.ones(n - n0)]
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi  # sqrt: even density along the arm
    angle = t + np.pi * labels
    radius = t / (3.0 * np.pi)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    X += rng.normal(0.0, noise * 0.25, X.shape)  # noise relative to the unit radius
    return X, labels


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four Gaussian blobs at the corners; opposite corners share a label."""
    corners = rng.integers(0, 4, n)
    centers = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    X = centers[corners] + rng.normal(0.0, 0.2 + noise, (n, 2))
    return X, (corners >= 2).astype(float)


def make_dataset(settings: DataSettings) -> Dataset:
    """Sample, split and standardize (or scale, as `inputs` says) the dataset `settings` describes."""
    if not isinstance(settings, DataSettings):
        raise ValueError(f"make_dataset expects DataSettings, got {type(settings).__name__}")
    rng = np.random.default_rng(settings.seed)
    n, noise = settings.n_samples, settings.noise
    if settings.name == "moons":
        X, y = make_moons(n, noise=noise, random_state=settings.seed)
    elif settings.name == "circles":
        X, y = make_circles(n, noise=noise * 0.5, factor=0.5, random_state=settings.seed)
    elif settings.name == "spirals":
        X, y = _spirals(n, noise, rng)
    else:
        X, y = _xor(n, noise, rng)
    n_val = n - settings.n_train
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=n_val, random_state=settings.seed, stratify=y)
    f32 = np.float32
    if settings.inputs != STANDARDIZED:  # X * factor + offset, which is (X - mean) / std below
        factor, offset = np.asarray(RAW_INPUTS[settings.inputs][0]), RAW_INPUTS[settings.inputs][1]
        std, mean = 1.0 / factor, -offset / factor
        return Dataset((X_train * factor + offset).astype(f32), y_train.astype(f32),
                       (X_val * factor + offset).astype(f32), y_val.astype(f32),
                       mean.astype(f32), std.astype(f32))
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0) + 1e-8
    return Dataset(((X_train - mean) / std).astype(f32), y_train.astype(f32),
                   ((X_val - mean) / std).astype(f32), y_val.astype(f32),
                   mean.astype(f32), std.astype(f32))


def flip_labels(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Label noise: flip exactly round(fraction * len(y)) randomly chosen 0/1 labels.

    Returns (labels, flipped mask). `make_dataset` never calls this: its `noise`
    moves the inputs and never changes a label, so label noise is opt-in here.
    """
    if not 0.0 <= fraction <= 0.5:
        raise ValueError(f"flip_labels: fraction={fraction} must be within [0, 0.5]")
    y = np.asarray(y)
    mask = np.zeros(len(y), dtype=bool)
    n_flip = int(round(fraction * len(y)))
    if n_flip:
        mask[np.random.default_rng(seed).choice(len(y), n_flip, replace=False)] = True
    return np.where(mask, 1 - y, y).astype(y.dtype), mask
