"""Elementwise functions: exp, log, sqrt, abs, sin, cos."""

from __future__ import annotations

import math

import numpy as np

from ._helpers import exp_or_inf, log_or_nan, safe_div
from .registry import OpSpec, register


def _sqrt(x):
    if isinstance(x, float):
        return math.sqrt(x) if x >= 0 else math.nan
    return np.sqrt(x)


def _sqrt_grad(g, out, x):
    if isinstance(out, float):
        return safe_div(0.5 * g, out) if isinstance(g, float) else 0.5 * g / out
    return 0.5 * g / out


def _abs(x):
    return abs(x) if isinstance(x, float) else np.abs(x)


def _sign(x):
    if isinstance(x, float):
        return (x > 0) - (x < 0) + 0.0
    return np.sign(x)


def _sin(x):
    return math.sin(x) if isinstance(x, float) and math.isfinite(x) else np.sin(x)


def _cos(x):
    return math.cos(x) if isinstance(x, float) and math.isfinite(x) else np.cos(x)


def _log_grad(g, out, x):
    if isinstance(x, float) and isinstance(g, float):
        return safe_div(g, x)
    return g / x


register(OpSpec(
    name="exp", category="Functions", label="exp", doc="e to the power x",
    inputs=("x",), forward=exp_or_inf, vjps=(lambda g, out, x: g * out,),
    formula="exp(x)", derivatives=("exp(x)",), elementwise=True,
))
register(OpSpec(
    name="log", category="Functions", label="ln", doc="natural logarithm (x > 0)",
    inputs=("x",), forward=log_or_nan, vjps=(_log_grad,),
    formula="ln(x)", derivatives=("1 / x",), elementwise=True, aliases=("ln",),
))
register(OpSpec(
    name="sqrt", category="Functions", label="\u221a", doc="square root (x >= 0)",
    inputs=("x",), forward=_sqrt, vjps=(_sqrt_grad,),
    formula="sqrt(x)", derivatives=("1 / (2 * sqrt(x))",), elementwise=True,
))
register(OpSpec(
    name="abs", category="Functions", label="|x|", doc="absolute value; its slope at 0 is 0",
    inputs=("x",), forward=_abs, vjps=(lambda g, out, x: g * _sign(x),),
    formula="|x|", derivatives=("sign(x)",), elementwise=True,
))
register(OpSpec(
    name="sin", category="Functions", label="sin", doc="sine (radians)",
    inputs=("x",), forward=_sin, vjps=(lambda g, out, x: g * _cos(x),),
    formula="sin(x)", derivatives=("cos(x)",), elementwise=True,
))
register(OpSpec(
    name="cos", category="Functions", label="cos", doc="cosine (radians)",
    inputs=("x",), forward=_cos, vjps=(lambda g, out, x: -g * _sin(x),),
    formula="cos(x)", derivatives=("-sin(x)",), elementwise=True,
))
