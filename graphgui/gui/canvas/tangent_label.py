"""Forward mode on a wire: its tangent d(source)/d(seed) in a pill of the tangent colour,
just above the wire and under the value's pill (value and tangent travel forward together).

The label layer places the two as one rectangle above the wire (its "upper" rectangle), so
the placement of wire labels is unchanged; only its size and its painting split in two.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter

STACK_GAP = 1.0  # between the value's pill and the tangent's pill

Size = tuple[float, float]


def upper_size(value_lines: list[str], tangent_lines: list[str],
               size: Callable[[list[str]], Size]) -> tuple[Size, Size, Size]:
    """(the upper rectangle, the value's pill, the tangent's pill) as (width, height)."""
    value, tangent = size(value_lines), size(tangent_lines)
    if not tangent[0]:
        return value, value, tangent
    if not value[0]:
        return tangent, value, tangent
    return (max(value[0], tangent[0]), value[1] + STACK_GAP + tangent[1]), value, tangent


def paint_upper(painter: QPainter, theme: Any, rect: QRectF, value_lines: list[str],
                tangent_lines: list[str], value_size: Size, tangent_size: Size,
                paint_pill: Callable[..., None]) -> None:
    """The value's pill at the top of ``rect``, the tangent's at its bottom (by the wire)."""
    cx = rect.center().x()
    if value_lines and value_size[0]:
        w, h = value_size
        paint_pill(painter, theme, QRectF(cx - w / 2, rect.top(), w, h), value_lines,
                   theme.pens["value"])
    if tangent_lines and tangent_size[0]:
        w, h = tangent_size
        paint_pill(painter, theme, QRectF(cx - w / 2, rect.bottom() - h, w, h), tangent_lines,
                   theme.pens["tangent"])
