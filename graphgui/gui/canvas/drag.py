"""What dragging nodes repaints: along the moved wires, not their boxes.

A wire's bounding rect is the box around its curve, and Qt repaints a moved item's whole old
and new box. In the tangled stress graph (each node wired to any of the 80 before it) the
wires of one dragged node are boxes as tall as the viewport: every mouse move repainted the
hundreds of wires, nodes and labels inside them, none of which had changed. While nodes are
dragged, a moved wire keeps a box that only changes when the curve leaves it (it is made
``GROW_PX`` larger on each side), and each move repaints a chain of small rectangles along
its old curve and along its new one instead. Each rectangle holds the control points of one
piece of the cubic (a Bezier piece lies inside their hull), widened by the wire's margin,
so every pixel the wire drew or draws is repainted; the drawing itself is unchanged.

Only where the scene draws items as they are (zoom >= SUMMARY_ZOOM): zoomed out, the view
writes names over the nodes and the overview draws wires as lines, so wires keep their
plain repaint there (and in the overview a moved node repaints the viewport, overview.py).
Only for a few nodes at once (their wires at most MAX_WIRES): the boxes of many moved wires
cover most of the view anyway, and their pieces only added work (a 41-node drag went from
10 to 14 ms a move). When the drag ends each wire gets its tight box back (one repaint of
the box it had). Tests compare the screen with a full repaint after every move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF

from .summary import SUMMARY_ZOOM

if TYPE_CHECKING:
    from .wire_item import WireItem

WIRE_MARGIN = 3.0  # scene units around a wire's curve in its bounding rect (pen and antialiasing)
EDGE_PX = 2.0  # and a little more on screen, for the wider pens (step, path) zoomed out
PIECE_PX = 192.0  # about this many pixels of the curve (|dx| + |dy|) per repainted rectangle
MAX_PIECES = 24
GROW_PX = 160.0  # a moved wire's box is this much larger on each side, in pixels
MAX_WIRES = 48  # dragging nodes with more wires than this: the plain repaint (measured)


def curve_boxes(p1: QPointF, p2: QPointF, pad: float, pieces: int) -> list[QRectF]:
    """Rectangles that together cover the wire's curve from p1 to p2 (wire_item.wire_path),
    each the box of one of ``pieces`` equal pieces of the cubic (its control points: the
    piece lies inside their hull), ``pad`` wider on every side."""
    x1, y1, x2, y2 = p1.x(), p1.y(), p2.x(), p2.y()
    dx = max(30.0, abs(x2 - x1) * 0.5)
    c1x, c2x = x1 + dx, x2 - dx
    mx, my = c2x - c1x, y2 - y1  # the middle control leg; the end legs are (dx, 0)

    def at(t: float) -> tuple[float, float, float, float]:
        u = 1.0 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        e, f, g = 3 * u * u, 6 * u * t, 3 * t * t  # the derivative's weights
        return (a * x1 + b * c1x + c * c2x + d * x2, (a + b) * y1 + (c + d) * y2,
                (e + g) * dx + f * mx, f * my)

    h = 1.0 / pieces
    third = h / 3.0
    boxes = []
    x0, y0, dx0, dy0 = at(0.0)
    for k in range(1, pieces + 1):
        x3, y3, dx3, dy3 = at(k * h)
        xa, ya = x0 + third * dx0, y0 + third * dy0  # the piece's inner control points
        xb, yb = x3 - third * dx3, y3 - third * dy3
        left, right = min(x0, xa, xb, x3) - pad, max(x0, xa, xb, x3) + pad
        top, bottom = min(y0, ya, yb, y3) - pad, max(y0, ya, yb, y3) + pad
        boxes.append(QRectF(left, top, right - left, bottom - top))
        x0, y0, dx0, dy0 = x3, y3, dx3, dy3
    return boxes


class DragRepaint:
    """The moved wires of the drag in progress (see the module docstring). Owned by the
    CanvasState; the scene calls begin() when nodes are pressed and end() on release."""

    def __init__(self, state: Any) -> None:
        self.state = state  # CanvasState: lod is the zoom of the last paint
        self.active = False
        self._moved: dict[int, WireItem] = {}  # by id(): the wires with a drag box

    def begin(self, nodes: list[Any]) -> None:
        """``nodes`` are pressed and may be dragged. Many wires at once repaint as before:
        their boxes cover most of the view anyway, and the pieces would only add work."""
        self.active = sum(len(n.wires_in) + len(n.wires_out) for n in nodes) <= MAX_WIRES

    def end(self) -> None:
        """Give every moved wire its tight box back."""
        self.active = False
        moved, self._moved = self._moved, {}
        for wire in moved.values():
            wire.trace = []
            if wire.scene() is not None:
                wire.set_bounds(tight_bounds(wire.path.controlPointRect()))

    def reset(self) -> None:
        """The scene drops every item (a new graph): nothing to give back."""
        self.active = False
        self._moved = {}

    def forget(self, wire: WireItem) -> None:
        """The wire leaves the scene."""
        self._moved.pop(id(wire), None)

    def path_changed(self, wire: WireItem, p1: QPointF, p2: QPointF, bounds: QRectF
                     ) -> QRectF | None:
        """The wire's curve now runs from p1 to p2 (``bounds``: its tight box). Returns the
        bounding rect the wire must take (Qt repaints its old and new box), or None when it
        keeps its box and the repaint along the old and new curve has been asked for."""
        lod = self.state.lod
        scene = wire.scene()
        if not self.active or lod < SUMMARY_ZOOM or scene is None \
                or getattr(scene, "overview", False):
            self._moved.pop(id(wire), None)
            wire.trace = []
            return bounds
        pad = WIRE_MARGIN + EDGE_PX / lod
        size = (abs(p2.x() - p1.x()) + abs(p2.y() - p1.y())) * lod
        pieces = min(MAX_PIECES, 1 + int(size / PIECE_PX))
        trace = curve_boxes(p1, p2, pad, pieces)
        if id(wire) in self._moved and wire.boundingRect().contains(bounds):
            update = scene.update
            old = wire.trace
            if len(old) == len(trace):  # piece by piece: about as much area, half the rects
                for before, now in zip(old, trace, strict=True):
                    update(before.united(now))
            else:
                for rect in old:
                    update(rect)
                for rect in trace:
                    update(rect)
            wire.trace = trace
            return None
        # The first move of this wire, or it left its box: a box larger on every side, so
        # the next moves stay inside it.
        self._moved[id(wire)] = wire
        wire.trace = trace
        grow = GROW_PX / lod
        return bounds.adjusted(-grow, -grow, grow, grow)


def repaint_overview(item: Any) -> None:
    """``item`` moved: far zoomed out the scene draws every node and wire itself (the items
    draw nothing, so Qt repaints nothing for them), and the view writes names over them:
    repaint the viewport, or the moved node stays where it was on screen."""
    scene = item.scene()
    if scene is not None and getattr(scene, "overview", False):
        scene.update()


def tight_bounds(control_rect: QRectF) -> QRectF:
    """A wire's bounding rect outside a drag: its curve's control points plus the margin."""
    m = WIRE_MARGIN
    return control_rect.adjusted(-m, -m, m, m)


__all__ = ["DragRepaint", "curve_boxes", "repaint_overview", "tight_bounds"]
