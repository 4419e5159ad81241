"""WCAG 2 A/AA in a real browser: axe-core (npm, pinned in package.json) on every page.

Each page is opened in Debian's chromium, left until its script is idle, its
expanders opened and the window made as tall as its content (axe skips what an
inner scroll area hides), then `axe.run` checks the wcag2a and wcag2aa rules.
Any serious or critical violation fails, unless it belongs to Streamlit's own
markup and is listed in ALLOWED (rule id + the Streamlit element it sits in,
with the reason). The theme's colours (.streamlit/config.toml) and every
sentence the app writes are ours: nothing of theirs is allowed.

`scripts/test.sh` runs `npm ci` first; without node_modules the tests fail and say so.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.apptest_util import ROOT
from tests.browser_util import OPEN_EXPANDERS_JS, chromium, streamlit_server, wait_until_done

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
TALLEST = 20_000  # px: the window grows to the content, up to this

# Streamlit's own markup, not ours: (rule id, CSS selector of the Streamlit element the node is
# inside or is, why). Matched with Element.closest(), so a violation anywhere else still fails.
ALLOWED = (
    # st.navigation's sidebar list puts <div> section wrappers between <ul> and its <li>s
    # (Streamlit 1.67, SidebarNav): axe's "list" and "listitem" rules. Nothing on our side
    # draws that list.
    ("list", '[data-testid="stSidebarNav"]', "Streamlit's navigation list markup"),
    ("listitem", '[data-testid="stSidebarNav"]', "Streamlit's navigation list markup"),
    # st.code's syntax highlighting (keywords #1c83e1, strings #09ab3b, numbers #29b09d on #fcfcfb:
    # 2.6-3.8:1) is Streamlit's built-in code style; no theme option in config.toml reaches it.
    # Only the coloured tokens: the code block's plain text is still checked.
    ("color-contrast", ".stCode .token", "Streamlit's syntax-highlighting colours"),
)

PAGES = (
    "/", "/vanishing", "/exploding", "/overfitting", "/speed", "/mission",
    "/vanishing?presenter=1", "/?presenter=1",
)

# For every violation node: the rule, impact, selector, html, message, and the allow-list
# entry it matches (its index, or -1).
RUN_AXE_JS = """async (allowed) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
                                     resultTypes: ['violations']});
  return r.violations.flatMap(v => v.nodes.map(n => {
    const el = document.querySelector(n.target[n.target.length - 1]);
    const hit = allowed.findIndex(([rule, sel]) => rule === v.id && el && el.closest(sel));
    return {rule: v.id, impact: v.impact, target: n.target.join(' '), html: n.html.slice(0, 160),
            message: (n.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 300), allowed: hit};
  }));
}"""

# How tall the page's content is, counting inner scroll areas (Streamlit's main area and sidebar).
CONTENT_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
  ...Array.from(document.querySelectorAll('*')).filter(e => e.scrollHeight > e.clientHeight + 1
     && /(auto|scroll)/.test(getComputedStyle(e).overflowY))
   .map(e => e.scrollHeight + e.getBoundingClientRect().top))"""

@pytest.fixture(scope="module")
def app_url():
    with streamlit_server("streamlit_app.py") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (scripts/test.sh does)")
    with chromium() as b:
        yield b


@contextlib.contextmanager
def opened(browser, url: str, color_scheme: str = "light"):
    """`url` in a new visitor's context, idle, its expanders open and the window as tall as its content."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=color_scheme)
    ctx.set_default_timeout(60_000)
    try:
        page = ctx.new_page()
        page.goto(url)
        wait_until_done(page)
        page.evaluate(OPEN_EXPANDERS_JS)
        # An opened expander's chart draws after a moment and lengthens the page; axe leaves what lies
        # below the window unchecked, so grow the window until the content stops growing.
        # Once the window holds the content, the document is as tall as the window: the measured
        # height then equals the window's (comparing it with a margin added never settled, and every
        # page went round all six times: 12 s each).
        height = 0
        for _ in range(6):
            page.wait_for_timeout(800)  # charts draw, or redraw at the new size
            wait_until_done(page)
            content = int(page.evaluate(CONTENT_HEIGHT_JS))
            if content <= height or height == TALLEST:
                break
            height = min(content + 50, TALLEST)
            page.set_viewport_size({"width": 1400, "height": height})
        assert height == TALLEST or page.evaluate(CONTENT_HEIGHT_JS) <= height, "content below the window"
        yield page
    finally:
        ctx.close()


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations on `page`, each with the ALLOWED entry it matches (or -1)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE_JS, [[rule, sel] for rule, sel, _ in ALLOWED])


def ours(found: list[dict]) -> list[dict]:
    """The serious and critical violations that no ALLOWED entry explains."""
    return [v for v in found if v["impact"] in BLOCKING and v["allowed"] < 0]


def _report(found: list[dict]) -> str:
    return "\n".join(f"{v['rule']} ({v['impact']}): {v['target']}\n    {v['html']}\n    {v['message']}"
                     for v in found)


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_wcag_violation_of_our_own(app_url, browser, path):
    with opened(browser, app_url + path) as page:
        bad = ours(axe_violations(page))
    assert not bad, f"{path}: axe found serious WCAG 2 A/AA violations:\n{_report(bad)}"


def test_a_dark_system_theme_still_gets_the_checked_light_theme(app_url, browser):
    """config.toml fixes base = "light" and the minimal toolbar has no theme menu: a visitor whose
    system prefers dark gets the light theme the other tests check, and it passes axe."""
    with opened(browser, app_url + "/vanishing", color_scheme="dark") as page:
        background = page.evaluate("() => getComputedStyle(document.querySelector('.stApp')).backgroundColor")
        menus = page.locator('[data-testid="stMainMenu"]').count()
        bad = ours(axe_violations(page))
    assert background == "rgb(255, 255, 255)", background
    assert menus == 0  # no theme switch offered to visitors
    assert not bad, _report(bad)


def test_the_allow_list_is_still_needed(app_url, browser):
    """Each allowed Streamlit violation still occurs: when Streamlit fixes its markup, drop it."""
    with opened(browser, app_url + "/vanishing") as page:  # navigation and a code block
        used = {v["allowed"] for v in axe_violations(page)}
    stale = [ALLOWED[i][:2] for i in range(len(ALLOWED)) if i not in used]
    assert not stale, f"no longer reported, remove from ALLOWED: {stale}"
