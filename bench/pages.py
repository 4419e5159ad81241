"""Time each page's default view through AppTest: cold, warm, after a restart, and shipped.

    python -m bench.pages [--threads N] [--cores N] [--page pages/vanishing.py ...]

Prints whether the shipped set is current (depthkit.serving.ship), then one line per
page: `page=... cold_s=... warm_s=... restart_s=... shipped_s=...`.
Cold runs start with empty memory caches, an empty disk store and no shipped
results: everything the page shows is computed; warm runs repeat the same
page with the caches filled (the rerun a viewer gets when nothing changed);
restart runs clear the memory caches but keep the disk store (a server that
restarted); shipped runs start like cold ones but with the results shipped
with the app (data/shipped: a freshly booted Community Cloud app). The
Training speed page's live timing is measured in every one of them except
warm (it is never stored or shipped). Import and app start-up are paid once
before timing. `--cores 1` pins the process to one CPU (os.sched_setaffinity),
like a small hosted server.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import streamlit as st
import torch

import depthkit  # noqa: F401
from bench.apptest import like_a_server
from depthkit.serving import ship
from tests.apptest_util import PAGES, open_page


def _timed_open(page: str) -> tuple[float, object]:
    t = time.perf_counter()
    at = open_page(page)
    seconds = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    return seconds, at


def _fresh(results: str, shipped: str) -> None:
    """A new server process: empty memory caches, this disk store and shipped folder."""
    os.environ["DEPTHKIT_RESULTS"], os.environ["DEPTHKIT_SHIPPED"] = results, shipped
    st.cache_data.clear()
    st.cache_resource.clear()  # figures and the store handles


def time_page(page: str) -> tuple[float, float, float, float]:
    results = tempfile.mkdtemp(prefix="bench-results-")  # an empty disk store
    _fresh(results, "off")
    cold, at = _timed_open(page)
    t = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t
    _fresh(results, "off")  # a restart: memory gone, disk kept
    restart, _ = _timed_open(page)
    _fresh(tempfile.mkdtemp(prefix="bench-results-"), str(ship.SHIPPED_DIR))  # a fresh Cloud boot
    shipped, _ = _timed_open(page)
    return cold, warm, restart, shipped


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cores", type=int, default=0, help="pin to this many CPUs (0: all)")
    ap.add_argument("--page", action="append", default=None)
    args = ap.parse_args()
    like_a_server()  # the component scan once, as a server does at start (bench/apptest.py)
    os.environ["DEPTHKIT_WARMUP"] = "off"  # nothing computing beside the page being timed
    _fresh(tempfile.mkdtemp(prefix="bench-results-"), "off")
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    torch.set_num_threads(args.threads)
    open_page("pages/home.py")  # imports and app start-up, not part of any page's time
    print(f"threads={args.threads} cores={len(os.sched_getaffinity(0))}")
    print(ship.status().line())
    for page in args.page or PAGES:
        cold, warm, restart, shipped = time_page(page)
        print(f"page={page} cold_s={cold:.2f} warm_s={warm:.3f} restart_s={restart:.2f} "
              f"shipped_s={shipped:.2f}", flush=True)


if __name__ == "__main__":
    main()
