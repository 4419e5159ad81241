"""One workshop room under load: a presenter and N attendees over Streamlit's websocket.

    python -m bench.poll_load [--attendees 100] [--reload-share 0.33] [--server-cpus 0,1]

Starts the app on a free loopback port with an empty poll database and no
background warm-up (unless --url is given). A presenter session opens the Mission page in presenter mode
and presses "Open a room", as a browser would; it then redraws its live view
on the timer the server asks for (the fragment's run_every), reading the
"Answered this question" figure each time. N attendee sessions open the join
link shown on the presenter's screen (no attendee id in it), redraw on their
own timer, and answer the question on screen (radio + Send, as widget states)
at a random moment within the first seconds. A share of them then reload
(a new websocket with the id their URL was given) and send an answer again
(a change of mind that must replace, not add).

Prints `answers_sent=` (distinct attendees whose Send succeeded),
`answers_counted=` (answers in the database), `lost=` (sent but missing or
not the last choice), `double_counted=` (rows beyond one per attendee),
`attendees=` (joined, reloads included), `p95_seconds_to_presenter=` (from an
attendee's Send finishing to the presenter's screen counting it) and
`server_rss_mb=` (the server's peak resident memory, VmHWM). Loopback only.

Then the room waits (everyone answered, the presenter talks): for QUIET_S
seconds every attendee keeps redrawing on its timer and nothing changes.
`quiet_attendee_redraws=` counts those redraws and
`server_cpu_ms_per_attendee_redraw=` divides the server's CPU time in that
window (its /proc utime + stime, the presenter's redraws included) by them:
the cost that grows with the room, and what a smaller server (Community
Cloud's share of one CPU) has to afford 100 / 3 s times a second. Then the
presenter presses Next: `p95_seconds_to_phones=` is the time from the
presenter's screen showing the next question to each phone's timer redraw
showing it (the attendee timer alone makes it up to 3 s; goal ~3 s).

The clients share the machine with the server: over a 100-attendee run they
used 1-4% of one core (protobuf decoding included; `client_cpu_pct=`), so
they do not starve the server, which runs Python scripts under one GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from urllib.parse import parse_qs

import websockets  # a Streamlit dependency
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from depthkit.workshop import poll, quiz
from tests.apptest_util import ROOT
from tests.browser_util import free_port

MAX_ATTENDEES = 300
TIMEOUT_S = 120
ANSWER_WINDOW_S = 8.0  # attendees answer at random within this many seconds of joining
QUIET_S = 6.0  # the room waiting after everyone answered: only timer redraws
FOLLOW_TIMEOUT_S = 30.0  # after Next, how long the phones are given to show the next question


class Session:
    """One browser tab: a websocket, the page's query, the widgets and the fragment timer it saw."""

    def __init__(self, ws_url: str, query: str):
        self.ws_url, self.query = ws_url, query
        self.ws = None
        self.widgets: dict[str, object] = {}  # user key -> element proto (radio, button, metric...)
        self.texts: list[str] = []
        self.fragment: str | None = None
        self.interval = 2.0
        self.lock = asyncio.Lock()

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**27,
                                           open_timeout=60, ping_interval=None)

    async def run(self, states=(), fragment: str | None = None, auto: bool = False) -> None:
        """One script run (or fragment run), reading what it draws until it finishes."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query
        msg.rerun_script.page_name = "mission"
        msg.rerun_script.is_auto_rerun = auto
        if fragment:
            msg.rerun_script.fragment_id = fragment
        for state in states:
            msg.rerun_script.widget_states.widgets.append(state)
        async with self.lock:
            self.texts = []
            await self.ws.send(msg.SerializeToString())
            while True:
                fwd = ForwardMsg()
                fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout=TIMEOUT_S))
                if self._read(fwd):
                    return

    def _read(self, fwd: ForwardMsg) -> bool:
        kind = fwd.WhichOneof("type")
        if kind == "page_info_changed":
            self.query = fwd.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.fragment, self.interval = fwd.auto_rerun.fragment_id, fwd.auto_rerun.interval
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            which = el.WhichOneof("type")
            inner = getattr(el, which)
            if which == "exception":
                raise RuntimeError(f"exception on the page: {inner.message[:200]}")
            ident = getattr(inner, "id", "")
            if isinstance(ident, str) and ident:
                self.widgets[ident.split("-", 2)[-1]] = inner  # "$$ID-<hash>-<user key>"
            if which in ("code", "metric", "alert", "markdown"):
                self.texts.append(getattr(inner, "code_text", "") or getattr(inner, "body", ""))
                if which == "metric":
                    self.widgets["metric"] = inner
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
            return status != "FINISHED_EARLY_FOR_RERUN"
        return False

    def state(self, key: str, **value):
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        return WidgetState(id=self.widgets[key].id, **value)


async def presenter(ws_url: str, out: dict, stop: asyncio.Event) -> None:
    """Open a room, then redraw the live view on the server's timer and log the count it shows."""
    p = Session(ws_url, "mode=present")
    await p.connect()
    await p.run()
    await p.run([p.state("mission.open_room", trigger_value=True)])
    link = next(t for t in p.texts if "room=" in t)
    out["code"] = re.search(r"room=([A-Z0-9]{6})", link).group(1)
    out["presenter"] = p
    out["seen"] = []  # (time, answered)
    while not stop.is_set():
        await asyncio.sleep(p.interval)
        await p.run(fragment=p.fragment, auto=True)
        if "metric" in p.widgets:
            answered = int(p.widgets["metric"].body.split(" of ")[0].replace(",", ""))
            out["seen"].append((time.perf_counter(), answered))
    await p.ws.close()


async def attendee(ws_url: str, link_query: str, reload: bool, rng: random.Random, log: dict,
                   done: asyncio.Event) -> None:
    """Join by the link, answer, maybe reload and answer again, then keep redrawing until `done`."""
    a = Session(ws_url, link_query)
    await a.connect()
    await a.run()
    if "me" not in parse_qs(a.query):
        raise RuntimeError(f"did not join: query {a.query!r}, page said {' | '.join(a.texts)[:300]!r}")
    me = parse_qs(a.query)["me"][0]
    ticker = asyncio.create_task(_tick(a, log, me))
    await asyncio.sleep(rng.uniform(0, ANSWER_WINDOW_S))
    first = await _answer(a, rng)
    log["first"][me] = (time.perf_counter(), first)
    if reload:
        await _close(a, ticker)
        await asyncio.sleep(rng.uniform(0.5, 3))
        a = Session(ws_url, a.query)  # the tab's URL now carries ?me=: the same attendee
        await a.connect()
        await a.run()
        ticker = asyncio.create_task(_tick(a, log, me))
        log["last"][me] = await _answer(a, rng)
        log["reloaded"].add(me)
    else:
        log["last"][me] = first
    log["settled"] += 1
    await done.wait()
    await _close(a, ticker)


async def _tick(s: Session, log: dict, me: str) -> None:
    """The fragment's run_every timer, as the browser runs it; notes when the next question shows."""
    while True:
        await asyncio.sleep(s.interval)
        t = time.perf_counter()
        await s.run(fragment=s.fragment, auto=True)
        log["redraws"] += 1
        log["redraw_s"].append(time.perf_counter() - t)
        shows = "next_prompt" in log and any(log["next_prompt"] in t for t in s.texts)
        if shows and me not in log["followed"]:
            log["followed"][me] = time.perf_counter()


async def _close(s: Session, ticker: asyncio.Task) -> None:
    """Stop the tab's timer (waiting for it, so no redraw hits a closed socket), then its socket."""
    ticker.cancel()
    await asyncio.gather(ticker, return_exceptions=True)
    await s.ws.close()


async def _answer(s: Session, rng: random.Random) -> str:
    """Pick an option of the radio on screen and press Send; returns the option label sent."""
    radio_key = next(k for k in s.widgets if k.startswith("mission.poll."))
    options = list(s.widgets[radio_key].options)
    label = rng.choice(options)
    send_key = "mission.send." + radio_key.rsplit(".", 1)[-1]
    await s.run([s.state(radio_key, string_value=label), s.state(send_key, trigger_value=True)],
                fragment=s.fragment)
    return label


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _settled(coro, log: dict) -> None:
    """An attendee that fails counts as settled, so that the quiet phase still starts."""
    try:
        await coro
    except BaseException:
        log["settled"] += 1
        raise


async def quiet_then_next(log: dict, n: int, server_pid: int, p: Session, done: asyncio.Event) -> None:
    """Once every attendee has answered: QUIET_S seconds of timer redraws only, timed; then the
    presenter presses Next and every phone's timer must bring the next question (FOLLOW_TIMEOUT_S)."""
    try:
        while log["settled"] < n:
            await asyncio.sleep(0.2)
        redraws, cpu, t = log["redraws"], cpu_seconds(server_pid), time.perf_counter()
        await asyncio.sleep(QUIET_S)
        log["quiet"] = (log["redraws"] - redraws, cpu_seconds(server_pid) - cpu, time.perf_counter() - t)
        log["next_prompt"] = quiz.BANK[1].prompt
        await p.run([p.state("mission.next", trigger_value=True)], fragment=p.fragment)
        log["next_at"] = time.perf_counter()  # the presenter's screen shows the next question
        deadline = log["next_at"] + FOLLOW_TIMEOUT_S
        while len(log["followed"]) < len(log["last"]) and time.perf_counter() < deadline:
            await asyncio.sleep(0.2)
    finally:
        done.set()


async def load(base: str, n: int, reload_share: float, seed: int, server_pid: int) -> dict:
    ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
    out: dict = {}
    stop = asyncio.Event()
    pres = asyncio.create_task(presenter(ws_url, out, stop))
    while "code" not in out:
        await asyncio.sleep(0.2)
    rng = random.Random(seed)
    log: dict = {"first": {}, "last": {}, "reloaded": set(), "settled": 0, "redraws": 0, "followed": {},
                 "redraw_s": []}
    reloaders = set(rng.sample(range(n), int(round(n * reload_share))))
    query = f"mode=join&room={out['code']}"
    done = asyncio.Event()
    timer = asyncio.create_task(quiet_then_next(log, n, server_pid, out["presenter"], done))
    results = await asyncio.gather(*(_settled(attendee(ws_url, query, i in reloaders, random.Random(seed + i),
                                                       log, done), log) for i in range(n)),
                                   return_exceptions=True)
    timer.cancel()
    await asyncio.sleep(5)  # two more presenter redraws
    stop.set()
    await pres
    out.update(log, errors=[r for r in results if isinstance(r, BaseException)], n=n)
    return out


def report(out: dict, db: poll.PollStore, rss: float | None) -> None:
    q = quiz.BANK[0]
    state = db.snapshot(out["code"], counts=True)
    rows = db.summary(out["code"])
    counted = state.counts[q.id].answered
    order = quiz.option_order(q, state.room.seed)
    labels = {f"{poll.LETTERS[i]}. {q.option_text(o)}": o for i, o in enumerate(order)}
    expected = {o: 0 for o in q.option_ids}
    for label in out["last"].values():
        expected[labels[label]] += 1
    lost = sum(max(0, expected[o] - state.counts[q.id].per_option[o]) for o in expected)
    double = max(0, counted - len(out["last"]))
    firsts = sorted(t for t, _ in out["first"].values())
    delays = []
    for k, t in enumerate(firsts, 1):
        seen = next((ts for ts, answered in out["seen"] if ts >= t and answered >= k), None)
        delays.append(seen - t if seen is not None else float("inf"))
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(round(0.95 * (len(delays) - 1))))] if delays else float("nan")
    reloaded = len(out["reloaded"])
    times = [ts for ts, _ in out["seen"]]
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    if gaps:
        print(f"presenter_redraws={len(times)} gap_median_s={gaps[len(gaps) // 2]:.2f} "
              f"gap_max_s={gaps[-1]:.2f}")
    print(f"attendees={out['n']} joined={state.attendees} reloaded_and_resent={reloaded} "
          f"errors={len(out['errors'])}")
    rss_text = f"{rss:.0f}" if rss is not None else "unknown"
    print(f"answers_sent={len(out['last'])} answers_counted={counted} lost={lost} double_counted={double} "
          f"p95_seconds_to_presenter={p95:.2f} server_rss_mb={rss_text}")
    if "quiet" in out:
        redraws, cpu, seconds = out["quiet"]
        per = f"{1000 * cpu / redraws:.1f}" if redraws else "nan"
        print(f"quiet_seconds={seconds:.1f} quiet_attendee_redraws={redraws} "
              f"server_cpu_ms_per_attendee_redraw={per} client_cpu_pct={out['client_cpu_pct']:.0f}")
    took = sorted(out["redraw_s"])
    if took:
        print(f"attendee_redraws={len(took)} redraw_seconds_median={took[len(took) // 2]:.3f} "
              f"p95={took[int(0.95 * (len(took) - 1))]:.3f} max={took[-1]:.3f}")
    if "next_at" in out:
        follow = sorted(out["followed"].get(me, float("inf")) - out["next_at"] for me in out["last"])
        p95_follow = follow[min(len(follow) - 1, int(round(0.95 * (len(follow) - 1))))]
        print(f"phones_showing_next={len(out['followed'])} of {len(follow)} "
              f"p95_seconds_to_phones={p95_follow:.2f} max_seconds_to_phones={follow[-1]:.2f}")
    for err in out["errors"][:5]:
        print(f"  error: {type(err).__name__}: {err}")
    assert rows.attendees == state.attendees


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attendees", type=int, default=100)
    ap.add_argument("--reload-share", type=float, default=1 / 3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--server-cpus", default="", help="pin the server to these CPUs (taskset -c), e.g. 0,1, "
                    "to measure a 2-core server on a larger machine with the clients elsewhere")
    args = ap.parse_args()
    if not 1 <= args.attendees <= MAX_ATTENDEES:
        sys.exit(f"1 to {MAX_ATTENDEES} attendees")
    with tempfile.TemporaryDirectory() as tmp:
        db_file = os.path.join(tmp, "poll.sqlite3")
        port = free_port()
        # no background warm-up: on a workshop's server it finished long before the room joins (and
        # with a current shipped set it has nothing to do); measured here, it would be the load
        env = {**os.environ, poll.ENV_VAR: db_file, "DEPTHKIT_THREADS": "1", "PYTHONUNBUFFERED": "1",
               "DEPTHKIT_WARMUP": "off"}
        log = open(os.path.join(tmp, "server.log"), "wb")
        pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else []
        proc = subprocess.Popen([*pin, sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                                 "--server.port", str(port), "--server.address", "127.0.0.1",
                                 "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, proc)
            t, client = time.perf_counter(), cpu_seconds(os.getpid())
            out = asyncio.run(load(base, args.attendees, args.reload_share, args.seed, proc.pid))
            wall = time.perf_counter() - t
            out["client_cpu_pct"] = 100 * (cpu_seconds(os.getpid()) - client) / wall
            print(f"wall_s={wall:.1f} reload_share={args.reload_share:.2f}")
            report(out, poll.PollStore(db_file), peak_rss_mb(proc.pid))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


def _wait_healthy(base: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit("streamlit did not start")


if __name__ == "__main__":
    main()
