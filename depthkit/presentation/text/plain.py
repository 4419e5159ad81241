"""Numbers in everyday words, for the plain layer's sentences (a beginner's reading of a run).

Kept out of depthkit.core.fmt, which the experiments import (the results' code hash covers it): text
modules are free to change without making stored results stale.
"""

from __future__ import annotations

import math

from depthkit.core import fmt

# Everyday names of large powers of ten (short scale), largest first.
NAMES = ((18, "quintillion"), (15, "quadrillion"), (12, "trillion"), (9, "billion"), (6, "million"),
         (3, "thousand"))


def named(x: float, figures: int | None = None) -> tuple[float, str]:
    """|x| ≥ 1,000 as a lead and a power of ten's name: (2.4, "million"); the lead to `figures`
    significant figures, or to a whole number (None). A lead that rounds to 1,000 moves up to the next
    name (999,600 → (1, "million")), except past a quintillion."""
    for i, (power, name) in enumerate(NAMES):
        if abs(x) >= 10 ** power:
            lead = _round(x / 10 ** power, figures)
            if abs(lead) >= 1000 and i:  # rounding crossed into the next name up
                power, name = NAMES[i - 1]
                lead = _round(x / 10 ** power, figures)
            return lead, name
    raise ValueError(f"named() takes |x| >= 1000, got {x!r}")


def _round(x: float, figures: int | None) -> float:
    return float(round(x)) if figures is None else float(f"{x:.{figures}g}")


def times(ratio: float, larger: str = "larger", smaller: str = "smaller") -> str:
    """A ratio in everyday words, for a beginner: 'about a quadrillion times smaller', 'about 40 times
    larger', 'about the same'. Rounded to a power of ten's name from a thousand up (or its multiple:
    'about 60 million times'), below it two significant figures; beyond 10²¹ the power of ten."""
    r = float(ratio)
    if math.isnan(r):
        return "not measurable"
    if r == 0:
        return f"infinitely {smaller}: exactly zero"
    if math.isinf(r):
        return f"infinitely {larger}"
    word = larger if r >= 1 else smaller
    big = r if r >= 1 else 1 / r
    if big < 1.5:
        return "about the same"
    if big < 1000:
        return f"about {fmt.num(float(f'{big:.2g}') if big >= 10 else round(big))} times {word}"
    exponent = math.floor(math.log10(big))
    if exponent > 20:
        return f"about {fmt.power_of_ten(exponent)} times {word}"
    lead, name = named(big)
    count = f"a {name}" if lead == 1 else f"{int(lead):,} {name}"
    return f"about {count} times {word}"
