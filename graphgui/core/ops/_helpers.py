"""Shared helpers for op declarations.

NOTE: gradient rules never modify their arguments in place: an upstream gradient may be a
read-only broadcast view, or the very array another rule returned.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def unbroadcast(grad: Any, like: Any) -> Any:
    """``grad`` with the shape of ``like``: summed over broadcast axes, and spread out where
    ``like`` is larger (``d mean(y * s)/dy`` of a scalar ``s`` is one number per element of y).
    """
    # Called once per input per node: attribute access and one reduction, no np.shape calls.
    if grad.__class__ is float:  # in like's dtype: a float32 array's gradient stays float32
        return grad if like.__class__ is float else np.full(like.shape, grad, like.dtype)
    gshape = grad.shape
    shape = () if like.__class__ is float else np.shape(like)
    if gshape == shape:
        return float(grad) if not shape else grad
    if not shape:
        return float(grad.sum())
    if len(gshape) == len(shape):  # the common case (a bias (4, 1) against (4, m)): a loop
        axes = []  # beats generator expressions at two or three dimensions
        for i in range(len(shape)):
            if shape[i] != gshape[i]:
                if shape[i] != 1:
                    break
                axes.append(i)
        else:
            return np.add.reduce(grad, axis=tuple(axes), keepdims=True)
    lead = len(gshape) - len(shape)
    if lead < 0 or any(n != 1 and n != m for n, m in zip(shape, gshape[lead:], strict=True)):
        # ``like`` is larger than ``grad`` along some axis: spread grad out, then reduce.
        full = np.broadcast_shapes(gshape, shape)
        grad = np.broadcast_to(grad, full)
        if full == shape:
            return grad.copy()  # a fresh array, not a read-only view
        gshape = full
        lead = len(gshape) - len(shape)
    axes = tuple(lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1)
    if not lead:  # one reduction that keeps the axes: already the right shape
        return np.add.reduce(grad, axis=axes, keepdims=True)
    return np.add.reduce(grad, axis=tuple(range(lead)) + axes).reshape(shape)


def zeros_like(x: Any) -> Any:
    if isinstance(x, float):
        return 0.0
    return np.zeros(np.shape(x), x.dtype if isinstance(x, np.ndarray) else float)


def as_float_of(result: Any, *like: Any) -> Any:
    """``result`` (an array NumPy built from Python floats, so float64) in the float dtype
    the arrays among ``like`` promote to (float32 for float32 inputs; float64 unchanged)."""
    arrays = [x for x in like if isinstance(x, np.ndarray)]
    if not arrays or result.__class__ is not np.ndarray:
        return result
    return result.astype(np.result_type(*arrays, 1.0), copy=False)


def count(x: Any) -> int:
    """Number of elements (1 for a scalar)."""
    return 1 if isinstance(x, float) else int(np.size(x))


def broadcast_count(a: Any, b: Any) -> int:
    """Number of elements of ``a`` and ``b`` broadcast together (what a mean divides by)."""
    if a.__class__ is float and b.__class__ is float:
        return 1
    sa = () if a.__class__ is float else a.shape
    sb = () if b.__class__ is float else b.shape
    return math.prod(sa if sa == sb else np.broadcast_shapes(sa, sb))


def safe_div(a: float, b: float) -> float:
    """a / b for floats with IEEE results instead of ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def safe_pow(a: Any, b: Any) -> Any:
    """a ** b that gives nan or inf (as NumPy does) instead of complex numbers or exceptions."""
    if isinstance(a, float) and isinstance(b, float):
        if a < 0 and not b.is_integer():
            return math.nan
        try:
            return a**b
        except ZeroDivisionError:
            return math.inf
        except OverflowError:
            odd = b.is_integer() and int(b) % 2 == 1
            return math.copysign(math.inf, a) if odd else math.inf
    return np.power(a, b)


def log_or_nan(x: Any) -> Any:
    """Natural log with -inf at 0 and nan below, for floats and arrays alike."""
    if isinstance(x, float):
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan
    return np.log(x)


def exp_or_inf(x: Any) -> Any:
    if isinstance(x, float):
        try:
            return math.exp(x)
        except OverflowError:
            return math.inf
    return np.exp(x)
