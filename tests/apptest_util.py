"""Helpers for running pages through the real entry point with AppTest."""

import pathlib
import re

from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ENTRY = str(ROOT / "streamlit_app.py")
PAGES = re.findall(r'st\.Page\("([^"]+)"', (ROOT / "streamlit_app.py").read_text())


_pages_manager_init = PagesManager.__init__


def _init_without_old_pages_mode(self, *args, **kwargs):
    """AppTest resets Streamlit's old pages/ mode flag before every run, so each run after
    `switch_page` would run the page file alone; a real server leaves that mode for good on
    its first run (ui.ensure_app_shell). Here every run goes through the app shell, as on
    a server, instead of restarting itself (which would drop a click)."""
    _pages_manager_init(self, *args, **kwargs)
    PagesManager.uses_pages_directory = False


PagesManager.__init__ = _init_without_old_pages_mode


def open_page(page: str, query: dict[str, str] | None = None, timeout: float = 180) -> AppTest:
    """Run the app, switch to `page` (a path from the registry) and return the AppTest.

    Pages use st.page_link, which only works under st.navigation, so they are
    opened through streamlit_app.py rather than on their own.
    """
    at = AppTest.from_file(ENTRY, default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    return at


def plotly_specs(at: AppTest) -> list[dict]:
    """The JSON specs of every plotly chart on the page."""
    import json
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
