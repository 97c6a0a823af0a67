"""Formatting values for people, and reading values people type."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graphgui.core.values import (
    format_array,
    format_value,
    parse_value_text,
    value_text,
    values_equal,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-12.0, "-12"),
        (0.73105857, "0.7311"),
        (6.123233995736766e-17, "0"),  # cos(pi/2): rounding noise
        (1e-12, "1e-12"),  # small but real (a vanishing gradient)
        (np.array([1.0, -2.5]), "[1, -2.5]"),
        (np.array([[0.00098, 0.00196], [0.0004, 0.0008]]),
         "[[0.00098, 0.00196], [0.0004, 0.0008]]"),
        (np.array([[32.0]]), "[[32]]"),
        (np.ones((2, 3)), f"[2x3] |{math.sqrt(6):.4g}|"),
        (None, "-"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_format_array_uses_significant_digits():
    text = format_array(np.array([[0.00098012, 0.0019602], [0.00038, 0.00077]]), 3)
    assert text == "[[0.00098 0.00196]\n [0.00038 0.00077]]"


@pytest.mark.parametrize(
    ("text", "value"),
    [("2", 2.0), (" .5 ", 0.5), ("-1/4", -0.25), ("3e-4", 3e-4), ("pi/2", math.pi / 2),
     ("-pi", -math.pi), ("2*e", 2 * math.e), ("inf", math.inf)],
)
def test_parse_value_text_numbers(text, value):
    assert parse_value_text(text) == value


def test_parse_value_text_lists():
    assert parse_value_text("[1/2, -pi]").tolist() == [0.5, -math.pi]
    assert parse_value_text("[[0.5, 0.3], [0.2, 0.8]]").shape == (2, 2)
    assert math.isnan(parse_value_text("nan"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "type a number"), ("abc", "is not a number"), ("1/0", "division by zero"),
     ('__import__("os")', "is not a number"), ("x.y", "is not a number"), ("2**10", "not a number"),
     ("[1, [2]]", "rectangular"), ("[1, 2] + 1", "not on lists"), ("1" * 400, "too large")],
)
def test_parse_value_text_refusals(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_value_text(text)


def test_parse_value_text_refuses_deep_nesting_in_one_line():
    with pytest.raises(ValueError, match="nested too deeply|not a number") as caught:
        parse_value_text("[" * 5000 + "]" * 5000)
    assert "\n" not in str(caught.value)


# ---- value_text: what an editor shows, read back exactly by parse_value_text ------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (-3.0, "-3"),
        (0.0, "0"),
        (0.5, "0.5"),
        (0.1, "0.1"),
        (-0.25, "-0.25"),
        (1 / 3, "0.3333333333333333"),  # every digit, where the canvas shows 0.3333
        (2 / 3, "0.6666666666666666"),
        (-7 / 8, "-0.875"),
        (math.pi, "3.141592653589793"),
        (6.123233995736766e-17, "6.123233995736766e-17"),  # not rounded to 0 as on the canvas
        (1e20, "1e+20"),
        (123456789012.0, "123456789012"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (None, ""),
        (np.array([1.0, 0.5]), "[1, 0.5]"),
        (np.array([[1.0, 2.0], [3.0, 0.25]]), "[[1, 2], [3, 0.25]]"),
        (np.array([[1 / 3], [-2.0]]), "[[0.3333333333333333], [-2]]"),
        (np.array([[[1.0, 2.0]], [[3.0, 4.0]]]), "[[[1, 2]], [[3, 4]]]"),
        (np.array([math.nan, -math.inf]), "[nan, -inf]"),
    ],
)
def test_value_text(value, text):
    assert value_text(value) == text


@pytest.mark.parametrize(
    "value",
    [
        2.0, -3.0, 0.1, 1 / 3, 2 / 3, -7 / 8, 1 / 7, math.pi, 1e-300, 1e300, 2.0**60,
        math.nan, math.inf, -math.inf,
        np.array([1.0, 0.5]),
        np.array([[0.1, 0.2], [1 / 3, -1e-12]]),
        np.array([[[1.0, 2.0]], [[3.0, 4.0]]]),
        np.array([[math.nan]]),
    ],
)
def test_value_text_reads_back_exactly(value):
    back = parse_value_text(value_text(value))
    assert values_equal(back, value)
    assert type(back) is type(value)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_value_text_round_trips_any_float(x):
    assert values_equal(parse_value_text(value_text(x)), x)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
def test_value_text_round_trips_small_arrays(a):
    back = parse_value_text(value_text(a))
    assert isinstance(back, np.ndarray) and back.shape == a.shape
    assert values_equal(back, a)
