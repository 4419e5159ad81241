"""A network's probes where a page's networks always have them (vanishing, exploding, speed).

`Network.at_init` and `at_end` are optional (the overfitting page's networks are not probed);
these return them typed as present and say which network lacks one if it ever does.
"""

from __future__ import annotations

from depthkit.engine.probes import ProbeResult
from depthkit.experiments.record import Network


def at_init(net: Network) -> ProbeResult:
    """`net.at_init`: its per-layer statistics before training."""
    if net.at_init is None:
        raise ValueError(f"{net.label}: no probe at initialization")
    return net.at_init


def at_end(net: Network) -> ProbeResult:
    """`net.at_end`: its per-layer statistics after training."""
    if net.at_end is None:
        raise ValueError(f"{net.label}: no probe after training")
    return net.at_end
