"""Values that flow through a graph: Python floats for scalars, float64 arrays otherwise.

Scalars stay plain ``float`` because NumPy 0-d arrays cost about 5 us per operation while
float arithmetic costs tens of nanoseconds; scalar chain-rule graphs are the common case.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

Value = float | np.ndarray

MAX_ELEMENTS = 10_000_000


def to_value(obj: Any) -> Value:
    """Convert JSON-like data (numbers, nested lists) or arrays to a graph value.

    Raises ``ValueError`` with a one-line reason for anything else.
    """
    if isinstance(obj, (bool, np.bool_)):
        raise ValueError("expected a number, got a boolean")
    if isinstance(obj, (int, float, np.integer, np.floating)):
        try:
            return float(obj)
        except OverflowError:
            raise ValueError(f"{obj} is too large for a float") from None
    if isinstance(obj, (list, tuple, np.ndarray)):
        try:
            arr = np.asarray(obj, dtype=np.float64)
            if arr.size and not isinstance(obj, np.ndarray) and _has_bool(obj):
                raise TypeError
        except (ValueError, TypeError, OverflowError):
            raise ValueError("not a rectangular array of numbers") from None
        if arr.size > MAX_ELEMENTS:
            raise ValueError(f"array of {arr.size} elements is larger than {MAX_ELEMENTS}")
        if arr.ndim == 0:
            return float(arr)
        return arr.copy() if arr is obj else arr
    raise ValueError(f"expected a number or a list of numbers, got {type(obj).__name__}")


def _has_bool(obj: Any) -> bool:
    if isinstance(obj, (list, tuple)):
        return any(_has_bool(item) for item in obj)
    return isinstance(obj, bool)


def to_json(value: Value | None) -> Any:
    """A value as JSON data: a float or nested lists (NaN and infinities become strings)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if np.all(np.isfinite(value)):
            return value.tolist()
        return np.vectorize(_finite_or_text, otypes=[object])(value).tolist()
    return _finite_or_text(float(value))


def _finite_or_text(x: float) -> Any:
    x = float(x)
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def is_finite(value: Value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return bool(np.all(np.isfinite(value)))


def values_equal(a: Value | None, b: Value | None) -> bool:
    """Exact equality including shape; used for undo and round-trip checks."""
    if a is None or b is None:
        return a is b
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and bool(np.array_equal(a, b, equal_nan=True))
    return a == b or (math.isnan(a) and math.isnan(b))


SHOWN_IN_FULL = 4  # arrays with at most this many elements are written out
FLOAT_NOISE = 1e-15  # |x| below this is rounding noise (cos(pi/2) = 6.1e-17), shown as 0


def format_value(value: Value | None, precision: int = 4) -> str:
    """Compact text for a value: ``-12``, ``0.7311``, ``[[1, 2], [3, 4]]`` for small arrays,
    ``[2x3] |1.23|`` (shape and norm) for larger ones."""
    if value is None:
        return "-"
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.size <= SHOWN_IN_FULL:
            return _nested(value, precision)
        dims = "x".join(str(d) for d in value.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            norm = float(np.linalg.norm(value))
        return f"[{dims}] |{format_number(norm, precision)}|"
    return format_number(float(value), precision)


def format_factor(value: Value | None, precision: int = 4) -> str:
    """A number as a factor of a product or a term of a sum: negatives in parentheses,
    ``2 * (-4)``."""
    text = format_value(value, precision)
    if isinstance(value, float) and value < 0:
        return f"({text})"
    return text


def format_array(value: np.ndarray, precision: int = 4) -> str:
    """A whole array with ``precision`` significant digits, one row per line."""
    return np.array2string(
        np.asarray(value, dtype=float),
        formatter={"float_kind": lambda v: format_number(v, precision)},
        max_line_width=100,
    )


def _nested(value: np.ndarray, precision: int) -> str:
    if value.ndim == 1:
        return "[" + ", ".join(format_number(v, precision) for v in value) + "]"
    return "[" + ", ".join(_nested(row, precision) for row in value) + "]"


def format_number(x: float, precision: int = 4) -> str:
    """``-12``, ``0.7311``, ``1.5e-08``; rounding noise below 1e-15 shows as 0."""
    x = float(x)
    if x == 0 or abs(x) < FLOAT_NOISE:
        return "0"
    if math.isfinite(x) and x == round(x) and abs(x) < 1e12:
        return str(int(x))
    return f"{x:.{precision}g}"


# ---- values typed by a person ----------------------------------------------------------------

_NAMED = {"pi": math.pi, "e": math.e, "nan": math.nan, "inf": math.inf}
MAX_TYPED = 1_000_000  # characters


def parse_value_text(text: str) -> Value:
    """A value as a person types it: ``2``, ``.5``, ``-1/4``, ``3e-4``, ``pi/2``, ``nan``,
    ``[1, 2]``, ``[[0.5, 0.3], [0.2, 0.8]]`` (list items may be any of these).

    Read with :mod:`ast` and an allow-list of numbers, names above, + - * / and lists, never
    evaluated as code. Raises ValueError with a one-line reason.
    """
    import ast

    text = text.strip()
    if not text:
        raise ValueError("type a number, e.g. 0.5 or [1, 2]")
    if len(text) > MAX_TYPED:
        raise ValueError(f"more than {MAX_TYPED} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(f"{_short(text)} is not a number or a list of numbers") from None
    try:
        data = _literal(tree.body)
    except RecursionError:
        raise ValueError("the list is nested too deeply") from None
    return to_value(data)


def value_text(value: Any) -> str:
    """A value as editable text that :func:`parse_value_text` reads back exactly: every digit
    kept (the canvas rounds, an editor must not); ``nan``, ``inf`` by name; None as ""."""
    if value is None:
        return ""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    x = float(value)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _literal(node: Any) -> Any:
    import ast

    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            return float(node.value)
        except OverflowError:
            raise ValueError("a number too large for a float") from None
    if isinstance(node, ast.Name) and node.id in _NAMED:
        return _NAMED[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(item) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _scalar(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
        a, b = _scalar(node.left), _scalar(node.right)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if b == 0:
            raise ValueError("division by zero")
        return a / b
    shown = ast.unparse(node) if hasattr(ast, "unparse") else type(node).__name__
    raise ValueError(f"{_short(shown)} is not a number (use digits, pi, e, + - * / and [lists])")


def _scalar(node: Any) -> float:
    value = _literal(node)
    if isinstance(value, list):
        raise ValueError("arithmetic works on numbers, not on lists")
    return value


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
