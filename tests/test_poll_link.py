"""The poll's join link, its QR code, and its charts (pure: no Streamlit)."""

import io

import pytest

from depthkit.presentation.charts import poll as charts
from depthkit.presentation.charts.common import FIX, NEUTRAL
from depthkit.workshop import mission, poll, quiz


@pytest.mark.parametrize("browser, expected", [
    ("https://depthkit.streamlit.app/mission", "https://depthkit.streamlit.app/mission?mode=join&room=K7QX2M"),
    ("https://host.org/sub/mission/", "https://host.org/sub/mission?mode=join&room=K7QX2M"),
    ("http://192.168.1.20:8501", "http://192.168.1.20:8501/mission?mode=join&room=K7QX2M"),
])
def test_join_link_from_the_presenters_address(browser, expected):
    link = mission.join_link("k7qx-2m", browser)
    assert (link.url, link.source, link.local) == (expected, "browser", False)
    assert "me=" not in link.url and "presenter" not in link.url


def test_public_address_wins_and_localhost_is_flagged(monkeypatch):
    monkeypatch.setenv(mission.PUBLIC_URL_ENV, "https://workshop.example.org/")
    link = mission.join_link("K7QX2M", "http://localhost:8501/mission", mission.public_url())
    assert link.url == "https://workshop.example.org/mission?mode=join&room=K7QX2M"
    assert link.source == "public"
    for local in ("http://localhost:8501/mission", "http://127.0.0.1:8501", "http://[::1]:8501/"):
        assert mission.join_link("K7QX2M", local).local
    assert mission.join_link("K7QX2M", None).url == "mission?mode=join&room=K7QX2M"
    for bad in ("javascript:alert(1)", "not a url", ""):
        monkeypatch.setenv(mission.PUBLIC_URL_ENV, bad)
        assert mission.public_url() is None
    with pytest.raises(poll.PollError):
        mission.join_link("<script>", "https://x.org")


def test_qr_code_is_a_png_that_encodes_the_link():
    png = mission.qr_png("https://depthkit.streamlit.app/mission?mode=join&room=K7QX2M", px=480)
    assert png.startswith(b"\x89PNG")
    width = int.from_bytes(png[16:20], "big")
    assert 400 <= width <= 520  # large enough to scan from the back of a room
    import segno
    qr = segno.make("https://depthkit.streamlit.app/mission?mode=join&room=K7QX2M", error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(2, 480 // qr.symbol_size(scale=1)[0]), border=4)
    assert out.getvalue() == png  # the same symbol segno makes for the link


def test_answer_chart_hides_the_answer_until_revealed_then_marks_it_with_a_tick():
    q = quiz.BY_ID["exploding-signs-multi"]
    order = quiz.option_order(q, 1)
    counts = {"a": 3, "b": 1, "c": 0, "d": 2}
    before = charts.answer_counts(q, order, counts, 4, revealed=False)
    after = charts.answer_counts(q, order, counts, 4, revealed=True)
    assert list(before.data[0].x) == [counts[o] for o in order]
    assert len(set(before.data[0].marker.color)) == 1 and not any("✓" in y for y in before.data[0].y)
    assert [y.startswith("✓ ") for y in after.data[0].y] == [o in q.correct for o in order]
    assert [c == FIX for c in after.data[0].marker.color] == [o in q.correct for o in order]
    assert NEUTRAL in after.data[0].marker.color
    assert "4 attendees answered" in after.layout.title.text and after.layout.yaxis.type == "category"


def test_summary_charts(tmp_path):
    store = poll.PollStore(tmp_path / "p.sqlite3")
    code, _ = store.create_room(problem="speed")
    qs = quiz.questions("speed")
    empty = store.summary(code)
    assert "Nobody has answered" in charts.score_spread(empty).layout.annotations[0].text
    for i in range(4):
        q = qs[0]
        store.submit(code, poll.new_attendee_id(), q.id,
                     list(q.correct) if i < 3 else [o for o in q.option_ids if o not in q.correct][:1])
    s = store.summary(code)
    share = charts.share_right(s)
    assert list(share.data[0].x) == [f"Q{i}" for i in range(1, len(qs) + 1)]
    assert share.data[0].y[0] == 0.75 and share.data[0].text[0] == "75% (3 of 4)"
    assert share.data[0].text[1] == "nobody answered"
    spread = charts.score_spread(s)
    assert list(spread.data[0].y) == [1, 3] + [0] * (len(qs) - 1)
