"""The canvas background: a calm two-level grid that widens as the view zooms out."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

from ..theme import Theme

GRID = 20.0


def draw_grid(painter: QPainter, rect: QRectF, theme: Theme) -> None:
    painter.fillRect(rect, theme.brushes["background"])
    # Axis-aligned 1 px lines are crisp without antialiasing, and several times cheaper.
    painter.setRenderHint(QPainter.Antialiasing, False)
    scale = painter.worldTransform().m11()
    # Widen the grid when zoomed out so lines stay at least ~18 px apart (a calm grid).
    step = GRID
    while step * scale < 18:
        step *= 5
    for spacing, pen in ((step, theme.pens["grid_minor"]), (step * 5, theme.pens["grid_major"])):
        left = math.floor(rect.left() / spacing) * spacing
        top = math.floor(rect.top() / spacing) * spacing
        lines = []
        x = left
        while x < rect.right():
            lines.append(QLineF(x, rect.top(), x, rect.bottom()))
            x += spacing
        y = top
        while y < rect.bottom():
            lines.append(QLineF(rect.left(), y, rect.right(), y))
            y += spacing
        painter.setPen(pen)
        painter.drawLines(lines)
    painter.setRenderHint(QPainter.Antialiasing, True)
