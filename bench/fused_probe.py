"""What custom fused CPU kernels would save in the trainer's step: a measurement, not product code.

depthkit's fused trainer (`depthkit/engine/fused.py`) is built from stock ATen
operations. Per hidden layer, its forward pass makes a matmul, then three
elementwise passes: bias add, sigmoid, 2s - 1 (the tanh trick). Its backward
pass makes a tanh_backward pass and then a separate bias-gradient sum. No stock
CPU operation fuses these passes. This script compiles two small C++ kernels
that do fuse them:
- bias + tanh in one pass (glibc's vectorized tanhf);
- tanh_backward + bias sum in one pass.

It then times, in one run, interleaved, the step's forward and backward arithmetic
at `bench/train_speed.py`'s workload (8 models, depth 20, width 32, 1,000
training + 1,000 validation points) three ways:
- depthkit's own `fused.forward_pass` + `backward_pass`;
- the same sequence of stock operations written out bare (`stock_ops`), which
  shows how much of depthkit's time is those operations;
- the same chain with the two fused kernels (`fused_kernels`).

The kernels round differently from depthkit (a different tanh; -ffast-math).
Adopting them would also mean more work:
- models.forward (the autograd path the tests compare against bitwise) would
  use them too;
- the shipped results would be regenerated;
- every deployment would need a C++ compiler, or a prebuilt wheel, plus a
  stock fallback that rounds differently.
The closing note of issue 14 weighs this.

    python -m bench.fused_probe [--rounds R]

Needs g++ and ninja (the build takes ~25 s, in a temporary folder). Prints
`*_ms=` per step (median of R rounds) and `fused_kernels_vs_stock_ops=`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time

import torch

import depthkit  # noqa: F401  (flush denormals, heap settings: as the trainer runs)
from bench.train_speed import workload
from depthkit.engine import fused
from depthkit.engine.stacked import StackedRun

KERNELS = r"""
#include <torch/extension.h>
#include <cmath>

// z [K, N, W] contiguous, b [K, 1, W]: z = tanh(z + b) in place
void bias_tanh_(torch::Tensor z, torch::Tensor b) {
  const int64_t K = z.size(0), N = z.size(1), W = z.size(2);
  float* zp = z.data_ptr<float>();
  const float* bp = b.data_ptr<float>();
  #pragma omp parallel for collapse(2) schedule(static)
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) {
      float* row = zp + (k * N + n) * W;
      const float* br = bp + k * W;
      #pragma omp simd
      for (int64_t j = 0; j < W; ++j) row[j] = tanhf(row[j] + br[j]);
    }
}

// gz = gh * (1 - y^2) and db = its sum over points, in one pass.
// gh, gz [K, n, W] contiguous; y [K, n, W] with any row stride (a slice of [K, N, W]); db [K, 1, W]
void tanh_backward_bias_sum(torch::Tensor gh, torch::Tensor y, torch::Tensor gz, torch::Tensor db) {
  const int64_t K = gh.size(0), n = gh.size(1), W = gh.size(2);
  TORCH_CHECK(W <= 256, "width above 256");
  const int64_t syk = y.stride(0), syn = y.stride(1);
  const float* g = gh.data_ptr<float>();
  const float* yp = y.data_ptr<float>();
  float* o = gz.data_ptr<float>();
  float* d = db.data_ptr<float>();
  #pragma omp parallel for schedule(static)
  for (int64_t k = 0; k < K; ++k) {
    float acc[256] = {0};
    for (int64_t i = 0; i < n; ++i) {
      const float* gr = g + (k * n + i) * W;
      const float* yr = yp + k * syk + i * syn;
      float* orow = o + (k * n + i) * W;
      #pragma omp simd
      for (int64_t j = 0; j < W; ++j) {
        float v = gr[j] * (1.f - yr[j] * yr[j]);
        orow[j] = v;
        acc[j] += v;
      }
    }
    for (int64_t j = 0; j < W; ++j) d[k * W + j] = acc[j];
  }
}
"""


def build_kernels():
    """The two kernels as a Python module, or None with the reason printed (no compiler, no ninja)."""
    missing = [tool for tool in ("g++", "ninja") if shutil.which(tool) is None]
    if missing:
        print(f"fused_probe: needs {' and '.join(missing)} on PATH to build the C++ kernels", file=sys.stderr)
        return None
    from torch.utils.cpp_extension import load_inline
    try:
        return load_inline("depthkit_fused_probe", cpp_sources=[KERNELS],
                           functions=["bias_tanh_", "tanh_backward_bias_sum"],
                           extra_cflags=["-O3", "-march=native", "-ffast-math", "-fopenmp"],
                           extra_ldflags=["-fopenmp", "-lmvec"], build_directory=tempfile.mkdtemp())
    except (RuntimeError, OSError) as err:  # a compiler or linker error: say so, no traceback
        print(f"fused_probe: building the C++ kernels failed: {str(err).splitlines()[0]}", file=sys.stderr)
        return None


def _chain(p: dict, x: torch.Tensor, n: int, grad: torch.Tensor, kernels=None) -> None:
    """One forward and backward of the plain tanh MLP in `p` over x [K, N, 2] (backward: first n points)."""
    neg_one = torch.tensor(-1.0)
    weights = [p["W_in"]] + list(p["W_hid"].unbind(1))
    biases = [p["b_in"]] + list(p["b_hid"].unbind(1))
    ins, outs, h = [], [], x
    for w, b in zip(weights, biases):
        if kernels is None:  # depthkit's stock sequence: the factor 2 folded in, then 2 s - 1
            z = torch.bmm(h, w * 2).add_(b * 2)
            torch.add(neg_one, z.sigmoid_(), alpha=2, out=z)
        else:
            z = torch.bmm(h, w)
            kernels.bias_tanh_(z, b)
        ins.append(h[:, :n])
        outs.append(z[:, :n])
        h = z
    ins.append(h[:, :n])
    torch.baddbmm(p["b_out"], h, p["W_out"])
    g = grad[:, :, None]
    torch.bmm(g.transpose(1, 2), ins[-1])
    gh = g * p["W_out"].transpose(1, 2)
    for layer in range(len(weights) - 1, -1, -1):
        if kernels is None:
            gz = torch.ops.aten.tanh_backward(gh, outs[layer])
            gz.sum(1, keepdim=True)
        else:
            gz = torch.empty_like(gh)
            kernels.tanh_backward_bias_sum(gh, outs[layer], gz, torch.empty(gh.shape[0], 1, gh.shape[2]))
        torch.bmm(ins[layer].transpose(1, 2), gz)
        if layer > 0:
            gh = torch.bmm(gz, weights[layer].transpose(1, 2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--steps", type=int, default=20, help="steps timed per round and way")
    args = ap.parse_args()
    if args.rounds < 1 or args.steps < 1:
        ap.error("--rounds and --steps must be at least 1")
    start = time.perf_counter()
    kernels = build_kernels()
    if kernels is None:
        sys.exit(2)
    print(f"build_seconds={time.perf_counter() - start:.1f}")

    run = StackedRun(workload())
    p = {name: param.detach() for name, param in run.params.items() if param is not None}
    x = torch.cat([run.X_train, run.X_val], 1)
    n = run.X_train.shape[1]
    grad = torch.randn(8, n, generator=torch.Generator().manual_seed(0)) * 1e-3

    def depthkit_step() -> None:
        _, state = fused.forward_pass(p, x, n, "tanh", False)
        fused.backward_pass(state, grad)

    ways = {"depthkit": depthkit_step, "stock_ops": lambda: _chain(p, x, n, grad),
            "fused_kernels": lambda: _chain(p, x, n, grad, kernels)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    with torch.no_grad():
        for f in ways.values():
            f()
        for _ in range(args.rounds):  # interleaved, so a burst of load hits every way alike
            for name, f in ways.items():
                t = time.perf_counter()
                for _ in range(args.steps):
                    f()
                times[name].append((time.perf_counter() - t) / args.steps * 1e3)
    for name, ms in times.items():
        print(f"{name}_ms={statistics.median(ms):.2f} (min {min(ms):.2f})")
    ratio = statistics.median(times["fused_kernels"]) / statistics.median(times["stock_ops"])
    print(f"fused_kernels_vs_stock_ops={ratio:.3f}")


if __name__ == "__main__":
    main()
