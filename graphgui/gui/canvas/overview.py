"""The overview: far zoomed out, the scene draws every node and wire itself in a few batched
calls (the items paint nothing), so a full repaint of 5,000 nodes costs milliseconds, not one
Python paint() call per item. The geometry is cached in CanvasState (OverviewGeometry); a
moved node updates its own box and wires in it, anything else makes it anew."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

if TYPE_CHECKING:
    from .scene import GraphScene


class OverviewGeometry:
    """The overview's wire lines and node boxes, kept by wire and by node: a moved node
    changes only its own box and its wires' lines (rebuilding all of it for each mouse
    move of a drag took 90 ms at 5,000 nodes). The lists keep the order a rebuild has."""

    def __init__(self, scene: GraphScene) -> None:
        self.lines: list[QLineF] = []
        self.line_at: dict[tuple[str, int], int] = {}
        for key, w in scene.wire_items.items():
            if w.isVisible():
                self.line_at[key] = len(self.lines)
                self.lines.append(QLineF(w.src.output_scene_pos(), w.dst.input_scene_pos(w.port)))
        self.by_category: dict[str, list[QRectF]] = {}
        self.box_at: dict[str, tuple[list[QRectF], int]] = {}
        self.errors: dict[str, QRectF] = {}
        self.selected: dict[str, QRectF] = {}
        for nid, item in scene.node_items.items():
            if not item.isVisible():  # inside a collapsed function, drawn as the function
                continue
            rect = item.rect.translated(item.pos())
            boxes = self.by_category.setdefault(item.category, [])
            self.box_at[nid] = (boxes, len(boxes))
            boxes.append(rect)
            if item.error:
                self.errors[nid] = rect
            if item.isSelected():
                self.selected[nid] = rect
        self._moved: dict[str, Any] = {}

    def moved(self, item: Any) -> None:
        """A node moved: its box and wires are drawn where they are now (at the next paint)."""
        self._moved[item.node_id] = item

    def geometry(self) -> Any:
        """(wire lines, node rects by category, error rects, selected rects)."""
        moved, self._moved = self._moved, {}
        for nid, item in moved.items():
            at = self.box_at.get(nid)
            if at is not None:
                rect = item.rect.translated(item.pos())
                at[0][at[1]] = rect
                for marked in (self.errors, self.selected):
                    if nid in marked:
                        marked[nid] = rect
            for w in list(item.wires_in.values()) + item.wires_out:
                k = self.line_at.get(w.key)
                if k is not None:
                    self.lines[k] = QLineF(w.src.output_scene_pos(), w.dst.input_scene_pos(w.port))
        return self.lines, self.by_category, list(self.errors.values()), \
            list(self.selected.values())


def overview_geometry(scene: GraphScene) -> Any:
    """(wire lines, node rects by category, error rects, selected rects), cached."""
    cache = scene.state.overview_cache
    if cache is None:
        cache = scene.state.overview_cache = OverviewGeometry(scene)
    return cache.geometry()


def draw_overview(scene: GraphScene, painter: QPainter) -> None:
    t = scene.state.theme
    lines, by_category, errors, selected = overview_geometry(scene)
    painter.setPen(t.pens["wire"])
    painter.drawLines(lines)
    painter.setPen(t.pens["border"])
    for category, rects in by_category.items():
        painter.setBrush(t.overview_brushes[category])
        painter.drawRects(rects)
    if errors:
        painter.setPen(t.pens["error"])
        painter.setBrush(t.brushes["error_fill"])
        painter.drawRects(errors)
    if selected:
        painter.setPen(t.pens["selected"])
        painter.setBrush(t.brushes["none"])
        painter.drawRects(selected)
    if scene.state.highlight.nodes or scene.state.highlight.marked:
        draw_highlight(scene, painter)


def draw_highlight(scene: GraphScene, painter: QPainter) -> None:
    """The Paths dock's path over the overview: its wires and boxes in the path colour,
    the fan-outs in a dashed frame (a few items: not cached)."""
    t = scene.state.theme
    h = scene.state.highlight
    painter.setPen(t.pens["path"])
    painter.drawLines([QLineF(w.src.output_scene_pos(), w.dst.input_scene_pos(w.port))
                       for w in scene.wire_items.values()
                       if (w.src.node_id, w.dst.node_id) in h.wires])
    items = scene.node_items
    painter.setBrush(t.brushes["path_tint"])
    painter.drawRects([items[n].rect.translated(items[n].pos()) for n in h.nodes if n in items])
    painter.setPen(t.pens["fan_out"])
    painter.setBrush(t.brushes["none"])
    painter.drawRects([items[n].rect.translated(items[n].pos()).adjusted(-4, -4, 4, 4)
                       for n in h.marked if n in items])
