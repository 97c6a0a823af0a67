"""Readable when zoomed out: each node's name and value at a fixed size on screen.

Below ``SUMMARY_ZOOM`` the node texts and wire labels would shrink below legibility (8 pt at
40 % is 3 px), so nodes draw as plain coloured boxes and the view writes, centred on each
node, its label and its value in screen-size fonts (as maps keep place names readable at
every scale). A 47-node network that fits a laptop's canvas only at 35 % still reads node by
node; wire labels and gradients come back when zooming in. While forward mode's tangents
are shown, each node's tangent is a third line in the tangent colour (``d/dw1 -0.0145``; the
output's as its badge says it, ``dE_total/dw1 = -0.0145``) where it covers no name or value;
a node that does not depend on the seed (tangent 0) gets none.

Bounded: with more than ``MAX_SUMMARIES`` nodes in view the texts are left out (they could not
be told apart anyway) and the boxes alone show the shape of the graph.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from graphgui.core.values import format_value

if TYPE_CHECKING:
    from .state import Tangents
    from .view import GraphView

SUMMARY_ZOOM = 0.7  # below this the summaries replace the node texts and wire labels
MAX_SUMMARIES = 600
NAME_POINTS, VALUE_POINTS = 8.5, 8.0
TANGENT_DIGITS = 3  # a tangent's line is the third under a node: kept short
TANGENT_MAX_PX = 130  # a tangent's line is never wider (the seed's label is elided)


def summary_value(value: Any, digits: int = 4) -> str:
    """A value short enough to sit under a node: 4 digits, an array by its shape."""
    if value is None:
        return ""
    if isinstance(value, np.ndarray) and value.size > 1:
        return "×".join(str(d) for d in value.shape)
    return format_value(value, digits)


_WIDTHS: dict[tuple[str, str], int] = {}  # (font, text) -> width in pixels


def _widths(font: QFont, fm: QFontMetrics) -> Any:
    """``fm.horizontalAdvance`` remembered by text (names repeat on every paint)."""
    key = font.key()

    def width(text: str) -> int:
        w = _WIDTHS.get((key, text))
        if w is None:
            if len(_WIDTHS) > 20_000:
                _WIDTHS.clear()
            w = _WIDTHS[(key, text)] = fm.horizontalAdvance(text)
        return w

    return width


def _fonts(base: QFont) -> tuple[QFont, QFont]:
    name = QFont(base)
    name.setPointSizeF(NAME_POINTS)
    name.setBold(True)
    value = QFont(base)
    value.setPointSizeF(VALUE_POINTS)
    return name, value


@dataclass(frozen=True)
class Summary:
    """What the view writes over one node zoomed out, in viewport pixels: its label, its
    value under it and, while tangents are shown, its tangent (``d/dx 0.75``; the output's
    as its badge, ``df/dx = -4``) above or below them ("" and an empty rect: no room)."""

    node_id: str
    label: str
    value: str
    name_rect: QRect
    value_rect: QRect
    tangent: str = ""
    tangent_rect: QRect = field(default_factory=QRect)


def summary_tangents(title: str, wrt: str, value: Any, is_sink: bool, fm: QFontMetrics
                     ) -> list[str]:
    """A node's tangent short enough for a summary, as it may be written: a sink's (the
    output's) first as its badge says it (``dE/dw1 = -0.0145``), then ``d/dw1 -0.0145``;
    never wider than ``TANGENT_MAX_PX`` (a long seed label is elided)."""
    number = summary_value(value, TANGENT_DIGITS)
    full = f"d{title}/d{wrt} = {number}"
    short = fm.elidedText(f"d/d{wrt} {number}", Qt.ElideMiddle, TANGENT_MAX_PX - 4)
    if is_sink and fm.horizontalAdvance(full) + 4 <= TANGENT_MAX_PX:
        return [full, short]
    return [short]


def nodes_in_view(view: GraphView, limit: int | None = None) -> list[Any] | None:
    """The node items in view (not those inside a closed function), in graph order; None
    once more than ``limit`` are. Tested on plain numbers (NodeItem.extent, the bounding
    rect): asking each of 5,000 nodes for its scene box took 8 ms a paint."""
    scene = view.graph_scene()
    visible = QRectF(view.mapToScene(view.viewport().rect()).boundingRect())
    left, top, right, bottom = visible.left(), visible.top(), visible.right(), visible.bottom()
    found: list[Any] = []
    if left == right or top == bottom:
        return found
    for item in scene.node_items.values():  # QRectF.intersects, written out
        bx, by, bw, bh = item.extent
        x0 = item.x() + bx
        if x0 >= right or left >= x0 + bw or bw == 0:
            continue
        y0 = item.y() + by
        if y0 >= bottom or top >= y0 + bh or bh == 0 or not item.isVisible():
            continue
        found.append(item)
        if limit is not None and len(found) > limit:
            return None
    return found


def summary_boxes(view: GraphView) -> list[Summary]:
    """Every node in view's summary, when summaries are shown (none otherwise). Names and
    values are placed first, none covering another; tangents then go where there is room
    (the output's and those that are not 0 first)."""
    scene = view.graph_scene()
    if view.zoom >= SUMMARY_ZOOM or not scene.node_items:
        return []
    items = nodes_in_view(view, MAX_SUMMARIES)
    if items is None:
        return []
    visible = QRectF(view.mapToScene(view.viewport().rect()).boundingRect())
    items += [it for it in scene.functions.items.values()  # closed functions: their names
              if visible.intersects(it.sceneBoundingRect())]
    if len(items) > MAX_SUMMARIES:
        return []
    name_font, value_font = _fonts(scene.state.theme.title_font)
    name_fm, value_fm = QFontMetrics(name_font), QFontMetrics(value_font)
    name_w, value_w = _widths(name_font, name_fm), _widths(value_font, value_fm)
    show_values = scene.state.show_values
    # Sources and sinks first: where a crowd forces a choice, inputs and outputs keep theirs.
    items.sort(key=lambda it: (not (it.is_source or it.is_output), it.x()))
    taken = _Taken()
    bounds = view.viewport().rect()
    boxes: list[Summary] = []
    for item in items:
        center = view.mapFromScene(item.sceneBoundingRect().center())
        label = item.title
        value = summary_value(item.shown_value) if show_values else ""
        nw, nh = name_w(label) + 4, name_fm.height()
        vw, vh = value_w(value) + 4, value_fm.height()
        top = center.y() - (nh + (vh if value else 0)) // 2
        # Kept inside the viewport: a node at the edge is still named, not cut in half.
        cx = min(max(center.x(), bounds.left() + max(nw, vw) // 2),
                 bounds.right() - max(nw, vw) // 2)
        top = min(max(top, bounds.top()), bounds.bottom() - nh - (vh if value else 0))
        name_rect = QRect(cx - nw // 2, top, nw, nh)
        value_rect = QRect(cx - vw // 2, top + nh, vw, vh) if value else QRect()
        if taken.hits(name_rect):
            continue  # no room: the box alone (zoom in to read it)
        if value and taken.hits(value_rect):
            value, value_rect = "", QRect()
        taken.add(name_rect)
        if value:
            taken.add(value_rect)
        boxes.append(Summary(item.node_id, label, value, name_rect, value_rect))
    tangents = scene.state.tangents
    if tangents.values:
        boxes = _with_tangents(boxes, scene, tangents, value_fm, taken, bounds)
    return boxes


class _Taken:
    """The rects written so far, bucketed on a grid: "does this one cover any?" looks at
    its neighbours only (hundreds of summaries are placed on every paint)."""

    CELL = 64

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[QRect]] = {}

    def hits(self, r: QRect) -> bool:
        c, cells = self.CELL, self._cells  # written out: called for every summary, each paint
        gy0, gy1 = r.top() // c, r.bottom() // c + 1
        for gx in range(r.left() // c, r.right() // c + 1):
            for gy in range(gy0, gy1):
                for other in cells.get((gx, gy), ()):
                    if r.intersects(other):
                        return True
        return False

    def add(self, r: QRect) -> None:
        c, cells = self.CELL, self._cells
        gy0, gy1 = r.top() // c, r.bottom() // c + 1
        for gx in range(r.left() // c, r.right() // c + 1):
            for gy in range(gy0, gy1):
                cells.setdefault((gx, gy), []).append(r)


def _with_tangents(boxes: list[Summary], scene: Any, tangents: Tangents, fm: QFontMetrics,
                   taken: _Taken, bounds: QRect) -> list[Summary]:
    """``boxes`` with a tangent line under (else over) each where it covers nothing (the
    output's first); a node whose tangent is 0 (it does not depend on the seed) has none."""
    items = scene.node_items

    def moves(node_id: str) -> bool:  # the node depends on the seed (0: it does not)
        value = tangents.get(node_id)
        return value is not None and bool(np.any(np.asarray(value) != 0))

    placed: dict[str, Summary] = {}
    for box in sorted((b for b in boxes if moves(b.node_id)),
                      key=lambda b: not items[b.node_id].is_output):
        item = items[box.node_id]
        texts = summary_tangents(item.title, tangents.wrt, tangents.get(box.node_id),
                                 item.is_output or not item.wires_out, fm)
        block = box.name_rect.united(box.value_rect) if box.value else box.name_rect
        for text in texts:
            rect = _room(fm.horizontalAdvance(text) + 4, fm.height(), block, taken, bounds)
            if rect is not None:
                taken.add(rect)
                placed[box.node_id] = replace(box, tangent=text, tangent_rect=rect)
                break
    return [placed.get(b.node_id, b) for b in boxes]


def _room(w: int, h: int, block: QRect, taken: _Taken, bounds: QRect) -> QRect | None:
    """A free w x h rect right under ``block`` (centred on it, or shifted sideways while
    its middle is under it), else right over it (centred); None when there is none."""
    reach = block.width() // 2
    below, above = block.bottom() + 1, block.top() - h
    for y, dx in ((below, 0), (below, -reach), (below, reach), (above, 0)):
        cx = min(max(block.center().x() + dx, bounds.left() + w // 2), bounds.right() - w // 2)
        rect = QRect(cx - w // 2, y, w, h)
        if bounds.contains(rect) and not taken.hits(rect):
            return rect
    return None


def summaries(view: GraphView) -> Iterator[tuple[str, str, str, QRect, QRect]]:
    """(node id, label, value text, label rect, value rect) in viewport pixels for every
    node in view, when summaries are shown (nothing otherwise)."""
    for box in summary_boxes(view):
        yield box.node_id, box.label, box.value, box.name_rect, box.value_rect


def summaries_complete(view: GraphView) -> bool:
    """True when every node in view has its name and value written (nothing crowded out)."""
    scene = view.graph_scene()
    visible = QRectF(view.mapToScene(view.viewport().rect()).boundingRect())
    in_view = len(nodes_in_view(view) or ()) + sum(  # closed functions are named too
        1 for it in scene.functions.items.values() if visible.intersects(it.sceneBoundingRect()))
    shown = list(summaries(view))
    values = scene.state.show_values
    return len(shown) == in_view and all(
        v or not values or nid not in scene.node_items
        or scene.node_items[nid].shown_value is None
        for nid, _, v, _, _ in shown)


def draw_summaries(view: GraphView, painter: QPainter) -> None:
    """Paint the summaries over the scene (called from the view's drawForeground)."""
    boxes = summary_boxes(view)
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
    for box in boxes:
        painter.drawRoundedRect(box.name_rect.united(box.value_rect) if box.value
                                else box.name_rect, 3, 3)
        if box.tangent:
            painter.drawRoundedRect(box.tangent_rect, 3, 3)
    for font, pen, which in ((name_font, theme.pens["text"], "name"),
                             (value_font, theme.pens["value"], "value"),
                             (value_font, theme.pens["tangent"], "tangent")):
        painter.setFont(font)
        painter.setPen(pen)
        for box in boxes:
            text, rect = {"name": (box.label, box.name_rect),
                          "value": (box.value, box.value_rect),
                          "tangent": (box.tangent, box.tangent_rect)}[which]
            if not text:
                continue
            item = items.get(box.node_id)  # None: a closed function (function:<id>)
            faint = item is not None and item.step_state == "pending"
            painter.setOpacity(0.35 if faint else 1.0)
            painter.drawText(rect, Qt.AlignCenter, text)
    painter.restore()


__all__ = ["SUMMARY_ZOOM", "Summary", "draw_summaries", "nodes_in_view", "summaries",
           "summaries_complete", "summary_boxes", "summary_tangents", "summary_value"]
