"""The Mission page through AppTest: the learner mode and the link (the poll: tests/test_poll_page.py)."""


import pytest

from depthkit.core.spec import field_spec
from depthkit.workshop import poll, quiz
from depthkit.workshop.mission import MODES, NO_SEED, MissionSettings
from tests.apptest_util import open_page

PAGE = "pages/mission.py"
LECTURE = quiz.BANK[0]


@pytest.fixture(autouse=True)
def poll_db(tmp_path, monkeypatch):
    path = tmp_path / "poll.sqlite3"
    monkeypatch.setenv(poll.ENV_VAR, str(path))
    return path


def _ok(at):
    assert not at.exception, [e.message for e in at.exception]


def _progress(at):
    return at.get("progress")[0].proto.text


def _attempt(at):
    return at.session_state["mission.attempt"]


def _answer(at, q, options, prefix=None):
    """Tick `options` for question q in the learner view (or under `prefix`)."""
    key = prefix or f"mission.{_attempt(at)}.{q.id}"
    if q.multiple:
        for o in q.option_ids:
            at.checkbox(key=f"{key}.{o}").set_value(o in options)
    else:
        at.radio(key=key).set_value(next(iter(options)))


def _markdown(at):
    return "\n".join(m.value for m in at.markdown)


def test_learner_all_right_scores_full_with_feedback_and_links():
    at = open_page(PAGE)
    _ok(at)
    qs = quiz.BANK
    assert len(at.radio) == sum(not q.multiple for q in qs)
    assert len(at.checkbox) == sum(len(q.options) for q in qs if q.multiple)
    assert _progress(at) == f"Mission 0 / {len(qs)} answered"
    # the rule for checkbox questions, in the words of quiz.SEVERAL_RULE (which test_quiz ties to credit)
    rule = f"Questions with several answers (checkboxes): {quiz.SEVERAL_RULE}."
    assert rule in [c.value for c in at.caption]
    assert "each answer links to the page about it" in _markdown(at)
    for q in qs[:3]:
        _answer(at, q, q.correct)
    at.run()
    assert _progress(at) == f"Mission 3 / {len(qs)} answered"
    for q in qs[3:]:
        _answer(at, q, q.correct)
    at.button(key="mission.submit").click().run()
    _ok(at)
    assert at.subheader[0].value == f"Score: {len(qs)} / {len(qs)}"
    assert len(at.success) == len(qs) and not at.error
    # each says why in its first sentence; the rest of the explanation is folded behind "More"
    assert [s.value for s in at.success] == [f"✓ Right. {q.short}" for q in qs]
    assert [m.value for e in at.expander if e.label == "More" for m in e.markdown] == [q.more for q in qs]
    links = [el.proto.page for el in at.get("page_link")]
    assert sorted(links) == sorted(q.page.removeprefix("pages/").removesuffix(".py") for q in qs)


def test_learner_partial_score_matches_quiz_grade():
    at = open_page(PAGE)
    multi = quiz.BY_ID["overfitting-remedies-multi"]
    answers = {LECTURE.id: {"c"}, quiz.BANK[1].id: {"a"}, multi.id: {"a", "b", "e"}}
    for qid, opts in answers.items():
        _answer(at, quiz.BY_ID[qid], opts)
    at.button(key="mission.submit").click().run()
    _ok(at)
    expected = quiz.grade(quiz.BANK, answers)
    assert expected.text() == f"1.33 / {len(quiz.BANK)}"  # 1 + 0 + (2 right - 1 wrong) / 3
    assert at.subheader[0].value == f"Score: {expected.text()}"
    assert "Partly right (0.33 of a point)" in "\n".join(e.value for e in at.error)
    assert f"{len(quiz.BANK) - 3} left unanswered" in _markdown(at)


def test_retry_resets_the_attempt():
    at = open_page(PAGE, query={"seed": "7"})
    _answer(at, LECTURE, {"c"})
    at.button(key="mission.submit").click().run()
    first = _attempt(at)
    assert not at.radio and "Your answer: " in _markdown(at)
    at.button(key="mission.retry").click().run()
    _ok(at)
    assert _attempt(at) == first + 1
    assert at.radio(key=f"mission.{first + 1}.{LECTURE.id}").value is None
    assert _progress(at).startswith("Mission 0 /") and not at.subheader


def test_seed_in_the_link_fixes_the_option_order():
    for seed in (5, 123):
        at = open_page(PAGE, query={"seed": str(seed)})
        _ok(at)
        shown = at.radio(key=f"mission.{_attempt(at)}.{LECTURE.id}").options
        order = quiz.option_order(LECTURE, seed)
        # lettered as in the poll and in "Your answer" (A. ..., B. ...)
        assert shown == [f"{letter}. {LECTURE.option_text(o)}" for letter, o in zip("ABCDEFGH", order)]
        assert at.query_params["seed"] == str(seed)


def test_one_problem_only():
    at = open_page(PAGE, query={"problem": "exploding"})
    _ok(at)
    n = len(quiz.questions("exploding"))
    assert _progress(at) == f"Mission 0 / {n} answered"
    at.selectbox(key="mission.problem").set_value("speed").run()
    _ok(at)
    assert _progress(at) == f"Mission 0 / {len(quiz.questions('speed'))} answered"
    n_speed = len(quiz.questions("speed"))
    shown = [m.value for m in at.markdown if m.value.startswith("**Question")]
    assert len(shown) == n_speed and all(f" of {n_speed}.**" in m for m in shown)


def test_bad_link_values_give_a_notice_not_a_traceback():
    at = open_page(PAGE, query={"mode": "hack", "problem": "<b>x</b>", "seed": "-1e9",
                                "room": "<script>alert(1)</script>"})
    _ok(at)
    warning = at.warning[0].value
    assert "mode" in warning and "problem" in warning and "seed" in warning and "room" in warning
    assert "<script>" not in warning and "<b>" not in warning
    assert at.session_state["mission.mode"] == "learn"


def test_bad_mission_values_give_one_line_notice_naming_each():
    query = {"mode": "hack", "problem": "<b>x</b>", "seed": "-1e9", "room": "<script>alert(1)</script>",
             "zzz": "1"}
    at = open_page(PAGE, query=query)
    _ok(at)
    assert len(at.warning) == 1 and "\n" not in at.warning[0].value
    warning = at.warning[0].value
    for name in ("mode", "problem", "seed", "room"):
        assert f"`{name}=" in warning
    assert "zzz" not in warning  # unknown keys are ignored, not reported
    # what was sent is echoed only inside code spans, with no tags left in it
    assert not any(ch in part for part in warning.split("`")[0::2] for ch in "<>[]$")
    assert "not a room code" in warning
    # the page goes on from the defaults: the whole mission, a fresh option order
    assert at.session_state["mission.problem"] == "all"
    assert 0 <= at.session_state["mission.seed"] <= quiz.MAX_SEED
    assert {k: at.query_params[k] for k in ("mode", "problem", "room") if k in at.query_params} == {}
    assert at.query_params["seed"] == str(at.session_state["mission.seed"])


def test_mission_link_is_read_and_written_like_every_pages_link():
    """MissionSettings declares ?mode/room/problem/seed; depthkit.ui parses and writes them."""
    assert field_spec(MissionSettings, "mode").options == MODES
    assert field_spec(MissionSettings, "problem").options == ("all", *quiz.PROBLEMS)
    assert MissionSettings.from_strings({"room": "k7qx-2m", "seed": "0", "mode": "join"}) == (
        MissionSettings(mode="join", room="K7QX2M", seed=0), [])
    assert MissionSettings().to_strings()["seed"] == str(NO_SEED)  # default: no seed in the link
    with pytest.raises(ValueError):
        MissionSettings(room="k7qx2m")  # only the canonical form is a valid value
    # seed 0 is a seed like any other: it fixes the order, and stays in the link
    at = open_page(PAGE, query={"seed": "0", "problem": "speed"})
    _ok(at)
    assert at.session_state["mission.seed"] == 0 and not at.warning
    assert at.query_params["seed"] == "0" and at.query_params["problem"] == "speed"
    assert "mode" not in at.query_params  # the default mode stays out of the URL
    at.selectbox(key="mission.problem").set_value("all").run()
    assert "problem" not in at.query_params


def test_projector_layout_hides_the_claim():
    at = open_page(PAGE, query={"presenter": "1", "mode": "present"})
    _ok(at)
    assert not any(m.value.startswith("**Check what you learned") for m in at.markdown)
    at.button(key="mission.open_room").click().run()
    _ok(at)
    assert at.query_params["presenter"] == "1" and at.query_params["mode"] == "present"
