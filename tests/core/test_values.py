"""Formatting values for people, and reading values people type."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgui.core.values import format_array, format_value, parse_value_text


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
