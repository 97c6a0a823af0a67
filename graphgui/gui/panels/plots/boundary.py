"""Pictures of the model: the decision boundary of a 2-D classifier and the fit of a 1-D
regression, each with the data on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import QWidget

from .base import CLASS_COLORS, PALETTE, PlotPanel, pen


def _diverging_lut() -> np.ndarray:
    """Class 0 red, 0.5 pale, class 1 blue (the notebook's RdYlBu, softened for a background)."""
    cmap = pg.ColorMap([0.0, 0.5, 1.0], [(215, 48, 39), (250, 248, 240), (49, 104, 180)])
    lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=False)
    # Lighten towards white so the data points stay readable on top.
    return (0.55 * lut + 0.45 * 255).astype(np.ubyte)


PICK_PIXELS = 8  # how near a click must be to a point to pick it


def _epoch_caption(epoch: int, note: str) -> str:
    return f"epoch {epoch}" + (f" ({note})" if note else "")


class _PicksSamples:
    """A click on a training point asks for that sample's graph (``sample_clicked(k)``, k
    its column in the training data); the sample shown is ringed (``mark_sample``)."""

    sample_clicked: Any
    plot: Any
    area: Any

    def _pickable(self, points: pg.ScatterPlotItem) -> None:
        self.area.scene().sigMouseClicked.connect(self._on_clicked)
        self.ring = pg.ScatterPlotItem(size=16, pen=pg.mkPen("#d946ef", width=2.5),
                                       brush=pg.mkBrush(None))
        self.ring.setZValue(10)
        self.plot.addItem(self.ring)
        self._points = points

    def _on_clicked(self, event: Any) -> None:
        """The training point nearest the click, within PICK_PIXELS on screen."""
        vb = self.plot.vb
        if event.button() != Qt.LeftButton or not vb.sceneBoundingRect().contains(
                event.scenePos()):
            return
        xs, ys = self._points.getData()
        if xs is None or not len(xs):
            return
        at = vb.mapSceneToView(event.scenePos())
        sx, sy = vb.viewPixelSize()
        d2 = ((np.asarray(xs) - at.x()) / sx) ** 2 + ((np.asarray(ys) - at.y()) / sy) ** 2
        k = int(np.argmin(d2))
        if d2[k] <= PICK_PIXELS ** 2:
            event.accept()
            self.sample_clicked.emit(k)

    def mark_sample(self, index: int | None) -> None:
        """Ring training sample ``index`` (None: no ring)."""
        data = self._points.getData()
        if index is None or index >= len(data[0]):
            self.ring.setData([], [])
        else:
            self.ring.setData([data[0][index]], [data[1][index]])


class BoundaryPlot(_PicksSamples, PlotPanel):
    """The model's output over the plane (an image) with the training and test points on top
    and the decision line (where the output crosses the threshold)."""

    title = "Decision boundary"
    RESOLUTION = 120
    sample_clicked = Signal(int)  # a training point clicked: its sample's graph, please

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = self._plot(1, "x1", "x2")
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(_diverging_lut())
        self.image.setLevels((0.0, 1.0))
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.contour = pg.IsocurveItem(level=0.5, pen=pen("#404040"))
        self.contour.setParentItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#202020", width=1))
        self.test_points = pg.ScatterPlotItem(size=8, symbol="t", pen=pg.mkPen("#202020"))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self._pickable(self.train_points)
        self.grid: np.ndarray | None = None  # (2, nx * ny) in the dataset's X layout
        self.shape = (0, 0)  # (ny, nx)
        self.rect = QRectF()
        self.values: np.ndarray | None = None  # (ny, nx) shown (probabilities / classes)
        self.epoch = 0
        self.note = ""  # joins the caption: "restored" (the graph holds that epoch)
        self.sample_axis = 1
        self.levels = (0.0, 1.0)
        self.score = False
        # While the picture changes quickly the decision line waits: pyqtgraph's isocurve
        # costs ~10 ms of Python, drawn when training pauses, ends or runs slowly.
        self.live = False

    def set_data(self, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                 y_test: np.ndarray, sample_axis: int = 1, score: bool = False,
                 threshold: float = 0.5, n_classes: int = 2) -> np.ndarray:
        """Show the points (X with 2 features, integer labels) and return the probe grid."""
        self.sample_axis = sample_axis
        self.score = score
        P = X_train.T if sample_axis == 1 else X_train
        Q = X_test.T if sample_axis == 1 else X_test
        both = np.vstack([P, Q]) if len(Q) else P
        lo, hi = both.min(axis=0) - 1.0, both.max(axis=0) + 1.0  # the notebook's margin
        n = self.RESOLUTION
        xs, ys = np.linspace(lo[0], hi[0], n), np.linspace(lo[1], hi[1], n)
        xx, yy = np.meshgrid(xs, ys)  # (ny, nx), row = y
        grid = np.vstack([xx.ravel(), yy.ravel()])
        self.grid = grid if sample_axis == 1 else np.ascontiguousarray(grid.T)
        self.shape = (n, n)
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        self.rect = QRectF(lo[0] - dx / 2, lo[1] - dy / 2, hi[0] - lo[0] + dx,
                           hi[1] - lo[1] + dy)
        self.image.setRect(self.rect)
        self.n_classes = n_classes
        self.levels = (0.0, 1.0) if n_classes <= 2 else (0.0, float(n_classes - 1))
        self.contour.setLevel(0.5)
        self.train_points.setData(pos=P, brush=[pg.mkBrush(CLASS_COLORS[int(c) % 5])
                                                for c in y_train])
        self.test_points.setData(pos=Q, brush=[pg.mkBrush(CLASS_COLORS[int(c) % 5] + "90")
                                               for c in y_test])
        self.plot.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
        self.values = None
        self.image.clear()
        self.contour.setData(None)
        self.set_caption(self.title)
        return self.grid

    def reset(self) -> None:
        """No data and no model (another graph)."""
        super().reset()
        self.grid = None
        self.values = None
        self.image.clear()
        self.contour.setData(None)
        self.train_points.setData([], [])
        self.test_points.setData([], [])
        self._dirty = False

    def set_prediction(self, epoch: int, prediction: Any, note: str = "") -> None:
        """The model's output on the grid after ``epoch`` epochs; ``note`` joins the
        caption ("epoch 100 (restored)")."""
        p = np.asarray(prediction, dtype=float)
        ny, nx = self.shape
        if p.size == ny * nx:
            values = p.reshape(ny, nx)
            if self.score:
                values = 1.0 / (1.0 + np.exp(-np.clip(values, -60, 60)))
        else:  # several outputs: the predicted class
            k = p.shape[1 - self.sample_axis]
            values = np.argmax(p, axis=1 - self.sample_axis).reshape(ny, nx) / max(k - 1, 1)
        self.values = values
        self.epoch = epoch
        self.note = note
        self._dirty = True

    def set_live(self, live: bool) -> None:
        """``live``: the picture changes quickly (leave the line out); off draws it now."""
        if live != self.live:
            self.live = live
            self._dirty = self._dirty or (not live and self.values is not None)

    def refresh(self) -> bool:
        if not self._dirty or self.values is None:
            return False
        self._dirty = False
        first = self.image.image is None
        self.image.setImage(self.values, levels=(0.0, 1.0), autoLevels=False)
        if first:  # setImage keeps the rectangle of the picture it replaces
            self.image.setRect(self.rect)
        # IsocurveItem reads (x, y) order.
        self.contour.setData(None if self.live else self.values.T)
        self.set_caption(_epoch_caption(self.epoch, self.note))
        return True

    @property
    def line_drawn(self) -> bool:
        """True when the decision line is on the picture."""
        return self.contour.data is not None

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        if self.grid is None or self.values is None:
            return ["x1", "x2", "output"], []
        g = self.grid if self.sample_axis == 1 else self.grid.T
        return ["x1", "x2", "output"], [list(g[0]), list(g[1]), list(self.values.ravel())]


class FitPlot(_PicksSamples, PlotPanel):
    """A 1-D regression: the data, the target curve (when known) and the prediction."""

    title = "Fit"
    POINTS = 300
    sample_clicked = Signal(int)  # a training point clicked: its sample's graph, please

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        legend = self._legend()
        self.plot = self._plot(1, "x", "y")
        self.train_points = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(PALETTE[0] + "a0"),
                                               pen=None)
        self.test_points = pg.ScatterPlotItem(size=7, symbol="t", brush=pg.mkBrush(
            PALETTE[1] + "c0"), pen=None)
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self._pickable(self.train_points)
        self.target_curve = self.plot.plot(pen=pen(PALETTE[6], Qt.DashLine))
        self.prediction_curve = self.plot.plot(pen=pen(PALETTE[1]))
        for item, name in ((self.train_points, "train"), (self.test_points, "test"),
                           (self.target_curve, "target"),
                           (self.prediction_curve, "prediction")):
            self.add_to_legend(legend, item, name)
        self.xs = np.zeros(0)
        self.prediction = np.zeros(0)
        self.epoch = 0
        self.note = ""
        self.sample_axis = 1

    def set_data(self, X_train: np.ndarray, Y_train: np.ndarray, X_test: np.ndarray,
                 Y_test: np.ndarray, sample_axis: int = 1,
                 target: Any = None) -> np.ndarray:
        """Show the points; ``target(x)`` draws the true curve. Returns the probe line."""
        self.sample_axis = sample_axis
        flat = [np.asarray(a).ravel() for a in (X_train, Y_train, X_test, Y_test)]
        self.train_points.setData(flat[0], flat[1])
        self.test_points.setData(flat[2], flat[3])
        both = np.concatenate([flat[0], flat[2]])
        self.xs = np.linspace(both.min(), both.max(), self.POINTS)
        if target is not None:
            self.target_curve.setData(self.xs, target(self.xs))
        else:
            self.target_curve.setData([], [])
        self.prediction_curve.setData([], [])
        self.prediction = np.zeros(0)
        self.set_caption(self.title)
        return self.xs.reshape(1, -1) if sample_axis == 1 else self.xs.reshape(-1, 1)

    def reset(self) -> None:
        super().reset()
        self.xs = np.zeros(0)
        self.prediction = np.zeros(0)
        for item in (self.train_points, self.test_points, self.target_curve,
                     self.prediction_curve):
            item.setData([], [])
        self._dirty = False

    def set_prediction(self, epoch: int, prediction: Any, note: str = "") -> None:
        self.prediction = np.asarray(prediction, dtype=float).ravel()
        self.epoch = epoch
        self.note = note
        self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty:
            return False
        self._dirty = False
        if self.prediction.size == self.xs.size:
            self.prediction_curve.setData(self.xs, self.prediction)
        self.set_caption(_epoch_caption(self.epoch, self.note))
        return True

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        _, target = self.target_curve.getData()
        cols = [list(self.xs), list(target) if target is not None else [],
                list(self.prediction)]
        return ["x", "target", "prediction"], cols
