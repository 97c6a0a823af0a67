"""The selected activation: f(x) and f'(x) over a range (computed by core, from the engine's
own backward pass), the notebooks' difference quotient, and the node's current input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from graphgui.core.curves import elementwise_curves, is_elementwise_unary
from graphgui.core.engine import Evaluation
from graphgui.core.graph import Graph

from .base import PALETTE, PlotPanel, pen

MAX_MARKED = 2000  # input elements marked on the activation plot


class ActivationPlot(PlotPanel):
    """For the selected one-input elementwise node: f(x) and f'(x) over a range, the
    notebooks' difference quotient overlaid, and the node's current input marked."""

    title = "Activation"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        legend = self._legend()
        self.plot = self._plot(1, "x", "", grid=True)
        self.f_curve = self.plot.plot(pen=pen(PALETTE[0]))
        self.df_curve = self.plot.plot(pen=pen(PALETTE[1]))
        self.numeric_curve = self.plot.plot(
            pen=None, symbol="o", symbolSize=3, symbolPen=None,
            symbolBrush=pg.mkBrush(PALETTE[2]))
        self.marks = pg.ScatterPlotItem(size=9, symbol="d", pen=pg.mkPen("#202020"),
                                        brush=pg.mkBrush(PALETTE[4]))
        self.plot.addItem(self.marks)
        for item, name in ((self.f_curve, "f(x)"), (self.df_curve, "f'(x)"),
                           (self.numeric_curve, "(f(x+δ) − f(x)) / δ"),
                           (self.marks, "current input")):
            self.add_to_legend(legend, item, name)
        self.vline = pg.InfiniteLine(angle=90, pen=pen(PALETTE[4], Qt.DashLine))
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
        if node is None or not is_elementwise_unary(node.op):
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
            self.set_caption(self.title)
            return False
        self.message.hide()
        self.node_id, self.op = node_id, node.op
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
        curves = elementwise_curves(node.op, np.linspace(lo, hi, points), params)
        xs = curves.xs
        self.xs, self.f, self.df, self.numeric = xs, curves.f, curves.df, curves.numeric
        self.f_curve.setData(xs, self.f, connect="finite")
        self.df_curve.setData(xs, self.df, connect="finite")
        every = max(1, points // 80)  # sparse dots over the analytic curve
        self.numeric_curve.setData(xs[::every], self.numeric[::every])
        self.inputs = np.zeros(0)
        if current is not None:
            x = np.asarray(current, dtype=float).ravel()[:MAX_MARKED]
            self.inputs = x
            self.marks.setData(x, elementwise_curves(node.op, x, params).f)
            if x.size == 1:
                self.vline.setValue(float(x[0]))
                self.vline.show()
            else:
                self.vline.hide()
        else:
            self.marks.setData([], [])
            self.vline.hide()
        self.set_caption(f"{node.title} = {node.op}(x)")
        return True

    def table(self) -> tuple[list[str], list[Sequence[Any]]]:
        return (["x", "f", "df", "numeric_df", "current_input"],
                [list(self.xs), list(self.f), list(self.df), list(self.numeric),
                 list(self.inputs)])
