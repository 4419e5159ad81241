"""Cost of a run in floating-point operations, and the budget that refuses big runs.

FLOPs are counted for the matrix multiplications only, the part that grows
with depth and width: a linear layer with `n_in` inputs and `n_out` outputs on
a batch of `n` points costs 2*n*n_in*n_out in the forward pass and twice that
in the backward pass (gradient with respect to its input and to its weights),
so 6*n*n_in*n_out per training step. Evaluating the validation set costs the
forward part only. Elementwise work (activations, normalization, the
optimizer) is left out; it is why no CPU reaches its matmul peak here.
"""

from __future__ import annotations

# The most work one experiment may start: about 10-40 s of CPU time on a
# small 2-core machine. Anything above is refused before it starts, so no
# setting or URL can make the shared server train for minutes.
MAX_FLOPS = 4e11


class BudgetError(ValueError):
    """A run would cost more than the budget allows."""


def layer_shapes(n_inputs: int, depth: int, width: int, n_outputs: int = 1) -> list[tuple[int, int]]:
    """(n_in, n_out) of every linear layer of an MLP with `depth` hidden layers."""
    shapes = [(n_inputs, width)] + [(width, width)] * (depth - 1)
    return shapes + [(width, n_outputs)]


def matmul_macs(n_inputs: int, depth: int, width: int, n_outputs: int = 1) -> int:
    """Multiply-accumulates of one forward pass for one data point."""
    return sum(a * b for a, b in layer_shapes(n_inputs, depth, width, n_outputs))


def forward_flops(n_points: int, n_inputs: int, depth: int, width: int) -> int:
    """FLOPs of one forward pass over `n_points` points."""
    return 2 * n_points * matmul_macs(n_inputs, depth, width)


def train_step_flops(n_points: int, n_inputs: int, depth: int, width: int) -> int:
    """FLOPs of one training step (forward + backward) on a batch of `n_points`."""
    return 6 * n_points * matmul_macs(n_inputs, depth, width)


def check_budget(flops: float, what: str, limit: float = MAX_FLOPS) -> None:
    """Raise BudgetError if `flops` exceeds `limit`, saying what to reduce."""
    if flops > limit:
        raise BudgetError(
            f"{what} would need about {flops:.2g} floating-point operations, more than "
            f"this app's budget of {limit:.2g} per run. Reduce depth, width, steps, "
            "data size or the number of models compared.")
