"""The workshop poll: rooms, anonymous attendees, answers and the room's pace, in SQLite.

A presenter opens a room and gets a short code and a presenter key (only its
SHA-256 hash is stored). The presenter paces the room: one question is on
screen (`current`), voting on it can be closed, its answer revealed, and the
session ended (the summary). Attendees join by the room's link under an
opaque random id (no personal data) that their own tab keeps, so a reload is
the same attendee; answering again replaces the earlier answer (an UPSERT),
so nobody counts twice.

Reads: `snapshot(code, attendee)` returns everything one view of a room needs
(the room, its pace, how many joined, the attendee's own answers and, for the
presenter, the counts per option) from ONE SQL statement, so a page rerun
opens one connection whatever the number of questions. `summary(code)` reads
the answers once more for the end of the session.

Storage: one SQLite file (Python's sqlite3, WAL mode so readers never block
the writer), at $DEPTHKIT_POLL_DB or, by default, data/poll.sqlite3 in the
app folder (git-ignored); the folder is created on demand, and the file again
if it disappears (a reboot of the hosting service loses local files: the
rooms are then unknown, and the message says so). Each call opens its own
short-lived connection, so Streamlit's script threads never share one. An
attendee's write (join, answer) is ONE statement with its checks (room open,
question not closed, room not full) in its WHERE clause, so it is atomic and
holds the write lock for a single step; the presenter's writes are
transactions that take the lock first (BEGIN IMMEDIATE). Primary keys make a
double count impossible.

Everything that comes from a person is untrusted: room codes, presenter keys,
attendee ids, question ids and option ids are checked against their pattern
and the question bank (`PollError` with a one-line message a person can act
on), and every SQL statement is parameterized.

Bounded, so a public demo cannot be filled up: rooms expire ROOM_TTL_S
after they open; at most MAX_ROOMS are open at once (when full, the oldest
room that nobody has answered in for EMPTY_GRACE_S makes way); a room takes
at most MAX_ATTENDEES attendees, and answers per attendee are bounded by the
bank.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import pathlib
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from depthkit.workshop import quiz

ENV_VAR = "DEPTHKIT_POLL_DB"
DEFAULT_PATH = pathlib.Path(__file__).resolve().parents[2] / "data" / "poll.sqlite3"
# no 0/O, 1/I/L: codes are read off a projector and typed on phones
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
CODE_PATTERN = re.compile(f"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ATTENDEE_PATTERN = re.compile(r"^[0-9a-f]{32}$")
ROOM_TTL_S = 12 * 3600
EMPTY_GRACE_S = 15 * 60
MAX_ROOMS = 100
MAX_ATTENDEES = 300
BUSY_TIMEOUT_S = 30.0
LETTERS = "ABCDEF"

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    problem TEXT NOT NULL,
    seed INTEGER NOT NULL,
    created REAL NOT NULL,
    current INTEGER NOT NULL DEFAULT 0,
    ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reveals (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    PRIMARY KEY (code, question_id)
);
CREATE TABLE IF NOT EXISTS closed (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    PRIMARY KEY (code, question_id)
);
CREATE TABLE IF NOT EXISTS attendees (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    attendee TEXT NOT NULL,
    joined REAL NOT NULL,
    PRIMARY KEY (code, attendee)
);
CREATE TABLE IF NOT EXISTS answers (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    attendee TEXT NOT NULL,
    options TEXT NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (code, question_id, attendee)
);
CREATE INDEX IF NOT EXISTS answers_by_attendee ON answers (code, attendee);
"""
# columns added since the first schema: a file written by an older version gains them
_ADDED_COLUMNS = {"current": "INTEGER NOT NULL DEFAULT 0", "ended": "INTEGER NOT NULL DEFAULT 0"}

# One statement reads a room's whole state (see `snapshot`): tagged rows, one kind per part.
_SNAPSHOT = """
SELECT 'room', problem, seed, created, current, ended FROM rooms WHERE code = :code
UNION ALL SELECT 'closed', question_id, NULL, NULL, NULL, NULL FROM closed WHERE code = :code
UNION ALL SELECT 'revealed', question_id, NULL, NULL, NULL, NULL FROM reveals WHERE code = :code
UNION ALL SELECT 'people', COUNT(*), NULL, NULL, NULL, NULL FROM attendees WHERE code = :code
UNION ALL SELECT 'me', attendee, NULL, NULL, NULL, NULL FROM attendees
    WHERE code = :code AND attendee = :me
UNION ALL SELECT 'mine', question_id, options, NULL, NULL, NULL FROM answers
    WHERE code = :code AND attendee = :me
UNION ALL SELECT 'counts', question_id, options, COUNT(*), NULL, NULL FROM answers
    WHERE code = :code AND :counts GROUP BY question_id, options
"""
# Writes by attendees: one statement each, checks included (see PollStore.join).
_JOIN = """
INSERT INTO attendees (code, attendee, joined)
SELECT :c, :a, :now WHERE EXISTS (SELECT 1 FROM rooms WHERE code = :c AND created >= :oldest)
    AND (SELECT COUNT(*) FROM attendees WHERE code = :c) < :cap
ON CONFLICT (code, attendee) DO NOTHING
"""
_ANSWER = """
INSERT INTO answers (code, question_id, attendee, options, updated)
SELECT :c, :q, :a, :o, :now FROM rooms r WHERE r.code = :c AND r.created >= :oldest AND NOT r.ended
    AND NOT EXISTS (SELECT 1 FROM closed WHERE code = :c AND question_id = :q)
    AND NOT EXISTS (SELECT 1 FROM reveals WHERE code = :c AND question_id = :q)
ON CONFLICT (code, question_id, attendee) DO UPDATE SET options = excluded.options, updated = excluded.updated
"""


class PollError(ValueError):
    """Input that cannot be used (bad code, unknown room, room full...); the message says why."""


def room_gone(code: str) -> str:
    """The one-line message for a room the server does not know (expired, or lost in a restart)."""
    return (f"No open room has the code {code}. If the presenter's screen still shows it, the server "
            "has restarted and lost its rooms: the presenter opens a new room and shares its new link.")


@dataclass(frozen=True)
class Room:
    code: str
    problem: str  # "all" or a key of quiz.PROBLEMS
    seed: int  # option order shown to everyone in the room
    created: float

    @property
    def questions(self) -> tuple[quiz.Question, ...]:
        return quiz.questions(self.problem)


@dataclass(frozen=True)
class Counts:
    """One question's answers in a room."""

    answered: int  # attendees who answered
    per_option: dict[str, int]  # option id -> attendees who chose it


@dataclass(frozen=True)
class RoomState:
    """What one view of a room needs, read at one moment (`PollStore.snapshot`)."""

    room: Room
    current: int  # index in room.questions of the question on screen
    ended: bool  # the presenter ended the session: the summary is shown
    closed: frozenset[str]  # question ids whose voting is closed (revealed ones included)
    revealed: frozenset[str]  # question ids whose answer the room has seen
    attendees: int  # attendees who joined the room
    joined: bool  # the attendee asked about has joined
    mine: dict[str, frozenset[str]]  # the attendee's answers: question id -> option ids
    counts: dict[str, Counts] | None  # per question (presenter views only)

    @property
    def question(self) -> quiz.Question:
        return self.room.questions[self.current]

    def is_open(self, question_id: str) -> bool:
        """May attendees still answer this question?"""
        return not self.ended and question_id not in self.closed


@dataclass(frozen=True)
class Summary:
    """The end of a session: per question how the room answered, per attendee the score."""

    room: Room
    counts: dict[str, Counts]  # question id -> counts
    right: dict[str, int]  # question id -> attendees with full credit
    scores: tuple[float, ...]  # points of each attendee who answered anything
    attendees: int  # attendees who joined

    def share_right(self, question_id: str) -> float | None:
        """Share of those who answered the question who got it fully right (None: nobody answered)."""
        answered = self.counts[question_id].answered
        return self.right[question_id] / answered if answered else None


def db_path() -> pathlib.Path:
    """Where the poll lives: $DEPTHKIT_POLL_DB, or data/poll.sqlite3 in the app folder."""
    value = os.environ.get(ENV_VAR, "").strip()
    return pathlib.Path(value) if value else DEFAULT_PATH


def normalize_code(text: str) -> str:
    """A typed room code, upper-cased and without spaces or dashes; PollError if not a code."""
    if not isinstance(text, str) or len(text) > 32:
        raise PollError("A room code is 6 letters and digits, like K7QX2M.")
    code = re.sub(r"[\s-]", "", text).upper()
    if not CODE_PATTERN.match(code):
        raise PollError("That is not a room code: a code is 6 characters from the letters A-Z "
                        "(without I, L, O) and the digits 2-9, like K7QX2M.")
    return code


def normalize_attendee(text: str) -> str:
    """An attendee id as a link carries it (lower-case hex); PollError otherwise."""
    value = text.strip().lower() if isinstance(text, str) and len(text) <= 64 else ""
    if not ATTENDEE_PATTERN.match(value):
        raise PollError("not an attendee id (32 hexadecimal digits)")
    return value


def new_attendee_id() -> str:
    """An anonymous random id for one attendee (kept by their own browser tab)."""
    return secrets.token_hex(16)


def _hash_key(key: str) -> str:
    # the key is 128 random bits, so a plain hash cannot be brute-forced
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _check_attendee(attendee: str) -> None:
    if not isinstance(attendee, str) or not ATTENDEE_PATTERN.match(attendee):
        raise PollError("Your attendee id is not valid; open the room's link again to get a new one.")


class PollStore:
    """The poll database at `path` (default: `db_path()`)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = pathlib.Path(path) if path is not None else db_path()
        self._create()

    def _create(self) -> None:
        """The folder, the file and the tables (again, if the file has gone)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)
            have = {row[1] for row in con.execute("PRAGMA table_info(rooms)")}
            for name, decl in _ADDED_COLUMNS.items():
                if name not in have:
                    con.execute(f"ALTER TABLE rooms ADD COLUMN {name} {decl}")
        finally:
            con.close()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():  # deleted under a running server: start an empty poll
            self._create()
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            yield con
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front, so checks and writes are atomic."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # rooms ------------------------------------------------------------------
    def create_room(self, problem: str = "all", seed: int = 0,
                    now: float | None = None) -> tuple[str, str]:
        """Open a room; returns (code, presenter key). The key is not stored, only its hash."""
        quiz.questions(problem)  # ValueError for an unknown problem
        if not isinstance(seed, int) or not 0 <= seed <= quiz.MAX_SEED:
            raise PollError(f"The option-order seed must be a whole number from 0 to {quiz.MAX_SEED}.")
        now = time.time() if now is None else now
        key = secrets.token_urlsafe(16)
        with self._write() as con:
            con.execute("DELETE FROM rooms WHERE created < ?", (now - ROOM_TTL_S,))
            (open_rooms,) = con.execute("SELECT COUNT(*) FROM rooms").fetchone()
            if open_rooms >= MAX_ROOMS:
                freed = con.execute(
                    "DELETE FROM rooms WHERE code = (SELECT code FROM rooms WHERE created < ? AND "
                    "NOT EXISTS (SELECT 1 FROM answers a WHERE a.code = rooms.code) "
                    "ORDER BY created LIMIT 1)", (now - EMPTY_GRACE_S,))
                if freed.rowcount == 0:
                    raise PollError("Too many workshop rooms are open right now; please try again later "
                                    "(rooms close by themselves after 12 hours).")
            for _ in range(20):
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                if con.execute("SELECT 1 FROM rooms WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:  # pragma: no cover - 31^6 codes, at most MAX_ROOMS taken
                raise PollError("Could not find a free room code; please try again.")
            con.execute("INSERT INTO rooms (code, key_hash, problem, seed, created) VALUES (?, ?, ?, ?, ?)",
                        (code, _hash_key(key), problem, seed, now))
        return code, key

    def _room_row(self, con: sqlite3.Connection, code: str, now: float | None) -> Room:
        """The open room (inside a transaction); PollError if unknown or expired."""
        row = con.execute("SELECT code, problem, seed, created FROM rooms WHERE code = ?", (code,)).fetchone()
        now = time.time() if now is None else now
        if row is None or row[3] < now - ROOM_TTL_S:
            raise PollError(room_gone(code))
        return Room(*row)

    def room(self, code: str, now: float | None = None) -> Room:
        """The open room with this code; PollError if the code is malformed, unknown or expired."""
        code = normalize_code(code)
        with self._connect() as con:
            return self._room_row(con, code, now)

    def check_key(self, code: str, key: str) -> bool:
        """Does `key` open the presenter view of room `code`?"""
        code = normalize_code(code)
        if not isinstance(key, str) or not KEY_PATTERN.match(key.strip()):
            return False
        with self._connect() as con:
            row = con.execute("SELECT key_hash FROM rooms WHERE code = ?", (code,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], _hash_key(key.strip()))

    # one view's state, in one statement -------------------------------------
    def snapshot(self, code: str, attendee: str | None = None, counts: bool = False,
                 now: float | None = None) -> RoomState:
        """The room's state, the attendee's own answers and (with `counts`) the counts per option.

        One SQL statement, so every part is read at the same moment and a view
        costs one connection per rerun whatever the number of questions.
        """
        code = normalize_code(code)
        me = attendee if isinstance(attendee, str) and ATTENDEE_PATTERN.match(attendee) else ""
        with self._connect() as con:
            rows = con.execute(_SNAPSHOT, {"code": code, "me": me, "counts": int(counts)}).fetchall()
        head = [r for r in rows if r[0] == "room"]
        now = time.time() if now is None else now
        if not head or head[0][3] < now - ROOM_TTL_S:
            raise PollError(room_gone(code))
        _, problem, seed, created, current, ended = head[0]
        room = Room(code, problem, seed, created)
        parts: dict[str, list] = {}
        for kind, *values in rows:
            parts.setdefault(kind, []).append(values)
        closed = frozenset(v[0] for v in parts.get("closed", ()))
        revealed = frozenset(v[0] for v in parts.get("revealed", ()))
        mine = {v[0]: frozenset(json.loads(v[1])) for v in parts.get("mine", ())}
        return RoomState(room, min(max(int(current), 0), len(room.questions) - 1), bool(ended),
                         closed | revealed, revealed, int(parts["people"][0][0]), bool(parts.get("me")),
                         mine, _tally(room, (v[:3] for v in parts.get("counts", ()))) if counts else None)

    # attendees --------------------------------------------------------------
    def join(self, code: str, attendee: str, now: float | None = None) -> None:
        """Count an attendee in the room (once, however often they reload); PollError if full.

        One statement (checks and insert together), so the write lock is held for
        one step: with a hundred script threads taking turns on the GIL, a
        transaction of several statements held the lock long enough to time out
        the others (measured with bench/poll_load.py).
        """
        code = normalize_code(code)
        _check_attendee(attendee)
        now = time.time() if now is None else now
        with self._connect() as con:
            done = con.execute(_JOIN, {"c": code, "a": attendee, "now": now, "oldest": now - ROOM_TTL_S,
                                       "cap": MAX_ATTENDEES}).rowcount
            if done or con.execute("SELECT 1 FROM attendees WHERE code = ? AND attendee = ?",
                                   (code, attendee)).fetchone():
                return
            self._room_row(con, code, now)  # PollError if the room is gone
        raise PollError(f"This room is full ({MAX_ATTENDEES} attendees); ask the presenter to open another.")

    def submit(self, code: str, attendee: str, question_id: str, option_ids: Iterable[str],
               now: float | None = None) -> None:
        """Record (or replace) one attendee's answer to one question of the room.

        The attendee joins first if they had not (one statement), then the answer
        is one statement that writes only while the room is open and the question's
        voting is not closed; the primary key makes a second row impossible.
        """
        room = self.room(code, now)
        _check_attendee(attendee)
        q = _room_question(room, question_id)
        try:
            chosen = quiz.check_options(q, list(option_ids))
        except (ValueError, TypeError) as err:
            raise PollError(f"That answer cannot be recorded: {err}.") from None
        now = time.time() if now is None else now
        self.join(room.code, attendee, now)
        with self._connect() as con:
            values = {"c": room.code, "q": q.id, "a": attendee, "now": now, "o": json.dumps(sorted(chosen)),
                      "oldest": now - ROOM_TTL_S}
            done = con.execute(_ANSWER, values).rowcount
            if not done:
                self._room_row(con, room.code, now)  # PollError if the room is gone
                raise PollError("Voting on this question is closed; your earlier answer (if any) counts.")

    # reads kept for scripts and tests: each one snapshot --------------------
    def my_answer(self, code: str, attendee: str, question_id: str) -> frozenset[str]:
        """What this attendee last sent for the question (empty if nothing)."""
        return self.snapshot(code, attendee).mine.get(question_id, frozenset())

    def counts(self, code: str, question_id: str) -> Counts:
        """How many answered the question, and how many chose each option."""
        state = self.snapshot(code, counts=True)
        assert state.counts is not None  # asked for
        return state.counts[_room_question(state.room, question_id).id]

    def attendees(self, code: str) -> int:
        """How many attendees joined the room."""
        return self.snapshot(code).attendees

    def revealed(self, code: str) -> frozenset[str]:
        """Ids of the questions whose answers the presenter has revealed."""
        return self.snapshot(code).revealed

    # the presenter paces the room -------------------------------------------
    @contextmanager
    def _presenting(self, code: str, key: str) -> Iterator[tuple[sqlite3.Connection, Room]]:
        """A write transaction on the room, only with its presenter key."""
        code = normalize_code(code)
        ok = isinstance(key, str) and KEY_PATTERN.match(key.strip())
        with self._write() as con:
            room = self._room_row(con, code, None)
            row = con.execute("SELECT key_hash FROM rooms WHERE code = ?", (code,)).fetchone()
            if not ok or not hmac.compare_digest(row[0], _hash_key(key.strip())):
                raise PollError("That presenter key does not open this room.")
            yield con, room

    def go_to(self, code: str, key: str, index: int) -> int:
        """Put question `index` (clamped to the room's questions) on every screen; returns it."""
        with self._presenting(code, key) as (con, room):
            index = min(max(int(index), 0), len(room.questions) - 1)
            con.execute("UPDATE rooms SET current = ?, ended = 0 WHERE code = ?", (index, room.code))
        return index

    def close(self, code: str, key: str, question_id: str, closed: bool = True) -> None:
        """Close (or reopen) voting on a question; a revealed question stays closed."""
        with self._presenting(code, key) as (con, room):
            q = _room_question(room, question_id)
            if closed:
                con.execute("INSERT OR IGNORE INTO closed (code, question_id) VALUES (?, ?)",
                            (room.code, q.id))
            else:
                con.execute("DELETE FROM closed WHERE code = ? AND question_id = ?", (room.code, q.id))

    def reveal(self, code: str, key: str, question_id: str) -> None:
        """Show the room the correct answer of a question (presenter only); closes its voting."""
        with self._presenting(code, key) as (con, room):
            q = _room_question(room, question_id)
            con.execute("INSERT OR IGNORE INTO reveals (code, question_id) VALUES (?, ?)", (room.code, q.id))
            con.execute("INSERT OR IGNORE INTO closed (code, question_id) VALUES (?, ?)", (room.code, q.id))

    def end(self, code: str, key: str, ended: bool = True) -> None:
        """End the session (every screen shows the summary), or go back to the questions."""
        with self._presenting(code, key) as (con, room):
            con.execute("UPDATE rooms SET ended = ? WHERE code = ?", (int(ended), room.code))

    # the end of the session -------------------------------------------------
    def summary(self, code: str) -> Summary:
        """How the room answered each question and the spread of the attendees' scores."""
        code = normalize_code(code)
        with self._connect() as con:
            con.execute("BEGIN")  # one read transaction: the room and its answers at one moment
            room = self._room_row(con, code, None)
            (people,) = con.execute("SELECT COUNT(*) FROM attendees WHERE code = ?", (code,)).fetchone()
            rows = con.execute("SELECT attendee, question_id, options FROM answers WHERE code = ?",
                               (code,)).fetchall()
            con.execute("COMMIT")
        return _summarize(room, rows, people)


def _room_question(room: Room, question_id: str) -> quiz.Question:
    try:
        q = quiz.question(question_id)
    except ValueError:
        raise PollError("That is not one of the Mission's questions.") from None
    if q not in room.questions:
        raise PollError("That question is not part of this room.")
    return q


def _tally(room: Room, grouped: Iterable) -> dict[str, Counts]:
    """Counts per question from (question id, options JSON, attendees) rows."""
    answered = {q.id: 0 for q in room.questions}
    per_option = {q.id: {o: 0 for o in q.option_ids} for q in room.questions}
    for qid, options, n in grouped:
        if qid not in answered:
            continue  # not this room's question (cannot happen through submit)
        answered[qid] += n
        for oid in json.loads(options):
            if oid in per_option[qid]:
                per_option[qid][oid] += n
    return {qid: Counts(answered[qid], per_option[qid]) for qid in answered}


def _summarize(room: Room, rows: Iterable, attendees: int) -> Summary:
    """A Summary from (attendee, question id, options JSON) rows."""
    by_attendee: dict[str, dict[str, list[str]]] = {}
    grouped: dict[tuple[str, str], int] = {}
    for who, qid, options in rows:
        by_attendee.setdefault(who, {})[qid] = json.loads(options)
        grouped[(qid, options)] = grouped.get((qid, options), 0) + 1
    counts = _tally(room, ((qid, opts, n) for (qid, opts), n in grouped.items()))
    right = {q.id: 0 for q in room.questions}
    scores = []
    for answers in by_attendee.values():
        score = quiz.grade(room.questions, answers)
        scores.append(round(score.points, 6))
        for g in score.graded:
            right[g.question.id] += g.right
    return Summary(room, counts, right, tuple(sorted(scores)), attendees)


def counts_csv(summary: Summary) -> str:
    """The room's answers as CSV: one row per option of each question, counts only (no ids)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["question", "prompt", "option", "option_text", "correct", "attendees_who_chose",
                "attendees_who_answered"])
    room = summary.room
    for i, q in enumerate(room.questions, 1):
        c = summary.counts[q.id]
        for j, o in enumerate(quiz.option_order(q, room.seed)):
            w.writerow([i, q.prompt, LETTERS[j], q.option_text(o), "yes" if o in q.correct else "no",
                        c.per_option[o], c.answered])
    return out.getvalue()
