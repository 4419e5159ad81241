"""Regenerate the README's screenshots from the running app: a challenge page and a workshop room.

Run from the repository root, with the test requirements installed (Playwright for Python; no
browser download: Debian's `chromium` is driven through `executable_path`):

    python -m scripts.screenshots

It starts `streamlit run streamlit_app.py` on a free loopback port with the browser tests' helpers
(tests/browser_util.py; warm-up off, no disk store, the shipped results, a throw-away poll
database, so nothing under data/ changes), then with chromium writes into docs/img/:

- vanishing.png: the Vanishing gradients page at its defaults, 1400 px wide, the top of the page;
- workshop_presenter.png: the Mission page's presenter view of a room just opened, one attendee
  answered (1400 px wide);
- workshop_phone.png: that attendee's phone, 390 px wide, after sending the answer.

Each shot waits until the app is idle (no running indicator, spinner or stale element) and every
plotly chart on the screen has drawn. The server is stopped at the end, also on error.
"""

from __future__ import annotations

import pathlib
import re
import tempfile

from depthkit.workshop import quiz
from tests.browser_util import LOAD_TIMEOUT_MS, chromium, streamlit_server, wait_until_done

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
# shown in the join link and its QR code instead of this script's loopback address
PUBLIC_URL = "https://yourapp.streamlit.app"

# every visible plotly chart has its plot drawn (plotly adds .main-svg once it has rendered)
CHARTS_DRAWN_JS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    .filter(c => c.checkVisibility())
    .every(c => c.querySelector('.js-plotly-plot .main-svg'))"""


def wait_drawn(page) -> None:
    """Until the app has been idle, with every visible chart drawn, for 1.5 s."""
    wait_until_done(page, quiet_ms=1500, ready_js=CHARTS_DRAWN_JS)


def shoot(page, name: str) -> None:
    """The viewport only (the top of the page), as a PNG in docs/img/."""
    path = OUT / name
    page.screenshot(path=str(path), full_page=False)
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def new_page(browser, viewport: dict):
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(60_000)
    return page


def challenge_page(browser, url: str) -> None:
    page = new_page(browser, DESKTOP)
    page.goto(url + "/vanishing")
    wait_drawn(page)
    shoot(page, "vanishing.png")


def workshop_room(browser, url: str) -> None:
    presenter = new_page(browser, DESKTOP)
    presenter.goto(url + "/mission?mode=present")
    wait_drawn(presenter)
    presenter.get_by_role("button", name="Open a room").click()
    link = presenter.locator('[data-testid="stCode"] code').first
    link.wait_for(timeout=LOAD_TIMEOUT_MS)
    code = re.search(r"room=([A-Z0-9]{6})", link.inner_text()).group(1)
    # the phone opens the room on this server (the link on the screen names the public address)
    phone = new_page(browser, PHONE)
    phone.goto(f"{url}/mission?mode=join&room={code}")
    wait_drawn(phone)
    # the room's first question is the lecture's own, one answer: pick the first option shown
    phone.get_by_role("radiogroup", name=quiz.BANK[0].prompt).locator("label").first.click()
    phone.get_by_role("button", name=re.compile("Send|Change my answer")).click()
    phone.get_by_text("Sent: ").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    wait_drawn(phone)
    shoot(phone, "workshop_phone.png")
    presenter.locator('[data-testid="stMetricValue"]', has_text="1 of 1").wait_for(timeout=LOAD_TIMEOUT_MS)
    wait_drawn(presenter)
    shoot(presenter, "workshop_presenter.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DEPTHKIT_WARMUP": "off", "DEPTHKIT_RESULTS": "off", "DEPTHKIT_SHIPPED": None,
               "DEPTHKIT_POLL_DB": str(pathlib.Path(tmp) / "poll.sqlite3"), "DEPTHKIT_PUBLIC_URL": PUBLIC_URL}
        with streamlit_server(env_vars=env) as url, chromium() as browser:
            challenge_page(browser, url)
            workshop_room(browser, url)


if __name__ == "__main__":
    main()
