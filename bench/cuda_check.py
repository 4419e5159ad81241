"""Does depthkit train the same on a CUDA GPU as on the CPU? For a machine with one:

    python -m bench.cuda_check

The app targets CPUs; `TrainSettings(device="cuda")` is the library's GPU path.
1. The trainer on CUDA against the CPU, same runs: float64 must agree to a
   relative 1e-9 (loss, validation loss, gradient norms per layer), short float32
   runs to 1e-4 (summation order differs between the devices).
2. Every page's default experiment with its training moved to CUDA (the page
   modules' train/train_many wrapped to set device="cuda"): must run without
   error; prints the largest relative difference of the final training losses
   from the CPU run (float32 training of deep nets is chaotic, so not a check).
3. The Training speed page's live step timing (timing.run at its defaults) must
   fill its CUDA column.
One line per check; exit status 1 if a check of (1)-(3) fails.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import time

import numpy as np
import torch

from depthkit.engine.data import DataSettings, make_dataset
from depthkit.engine.models import ModelSettings
from depthkit.engine.train import TrainResult, TrainSettings
from depthkit.experiments import exploding, overfitting, speed, timing, vanishing

trainer = importlib.import_module("depthkit.engine.train")  # the module: depthkit exports a function `train`
DEFAULTS = {vanishing: vanishing.VanishingSettings, exploding: exploding.ExplodingSettings,
            overfitting: overfitting.OverfittingSettings, speed: speed.SpeedSettings}
FIELDS = ("loss", "val_loss", "grad_norm", "layer_grad_norms")
TRAINER_CASES = [
    (ModelSettings(depth=6, activation="relu", norm="batch", residual=True),
     TrainSettings(optimizer="sgd", lr=0.1, momentum=0.9, steps=60, clip_norm=0.5, dtype="float64"), 1e-9),
    (ModelSettings(depth=5, width=16, activation="gelu", norm="layer", init="he"),
     TrainSettings(optimizer="adam", lr=1e-2, weight_decay=0.1, steps=60, dtype="float64"), 1e-9),
    (ModelSettings(depth=8, activation="relu", dropout=0.1),
     TrainSettings(optimizer="adam", lr=1e-3, steps=60, dtype="float64"), 1e-9),
    # tanh is computed as 2*sigmoid(2x)-1 on the CPU (models._FastTanh) and torch.tanh on CUDA:
    # float64 rounding differences (~1e-16) that 60 Adam steps on a depth-20 net amplify (~1e-6)
    (ModelSettings(depth=20, activation="tanh", dropout=0.1),
     TrainSettings(optimizer="adam", lr=1e-3, steps=60, dtype="float64"), 1e-5),
    (ModelSettings(depth=20, activation="sigmoid"), TrainSettings(optimizer="adam", lr=1e-3, steps=15), 1e-4),
    (ModelSettings(depth=20, activation="relu", init="he"),
     TrainSettings(optimizer="adam", lr=1e-3, steps=15), 1e-4),
]


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(float(np.nanmax(np.abs(b))), 1e-300)
    return float(np.nanmax(np.abs(a - b)) / scale)


def check_trainer() -> bool:
    """(1): the same runs on both devices agree."""
    ok = True
    data = make_dataset(DataSettings(name="moons", n_samples=400, noise=0.2, seed=0))
    for model, ts, rtol in TRAINER_CASES:
        cpu = trainer.train(model, ts, data)
        gpu = trainer.train(model, dataclasses.replace(ts, device="cuda"), data)
        worst = max(_rel(getattr(gpu, f), getattr(cpu, f)) for f in FIELDS)
        passed = worst <= rtol
        ok &= passed
        print(f"trainer {model.activation:8s} depth={model.depth:2d} {ts.dtype}: "
              f"max_rel_diff={worst:.2e} (allowed {rtol:.0e}) {'ok' if passed else 'FAIL'}")
    return ok


def _final_losses(value: object) -> list[float]:
    """Every TrainResult's final training loss inside a page's result, in a fixed order."""
    if isinstance(value, TrainResult):
        return [value.final_train_loss]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for f in dataclasses.fields(value) for x in _final_losses(getattr(value, f.name))]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _final_losses(v)]
    if isinstance(value, dict):
        return [x for k in sorted(value, key=str) for x in _final_losses(value[k])]
    return []


def _on_cuda(module: object) -> dict:
    """Wrap the page module's train/train_many so that every run trains on CUDA; returns the originals."""
    saved = {}
    if hasattr(module, "train_many"):
        saved["train_many"] = module.train_many
        module.train_many = lambda runs, **kw: trainer.train_many(
            [(m, dataclasses.replace(t, device="cuda"), d) for m, t, d in runs], **kw)
    if hasattr(module, "train"):
        saved["train"] = module.train
        module.train = lambda m, t, d, **kw: trainer.train(m, dataclasses.replace(t, device="cuda"), d, **kw)
    return saved


def check_pages() -> bool:
    """(2): every page's default experiment runs with its training on CUDA."""
    ok = True
    for page in DEFAULTS:
        settings = DEFAULTS[page]()
        start = time.perf_counter()
        cpu = _final_losses(page.run(settings))
        cpu_s = time.perf_counter() - start
        saved = _on_cuda(page)
        try:
            start = time.perf_counter()
            gpu = _final_losses(page.run(settings))
            gpu_s = time.perf_counter() - start
        except Exception as err:  # noqa: BLE001 - any failure on the GPU path is the finding
            print(f"page {page.__name__}: FAIL on cuda: {type(err).__name__}: {err}")
            ok = False
            continue
        finally:
            for name, fn in saved.items():
                setattr(page, name, fn)
        same_count = len(cpu) == len(gpu) and len(cpu) > 0
        finite = np.isfinite(cpu) == np.isfinite(gpu) if same_count else False
        diff = (_rel(np.where(np.isfinite(gpu), gpu, 0), np.where(np.isfinite(cpu), cpu, 0))
                if same_count else np.nan)
        ok &= same_count
        name = page.__name__.rsplit(".", 1)[-1]
        print(f"page {name}: runs={len(gpu)} cpu_s={cpu_s:.1f} cuda_s={gpu_s:.1f} "
              f"final_loss_max_rel_diff={diff:.2e} same_finiteness={bool(np.all(finite))} "
              f"{'ok' if same_count else 'FAIL'}")
    return ok


def check_timing() -> bool:
    """(3): the live step timing measures on the GPU too."""
    result = timing.measure(timing.TimingSettings())
    ok = result.cuda_name != "" and result.cuda_seconds.size > 0 and bool(np.all(result.cuda_seconds > 0))
    print(f"timing: cuda_name={result.cuda_name!r} cuda_seconds_shape={result.cuda_seconds.shape} "
          f"{'ok' if ok else 'FAIL'}")
    return ok


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device here: nothing to check")
        return 1
    print(f"torch={torch.__version__} device={torch.cuda.get_device_name(0)}")
    results = [check_trainer(), check_pages(), check_timing()]
    print(f"cuda_check={'passed' if all(results) else 'FAILED'}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
