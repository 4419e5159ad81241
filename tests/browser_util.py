"""A `streamlit run` server and Debian's chromium driven by Playwright, for the browser tests.

Playwright's own browser download is never used: chromium comes from apt
(scripts/test.sh installs it) and is launched through executable_path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from tests.apptest_util import ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-dev-shm-usage"]
LOAD_TIMEOUT_MS = 180_000  # cold imports + a page's training on 2 shared cores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: str = "streamlit_app.py", timeout: float = 120, threads: int = 1,
                     env_vars: dict[str, str | None] | None = None):
    """Serve `script` on a free loopback port; yields the base URL; stops it afterwards.

    `env_vars` set (or, with None, unset) variables of the server's environment only.
    """
    port = free_port()
    env = {**os.environ, "DEPTHKIT_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    for name, value in (env_vars or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read().decode()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {url} within {timeout} s")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("chromium is not installed: run scripts/test.sh (it apt-installs it)")
    return path


@contextlib.contextmanager
def chromium():
    """A headless Debian chromium under Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    # Playwright gives the browser a fresh temporary profile of its own
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# True while the app is still working: the running indicator or stale elements.
# Busy: Streamlit's running indicator, stale or skeleton elements, or the spinner ui.run_cached
# shows while it computes (with toolbarMode "minimal" the running indicator alone is not a reliable
# sign). Not progress bars: the Mission shows one for the learner's progress all the time.
_BUSY_JS = """() => !!document.querySelector('[data-testid="stStatusWidget"]')
    || !!document.querySelector('[data-stale="true"]')
    || !!document.querySelector('[data-testid="stSkeleton"]')
    || !!document.querySelector('[data-testid="stSpinner"]')"""


def wait_until_done(page, timeout_ms: int = LOAD_TIMEOUT_MS, quiet_ms: int = 1000,
                    ready_js: str | None = None) -> None:
    """Wait for the page's title, then until the script has been idle (and `ready_js`, where given,
    true) for `quiet_ms`."""
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    idle_since = None
    while time.monotonic() < deadline:
        if page.evaluate(_BUSY_JS) or (ready_js is not None and not page.evaluate(ready_js)):
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif (time.monotonic() - idle_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(200)
    raise TimeoutError(f"{page.url}: still running after {timeout_ms} ms")


CHART_DATA_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
    .map(d => (d.data || []).map(t => JSON.stringify([t.x, t.y, t.z])))"""


def chart_data(page) -> list:
    """The data of every plotly chart on the page, as drawn in the browser."""
    return page.evaluate(CHART_DATA_JS)


def page_path(page_file: str, default: str = "pages/home.py") -> str:
    """The URL path st.navigation gives a page file."""
    return "/" if page_file == default else "/" + page_file.rsplit("/", 1)[-1].removesuffix(".py")


# An st.expander opens with an animation (Streamlit 1.67: 500 ms of the <details> height, whatever the
# reduced-motion setting), and its content slides into place meanwhile. Its widgets report a still box in
# the first frames, so Playwright's "stable" check can pass and a click start on a toggle and end beside
# it: the browser then sends the click to an ancestor and the toggle never flips. Open means: open, no
# animation left in it, no height held for one, for a few frames in a row (a resize of its content
# starts another animation some 10 ms later).
# Clicks every closed expander open.
OPEN_EXPANDERS_JS = "() => document.querySelectorAll('details:not([open]) > summary').forEach(s => s.click())"

_EXPANDER_OPEN_JS = """d => {
    const still = d.open && d.style.height === '' && d.getAnimations({subtree: true}).length === 0;
    d.__stillFrames = still ? (d.__stillFrames || 0) + 1 : 0;
    return d.__stillFrames >= 5;
}"""


def open_expander(page, label: str, timeout_ms: float | None = None) -> None:
    """Click the st.expander labelled `label` open and wait until its content stays in place.

    What a person sees too: the content slides down, then stands still; only then can it be clicked.
    """
    expander = page.locator('[data-testid="stExpander"]', has_text=label)
    expander.locator("summary").click()
    details = expander.locator("details").element_handle()
    page.wait_for_function(_EXPANDER_OPEN_JS, arg=details, polling="raf", timeout=timeout_ms)
