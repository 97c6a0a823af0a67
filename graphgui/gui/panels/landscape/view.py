"""The landscape picture: the loss over the plane as a heat map with contour lines (over one
parameter, a curve), the optimizers' trajectories on top, each in its own colour, revealed
step by step for the race, and under it, when the dock has the height, each race's loss
against its step.

One class draws both the dock's plot and the headless PNG (``graphgui landscape -o``), so the
two look the same. The contour lines come computed with the landscape (in the worker
thread); this module only draws them.

Layout: the legend in the top row, the picture below it, filling the width; a map is kept
about square (its data area as tall as it is wide) and the height left over goes to the
loss-per-step plot (when it is at least STEPS_MIN pixels; else the map takes it all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRectF, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGraphicsItem, QWidget

from graphgui.core.landscape import Landscape, Scale
from graphgui.core.landscape.contours import LEVELS

from ...theme import current_theme
from ..plots.base import LEGEND_TEXT, Caption, PlotPanel
from ..plots.menus import adopt_menus
from .steps import StepsPlot, upsampled
from .texts import (
    caption,
    legend_text,
    loss_text,
    short_caption,
    tick_labels,
    widest_legend_texts,
)

# Trajectory colours: vivid, apart from each other and from the heat map's blues and greys.
OPTIMIZER_COLORS = {"sgd": "#ff5a4e", "momentum": "#ffc21a", "rmsprop": "#2fd67b",
                    "adam": "#ff4fd8"}
HALO = "#0b1020"  # under each trajectory, so it reads on light and dark cells alike
CURVE = "#264f80"  # the 1-D landscape's curve
MARKERS_UP_TO = 150  # steps of a trajectory drawn with a dot each (more: the line alone)
STEPS_MIN = 80  # pixels the loss-per-step plot needs to be shown
LINE_ASPECT = 0.62  # a 1-D landscape's height / width
EMPTY_NOTE = "Compute draws the loss here"
# Low loss deep navy, high loss pale grey: one hue, so the trajectories' colours stand out.
HEAT = ((0.0, (12, 28, 58)), (0.35, (38, 84, 128)), (0.7, (122, 158, 190)),
        (1.0, (236, 240, 244)))
BAR_TITLES = {"loss": "loss", "loss (log scale)": "loss (log)",
              "loss (log above the minimum)": "loss (log above min)"}


def heat_lut() -> np.ndarray:
    """The heat map's 256 colours, low to high loss."""
    positions, colors = zip(*HEAT, strict=True)
    cmap = pg.ColorMap(list(positions), [list(c) for c in colors])
    return cmap.getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.ubyte)


class WrappingCaption(Caption):
    """The header's caption, wrapped over as many lines as it needs (never cut short)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setSizePolicy(self.sizePolicy().horizontalPolicy(),
                           self.sizePolicy().verticalPolicy())

    def _elide(self) -> None:
        self.setText(self.full_text)


class LandscapePlot(PlotPanel):
    """Heat map (or curve), contours, trajectories, their legend and the loss per step
    (PNG and CSV buttons above)."""

    title = "Loss landscape"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wrapping = WrappingCaption(self.title)
        wrapping.setObjectName("plotCaption")
        self.header.replaceWidget(self.caption, wrapping)
        self.caption.deleteLater()
        self.caption = wrapping
        self.area.setMinimumSize(220, 200)
        self.legend = self._legend()
        # Every plot stays in the layout (and the scene), the ones not shown folded to no
        # height: an item taken out of its scene outlives the panel, and its menus with it.
        self.plot = self._plot(1)  # the map
        self.line_plot = self._plot(2)  # a 1-D landscape: loss against the parameter
        self.main = self.plot
        for plot in (self.plot, self.line_plot):
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.vb.disableAutoRange()  # the ranges are always set: no bounds to compute
        self.line_plot.setLabel("left", "loss")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(heat_lut())
        # The heat map and its contours do not change while the race runs over them: each
        # frame then paints them from a pixmap (4 ms a frame instead of 6 for 12 levels).
        self.image.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=pg.ColorMap(
            np.linspace(0, 1, 256), heat_lut()), interactive=False, width=12,
            colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.bar.axis.setTextPen(pg.mkPen(self._foreground))
        self.bar.hide()
        self.curve = pg.PlotDataItem(pen=pg.mkPen(CURVE, width=2), antialias=True)
        self.curve.setZValue(5)
        self.line_plot.addItem(self.curve)
        self.steps = StepsPlot(self._foreground)
        self.area.ci.addItem(self.steps.plot, row=3, col=0)
        for item in (self.steps.plot, self.bar):  # their menus deleted with the panel
            adopt_menus(item, self)
        self.steps_shown = True
        self.contour_items: list[pg.PlotCurveItem] = []  # the lines of the map shown
        self._contours: list[pg.PlotCurveItem] = []  # every contour item made
        self.paths: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.ScatterPlotItem]] = {}
        # The start: a ring around the current parameters, under the trajectories' heads.
        self.start = pg.ScatterPlotItem(size=15, symbol="o", pen=pg.mkPen("#ffffff", width=2.5),
                                        brush=pg.mkBrush(0, 0, 0, 90))
        self.start.setZValue(19)
        self.plot.addItem(self.start)
        self.empty = pg.TextItem(EMPTY_NOTE, color=current_theme().colors.muted,
                                 anchor=(0.5, 0.5))
        self.plot.addItem(self.empty)
        self._pool: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}
        self._legend_ready = True
        self._legend_entry: tuple[Any, float] = (None, 0.0)
        self._serial = 0  # counts the landscapes shown (the legend's widths are per one)
        self.landscape: Landscape | None = None
        self.empty_note = EMPTY_NOTE
        self.shown_steps = 0
        self.long_legend = False  # "(leaves the picture)" in the legend (the PNG has room)
        self._rect: QRectF | None = None
        self._sizer = _ResizeWatch(self._fit_rows)
        self.area.installEventFilter(self._sizer)
        for plot in (self.plot, self.line_plot):  # laid out anew: fit the rows again
            plot.vb.sigResized.connect(self._refit_later)
        self._refit_pending = False
        self.clear()

    # ---- what is shown -------------------------------------------------------------------

    def clear(self) -> None:
        """No landscape: an empty plot, no axes (nothing of the last document's ranges)."""
        self.landscape = None
        self._rect = None
        self.image.clear()
        self.bar.hide()
        self.curve.setData([], [])
        for item in self.contour_items:  # kept for the next landscape (made once)
            item.setData([], [])
        self.contour_items = []
        for halo, line, head in self.paths.values():  # kept for the next race (made once)
            for item in (halo, line, head):
                item.setData([], [])
        self.paths = {}
        self.legend.clear()
        self.steps.clear()
        self.start.setData([], [])
        self._use(self.plot)
        for side in ("bottom", "left"):
            self.plot.setLabel(side, "")
            self.plot.hideAxis(side)
        self.plot.vb.setLimits(xMin=None, xMax=None, yMin=None, yMax=None)
        self.plot.setXRange(-1, 1, padding=0)
        self.plot.setYRange(-1, 1, padding=0)
        self.empty.setPos(0, 0)
        self.empty.setVisible(bool(self.empty_note))
        self._show_steps(False)

    def reset(self) -> None:
        super().reset()
        self.clear()

    def set_empty_note(self, text: str) -> None:
        """What the empty plot says ("": nothing)."""
        self.empty_note = text
        self.empty.setText(text)
        self.empty.setVisible(bool(text) and self.landscape is None)

    def show_landscape(self, landscape: Landscape, steps: int | None = None) -> None:
        """Draw ``landscape``, its trajectories up to ``steps`` steps (None: all)."""
        self.show_surface(landscape)
        self.show_trajectories(steps)

    def show_surface(self, landscape: Landscape) -> None:
        """The heat map and contour lines (a curve on a line), the axes and the start (no
        trajectories yet: :meth:`show_trajectories` adds them, the dock in the next turn of
        the event loop, so neither part holds it long)."""
        self.clear()
        self.landscape = landscape
        self._serial += 1
        self.empty.hide()
        if landscape.dims == 1:
            self._show_curve(landscape)
        else:
            self._show_map(landscape)
        self.set_caption(short_caption(landscape))
        self.caption.setToolTip(caption(landscape))
        self._fit_rows()

    def _show_curve(self, landscape: Landscape) -> None:
        self._use(self.line_plot)
        xs, loss = landscape.axes[0], landscape.loss
        self.curve.setData(xs, loss, connect="finite")
        self.line_plot.setLabel("bottom", landscape.plane.labels[0])
        finite = loss[np.isfinite(loss)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = 0.06 * (high - low) if high > low else 0.5
        self._rect = QRectF(float(xs[0]), low - pad, float(xs[-1] - xs[0]), high - low + 2 * pad)
        self.line_plot.setXRange(float(xs[0]), float(xs[-1]), padding=0.02)
        self.line_plot.setYRange(low - pad, high + pad, padding=0)
        centre = landscape.plane.centre[0]
        self.start.setData([centre], [landscape.origin_loss],
                           pen=pg.mkPen(HALO, width=2.5))  # on the plot's pale background
        self._start_tip(landscape)

    def _show_map(self, landscape: Landscape) -> None:
        self._use(self.plot)
        for side in ("bottom", "left"):
            self.plot.showAxis(side)
        xs, ys = landscape.axes
        loss = landscape.loss
        contours = landscape.contours
        scale = contours.scale if contours is not None else Scale()
        shown = scale.forward(loss)
        finite = shown[np.isfinite(shown)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if not high > low:
            low, high = low - 0.5, high + 0.5
        fine_x, fine_y, smooth = upsampled(xs, ys, shown)
        self.image.setImage(smooth, levels=(low, high), autoLevels=False)
        fdx, fdy = fine_x[1] - fine_x[0], fine_y[1] - fine_y[0]
        rect = QRectF(xs[0] - fdx / 2, ys[0] - fdy / 2, xs[-1] - xs[0] + fdx,
                      ys[-1] - ys[0] + fdy)
        self.image.setRect(rect)
        self.bar.setLevels((low, high))
        self._bar_ticks(scale, loss, low, high)
        if contours is not None:
            # White lines over the dark valley, dark ones over the pale heights.
            light, dark = pg.mkPen(255, 255, 255, 125, width=1), pg.mkPen(12, 28, 58, 90, width=1)
            for level, segments in zip(contours.levels, contours.segments, strict=True):
                if not len(segments):
                    continue
                line = dark if (float(scale.forward(level)) - low) > 0.62 * (high - low) else light
                item = self._contour_item(len(self.contour_items))
                item.setData(segments[:, :, 0].ravel(), segments[:, :, 1].ravel(),
                             connect="pairs", pen=line)
                self.contour_items.append(item)
        labels = landscape.plane.labels
        self.plot.setLabel("bottom", labels[0])
        self.plot.setLabel("left", labels[1])
        self.plot.setXRange(rect.left(), rect.right(), padding=0)
        self.plot.setYRange(rect.top(), rect.bottom(), padding=0)
        self.plot.vb.setLimits(xMin=rect.left() - rect.width(), xMax=rect.right() + rect.width(),
                               yMin=rect.top() - rect.height(),
                               yMax=rect.bottom() + rect.height())
        self._rect = rect
        centre = landscape.plane.centre
        self.start.setData([centre[0]], [centre[1]], pen=pg.mkPen("#ffffff", width=2.5))
        self._start_tip(landscape)

    def _contour_item(self, k: int) -> pg.PlotCurveItem:
        """The k-th contour line's item: made the first time, reused after (making a dozen
        took 5 to 17 ms of the GUI thread)."""
        while len(self._contours) <= k:
            item = pg.PlotCurveItem(antialias=True)
            item.setZValue(5)
            item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            self.plot.addItem(item)
            self._contours.append(item)
        return self._contours[k]

    def _bar_ticks(self, scale: Scale, loss: np.ndarray, low: float, high: float) -> None:
        """The colour bar's round ticks (in loss values), its title, and room for both."""
        axis = self.bar.getAxis("right")
        axis.setLabel(BAR_TITLES.get(scale.label, scale.label))
        finite_loss = loss[np.isfinite(loss)]
        marks = scale.ticks(float(finite_loss.min()), float(finite_loss.max())) if (
            finite_loss.size) else []
        labels = tick_labels(marks)
        axis.setTicks([list(zip((float(v) for v in scale.forward(marks)), labels,
                                strict=True)), []])
        # Room for the widest tick label and the title (pyqtgraph's colour bar axis is 45 px
        # wide); set while shown: a hidden axis takes its width as 0.
        self.bar.show()
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        title = QFontMetrics(self.font()).height()
        axis.setWidth(max((metrics.horizontalAdvance(t) for t in labels), default=20)
                      + 12 + title)

    def _start_tip(self, landscape: Landscape) -> None:
        self.start.setToolTip(f"start: the current parameters, loss "
                              f"{loss_text(landscape.origin_loss)}")

    def _use(self, plot: pg.PlotItem) -> None:
        """Show ``plot`` (the map or the curve), fold the other."""
        if plot is not self.main:
            self.main.removeItem(self.start)
            self.main = plot
            plot.addItem(self.start)
        other = self.line_plot if plot is self.plot else self.plot
        _fold(other, True)
        _fold(plot, False)

    def show_trajectories(self, steps: int | None = None) -> None:
        """The trajectories of the landscape shown, up to ``steps`` steps (None: all)."""
        landscape = self.landscape
        if landscape is None or self.paths:
            return
        self._legend_ready = False  # columns once every entry is in (not per entry)
        for k, (name, trajectory) in enumerate(landscape.trajectories.items()):
            color = OPTIMIZER_COLORS.get(name, ("#ffffff", "#a0ffa0")[k % 2])
            halo, line, head = self._path_items(name, color)
            markers = len(trajectory.points) <= MARKERS_UP_TO + 1
            line.setSymbol("o" if markers else None)
            self.paths[name] = (halo, line, head)
            self.add_to_legend(self.legend, line, self._legend_text(name, 0))
        self._legend_ready = True
        self._fit_legend_once()
        self.steps.show_race(landscape, OPTIMIZER_COLORS)
        self._fit_rows()
        self.reveal(self.total_steps if steps is None else steps)

    def prepare(self, names: Sequence[str], dims: int) -> bool:
        """Make one contour line's or one optimizer's trajectory items ahead of their
        landscape, for a picture of ``dims`` dimensions (the dock calls this while the
        worker computes, so drawing the result creates nothing); False once all are made."""
        plot = self.plot if dims == 2 else self.line_plot
        if dims == 2 and len(self._contours) < LEVELS:
            self._contour_item(len(self._contours))  # one a tick: ~5 ms of the GUI thread
            return True
        for k, name in enumerate(names):
            color = OPTIMIZER_COLORS.get(name, ("#ffffff", "#a0ffa0")[k % 2])
            if (name, color, id(plot)) not in self._pool:
                self._path_items(name, color, plot)
                self.steps.curve(name, color)
                return True
        return False

    def _path_items(self, name: str, color: str, plot: Any = None) -> tuple[Any, Any, Any]:
        """The halo, line and head of ``name``'s trajectory in the picture shown: made the
        first time (12 items took 17 ms of the GUI thread), emptied and kept after."""
        plot = plot or self.main
        key = (name, color, id(plot))
        items = self._pool.get(key)
        if items is None:
            halo = pg.PlotDataItem(pen=pg.mkPen(HALO, width=4.5), antialias=True)
            halo.setOpacity(0.55)
            line = pg.PlotDataItem(pen=pg.mkPen(color, width=2), antialias=True, symbolSize=4,
                                   symbolPen=None, symbolBrush=pg.mkBrush(color))
            head = pg.ScatterPlotItem(size=10, symbol="o", pen=pg.mkPen(HALO, width=1.5),
                                      brush=pg.mkBrush(color))
            for z, item in ((20, halo), (21, line), (25, head)):
                item.setZValue(z)
                plot.addItem(item)
            items = self._pool[key] = (halo, line, head)
        return items

    @property
    def total_steps(self) -> int:
        """The longest trajectory's number of steps."""
        if self.landscape is None or not self.landscape.trajectories:
            return 0
        return max(len(t.points) - 1 for t in self.landscape.trajectories.values())

    def reveal(self, steps: int) -> None:
        """Show each trajectory's first ``steps`` steps (the race so far)."""
        landscape = self.landscape
        if landscape is None:
            return
        self.shown_steps = steps
        for k, (name, (halo, line, head)) in enumerate(self.paths.items()):
            points = landscape.trajectories[name].points[: steps + 1]
            xs, ys = (points[:, 0], points[:, 1]) if len(points) else ([], [])
            halo.setData(xs, ys)
            line.setData(xs, ys)
            head.setData(xs[-1:], ys[-1:])
            label = self.legend.items[k][1]
            text = self._legend_text(name, steps)
            if label.text != text:
                label.setText(text)
        self.steps.reveal(steps)

    def _legend_text(self, name: str, steps: int) -> str:
        trajectory = self.landscape.trajectories.get(name) if self.landscape else None
        outside = self.long_legend and name in self.off_plane(steps)
        return legend_text(trajectory, name, steps, outside)

    def _fit_legend_once(self) -> None:
        """Legend columns for the widest text any entry shows during the race, so the
        legend keeps its rows (and the picture its place) while the numbers change."""
        if self.landscape is None or not self.legend.items or not self._legend_ready:
            return
        key = (self._serial, self.long_legend)
        if self._legend_entry[0] != key:
            font = QFont(self.font())
            font.setPointSizeF(float(LEGEND_TEXT.removesuffix("pt")))
            metrics = QFontMetrics(font)
            texts = widest_legend_texts(self.landscape)
            if self.long_legend:
                texts = [t + " (leaves the picture)" for t in texts]
            self._legend_entry = (key, max(metrics.horizontalAdvance(t) for t in texts) + 30)
        entry = self._legend_entry[1]
        room = max(60, self.area.width() - 16)
        columns = max(1, min(len(self.legend.items), int(room // entry)))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)

    def _fit_legends(self) -> None:  # the base class's, on every resize
        self._fit_legend_once()

    def off_plane(self, steps: int | None = None) -> list[str]:
        """The optimizers whose first ``steps`` steps (None: all) leave the picture."""
        landscape, rect = self.landscape, self._rect
        if landscape is None or rect is None:
            return []
        out = []
        for name, trajectory in landscape.trajectories.items():
            points = trajectory.points if steps is None else trajectory.points[: steps + 1]
            a = points[:, 0]
            away = (a < rect.left()) | (a > rect.right())
            if landscape.dims == 2:
                b = points[:, 1]
                away |= (b < rect.top()) | (b > rect.bottom())
            if np.any(away):
                out.append(name)
        return out

    # ---- layout --------------------------------------------------------------------------

    def _fit_rows(self) -> None:
        """The picture about square (or LINE_ASPECT for a curve) at the area's width; the
        height left over to the loss-per-step plot when it is tall enough."""
        width, height = self.area.width(), self.area.height()
        legend = self.legend.boundingRect().height() + 4 if self.legend.items else 0
        main = self.main
        # The data area as tall as it is wide (LINE_ASPECT for a curve): the plot's height
        # less its data area's, plus that. Its width does not depend on the height.
        box = main.vb.geometry()
        frame = max(0.0, main.geometry().height() - box.height())
        if box.width() <= 0:  # not laid out yet
            frame, box = 60.0, QRectF(0, 0, width - 110, 0)
        aspect = 1.0 if main is self.plot else LINE_ASPECT
        want = frame + aspect * box.width()
        rest = height - legend - want - 6
        show = bool(self.landscape is not None and self.total_steps and rest >= STEPS_MIN)
        self._show_steps(show)
        main.setMinimumHeight(want if show else 0)
        main.setMaximumHeight(want if show else 1e6)
        self._fit_legend_once()

    def _refit_later(self, *_: object) -> None:
        if not self._refit_pending:
            self._refit_pending = True
            QTimer.singleShot(0, self, self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        self._fit_rows()

    def _show_steps(self, show: bool) -> None:
        if show == self.steps_shown:
            return
        self.steps_shown = show
        _fold(self.steps.plot, not show)
        if not show:
            _fold(self.main, False)

    # ---- export --------------------------------------------------------------------------

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        landscape = self.landscape
        if landscape is None:
            return [], []
        labels = landscape.plane.labels
        if landscape.dims == 1:
            columns: list[Sequence[Any]] = [landscape.axes[0], landscape.loss]
        else:
            a, b = np.meshgrid(*landscape.axes)
            columns = [a.ravel(), b.ravel(), landscape.loss.ravel()]
        header = [*labels, "loss"]
        for name, t in landscape.trajectories.items():
            header += [f"{name} step", *(f"{name} {label}" for label in labels), f"{name} loss"]
            columns += [list(range(len(t.points))), *(t.points[:, k]
                                                      for k in range(t.points.shape[1]))]
        return header, columns


def _fold(item: Any, folded: bool) -> None:
    """``item`` hidden at no height (``folded``), or shown at any height."""
    item.setVisible(not folded)
    item.setMinimumHeight(0)
    item.setMaximumHeight(0 if folded else 1e6)


class _ResizeWatch(QObject):
    """Calls ``fit`` after the watched widget is resized."""

    def __init__(self, fit: Any) -> None:
        super().__init__()
        self.fit = fit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Resize:
            self.fit()
        return False


__all__ = ["OPTIMIZER_COLORS", "LandscapePlot", "caption", "heat_lut"]
