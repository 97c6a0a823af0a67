"""Readable when zoomed out: each node's name and value at a fixed size on screen.

Below ``SUMMARY_ZOOM`` the node texts and wire labels would shrink below legibility (8 pt at
40 % is 3 px), so nodes draw as plain coloured boxes and the view writes, centred on each
node, its label and its value in screen-size fonts (as maps keep place names readable at
every scale). A 47-node network that fits a laptop's canvas only at 35 % still reads node by
node; wire labels and gradients come back when zooming in.

Bounded: with more than ``MAX_SUMMARIES`` nodes in view the texts are left out (they could not
be told apart anyway) and the boxes alone show the shape of the graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from graphgui.core.values import format_value

if TYPE_CHECKING:
    from .view import GraphView

SUMMARY_ZOOM = 0.7  # below this the summaries replace the node texts and wire labels
MAX_SUMMARIES = 600
NAME_POINTS, VALUE_POINTS = 8.5, 8.0


def summary_value(value: Any) -> str:
    """A value short enough to sit under a node: 4 digits, an array by its shape."""
    if value is None:
        return ""
    if isinstance(value, np.ndarray) and value.size > 1:
        return "×".join(str(d) for d in value.shape)
    return format_value(value, 4)


def _fonts(base: QFont) -> tuple[QFont, QFont]:
    name = QFont(base)
    name.setPointSizeF(NAME_POINTS)
    name.setBold(True)
    value = QFont(base)
    value.setPointSizeF(VALUE_POINTS)
    return name, value


def summaries(view: GraphView) -> Iterator[tuple[str, str, str, QRect, QRect]]:
    """(node id, label, value text, label rect, value rect) in viewport pixels for every
    node in view, when summaries are shown (nothing otherwise)."""
    scene = view.graph_scene()
    if view.zoom >= SUMMARY_ZOOM or not scene.node_items:
        return
    visible = QRectF(view.mapToScene(view.viewport().rect()).boundingRect())
    items = [it for it in scene.node_items.values()
             if visible.intersects(it.sceneBoundingRect())]
    if len(items) > MAX_SUMMARIES:
        return
    name_font, value_font = _fonts(scene.state.theme.title_font)
    name_fm, value_fm = QFontMetrics(name_font), QFontMetrics(value_font)
    show_values = scene.state.show_values
    # Sources and sinks first: where a crowd forces a choice, inputs and outputs keep theirs.
    items.sort(key=lambda it: (not (it.is_source or it.is_output), it.pos().x()))
    taken: list[QRect] = []
    bounds = view.viewport().rect()
    for item in items:
        center = view.mapFromScene(item.sceneBoundingRect().center())
        label = item.title
        value = summary_value(item.shown_value) if show_values else ""
        nw, nh = name_fm.horizontalAdvance(label) + 4, name_fm.height()
        vw, vh = value_fm.horizontalAdvance(value) + 4, value_fm.height()
        top = center.y() - (nh + (vh if value else 0)) // 2
        # Kept inside the viewport: a node at the edge is still named, not cut in half.
        cx = min(max(center.x(), bounds.left() + max(nw, vw) // 2),
                 bounds.right() - max(nw, vw) // 2)
        top = min(max(top, bounds.top()), bounds.bottom() - nh - (vh if value else 0))
        name_rect = QRect(cx - nw // 2, top, nw, nh)
        value_rect = QRect(cx - vw // 2, top + nh, vw, vh) if value else QRect()
        if any(name_rect.intersects(r) for r in taken):
            continue  # no room: the box alone (zoom in to read it)
        if value and any(value_rect.intersects(r) for r in taken):
            value, value_rect = "", QRect()
        taken.append(name_rect)
        if value:
            taken.append(value_rect)
        yield item.node_id, label, value, name_rect, value_rect


def summaries_complete(view: GraphView) -> bool:
    """True when every node in view has its name and value written (nothing crowded out)."""
    scene = view.graph_scene()
    visible = QRectF(view.mapToScene(view.viewport().rect()).boundingRect())
    in_view = sum(1 for it in scene.node_items.values()
                  if visible.intersects(it.sceneBoundingRect()))
    shown = list(summaries(view))
    values = scene.state.show_values
    return len(shown) == in_view and all(
        v or not values or scene.node_items[nid].shown_value is None
        for nid, _, v, _, _ in shown)


def draw_summaries(view: GraphView, painter: QPainter) -> None:
    """Paint the summaries over the scene (called from the view's drawForeground)."""
    boxes = list(summaries(view))
    if not boxes:
        return
    theme = view.graph_scene().state.theme
    name_font, value_font = _fonts(theme.title_font)
    halo = QColor(theme.brushes["background"].color())
    halo.setAlpha(215)
    items = view.graph_scene().node_items
    painter.save()
    painter.resetTransform()
    # The stepper's marks at any zoom: the current node framed, nodes not reached yet faint.
    # (Between the overview and SUMMARY_ZOOM the node items draw the frame themselves.)
    current = [it for it in items.values() if it.step_state == "current"]
    if current and view.graph_scene().overview:
        painter.setPen(theme.pens["step"])
        painter.setBrush(theme.brushes["step_halo"])
        for item in current:
            box = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
            painter.drawRoundedRect(box.adjusted(-4, -4, 4, 4), 4, 4)
    painter.setPen(Qt.NoPen)
    painter.setBrush(halo)
    for _, _, value, name_rect, value_rect in boxes:
        painter.drawRoundedRect(name_rect.united(value_rect) if value else name_rect, 3, 3)
    for font, pen, which in ((name_font, theme.pens["text"], 1), (value_font,
                                                                  theme.pens["value"], 2)):
        painter.setFont(font)
        painter.setPen(pen)
        for box in boxes:
            text = box[which]
            if not text:
                continue
            faint = items[box[0]].step_state == "pending"
            painter.setOpacity(0.35 if faint else 1.0)
            painter.drawText(box[2 + which], Qt.AlignCenter, text)
    painter.restore()


__all__ = ["SUMMARY_ZOOM", "draw_summaries", "summaries", "summaries_complete",
           "summary_value"]
