"""The pictures of a function instance: collapsed, one node with its named ports
(:class:`FunctionItem`); expanded, a frame around its nodes (:class:`FunctionFrame`).

Both only draw and report gestures; the function layer (function_layer.py) turns those into
Document edits, and the wires crossing the instance's edge are drawn to these ports by the
member nodes' port proxies (NodeItem.proxy_in / proxy_out).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from graphgui.core.functions import Group

from .drag import repaint_overview
from .node_item import ALIGN_LEFT, ALIGN_RIGHT, BODY_PAD, HEADER, LOD_SIMPLE, RADIUS, ROW
from .port_item import PORT_HIT_RADIUS, PORT_RADIUS, paint_port

if TYPE_CHECKING:
    from .state import CanvasState

CATEGORY = "Function"
TOGGLE = 14.0  # the expand / collapse button in the header
FRAME_PAD = 18.0  # room between a frame and the nodes inside it
MIN_WIDTH = 120.0
MAX_WIDTH = 280.0
OUT_STUB = 18.0  # the output arrow of a function whose output feeds nothing


class _Toggles:
    """A double-click opens or closes the function (``on_toggle``, set by the layer)."""

    on_toggle: Callable[[], None] | None

    def mouseDoubleClickEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        event.accept()
        if self.on_toggle is not None:
            self.on_toggle()


class FunctionItem(_Toggles, QGraphicsItem):
    """A collapsed instance: title (its name), signature, one port per input and output."""

    def __init__(self, group: Group, signature: str, state: CanvasState, size: int) -> None:
        super().__init__()
        self.group = group
        self.group_id = group.id
        self.node_id = f"function:{group.id}"  # what the zoomed-out summaries key it by
        self.is_source = self.is_output = False
        self.shown_value = None
        self.state = state
        self.title = group.name
        # "h1  neuron(x, w, b)"; an instance called after its function says it once
        self.signature = signature if group.name != group.function else f"{size} nodes"
        self.size = size
        self.values: dict[str, str] = {}  # output name -> value text (outputs nothing uses)
        self.step_state = ""  # "current" while the stepper's step is this function
        self.on_toggle: Callable[[], None] | None = None
        self.on_moved: Callable[[QPointF], None] | None = None
        self._press: QPointF | None = None
        self.setFlags(
            QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable
            | QGraphicsItem.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.wires: list[Any] = []  # the wires drawn to its ports (updated when it moves)
        self.member_ids: frozenset[str] = frozenset()  # its nodes (a path through one: lit)
        self._layout()
        self.setToolTip(
            f"{self.title} = {signature}: a function of {size} nodes.\n"
            "Double-click or press + to open it; select it and Delete removes it whole."
        )

    def _layout(self) -> None:
        st = self.state
        width = st.text_width
        names_in = list(self.group.input_names)
        names_out = [
            f"{n} = {self.values[n]}" if n in self.values else n
            for n in self.group.output_names
        ]
        head = width("title", self.title) + width("small", self.signature) + TOGGLE + 28
        side_in = max((width("small", n) for n in names_in), default=0.0)
        side_out = max((width("small", n) for n in names_out), default=0.0)
        w = min(MAX_WIDTH, max(MIN_WIDTH, head, side_in + side_out + 32))
        rows = max(len(names_in), len(names_out), 1)
        h = HEADER + rows * ROW + 2 * BODY_PAD
        self.prepareGeometryChange()
        self.rect = QRectF(-w / 2, -h / 2, w, h)
        top = self.rect.top() + HEADER + BODY_PAD
        self.inputs = [QPointF(self.rect.left(), top + (k + 0.5) * ROW)
                       for k in range(len(names_in))]
        self.outputs = [QPointF(self.rect.right(), top + (k + 0.5) * ROW)
                        for k in range(len(names_out))]
        self.in_labels, self.out_labels = names_in, names_out
        self.side_in = side_in
        self.toggle_rect = QRectF(self.rect.right() - TOGGLE - 5, self.rect.top() + 3,
                                  TOGGLE, TOGGLE)
        self._bounds = self.rect.adjusted(-PORT_RADIUS - 7, -7, PORT_RADIUS + OUT_STUB + 9, 7)

    def set_values(self, values: dict[str, str]) -> None:
        if values != self.values:
            self.values = values
            self._layout()
            self.update()
            for wire in self.wires:
                wire.update_path()

    def set_step(self, state: str) -> None:
        if state != self.step_state:
            self.step_state = state
            self.update()

    # ---- geometry ------------------------------------------------------------------------

    def input_scene_pos(self, k: int) -> QPointF:
        if not self.inputs:
            return self.pos() + QPointF(self.rect.left(), 0.0)
        return self.pos() + self.inputs[min(k, len(self.inputs) - 1)]

    def output_scene_pos(self, k: int) -> QPointF:
        return self.pos() + self.outputs[min(k, len(self.outputs) - 1)]

    def port_at(self, local: QPointF) -> tuple[bool, int] | None:
        """(is_input, index) of the port within reach of ``local``, if any."""
        r2 = PORT_HIT_RADIUS * PORT_HIT_RADIUS
        for is_input, points in ((True, self.inputs), (False, self.outputs)):
            for k, p in enumerate(points):
                if (local.x() - p.x()) ** 2 + (local.y() - p.y()) ** 2 <= r2:
                    return is_input, k
        return None

    def obstacle_rects(self) -> list[tuple[float, float, float, float]]:
        r = self.rect.translated(self.pos())
        pad = PORT_RADIUS + 4
        return [(r.left() - pad, r.top() - 4, r.right() + pad, r.bottom() + 4)]

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect, RADIUS, RADIUS)
        return path

    # ---- gestures ------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.state.overview_cache = None
            repaint_overview(self)
            labels = self.state.labels
            if labels is None:
                for wire in self.wires:
                    wire.update_path()
            else:
                with labels.batch():  # as a node does: its labels move once, after its wires
                    labels.node_changed(self)
                    for wire in self.wires:
                        wire.update_path()
        return super().itemChange(change, value)

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.LeftButton and self.toggle_rect.contains(event.pos()):
            event.accept()
            if self.on_toggle is not None:
                self.on_toggle()
            return
        self._press = self.pos()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if press is not None and self.pos() != press and self.on_moved is not None:
            self.on_moved(self.pos() - press)

    # ---- paint ---------------------------------------------------------------------------

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        st = self.state
        t = st.theme
        selected = self.isSelected()
        if self.step_state == "current":
            painter.setPen(t.pens["step"])
            painter.setBrush(t.brushes["step_halo"])
            painter.drawRoundedRect(self.rect.adjusted(-4, -4, 4, 4), RADIUS + 3, RADIUS + 3)
        elif self.step_state == "pending":
            painter.setOpacity(0.35)
        on_path = not st.highlight.nodes.isdisjoint(self.member_ids)  # the Paths dock's path
        border = t.pens["path"] if on_path else t.pens["selected"] if selected \
            else t.category_pens[CATEGORY]
        painter.setPen(border)
        painter.setBrush(t.brushes["fill"])
        painter.drawRoundedRect(self.rect, RADIUS, RADIUS)
        if on_path:
            painter.setBrush(t.brushes["path_tint"])
            painter.drawRoundedRect(self.rect, RADIUS, RADIUS)
        # A second outline just inside: a function reads as "more than one node".
        painter.drawRoundedRect(self.rect.adjusted(3, 3, -3, -3), RADIUS - 2, RADIUS - 2)
        header = QRectF(self.rect.left(), self.rect.top(), self.rect.width(), HEADER)
        painter.setPen(t.pens["none"])
        painter.setBrush(t.category_brushes[CATEGORY])
        painter.drawRoundedRect(header.adjusted(1, 1, -1, 0), RADIUS - 1, RADIUS - 1)
        if st.lod < LOD_SIMPLE:
            return
        title = header.adjusted(9, 0, -TOGGLE - 10, 0)
        painter.setFont(t.title_font)
        painter.setPen(t.pens["text"])
        painter.drawText(title, ALIGN_LEFT, self.title)
        painter.setFont(t.small_font)
        painter.setPen(t.pens["muted"])
        painter.drawText(title, ALIGN_RIGHT, self.signature)
        _paint_toggle(painter, t, self.toggle_rect, expand=True)
        for p, name in zip(self.inputs, self.in_labels, strict=True):
            painter.drawText(QRectF(p.x() + 8, p.y() - ROW / 2, self.rect.width() / 2, ROW),
                             ALIGN_LEFT, name)
        left = self.rect.left() + self.side_in + 16  # right of the input names
        for p, name in zip(self.outputs, self.out_labels, strict=True):
            painter.drawText(QRectF(left, p.y() - ROW / 2, p.x() - 8 - left, ROW),
                             ALIGN_RIGHT, name)
        for p in self.inputs + self.outputs:
            paint_port(painter, p, t.pens["border"], t.brushes["port"])
        for k, name in enumerate(self.group.output_names):
            if name in self.values:  # nothing carries it away: the graph's output arrow
                _paint_output_arrow(painter, t, self.outputs[k])


class FunctionFrame(_Toggles, QGraphicsItem):
    """An expanded instance: a frame around its nodes with its name and a collapse button."""

    def __init__(self, group: Group, signature: str, state: CanvasState, rect: QRectF,
                 filled: bool = False) -> None:
        super().__init__()
        self.filled = filled  # drawn over its neighbours (the stepper is inside it)
        self.group = group
        self.group_id = group.id
        self.node_id = f"frame:{group.id}"  # its key among the wire labels' obstacles
        self.state = state
        self.title = signature if group.name == group.function else f"{group.name} = {signature}"
        self.on_toggle: Callable[[], None] | None = None
        self.setZValue(-2)  # under wires and nodes
        self.setAcceptHoverEvents(True)
        self.setToolTip(f"{self.title}: press − (or double-click the title) to close it")
        self.set_rect(rect)

    def set_rect(self, inner: QRectF) -> None:
        self.prepareGeometryChange()
        self.rect = inner.adjusted(-FRAME_PAD, -FRAME_PAD - HEADER, FRAME_PAD, FRAME_PAD)
        self.header = QRectF(self.rect.left(), self.rect.top(), self.rect.width(), HEADER)
        self.toggle_rect = QRectF(self.rect.left() + 5, self.rect.top() + 3, TOGGLE, TOGGLE)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()  # only the title bar takes clicks: the nodes inside stay free
        path.addRect(self.header)
        return path

    def obstacle_rects(self) -> list[tuple[float, float, float, float]]:
        h = self.header
        return [(h.left(), h.top(), h.right(), h.bottom())]

    def mousePressEvent(self, event: Any) -> None:
        event.accept()
        if self.toggle_rect.contains(event.pos()) and self.on_toggle is not None:
            self.on_toggle()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        t = self.state.theme
        pen = t.category_pens[CATEGORY]
        painter.setPen(pen)
        painter.setBrush(t.brushes["background"] if self.filled else t.brushes["none"])
        painter.drawRoundedRect(self.rect, RADIUS + 2, RADIUS + 2)
        painter.setPen(t.pens["none"])
        painter.setBrush(t.category_brushes[CATEGORY])
        painter.drawRoundedRect(self.header.adjusted(1, 1, -1, 0), RADIUS, RADIUS)
        if self.state.lod < LOD_SIMPLE:
            return
        _paint_toggle(painter, t, self.toggle_rect, expand=False)
        painter.setFont(t.title_font)
        painter.setPen(t.pens["text"])
        painter.drawText(self.header.adjusted(TOGGLE + 12, 0, -8, 0), ALIGN_LEFT, self.title)


def _paint_output_arrow(painter: QPainter, theme: Any, port: QPointF) -> None:
    """The output stub of a node that feeds nothing: a short line and an arrow head."""
    end = port + QPointF(OUT_STUB, 0)
    painter.setPen(theme.pens["selected"])
    painter.drawLine(port, end)
    painter.setPen(theme.pens["none"])
    painter.setBrush(theme.brushes["selection"])
    painter.drawPolygon(QPolygonF([end + QPointF(4, 0), end + QPointF(-4, -4),
                                   end + QPointF(-4, 4)]))


def _paint_toggle(painter: QPainter, theme: Any, rect: QRectF, expand: bool) -> None:
    """A small square button with + (open the function) or − (close it)."""
    painter.setPen(theme.category_pens[CATEGORY])
    painter.setBrush(theme.brushes["fill"])
    painter.drawRoundedRect(rect, 3, 3)
    c = rect.center()
    painter.drawLine(QPointF(c.x() - 4, c.y()), QPointF(c.x() + 4, c.y()))
    if expand:
        painter.drawLine(QPointF(c.x(), c.y() - 4), QPointF(c.x(), c.y() + 4))
