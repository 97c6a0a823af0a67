"""A node on the canvas: header (name and op), body (op symbol or editable value), ports.

Geometry and texts are computed when the node changes, never in paint(); paint() only draws
prepared objects. Zoomed far out it draws a plain box (level of detail) so 5,000 nodes
repaint quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from graphgui.core.graph import Node
from graphgui.core.values import format_value

from .drag import repaint_overview
from .port_item import PORT_HIT_RADIUS, PORT_RADIUS, PortRef, paint_port
from .summary import SUMMARY_ZOOM
from .text import compact_text

if TYPE_CHECKING:
    from .state import CanvasState
    from .wire_item import WireItem

HEADER = 20.0
ROW = 18.0
BODY_PAD = 5.0
MIN_WIDTH = 72.0
MAX_WIDTH = 220.0
RADIUS = 6.0
STUB = 46.0  # length of the output stub that carries the output's value and gradient
LOD_SIMPLE = SUMMARY_ZOOM  # below this scale nodes draw without text (see summary.py)
NODE_PAD = 4.0  # room kept free of wire labels around a node

ALIGN_LEFT = Qt.AlignLeft | Qt.AlignVCenter
ALIGN_RIGHT = Qt.AlignRight | Qt.AlignVCenter
ALIGN_CENTER = Qt.AlignCenter
_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange
_POSITION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged


class NodeGeometry:
    """Shapes shared by every node of the same size (paths are built once, not per node).

    The local origin is the node's centre: Node.pos is the centre, as the layout computes.
    """

    def __init__(self, w: float, arity: int, chip_w: float) -> None:
        rows = max(1, arity)
        h = HEADER + rows * ROW + 2 * BODY_PAD
        x0, y0 = -w / 2, -h / 2
        self.rect = QRectF(x0, y0, w, h)
        self.path = QPainterPath()
        self.path.addRoundedRect(self.rect, RADIUS, RADIUS)
        # Header: rounded top corners, square bottom (union of two shapes by winding fill).
        self.header_path = QPainterPath()
        self.header_path.setFillRule(Qt.WindingFill)
        self.header_path.addRoundedRect(QRectF(x0, y0, w, HEADER), RADIUS, RADIUS)
        self.header_path.addRect(QRectF(x0, y0 + HEADER - RADIUS, w, RADIUS))
        # The body plus the port circles that stick out, so clicks on a port reach the node.
        r = PORT_HIT_RADIUS
        self.shape = QPainterPath(self.path)
        self.shape.setFillRule(Qt.WindingFill)
        self.shape.addRect(QRectF(x0 - r, y0 + HEADER, 2 * r, h - HEADER))
        self.shape.addRect(QRectF(x0 + w - r, y0 + HEADER, 2 * r, h - HEADER))
        self.title_rect = QRectF(x0 + 8, y0, w - 16, HEADER)
        self.body_rect = QRectF(x0, y0 + HEADER, w, h - HEADER)
        body_top = y0 + HEADER + BODY_PAD
        self.inputs = [QPointF(x0, body_top + (k + 0.5) * ROW) for k in range(arity)]
        self.output = QPointF(x0 + w, y0 + HEADER + (h - HEADER) / 2)
        self.port_label_rects = [
            QRectF(x0 + PORT_RADIUS + 4, p.y() - ROW / 2, w / 2, ROW) for p in self.inputs
        ]
        self.chip_rect = QRectF(-chip_w / 2, self.output.y() - 9, chip_w, 18)
        self.bounds = self.rect.adjusted(-PORT_RADIUS - 3, -3, PORT_RADIUS + 3, 3)
        o = self.output
        end = QPointF(o.x() + STUB, o.y())
        self.stub_line = (QPointF(o.x() + PORT_RADIUS, o.y()), end)
        self.stub_arrow = QPolygonF(
            [end, QPointF(end.x() - 7, end.y() - 4), QPointF(end.x() - 7, end.y() + 4)]
        )


class NodeItem(QGraphicsItem):
    """The picture of one Node. It never edits the Graph: the scene turns gestures into
    commands."""

    def __init__(self, node: Node, state: CanvasState, title: str | None = None) -> None:
        super().__init__()
        self.node_id = node.id
        self.state = state
        self.wires_in: dict[int, WireItem] = {}
        self.wires_out: list[WireItem] = []
        self.error: str | None = None
        self.is_output = False
        self.has_stub = False
        self.value_text = ""
        self.shown_value: Any = None
        self.grad_text = ""
        # The stepper's overlay: "current", "pending" (dimmed) or ""; a badge under the node
        # with its value ("value"), gradient ("grad"), running sum at a fan-out ("partial")
        # or forward mode's tangent ("tangent").
        self.step_state = ""
        self.badge_text = ""
        self.badge_kind = ""
        self._syncing = False
        # Inside a collapsed function its wires end at the function's ports (function_layer)
        self.proxy_in: dict[int, Callable[[], QPointF]] = {}
        self.proxy_out: Callable[[], QPointF] | None = None
        # Tooltips are set on first hover: setToolTip for 5,000 nodes at open costs 0.3 s.
        self._tooltip_set = False
        self.setFlags(
            QGraphicsItem.ItemIsMovable
            | QGraphicsItem.ItemIsSelectable
            | QGraphicsItem.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.refresh(node, title)
        self.set_pos_from_model(node.pos)

    # ---- model -> item -------------------------------------------------------------------

    def refresh(self, node: Node, title: str | None = None) -> None:
        """Recompute texts and geometry after the node's name, op, params or value changed.
        ``title`` is the node's label in its graph (core.graph.node_label); the scene passes
        it, since an unnamed node's label (``add2``) depends on the other nodes."""
        spec = node.spec
        self.category = spec.category
        self.is_source = node.is_source
        self.title = title or getattr(self, "title", "") or node.name or spec.name
        self.op_text = spec.name if node.name else ""
        if spec.params:
            shown = ", ".join(f"{k}={_short(v)}" for k, v in node.params.items())
            self.op_text = f"{self.op_text} {shown}".strip()
        self.symbol = "" if node.is_source else spec.label
        self.source_text = self._chip_text(node.value) if node.is_source else ""
        self.own_source_text = self.source_text
        self.port_names = list(spec.inputs) if spec.arity > 1 else []
        self.arity = spec.arity
        self.tooltip_base = spec.tooltip()
        self._layout()
        if self._tooltip_set:
            self._update_tooltip()

    def _chip_text(self, value: Any) -> str:
        text = format_value(value)
        if text and self.state.text_width("small", text) + 28 > MAX_WIDTH:
            # Too long for the chip: its shape and norm, never a clipped row of numbers
            # (the inspector shows every element).
            text = compact_text(value)
        return text

    def show_source_value(self, value: Any) -> None:
        """A source's chip shows ``value`` (numbers arriving live from a training run)
        instead of the node's own; None: the node's own again."""
        text = self.own_source_text if value is None else self._chip_text(value)
        if not self.is_source or text == self.source_text:
            return
        self.source_text = text
        self._layout()
        self._update_wires()
        self.update()

    def _layout(self) -> None:
        st = self.state
        width = st.text_width
        head = width("title", self.title) + 14
        if self.op_text:
            head += width("small", self.op_text) + 10
        body = width("symbol", self.symbol) + 24
        if self.is_source:
            body = width("small", self.source_text) + 28
        if self.port_names:
            body += 2 * max(width("small", p) for p in self.port_names) + 8
        w = min(MAX_WIDTH, max(MIN_WIDTH, head, body))
        w = float(int((w + 3) // 4 * 4))
        chip_w = min(w - 20, width("small", self.source_text) + 16) if self.is_source else 0.0
        key = (w, self.arity, chip_w)
        geometry = st.geometry_cache.get(key)
        if geometry is None:
            geometry = st.geometry_cache[key] = NodeGeometry(w, self.arity, chip_w)
        self.prepareGeometryChange()
        self.g = geometry
        self.rect = geometry.rect
        self.inputs = geometry.inputs
        self.output = geometry.output
        self.chip_rect = geometry.chip_rect
        self._stub_geometry()

    def _stub_geometry(self) -> None:
        if not self.has_stub:
            self._bounds = self.g.bounds
        else:
            self._stub_bounds()
        if self.step_state == "current":
            self._bounds = self._bounds.united(self.rect.adjusted(-7, -7, 7, 7))
        if self.badge_text:
            self.badge_rect = _label_rect(
                self.state.fm_label, self.badge_text, 0.0, self.rect.bottom() + 5, above=False
            )
            self._bounds = self._bounds.united(self.badge_rect.adjusted(-2, -2, 2, 2))
        b = self._bounds  # as plain numbers: the summaries test thousands of nodes a paint
        self.extent = (b.x(), b.y(), b.width(), b.height())
        labels = self.state.labels
        if labels is not None:
            labels.node_changed(self)

    def obstacle_rects(self) -> list[tuple[float, float, float, float]]:
        """Where wire labels must not go, in scene units: the box with its ports, the
        output stub with its labels, the step badge (nothing while a function hides it)."""
        if not self.isVisible():
            return []
        x, y = self.pos().x(), self.pos().y()
        pad = PORT_RADIUS + NODE_PAD
        r = self.rect
        rects = [(x + r.left() - pad, y + r.top() - NODE_PAD,
                  x + r.right() + pad, y + r.bottom() + NODE_PAD)]
        if self.has_stub:
            o = self.output
            stub = QRectF(o.x(), o.y() - 4, STUB + 4, 8)
            for extra in (self.stub_value_rect, self.stub_grad_rect):
                if extra.width() > 0:
                    stub = stub.united(extra)
            rects.append((x + stub.left(), y + stub.top() - 1,
                           x + stub.right() + NODE_PAD, y + stub.bottom() + 1))
        if self.badge_text:
            b = self.badge_rect
            rects.append((x + b.left() - 2, y + b.top() - 2, x + b.right() + 2, y + b.bottom() + 2))
        return rects

    def _stub_bounds(self) -> None:
        o = self.output
        fm = self.state.fm_label
        mid = o.x() + STUB / 2 + 2
        self.stub_value_rect = _label_rect(fm, self.value_text, mid, o.y() - 3, above=True)
        self.stub_grad_rect = _label_rect(fm, self.grad_text, mid, o.y() + 3, above=False)
        half = max(self.stub_value_rect.width(), self.stub_grad_rect.width()) / 2
        extra = STUB + 4 + max(0.0, half - STUB / 2)
        self._bounds = self.rect.adjusted(-PORT_RADIUS - 3, -3, PORT_RADIUS + 3 + extra, 3)

    def set_pos_from_model(self, pos: tuple[float, float]) -> None:
        self._syncing = True
        try:
            self.setPos(pos[0], pos[1])
        finally:
            self._syncing = False

    def set_title(self, title: str) -> bool:
        """Show ``title``; True when the node's box changed size (its wires must follow)."""
        if title == self.title:
            return False
        before = self.rect
        self.title = title
        self._layout()
        self.update()
        return self.rect != before

    def set_evaluation(
        self, value: Any, grad: Any, error: str | None, is_output: bool, is_sink: bool,
        precision: int = 4,
    ) -> None:
        """Show the latest evaluation: error state and, for sinks, the value on the stub."""
        self.shown_value = value  # for the zoomed-out summary (summary.py)
        has_stub = is_sink or is_output
        value_text = format_value(value, precision) if has_stub and value is not None else ""
        grad_text = format_value(grad, precision) if is_output and grad is not None else ""
        if (
            error == self.error and is_output == self.is_output and has_stub == self.has_stub
            and value_text == self.value_text and grad_text == self.grad_text
        ):
            return
        self.error, self.is_output, self.has_stub = error, is_output, has_stub
        self.value_text, self.grad_text = value_text, grad_text
        self.prepareGeometryChange()
        self._stub_geometry()
        if self._tooltip_set or error:
            self._update_tooltip()
        self.update()

    def set_step(self, state: str = "", badge: str = "", kind: str = "") -> None:
        """The stepper's overlay for this node (all empty: the normal picture)."""
        if (state, badge, kind) == (self.step_state, self.badge_text, self.badge_kind):
            return
        self.step_state, self.badge_text, self.badge_kind = state, badge, kind
        self.prepareGeometryChange()
        self._stub_geometry()
        self.update()

    def tooltip_text(self) -> str:
        tip = self.tooltip_base
        if self.is_source:
            tip += "\nDouble-click the value to edit it."
        if self.error:
            tip = f"Error: {self.error}\n\n{tip}"
        return tip

    def _update_tooltip(self) -> None:
        self._tooltip_set = True
        self.setToolTip(self.tooltip_text())

    def hoverEnterEvent(self, event: Any) -> None:
        if not self._tooltip_set:
            self._update_tooltip()
        super().hoverEnterEvent(event)

    # ---- geometry queries ----------------------------------------------------------------

    def input_scene_pos(self, port: int) -> QPointF:
        proxy = self.proxy_in.get(port) if self.proxy_in else None
        return proxy() if proxy is not None else self.pos() + self.inputs[port]

    def output_scene_pos(self) -> QPointF:
        return self.proxy_out() if self.proxy_out is not None else self.pos() + self.output

    def port_at(self, local: QPointF) -> PortRef | None:
        """The port within reach of ``local`` (item coordinates), if any."""
        r2 = PORT_HIT_RADIUS * PORT_HIT_RADIUS
        o = self.output
        if (local.x() - o.x()) ** 2 + (local.y() - o.y()) ** 2 <= r2:
            return PortRef(self.node_id, False, 0)
        for k, p in enumerate(self.inputs):
            if (local.x() - p.x()) ** 2 + (local.y() - p.y()) ** 2 <= r2:
                return PortRef(self.node_id, True, k)
        return None

    def port_scene_pos(self, port: PortRef) -> QPointF:
        return self.input_scene_pos(port.index) if port.is_input else self.output_scene_pos()

    def value_chip_hit(self, local: QPointF) -> bool:
        return self.is_source and self.chip_rect.adjusted(-4, -4, 4, 4).contains(local)

    def chip_scene_rect(self) -> QRectF:
        return self.chip_rect.translated(self.pos())

    # ---- QGraphicsItem -------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self.g.shape

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change is _POSITION_CHANGE:
            grid = self.state.snap
            if grid and not self._syncing:
                return QPointF(round(value.x() / grid) * grid, round(value.y() / grid) * grid)
        elif change is _POSITION_CHANGED:
            cache = self.state.overview_cache
            if cache is not None:
                cache.moved(self)  # its box and wires only (overview.py)
            repaint_overview(self)
            labels = self.state.labels
            if labels is None:
                self._update_wires()
            else:
                with labels.batch():  # place the moved labels once, after every wire moved
                    labels.node_changed(self)
                    self._update_wires()
        return super().itemChange(change, value)

    def _update_wires(self) -> None:
        for wire in self.wires_in.values():
            wire.update_path()
        for wire in self.wires_out:
            wire.update_path()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        st = self.state
        t = st.theme
        g = self.g
        selected = self.isSelected()  # cheaper than flag-enum arithmetic
        on_path = self.node_id in st.highlight.nodes  # the Paths dock's path
        fan_out = self.node_id in st.highlight.marked  # paths split here
        border = t.pens["error"] if self.error else (
            t.pens["path"] if on_path else t.pens["selected"] if selected
            else t.pens["fan_out"] if fan_out else t.pens["border"]
        )
        fill = t.brushes["error_fill"] if self.error else t.brushes["fill"]
        drag = st.drag_valid
        dimmed = drag is not None and self.node_id not in drag
        step = self.step_state
        if dimmed or step == "pending":
            painter.setOpacity(0.35)
        if step == "current":
            painter.setPen(t.pens["step"])
            painter.setBrush(t.brushes["step_halo"])
            painter.drawRoundedRect(self.rect.adjusted(-4, -4, 4, 4), RADIUS + 3, RADIUS + 3)
        if st.lod < LOD_SIMPLE:
            painter.setPen(border)
            painter.setBrush(t.category_brushes[self.category] if not self.error else fill)
            painter.drawRect(self.rect)
            if on_path:
                painter.setBrush(t.brushes["path_tint"])
                painter.drawRect(self.rect)
            return
        painter.setPen(border)
        painter.setBrush(fill)
        painter.drawPath(g.path)
        painter.setPen(t.pens["none"])
        painter.setBrush(t.category_brushes[self.category])
        painter.drawPath(g.header_path)
        if on_path:
            painter.setBrush(t.brushes["path_tint"])
            painter.drawPath(g.path)
            if selected:  # still show the selection, inside the path's outline
                painter.setPen(t.pens["wire_selected"])
                painter.setBrush(t.brushes["none"])
                painter.drawRoundedRect(self.rect.adjusted(3, 3, -3, -3), RADIUS - 2, RADIUS - 2)
        painter.setFont(t.title_font)
        painter.setPen(t.pens["text"])
        painter.drawText(g.title_rect, ALIGN_LEFT, self.title)
        if self.op_text:
            painter.setFont(t.small_font)
            painter.setPen(t.pens["muted"])
            painter.drawText(g.title_rect, ALIGN_RIGHT, self.op_text)
        if self.is_source:
            painter.setPen(t.pens["none"])
            painter.setBrush(t.brushes["chip"])
            painter.drawRoundedRect(self.chip_rect, 4, 4)
            painter.setFont(t.small_font)
            painter.setPen(t.pens["value"])
            painter.drawText(g.chip_rect, ALIGN_CENTER, self.source_text)
        else:
            painter.setFont(t.symbol_font)
            painter.setPen(t.pens["text"])
            painter.drawText(g.body_rect, ALIGN_CENTER, self.symbol)
        if self.port_names:
            painter.setFont(t.small_font)
            painter.setPen(t.pens["muted"])
            for rect, name in zip(g.port_label_rects, self.port_names, strict=True):
                painter.drawText(rect, ALIGN_LEFT, name)
        port_pen = t.pens["border"]
        valid_ports = drag is not None and not dimmed
        in_brush = (
            t.brushes["port_valid"] if valid_ports and st.drag_to_input else t.brushes["port"]
        )
        for p in self.inputs:
            paint_port(painter, p, port_pen, in_brush)
        out_brush = (
            t.brushes["port_valid"] if valid_ports and not st.drag_to_input else t.brushes["port"]
        )
        if self.has_stub:
            self._paint_stub(painter)
        if fan_out:  # the wires split at the output port: a larger dot in the path colour
            paint_port(painter, self.output, t.pens["none"], t.brushes["path"], PORT_RADIUS + 1.5)
        else:
            paint_port(painter, self.output, port_pen, out_brush)
        if self.badge_text:
            painter.setOpacity(1.0)  # news about a dimmed node: its gradient is arriving
            self._paint_badge(painter)

    def _paint_badge(self, painter: QPainter) -> None:
        st = self.state
        t = st.theme
        kind = self.badge_kind
        if kind != "tangent" and not (st.show_values if kind == "value" else st.show_grads):
            return  # a tangent is not a gradient: forward mode shows it while it is on
        painter.setFont(t.label_font)
        pen = t.pens[kind if kind in ("value", "tangent") else "grad"]
        _paint_label(painter, t, self.badge_rect, self.badge_text, pen)
        if kind == "partial":  # a dashed frame: this sum is still growing
            painter.setPen(t.pens["partial"])
            painter.setBrush(t.brushes["none"])
            painter.drawRoundedRect(self.badge_rect, 3, 3)

    def _paint_stub(self, painter: QPainter) -> None:
        st = self.state
        t = st.theme
        pen = t.pens["selected"] if self.is_output else t.pens["wire"]
        painter.setPen(pen)
        painter.drawLine(*self.g.stub_line)
        if self.is_output:
            painter.setBrush(t.brushes["selection"])
            painter.setPen(t.pens["none"])
            painter.drawPolygon(self.g.stub_arrow)
        painter.setFont(t.label_font)
        if st.show_values and self.value_text:
            _paint_label(painter, t, self.stub_value_rect, self.value_text, t.pens["value"])
        if st.show_grads and self.grad_text:
            _paint_label(painter, t, self.stub_grad_rect, self.grad_text, t.pens["grad"])

    # ---- interaction hints ---------------------------------------------------------------

    def hoverMoveEvent(self, event: Any) -> None:
        over_port = self.port_at(event.pos()) is not None
        over_chip = self.value_chip_hit(event.pos())
        self.setCursor(
            Qt.CrossCursor if over_port else (Qt.IBeamCursor if over_chip else Qt.ArrowCursor)
        )
        super().hoverMoveEvent(event)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "(" + ",".join(str(v) for v in value) + ")"
    return str(value)


def _label_rect(fm: Any, text: str, cx: float, y: float, above: bool) -> QRectF:
    """The box of a wire label centred on ``cx``, its bottom (above) or top (below) at y."""
    if not text:
        return QRectF(cx, y, 0, 0)
    w = fm.horizontalAdvance(text) + 8
    h = fm.height()
    top = y - h if above else y
    return QRectF(cx - w / 2, top, w, h)


def _paint_label(painter: QPainter, theme: Any, rect: QRectF, text: str, pen: Any) -> None:
    painter.setPen(theme.pens["label_border"])
    painter.setBrush(theme.brushes["label"])
    painter.drawRoundedRect(rect, 3, 3)
    painter.setPen(pen)
    painter.drawText(rect, ALIGN_CENTER, text)


paint_label = _paint_label
label_rect = _label_rect
