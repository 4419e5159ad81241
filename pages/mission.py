"""The Mission: scored questions for a learner, and a live poll for a workshop.

Three modes (URL `?mode=learn|present|join`, `?room=CODE`, `?problem=...`,
`?seed=N`, declared by depthkit.mission.MissionSettings and read and written
by depthkit.ui like every page's link): take the mission alone; run a room as
the presenter (open it, watch the answers arrive, reveal); join a room with
its code. Questions and scoring come from depthkit.quiz, the room from
depthkit.poll; this page only draws them.
"""

import sqlite3

import streamlit as st

from depthkit import fmt, mission, poll, quiz, ui
from depthkit.charts import mission as charts
from depthkit.mission import NO_SEED, MissionSettings

# labels of the link's choices (depthkit.mission), in its order
MODES = dict(zip(mission.MODES, ("Take the mission", "Run a workshop (presenter)", "Join a workshop"),
                 strict=True))
PROBLEM_LABELS = dict(zip(mission.PROBLEM_CHOICES, ("All four problems", *quiz.PROBLEMS.values()),
                          strict=True))
LETTERS = "ABCDEF"
LIVE_REFRESH_S = 3
S = "mission."  # session-state prefix


# URL state: read once per session through depthkit.ui ----------------------
def _start_from_url() -> list[str]:
    """The widgets' start values from the link; returns the notices about what was changed."""
    link, notices = ui.url_settings(MissionSettings)
    if link.seed != NO_SEED:
        st.session_state[S + "seed"] = link.seed
    if link.room:
        st.session_state[S + "join_code"] = st.session_state[S + "unlock_code"] = link.room
    st.session_state[S + "mode"] = link.mode
    st.session_state[S + "problem"] = link.problem
    return notices


def _write_url(mode: str = "learn", **values) -> None:
    """This view's link: only what differs from MissionSettings' defaults goes into the URL."""
    ui.write_url(MissionSettings(mode=mode, **values))


@st.cache_resource(show_spinner=False)
def _store(path: str) -> poll.PollStore:
    return poll.PollStore(path)


def store() -> poll.PollStore | None:
    """The poll database, or None (after saying why) when it cannot be opened."""
    try:
        return _store(str(poll.db_path()))
    except (OSError, sqlite3.Error) as err:
        st.error(f"The workshop poll is not available on this server ({type(err).__name__}). "
                 "The mission itself works without it.")
        return None


def guarded(action, *args, **kwargs):
    """Run a poll action; show a PollError's message or a database failure, never a traceback."""
    try:
        return action(*args, **kwargs), None
    except poll.PollError as err:
        return None, str(err)
    except sqlite3.Error as err:
        return None, f"The poll database could not be reached ({type(err).__name__}); please try again."


# Learner: the scored mission ------------------------------------------------
def _new_attempt(new_seed: bool = True) -> None:
    st.session_state[S + "attempt"] = st.session_state.get(S + "attempt", 0) + 1
    st.session_state[S + "submitted"] = False
    if new_seed:
        st.session_state[S + "seed"] = quiz.new_seed()


def _choice_widget(q: quiz.Question, order: tuple[str, ...], key: str, disabled: bool):
    """Radio (one answer) or checkboxes (several); returns the chosen option ids."""
    if q.multiple:
        st.caption("Tick every option that applies.")
        return {o for o in order if st.checkbox(q.option_text(o), key=f"{key}.{o}", disabled=disabled)}
    pick = st.radio(q.prompt, order, index=None, format_func=q.option_text, key=key,
                    disabled=disabled, label_visibility="collapsed")
    return {pick} if pick else set()


def _sentence(texts) -> str:
    """Option texts joined into one sentence: 'A; B; C.'"""
    return "; ".join(t.rstrip(".") for t in texts) + "."


def _feedback(g: quiz.Graded) -> None:
    q = g.question
    right = _sentence(q.option_text(o) for o in q.option_ids if o in q.correct)
    if g.right:
        st.success(f"Right. {q.explanation}", icon=":material/check_circle:")
    else:
        what = "Not answered" if not g.answered else (
            f"Partly right ({fmt.num(g.credit)} of a point)" if g.credit > 0 else "Wrong")
        st.error(f"{what}. The answer: {right}\n\n{q.explanation}", icon=":material/cancel:")
    st.page_link(q.page, label=f"See it on the {quiz.PROBLEMS[q.problem]} page",
                 icon=":material/arrow_forward:")


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


def _shown(q: quiz.Question, order: tuple[str, ...], chosen) -> str:
    return "; ".join(f"{LETTERS[order.index(o)]}. {q.option_text(o)}" for o in order if o in chosen)


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
                answers[q.id] = _choice_widget(q, order, f"{S}{attempt}.{q.id}", disabled=False)
                continue
            chosen = answers.get(q.id, set())
            st.markdown("Your answer: " + (_shown(q, order, chosen) if chosen else "none"))
            _feedback(quiz.grade([q], answers).graded[0])
    answered, total = quiz.progress(qs, answers)
    text = f"Mission {answered} / {total} answered"
    if submitted:
        text += f" · score {quiz.grade(qs, answers).text()} (details below each question)"
    progress_box.progress(answered / total, text=text)

    if not submitted:
        st.button("Submit answers", type="primary", key=S + "submit", on_click=_submit, args=(qs, attempt))
        st.caption("Multiple-choice questions: each correct tick earns 1/k of the point (k = number "
                   "of correct options), each wrong tick takes 1/k away, never below 0.")
        return
    score = quiz.grade(qs, answers)
    st.subheader(f"Score: {score.text()}")
    st.markdown(f"{score.n_right} of {score.total} questions fully right"
                + (f", {total - answered} left unanswered." if answered < total else "."))
    st.button("Try again (new order)", on_click=_new_attempt, key=S + "retry",
              icon=":material/restart_alt:")


# Presenter: open a room, watch the answers, reveal --------------------------
def _open_room(db: poll.PollStore, problem: str, seed: int) -> None:
    made, err = guarded(db.create_room, problem, seed)
    if err:
        st.session_state[S + "room_error"] = err
        return
    code, key = made
    st.session_state.setdefault(S + "keys", {})[code] = key
    st.session_state[S + "show_key"] = code
    st.session_state[S + "presenting"] = code


def _unlock_room(db: poll.PollStore) -> None:
    code_text = st.session_state.get(S + "unlock_code", "")
    key = st.session_state.get(S + "unlock_key", "")
    try:
        code = poll.normalize_code(code_text)
    except poll.PollError as err:
        st.session_state[S + "room_error"] = str(err)
        return
    ok, err = guarded(db.check_key, code, key)
    if err or not ok:
        st.session_state[S + "room_error"] = err or "That code and presenter key do not match an open room."
        return
    st.session_state.setdefault(S + "keys", {})[code] = key.strip()
    st.session_state[S + "presenting"] = code


def presenter(db: poll.PollStore) -> None:
    code = st.session_state.get(S + "presenting")
    if err := st.session_state.pop(S + "room_error", None):
        st.error(err)
    if code is None:
        left, right = st.columns(2)
        with left.container(border=True):
            st.subheader("Open a room")
            problem = st.selectbox("Questions about", list(PROBLEM_LABELS), format_func=PROBLEM_LABELS.get,
                                   key=S + "room_problem")
            seed = st.number_input("Option order seed", 0, quiz.MAX_SEED, value=0, key=S + "room_seed")
            st.button("Open a room", type="primary", key=S + "open_room", on_click=_open_room,
                      args=(db, problem, int(seed)))
        with right.container(border=True):
            st.subheader("Back to your room")
            st.text_input("Room code", max_chars=12, key=S + "unlock_code")
            st.text_input("Presenter key", type="password", max_chars=64, key=S + "unlock_key")
            st.button("Open presenter view", key=S + "unlock", on_click=_unlock_room, args=(db,))
        _write_url(mode="present")
        return

    key = st.session_state[S + "keys"][code]
    room, err = guarded(db.room, code)
    if err:
        st.error(err)
        st.session_state.pop(S + "presenting", None)
        st.button("Back", key=S + "back")
        return
    _write_url(mode="present", room=code)
    st.markdown(f"## Room code: `{code}`")
    st.markdown("Attendees: open this app's **Mission** page, choose **Join a workshop** and type "
                f"the code `{code}`.")
    if st.session_state.get(S + "show_key") == code:
        st.warning("Your presenter key is shown only this once: copy it now. With it you can "
                   "reopen this room's presenter view from another browser.", icon=":material/key:")
        st.code(key, language=None)
        st.button("I have copied the key", key=S + "hide_key",
                  on_click=lambda: st.session_state.pop(S + "show_key", None))
    qs = room.questions
    labels = {q.id: f"{i}. {q.prompt}" for i, q in enumerate(qs, 1)}
    qid = st.selectbox("Question on screen", [q.id for q in qs], format_func=labels.get, key=S + "on_screen")
    live_counts(db, room, key, quiz.BY_ID[qid])
    st.button("Leave the room", key=S + "leave",
              on_click=lambda: st.session_state.pop(S + "presenting", None))


@st.fragment(run_every=LIVE_REFRESH_S)
def live_counts(db: poll.PollStore, room: poll.Room, key: str, q: quiz.Question) -> None:
    """The answers to the question on screen, refreshed every few seconds."""
    revealed, err1 = guarded(db.revealed, room.code)
    counts, err2 = guarded(db.counts, room.code, q.id)
    people, err3 = guarded(db.attendees, room.code)
    if err1 or err2 or err3:
        st.error(err1 or err2 or err3)
        return
    is_revealed = q.id in revealed
    st.markdown(f"### {q.prompt}")
    order = quiz.option_order(q, room.seed)
    for i, o in enumerate(order):
        st.markdown(f"**{LETTERS[i]}.** {q.option_text(o)}")
    st.metric("Answered this question", f"{counts.answered} of {people}",
              help="Attendees in the room = those who answered any question.")
    ui.show(charts.answer_counts(q, order, counts.per_option, counts.answered, is_revealed),
             key=f"{S}counts.{q.id}")
    if is_revealed:
        right = _sentence(f"{LETTERS[order.index(o)]}. {q.option_text(o)}" for o in order if o in q.correct)
        st.success(f"Answer: {right}\n\n{q.explanation}")
        st.page_link(q.page, label=f"Show it on the {quiz.PROBLEMS[q.problem]} page",
                     icon=":material/arrow_forward:")
    else:
        st.button("Reveal the answer to the room", type="primary", key=f"{S}reveal.{q.id}",
                  on_click=_reveal, args=(db, room.code, key, q.id))
    if err := st.session_state.pop(S + "reveal_error", None):
        st.error(err)


def _reveal(db: poll.PollStore, code: str, key: str, qid: str) -> None:
    _, err = guarded(db.reveal, code, key, qid)
    if err:
        st.session_state[S + "reveal_error"] = err


# Attendee: join with the code and answer ------------------------------------
def attendee(db: poll.PollStore) -> None:
    me = st.session_state.setdefault(S + "attendee", poll.new_attendee_id())
    typed = st.text_input("Room code (on the presenter's screen)", max_chars=12, key=S + "join_code",
                          placeholder="e.g. K7QX2M")
    if not typed.strip():
        _write_url(mode="join")
        st.info("Type the room code to join. You stay anonymous: the app gives this browser tab a "
                "random id and stores nothing else about you.")
        return
    room, err = guarded(db.room, typed)
    if err:
        _write_url(mode="join")
        st.error(err)
        return
    _write_url(mode="join", room=room.code)
    revealed, err = guarded(db.revealed, room.code)
    if err:
        st.error(err)
        return
    st.success(f"You are in room `{room.code}`. Answer each question and press Send; "
               "you can change an answer until the presenter reveals it.")
    st.button("Check for revealed answers", key=S + "refresh", icon=":material/refresh:")
    for i, q in enumerate(room.questions, 1):
        order = quiz.option_order(q, room.seed)
        mine, _ = guarded(db.my_answer, room.code, me, q.id)
        with st.container(border=True):
            st.markdown(f"**Question {i} of {len(room.questions)}.** {q.prompt}")
            done = q.id in revealed
            with st.form(key=f"{S}form.{q.id}", border=False):
                chosen = _choice_widget(q, order, f"{S}poll.{room.code}.{q.id}", disabled=done)
                send = st.form_submit_button("Send", disabled=done, key=f"{S}send.{q.id}")
            if send:
                _, err = guarded(db.submit, room.code, me, q.id, sorted(chosen))
                if err:
                    st.error(err)
                else:
                    mine = frozenset(chosen)
            if mine:
                st.caption("Your answer: " + _shown(q, order, mine))
            if done:
                _feedback(quiz.grade([q], {q.id: mine}).graded[0])


# The page -------------------------------------------------------------------
ui.page_header("Mission", "Check what you learned: each answer links to the page that shows it "
                          "happening in a real network.")
if S + "mode" not in st.session_state:
    st.session_state[S + "notices"] = _start_from_url()
ui.link_notice(st.session_state.get(S + "notices", []))
if st.session_state.get(S + "mode") is None:  # a click on the selected mode unselects it
    st.session_state[S + "mode"] = "learn"
mode = st.segmented_control("Mode", list(MODES), format_func=MODES.get, key=S + "mode",
                            label_visibility="collapsed") or "learn"
if mode == "learn":
    learner()
else:
    db = store()
    if db is not None and mode == "present":
        presenter(db)
    elif db is not None:
        attendee(db)
