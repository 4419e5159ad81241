"""The one number formatter: every number on screen is written for a person."""

import math
import re

import pytest

from depthkit.core import fmt

COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|nan|inf(?!inite)", re.IGNORECASE)


@pytest.mark.parametrize("value, text", [
    (6.1e15, "6.1 × 10¹⁵"),
    (6e15, "6 × 10¹⁵"),
    (4110.3, "4,110"),
    (0.2934, "0.29"),
    (3e-8, "3 × 10⁻⁸"),
    (1e-8, "10⁻⁸"),
    (12.345, "12.3"),
    (1.5, "1.5"),
    (2.0, "2"),
    (0.0123, "0.012"),
    (99_999.4, "99,999"),
    (1e5, "10⁵"),
    (-0.5, "−0.5"),
    (-2.5e-9, "−2.5 × 10⁻⁹"),
    (0, "0"),
    (float("nan"), "not a number"),
    (float("inf"), "infinite"),
    (float("-inf"), "−infinite"),
])
def test_num(value, text):
    assert fmt.num(value) == text


def test_num_never_prints_computer_notation():
    for exponent in range(-320, 309, 7):
        for mantissa in (1.0, 2.5, 9.99, -4.2):
            x = mantissa * 10.0 ** exponent if exponent > -308 else mantissa * 1e-308
            text = fmt.num(x)
            assert not COMPUTER_NOTATION.search(text), (x, text)


def test_scientific_round_trip():
    for x in (3.3e-8, 6.1e15, 4.2e-300, 1.7e308):
        mantissa, _, power = fmt.scientific(x).partition(" × ")
        exponent = int(power[2:].translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")))
        assert math.isclose(float(mantissa) * 10.0 ** exponent, x, rel_tol=0.05)


@pytest.mark.parametrize("ratio, text", [
    (1.6e-16, "6.2 × 10¹⁵ times smaller"),
    (4110, "4,110 times larger"),
    (1.02, "about the same"),
    (0.0, "infinitely smaller (exactly 0)"),
    (float("inf"), "infinitely larger"),
    (float("nan"), "not a number (0 / 0)"),
])
def test_times(ratio, text):
    assert fmt.times(ratio) == text


@pytest.mark.parametrize("share, text", [
    (0.8125, "81%"), (0.997, "99.7%"), (0.99996, "99.996%"), (1.0, "100%"), (0.05, "5%"),
    (3e-5, "0.003%"), (2e-9, "2 × 10⁻⁷%"), (0.0, "0%"),
])
def test_percent(share, text):
    assert fmt.percent(share) == text


def test_percent_never_rounds_a_share_below_one_to_100():
    for s in (0.9996, 0.99996, 0.999996):
        assert fmt.percent(s) != "100%"


@pytest.mark.parametrize("diff, text", [
    (0.043, "+4.3 points"), (-0.005, "−0.5 points"), (0.01, "+1.0 point"), (0.0001, "0 points"),
])
def test_points(diff, text):
    assert fmt.points(diff) == text


@pytest.mark.parametrize("s, text", [
    (3.2e-6, "3.2 µs"), (0.0123, "12.3 ms"), (0.42, "0.42 s"), (4.5, "4.5 s"), (125, "2 min 5 s"),
    (12_000, "3 h 20 min"), (1e7, "116 days"), (0, "0 s"),
])
def test_seconds(s, text):
    assert fmt.seconds(s) == text


def test_nums_for_hover_labels():
    assert fmt.nums([1e-17, 0.5, 4110]) == ["10⁻¹⁷", "0.5", "4,110"]


def test_sources_cite_known_keys_and_refuse_unknown():
    from depthkit.presentation.sources import PAPERS, cite
    assert cite("he2016", "glorot2010") == [PAPERS["he2016"], PAPERS["glorot2010"]]
    assert "2016" in cite("he2016")[0] and "residual" in cite("he2016")[0].lower()
    with pytest.raises(KeyError, match="unknown source"):
        cite("he2017")
