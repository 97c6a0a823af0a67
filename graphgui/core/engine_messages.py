"""The engine's one-line messages for a node that failed (a student reads them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Node


def describe_failure(node: Node, exc: Exception, inputs: list[Any]) -> str:
    """One line a student can act on; NumPy's own wording (gufunc signatures...) is left out
    where the shapes say it better."""
    shapes = [np.shape(v) for v in inputs]
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if node.op == "matmul" and len(shapes) == 2 and all(shapes):
        a, b = shapes
        inner_a = a[-1]
        inner_b = b[0] if len(b) == 1 else b[-2]
        if inner_a != inner_b:
            return (
                f"shape mismatch in matmul: {_shape_text(a)} @ {_shape_text(b)} needs the last "
                f"size of a ({inner_a}) to equal the first size of b ({inner_b})"
            )
    if "broadcast" in text:
        shown = " and ".join(_shape_text(s) for s in shapes)
        return f"shape mismatch in {node.op}: {shown} cannot be combined elementwise"
    if "mismatch" in text or "matmul" in text or "shape" in text:
        shown = " and ".join(_shape_text(s) for s in shapes)
        return f"shape mismatch in {node.op}: inputs are {shown} ({text})"
    return f"{node.op} failed: {text}"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a scalar" if not shape else str(shape)
