"""The on-disk result store: round trip, versioned by code, corrupt entries recomputed, bounded, atomic."""

import os
import threading
import time

import numpy as np

from depthkit.models import ModelSettings
from depthkit.store import ResultStore, code_hash


def test_round_trip_and_keys(tmp_path):
    store = ResultStore(tmp_path, version="v1")
    value = {"loss": np.arange(5.0), "label": "sigmoid"}
    assert store.get("run", ModelSettings(depth=3)) is None
    store.put("run", ModelSettings(depth=3), value)
    got = store.get("run", ModelSettings(depth=3))
    np.testing.assert_array_equal(got["loss"], value["loss"])
    assert store.get("run", ModelSettings(depth=4)) is None  # other settings
    assert store.get("other", ModelSettings(depth=3)) is None  # other function


def test_older_code_is_never_read_and_is_removed_first(tmp_path):
    ResultStore(tmp_path, version="old").put("run", 1, "old result")
    new = ResultStore(tmp_path, version="new")
    assert new.get("run", 1) is None
    new.put("run", 1, "new result")
    assert not (tmp_path / "old").exists()
    assert new.get("run", 1) == "new result"


def test_corrupt_or_truncated_entries_are_misses_and_dropped(tmp_path):
    store = ResultStore(tmp_path, version="v")
    store.put("run", 1, list(range(1000)))
    (path,) = store.entries()
    blob = path.read_bytes()
    path.write_bytes(blob[:-10])  # truncated
    assert store.get("run", 1) is None and not path.exists()
    store.put("run", 1, "x")
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(blob))
    assert store.get("run", 1) is None
    path.write_bytes(b"garbage")
    assert store.get("run", 1) is None


def test_bounded_least_recently_used_out_first(tmp_path):
    store = ResultStore(tmp_path, max_bytes=35_000, version="v")
    for i in range(3):
        store.put("run", i, np.zeros(1000))  # about 8 KB each
        past = time.time() - 100 + i
        os.utime(store._path("run", i)[0], (past, past))
    assert store.get("run", 0) is not None  # used: now the most recent
    for i in range(3, 6):
        store.put("run", i, np.zeros(1000))
    assert store.size() <= 35_000
    kept = {i for i in range(6) if store._path("run", i)[0].exists()}
    assert 0 in kept and 1 not in kept and {4, 5} <= kept


def test_concurrent_writers_leave_one_whole_entry(tmp_path):
    store = ResultStore(tmp_path, version="v")
    value = np.arange(200_000.0)

    def write():
        for _ in range(5):
            store.put("run", "same", value)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.entries()) == 1
    np.testing.assert_array_equal(store.get("run", "same"), value)
    assert not list(tmp_path.glob("v/.tmp-*"))


def test_code_hash_follows_the_package(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    first = code_hash(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert code_hash(tmp_path) != first
    assert len(code_hash()) == 16
