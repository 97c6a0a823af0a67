"""Network health on the canvas: a band along the bottom of each activation node, filled by
its saturated share (tanh, sigmoid) or dead share (relu), the figure in its tooltip; a
closed function whose activations are hidden inside gets the band of its worst one.

The band is drawn at every zoom, at least 4 screen pixels high: inside the bottom of the
box while the node writes its own texts; zoomed out, where the view writes the names over
the boxes (and far out draws the nodes in one batch over the items), just under the box,
where neither covers it. Its empty track is outlined in grey, quiet but visible: measured,
and that much is healthy. The network's output (an
activation feeding the loss) is filled in neutral grey, not in a warning colour: a
confident classifier's output saturates.

The band is a child item of the node's (or function's) item, so it moves, hides and goes
with it; it takes no clicks or hovers (the node under it keeps its gestures and cursor).
Nothing is drawn while View > Show Network Health is off (the default), so pictures and
exports of the canvas stay as they were.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from graphgui.core.graph import Graph, node_label
from graphgui.core.health import (
    DYING,
    SATURATING,
    SIGMOID_HIGH,
    SIGMOID_LOW,
    TANH_SATURATED,
    output_activations,
    sample_axis_of,
    shares,
)

from ...canvas.function_items import FunctionItem
from ...canvas.node_item import RADIUS, NodeItem
from ...canvas.summary import SUMMARY_ZOOM

if TYPE_CHECKING:
    from ...shell import Shell

Figures = tuple  # (share, kind, tooltip line, at the output: bool)

# Okabe-Ito vermillion and blue: told apart with every kind of colour vision.
COLORS = {"saturated": "#d55e00", "dead": "#0072b2"}
EXPECTED = "#8a8f98"  # the output's saturated share: neutral, not a warning
BAND = 5.0  # px: the band's height (at least 4 screen pixels, however far zoomed out)
MAX_BAND = 12.0
MAX_GAP, MAX_BELOW = 10.0, 40.0  # scene px: zoomed out, the gap and band under the box
TRACK = QColor(138, 143, 152, 45)  # the empty part: measured, and that much is healthy
TRACK_EDGE = QColor(138, 143, 152, 200)  # its outline: visible on any fill, but quiet
MARKED = (SATURATING | DYING)


def describe(kind: str, op: str, share: float, dead_units: int | None = None,
             units: int | None = None, at_output: bool = False) -> str:
    """The tooltip line of a band: ``62.5% saturated (|tanh| > 0.97): ...``,
    ``25.0% dead (2 of 8 units): ...``."""
    if kind == "dead":
        count = f" ({dead_units} of {units} units)" if units else ""
        return (f"{100 * share:.1f}% dead{count}: never > 0 over the batch, no gradient "
                "passes")
    rule = (f"|tanh| > {TANH_SATURATED:g}" if op == "tanh"
            else f"σ < {SIGMOID_LOW:g} or > {SIGMOID_HIGH:g}")
    if at_output:
        return (f"{100 * share:.1f}% saturated ({rule}): expected at the output, which "
                "feeds the loss: a confident prediction sits near 0 or 1 (not a warning)")
    return f"{100 * share:.1f}% saturated ({rule}): almost no gradient passes there"


class HealthMark(QGraphicsItem):
    """The band of one node or closed function: a track, filled ``share`` of its width."""

    def __init__(self, parent: QGraphicsItem) -> None:
        super().__init__(parent)
        self.share = 0.0
        self.kind = "saturated"
        self.expected = False  # the output's: neutral grey, not a warning
        self.text = ""
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(5)
        self._place()

    def _place(self) -> None:
        r: QRectF = self.parentItem().rect
        self.band = QRectF(r.left() + RADIUS, r.bottom() - BAND - 2, r.width() - 2 * RADIUS,
                           BAND)
        self.prepareGeometryChange()
        self._bounds = self.band.adjusted(-1, BAND - MAX_BAND - 1, 1, 3 + MAX_GAP + MAX_BELOW)
        self._shape = QPainterPath()
        if isinstance(self.parentItem(), NodeItem):  # its tooltip anywhere on the node
            self._shape.addRect(r)

    def set_figures(self, share: float, kind: str, text: str, expected: bool = False) -> None:
        if self.band.width() != self.parentItem().rect.width() - 2 * RADIUS:
            self._place()  # the node was resized (renamed)
        if (share, kind, text, expected) != (self.share, self.kind, self.text, self.expected):
            self.share, self.kind, self.text, self.expected = share, kind, text, expected
            if isinstance(self.parentItem(), NodeItem):
                self.setToolTip(f"{text}\n\n{self.parentItem().tooltip_text()}")
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt)
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    @property
    def color(self) -> str:
        """The fill of the share: vermillion (saturated), blue (dead), grey (the output)."""
        return EXPECTED if self.expected else COLORS.get(self.kind, COLORS["saturated"])

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        scale = painter.worldTransform().m11() or 1.0
        band = QRectF(self.band)
        if scale < SUMMARY_ZOOM:  # the view writes the name over the box: under the box
            gap, height = min(MAX_GAP, 2.0 / scale), min(MAX_BELOW, 4.0 / scale)
            band.setTop(self.parentItem().rect.bottom() + gap)
            band.setHeight(height)
        else:
            band.setTop(band.bottom() - min(MAX_BAND, max(BAND, 4.0 / scale)))
        edge = QPen(TRACK_EDGE, 1.0)
        edge.setCosmetic(True)  # one screen pixel at any zoom
        painter.setPen(edge)
        painter.setBrush(QBrush(TRACK))
        painter.drawRoundedRect(band, 2, 2)
        if self.share > 0:
            band.setWidth(max(2.0 / scale, band.width() * min(1.0, self.share)))
            painter.setPen(QPen(Qt.NoPen))
            painter.setBrush(QBrush(QColor(self.color)))
            painter.drawRoundedRect(band, 2, 2)


class HealthMarks:
    """Keeps one band on every measured activation (and closed function holding one) of the
    shell's canvas while ``enabled``; :meth:`sync` after every change of the numbers."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.enabled = False
        self.marks: dict[str, HealthMark] = {}  # node id or "function:<id>" -> its band
        self._function_tips: dict[int, tuple[Any, str]] = {}  # id(item) -> (item, own tip)

    def scene(self) -> Any:
        """The canvas's scene (the Shell gives the canvas's viewport; its view has it)."""
        view = self.shell.canvas_viewport().parentWidget()
        return view.scene() if view is not None else None

    def set_enabled(self, on: bool) -> None:
        self.enabled = on
        self.sync()

    def clear(self) -> None:
        for mark in self.marks.values():
            if shiboken6.isValid(mark):
                scene = mark.scene()
                if scene is not None:
                    scene.removeItem(mark)
        self.marks.clear()
        for item, tip in self._function_tips.values():
            if shiboken6.isValid(item):
                item.setToolTip(tip)
        self._function_tips.clear()

    def sync(self, values: dict[str, Any] | None = None) -> None:
        """Bands for ``values`` (node id -> value; None: the batch's numbers now)."""
        scene = self.scene()
        graph = self.shell.document.graph if self.shell.document is not None else None
        if not self.enabled or scene is None or graph is None:
            self.clear()
            return
        if values is None:
            values = batch_values(self.shell)
        axis = sample_axis_of(self.shell.document.settings)
        outputs = output_activations(graph)
        found: dict[str, Figures] = {}  # node id -> (share, kind, text, at the output)
        for node in graph.nodes:
            if node.op not in MARKED or node.id not in values:
                continue
            saturated, dead = shares(node.op, values[node.id], axis)
            if saturated is None and dead is None:
                continue
            kind = "saturated" if saturated is not None else "dead"
            share = saturated if saturated is not None else dead
            units, dead_units = _units(values[node.id], axis), None
            if kind == "dead" and units:
                dead_units = round(share * units)
            expected = node.id in outputs
            found[node.id] = (share, kind, describe(kind, node.op, share, dead_units, units,
                                                    expected), expected)
        wanted: dict[str, tuple[Any, Figures]] = {}
        for nid, figures in found.items():
            item = scene.node_items.get(nid)
            if item is not None:
                wanted[nid] = (item, figures)
        for gid, item in scene.functions.items.items():
            worst = _worst(graph, item.member_ids, found)
            if worst is not None:
                wanted[f"function:{gid}"] = (item, worst)
        self._apply(wanted)

    def _apply(self, wanted: dict[str, tuple[Any, Figures]]) -> None:
        for key in list(self.marks):
            mark = self.marks[key]
            if (key not in wanted or not shiboken6.isValid(mark)
                    or mark.parentItem() is not wanted[key][0]):
                if shiboken6.isValid(mark) and mark.scene() is not None:
                    mark.scene().removeItem(mark)
                del self.marks[key]
        for key, (item, (share, kind, text, expected)) in wanted.items():
            mark = self.marks.get(key)
            if mark is None:
                mark = self.marks[key] = HealthMark(item)
            mark.set_figures(share, kind, text, expected)
            if isinstance(item, FunctionItem):
                self._tip_function(item, text)
        for key, (item, tip) in list(self._function_tips.items()):
            if not shiboken6.isValid(item) or not any(
                    w[0] is item for w in wanted.values()):
                if shiboken6.isValid(item):
                    item.setToolTip(tip)
                del self._function_tips[key]

    def _tip_function(self, item: FunctionItem, text: str) -> None:
        own = self._function_tips.setdefault(id(item), (item, item.toolTip()))[1]
        item.setToolTip(f"{text}\n\n{own}")


def _worst(graph: Graph, members: frozenset[str],
           found: dict[str, Figures]) -> Figures | None:
    """The band of a closed function: its member activation with the largest share that is
    a warning (the output's saturation is not), the output's when it is the only one."""
    inside = [(found[nid], nid) for nid in members if nid in found]
    if not inside:
        return None
    (share, kind, text, expected), nid = max(
        inside, key=lambda f: (not f[0][3], f[0][0], f[1]))
    others = len(inside) - 1
    more = f" (the worst of {len(inside)} activations inside)" if others else ""
    return share, kind, f"{node_label(graph, nid)}: {text}{more}", expected


def _units(value: Any, axis: int) -> int | None:
    import numpy as np

    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return 1
    shape = list(value.shape)
    del shape[axis if -len(shape) <= axis < len(shape) else -1]
    return int(np.prod(shape)) if shape else 1


def batch_values(shell: Shell) -> dict[str, Any]:
    """The values health reads: the batch's (a run's live numbers, or the graph's own; not
    one sample's), restricted to what a step picture has computed so far."""
    vs = shell.view_state
    ev = batch_evaluation(shell)
    values = dict(ev.values) if ev is not None else {}
    if vs.step is not None:
        values = {nid: v for nid, v in values.items() if nid in vs.step.values}
    return values


def batch_evaluation(shell: Shell) -> Any:
    """The evaluation over the whole batch: one sample shown on the canvas is one column of
    it, so health keeps reading the graph's own evaluation then."""
    vs = shell.view_state
    if getattr(vs, "sample", None) is not None:
        return vs.graph_evaluation
    return vs.evaluation
