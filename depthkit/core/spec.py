"""Typed, bounded settings fields: declaration, validation and lenient parsing.

Every settings dataclass in depthkit is a frozen dataclass that inherits
`Settings` and declares its fields with `param(...)`. The field's metadata says
its kind (int, float, bool, choice, text), its bounds or options, a label and
help text. A text field (e.g. the Mission's room code) names a `parse`
function that turns typed text into its one canonical form or raises
ValueError saying why. From that one declaration we get:

- strict validation in `__post_init__`: a wrong type or out-of-range value
  raises `ValueError` naming the field, the value and what is allowed;
- lenient parsing of untrusted strings (URL query parameters) with
  `Settings.from_strings`, which never raises: bad values fall back to the
  default or the nearest allowed value and say what was changed;
- widget bounds for the UI (`field_spec`).
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

_SPEC_KEY = "depthkit_spec"
MAX_STRING_LEN = 64  # longer URL values are rejected before parsing


@dataclass(frozen=True)
class FieldSpec:
    """What one settings field may hold."""

    kind: str  # "int", "float", "bool", "choice" or "text"
    default: Any
    lo: float | None = None  # inclusive bounds for int/float
    hi: float | None = None
    options: tuple = ()  # allowed values for "choice"; suggested steps for numbers
    log: bool = False  # numbers spanning decades: widgets step geometrically
    label: str = ""
    help: str = ""
    # "text": untrusted text -> its canonical form; raises ValueError (message for people)
    parse: Callable[[str], str] | None = None

    def allowed(self) -> str:
        if self.kind == "text":
            return "empty or text its parse function accepts"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(o) for o in self.options)
        if self.kind == "bool":
            return "True or False"
        return f"{self.kind} in [{_fmt(self.lo)}, {_fmt(self.hi)}]"


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{x:g}" if isinstance(x, float) else str(x)


def param(default: Any, *, lo: float | None = None, hi: float | None = None,
          choices: tuple | None = None, options: tuple = (), log: bool = False,
          label: str = "", help: str = "", parse: Callable[[str], str] | None = None) -> Any:
    """Declare a settings field; the kind follows from the default, `choices` and `parse`.

    A text field's default is "" (none given); any other value must be what `parse` returns.
    """
    if parse is not None:
        if default != "":
            raise TypeError("a text field's default is the empty string")
        kind = "text"
    elif choices is not None:
        kind = "choice"
        options = tuple(choices)
        if default not in options:
            raise TypeError(f"default {default!r} not among choices {options}")
    elif isinstance(default, bool):
        kind = "bool"
    elif isinstance(default, int):
        kind = "int"
    elif isinstance(default, float):
        kind = "float"
    else:
        raise TypeError(f"unsupported default {default!r}")
    if kind in ("int", "float") and (lo is None or hi is None):
        raise TypeError("numeric fields need lo and hi")
    spec = FieldSpec(kind, default, lo, hi, options, log, label, help, parse)
    return dataclasses.field(default=default, metadata={_SPEC_KEY: spec})


def field_spec(cls_or_obj: Any, name: str) -> FieldSpec:
    """The FieldSpec of field `name` of a Settings class or instance."""
    for f in dataclasses.fields(cls_or_obj):
        if f.name == name:
            return f.metadata[_SPEC_KEY]
    raise KeyError(name)


def specs(cls_or_obj: Any) -> dict[str, FieldSpec]:
    """All field specs of a Settings class, in declaration order."""
    return {f.name: f.metadata[_SPEC_KEY] for f in dataclasses.fields(cls_or_obj)
            if _SPEC_KEY in f.metadata}


def check_value(owner: str, name: str, spec: FieldSpec, value: Any) -> None:
    """Raise ValueError unless `value` fits `spec`."""
    where = f"{owner}.{name}={value!r}"
    if spec.kind == "bool":
        if not isinstance(value, (bool,)) and type(value).__name__ != "bool_":
            raise ValueError(f"{where}: expected True or False")
        return
    if spec.kind == "choice":
        if value not in spec.options:
            raise ValueError(f"{where}: expected {spec.allowed()}")
        return
    if spec.kind == "text":
        assert spec.parse is not None  # a text field always names its parse function (param)
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected text")
        if value and spec.parse(value) != value:  # raises ValueError for text it does not accept
            raise ValueError(f"{where}: not in its canonical form {spec.parse(value)!r}")
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where}: expected a number, {spec.allowed()}")
    if spec.kind == "int" and not isinstance(value, numbers.Integral):
        raise ValueError(f"{where}: expected a whole number, {spec.allowed()}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{where}: must be finite, {spec.allowed()}")
    assert spec.lo is not None and spec.hi is not None  # numeric fields have both bounds (param)
    if not (spec.lo <= value <= spec.hi):  # type: ignore[operator]  # numbers.Real has no <= in typeshed
        raise ValueError(f"{where}: out of range, allowed {spec.allowed()}")


def parse_bool(text: Any) -> bool | None:
    """True for 1/true/yes/on, False for 0/false/no/off (any case), else None."""
    low = str(text).strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    return None


def _parse(spec: FieldSpec, text: str) -> tuple[Any, str | None]:
    """Parse one untrusted string; return (value, note) where note says what changed."""
    text = text.strip()
    if len(text) > MAX_STRING_LEN:
        return spec.default, "too long; using the default"
    if spec.kind == "bool":
        flag = parse_bool(text)
        if flag is None:
            return spec.default, "not true/false; using the default"
        return flag, None
    if spec.kind == "text":
        assert spec.parse is not None
        if not text:
            return spec.default, None
        try:
            return spec.parse(text), None
        except ValueError as err:  # the message is for people and does not echo the text
            return spec.default, f"{str(err).rstrip('.')}; ignoring it"
    if spec.kind == "choice":
        for opt in spec.options:
            if str(opt) == text:
                return opt, None
        return spec.default, "unknown choice; using the default"
    try:
        number = float(text)
    except ValueError:
        return spec.default, "not a number; using the default"
    if not math.isfinite(number):
        return spec.default, "not a finite number; using the default"
    assert spec.lo is not None and spec.hi is not None
    note = None
    if number < spec.lo or number > spec.hi:
        number = min(max(number, spec.lo), spec.hi)
        note = f"out of range; using the nearest allowed value {_fmt(number)}"
    if spec.kind == "int":
        if number != int(number):
            note = note or "not a whole number; rounded"
        number = int(round(number))
        number = int(min(max(number, spec.lo), spec.hi))
    return number, note


class Settings:
    """Base for frozen settings dataclasses whose fields are declared with `param`."""

    # Every subclass is a dataclass: this tells a type checker so (dataclasses.fields, replace, asdict)
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for name, spec in specs(self).items():
            check_value(owner, name, spec, getattr(self, name))
        self.check()

    def check(self) -> None:
        """Cross-field checks; subclasses override and raise ValueError."""

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Strict construction: unknown keys are an error, like nanoGPT's config."""
        known = set(specs(cls))
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown setting(s) {unknown}; "
                             f"known: {sorted(known)}")
        return cls(**dict(values))

    @classmethod
    def from_strings(cls, raw: Mapping[str, str], base: Self | None = None) -> tuple[Self, list[str]]:
        """Lenient construction from untrusted strings (e.g. URL parameters).

        Unknown keys are ignored. Each bad value falls back to the default (or
        `base`'s value), or the nearest allowed value, and adds a notice. If
        the values are individually fine but together fail `check`, the
        defaults are used. Returns (settings, notices); never raises.
        """
        start = base if base is not None else cls()
        values: dict[str, Any] = {}
        notices: list[str] = []
        for name, spec in specs(cls).items():
            values[name] = getattr(start, name)
            if name not in raw:
                continue
            text = raw[name]
            parsed, note = _parse(spec, str(text))
            if note and parsed == spec.default and base is not None:
                parsed = getattr(base, name)
            values[name] = parsed
            if note:
                shown = str(text)[:24] + ("…" if len(str(text)) > 24 else "")
                notices.append(f"`{name}={shown}`: {note}.")
        try:
            return cls(**values), notices
        except ValueError as err:
            return start, notices + [f"These settings do not work together ({err}); "
                                     "using the defaults."]

    def to_strings(self) -> dict[str, str]:
        """The settings as strings, the inverse of `from_strings`."""
        out = {}
        for name in specs(self):
            value = getattr(self, name)
            out[name] = repr(value) if isinstance(value, float) else str(value)
        return out

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)
