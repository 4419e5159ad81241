"""Running experiments for visitors: memory cache over the disk store over the results shipped
with the app, warm-up, live timings."""

from __future__ import annotations

import os
import pathlib
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from depthkit.core.spec import Settings
from depthkit.engine import progress, runtime
from depthkit.engine.budget import BudgetError
from depthkit.serving import ship
from depthkit.serving.figures import Figures
from depthkit.serving.store import ResultStore
from depthkit.serving.warmup import InFlight, Warmup, job_key, job_name, jobs_of, stored_in

APP_ROOT = pathlib.Path(__file__).resolve().parents[2]  # the folder with streamlit_app.py
CACHE_ENTRIES = 64  # shared LRU over all pages; bounded so a busy server keeps its memory


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore | None:
    """The process's on-disk result store (see depthkit.serving.store), or None when switched off.

    `DEPTHKIT_RESULTS` names its folder (default data/results beside the app);
    "off" disables it.
    """
    folder = os.environ.get("DEPTHKIT_RESULTS", str(APP_ROOT / "data" / "results"))
    return None if folder == "off" else ResultStore(folder)


@st.cache_resource(show_spinner=False)
def shipped_results() -> ResultStore | None:
    """The results shipped with the app (see depthkit.serving.ship), read-only, or None when switched off.

    `DEPTHKIT_SHIPPED` names its folder (default data/shipped beside the app); "off" disables it.
    """
    folder = os.environ.get("DEPTHKIT_SHIPPED", str(ship.SHIPPED_DIR))
    return None if folder == "off" else ship.shipped(folder)


@st.cache_resource(show_spinner=False)
def figure_cache() -> Figures:
    """The process's chart figures (see depthkit.serving.figures), over the disk store when there is one
    and the figures shipped with the app."""
    return Figures(result_store(), shipped=shipped_results())


def stored_result(fn_name: str, settings: Settings) -> Any | None:
    """fn(settings) from the disk store, else from the results shipped with the app; None if neither."""
    return stored_in((result_store(), shipped_results()), fn_name, settings)


INFLIGHT = InFlight()  # what the warm-up computes right now, and visitors' own runs


@st.cache_resource(show_spinner=False)
def start_warmup(_jobs: Callable[[], list], _views: Callable | None = None) -> Warmup | None:
    """Start the background warm-up once per process (see depthkit.serving.warmup).

    `_jobs()` gives (run function, settings) pairs, `_views(get)` the charts to prepare
    (depthkit.presentation.views.all_views); None (nothing started) without a disk store or with
    DEPTHKIT_WARMUP=off.
    """
    store = result_store()
    if store is None or os.environ.get("DEPTHKIT_WARMUP", "on") == "off":
        return None
    warm = Warmup(jobs_of(_jobs()), store, INFLIGHT, shipped=shipped_results(),
                  figures=figure_cache(), views=_views).start()
    _WARMUPS.append(warm)
    return warm


_WARMUPS: list[Warmup] = []  # the process's warm-up, once started


def warmup_status() -> str:
    """A line on the warm-up while it runs ("" when done, off or not started)."""
    running = [w for w in _WARMUPS if not w.finished.is_set()]
    return running[-1].status() if running else ""


def _progress_to(bar: Any) -> Callable[[float, str], None]:
    """A progress callback (fraction done, line) drawing into `bar`; fractions clamped to [0, 1]."""
    return lambda fraction, line: bar.progress(min(max(fraction, 0.0), 1.0), text=line)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_call(fn_name: str, _fn: Callable, settings: Settings) -> Any:
    """Memory cache (shared by every session) over the disk store over the shipped results over
    the computation."""
    if (stored := stored_result(fn_name, settings)) is not None:
        return stored
    store = result_store()
    # Created inside the cached function (elements made outside it break cache replay) and
    # emptied at the end, so a replayed cache hit shows nothing.
    bar = st.empty()
    show_progress = _progress_to(bar)

    if store is not None and INFLIGHT.wait(job_key(fn_name, settings), show_progress):
        if (stored := store.get(fn_name, settings)) is not None:  # the warm-up finished it
            bar.empty()
            return stored
    with INFLIGHT.visiting(), progress.reporting(show_progress):
        value = _fn(settings)
    bar.empty()
    runtime.release_freed_memory()  # this run's scratch memory back to the system (runtime.py)
    if store is not None:
        try:
            store.put(fn_name, settings, value)
        except OSError:  # a full or read-only disk costs the restart speed-up, never the page
            pass
    return value


def run_cached(fn: Callable[[Settings], Any], settings: Settings,
               spinner: str = "Training the models…") -> Any | None:
    """fn(settings), cached by value; a refused or invalid run is shown, not raised."""
    name = job_name(fn)
    try:
        with st.spinner(spinner):
            return _cached_call(name, fn, settings)
    except BudgetError as err:
        st.error(f"Not started: {err}")
    except ValueError as err:
        st.error(f"These settings cannot run: {err}")
    return None


LIVE_ENTRIES = 8  # live measurements kept (they are small, but each took seconds of the machine)
LIVE_TTL = 3600  # seconds a live measurement is shown before it is taken again


@st.cache_data(max_entries=LIVE_ENTRIES, ttl=LIVE_TTL, show_spinner=False)
def _live_call(fn_name: str, _fn: Callable, settings: Settings, measurement: int) -> Any:
    bar = st.progress(0.0, text="Measuring…")
    out = _fn(settings, _progress_to(bar))
    bar.empty()
    return out


def run_live(fn: Callable[[Settings, Callable[[float, str], None]], Any], settings: Settings, *,
             key: str, button: str = "Measure again") -> Any | None:
    """fn(settings, progress) for a live measurement (not a function of the settings alone).

    Cached per settings and measurement for at most an hour; the button (widget
    `key`) starts a new measurement. A refused or invalid one is shown, not raised.
    """
    state = f"{key}.measurement"
    st.button(button, key=key, icon=":material/timer:",
              on_click=lambda: st.session_state.__setitem__(state, time.time_ns()))
    try:
        return _live_call(job_name(fn), fn, settings,
                          st.session_state.setdefault(state, 0))
    except ValueError as err:  # BudgetError included: refused before any measurement
        st.error(f"Not measured: {err}")
    return None
