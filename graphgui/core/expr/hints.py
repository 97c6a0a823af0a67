"""What to suggest for an unknown function name: the op people meant, or how to write it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..ops import get_op, op_names
from .syntax import SOURCE_FORMS

# Functions people reach for that have another name here.
_INSTEAD = {
    "max": "relu(x) is max(x, 0)",
    "min": "-relu(-x) is min(x, 0)",
    "square": "write x ** 2",
    "sqr": "write x ** 2",
    "dot": "write a @ b",
    "exp2": "write 2 ** x",
    "logistic": "sigmoid(x) is the logistic function",
}


def _suggest(name: str, functions: Iterable[str] = ()) -> str:
    """A hint for an unknown function: an op, a source form or one of ``functions`` (the
    program's defs)."""
    if name in _INSTEAD:
        return f"; {_INSTEAD[name]}"
    candidates = list(op_names()) + [a for n in op_names() for a in get_op(n).aliases]
    candidates += list(SOURCE_FORMS) + list(functions)
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
