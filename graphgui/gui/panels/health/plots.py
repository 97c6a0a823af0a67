"""The Health dock's ratio plot (pyqtgraph): each weight's update-to-data ratio over
training on a log axis with Karpathy's 1e-3 line; and the layers' colours.

One colour per layer (a weight takes the colour of the layer it feeds), the same as the
swatches and histograms of the dock's table (strips.py), so the plot needs no legend of its
own: a hue per kind of activation (sigmoid blue, ReLU orange, tanh green...), light for the
layers near the input and darker with depth, so "sigmoid against ReLU" and "deeper" both
read at a glance. A network's output layer (a sigmoid, mostly) takes the hue of the hidden
layers before it: the ReLU network's weights are all orange.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from graphgui.core.train.ratios import RatioHistory

from ...theme import current_theme
from ..plots.base import fast, pen
from ..plots.menus import adopt_menus

GUIDE = 1e-3  # Karpathy's update-to-data rule of thumb (makemore part 3)
GUIDE_COLOR = "#6b7380"
# Okabe-Ito hues per kind of activation; parameters feeding no listed layer are grey.
OP_HUES = {"sigmoid": "#0072b2", "relu": "#e69f00", "tanh": "#009e73",
           "leaky_relu": "#cc79a7", "softplus": "#56b4e9", "softmax": "#8c6d1f",
           "heaviside": "#555555"}
OTHER = "#8a8f98"
LIGHTEST = 0.55  # the first layer of a kind: this far from its hue towards white


class DecadeAxis(pg.AxisItem):
    """A log axis labelled ``1e-6``, ``1e-3``, ``1``: whole decades only, as many as fit
    (pyqtgraph's own writes 0.0001 and 10⁻⁶ side by side, which crowd a narrow plot)."""

    ROOM = 34  # px a label needs along the axis

    def __init__(self, orientation: str, anchor: int = 0) -> None:
        super().__init__(orientation)
        self.anchor = anchor  # a decade always labelled when in range (1, or the 1e-3 line)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802
        low, high = math.ceil(minVal), math.floor(maxVal)
        if high < low:
            return [(1.0, [float(round((minVal + maxVal) / 2))])]
        fits = max(1, int(size // self.ROOM))
        step = 1
        while (high - low) // step + 1 > fits:
            step += 1
        first = low + (self.anchor - low) % step
        return [(float(step), [float(v) for v in range(first, high + 1, step)])]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list:  # noqa: N802
        return ["1" if round(v) == 0 else f"1e{round(v)}" for v in values]


def layer_colors(ops: Sequence[str]) -> list[str]:
    """The colour of each layer (``ops`` in order): its kind's hue, lighter near the input."""
    counts: dict[str, int] = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for op in ops:
        k = seen.get(op, 0)
        seen[op] = k + 1
        n = counts[op]
        light = LIGHTEST * (1 - k / (n - 1)) if n > 1 else 0.0
        hue = QColor(OP_HUES.get(op, OTHER))
        mixed = QColor.fromRgbF(*(c + (1 - c) * light for c in
                                  (hue.redF(), hue.greenF(), hue.blueF())))
        out.append(mixed.name())
    return out


class HealthPlots:
    """The ratio plot in ``area``'s row ``row`` (the histograms are the table's rows:
    strips.py)."""

    def __init__(self, area: pg.GraphicsLayoutWidget, row: int = 1) -> None:
        colors = current_theme().colors
        self._text, self._muted = colors.text, colors.muted
        self.ratio_plot = self._plot(area, row, 0, "update / data ratio", left=True,
                                     axes={"left": DecadeAxis("left", anchor=-3)})
        self.ratio_plot.setLogMode(y=True)
        self.guide = pg.InfiniteLine(pos=math.log10(GUIDE), angle=0,
                                     pen=pen(GUIDE_COLOR, Qt.DashLine))
        self.ratio_plot.addItem(self.guide, ignoreBounds=True)
        self.notes = {"ratios": self._note(self.ratio_plot)}
        self.ratio_curves: dict[str, pg.PlotDataItem] = {}

    def _plot(self, area: pg.GraphicsLayoutWidget, row: int, col: int, title: str,
              left: bool = False, axes: dict | None = None) -> pg.PlotItem:
        """A plot titled above its data."""
        plot = area.addPlot(row=row, col=col, axisItems=axes)
        plot.setTitle(title, size="8pt", color=self._text)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pen(self._muted))
            axis.setTextPen(pen(self._text))
            axis.enableAutoSIPrefix(False)
            axis.setStyle(autoExpandTextSpace=True, autoReduceTextSpace=False,
                          tickTextOffset=2)
        if not left:
            plot.hideAxis("left")
        plot.setMenuEnabled(False)
        adopt_menus(plot, area)  # deleted with the dock (plots/menus.py)
        return plot

    def _note(self, plot: pg.PlotItem) -> pg.TextItem:
        """A line of text in the middle of an empty plot (why it is empty)."""
        note = pg.TextItem("", color=self._muted, anchor=(0.5, 0.5))
        plot.addItem(note, ignoreBounds=True)
        return note

    def _say(self, name: str, text: str, plot: pg.PlotItem, y: float | None = None) -> None:
        """``text`` centred in ``plot`` (at height ``y`` if given); "" hides it."""
        note = self.notes[name]
        note.setText(text)
        note.setVisible(bool(text))
        if text:
            (x0, x1), (y0, y1) = plot.viewRange()
            note.setPos((x0 + x1) / 2, (y0 + y1) / 2 if y is None else y)

    # ---- update-to-data ratios -------------------------------------------------------------

    def show_ratios(self, history: RatioHistory | None, shown: Sequence[str],
                    colors: dict[str, str], note: str = "") -> None:
        """The ratio of each parameter in ``shown`` per recorded epoch (gaps where it is
        undefined or 0: the log axis has no place for them)."""
        for name in list(self.ratio_curves):
            if name not in shown:
                self.ratio_plot.removeItem(self.ratio_curves.pop(name))
        epochs = history.epochs if history is not None else np.zeros(0)
        for name in shown:
            curve = self.ratio_curves.get(name)
            if curve is None:
                curve = self.ratio_curves[name] = fast(self.ratio_plot.plot())
            curve.setPen(pen(colors.get(name, OTHER)))
            values = history.ratios.get(name) if history is not None else None
            if values is None or not len(epochs):
                curve.setData([], [])
                continue
            curve.setData(epochs, np.where(values > 0, values, np.nan), connect="finite")
        empty = history is None or not len(epochs)
        if empty:  # around the guide, not blank; epochs ahead, not 0.2 ... 0.8
            self.ratio_plot.setRange(xRange=(0, 100), yRange=(-5, -1), padding=0.05)
        else:
            self.ratio_plot.enableAutoRange()
        self._say("ratios", note if empty else "", self.ratio_plot, y=-2.0)  # above 1e-3

    def plots(self) -> list[pg.PlotItem]:
        return [self.ratio_plot]
