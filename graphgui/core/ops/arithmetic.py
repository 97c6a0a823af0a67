"""Binary and unary arithmetic, with NumPy broadcasting summed back in every gradient."""

from __future__ import annotations

import numpy as np

from ._helpers import log_or_nan, safe_div, safe_pow, unbroadcast
from .registry import OpSpec, register


def _add(a, b):
    return a + b


def _sub(a, b):
    return a - b


def _mul(a, b):
    return a * b


def _div(a, b):
    if isinstance(b, float) and isinstance(a, float):
        return safe_div(a, b)
    return np.divide(a, b)


def _neg(x):
    return -x


def _pow_grad_exponent(g, out, a, b):
    # d(a^b)/db = a^b * ln(a); at a == 0 the limit for b > 0 is 0 (as in PyTorch).
    if isinstance(a, float):
        log_a = 0.0 if a == 0 else log_or_nan(a)
    else:
        log_a = np.where(a == 0, 0.0, log_or_nan(np.where(a == 0, 1.0, a)))
    return unbroadcast(g * out * log_a, b)


register(OpSpec(
    name="add", category="Arithmetic", label="+", doc="sum of two values",
    inputs=("a", "b"), forward=_add,
    vjps=(lambda g, out, a, b: unbroadcast(g, a), lambda g, out, a, b: unbroadcast(g, b)),
    formula="a + b", derivatives=("1", "1"), elementwise=True,
))
register(OpSpec(
    name="sub", category="Arithmetic", label="\u2212", doc="difference of two values",
    inputs=("a", "b"), forward=_sub,
    vjps=(lambda g, out, a, b: unbroadcast(g, a), lambda g, out, a, b: unbroadcast(-g, b)),
    formula="a - b", derivatives=("1", "-1"), elementwise=True,
))
register(OpSpec(
    name="mul", category="Arithmetic", label="\u00d7", doc="product of two values",
    inputs=("a", "b"), forward=_mul,
    vjps=(lambda g, out, a, b: unbroadcast(g * b, a), lambda g, out, a, b: unbroadcast(g * a, b)),
    formula="a * b", derivatives=("b", "a"), elementwise=True,
))
register(OpSpec(
    name="div", category="Arithmetic", label="\u00f7", doc="quotient a / b",
    inputs=("a", "b"), forward=_div,
    vjps=(
        lambda g, out, a, b: unbroadcast(_div(g, b), a),
        lambda g, out, a, b: unbroadcast(-_div(g * out, b), b),
    ),
    formula="a / b", derivatives=("1 / b", "-a / b^2"), elementwise=True,
))
register(OpSpec(
    name="neg", category="Arithmetic", label="\u2212x", doc="negation",
    inputs=("x",), forward=_neg, vjps=(lambda g, out, x: -g,),
    formula="-x", derivatives=("-1",), elementwise=True,
))
register(OpSpec(
    name="pow", category="Arithmetic", label="x\u02b8", doc="power a ** b",
    inputs=("a", "b"), forward=safe_pow,
    vjps=(
        lambda g, out, a, b: unbroadcast(g * b * safe_pow(a, b - 1.0), a),
        _pow_grad_exponent,
    ),
    formula="a ^ b", derivatives=("b * a^(b - 1)", "a^b * ln(a)"), elementwise=True,
))

