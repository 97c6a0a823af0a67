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


def _log_base(a):
    # d(a^b)/db = a^b * ln(a); at a == 0 the limit for b > 0 is 0 (as in PyTorch).
    if isinstance(a, float):
        return 0.0 if a == 0 else log_or_nan(a)
    return np.where(a == 0, 0.0, log_or_nan(np.where(a == 0, 1.0, a)))


def _pow_grad_exponent(g, out, a, b):
    return unbroadcast(g * out * _log_base(a), b)


def _same(t, out, a, b):  # forward mode of add and sub (port a): the tangent passes on
    return t


# Scalar graphs are the common case: the rules below skip the unbroadcast call for floats
# (a function call per rule is a third of the backward time on a 10,000-node graph).
def _add_grad(g, out, a, b):
    return g if g.__class__ is float else unbroadcast(g, a)


def _add_grad_b(g, out, a, b):
    return g if g.__class__ is float else unbroadcast(g, b)


def _sub_grad_b(g, out, a, b):
    return -g if g.__class__ is float else unbroadcast(-g, b)


def _mul_grad_a(g, out, a, b):
    c = g * b
    return c if c.__class__ is float else unbroadcast(c, a)


def _mul_grad_b(g, out, a, b):
    c = g * a
    return c if c.__class__ is float else unbroadcast(c, b)


# Gradient graphs (OpSpec.vjp_graph): the rules above once more, as nodes (see
# autodiff/builder.py); b.grads unbroadcasts each input's part to its shape.
def _add_graph(b, g, out, inputs, params, needs):
    return b.grads(inputs, needs, lambda: g, lambda: g)


def _sub_graph(b, g, out, inputs, params, needs):
    return b.grads(inputs, needs, lambda: g, lambda: b.op("neg", g))


def _mul_graph(b, g, out, inputs, params, needs):
    x, y = inputs
    return b.grads(inputs, needs, lambda: b.op("mul", g, y), lambda: b.op("mul", g, x))


def _div_graph(b, g, out, inputs, params, needs):
    x, y = inputs
    return b.grads(
        inputs, needs,
        lambda: b.op("div", g, y),
        lambda: b.op("neg", b.op("div", b.op("mul", g, out), y)),
    )


def _pow_graph(b, g, out, inputs, params, needs):
    # g * b * a**(b - 1) and g * out * ln(a); at a == 0 ln gives -inf and the exponent's
    # part nan, where the numeric rule (_log_base) takes the limit 0.
    x, y = inputs
    return b.grads(
        inputs, needs,
        lambda: b.op("mul", g, b.op("mul", y, b.op("pow", x, b.op("sub", y, b.const(1.0))))),
        lambda: b.op("mul", g, b.op("mul", out, b.op("log", x))),
    )


register(OpSpec(
    name="add", category="Arithmetic", label="+", doc="sum of two values",
    inputs=("a", "b"), forward=_add,
    vjps=(_add_grad, _add_grad_b), vjp_graph=_add_graph, jvps=(_same, _same),
    formula="a + b", derivatives=("1", "1"), elementwise=True,
    numpy_code="{a} + {b}", numpy_grads=("{g}", "{g}"), torch_code="{a} + {b}",
    scalar_code="{a} + {b}", scalar_grads=("{g}", "{g}"),
))
register(OpSpec(
    name="sub", category="Arithmetic", label="\u2212", doc="difference of two values",
    inputs=("a", "b"), forward=_sub,
    vjps=(_add_grad, _sub_grad_b), vjp_graph=_sub_graph, jvps=(_same, lambda t, out, a, b: -t),
    formula="a - b", derivatives=("1", "-1"), elementwise=True,
    numpy_code="{a} - {b}", numpy_grads=("{g}", "-{g}"), torch_code="{a} - {b}",
    scalar_code="{a} - {b}", scalar_grads=("{g}", "-{g}"),
))
register(OpSpec(
    name="mul", category="Arithmetic", label="\u00d7", doc="product of two values",
    inputs=("a", "b"), forward=_mul,
    vjps=(_mul_grad_a, _mul_grad_b), vjp_graph=_mul_graph,
    jvps=(lambda t, out, a, b: t * b, lambda t, out, a, b: t * a),
    formula="a * b", derivatives=("b", "a"), elementwise=True,
    numpy_code="{a} * {b}", numpy_grads=("{g} * {b}", "{g} * {a}"), torch_code="{a} * {b}",
    scalar_code="{a} * {b}", scalar_grads=("{g} * {b}", "{g} * {a}"),
))
register(OpSpec(
    name="div", category="Arithmetic", label="\u00f7", doc="quotient a / b",
    inputs=("a", "b"), forward=_div,
    vjps=(
        lambda g, out, a, b: unbroadcast(_div(g, b), a),
        lambda g, out, a, b: unbroadcast(-_div(g * out, b), b),
    ),
    vjp_graph=_div_graph,
    jvps=(lambda t, out, a, b: _div(t, b), lambda t, out, a, b: -_div(t * out, b)),
    formula="a / b", derivatives=("1 / b", "-a / b**2"), elementwise=True,
    numpy_code="{a} / {b}", numpy_grads=("{g} / {b}", "-{g} * {out} / {b}"),
    torch_code="{a} / {b}",
    # a / 0 raises here where safe_div gives inf or nan: the pass then runs interpreted
    scalar_code="{a} / {b}", scalar_grads=("{g} / {b}", "-({g} * {out} / {b})"),
))
register(OpSpec(
    name="neg", category="Arithmetic", label="\u2212x", doc="negation",
    inputs=("x",), forward=_neg, vjps=(lambda g, out, x: -g,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (b.op("neg", g),),
    jvps=(lambda t, out, x: -t,), formula="-x", derivatives=("-1",), elementwise=True,
    numpy_code="-{x}", numpy_grads=("-{g}",), torch_code="-{x}",
    scalar_code="-{x}", scalar_grads=("-{g}",),
))
register(OpSpec(
    name="pow", category="Arithmetic", label="x\u02b8", doc="power a ** b",
    inputs=("a", "b"), forward=safe_pow,
    vjps=(
        lambda g, out, a, b: unbroadcast(g * b * safe_pow(a, b - 1.0), a),
        _pow_grad_exponent,
    ),
    vjp_graph=_pow_graph,
    jvps=(
        lambda t, out, a, b: t * b * safe_pow(a, b - 1.0),
        lambda t, out, a, b: t * out * _log_base(a),
    ),
    formula="a**b", derivatives=("b * a**(b - 1)", "a**b * ln(a)"), elementwise=True,
    # ln(a) taken as 0 where a == 0, as _log_base does
    numpy_code="{a} ** {b}",
    numpy_grads=("{g} * {b} * {a} ** ({b} - 1.0)",
                 "{g} * {out} * np.log(np.where({a} == 0, 1.0, {a}))"),
    torch_code="{a} ** {b}",
    # safe_pow: nan for a negative base and a fractional exponent (Python would give a
    # complex number); 0 ** -1 and overflow raise, and the pass runs interpreted
    scalar_code="({a} ** {b} if {a} >= 0.0 or {b} == math.floor({b}) else math.nan)",
    scalar_grads=(
        "{g} * {b} * ({a} ** ({b} - 1.0) if {a} >= 0.0 or {b} - 1.0 == math.floor({b} - 1.0)"
        " else math.nan)",
        "{g} * {out} * (0.0 if {a} == 0.0 else math.log({a}))",
    ),
))

