"""AppTest the way a server runs: the component scan paid once per process, not per session.

Every new `AppTest` scans the installed packages' metadata for Streamlit
components on its first run (`BidiComponentManager.discover_and_register_components`,
0.25-0.65 s on the 2-core machine); a real server does that once, when it
starts. `like_a_server()` makes every AppTest of this process share one
manager scanned once, so a benchmark that opens each view in a new AppTest
times the server's work for that view, not the scan.
"""

from __future__ import annotations

import streamlit.testing.v1.app_test as app_test

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
