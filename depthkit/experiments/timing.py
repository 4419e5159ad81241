"""Live timing of one training step against depth, for the Training speed page.

`measure(settings)` times one full-batch training step (forward, backward,
Adam update) of one plain ReLU network (depthkit's model, the network of the
page's code box) at several depths and widths, on this machine, now. Several
repeats per depth, interleaved across depths so a burst of load from
elsewhere hits every depth alike; the median is the number, min and max its
spread, and both wall-clock and the measuring thread's CPU time are kept.
`fit_line` fits time = intercept + slope * depth. FLOPs per step are computed
(`depthkit.budget`), not measured. Not deterministic: timings depend on the
machine and its load, so the page caches them per "measurement", not forever.
"""

from __future__ import annotations

import datetime
import os
import platform
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from depthkit import budget, fmt, runtime
from depthkit.data import DataSettings, make_dataset
from depthkit.models import ModelSettings, bce_per_model, forward, init_params
from depthkit.optim import StackedOptimizer

if TYPE_CHECKING:  # speed.py imports this module; the settings class is only a type here
    from depthkit.experiments.speed import SpeedSettings

NOISE = 0.2  # dataset noise; fixed so the page has fewer knobs
EXTRAPOLATE_DEPTH = 100
EXTRAPOLATE_STEPS = 10_000
WARMUP_STEPS = 1  # untimed steps per model before any measurement (allocations, thread pools)
THREAD_REPEATS = 3  # repeats of the 1-vs-all-threads comparison

# One measurement at a time in this process: the server is shared, and two
# sessions timing at once would each measure the other's load.
_MEASURE_LOCK = threading.Lock()


def measure_cost(settings: SpeedSettings) -> float:
    """FLOPs of the timed steps (warm-up included)."""
    n = settings.time_points
    per_model = WARMUP_STEPS + settings.repeats * settings.steps_per_repeat
    total = sum(budget.train_step_flops(n, 2, d, w) * per_model
                for w in settings.time_widths for d in settings.time_depths)
    if settings.compare_threads:
        per_thread_model = WARMUP_STEPS + min(settings.repeats, THREAD_REPEATS) * settings.steps_per_repeat
        total += 2 * budget.train_step_flops(n, 2, settings.time_max_depth, settings.time_width) \
            * per_thread_model
    if torch.cuda.is_available():
        total += sum(budget.train_step_flops(n, 2, d, settings.time_width) * per_model
                     for d in settings.time_depths)
    return float(total)


@dataclass
class Fit:
    """time = intercept + slope * depth, least squares."""

    slope: float
    intercept: float
    r2: float

    def at(self, depth: float) -> float:
        return self.intercept + self.slope * depth


def fit_line(x: np.ndarray, y: np.ndarray) -> Fit:
    """Least-squares line through (x, y) and its R^2 (NaN when y does not vary)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) < 2 or np.ptp(x) == 0:
        raise ValueError("fit_line needs at least two different x values")
    slope, intercept = np.polyfit(x, y, 1)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    ss_res = float(np.sum((y - (intercept + slope * x)) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    return Fit(float(slope), float(intercept), r2)


@dataclass
class Timing:
    """Live timings of one training step; seconds per step, numpy arrays and plain values."""

    depths: np.ndarray  # [D]
    widths: np.ndarray  # [W]
    seconds: np.ndarray  # [W, D, R] wall time per step, CPU, `threads` threads
    cpu_seconds: np.ndarray  # [W, D, R] CPU time of the measuring thread per step
    flops_per_step: np.ndarray  # [W, D] computed matmul FLOPs
    params: np.ndarray  # [W, D]
    n_points: int
    steps_per_repeat: int
    threads: int  # torch threads for `seconds`
    thread_counts: np.ndarray  # [H] e.g. [1, 2]; empty when not compared
    thread_seconds: np.ndarray  # [H, R] at depth `thread_depth`, width widths[0]
    thread_depth: int
    cuda_name: str  # "" when no CUDA device
    cuda_seconds: np.ndarray  # [D, R] at width widths[0]; shape [0, R] without CUDA
    cpu_name: str
    measured_at: str  # UTC
    measure_seconds: float  # wall time of the whole measurement
    # the machine's 1-minute load average just before the thread comparison (NaN: not known)
    load_average: float = float("nan")

    @property
    def median(self) -> np.ndarray:
        return np.median(self.seconds, axis=-1)

    def fit(self, w: int = 0) -> Fit:
        return fit_line(self.depths, self.median[w])

    def gflops(self) -> np.ndarray:
        """[W, D] achieved GFLOP/s (computed FLOPs / median measured time)."""
        return self.flops_per_step / self.median / 1e9

    def extrapolate(self, depth: int = EXTRAPOLATE_DEPTH, steps: int = EXTRAPOLATE_STEPS) -> float:
        """Seconds for `steps` steps at `depth` by the first width's line."""
        return self.fit(0).at(depth) * steps


class _StepTimer:
    """One depthkit model (K = 1) with its Adam optimizer and data, ready to time steps.

    Not torch.optim.Adam: its first use imports torch._dynamo, about 2.6 s on
    the 2-core machine, which a cold page would pay inside the measurement.
    """

    def __init__(self, depth: int, width: int, X: torch.Tensor, y: torch.Tensor, device: str):
        self.model = ModelSettings(depth=depth, width=width)
        self.params = init_params([self.model], [0], X.shape[-1], device=device)
        for p in self.params.values():
            p.requires_grad_(True)
        self.X, self.y, self.device = X[None].to(device), y[None].to(device), device
        one = torch.ones(1, device=device)
        self.opt = StackedOptimizer(self.params, "adam", one * 1e-3, one * 0, one * 0)
        self.active = one.bool()

    def step(self) -> None:
        for p in self.params.values():
            p.grad = None
        logits, _ = forward(self.params, self.X, self.model, training=True)
        bce_per_model(logits, self.y).sum().backward()
        self.opt.step({n: p.grad for n, p in self.params.items()}, self.active)

    def seconds_per_step(self, n: int) -> tuple[float, float]:
        """(wall, CPU) seconds per step over `n` steps. On 1 thread the CPU time is what the
        step costs; wall time also counts the moments the machine ran something else."""
        if self.device == "cuda":
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(n):
            self.step()
        if self.device == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) / n, (time.thread_time() - c0) / n


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def load_average() -> float:
    """The 1-minute load average (runnable processes, all users), NaN where the OS has none."""
    try:
        return float(os.getloadavg()[0])
    except (AttributeError, OSError):
        return float("nan")


def all_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 64))


Progress = Callable[[float, str], None]


def _run_jobs(jobs: list, repeats: int, n: int, report: Progress, done: float, share: float) -> None:
    """Warm up every job, then time `repeats` rounds, each visiting every job once (interleaved)."""
    for job in jobs:
        runtime.set_threads(job["threads"])
        for _ in range(WARMUP_STEPS):
            job["timer"].step()
    for r in range(repeats):
        report(done + share * r / repeats, f"Measuring: repeat {r + 1} of {repeats}…")
        for job in jobs:
            runtime.set_threads(job["threads"])
            wall, cpu = job["timer"].seconds_per_step(n)
            job["wall"].append(wall)
            job["cpu"].append(cpu)


def measure(settings: SpeedSettings, progress: Progress | None = None) -> Timing:
    """Time training steps at every timed depth and width; see the module doc.

    The CPU series run on 1 torch thread (a shared server's safe choice),
    interleaved with the CUDA series when a device is present. The thread
    comparison runs afterwards, on its own: switching a process between 1 and
    several threads in the middle of the 1-thread series disturbed it (idle
    worker threads keep spinning for a while). The previous thread count is
    restored at the end.
    """
    budget.check_budget(measure_cost(settings), "Timing the training steps")
    report = progress or (lambda fraction, text: None)
    data = make_dataset(DataSettings(n_samples=max(settings.time_points * 2, 20), noise=NOISE,
                                     val_fraction=0.5, seed=settings.seed))
    X = torch.as_tensor(data.X_train[:settings.time_points])
    y = torch.as_tensor(data.y_train[:settings.time_points])
    depths, widths = settings.time_depths, settings.time_widths
    cuda = torch.cuda.is_available()
    n_all = all_threads()
    thread_counts = ([1, n_all] if n_all > 1 else [1]) if settings.compare_threads else []
    R, n = settings.repeats, settings.steps_per_repeat

    def job(depth: int, width: int, device: str, threads: int) -> dict:
        return {"timer": _StepTimer(depth, width, X, y, device), "threads": threads, "wall": [], "cpu": []}

    series = [job(d, w, "cpu", 1) for w in widths for d in depths]
    cuda_jobs = [job(d, widths[0], "cuda", 1) for d in depths] if cuda else []
    thread_jobs = [job(settings.time_max_depth, widths[0], "cpu", h) for h in thread_counts]
    t_start = time.perf_counter()
    with _MEASURE_LOCK:
        previous = torch.get_num_threads()
        try:
            report(0.0, "Warming up…")
            share = 0.8 if thread_jobs else 1.0
            _run_jobs(series + cuda_jobs, R, n, report, 0.0, share)
            load = load_average()
            if thread_jobs:  # 3 repeats: several threads on a busy machine can be very slow
                _run_jobs(thread_jobs, min(R, THREAD_REPEATS), n, report, share, 1.0 - share)
            report(1.0, "Done.")
        finally:
            torch.set_num_threads(previous)
    W, D = len(widths), len(depths)
    return Timing(
        depths=np.array(depths), widths=np.array(widths),
        seconds=np.array([j["wall"] for j in series]).reshape(W, D, R),
        cpu_seconds=np.array([j["cpu"] for j in series]).reshape(W, D, R),
        flops_per_step=np.array([[budget.train_step_flops(settings.time_points, 2, d, w) for d in depths]
                                 for w in widths], dtype=float),
        params=np.array([[ModelSettings(depth=d, width=w).n_params() for d in depths] for w in widths]),
        n_points=settings.time_points, steps_per_repeat=n, threads=1,
        thread_counts=np.array(thread_counts, dtype=int),
        thread_seconds=np.array([j["wall"] for j in thread_jobs], dtype=float).reshape(
            len(thread_jobs), min(R, THREAD_REPEATS) if thread_jobs else 0),
        thread_depth=settings.time_max_depth,
        cuda_name=torch.cuda.get_device_name(0) if cuda else "",
        cuda_seconds=np.array([j["wall"] for j in cuda_jobs]).reshape(len(cuda_jobs), R),
        cpu_name=_cpu_name(),
        measured_at=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        measure_seconds=time.perf_counter() - t_start, load_average=load)


def thread_text(timing: Timing) -> str:
    """What the 1-thread vs all-threads comparison measured, and nothing it did not (no cause)."""
    one, many = np.median(timing.thread_seconds, axis=1)[[0, -1]]
    h = int(timing.thread_counts[-1])
    text = (f"With {h} threads a depth-{timing.thread_depth} step took {fmt.seconds(many)}, against "
            f"{fmt.seconds(one)} on 1 thread: {fmt.times(one / many, 'faster', 'slower')} "
            f"(median of {timing.thread_seconds.shape[-1]} repeats each).")
    if one / many < 1.05:
        text += (" More threads do not always help: for small matrices, splitting each product "
                 "across threads can cost more than it saves even on an idle machine, and other work "
                 "on the machine competes for the same cores; this measurement does not tell which.")
    if np.isfinite(timing.load_average):
        text += (f" The machine's 1-minute load average just before the comparison, this measurement "
                 f"included, was {fmt.num(timing.load_average)} on {os.cpu_count() or 1} logical CPUs.")
    return text


def timing_summary(timing: Timing) -> str:
    """'What you are seeing' for the measured part; numbers from `timing`."""
    fit = timing.fit(0)
    med = timing.median
    g = timing.gflops()
    w0 = int(timing.widths[0])
    lines = [
        f"**What you are seeing — cost per step.** Measured at {timing.measured_at} on "
        f"{timing.cpu_name}, 1 torch thread: one full-batch training step (forward, backward, Adam "
        f"update) of one plain ReLU network on {timing.n_points} points, "
        f"median of {timing.seconds.shape[-1]} repeats per depth"
        f"{'' if timing.steps_per_repeat == 1 else f' ({timing.steps_per_repeat} steps each)'}. "
        f"At width {w0}, each extra layer adds **{fmt.seconds(fit.slope)} per step** "
        f"(R² = {fit.r2:.3f}); depth {int(timing.depths[-1])} takes "
        f"{fmt.seconds(med[0, -1])} per step against {fmt.seconds(med[0, 0])} at depth "
        f"{int(timing.depths[0])}, while its FLOPs per step grow "
        f"{fmt.times(timing.flops_per_step[0, -1] / timing.flops_per_step[0, 0])}. "
        f"Achieved speed: {fmt.num(g[0].min())}–{fmt.num(g[0].max())} GFLOP/s.",
    ]
    if len(timing.widths) > 1:
        fit2 = timing.fit(1)
        lines.append(f"At width {int(timing.widths[1])} each layer adds {fmt.seconds(fit2.slope)} "
                     f"(R² = {fit2.r2:.3f}).")
    lines.append(f"At this rate, {EXTRAPOLATE_DEPTH} layers × {fmt.integer(EXTRAPOLATE_STEPS)} steps would "
                 f"take about **{fmt.seconds(timing.extrapolate())}** on this machine.")
    if len(timing.thread_counts) > 1:
        lines.append(thread_text(timing))
    if timing.cuda_name:
        lines.append(f"On the GPU ({timing.cuda_name}) a depth-{int(timing.depths[-1])} step took "
                     f"{fmt.seconds(float(np.median(timing.cuda_seconds[-1])))}.")
    else:
        lines.append("No CUDA GPU is available here, so every timing ran on the CPU.")
    return " ".join(lines)


