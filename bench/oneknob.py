"""How long a visitor waits after moving one control: random one-control changes from each page's defaults.

    python -m bench.oneknob [--cores 1] [--samples 30] [--seed 0] [--page vanishing ...]

For each challenge page, draws `--samples` settings that differ from the page's defaults in exactly
one control (`draws`: a field picked at random, then a value its widget offers — another choice,
the other boolean, one of the number's suggested steps, or any value in its range where it suggests
none), with nothing cached, and times what the page computes for them (`PAGES`: the Overfitting
page's capacity sweep after its run; the Training speed page's live step timing is not in it, since
a changed SpeedSettings control does not re-measure it). Settings the page refuses (the FLOP budget,
or fields that do not fit together) are counted, not timed. Per page it prints p50 / p95 / max of

- `first_progress`: the first progress report with some work done (the page's bar moves);
- `first_chart`: the page's first result (its main charts can be drawn);
- `everything`: every result the page shows.

Timed in this process after one untimed run of the defaults (imports and first-call costs paid), one
torch thread; `--cores 1` pins the process to one CPU (os.sched_setaffinity), like a small hosted
server. The first line names the CPU and kernels. Issue 25 sets goals for these on one core.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import depthkit  # noqa: F401  (CPU settings before torch's first parallel op)
from depthkit.core.spec import Settings, specs
from depthkit.engine.budget import BudgetError
from depthkit.engine.progress import reporting
from depthkit.experiments import exploding, overfitting, speed, timing, vanishing


def _overfitting_page(s: overfitting.OverfittingSettings) -> list[Callable[[], Any]]:
    return [lambda: overfitting.run(s), lambda: overfitting.run_smaller(overfitting.sweep_settings(s))]


# page -> (its Settings class, the computations it makes for a settings, in the order it makes them)
PAGES: dict[str, tuple[type[Settings], Callable[[Any], list[Callable[[], Any]]]]] = {
    "vanishing": (vanishing.VanishingSettings, lambda s: [lambda: vanishing.run(s)]),
    "exploding": (exploding.ExplodingSettings, lambda s: [lambda: exploding.run(s)]),
    "overfitting": (overfitting.OverfittingSettings, _overfitting_page),
    "speed": (speed.SpeedSettings, lambda s: [lambda: speed.run(s)]),
}


def _value(spec: Any, current: Any, rng: random.Random) -> Any:
    """A value the field's widget offers, other than `current` (None where there is none)."""
    if spec.kind == "bool":
        return not current
    if spec.kind == "choice" or (spec.kind in ("int", "float") and spec.options):
        others = [o for o in spec.options if o != current and (spec.lo is None or spec.lo <= o <= spec.hi)]
        return rng.choice(others) if others else None
    if spec.kind in ("int", "float"):
        lo, hi = float(spec.lo), float(spec.hi)
        x = math.exp(rng.uniform(math.log(lo), math.log(hi))) if spec.log and lo > 0 else rng.uniform(lo, hi)
        value = int(round(x)) if spec.kind == "int" else float(f"{x:.3g}")
        value = min(max(value, spec.lo), spec.hi)
        return value if value != current else None
    return None  # text: not a control a visitor turns on a challenge page


def draws(cls: type[Settings], n: int, seed: int) -> list[tuple[str, Any, Settings | None]]:
    """`n` one-control changes from cls(): (field, value, settings or None where they do not fit)."""
    rng = random.Random(seed)
    default = cls()
    fields = [name for name, spec in specs(cls).items() if spec.kind != "text"]
    out: list[tuple[str, Any, Settings | None]] = []
    while len(out) < n:
        name = rng.choice(fields)
        value = _value(specs(cls)[name], getattr(default, name), rng)
        if value is None:
            continue
        try:
            out.append((name, value, default.replace(**{name: value})))
        except ValueError:
            out.append((name, value, None))  # the page says these do not work together
    return out


def time_page(steps: list[Callable[[], Any]]) -> tuple[float, float, float]:
    """(first progress, first result, everything) in seconds; nan where no progress was reported."""
    first: list[float] = []

    def listen(fraction: float, line: str) -> None:
        if fraction > 0 and not first:
            first.append(time.perf_counter())

    t0 = time.perf_counter()
    with reporting(listen):
        steps[0]()
        first_result = time.perf_counter()
        for step in steps[1:]:
            step()
    end = time.perf_counter()
    return (first[0] - t0 if first else float("nan")), first_result - t0, end - t0


def _stats(values: list[float]) -> str:
    a = np.array([v for v in values if v == v])
    if not len(a):
        return "p50=nan p95=nan max=nan"
    return f"p50={np.percentile(a, 50):.2f} p95={np.percentile(a, 95):.2f} max={a.max():.2f}"


def bench_page(page: str, n: int, seed: int) -> str:
    cls, computations = PAGES[page]
    for step in computations(cls()):  # untimed: first-call costs of this page's code
        step()
    times: list[tuple[float, float, float]] = []
    refused = 0
    for _, _, settings in draws(cls, n, seed):
        if settings is None:
            refused += 1
            continue
        try:
            times.append(time_page(computations(settings)))
        except BudgetError:
            refused += 1
    cols = list(zip(*times)) if times else [[], [], []]
    return (f"page={page} changes={n} timed={len(times)} refused={refused} "
            f"first_progress[{_stats(list(cols[0]))}] first_chart[{_stats(list(cols[1]))}] "
            f"everything[{_stats(list(cols[2]))}]")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cores", type=int, default=0, help="pin to this many CPUs (0: all)")
    ap.add_argument("--samples", type=int, default=30, help="one-control changes per page (default 30)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sampling (default 0)")
    ap.add_argument("--page", action="append", choices=list(PAGES), help="only these pages")
    args = ap.parse_args(argv)
    if args.samples < 1 or args.samples > 1000:
        ap.error("--samples must be in [1, 1000]")
    if args.cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:args.cores])
    torch.set_num_threads(1)
    print(f"cpu={timing.cpu_name()!r} kernels={torch.backends.cpu.get_cpu_capability()} "
          f"cores={len(os.sched_getaffinity(0))} torch_threads=1 samples={args.samples} seed={args.seed}")
    for page in args.page or list(PAGES):
        print(bench_page(page, args.samples, args.seed), flush=True)


if __name__ == "__main__":
    main()
