"""The gradient norm of each parameter per measured epoch, on a log axis (the
vanishing-gradients picture)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from graphgui.core.train import EpochResult

from .base import PALETTE, PlotPanel, Series, fast, pen


class GradNormPlot(PlotPanel):
    """One curve per parameter: ‖∂L/∂w‖ per measured epoch (log scale)."""

    title = "Gradient norms"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.legend = self._legend()
        self.plot = self._plot(1, "epoch", "‖∂L/∂w‖")
        self.plot.setLogMode(y=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.epochs = Series()
        self.norms: dict[str, Series] = {}
        self.marker = pg.InfiniteLine(angle=90, pen=pen("#d946ef", Qt.DashLine))
        self.marker.setVisible(False)  # the timeline's epoch (panels/training/timeline_bar)
        self.plot.addItem(self.marker, ignoreBounds=True)

    def mark_epoch(self, epoch: int | None) -> None:
        self.marker.setVisible(epoch is not None)
        if epoch is not None:
            self.marker.setValue(epoch)

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        self.curves.clear()
        self.norms.clear()
        self.epochs.clear()
        self._dirty = True

    def reset(self) -> None:
        super().reset()
        self.clear()
        self.refresh()

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
                curve = self.curves[name] = fast(self.plot.plot(
                    pen=pen(PALETTE[k % len(PALETTE)], style)))
                self.add_to_legend(self.legend, curve, name)
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
