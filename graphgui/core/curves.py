"""f(x) and f'(x) of a one-input elementwise op over a grid, computed by the engine.

What the editor's activation plot draws. The derivative comes from the engine's own backward
pass (one ``input`` node feeding the op; a non-scalar output is seeded with ones, so for an
elementwise op the gradient at each x is f'(x)): no second copy of a gradient rule. The
notebooks' forward difference quotient (f(x + δ) - f(x)) / δ comes along for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import EvaluationError, Program
from .graph import Graph
from .ops import OpError, get_op

DELTA = 1e-5  # the notebooks' difference quotient (f(x + d) - f(x)) / d


@dataclass(frozen=True)
class Curves:
    """An op over ``xs``: its values ``f``, derivative ``df`` and difference quotient."""

    xs: np.ndarray
    f: np.ndarray
    df: np.ndarray
    numeric: np.ndarray


def is_elementwise_unary(op: str) -> bool:
    """True for ops with one input that act on each element alone (sigmoid, exp, neg...)."""
    try:
        spec = get_op(op)
    except OpError:
        return False
    return not spec.is_source and spec.arity == 1 and spec.elementwise


def elementwise_curves(op: str, xs: Any, params: Mapping[str, Any] | None = None,
                       delta: float = DELTA) -> Curves:
    """f, f' and (f(x + delta) - f(x)) / delta of ``op`` at each of ``xs`` (flattened).

    Points where the op fails or is not finite (``log`` of a negative number) are nan or inf
    as the op gives them. Raises OpError for an op that is not one-input elementwise.
    """
    if not is_elementwise_unary(op):
        raise OpError(f"{op} is not an elementwise op with one input")
    x = np.asarray(xs, dtype=float).ravel()
    graph = Graph()
    source = graph.add_node("input", name="x", value=x)
    node = graph.add_node(op, params=params)
    graph.connect(source.id, node.id, 0)
    program = Program(graph, output=node.id, wrt=[source.id])
    evaluation = program.evaluate()
    f = _array(evaluation.values.get(node.id), x)
    df = _array(evaluation.grads.get(source.id), x)
    try:
        shifted = _array(program.forward({source.id: x + delta})[program.slot[node.id]], x)
    except EvaluationError:
        shifted = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        numeric = (shifted - f) / delta
    return Curves(x, f, df, numeric)


def _array(value: Any, like: np.ndarray) -> np.ndarray:
    """``value`` as a float array shaped like ``like`` (nan when it was not computed)."""
    if value is None:
        return np.full_like(like, np.nan)
    return np.broadcast_to(np.asarray(value, dtype=float), like.shape).copy()
