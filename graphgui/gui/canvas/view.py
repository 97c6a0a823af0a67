"""The view: zoom to the cursor, pan (middle drag or Space+drag), palette drops, quick-add
and the in-place value editor."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsView, QLineEdit, QWidget

from graphgui.core.graph import GraphError
from graphgui.core.values import parse_value_text, value_text

from ..theme import current_theme
from .node_item import NodeItem
from .quick_add import QuickAdd
from .scene import OVERVIEW_ZOOM, GraphScene
from .summary import SUMMARY_ZOOM, draw_summaries, summaries_complete

OP_MIME = "application/x-graphgui-op"
FUNCTION_PREFIX = "function:"  # an "op" of the palette's Functions section: function:NAME
_DPR_CHANGE = getattr(QEvent, "DevicePixelRatioChange", QEvent.ScreenChangeInternal)
MIN_ZOOM, MAX_ZOOM = 0.02, 4.0
# Opening a graph never zooms below this: node texts and labels stay readable (a graph that
# does not fit is framed around its output; the overview is for the user to zoom out to).
READABLE_ZOOM = 0.8
OPEN_MAX_ZOOM = 1.25
SUMMARY_MIN_FIT = 0.2  # below this even the summaries crowd: frame the output instead
# What an empty canvas says (the stepper dock may say the same).
EMPTY_CANVAS_HINT = "Type an expression above or drag an op from the palette"


def default_name(graph: Any, op: str) -> str | None:
    """Sources get a short free name (x, w, c...) so expressions and messages can use it."""
    base = {"input": "x", "parameter": "w", "constant": "c"}.get(op)
    return graph.unique_name(base) if base else None


class GraphView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        self.quick_add: QuickAdd | None = None
        self.value_editor: ValueEditor | None = None
        scene.quick_add_requested.connect(self.show_quick_add)
        scene.edit_value_requested.connect(self.edit_value)

    def sync_theme(self, dark: bool | None = None) -> None:
        """Use the theme for this screen's pixel ratio (pens of real 1 px width on high-DPI
        screens) and for ``dark`` (None: the current scheme)."""
        scene = self.graph_scene()
        theme = scene.state.theme
        want = current_theme(theme.dark if dark is None else dark, self.devicePixelRatioF())
        if want is not theme:
            scene.set_theme(want)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.sync_theme()

    def paintEvent(self, event: Any) -> None:
        # Decide per paint: zoom can change through scale(), fitInView() or resetTransform().
        scene = self.graph_scene()
        scene.state.lod = self.zoom
        scene.set_overview(self.zoom < OVERVIEW_ZOOM)
        super().paintEvent(event)

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]

    # ---- zoom ----------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, view_pos: QPoint | None = None) -> None:
        """Scale by ``factor`` keeping the scene point under ``view_pos`` where it is."""
        target = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom * factor))
        factor = target / self.zoom
        if abs(factor - 1.0) < 1e-9:
            return
        if view_pos is None:
            view_pos = self.viewport().rect().center()
        before = self.mapToScene(view_pos)
        self.scale(factor, factor)
        after = self.mapFromScene(before)
        delta = after - view_pos
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self.zoom_changed.emit(self.zoom)

    def cursor_or_center(self) -> QPoint:
        pos = self.viewport().mapFromGlobal(self.cursor().pos())
        return pos if self.viewport().rect().contains(pos) else self.viewport().rect().center()

    def zoom_in(self) -> None:
        self.zoom_by(1.25, self.cursor_or_center())

    def zoom_out(self) -> None:
        self.zoom_by(0.8, self.cursor_or_center())

    def reset_zoom(self) -> None:
        self.zoom_by(1.0 / self.zoom)

    def show_graph(self, node_ids: list[str] | None = None) -> None:
        """Frame the graph (or ``node_ids``) so every node's name and value can be read: the
        whole of it at up to OPEN_MAX_ZOOM when it fits at READABLE_ZOOM or more; else the
        whole of it zoomed out, down to SUMMARY_MIN_FIT, where the summaries (summary.py)
        keep names and values readable; else, for a very large graph, at READABLE_ZOOM around
        the output (kept in view at the right, as much of the rest as fits to its left)."""
        scene = self.graph_scene()
        rect = scene.nodes_rect(node_ids)
        if rect.isEmpty():
            self.fit_to_view(rect)
            return
        rect = rect.adjusted(-60, -40, 60, 40)  # room for the output's stub and labels
        vp = self.viewport().rect()
        fit = min(vp.width() / rect.width(), vp.height() / rect.height())
        if fit >= SUMMARY_MIN_FIT:
            zoom = min(fit, OPEN_MAX_ZOOM) if fit >= READABLE_ZOOM else fit
            self.zoom_by(zoom / self.zoom)
            self.centerOn(rect.center())
            if zoom >= SUMMARY_ZOOM or summaries_complete(self):
                self.zoom_changed.emit(self.zoom)
                return
            # Too crowded to name every node: the smallest zoom at which all in view can be
            # read, framed on the output.
            while self.zoom < READABLE_ZOOM:
                self.zoom_by(1.1)
                self._frame_output(rect, node_ids)
                if summaries_complete(self):
                    break
            self.zoom_changed.emit(self.zoom)
            return
        self.zoom_by(READABLE_ZOOM / self.zoom)
        self._frame_output(rect, node_ids)
        self.zoom_changed.emit(self.zoom)

    def _frame_output(self, rect: QRectF, node_ids: list[str] | None) -> None:
        """Centre so the output is in view at the right and as much of the rest as fits."""
        scene = self.graph_scene()
        vp = self.viewport().rect()
        graph = scene.graph
        out = graph.output if graph is not None else None
        if node_ids is not None and out not in node_ids:
            out = node_ids[-1]
        item = scene.node_items.get(out) if out is not None else None
        anchor = scene.functions.drawn_rect(item) if item is not None else rect
        w, h = vp.width() / self.zoom, vp.height() / self.zoom
        cx = anchor.right() + 40 - w / 2 if rect.width() > w else rect.center().x()
        cy = rect.center().y() if rect.height() <= h else anchor.center().y()
        self.centerOn(cx, cy)

    def ensure_node_visible(self, node_id: str | None) -> None:
        """Scroll (never zoom) so ``node_id`` is in view, e.g. the stepper's current node."""
        scene = self.graph_scene()
        item = scene.node_items.get(node_id) if node_id else None
        if item is not None:
            self.ensureVisible(scene.functions.drawn_rect(item), 40, 40)

    def cursor_scene_pos(self) -> QPointF | None:
        """The mouse position in the scene when the mouse is over the canvas, else None."""
        pos = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(pos):
            return None
        # Not under another window or a popup that covers the canvas there.
        on_top = QApplication.widgetAt(QCursor.pos())
        if on_top is not None and on_top is not self.viewport() \
                and not self.viewport().isAncestorOf(on_top):
            return None
        return self.mapToScene(pos)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawForeground(painter, rect)
        scene = self.graph_scene()
        if scene.node_items:
            draw_summaries(self, painter)  # names and values stay readable zoomed out
            return
        if scene.document is None:
            return
        # An empty canvas says what to do (in view coordinates, at any zoom).
        painter.save()
        painter.resetTransform()
        theme = scene.state.theme
        painter.setPen(theme.pens["muted"])
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.drawText(self.viewport().rect(), Qt.AlignCenter, EMPTY_CANVAS_HINT)
        painter.restore()

    def fit_to_view(self, rect: QRectF | None = None) -> None:
        """Show all nodes (or ``rect``), never magnifying beyond 150 %."""
        if rect is None:
            rect = self.graph_scene().nodes_rect()
        if rect.isEmpty():
            self.reset_zoom()
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self.fitInView(rect, Qt.KeepAspectRatio)
        if self.zoom > 1.5:
            self.zoom_by(1.5 / self.zoom)
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoom_by(1.0015**delta, event.position().toPoint())
        event.accept()

    # ---- pan -----------------------------------------------------------------------------

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 (Qt)
        """Qt scrolls by moving the pixels already painted and paints the strip uncovered.
        What is drawn in screen coordinates does not move with the scene: zoomed out, the
        names kept inside the viewport's edge and the summaries that made room for each
        other; on an empty canvas, its centred hint. Then the whole viewport is painted."""
        super().scrollContentsBy(dx, dy)
        scene = self.graph_scene()
        if scene is not None and (not scene.node_items or self.zoom < SUMMARY_ZOOM):
            self.viewport().update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MiddleButton or (event.button() == Qt.LeftButton and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (Qt.MiddleButton, Qt.LeftButton):
            self._pan_from = None
            self.viewport().setCursor(Qt.OpenHandCursor if self._space else Qt.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self._pan_from = None
            self.viewport().setCursor(Qt.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == _DPR_CHANGE:  # moved to a screen with another pixel ratio
            self.sync_theme()
        # Tab would move the focus away; on the canvas it opens the quick-add box.
        if event.type() == QEvent.KeyPress and event.key() == Qt.Key_Tab \
                and not event.modifiers() & ~Qt.KeypadModifier:
            self.show_quick_add(self.mapToScene(self.cursor_or_center()))
            return True
        return super().event(event)

    # ---- drops from the palette ----------------------------------------------------------

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(OP_MIME) and self.graph_scene().document is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if event.mimeData().hasFormat(OP_MIME) and self.graph_scene().document is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: Any) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(OP_MIME):
            event.ignore()
            return
        op = bytes(mime.data(OP_MIME).data()).decode("utf-8")
        self.add_node_at(op, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()

    def add_node_at(self, op: str, center: QPointF) -> str | None:
        """Add ``op`` centred on a scene point (one undo step); returns the new id."""
        scene = self.graph_scene()
        doc = scene.document
        if doc is None:
            return None
        try:
            pos = (center.x(), center.y())  # Node.pos is the node's centre
            if scene.state.snap:
                g = scene.state.snap
                pos = (round(pos[0] / g) * g, round(pos[1] / g) * g)
            if op.startswith(FUNCTION_PREFIX):  # the palette's Functions section
                return self._add_function_at(op.removeprefix(FUNCTION_PREFIX), pos)
            nid = doc.add_node(op, pos, name=default_name(doc.graph, op))
        except GraphError as exc:
            scene.status_message.emit(f"Cannot add {op}: {exc}")
            return None
        scene.select_nodes([nid])
        scene.status_message.emit(f"Added {scene.node_items[nid].title}")
        return nid

    def _add_function_at(self, name: str, pos: tuple[float, float]) -> str | None:
        """A new collapsed instance of function ``name``; returns its output node's id."""
        scene = self.graph_scene()
        ids = scene.document.insert_function(name, pos)
        group = scene.graph.group_of(ids[0]) if ids else None
        if group is None:
            return None
        scene.clearSelection()
        item = scene.functions.items.get(group.id)
        if item is not None:
            item.setSelected(True)
        scene.status_message.emit(f"Added {group.name}, a new {name}: wire its inputs")
        return group.outputs[0].node

    # ---- quick add -----------------------------------------------------------------------

    def show_quick_add(self, scene_pos: QPointF) -> QuickAdd | None:
        if self.graph_scene().document is None:
            return None
        popup = QuickAdd(self)
        popup.chosen.connect(lambda op: self.add_node_at(op, scene_pos))
        popup.popup_at(self.viewport().mapToGlobal(self.mapFromScene(scene_pos)))
        self.quick_add = popup
        return popup

    # ---- in-place value editor -----------------------------------------------------------

    def edit_value(self, node_id: str) -> ValueEditor | None:
        scene = self.graph_scene()
        item = scene.node_items.get(node_id)
        if item is None or scene.document is None or not item.is_source:
            return None
        if self.value_editor is not None:
            self.value_editor.close_editor()
        rect = self.mapFromScene(item.chip_scene_rect()).boundingRect()
        editor = ValueEditor(self, item)
        # Wide enough for the whole text (a 2x2 matrix is about 30 characters), within
        # the canvas.
        text_w = editor.fontMetrics().horizontalAdvance(editor.text() + "000000")
        width = min(max(rect.width() + 40, 120, text_w), self.viewport().width() - 8)
        left = max(4, min(rect.center().x() - width // 2, self.viewport().width() - width - 4))
        editor.setGeometry(left, rect.center().y() - 13, width, 26)
        editor.show()
        editor.setFocus()
        editor.selectAll()
        self.value_editor = editor
        return editor


class ValueEditor(QLineEdit):
    """Edits a source's value in place; Enter commits one undo command, Escape cancels.

    Accepts what people type: ``.5``, ``1/2``, ``-pi/4``, ``3e-4``, ``[[1, 2], [3, 4]]``
    (values.parse_value_text)."""

    def __init__(self, view: GraphView, item: NodeItem) -> None:
        super().__init__(view.viewport())
        self.view = view
        self.node_id = item.node_id
        self.setObjectName("valueEditor")
        graph = view.graph_scene().graph
        assert graph is not None
        self.setText(value_text(graph.node(item.node_id).value))
        self.setToolTip("A number, a fraction or pi (.5, 1/2, pi/4) or a list such as "
                        "[[1, 2], [3, 4]]")
        self.setAlignment(Qt.AlignCenter)
        self._closed = False
        self.returnPressed.connect(self.commit)

    def commit(self) -> bool:
        scene = self.view.graph_scene()
        try:
            value = parse_value_text(self.text())
            assert scene.document is not None
            scene.document.set_value(self.node_id, value)
        except (ValueError, GraphError) as exc:
            message = str(exc)
            self.setStyleSheet("QLineEdit { border: 1px solid #d32f2f; }")
            self.setToolTip(message)
            scene.status_message.emit(f"Cannot set value: {message}")
            return False
        self.close_editor()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key_Escape:
            self.close_editor()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: Any) -> None:
        super().focusOutEvent(event)
        if not self._closed:
            self.close_editor()

    def close_editor(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.view.value_editor is self:
            self.view.value_editor = None
        self.hide()
        self.deleteLater()
        self.view.setFocus()
