"""The words of the workshop poll (presenter screen and attendee phone); numbers through fmt."""

from __future__ import annotations

from depthkit.core import fmt
from depthkit.workshop import quiz
from depthkit.workshop.mission import PUBLIC_URL_ENV

JOIN_HEADING = "Join the poll"
JOIN_HOW = "Scan the QR code with a phone camera or open the link; or type the room code:"
LOCALHOST = ("Phones cannot open this link: it points at this computer (localhost). Start the app with "
             "`streamlit run streamlit_app.py --server.address 0.0.0.0` and open it at this computer's "
             "network address (e.g. `http://192.168.1.20:8501`), or set "
             f"`{PUBLIC_URL_ENV}` to the app's public address (e.g. `https://yourapp.streamlit.app`).")
UNKNOWN_ADDRESS = ("This browser did not report the app's address, so the link is relative: open it "
                   f"from this app, or set `{PUBLIC_URL_ENV}` to the app's public address.")
KEY_EXPANDER = "Presenter key (keep it off the projector)"
KEY_WHY = ("The key reopens this room's presenter view, in this tab after a reload or in another "
           "browser. This tab holds the key until it is reloaded or closed; download it (or copy it "
           "privately) to get back in after that. It is not shown here so that nobody in the room can "
           "copy it from the screen.")
KEY_SHOW = "Show the key on this screen (turn the projector off first)"
KEY_DOWNLOAD = "Download the key"
KEY_FILE = """depthkit workshop room {code}

Presenter key: {key}

To reopen the presenter view: open {present_link}
choose "Back to your room" and paste the key. Keep this file to yourself.
"""
SHORTCUTS_HELP = ("Keyboard: PageDown next, PageUp previous (what a presentation clicker sends), "
                  "A reveal, X close or reopen voting, E end and show the summary.")
ATTENDEE_INTRO = ("Type the room code from the presenter's screen, or scan its QR code. You stay "
                  "anonymous: your tab gets a random id; only that id, when you joined, your answers "
                  "and when you sent them are stored, and the presenter sees counts, never who "
                  "answered what.")
CLOSED = "Voting on this question is closed."
ENDED = "The presenter has ended the session."
NOT_SENT = "You did not answer this question."


def answered(n: int, people: int) -> str:
    return f"{fmt.integer(n)} of {fmt.integer(people)}"


def question_of(i: int, n: int) -> str:
    return f"Question {fmt.integer(i)} of {fmt.integer(n)}"


def voting(open_: bool, revealed: bool) -> str:
    if revealed:
        return "Answer revealed; voting closed."
    return "Voting is open." if open_ else "Voting is closed."


def your_score(points_text: str, right: int, total: int) -> str:
    return (f"Your score: {points_text} ({fmt.integer(right)} of {fmt.integer(total)} questions fully "
            "right).")


def room_line(attendees: int, answered_any: int, mean: float | None, questions: int) -> str:
    text = (f"{fmt.integer(attendees)} joined, {fmt.integer(answered_any)} answered at least one "
            "question")
    return text + (f"; their mean score: {fmt.num(mean)} of {fmt.integer(questions)} points."
                   if mean is not None else ".")


def several_rule() -> str:
    """The caption over a question's checkboxes: what to do, and how it is scored."""
    return f"Tick every option that applies: {quiz.SEVERAL_RULE}."


def outcome(right: bool, credit: float) -> str:
    """A question's outcome in the attendee's summary: mark and words, never the mark alone."""
    if right:
        return "✓ right"
    return f"◐ partly right ({fmt.num(credit)} of a point)" if credit > 0 else "✗ wrong"


def the_answer(right: str, why: str) -> str:
    """What the presenter's screen says after Reveal (nobody's answer is judged there): the answer
    and the explanation's first sentence (`Question.short`); the rest sits behind `MORE`."""
    return f"The answer: {right} {why}"


MORE = "More"  # the expander that holds the rest of an explanation (`Question.more`)
