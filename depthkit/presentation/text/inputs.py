"""The words for the input scales of `depthkit.engine.data` (standardized or raw): input-plane axis titles."""

from __future__ import annotations

from depthkit.engine.data import STANDARDIZED

_AXES = {
    STANDARDIZED: ("x1 (standardized)", "x2 (standardized)"),
    "raw": ("x1 (raw)", "x2 (raw)"),
    "x1 ×100": ("x1 (raw × 100)", "x2 (raw)"),
    "offset +10": ("x1 (raw + 10)", "x2 (raw + 10)"),
}


def axes(inputs: str) -> tuple[str, str]:
    """The two axis titles of a plot of the inputs, in the units the networks saw."""
    return _AXES[inputs]
