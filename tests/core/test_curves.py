"""f and f' of elementwise ops over a grid (what the activation plot draws), checked against
central differences of the op's forward values and against closed forms written here."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.curves import DELTA, elementwise_curves, is_elementwise_unary
from graphgui.core.ops import OpError, all_ops

UNARY = [spec.name for spec in all_ops() if is_elementwise_unary(spec.name)]
# Points away from kinks (0 for relu, abs, heaviside) and inside every op's domain.
GRID = np.concatenate([np.linspace(0.05, 4.0, 40), -np.linspace(0.05, 4.0, 40)])
POSITIVE = {"log", "sqrt"}
H = 1e-6


def central_difference(op: str, xs: np.ndarray, params: dict) -> np.ndarray:
    up = elementwise_curves(op, xs + H, params).f
    down = elementwise_curves(op, xs - H, params).f
    return (up - down) / (2 * H)


def test_the_unary_elementwise_ops_are_found() -> None:
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "softplus", "exp", "log"} <= set(UNARY)
    assert not is_elementwise_unary("add") and not is_elementwise_unary("matmul")
    assert not is_elementwise_unary("parameter") and not is_elementwise_unary("nonsense")


@pytest.mark.parametrize("op", UNARY)
def test_derivative_matches_central_differences(op: str) -> None:
    params = {"alpha": 0.1} if op == "leaky_relu" else {}
    xs = np.abs(GRID) if op in POSITIVE else GRID
    curves = elementwise_curves(op, xs, params)
    np.testing.assert_array_equal(curves.xs, xs)
    expected = central_difference(op, xs, params)
    scale = np.maximum(1.0, np.abs(expected))
    assert np.all(np.abs(curves.df - expected) <= 1e-6 * scale), op
    # The forward difference with delta 1e-5 is within delta / 2 * max|f''| of f'.
    assert np.all(np.abs(curves.numeric - curves.df) <= 1e-3 * scale), op


def test_values_and_derivatives_in_closed_form() -> None:
    xs = np.linspace(-5, 5, 101)
    s = 1 / (1 + np.exp(-xs))
    c = elementwise_curves("sigmoid", xs)
    np.testing.assert_allclose(c.f, s, rtol=1e-12)
    np.testing.assert_allclose(c.df, s * (1 - s), rtol=1e-10)
    np.testing.assert_allclose(c.numeric, (1 / (1 + np.exp(-(xs + DELTA))) - s) / DELTA,
                               rtol=1e-12)
    c = elementwise_curves("leaky_relu", np.array([-2.0, 3.0]), {"alpha": 0.2})
    np.testing.assert_allclose(c.f, [-0.4, 3.0])
    np.testing.assert_allclose(c.df, [0.2, 1.0])
    c = elementwise_curves("tanh", np.array([0.5]))  # one point: still arrays
    assert c.f.shape == c.df.shape == (1,)
    assert c.df[0] == pytest.approx(1 - np.tanh(0.5) ** 2)


def test_outside_the_domain_the_values_are_nan_not_an_error() -> None:
    c = elementwise_curves("log", np.array([-1.0, 1.0]))
    assert np.isnan(c.f[0]) and c.f[1] == 0.0 and c.df[1] == 1.0


def test_an_op_with_two_inputs_is_refused() -> None:
    with pytest.raises(OpError, match="not an elementwise op with one input"):
        elementwise_curves("add", np.zeros(3))
