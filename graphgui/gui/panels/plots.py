"""Live training plots (pyqtgraph): loss and accuracy, decision boundary, 1-D fit, activation
f and f', gradient norms. Each is a QWidget with a small header (its own toggles and PNG/CSV
export) over a pyqtgraph area.

Plots are fed from the GUI thread only: the training panel drains the worker's buffer with a
~30 Hz timer and calls ``append``/``set_prediction`` here; each plot then redraws at most once
per drain (``refresh``). Curves are drawn with 1 px pens (wider pens are ~10x slower) and long
ones with peak downsampling and clip-to-view (docs/design: practices).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.engine import Evaluation
from graphgui.core.graph import Graph
from graphgui.core.ops import get_op
from graphgui.core.train import EpochResult

from ..theme import current_theme

# Colour-blind-safe curve colours (Okabe-Ito).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
           "#f0e442")
CLASS_COLORS = ("#d7301f", "#2166ac", "#1a9850", "#762a83", "#e08214")
DELTA = 1e-5  # the notebooks' difference quotient (f(x + d) - f(x)) / d
MAX_MARKED = 2000  # input elements marked on the activation plot


def _pen(color: str, style: Qt.PenStyle = Qt.SolidLine) -> Any:
    return pg.mkPen(color=color, width=1, style=style)


def _fast(item: pg.PlotDataItem) -> pg.PlotDataItem:
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


class PlotPanel(QWidget):
    """Header (title, controls, PNG/CSV) over a GraphicsLayoutWidget; subclasses fill it."""

    title = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        colors = current_theme().colors
        self.header = QHBoxLayout()
        self.header.setContentsMargins(6, 2, 6, 0)
        self.caption = QLabel(self.title)
        self.caption.setObjectName("plotCaption")
        self.header.addWidget(self.caption, 1)
        self.controls = QHBoxLayout()
        self.header.addLayout(self.controls)
        self.png_button = self._button("PNG", "Save this plot as a PNG image", self._ask_png)
        self.csv_button = self._button("CSV", "Save this plot's data as CSV", self._ask_csv)
        self.area = pg.GraphicsLayoutWidget()
        self.area.setBackground(colors.node_fill)
        self.area.setMinimumSize(220, 160)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addLayout(self.header)
        box.addWidget(self.area, 1)
        self._foreground = colors.text
        self._dirty = False
        self.save_dir = ""

    def _button(self, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.header.addWidget(button)
        return button

    def _plot(self, row: int = 0, xlabel: str = "", ylabel: str = "") -> pg.PlotItem:
        plot = self.area.addPlot(row=row, col=0)
        plot.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(_pen(current_theme().colors.muted))
            axis.setTextPen(_pen(self._foreground))
            axis.enableAutoSIPrefix(False)  # no "(x0.001)" on a loss axis
        # Fixed axis sizes: tick labels that change width would re-lay out the whole plot
        # (and repaint everything) on every frame of a live curve.
        plot.getAxis("left").setWidth(52)
        plot.getAxis("bottom").setHeight(36 if xlabel else 20)
        if xlabel:
            plot.setLabel("bottom", xlabel)
        if ylabel:
            plot.setLabel("left", ylabel)
        return plot

    def _legend(self, plot: pg.PlotItem) -> pg.LegendItem:
        # Entries side by side: a small plot has room for one row, not a stacked column.
        legend = plot.addLegend(offset=(-8, 8), labelTextColor=self._foreground,
                                brush=pg.mkBrush(current_theme().colors.node_fill + "d0"),
                                colCount=4)
        return legend

    # ---- export --------------------------------------------------------------------------

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        """(header, columns) of the data shown; columns may differ in length."""
        return [], []

    def export_csv(self, path: str) -> None:
        header, columns = self.table()
        rows = max((len(c) for c in columns), default=0)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            for i in range(rows):
                writer.writerow([_cell(c[i]) if i < len(c) else "" for c in columns])

    def export_png(self, path: str) -> None:
        self.refresh()
        if not self.area.grab().save(path, "PNG"):
            raise OSError(f"could not write {path}")

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


# ---- loss and accuracy -----------------------------------------------------------------------


class LossPlot(PlotPanel):
    """Training and test loss per epoch (log scale optional) and accuracy below."""

    title = "Loss"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Show the loss on a logarithmic axis")
        self.log_box.toggled.connect(self.set_log)
        self.controls.addWidget(self.log_box)
        self.loss_plot = self._plot(0, "", "loss")
        self.acc_plot = self._plot(1, "epoch", "accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1, padding=0.02)
        self.area.ci.layout.setRowStretchFactor(0, 3)
        self.area.ci.layout.setRowStretchFactor(1, 2)
        self._legend(self.loss_plot)
        self._legend(self.acc_plot)
        self.train_curve = _fast(self.loss_plot.plot(pen=_pen(PALETTE[0]), name="train"))
        self.test_curve = _fast(self.loss_plot.plot(pen=_pen(PALETTE[1]), name="test"))
        self.train_acc_curve = _fast(self.acc_plot.plot(pen=_pen(PALETTE[0]), name="train"))
        self.test_acc_curve = _fast(self.acc_plot.plot(pen=_pen(PALETTE[1]), name="test"))
        self.epochs, self.train = Series(), Series()
        self.test_epochs, self.test = Series(), Series()
        self.acc_epochs, self.train_acc, self.test_acc = Series(), Series(), Series()

    def clear(self) -> None:
        for s in (self.epochs, self.train, self.test_epochs, self.test, self.acc_epochs,
                  self.train_acc, self.test_acc):
            s.clear()
        self._dirty = True
        self.refresh()

    def append(self, results: Sequence[EpochResult]) -> None:
        if not results:
            return
        self.epochs.extend([r.epoch for r in results])
        self.train.extend([r.train_loss for r in results])
        tested = [r for r in results if r.test_loss is not None]
        self.test_epochs.extend([r.epoch for r in tested])
        self.test.extend([r.test_loss for r in tested])
        measured = [r for r in results if r.train_accuracy is not None]
        self.acc_epochs.extend([r.epoch for r in measured])
        self.train_acc.extend([r.train_accuracy for r in measured])
        self.test_acc.extend([math.nan if r.test_accuracy is None else r.test_accuracy
                              for r in measured])
        self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty:
            return False
        self._dirty = False
        self.train_curve.setData(self.epochs.values, self.train.values)
        self.test_curve.setData(self.test_epochs.values, self.test.values)
        self.train_acc_curve.setData(self.acc_epochs.values, self.train_acc.values)
        test_acc = self.test_acc.values
        keep = ~np.isnan(test_acc)
        self.test_acc_curve.setData(self.acc_epochs.values[keep], test_acc[keep])
        return True

    def _epoch_plots(self) -> list[Any]:
        return [self.loss_plot]

    def set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        if self.log_box.isChecked() != on:
            self.log_box.setChecked(on)

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        # One row per epoch; test and accuracy cells are empty where not measured.
        epochs = self.epochs.values.astype(int)
        index = {e: i for i, e in enumerate(epochs)}
        test = np.full(len(epochs), np.nan)
        train_acc = np.full(len(epochs), np.nan)
        test_acc = np.full(len(epochs), np.nan)
        for e, v in zip(self.test_epochs.values.astype(int), self.test.values, strict=True):
            test[index[e]] = v
        for e, a, b in zip(self.acc_epochs.values.astype(int), self.train_acc.values,
                           self.test_acc.values, strict=True):
            train_acc[index[e]], test_acc[index[e]] = a, b
        cols = [list(epochs), list(self.train.values), _blank(test), _blank(train_acc),
                _blank(test_acc)]
        return ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"], cols


def _blank(values: np.ndarray) -> list[Any]:
    return ["" if v != v else float(v) for v in values]


# ---- decision boundary -------------------------------------------------------------------------


def _diverging_lut() -> np.ndarray:
    """Class 0 red, 0.5 pale, class 1 blue (the notebook's RdYlBu, softened for a background)."""
    cmap = pg.ColorMap([0.0, 0.5, 1.0], [(215, 48, 39), (250, 248, 240), (49, 104, 180)])
    lut = cmap.getLookupTable(0.0, 1.0, 256, alpha=False)
    # Lighten towards white so the data points stay readable on top.
    return (0.55 * lut + 0.45 * 255).astype(np.ubyte)


class BoundaryPlot(PlotPanel):
    """The model's output over the plane (an image) with the training and test points on top
    and the decision line (where the output crosses the threshold)."""

    title = "Decision boundary"
    RESOLUTION = 120

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = self._plot(0, "x1", "x2")
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(_diverging_lut())
        self.image.setLevels((0.0, 1.0))
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.contour = pg.IsocurveItem(level=0.5, pen=_pen("#404040"))
        self.contour.setParentItem(self.image)
        self.train_points = pg.ScatterPlotItem(size=7, pen=pg.mkPen("#202020", width=1))
        self.test_points = pg.ScatterPlotItem(size=8, symbol="t", pen=pg.mkPen("#202020"))
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.grid: np.ndarray | None = None  # (2, nx * ny) in the dataset's X layout
        self.shape = (0, 0)  # (ny, nx)
        self.rect = QRectF()
        self.values: np.ndarray | None = None  # (ny, nx) shown (probabilities / classes)
        self.epoch = 0
        self.sample_axis = 1
        self.levels = (0.0, 1.0)
        self._score = False
        self.live = False  # set while training runs (see refresh)

    def set_data(self, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray,
                 y_test: np.ndarray, sample_axis: int = 1, score: bool = False,
                 threshold: float = 0.5, n_classes: int = 2) -> np.ndarray:
        """Show the points (X with 2 features, integer labels) and return the probe grid."""
        self.sample_axis = sample_axis
        self._score = score
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
        return self.grid

    def set_prediction(self, epoch: int, prediction: Any) -> None:
        p = np.asarray(prediction, dtype=float)
        ny, nx = self.shape
        if p.size == ny * nx:
            values = p.reshape(ny, nx)
            if self._score:
                values = 1.0 / (1.0 + np.exp(-np.clip(values, -60, 60)))
        else:  # several outputs: the predicted class
            k = p.shape[1 - self.sample_axis]
            values = np.argmax(p, axis=1 - self.sample_axis).reshape(ny, nx) / max(k - 1, 1)
        self.values = values
        self.epoch = epoch
        self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty or self.values is None:
            return False
        self._dirty = False
        self.image.setImage(self.values, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(self.rect)
        # The decision line costs ~10 ms of Python (pyqtgraph's isocurve): drawn when the
        # picture stops changing, not on every live frame. IsocurveItem reads (x, y) order.
        self.contour.setData(None if self.live else self.values.T)
        self.caption.setText(f"{self.title} · epoch {self.epoch}")
        return True

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        if self.grid is None or self.values is None:
            return ["x1", "x2", "output"], []
        g = self.grid if self.sample_axis == 1 else self.grid.T
        return ["x1", "x2", "output"], [list(g[0]), list(g[1]), list(self.values.ravel())]


# ---- 1-D fit ---------------------------------------------------------------------------------


class FitPlot(PlotPanel):
    """A 1-D regression: the data, the target curve (when known) and the prediction."""

    title = "Fit"
    POINTS = 300

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = self._plot(0, "x", "y")
        self._legend(self.plot)
        self.train_points = pg.ScatterPlotItem(size=6, brush=pg.mkBrush(PALETTE[0] + "a0"),
                                               pen=None, name="train")
        self.test_points = pg.ScatterPlotItem(size=7, symbol="t", brush=pg.mkBrush(
            PALETTE[1] + "c0"), pen=None, name="test")
        self.plot.addItem(self.train_points)
        self.plot.addItem(self.test_points)
        self.target_curve = self.plot.plot(pen=_pen(PALETTE[6], Qt.DashLine), name="target")
        self.prediction_curve = self.plot.plot(pen=_pen(PALETTE[1]), name="prediction")
        self.xs = np.zeros(0)
        self.prediction = np.zeros(0)
        self.epoch = 0
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
        return self.xs.reshape(1, -1) if sample_axis == 1 else self.xs.reshape(-1, 1)

    def set_prediction(self, epoch: int, prediction: Any) -> None:
        self.prediction = np.asarray(prediction, dtype=float).ravel()
        self.epoch = epoch
        self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty:
            return False
        self._dirty = False
        if self.prediction.size == self.xs.size:
            self.prediction_curve.setData(self.xs, self.prediction)
        self.caption.setText(f"{self.title} · epoch {self.epoch}")
        return True

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        _, target = self.target_curve.getData()
        cols = [list(self.xs), list(target) if target is not None else [],
                list(self.prediction)]
        return ["x", "target", "prediction"], cols


# ---- activation --------------------------------------------------------------------------------


class ActivationPlot(PlotPanel):
    """For the selected one-input elementwise node: f(x) and f'(x) over a range, from the op
    registry's forward and gradient rule, the notebooks' difference quotient overlaid, and
    the node's current input marked."""

    title = "Activation"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = self._plot(0, "x", "")
        self._legend(self.plot)
        self.f_curve = self.plot.plot(pen=_pen(PALETTE[0]), name="f(x)")
        self.df_curve = self.plot.plot(pen=_pen(PALETTE[1]), name="f'(x)")
        self.numeric_curve = self.plot.plot(
            pen=None, symbol="o", symbolSize=3, symbolPen=None,
            symbolBrush=pg.mkBrush(PALETTE[2]), name="(f(x+δ) − f(x)) / δ")
        self.marks = pg.ScatterPlotItem(size=9, symbol="d", pen=pg.mkPen("#202020"),
                                        brush=pg.mkBrush(PALETTE[4]), name="current input")
        self.plot.addItem(self.marks)
        self.vline = pg.InfiniteLine(angle=90, pen=_pen(PALETTE[4], Qt.DashLine))
        self.plot.addItem(self.vline)
        self.vline.hide()
        self.node_id: str | None = None
        self.op = ""
        self.xs = np.zeros(0)
        self.f = self.df = self.numeric = np.zeros(0)
        self.inputs = np.zeros(0)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.layout().addWidget(self.message)
        self.show_node(None, None, None)

    def show_node(self, graph: Graph | None, node_id: str | None,
                  evaluation: Evaluation | None, span: tuple[float, float] = (-5.0, 5.0),
                  points: int = 401) -> bool:
        """Plot the node's op; False (and a hint) when it is not a one-input elementwise op."""
        node = graph.node(node_id) if graph is not None and node_id in graph else None
        spec = node.spec if node is not None else None
        if spec is None or spec.is_source or spec.arity != 1 or not spec.elementwise:
            self.node_id = None
            self.xs = self.f = self.df = self.numeric = self.inputs = np.zeros(0)
            for item in (self.f_curve, self.df_curve, self.numeric_curve):
                item.setData([], [])
            self.marks.setData([], [])
            self.vline.hide()
            what = f"{node.title} is a {node.op} node" if node is not None else "No node"
            self.message.setText(f"{what}: select an activation (a node with one input) "
                                 "to plot f(x) and f'(x).")
            self.message.show()
            self.caption.setText(self.title)
            return False
        self.message.hide()
        self.node_id, self.op = node_id, spec.name
        params = dict(node.params)
        current = None
        if evaluation is not None and graph is not None:
            (src,) = graph.input_ids(node_id)
            if src is not None:
                current = evaluation.values.get(src)
        lo, hi = span
        if current is not None:
            arr = np.asarray(current, dtype=float).ravel()
            arr = arr[np.isfinite(arr)]
            if arr.size:
                lo, hi = min(lo, float(arr.min()) - 1.0), max(hi, float(arr.max()) + 1.0)
        xs = np.linspace(lo, hi, points)
        forward = spec.forward
        assert forward is not None
        with np.errstate(all="ignore"):
            f = np.asarray(forward(xs, **params), dtype=float)
            df = np.asarray(spec.vjps[0](np.ones_like(xs), f, xs, **params), dtype=float)
            numeric = (np.asarray(forward(xs + DELTA, **params), dtype=float) - f) / DELTA
        self.xs, self.f, self.df, self.numeric = xs, f, df, numeric
        self.f_curve.setData(xs, f, connect="finite")
        self.df_curve.setData(xs, df, connect="finite")
        every = max(1, points // 80)  # sparse dots over the analytic curve
        self.numeric_curve.setData(xs[::every], numeric[::every])
        self.inputs = np.zeros(0)
        if current is not None:
            x = np.asarray(current, dtype=float).ravel()[:MAX_MARKED]
            with np.errstate(all="ignore"):
                fx = np.asarray(forward(x, **params), dtype=float).ravel()
            self.inputs = x
            self.marks.setData(x, fx)
            if x.size == 1:
                self.vline.setValue(float(x[0]))
                self.vline.show()
            else:
                self.vline.hide()
        else:
            self.marks.setData([], [])
            self.vline.hide()
        self.caption.setText(f"{self.title} · {node.title} = {spec.name}(x)")
        return True

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        return (["x", "f", "df", "numeric_df", "current_input"],
                [list(self.xs), list(self.f), list(self.df), list(self.numeric),
                 list(self.inputs)])


# ---- gradient norms ------------------------------------------------------------------------------


class GradNormPlot(PlotPanel):
    """The gradient norm of each parameter per measured epoch (log scale)."""

    title = "Gradient norms"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = self._plot(0, "epoch", "‖∂L/∂w‖")
        self.plot.setLogMode(y=True)
        self.legend = self._legend(self.plot)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.epochs = Series()
        self.norms: dict[str, Series] = {}

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        self.curves.clear()
        self.norms.clear()
        self.epochs.clear()
        self._dirty = True

    def append(self, results: Sequence[EpochResult]) -> None:
        measured = [r for r in results if r.grad_norms]
        if not measured:
            return
        self.epochs.extend([r.epoch for r in measured])
        for name in measured[0].grad_norms:
            series = self.norms.get(name)
            if series is None:
                series = self.norms[name] = Series()
                series.extend([math.nan] * (self.epochs.n - len(measured)))
            series.extend([r.grad_norms.get(name, math.nan) for r in measured])
        self._dirty = True

    def refresh(self) -> bool:
        if not self._dirty:
            return False
        self._dirty = False
        epochs = self.epochs.values
        for k, (name, series) in enumerate(self.norms.items()):
            curve = self.curves.get(name)
            if curve is None:
                style = Qt.SolidLine if k < len(PALETTE) else Qt.DashLine
                curve = self.curves[name] = _fast(self.plot.plot(
                    pen=_pen(PALETTE[k % len(PALETTE)], style), name=name))
            # log10 of 0 is -inf: a zero gradient (a dead ReLU layer) leaves a gap.
            values = np.where(series.values > 0, series.values, np.nan)
            curve.setData(epochs, values, connect="finite")
        return True

    def _epoch_plots(self) -> list[Any]:
        return [self.plot]

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        names = list(self.norms)
        return ["epoch", *names], [list(self.epochs.values.astype(int)),
                                   *[list(self.norms[n].values) for n in names]]


def op_curves(op: str, xs: np.ndarray, **params: Any) -> tuple[np.ndarray, np.ndarray]:
    """f(xs) and f'(xs) of a one-input op from the registry (what the activation plot draws)."""
    spec = get_op(op)
    f = np.asarray(spec.forward(xs, **params), dtype=float)
    return f, np.asarray(spec.vjps[0](np.ones_like(xs), f, xs, **params), dtype=float)
