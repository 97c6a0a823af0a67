"""The Trainer's form: data and layers, parameters, settings, speed, the run buttons and the
progress. Only widgets and the translation between them and the settings dicts live here;
:class:`~.panel.TrainingPanel` adds what the buttons do.

The form fits a dock ~260 px wide (the inspector's width, on a 1366x768 screen): one field
per row, buttons two by two, the progress bar holding only "epoch n / N" (the loss and the
time left wrap in the line below), so nothing is clipped and no horizontal scroll bar shows.
Rows are ROW_SPACING apart, so on a 1366x768 screen the whole form, the run's result line
included, fits the dock's height (a shorter one scrolls the result into view after a run).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.initializers import INITIALIZERS, spec_for
from graphgui.core.optimizers import OPTIMIZERS
from graphgui.core.train.settings import DTYPES, MAX_EPOCHS

INIT_LABELS = {"normal": "normal × scale", "he": "He", "xavier": "Xavier"}
BATCH_MODES = (("full", "Full batch"), ("mini", "Mini-batch"), ("sgd", "Stochastic (1)"))
#: The speed control: epochs per second (None: as fast as the machine goes).
SPEEDS: tuple[float | None, ...] = (None, 1000, 300, 100, 30, 10, 3, 1)
FIELD_MIN_WIDTH = 70  # fields shrink to this before the form needs more room
ROW_SPACING = 4  # between the form's rows and groups (the style's 6 overflowed 768 px)


def speed_label(rate: float | None) -> str:
    if rate is None:
        return "Max"
    return f"{rate:g} epoch{'' if rate == 1 else 's'} / s"


MAX_LR = 1e6  # the learning rate box's top


def _spin(low: float, high: float, decimals: int, value: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(decimals)
    spin.setValue(value)
    spin.setSingleStep(10 ** -min(decimals, 2))
    spin.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
    return spin


def _narrow(widget: QWidget) -> QWidget:
    """Let a field shrink below its size hint (spin boxes ask for their widest value)."""
    widget.setMinimumWidth(FIELD_MIN_WIDTH)
    widget.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
    if isinstance(widget, QComboBox):
        widget.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(6)
    return widget


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setVerticalSpacing(ROW_SPACING)
    form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
    form.setRowWrapPolicy(QFormLayout.WrapLongRows)
    return form


class TrainerForm(QWidget):
    """The Trainer dock's widgets. ``settings_edited``/``init_edited``: the user changed a
    field (not emitted while :meth:`show_settings` fills them)."""

    settings_edited = Signal()
    init_edited = Signal()
    speed_edited = Signal(object)  # epochs per second, or None

    def __init__(self) -> None:
        super().__init__()
        self._loading = False
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.setSpacing(ROW_SPACING)
        box.addWidget(self._data_group())
        box.addWidget(self._parameter_group())
        box.addWidget(self._training_group())
        box.addLayout(self._buttons())
        self.progress = QProgressBar()
        self.progress.setObjectName("trainingProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("ready")
        self.progress.setValue(0)
        box.addWidget(self.progress)
        self.progress_detail = QLabel()  # loss, time left: wraps instead of being cut
        self.progress_detail.setObjectName("trainingProgressDetail")
        self.progress_detail.setWordWrap(True)
        box.addWidget(self.progress_detail)
        self.status = QLabel()
        self.status.setObjectName("trainingStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        box.addWidget(self.status)
        box.addStretch(1)
        for widget in (self.loss_combo, self.optimizer_combo, self.batch_mode, self.dtype_combo):
            widget.currentIndexChanged.connect(self._edited)
        self._sync_enabled()
        for spin in (self.lr, self.epochs, self.batch_size, self.l2, self.seed):
            spin.valueChanged.connect(self._edited)
        for widget in (self.init_combo, self.init_scale, self.init_seed):
            signal = (widget.currentIndexChanged if isinstance(widget, QComboBox)
                      else widget.valueChanged)
            signal.connect(self._init_edited)
        self.speed_combo.currentIndexChanged.connect(self._speed_edited)

    # ---- building ------------------------------------------------------------------------

    def _data_group(self) -> QGroupBox:
        group = QGroupBox("Data and layers")
        box = QVBoxLayout(group)
        self.data_label = QLabel()
        self.data_label.setObjectName("dataLabel")
        self.data_label.setWordWrap(True)
        box.addWidget(self.data_label)
        row = QHBoxLayout()
        self.data_button = QPushButton("Data set…")
        self.data_button.setToolTip("Insert the input nodes X and Y filled with a data set")
        self.dense_button = QPushButton("Dense layer…")
        self.dense_button.setToolTip("Insert A = act(W @ x + b), wired to the selected node")
        row.addWidget(self.data_button)
        row.addWidget(self.dense_button)
        box.addLayout(row)
        return group

    def _parameter_group(self) -> QGroupBox:
        group = QGroupBox("Parameters")
        form = self.parameter_form = _form(group)
        self.init_combo = _narrow(QComboBox())
        for kind in INITIALIZERS:
            self.init_combo.addItem(INIT_LABELS.get(kind, kind), kind)
        self.init_scale = _narrow(_spin(0.0, 1000.0, 4, 0.01))
        self.init_seed = _narrow(QSpinBox())
        self.init_seed.setRange(0, 2**31 - 1)
        self.reset_button = QPushButton("Reset parameters")
        self.reset_button.setToolTip("New values for every parameter: weights with this "
                                     "initializer, biases zero (one undo step)")
        form.addRow("Weights", self.init_combo)
        form.addRow("Scale", self.init_scale)
        form.addRow("Seed", self.init_seed)
        form.addRow(self.reset_button)
        return group

    def _training_group(self) -> QGroupBox:
        group = QGroupBox("Training")
        form = self.training_form = _form(group)
        self.loss_combo = _narrow(QComboBox())
        self.loss_combo.setToolTip("The node to minimise (default: the graph's output)")
        self.optimizer_combo = _narrow(QComboBox())
        for name in OPTIMIZERS:
            self.optimizer_combo.addItem(OPTIMIZERS[name].title, name)
        # Any learning rate a file may hold: the box must show what Start will use
        # (a rate of 1,000 to watch training blow up is a lesson too).
        self.lr = _narrow(_spin(1e-6, MAX_LR, 6, 0.1))
        self.epochs = _narrow(QSpinBox())
        self.epochs.setRange(1, MAX_EPOCHS)  # what core accepts (docs/training.md)
        self.epochs.setSingleStep(100)
        self.batch_mode = _narrow(QComboBox())
        for key, label in BATCH_MODES:
            self.batch_mode.addItem(label, key)
        self.batch_size = _narrow(QSpinBox())
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.setValue(32)
        self.l2 = _narrow(_spin(0.0, 100.0, 6, 0.0))
        self.l2.setToolTip("Weight decay: adds l2 * W to each weight's gradient")
        self.seed = _narrow(QSpinBox())
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Shuffle order of mini-batches")
        self.dtype_combo = _narrow(QComboBox())
        self.dtype_combo.setObjectName("dtypeCombo")
        self.dtype_combo.setToolTip("The floats training computes in: float32 is about twice "
                                    "as fast on large layers, float64 the graph's own")
        for name in DTYPES:
            self.dtype_combo.addItem(name, name)
        self.speed_combo = _narrow(QComboBox())
        self.speed_combo.setObjectName("speedCombo")
        self.speed_combo.setToolTip("Epochs per second, to watch training happen (Max: as "
                                    "fast as it goes); works while it runs, saved with the "
                                    "graph")
        for rate in SPEEDS:
            self.speed_combo.addItem(speed_label(rate), rate)
        for label, widget in (("Loss", self.loss_combo), ("Optimizer", self.optimizer_combo),
                              ("Learning rate", self.lr), ("Epochs", self.epochs),
                              ("Batches", self.batch_mode), ("Batch size", self.batch_size),
                              ("L2", self.l2), ("Shuffle seed", self.seed),
                              ("Floats", self.dtype_combo), ("Speed", self.speed_combo)):
            form.addRow(label, widget)
        return group

    def _buttons(self) -> QGridLayout:
        grid = QGridLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setToolTip("Train in the background (Ctrl+T)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause or resume (Ctrl+Shift+T)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop and keep the parameters")
        self.step_button = QPushButton("Step epoch")
        self.step_button.setToolTip("Train one epoch, then pause")
        for k, button in enumerate((self.start_button, self.pause_button, self.stop_button,
                                    self.step_button)):
            grid.addWidget(button, k // 2, k % 2)
        return grid

    @property
    def buttons(self) -> list[QPushButton]:
        return [self.data_button, self.dense_button, self.reset_button, self.start_button,
                self.pause_button, self.stop_button, self.step_button]

    # ---- settings <-> widgets ----------------------------------------------------------------

    def show_settings(self, s: dict[str, Any], init: dict[str, Any],
                      loss_names: list[tuple[str, str | None]]) -> None:
        """Fill the fields from training settings ``s``, initializer settings ``init`` and
        the loss choices (label, node name or None)."""
        self._loading = True
        try:
            self.fill_loss_nodes(loss_names, s.get("loss"))
            self.optimizer_combo.setCurrentIndex(max(0, self.optimizer_combo.findData(
                s["optimizer"])))
            self.lr.setValue(float(s["lr"]))
            self.epochs.setValue(max(1, int(s["epochs"])))
            batch = s["batch_size"]
            mode = "full" if batch is None else ("sgd" if batch == 1 else "mini")
            self.batch_mode.setCurrentIndex(self.batch_mode.findData(mode))
            if batch not in (None, 1):
                self.batch_size.setValue(int(batch))
            self.l2.setValue(float(s["l2"]))
            self.seed.setValue(int(s["seed"] or 0))
            self.dtype_combo.setCurrentIndex(max(0, self.dtype_combo.findData(
                s.get("dtype", "float64"))))
            self.show_speed(s.get("epochs_per_second"))
            weights = init.get("weights", "zeros")
            kind = weights if isinstance(weights, str) else weights.get("kind", "normal")
            self.init_combo.setCurrentIndex(max(0, self.init_combo.findData(kind)))
            if isinstance(weights, dict) and "scale" in weights:
                self.init_scale.setValue(float(weights["scale"]))
            self.init_seed.setValue(int(init.get("seed") or 0))
        finally:
            self._loading = False
        self._sync_enabled()

    def show_speed(self, rate: float | None) -> None:
        index = self.speed_combo.findData(rate)
        if index < 0:  # a speed from a file that the list lacks
            self.speed_combo.addItem(speed_label(rate), rate)
            index = self.speed_combo.count() - 1
        loading, self._loading = self._loading, True
        try:
            self.speed_combo.setCurrentIndex(index)
        finally:
            self._loading = loading

    def fill_loss_nodes(self, names: list[tuple[str, str | None]], current: str | None) -> None:
        combo = self.loss_combo
        loading, self._loading = self._loading, True
        try:
            combo.clear()
            for label, name in names:
                combo.addItem(label, name)
            index = combo.findData(current) if current else 0
            if current and index < 0:  # a name the graph lost: keep it visible
                combo.addItem(f"{current} (missing)", current)
                index = combo.count() - 1
            combo.setCurrentIndex(max(0, index))
        finally:
            self._loading = loading

    def form_settings(self) -> dict[str, Any]:
        """What the fields say, as training settings keys."""
        mode = self.batch_mode.currentData()
        return {
            "loss": self.loss_combo.currentData(),
            "optimizer": self.optimizer_combo.currentData(),
            "lr": self.lr.value(),
            "epochs": self.epochs.value(),
            "batch_size": None if mode == "full" else (1 if mode == "sgd"
                                                       else self.batch_size.value()),
            "l2": self.l2.value(),
            "seed": self.seed.value(),
            "dtype": self.dtype_combo.currentData(),
            "epochs_per_second": self.speed_combo.currentData(),
        }

    def init_settings(self) -> dict[str, Any]:
        """The initializer the fields describe (what Reset parameters draws from)."""
        kind = self.init_combo.currentData()
        return {"weights": spec_for(kind, scale=self.init_scale.value()), "biases": "zeros",
                "seed": self.init_seed.value()}

    def set_settings_enabled(self, on: bool) -> None:
        """Fields that cannot change while a run holds its Trainer (the speed can)."""
        for w in (self.loss_combo, self.optimizer_combo, self.lr, self.epochs,
                  self.batch_mode, self.batch_size, self.l2, self.seed, self.dtype_combo):
            w.setEnabled(on)

    def _sync_enabled(self) -> None:
        """Rows that only some choices use are shown with them (a short form fits 768 px)."""
        self.parameter_form.setRowVisible(self.init_scale,
                                          self.init_combo.currentData() == "normal")
        self.training_form.setRowVisible(self.batch_size,
                                         self.batch_mode.currentData() == "mini")

    def _edited(self, *_: object) -> None:
        self._sync_enabled()
        if not self._loading:
            self.settings_edited.emit()

    def _init_edited(self, *_: object) -> None:
        self._sync_enabled()
        if not self._loading:
            self.init_edited.emit()

    def _speed_edited(self, *_: object) -> None:
        if not self._loading:
            self.speed_edited.emit(self.speed_combo.currentData())
