"""The Mission: scored questions for a learner, and a live poll for a workshop.

Three modes (URL `?mode=learn|present|join`, `?room=CODE`, `?problem=...`,
`?seed=N`, `?me=ID`, declared by depthkit.workshop.mission.MissionSettings and read
and written by depthkit.ui like every page's link): take the mission alone;
run a room as the presenter (the room paces with the presenter's screen);
join a room by its link or code. Questions and scoring come from
depthkit.workshop.quiz, the room from depthkit.workshop.poll, the poll's views from
depthkit.ui.poll; this page only puts them together.
"""

import streamlit as st

from depthkit import ui
from depthkit.workshop import mission, quiz
from depthkit.workshop.mission import NO_SEED, MissionSettings

# labels of the link's choices (depthkit.workshop.mission), in its order
MODES = dict(zip(mission.MODES, ("Take the mission", "Run a workshop (presenter)", "Join a workshop"),
                 strict=True))
PROBLEM_LABELS = dict(zip(mission.PROBLEM_CHOICES, ("All four problems", *quiz.PROBLEMS.values()),
                          strict=True))
S = mission.STATE


# URL state: read once per session through depthkit.ui ----------------------
def _start_from_url() -> list[str]:
    """The widgets' start values from the link; returns the notices about what was changed."""
    link, notices = ui.url_settings(MissionSettings)
    if link.seed != NO_SEED:
        st.session_state[S + "seed"] = link.seed
    if link.room:
        st.session_state[S + "join_code"] = st.session_state[S + "unlock_code"] = link.room
        if link.mode == "join":
            st.session_state[S + "join_room"] = link.room
    if link.me:  # this tab joined before (the id its URL keeps): the same attendee after a reload
        st.session_state[S + "attendee"] = link.me
    st.session_state[S + "mode"] = link.mode
    st.session_state[S + "problem"] = link.problem
    return notices


def _write_url(mode: str = "learn", **values) -> None:
    """This view's link: only what differs from MissionSettings' defaults goes into the URL."""
    ui.write_url(MissionSettings(mode=mode, **values))


# Learner: the scored mission ------------------------------------------------
def _new_attempt(new_seed: bool = True) -> None:
    st.session_state[S + "attempt"] = st.session_state.get(S + "attempt", 0) + 1
    st.session_state[S + "submitted"] = False
    if new_seed:
        st.session_state[S + "seed"] = quiz.new_seed()


def _submit(qs: tuple[quiz.Question, ...], attempt: int) -> None:
    """Freeze the attempt's answers (read from the widgets' state) for scoring."""
    answers = {}
    for q in qs:
        key = f"{S}{attempt}.{q.id}"
        if q.multiple:
            answers[q.id] = {o for o in q.option_ids if st.session_state.get(f"{key}.{o}")}
        else:
            pick = st.session_state.get(key)
            answers[q.id] = {pick} if pick in q.option_ids else set()
    st.session_state[S + "answers"] = answers
    st.session_state[S + "submitted"] = True


def learner() -> None:
    problem = st.selectbox("Questions about", list(PROBLEM_LABELS), format_func=PROBLEM_LABELS.get,
                           key=S + "problem", on_change=_new_attempt, args=(False,))
    qs = quiz.questions(problem)
    if S + "attempt" not in st.session_state:
        _new_attempt(new_seed=S + "seed" not in st.session_state)
    attempt, seed = st.session_state[S + "attempt"], st.session_state[S + "seed"]
    submitted = st.session_state[S + "submitted"]
    with st.expander("Option order"):
        st.number_input("Shuffle seed (the same seed shows the options in the same order)", 0,
                        quiz.MAX_SEED, key=S + "seed", on_change=_new_attempt, args=(False,))
        st.caption(f"Add `?seed={seed}` to this page's link to show everyone this order.")
    _write_url(problem=problem, seed=int(seed))

    progress_box = st.empty()
    answers: dict[str, set[str]] = st.session_state.get(S + "answers", {}) if submitted else {}
    for i, q in enumerate(qs, 1):
        order = quiz.option_order(q, seed)
        with st.container(border=True):
            st.markdown(f"**Question {i} of {len(qs)}.** {q.prompt}")
            if not submitted:
                answers[q.id] = ui.poll.choose(q, order, f"{S}{attempt}.{q.id}", disabled=False)
                continue
            chosen = answers.get(q.id, set())
            st.markdown("Your answer: " + (ui.poll.shown(q, order, chosen) if chosen else "none"))
            ui.poll.feedback(q, chosen)
    answered, total = quiz.progress(qs, answers)
    text = f"Mission {answered} / {total} answered"
    if submitted:
        text += f" · score {quiz.grade(qs, answers).text()} (details below each question)"
    progress_box.progress(answered / total, text=text)

    if not submitted:
        st.button("Submit answers", type="primary", key=S + "submit", on_click=_submit, args=(qs, attempt))
        st.caption(f"Questions with several answers (checkboxes): {quiz.SEVERAL_RULE}.")
        return
    score = quiz.grade(qs, answers)
    st.subheader(f"Score: {score.text()}")
    st.markdown(f"{score.n_right} of {score.total} questions fully right"
                + (f", {total - answered} left unanswered." if answered < total else "."))
    st.button("Try again (new order)", on_click=_new_attempt, key=S + "retry",
              icon=":material/restart_alt:")


# The page -------------------------------------------------------------------
ui.page_header("Mission", "Check what you learned: each answer links to the page about it.")
if S + "mode" not in st.session_state:
    st.session_state[S + "notices"] = _start_from_url()
ui.link_notice(st.session_state.get(S + "notices", []))
if st.session_state.get(S + "mode") is None:  # a click on the selected mode unselects it
    st.session_state[S + "mode"] = "learn"
mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, key=S + "mode",
                            label_visibility="collapsed") or "learn"
if mode == "join":  # on a phone the poll gets the whole screen (the sidebar opens from its arrow)
    st.set_page_config(initial_sidebar_state="collapsed")
if mode == "learn":
    learner()
elif (db := ui.poll.store()) is not None:
    if mode == "present":
        ui.poll.presenter(db, PROBLEM_LABELS)
    else:
        ui.poll.attendee(db)
