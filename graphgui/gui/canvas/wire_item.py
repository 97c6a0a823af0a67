"""Wires: a curve from an output port to an input port. The forward value written above it
and the gradient flowing back written below it (as in the classic backprop circuit diagrams),
and in forward mode the tangent under the value, are drawn by the wire's label item
(labels.py, tangent_label.py), in a layer above the nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from graphgui.core.values import format_value

from .drag import tight_bounds
from .labels import label_lines
from .text import compact_text

if TYPE_CHECKING:
    from .labels import WireLabel
    from .node_item import NodeItem
    from .state import CanvasState


def wire_path(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from p1 to p2; its midpoint is exactly (p1 + p2) / 2."""
    dx = max(30.0, abs(p2.x() - p1.x()) * 0.5)
    path = QPainterPath(p1)
    path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
    return path


class WireItem(QGraphicsItem):
    """The picture of one Edge (src output -> dst input ``port``)."""

    def __init__(self, src: NodeItem, dst: NodeItem, port: int, state: CanvasState) -> None:
        super().__init__()
        self.src, self.dst, self.port = src, dst, port
        self.state = state
        self.value_text = ""
        self.grad_text = ""
        self.tangent_text = ""  # forward mode's d(src)/d(seed), while shown
        self.step_state = ""  # the stepper's overlay: "current", "pending" (dimmed) or ""
        self.label: WireLabel | None = None  # set by the scene's LabelLayer
        self.setFlags(QGraphicsItem.ItemIsSelectable | QGraphicsItem.ItemUsesExtendedStyleOption)
        self.setZValue(-1)
        self._shape: QPainterPath | None = None
        self.trace: list[QRectF] = []  # while dragged: what repaints its curve (drag.py)
        src.wires_out.append(self)
        dst.wires_in[port] = self
        self.update_path()

    @property
    def key(self) -> tuple[str, int]:
        return (self.dst.node_id, self.port)

    def detach(self) -> None:
        self.state.moving.forget(self)
        if self in self.src.wires_out:
            self.src.wires_out.remove(self)
        if self.dst.wires_in.get(self.port) is self:
            del self.dst.wires_in[self.port]

    def set_step(self, state: str = "") -> None:
        if state != self.step_state:
            self.step_state = state
            self.update()
            if self.label is not None:
                self.label.update()

    def set_texts(self, value: Any, grad: Any, precision: int = 4, tangent: Any = None) -> None:
        value_text = "" if value is None else format_value(value, precision)
        grad_text = "" if grad is None else format_value(grad, precision)
        tangent_text = "" if tangent is None else format_value(tangent, precision)
        if (value_text, grad_text, tangent_text) != \
                (self.value_text, self.grad_text, self.tangent_text):
            self.value_text, self.grad_text = value_text, grad_text
            self.tangent_text = tangent_text
            if self.label is not None:
                self.label.set_lines(
                    label_lines(value, precision) if value_text else [],
                    label_lines(grad, precision) if grad_text else [],
                    [compact_text(value, precision)] if value_text else [],
                    [compact_text(grad, precision)] if grad_text else [],
                    (label_lines(tangent, precision), [compact_text(tangent, precision)])
                    if tangent_text else ([], []),
                )
                self.state.labels.wire_changed(self)

    def update_path(self) -> None:
        p1 = self.src.output_scene_pos()
        p2 = self.dst.input_scene_pos(self.port)
        path = wire_path(p1, p2)
        bounds = tight_bounds(path.controlPointRect())
        moving = self.state.moving
        if moving.active:  # a drag: repainted along the old and new curve (drag.py)
            bounds = moving.path_changed(self, p1, p2, bounds)
        if bounds is not None:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.path = path
        self._shape = None
        if self.label is not None:
            self.state.labels.wire_changed(self)

    def set_bounds(self, bounds: QRectF) -> None:
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self.path)
        return self._shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        t = self.state.theme
        # Long wires often only cross the repainted area: skip what lies outside it.
        exposed = option.exposedRect
        if not exposed.contains(self._bounds) and not self.path.intersects(exposed):
            return
        step = self.step_state
        if step == "pending":
            painter.setOpacity(0.35)
        on_path = (self.src.node_id, self.dst.node_id) in self.state.highlight.wires
        painter.setPen(
            t.pens["wire_step"] if step == "current" else t.pens["path"] if on_path
            else t.pens["wire_selected"] if self.isSelected() else t.pens["wire"]
        )
        painter.setBrush(t.brushes["none"])
        painter.drawPath(self.path)


class DragWire(QGraphicsItem):
    """The live wire that follows the mouse while connecting ports."""

    def __init__(self, anchor: QPointF, from_output: bool, state: CanvasState) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.state = state
        self.setZValue(10)
        self.path = QPainterPath()
        self._bounds = QRectF()
        self.set_end(anchor)

    def set_end(self, end: QPointF) -> None:
        p1, p2 = (self.anchor, end) if self.from_output else (end, self.anchor)
        self.prepareGeometryChange()
        self.path = wire_path(p1, p2)
        self._bounds = self.path.controlPointRect().adjusted(-4, -4, 4, 4)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self.state.theme.pens["wire_drag"])
        painter.setBrush(self.state.theme.brushes["none"])
        painter.drawPath(self.path)
