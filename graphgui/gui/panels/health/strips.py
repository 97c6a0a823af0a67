"""The Health dock's layer table: one row per activation layer, its histograms drawn in the
row as small multiples beside its figures.

- *activations*: the histogram of the layer's values over the layer's own range (σ [0, 1],
  tanh [-1, 1], ReLU [0, R]), written at the cell's right end: a sigmoid layer's values
  fill the cell as a ReLU layer's do, instead of being squeezed into [0, 1] of [0, 20];
- *|∂L/∂A|*: the histogram of log10 |gradient| on one axis shared by every row (the decades
  any layer occupies, labelled in the column's header, a faint line at each decade), with a
  tick at the median: read down a network's rows, a sigmoid stack's gradients walk left
  layer by layer towards the input while a ReLU stack's stay in one column;
- the saturated or dead share in one form (``0.2% saturated``, ``12.5% dead (1 of 8)``
  units), in colour from :data:`WARN_SHARE`; the output's saturation (the layer feeds the
  loss, and says "(output)") in grey: a confident prediction saturates;
- the update-to-data ratio of the weight feeding the layer (given up on a narrow dock, for
  the histograms: the ratio plot beside has it).

A row's colour is its layer's (plots.layer_colors): a hue per kind of activation, so sigmoid
and ReLU rows read apart at a glance. Every cell is painted from numbers the panel puts in
the item (:class:`Strip`), so the rows, their histograms and their figures cannot drift
apart; the table is the dock's layer picker too (select rows to draw only their ratios).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QWidget,
)

from graphgui.core.health import ActivationHealth, Histogram

from ...theme import current_theme

STRIP = Qt.UserRole + 1  # the item data a histogram cell is painted from
LAYER, VALUES, GRADS, SHARE, UPDATE = range(5)
COLUMNS = ("Layer", "activations", "|∂L/∂A|", "saturated / dead", "update")
COLUMN_TIPS = (
    "The activation node and its kind (its swatch: its colour in the ratio plot); select "
    "rows to draw only their weights' ratios",
    "The histogram of the layer's values over its own range, written at the right (σ 0–1, "
    "tanh ±1, ReLU 0 to its largest value; a ReLU's zeros counted apart), scaled to its "
    "tallest bin",
    "The histogram of log10 |∂L/∂A| on one axis for every row (a faint line per decade, "
    "the ends labelled here), the tick at the median: each sigmoid layer multiplies the "
    "gradient by at most 1/4, so a sigmoid stack's walk left towards the input",
    "Saturated share (tanh, sigmoid: |tanh| > 0.97, σ < 0.03 or > 0.97) or dead units "
    "(ReLU: never > 0 over the batch), in colour from 10 %; at the output (it feeds the "
    "loss) saturation is expected and shown in grey",
    "Update-to-data ratio std(update) / std(W) of the weight feeding the layer, at the "
    "latest recorded epoch (about 1e-3 is healthy)")
MARK_COLORS = {"saturated": "#d55e00", "dead": "#0072b2"}  # the canvas bands' (marks.py)
WARN_SHARE = 0.1  # a saturated or dead share from which the table writes it in colour
MIN_STRIP = (56, 90)  # px: the narrowest activation and gradient cells
ROOMY = 190  # px: the histograms' room under which the update column gives way
STRIP_SHARE = 0.38  # of the room for histograms, the activations' (the gradients the rest)
MAX_ROW = 26  # px: rows grow to fill a tall dock, up to this
TRIM = 0.01  # the share of a layer's gradients that may fall outside the shared axis


@dataclass(frozen=True)
class Strip:
    """One histogram cell: bar heights (0..1, the tallest 1) over [x0, x1] of the cell's
    axis (0..1), a range text written at the right, the median's place (0..1) if drawn,
    the decade lines' places, a note written instead when there is nothing to draw."""

    heights: tuple[float, ...] = ()
    x0: float = 0.0
    x1: float = 1.0
    color: str = "#888888"
    label: str = ""
    median: float | None = None
    lines: tuple[float, ...] = ()
    note: str = ""


def share_text(h: ActivationHealth) -> str:
    """``0.2% saturated``, ``12.5% dead (1 of 8)`` (units), or nothing for an op with
    neither measure."""
    if h.saturated is not None:
        return f"{100 * h.saturated:.1f}% saturated"
    if h.dead is not None:
        return f"{100 * h.dead:.1f}% dead ({h.dead_units} of {h.units})"
    return ""


def layer_text(h: ActivationHealth, label: str) -> str:
    """``A1s  σ``; ``A5s  σ (output)`` for the network's output."""
    return f"{h.name}  {label}" + (" (output)" if h.at_output else "")


def value_range_text(low: float, high: float) -> str:
    """``0–1``, ``±1``, ``0–20``: the range a layer's value histogram spans."""
    if low == -high:
        return f"±{high:g}"
    return f"{low:g}–{high:g}"


def value_strip(h: ActivationHealth, color: str) -> Strip:
    counts = h.values.counts
    top = counts.max() if len(counts) else 0
    heights = tuple(float(c / top) for c in counts) if top else ()
    low, high = float(h.values.edges[0]), float(h.values.edges[-1])
    return Strip(heights, 0.0, 1.0, color, value_range_text(low, high),
                 note="" if top else "no finite value")


def grad_span(layers: list[ActivationHealth]) -> tuple[float, float]:
    """The decades (log10 |g|) the layers' gradients occupy, in whole decades, at least
    two: from the lowest to the highest of their 1st and 99th percentiles (a few outliers
    do not stretch the axis; they are drawn in the end bins); (-4, 0) when there are
    none."""
    lows, highs = [], []
    for h in layers:
        g = h.grad_magnitudes
        if g is None or not g.counts.sum():
            continue
        cumulative = np.cumsum(g.counts) / g.counts.sum()
        first = int(np.searchsorted(cumulative, TRIM))
        last = int(np.searchsorted(cumulative, 1 - TRIM))
        lows.append(float(g.edges[first]))
        highs.append(float(g.edges[min(last + 1, len(g.edges) - 1)]))
    if not lows:
        return (-4.0, 0.0)
    low, high = math.floor(min(lows) + 1e-9), math.ceil(max(highs) - 1e-9)
    if high - low < 2:
        high = low + 2
    return float(low), float(high)


def grad_strip(h: ActivationHealth, color: str, span: tuple[float, float],
               hidden: bool) -> Strip:
    low, high = span
    width = high - low
    lines = tuple((d - low) / width for d in range(int(low) + 1, int(high)))
    g = h.grad_magnitudes
    if hidden:
        return Strip(color=color, lines=lines, note="hidden")
    if g is None:
        return Strip(color=color, lines=lines, note="no gradient")
    edges, counts = g.edges, g.counts
    inside = (edges[:-1] >= low - 1e-9) & (edges[1:] <= high + 1e-9)
    part = counts[inside].astype(float)
    if len(part):  # values beyond the axis in its end bins, as the core's histograms do
        part[0] += counts[edges[1:] <= low + 1e-9].sum()
        part[-1] += counts[edges[:-1] >= high - 1e-9].sum()
    top = part.max() if len(part) else 0
    if not top:
        note = "all 0" if g.zeros else "no gradient"
        return Strip(color=color, lines=lines, note=note)
    first = float(edges[:-1][inside][0])
    last = float(edges[1:][inside][-1])
    median = min(1.0, max(0.0, (median_decade(g) - low) / width))
    return Strip(tuple(float(c / top) for c in part), (first - low) / width,
                 (last - low) / width, color, median=median, lines=lines)


def median_decade(g: Histogram) -> float | None:
    """log10 of the median |gradient| (the centre of its bin; exact zeros left out)."""
    total = int(g.counts.sum())
    if not total:
        return None
    k = int(np.searchsorted(np.cumsum(g.counts), total / 2))
    return float(g.centers[k])


def decade_text(d: float) -> str:
    return "1" if round(d) == 0 else f"1e{round(d)}"


class StripHeader(QHeaderView):
    """The table's header; the gradient column's names the decades at its ends."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Horizontal, parent)
        self.span = (-4.0, 0.0)
        self.setTextElideMode(Qt.ElideRight)  # "activ…" in a narrow column, not "ctivation"

    def paintSection(self, painter: QPainter, rect: QRect, index: int) -> None:  # noqa: N802
        super().paintSection(painter, rect, index)
        if index != GRADS or not rect.isValid():
            return
        fm = QFontMetrics(self.font())
        low, high = (decade_text(d) for d in self.span)
        title = fm.horizontalAdvance(COLUMNS[GRADS])
        ends = max(fm.horizontalAdvance(low), fm.horizontalAdvance(high))
        if rect.width() < title + 2 * ends + 16:
            return  # no room: the cells' decade lines and the tooltip say it
        painter.save()
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.PlaceholderText))
        inner = rect.adjusted(3, 0, -3, 0)
        painter.drawText(inner, Qt.AlignLeft | Qt.AlignVCenter, low)
        painter.drawText(inner, Qt.AlignRight | Qt.AlignVCenter, high)
        painter.restore()


class StripDelegate(QStyledItemDelegate):
    """Paints a :class:`Strip` (an item's ``STRIP`` data) as bars in its cell."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        strip = index.data(STRIP)
        if not isinstance(strip, Strip):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PE_PanelItemViewItem, opt, painter, widget)
        painter.save()
        painter.setRenderHint(QPainter.Antialiasing, False)
        muted = QColor(current_theme().colors.muted)
        box = QRectF(opt.rect).adjusted(3, 2, -3, -2)
        if strip.label:
            painter.setFont(opt.font)
            painter.setPen(muted)
            fm = QFontMetrics(opt.font)
            room = fm.horizontalAdvance(strip.label) + 4
            painter.drawText(box, Qt.AlignRight | Qt.AlignVCenter, strip.label)
            box.setRight(box.right() - room)
        # One-pixel lines as filled rectangles: ~20x cheaper than drawLine with a pen.
        faint = QColor(muted)
        faint.setAlpha(70)
        top, height = int(box.top()), int(box.height())
        for x in strip.lines:
            painter.fillRect(QRect(round(box.left() + x * box.width()), top, 1, height), faint)
        base = QColor(muted)
        base.setAlpha(110)
        painter.fillRect(QRect(int(box.left()), int(box.bottom()) + 1, int(box.width()), 1), base)
        if strip.note:
            painter.setFont(opt.font)
            painter.setPen(muted)
            painter.drawText(box, Qt.AlignCenter, strip.note)
        elif strip.heights:
            self._bars(painter, box, strip)
        painter.restore()

    @staticmethod
    def _bars(painter: QPainter, box: QRectF, strip: Strip) -> None:
        n = len(strip.heights)
        left = box.left() + strip.x0 * box.width()
        step = (strip.x1 - strip.x0) * box.width() / n
        bottom = box.bottom() + 1
        tall = box.height()
        outline = QPolygonF()
        outline.append(QPointF(left, bottom))
        for k, hgt in enumerate(strip.heights):
            y = bottom - (max(hgt * tall, 1.0) if hgt > 0 else 0.0)
            outline.append(QPointF(left + k * step, y))
            outline.append(QPointF(left + (k + 1) * step, y))
        outline.append(QPointF(left + n * step, bottom))
        color = QColor(strip.color)
        fill = QColor(color)
        fill.setAlpha(150)
        path = QPainterPath()
        path.addPolygon(outline)
        painter.setPen(QPen(color, 1))
        painter.setBrush(fill)
        painter.drawPath(path)
        if strip.median is not None:
            x = round(box.left() + strip.median * box.width()) - 1
            painter.fillRect(QRect(x, int(box.top()), 2, int(bottom - box.top()) + 1),
                             color.darker(170))


class HealthTable(QTableWidget):
    """The layers, one a row (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setObjectName("healthTable")
        self.strip_header = StripHeader(self)
        self.setHorizontalHeader(self.strip_header)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        small = self.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        self.setFont(small)
        header = self.horizontalHeader()
        header.setFont(small)
        header.setSectionsClickable(False)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(20)
        for col in (LAYER, SHARE, UPDATE):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        for col in (VALUES, GRADS):
            header.setSectionResizeMode(col, QHeaderView.Fixed)
        header.setDefaultAlignment(Qt.AlignCenter)
        self.min_row = QFontMetrics(small).height() + 1
        self.verticalHeader().setMinimumSectionSize(self.min_row)
        self.verticalHeader().setDefaultSectionSize(self.min_row)
        self.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        delegate = StripDelegate(self)
        for col in (VALUES, GRADS):
            self.setItemDelegateForColumn(col, delegate)
        for col, tip in enumerate(COLUMN_TIPS):
            self.horizontalHeaderItem(col).setToolTip(tip)

    def set_span(self, span: tuple[float, float]) -> None:
        if span != self.strip_header.span:
            self.strip_header.span = span
            self.strip_header.viewport().update()

    def fit(self) -> None:
        """The histograms share the width the text columns leave; the rows share the
        height (between one line of text and :data:`MAX_ROW` px)."""
        header = self.horizontalHeader()
        width = self.viewport().width()
        text = sum(header.sectionSize(c) for c in (LAYER, SHARE))
        update = self.sizeHintForColumn(UPDATE) if self.rowCount() else 0
        update = max(update, header.sectionSizeHint(UPDATE))
        narrow = width - text - update < ROOMY
        if self.isColumnHidden(UPDATE) != narrow:
            self.setColumnHidden(UPDATE, narrow)
        if not narrow:
            text += header.sectionSize(UPDATE)
        room = max(0, width - text)
        values = max(MIN_STRIP[0], int(room * STRIP_SHARE))
        grads = max(MIN_STRIP[1], room - values)
        if header.sectionSize(VALUES) != values:
            header.resizeSection(VALUES, values)
        if header.sectionSize(GRADS) != grads:
            header.resizeSection(GRADS, grads)
        rows = self.rowCount()
        if rows:
            tall = self.viewport().height() // rows
            size = max(self.min_row, min(MAX_ROW, tall))
            if self.verticalHeader().defaultSectionSize() != size:
                self.verticalHeader().setDefaultSectionSize(size)

    def needed_height(self) -> int:
        """The height that shows every row at one line of text."""
        return (self.horizontalHeader().height() + self.rowCount() * self.min_row
                + 2 * self.frameWidth())

    def resizeEvent(self, event: object) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self.fit()
