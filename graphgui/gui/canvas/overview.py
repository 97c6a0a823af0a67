"""The overview: far zoomed out, the scene draws every node and wire itself in a few batched
calls (the items paint nothing), so a full repaint of 5,000 nodes costs milliseconds, not one
Python paint() call per item. The geometry is cached in CanvasState until something moves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter

if TYPE_CHECKING:
    from .scene import GraphScene


def overview_geometry(scene: GraphScene) -> Any:
    """(wire lines, node rects by category, error rects, selected rects), cached."""
    cache = scene.state.overview_cache
    if cache is not None:
        return cache
    lines = [QLineF(w.src.output_scene_pos(), w.dst.input_scene_pos(w.port))
             for w in scene.wire_items.values() if w.isVisible()]
    by_category: dict[str, list[QRectF]] = {}
    errors, selected = [], []
    for item in scene.node_items.values():
        if not item.isVisible():  # inside a collapsed function, drawn as the function
            continue
        rect = item.rect.translated(item.pos())
        by_category.setdefault(item.category, []).append(rect)
        if item.error:
            errors.append(rect)
        if item.isSelected():
            selected.append(rect)
    cache = (lines, by_category, errors, selected)
    scene.state.overview_cache = cache
    return cache


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
