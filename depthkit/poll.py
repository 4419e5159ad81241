"""The workshop poll: rooms, anonymous answers and live counts in SQLite.

A presenter opens a room and gets a short code for the room and a presenter
key, shown once (only its SHA-256 hash is stored). Attendees join with the
code and answer the Mission's questions under an anonymous random id (one
per browser session, no personal data); answering again replaces the earlier
answer (an UPSERT), so nobody counts twice. The presenter sees how many
answered and how the answers spread, and reveals the correct answer.

Storage: one SQLite file (Python's sqlite3, WAL mode so readers never block
the writer), at $DEPTHKIT_POLL_DB or, by default, data/poll.sqlite3 in the
app folder (git-ignored); the folder is created on demand. Each call opens
its own short-lived connection, so Streamlit's script threads never share
one, and rooms survive a restart of the app.

Everything that comes from a person is untrusted: room codes, presenter keys,
attendee ids, question ids and option ids are checked against their pattern
and the question bank (`PollError` with a message a person can act on), and
every SQL statement is parameterized.

Bounded, so a public demo cannot be filled up: rooms expire ROOM_TTL_S
after they open; at most MAX_ROOMS are open at once (when full, the oldest
room that nobody has answered in for EMPTY_GRACE_S makes way, so a burst of
unused rooms cannot lock presenters out for a day); a room takes at most
MAX_ATTENDEES attendees, and answers per attendee are bounded by the bank, so
the file stays below MAX_ROOMS * MAX_ATTENDEES * len(BANK) small rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pathlib
import re
import secrets
import sqlite3
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from depthkit import quiz

ENV_VAR = "DEPTHKIT_POLL_DB"
DEFAULT_PATH = pathlib.Path(__file__).resolve().parents[1] / "data" / "poll.sqlite3"
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

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL,
    problem TEXT NOT NULL,
    seed INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reveals (
    code TEXT NOT NULL REFERENCES rooms(code) ON DELETE CASCADE,
    question_id TEXT NOT NULL,
    PRIMARY KEY (code, question_id)
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


class PollError(ValueError):
    """Input that cannot be used (bad code, unknown room, room full...); the message says why."""


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


def new_attendee_id() -> str:
    """An anonymous random id for one browser session."""
    return secrets.token_hex(16)


def _hash_key(key: str) -> str:
    # the key is 128 random bits, so a plain hash cannot be brute-forced
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class PollStore:
    """The poll database at `path` (default: `db_path()`)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = pathlib.Path(path) if path is not None else db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            con.execute("PRAGMA foreign_keys=ON")
            con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            yield con
        finally:
            con.close()

    @contextmanager
    def _write(self):
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

    def room(self, code: str, now: float | None = None) -> Room:
        """The open room with this code; PollError if the code is malformed, unknown or expired."""
        code = normalize_code(code)
        now = time.time() if now is None else now
        with self._connect() as con:
            row = con.execute("SELECT code, problem, seed, created FROM rooms WHERE code = ?",
                              (code,)).fetchone()
        if row is None or row[3] < now - ROOM_TTL_S:
            raise PollError("No open room has that code. Check the code on the presenter's screen; "
                            "rooms close after 12 hours.")
        return Room(*row)

    def check_key(self, code: str, key: str) -> bool:
        """Does `key` open the presenter view of room `code`?"""
        code = normalize_code(code)
        if not isinstance(key, str) or not KEY_PATTERN.match(key.strip()):
            return False
        with self._connect() as con:
            row = con.execute("SELECT key_hash FROM rooms WHERE code = ?", (code,)).fetchone()
        return row is not None and hmac.compare_digest(row[0], _hash_key(key.strip()))

    def _presenter(self, code: str, key: str) -> Room:
        room = self.room(code)
        if not self.check_key(room.code, key):
            raise PollError("That presenter key does not open this room.")
        return room

    # answers ----------------------------------------------------------------
    def submit(self, code: str, attendee: str, question_id: str, option_ids: Iterable[str],
               now: float | None = None) -> None:
        """Record (or replace) one attendee's answer to one question of the room."""
        room = self.room(code, now)
        if not isinstance(attendee, str) or not ATTENDEE_PATTERN.match(attendee):
            raise PollError("Your session id is not valid; reload the page to get a new one.")
        q = _room_question(room, question_id)
        try:
            chosen = quiz.check_options(q, list(option_ids))
        except (ValueError, TypeError) as err:
            raise PollError(f"That answer cannot be recorded: {err}.") from None
        now = time.time() if now is None else now
        with self._write() as con:
            known = con.execute("SELECT 1 FROM answers WHERE code = ? AND attendee = ? LIMIT 1",
                                (room.code, attendee)).fetchone()
            if known is None:
                (n,) = con.execute("SELECT COUNT(DISTINCT attendee) FROM answers WHERE code = ?",
                                   (room.code,)).fetchone()
                if n >= MAX_ATTENDEES:
                    raise PollError(f"This room is full ({MAX_ATTENDEES} attendees).")
            con.execute(
                "INSERT INTO answers (code, question_id, attendee, options, updated) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (code, question_id, attendee) DO UPDATE SET options = excluded.options, "
                "updated = excluded.updated",
                (room.code, q.id, attendee, json.dumps(sorted(chosen)), now))

    def my_answer(self, code: str, attendee: str, question_id: str) -> frozenset[str]:
        """What this attendee last sent for the question (empty if nothing)."""
        room = self.room(code)
        if not isinstance(attendee, str) or not ATTENDEE_PATTERN.match(attendee):
            return frozenset()
        q = _room_question(room, question_id)
        with self._connect() as con:
            row = con.execute("SELECT options FROM answers "
                              "WHERE code = ? AND question_id = ? AND attendee = ?",
                              (room.code, q.id, attendee)).fetchone()
        return frozenset(json.loads(row[0])) if row else frozenset()

    def counts(self, code: str, question_id: str) -> Counts:
        """How many answered the question, and how many chose each option."""
        room = self.room(code)
        q = _room_question(room, question_id)
        with self._connect() as con:
            rows = con.execute("SELECT options FROM answers WHERE code = ? AND question_id = ?",
                               (room.code, q.id)).fetchall()
        per_option = {oid: 0 for oid in q.option_ids}
        for (options,) in rows:
            for oid in json.loads(options):
                if oid in per_option:
                    per_option[oid] += 1
        return Counts(len(rows), per_option)

    def attendees(self, code: str) -> int:
        """How many attendees have answered anything in the room."""
        room = self.room(code)
        with self._connect() as con:
            (n,) = con.execute("SELECT COUNT(DISTINCT attendee) FROM answers WHERE code = ?",
                               (room.code,)).fetchone()
        return n

    # reveals ----------------------------------------------------------------
    def reveal(self, code: str, key: str, question_id: str) -> None:
        """Show the room the correct answer of a question (presenter only)."""
        room = self._presenter(code, key)
        q = _room_question(room, question_id)
        with self._write() as con:
            con.execute("INSERT OR IGNORE INTO reveals (code, question_id) VALUES (?, ?)", (room.code, q.id))

    def revealed(self, code: str) -> frozenset[str]:
        """Ids of the questions whose answers the presenter has revealed."""
        room = self.room(code)
        with self._connect() as con:
            rows = con.execute("SELECT question_id FROM reveals WHERE code = ?", (room.code,)).fetchall()
        return frozenset(r[0] for r in rows)


def _room_question(room: Room, question_id: str) -> quiz.Question:
    try:
        q = quiz.question(question_id)
    except ValueError:
        raise PollError("That is not one of the Mission's questions.") from None
    if q not in room.questions:
        raise PollError("That question is not part of this room.")
    return q
