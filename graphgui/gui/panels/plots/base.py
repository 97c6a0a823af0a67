"""What every training plot shares: a header (caption, its own toggles, PNG/CSV export) over a
pyqtgraph area, growing series, compact legends outside the data, an "out of date" note.

Plots are fed from the GUI thread only: the training runner drains the worker's buffer with a
~30 Hz timer and calls ``append``/``set_prediction``; each plot then redraws at most once per
drain (``refresh``). Curves are drawn with 1 px pens (wider pens are ~10x slower) and long
ones with peak downsampling and clip-to-view (shared/design/practices.md).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...atomic import write_bytes, write_text
from ...theme import current_theme
from .menus import adopt_menus

# Colour-blind-safe curve colours (Okabe-Ito).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
           "#f0e442")
CLASS_COLORS = ("#d7301f", "#2166ac", "#1a9850", "#762a83", "#e08214")
LEGEND_TEXT = "8pt"
STALE_OPACITY = 0.45  # how an out-of-date plot is dimmed


def pen(color: str, style: Qt.PenStyle = Qt.SolidLine) -> Any:
    return pg.mkPen(color=color, width=1, style=style)


def fast(item: pg.PlotDataItem) -> pg.PlotDataItem:
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    return item


class Series:
    """A growing float array (amortised appends, no list -> array copy per frame)."""

    def __init__(self) -> None:
        self._data = np.empty(256)
        self.n = 0

    def extend(self, values: Sequence[float]) -> None:
        k = len(values)
        if self.n + k > len(self._data):
            grown = np.empty(max(2 * len(self._data), self.n + k))
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n : self.n + k] = values
        self.n += k

    @property
    def values(self) -> np.ndarray:
        return self._data[: self.n]

    def clear(self) -> None:
        self.n = 0


class CompactSample(ItemSample):
    """A legend sample 16 x 10 px (pyqtgraph's is 20 x 20): a short line or a small symbol."""

    W, H = 16, 10

    def __init__(self, item: Any) -> None:
        super().__init__(item)
        self.setFixedWidth(self.W)
        self.setFixedHeight(self.H)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt)
        return QRectF(0, 0, self.W, self.H)

    def paint(self, p: Any, *args: Any) -> None:
        item = self.item
        opts = item.opts
        if not isinstance(item, pg.ScatterPlotItem) and opts.get("pen") is not None:
            p.setPen(pg.mkPen(opts["pen"]))
            p.drawLine(0, self.H // 2, self.W, self.H // 2)
        symbol = opts.get("symbol")
        if symbol is not None:
            sopts = item.scatter.opts if isinstance(item, pg.PlotDataItem) else opts
            p.translate(self.W / 2, self.H / 2)
            drawSymbol(p, symbol, min(sopts["size"], 8), pg.mkPen(sopts["pen"]),
                       pg.mkBrush(sopts["brush"]))


class Caption(QLabel):
    """A one-line caption that shortens itself with "…" instead of widening its dock (the
    whole text is its tooltip)."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setMinimumWidth(40)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.ElideRight,
                                                   max(0, self.width())))



def write_png(widget: QWidget, path: str) -> None:
    """What ``widget`` shows, as a PNG written atomically (raises OSError)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    if not widget.grab().save(buffer, "PNG"):
        raise OSError(f"cannot write {path}: the picture cannot be encoded as PNG")
    buffer.close()
    write_bytes(path, bytes(data.data()))


class PlotPanel(QWidget):
    """Header (title, controls, PNG/CSV) over a GraphicsLayoutWidget; subclasses fill it.

    Legends sit in their own row above the plots (never over the data), with as many
    columns as the width allows."""

    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        colors = current_theme().colors
        self.header = QHBoxLayout()
        self.header.setContentsMargins(6, 2, 6, 0)
        self.caption = Caption(self.title)
        self.caption.setObjectName("plotCaption")
        self.header.addWidget(self.caption, 1)
        self.controls = QHBoxLayout()
        self.header.addLayout(self.controls)
        self.png_button = self._button("PNG", "Save this plot as a PNG image", self._ask_png)
        self.csv_button = self._button("CSV", "Save this plot's data as CSV", self._ask_csv)
        self.area = pg.GraphicsLayoutWidget()
        self.area.setBackground(colors.node_fill)
        self.area.setMinimumSize(140, 120)  # a 1280 px window keeps room for two columns
        self.area.ci.layout.setContentsMargins(2, 2, 6, 2)
        self.area.ci.layout.setVerticalSpacing(2)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(self.header)
        box.addWidget(self.area, 1)
        self._foreground = colors.text
        self._dirty = False
        self.legends: list[pg.LegendItem] = []
        self.stale = ""  # why the plot no longer shows the graph ("" when it does)
        self.dimmed = False  # drawn pale for it (not for a note such as a restored epoch)
        self.caption_text = self.title  # the caption without the stale note
        self.save_dir = ""

    def _button(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.header.addWidget(button)
        return button

    def _plot(self, row: int = 1, xlabel: str = "", ylabel: str = "",
              grid: bool = False) -> pg.PlotItem:
        """A plot in ``row`` of the area (row 0 is for the legend). ``grid``: light grid
        lines, for plots that are not redrawn live: pyqtgraph draws an axis grid at ~3 ms
        a plot per frame, three times the cost of the curves."""
        plot = self.area.addPlot(row=row, col=0)
        adopt_menus(plot, self)  # deleted with the panel (menus.py)
        plot.hideButtons()  # pyqtgraph's "A" (auto-range) button, shown after a click
        if grid:
            plot.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pen(current_theme().colors.muted))
            axis.setTextPen(pen(self._foreground))
            axis.enableAutoSIPrefix(False)  # no "(x0.001)" on a loss axis
            # The axis makes room for its widest tick label and its title, so the two never
            # overlap; it only grows (a live curve whose labels narrow does not re-lay out
            # the plot on every frame).
            axis.setStyle(autoExpandTextSpace=True, autoReduceTextSpace=False)
        if xlabel:
            plot.setLabel("bottom", xlabel)
        if ylabel:
            plot.setLabel("left", ylabel)
        return plot

    def _legend(self) -> pg.LegendItem:
        """A legend in the area's top row, outside every plot's data."""
        legend = pg.LegendItem(labelTextColor=self._foreground, frame=False,
                               labelTextSize=LEGEND_TEXT, horSpacing=3, verSpacing=-4,
                               sampleType=CompactSample, colCount=4)
        # Its own size, at the left, in a row that takes no more height than it needs.
        legend.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)
        legend.layout.setContentsMargins(0, 0, 0, 0)
        self.area.ci.addItem(legend, row=0, col=0)
        self.area.ci.layout.setAlignment(legend, Qt.AlignLeft | Qt.AlignVCenter)
        self.area.ci.layout.setRowStretchFactor(0, 0)
        self.legends.append(legend)
        return legend

    def add_to_legend(self, legend: pg.LegendItem, item: Any, name: str) -> None:
        legend.addItem(item, name)
        label = legend.items[-1][1]
        label.item.document().setDocumentMargin(1)  # 4 px around each name by default
        label.updateMin()
        label.setMaximumHeight(label.minimumHeight())
        self._fit_legends()

    def _fit_legends(self) -> None:
        """As many legend columns as fit the width (fewer rows, less height taken)."""
        room = max(60, self.area.width() - 16)
        for legend in self.legends:
            if not legend.items:
                continue
            entry = max(s.width() + lab.item.boundingRect().width() + 6
                        for s, lab in legend.items)
            columns = max(1, min(len(legend.items), int(room // max(entry, 1))))
            legend.setColumnCount(columns)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit_legends()

    # ---- what is shown -------------------------------------------------------------------

    def set_caption(self, text: str) -> None:
        self.caption_text = text
        self._show_caption()

    def set_stale(self, reason: str, dim: bool = True) -> None:
        """Mark the plot out of date (dimmed, the reason in the caption); "" clears it.
        ``dim=False``: a note in the caption only (the graph holds a restored epoch of the
        run shown: the plot is right, only not at its end)."""
        if reason == self.stale and dim == self.dimmed:
            return
        self.stale = reason
        self.dimmed = bool(reason) and dim
        self.area.ci.setOpacity(STALE_OPACITY if self.dimmed else 1.0)
        self._show_caption()

    def _show_caption(self) -> None:
        text = self.caption_text
        self.caption.set_full_text(f"{text} · {self.stale}" if self.stale else text)

    def reset(self) -> None:
        """Empty, for another graph: no data, no epoch in the caption, not stale, both axes
        of the epoch plots free again (the last run's 0-10000 epochs and its loss scale
        would stay otherwise: autorange over no data keeps any range)."""
        self.set_stale("")
        self.set_caption(self.title)
        for plot in self._epoch_plots():
            plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)  # a fresh plot's
            plot.enableAutoRange(x=True, y=True)

    # ---- export --------------------------------------------------------------------------

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        """(header, columns) of the data shown; columns may differ in length."""
        return [], []

    def export_csv(self, path: str) -> None:
        """The data as CSV, written atomically (raises OSError: a WriteError)."""
        header, columns = self.table()
        rows = max((len(c) for c in columns), default=0)
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for i in range(rows):
            writer.writerow([_cell(c[i]) if i < len(c) else "" for c in columns])
        write_text(path, text.getvalue())

    def export_png(self, path: str) -> None:
        """The plot as a PNG, written atomically (raises OSError: a WriteError)."""
        self.refresh()
        write_png(self.area, path)

    def _ask(self, kind: str) -> str:
        name = self.title.lower().replace(" ", "_") or "plot"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export {self.title} as {kind.upper()}", f"{name}.{kind}",
            f"{kind.upper()} files (*.{kind})")
        return path

    def _ask_png(self) -> None:
        path = self._ask("png")
        if path:
            self._report(self.export_png, path)

    def _ask_csv(self) -> None:
        path = self._ask("csv")
        if path:
            self._report(self.export_csv, path)

    def _report(self, fn: Any, path: str) -> None:
        window = self.window()
        try:
            fn(path)
        except OSError as exc:
            message = f"Could not export {self.title}: {exc.strerror or exc}"
        else:
            message = f"Exported {self.title} to {path}"
        if hasattr(window, "show_message"):
            window.show_message(message)

    # ---- redrawing -----------------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """True when new data waits for :meth:`refresh`."""
        return self._dirty

    def refresh(self) -> bool:
        """Push pending data into the items; True when there was any."""
        dirty, self._dirty = self._dirty, False
        return dirty

    def set_epochs(self, first: int, last: int) -> None:
        """Fix the epoch axis to the run ahead: a growing axis re-lays out every frame."""
        for plot in self._epoch_plots():
            plot.setXRange(first, max(last, first + 1), padding=0.01)
            plot.enableAutoRange(x=False)

    def _epoch_plots(self) -> list[Any]:
        return []

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        self.refresh()  # a tab brought forward shows what arrived while it was hidden


def _cell(x: Any) -> Any:
    if isinstance(x, float | np.floating):
        return repr(float(x)) if math.isfinite(x) else ("nan" if x != x else str(float(x)))
    return x


def blank(values: np.ndarray) -> list[Any]:
    """Floats for a CSV column, "" where not measured (nan)."""
    return ["" if v != v else float(v) for v in values]
