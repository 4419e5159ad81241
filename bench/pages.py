"""Time each page's default view through AppTest: cold, warm, and after a restart.

    python -m bench.pages [--threads N] [--cores N] [--page pages/vanishing.py ...]

Prints one line per page: `page=... cold_s=... warm_s=... restart_s=...`.
Cold runs start with empty memory caches and an empty disk store; warm runs
repeat the same page with the caches filled (the rerun a viewer gets when
nothing changed); restart runs clear the memory caches but keep the disk
store (a server that restarted). Import and app start-up are paid once
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
from tests.apptest_util import PAGES, open_page


def _timed_open(page: str) -> tuple[float, object]:
    t = time.perf_counter()
    at = open_page(page)
    seconds = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    return seconds, at


def time_page(page: str) -> tuple[float, float, float]:
    os.environ["DEPTHKIT_RESULTS"] = tempfile.mkdtemp(prefix="bench-results-")  # an empty disk store
    st.cache_data.clear()
    st.cache_resource.clear()  # figures and the store handle
    cold, at = _timed_open(page)
    t = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t
    st.cache_data.clear()  # a restart: memory gone, disk kept
    st.cache_resource.clear()
    restart, _ = _timed_open(page)
    return cold, warm, restart


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cores", type=int, default=0, help="pin to this many CPUs (0: all)")
    ap.add_argument("--page", action="append", default=None)
    args = ap.parse_args()
    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.cores]))
    torch.set_num_threads(args.threads)
    open_page("pages/home.py")  # imports and app start-up, not part of any page's time
    print(f"threads={args.threads} cores={len(os.sched_getaffinity(0))}")
    for page in args.page or PAGES:
        cold, warm, restart = time_page(page)
        print(f"page={page} cold_s={cold:.2f} warm_s={warm:.3f} restart_s={restart:.2f}")


if __name__ == "__main__":
    main()
