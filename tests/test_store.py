"""The on-disk result store: round trip, versioned by code, corrupt entries recomputed, bounded, atomic."""

import importlib.metadata
import os
import threading
import time

import numpy as np

from depthkit.engine.models import ModelSettings
from depthkit.serving.store import PACKAGE, ResultStore, code_hash, result_modules


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


def test_code_hash_follows_the_code_and_the_library_versions(tmp_path, monkeypatch):
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "a.py").write_text("x = 1\n")
    first = code_hash(tmp_path)
    (tmp_path / "experiments" / "a.py").write_text("x = 2\n")
    second = code_hash(tmp_path)
    assert second != first
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda lib: "9.9.9" if lib == "torch" else real(lib))
    assert code_hash(tmp_path) != second
    monkeypatch.undo()  # depthkit's own hash is computed once per process: never with a fake version
    assert len(code_hash()) == 16


def _package(root, files: dict[str, str]):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_code_hash_covers_only_the_code_that_makes_results(tmp_path):
    pkg = _package(tmp_path / "pkg", {
        "__init__.py": "from pkg import core\n",
        "core.py": "from . import maths\n",
        "maths.py": "X = 1\n",
        "lazy.py": "Y = 1\n",
        "experiments/__init__.py": "def jobs():\n    from pkg.experiments import page\n",
        "experiments/page.py": "from pkg.core import *\n\ndef run():\n    import pkg.lazy\n",
        "text/words.py": "from pkg import core\nWORDS = 'a'\n",
        "charts.py": "import pkg.maths\n",
        "ui/run.py": "import pkg.experiments.page\n",
    })
    names = {p.relative_to(pkg).as_posix() for p in result_modules(pkg)}
    assert names == {"__init__.py", "core.py", "maths.py", "lazy.py", "experiments/__init__.py",
                     "experiments/page.py"}
    first = code_hash(pkg)
    for outside in ("text/words.py", "charts.py", "ui/run.py"):
        (pkg / outside).write_text((pkg / outside).read_text() + "# edited\n")
        assert code_hash(pkg) == first, f"{outside} makes no result"
    for inside in ("maths.py", "lazy.py", "experiments/page.py"):
        before = code_hash(pkg)
        (pkg / inside).write_text((pkg / inside).read_text() + "# edited\n")
        assert code_hash(pkg) != before, f"{inside} makes results"
    before = code_hash(pkg)
    (pkg / "experiments" / "new.py").write_text("Z = 1\n")
    assert code_hash(pkg) != before, "a new experiment module"


def test_depthkit_results_hold_no_words_charts_or_ui():
    """No Result is built by the page text, the charts or the UI, so editing them keeps every result."""
    names = {p.relative_to(PACKAGE).as_posix() for p in result_modules()}
    assert {"engine/train.py", "engine/models.py", "experiments/vanishing.py", "experiments/result.py",
            "core/fmt.py"} <= names
    assert not {n for n in names if n.split("/")[0] in ("presentation", "serving", "workshop", "ui")}


def test_read_only_store_never_writes_or_removes(tmp_path):
    ResultStore(tmp_path, version="v").put("run", 1, "one")
    (path,) = ResultStore(tmp_path, version="v").entries()
    shipped = ResultStore(tmp_path, version="v", read_only=True)
    assert shipped.get("run", 1) == "one"
    path.write_bytes(path.read_bytes()[:-2])
    assert shipped.get("run", 1) is None and path.exists()  # a miss, left in place
    try:
        shipped.put("run", 2, "two")
    except PermissionError:
        pass
    else:
        raise AssertionError("a read-only store wrote")
