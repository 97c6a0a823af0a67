"""Elementwise functions: exp, log, sqrt, abs, sin, cos.

For an elementwise op of one input, d(out)/dx is a number per element, so the gradient rule
(upstream times it) is also the tangent rule (tangent times it): several ops use one for both.
"""

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


# Gradient graphs (OpSpec.vjp_graph): the rules above as nodes (see autodiff/builder.py).
def _unary_graph(local):
    """The rule g * local(b, x, out) of an elementwise op of one input."""
    def rule(b, g, out, inputs, params, needs):
        return (b.op("mul", g, local(b, inputs[0], out)),)
    return rule


def _abs_graph(b, g, out, inputs, params, needs):
    # sign(x) = H(x) - H(-x), with H(0) = 0: the numeric rule's slope 0 at x = 0
    (x,) = inputs
    up = b.op("heaviside", x, at_zero=0.0)
    down = b.op("heaviside", b.op("neg", x), at_zero=0.0)
    return (b.op("mul", g, b.op("sub", up, down)),)


register(OpSpec(
    name="exp", category="Math", label="exp", doc="e to the power x",
    inputs=("x",), forward=exp_or_inf, vjps=(lambda g, out, x: g * out,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (b.op("mul", g, out),),
    jvps=(lambda t, out, x: t * out,),
    formula="exp(x)", derivatives=("exp(x)",), elementwise=True,
    numpy_code="np.exp({x})", numpy_grads=("{g} * {out}",), torch_code="torch.exp({x})",
    scalar_code="math.exp({x})", scalar_grads=("{g} * {out}",),  # overflow raises
))
register(OpSpec(
    name="log", category="Math", label="ln", doc="natural logarithm (x > 0)",
    inputs=("x",), forward=log_or_nan, vjps=(_log_grad,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (b.op("div", g, inputs[0]),),
    jvps=(_log_grad,),
    formula="ln(x)", derivatives=("1 / x",), elementwise=True, aliases=("ln",),
    numpy_code="np.log({x})", numpy_grads=("{g} / {x}",), torch_code="torch.log({x})",
    scalar_code="math.log({x})", scalar_grads=("{g} / {x}",),  # x <= 0 raises
))
register(OpSpec(
    name="sqrt", category="Math", label="\u221a", doc="square root (x >= 0)",
    inputs=("x",), forward=_sqrt, vjps=(_sqrt_grad,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (
        b.op("div", b.op("mul", g, b.const(0.5)), out),
    ), jvps=(_sqrt_grad,),
    formula="sqrt(x)", derivatives=("1 / (2 * sqrt(x))",), elementwise=True,
    numpy_code="np.sqrt({x})", numpy_grads=("0.5 * {g} / {out}",), torch_code="torch.sqrt({x})",
    scalar_code="math.sqrt({x})", scalar_grads=("0.5 * {g} / {out}",),  # x < 0 raises
))
register(OpSpec(
    name="abs", category="Math", label="|x|", doc="absolute value; its slope at 0 is 0",
    inputs=("x",), forward=_abs, vjps=(lambda g, out, x: g * _sign(x),),
    vjp_graph=_abs_graph,
    jvps=(lambda t, out, x: t * _sign(x),),
    formula="|x|", derivatives=("sign(x)",), elementwise=True,
    numpy_code="np.abs({x})", numpy_grads=("{g} * np.sign({x})",), torch_code="torch.abs({x})",
    scalar_code="abs({x})", scalar_grads=("{g} * (({x} > 0) - ({x} < 0) + 0.0)",),  # _sign
))
register(OpSpec(
    name="sin", category="Math", label="sin", doc="sine (radians)",
    inputs=("x",), forward=_sin, vjps=(lambda g, out, x: g * _cos(x),),
    vjp_graph=_unary_graph(lambda b, x, out: b.op("cos", x)),
    jvps=(lambda t, out, x: t * _cos(x),),
    formula="sin(x)", derivatives=("cos(x)",), elementwise=True,
    numpy_code="np.sin({x})", numpy_grads=("{g} * np.cos({x})",), torch_code="torch.sin({x})",
    scalar_code="math.sin({x})", scalar_grads=("{g} * math.cos({x})",),
))
register(OpSpec(
    name="cos", category="Math", label="cos", doc="cosine (radians)",
    inputs=("x",), forward=_cos, vjps=(lambda g, out, x: -g * _sin(x),),
    vjp_graph=_unary_graph(lambda b, x, out: b.op("neg", b.op("sin", x))),
    jvps=(lambda t, out, x: -t * _sin(x),),
    formula="cos(x)", derivatives=("-sin(x)",), elementwise=True,
    numpy_code="np.cos({x})", numpy_grads=("-{g} * np.sin({x})",), torch_code="torch.cos({x})",
    scalar_code="math.cos({x})", scalar_grads=("-{g} * math.sin({x})",),
))
