"""The Trainer dock: the form's buttons and the session's state machine.

States: "idle", "running", "paused", "stopping". Start builds a Trainer from the document's
settings and hands it to a :class:`~.runner.TrainingRun`; while a run lasts the document is
locked (every view follows ``lock_changed``); when it ends, the trained values become one
undoable edit ("Train N epochs") and the canvas shows them.

What the plots show belongs to one graph and one run: another document clears them; when
the graph's parameters stop being the run's (Undo of the training, Reset parameters, an
edit) they say they are out of date until the parameters are the run's again (Redo) or
another run starts. An epoch restored from the run's timeline is still the run's: the
curves say which epoch the graph holds, undimmed.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QScrollArea

from graphgui.core.datasets import Dataset, DatasetError
from graphgui.core.graph import node_label
from graphgui.core.train import EpochResult, Trainer, TrainingError, TrainSettings
from graphgui.core.values import values_equal

from ...datasets_ui import initializer_settings
from ...dock_tabs import hide_stale_tab_bars
from ...document import Document
from ...scrolled import natural_width
from ...worker import TrainingWorker
from .data import LOCK_REASON, DataAndLayers
from .runner import TrainingRun
from .timeline_bar import TimelineBar

if TYPE_CHECKING:
    from ...shell import Shell

STALE_NOTE = "out of date: the graph's parameters changed after this run"
RESTORED_NOTE = "the graph holds epoch {epoch} of this run (restored)"
PICTURE_SHARE = 0.36  # of the bottom row's width: the boundary's column (about square)
PICTURE_MIN_SHARE = 0.3  # narrower than this, Start widens it
PICTURE_FLOOR = 224  # px: its caption ("epoch 10000") and buttons readable


PICTURE_DOCKS = ("boundaryDock", "fitDock", "activationDock")


class TrainingPanel(DataAndLayers):
    """Settings, controls and progress of training the current document."""

    state_changed = Signal(str)  # "idle", "running", "paused", "stopping"
    finished = Signal(object)  # the worker, after its parameters were applied

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell)
        self.setObjectName("trainingPanel")
        self.run: TrainingRun | None = None
        self.trainer: Trainer | None = None  # the last run's (progress and messages)
        self.docks: dict[str, Any] = {}
        self.train_actions: Any = None
        self._last_result: EpochResult | None = None
        self._run_values: dict[str, Any] | None = None  # the parameters the plots belong to
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.step_button.clicked.connect(self.step_epoch)
        self.settings_edited.connect(self._save_settings)
        self.init_edited.connect(self._save_init)
        self.speed_edited.connect(self._on_speed)
        # A burst of graph events (a paste, an inserted expression) refreshes the loss list
        # once, when control returns to the event loop: per event it was quadratic.
        self._graph_refresh = QTimer(self)
        self._graph_refresh.setSingleShot(True)
        self._graph_refresh.setInterval(0)
        self._graph_refresh.timeout.connect(self._refresh_from_graph)
        self.timeline_bar = TimelineBar(self)  # a full-width row under the loss plot: look
        self.loss_plot.layout().addWidget(self.timeline_bar)  # back through a run
        self._update_buttons()

    @property
    def worker(self) -> TrainingWorker | None:
        return self.run.worker if self.run is not None else None

    @property
    def last_result(self) -> EpochResult | None:
        return self.run.last_result if self.run is not None else self._last_result

    @property
    def plots(self) -> list[Any]:
        return [self.loss_plot, self.grad_plot, self.boundary_plot, self.fit_plot]

    # ---- document --------------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        """Follow another document: stop a run (keeping what it learned), clear the plots
        and the progress, show the new document's settings and data."""
        if document is self.document:
            return
        if self.run is not None:
            self.finish_now()
        old = self.document
        if old is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone
                old.settings_changed.disconnect(self._on_settings_changed)
            old.graph.changed.unsubscribe(self._on_graph_changed)
        self.document = document
        if document is not None:
            document.settings_changed.connect(self._on_settings_changed)
            document.graph.changed.subscribe(self._on_graph_changed)
        for plot in self.plots:
            plot.reset()
        self.timeline_bar.clear()
        self.trainer = None
        self._last_result = None
        self._run_values = None
        self._preview_spec = self._preview_key = None
        self.message = ""
        self.status.setText("")
        self.progress.setMaximum(100)
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.progress_detail.setText("")
        self.load_settings()
        self.show_data_preview()
        self.fit_picture_column()

    def _on_settings_changed(self, key: str) -> None:
        if key in ("training", "initializer"):
            self.load_settings()
            if key == "training":
                self.show_data_preview()
                self.fit_picture_column()

    def _on_graph_changed(self) -> None:
        if self.state == "idle":
            self.timeline_bar.follow_graph()  # closed once nodes are added or removed
        if self.state == "idle" and self._run_values is not None:
            self._check_stale()  # at once (an undo of the run); cheap: the run's parameters
        if not self._graph_refresh.isActive():
            self._graph_refresh.start()

    def _refresh_from_graph(self) -> None:
        if self.state == "idle" and self.document is not None:
            self.fill_loss_nodes(self._loss_names(), self.settings().get("loss"))
        self.fit_picture_column()

    def fit_picture_column(self) -> None:
        """The model's pictures (boundary, fit, activation) take a column beside the curves
        only when there is something to picture: a data set, or an activation to draw with
        its derivative. Otherwise the docks under the canvas (stepper, forward mode, paths)
        get the room, instead of an empty plot."""
        docks = getattr(self, "docks", None)
        if not docks or self.document is None:
            return
        has_data = self.settings().get("dataset") is not None
        has_activation = any(n.spec.category == "Activations" for n in self.document.graph)
        show = has_data or has_activation
        wanted = (show, has_data)
        if wanted == getattr(self, "_pictures", None) and all(
            docks[name].isHidden() != show for name in PICTURE_DOCKS
        ):
            return  # as it was: the user's choice of tab stays
        self._pictures = wanted
        for name in PICTURE_DOCKS:
            docks[name].setVisible(show)
        if show:  # the picture of this data set in front (the fit for a regression)
            front = ("activationDock" if not has_data else "boundaryDock"
                     if self.boundary_plot.grid is not None or self.fit_plot.xs.size == 0
                     else "fitDock")
            docks[front].raise_()
            # Shown at its narrowest after a graph without pictures: wide enough again.
            QTimer.singleShot(0, self, lambda: self._widen_picture(front))
        QTimer.singleShot(0, self, self._hide_stale_tab_bars)

    def _hide_stale_tab_bars(self) -> None:
        # Hiding a whole group of tabbed docks leaves its (now empty) tab bar shown.
        window = self.shell.widget()
        hide_stale_tab_bars(window, window.findChildren(QDockWidget))

    def _check_stale(self) -> None:
        """The plots belong to the run's parameters: say so when the graph's differ (dimmed,
        out of date), or which epoch of the run it holds when one was restored (a caption:
        the curves are still the graph's run; the pictures show the epoch they caption)."""
        doc, values = self.document, self._run_values
        stale = doc is not None and values is not None and any(
            pid not in doc.graph or not values_equal(doc.graph.node(pid).value, v)
            for pid, v in values.items())
        restored = self.timeline_bar.restored_epoch() if stale else None
        for plot in self.plots:
            if restored is None:
                plot.set_stale(STALE_NOTE if stale else "")
            elif plot in (self.loss_plot, self.grad_plot):
                plot.set_stale(RESTORED_NOTE.format(epoch=restored), dim=False)
            else:
                plot.set_stale("")
        out = stale and restored is None
        detail = self.progress_detail.text().replace(" · out of date", "")
        self.progress_detail.setText(detail + (" · out of date" if out else ""))

    def timeline_moved(self) -> None:
        """The timeline restored an epoch: the plots say so."""
        if self.state == "idle" and self._run_values is not None:
            self._check_stale()

    def _loss_names(self) -> list[tuple[str, str | None]]:
        graph = self.document.graph if self.document is not None else None
        out = graph.output if graph is not None else None
        names: list[tuple[str, str | None]] = [
            (f"output ({node_label(graph, out)})" if out is not None else "output", None)]
        if graph is not None:
            names += [(n.name, n.name) for n in graph.nodes if n.name and not n.is_source]
        return names

    def load_settings(self) -> None:
        """Show the document's settings in the widgets."""
        init = initializer_settings(self.document) if self.document else {}
        self.show_settings(self.settings(), init, self._loss_names())

    def widget_settings(self) -> dict[str, Any]:
        """The settings the widgets describe, on top of the document's (dataset etc.)."""
        return {**self.settings(), **self.form_settings()}

    def _save_settings(self) -> None:
        if self.document is not None:
            self.document.set_setting("training", self.widget_settings())

    def _save_init(self) -> None:
        if self.document is not None:
            self.document.set_setting("initializer", self.init_settings())

    def _on_speed(self, rate: float | None) -> None:
        """The speed applies at once, also to a run in progress, and is saved."""
        if self.run is not None:
            self.run.set_speed(rate)
        self._save_settings()

    # ---- running ---------------------------------------------------------------------------

    def start(self, paused: bool = False) -> bool:
        """Start training (or resume a paused session). False when it cannot start."""
        if self.state == "paused" and self.run is not None:
            self.resume()
            return True
        if self.state != "idle" or self.document is None:
            return False
        doc = self.document
        try:
            settings = TrainSettings.from_dict(self.widget_settings())
            data = self.dataset()
            trainer = Trainer.from_settings(doc.graph, settings, dataset=data)
        except (TrainingError, DatasetError) as exc:
            self._say(f"Cannot train: {exc}")
            return False
        self.trainer = trainer
        self._run_values = None
        for plot in self.plots:
            plot.set_stale("")
        self.loss_plot.clear()
        self.grad_plot.clear()
        self.loss_plot.set_accuracy_shown(
            data is not None and data.is_classification and trainer.predict_id is not None)
        for plot in (self.loss_plot, self.grad_plot):
            plot.set_epochs(trainer.epoch, trainer.epochs)
        probe = None
        if data is not None:
            bp = self.boundary_plot
            score = trainer.threshold == 0.0
            if (data.meta["spec"] == self._preview_spec and bp.grid is not None
                    and data.n_features == 2 and bp.score == score):
                probe = bp.grid  # the preview already shows these points (saves a repaint)
            else:
                probe = self._setup_data_plots(data, trainer)
        self._bring_plots_forward(data)
        self.run = TrainingRun(trainer, doc.graph, self, self, self.shell.view_state, probe,
                               settings.epochs_per_second, parent=self)
        self.run.ended.connect(self._on_run_ended)
        self.timeline_bar.run_started(self.run.worker)
        self._lock(True)
        self.run.start(paused)
        self._set_state(self.run.state)
        self.status.setText("")
        self.shell.show_message("Training… the graph is locked until it stops")
        return True

    def _bring_plots_forward(self, data: Dataset | None) -> None:
        """Loss and the picture of the model side by side (their docks are not tabbed
        together: see install)."""
        picture = None
        if data is not None and data.n_features == 2 and data.is_classification:
            picture = "boundaryDock"
        elif data is not None and data.n_features == 1 and not data.is_classification:
            picture = "fitDock"
        for name in ("lossDock", picture):
            dock = self.docks.get(name) if name else None
            if dock is not None and not dock.isHidden():
                dock.raise_()
        # Once the raised tabs have their geometry (the next turn of the event loop).
        QTimer.singleShot(0, self, lambda: self._widen_picture(picture or "boundaryDock"))

    def _widen_picture(self, picture: str) -> None:
        """The picture column as :meth:`picture_width` wants it, when it is squeezed (the
        window grew, the stepper took the room) or crowds the tabs beside it."""
        column = self.docks.get(picture)
        if column is None or not column.isVisible() or column.isFloating():
            return
        loss = self._left_of(column)
        if loss is None:
            return
        total = loss.width() + column.width()
        width = self.picture_width(total, loss)
        squeezed = column.width() < min(width, PICTURE_MIN_SHARE * total)
        # Wider than its share while the tabs beside it scroll for want of room (a column
        # the user widened, with room to spare beside it, stays as it is).
        need = self._needed_beside(loss)
        crowding = column.width() > width + 8 and loss.width() < need
        if crowding:  # only as much narrower as the tabs need
            width = max(width, total - need)
        if squeezed or crowding:
            self.shell.resize_panels([loss, column], [total - width, width], Qt.Horizontal)

    def picture_width(self, total: int, beside: QDockWidget) -> int:
        """The pictures' share of a bottom row ``total`` wide, as far as the tabs ``beside``
        it keep the width their pages need (the stepper's log and text: 616 px); never
        under PICTURE_FLOOR (then those pages scroll)."""
        need = self._needed_beside(beside)
        return max(PICTURE_FLOOR, min(int(PICTURE_SHARE * total), total - need))

    def _needed_beside(self, beside: QDockWidget) -> int:
        window = self.shell.widget()
        tabs = [beside, *window.tabifiedDockWidgets(beside)]  # type: ignore[attr-defined]
        return max(natural_width(dock) for dock in tabs)

    def _left_of(self, column: QDockWidget) -> QDockWidget | None:
        """The dock in front beside the pictures' column (Loss, or the stepper's group)."""
        window = self.shell.widget()
        box = column.geometry()
        for dock in window.findChildren(QDockWidget):
            g = dock.geometry()
            if (dock.isVisible() and not dock.isFloating() and dock is not column
                    and dock.parentWidget() is column.parentWidget()
                    and abs(g.top() - box.top()) < 4 and 0 <= box.left() - g.right() < 12):
                return dock
        return None

    def toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        if self.run is not None and self.state == "running":
            self.run.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.run is not None and self.state == "paused":
            self.run.resume()
            self._set_state("running")

    def step_epoch(self) -> bool:
        """Train one epoch then pause (starting a paused session first if needed)."""
        if self.state == "idle" and not self.start(paused=True):
            return False
        if self.state != "paused" or self.run is None:
            return False
        self.run.step(1)
        return True

    def stop(self) -> None:
        """Ask the worker to stop; the parameters are applied when it has."""
        if self.run is not None and self.state in ("running", "paused"):
            self.run.stop()
            self._set_state("stopping")

    def drain(self) -> None:
        if self.run is not None:
            self.run.drain()

    def refresh_plots(self, everything: bool = True) -> bool:
        return self.run.refresh_plots(everything) if self.run is not None else False

    def finish_now(self) -> None:
        """Stop and wait for the worker, applying its parameters (closing, other document)."""
        if self.run is not None:
            self.run.wait()

    def close_guard(self) -> bool:
        """Before the document is closed or replaced: stop training and keep its values
        (as an undo step, so the unsaved-changes prompt that follows can save them)."""
        self.finish_now()
        return True

    def _on_run_ended(self) -> None:
        run = self.run
        if run is None:
            return
        worker = run.worker
        self._last_result = run.last_result
        self.run = None
        self._lock(False)
        self._set_state("idle")
        self._run_values = dict(worker.parameters)
        applied = self._apply(worker.parameters, worker)
        run.show_final()
        self._check_stale()
        self.timeline_bar.run_ended(worker)
        self._say(self._final_text(worker, applied))
        self._show_result()
        self.finished.emit(worker)
        run.deleteLater()

    def show_prediction(self, epoch: int, prediction: Any, note: str = "") -> None:
        """A prediction on the run's probe: the boundary (two features) or the fit."""
        bp = self.boundary_plot
        plot = bp if bp.grid is not None else self.fit_plot
        plot.set_prediction(epoch, prediction, note)
        plot.refresh()

    def _show_result(self) -> None:
        """The run's result line in view: on a short screen the form scrolls, and the line
        under the progress bar was cut off at the dock's bottom edge."""
        scroll = self.parentWidget().parentWidget() if self.parentWidget() else None
        if isinstance(scroll, QScrollArea):
            # The panel is the scroll area's: alive, so are the area and the line.
            QTimer.singleShot(0, self, lambda: scroll.ensureWidgetVisible(self.status, 0, 0))

    def grad_plot_mark(self, epoch: int | None) -> None:
        self.grad_plot.mark_epoch(epoch)

    def _final_text(self, worker: TrainingWorker, applied: bool) -> str:
        """What the run ended with, in the numbers the canvas now shows."""
        if worker.error is not None:
            text = f"Training stopped: {worker.error}"
            if getattr(worker, "crashed", False):
                return text  # it says which parameters it kept
            return text + (" (kept the last finite parameters)" if applied else "")
        epochs = worker.trainer.epoch
        what = "Stopped after" if worker.stopped else "Trained"
        text = f"{what} {epochs} epoch{'s' if epochs != 1 else ''}"
        if worker.final is not None:
            loss, accuracy = worker.final
            text += f": loss {loss:.4g}"
            if accuracy is not None:
                data = worker.trainer.dataset
                which = "test accuracy" if data is not None and data.n_test else "accuracy"
                text += f", {which} {100 * accuracy:.1f}%"
        return text + f" ({worker.seconds:.1f} s)"

    def _apply(self, values: dict[str, Any], worker: TrainingWorker) -> bool:
        """The trained values as one undoable edit (nothing when they did not change)."""
        doc = self.document
        if doc is None:
            return False
        changed = {pid: v for pid, v in values.items()
                   if pid in doc.graph and not values_equal(doc.graph.node(pid).value, v)}
        if not changed:
            return False
        epochs = worker.trainer.epoch
        with doc.macro(f"Train {epochs} epoch{'s' if epochs != 1 else ''}"):
            for pid, value in changed.items():
                doc.set_value(pid, value)
        return True

    def _lock(self, on: bool) -> None:
        """Lock the document while training runs; every view follows its lock_changed (the
        one place edits are refused), so nothing else is switched off here."""
        doc = self.document
        if doc is None:
            return
        if on:
            doc.lock(LOCK_REASON)
        else:
            doc.unlock()

    def _set_state(self, state: str) -> None:
        self.state = state
        self._update_buttons()
        self.state_changed.emit(state)

    def _update_buttons(self) -> None:
        s = self.state
        idle = s == "idle"
        for widget in (self.data_button, self.dense_button, self.reset_button):
            widget.setEnabled(idle)
        self.start_button.setEnabled(idle)
        self.pause_button.setEnabled(s in ("running", "paused"))
        self.pause_button.setText("Resume" if s == "paused" else "Pause")
        self.stop_button.setEnabled(s in ("running", "paused"))
        self.step_button.setEnabled(s in ("idle", "paused"))
        self.set_settings_enabled(idle)
        if self.train_actions is not None:
            self.train_actions.update(s)

    # ---- activation plot ---------------------------------------------------------------------

    def show_activation(self, *_: object) -> None:
        if not shiboken6.isValid(self.activation_plot):
            return  # the window is being torn down (selection cleared while deleting)
        doc = self.document
        ids = self.shell.selected_node_ids()
        evaluation = self.shell.view_state.evaluation
        node = ids[0] if len(ids) == 1 else None
        self.activation_plot.show_node(doc.graph if doc else None, node, evaluation)
