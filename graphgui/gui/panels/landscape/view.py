"""The landscape picture: the loss over the plane as a heat map with contour lines, and the
optimizers' trajectories on top, each in its own colour, revealed step by step for the race.

One class draws both the dock's plot and the headless PNG (``graphgui landscape -o``), so the
two look the same. The contour lines come computed with the landscape (in the worker
thread); this module only draws them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QWidget

from graphgui.core.landscape import Landscape, Scale

from ..plots.base import PlotPanel

# Trajectory colours: vivid, apart from each other and from the heat map's blues and greys.
OPTIMIZER_COLORS = {"sgd": "#ff5a4e", "momentum": "#ffc21a", "rmsprop": "#2fd67b",
                    "adam": "#ff4fd8"}
HALO = "#0b1020"  # under each trajectory, so it reads on light and dark cells alike
MARKERS_UP_TO = 150  # steps of a trajectory drawn with a dot each (more: the line alone)
OFF_PLANE = "off the plane"
SQUARE_SLACK = 40  # pixels of width the colour bar takes beyond the axes' height
SMOOTH_PIXELS = 200  # the heat map is interpolated to at least this many points a side
# Low loss deep navy, high loss pale grey: one hue, so the trajectories' colours stand out.
HEAT = ((0.0, (12, 28, 58)), (0.35, (38, 84, 128)), (0.7, (122, 158, 190)),
        (1.0, (236, 240, 244)))


def heat_lut() -> np.ndarray:
    """The heat map's 256 colours, low to high loss."""
    positions, colors = zip(*HEAT, strict=True)
    cmap = pg.ColorMap(list(positions), [list(c) for c in colors])
    return cmap.getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.ubyte)


class LandscapePlot(PlotPanel):
    """Heat map, contours, trajectories and their legend (PNG and CSV buttons above)."""

    title = "Loss landscape"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.area.setMinimumSize(220, 200)
        self.legend = self._legend()
        self.plot = self._plot(1)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        # The grid spans the same -S..S in both coordinates: a square, drawn as one.
        self.plot.vb.setAspectLocked(True, ratio=1.0)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(heat_lut())
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=pg.ColorMap(
            np.linspace(0, 1, 256), heat_lut()), interactive=False, width=12,
            colorMapMenu=False)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.bar.axis.setTextPen(pg.mkPen(self._foreground))
        self.bar.hide()
        self.contour_items: list[pg.PlotCurveItem] = []
        self.paths: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem, pg.ScatterPlotItem]] = {}
        # The start: a ring around the current parameters, under the trajectories' heads.
        self.start = pg.ScatterPlotItem(size=15, symbol="o", pen=pg.mkPen("#ffffff", width=2.5),
                                        brush=pg.mkBrush(0, 0, 0, 90))
        self.start.setZValue(19)
        self.plot.addItem(self.start)
        self.landscape: Landscape | None = None
        self.shown_steps = 0
        self.long_legend = False  # "(off the plane)" in the legend (the PNG has the room)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        # The square plot beside its colour bar needs about its width in height (legend and
        # axis included): no taller, so a tall dock leaves no bands above and below it.
        header = self.caption.sizeHint().height() + 2
        self.setMaximumHeight(max(self.area.minimumHeight(), self.width() - SQUARE_SLACK) + header)
        super().resizeEvent(event)

    # ---- what is shown -------------------------------------------------------------------

    def clear(self) -> None:
        """No landscape."""
        self.landscape = None
        self.image.clear()
        self.bar.hide()
        for item in self.contour_items:
            self.plot.removeItem(item)
        self.contour_items = []
        for halo, line, head in self.paths.values():
            for item in (halo, line, head):
                self.plot.removeItem(item)
        self.paths = {}
        self.legend.clear()
        self.start.setData([], [])
        self.plot.setLabel("bottom", "")
        self.plot.setLabel("left", "")

    def reset(self) -> None:
        super().reset()
        self.clear()

    def show_landscape(self, landscape: Landscape, steps: int | None = None) -> None:
        """Draw ``landscape``, its trajectories up to ``steps`` steps (None: all)."""
        self.show_surface(landscape)
        self.show_trajectories(steps)

    def show_surface(self, landscape: Landscape) -> None:
        """The heat map, the contour lines, the axes and the start (no trajectories yet:
        :meth:`show_trajectories` adds them, the dock in the next turn of the event loop, so
        neither part holds it long)."""
        self.clear()
        self.landscape = landscape
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
        axis = self.bar.getAxis("right")
        axis.setLabel(scale.label)
        finite_loss = loss[np.isfinite(loss)]
        marks = scale.ticks(float(finite_loss.min()), float(finite_loss.max())) if (
            finite_loss.size) else []
        labels = tick_labels(marks) if marks else [
            f"{v:.4g}" for v in np.linspace(low, high, 5)]
        axis.setTicks([list(zip((float(v) for v in scale.forward(marks)), labels,
                                strict=True)), []] if marks else None)
        # Room for the widest tick label and the title (pyqtgraph's colour bar axis is 45 px
        # wide); set while shown: a hidden axis takes its width as 0.
        self.bar.show()
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        title = QFontMetrics(self.font()).height()
        axis.setWidth(max(metrics.horizontalAdvance(t) for t in labels) + 12 + title)
        if contours is not None:
            # White lines over the dark valley, dark ones over the pale heights.
            light, dark = pg.mkPen(255, 255, 255, 125, width=1), pg.mkPen(12, 28, 58, 90, width=1)
            for level, segments in zip(contours.levels, contours.segments, strict=True):
                if not len(segments):
                    continue
                line = dark if (float(scale.forward(level)) - low) > 0.62 * (high - low) else light
                item = pg.PlotCurveItem(segments[:, :, 0].ravel(), segments[:, :, 1].ravel(),
                                        connect="pairs", pen=line, antialias=True)
                item.setZValue(5)
                self.plot.addItem(item)
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
        self.start.setData([centre[0]], [centre[1]])
        self.start.setToolTip(f"start: the current parameters, loss "
                              f"{_loss_text(landscape.origin_loss)}")
        self.set_caption(caption(landscape))

    def show_trajectories(self, steps: int | None = None) -> None:
        """The trajectories of the landscape shown, up to ``steps`` steps (None: all)."""
        landscape = self.landscape
        if landscape is None or self.paths:
            return
        for k, (name, trajectory) in enumerate(landscape.trajectories.items()):
            color = OPTIMIZER_COLORS.get(name, ("#ffffff", "#a0ffa0")[k % 2])
            markers = len(trajectory.points) <= MARKERS_UP_TO + 1
            halo = pg.PlotDataItem(pen=pg.mkPen(HALO, width=4.5), antialias=True)
            halo.setOpacity(0.55)
            line = pg.PlotDataItem(
                pen=pg.mkPen(color, width=2), antialias=True,
                symbol="o" if markers else None, symbolSize=4, symbolPen=None,
                symbolBrush=pg.mkBrush(color))
            head = pg.ScatterPlotItem(size=10, symbol="o", pen=pg.mkPen(HALO, width=1.5),
                                      brush=pg.mkBrush(color))
            for z, item in ((20, halo), (21, line), (25, head)):
                item.setZValue(z)
                self.plot.addItem(item)
            self.paths[name] = (halo, line, head)
            self.add_to_legend(self.legend, line, self._legend_text(name, 0))
        self.reveal(self.total_steps if steps is None else steps)

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
            xs, ys = points[:, 0], points[:, 1]
            halo.setData(xs, ys)
            line.setData(xs, ys)
            head.setData(xs[-1:], ys[-1:])
            label = self.legend.items[k][1]
            text = self._legend_text(name, steps)
            if label.text != text:
                label.setText(text)

    def _legend_text(self, name: str, steps: int) -> str:
        trajectory = self.landscape.trajectories[name] if self.landscape else None
        if trajectory is None or not len(trajectory.points):
            return f"{name}: no finite loss"
        points = trajectory.points[: steps + 1]
        text = f"{name} {_loss_text(points[-1, 2])}"
        if self.long_legend and name in self.off_plane(steps):
            text += f" ({OFF_PLANE})"
        if trajectory.note and steps >= len(trajectory.points) - 1:
            text += " (diverged)"
        return text

    def off_plane(self, steps: int | None = None) -> list[str]:
        """The optimizers whose first ``steps`` steps (None: all) leave the grid's square."""
        landscape, rect = self.landscape, getattr(self, "_rect", None)
        if landscape is None or rect is None:
            return []
        out = []
        for name, trajectory in landscape.trajectories.items():
            points = trajectory.points if steps is None else trajectory.points[: steps + 1]
            a, b = points[:, 0], points[:, 1]
            if np.any((a < rect.left()) | (a > rect.right()) | (b < rect.top())
                      | (b > rect.bottom())):
                out.append(name)
        return out

    # ---- export --------------------------------------------------------------------------

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        landscape = self.landscape
        if landscape is None:
            return [], []
        xs, ys = landscape.axes
        a, b = np.meshgrid(xs, ys)
        header = [*landscape.plane.labels, "loss"]
        columns: list[Sequence[Any]] = [a.ravel(), b.ravel(), landscape.loss.ravel()]
        for name, t in landscape.trajectories.items():
            header += [f"{name} step", f"{name} {landscape.plane.labels[0]}",
                       f"{name} {landscape.plane.labels[1]}", f"{name} loss"]
            columns += [list(range(len(t.points))), t.points[:, 0], t.points[:, 1],
                        t.points[:, 2]]
        return header, columns


def upsampled(xs: np.ndarray, ys: np.ndarray, z: np.ndarray,
              least: int = SMOOTH_PIXELS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z`` on a finer lattice (bilinear, at least ``least`` points a side) for a smooth
    heat map; the computed points stay where they are (the ends are the same)."""
    n = len(xs)
    factor = max(1, math.ceil((least - 1) / (n - 1)))
    if factor == 1:
        return xs, ys, z
    fine = np.linspace(0, n - 1, (n - 1) * factor + 1)
    k = np.minimum(fine.astype(int), n - 2)
    w = fine - k
    rows = z[:, k] * (1 - w) + z[:, k + 1] * w  # along the first axis (columns)
    smooth = rows[k, :] * (1 - w)[:, None] + rows[k + 1, :] * w[:, None]
    return np.interp(fine, np.arange(n), xs), np.interp(fine, np.arange(n), ys), smooth


def caption(landscape: Landscape) -> str:
    """One line: what the picture shows."""
    steps = landscape.request.steps
    return (f"Loss {landscape.loss_label} over {landscape.plane.description} · "
            f"{landscape.data_note} · {steps} full-batch steps from the current parameters")


def tick_labels(values: Sequence[float]) -> list[str]:
    """The shortest labels (3 to 10 significant digits) that tell the values apart."""
    for digits in range(3, 11):
        labels = [f"{v:.{digits}g}" for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


def _loss_text(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else str(value)


__all__ = ["OPTIMIZER_COLORS", "LandscapePlot", "caption", "heat_lut"]
