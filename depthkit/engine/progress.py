"""Progress of long computations, for whoever is listening (a page's progress bar).

The library never needs a listener: `train_many` and other long loops make a
`Tracker` and advance it; when code runs inside `reporting(callback)`, the
callback receives (fraction done, a line such as "Training 8 networks: step
120 of 600, about 3 s left"), at most every `MIN_INTERVAL` seconds. The
listener lives in a context variable, so concurrent sessions (threads) each
see only their own progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from depthkit.core import fmt

Listener = Callable[[float, str], None]
MIN_INTERVAL = 0.2  # seconds between two reports

_listener: ContextVar[Listener | None] = ContextVar("depthkit_progress", default=None)


@contextmanager
def reporting(callback: Listener) -> Iterator[None]:
    """Send the progress of everything computed inside this block to `callback`."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


class Tracker:
    """Counts `total` units of work named `what`; reports fraction and time left while listened to."""

    def __init__(self, total: int, what: str):
        self.total, self.what = max(int(total), 1), what
        self.done = 0
        self.listener = _listener.get()
        self.start = self.last = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.done = min(self.done + n, self.total)
        if self.listener is None:
            return
        now = time.perf_counter()
        if now - self.last < MIN_INTERVAL and self.done < self.total:
            return
        self.last = now
        fraction = self.done / self.total
        line = f"{self.what}: step {fmt.integer(self.done)} of {fmt.integer(self.total)}"
        if 0 < fraction < 1:
            left = (now - self.start) * (1 - fraction) / fraction
            line += f", about {fmt.seconds(max(round(left, 1 if left < 10 else 0), 0.1))} left"
        self.listener(fraction, line)
