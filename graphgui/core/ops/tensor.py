"""Shape-changing ops: matmul, transpose, sum, mean, reshape."""

from __future__ import annotations

import numpy as np

from . import shapes
from ._helpers import unbroadcast
from .registry import OpSpec, Param, exact, register


def _matmul(a, b):
    if isinstance(a, float) or isinstance(b, float):
        raise ValueError("matmul needs arrays on both inputs; use mul for scalars")
    if a.ndim == 2 and b.ndim == 2:  # the common case; np.dot has less call overhead
        return np.dot(a, b)
    return _scalar_as_float(np.matmul(a, b))


def _scalar_as_float(result):
    # vector @ vector and a full reduction of a vector give NumPy 0-d scalars; the graph's
    # scalars are Python floats.
    return float(result) if np.ndim(result) == 0 else result


def _matmul_grad_a(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(g, b.T)
    if np.ndim(g) == 0:  # vector @ vector
        return g * b
    if a.ndim == 1:
        g = np.expand_dims(g, -2)
    if b.ndim == 1:  # matrix @ vector: an outer product
        result = np.expand_dims(g, -1) * b
    else:
        result = np.matmul(g, np.swapaxes(b, -1, -2))
    if a.ndim == 1:
        result = result.reshape(result.shape[:-2] + result.shape[-1:])
    return unbroadcast(result, a)


def _matmul_grad_b(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(a.T, g)
    if np.ndim(g) == 0:
        return g * a
    if b.ndim == 1:
        g = np.expand_dims(g, -1)
    if a.ndim == 1:  # vector @ (batched) matrix: an outer product per batch
        result = np.expand_dims(a, -1) * np.expand_dims(g, -2)
    else:
        result = np.matmul(np.swapaxes(a, -1, -2), g)
    if b.ndim == 1:
        result = result[..., 0]
    return unbroadcast(result, b)


def _transpose(x):
    return x if isinstance(x, float) else np.transpose(x)


def _reduced_shape(x, axis):
    shape = np.shape(x)
    if axis is not None and not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis {axis} is out of range for shape {shape}")
    return shape


def _sum(x, axis):
    _reduced_shape(x, axis)
    if axis is None or isinstance(x, float):
        return float(np.sum(x))
    return _scalar_as_float(np.sum(x, axis=axis))


def _sum_grad(g, out, x, axis):
    if isinstance(x, float):
        return float(g)
    if g.__class__ is float:  # in x's dtype (a float32 x's gradient stays float32)
        g = np.array(g, x.dtype)
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, x.shape)


def _mean(x, axis):
    _reduced_shape(x, axis)
    if isinstance(x, float):
        return x
    n = x.size if axis is None else x.shape[axis]
    total = np.sum(x) if axis is None else np.sum(x, axis=axis)
    # sum / n as np.mean, without its "Mean of empty slice" warning: empty gives nan
    return _scalar_as_float(total / n if n else total * np.nan)


def _mean_grad(g, out, x, axis):
    if isinstance(x, float):
        return float(g)
    n = x.size if axis is None else x.shape[axis]
    if n == 0:  # the mean of nothing: an empty x, whose gradient is empty too
        return np.zeros(x.shape, x.dtype)
    return _sum_grad(g / n, out, x, axis)


def _reshape(x, shape):
    result = np.reshape(x, shape)
    return float(result) if result.ndim == 0 else result


def _reshape_grad(g, out, x, shape):
    if isinstance(x, float):
        return float(np.sum(g))
    if g.__class__ is float:
        g = np.array(g, x.dtype)
    return np.reshape(g, x.shape)


# Gradient graphs (OpSpec.vjp_graph): the rules above as nodes (see autodiff/builder.py).
def _matmul_graph(b, g, out, inputs, params, needs):
    """g @ b^T and a^T @ g on matrices; a vector operand is made a matrix (a row for a, a
    column for b) and its gradient reshaped back, which covers its outer products."""
    x, y = inputs
    sx, sy = b.shape(x), b.shape(y)
    if len(sx) > 2 or len(sy) > 2:
        raise ValueError(
            f"matmul of shapes {sx} and {sy}: only vectors and matrices (batched matmul "
            "has no gradient graph; reshape to matrices)"
        )
    rows = 1 if len(sx) == 1 else sx[0]
    cols = 1 if len(sy) == 1 else sy[1]
    g2 = _reshaped(b, g, (rows, cols))
    return (
        _reshaped(b, b.op("matmul", g2, b.op("transpose", _reshaped(b, y, (sy[0], cols)))), sx)
        if needs[0] else None,
        _reshaped(b, b.op("matmul", b.op("transpose", _reshaped(b, x, (rows, sx[-1]))), g2), sy)
        if needs[1] else None,
    )


def _reshaped(b, ref, shape):
    return ref if b.shape(ref) == shape else b.op("reshape", ref, shape=shape)


def _reduce_graph(b, g, out, inputs, params, needs):
    """sum and mean: g back on the reduced axis (reshape as keepdims), times ones."""
    (x,) = inputs
    shape, axis = b.shape(x), params["axis"]
    return (b.unbroadcast(b.keepdims(g, shape, axis), shape),)


def _mean_graph(b, g, out, inputs, params, needs):
    (x,) = inputs
    shape, axis = b.shape(x), params["axis"]
    n = 1 if not shape else (int(np.prod(shape)) if axis is None else shape[axis])
    if n == 0:  # the mean of nothing: an empty x has an empty gradient
        return (b.zeros(shape),)
    scaled = b.op("mul", g, b.const(1.0 / n))
    return _reduce_graph(b, scaled, out, inputs, params, needs)


# The exported code (OpSpec.numpy_code): rules whose text depends on the shapes or the axis.
def _matmul_code(port):
    """g @ b.T and a.T @ g on matrices; a vector operand's part is an outer product."""
    texts = {
        (2, 2): ("{g} @ {b}.T", "{a}.T @ {g}"),
        (1, 2): ("{b} @ {g}", "np.outer({a}, {g})"),
        (2, 1): ("np.outer({g}, {b})", "{a}.T @ {g}"),
        (1, 1): ("{g} * {b}", "{g} * {a}"),
    }

    def template(shapes, params):
        key = (len(shapes[0]), len(shapes[1]))
        if key not in texts:
            raise ValueError(f"matmul of shapes {shapes[0]} and {shapes[1]}: only vectors "
                             "and matrices (reshape a batch to matrices)")
        return texts[key][port]

    return template


def _reduce_code(name, torch=False):
    """np.sum(x) / np.sum(x, axis=k), and the torch forms."""
    def template(shapes, params):
        module, key = ("torch", "dim") if torch else ("np", "axis")
        if params["axis"] is None:
            return f"{module}.{name}({{x}})"
        return f"{module}.{name}({{x}}, {key}={{axis}})"
    return template


def _reduce_grad_code(mean):
    """g back along the reduced axis, times ones of x's shape (over n for a mean)."""
    def template(shapes, params):
        if params["axis"] is None:
            return "{g} * np.ones_like({x}) / np.size({x})" if mean else "{g} * np.ones_like({x})"
        text = "np.expand_dims({g}, {axis}) * np.ones_like({x})"
        return text + " / np.shape({x})[{axis}]" if mean else text
    return template


def _torch_transpose(shapes, params):
    ndim = len(shapes[0])
    if ndim < 2:  # a scalar or vector is its own transpose (a tensor of its own, though)
        return "{x}.clone()"
    if ndim == 2:
        return "{x}.T"
    return "{x}.permute(" + ", ".join(str(k) for k in reversed(range(ndim))) + ")"


register(OpSpec(
    name="matmul", category="Tensor", label="@", doc="matrix product a @ b",
    inputs=("a", "b"), forward=_matmul, vjps=(_matmul_grad_a, _matmul_grad_b),
    vjp_graph=_matmul_graph,
    jvps=(lambda t, out, a, b: _matmul(t, b), lambda t, out, a, b: _matmul(a, t)),
    formula="a @ b", derivatives=("g @ b^T", "a^T @ g"),
    tangent_formulas=("tangent @ b", "a @ tangent"), out_shape=shapes.matmul,
    numpy_code="{a} @ {b}", numpy_grads=(_matmul_code(0), _matmul_code(1)),
    torch_code="{a} @ {b}",
))
register(OpSpec(
    name="transpose", category="Tensor", label="x\u1d40", doc="reverse the axes (matrix transpose)",
    inputs=("x",), forward=_transpose, vjps=(lambda g, out, x: _transpose(g),),
    vjp_graph=lambda b, g, out, inputs, params, needs: (b.op("transpose", g),),
    jvps=(lambda t, out, x: _transpose(t),),
    formula="x^T", derivatives=("g^T",), tangent_formulas=("tangent^T",), out_shape=shapes.transpose,
    numpy_code="np.transpose({x})", numpy_grads=(exact("np.transpose({g})"),),
    torch_code=_torch_transpose,
))
register(OpSpec(
    name="sum", category="Tensor", label="\u03a3", doc="sum of all elements, or along an axis",
    inputs=("x",), forward=_sum, vjps=(_sum_grad,), vjp_graph=_reduce_graph,
    jvps=(lambda t, out, x, axis: _sum(t, axis),),
    formula="sum(x)", derivatives=("1 (each element)",), tangent_formulas=("sum(tangent)",), out_shape=shapes.reduce_axis,
    params=(Param("axis", "axis", None, "axis to sum over; empty for all"),),
    numpy_code=_reduce_code("sum"), numpy_grads=(_reduce_grad_code(mean=False),),
    torch_code=_reduce_code("sum", torch=True),
))
register(OpSpec(
    name="mean", category="Tensor", label="mean", doc="mean of all elements, or along an axis",
    inputs=("x",), forward=_mean, vjps=(_mean_grad,), vjp_graph=_mean_graph,
    jvps=(lambda t, out, x, axis: _mean(t, axis),),
    formula="mean(x)", derivatives=("1 / n (each element)",),
    tangent_formulas=("mean(tangent)",), out_shape=shapes.reduce_axis,
    params=(Param("axis", "axis", None, "axis to average over; empty for all"),),
    numpy_code=_reduce_code("mean"), numpy_grads=(_reduce_grad_code(mean=True),),
    torch_code=_reduce_code("mean", torch=True),
))
register(OpSpec(
    name="reshape", category="Tensor", label="reshape", doc="same elements, another shape",
    inputs=("x",), forward=_reshape, vjps=(_reshape_grad,),
    vjp_graph=lambda b, g, out, inputs, params, needs: (
        b.op("reshape", g, shape=b.shape(inputs[0])),
    ),
    jvps=(lambda t, out, x, shape: _reshape(t, shape),),
    formula="reshape(x)", derivatives=("1 (each element)",),
    tangent_formulas=("reshape(tangent)",), out_shape=shapes.reshape,
    params=(Param("shape", "shape", (-1,), "new shape; one -1 is inferred"),),
    numpy_code="np.reshape({x}, {shape})", numpy_grads=(exact("np.reshape({g}, np.shape({x}))"),),
    torch_code="torch.reshape({x}, {shape})",
))
