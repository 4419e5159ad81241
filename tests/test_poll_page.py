"""The workshop poll on the Mission page through AppTest: presenter and attendee views.

The views redraw on a timer in the browser (st.fragment(run_every=...)); here
each `at.run()` stands for one redraw. The flow across real browsers (join by
the link, reload, pacing, reveal, summary) is tests/test_poll_browser.py.
"""

import json

import pytest

from depthkit.presentation.text import poll as text
from depthkit.workshop import poll, quiz
from tests.apptest_util import open_page

PAGE = "pages/mission.py"
S = "mission."


@pytest.fixture(autouse=True)
def poll_db(tmp_path, monkeypatch):
    path = tmp_path / "poll.sqlite3"
    monkeypatch.setenv(poll.ENV_VAR, str(path))
    monkeypatch.delenv("DEPTHKIT_PUBLIC_URL", raising=False)
    return path


@pytest.fixture
def db(poll_db):
    return poll.PollStore(poll_db)


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]


def visible_text(at) -> str:
    """Every text the page draws (markdown, captions, alerts, metrics, code, labels, inputs' values)."""
    parts = []
    for kind in ("markdown", "caption", "code", "success", "error", "warning", "info", "subheader",
                 "title", "header", "text", "latex"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(t.value) for t in at.text_input] + [b.label for b in at.button]
    parts += [e.proto.label for e in at.get("download_button")]
    parts += [json.dumps(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]
    return "\n".join(parts)


def _more(at) -> list[str]:
    """The text inside each "More" expander (the explanation beyond its first sentence), in order."""
    return [m.value for e in at.expander if e.label == text.MORE for m in e.markdown]


def open_room_as_presenter(problem="all"):
    at = open_page(PAGE, query={"mode": "present"})
    if problem != "all":
        at.selectbox(key=S + "room_problem").set_value(problem)
    at.button(key=S + "open_room").click().run()
    _ok(at)
    code = at.query_params["room"]
    return at, code, at.session_state[S + "keys"][code]


def join(code, me=None):
    query = {"mode": "join", "room": code}
    if me:
        query["me"] = me
    at = open_page(PAGE, query=query)
    _ok(at)
    return at


def pick(at, code, q, options):
    widget = f"{S}poll.{code}.{q.id}"
    if q.multiple:
        for o in q.option_ids:
            at.checkbox(key=f"{widget}.{o}").set_value(o in options)
    else:
        at.radio(key=widget).set_value(next(iter(options)))
    at.button(key=f"{S}send.{q.id}").click().run()
    _ok(at)


def test_presenter_shows_code_link_and_qr_but_never_the_key(db):
    at, code, key = open_room_as_presenter()
    assert poll.CODE_PATTERN.match(code) and db.check_key(code, key)
    text = visible_text(at)
    assert key not in text
    assert f"`{code}`" in text and f"mission?mode=join&room={code}" in text
    assert "me=" not in at.code[0].value  # the shared link names no attendee
    assert len(at.get("image")) == 1  # the QR code
    # asked for, the key shows (with a copy button), and the download carries it
    at.toggle(key=S + "show_key").set_value(True).run()
    assert key in [c.value for c in at.code]
    at.toggle(key=S + "show_key").set_value(False).run()
    assert key not in visible_text(at)
    # the presenter's session keeps working without the key being typed
    q = quiz.BANK[0]
    at.button(key=S + "reveal").click().run()
    _ok(at)
    assert db.revealed(code) == {q.id}


def test_a_new_room_keeps_its_key_hidden_after_the_last_one_showed_its_own(db):
    """Showing one room's key, leaving and opening another must not put the new key on the projector
    (the toggle's state goes with the room view that drew it)."""
    at, code, key = open_room_as_presenter()
    at.toggle(key=S + "show_key").set_value(True).run()
    assert key in [c.value for c in at.code]
    at.button(key=S + "leave").click().run()
    at.button(key=S + "open_room").click().run()
    _ok(at)
    new_code = at.query_params["room"]
    new_key = at.session_state[S + "keys"][new_code]
    assert new_code != code
    assert at.toggle(key=S + "show_key").value is False
    assert new_key not in visible_text(at) and new_key not in [c.value for c in at.code]


def test_public_url_builds_the_join_link_and_localhost_is_explained(db, monkeypatch):
    at, code, _ = open_room_as_presenter()
    assert "this browser did not report" in visible_text(at).lower()  # AppTest has no address
    monkeypatch.setenv("DEPTHKIT_PUBLIC_URL", "https://depthkit.example.org/")
    at.run()
    assert at.code[0].value == f"https://depthkit.example.org/mission?mode=join&room={code}"
    assert not at.warning
    monkeypatch.setenv("DEPTHKIT_PUBLIC_URL", "http://localhost:8501")
    at.run()
    assert "Phones cannot open this link" in at.warning[0].value
    assert "DEPTHKIT_PUBLIC_URL" in at.warning[0].value and "0.0.0.0" in at.warning[0].value


def test_presenter_paces_the_room_and_the_attendee_follows(db):
    presenter, code, key = open_room_as_presenter(problem="vanishing")
    qs = quiz.questions("vanishing")
    phone = join(code)
    me = phone.query_params["me"]
    assert poll.ATTENDEE_PATTERN.match(me) and db.attendees(code) == 1
    assert qs[0].prompt in phone.markdown[-1].value or any(qs[0].prompt in m.value for m in phone.markdown)
    pick(phone, code, qs[0], {"a"})
    presenter.run()
    assert presenter.metric[0].value == "1 of 1"
    spec = json.loads(presenter.get("plotly_chart")[0].proto.spec)
    order = quiz.option_order(qs[0], 0)
    assert spec["data"][0]["x"] == [1 if o == "a" else 0 for o in order]

    presenter.button(key=S + "next").click().run()
    _ok(presenter)
    phone.run()  # the phone's next redraw
    assert any(qs[1].prompt in m.value for m in phone.markdown)
    presenter.button(key=S + "prev").click().run()
    phone.run()
    assert any(qs[0].prompt in m.value for m in phone.markdown)
    assert "Sent: " in "\n".join(c.value for c in phone.caption)  # the answer is still there

    presenter.button(key=S + "close").click().run()
    phone.run()
    assert phone.radio(key=f"{S}poll.{code}.{qs[0].id}").disabled and "closed" in phone.info[0].value
    assert db.counts(code, qs[0].id).answered == 1

    presenter.button(key=S + "reveal").click().run()
    _ok(presenter)
    phone.run()
    right = qs[0].correct
    verdict = (phone.success if "a" in right else phone.error)[0].value
    assert ("Right" if "a" in right else "Wrong") in verdict and qs[0].short in verdict
    # the first sentence answers why; the rest waits behind "More", not in the verdict
    assert qs[0].more not in verdict and _more(phone) == [qs[0].more]
    marked = [m.value for m in phone.markdown if "✓" in m.value]
    assert marked and all(qs[0].option_text(o) in marked[0] for o in right)
    assert phone.get("page_link")[0].proto.page == "vanishing"
    spec = json.loads(presenter.get("plotly_chart")[0].proto.spec)
    assert [y.startswith("✓") for y in spec["data"][0]["y"]] == [o in right for o in order]
    # the projector gives the answer and why, and judges nobody: no one answered on that screen
    answer = "; ".join(qs[0].option_text(o).rstrip(".") for o in qs[0].option_ids if o in right) + "."
    assert f"The answer: {answer} {qs[0].short}" in [i.value for i in presenter.info]
    assert not any(qs[0].more in i.value for i in presenter.info) and _more(presenter) == [qs[0].more]
    assert not presenter.success and not presenter.error
    assert presenter.get("page_link")[0].proto.page == "vanishing"


def test_reload_is_the_same_attendee_and_a_second_join_is_another(db):
    code, _ = db.create_room(problem="speed", seed=5)
    q = quiz.questions("speed")[0]
    first = join(code)
    me = first.query_params["me"]
    pick(first, code, q, {"b"})
    again = join(code, me=me)  # a reload: the URL of the tab now carries ?me=
    assert again.query_params["me"] == me
    assert again.radio(key=f"{S}poll.{code}.{q.id}").value == "b"  # the answer is shown again
    other = join(code)  # someone else opens the shared join link
    assert other.query_params["me"] != me
    assert db.attendees(code) == 2 and db.counts(code, q.id).answered == 1


def test_end_of_session_summary_and_csv(db):
    presenter, code, key = open_room_as_presenter(problem="exploding")
    qs = quiz.questions("exploding")
    for options in ({next(iter(qs[0].correct))}, {o for o in qs[0].option_ids if o not in qs[0].correct}):
        db.submit(code, poll.new_attendee_id(), qs[0].id, list(options)[:1] if not qs[0].multiple
                  else list(options))
    presenter.button(key=S + "end").click().run()
    _ok(presenter)
    assert presenter.subheader[0].value == f"Summary of room {code}"
    # two answered, one with 1 point and one with 0: their mean 0.5 of the room's questions
    assert f"2 answered at least one question; their mean score: 0.5 of {len(qs)} points." in visible_text(
        presenter)
    specs = [json.loads(c.proto.spec) for c in presenter.get("plotly_chart")]
    assert len(specs) == 2 and specs[0]["data"][0]["y"][0] == 0.5  # one of two got Q1 right
    assert sum(specs[1]["data"][0]["y"]) == 2  # two attendees' scores
    csv_button = [b for b in presenter.get("download_button") if "CSV" in b.proto.label]
    assert csv_button
    csv = poll.counts_csv(db.summary(code))
    assert csv.splitlines()[0].startswith("question,prompt,option") and poll.ATTENDEE_PATTERN.pattern
    assert not any(poll.ATTENDEE_PATTERN.match(cell) for line in csv.splitlines() for cell in line.split(","))
    phone = join(code)
    assert "ended" in "\n".join(m.value for m in phone.markdown)
    assert phone.subheader[0].value.startswith("Your score: 0 / ")
    presenter.button(key=S + "resume").click().run()
    _ok(presenter)
    assert presenter.get("plotly_chart") and not presenter.subheader


def test_tick_all_questions_say_how_they_are_scored_and_partial_credit_is_named(db):
    code, key = db.create_room(problem="exploding", seed=0)
    qs = quiz.questions("exploding")
    i = next(i for i, q in enumerate(qs) if q.id == "exploding-signs-multi")
    q = qs[i]
    assert q.multiple and q.correct == {"a", "b"}
    db.go_to(code, key, i)
    phone = join(code)
    rule = "Tick every option that applies: " + quiz.SEVERAL_RULE + "."
    assert rule in [c.value for c in phone.caption]
    pick(phone, code, q, {"a"})  # one of the two correct options: half a point
    db.end(code, key, True)
    phone.run()
    _ok(phone)
    outcomes = [m.value for m in phone.markdown if "Question" in m.value]
    assert len(outcomes) == len(qs)
    assert outcomes[i].startswith(f"◐ partly right (0.5 of a point) · Question {i + 1} of {len(qs)}")
    assert all(o.startswith("✗ wrong") for k, o in enumerate(outcomes) if k != i)
    assert phone.subheader[0].value.startswith("Your score: 0.5 / ")


def test_presenter_key_and_join_words_are_shown(db):
    at, _, _ = open_room_as_presenter()
    shown = visible_text(at)
    assert text.KEY_WHY in shown and "until it is reloaded or closed" in text.KEY_WHY
    assert "Scan the QR code with a phone camera or open the link; or type the room code:" in shown
    phone = open_page(PAGE, query={"mode": "join"})
    assert text.ATTENDEE_INTRO in [i.value for i in phone.info]


def test_wrong_key_cannot_pace_and_reopening_needs_the_key(db):
    code, key = db.create_room(problem="speed")
    at = open_page(PAGE, query={"mode": "present", "room": code})  # a reload of the presenter's tab
    assert at.text_input(key=S + "unlock_code").value == code
    assert key not in visible_text(at)
    at.text_input(key=S + "unlock_code").set_value("<b>bold</b>")
    at.button(key=S + "unlock").click().run()
    _ok(at)
    assert "not a room code" in at.error[0].value and "<b>" not in at.error[0].value
    at.text_input(key=S + "unlock_code").set_value(code.lower())
    at.text_input(key=S + "unlock_key").set_value("wrong-key-wrong-key")
    at.button(key=S + "unlock").click().run()
    assert "do not match" in at.error[0].value
    at.text_input(key=S + "unlock_key").set_value(key)
    at.button(key=S + "unlock").click().run()
    _ok(at)
    assert f"`{code}`" in visible_text(at) and key not in visible_text(at)
    with pytest.raises(poll.PollError, match="presenter key"):
        db.go_to(code, "x" * 22, 1)


@pytest.mark.parametrize("typed, message", [("<img src=x onerror=alert(1)>", "not a room code"),
                                            ("ABCDEF", "No open room"), ("A" * 500, "room code")])
def test_attendee_bad_or_unknown_code(typed, message):
    at = open_page(PAGE, query={"mode": "join"})
    _ok(at)
    at.text_input(key=S + "join_code").set_value(typed[:12]).run()
    _ok(at)
    assert message in at.error[0].value and "\n" not in at.error[0].value
    assert "<img" not in visible_text(at).replace(at.text_input(key=S + "join_code").value, "")


def test_hostile_link_values_for_the_poll(db):
    code, _ = db.create_room()
    at = open_page(PAGE, query={"mode": "join", "room": code, "me": "<script>x</script>" * 20})
    _ok(at)
    assert len(at.warning) == 1 and "`me=" in at.warning[0].value and "<script>" not in at.warning[0].value
    assert poll.ATTENDEE_PATTERN.match(at.query_params["me"])  # a fresh id instead
    assert db.attendees(code) == 1


def test_a_lost_room_is_explained_to_presenter_and_attendee(db, poll_db):
    presenter, code, _ = open_room_as_presenter()
    phone = join(code)
    for path in poll_db.parent.glob("poll.sqlite3*"):
        path.unlink()  # what a reboot of the hosting service does to local files
    presenter.run()
    phone.run()
    for at in (presenter, phone):
        _ok(at)
        assert "server has restarted" in at.error[0].value and "\n" not in at.error[0].value


def test_full_room_and_closed_question(db, monkeypatch):
    monkeypatch.setattr(poll, "MAX_ATTENDEES", 1)
    code, key = db.create_room(problem="speed")
    me = join(code).query_params["me"]
    late = join(code)
    assert "full" in late.error[0].value
    q = quiz.questions("speed")[0]
    db.close(code, key, q.id)
    with pytest.raises(poll.PollError, match="closed"):
        db.submit(code, me, q.id, [q.option_ids[0]])
