"""Under the landscape: each race's loss against its step, in the trajectories' colours,
revealed with the race (the loss the legend gives is the end of each curve). And the heat
map's smoothing (:func:`upsampled`).

Redrawn every frame of the race: 1 px pens and no grid (a grid and 1.5 px pens took 8 of
the 14 ms a frame of the picture took to paint, 4 x 500 steps)."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from graphgui.core.landscape import Landscape, Scale

from ...theme import current_theme
from ..plots.base import pen
from .texts import tick_labels

LOG_RATIO = 30.0  # positive losses whose largest / smallest is over this: a log axis
MOST_LOG_TICKS = 4  # a log axis's labels at most (the plot is ~100 px tall)
SMOOTH_PIXELS = 200  # the heat map is interpolated to at least this many points a side


class StepsPlot:
    """A PlotItem (not in any layout until the picture puts it in one) and its curves."""

    def __init__(self, foreground: str) -> None:
        self.plot = pg.PlotItem()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        for side in ("left", "bottom"):
            axis = self.plot.getAxis(side)
            axis.setPen(pen(current_theme().colors.muted))
            axis.setTextPen(pen(foreground))
            axis.enableAutoSIPrefix(False)
            axis.setStyle(autoExpandTextSpace=True, autoReduceTextSpace=False)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._pool: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.plot.vb.disableAutoRange()  # the ranges are always set
        self.landscape: Landscape | None = None

    def clear(self) -> None:
        for curve in self.curves.values():  # kept for the next race (made once)
            curve.setData([], [])
        self.curves = {}
        self.landscape = None

    def show_race(self, landscape: Landscape, colors: dict[str, str]) -> None:
        """A curve per optimizer (empty until :meth:`reveal`), the axes fixed to the whole
        race (so they do not move while it runs)."""
        self.clear()
        self.landscape = landscape
        losses = [t.losses for t in landscape.trajectories.values() if len(t.points)]
        finite = np.concatenate(losses) if losses else np.empty(0)
        finite = finite[np.isfinite(finite)]
        log = bool(finite.size and finite.min() > 0
                   and finite.max() / finite.min() > LOG_RATIO)
        self.plot.setLogMode(y=log)
        for k, name in enumerate(landscape.trajectories):
            color = colors.get(name, ("#888888", "#44aa44")[k % 2])
            self.curves[name] = self.curve(name, color)
        steps = max((len(t.points) - 1 for t in landscape.trajectories.values()), default=0)
        self.plot.setXRange(0, max(steps, 1), padding=0.02)
        axis = self.plot.getAxis("left")
        axis.setTicks(None)  # pyqtgraph's own on a linear axis
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            if log:
                axis.setTicks([log_ticks(low, high), []])
                low, high = math.log10(low), math.log10(high)
            pad = 0.05 * (high - low) if high > low else 0.5
            self.plot.setYRange(low - pad, high + pad, padding=0)

    def curve(self, name: str, color: str) -> pg.PlotDataItem:
        """``name``'s curve: made the first time, kept after."""
        curve = self._pool.get((name, color))
        if curve is None:
            curve = pg.PlotDataItem(pen=pg.mkPen(color, width=1), antialias=True)
            self.plot.addItem(curve)
            self._pool[(name, color)] = curve
        return curve

    def reveal(self, steps: int) -> None:
        landscape = self.landscape
        if landscape is None:
            return
        for name, curve in self.curves.items():
            losses = landscape.trajectories[name].losses[: steps + 1]
            curve.setData(np.arange(len(losses)), losses)


def log_ticks(low: float, high: float, most: int = MOST_LOG_TICKS) -> list[tuple[float, str]]:
    """Round losses to label a log axis from ``low`` to ``high`` (the colour bar's: powers of
    ten, and 2 and 5 times them when few fit), every k-th when more than ``most``:
    pyqtgraph's own put 0.3, 0.2, 0.1, 0.05, 0.03 on top of each other in a short plot."""
    marks = [m for m in Scale(log=True).ticks(low, high) if m > 0]
    step = max(1, math.ceil(len(marks) / most))
    marks = marks[::step]
    return list(zip((math.log10(m) for m in marks), tick_labels(marks), strict=True))


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


__all__ = ["StepsPlot", "log_ticks", "upsampled"]
