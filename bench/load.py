"""N concurrent sessions against a local `streamlit run`, over Streamlit's websocket.

    python -m bench.load [--sessions 10 30] [--threads 1] [--vary-seed] [--url http://127.0.0.1:8501]

Starts the app on a free loopback port (unless --url is given), then opens N
sessions at once; each session opens every registered page in turn, the way a
browser does (a BackMsg `rerun_script` naming the page, then waiting for
`script_finished`). Prints, per N, the p50/p95/max latency of a page open and
the errors (an exception element, a failed run, a timeout, a dropped
connection). `--vary-seed` gives each session its own `seed` (where a page's
Settings have one), so runs miss the cache and really train.

The server it starts runs as the app does, with a new empty disk store, the
results shipped with the app, and no background warm-up (the first, unmeasured
session fills the caches). Loopback only, bounded: at most 64 sessions, 180 s
per page open.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from urllib.parse import urlencode

import websockets  # a Streamlit dependency
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.apptest_util import PAGES
from tests.browser_util import page_path, streamlit_server
from tests.links_util import settings_classes

MAX_SESSIONS = 64
OPEN_TIMEOUT_S = 180


def seed_fields(page: str) -> list[str]:
    from depthkit.core.spec import specs
    return [n for cls in settings_classes(page) for n in specs(cls) if n == "seed"]


async def open_page(ws, page: str, query: dict[str, str]) -> tuple[float, str | None]:
    """Ask the server to run `page`; return (seconds until script_finished, error or None)."""
    msg = BackMsg()
    msg.rerun_script.query_string = urlencode(query)
    msg.rerun_script.page_name = page_path(page).strip("/")
    t = time.perf_counter()
    await ws.send(msg.SerializeToString())
    error = None
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=OPEN_TIMEOUT_S)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            if fwd.delta.new_element.WhichOneof("type") == "exception":
                error = error or f"exception: {fwd.delta.new_element.exception.message[:120]}"
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
            if status == "FINISHED_EARLY_FOR_RERUN":
                continue
            if status != "FINISHED_SUCCESSFULLY":
                error = error or status
            return time.perf_counter() - t, error


async def session(ws_url: str, index: int, vary_seed: bool, results: list) -> None:
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27,
                                      open_timeout=60, ping_interval=None) as ws:
            for page in PAGES:
                query = {f: str(index + 1) for f in seed_fields(page)} if vary_seed else {}
                try:
                    seconds, error = await open_page(ws, page, query)
                except TimeoutError:
                    seconds, error = OPEN_TIMEOUT_S, "timeout"
                results.append((page, seconds, error))
                if error == "timeout":
                    return
    except Exception as err:  # a dropped or refused connection is an error, not a crash
        results.append(("connect", float("nan"), f"{type(err).__name__}: {err}"))


async def load(base: str, n: int, vary_seed: bool) -> list:
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    results: list = []
    await asyncio.gather(*(session(ws_url, i, vary_seed, results) for i in range(n)))
    return results


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def report(n: int, results: list, wall: float) -> None:
    ok = [s for _, s, e in results if e is None]
    errors = [(p, e) for p, _, e in results if e is not None]
    print(f"sessions={n} page_opens={len(results)} errors={len(errors)} "
          f"p50_s={pct(ok, 0.5):.2f} p95_s={pct(ok, 0.95):.2f} max_s={max(ok, default=float('nan')):.2f} "
          f"wall_s={wall:.1f}")
    for page in PAGES:
        times = [s for p, s, e in results if p == page and e is None]
        if times:
            print(f"  {page}: p50_s={statistics.median(times):.2f} p95_s={pct(times, 0.95):.2f}")
    for p, e in errors[:10]:
        print(f"  error {p}: {e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, nargs="+", default=[10, 30])
    ap.add_argument("--threads", type=int, default=1, help="DEPTHKIT_THREADS of the server")
    ap.add_argument("--vary-seed", action="store_true")
    ap.add_argument("--url", default=None, help="an already running local server")
    args = ap.parse_args()
    if any(n > MAX_SESSIONS for n in args.sessions):
        sys.exit(f"at most {MAX_SESSIONS} sessions")
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        sys.exit("loopback only")

    def run_all(base: str) -> None:
        asyncio.run(load(base, 1, False))  # warm-up: imports and first runs, not measured
        for n in args.sessions:
            t = time.perf_counter()
            results = asyncio.run(load(base, n, args.vary_seed))
            report(n, results, time.perf_counter() - t)

    print(f"threads={args.threads} vary_seed={args.vary_seed} pages={len(PAGES)}")
    os.environ["DEPTHKIT_RESULTS"] = tempfile.mkdtemp(prefix="bench-load-")  # the server inherits these
    os.environ["DEPTHKIT_WARMUP"] = "off"
    if args.url:
        run_all(args.url)
    else:
        with streamlit_server("streamlit_app.py", threads=args.threads) as base:
            run_all(base)


if __name__ == "__main__":
    main()
