"""Peak memory of one Streamlit process after every page has been opened with 20 settings.

    python -m bench.memory [--per-page 20] [--threads 1]

Runs in one process through AppTest (the same st.cache_data a server shares
between its sessions): each registered page is opened with `--per-page`
different settings (its presets, then other seeds, then other choices), and
the process's resident memory is printed after each page and at the end.
As on a server: the disk store on (a new empty folder, so every setting is
computed once and written), the results shipped with the app read, no
background warm-up. Target: peak RSS at most 690 MB, Streamlit Community
Cloud's smallest memory.
"""

from __future__ import annotations

import argparse
import gc
import os
import pathlib
import resource
import tempfile
import time

import torch

import depthkit  # noqa: F401
from bench.apptest import like_a_server
from depthkit.core.spec import specs
from tests.apptest_util import PAGES, open_page
from tests.links_util import experiment, settings_classes

TARGET_MB = 690  # Community Cloud's smallest memory


def rss_mb() -> float:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def variants(page: str, n: int) -> list[dict[str, str]]:
    """n different queries for a page: its presets, then seeds, then other choices."""
    classes = settings_classes(page)
    if not classes:
        return [{"visit": str(i)} for i in range(n)]  # nothing to vary: n opens
    out: list[dict[str, str]] = [{}]
    mod = experiment(page)
    for overrides in getattr(mod, "PRESETS", {}).values():
        cls = classes[0]
        defaults = cls().to_strings()
        try:
            full = cls(**{**cls().__dict__, **overrides}).to_strings()
        except (TypeError, ValueError):
            continue
        out.append({k: v for k, v in full.items() if v != defaults[k]})
    fields = {name: spec for cls in classes for name, spec in specs(cls).items()}
    seeds = [name for name in fields if "seed" in name]
    for i in range(1, n + 1):
        for name in seeds:
            out.append({name: str(fields[name].default + i)})
    for name, spec in fields.items():
        for option in spec.options if spec.kind == "choice" else ():
            if option != spec.default:
                out.append({name: str(option)})
    unique = []
    for q in out:
        if q not in unique:
            unique.append(q)
    return unique[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.environ["DEPTHKIT_RESULTS"] = tempfile.mkdtemp(prefix="bench-memory-")  # disk store on, empty
    os.environ["DEPTHKIT_WARMUP"] = "off"
    like_a_server()  # the component scan once, as a server does at start (bench/apptest.py)
    torch.set_num_threads(args.threads)
    open_page("pages/home.py")
    print(f"start rss_mb={rss_mb():.0f} (after imports and one app run)")
    t0 = time.perf_counter()
    for page in PAGES:
        t = time.perf_counter()
        queries = variants(page, args.per_page)
        errors = 0
        for query in queries:
            at = open_page(page, query=query)
            errors += bool(at.exception)
        print(f"page={page} opens={len(queries)} errors={errors} s={time.perf_counter() - t:.1f} "
              f"rss_mb={rss_mb():.0f} peak_mb={peak_mb():.0f}")
    gc.collect()
    print(f"end rss_mb={rss_mb():.0f} peak_mb={peak_mb():.0f} total_s={time.perf_counter() - t0:.0f} "
          f"target_peak_mb<={TARGET_MB} {'OK' if peak_mb() <= TARGET_MB else 'OVER'}")


if __name__ == "__main__":
    main()
