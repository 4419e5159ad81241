"""Numbers written for people: the one formatter for every page, chart and note.

    num(6.1e15)      -> "6.1 × 10¹⁵"     num(4110.3) -> "4,110"
    num(0.2934)      -> "0.29"           num(3e-8)   -> "3 × 10⁻⁸"
    times(1.6e-16)   -> "6.3 × 10¹⁵ times smaller"
    percent(0.8125)  -> "81%"            points(0.043) -> "+4.3 points"
    seconds(0.0123)  -> "12.3 ms"

Never computer notation ("6.1e+15", "4.11e+03", "nan"): a value that is not a
number is said in words ("not a number", "infinite").
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
MINUS = "−"  # a real minus sign, not a hyphen

# Outside [SMALL, LARGE) a number is written as m × 10ⁿ.
SMALL = 1e-3
LARGE = 1e5


def power_of_ten(exponent: int) -> str:
    """10 raised to `exponent`, with superscript digits: 10⁻⁸, 10¹⁵."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def _not_finite(x: float) -> str:
    if math.isnan(x):
        return "not a number"
    return "infinite" if x > 0 else f"{MINUS}infinite"


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: 1.50 -> 1.5, 2.0 -> 2."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def scientific(x: float, digits: int = 2) -> str:
    """m × 10ⁿ with `digits` significant figures; a mantissa of 1 is left out (10⁻⁸)."""
    x = float(x)
    if not math.isfinite(x):
        return _not_finite(x)
    if x == 0:
        return "0"
    sign = MINUS if x < 0 else ""
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    mantissa = _trim(mantissa)
    power = power_of_ten(int(exponent))
    return f"{sign}{power}" if mantissa == "1" else f"{sign}{mantissa} × {power}"


def num(x: float, digits: int = 2) -> str:
    """A number for a sentence, a note or a hover label.

    Integers from 100 up are written in full with thousands separators
    ("4,110"); from 1 to 100, three significant figures ("12.3", "1.5"); below
    1, `digits` significant figures ("0.29", "0.012"); beyond 10⁵ or below
    10⁻³, as m × 10ⁿ.
    """
    x = float(x)
    if not math.isfinite(x):
        return _not_finite(x)
    if x == 0:
        return "0"
    a = abs(x)
    if a >= LARGE or a < SMALL:
        return scientific(x, digits)
    sign = MINUS if x < 0 else ""
    if a >= 100:
        return f"{sign}{a:,.0f}"
    if a >= 1:
        text = _trim(f"{a:.{max(digits, 3) - (2 if a >= 10 else 1)}f}")
        return f"{sign}{text}"
    decimals = digits - 1 - math.floor(math.log10(a))
    text = _trim(f"{a:.{decimals}f}")
    if text == "1":  # 0.999 rounded up
        return f"{sign}1"
    return f"{sign}{text}"


def integer(n: int) -> str:
    """A count with thousands separators: 4,110."""
    return f"{int(n):,}"


def times(ratio: float, larger: str = "larger", smaller: str = "smaller", digits: int = 2) -> str:
    """A ratio as words: 4,110 times larger, 6.3 × 10¹⁵ times smaller, about the same."""
    r = float(ratio)
    if math.isnan(r):
        return "not a number (0 / 0)"
    if r == 0:
        return f"infinitely {smaller} (exactly 0)"
    if math.isinf(r):
        return f"infinitely {larger}"
    r = abs(r)
    if 0.95 <= r <= 1.05:
        return "about the same"
    if r > 1:
        return f"{num(r, digits)} times {larger}"
    return f"{num(1 / r, digits)} times {smaller}"


def percent(share: float, decimals: int | None = None) -> str:
    """A share in [0, 1] as a percentage: 81%, 99.7%, 0.003%, 2 × 10⁻⁷%.

    Without `decimals`: whole percents from 10% up (but never 100% for a share
    below 1, nor 0% for one above 0), one decimal from 1% to 10%, and `num`'s
    figures below 1%.
    """
    s = float(share)
    if not math.isfinite(s):
        return _not_finite(s)
    p = 100 * s
    if decimals is not None:
        return f"{p:.{decimals}f}%".replace("-", MINUS)
    a = abs(p)
    if a == 0 or a >= 10:
        text = f"{p:.0f}"
        decimals = 0
        while text in ("100", "-100") and a < 100 and decimals < 8:
            decimals += 1  # 99.996% must not read as 100%
            text = _trim(f"{p:.{decimals}f}")
        return text.replace("-", MINUS) + "%"
    if a >= 1:
        return _trim(f"{p:.1f}").replace("-", MINUS) + "%"
    return num(p) + "%"


def points(diff: float, decimals: int = 1) -> str:
    """A difference of two shares in percentage points, signed: +4.3 points, −0.5 points."""
    d = float(diff)
    if not math.isfinite(d):
        return _not_finite(d)
    value = 100 * d
    if round(value, decimals) == 0:
        return "0 points"
    sign = "+" if value > 0 else MINUS
    unit = "point" if round(abs(value), decimals) == 1 else "points"
    return f"{sign}{abs(value):.{decimals}f} {unit}"


def seconds(s: float) -> str:
    """A duration: 3.2 µs, 12.3 ms, 0.42 s, 4.5 s, 2 min 5 s, 3 h 20 min."""
    s = float(s)
    if not math.isfinite(s):
        return _not_finite(s)
    if s < 0:
        return MINUS + seconds(-s)
    if s == 0:
        return "0 s"
    if s < 1e-3:
        return f"{num(s * 1e6)} µs"
    if s < 0.1:
        return f"{num(s * 1e3)} ms"
    if s < 60:
        return f"{num(s)} s"
    if s < 3600:
        m, rest = divmod(round(s), 60)
        return f"{m} min {rest} s" if rest else f"{m} min"
    h, rest = divmod(round(s / 60), 60)
    if h >= 48:
        return f"{num(s / 86400)} days"
    return f"{h} h {rest} min" if rest else f"{h} h"


def nums(values: Iterable[float], digits: int = 2) -> list[str]:
    """`num` over a sequence: preformatted hover labels for a plotly trace's customdata."""
    return [num(v, digits) for v in values]
