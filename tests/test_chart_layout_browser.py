"""No chart's labels overlap, at a phone's, a laptop's and a projector's width, in both modes.

Every page is opened once in Debian's chromium against one `streamlit run`;
the window is resized to each width (plotly redraws the charts), then the
sidebar's Presenter mode toggle is switched on (a rerun, not a reload) and the
widths are measured again. Inside every `.js-plotly-plot` the boxes of the
title, the legend, the annotations (notes, subplot titles), the axis titles
and the colour bar are read from the DOM: no two may overlap and each must
stay inside the chart's own box (2 px of slack for anti-aliasing). Screenshots
land in artifacts/screenshots/layout_<page>_<normal|presenter>_<width>.png.

Home draws its thumbnails only from results already computed: the challenge
pages are checked first, their default runs land in the server's result store
(tests/conftest.py points DEPTHKIT_RESULTS at a temporary folder; warm-up and
shipped set off), so Home then shows its four thumbnails. The poll's charts
appear only in a live room: one is opened in the server's poll database (a
temporary file), answered and revealed from the test, the presenter view
unlocked with its key, and its answer chart and then its end-of-session
summary charts checked the same way.
"""

from __future__ import annotations

import time

import pytest

from depthkit.workshop import poll, quiz
from tests.apptest_util import PAGES, ROOT
from tests.browser_util import _BUSY_JS as BUSY_JS
from tests.browser_util import (
    LOAD_TIMEOUT_MS,
    OPEN_EXPANDERS_JS,
    chromium,
    page_path,
    streamlit_server,
    wait_until_done,
)
from tests.links_util import CHALLENGES, stem

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"
WIDTHS = (1400, 390, 1920)  # the page loads at the first
# the challenge pages first: their default runs fill the store Home draws its thumbnails from
ORDER = [p for p in PAGES if p in CHALLENGES] + [p for p in PAGES if p not in CHALLENGES]
HOME = "pages/home.py"
CHECKED: set[str] = set()  # pages checked so far against this module's server
SLACK = 2.0  # px

# One entry per chart: the svg's box and the labelled parts' boxes ([left, top, right, bottom]).
LABEL_BOXES_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(plot => {
  const rect = el => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const parts = [];
  const add = (kind, el) => {
    const b = el.getBoundingClientRect();
    if (b.width > 0.5 && b.height > 0.5)
      parts.push({kind, text: (el.textContent || '').trim().slice(0, 50), box: rect(el)});
  };
  plot.querySelectorAll('.g-gtitle .gtitle, .g-gtitle .gtitle-subtitle').forEach(e => add('title', e));
  plot.querySelectorAll('.legend > .bg').forEach(e => add('legend', e));
  plot.querySelectorAll('.infolayer .annotation').forEach(e => add('annotation', e));
  plot.querySelectorAll('text').forEach(e => {
    if (/^[xy][0-9]*title$/.test(e.getAttribute('class') || '')) add('axis title', e);
  });
  plot.querySelectorAll('.colorbar').forEach(e => add('colour bar', e));
  const title = plot.querySelector('.g-gtitle .gtitle');
  return {svg: rect(plot.querySelector('svg.main-svg')), title: title ? title.textContent : '',
          parts};
})"""

# True once every chart's svg has the width of its container (plotly has redrawn after a resize).
CHARTS_FIT_JS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]')).every(c => {
  const svg = c.querySelector('svg.main-svg');
  return svg && Math.abs(svg.getBoundingClientRect().width - c.getBoundingClientRect().width) < 2;
})"""


PAGE_HEIGHT_JS = """() => Math.ceil(document.querySelector('[data-testid="stMain"]').scrollHeight)"""


def _overlap(a: list[float], b: list[float]) -> float:
    """The smaller of the two overlap extents in px (<= 0: apart)."""
    return min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1]))


def _outside(part: list[float], svg: list[float]) -> float:
    """How far `part` sticks out of `svg`, in px."""
    return max(svg[0] - part[0], svg[1] - part[1], part[2] - svg[2], part[3] - svg[3])


def layout_problems(charts: list[dict], where: str) -> list[str]:
    """One line per overlapping pair of labels and per label outside its chart."""
    problems = []
    for i, chart in enumerate(charts):
        name = f"{where} chart {i + 1} '{chart['title'][:40]}'"
        parts = chart["parts"]
        for p in parts:
            if _outside(p["box"], chart["svg"]) > SLACK:
                problems.append(f"{name}: {p['kind']} '{p['text']}' sticks out by "
                                f"{_outside(p['box'], chart['svg']):.0f} px")
        for j, a in enumerate(parts):
            for b in parts[j + 1:]:
                if a["kind"] == b["kind"] == "title":
                    continue  # the title and its subtitle are one block
                if _overlap(a["box"], b["box"]) > SLACK:
                    problems.append(f"{name}: {a['kind']} '{a['text']}' overlaps {b['kind']} '{b['text']}'")
    return problems


def settle(page, timeout_ms: int = 30_000) -> None:
    """Wait until every chart has been redrawn at its container's width, then a little longer."""
    page.wait_for_function(CHARTS_FIT_JS, timeout=timeout_ms)
    page.wait_for_timeout(300)


def measure(page, where: str, widths: tuple[int, ...]) -> tuple[list[str], int]:
    """At each width: the problems, and a screenshot of the whole page; and how many charts."""
    problems, n = [], 0
    for width in widths:
        page.set_viewport_size({"width": width, "height": 1000})
        settle(page)
        # as tall as the page, so that the screenshot shows every chart (the page scrolls inside)
        page.set_viewport_size({"width": width, "height": min(page.evaluate(PAGE_HEIGHT_JS), 16_000)})
        settle(page)
        charts = page.evaluate(LABEL_BOXES_JS)
        n = max(n, len(charts))
        problems += layout_problems(charts, f"{where} {width} px:")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"layout_{where.replace(' ', '_')}_{width}.png"), full_page=True)
    return problems, n


def presenter_on(page, on: bool = True) -> None:
    """Switch the sidebar's Presenter mode toggle on (or off: a rerun, no reload) and wait for it."""
    toggle = page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]',
                          has_text="Presenter mode").locator("input")
    toggle.dispatch_event("click")  # works while a narrow window keeps the sidebar collapsed
    page.wait_for_function("() => (new URLSearchParams(location.search).get('presenter') === '1') === "
                           + ("true" if on else "false"))


NO_PROGRESS_JS = "() => !document.querySelector('[data-testid=\"stMain\"] [data-testid=\"stProgress\"]')"
N_CHARTS_JS = "() => document.querySelectorAll('.js-plotly-plot').length"


def wait_for_charts(page, page_file: str) -> None:
    """Until the page is idle and its number of charts has stopped changing.

    A live measurement (Training speed) shows a progress bar, not the spinner that
    `wait_until_done` waits for; the Mission shows a progress bar all the time.
    """
    deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        wait_until_done(page)
        if page_file != "pages/mission.py":
            page.wait_for_function(NO_PROGRESS_JS, timeout=LOAD_TIMEOUT_MS)
        before = page.evaluate(N_CHARTS_JS)
        page.wait_for_timeout(1000)
        if page.evaluate(N_CHARTS_JS) == before and not page.evaluate(BUSY_JS) and (
                before or page_file not in CHALLENGES):
            return
    raise TimeoutError(f"{page_file}: no charts, or still changing, after {LOAD_TIMEOUT_MS} ms")


def check_page(browser, url: str, page_file: str) -> tuple[list[str], int]:
    """Open one page, measure it at every width, switch presenter mode on and measure again."""
    ctx = browser.new_context(viewport={"width": WIDTHS[0], "height": 1000})
    ctx.set_default_timeout(60_000)
    try:
        page = ctx.new_page()
        page.goto(url + page_path(page_file))
        wait_for_charts(page, page_file)
        # A chart in a closed expander keeps the width it was drawn at until it is shown (plotly
        # redraws it then, at the right width): measure what a visitor who opens them sees.
        page.evaluate(OPEN_EXPANDERS_JS)
        problems, n = measure(page, f"{stem(page_file)} normal", WIDTHS)
        presenter_on(page)
        wait_for_charts(page, page_file)
        page.evaluate(OPEN_EXPANDERS_JS)
        more, m = measure(page, f"{stem(page_file)} presenter", WIDTHS[::-1])
        assert m == n, f"{page_file}: {n} charts, {m} in presenter mode"
        return problems + more, n
    finally:
        ctx.close()


@pytest.mark.parametrize("page_file", ORDER)
def test_chart_labels_do_not_overlap_and_stay_inside(browser, poll_app_url, page_file):
    problems, n = check_page(browser, poll_app_url, page_file)
    CHECKED.add(page_file)
    if page_file in CHALLENGES:
        assert n >= 1, f"{page_file}: no chart drawn"
    if page_file == HOME and set(CHALLENGES) <= CHECKED:  # (run alone, Home has nothing to draw from)
        assert n == len(CHALLENGES), f"Home: {n} thumbnails after every challenge page ran"
    assert not problems, "\n".join(problems)


N_POLL_CHARTS_JS = "n => document.querySelectorAll('.js-plotly-plot').length === n"


def _answered_room(db: poll.PollStore) -> tuple[str, str]:
    """A room whose first question six made-up attendees answered, revealed; (code, key)."""
    code, key = db.create_room(problem="exploding", seed=1)
    q = db.room(code).questions[0]
    wrong = [o for o in q.option_ids if o not in q.correct]
    for i in range(6):  # four right, two wrong
        chosen = list(q.correct) if i % 3 else [wrong[i % len(wrong)]]
        db.submit(code, poll.new_attendee_id(), q.id, chosen)
    db.reveal(code, key, q.id)
    return code, key


def test_poll_charts_do_not_overlap_and_stay_inside(browser, poll_app_url, poll_db):
    db = poll.PollStore(poll_db)
    code, key = _answered_room(db)
    ctx = browser.new_context(viewport={"width": WIDTHS[0], "height": 1000})
    ctx.set_default_timeout(60_000)
    try:
        page = ctx.new_page()
        page.goto(f"{poll_app_url}/mission?mode=present&room={code}")  # a presenter's reload: code filled in
        wait_until_done(page)
        page.get_by_label("Presenter key").fill(key)
        page.get_by_label("Presenter key").press("Enter")
        wait_until_done(page)
        page.get_by_role("button", name="Open presenter view").click()
        page.wait_for_function(N_POLL_CHARTS_JS, arg=1)
        wait_until_done(page)
        spec_y = page.evaluate("() => document.querySelector('.js-plotly-plot').data[0].y")
        right = db.room(code).questions[0].correct
        order = quiz.option_order(db.room(code).questions[0], 1)
        assert [y.startswith("✓") for y in spec_y] == [o in right for o in order]
        problems, _ = measure(page, "poll_answers normal", WIDTHS)
        presenter_on(page)
        wait_until_done(page)
        problems += measure(page, "poll_answers presenter", WIDTHS[::-1])[0]
        db.end(code, key)  # the presenter's view follows within its refresh: the summary's two charts
        page.wait_for_function(N_POLL_CHARTS_JS, arg=2, timeout=30_000)
        wait_until_done(page)
        problems += measure(page, "poll_summary presenter", WIDTHS)[0]
        presenter_on(page, on=False)
        wait_until_done(page)
        problems += measure(page, "poll_summary normal", WIDTHS[::-1])[0]
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


def test_the_overlap_check_sees_overlaps_and_overflow():
    chart = {"title": "t", "svg": [0, 0, 400, 300], "parts": [
        {"kind": "title", "text": "a", "box": [10, 10, 200, 30]},
        {"kind": "title", "text": "a2", "box": [10, 28, 200, 50]},  # its own notes: no overlap
        {"kind": "legend", "text": "b", "box": [100, 60, 300, 90]},
        {"kind": "annotation", "text": "c", "box": [290, 88, 350, 120]},  # 2 px: within the slack
        {"kind": "annotation", "text": "d", "box": [150, 80, 180, 100]},
        {"kind": "axis title", "text": "e", "box": [300, 280, 420, 299]}]}
    assert layout_problems([chart], "x") == [
        "x chart 1 't': axis title 'e' sticks out by 20 px",
        "x chart 1 't': legend 'b' overlaps annotation 'd'"]


if __name__ == "__main__":  # a report of every page, for working on the layouts
    import sys

    with streamlit_server("streamlit_app.py") as url, chromium() as b:
        pages = [p for p in PAGES if not sys.argv[1:] or stem(p) in sys.argv[1:]]
        for page_file in pages:
            found, count = check_page(b, url, page_file)
            print(f"== {page_file}: {count} charts, {len(found)} problems", flush=True)
            print("\n".join(found), flush=True)
