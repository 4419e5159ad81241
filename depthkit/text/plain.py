"""Numbers in everyday words, for the plain layer's sentences (a beginner's reading of a run).

Kept out of depthkit.fmt, which the experiments import (the results' code hash covers it): text
modules are free to change without making stored results stale.
"""

from __future__ import annotations

import math

from depthkit import fmt

# Everyday names of large powers of ten (short scale), for the plain layer's sentences.
_EVERYDAY = ((18, "a quintillion"), (15, "a quadrillion"), (12, "a trillion"), (9, "a billion"),
             (6, "a million"), (3, "a thousand"))


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
    for power, name in _EVERYDAY:
        if exponent >= power:
            lead = round(big / 10 ** power)
            if lead >= 1000:  # rounding crossed into the next name
                continue
            count = name if lead == 1 else f"{lead:,} {name.split(' ', 1)[1]}"
            return f"about {count} times {word}"
    raise AssertionError("unreachable")
