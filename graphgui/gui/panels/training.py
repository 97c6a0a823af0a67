"""The Trainer dock and the live plot docks.

The dock edits the document's training settings (saved with the graph: ``settings
["training"]``), inserts data sets and Dense layers, resets parameters, and runs a
:class:`~graphgui.gui.worker.TrainingWorker`: Start, Pause/Resume, Stop, Step epoch. While a
session runs the document is locked (edits are refused with a status message, undo is off,
nodes do not move); a ~30 Hz timer drains the worker's buffer into the progress bar and the
plots. When training ends or stops, the trained values become one undoable edit.

``install(shell)`` adds the docks, the Train menu and the close guard.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.datasets import Dataset, DatasetError
from graphgui.core.graph import GraphError
from graphgui.core.initializers import INITIALIZERS, InitializerError
from graphgui.core.optimizers import OPTIMIZERS
from graphgui.core.train import EpochResult, Trainer, TrainingError, TrainSettings
from graphgui.core.values import format_value, values_equal

from ..actions import make_action
from ..datasets_ui import (
    DatasetDialog,
    DenseDialog,
    init_spec,
    initializer_settings,
    insert_dataset,
    insert_dense,
    reset_parameters,
    training_settings,
)
from ..document import Document
from ..worker import TrainingWorker
from .plots import ActivationPlot, BoundaryPlot, FitPlot, GradNormPlot, LossPlot

if TYPE_CHECKING:
    from ..shell import Shell

DRAIN_MS = 33  # ~30 Hz: progress bar and buffer
# Plots redraw on every 6th drain (~5 Hz) while training: pyqtgraph paints in Python and
# competes with the worker for the GIL; at ~10 Hz training ran at 0.73x headless speed, at
# ~5 Hz 0.87x (benchmarks/bench_training_gui.py). The progress bar still updates at 30 Hz.
PLOT_EVERY = 6
HOLD_SECONDS = 0.012  # the worker steps aside this long while the plots repaint
SWITCH_SECONDS = 0.001  # sys.setswitchinterval while training runs
START_HOLD_SECONDS = 0.08  # the first epoch waits for the GUI to repaint the started state
LOCK_REASON = "Training is running: pause or stop it to edit the graph"
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "Momentum", "rmsprop": "RMSprop", "adam": "Adam"}
BATCH_MODES = (("full", "Full batch"), ("mini", "Mini-batch"), ("sgd", "Stochastic (1)"))


class TrainingPanel(QWidget):
    """Settings, controls and progress of training the current document."""

    state_changed = Signal(str)  # "idle", "running", "paused", "stopping"
    finished = Signal(object)  # the worker, after its parameters were applied

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("trainingPanel")
        self.shell = shell
        self.document: Document | None = None
        self.worker: TrainingWorker | None = None
        self.trainer: Trainer | None = None
        self.state = "idle"
        self.message = ""
        self.last_result: EpochResult | None = None
        self._started = 0.0
        self._start_epoch = 0
        self._loading = False
        self._preview_spec: Any = None  # the full spec of the data shown in the plots
        self._preview_key: Any = None  # the settings' spec it came from
        self._drains = 0
        self._switch = sys.getswitchinterval()
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)

        self.loss_plot = LossPlot()
        self.boundary_plot = BoundaryPlot()
        self.fit_plot = FitPlot()
        self.activation_plot = ActivationPlot()
        self.grad_plot = GradNormPlot()
        self._build()

    # ---- widgets -------------------------------------------------------------------------

    def _build(self) -> None:
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)

        data = QGroupBox("Data and layers")
        data_box = QVBoxLayout(data)
        self.data_label = QLabel()
        self.data_label.setObjectName("dataLabel")
        self.data_label.setWordWrap(True)
        data_box.addWidget(self.data_label)
        row = QHBoxLayout()
        self.data_button = QPushButton("Data set…")
        self.data_button.setToolTip("Insert the input nodes X and Y filled with a data set")
        self.data_button.clicked.connect(self.ask_dataset)
        self.dense_button = QPushButton("Dense layer…")
        self.dense_button.setToolTip("Insert A = act(W @ x + b), wired to the selected node")
        self.dense_button.clicked.connect(self.ask_dense)
        row.addWidget(self.data_button)
        row.addWidget(self.dense_button)
        data_box.addLayout(row)
        box.addWidget(data)

        params = QGroupBox("Parameters")
        pform = QFormLayout(params)
        self.init_combo = QComboBox()
        for kind in INITIALIZERS:
            self.init_combo.addItem({"normal": "normal × scale", "he": "He",
                                     "xavier": "Xavier"}.get(kind, kind), kind)
        self.init_scale = _spin(0.0, 1000.0, 4, 0.01)
        self.init_seed = QSpinBox()
        self.init_seed.setRange(0, 2**31 - 1)
        self.reset_button = QPushButton("Reset parameters")
        self.reset_button.setToolTip("New values for every parameter: weights with this "
                                     "initializer, biases zero (one undo step)")
        self.reset_button.clicked.connect(self.reset_parameters)
        init_row = QHBoxLayout()
        init_row.addWidget(self.init_combo, 1)
        init_row.addWidget(self.init_scale)
        pform.addRow("Weights", init_row)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.init_seed, 1)
        seed_row.addWidget(self.reset_button)
        pform.addRow("Seed", seed_row)
        box.addWidget(params)

        train = QGroupBox("Training")
        form = QFormLayout(train)
        self.loss_combo = QComboBox()
        self.loss_combo.setToolTip("The node to minimise (default: the graph's output)")
        self.optimizer_combo = QComboBox()
        for name in OPTIMIZERS:
            self.optimizer_combo.addItem(OPTIMIZER_LABELS.get(name, name), name)
        self.lr = _spin(1e-6, 100.0, 6, 0.1)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10_000_000)
        self.epochs.setSingleStep(100)
        self.batch_mode = QComboBox()
        for key, label in BATCH_MODES:
            self.batch_mode.addItem(label, key)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setValue(32)
        batch_row = QHBoxLayout()
        batch_row.addWidget(self.batch_mode, 1)
        batch_row.addWidget(self.batch_size)
        self.l2 = _spin(0.0, 100.0, 6, 0.0)
        self.l2.setToolTip("Weight decay: adds l2 * W to each weight's gradient")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Shuffle order of mini-batches")
        form.addRow("Loss", self.loss_combo)
        form.addRow("Optimizer", self.optimizer_combo)
        form.addRow("Learning rate", self.lr)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batches", batch_row)
        form.addRow("L2", self.l2)
        form.addRow("Shuffle seed", self.seed)
        box.addWidget(train)

        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setToolTip("Train in the background (Ctrl+T)")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.step_button = QPushButton("Step epoch")
        self.step_button.setToolTip("Train one epoch, then pause")
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self.step_button.clicked.connect(self.step_epoch)
        for b in (self.start_button, self.pause_button, self.stop_button, self.step_button):
            buttons.addWidget(b)
        box.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("ready")
        self.progress.setValue(0)
        box.addWidget(self.progress)
        self.status = QLabel()
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.addWidget(self.status)
        box.addStretch(1)

        for widget in (self.loss_combo, self.optimizer_combo, self.batch_mode):
            widget.currentIndexChanged.connect(self._save_settings)
        for spin in (self.lr, self.epochs, self.batch_size, self.l2, self.seed):
            spin.valueChanged.connect(self._save_settings)
        self.init_combo.currentIndexChanged.connect(self._save_init)
        self.init_scale.valueChanged.connect(self._save_init)
        self.init_seed.valueChanged.connect(self._save_init)
        self._update_buttons()

    # ---- document --------------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        if document is self.document:
            return
        if self.worker is not None:
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
        self.loss_plot.clear()
        self.grad_plot.clear()
        self._preview_spec = self._preview_key = None
        self.message = ""
        self.status.setText("")
        self.progress.setValue(0)
        self.progress.setFormat("ready")
        self.load_settings()
        self.show_data_preview()

    def _on_settings_changed(self, key: str) -> None:
        if key in ("training", "initializer"):
            self.load_settings()
            if key == "training":
                self.show_data_preview()

    def _on_graph_changed(self) -> None:
        if not self._loading and self.state == "idle":
            self._fill_loss_nodes(self.settings().get("loss"))

    def settings(self) -> dict[str, Any]:
        return training_settings(self.document) if self.document is not None else (
            TrainSettings().to_dict())

    def load_settings(self) -> None:
        """Show the document's settings in the widgets."""
        s = self.settings()
        self._loading = True
        try:
            self._fill_loss_nodes(s.get("loss"))
            self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(
                s["optimizer"])))
            self.lr.setValue(float(s["lr"]))
            self.epochs.setValue(max(1, int(s["epochs"])))
            batch = s["batch_size"]
            mode = "full" if batch is None else ("sgd" if batch == 1 else "mini")
            self.batch_mode.setCurrentIndex(self.batch_mode.findData(mode))
            if batch not in (None, 1):
                self.batch_size.setValue(int(batch))
            self.batch_size.setEnabled(mode == "mini")
            self.l2.setValue(float(s["l2"]))
            self.seed.setValue(int(s["seed"] or 0))
            init = initializer_settings(self.document) if self.document else {}
            weights = init.get("weights", "zeros")
            kind = weights if isinstance(weights, str) else weights.get("kind", "normal")
            self.init_combo.setCurrentIndex(max(0, self.init_combo.findData(kind)))
            if isinstance(weights, dict) and "scale" in weights:
                self.init_scale.setValue(float(weights["scale"]))
            self.init_scale.setEnabled(kind == "normal")
            self.init_seed.setValue(int(init.get("seed") or 0))
        finally:
            self._loading = False

    def _fill_loss_nodes(self, current: str | None) -> None:
        combo = self.loss_combo
        loading, self._loading = self._loading, True
        try:
            combo.clear()
            graph = self.document.graph if self.document is not None else None
            out = graph.output if graph is not None else None
            auto = f"output ({graph.node(out).title})" if out is not None else "output"
            combo.addItem(auto, None)
            if graph is not None:
                for node in graph.nodes:
                    if node.name and not node.is_source:
                        combo.addItem(node.name, node.name)
            index = combo.findData(current) if current else 0
            if current and index < 0:  # a name the graph lost: keep it visible
                combo.addItem(f"{current} (missing)", current)
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))
        finally:
            self._loading = loading

    def widget_settings(self) -> dict[str, Any]:
        """The settings the widgets describe, on top of the document's (dataset etc.)."""
        s = self.settings()
        mode = self.batch_mode.currentData()
        s.update({
            "loss": self.loss_combo.currentData(),
            "optimizer": self.optimizer_combo.currentData(),
            "lr": self.lr.value(),
            "epochs": self.epochs.value(),
            "batch_size": None if mode == "full" else (1 if mode == "sgd"
                                                       else self.batch_size.value()),
            "l2": self.l2.value(),
            "seed": self.seed.value(),
        })
        return s

    def _save_settings(self, *_: object) -> None:
        self.batch_size.setEnabled(self.batch_mode.currentData() == "mini")
        if self._loading or self.document is None:
            return
        self.document.set_setting("training", self.widget_settings())

    def init_settings(self) -> dict[str, Any]:
        kind = self.init_combo.currentData()
        self.init_scale.setEnabled(kind == "normal")
        return {"weights": init_spec(kind, self.init_scale.value()), "biases": "zeros",
                "seed": self.init_seed.value()}

    def _save_init(self, *_: object) -> None:
        init = self.init_settings()
        if not self._loading and self.document is not None:
            self.document.set_setting("initializer", init)

    # ---- data, layers, parameters ----------------------------------------------------------

    def dataset(self) -> Dataset | None:
        """The data set the settings describe (None without one); raises DatasetError."""
        spec = self.settings().get("dataset")
        if not spec:
            return None
        from graphgui.core.datasets import make_dataset

        return make_dataset(self._resolve(spec))

    def _resolve(self, spec: dict[str, Any]) -> dict[str, Any]:
        """A CSV path relative to the graph file's folder (docs/training.md)."""
        path = spec.get("path")
        doc = self.document
        if spec.get("kind") == "csv" and path and not os.path.isabs(path) and doc and doc.path:
            spec = {**spec, "path": os.path.join(os.path.dirname(doc.path), path)}
        return spec

    def show_data_preview(self) -> None:
        """Describe the data set and show it in the boundary or fit plot."""
        spec = self.settings().get("dataset")
        if spec == self._preview_key and spec is not None:
            return
        self._preview_key = spec
        try:
            data = self.dataset()
        except DatasetError as exc:
            self.data_label.setText(f"Data set: {exc}")
            return
        if data is None:
            self.data_label.setText("No data set: training minimises the graph's output "
                                    "with its own input values (one step per epoch).")
            return
        spec = data.meta["spec"]
        self._preview_spec = spec
        split = f"{data.n_train} train / {data.n_test} test"
        kind = {"moons": "Two moons", "sin": "sin(x)", "ising": "Ising"}.get(data.kind,
                                                                            data.kind)
        self.data_label.setText(f"{kind}: {data.n_features} features, {split}"
                                + (", standardized" if spec.get("standardize") else ""))
        self._setup_data_plots(data)

    def _setup_data_plots(self, data: Dataset, trainer: Trainer | None = None) -> Any:
        """Points in the boundary (2-D classification) or fit (1-D regression) plot; returns
        the probe grid for the worker (None when neither applies)."""
        if data.is_classification and data.n_features == 2:
            labels_train = data.labels(data.Y_train)
            labels_test = data.labels(data.Y_test) if data.n_test else np.zeros(0, int)
            score = bool(trainer is not None and trainer.threshold == 0.0)
            return self.boundary_plot.set_data(
                data.X_train, labels_train, data.X_test, labels_test, data.sample_axis,
                score=score, n_classes=max(2, data.n_classes))
        if not data.is_classification and data.n_features == 1 and data.n_outputs == 1:
            target = None
            if data.kind == "sin":
                mean = (data.meta.get("mean") or [0.0])[0]
                std = (data.meta.get("std") or [1.0])[0]
                target = lambda x: np.sin(x * std + mean)  # noqa: E731
            return self.fit_plot.set_data(data.X_train, data.Y_train, data.X_test,
                                          data.Y_test, data.sample_axis, target)
        return None

    def ask_dataset(self) -> DatasetDialog | None:
        if not self._editable():
            return None
        dialog = DatasetDialog(self, self.settings().get("dataset"))
        dialog.accepted.connect(lambda: self.insert_dataset(dialog.spec()))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def insert_dataset(self, spec: dict[str, Any]) -> bool:
        doc = self.document
        if doc is None or not self._editable():
            return False
        try:
            x, y = insert_dataset(doc, self._resolve(spec), self._free_pos())
        except (DatasetError, GraphError) as exc:
            self._say(f"Cannot insert the data set: {exc}")
            return False
        self.shell.select_nodes([x, y])
        self._say(f"Inserted the data set: X {format_value(doc.graph.node(x).value)}, "
                  f"Y {format_value(doc.graph.node(y).value)}")
        return True

    def ask_dense(self) -> DenseDialog | None:
        if not self._editable():
            return None
        source = self._selected_one()
        inputs = 2
        if source is not None:
            v = self.shell.view_state.value(source)
            shape = np.shape(v) if v is not None else ()
            if shape:
                inputs = int(shape[0])
        dialog = DenseDialog(self, inputs)
        dialog.accepted.connect(lambda: self.insert_dense(**dialog.values(), source=source))
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def insert_dense(self, inputs: int, units: int, activation: str | None,
                     weights: Any = None, seed: int | None = 0,
                     source: str | None = None) -> list[str]:
        doc = self.document
        if doc is None or not self._editable():
            return []
        if source is not None and source in doc.graph:
            x, y = doc.graph.node(source).pos
            pos = (x + 220.0, y)
        else:
            source = None
            pos = self._free_pos()
        try:
            ids = insert_dense(doc, inputs, units, activation, weights, seed, source, pos)
        except (GraphError, InitializerError) as exc:
            self._say(f"Cannot insert the Dense layer: {exc}")
            return []
        self.shell.select_nodes(ids)
        self._say(f"Inserted a Dense layer {inputs} → {units} ({activation or 'linear'})")
        return ids

    def reset_parameters(self) -> int:
        doc = self.document
        if doc is None or not self._editable():
            return 0
        try:
            count = reset_parameters(doc, self.init_settings())
        except (InitializerError, GraphError) as exc:
            self._say(f"Cannot reset the parameters: {exc}")
            return 0
        self._say(f"Reset {count} parameters" if count else "The graph has no parameters")
        return count

    def _selected_one(self) -> str | None:
        ids = self.shell.selected_node_ids()
        return ids[0] if len(ids) == 1 else None

    def _free_pos(self) -> tuple[float, float]:
        point = self.shell.free_position()
        return (point.x(), point.y())

    def _editable(self) -> bool:
        if self.state != "idle":
            self._say(LOCK_REASON)
            return False
        return self.document is not None

    def _say(self, text: str) -> None:
        self.message = text
        self.status.setText(text)
        self.shell.show_message(text)

    # ---- running ---------------------------------------------------------------------------

    def start(self, paused: bool = False) -> bool:
        """Start training (or resume a paused session). False when it cannot start."""
        if self.state == "paused" and self.worker is not None:
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
        self.loss_plot.clear()
        self.grad_plot.clear()
        for plot in (self.loss_plot, self.grad_plot):
            plot.set_epochs(trainer.epoch, trainer.epochs)
        probe = None
        if data is not None:
            bp = self.boundary_plot
            score = trainer.threshold == 0.0
            if (data.meta["spec"] == self._preview_spec and bp.grid is not None
                    and data.n_features == 2 and bp._score == score):
                probe = bp.grid  # the preview already shows these points (saves a repaint)
            else:
                probe = self._setup_data_plots(data, trainer)
        self.worker = TrainingWorker(trainer, probe=probe, parent=self)
        self.worker.finished.connect(self._on_worker_finished)
        self.last_result = None
        self._started = time.perf_counter()
        self._start_epoch = 0
        self._lock(True)
        self.boundary_plot.live = True
        # Hand the GIL to the GUI thread sooner when it asks (5 ms by default): its paints
        # cross between Python and Qt many times, each crossing may wait for a switch.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_SECONDS)
        # Objects alive now (the whole editor) need no garbage collection while training:
        # a full collection of them costs ~25 ms of GIL (a stall) several times a run.
        gc.freeze()
        self.worker.hold(START_HOLD_SECONDS)
        if paused:
            self.worker.start_paused()
            self._set_state("paused")
        else:
            self.worker.start()
            self._set_state("running")
        self.timer.start()
        self.status.setText("")
        self.shell.show_message("Training… the graph is locked until it stops")
        return True

    def toggle_pause(self) -> None:
        if self.state == "running":
            self.pause()
        elif self.state == "paused":
            self.resume()

    def pause(self) -> None:
        if self.worker is not None and self.state == "running":
            self.worker.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.worker is not None and self.state == "paused":
            self.worker.resume()
            self._started = time.perf_counter()
            self._start_epoch = self.trainer.epoch if self.trainer else 0
            self._set_state("running")

    def step_epoch(self) -> bool:
        """Train one epoch then pause (starting a paused session first if needed)."""
        if self.state == "idle" and not self.start(paused=True):
            return False
        if self.state != "paused" or self.worker is None:
            return False
        self.worker.step(1)
        return True

    def stop(self) -> None:
        """Ask the worker to stop; the parameters are applied when it has."""
        if self.worker is not None and self.state in ("running", "paused"):
            self.worker.stop()
            self._set_state("stopping")

    def finish_now(self) -> None:
        """Stop and wait for the worker, applying its parameters (closing, other document)."""
        worker = self.worker
        if worker is None:
            return
        worker.stop()
        worker.wait()
        self._on_worker_finished()

    def close_guard(self) -> bool:
        """Before the document is closed or replaced: stop training and keep its values
        (as an undo step, so the unsaved-changes prompt that follows can save them)."""
        self.finish_now()
        return True

    def _on_worker_finished(self) -> None:
        worker = self.worker
        if worker is None or not worker.isFinished():
            return
        self.timer.stop()
        sys.setswitchinterval(self._switch)
        gc.unfreeze()
        self.boundary_plot.live = False
        self.boundary_plot._dirty = self.boundary_plot.values is not None
        self.drain()
        self.refresh_plots()
        self.worker = None
        self._lock(False)
        self._set_state("idle")
        applied = self._apply(worker.parameters, worker)
        trainer = worker.trainer
        if worker.error is not None:
            text = f"Training stopped: {worker.error}"
            if applied:
                text += " (kept the last finite parameters)"
        else:
            what = "Stopped after" if worker.stopped else "Trained"
            text = f"{what} {trainer.epoch} epoch{'s' if trainer.epoch != 1 else ''}"
            r = self.last_result
            if r is not None:
                text += f": loss {r.train_loss:.4g}"
                if r.test_accuracy is not None:
                    text += f", test accuracy {100 * r.test_accuracy:.1f}%"
                elif r.train_accuracy is not None:
                    text += f", accuracy {100 * r.train_accuracy:.1f}%"
            text += f" ({worker.seconds:.1f} s)"
        self._say(text)
        self._update_progress(final=True)
        self.finished.emit(worker)
        worker.deleteLater()

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
        for widget in (self.data_button, self.dense_button, self.reset_button):
            widget.setEnabled(not on)

    def _set_state(self, state: str) -> None:
        self.state = state
        self._update_buttons()
        self.state_changed.emit(state)

    def _update_buttons(self) -> None:
        s = self.state
        self.start_button.setEnabled(s == "idle")
        self.pause_button.setEnabled(s in ("running", "paused"))
        self.pause_button.setText("Resume" if s == "paused" else "Pause")
        self.stop_button.setEnabled(s in ("running", "paused"))
        self.step_button.setEnabled(s in ("idle", "paused"))
        settings_on = s == "idle"
        for w in (self.loss_combo, self.optimizer_combo, self.lr, self.epochs,
                  self.batch_mode, self.l2, self.seed):
            w.setEnabled(settings_on)
        self.batch_size.setEnabled(settings_on and self.batch_mode.currentData() == "mini")
        actions = getattr(self, "train_actions", None)
        if actions is not None:
            actions.update(s)

    # ---- the 30 Hz drain --------------------------------------------------------------------

    def drain(self) -> None:
        worker = self.worker
        if worker is None:
            return
        progress = worker.drain()
        self._drains += 1
        if progress.results:
            self.last_result = progress.results[-1]
            self.loss_plot.append(progress.results)
            self.grad_plot.append(progress.results)
        if progress.probe is not None:
            epoch, value = progress.probe
            target = self.boundary_plot if self.boundary_plot.grid is not None and (
                self.trainer is not None and self.trainer.dataset is not None
                and self.trainer.dataset.n_features == 2) else self.fit_plot
            target.set_prediction(epoch, value)
        if self._drains % PLOT_EVERY == 0 and self.state == "running":
            if self.refresh_plots(everything=False):
                worker.hold(HOLD_SECONDS)
        elif self.state != "running":
            self.refresh_plots(everything=False)
        self._update_progress()

    def refresh_plots(self, everything: bool = True) -> bool:
        """Redraw plots with new data; hidden ones wait until shown (or ``everything``).
        True when a visible plot changed (it will repaint)."""
        changed = False
        for plot in (self.loss_plot, self.grad_plot, self.boundary_plot, self.fit_plot):
            if everything or plot.isVisible():
                changed |= plot.refresh() and plot.isVisible()
        return changed

    def _update_progress(self, final: bool = False) -> None:
        trainer, r = self.trainer, self.last_result
        if trainer is None:
            return
        total = max(1, trainer.epochs)
        done = r.epoch if r is not None else trainer.epoch
        self.progress.setMaximum(total)
        self.progress.setValue(min(done, total))
        parts = [f"epoch {done} / {total}"]
        if r is not None:
            parts.append(f"loss {r.train_loss:.4g}")
        if not final and self.state == "running" and done > self._start_epoch:
            rate = (done - self._start_epoch) / max(1e-9, time.perf_counter() - self._started)
            parts.append(f"{_duration((total - done) / rate)} left")
        elif self.state == "paused":
            parts.append("paused")
        self.progress.setFormat(" · ".join(parts))

    # ---- activation plot ---------------------------------------------------------------------

    def show_activation(self, *_: object) -> None:
        if not shiboken6.isValid(self.activation_plot):
            return  # the window is being torn down (selection cleared while deleting)
        doc = self.document
        ids = self.shell.selected_node_ids()
        evaluation = self.shell.view_state.evaluation
        node = ids[0] if len(ids) == 1 else None
        self.activation_plot.show_node(doc.graph if doc else None, node, evaluation)


def _spin(low: float, high: float, decimals: int, value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSingleStep(10 ** -min(decimals, 2))
    spin.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
    return spin


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# ---- installation ------------------------------------------------------------------------------


class TrainActions(QObject):
    """The Train menu's actions, enabled by the panel's state."""

    def __init__(self, shell: Shell, panel: TrainingPanel) -> None:
        window = shell.widget()
        super().__init__(window)
        self.panel = panel

        def act(text: str, slot: Any, name: str = "", tip: str = "") -> QAction:
            action = make_action(window, text, slot, name=name, tip=tip)
            shell.add_action(action)
            return action

        self.dataset = act("Insert &Data Set…", panel.ask_dataset,
                           tip="Input nodes X and Y filled with a data set")
        self.dense = act("Insert D&ense Layer…", panel.ask_dense,
                         tip="A = act(W @ x + b), wired to the selected node")
        self.reset = act("&Reset Parameters", panel.reset_parameters,
                         tip="New initial values for every parameter (one undo step)")
        self.start = act("&Start Training", panel.start, "train_start",
                         "Train the parameters in the background")
        self.pause = act("&Pause / Resume", panel.toggle_pause, "train_pause")
        self.stop = act("S&top Training", panel.stop, tip="Stop and keep the parameters")
        self.step = act("Step &Epoch", panel.step_epoch, tip="Train one epoch, then pause")
        self.menu = QMenu("&Train", window)
        self.menu.setObjectName("menuTrain")
        for a in (self.dataset, self.dense, self.reset, None, self.start, self.pause,
                  self.stop, self.step):
            self.menu.addSeparator() if a is None else self.menu.addAction(a)
        self.update("idle")

    def update(self, state: str) -> None:
        idle = state == "idle"
        for a in (self.dataset, self.dense, self.reset):
            a.setEnabled(idle)
        self.start.setEnabled(state in ("idle", "paused"))
        self.pause.setEnabled(state in ("running", "paused"))
        self.stop.setEnabled(state in ("running", "paused"))
        self.step.setEnabled(state in ("idle", "paused"))


def install(shell: Shell) -> TrainingPanel:
    """Add the Trainer dock, the plot docks and the Train menu to ``shell``."""
    panel = TrainingPanel(shell)
    window = shell.widget()
    dock = QDockWidget("Trainer", window)
    dock.setObjectName("trainerDock")
    # In a scroll area: the form is tall and wide, and must not set the window's minimum.
    scroll = QScrollArea()
    scroll.setObjectName("trainerScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    panel.dock = dock
    shell.add_panel(dock, Qt.RightDockWidgetArea)
    docks = {}
    for title, name, plot in (("Loss", "lossDock", panel.loss_plot),
                              ("Decision Boundary", "boundaryDock", panel.boundary_plot),
                              ("Fit", "fitDock", panel.fit_plot),
                              ("Activation", "activationDock", panel.activation_plot),
                              ("Gradient Norms", "gradNormDock", panel.grad_plot)):
        plot_dock = QDockWidget(title, window)
        plot_dock.setObjectName(name)
        plot_dock.setWidget(plot)
        shell.add_panel(plot_dock, Qt.BottomDockWidgetArea)
        docks[name] = plot_dock
    panel.docks = docks
    # Two tab groups side by side: curves over epochs, and pictures of the model.
    shell.tabify_panels(docks["lossDock"], docks["gradNormDock"])
    shell.tabify_panels(docks["boundaryDock"], docks["fitDock"])
    shell.tabify_panels(docks["boundaryDock"], docks["activationDock"])
    docks["lossDock"].raise_()
    docks["boundaryDock"].raise_()
    actions = TrainActions(shell, panel)
    panel.train_actions = actions
    shell.add_menu(actions.menu)
    shell.document_changed.connect(panel.set_document)
    shell.selection_changed.connect(panel.show_activation)
    shell.view_state.evaluated.connect(panel.show_activation)
    shell.add_close_guard(panel.close_guard)
    panel.set_document(shell.document)
    return panel
