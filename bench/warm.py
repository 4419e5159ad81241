"""The warm-up: how long it takes, and how fast every default view and preset opens afterwards.

    python -m bench.warm [--cores N]

1. `warmup_seconds=`: the warm-up (depthkit.serving.warmup, as the server starts it)
   computes its jobs (every challenge page's default view and presets,
   depthkit.experiments.warmup_jobs) into an empty disk store, then draws their
   charts in both modes (depthkit.presentation.views, depthkit.serving.figures), in this process,
   on 1 torch thread.
2. `max_default_or_preset_seconds=`: then, for every page x (default + each
   preset), a new session (AppTest through the app shell) opens that view, as
   on a server after its warm-up: the results' memory cache is emptied before
   each view (the result is read from disk, as for a view nobody has opened
   yet), the figures the warm-up drew stay in memory. The slowest view, in
   seconds of this process's time.
3. `after_restart_max_seconds=`: the same in a fresh process (a restarted
   server) that keeps the disk store: its warm-up finds every result and
   figure there (`restart_warmup_seconds=`, reading them), then the views.
The Training speed page's live timing is not part of the warm-up: it is
measured live, by the first visitor of the hour (`ui.run_live` keeps a
measurement for an hour). `live_timing_view_seconds=` is that visitor's view
(the page's default view at the timing's cheapest settings, a new measurement
and its four charts); the views above are those of later visitors in that hour.
A view's seconds are the whole AppTest run: the app shell, the page's script
and every figure it draws (bench/apptest.py keeps Streamlit's per-AppTest
component scan out, as a server pays it once at start; each process opens
Home once, untimed, for its imports). The results shipped with the app are
switched off here (DEPTHKIT_SHIPPED=off): the warm-up computes everything.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import torch

import depthkit  # noqa: F401
from bench.apptest import like_a_server
from depthkit import ui
from depthkit.experiments import warmup_jobs
from depthkit.presentation import views
from depthkit.serving.warmup import InFlight, Warmup, jobs_of
from depthkit.ui import peek
from tests.apptest_util import open_page

CHEAP_TIMING = {"time_max_depth": "16", "time_width2": "0", "repeats": "3", "compare_threads": "0"}


def view_queries() -> list[tuple[str, str, dict[str, str]]]:
    """(page, label, query) for every default view and preset."""
    out = []
    for page, (cls, presets, _) in views.PAGES.items():
        for label, overrides in {"default": {}, **presets}.items():
            settings, defaults = cls(**overrides).to_strings(), cls().to_strings()
            query = {k: v for k, v in settings.items() if v != defaults[k]}
            if page == "pages/speed.py":
                query.update(CHEAP_TIMING)
            out.append((page, label, query))
    return out


def new_session() -> None:
    """Forget what the previous view put in memory, as a server would have for a view nobody
    opened yet: the results' memory caches (the disk store keeps them), not the figures the
    warm-up drew nor the last hour's live timing."""
    ui._cached_call.clear()
    peek._from_store.clear()


def live_timing_view() -> None:
    """The first Training speed visitor of the hour: the live timing measured, its charts drawn."""
    new_session()
    t = time.perf_counter()
    open_page("pages/speed.py", query=CHEAP_TIMING)
    print(f"live_timing_view_seconds={time.perf_counter() - t:.2f}", flush=True)


def slowest_view() -> tuple[float, str]:
    live_timing_view()
    worst = (0.0, "")
    for page, label, query in view_queries():
        new_session()
        t = time.perf_counter()
        at = open_page(page, query=query)
        seconds = time.perf_counter() - t
        if at.exception:
            raise RuntimeError(f"{page} {label}: {at.exception[0].message}")
        print(f"view page={page} preset={label!r} seconds={seconds:.2f}", flush=True)
        worst = max(worst, (seconds, f"{page} {label}"))
    return worst


def warm_up(prefix: str = "") -> None:
    """The server's warm-up (ui.start_warmup's), run here to its end."""
    jobs = jobs_of(warmup_jobs())
    warm = Warmup(jobs, ui.result_store(), InFlight(), figures=ui.figure_cache(), views=views.all_views)
    t = time.perf_counter()
    warm.run()
    print(f"{prefix}warmup_jobs={len(jobs)} {prefix}warmup_figures={warm.figures_total} "
          f"{prefix}warmup_seconds={time.perf_counter() - t:.1f} errors={len(warm.errors)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cores", type=int, default=0)
    ap.add_argument("--restart-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    like_a_server()  # the component scan once, as a server does at start (bench/apptest.py)
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    torch.set_num_threads(1)
    os.environ["DEPTHKIT_WARMUP"] = "off"  # the app shell must not start a second one
    os.environ["DEPTHKIT_SHIPPED"] = "off"  # an empty disk store and nothing shipped
    if args.restart_only:
        open_page("pages/home.py")  # imports and app start-up, not part of the timings
        warm_up("restart_")
        seconds, which = slowest_view()
        print(f"after_restart_max_seconds={seconds:.2f} slowest={which!r}")
        return
    folder = tempfile.mkdtemp(prefix="bench-warm-")
    os.environ["DEPTHKIT_RESULTS"] = folder
    open_page("pages/home.py")  # imports and app start-up, not part of the timings
    warm_up()
    seconds, which = slowest_view()
    print(f"max_default_or_preset_seconds={seconds:.2f} slowest={which!r}")
    cmd = [sys.executable, "-m", "bench.warm", "--restart-only"]
    cmd += ["--cores", str(args.cores)] if args.cores else []
    subprocess.run(cmd, check=True, env={**os.environ, "DEPTHKIT_RESULTS": folder})


if __name__ == "__main__":
    main()
