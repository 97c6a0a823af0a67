"""The scene: one item per node and per wire, kept in step with a Graph through its events.

Gestures become commands on the Document (move on release, connect on drop); the scene then
changes only when the Graph announces the edit, so undo/redo and every other editor of the
graph are shown the same way. Without a Document the scene is a read-only picture (export).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsSceneMouseEvent

from graphgui.core.engine import Evaluation
from graphgui.core.graph import Edge, Graph, GraphError, Node, node_label, node_labels

from ..theme import Theme, current_theme
from .function_items import FunctionFrame, FunctionItem
from .function_layer import FunctionLayer
from .grid import GRID, draw_grid
from .labels import LabelLayer, WireLabel
from .node_item import NodeItem
from .overview import draw_overview
from .port_item import PortRef
from .scene_index import fit_index
from .state import NO_TANGENTS, CanvasState, StepOverlay
from .step_picture import show_step, show_wire_texts
from .summary import SUMMARY_ZOOM
from .wire_item import DragWire, WireItem

if TYPE_CHECKING:
    from ..document import Document
    from ..view_state import ViewState

MARGIN = 3000.0
# Below this zoom the scene draws every node and wire itself in a few batched calls (items
# paint nothing), so a full repaint of 5,000 nodes costs milliseconds, not one Python
# paint() call per item.
OVERVIEW_ZOOM = 0.4


class GraphScene(QGraphicsScene):
    """Items for a Graph. Signals ask the window for things the scene cannot do alone."""

    status_message = Signal(str)
    quick_add_requested = Signal(QPointF)  # double-click on empty canvas (scene position)
    edit_value_requested = Signal(str)  # double-click on a source's value (node id)
    context_menu_requested = Signal(object, QPointF, QPoint)  # item or None, scene, screen
    overlay_changed = Signal(object)  # the stepper's current node id, or None

    def __init__(self, parent: Any = None, theme: Theme | None = None) -> None:
        super().__init__(parent)
        self.state = CanvasState(theme or current_theme())
        self.labels = LabelLayer(self)
        self.state.labels = self.labels
        self.functions = FunctionLayer(self)
        self.graph: Graph | None = None
        self.document: Document | None = None
        self.node_items: dict[str, NodeItem] = {}
        self.wire_items: dict[tuple[str, int], WireItem] = {}
        self.evaluation: Evaluation | None = None
        self.overlay: StepOverlay | None = None
        self.view_state: ViewState | None = None
        self._titles_pending = False
        self._selection_before: set[str] = set()
        # While a bulk edit runs: the nodes and wires it added, made into items at its end.
        self._deferred: dict[str, Node] | None = None
        self._deferred_edges: dict[tuple[str, int], Edge] = {}
        self._signals_were_blocked = False
        self._drag: tuple[PortRef, DragWire] | None = None
        self._press_pos: dict[str, QPointF] = {}
        self.overview = False
        self.selectionChanged.connect(self._invalidate_overview)
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        self.setSceneRect(QRectF(-MARGIN, -MARGIN, 2 * MARGIN, 2 * MARGIN))

    # ---- attach --------------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        if self.document is not None:
            self.document.lock_changed.disconnect(self._on_lock_changed)
        self.document = document
        self.set_graph(document.graph if document is not None else None)
        if document is not None:
            document.lock_changed.connect(self._on_lock_changed)

    def set_view_state(self, view_state: ViewState) -> None:
        """Draw what ``view_state`` says (the window's one evaluation and visibility)."""
        self.view_state = view_state
        view_state.changed.connect(self._on_view_changed)
        view_state.highlight_changed.connect(self._on_highlight)

    def _on_highlight(self) -> None:
        self.state.highlight = self.view_state.highlight  # drawn by the items' paint()
        self.update()

    def _on_view_changed(self) -> None:
        vs = self.view_state
        if vs is None:
            return
        shown = (vs.show_values, not vs.grads_hidden)
        if shown != (self.state.show_values, self.state.show_grads):
            self.state.show_values, self.state.show_grads = shown
            self.labels.resize_all()
            self.update()
        self.evaluation = vs.evaluation
        if vs.step is not None or self.overlay is not None:
            self.set_overlay(vs.step)
        else:
            with self.labels.batch():
                self._show_evaluation()

    def _on_lock_changed(self, reason: str) -> None:
        """Nodes cannot be dragged while the document is locked (training runs)."""
        self._cancel_wire_drag()
        for item in self.node_items.values():
            item.setFlag(QGraphicsItem.ItemIsMovable, not reason)

    def node_size(self, node_id: str) -> tuple[float, float]:
        """The drawn width and height of a node (a typical size when it has no item)."""
        item = self.node_items.get(node_id)
        if item is None:
            return (150.0, 70.0)
        rect = item.sceneBoundingRect()
        return (rect.width(), rect.height())

    def set_graph(self, graph: Graph | None) -> None:
        """Show ``graph`` (None: empty scene), rebuilding every item."""
        self._cancel_wire_drag()
        if self.graph is not None:
            g = self.graph
            g.node_added.unsubscribe(self._on_node_added)
            g.node_removed.unsubscribe(self._on_node_removed)
            g.edge_added.unsubscribe(self._on_edge_added)
            g.edge_removed.unsubscribe(self._on_edge_removed)
            g.node_changed.unsubscribe(self._on_node_changed)
            g.bulk.unsubscribe(self.labels.hold)
            g.bulk.unsubscribe(self._on_bulk)
            self.functions.detach()
        self.labels.clear()
        self.state.moving.reset()
        self.clear()
        self.node_items.clear()
        self.wire_items.clear()
        self.evaluation = None
        self.graph = graph
        if graph is None:
            return
        graph.node_added.subscribe(self._on_node_added)
        graph.node_removed.subscribe(self._on_node_removed)
        graph.edge_added.subscribe(self._on_edge_added)
        graph.edge_removed.subscribe(self._on_edge_removed)
        graph.node_changed.subscribe(self._on_node_changed)
        # A paste or a layout makes its items and places the labels once, at the end, not
        # per node (_on_bulk first: its items are made while the labels are still held).
        graph.bulk.subscribe(self._on_bulk)
        graph.bulk.subscribe(self.labels.hold)
        with self.labels.batch():
            for node in graph.nodes:
                self._on_node_added(node, grow=False)
            for edge in graph.edges:
                self._on_edge_added(edge)
            self._refresh_titles()
            self.functions.attach()  # after the scene's own handlers: its items exist first
        self._grow_to(self.itemsBoundingRect())
        fit_index(self)  # Qt sizes its tree for the first graph only (scene_index.py)

    # ---- graph events --------------------------------------------------------------------

    def _refresh_titles(self) -> None:
        """Give every node its label in the graph (core.graph.node_labels): an unnamed
        node's label (``add2``) can change when another node comes, goes or is renamed.
        Run once after a burst of edits (a zero-time timer), not per event."""
        self._titles_pending = False
        if self.graph is None:
            return
        labels = node_labels(self.graph)
        with self.labels.batch():
            for nid, item in self.node_items.items():
                title = labels.get(nid)
                if title is not None and item.set_title(title):
                    for wire in list(item.wires_in.values()) + item.wires_out:
                        wire.update_path()

    def _titles_changed(self) -> None:
        if not self._titles_pending:
            self._titles_pending = True
            QTimer.singleShot(0, self, self._refresh_titles)

    def _on_node_added(self, node: Node, grow: bool = True, title: str | None = None) -> None:
        if self._deferred is not None:  # a bulk edit: made once it ends, with its label
            self._deferred[node.id] = node
            return
        item = NodeItem(node, self.state, title)
        if title is None:
            self._titles_changed()
        if self.overview:
            item.setFlag(QGraphicsItem.ItemHasNoContents, True)
        self.node_items[node.id] = item
        self.addItem(item)
        self.labels.node_changed(item)
        self.state.overview_cache = None
        if grow:
            self._grow_to(item.sceneBoundingRect())

    def _on_node_removed(self, node: Node) -> None:
        if self._deferred is not None and self._deferred.pop(node.id, None) is not None:
            return
        self._titles_changed()
        item = self.node_items.pop(node.id)
        self.labels.remove_node(item)
        self.removeItem(item)
        self.state.overview_cache = None

    def _on_edge_added(self, edge: Edge) -> None:
        if self._deferred is not None:
            self._deferred_edges[(edge.dst, edge.port)] = edge
            return
        wire = WireItem(self.node_items[edge.src], self.node_items[edge.dst], edge.port, self.state)
        if self.overview:
            wire.setFlag(QGraphicsItem.ItemHasNoContents, True)
        self.wire_items[(edge.dst, edge.port)] = wire
        self.addItem(wire)
        self.labels.add_wire(wire)
        self.state.overview_cache = None

    def _on_edge_removed(self, edge: Edge) -> None:
        key = (edge.dst, edge.port)
        if self._deferred is not None and self._deferred_edges.pop(key, None) is not None:
            return
        wire = self.wire_items.pop(key)
        self.labels.remove_wire(wire)
        wire.detach()
        self.removeItem(wire)
        self.state.overview_cache = None

    def _on_node_changed(self, node: Node, what: str) -> None:
        if self._deferred is not None and node.id in self._deferred:
            return  # its item is made from the node as it is when the bulk edit ends
        item = self.node_items[node.id]
        if what == "pos":
            item.set_pos_from_model(node.pos)
            self._grow_to(item.sceneBoundingRect())
            return
        with self.labels.batch():
            item.refresh(node, node_label(self.graph, node.id) if self.graph else None)
            for wire in list(item.wires_in.values()) + item.wires_out:
                wire.update_path()
        item.update()
        if what == "name":
            self._titles_changed()

    def _grow_to(self, rect: QRectF) -> None:
        """Keep a wide margin around the nodes so the view can always pan past them."""
        wanted = rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        current = self.sceneRect()
        if not current.contains(wanted):
            self.setSceneRect(current.united(wanted))

    # ---- evaluation ----------------------------------------------------------------------

    def apply_evaluation(self, ev: Evaluation | None) -> None:
        """Show values, gradients and errors of an evaluation on nodes and wires (a scene
        without a view state: export); kept for later while a step overlay is shown."""
        self.evaluation = ev
        if self.overlay is None:
            with self.labels.batch():
                self._show_evaluation()

    def _show_evaluation(self) -> None:
        ev = self.evaluation
        if ev is None:
            return
        # Hidden gradients are not even written on the items (no tooltip or export has them).
        hidden = not self.state.show_grads
        wire_grads = {} if hidden else ev.wire_grads
        errors = dict(ev.errors)
        if ev.nonfinite is not None and ev.nonfinite[0] not in errors:
            errors[ev.nonfinite[0]] = ev.nonfinite[1]
        values, grads, out = ev.values, {} if hidden else ev.grads, ev.output
        live = self.view_state is not None and self.view_state.live  # a run's numbers
        tangents = self.view_state.tangents() if self.view_state is not None else NO_TANGENTS
        for nid, item in self.node_items.items():
            if item.is_source:
                item.show_source_value(values.get(nid) if live else None)
            is_out = nid == out
            item.set_evaluation(
                values.get(nid), grads.get(nid) if is_out else None, errors.get(nid),
                is_out, not item.wires_out,
            )
            item.set_step("", *tangents.badge(nid, item.title, shown=not item.wires_out))
        show_wire_texts(self, values, wire_grads, tangents)
        self.functions.show_values(values)
        self._numbers_changed()

    def _numbers_changed(self) -> None:
        """Zoomed out, the views write names and values over the scene, wider than the node
        items that changed: a node that draws no text of its own repaints only its box, so
        the whole viewport is repainted (the values stayed stale after training at 37 %)."""
        self.state.overview_cache = None
        for view in self.views():
            if getattr(view, "zoom", 1.0) < SUMMARY_ZOOM:
                view.viewport().update()

    def set_overlay(self, overlay: StepOverlay | None) -> None:
        """Show a stepper position instead of the evaluation; None: back to the evaluation."""
        was = self.overlay
        self.overlay = overlay
        with self.labels.batch():
            if overlay is not None:
                self._show_overlay(overlay)
            elif was is not None:
                self.functions.show_step(None)
                for item in self.node_items.values():
                    item.set_step()
                for wire in self.wire_items.values():
                    wire.set_step()
                self._show_evaluation()
        self.overlay_changed.emit(overlay.current if overlay is not None else None)

    def _show_overlay(self, o: StepOverlay) -> None:
        self.functions.show_step(o)
        show_step(self, o)
        self._numbers_changed()

    def set_show_values(self, on: bool) -> None:
        self.state.show_values = on
        self.labels.resize_all()
        self.update()

    def set_show_grads(self, on: bool) -> None:
        self.state.show_grads = on
        self.labels.resize_all()
        self.update()

    def set_snap(self, on: bool) -> None:
        self.state.snap = GRID if on else 0.0

    def set_theme(self, theme: Theme) -> None:
        self.state.set_theme(theme)
        if self.graph is not None:
            with self.labels.batch():
                for nid, item in self.node_items.items():
                    item.refresh(self.graph.node(nid))
                for wire in self.wire_items.values():
                    wire.update_path()
            self.labels.replace_all()
        self.update()

    # ---- queries -------------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        """Selected nodes in graph order (so copies keep the order they were built in)."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        chosen |= self.functions.selected_members()  # a collapsed function stands for them
        return [nid for nid in self.node_items if nid in chosen]

    def selected_wires(self) -> list[tuple[str, int]]:
        return [i.key for i in self.selectedItems() if isinstance(i, WireItem)]

    def _on_bulk(self, on: bool) -> None:
        """During a bulk edit the selection is announced once, at the end (removing 5,000
        selected nodes one by one must not refresh the inspector 5,000 times)."""
        if on:
            self._selection_before = set(self.selected_node_ids())
            self._signals_were_blocked = self.blockSignals(True)
            self._deferred, self._deferred_edges = {}, {}
            return
        self._add_deferred()
        self.blockSignals(self._signals_were_blocked)
        if set(self.selected_node_ids()) != self._selection_before:
            self.selectionChanged.emit()

    def _add_deferred(self) -> None:
        """The items of the nodes and wires a bulk edit added, made once with their final
        labels (made one by one, each node was laid out twice and its wires redrawn)."""
        nodes, edges = self._deferred or {}, self._deferred_edges
        self._deferred, self._deferred_edges = None, {}
        if not nodes and not edges or self.graph is None:
            return
        labels = node_labels(self.graph)
        with self.labels.batch():
            for node in nodes.values():
                self._on_node_added(node, grow=False, title=labels.get(node.id))
            for edge in edges.values():
                self._on_edge_added(edge)
        self._grow_to(self.nodes_rect(list(nodes)))
        fit_index(self, grown_only=True)
        self._titles_changed()  # other nodes' labels may have changed (add -> add1)

    def select_nodes(self, node_ids: list[str]) -> None:
        """Select exactly these nodes, announcing the new selection once (not per node:
        selecting a 5,000-node paste must not refresh the inspector 5,000 times)."""
        blocked = self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in node_ids:
                item = self.node_items.get(nid)
                if item is not None:  # inside a closed function: the function is selected
                    self.functions.item_for(item).setSelected(True)
        finally:
            self.blockSignals(blocked)
        self.selectionChanged.emit()

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def port_at(self, pos: QPointF) -> PortRef | None:
        for item in self.items(
            QRectF(pos.x() - 10, pos.y() - 10, 20, 20), Qt.IntersectsItemBoundingRect
        ):
            if isinstance(item, NodeItem):
                port = item.port_at(item.mapFromScene(pos))
                if port is not None:
                    return port
        return self.functions.port_at(pos)

    def nodes_rect(self, node_ids: list[str] | None = None) -> QRectF:
        items = self.node_items.values() if node_ids is None else [
            self.node_items[i] for i in node_ids if i in self.node_items
        ]
        rect = QRectF()
        for item in items:
            rect = rect.united(self.functions.drawn_rect(item))
        return rect

    # ---- overview (far zoomed out) -------------------------------------------------------

    def set_overview(self, on: bool) -> None:
        """Switch between per-item painting and the batched overview drawing."""
        if on == self.overview:
            return
        self.overview = on
        for item in self.node_items.values():
            item.setFlag(QGraphicsItem.ItemHasNoContents, on)
        for wire in self.wire_items.values():
            wire.setFlag(QGraphicsItem.ItemHasNoContents, on)
        self.labels.set_overview(on)
        self.state.overview_cache = None
        self.update()

    def _invalidate_overview(self) -> None:
        self.state.overview_cache = None

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 (Qt)
        if self.overview:
            draw_overview(self, painter)

    # ---- background ----------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        draw_grid(painter, rect, self.state.theme)

    # ---- mouse ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.LeftButton and self.document is not None:
            port = self.port_at(event.scenePos())
            if port is not None:
                self._start_wire_drag(port)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.LeftButton:
            self._press_pos = {
                i.node_id: i.pos() for i in self.selectedItems() if isinstance(i, NodeItem)
            }
            if self._press_pos and self.labels is not None:
                self.labels.begin_drag()
                self.state.moving.begin([self.node_items[n] for n in self._press_pos])

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._move_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.LeftButton:
            self._finish_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.LeftButton:
            self.state.moving.end()
            if self.labels is not None:
                self.labels.end_drag()
            if self._press_pos:
                self._commit_move()

    def _commit_move(self) -> None:
        press, self._press_pos = self._press_pos, {}
        if self.document is None or self.graph is None:
            return
        moved = {}
        for nid, old in press.items():
            item = self.node_items.get(nid)
            if item is not None and item.pos() != old:
                moved[nid] = (item.pos().x(), item.pos().y())
        if moved:
            self.document.move_nodes(moved)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        pos = event.scenePos()
        item = self.itemAt(pos, QTransform())
        node = self.node_at(pos)
        if node is not None and node.value_chip_hit(node.mapFromScene(pos)):
            self.edit_value_requested.emit(node.node_id)
        elif item is None:
            self.quick_add_requested.emit(pos)
        else:
            super().mouseDoubleClickEvent(event)
        event.accept()

    def contextMenuEvent(self, event: Any) -> None:
        pos = event.scenePos()
        target: Any = self.node_at(pos)
        if target is None:
            item = self.itemAt(pos, QTransform())
            if isinstance(item, WireLabel):  # a label stands for its wire
                item = item.wire
            target = item if isinstance(item, WireItem | FunctionItem | FunctionFrame) else None
        if target is not None and not target.isSelected():
            self.clearSelection()
            target.setSelected(True)
        self.context_menu_requested.emit(target, pos, event.screenPos())
        event.accept()

    # ---- wiring --------------------------------------------------------------------------

    def _start_wire_drag(self, port: PortRef) -> None:
        assert self.graph is not None
        item = self.node_items[port.node_id]
        anchor = item.port_scene_pos(port)
        wire = DragWire(anchor, not port.is_input, self.state)
        self.addItem(wire)
        self._drag = (port, wire)
        # dst may take src only if dst is not upstream of src (else: a cycle).
        if port.is_input:
            blocked = self.graph.descendants(port.node_id)
        else:
            blocked = self.graph.ancestors(port.node_id)
        self.state.drag_valid = set(self.node_items) - blocked
        self.state.drag_to_input = not port.is_input
        self.update()

    def _move_wire_drag(self, pos: QPointF) -> None:
        start, wire = self._drag  # type: ignore[misc]
        target = self.port_at(pos)
        if target is not None and target.is_input != start.is_input \
                and target.node_id in (self.state.drag_valid or ()):
            pos = self.node_items[target.node_id].port_scene_pos(target)
        wire.set_end(pos)

    def _finish_wire_drag(self, pos: QPointF) -> None:
        start, _ = self._drag  # type: ignore[misc]
        target = self.port_at(pos)
        self._cancel_wire_drag()
        if target is None:
            self.status_message.emit("Drop a wire on a port to connect it")
            return
        if target.is_input == start.is_input:
            kind = "input" if start.is_input else "output"
            self.status_message.emit(f"Cannot connect an {kind} to an {kind}: "
                                     "wires go from an output to an input")
            return
        src, dst = (target, start) if start.is_input else (start, target)
        assert self.graph is not None and self.document is not None
        try:
            self.functions.connect(src.node_id, dst.node_id, dst.index)
        except GraphError as exc:
            self.status_message.emit(f"Cannot connect: {exc}")
            return
        names = self.functions.end_name(src.node_id), \
            self.functions.end_name(dst.node_id, dst.index)
        self.status_message.emit(f"Connected {names[0]} to {names[1]}")

    def _cancel_wire_drag(self) -> None:
        if self._drag is not None:
            _, wire = self._drag
            self.removeItem(wire)
            self._drag = None
        if self.state.drag_valid is not None:
            self.state.drag_valid = None
            self.update()

    @property
    def dragging_wire(self) -> bool:
        return self._drag is not None
