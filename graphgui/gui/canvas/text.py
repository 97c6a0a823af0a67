"""Short forms of values for places with little room (a node's chip, a crowded wire)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphgui.core.values import format_number, format_value


def compact_text(value: Any, precision: int = 4) -> str:
    """An array of more than one element as its shape and norm (``[1x4] |0.01513|``);
    anything else as format_value writes it."""
    if isinstance(value, np.ndarray) and value.size > 1:
        dims = "x".join(str(d) for d in value.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            norm = float(np.linalg.norm(value))
        return f"[{dims}] |{format_number(norm, precision)}|"
    return format_value(value, precision)
