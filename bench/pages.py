"""Time each page's default view through AppTest: cold (empty cache) and warm.

    python -m bench.pages [--threads N] [--page pages/vanishing.py ...]

Prints one line per page: `page=... cold_s=... warm_s=...`. Cold runs clear
Streamlit's data and figure caches first; warm runs repeat the same page with the cache
filled (the rerun a viewer gets when nothing changed). Import and app start-up
are paid once before timing.
"""

from __future__ import annotations

import argparse
import time

import streamlit as st
import torch

import depthkit  # noqa: F401
from tests.apptest_util import PAGES, open_page


def time_page(page: str) -> tuple[float, float]:
    st.cache_data.clear()
    st.cache_resource.clear()  # figures cached by ui.chart_cached
    t = time.perf_counter()
    at = open_page(page)
    cold = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    t = time.perf_counter()
    at.run()
    warm = time.perf_counter() - t
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--page", action="append", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    open_page("pages/home.py")  # imports and app start-up, not part of any page's time
    print(f"threads={args.threads}")
    for page in args.page or PAGES:
        cold, warm = time_page(page)
        print(f"page={page} cold_s={cold:.2f} warm_s={warm:.3f}")


if __name__ == "__main__":
    main()
