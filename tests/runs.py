"""One trained run per (experiment, settings) for the whole test session, shared by the tests that read it.

`shared(fn, settings)` is `fn(settings)` computed once: kept in this worker's memory and in the
session's result store (DEPTHKIT_RESULTS, a folder conftest.py makes per pytest run, which both xdist
workers and every page that AppTest runs read and write under the same names as the app's cache,
`job_name(fn)`). A claim test, a page test and a chart test at the same settings then train once.

Tests of determinism, caching or the store itself call the experiment directly, never this.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from depthkit.serving.store import ResultStore
from depthkit.serving.warmup import job_name

_memo: dict[tuple[str, Any], Any] = {}
_lock = threading.Lock()


def shared(fn: Callable[[Any], Any], settings: Any) -> Any:
    """fn(settings), computed at most once per session (once per worker where two race). A tuple of
    settings (hashable, for the key) reaches `fn` as a list, as the experiments' run_many take it."""
    key = (job_name(fn), settings)
    with _lock:
        if key in _memo:
            return _memo[key]
    folder = os.environ.get("DEPTHKIT_RESULTS", "off")
    store = None if folder == "off" else ResultStore(folder)  # "off": this worker's memory only
    result = store.get(key[0], settings) if store else None
    if result is None:
        result = fn(list(settings) if isinstance(settings, tuple) else settings)  # run_many takes a list
        if store:
            store.put(key[0], settings, result)
    with _lock:
        return _memo.setdefault(key, result)
