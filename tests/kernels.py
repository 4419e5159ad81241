"""Kernels that round like another CPU's: the perturbation every claim test must also survive.

Claims are checked twice (scripts/test.sh): with this machine's own kernels, and again with
`DEPTHKIT_KERNELS=other`, which makes torch and MKL take other code paths for the same
arithmetic, as a server with another CPU does:

- `ATEN_CPU_CAPABILITY=default`: ATen's scalar kernels instead of this CPU's AVX2/AVX-512 ones (tanh,
  sigmoid, exp, the reductions, and the normal sampler that draws He/Xavier-normal weights). An
  AVX-512 Intel Xeon skips the AVX2 normal sampler too, so its initial weights differ from an AMD
  EPYC's by an ulp here and there, as they do under this setting.
- `MKL_CBWR=COMPATIBLE`: MKL's matrix products on its most portable code path instead of the one
  MKL picks for this CPU (AVX2 on AMD EPYC, AVX-512 on Intel Xeon): another summation order.

Why this one: of the perturbations tried (two torch threads instead of one, every input moved by
one float32 ulp, these kernels), it is the one that changes what a CPU change changes: every
kernel's rounding on every step, not one number once. Measured (docs/science.md, "Claims on other CPUs"),
it moves chaotic runs as much as the Intel/AMD difference did: per-seed outcomes of the same
settings change, and a claim kept near its edge on one machine fails on the other.
Both variables must be set before torch loads its kernels: `select()` runs first in conftest.
"""

from __future__ import annotations

import os

ENV_VAR = "DEPTHKIT_KERNELS"
OTHER = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}


def other() -> bool:
    """Whether this run asked for the other kernels."""
    value = os.environ.get(ENV_VAR, "own")
    if value not in ("own", "other"):
        raise ValueError(f"{ENV_VAR}={value!r}: use 'own' (this CPU's kernels) or 'other'")
    return value == "other"


def select() -> None:
    """Set the other kernels' variables when asked; call before torch is imported."""
    if other():
        os.environ.update(OTHER)


def describe() -> str:
    """One line for pytest's header: which kernels this run computes with."""
    import torch
    return (f"depthkit kernels: {'other (' + ENV_VAR + '=other)' if other() else 'own'}; ATen "
            f"{torch.backends.cpu.get_cpu_capability()}, MKL_CBWR={os.environ.get('MKL_CBWR', 'unset')}, "
            f"torch threads {torch.get_num_threads()}")
