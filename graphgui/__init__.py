"""graphgui: a computational-graph editor for learning, teaching and debugging backprop.

From Python (a notebook)::

    import graphgui as gg
    g = gg.parse("f = (x + y) * z")
    g.evaluate(x=-2, y=5, z=-4).grads      # {'x': -4.0, 'y': -4.0, 'z': 3.0, ...}

The notebook API (``graphgui.api``: parse, load, example, edit, GraphHandle...) is imported on
first use, so ``import graphgui`` and the ``graphgui`` command stay fast (no NumPy, no Qt).
See docs/python-api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BackwardStep", "CheckRecord", "GradientChecks", "GraphHandle", "Result", "Steps",
    "__version__", "edit", "example", "examples", "load", "parse",
]
_API = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:
    from .api import (
        BackwardStep,
        CheckRecord,
        GradientChecks,
        GraphHandle,
        Result,
        Steps,
        edit,
        example,
        examples,
        load,
        parse,
    )


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'graphgui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})

