"""The training timeline, a full-width row under the loss plot: after a run, a slider moves
through its snapshots (core/train/timeline.py). At each one the canvas, the inspector, the
decision boundary or fit, a sample picked on it and the plots' markers show that epoch;
*Restore* makes its parameters the graph's (one undoable edit). The next run's loss curve is
drawn with this one's, dashed, to compare (two learning rates, two optimizers), and the
legend says whether both started from the same parameters.

The bar stays in step with the graph: ``home`` is the snapshot whose parameters the graph
holds (the run's end, or an epoch this bar restored; None when they are neither, e.g. after
an Undo of the run). Any change of a parameter not made here (Undo and Redo of a Restore, a
typed value) puts the slider back at home, or at the end, and the canvas on the graph's own
numbers. At home the slider shows the graph's own numbers and Restore is off: nothing would
change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from graphgui.core.engine import Program
from graphgui.core.graph import GraphError
from graphgui.core.train.timeline import Snapshot, Timeline
from graphgui.core.values import values_equal

if TYPE_CHECKING:
    from ...worker import TrainingWorker

IDLE_TEXT = "Timeline: train to record"
CLOSED_TEXT = "closed: the graph changed"
CHANGED_TEXT = "parameters edited since the run"
RESTORE_TIP = "Restore this epoch: its parameters become the graph's (one undo step)"


class _Slider(QSlider):
    """Home, End, the arrows and Page Up/Down move the focused slider: they are not the
    window's shortcuts here (Home is View > Fit elsewhere)."""

    KEYS = (Qt.Key_Home, Qt.Key_End, Qt.Key_Left, Qt.Key_Right, Qt.Key_Up, Qt.Key_Down,
            Qt.Key_PageUp, Qt.Key_PageDown)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.ShortcutOverride and event.key() in self.KEYS \
                and not event.modifiers() & ~Qt.KeypadModifier:
            event.accept()
            return True
        return super().event(event)


class TimelineBar(QWidget):
    """Slider, epoch label and Restore button for the last run of ``panel``."""

    def __init__(self, panel: Any) -> None:
        super().__init__()
        self.setObjectName("timelineBar")
        self.panel = panel
        self.timeline: Timeline | None = None
        self.previous: Timeline | None = None  # the run before, for the comparison curve
        self.home: int | None = None  # the snapshot the graph's parameters are
        self._restored: set[int] = set()  # snapshots restored here: candidates for home
        self._resting = True  # no epoch looked at: the canvas shows the graph's own numbers
        self._program: Program | None = None
        self._structure = -1
        self._worker: TrainingWorker | None = None
        self._graph: Any = None  # the graph whose value edits the bar follows
        self.slider = _Slider(Qt.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setFocusPolicy(Qt.StrongFocus)  # Home/End/arrows move it
        self.slider.setToolTip("Move through the run: the canvas and the plots show that epoch")
        self.slider.setMinimumWidth(100)
        self.label = QLabel(IDLE_TEXT)
        self.label.setObjectName("timelineLabel")
        self.restore_button = QPushButton("Restore")
        self.restore_button.setObjectName("timelineRestore")
        self.restore_button.setToolTip(RESTORE_TIP)
        row = QHBoxLayout(self)  # a row of its own, under the loss plot
        row.setContentsMargins(6, 0, 6, 2)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.restore_button)
        self._fit_label()
        # A drag sends many values: the latest is shown once the event loop turns (one
        # evaluation and one prediction per turn, however fast the handle moves).
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(0)
        self._pending.timeout.connect(lambda: self.show_index(self.slider.value()))
        self.slider.valueChanged.connect(self._moved)
        # An edit of the parameters made elsewhere: back in step once the edit is done (a
        # macro changes several parameters, one event each).
        self._follow = QTimer(self)
        self._follow.setSingleShot(True)
        self._follow.setInterval(0)
        self._follow.timeout.connect(self.rest)
        self.restore_button.clicked.connect(self.restore)
        self._set_enabled(False)

    # ---- runs ------------------------------------------------------------------------------

    def run_started(self, worker: TrainingWorker) -> None:
        """A new run: this bar's timeline becomes the one to compare with; no epoch marked."""
        if self.timeline is not None:
            self.previous = self.timeline
        self._close()
        self._reset_slider()  # not the last run's handle while this one records
        self.label.setText("recording…")
        self.panel.loss_plot.mark_epoch(None)
        self.panel.grad_plot_mark(None)
        previous = self.previous
        if previous is not None and previous.losses:
            same = _same_start(previous, worker.timeline)
            label = f"{previous.label} ({'same start' if same else 'another start'})"
            self.panel.loss_plot.set_comparison(previous.losses, label)

    def run_ended(self, worker: TrainingWorker) -> None:
        """The run's timeline, ready to scrub; the slider rests at the last epoch."""
        timeline = worker.timeline
        settings = worker.trainer.settings
        timeline.label = f"previous run: {settings.optimizer}, lr {settings.lr:g}"
        self.timeline = timeline
        self._worker = worker
        doc = self.panel.document
        graph = doc.graph if doc is not None else None
        try:
            self._program = Program(graph) if graph is not None else None
        except GraphError:
            self._program = None
        self._structure = graph.structure_version if graph is not None else -1
        self._restored = set()
        self._subscribe(graph)
        count = len(timeline)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setPageStep(max(1, count // 20))
        self.slider.blockSignals(False)
        self._set_enabled(count > 1 and self._program is not None)
        last = timeline.all()[-1].epoch if count else 0
        self.slider.setToolTip(
            f"{count} moments of the {last} epochs kept ({timeline.nbytes / 1e6:.1f} MB): "
            "move to look back (Home, End and the arrow keys too); the canvas and the plots "
            "show that epoch")
        self._fit_label()
        self.home = self._find_home()
        self.rest()

    def clear(self) -> None:
        """Another document: no timeline, nothing to compare with, the slider at its start."""
        self.previous = None
        self._close()
        self.label.setText(IDLE_TEXT)
        self._reset_slider()
        self.panel.loss_plot.set_comparison([], "")
        self.panel.loss_plot.mark_epoch(None)
        self.panel.grad_plot_mark(None)

    def _reset_slider(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def _close(self) -> None:
        self.timeline = None
        self._program = None
        self._worker = None
        self.home = None
        self._restored = set()
        self._resting = True
        self._subscribe(None)
        self._pending.stop()
        self._follow.stop()
        self._set_enabled(False)

    def _subscribe(self, graph: Any) -> None:
        if self._graph is not None:
            self._graph.node_changed.unsubscribe(self._on_node_changed)
        self._graph = graph
        if graph is not None:
            graph.node_changed.subscribe(self._on_node_changed)

    # ---- in step with the graph -----------------------------------------------------------

    def _on_node_changed(self, node: Any, what: str) -> None:
        timeline = self.timeline
        if what != "value" or timeline is None or not len(timeline) \
                or node.id not in timeline.all()[-1].parameters:
            return
        self.home = self._find_home()  # now: the panel's plots ask right after this event
        self._follow.start()

    def _find_home(self) -> int | None:
        """The snapshot whose parameters the graph holds: the end, or one restored here."""
        doc, timeline = self.panel.document, self.timeline
        if doc is None or timeline is None or not len(timeline) or not self._fits(doc.graph):
            return None
        snaps = timeline.all()
        graph = doc.graph
        for index in (len(snaps) - 1, *sorted(self._restored, reverse=True)):
            if all(pid in graph and values_equal(graph.node(pid).value, v)
                   for pid, v in snaps[index].parameters.items()):
                return index
        return None

    def restored_epoch(self) -> int | None:
        """The epoch the graph holds when it is a restored one (not the run's end)."""
        timeline, home = self.timeline, self.home
        if timeline is None or home is None or home == len(timeline) - 1:
            return None
        return timeline.all()[home].epoch

    def rest(self) -> None:
        """Back in step: the slider at home (or the end), the graph's own numbers shown."""
        self._follow.stop()
        timeline = self.timeline
        if timeline is None or not len(timeline) or not self._current():
            return
        index = self.home if self.home is not None else len(timeline) - 1
        self._resting = True
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._pending.stop()
        self.show_index(index)

    # ---- moving ----------------------------------------------------------------------------

    def _moved(self, value: int) -> None:
        self._resting = False
        self._sync_restore(value)  # at once: a click may come before the epoch is shown
        self._pending.start()

    def _sync_restore(self, index: int) -> None:
        """Restore is off at home (nothing would change); the tooltip says so."""
        timeline = self.timeline
        at_home = index == self.home
        self.restore_button.setEnabled(self.slider.isEnabled() and not at_home)
        epoch = timeline.all()[index].epoch if at_home and timeline is not None else None
        self.restore_button.setToolTip(
            RESTORE_TIP if not at_home else
            f"The graph holds epoch {epoch}'s parameters already: nothing to restore")

    def moment(self) -> tuple[dict[str, Any] | None, int | None]:
        """(parameters, epoch) on show when they are not the graph's own, else (None, None):
        what a sample picked now is taken at."""
        timeline = self.timeline
        if timeline is None or not len(timeline) or self._own(self.slider.value()):
            return None, None
        snap = timeline.all()[min(self.slider.value(), len(timeline) - 1)]
        return dict(snap.parameters), snap.epoch

    def _own(self, index: int) -> bool:
        """At ``index`` the canvas shows the graph's own numbers."""
        return index == self.home or (self._resting and self.home is None)

    def refresh(self) -> None:
        """Show the slider's moment again (a sample was dropped: the batch at that epoch;
        the timeline was closed: the graph's own numbers)."""
        if self.timeline is not None:
            self.show_index(self.slider.value())
        elif not self._show_sample():
            self.panel.shell.view_state.show_live(None)

    def _show_sample(self) -> bool:
        """Take the sample shown (if one is) again at the moment on show."""
        picker = getattr(self.panel, "sample_picker", None)
        sample = self.panel.shell.view_state.sample
        return sample is not None and picker is not None and picker.show(sample.index)

    def show_index(self, index: int) -> None:
        """Show snapshot ``index``: at home, the graph's own numbers."""
        timeline, vs = self.timeline, self.panel.shell.view_state
        if timeline is None or not len(timeline) or not self._current():
            return
        snaps = timeline.all()
        index = min(max(index, 0), len(snaps) - 1)
        snap, last = snaps[index], len(snaps) - 1
        own = self._own(index)
        marked = None if index == last else snap.epoch
        self.panel.loss_plot.mark_epoch(marked)
        self.panel.grad_plot_mark(marked)
        ev = None
        if self._show_sample():
            pass  # the same sample, at this epoch (the picker reads moment())
        elif own:
            vs.show_live(None)
            ev = vs.evaluation
        else:
            ev = self._program.evaluate(snap.parameters, wires=True)
            vs.show_live(ev, f"epoch {snap.epoch} of the run (timeline; Restore makes it "
                             "the graph's)")
        restored = index == self.home and index != last
        self._show_picture(snap, "restored" if restored else "")
        self.label.setText(self._text(snap, index, self._loss_shown(ev)))
        self._sync_restore(index)

    def _loss_shown(self, ev: Any) -> float | None:
        """The loss of the moment's parameters, as the canvas shows it (a snapshot's own
        loss is its epoch's, measured before that epoch's update: after a diverging run
        the two differ, and the Trainer's final line reports this one)."""
        if ev is None:
            return None
        trainer = getattr(self.panel, "trainer", None)
        value = ev.values.get(getattr(trainer, "loss_id", None) or ev.output)
        return value if value.__class__ is float else None

    def _text(self, snap: Snapshot, index: int, loss: float | None = None) -> str:
        if self._resting and self.home is None:
            return CHANGED_TEXT
        loss = self._loss(snap) if loss is None else loss
        text = f"epoch {snap.epoch}" + (f", loss {loss:.4g}" if loss is not None else "")
        if index == self.home and index != len(self.timeline) - 1:
            return text + " (restored)"
        return text + (" (the end)" if index == len(self.timeline) - 1 else "")

    def _loss(self, snap: Snapshot) -> float | None:
        """The snapshot's loss (the newest one's is the curve's last point)."""
        if snap.loss is not None:
            return snap.loss
        losses = self.timeline.losses if self.timeline is not None else []
        return losses[-1][1] if losses and losses[-1][0] == snap.epoch else None

    def _fit_label(self) -> None:
        """Room for the longest text this run can show: the label never clips, and the
        slider keeps its width while it moves."""
        texts = [IDLE_TEXT, CLOSED_TEXT, CHANGED_TEXT, "recording…"]
        if self.timeline is not None and len(self.timeline):
            last = self.timeline.all()[-1].epoch  # a loss is written with 4 digits (:.4g)
            texts += [f"epoch {last}, loss -8.888e-88 (restored)",
                      f"epoch {last}, loss -8.888e-88 (the end)"]
        metrics = self.label.fontMetrics()
        self.label.setMinimumWidth(max(metrics.horizontalAdvance(t) for t in texts) + 4)

    def _show_picture(self, snap: Snapshot, note: str) -> None:
        """The decision boundary (or fit) of that epoch's parameters."""
        worker = self._worker
        probe = worker.probe if worker is not None else None
        if probe is None:
            return
        trainer = worker.trainer  # the run has ended: its trainer is free to use here
        trainer.set_parameters(snap.parameters)
        prediction = trainer.predict(probe)
        self.panel.show_prediction(snap.epoch, prediction, note)

    def restore(self) -> bool:
        """The epoch shown becomes the graph's parameters (one undo step)."""
        timeline, doc = self.timeline, self.panel.document
        if timeline is None or doc is None or not self._current():
            return False
        index = min(self.slider.value(), len(timeline) - 1)
        if index == self.home:
            return False  # the graph holds it already (the button is off)
        snap = timeline.all()[index]
        changed = {pid: v for pid, v in snap.parameters.items()
                   if pid in doc.graph and not values_equal(doc.graph.node(pid).value, v)}
        self._restored.add(index)
        if changed:
            with doc.macro(f"Restore epoch {snap.epoch}"):
                for pid, value in changed.items():
                    doc.set_value(pid, np.array(value, copy=True)
                                  if isinstance(value, np.ndarray) else value)
        self.home = self._find_home()
        self.panel.timeline_moved()  # the plots' captions: the graph holds this epoch
        self.rest()
        return True

    def _fits(self, graph: Any) -> bool:
        return graph.structure_version == self._structure

    def _current(self) -> bool:
        """The timeline still fits the graph (no node added or removed since the run); once
        it does not, it is closed and the canvas shows the graph's own numbers again."""
        doc = self.panel.document
        if doc is not None and self._fits(doc.graph):
            return True
        shown = not self._own(self.slider.value())
        self._close()
        self.label.setText(CLOSED_TEXT)
        self.slider.setToolTip("The graph changed since the run: its timeline is closed")
        self.panel.loss_plot.mark_epoch(None)
        self.panel.grad_plot_mark(None)
        if shown:
            QTimer.singleShot(0, self, self.refresh)  # after the edit: the graph's own numbers
        return False

    def follow_graph(self) -> None:
        """After any edit of the graph: a timeline that no longer fits it is closed."""
        if self.timeline is not None:
            self._current()

    def _set_enabled(self, on: bool) -> None:
        self.slider.setEnabled(on)
        self.restore_button.setEnabled(on)


def _same_start(previous: Timeline, current: Timeline) -> bool:
    """Did both runs start from the same parameters (their epoch-0 snapshots)?"""
    a, b = previous.all(), current.all()
    if not a or not b or a[0].parameters.keys() != b[0].parameters.keys():
        return False
    return all(values_equal(a[0].parameters[k], b[0].parameters[k]) for k in a[0].parameters)
