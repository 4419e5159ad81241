"""The workshop poll's views: the presenter's screen and the attendee's phone (see depthkit.workshop.poll).

The presenter paces the room: the question on the presenter's screen is the
question on every phone. Both views redraw in a fragment on a timer
(`st.fragment(run_every=...)`), each redraw one `PollStore.snapshot`, so a
phone follows the presenter within a few seconds without anyone pressing
anything. The presenter key stays in the presenter's session (never drawn
unless asked); the attendee's id is kept in the URL of their own tab (`?me=`),
so a reload is the same attendee, while the shared join link carries none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection
from typing import Any

import streamlit as st

from depthkit.core import fmt
from depthkit.presentation.charts import poll as charts
from depthkit.presentation.text import poll as text
from depthkit.ui.show import show
from depthkit.ui.url import write_url
from depthkit.workshop import mission, poll, quiz
from depthkit.workshop.mission import MissionSettings

S = mission.STATE
PRESENTER_REFRESH_S = 2  # the presenter's counts follow the answers within this
ATTENDEE_REFRESH_S = 3  # a phone follows the presenter within this (plus a redraw); 100 phones = 33 runs/s
SHORTCUTS = {"prev": "PageUp", "next": "PageDown", "reveal": "A", "close": "X", "end": "E"}
# The QR code fills the join column (a third of the page: ~280 px on a 1400 px laptop, ~530 px on a
# 1920 px projector, the phone's width on a phone): as large as the layout allows, never over the
# question (a fixed 340 or 476 px spilled over it at 1400 px, measured in Chromium). Drawn at
# QR_PX, so that it is scaled down, not blurred up.
QR_PX = 720


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


def guarded(action: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Run a poll action; returns (value, None) or (None, a one-line message), never raises."""
    try:
        return action(*args, **kwargs), None
    except poll.PollError as err:
        return None, str(err)
    except sqlite3.Error as err:
        return None, f"The poll database could not be reached ({type(err).__name__}); please try again."


def shown(q: quiz.Question, order: tuple[str, ...], chosen: Collection[str], revealed: bool = False) -> str:
    """The chosen options as the room sees them: 'B. text; D. text'."""
    return "; ".join(charts.option_label(q, order, o, revealed, n=200) for o in order if o in chosen)


def _right(q: quiz.Question) -> str:
    """The correct option(s) as one sentence: 'A text; B text.'"""
    return "; ".join(q.option_text(o).rstrip(".") for o in q.option_ids if o in q.correct) + "."


def more(q: quiz.Question) -> None:
    """The explanation beyond its first sentence, folded away behind "More" (nothing if there is none)."""
    if q.more:
        with st.expander(text.MORE):
            st.markdown(q.more)


def feedback(q: quiz.Question, chosen: Collection[str], link_label: str = "See it on the {} page") -> None:
    """Right or wrong (words and icon, not colour alone), why in one sentence, "More", and the page."""
    g = quiz.grade([q], {q.id: chosen}).graded[0]
    right = _right(q)
    if g.right:
        st.success(f"✓ Right. {q.short}", icon=":material/check_circle:")
    else:
        what = text.NOT_SENT.rstrip(".") if not g.answered else (
            f"Partly right ({fmt.num(g.credit)} of a point)" if g.credit > 0 else "✗ Wrong")
        st.error(f"{what}. The answer: {right}\n\n{q.short}", icon=":material/cancel:")
    more(q)
    st.page_link(q.page, label=link_label.format(quiz.PROBLEMS[q.problem]), icon=":material/arrow_forward:")


# The presenter ---------------------------------------------------------------
def open_room(db: poll.PollStore) -> None:
    """Callback: open a room with the chosen questions and order; the key stays in this session only."""
    problem = st.session_state.get(S + "room_problem", "all")
    made, err = guarded(db.create_room, problem, int(st.session_state.get(S + "room_seed", 0)))
    if err:
        st.session_state[S + "room_error"] = err
        return
    code, key = made
    st.session_state.setdefault(S + "keys", {})[code] = key
    st.session_state[S + "presenting"] = code


def unlock_room(db: poll.PollStore) -> None:
    """Callback: back to a room with its code and key (after a reload, or from another browser)."""
    code_text = st.session_state.get(S + "unlock_code", "")
    key = st.session_state.get(S + "unlock_key", "")
    try:
        code = poll.normalize_code(code_text)
    except poll.PollError as err:
        st.session_state[S + "room_error"] = str(err)
        return
    ok, why = guarded(db.check_key, code, key)
    if why or not ok:
        st.session_state[S + "room_error"] = why or "That code and presenter key do not match an open room."
        return
    st.session_state.setdefault(S + "keys", {})[code] = key.strip()
    st.session_state[S + "unlock_key"] = ""  # not kept in a widget, nor drawn again
    st.session_state[S + "presenting"] = code


def leave_room() -> None:
    st.session_state.pop(S + "presenting", None)


def presenter(db: poll.PollStore, problem_labels: dict[str, str]) -> None:
    """The presenter: open a room (or get back to one with its key), then run it."""
    if err := st.session_state.pop(S + "room_error", None):
        st.error(err)
    code = st.session_state.get(S + "presenting")
    if code is not None:
        presenter_room(db, code)
        return
    left, right = st.columns(2)
    with left.container(border=True):
        st.subheader("Open a room")
        st.selectbox("Questions about", list(problem_labels), format_func=problem_labels.__getitem__,
                     key=S + "room_problem")
        st.number_input("Option order seed", 0, quiz.MAX_SEED, value=0, key=S + "room_seed")
        st.button("Open a room", type="primary", key=S + "open_room", on_click=open_room, args=(db,))
    with right.container(border=True):
        st.subheader("Back to your room")
        st.text_input("Room code", max_chars=12, key=S + "unlock_code")
        st.text_input("Presenter key", type="password", max_chars=64, key=S + "unlock_key")
        st.button("Open presenter view", key=S + "unlock", on_click=unlock_room, args=(db,))
    write_url(MissionSettings(mode="present"))


def presenter_room(db: poll.PollStore, code: str) -> None:
    """The presenter's screen for an open room: how to join, then the live question (or the summary)."""
    key = st.session_state[S + "keys"][code]
    state, err = guarded(db.snapshot, code)
    if err:
        st.error(err)
        st.button("Open a new room", key=S + "back", on_click=leave_room)
        return
    if state.ended:
        presenter_summary(db, code, key)
        return
    write_url(MissionSettings(mode="present", room=code))
    left, right = st.columns([1, 2], gap="large")
    with left:
        join_panel(code)
        key_panel(code, key)
    with right:
        presenter_live(db, code, key)
    st.button("Leave the room", key=S + "leave", on_click=leave_room)


def join_panel(code: str) -> None:
    """Room code, join link and its QR code: join in one step."""
    link = mission.join_link(code, st.context.url, mission.public_url())
    st.markdown(f"#### {text.JOIN_HEADING}")
    st.markdown(text.JOIN_HOW)
    st.markdown(f"## `{code}`")
    st.image(mission.qr_png(link.url, px=QR_PX), width="stretch", caption=link.url)
    st.code(link.url, language=None, wrap_lines=True)
    if link.local:
        st.warning(text.LOCALHOST, icon=":material/wifi_off:")
    elif link.source == "unknown":
        st.info(text.UNKNOWN_ADDRESS)


def key_panel(code: str, key: str) -> None:
    """The presenter key, kept off the shared screen: a download, or shown only on request."""
    with st.expander(text.KEY_EXPANDER, icon=":material/key:"):
        st.caption(text.KEY_WHY)
        link = mission.join_link(code, st.context.url, mission.public_url()).url
        present = link.replace("mode=join", "mode=present")
        st.download_button(text.KEY_DOWNLOAD, text.KEY_FILE.format(code=code, key=key, present_link=present),
                           file_name=f"depthkit-room-{code}-key.txt", mime="text/plain",
                           key=S + "key_file", on_click="ignore", icon=":material/download:")
        if st.toggle(text.KEY_SHOW, key=S + "show_key", value=False):
            st.code(key, language=None)


def _act(action: Callable[..., Any], *args: Any) -> None:
    """Callback of a presenter button: run it, keep a failure's message for the next redraw."""
    _, err = guarded(action, *args)
    if err:
        st.session_state[S + "action_error"] = err


@st.fragment(run_every=PRESENTER_REFRESH_S)
def presenter_live(db: poll.PollStore, code: str, key: str) -> None:
    """The question on every screen, the answers as they arrive, and the buttons that pace the room."""
    state, err = guarded(db.snapshot, code, counts=True)
    if err:
        st.error(err)
        return
    if state.ended:
        st.rerun()  # the summary is drawn by a full run, outside this timed fragment (its download stays)
    q, room = state.question, state.room
    order = quiz.option_order(q, room.seed)
    revealed, counts = q.id in state.revealed, state.counts[q.id]
    st.caption(f"{text.question_of(state.current + 1, len(room.questions))} · "
               f"{text.voting(state.is_open(q.id), revealed)}")
    st.markdown(f"### {q.prompt}")
    st.markdown("\n".join(f"- **{charts.option_label(q, order, o, revealed, n=200)}**" for o in order))
    st.metric("Answered this question", text.answered(counts.answered, state.attendees),
              help="Of the attendees who joined the room.")
    show(charts.answer_counts(q, order, counts.per_option, counts.answered, revealed),
         key=f"{S}counts.{q.id}")
    if revealed:  # the answer and why in one sentence, no verdict: nobody answered on this screen
        st.info(text.the_answer(_right(q), q.short), icon=":material/visibility:")
        more(q)
        st.page_link(q.page, label=f"Show it on the {quiz.PROBLEMS[q.problem]} page",
                     icon=":material/arrow_forward:")
    presenter_buttons(db, state, key)
    if err := st.session_state.pop(S + "action_error", None):
        st.error(err)


def presenter_buttons(db: poll.PollStore, state: poll.RoomState, key: str) -> None:
    """Previous / Next / Close voting / Reveal / End, each with a keyboard shortcut."""
    code, q, i, n = state.room.code, state.question, state.current, len(state.room.questions)
    row = st.container(horizontal=True)  # wraps on a narrow screen instead of truncating labels
    row.button("Previous", key=S + "prev", on_click=_act, args=(db.go_to, code, key, i - 1),
               disabled=i == 0, shortcut=SHORTCUTS["prev"], icon=":material/arrow_back:")
    row.button("Next", key=S + "next", on_click=_act, args=(db.go_to, code, key, i + 1),
               disabled=i == n - 1, shortcut=SHORTCUTS["next"], icon=":material/arrow_forward:",
               type="primary")
    is_closed = q.id in state.closed
    row.button("Reopen voting" if is_closed else "Close voting", key=S + "close",
               on_click=_act, args=(db.close, code, key, q.id, not is_closed),
               disabled=q.id in state.revealed, shortcut=SHORTCUTS["close"], icon=":material/lock:")
    row.button("Reveal", key=S + "reveal", on_click=_act, args=(db.reveal, code, key, q.id),
               disabled=q.id in state.revealed, shortcut=SHORTCUTS["reveal"],
               icon=":material/visibility:")
    row.button("End: summary", key=S + "end", on_click=_act, args=(db.end, code, key, True),
               shortcut=SHORTCUTS["end"], icon=":material/flag:")
    st.caption(text.SHORTCUTS_HELP)


def presenter_summary(db: poll.PollStore, code: str, key: str) -> None:
    """The end of the session: share right per question, the spread of scores, the CSV."""
    write_url(MissionSettings(mode="present", room=code))
    summary, err = guarded(db.summary, code)  # drawn by a full run only: the CSV's link stays valid
    if err:
        st.error(err)
        st.button("Open a new room", key=S + "back", on_click=leave_room)
        return
    st.subheader(f"Summary of room {code}")
    scores = summary.scores
    st.markdown(text.room_line(summary.attendees, len(scores), sum(scores) / len(scores) if scores else None,
                               len(summary.room.questions)))
    left, right = st.columns(2)
    with left:
        show(charts.share_right(summary), key=S + "share_right")
    with right:
        show(charts.score_spread(summary), key=S + "score_spread")
    st.download_button("Download the answers (CSV: counts per option, no ids)", poll.counts_csv(summary),
                       file_name=f"depthkit-room-{code}-answers.csv", mime="text/csv", key=S + "csv",
                       on_click="ignore", icon=":material/download:")
    st.button("Back to the questions", key=S + "resume", on_click=_act, args=(db.end, code, key, False),
              icon=":material/undo:")
    st.button("Leave the room", key=S + "leave", on_click=leave_room)


# The attendee ----------------------------------------------------------------
def attendee(db: poll.PollStore) -> None:
    """The attendee: the room from the link (or a typed code), then follow the presenter."""
    me = st.session_state.setdefault(S + "attendee", poll.new_attendee_id())
    code = st.session_state.get(S + "join_room")
    if code:
        if attendee_room(db, code, me):
            st.button("Leave the room", key=S + "leave_join", on_click=_leave_join)
            return
        st.session_state.pop(S + "join_room", None)  # attendee_room said why
    if err := st.session_state.pop(S + "join_error", None):
        st.error(err)
    write_url(MissionSettings(mode="join"))
    st.text_input("Room code (on the presenter's screen)", max_chars=12, key=S + "join_code",
                  placeholder="e.g. K7QX2M", on_change=_typed)
    st.info(text.ATTENDEE_INTRO)


def _typed() -> None:
    """Callback of the room-code box: a well-formed code becomes the room to join."""
    typed = st.session_state.get(S + "join_code", "")
    if typed.strip():
        code, err = guarded(poll.normalize_code, typed)
        st.session_state[S + "join_room" if code else S + "join_error"] = code or err


def _leave_join() -> None:
    st.session_state.pop(S + "join_room", None)
    st.session_state.pop(S + "joined", None)
    st.session_state[S + "join_code"] = ""


def attendee_room(db: poll.PollStore, code: str, me: str) -> bool:
    """Join room `code` as attendee `me` and follow the presenter; False (after saying why) if not."""
    if st.session_state.get(S + "joined") != code:
        _, err = guarded(db.join, code, me)
        if err:
            st.error(err)
            return False
        st.session_state[S + "joined"] = code
    write_url(MissionSettings(mode="join", room=code, me=me))  # a reload keeps `me`: the same attendee
    attendee_live(db, code, me)
    return True


def _send(db: poll.PollStore, code: str, me: str, q: quiz.Question, widget: str) -> None:
    """Callback of Send: the choice from the widgets' state, stored (or its error kept)."""
    if q.multiple:
        chosen = [o for o in q.option_ids if st.session_state.get(f"{widget}.{o}")]
    else:
        pick = st.session_state.get(widget)
        chosen = [pick] if pick in q.option_ids else []
    if not chosen:
        st.session_state[S + "send_error"] = "Choose an option first."
        return
    _, err = guarded(db.submit, code, me, q.id, chosen)
    if err:
        st.session_state[S + "send_error"] = err


@st.fragment(run_every=ATTENDEE_REFRESH_S)
def attendee_live(db: poll.PollStore, code: str, me: str) -> None:
    """The question the presenter shows, the attendee's answer, and the reveal when it comes."""
    state, err = guarded(db.snapshot, code, me)
    if err:
        st.error(err)
        return
    room = state.room
    if state.ended:
        attendee_summary(state)
        return
    q = state.question
    order = quiz.option_order(q, room.seed)
    mine = state.mine.get(q.id, frozenset())
    st.caption(f"Room {code} · {text.question_of(state.current + 1, len(room.questions))}")
    st.markdown(f"**{q.prompt}**")
    if q.id in state.revealed:
        st.markdown("\n".join(f"- {charts.option_label(q, order, o, True, n=200)}" for o in order))
        st.markdown("Your answer: " + (shown(q, order, mine) if mine else "none"))
        feedback(q, mine)
        return
    widget = f"{S}poll.{code}.{q.id}"
    _prefill(q, widget, mine)
    is_open = state.is_open(q.id)
    choose(q, order, widget, disabled=not is_open)
    if is_open:
        st.button("Send" if not mine else "Change my answer", key=f"{S}send.{q.id}", type="primary",
                  on_click=_send, args=(db, code, me, q, widget), icon=":material/send:")
    else:
        st.info(text.CLOSED)
    if mine:
        st.caption("Sent: " + shown(q, order, mine))
    if err := st.session_state.pop(S + "send_error", None):
        st.error(err)


def _prefill(q: quiz.Question, widget: str, mine: frozenset[str]) -> None:
    """After a reload the widgets start from the answer already sent."""
    if not mine:
        return
    if q.multiple and f"{widget}.{q.option_ids[0]}" not in st.session_state:
        for o in q.option_ids:
            st.session_state[f"{widget}.{o}"] = o in mine
    elif not q.multiple and widget not in st.session_state:
        st.session_state[widget] = next(iter(mine))


def choose(q: quiz.Question, order: tuple[str, ...], key: str, disabled: bool) -> set[str]:
    """Radio (one answer) or checkboxes (several); returns the chosen option ids."""
    label = {o: charts.option_label(q, order, o, False, n=200) for o in order}
    if q.multiple:
        st.caption(text.several_rule())
        return {o for o in order if st.checkbox(label[o], key=f"{key}.{o}", disabled=disabled)}
    pick = st.radio(q.prompt, order, index=None, format_func=label.get, key=key, disabled=disabled,
                    label_visibility="collapsed")
    return {pick} if pick else set()


def attendee_summary(state: poll.RoomState) -> None:
    """The attendee's end of the session: their score and each question's outcome."""
    qs = state.room.questions
    score = quiz.grade(qs, state.mine)
    st.markdown(f"**{text.ENDED}**")
    st.subheader(text.your_score(score.text(), score.n_right, score.total))
    for i, g in enumerate(score.graded, 1):
        st.markdown(f"{text.outcome(g.right, g.credit)} · {text.question_of(i, len(qs))}: "
                    f"{g.question.prompt}")
