"""Shape rules: the shape of an op's result from the shapes of its inputs, without computing it.

The engine runs these before a forward pass (once per set of source shapes, not per pass) so
that ``a (30000, 1) * b (1, 30000)`` is refused at once, naming the node, the shapes and the
limit, instead of allocating 7 GB. A rule is ``rule(*input_shapes, **params) -> shape``; it
raises ValueError where the shapes do not combine (the op itself then says why) and may call
:func:`check_intermediate` for a temporary larger than its result (a loss broadcasting its
two inputs). Elementwise ops share :func:`broadcast`; see ``OpSpec.out_shape``.
"""

from __future__ import annotations

import math

import numpy as np

from ..values import MAX_ELEMENTS

Shape = tuple[int, ...]


class TooLarge(ValueError):
    """A result or intermediate of ``shape`` would hold more than MAX_ELEMENTS elements."""

    def __init__(self, shape: Shape, what: str = "a result") -> None:
        super().__init__(f"{what} of shape {shape}")
        self.shape = shape
        self.what = what


def elements(shape: Shape) -> int:
    return math.prod(shape)


def check_intermediate(shape: Shape) -> Shape:
    """Raise TooLarge if a temporary of ``shape`` is over the limit; returns ``shape``."""
    if elements(shape) > MAX_ELEMENTS:
        raise TooLarge(shape, "an intermediate array")
    return shape


def broadcast(*shapes: Shape, **params: object) -> Shape:
    """Elementwise ops: NumPy broadcasting of the inputs."""
    return shapes[0] if len(shapes) == 1 else np.broadcast_shapes(*shapes)


def same(x: Shape, **params: object) -> Shape:
    return x


def matmul(a: Shape, b: Shape) -> Shape:
    """``a @ b`` as np.matmul shapes it (1-d operands promoted, batch axes broadcast)."""
    if not a or not b:
        raise ValueError("matmul needs arrays on both inputs")
    a2 = (1, *a) if len(a) == 1 else a
    b2 = (*b, 1) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise ValueError("inner sizes differ")
    out = (*np.broadcast_shapes(a2[:-2], b2[:-2]), a2[-2], b2[-1])
    if len(b) == 1:
        out = out[:-1]
    if len(a) == 1:
        out = out[:-2] + out[-1:] if len(b) > 1 else out[:-1]
    return out


def transpose(x: Shape) -> Shape:
    return x[::-1]


def reduce_axis(x: Shape, axis: int | None) -> Shape:
    """sum and mean: all elements (axis None) or one axis removed."""
    if axis is None:
        return ()
    if not -len(x) <= axis < len(x):
        raise ValueError("axis out of range")
    return x[: axis % len(x)] + x[axis % len(x) + 1:]


def keep_axis(x: Shape, axis: int | None) -> Shape:
    """softmax: the input's shape (its axis must exist)."""
    if x and axis is not None and not -len(x) <= axis < len(x):
        raise ValueError("axis out of range")
    return x


def reshape(x: Shape, shape: Shape) -> Shape:
    size = elements(x)
    known = elements(tuple(d for d in shape if d != -1))
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError("cannot reshape")
        shape = tuple(size // known if d == -1 else d for d in shape)
    elif known != size:
        raise ValueError("cannot reshape")
    return shape


def loss(a: Shape, b: Shape) -> Shape:
    """A loss of two inputs: a number, computed over their broadcast (checked for size)."""
    check_intermediate(np.broadcast_shapes(a, b))
    return ()


def scalar(*shapes: Shape, **params: object) -> Shape:
    return ()
