"""Training and test loss per epoch (log scale optional) and, for classifiers, accuracy:
side by side in a wide, low dock (the bottom row of a 1366x768 screen leaves the plots
~150 px: stacked, each got 60 and its tick labels ran into each other), one above the other
in a tall one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QWidget

from graphgui.core.train import EpochResult

from .base import PALETTE, PlotPanel, Series, blank, fast, pen

SIDE_BY_SIDE = 1.8  # an area this many times wider than tall puts accuracy beside loss
EPOCH_TITLE_HEIGHT = 180  # a lower area leaves out the "epoch" under the axes (the data
# gets its ~16 px: the ticks read 500, 1000, ... and the timeline's label says "epoch")


class LossPlot(PlotPanel):
    """Loss and accuracy (only when the run measures one: not for a regression), beside or
    under each other as the area's shape asks (``side_by_side``)."""

    title = "Loss"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("Show the loss on a logarithmic axis")
        self.log_box.toggled.connect(self.set_log)
        self.controls.addWidget(self.log_box)
        self.legend = self._legend()
        self.loss_plot = self._plot(1, "epoch", "loss")
        self.acc_plot = self._plot(2, "epoch", "accuracy")
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1, padding=0.02)
        self.side_by_side = False
        self.epoch_titles = True  # "epoch" written under the epoch axes
        self.train_curve = fast(self.loss_plot.plot(pen=pen(PALETTE[0])))
        self.test_curve = fast(self.loss_plot.plot(pen=pen(PALETTE[1])))
        self.train_acc_curve = fast(self.acc_plot.plot(pen=pen(PALETTE[0])))
        self.test_acc_curve = fast(self.acc_plot.plot(pen=pen(PALETTE[1])))
        # One legend for both plots: the colours mean the same in each.
        self.add_to_legend(self.legend, self.train_curve, "train")
        self.add_to_legend(self.legend, self.test_curve, "test")
        self.epochs, self.train = Series(), Series()
        self.test_epochs, self.test = Series(), Series()
        self.acc_epochs, self.train_acc, self.test_acc = Series(), Series(), Series()
        self.accuracy_shown = True
        self.set_accuracy_shown(False)  # until a classifier is trained or previewed
        # The timeline (panels/training/timeline_bar.py): the epoch looked at (a line on
        # both plots), and the previous run's training loss to compare with (dashed).
        self.markers = []
        for plot in (self.loss_plot, self.acc_plot):
            line = pg.InfiniteLine(angle=90, pen=pen("#d946ef", Qt.DashLine))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self.markers.append(line)
        self.marker = self.markers[0]
        self.comparison_curve = self.loss_plot.plot(pen=pen(PALETTE[2], Qt.DashLine))
        self.comparison_label = ""

    def mark_epoch(self, epoch: int | None) -> None:
        """A line at ``epoch`` (the timeline's), or none."""
        for line in self.markers:
            line.setVisible(epoch is not None)
            if epoch is not None:
                line.setValue(epoch)

    def set_comparison(self, losses: Sequence[tuple[int, float]], label: str = "") -> None:
        """Another run's training loss, dashed, named ``label`` in the legend (empty: none)."""
        if self.comparison_label:
            self.legend.removeItem(self.comparison_curve)
        self.comparison_label = label if losses else ""
        data = np.asarray(losses, dtype=float).reshape(-1, 2)
        self.comparison_curve.setData(data[:, 0], data[:, 1])
        if self.comparison_label:
            self.add_to_legend(self.legend, self.comparison_curve, self.comparison_label)
    def set_accuracy_shown(self, shown: bool) -> None:
        """The accuracy plot appears for classifiers only (a regression has none)."""
        if shown == self.accuracy_shown:
            return
        self.accuracy_shown = shown
        self._arrange()

    def _arrange(self) -> None:
        """Accuracy beside loss when the area is wide and low, under it otherwise (then the
        epochs are read off the accuracy plot's axis only); the legend over both."""
        area = self.area
        side = self.accuracy_shown and area.width() >= SIDE_BY_SIDE * area.height()
        titled = area.height() >= EPOCH_TITLE_HEIGHT
        if titled != self.epoch_titles:
            self.epoch_titles = titled
            self.acc_plot.getAxis("bottom").showLabel(titled)
            self.loss_plot.getAxis("bottom").showLabel(titled and not (
                self.accuracy_shown and not self.side_by_side))
        placed = self.acc_plot.scene() is not None
        if placed == self.accuracy_shown and side == self.side_by_side:
            return
        self.side_by_side = side
        layout = area.ci
        if placed:
            layout.removeItem(self.acc_plot)
        layout.removeItem(self.legend)
        stacked = self.accuracy_shown and not side
        axis = self.loss_plot.getAxis("bottom")
        axis.setStyle(showValues=not stacked)
        axis.showLabel(not stacked and self.epoch_titles)
        if self.accuracy_shown:
            layout.addItem(self.acc_plot, row=1 if side else 2, col=1 if side else 0)
        layout.addItem(self.legend, row=0, col=0, colspan=2 if side else 1)
        grid = layout.layout
        grid.setAlignment(self.legend, Qt.AlignLeft | Qt.AlignVCenter)
        grid.setRowStretchFactor(0, 0)
        grid.setRowStretchFactor(1, 3)
        grid.setRowStretchFactor(2, 2 if stacked else 0)
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 1 if side else 0)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._arrange()

    def clear(self) -> None:
        for s in (self.epochs, self.train, self.test_epochs, self.test, self.acc_epochs,
                  self.train_acc, self.test_acc):
            s.clear()
        self._dirty = True
        self.refresh()

    def reset(self) -> None:
        super().reset()
        self.clear()

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
        cols = [list(epochs), list(self.train.values), blank(test), blank(train_acc),
                blank(test_acc)]
        return ["epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy"], cols
