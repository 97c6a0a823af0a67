"""Ports: where wires attach. Drawn by their node (no item per port, to keep 5,000-node
scenes light); this module holds their identity, geometry and look."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QPainter, QPen

PORT_RADIUS = 4.5
# Generous hit radius: ports are small, aiming should not need precision.
PORT_HIT_RADIUS = 9.0


@dataclass(frozen=True)
class PortRef:
    """One port: an input ``index`` of a node, or its output (``is_input`` False, index 0)."""

    node_id: str
    is_input: bool
    index: int = 0


def port_rect(center: QPointF, radius: float = PORT_RADIUS) -> QRectF:
    return QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius)


def paint_port(
    painter: QPainter, center: QPointF, pen: QPen, brush: QBrush, radius: float = PORT_RADIUS
) -> None:
    painter.setPen(pen)
    painter.setBrush(brush)
    painter.drawEllipse(center, radius, radius)
