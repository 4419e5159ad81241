"""The warm-up: every page's default view and presets computed once, in the background, onto disk.

A fresh server starts `Warmup(jobs, store).start()` once (the entry script's
first run; Streamlit has no start hook). A daemon thread at the lowest CPU
priority works through the jobs — (name, function, settings), named as
`ui.run_cached` names them — skipping what the disk store already holds or
the app ships (depthkit.serving.ship),
pausing (between jobs, and within a job at every progress report) while a
visitor's own computation runs, and writing each result to
the store, from which a visitor's session then reads it. It then draws the
charts of those views in both modes (depthkit.presentation.views declares them;
depthkit.serving.figures keeps them in memory and on disk), so a visitor's first view
builds no figure, and settles the heap (`runtime.settle_heap`). A visitor who asks
for a result the warm-up is computing right now waits for it (`InFlight`),
with its progress, instead of computing it twice. Progress goes to the log
("warm-up: 5 of 17 ready") and to `Warmup.status()` for the Home page.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from depthkit.engine import progress, runtime
from depthkit.serving.figures import Figures
from depthkit.serving.store import ResultStore

log = logging.getLogger("depthkit.serving.warmup")
Job = tuple[str, Callable[[Any], Any], Any]  # (name, function, settings)
POLL_SECONDS = 0.2


def job_name(fn: Callable) -> str:
    """How a computation is named in the caches: its module and qualified name."""
    return f"{fn.__module__}.{fn.__qualname__}"


def jobs_of(pairs: list[tuple[Callable, Any]]) -> list[Job]:
    """(function, settings) pairs as named jobs."""
    return [(job_name(fn), fn, settings) for fn, settings in pairs]


def stored_in(stores: tuple[ResultStore | None, ...], name: str, settings: Any) -> Any | None:
    """name(settings) from the first of `stores` (None: switched off) that holds it; None if none."""
    for store in stores:
        if store is not None and (value := store.get(name, settings)) is not None:
            return value
    return None


def job_key(name: str, settings: Any) -> str:
    return f"{name}\n{settings!r}"


@dataclass
class _Flight:
    done: threading.Event = field(default_factory=threading.Event)
    fraction: float = 0.0
    line: str = "Preparing…"


class InFlight:
    """Results being computed right now by someone else, and how far along they are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}
        self.visitors = 0  # visitors' own computations running now (the warm-up waits for them)

    @contextmanager
    def visiting(self) -> Iterator[None]:
        """Mark a visitor's own computation as running (the warm-up pauses meanwhile)."""
        with self._lock:
            self.visitors += 1
        try:
            yield
        finally:
            with self._lock:
                self.visitors -= 1

    def begin(self, key: str) -> Callable[[float, str], None]:
        with self._lock:
            flight = self._flights.setdefault(key, _Flight())

        def update(fraction: float, line: str) -> None:
            flight.fraction, flight.line = fraction, line

        return update

    def end(self, key: str) -> None:
        with self._lock:
            flight = self._flights.pop(key, None)
        if flight is not None:
            flight.done.set()

    def wait(self, key: str, on_progress: Callable[[float, str], None], timeout: float = 600) -> bool:
        """Wait until `key` is done, passing on its progress; False if it was not in flight."""
        with self._lock:
            flight = self._flights.get(key)
        if flight is None:
            return False
        deadline = time.monotonic() + timeout
        while not flight.done.wait(POLL_SECONDS) and time.monotonic() < deadline:
            on_progress(flight.fraction, f"Prepared in the background: {flight.line}")
        return True


def _lowest_priority() -> None:
    """This thread only (Linux threads have their own nice value): visitors come first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


class Warmup:
    """Computes `jobs` into `store` on a background thread; see the module docstring."""

    def __init__(self, jobs: list[Job], store: ResultStore, inflight: InFlight,
                 shipped: ResultStore | None = None, figures: Figures | None = None,
                 views: Callable[[Callable[[Callable, Any], Any]], list] | None = None):
        self.jobs, self.store, self.inflight, self.shipped = list(jobs), store, inflight, shipped
        self.figures, self.views = figures, views
        self.figures_ready = self.figures_total = 0
        self.ready = 0
        self.seconds = 0.0
        self.finished = threading.Event()
        self.errors: list[str] = []

    def status(self) -> str:
        if self.finished.is_set():
            return f"All {len(self.jobs)} default views and presets are ready."
        if self.ready == len(self.jobs) and self.figures_total:
            done = f"{self.figures_ready} of {self.figures_total}"
            return f"Drawing the charts of the default views and presets: {done}…"
        return f"Preparing the default views and presets: {self.ready} of {len(self.jobs)} ready…"

    def start(self) -> Warmup:
        if not log.handlers:  # the server's log shows the warm-up's progress
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
            log.addHandler(handler)
            log.setLevel(logging.INFO)
        threading.Thread(target=self.run, name="depthkit-warmup", daemon=True).start()
        return self

    def run(self) -> None:
        _lowest_priority()
        start = time.perf_counter()
        for name, fn, settings in self.jobs:
            while self.inflight.visitors > 0:  # yield to visitors' runs
                time.sleep(POLL_SECONDS)
            if not self._have(name, settings):
                self._compute(name, fn, settings)
            self.ready += 1
            log.info("warm-up: %d of %d ready", self.ready, len(self.jobs))
        if self.figures is not None and self.views is not None:
            self._prepare_figures(self.figures, self.views(self.stored))
        runtime.settle_heap()  # the server's long-lived state is in memory now: no full GC over it
        self.seconds = time.perf_counter() - start
        log.info("warm-up: done in %.1f s", self.seconds)
        self.finished.set()

    def stored(self, fn: Callable, settings: Any) -> Any | None:
        """fn(settings) from the disk store, else shipped with the app; None if neither."""
        return stored_in((self.store, self.shipped), job_name(fn), settings)

    def _prepare_figures(self, figures: Figures, charts: list) -> None:
        """Every chart of the views (builder, result, arguments) in both modes, into `figures`
        (memory and disk): a visitor's first view then builds none."""
        built, self.figures_total = 0, 2 * len(charts)
        for build, result, args in charts:
            for presenter in (False, True):
                while self.inflight.visitors > 0:  # yield to visitors' runs
                    time.sleep(POLL_SECONDS)
                try:
                    built += figures.prepare(build, result, args, presenter)
                except Exception as err:  # a chart that fails here fails on its page too, and says so
                    self.errors.append(f"figure {build.__qualname__}: {err}")
                    log.warning("warm-up: figure %s failed: %s", build.__qualname__, err)
                self.figures_ready += 1
        log.info("warm-up: %d figures ready (%d built)", self.figures_ready, built)

    def _have(self, name: str, settings: Any) -> bool:
        """Already in the disk store, or shipped with the app (and readable)."""
        return stored_in((self.store, self.shipped), name, settings) is not None

    def _compute(self, name: str, fn: Callable, settings: Any) -> None:
        key = job_key(name, settings)
        publish = self.inflight.begin(key)

        def update(fraction: float, line: str) -> None:
            publish(fraction, line)
            # Threads share one interpreter lock, so a low OS priority is not enough: pause
            # mid-job (every MIN_INTERVAL of training) while a visitor computes.
            while self.inflight.visitors > 0:
                time.sleep(POLL_SECONDS)

        try:
            with progress.reporting(update):
                value = fn(settings)
            self.store.put(name, settings, value)
        except Exception as err:  # a failing preset must not stop the others; the page will say why
            self.errors.append(f"{name}({settings!r}): {err}")
            log.warning("warm-up: %s failed: %s", name, err)
        finally:
            self.inflight.end(key)
