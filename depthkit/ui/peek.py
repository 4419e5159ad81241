"""Results already computed, looked up without ever computing one (for the Home page's thumbnails).

`computed(fn, settings)` answers "has anyone run fn(settings) in this
process, has the warm-up or an earlier server put it on disk, or was it
shipped with the app?" — from the disk store (depthkit.serving.store) when there is
one, which holds everything `ui.run_cached` computes, then the results shipped
with the app (depthkit.serving.ship); with the store switched off (DEPTHKIT_RESULTS=off),
from the memory cache of `ui.run_cached`, asked with a stand-in function that
refuses to compute, so a miss stays a miss. Either way it never trains and
never waits for the warm-up. A result found on disk is kept in memory (a few
entries), so a busy Home page does not unpickle megabytes on every rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from depthkit.core.spec import Settings
from depthkit.serving.warmup import job_name
from depthkit.ui.run import _cached_call, result_store, stored_result


class _NotComputed(Exception):
    """Raised by the stand-in: the memory cache had no entry (an exception is never cached)."""


def _refuse(settings: Settings) -> Any:
    raise _NotComputed


PEEK_ENTRIES = 8  # results kept in memory once found: Home shows four


@st.cache_resource(max_entries=PEEK_ENTRIES, show_spinner=False)
def _from_store(name: str, settings: Settings) -> Any:
    """The stored result, shared (never changed by its readers); a miss raises, and is not cached."""
    if (value := stored_result(name, settings)) is None:
        raise _NotComputed
    return value


def computed(fn: Callable[[Settings], Any], settings: Settings) -> Any | None:
    """The result of `fn(settings)` if it has been computed already, else None; never computes it."""
    if result_store() is not None:
        try:
            return _from_store(job_name(fn), settings)
        except Exception:  # not computed, or an unreadable store: Home shows its placeholder
            return None
    try:
        # Without a store _cached_call neither reads disk nor waits for the warm-up: a memory hit
        # returns the cached copy, a miss calls _refuse, which raises before anything runs.
        return _cached_call(job_name(fn), _refuse, settings)
    except _NotComputed:
        return None
