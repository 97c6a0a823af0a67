"""Edits of the selection: clipboard, duplicate, delete, align, layout, output, context menus.

Every edit goes through the Document (one command, or one ``document.macro`` block), so undo
is exact; this module only decides *what* to do with the selection and where copies land.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QObject, QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMenu

from graphgui.core import fileformat
from graphgui.core.graph import Graph, GraphError
from graphgui.core.layout import layered_layout

from .canvas.function_items import FunctionFrame, FunctionItem
from .canvas.node_item import NodeItem
from .canvas.wire_item import WireItem
from .placement import free_offset, plural

if TYPE_CHECKING:
    from .main_window import MainWindow

GRAPH_MIME = "application/x-graphgui+json"


class EditController(QObject):
    """The Edit and Graph menus' work on the canvas selection of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.scene = window.scene
        self.view = window.view

    # ---- clipboard -----------------------------------------------------------------------

    def delete_selection(self) -> None:
        nodes, wires = self.scene.selected_node_ids(), self.scene.selected_wires()
        if not nodes and not wires:
            self.window.show_message("Nothing selected to delete")
            return
        self._guarded(lambda: self.window.document.delete(nodes, wires))

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.scene.node_items))

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.window.show_message("Select nodes to copy")
            return False
        text = fileformat.dumps(self.window.document.graph.subgraph(ids))
        mime = QMimeData()
        mime.setData(GRAPH_MIME, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self.window.show_message(f"Copied {plural(len(ids), 'node')}")
        return True

    def cut(self) -> None:
        doc = self.window.document
        if doc.locked:
            self.window.show_message(doc.locked)
            return
        if self.copy():
            ids = self.scene.selected_node_ids()
            self._guarded(lambda: doc.delete(ids, text=f"Cut {plural(len(ids), 'node')}"))

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's nodes centred on ``at`` (scene), else on the mouse when it
        is over the canvas, else beside the originals; a copy never lands on another node."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return []
        if mime.hasFormat(GRAPH_MIME):
            text = bytes(mime.data(GRAPH_MIME).data()).decode("utf-8", "replace")
        else:
            text = mime.text()
        if not text.strip():
            self.window.show_message("The clipboard is empty")
            return []
        try:
            sub = fileformat.loads(text, "clipboard")
        except ValueError as exc:
            self.window.show_message(f"Cannot paste: {exc}")
            return []
        if at is None:
            at = self.view.cursor_scene_pos()
        return self._insert(sub, "Paste", at)

    def duplicate(self) -> list[str]:
        ids = self.scene.selected_node_ids()
        if not ids:
            self.window.show_message("Select nodes to duplicate")
            return []
        return self._insert(self.window.document.graph.subgraph(ids), "Duplicate")

    def _insert(self, sub: Graph, text: str, at: QPointF | None = None) -> list[str]:
        if len(sub) == 0:
            return []
        doc = self.window.document
        target = (at.x(), at.y()) if at is not None else None
        offset = free_offset(doc.graph, sub, self.scene.node_size, target)
        new = self._guarded(lambda: doc.insert_graph(sub, offset, text=text)) or []
        if new:
            self.window.select_nodes(new)
            self.window.show_message(f"{text}: {plural(len(new), 'node')}")
        return new

    # ---- arrange -------------------------------------------------------------------------

    def align(self, how: str) -> None:
        ids = self.scene.selected_node_ids()
        if len(ids) < 2:
            self.window.show_message("Select two or more nodes to align")
            return
        items = [self.scene.node_items[i] for i in ids]
        positions: dict[str, tuple[float, float]] = {}
        if how == "left":
            left = min(it.pos().x() + it.rect.left() for it in items)
            positions = {it.node_id: (left - it.rect.left(), it.pos().y()) for it in items}
            text = f"Align {len(ids)} nodes left"
        elif how == "top":
            top = min(it.pos().y() + it.rect.top() for it in items)
            positions = {it.node_id: (it.pos().x(), top - it.rect.top()) for it in items}
            text = f"Align {len(ids)} nodes top"
        else:
            axis = 0 if how == "distribute_h" else 1
            order = sorted(items, key=lambda it: (it.pos().x(), it.pos().y())[axis])
            first = (order[0].pos().x(), order[0].pos().y())[axis]
            last = (order[-1].pos().x(), order[-1].pos().y())[axis]
            step = (last - first) / (len(order) - 1)
            for k, it in enumerate(order):
                p = [it.pos().x(), it.pos().y()]
                p[axis] = first + k * step
                positions[it.node_id] = (p[0], p[1])
            text = f"Distribute {len(ids)} nodes"
        self._guarded(lambda: self.window.document.move_nodes(positions, text))

    def auto_layout(self) -> None:
        """Lay out the selection (two or more nodes) in place, else the whole graph, and
        frame what was laid out so no node is left off-screen."""
        doc = self.window.document
        if len(doc.graph) == 0:
            return
        selected = self.scene.selected_node_ids()
        ids = selected if len(selected) > 1 else [n.id for n in doc.graph]
        xs = [doc.graph.node(i).pos[0] for i in ids]
        ys = [doc.graph.node(i).pos[1] for i in ids]
        origin = (min(xs), (min(ys) + max(ys)) / 2)
        positions = layered_layout(doc.graph, node_ids=ids, origin=origin)
        self._guarded(lambda: doc.move_nodes(positions, f"Layout {len(ids)} nodes"))
        self.view.show_graph(None if ids is not selected else ids)

    def set_output_from_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        if len(ids) != 1:
            self.window.show_message("Select one node to make it the output")
            return
        self.set_output(ids[0])

    def set_output(self, node_id: str | None) -> None:
        self._guarded(lambda: self.window.document.set_output(node_id))

    def _guarded(self, edit):  # type: ignore[no-untyped-def]
        """Run an edit; a refusal (a lock, an invalid edit) becomes a status message."""
        try:
            return edit()
        except GraphError as exc:
            self.window.show_message(str(exc))
            return None

    # ---- context menus -------------------------------------------------------------------

    def context_menu(self, target: object, scene_pos: QPointF) -> QMenu:
        """The menu for a node, a wire or the empty canvas (shown with popup(), not exec)."""
        w = self.window
        menu = QMenu(w)
        doc = w.document
        if isinstance(target, NodeItem):
            nid = target.node_id
            node = doc.graph.node(nid)
            out = menu.addAction("Set as Output", lambda: self.set_output(nid))
            out.setCheckable(True)
            out.setChecked(doc.graph.chosen_output == nid)
            if node.is_source:
                menu.addAction("Edit Value…", lambda: self.view.edit_value(nid))
            menu.addAction("Rename…", w.focus_inspector_name)
            menu.addSeparator()
            for name in ("cut", "copy", "duplicate", "delete"):
                menu.addAction(w.action(name))
            menu.addSeparator()
            for name in ("group_function", "open_up"):
                if w.action(name).isEnabled():
                    menu.addAction(w.action(name))
            if len(self.scene.selected_node_ids()) > 1:
                menu.addSeparator()
                menu.addAction(w.action("layout"))
                align = menu.addMenu("Align")
                for name in ("align_left", "align_top", "distribute_h", "distribute_v"):
                    align.addAction(w.action(name))
        elif isinstance(target, FunctionItem | FunctionFrame):
            for name in ("toggle_function", "ungroup_function"):
                menu.addAction(w.action(name))
            menu.addSeparator()
            for name in ("cut", "copy", "duplicate", "delete"):
                menu.addAction(w.action(name))
        elif isinstance(target, WireItem):
            dst, port = target.key
            menu.addAction("Delete Wire", lambda: self._guarded(lambda: doc.disconnect(dst, port)))
            src_id = target.src.node_id
            menu.addAction("Select Source", lambda: w.select_nodes([src_id]))
            menu.addAction("Select Target", lambda: w.select_nodes([dst]))
        else:
            menu.addAction("Add Node…", lambda: self.view.show_quick_add(scene_pos))
            paste = menu.addAction("Paste Here", lambda: self.paste(at=scene_pos))
            paste.setShortcut(w.action("paste").shortcut())
            menu.addSeparator()
            for name in ("select_all", "layout", "fit", "auto_output"):
                menu.addAction(w.action(name))
        return menu

    def show_context_menu(self, target: object, scene_pos: QPointF, screen_pos: object) -> None:
        menu = self.context_menu(target, scene_pos)
        menu.setAttribute(Qt.WA_DeleteOnClose)
        menu.popup(screen_pos)
