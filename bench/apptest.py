"""AppTest the way a server runs: the component scan paid once per process, not per session,
and no test harness polling beside the script.

Every new `AppTest` scans the installed packages' metadata for Streamlit
components on its first run (`BidiComponentManager.discover_and_register_components`,
0.25-0.65 s on the 2-core machine); a real server does that once, when it
starts. `like_a_server()` makes every AppTest of this process share one
manager scanned once, so a benchmark that opens each view in a new AppTest
times the server's work for that view, not the scan.

AppTest also waits for a run by waking every millisecond to scan the run's
events (`local_script_runner.require_widgets_deltas`). On one core each wake-up
takes the interpreter lock and the CPU from the script being timed: a page
that trains for 1.5 s took ~6% longer (measured with a thread polling like it).
A server's browser connection waits without polling; `like_a_server()` makes
AppTest wait for the run's SHUTDOWN event the same way.
"""

from __future__ import annotations

import threading

import streamlit.testing.v1.app_test as app_test
import streamlit.testing.v1.local_script_runner as local_script_runner
from streamlit.runtime.scriptrunner import ScriptRunnerEvent

_shared = None


def like_a_server() -> None:
    """Scan once now; later AppTests reuse that scan (idempotent)."""
    global _shared
    if _shared is not None:
        return
    manager = app_test.BidiComponentManager()
    manager.discover_and_register_components(start_file_watching=False)
    manager.discover_and_register_components = lambda **_: None  # already done, for this process
    _shared = manager

    class _Shared:
        def __new__(cls):
            return _shared

    app_test.BidiComponentManager = _Shared
    local_script_runner.require_widgets_deltas = _wait_for_shutdown


def _wait_for_shutdown(runner: local_script_runner.LocalScriptRunner, timeout: float = 3) -> None:
    """`require_widgets_deltas` without polling: block until the run's SHUTDOWN event."""
    done = threading.Event()

    def on_event(sender: object, event: ScriptRunnerEvent, **_: object) -> None:
        if event == ScriptRunnerEvent.SHUTDOWN:
            done.set()

    runner.on_event.connect(on_event, weak=False)
    try:
        if runner.script_stopped() or done.wait(timeout):  # the check: it may have ended already
            return
    finally:
        runner.on_event.disconnect(on_event)
    runner.request_stop()  # as AppTest does on a timeout, so that the script does not hang
    runner.join()
    raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")
