"""The training timeline in the Loss plot's header: after a run, a scrubber moves through its
snapshots (core/train/timeline.py). At each one the canvas, the inspector, the decision
boundary or fit and the loss plot's marker show that epoch; *Restore this epoch* makes its
parameters the graph's (one undoable edit). The next run's loss curve is drawn with this
one's, dashed, to compare (two learning rates, two optimizers), and the legend says whether
both started from the same parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from graphgui.core.engine import Program
from graphgui.core.graph import GraphError
from graphgui.core.train.timeline import Timeline
from graphgui.core.values import values_equal

if TYPE_CHECKING:
    from ...worker import TrainingWorker


class TimelineBar(QWidget):
    """Scrubber, epoch label and Restore button for the last run of ``panel``."""

    def __init__(self, panel: Any) -> None:
        super().__init__()
        self.setObjectName("timelineBar")
        self.panel = panel
        self.timeline: Timeline | None = None
        self.previous: Timeline | None = None  # the run before, for the comparison curve
        self._program: Program | None = None
        self._structure = -1
        self._worker: TrainingWorker | None = None
        self.title = QLabel("Timeline")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Move through the run: the canvas and the plots show that epoch")
        self.label = QLabel("train to record")
        self.label.setObjectName("timelineLabel")
        self.restore_button = QPushButton("Restore")
        self.restore_button.setObjectName("timelineRestore")
        self.restore_button.setToolTip("Restore this epoch: its parameters become the graph's "
                                       "(one undo step)")
        self.label.setMinimumWidth(110)
        self.slider.setMinimumWidth(120)
        row = QHBoxLayout(self)  # one row in the loss plot's header
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.restore_button)
        # A drag sends many values: the latest is shown once the event loop turns (one
        # evaluation and one prediction per turn, however fast the handle moves).
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(lambda: self.show_index(self.slider.value()))
        self.slider.valueChanged.connect(lambda _value: self._pending.start())
        self.restore_button.clicked.connect(self.restore)
        self._set_enabled(False)

    # ---- runs ------------------------------------------------------------------------------

    def run_started(self, worker: TrainingWorker) -> None:
        """A new run: this bar's timeline becomes the one to compare with."""
        if self.timeline is not None:
            self.previous = self.timeline
        self.timeline = None
        self._set_enabled(False)
        self.label.setText("recording…")
        previous = self.previous
        if previous is not None and previous.losses:
            same = _same_start(previous, worker.timeline)
            label = f"{previous.label} ({'same start' if same else 'another start'})"
            self.panel.loss_plot.set_comparison(previous.losses, label)

    def run_ended(self, worker: TrainingWorker) -> None:
        """The run's timeline, ready to scrub; the slider ends at the last epoch."""
        timeline = worker.timeline
        settings = worker.trainer.settings
        timeline.label = f"previous run: {settings.optimizer}, lr {settings.lr:g}"
        self.timeline = timeline
        self._worker = worker
        graph = self.panel.document.graph if self.panel.document is not None else None
        try:
            self._program = Program(graph) if graph is not None else None
        except GraphError:
            self._program = None
        self._structure = graph.structure_version if graph is not None else -1
        count = len(timeline)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(max(0, count - 1))
        self.slider.blockSignals(False)
        self._set_enabled(count > 1 and self._program is not None)
        last = timeline.all()[-1].epoch if count else 0
        self.label.setText(f"epoch {last} (the end)")
        self.slider.setToolTip(
            f"{count} moments of the {last} epochs kept ({timeline.nbytes / 1e6:.1f} MB): "
            "move to look back; the canvas and the plots show that epoch")

    def clear(self) -> None:
        """Another document: no timeline, nothing to compare with."""
        self.timeline = self.previous = None
        self._program = None
        self._set_enabled(False)
        self.label.setText("train to record")
        self.panel.loss_plot.set_comparison([], "")
        self.panel.loss_plot.mark_epoch(None)

    # ---- moving ----------------------------------------------------------------------------

    def show_index(self, index: int) -> None:
        """Show snapshot ``index``: the last one is the graph's own numbers again."""
        timeline, vs = self.timeline, self.panel.shell.view_state
        if timeline is None or not self._current():
            return
        snaps = timeline.all()
        snap = snaps[min(max(index, 0), len(snaps) - 1)]
        last = index >= len(snaps) - 1
        self.panel.loss_plot.mark_epoch(None if last else snap.epoch)
        self.panel.grad_plot_mark(None if last else snap.epoch)
        if last:
            vs.show_live(None)
        else:
            ev = self._program.evaluate(snap.parameters, wires=True)
            vs.show_live(ev, f"epoch {snap.epoch} of the run (timeline; Restore makes it "
                             "the graph's)")
        self._show_picture(snap)
        loss = f", loss {snap.loss:.4g}" if snap.loss is not None else ""
        self.label.setText(f"epoch {snap.epoch}{loss}" + ("" if not last else " (the end)"))

    def _show_picture(self, snap: Any) -> None:
        """The decision boundary (or fit) of that epoch's parameters."""
        worker = self._worker
        probe = worker.probe if worker is not None else None
        if probe is None:
            return
        trainer = worker.trainer  # the run has ended: its trainer is free to use here
        trainer.set_parameters(snap.parameters)
        prediction = trainer.predict(probe)
        self.panel.show_prediction(snap.epoch, prediction)

    def restore(self) -> bool:
        """The epoch shown becomes the graph's parameters (one undo step)."""
        timeline, doc = self.timeline, self.panel.document
        if timeline is None or doc is None or not self._current():
            return False
        snap = timeline.all()[self.slider.value()]
        changed = {pid: v for pid, v in snap.parameters.items()
                   if pid in doc.graph and not values_equal(doc.graph.node(pid).value, v)}
        self.panel.shell.view_state.show_live(None)
        if changed:
            with doc.macro(f"Restore epoch {snap.epoch}"):
                for pid, value in changed.items():
                    doc.set_value(pid, np.array(value, copy=True)
                                  if isinstance(value, np.ndarray) else value)
        self.panel.loss_plot.mark_epoch(snap.epoch)
        self.label.setText(f"epoch {snap.epoch} restored")
        return True

    def _current(self) -> bool:
        """The timeline still fits the graph (no node added or removed since the run)."""
        doc = self.panel.document
        ok = doc is not None and doc.graph.structure_version == self._structure
        if not ok:
            self._set_enabled(False)
            self.label.setText("closed: the graph changed")
            self.slider.setToolTip("The graph changed since the run: its timeline is closed")
        return ok

    def _set_enabled(self, on: bool) -> None:
        self.slider.setEnabled(on)
        self.restore_button.setEnabled(on)


def _same_start(previous: Timeline, current: Timeline) -> bool:
    """Did both runs start from the same parameters (their epoch-0 snapshots)?"""
    a, b = previous.all(), current.all()
    if not a or not b or a[0].parameters.keys() != b[0].parameters.keys():
        return False
    return all(values_equal(a[0].parameters[k], b[0].parameters[k]) for k in a[0].parameters)
