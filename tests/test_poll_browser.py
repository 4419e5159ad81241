"""The workshop poll in real browsers: one presenter, two attendees on phones, one server.

The presenter opens a room; two phones open its join link (two people, two
attendees) and answer; one phone reloads (still one attendee, its answer shown
again); the presenter moves on and reveals with the keyboard shortcuts, and
ends with the summary. Every count is checked exactly, on screen and in the
poll's database. The presenter key never appears in the presenter page's text.
"""

import re

import pytest
from playwright.sync_api import expect

from depthkit.workshop import poll, quiz
from tests.browser_util import open_expander, wait_until_done

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
FOLLOW_MS = 20_000  # a phone follows the presenter within ~3 s; slack for 2 shared cores
Q1, Q2 = quiz.BANK[0], quiz.BANK[1]


def new_page(browser, viewport):
    ctx = browser.new_context(viewport=viewport)
    ctx.set_default_timeout(60_000)
    return ctx.new_page()


def no_exception(page) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.all_inner_texts()


def answer(page, q, index_in_room_order: int, seed: int) -> str:
    """Pick the option shown at `index` (single choice) and press Send; returns its id."""
    order = quiz.option_order(q, seed)
    # this question's choices (its prompt is drawn before them, over the last question's choices)
    choices = page.get_by_role("radiogroup", name=q.prompt)
    choices.wait_for(timeout=FOLLOW_MS)
    choices.locator("label").nth(index_in_room_order).click()
    page.get_by_role("button", name=re.compile("Send|Change my answer")).click()
    page.get_by_text("Sent: ").first.wait_for(timeout=FOLLOW_MS)
    return order[index_in_room_order]


def test_a_room_run_by_the_presenter_with_two_phones(poll_app_url, browser, poll_db):
    presenter = new_page(browser, {"width": 1400, "height": 1000})
    presenter.goto(poll_app_url + "/mission?mode=present")
    wait_until_done(presenter)
    presenter.get_by_role("button", name="Open a room").click()
    link_box = presenter.locator('[data-testid="stCode"] code').first
    link_box.wait_for()
    link = link_box.inner_text().strip()
    code = re.search(r"room=([A-Z0-9]{6})", link).group(1)
    assert link == f"{poll_app_url}/mission?mode=join&room={code}"
    assert presenter.locator('[data-testid="stImage"] img').count() == 1  # the QR code
    # the server listens on 127.0.0.1: phones could not open that link, and the screen says so
    # (drawn after the link: waited for, as the page draws one element after another)
    expect(presenter.get_by_text("Phones cannot open this link")).to_be_visible(timeout=FOLLOW_MS)
    store = poll.PollStore(poll_db)
    seed = store.room(code).seed

    # the key: shown only when asked, gone again after (the toggle is clicked once the expander has
    # finished opening: clicked while it slides into place, the click could land beside it)
    open_expander(presenter, "Presenter key (keep it off the projector)")
    show_key = presenter.locator('[data-testid="stCheckbox"]', has_text="Show the key on this screen")
    show_key.click()
    expect(show_key.locator("input")).to_be_checked()  # a lost click fails here, not as a missing key
    key_box = presenter.locator('[data-testid="stExpander"] [data-testid="stCode"] code')
    key_box.wait_for()
    key = key_box.inner_text().strip()
    assert store.check_key(code, key)
    show_key.click()
    expect(show_key.locator("input")).not_to_be_checked()
    key_box.wait_for(state="detached")
    assert key not in presenter.inner_text("body")

    # two people open the same link: two attendees; the sidebar is out of the way on a phone
    phones = [new_page(browser, PHONE) for _ in range(2)]
    for phone in phones:
        phone.goto(link)
        wait_until_done(phone)
        no_exception(phone)
        assert phone.locator('[data-testid="stSidebar"]').get_attribute("aria-expanded") != "true"
        assert phone.get_by_text(Q1.prompt).first.is_visible()
    ids = [re.search(r"me=([0-9a-f]{32})", p.url).group(1) for p in phones]
    assert ids[0] != ids[1] and "me=" not in link
    chosen = [answer(phones[0], Q1, 0, seed), answer(phones[1], Q1, 1, seed)]
    presenter.locator('[data-testid="stMetricValue"]', has_text="2 of 2").wait_for(timeout=FOLLOW_MS)

    # a reload is the same attendee, with the answer shown again
    phones[0].reload()
    wait_until_done(phones[0])
    assert ids[0] in phones[0].url
    phones[0].get_by_text("Sent: ").first.wait_for(timeout=FOLLOW_MS)
    assert phones[0].locator('[data-testid="stRadio"] input').nth(0).is_checked()
    presenter.wait_for_timeout(2500)  # one more refresh of the presenter's counts
    assert presenter.locator('[data-testid="stMetricValue"]').first.inner_text() == "2 of 2"
    assert store.attendees(code) == 2

    # the presenter moves on with the clicker's key; both phones follow
    # (shortcuts do not fire while a widget has the focus, like the key's toggle just clicked)
    presenter.evaluate("document.activeElement && document.activeElement.blur()")
    presenter.keyboard.press("PageDown")
    for phone in phones:
        phone.get_by_text(Q2.prompt).first.wait_for(timeout=FOLLOW_MS)
    chosen2 = answer(phones[1], Q2, 0, seed)
    presenter.locator('[data-testid="stMetricValue"]', has_text="1 of 2").wait_for(timeout=FOLLOW_MS)
    presenter.keyboard.press("a")  # Reveal
    phones[1].get_by_text(Q2.explanation[:40]).first.wait_for(timeout=FOLLOW_MS)
    verdict = "Right" if chosen2 in Q2.correct else "Wrong"
    assert phones[1].get_by_text(verdict).count() >= 1
    assert phones[1].get_by_text("✓").count() >= 1  # the right option marked, not only by colour
    # the link to the page comes after the explanation (a moment later on a busy server)
    see_it = phones[1].get_by_role("link", name=re.compile("See it on the"))
    expect(see_it).to_have_count(1, timeout=FOLLOW_MS)

    # the end: the summary on the presenter's screen, the score on the phones
    presenter.keyboard.press("e")
    presenter.get_by_text(f"Summary of room {code}").wait_for(timeout=FOLLOW_MS)
    wait_until_done(presenter)
    no_exception(presenter)
    assert presenter.locator(".js-plotly-plot").count() == 2
    assert presenter.get_by_role("button", name=re.compile("Download the answers")).count() == 1
    phones[0].get_by_text("Your score").first.wait_for(timeout=FOLLOW_MS)
    assert key not in presenter.inner_text("body")

    counts1, counts2 = store.counts(code, Q1.id), store.counts(code, Q2.id)
    assert counts1.answered == 2 and counts2.answered == 1
    assert counts1.per_option == {o: chosen.count(o) for o in Q1.option_ids}
    assert counts2.per_option == {o: int(o == chosen2) for o in Q2.option_ids}
    assert store.attendees(code) == 2
