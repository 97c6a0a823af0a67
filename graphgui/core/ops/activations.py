"""Activation functions. Conventions follow PyTorch where one must be chosen (relu'(0) = 0).

Elementwise with one input, their gradient rules (upstream times f'(x)) serve as tangent
rules too (tangent times f'(x)); softmax mixes its elements and has its own.
"""

from __future__ import annotations

import math

import numpy as np

from . import shapes
from ._helpers import as_float_of, zeros_like
from .registry import OpSpec, Param, register

# The exported NumPy code's softmax (OpSpec.numpy_helpers): shifted by the maximum, as _softmax.
SOFTMAX_HELPER = '''def softmax_along(x, axis):
    """exp(x) / sum(exp(x)) along axis (None: all elements), shifted so exp cannot overflow."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
'''


# _sigmoid's float path as a scalar template (OpSpec.scalar_code), for sigmoid and softplus
SIGMOID_SCALAR = (
    "(1.0 / (1.0 + math.exp(-{x})) if {x} >= 0 else (_e := math.exp({x})) / (1.0 + _e))"
)


def _torch_softmax(shapes, params):
    if params["axis"] is None:  # over all elements, as np.max(x, axis=None) does
        return "torch.softmax({x}.reshape(-1), dim=0).reshape({x}.shape)"
    return "torch.softmax({x}, dim={axis})"


def _sigmoid(x):
    if isinstance(x, float):
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    # exp(-x) may overflow to inf for very negative x; 1 / inf = 0 is then the right answer.
    t = np.negative(x)
    np.exp(t, out=t)
    t += 1.0
    return np.reciprocal(t, out=t)


def _sigmoid_grad(g, out, x):
    if isinstance(out, float):
        return g * out * (1.0 - out)
    d = 1.0 - out
    d *= out
    d *= g
    return d


def _tanh(x):
    return math.tanh(x) if isinstance(x, float) else np.tanh(x)


def _tanh_grad(g, out, x):
    if isinstance(out, float):
        return g * (1.0 - out * out)
    d = out * out
    np.subtract(1.0, d, out=d)
    d *= g
    return d


def _relu(x):
    if isinstance(x, float):
        return x if x > 0 else 0.0
    return np.maximum(x, 0.0)


def _relu_grad(g, out, x):
    if isinstance(x, float):
        return g if x > 0 else 0.0 * g
    return g * (x > 0)


def _leaky_relu(x, alpha):
    if isinstance(x, float):
        return x if x > 0 else alpha * x
    return np.where(x > 0, x, alpha * x)


def _leaky_relu_grad(g, out, x, alpha):
    if isinstance(x, float):
        return g if x > 0 else alpha * g
    return g * as_float_of(np.where(x > 0, 1.0, alpha), x)


def _heaviside(x, at_zero):
    if isinstance(x, float):
        return 1.0 if x > 0 else (at_zero if x == 0 else 0.0)
    return np.heaviside(x, at_zero)


def _softmax(x, axis):
    if isinstance(x, float):
        return 1.0
    if axis is not None and not -x.ndim <= axis < x.ndim:  # worded as sum and mean word it
        raise ValueError(f"axis {axis} is out of range for shape {x.shape}")
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _softmax_grad(g, out, x, axis):
    if isinstance(out, float):
        return 0.0 * g
    return out * (g - np.sum(g * out, axis=axis, keepdims=True))


def _softplus(x):
    if isinstance(x, float):
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    return np.logaddexp(0.0, x)


def _softmax_tangent(t, out, x, axis):
    if isinstance(out, float):
        return 0.0 * t
    return out * (t - np.sum(t * out, axis=axis, keepdims=True))


def _softplus_grad(g, out, x):
    return g * _sigmoid(x)


# Gradient graphs (OpSpec.vjp_graph): the rules above as nodes (see autodiff/builder.py).
def _sigmoid_graph(b, g, out, inputs, params, needs):  # g * out * (1 - out)
    return (b.op("mul", g, b.op("mul", out, b.op("sub", b.const(1.0), out))),)


def _tanh_graph(b, g, out, inputs, params, needs):  # g * (1 - out * out)
    return (b.op("mul", g, b.op("sub", b.const(1.0), b.op("mul", out, out))),)


def _relu_graph(b, g, out, inputs, params, needs):  # relu'(x) = H(x) with H(0) = 0
    return (b.op("mul", g, b.op("heaviside", inputs[0], at_zero=0.0)),)


def _leaky_relu_graph(b, g, out, inputs, params, needs):  # H(x) * (1 - alpha) + alpha
    alpha = params["alpha"]
    step = b.op("heaviside", inputs[0], at_zero=0.0)
    slope = b.op("add", b.op("mul", step, b.const(1.0 - alpha)), b.const(alpha))
    return (b.op("mul", g, slope),)


def _heaviside_graph(b, g, out, inputs, params, needs):  # flat almost everywhere
    return (b.zeros(b.shape(inputs[0])),)


def _softmax_graph(b, g, out, inputs, params, needs):  # out * (g - sum(g * out, axis))
    (x,) = inputs
    if not b.shape(x):
        return (b.zeros(()),)
    axis = params["axis"]
    total = b.op("sum", b.op("mul", g, out), axis=axis)
    return (b.op("mul", out, b.op("sub", g, b.keepdims(total, b.shape(x), axis))),)


def _softplus_graph(b, g, out, inputs, params, needs):  # g * sigmoid(x)
    return (b.op("mul", g, b.op("sigmoid", inputs[0])),)


register(OpSpec(
    name="sigmoid", category="Activations", label="\u03c3", doc="logistic 1 / (1 + exp(-x))",
    inputs=("x",), forward=_sigmoid, vjps=(_sigmoid_grad,),
    vjp_graph=_sigmoid_graph, jvps=(_sigmoid_grad,),
    formula="1 / (1 + exp(-x))", derivatives=("out * (1 - out)",), elementwise=True,
    numpy_code="1 / (1 + np.exp(-{x}))", numpy_grads=("{g} * {out} * (1 - {out})",),
    torch_code="torch.sigmoid({x})",
    scalar_code=SIGMOID_SCALAR, scalar_grads=("{g} * {out} * (1.0 - {out})",),
))
register(OpSpec(
    name="tanh", category="Activations", label="tanh", doc="hyperbolic tangent",
    inputs=("x",), forward=_tanh, vjps=(_tanh_grad,),
    vjp_graph=_tanh_graph, jvps=(_tanh_grad,),
    formula="tanh(x)", derivatives=("1 - out**2",), elementwise=True,
    numpy_code="np.tanh({x})", numpy_grads=("{g} * (1 - {out} ** 2)",),
    torch_code="torch.tanh({x})",
    scalar_code="math.tanh({x})", scalar_grads=("{g} * (1.0 - {out} * {out})",),
))
register(OpSpec(
    name="relu", category="Activations", label="ReLU", doc="max(0, x); its slope at 0 is 0",
    inputs=("x",), forward=_relu, vjps=(_relu_grad,),
    vjp_graph=_relu_graph, jvps=(_relu_grad,),
    formula="max(0, x)", derivatives=("1 if x > 0 else 0",), elementwise=True,
    numpy_code="np.maximum({x}, 0.0)", numpy_grads=("{g} * ({x} > 0)",),
    torch_code="torch.relu({x})",
    scalar_code="({x} if {x} > 0 else 0.0)", scalar_grads=("({g} if {x} > 0 else 0.0 * {g})",),
))
register(OpSpec(
    name="leaky_relu", category="Activations", label="LReLU",
    doc="x for x > 0, alpha * x otherwise",
    inputs=("x",), forward=_leaky_relu, vjps=(_leaky_relu_grad,),
    vjp_graph=_leaky_relu_graph, jvps=(_leaky_relu_grad,),
    formula="x if x > 0 else alpha * x", derivatives=("1 if x > 0 else alpha",),
    params=(Param("alpha", "float", 0.01, "slope for x <= 0"),), elementwise=True,
    numpy_code="np.where({x} > 0, {x}, {alpha} * {x})",
    numpy_grads=("{g} * np.where({x} > 0, 1.0, {alpha})",),
    torch_code="F.leaky_relu({x}, {alpha})",
    scalar_code="({x} if {x} > 0 else {alpha} * {x})",
    scalar_grads=("({g} if {x} > 0 else {alpha} * {g})",),
))
register(OpSpec(
    name="identity", category="Activations", label="id", doc="linear activation f(x) = x",
    inputs=("x",), forward=lambda x: x, vjps=(lambda g, out, x: g,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (g,),
    jvps=(lambda t, out, x: t,),
    formula="x", derivatives=("1",), elementwise=True, aliases=("linear",),
    numpy_code="{x}", numpy_grads=("{g}",), torch_code="{x}.clone()",  # a tensor of its own
    scalar_code="{x}", scalar_grads=("{g}",),
))
register(OpSpec(
    name="heaviside", category="Activations", label="H",
    doc="step: 1 for x > 0, 0 for x < 0; its derivative is 0 almost everywhere",
    inputs=("x",), forward=_heaviside, vjps=(lambda g, out, x, at_zero: zeros_like(g),),
    vjp_graph=_heaviside_graph,
    jvps=(lambda t, out, x, at_zero: zeros_like(t),),
    formula="1 if x > 0 else 0", derivatives=("0 (almost everywhere; undefined at x = 0)",),
    params=(Param("at_zero", "float", 1.0, "value at x = 0"),), elementwise=True,
    aliases=("step",),
    numpy_code="np.heaviside({x}, {at_zero})", numpy_grads=("np.zeros_like({g})",),
    # PyTorch has no gradient for heaviside: the step of x's value, plus 0 * x for its
    # gradient 0 (so the nodes after it stay on the autograd graph)
    torch_code="torch.heaviside({x}.detach(), torch.tensor({at_zero})) + 0.0 * {x}",
    scalar_code="(1.0 if {x} > 0 else ({at_zero} if {x} == 0 else 0.0))", scalar_grads=("0.0",),
))
register(OpSpec(
    name="softmax", category="Activations", label="softmax",
    doc="exp(x) / sum(exp(x)) along an axis",
    inputs=("x",), forward=_softmax, vjps=(_softmax_grad,),
    vjp_graph=_softmax_graph, jvps=(_softmax_tangent,),
    formula="exp(x) / sum(exp(x))", derivatives=("out * (g - sum(g * out))  (vector-Jacobian)",),
    tangent_formulas=("out * (tangent - sum(tangent * out))",),
    params=(Param("axis", "axis", -1, "axis that sums to 1"),), out_shape=shapes.keep_axis,
    numpy_code="softmax_along({x}, {axis})",
    numpy_grads=("{out} * ({g} - np.sum({g} * {out}, axis={axis}, keepdims=True))",),
    torch_code=_torch_softmax, numpy_helpers=(SOFTMAX_HELPER,),
    scalar_code="1.0", scalar_grads=("0.0 * {g}",),  # one element sums to 1: flat
))
register(OpSpec(
    name="softplus", category="Activations", label="softplus", doc="smooth ReLU ln(1 + exp(x))",
    inputs=("x",), forward=_softplus, vjps=(_softplus_grad,),
    vjp_graph=_softplus_graph, jvps=(_softplus_grad,),
    formula="ln(1 + exp(x))", derivatives=("sigmoid(x)",), elementwise=True,
    numpy_code="np.logaddexp(0.0, {x})", numpy_grads=("{g} / (1 + np.exp(-{x}))",),
    torch_code="torch.logaddexp({x}, torch.zeros_like({x}))",
    scalar_code="max({x}, 0.0) + math.log1p(math.exp(-abs({x})))",
    scalar_grads=("{g} * " + SIGMOID_SCALAR,),
))

sigmoid = _sigmoid
