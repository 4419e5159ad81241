"""What every experiment's Result shares: the settings it ran, and a fingerprint of its content.

A Result is a dataclass of numpy arrays, plain numbers and nested records
(never tensors or modules). Its `fingerprint` is computed once, when the
Result is made, from the settings and every array in it; a chart cache keys on
it, so a figure follows the result it draws even where the result is not a
function of the settings alone (a live timing). Wall-clock side records of a
training run (`WALL_CLOCK_FIELDS`: when each step ended, how long the batch
took) are left out, so the same settings and seed give the same fingerprint on
every run; a live timing's measurements are its content and stay in.
"""

from __future__ import annotations

import contextvars
import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from depthkit.core.spec import Settings

# Fields (of any nested dataclass) that record how long training took, not what it computed:
# depthkit.engine.train.TrainResult's per-step `elapsed` and `batch_seconds`.
WALL_CLOCK_FIELDS = frozenset({"elapsed", "batch_seconds"})


def digest(obj: Any) -> str:
    """A short hex digest of arrays, numbers, strings and (nested) dataclasses, lists and dicts."""
    h = hashlib.blake2b(digest_size=12)
    _feed(h, obj)
    return h.hexdigest()


def _feed(h: Any, obj: Any) -> None:
    if isinstance(obj, np.ndarray):
        h.update(f"array{obj.dtype}{obj.shape}".encode())
        if obj.dtype == object:
            h.update(repr(obj.tolist()).encode())
        else:
            h.update(np.ascontiguousarray(obj).tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            if f.name != "fingerprint" and f.name not in WALL_CLOCK_FIELDS:
                h.update(f.name.encode())
                _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(b"{")
        for key in sorted(obj, key=repr):
            _feed(h, key)
            _feed(h, obj[key])
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[")
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    else:
        h.update(repr(obj).encode())


@dataclass
class Result:
    """Base of every experiment's Result: `settings` first, `fingerprint` filled in on creation."""

    settings: Settings
    fingerprint: str = field(init=False, default="", repr=False, compare=False)
    # True where a page draws times made from the wall-clock records (left out of the fingerprint):
    # a chart of such a result is keyed by those records too (depthkit.serving.figures)
    shows_wall_clock: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self.fingerprint = _PARTS.get() or digest(self)


_PARTS: contextvars.ContextVar[str] = contextvars.ContextVar("depthkit_result_parts", default="")


R = TypeVar("R", bound=Result)


def derived(cls: type[R], parts: tuple[Result, ...], **fields: Any) -> R:
    """`cls(**fields)` made only from `parts` (no new computation, e.g. a sweep completed with a
    run's networks): its fingerprint digests the parts' fingerprints, which is cheap (no pass over
    the arrays) and changes whenever any part does."""
    token = _PARTS.set(digest((cls.__name__, *(p.fingerprint for p in parts))))
    try:
        return cls(**fields)
    finally:
        _PARTS.reset(token)
