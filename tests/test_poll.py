"""The workshop poll: rooms, answers, counts, restarts, concurrency, bad input, bounds."""

import json
import sqlite3
import threading
import time

import pytest

from depthkit.workshop import poll, quiz

Q = quiz.BANK[0]  # the lecture's question, correct "c"
M = quiz.BY_ID["exploding-signs-multi"]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(poll.ENV_VAR, str(tmp_path / "sub" / "poll.sqlite3"))
    return poll.PollStore()


def test_path_from_env_and_default(tmp_path, monkeypatch):
    monkeypatch.setenv(poll.ENV_VAR, str(tmp_path / "x.sqlite3"))
    assert poll.db_path() == tmp_path / "x.sqlite3"
    monkeypatch.delenv(poll.ENV_VAR)
    assert poll.db_path() == poll.DEFAULT_PATH
    assert poll.DEFAULT_PATH.parent.name == "data" and poll.DEFAULT_PATH.name == "poll.sqlite3"


def test_folder_created_and_wal_mode(store, tmp_path):
    assert store.path == tmp_path / "sub" / "poll.sqlite3" and store.path.is_file()
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_create_join_answer_count(store):
    code, key = store.create_room()
    assert poll.CODE_PATTERN.match(code) and len(code) == 6
    assert not set(code) & set("01IOL")
    room = store.room(code.lower())  # typed in lower case still works
    assert room.code == code and room.questions == quiz.BANK
    a, b, c = (poll.new_attendee_id() for _ in range(3))
    store.submit(code, a, Q.id, ["c"])
    store.submit(code, b, Q.id, ["a"])
    store.submit(code, c, M.id, ["a", "b"])
    counts = store.counts(code, Q.id)
    assert counts.answered == 2 and counts.per_option == {"a": 1, "b": 0, "c": 1, "d": 0}
    assert store.counts(code, M.id).per_option == {"a": 1, "b": 1, "c": 0, "d": 0}
    assert store.attendees(code) == 3
    assert store.my_answer(code, a, Q.id) == {"c"}


def test_resubmission_replaces_the_earlier_answer(store):
    code, _ = store.create_room()
    a = poll.new_attendee_id()
    store.submit(code, a, Q.id, ["a"])
    store.submit(code, a, Q.id, ["c"])
    counts = store.counts(code, Q.id)
    assert counts.answered == 1 and counts.per_option["a"] == 0 and counts.per_option["c"] == 1


def test_presenter_key_is_hashed_and_required_to_reveal(store):
    code, key = store.create_room()
    raw = store.path.read_bytes() + b"".join(p.read_bytes() for p in store.path.parent.glob("*-wal"))
    assert key.encode() not in raw  # only the hash is stored
    assert store.check_key(code, key) and not store.check_key(code, key[:-1] + "x")
    assert not store.check_key(code, "") and not store.check_key(code, "<script>")
    other, other_key = store.create_room()
    assert not store.check_key(code, other_key)
    with pytest.raises(poll.PollError):
        store.reveal(code, other_key, Q.id)
    assert store.revealed(code) == frozenset()
    store.reveal(code, key, Q.id)
    assert store.revealed(code) == {Q.id}
    assert store.revealed(other) == frozenset()


def test_rooms_survive_a_restart(store):
    code, key = store.create_room(problem="exploding", seed=77)
    a = poll.new_attendee_id()
    q = quiz.questions("exploding")[0]
    store.submit(code, a, q.id, list(q.correct))
    store.reveal(code, key, q.id)
    again = poll.PollStore(store.path)  # a new process would open a new connection like this
    room = again.room(code)
    assert (room.problem, room.seed) == ("exploding", 77)
    assert again.counts(code, q.id).answered == 1
    assert again.revealed(code) == {q.id} and again.check_key(code, key)


def test_fifty_concurrent_attendees_lose_nothing(store):
    code, _ = store.create_room()
    n = 50
    ids = [poll.new_attendee_id() for _ in range(n)]
    barrier = threading.Barrier(n)
    errors = []

    def attend(i):
        try:
            s = poll.PollStore(store.path)
            barrier.wait()
            s.submit(code, ids[i], Q.id, ["abcd"[i % 4]])
            s.submit(code, ids[i], M.id, ["a", "b"] if i % 2 else ["c"])
            s.submit(code, ids[i], Q.id, ["abcd"[(i + 1) % 4]])  # change of mind: replaces
        except Exception as err:  # noqa: BLE001 - collected and reported below
            errors.append(err)

    threads = [threading.Thread(target=attend, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    counts = store.counts(code, Q.id)
    assert counts.answered == n
    expected = {o: sum(1 for i in range(n) if "abcd"[(i + 1) % 4] == o) for o in "abcd"}
    assert counts.per_option == expected
    assert store.counts(code, M.id).answered == n
    assert store.attendees(code) == n


@pytest.mark.parametrize("bad", ["", "ABC", "ABCDEFG", "ABCDE0", "ABCDEI", "ABC DE!", "' OR 1=1 --",
                                 "<b>ABCDEF</b>", "A" * 1000, None])
def test_bad_codes_are_rejected(store, bad):
    with pytest.raises(poll.PollError):
        store.room(bad)


def test_unknown_code_and_expired_room(store):
    with pytest.raises(poll.PollError, match="No open room"):
        store.room("ABCDEF")
    code, _ = store.create_room(now=1000.0)
    with pytest.raises(poll.PollError, match="No open room"):
        store.room(code)  # created long ago: expired


def test_bad_questions_options_and_attendees_are_rejected(store):
    code, _ = store.create_room(problem="vanishing")
    a = poll.new_attendee_id()
    for qid, options in [("no-such-question", ["a"]), ("'; DROP TABLE answers; --", ["a"]),
                         (M.id, ["a"]),  # an exploding question in a vanishing room
                         (Q.id, ["z"]), (Q.id, ["a", "b"]), (Q.id, []), (Q.id, ["<img>"])]:
        with pytest.raises(poll.PollError):
            store.submit(code, a, qid, options)
    for attendee in ("", "x" * 32, "ABCDEF" * 6, None):
        with pytest.raises(poll.PollError):
            store.submit(code, attendee, Q.id, ["c"])
    with pytest.raises(ValueError):
        store.create_room(problem="nonsense")
    with pytest.raises(poll.PollError):
        store.create_room(seed=-1)
    assert store.counts(code, Q.id).answered == 0
    assert sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM answers").fetchone()[0] == 0


def test_rooms_are_bounded(store, monkeypatch):
    monkeypatch.setattr(poll, "MAX_ROOMS", 3)
    old, _ = store.create_room(now=1000.0)  # expired: deleted when the next room opens
    store.submit(old, poll.new_attendee_id(), Q.id, ["a"], now=1001.0)
    codes = [store.create_room()[0] for _ in range(3)]
    with pytest.raises(poll.PollError):
        store.room(old)
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT COUNT(*) FROM answers WHERE code = ?", (old,)).fetchone()[0] == 0
    with pytest.raises(poll.PollError, match="Too many"):
        store.create_room()  # all three are fresh (within the grace period)
    later = time.time() + poll.EMPTY_GRACE_S + 60
    store.submit(codes[0], poll.new_attendee_id(), Q.id, ["a"], now=later)
    fourth, _ = store.create_room(now=later)  # the oldest room nobody answered in makes way
    with pytest.raises(poll.PollError):
        store.room(codes[1])
    for code in (codes[0], codes[2], fourth):
        assert store.room(code).code == code


def test_attendees_per_room_are_bounded(store, monkeypatch):
    monkeypatch.setattr(poll, "MAX_ATTENDEES", 2)
    code, _ = store.create_room()
    a, b, c = (poll.new_attendee_id() for _ in range(3))
    store.submit(code, a, Q.id, ["a"])
    store.submit(code, b, Q.id, ["b"])
    with pytest.raises(poll.PollError, match="full"):
        store.submit(code, c, Q.id, ["c"])
    store.submit(code, a, Q.id, ["c"])  # those already in may still change their answers
    assert store.counts(code, Q.id).per_option == {"a": 0, "b": 1, "c": 1, "d": 0}


# the presenter paces the room; one-statement snapshots; the end of the session ------------
def test_snapshot_reads_the_whole_room_in_one_statement(store, monkeypatch):
    code, key = store.create_room(problem="exploding", seed=3)
    qs = quiz.questions("exploding")
    a, b = poll.new_attendee_id(), poll.new_attendee_id()
    store.join(code, a)
    store.submit(code, a, qs[0].id, [qs[0].option_ids[0]])
    store.submit(code, b, qs[1].id, list(qs[1].correct))
    statements = []
    real = sqlite3.connect

    def counting(*args, **kwargs):
        con = real(*args, **kwargs)
        con.set_trace_callback(lambda sql: sql.lstrip().startswith("SELECT") and statements.append(sql))
        return con

    monkeypatch.setattr(sqlite3, "connect", counting)
    state = store.snapshot(code, a, counts=True)
    assert len(statements) == 1  # one SELECT, whatever the number of questions
    assert (state.current, state.ended, state.attendees, state.joined) == (0, False, 2, True)
    assert state.mine == {qs[0].id: frozenset({qs[0].option_ids[0]})}
    assert state.counts[qs[1].id].answered == 1
    assert state.counts[qs[0].id].per_option[qs[0].option_ids[0]] == 1
    assert store.snapshot(code, poll.new_attendee_id()).joined is False
    assert store.snapshot(code, "<bad id>").mine == {}


def test_presenter_paces_closes_reveals_and_ends(store):
    code, key = store.create_room(problem="speed")
    qs = quiz.questions("speed")
    a = poll.new_attendee_id()
    assert store.go_to(code, key, 1) == 1 and store.snapshot(code).question == qs[1]
    assert store.go_to(code, key, 99) == len(qs) - 1 and store.go_to(code, key, -5) == 0
    store.close(code, key, qs[0].id)
    with pytest.raises(poll.PollError, match="closed"):
        store.submit(code, a, qs[0].id, [qs[0].option_ids[0]])
    store.close(code, key, qs[0].id, closed=False)
    store.submit(code, a, qs[0].id, [qs[0].option_ids[0]])
    store.reveal(code, key, qs[0].id)
    store.close(code, key, qs[0].id, closed=False)  # a revealed question stays closed
    assert not store.snapshot(code).is_open(qs[0].id)
    with pytest.raises(poll.PollError, match="closed"):
        store.submit(code, a, qs[0].id, [qs[0].option_ids[1]])
    store.end(code, key)
    assert store.snapshot(code).ended and not store.snapshot(code).is_open(qs[1].id)
    with pytest.raises(poll.PollError, match="closed"):
        store.submit(code, a, qs[1].id, [qs[1].option_ids[0]])
    store.go_to(code, key, 1)  # moving on resumes the session
    assert not store.snapshot(code).ended
    for action, args in [(store.go_to, (2,)), (store.close, (qs[1].id,)), (store.reveal, (qs[1].id,)),
                         (store.end, ())]:
        for bad in ("", "wrong-key-wrong-key", "<script>alert(1)</script>", None):
            with pytest.raises(poll.PollError, match="presenter key"):
                action(code, bad, *args)
    assert store.snapshot(code).current == 1 and store.revealed(code) == {qs[0].id}
    assert store.counts(code, qs[0].id).answered == 1  # nothing lost, nothing counted twice


def test_join_counts_each_attendee_once(store, monkeypatch):
    monkeypatch.setattr(poll, "MAX_ATTENDEES", 2)
    code, _ = store.create_room()
    a, b, c = (poll.new_attendee_id() for _ in range(3))
    for _ in range(3):
        store.join(code, a)  # reloads
    store.join(code, b)
    assert store.attendees(code) == 2
    with pytest.raises(poll.PollError, match="full"):
        store.join(code, c)
    with pytest.raises(poll.PollError):
        store.join(code, "A" * 32)


def test_summary_scores_and_csv_without_ids(store):
    code, key = store.create_room(problem="exploding", seed=1)
    qs = quiz.questions("exploding")
    ids = [poll.new_attendee_id() for _ in range(3)]
    wrong0 = [o for o in qs[0].option_ids if o not in qs[0].correct][:1]
    store.submit(code, ids[0], qs[0].id, list(qs[0].correct))
    store.submit(code, ids[1], qs[0].id, wrong0)
    store.submit(code, ids[0], qs[1].id, list(qs[1].correct))
    store.join(code, ids[2])  # joined, answered nothing
    s = store.summary(code)
    assert s.attendees == 3 and s.scores == (0.0, 2.0)
    assert s.right[qs[0].id] == 1 and s.share_right(qs[0].id) == 0.5 and s.share_right(qs[-1].id) is None
    rows = poll.counts_csv(s).splitlines()
    assert rows[0] == "question,prompt,option,option_text,correct,attendees_who_chose,attendees_who_answered"
    assert len(rows) == 1 + sum(len(q.options) for q in qs)
    assert not any(i in poll.counts_csv(s) for i in ids)
    first = [r for r in rows[1:] if r.startswith("1,")]
    assert sum(int(r.rsplit(",", 2)[1]) for r in first) == 2


def test_a_deleted_database_file_is_a_plain_message_not_a_crash(store):
    code, key = store.create_room()
    for path in store.path.parent.glob("poll.sqlite3*"):
        path.unlink()
    with pytest.raises(poll.PollError, match="server has restarted"):
        store.snapshot(code)
    assert store.create_room()[0]  # the poll works again at once


def test_a_file_from_the_first_schema_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE rooms (code TEXT PRIMARY KEY, key_hash TEXT NOT NULL, "
                      "problem TEXT NOT NULL, seed INTEGER NOT NULL, created REAL NOT NULL);")
    con.execute("INSERT INTO rooms VALUES ('ABCDEF', 'x', 'all', 0, ?)", (time.time(),))
    con.commit()
    con.close()
    state = poll.PollStore(path).snapshot("ABCDEF")
    assert (state.current, state.ended, state.attendees) == (0, False, 0)


def test_normalize_attendee():
    me = poll.new_attendee_id()
    assert poll.normalize_attendee(me.upper()) == me
    for bad in ("", "x" * 32, me + "0", "<script>", None, me[:-1] + "g"):
        with pytest.raises(poll.PollError):
            poll.normalize_attendee(bad)


def test_what_is_stored_about_an_attendee_is_what_the_join_screen_says(store):
    """"only that id, when you joined, your answers and when you sent them are stored": every column
    that holds an attendee's id, and each table's columns, are exactly those."""
    from depthkit.presentation.text import poll as words
    stored = "only that id, when you joined, your answers and when you sent them are stored"
    assert stored in words.ATTENDEE_INTRO
    con = sqlite3.connect(store.path)
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    columns = {t: [c[1] for c in con.execute(f"PRAGMA table_info({t})")] for t in tables}
    about_attendees = {t: c for t, c in columns.items() if "attendee" in c}
    assert about_attendees == {"attendees": ["code", "attendee", "joined"],
                               "answers": ["code", "question_id", "attendee", "options", "updated"]}
    code, _ = store.create_room("all", 0)
    me = poll.new_attendee_id()
    store.join(code, me)
    store.submit(code, me, Q.id, ["c"])
    rows = con.execute("SELECT * FROM answers WHERE attendee = ?", (me,)).fetchall()
    assert [r[:3] for r in rows] == [(code, Q.id, me)] and json.loads(rows[0][3]) == ["c"]
    assert isinstance(rows[0][4], float)  # when it was sent
