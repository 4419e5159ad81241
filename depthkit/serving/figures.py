"""Chart figures kept as their JSON specs: built once per (chart, result, mode), shared by every session.

Building a plotly figure costs 2-15 ms even after depthkit.presentation.charts sets each
property once (plotly validates every property it is given; it cost 20-60 ms
before), and a page draws about a dozen, so building them was most of a cached
page view. A chart builder is a pure function of its result, and a Result
carries a fingerprint of its content (depthkit.experiments.result), so the figure's JSON
spec — what Streamlit sends to the browser — is kept per (builder, result
fingerprint, arguments, presenter mode) and turned back into a figure without
validation (`from_spec`, 2-8 ms).

`Figures` keeps the specs in memory (least recently used out first, bounded in
bytes) over an optional on-disk `ResultStore` and the figures shipped with the
app (depthkit.serving.ship: every default view's and preset's, so a freshly booted
Cloud app draws none): the warm-up (depthkit.serving.warmup) builds every default
view's and preset's figures that are not shipped ahead of visitors and writes
them to the store, so they survive a restart too. Figures a visitor's own settings
need are built on demand and kept in memory only (a live timing's figures
would only litter the disk). A spec on disk is keyed by a hash of the chart
code (`charts_hash`: depthkit.presentation.charts and what it imports, and plotly's
version), so an edit to a chart never shows an old drawing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.basevalidators import is_homogeneous_array
from _plotly_utils.utils import to_typed_array_spec
from plotly.io.json import to_json_plotly

from depthkit.experiments.result import WALL_CLOCK_FIELDS
from depthkit.presentation.charts.common import for_presenter
from depthkit.serving.store import PACKAGE, ResultStore, modules_digest

MEMORY_BYTES = 48 * 1024 * 1024  # every default view and preset in both modes is ~20 MB of specs
CHART_ROOTS = ("presentation.charts",)  # the subpackage whose code draws every figure
STORE_NAME = "depthkit.serving.figures"  # the name figure specs are kept under in a ResultStore

Builder = Callable[..., go.Figure]

_charts_hash: str | None = None


def charts_hash() -> str:
    """A digest of the chart code (depthkit.presentation.charts and every depthkit module it imports) and
    plotly's version, computed once."""
    global _charts_hash
    if _charts_hash is None:
        _charts_hash = modules_digest(importlib.metadata.version("plotly"), PACKAGE, CHART_ROOTS)
    return _charts_hash


def builder_name(build: Builder) -> str:
    return f"{build.__module__}.{build.__qualname__}"


def _feed_clock(h: Any, obj: Any) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.name in WALL_CLOCK_FIELDS:
                h.update(np.ascontiguousarray(value).tobytes())
            else:
                _feed_clock(h, value)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _feed_clock(h, item)
    elif isinstance(obj, dict):
        for item in obj.values():
            _feed_clock(h, item)


def wall_clock(result: Any) -> str:
    """A digest of the wall-clock records in `result` (experiments.result.WALL_CLOCK_FIELDS): left out
    of its fingerprint, yet the Training speed page draws times made from them (its Result says so:
    `shows_wall_clock`), so two runs of the same settings are two figures there. Computed once per
    result object."""
    cached = getattr(result, "_wall_clock", None)
    if cached is None:
        h = hashlib.blake2b(digest_size=8)
        _feed_clock(h, result)
        cached = h.hexdigest()
        try:
            result._wall_clock = cached
        except AttributeError:  # a frozen or slotted object: digest it each time
            pass
    return cached


def figure_key(build: Builder, result: Any, args: tuple, presenter: bool) -> tuple:
    """What identifies a figure: builder, result (fingerprint and wall-clock records), arguments
    (a Result among them by its fingerprint), mode and chart code."""
    arg_key = tuple(getattr(a, "fingerprint", a) for a in args)
    clock = wall_clock(result) if getattr(result, "shows_wall_clock", False) else ""
    return builder_name(build), result.fingerprint, clock, arg_key, bool(presenter), charts_hash()


def build_spec(build: Builder, result: Any, args: tuple, presenter: bool) -> str:
    """`build(result, *args)`, restyled for a projector if `presenter`, as plotly JSON."""
    fig = build(result, *args)
    if presenter:
        fig = for_presenter(fig)
    return to_json(fig)


_SCALARS = frozenset((str, int, float, bool, type(None)))  # never an array, and nothing inside
_NOT_TYPED = frozenset(("geojson", "layer", "layers", "range"))  # plotly's keys left as they are


def _typed_arrays(obj: Any) -> None:
    """Plotly's `convert_to_base64` (arrays as plotly.js typed arrays, base64), in place and the
    same, without calling its checks on what cannot hold an array (strings, numbers, lists of them)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            kind = type(value)
            if kind in _SCALARS or key in _NOT_TYPED:
                continue
            if kind is not dict and kind is not list and kind is not tuple and is_homogeneous_array(value):
                obj[key] = to_typed_array_spec(value)
            else:
                _typed_arrays(value)
    elif isinstance(obj, (list, tuple)) and not _SCALARS.issuperset(map(type, obj)):
        for value in obj:
            _typed_arrays(value)


def to_json(fig: go.Figure) -> str:
    """`pio.to_json(fig, validate=False)`, the same string, in a third of its time: without its deep
    copy of the figure (most of the cost, measured), so the figure is spent (its arrays replaced
    by their base64 form): use it once, last. Reads plotly's private `_data` and `_layout` (the
    figure's dicts), as `fig.to_dict()` does; tests/test_figures.py checks the strings are the same."""
    if fig.frames:  # an animation: plotly's own way (no chart here has frames)
        return pio.to_json(fig, validate=False)
    spec = {"data": fig._data, "layout": fig._layout}
    _typed_arrays(spec)
    for trace in spec["data"]:
        trace.pop("uid", None)
    return to_json_plotly(spec)


def from_spec(spec: str) -> go.Figure:
    """A figure from a spec made by `build_spec`, without validating it again (it was validated
    when built). Plotly's `_validate` keyword is private: tests/test_figures.py checks that the
    figure it gives serializes as the built one did."""
    return go.Figure(json.loads(spec), _validate=False)


class Figures:
    """Figure specs in memory over an optional disk store; thread-safe."""

    def __init__(self, store: ResultStore | None = None, memory_bytes: int = MEMORY_BYTES,
                 shipped: ResultStore | None = None):
        self.store, self.shipped, self.memory_bytes = store, shipped, int(memory_bytes)
        self._memory: OrderedDict[tuple, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.built = 0  # specs built by this object (tests count them)

    def _remember(self, key: tuple, spec: str) -> None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return
            self._memory[key] = spec
            self._bytes += len(spec)
            while self._bytes > self.memory_bytes and len(self._memory) > 1:
                _, old = self._memory.popitem(last=False)
                self._bytes -= len(old)

    def _recall(self, key: tuple) -> str | None:
        with self._lock:
            spec = self._memory.get(key)
            if spec is not None:
                self._memory.move_to_end(key)
                return spec
        spec = self.kept(key)
        if spec is not None:
            self._remember(key, spec)
        return spec

    def kept(self, key: tuple) -> str | None:
        """The spec on disk: the writable store, else the figures shipped with the app."""
        for store in (self.store, self.shipped):
            if store is not None and isinstance(packed := store.get(STORE_NAME, key), bytes):
                try:
                    return zlib.decompress(packed).decode()
                except (zlib.error, UnicodeDecodeError):
                    continue  # the store's checksum passed, yet not a spec: a miss
        return None

    def spec(self, build: Builder, result: Any, args: tuple = (), presenter: bool = False) -> str:
        """The figure's spec: from memory, else from disk, else built now (and kept in memory)."""
        key = figure_key(build, result, args, presenter)
        spec = self._recall(key)
        if spec is None:
            spec = build_spec(build, result, args, presenter)
            self.built += 1
            self._remember(key, spec)
        return spec

    def figure(self, build: Builder, result: Any, args: tuple = (), presenter: bool = False) -> go.Figure:
        return from_spec(self.spec(build, result, args, presenter))

    def prepare(self, build: Builder, result: Any, args: tuple = (), presenter: bool = False) -> bool:
        """Make sure the figure is in memory and on disk (in the store, or shipped); True if it
        had to be built."""
        key = figure_key(build, result, args, presenter)
        if (kept := self.kept(key)) is not None:
            self._remember(key, kept)
            return False
        with self._lock:
            spec = self._memory.get(key)
        built = spec is None
        if spec is None:
            spec = build_spec(build, result, args, presenter)
            self.built += 1
        self._remember(key, spec)
        if self.store is not None:
            try:
                self.store.put(STORE_NAME, key, zlib.compress(spec.encode(), 6))  # JSON: ~3.6x smaller
            except OSError:  # a full or read-only disk costs the restart speed-up, never the page
                pass
        return built

    def memory_size(self) -> int:
        with self._lock:
            return self._bytes
