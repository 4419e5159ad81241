"""The app in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

Opens every registered page and waits until its script has finished; no
exception element anywhere, at least one chart on each challenge page, and a
screenshot per page under artifacts/screenshots/. On the UI demo page (built
only from depthkit.ui) a control is changed and the URL and chart follow; a
copied link opened in a fresh browser context shows the same numbers. The same
link round-trip runs on every challenge page once it has landed.
"""

import pathlib
import urllib.parse

import pytest

from depthkit.core.spec import specs
from tests.apptest_util import PAGES, ROOT
from tests.browser_util import chart_data, chromium, page_path, streamlit_server, wait_until_done
from tests.links_util import CHALLENGES, settings_classes, stem

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def app_url():
    with streamlit_server("streamlit_app.py") as url:
        yield url


@pytest.fixture(scope="module")
def demo_url():
    with streamlit_server("tests/ui_demo_app.py") as url:
        yield url


@pytest.fixture
def new_page(browser):
    """A page in a fresh browser context (own cookies and storage: a new visitor)."""
    contexts = []

    def make():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        ctx.set_default_timeout(60_000)
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def open_and_wait(new_page, url: str):
    page = new_page()
    page.goto(url)
    wait_until_done(page)
    return page


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.all_inner_texts()


def n_charts(page) -> int:
    return page.locator('[data-testid="stPlotlyChart"]').count()


CHARTS_SEEN: dict[str, list] = {}  # page -> chart data seen while rendering (saves a reload)


@pytest.mark.parametrize("page_file", PAGES)
def test_every_page_renders_without_exception(app_url, new_page, page_file):
    page = open_and_wait(new_page, app_url + page_path(page_file))
    no_exception(page)
    if n_charts(page):
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    CHARTS_SEEN[page_file] = chart_data(page)
    assert page.locator('[data-testid="stMain"] h1').count() >= 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{stem(page_file)}.png"), full_page=True)


@pytest.mark.parametrize("page_file", CHALLENGES)
def test_challenge_page_shows_charts(app_url, new_page, page_file):
    if page_file not in CHARTS_SEEN:  # run alone: render it here
        page = open_and_wait(new_page, app_url + page_path(page_file))
        no_exception(page)
        if n_charts(page):
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        CHARTS_SEEN[page_file] = chart_data(page)
    # drawn by plotly in the browser, with data
    assert len(CHARTS_SEEN[page_file]) >= 1
    assert all(traces for traces in CHARTS_SEEN[page_file])


def share_link(page) -> str:
    return page.locator('[data-testid="stSidebar"] [data-testid="stCode"] code').first.inner_text().strip()


def test_changing_a_control_updates_url_and_chart_and_the_copied_link_restores_it(demo_url, new_page):
    page = open_and_wait(new_page, demo_url + "/?depth=12")
    no_exception(page)
    before = chart_data(page)
    assert before and before[0]
    assert share_link(page) == demo_url + "/?depth=12"

    slider = page.locator('[data-testid="stSlider"]', has_text="Hidden layers").locator("input[type=range]")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('depth') === '13'",
                           timeout=60_000)
    wait_until_done(page)
    no_exception(page)
    after = chart_data(page)
    assert after != before, "the chart follows the control"
    link = share_link(page)
    assert link == demo_url + "/?depth=13"
    metric = page.locator('[data-testid="stMetricValue"]').inner_text()

    fresh = open_and_wait(new_page, link)  # a fresh context: nothing shared but the link
    no_exception(fresh)
    assert chart_data(fresh) == after
    assert fresh.locator('[data-testid="stMetricValue"]').inner_text() == metric
    assert fresh.locator('[data-testid="stSlider"]', has_text="Hidden layers").locator(
        "input[type=range]").get_attribute("value") == "13"


def test_presenter_mode_from_the_link_hides_the_explanation(demo_url, new_page):
    normal = open_and_wait(new_page, demo_url + "/?depth=5")
    shown = open_and_wait(new_page, demo_url + "/?depth=5&presenter=1")
    no_exception(shown)
    text = "spread after the last layer"
    assert normal.get_by_text(text).count() == 1
    assert shown.get_by_text(text).count() == 0
    tall = shown.locator(".js-plotly-plot").first.bounding_box()["height"]
    assert tall > normal.locator(".js-plotly-plot").first.bounding_box()["height"] * 1.2
    assert share_link(shown).endswith("?depth=5&presenter=1")


def test_presenter_mode_survives_moving_between_pages(app_url, new_page):
    # moving between pages clears the query; the toggle's session state puts it back
    page = open_and_wait(new_page, app_url + "/?presenter=1&zzz=1")
    toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]',
                          has_text="Presenter mode").locator("input")
    assert toggle.is_checked()
    page.locator('[data-testid="stSidebarNav"] a', has_text="Mission").click()
    page.wait_for_url("**/mission**")
    wait_until_done(page)
    no_exception(page)
    url = urllib.parse.urlsplit(page.url)
    assert url.path.endswith("/mission")
    # the mission page adds its own keys (its option-order seed); presenter must stay
    assert urllib.parse.parse_qs(url.query).get("presenter") == ["1"]
    assert toggle.is_checked()
    toggle.click(force=True)  # the input is visually hidden behind Streamlit's switch
    page.wait_for_url(lambda u: "presenter" not in u)
    assert "presenter" not in page.url


def non_default_link(page_file: str) -> str:
    """A query that sets one field of the page's settings to another allowed value, cheaply.

    A seed is preferred (same cost as the default view), then a choice or a toggle.
    """
    for cls in settings_classes(page_file):
        fields = specs(cls)
        order = sorted(fields, key=lambda n: (n != "seed" and "seed" not in n, fields[n].kind not in
                                                ("choice", "bool")))
        for name in order:
            spec = fields[name]
            if spec.kind == "bool":
                return f"{name}={not spec.default}"
            if spec.kind == "choice":
                return f"{name}={next(o for o in spec.options if o != spec.default)}"
            if spec.kind == "int" and spec.default + 1 <= spec.hi:
                return f"{name}={spec.default + 1}"
    raise AssertionError(f"{page_file} has no Settings in depthkit/experiments/{stem(page_file)}.py")


@pytest.mark.parametrize("page_file", CHALLENGES)
def test_a_copied_link_shows_the_same_numbers_on_each_challenge_page(app_url, new_page, page_file):
    query = non_default_link(page_file)
    page = open_and_wait(new_page, app_url + page_path(page_file) + "?" + query)
    no_exception(page)
    assert query in page.url, "the setting stays in the URL"
    data = chart_data(page)
    assert data and any(data)
    link = share_link(page)
    assert query in link
    fresh = open_and_wait(new_page, link)
    no_exception(fresh)
    assert chart_data(fresh) == data


def test_screenshots_are_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "artifacts/" in ignored and pathlib.Path(SHOTS).is_relative_to(ROOT / "artifacts")
