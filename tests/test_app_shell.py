"""Any first request, to any page with any query string, runs the app shell.

Streamlit 1.67 runs a requested page file on its own (its old pages/ mode)
until st.navigation has run once in the process; `ui.ensure_app_shell` turns
that off through a private class flag. The first test fails loudly when
Streamlit renames or drops what that relies on; the browser tests start a
fresh server per link and open the deep link first.
"""

import inspect

import pytest

from tests.browser_util import chromium, streamlit_server, wait_until_done

APP_TITLES = ("Home", "Vanishing gradients", "Exploding gradients", "Overfitting", "Training speed",
              "Mission")


def test_streamlit_still_has_the_old_pages_mode_flag():
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner

    assert hasattr(PagesManager, "uses_pages_directory"), \
        "Streamlit dropped the flag: revisit ui.ensure_app_shell"
    source = inspect.getsource(script_runner)
    assert "if PagesManager.uses_pages_directory:" in source and "_mpa_v1(" in source, \
        "Streamlit changed how it picks the old pages/ mode: revisit ui.ensure_app_shell"


@pytest.mark.browser
@pytest.mark.parametrize("link, title", [
    ("/overfitting?presenter=1", "Overfitting"),
    ("/exploding", "Exploding gradients"),
    ("/mission?mode=join", "Mission"),
])
def test_deep_link_on_a_fresh_server_opens_the_whole_app(link, title):
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url + link)
        wait_until_done(page)
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        for name in APP_TITLES:
            assert name in nav, (name, nav)
        assert "streamlit app" not in nav and "overfitting" not in nav.split()  # no file names
        assert page.get_by_text("Presenter mode").count() == 1
        assert page.locator("h1").first.inner_text() == title
        assert link.split("?")[0] in page.url and (("?" not in link) or link.split("?")[1] in page.url)
        # the wide layout: the main column uses most of a 1400 px window (centered is ~736 px)
        width = page.locator('[data-testid="stMainBlockContainer"]').bounding_box()["width"]
        assert width > 900, width
        # no developer toolbar or Deploy button for visitors
        assert page.get_by_text("Deploy", exact=True).count() == 0
