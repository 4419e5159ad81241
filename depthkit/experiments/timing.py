"""Live timing of one training step against depth, for the Training speed page.

`measure(TimingSettings)` times one full-batch training step (forward,
backward, Adam update: `depthkit.engine.stacked.StackedRun.step`, the trainer's own
step) of one plain ReLU network at several depths and widths, on this
machine, now. Several
repeats per depth, interleaved across depths so a burst of load from
elsewhere hits every depth alike; the median is the number, min and max its
spread, and both wall-clock and the measuring thread's CPU time are kept.
`fit_line` fits time = intercept + slope * depth. FLOPs per step are computed
(`depthkit.engine.budget`), not measured. Not deterministic: timings depend on the
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

import numpy as np
import torch

from depthkit.core.spec import Settings, param
from depthkit.engine import budget, runtime
from depthkit.engine.data import Dataset, DataSettings, make_dataset
from depthkit.engine.models import ModelSettings
from depthkit.engine.stacked import StackedRun
from depthkit.engine.train import TrainSettings
from depthkit.experiments.result import Result

NOISE = 0.2  # dataset noise, as on the trained half of the page
EXTRAPOLATE_DEPTH = 100
EXTRAPOLATE_STEPS = 10_000
WARMUP_STEPS = 1  # untimed steps per model before any measurement (allocations, thread pools)
THREAD_REPEATS = 3  # repeats of the 1-vs-all-threads comparison

# One measurement at a time in this process: the server is shared, and two
# sessions timing at once would each measure the other's load.
_MEASURE_LOCK = threading.Lock()


@dataclass(frozen=True)
class TimingSettings(Settings):
    # timed depths 2, M/4, M/2, 3M/4, M: evenly spread, so the line fit sees all of them
    time_max_depth: int = param(64, choices=(16, 32, 64), label="Deepest network timed")
    time_width: int = param(32, lo=8, hi=256, options=(8, 16, 32, 64, 128, 256), label="Width timed")
    # a second series at another width; 0 = none
    time_width2: int = param(64, lo=0, hi=256, options=(0, 8, 16, 32, 64, 128, 256),
                             label="Second width timed (0 = none)")
    time_points: int = param(250, lo=50, hi=5000, options=(50, 100, 250, 500, 1000, 2000, 5000),
                             label="Batch size timed (points)")
    repeats: int = param(5, lo=3, hi=15, label="Repeats per depth")
    # timed steps in one repeat; their mean is that repeat's time per step
    steps_per_repeat: int = param(1, lo=1, hi=20, label="Steps per repeat")
    compare_threads: bool = param(True, label="Compare 1 thread with all CPU threads")

    @property
    def time_depths(self) -> list[int]:
        m = self.time_max_depth
        return sorted({2, m // 4, m // 2, 3 * m // 4, m})

    @property
    def time_widths(self) -> list[int]:
        ws = [self.time_width]
        if self.time_width2 and self.time_width2 != self.time_width:
            ws.append(self.time_width2)
        return ws

    def data(self) -> DataSettings:
        """`time_points` training points (half of the samples); seed 0: the values do not matter."""
        return DataSettings(n_samples=2 * self.time_points, noise=NOISE, val_fraction=0.5, seed=0)

    def model(self, depth: int, width: int) -> ModelSettings:
        return ModelSettings(depth=depth, width=width)

    def training(self, device: str) -> TrainSettings:
        return TrainSettings(optimizer="adam", lr=1e-3, seed=0, device=device)


PRESETS: dict[str, dict] = {
    "Defaults": {},
    "Wide layers, timed": {"time_width": 128, "time_width2": 256, "time_points": 200, "time_max_depth": 16},
}


def measure_cost(settings: TimingSettings) -> float:
    """FLOPs of the timed steps (warm-up included)."""
    n = settings.time_points
    per_model = WARMUP_STEPS + settings.repeats * settings.steps_per_repeat
    total = sum(budget.train_step_flops(n, 2, d, w) * per_model
                for w in settings.time_widths for d in settings.time_depths)
    if settings.compare_threads and all_threads() > 1:
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
class Timing(Result):
    """Live timings of one training step; seconds per step, numpy arrays and plain values.

    A live measurement: its fingerprint differs from one measurement to the next."""

    settings: TimingSettings
    seconds: np.ndarray  # [W, D, R] wall time per step, CPU, `threads` threads
    cpu_seconds: np.ndarray  # [W, D, R] CPU time of the measuring thread per step
    flops_per_step: np.ndarray  # [W, D] computed matmul FLOPs
    params: np.ndarray  # [W, D]
    threads: int  # torch threads for `seconds`
    thread_counts: np.ndarray  # [H] e.g. [1, 2]; empty when not compared
    thread_seconds: np.ndarray  # [H, R] at depth `settings.time_max_depth`, width widths[0]
    cuda_name: str  # "" when no CUDA device
    cuda_seconds: np.ndarray  # [D, R] at width widths[0]; shape [0, R] without CUDA
    cpu_name: str
    measured_at: str  # UTC
    measure_seconds: float  # wall time of the whole measurement
    # the machine's 1-minute load average just before the thread comparison (NaN: not known)
    load_average: float = float("nan")

    @property
    def depths(self) -> np.ndarray:
        return np.array(self.settings.time_depths)

    @property
    def widths(self) -> np.ndarray:
        return np.array(self.settings.time_widths)

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
    """One network's training state (`StackedRun` of K = 1), ready to time its steps.

    The timed step is `StackedRun.step`: forward, backward and the Adam update
    on the whole batch, nothing else (depthkit's Adam, not torch.optim.Adam:
    its first use imports torch._dynamo, about 2.6 s on the 2-core machine,
    which a cold page would pay inside the measurement).
    """

    def __init__(self, settings: TimingSettings, depth: int, width: int, data: Dataset, device: str):
        self.run = StackedRun([(settings.model(depth, width), settings.training(device), data)])
        self.device = device

    def step(self) -> None:
        self.run.step()

    def seconds_per_step(self, n: int) -> tuple[float, float]:
        """(wall, CPU) seconds per step over `n` steps. On 1 thread the CPU time is what the
        step costs; wall time also counts the moments the machine ran something else."""
        if self.device == "cuda":
            torch.cuda.synchronize()
        t0, c0 = time.perf_counter(), time.thread_time()
        for _ in range(n):
            self.run.step()
        if self.device == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) / n, (time.thread_time() - c0) / n


def cpu_name() -> str:
    """This CPU's model name, as /proc/cpuinfo gives it (what a figure measured here names)."""
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
    """The CPUs this process may run on (its affinity, not the machine's count): on a server
    pinned to one core, 2 threads would only take turns, and the comparison is skipped."""
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 64))


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


def measure(settings: TimingSettings, progress: Progress | None = None) -> Timing:
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
    data = make_dataset(settings.data())
    depths, widths = settings.time_depths, settings.time_widths
    cuda = torch.cuda.is_available()
    n_all = all_threads()
    # one CPU: no comparison; its 1-thread bar is the series' own deepest timing (the same network)
    thread_counts = [1, n_all] if settings.compare_threads and n_all > 1 else []
    R, n = settings.repeats, settings.steps_per_repeat

    def job(depth: int, width: int, device: str, threads: int) -> dict:
        return {"timer": _StepTimer(settings, depth, width, data, device), "threads": threads,
                "wall": [], "cpu": []}

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
        settings=settings, seconds=np.array([j["wall"] for j in series]).reshape(W, D, R),
        cpu_seconds=np.array([j["cpu"] for j in series]).reshape(W, D, R),
        flops_per_step=np.array([[budget.train_step_flops(settings.time_points, 2, d, w) for d in depths]
                                 for w in widths], dtype=float),
        params=np.array([[settings.model(d, w).n_params() for d in depths] for w in widths]),
        threads=1,
        thread_counts=np.array(thread_counts, dtype=int),
        thread_seconds=np.array([j["wall"] for j in thread_jobs], dtype=float).reshape(
            len(thread_jobs), min(R, THREAD_REPEATS) if thread_jobs else 0),
        cuda_name=torch.cuda.get_device_name(0) if cuda else "",
        cuda_seconds=np.array([j["wall"] for j in cuda_jobs]).reshape(len(cuda_jobs), R),
        cpu_name=cpu_name(),
        measured_at=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        measure_seconds=time.perf_counter() - t_start, load_average=load)
