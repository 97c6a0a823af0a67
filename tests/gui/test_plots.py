"""The plot widgets on their own: their items hold the arrays they were given, toggles work,
and every plot exports PNG and CSV. Expected values are written out here."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage

from graphgui.core.train import EpochResult
from graphgui.gui.panels.plots import (
    DELTA,
    ActivationPlot,
    BoundaryPlot,
    FitPlot,
    GradNormPlot,
    LossPlot,
    Series,
)


def result(epoch: int, loss: float, test: float | None = None, acc: float | None = None,
           test_acc: float | None = None, norms: dict[str, float] | None = None) -> EpochResult:
    return EpochResult(epoch, loss, test, acc, test_acc, norms or {}, 0.0)


@pytest.fixture
def shown(qtbot: Any) -> Any:
    def show(widget: Any) -> Any:
        qtbot.addWidget(widget)
        widget.resize(420, 300)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return show


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def check_png(plot: Any, path: Path) -> None:
    plot.export_png(str(path))
    image = QImage(str(path))
    assert not image.isNull()
    assert (image.width(), image.height()) == (plot.area.width(), plot.area.height())


def test_series_grows_without_losing_values() -> None:
    s = Series()
    for k in range(0, 1000, 7):
        s.extend(list(range(k, k + 7)))
    np.testing.assert_array_equal(s.values, np.arange(1001))  # 0..1000 in steps of 7
    s.clear()
    assert s.values.size == 0


def test_loss_plot_curves_log_toggle_and_exports(shown: Any, tmp_path: Path) -> None:
    plot = shown(LossPlot())
    plot.append([result(1, 0.9, 1.0, 0.5, 0.4), result(2, 0.5)])
    plot.append([result(3, 0.25, 0.3, 0.75, 0.7)])
    plot.refresh()
    # xData/yData: what the items hold (getData() is what a clipped, downsampled view shows).
    c = plot.train_curve
    assert list(c.xData) == [1, 2, 3] and list(c.yData) == [0.9, 0.5, 0.25]
    c = plot.test_curve
    assert list(c.xData) == [1, 3] and list(c.yData) == [1.0, 0.3]
    c = plot.train_acc_curve
    assert list(c.xData) == [1, 3] and list(c.yData) == [0.5, 0.75]
    assert list(plot.test_acc_curve.yData) == [0.4, 0.7]
    plot.log_box.setChecked(True)
    assert plot.loss_plot.ctrl.logYCheck.isChecked()
    plot.train_curve.setClipToView(False)
    np.testing.assert_allclose(plot.train_curve.getData()[1], np.log10([0.9, 0.5, 0.25]))
    plot.set_log(False)
    assert not plot.log_box.isChecked()
    plot.export_csv(str(tmp_path / "loss.csv"))
    rows = read_csv(tmp_path / "loss.csv")
    assert rows[0] == ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]
    assert rows[1:] == [["1", "0.9", "1.0", "0.5", "0.4"], ["2", "0.5", "", "", ""],
                        ["3", "0.25", "0.3", "0.75", "0.7"]]
    check_png(plot, tmp_path / "loss.png")
    plot.clear()
    assert plot.epochs.n == 0 and plot.train_curve.xData is None  # pyqtgraph: no data


def test_grad_norm_plot_one_curve_per_parameter(shown: Any, tmp_path: Path) -> None:
    plot = shown(GradNormPlot())
    plot.append([result(1, 1.0, norms={"W1": 1e-3, "W2": 0.1}), result(2, 1.0)])
    plot.append([result(3, 1.0, norms={"W1": 1e-4, "W2": 0.0})])
    plot.refresh()
    assert set(plot.curves) == {"W1", "W2"}
    c = plot.curves["W1"]
    assert list(c.xData) == [1, 3] and list(c.yData) == [1e-3, 1e-4]
    y2 = plot.curves["W2"].yData
    assert y2[0] == 0.1 and math.isnan(y2[1])  # zero: a gap on the log axis, not -inf
    plot.export_csv(str(tmp_path / "g.csv"))
    rows = read_csv(tmp_path / "g.csv")
    assert rows[0] == ["epoch", "W1", "W2"] and rows[2] == ["3", "0.0001", "0.0"]
    check_png(plot, tmp_path / "g.png")


def test_boundary_plot_grid_image_and_points(shown: Any, tmp_path: Path) -> None:
    plot = shown(BoundaryPlot())
    X_train = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, -1.0]])  # (features, m)
    X_test = np.array([[3.0], [2.0]])
    grid = plot.set_data(X_train, np.array([0, 1, 1]), X_test, np.array([0]))
    n = plot.RESOLUTION
    assert grid.shape == (2, n * n)
    # The grid spans the points with a margin of 1 (the notebook's), x fastest.
    assert grid[0].min() == -1.0 and grid[0].max() == 4.0
    assert grid[1].min() == -2.0 and grid[1].max() == 3.0
    assert grid[0, 1] > grid[0, 0] and grid[1, 1] == grid[1, 0]
    # Feed "probability = 1 where x1 > x2": the image is that, row = x2, column = x1.
    plot.set_prediction(7, (grid[0] > grid[1]).astype(float).reshape(1, -1))
    plot.refresh()
    image = plot.image.image
    assert image.shape == (n, n)
    xx, yy = np.meshgrid(np.linspace(-1, 4, n), np.linspace(-2, 3, n))
    np.testing.assert_array_equal(image, (xx > yy).astype(float))
    assert "epoch 7" in plot.caption.text()
    assert len(plot.train_points.data) == 3 and len(plot.test_points.data) == 1
    # Scores (bce_logits) are shown as probabilities.
    plot.set_data(X_train, np.array([0, 1, 1]), X_test, np.array([0]), score=True)
    plot.set_prediction(1, np.zeros((1, n * n)))
    plot.refresh()
    assert np.all(plot.image.image == 0.5)
    plot.export_csv(str(tmp_path / "b.csv"))
    rows = read_csv(tmp_path / "b.csv")
    assert rows[0] == ["x1", "x2", "output"] and len(rows) == n * n + 1
    check_png(plot, tmp_path / "b.png")


def test_fit_plot_data_target_and_prediction(shown: Any, tmp_path: Path) -> None:
    plot = shown(FitPlot())
    X = np.linspace(-3, 3, 9).reshape(1, -1)
    line = plot.set_data(X, np.sin(X), np.array([[0.5]]), np.array([[0.4]]),
                         target=np.sin)
    assert line.shape == (1, plot.POINTS) and line[0, 0] == -3 and line[0, -1] == 3
    tx, ty = plot.target_curve.getData()
    np.testing.assert_allclose(ty, np.sin(tx))
    plot.set_prediction(5, 0.5 * line)
    plot.refresh()
    px, py = plot.prediction_curve.getData()
    np.testing.assert_allclose(py, 0.5 * px)
    plot.export_csv(str(tmp_path / "f.csv"))
    assert read_csv(tmp_path / "f.csv")[0] == ["x", "target", "prediction"]
    check_png(plot, tmp_path / "f.png")


@pytest.mark.parametrize("op, params, f, df", [
    ("tanh", {}, np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    ("relu", {}, lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    ("leaky_relu", {"alpha": 0.1}, lambda x: np.where(x > 0, x, 0.1 * x),
     lambda x: np.where(x > 0, 1.0, 0.1)),
    ("softplus", {}, lambda x: np.log1p(np.exp(x)), lambda x: 1 / (1 + np.exp(-x))),
])
def test_activation_curves_are_the_ops_forward_and_gradient(
        shown: Any, tmp_path: Path, op: str, params: dict, f: Any, df: Any) -> None:
    from graphgui.core.graph import Graph

    g = Graph()
    x = g.add_node("input", name="x", value=np.array([-1.5, 0.25, 2.0]))
    a = g.add_node(op, name="a", params=params)
    g.connect(x.id, a.id, 0)
    from graphgui.core.engine import evaluate

    plot = shown(ActivationPlot())
    assert plot.show_node(g, a.id, evaluate(g))
    xs = plot.xs
    np.testing.assert_allclose(plot.f_curve.getData()[1], f(xs), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(plot.df_curve.getData()[1], df(xs), rtol=1e-12, atol=1e-15)
    # The forward difference is within delta * max|f''| of f' away from kinks.
    smooth = np.abs(xs) > 2 * DELTA
    np.testing.assert_allclose(plot.numeric[smooth], df(xs)[smooth], atol=2e-5)
    mx, my = plot.marks.getData()
    np.testing.assert_array_equal(mx, [-1.5, 0.25, 2.0])
    np.testing.assert_allclose(my, f(mx), rtol=1e-12)
    assert not plot.vline.isVisible()  # several inputs: marks only
    plot.export_csv(str(tmp_path / "a.csv"))
    rows = read_csv(tmp_path / "a.csv")
    assert rows[0] == ["x", "f", "df", "numeric_df", "current_input"]
    assert len(rows) == len(xs) + 1 and rows[1][4] == "-1.5"
    check_png(plot, tmp_path / "a.png")
