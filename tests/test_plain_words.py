"""depthkit.presentation.text.plain: ratios in everyday words, also where rounding reaches the next name."""

from depthkit.presentation.text import plain


def test_ratios_in_everyday_words():
    assert plain.times(6.1e15) == "about 6 quadrillion times larger"
    assert plain.times(1 / 6.1e15) == "about 6 quadrillion times smaller"
    assert plain.times(8.3e16) == "about 83 quadrillion times larger"
    assert plain.times(1000) == "about a thousand times larger"
    assert plain.times(45) == "about 45 times larger" and plain.times(1.2) == "about the same"
    assert plain.times(2e22) == "about 10²² times larger"
    assert plain.times(0) == "infinitely smaller: exactly zero"
    assert plain.times(float("nan")) == "not measurable"


def test_a_lead_that_rounds_to_a_thousand_moves_up_a_name():
    # 999,600 rounds to 1,000 thousand: said as a million (this raised before the names were shared)
    assert plain.times(999_600) == "about a million times larger"
    assert plain.times(999.7e6) == "about a billion times larger"
    assert plain.named(999_600) == (1.0, "million")
    assert plain.named(2.42e6, figures=2) == (2.4, "million")
