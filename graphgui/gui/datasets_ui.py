"""Data and layers for training, inserted as ordinary nodes (each insertion one undo step).

* **Insert data set** adds (or refills) the ``input`` nodes X and Y with the training split,
  so the canvas shows their shapes, and stores the dataset spec in the document's training
  settings. The graph model has single-output nodes, so "a dataset node with outputs X and Y"
  is these two inputs plus the spec (docs/training.md).
* **Insert Dense layer** expands ``A = act(W @ x + b)`` into its nodes with initialized
  parameters, wired to the selected node.
* **Reset parameters** draws fresh values for every parameter (weights: the chosen
  initializer; biases, i.e. parameters not consumed by matmul/mul: their own, zeros by default).

What the nodes are and how values are drawn is core's (``train.add_layers``, ``is_weight``,
``initial_values``, ``initializers.spec_for``, ``layout``); this module holds the dialogs and
makes each insertion one undo step (``document.macro``).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.datasets import DatasetError, dataset_defaults, make_dataset
from graphgui.core.graph import Graph, GraphError
from graphgui.core.initializers import INITIALIZERS, make_rng, spec_for
from graphgui.core.layout import apply_layout, layered_layout
from graphgui.core.train import (
    TrainingError,
    TrainSettings,
    add_layers,
    free_layer_number,
    initial_values,
    is_weight,
)

from .document import Document

Pos = tuple[float, float]
DATASET_LABELS = {"moons": "Two moons", "circles": "Circles", "xor": "XOR", "blobs": "Blobs",
                  "sin": "1-D regression: sin(x)", "ising": "Toy Ising phases",
                  "csv": "CSV file"}
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softplus", "identity")
DEFAULT_INIT: dict[str, Any] = {"weights": {"kind": "normal", "scale": 0.01},
                                "biases": "zeros", "seed": 0}


class SetSettingCommand(QUndoCommand):
    """Set one top-level key of the document's settings (undo restores the old value)."""

    def __init__(self, document: Document, key: str, value: Any, text: str = "") -> None:
        super().__init__(text or f"Set {key} settings")
        self.document, self.key = document, key
        self.old = copy.deepcopy(document.settings.get(key))
        self.new = copy.deepcopy(value)

    def redo(self) -> None:
        self.document.set_setting(self.key, copy.deepcopy(self.new), mark_modified=False)

    def undo(self) -> None:
        self.document.set_setting(self.key, copy.deepcopy(self.old), mark_modified=False)


def training_settings(document: Document) -> dict[str, Any]:
    """The document's training settings, complete (defaults for what the file leaves out)."""
    data = document.settings.get("training")
    try:
        return TrainSettings.from_dict(data or {}).to_dict()
    except TrainingError:
        return TrainSettings().to_dict()


def initializer_settings(document: Document) -> dict[str, Any]:
    data = document.settings.get("initializer")
    return {**copy.deepcopy(DEFAULT_INIT), **(data if isinstance(data, Mapping) else {})}


# ---- data sets ---------------------------------------------------------------------------------


def insert_dataset(document: Document, spec: Mapping[str, Any], pos: Pos = (0.0, 0.0)
                   ) -> tuple[str, str]:
    """Put the training split of ``spec`` into input nodes X and Y (created at ``pos`` when
    missing) and store the spec in the training settings: one undo step. Returns (X, Y) ids.
    Raises DatasetError for a bad spec, GraphError when X or Y exists but is not an input."""
    data = make_dataset(spec)
    graph = document.graph
    settings = training_settings(document)
    names = settings["inputs"]
    existing = {}
    for role in ("X", "Y"):
        node = graph.find(names[role])
        if node is not None and node.op != "input":
            raise GraphError(f"{node.title} is a {node.op} node; the data set needs an input "
                             f"node named {names[role]} (rename that node first)")
        existing[role] = node
    settings["dataset"] = data.meta["spec"]
    kind = DATASET_LABELS.get(data.kind, data.kind)
    ids = []
    with document.macro(f"Insert data set: {kind}"):
        for k, (role, value) in enumerate((("X", data.X_train), ("Y", data.Y_train))):
            node = existing[role]
            if node is None:
                ids.append(document.add_node("input", (pos[0], pos[1] + 90.0 * k),
                                             name=names[role], value=value))
            else:
                document.set_value(node.id, value)
                ids.append(node.id)
        document.push(SetSettingCommand(document, "training", settings))
    return ids[0], ids[1]


class DatasetDialog(QDialog):
    """Kind, size, noise, seed, test split, standardize (and the CSV file's columns)."""

    def __init__(self, parent: QWidget | None = None, spec: Mapping[str, Any] | None = None
                 ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Insert Data Set")
        self.setObjectName("datasetDialog")
        form = QFormLayout()
        self.kind = QComboBox()
        for kind, label in DATASET_LABELS.items():
            self.kind.addItem(label, kind)
        self.n = QSpinBox()
        self.n.setRange(2, 1_000_000)
        self.noise = QDoubleSpinBox()
        self.noise.setRange(0.0, 100.0)
        self.noise.setDecimals(3)
        self.noise.setSingleStep(0.05)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.test_size = QDoubleSpinBox()
        self.test_size.setRange(0.0, 0.95)
        self.test_size.setSingleStep(0.05)
        self.standardize = QCheckBox("z-score each feature (training mean and std)")
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.features = QLineEdit()
        self.features.setPlaceholderText("all but the label (names or indices, comma separated)")
        self.label = QLineEdit("-1")
        form.addRow("Kind", self.kind)
        form.addRow("Samples", self.n)
        form.addRow("Noise", self.noise)
        form.addRow("Seed", self.seed)
        form.addRow("Test fraction", self.test_size)
        form.addRow("", self.standardize)
        form.addRow("CSV file", path_row)
        form.addRow("Feature columns", self.features)
        form.addRow("Label column", self.label)
        self._csv_rows = [path_row, self.features, self.label]
        self.form = form
        self.error = QLabel()
        self.error.setObjectName("datasetError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d32f2f")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.error)
        box.addWidget(buttons)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.set_spec(spec or dataset_defaults("moons"))

    def set_spec(self, spec: Mapping[str, Any]) -> None:
        kind = spec.get("kind", "moons")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        full = {**dataset_defaults(kind), **spec}
        self._fill(full)

    def _fill(self, full: Mapping[str, Any]) -> None:
        self.n.setValue(int(full.get("n") or 200))
        self.noise.setValue(float(full.get("noise") or 0.0))
        self.seed.setValue(int(full.get("seed") or 0))
        self.test_size.setValue(float(full.get("test_size", 0.3)))
        self.standardize.setChecked(bool(full.get("standardize")))
        self.path.setText(str(full.get("path") or ""))
        feats = full.get("features")
        self.features.setText(", ".join(str(f) for f in feats) if feats else "")
        self.label.setText(str(full.get("label", -1)))
        self._kind_changed()

    def _kind_changed(self, *_: object) -> None:
        kind = self.kind.currentData()
        defaults = dataset_defaults(kind)
        csv = kind == "csv"
        for widget in (self.n, self.seed):
            widget.setEnabled(not csv)
        self.noise.setEnabled("noise" in defaults)
        for row in self._csv_rows:
            self.form.setRowVisible(row, csv)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "CSV file", "", "CSV files (*.csv *.txt)")
        if path:
            self.path.setText(path)

    def spec(self) -> dict[str, Any]:
        """The spec the form describes (not yet validated)."""
        kind = self.kind.currentData()
        defaults = dataset_defaults(kind)
        spec: dict[str, Any] = {"kind": kind, "test_size": self.test_size.value(),
                                "standardize": self.standardize.isChecked()}
        if kind != "csv":
            spec["n"] = self.n.value()
            spec["seed"] = self.seed.value()
        if "noise" in defaults:
            spec["noise"] = self.noise.value()
        if kind == "csv":
            spec["path"] = os.path.expanduser(self.path.text().strip())
            feats = [_column(f) for f in self.features.text().split(",") if f.strip()]
            if feats:
                spec["features"] = feats
            spec["label"] = _column(self.label.text() or "-1")
        return spec

    def _accept(self) -> None:
        try:
            make_dataset(self.spec())
        except DatasetError as exc:
            self.error.setText(str(exc))
            return
        self.accept()


def _column(text: str) -> Any:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return text


# ---- parameters ----------------------------------------------------------------------------------


def reset_parameters(document: Document, init: Mapping[str, Any] | None = None,
                     node_ids: list[str] | None = None) -> int:
    """Fresh values for the parameters (default: all), weights (:func:`is_weight`) with
    ``init["weights"]``, the others with ``init["biases"]``, drawn in topological order from
    one seeded generator (:func:`initial_values`), as one undo step. Returns how many
    changed."""
    init = {**DEFAULT_INIT, **(init or {})}
    graph = document.graph
    wanted = set(node_ids) if node_ids is not None else None
    specs = {n.id: init["weights"] if is_weight(graph, n.id) else init["biases"]
             for n in graph.nodes
             if n.op == "parameter" and (wanted is None or n.id in wanted)}
    values = initial_values(graph, specs, init.get("seed"))
    if not values:
        return 0
    with document.macro(f"Reset {len(values)} parameters"):
        for nid, value in values.items():
            document.set_value(nid, value)
    return len(values)


# ---- dense layers ------------------------------------------------------------------------------


def dense_graph(graph: Graph, inputs: int, units: int, activation: str | None,
                weights: Any = None, seed: int | None = 0) -> Graph:
    """The nodes of ``A = act(W @ x + b)`` (:func:`add_layers`) with names free in ``graph``
    (W3, b3, WA3, Z3, A3...), W drawn with ``weights`` (default normal * 0.01) and b zero,
    laid out left to right. The matmul's x input is left open."""
    sub = Graph()
    spec = weights if weights is not None else DEFAULT_INIT["weights"]
    try:
        add_layers(sub, None, [inputs, units], None, activation, spec, make_rng(seed),
                   first=free_layer_number(graph))
    except TrainingError as exc:
        raise GraphError(str(exc)) from None
    apply_layout(sub, layered_layout(sub))
    return sub


def insert_dense(document: Document, inputs: int, units: int, activation: str | None,
                 weights: Any = None, seed: int | None = 0, source: str | None = None,
                 pos: Pos = (0.0, 0.0)) -> list[str]:
    """Insert a Dense layer (see :func:`dense_graph`) at ``pos`` and wire ``source`` into
    its matmul: one undo step. Returns the new node ids (W, b, WA, Z[, A])."""
    graph = document.graph
    if source is not None:
        graph.node(source)  # a missing node is refused before anything is pushed
    sub = dense_graph(graph, inputs, units, activation, weights, seed)
    matmul = next(k for k, n in enumerate(sub.nodes) if n.op == "matmul")
    with document.macro(f"Insert Dense layer ({inputs} → {units}, {activation or 'linear'})"):
        ids = document.insert_graph(sub, pos, text="Insert Dense layer")
        if source is not None:
            document.connect(source, ids[matmul], 1)
    return ids


class DenseDialog(QDialog):
    """Inputs, units, activation, weight initializer and seed for Insert Dense layer."""

    def __init__(self, parent: QWidget | None = None, inputs: int = 2) -> None:
        super().__init__(parent)
        self.setWindowTitle("Insert Dense Layer")
        self.setObjectName("denseDialog")
        form = QFormLayout()
        self.inputs = QSpinBox()
        self.inputs.setRange(1, 100_000)
        self.inputs.setValue(inputs)
        self.units = QSpinBox()
        self.units.setRange(1, 100_000)
        self.units.setValue(4)
        self.activation = QComboBox()
        for act in ACTIVATIONS:
            self.activation.addItem("linear (none)" if act == "identity" else act, act)
        self.init = QComboBox()
        for kind in INITIALIZERS:
            self.init.addItem(kind, kind)
        self.init.setCurrentIndex(self.init.findData("normal"))
        self.scale = QDoubleSpinBox()
        self.scale.setDecimals(4)
        self.scale.setRange(0.0, 100.0)
        self.scale.setValue(0.01)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        form.addRow("Inputs (features)", self.inputs)
        form.addRow("Units", self.units)
        form.addRow("Activation", self.activation)
        form.addRow("Weights", self.init)
        form.addRow("Scale (normal)", self.scale)
        form.addRow("Seed", self.seed)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(QLabel("A = activation(W @ x + b), W (units × inputs), b (units × 1)"))
        box.addLayout(form)
        box.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        activation = self.activation.currentData()
        return {"inputs": self.inputs.value(), "units": self.units.value(),
                "activation": None if activation == "identity" else activation,
                "weights": spec_for(self.init.currentData(), scale=self.scale.value()),
                "seed": self.seed.value()}
