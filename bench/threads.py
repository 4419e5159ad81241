"""Torch threads for a server: 1 vs 2 intra-op threads under concurrent runs.

    python -m bench.threads [--concurrent 1 2 4] [--threads 1 2] [--steps 100]

One process, like the Streamlit server: C Python threads (sessions) each
train a page-sized batch (8 tanh MLPs, depth 20, width 32, 1,000 points,
Adam, full batch) with a different seed, at the same time, with torch's
intra-op thread count set process-wide. Prints the wall time until all C runs
finished and the mean time per run. The app reads DEPTHKIT_THREADS (default 1).
"""

from __future__ import annotations

import argparse
import threading
import time

import torch

import depthkit  # noqa: F401  (flush denormals before torch's first parallel op)
from depthkit import DataSettings, ModelSettings, TrainSettings, make_dataset, train_many


def workload(seed: int, steps: int) -> None:
    data = make_dataset(DataSettings(name="moons", n_samples=2000, seed=seed))
    model = ModelSettings(depth=20, width=32, activation="tanh")
    runs = [(model, TrainSettings(steps=steps, seed=seed * 100 + k), data) for k in range(8)]
    train_many(runs)


def measure(concurrent: int, steps: int) -> tuple[float, float]:
    times: list[float] = []

    def one(i: int) -> None:
        t = time.perf_counter()
        workload(i + 1, steps)
        times.append(time.perf_counter() - t)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(concurrent)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t, sum(times) / len(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--concurrent", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    workload(0, 5)  # warm-up: imports, allocator, thread pools
    for c in args.concurrent:
        for n in args.threads:
            torch.set_num_threads(n)
            wall, per_run = measure(c, args.steps)
            print(f"concurrent={c} torch_threads={n} wall_s={wall:.2f} mean_run_s={per_run:.2f}")


if __name__ == "__main__":
    main()
