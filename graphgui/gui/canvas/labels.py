"""Wire labels: the forward value above a wire (green) and its gradient below (orange),
drawn in a layer above the nodes and placed where they hide no node and no other label.

Each wire's pair of labels sits on its own curve, as close to the receiving port as free
room allows: labels of wires into one node then stagger along their wires instead of piling
up at a shared midpoint. Placement is greedy and sticky: a label keeps its place while that
place stays free (values change while stepping; labels should not jump), and only labels
that grew into something, or that something moved onto, look for a new place.

Free room is looked up in a grid of cells (no Qt calls), so placing thousands of labels
stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem, QStyleOptionGraphicsItem, QWidget

from graphgui.core.values import SHOWN_IN_FULL, format_value

from .free_room import CROWDED, FreeRoom, Rect, overlap
from .label_groups import LabelGroups
from .summary import SUMMARY_ZOOM
from .tangent_label import paint_upper, upper_size

if TYPE_CHECKING:
    from .node_item import NodeItem
    from .scene import GraphScene
    from .wire_item import WireItem

Place = tuple[float, float, tuple["Rect | None", "Rect | None"], float]  # cost, t, rects, dy

LABEL_Z = 5.0  # above nodes (0) and wires (-1), below a wire being dragged (10)
WIRE_GAP = 1.5  # between the wire and the edge of its labels
LABEL_PAD = 2.0  # clearance between two labels
NODE_PAD = 4.0  # clearance around a node (beyond its ports)
SAMPLES = 40  # anchor positions tried along a wire
# Crowded: how far above (<0) or below the wire its labels may sit, nearest first.
NUDGES = (-8.0, 8.0, -14.0, 14.0, -22.0, 22.0, -30.0, 30.0)
# Up to this many labels, crowded labels also try places off the wire and push others
# aside; beyond it (thousands of nodes, rarely read label by label) placement stays cheap.
THOROUGH_LIMIT = 600
# Work bound per flush, in rectangles compared, per label to place (a free place is
# usually found comparing a few dozen). Nodes piled on each other leave no free place
# anywhere; unbounded, every label would try every place against every other (20 nodes at
# one point took 31 s). Past the bound, the remaining labels take the best place so far.
WORK_PER_LABEL = 2000
WORK_BASE = 100_000
LOD_LABELS = SUMMARY_ZOOM  # below this zoom labels give way to the node summaries


def label_lines(value: Any, precision: int = 4) -> list[str]:
    """A value as the lines of its label: one line, or one row per line for a small
    matrix (``[[0.00098, 0.00196],`` / `` [0.0004, 0.0008]]``) so it stays narrow."""
    if value is None:
        return []
    if (
        isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[0] > 1
        and value.size <= SHOWN_IN_FULL
    ):
        rows = [format_value(row, precision) for row in value]
        last = len(rows) - 1
        return [("[" if k == 0 else " ") + row + ("]" if k == last else ",")
                for k, row in enumerate(rows)]
    return [format_value(value, precision)]


class WireLabel(QGraphicsRectItem):
    """The labels of one wire, in the layer above the nodes (placed by a LabelLayer). Its
    rect (no pen, no brush) is its bounding rect, answered in C++ (label_groups.py)."""

    def __init__(self, wire: WireItem) -> None:
        super().__init__()
        self.setPen(Qt.NoPen)
        self.wire = wire
        self.setZValue(LABEL_Z)
        self.setAcceptedMouseButtons(Qt.NoButton)  # clicks reach the wire or node below
        self.setAcceptHoverEvents(True)
        self.value_lines: list[str] = []
        self.grad_lines: list[str] = []
        self.tangent_lines: list[str] = []  # forward mode's, under the value (tangent_label)
        self.value_size = (0.0, 0.0)  # of everything above the wire: value and tangent
        self.pill_sizes = ((0.0, 0.0), (0.0, 0.0))  # the value's and the tangent's pill
        self.grad_size = (0.0, 0.0)
        self.value_rect = QRectF()
        self.grad_rect = QRectF()
        # Where no place is free for the values written out, their shape and norm.
        self.full_lines: tuple[list[str], ...] = ([], [], [])  # value, gradient, tangent
        self.compact_lines: tuple[list[str], ...] = ([], [], [])
        self.compact = False
        self.t: float | None = None  # where on the wire (0 at the source, 1 at the port)
        self.shift = 0.0  # moved this far up (<0) or down from the wire where crowded

    def set_lines(self, value: list[str], grad: list[str], compact_value: list[str],
                  compact_grad: list[str], tangent: tuple[list[str], list[str]] = ([], [])
                  ) -> None:
        """New texts: written out in full first (the compact form only where crowded);
        ``tangent``: forward mode's lines, in full and compact."""
        self.full_lines = (value, grad, tangent[0])
        self.compact_lines = (compact_value, compact_grad, tangent[1])
        self.use_compact(False)

    @property
    def can_compact(self) -> bool:
        return self.compact_lines != self.full_lines

    def use_compact(self, on: bool) -> None:
        self.compact = on
        self.value_lines, self.grad_lines, self.tangent_lines = \
            self.compact_lines if on else self.full_lines

    def set_rects(self, value: Rect | None, grad: Rect | None) -> None:
        self.value_rect = _qrect(value)
        self.grad_rect = _qrect(grad)
        bounds = QRectF()
        for r in (self.value_rect, self.grad_rect):
            if not r.isEmpty():
                bounds = r if bounds.isEmpty() else bounds.united(r)
        self.setRect(bounds)  # prepares the geometry change when the box changes
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        wire = self.wire
        st = wire.state
        if st.lod < LOD_LABELS:
            return
        t = st.theme
        if wire.step_state == "pending":
            painter.setOpacity(0.35)
        painter.setFont(t.label_font)
        if not self.value_rect.isEmpty():
            paint_upper(painter, t, self.value_rect,
                        self.value_lines if st.show_values else [], self.tangent_lines,
                        *self.pill_sizes, paint_pill)
        if st.show_grads and self.grad_lines and not self.grad_rect.isEmpty():
            paint_pill(painter, t, self.grad_rect, self.grad_lines, t.pens["grad"])

    def tooltip_text(self) -> str:
        wire = self.wire
        src, dst = wire.src, wire.dst
        port = dst.port_names[wire.port] if dst.port_names else ""
        target = f"{dst.title}.{port}" if port else dst.title
        parts = [f"{src.title} → {target}"]
        if wire.value_text:
            parts.append(f"value: {wire.value_text}")
        if wire.grad_text:
            parts.append(f"gradient: {wire.grad_text}")
        if wire.tangent_text:
            parts.append(f"tangent: {wire.tangent_text}")
        return "\n".join(parts)

    def hoverEnterEvent(self, event: Any) -> None:
        self.setToolTip(self.tooltip_text())
        super().hoverEnterEvent(event)


def paint_pill(painter: QPainter, theme: Any, rect: QRectF, lines: list[str], pen: Any) -> None:
    """A label: text on a rounded background that hides the wires beneath it."""
    painter.setPen(theme.pens["label_border"])
    painter.setBrush(theme.brushes["label"])
    painter.drawRoundedRect(rect, 3, 3)
    painter.setPen(pen)
    if len(lines) == 1:
        painter.drawText(rect, Qt.AlignCenter, lines[0])
        return
    step = (rect.height() - 1) / len(lines)
    for k, line in enumerate(lines):
        row = QRectF(rect.left() + 4, rect.top() + 0.5 + k * step, rect.width() - 8, step)
        painter.drawText(row, Qt.AlignLeft | Qt.AlignVCenter, line)


def _qrect(r: Rect | None) -> QRectF:
    if r is None:
        return QRectF()
    return QRectF(r[0], r[1], r[2] - r[0], r[3] - r[1])


def _curve(p1: QPointF, p2: QPointF) -> Any:
    """The wire's cubic (the same curve as wire_item.wire_path) as a function of t."""
    x1, y1, x2, y2 = p1.x(), p1.y(), p2.x(), p2.y()
    dx = max(30.0, abs(x2 - x1) * 0.5)
    c1x, c2x = x1 + dx, x2 - dx

    def point(t: float) -> tuple[float, float]:
        u = 1 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        return a * x1 + b * c1x + c * c2x + d * x2, (a + b) * y1 + (c + d) * y2

    return point


def _plain(rect: QRectF) -> Rect | None:
    if rect.isEmpty():
        return None
    return (rect.left(), rect.top(), rect.right(), rect.bottom())


def _padded(rects: tuple[Rect | None, Rect | None]) -> list[Rect]:
    return [(r[0] - LABEL_PAD, r[1] - LABEL_PAD, r[2] + LABEL_PAD, r[3] + LABEL_PAD)
            for r in rects if r is not None]


def _wire_length(wire: WireItem) -> float:
    p1, p2 = wire.src.output_scene_pos(), wire.dst.input_scene_pos(wire.port)
    return abs(p2.x() - p1.x()) + abs(p2.y() - p1.y())


class LabelLayer:
    """Creates, places and keeps in place the labels of a scene's wires.

    Nodes are obstacles (their box, ports, output stub and step badge); labels are placed
    one wire at a time. Inside ``batch()`` the work is collected and done once at the end.
    """

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.groups = LabelGroups(scene, LABEL_Z)  # the labels' parents (label_groups.py)
        self.room = FreeRoom()
        self.labels: dict[tuple[str, int], WireLabel] = {}
        self._depth = 0
        self._dirty_nodes: dict[str, NodeItem] = {}
        self._dirty_wires: dict[tuple[str, int], WireItem] = {}
        # While nodes are dragged, labels ride along their wires (no search for free room);
        # the full placement runs once when the drag ends (see begin_drag).
        self._dragging = False
        self._followed: dict[tuple[str, int], WireItem] = {}
        self._work_limit = 0  # room.work at which this flush stops searching (WORK_PER_LABEL)

    # ---- membership ----------------------------------------------------------------------

    def add_wire(self, wire: WireItem) -> WireLabel:
        label = WireLabel(wire)
        self.labels[wire.key] = label
        wire.label = label
        if self.scene.overview:
            label.setFlag(QGraphicsItem.ItemHasNoContents, True)
        self.groups.add(label)
        self.wire_changed(wire)
        return label

    def remove_wire(self, wire: WireItem) -> None:
        label = self.labels.pop(wire.key, None)
        self._dirty_wires.pop(wire.key, None)
        self.room.remove(wire.key)
        if label is not None:
            self.groups.remove(label)

    def remove_node(self, item: NodeItem) -> None:
        self._dirty_nodes.pop(item.node_id, None)
        self.room.remove(item.node_id)

    def clear(self) -> None:
        self.groups.clear()
        self.room = FreeRoom()
        self.labels.clear()
        self._dirty_nodes.clear()
        self._dirty_wires.clear()
        self._dragging = False
        self._followed.clear()

    def set_overview(self, on: bool) -> None:
        for label in self.labels.values():
            label.setFlag(QGraphicsItem.ItemHasNoContents, on)

    # ---- changes -------------------------------------------------------------------------

    def hold(self, on: bool) -> None:
        """Begin (True) or end (False) a batch that spans events, e.g. a Graph.bulk_edit."""
        if on:
            self._depth += 1
            return
        self._depth -= 1
        if self._depth == 0:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._flush()

    def node_changed(self, item: NodeItem) -> None:
        """The node moved or changed size, stub or badge."""
        self._dirty_nodes[item.node_id] = item
        if self._depth == 0:
            self._flush()

    def wire_changed(self, wire: WireItem) -> None:
        """The wire's path or texts changed."""
        if wire.key not in self.labels:
            return
        self._dirty_wires[wire.key] = wire
        if self._depth == 0:
            self._flush()

    def replace_all(self) -> None:
        """Forget every place and place all labels again (new fonts, shown texts)."""
        with self.batch():
            for label in self.labels.values():
                label.t = None
            for item in self.scene.node_items.values():
                self._dirty_nodes[item.node_id] = item
            for wire in self.scene.wire_items.values():
                self._dirty_wires[wire.key] = wire

    def resize_all(self) -> None:
        """Shown texts changed size (values or gradients shown or hidden): keep the places
        that stay free, move the rest."""
        with self.batch():
            for wire in self.scene.wire_items.values():
                self._dirty_wires[wire.key] = wire

    def begin_drag(self) -> None:
        """Nodes are being dragged: until end_drag, a moved wire's labels keep their place
        along the curve. Searching for free room on every mouse move cost more than the
        5 ms a move may take on a 5,000-node graph."""
        self._dragging = True

    def end_drag(self) -> None:
        """Place the labels of every wire that moved during the drag, properly, once."""
        if not self._dragging:
            return
        self._dragging = False
        followed, self._followed = self._followed, {}
        with self.batch():
            for key, wire in followed.items():
                if key in self.labels:
                    self._dirty_wires[key] = wire
            for wire in followed.values():
                for end in (wire.src, wire.dst):
                    if end.scene() is self.scene:
                        self._dirty_nodes[end.node_id] = end

    def _follow(self, wire: WireItem) -> None:
        """Move the wire's labels to the same place along its new curve."""
        label = self.labels[wire.key]
        point = _curve(wire.src.output_scene_pos(), wire.dst.input_scene_pos(wire.port))
        x, y = point(label.t if label.t is not None else 0.5)
        label.set_rects(*self._rects_at(label, x, y + label.shift))
        self._followed[wire.key] = wire

    def _flush(self) -> None:
        if self._dragging:
            self._dirty_nodes.clear()
            wires, self._dirty_wires = self._dirty_wires, {}
            for key, wire in wires.items():
                if key in self.labels:
                    self._follow(wire)
            return
        nodes, self._dirty_nodes = self._dirty_nodes, {}
        wires, self._dirty_wires = self._dirty_wires, {}
        self._work_limit = self.room.work + WORK_BASE + WORK_PER_LABEL * len(wires)
        room = self.room
        moved: list[Rect] = []
        for nid, item in nodes.items():
            if item.scene() is not self.scene and self.scene.node_items.get(nid) is not item:
                continue
            rects = item.obstacle_rects()
            room.put(nid, rects)
            moved.extend(rects)
        # Labels that a node now covers must move too. Each cell is looked at once, so nodes
        # piled on each other cost linear, not quadratic, time.
        by_cell: dict[tuple[int, int], list[Rect]] = {}
        for r in moved:
            for cell in room.span(r):
                by_cell.setdefault(cell, []).append(r)
        for cell, here in by_cell.items():
            keys = room.cells.get(cell, ())
            if len(keys) > CROWDED:
                continue  # a pile: no label there can be clear, the work bound decides
            for key in keys:
                if isinstance(key, tuple) and key not in wires:
                    wire = self.scene.wire_items.get(key)
                    if wire is not None and any(overlap(r, o) for r in here
                                                for o in room.rects[key]):
                        wires[key] = wire
        # Short wires first: they have few free places, long wires have many.
        troubled = []
        thorough = len(self.labels) <= THOROUGH_LIMIT
        for wire in sorted(wires.values(), key=_wire_length):
            if wire.key in self.labels and self._place(wire, thorough) > 0.0 and thorough:
                troubled.append(wire)
        # Still overlapping: a label in the way may have found room since it was placed.
        for wire in troubled:
            if self._out_of_work():
                break
            for other in self._blocking(wire.key):
                label = self.labels[other]
                place = self._search(self.scene.wire_items[other], label, sticky=False)
                if place[0] == 0.0:
                    self._commit(other, label, place)
            self._place(wire, repair=False)

    # ---- placement -----------------------------------------------------------------------

    def _out_of_work(self) -> bool:
        return self.room.work >= self._work_limit

    def _sizes(self, wire: WireItem, label: WireLabel) -> None:
        st = wire.state
        fm = st.fm_label
        line_h = fm.height()

        def size(lines: list[str]) -> tuple[float, float]:
            if not lines:
                return (0.0, 0.0)
            width = max(st.text_width("label", line) for line in lines)
            return (width + 8.0, len(lines) * line_h + 1.0)

        label.value_size, *sizes = upper_size(
            label.value_lines if st.show_values else [], label.tangent_lines, size)
        label.pill_sizes = (sizes[0], sizes[1])
        label.grad_size = size(label.grad_lines) if st.show_grads else (0.0, 0.0)

    @staticmethod
    def _rects_at(label: WireLabel, x: float, y: float) -> tuple[Rect | None, Rect | None]:
        vw, vh = label.value_size
        gw, gh = label.grad_size
        value = (x - vw / 2, y - WIRE_GAP - vh, x + vw / 2, y - WIRE_GAP) if vw else None
        grad = (x - gw / 2, y + WIRE_GAP, x + gw / 2, y + WIRE_GAP + gh) if gw else None
        return value, grad

    def _place(self, wire: WireItem, repair: bool = True) -> float:
        """Place the wire's labels; returns the overlap left (0: clear)."""
        label = self.labels[wire.key]
        self._sizes(wire, label)
        key = wire.key
        room = self.room
        if not (label.value_size[0] or label.grad_size[0]) or not wire.isVisible():
            room.remove(key)
            label.set_rects(None, None)
            return 0.0
        best = self._best_place(wire, label, sticky=True, nudge=repair)
        if best[0] > 0.0 and repair and not self._out_of_work():
            repaired = self._repair(wire, label, best)
            if repaired is None:
                return 0.0
            best = repaired
        self._commit(key, label, best)
        return best[0]

    def _best_place(self, wire: WireItem, label: WireLabel, sticky: bool,
                    nudge: bool = True) -> Place:
        """The best place for the texts written out, or, where none is free, for their
        shape and norm (a hover or the inspector shows them in full): better than a label
        over a node or another label."""
        best = self._search(wire, label, sticky=sticky, nudge=nudge)
        if best[0] == 0.0 and not label.compact or not label.can_compact \
                or self._out_of_work():
            return best
        was = label.compact
        label.use_compact(not was)
        self._sizes(wire, label)
        other = self._search(wire, label, sticky=False, nudge=nudge)
        if other[0] < best[0] or (was and other[0] == 0.0):  # full again where room allows
            return other
        label.use_compact(was)
        self._sizes(wire, label)
        return best

    def _blocking(self, key: Any) -> list[Any]:
        """The other labels that overlap the labels of wire ``key``."""
        room = self.room
        found: list[Any] = []
        for r in room.rects.get(key, []):
            for other in room.near(r):
                if isinstance(other, tuple) and other != key and other not in found \
                        and any(overlap(r, o) for o in room.rects[other]):
                    found.append(other)
        return found

    def _commit(self, key: Any, label: WireLabel, place: Place) -> None:
        _, label.t, rects, label.shift = place
        self.room.put(key, _padded(rects))
        label.set_rects(*rects)

    def _search(self, wire: WireItem, label: WireLabel, sticky: bool,
                nudge: bool = True) -> Place:
        """(overlap cost, t, rects, shift) of the best place on the wire."""
        room = self.room
        key = wire.key
        point = _curve(wire.src.output_scene_pos(), wire.dst.input_scene_pos(wire.port))
        best: Place | None = None
        if sticky and label.t is not None:  # stay where it was if that is still free
            x, y = point(label.t)
            rects = self._rects_at(label, x, y + label.shift)
            if room.cost(_padded(rects), key, stop=0.0) == 0.0:
                return (0.0, label.t, rects, label.shift)
        # From the receiving port back to the source: the first free place wins; then, where
        # crowded, the pair nudged a little above or below the wire (still touching it).
        shifts = (0.0, *NUDGES) if nudge else (0.0,)
        for shift in shifts:
            for k in range(SAMPLES - 1, 0, -1):
                t = k / SAMPLES
                x, y = point(t)
                rects = self._rects_at(label, x, y + shift)
                if best is not None and self._out_of_work():
                    return best  # out of work for this flush: the best place so far
                cost = room.cost(_padded(rects), key, stop=best[0] if best else math.inf)
                if best is None or cost < best[0]:
                    best = (cost, t, rects, shift)
                if cost == 0.0:
                    return best
        assert best is not None
        return best

    def _repair(self, wire: WireItem, label: WireLabel, best: Place) -> Place | None:
        """No free place: move the labels in the way (they may have room elsewhere on their
        wires), take the place, put them back where they fit. Undone unless it helps.
        Returns the place to commit, or None when already committed."""
        room = self.room
        blocking = []
        for r in _padded(best[2]):
            for other in room.near(r):
                if isinstance(other, tuple) and other != wire.key and other not in blocking \
                        and any(overlap(r, o) for o in room.rects[other]):
                    blocking.append(other)
        if not blocking:
            return best
        saved = {}
        for k in blocking:
            other_label = self.labels[k]
            saved[k] = (0.0, other_label.t, (_plain(other_label.value_rect),
                                            _plain(other_label.grad_rect)), other_label.shift)
            room.remove(k)
        mine = self._search(wire, label, sticky=False)
        self._commit(wire.key, label, mine)
        total = mine[0]
        compact = {k: self.labels[k].compact for k in blocking}
        for k in blocking:
            other = self._best_place(self.scene.wire_items[k], self.labels[k], sticky=True)
            self._commit(k, self.labels[k], other)
            total += other[0]
        if total < best[0]:
            return None
        # No better: put everything back as it was.
        for k, place in saved.items():
            other_label = self.labels[k]
            if other_label.compact != compact[k]:
                other_label.use_compact(compact[k])
                self._sizes(self.scene.wire_items[k], other_label)
            self._commit(k, other_label, place)
        return best

    def overlaps(self) -> list[tuple[Any, Any]]:
        """Pairs (label key, other key) whose rectangles overlap: for tests and checks."""
        found = []
        for key, rects in self.room.rects.items():
            if not isinstance(key, tuple):
                continue
            for r in rects:
                inner = (r[0] + LABEL_PAD, r[1] + LABEL_PAD, r[2] - LABEL_PAD, r[3] - LABEL_PAD)
                for other in self.room.near(inner):
                    if other == key:
                        continue
                    if any(overlap(inner, o) for o in self.room.rects[other]):
                        found.append((key, other))
        return found
