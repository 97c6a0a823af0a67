"""Numbers, arrays and comments as source text: built from values, never from typed text.

Every number is ``repr(float(x))`` (the shortest text that reads back as the same float),
so the exported code holds exactly the graph's values; nan and the infinities are spelt
``np.nan`` / ``np.inf`` (the expression language has no spelling for them: see
:func:`expr_number`).
"""

from __future__ import annotations

import json
import math
import textwrap
from typing import Any

import numpy as np

from ..errors import GraphError

LINE = 96  # characters a generated line aims to stay within


def number(x: float, nan: str = "np.nan", inf: str = "np.inf") -> str:
    """``-2.0``, ``0.1``, ``1e-05``; ``np.nan``, ``np.inf``, ``-np.inf``."""
    x = float(x)
    if math.isnan(x):
        return nan
    if math.isinf(x):
        return inf if x > 0 else f"-{inf}"
    return repr(x)


def operand(x: float) -> str:
    """A number as an operand: negative ones in parentheses (``x ** (-2.0)``)."""
    text = number(x)
    return f"({text})" if text.startswith("-") else text


def nested(value: np.ndarray, indent: int, item: Any = number, column: int | None = None
           ) -> str:
    """An array as nested lists, one line if it fits (from ``column``, the indent if None),
    else one row per line, indented by ``indent``."""
    flat = _one_line(value, item)
    if len(flat) + (indent if column is None else column) + 4 <= LINE:
        return flat
    pad = " " * (indent + 4)
    if value.ndim == 1:
        return "[\n" + _wrapped([item(v) for v in value], pad) + "\n" + " " * indent + "]"
    rows = [pad + nested(row, indent + 4, item) + "," for row in value]
    return "[\n" + "\n".join(rows) + "\n" + " " * indent + "]"


def _one_line(value: np.ndarray, item: Any) -> str:
    if value.ndim == 1:
        return "[" + ", ".join(item(v) for v in value) + "]"
    return "[" + ", ".join(_one_line(row, item) for row in value) + "]"


def _wrapped(items: list[str], pad: str) -> str:
    lines, line = [], pad
    for text in items:
        piece = text + ","
        if line != pad and len(line) + 1 + len(piece) > LINE:
            lines.append(line)
            line = pad
        line += (" " if line != pad else "") + piece
    lines.append(line)
    return "\n".join(lines)


def value_text(value: Any, constructor: str, indent: int = 0, scalar: str = "{}",
               column: int = 0) -> str:
    """A graph value as code: ``-2.0`` (``scalar`` wraps it: ``np.float64({})``) or
    ``np.array([[...]])`` with ``constructor`` as the call; ``column``: where the text
    starts on its line."""
    if isinstance(value, np.ndarray):
        start = column + len(constructor) + 1
        return f"{constructor}({nested(value, indent, column=start)})"
    return scalar.format(number(value))


def expr_number(x: float) -> str:
    """A number for the expression language, which writes finite numbers only."""
    x = float(x)
    if not math.isfinite(x):
        raise GraphError(f"the expression language cannot write the value {x!r} "
                         "(only finite numbers)")
    return repr(x)


def comment(text: str, limit: int = 80) -> str:
    """Text for a ``#`` comment: one line, printable characters only, at most ``limit``.

    The only place the exported code shows text a person typed (a graph's title): a comment
    ends at the line's end, so with the line breaks and control characters gone it can hold
    no code.
    """
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def docstring(text: str, indent: int = 4) -> list[str]:
    """A docstring's lines, wrapped (``text`` holds no triple quotes: it is made here)."""
    pad = " " * indent
    lines = textwrap.wrap(text, width=LINE - indent - 3, break_long_words=False,
                          break_on_hyphens=False)
    lines[0] = '"""' + lines[0]
    lines[-1] += '"""'
    return [pad + line for line in lines]


def dict_text(lead: str, values: list[str], keys: list[str]) -> str:
    """``lead`` + a dict literal {"key": value, ...}, wrapped under ``lead``'s indent."""
    items = [f"{json.dumps(k)}: {v}" for k, v in zip(keys, values, strict=True)]
    one = lead + "{" + ", ".join(items) + "}"
    if len(one) <= LINE:
        return one
    indent = " " * (len(lead) - len(lead.lstrip()))
    lines, line = [lead + "{"], indent + "   "
    for item in items:
        if len(line) + len(item) + 2 > LINE and line.strip():
            lines.append(line)
            line = indent + "   "
        line += f" {item},"
    lines.append(line)
    lines.append(indent + "}")
    return "\n".join(lines)
