"""The Trainer's data, layer and parameter buttons: Insert Data Set (and the data's preview
in the boundary or fit plot), Insert Dense Layer, Reset Parameters. Each insertion is one undo
step (datasets_ui wraps core's builders); all are refused while a run holds the document.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt

from graphgui.core.datasets import Dataset, DatasetError, make_dataset
from graphgui.core.graph import GraphError
from graphgui.core.initializers import InitializerError
from graphgui.core.train import Trainer, TrainSettings
from graphgui.core.values import format_value

from ...datasets_ui import (
    DatasetDialog,
    DenseDialog,
    insert_dataset,
    insert_dense,
    reset_parameters,
    training_settings,
)
from ...document import Document
from ..plots import ActivationPlot, BoundaryPlot, FitPlot, GradNormPlot, LossPlot
from .form import TrainerForm

if TYPE_CHECKING:
    from ...shell import Shell

LOCK_REASON = "Training is running: pause or stop it to edit the graph"


class DataAndLayers(TrainerForm):
    """The form with its plots and what its data, layer and parameter buttons do."""

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.shell = shell
        self.document: Document | None = None
        self.state = "idle"
        self.message = ""
        self._preview_spec: Any = None  # the full spec of the data shown in the plots
        self._preview_key: Any = None  # the settings' spec it came from
        self.loss_plot = LossPlot()
        self.boundary_plot = BoundaryPlot()
        self.fit_plot = FitPlot()
        self.activation_plot = ActivationPlot()
        self.grad_plot = GradNormPlot()
        self.data_button.clicked.connect(self.ask_dataset)
        self.dense_button.clicked.connect(self.ask_dense)
        self.reset_button.clicked.connect(self.reset_parameters)

    def settings(self) -> dict[str, Any]:
        return training_settings(self.document) if self.document is not None else (
            TrainSettings().to_dict())

    # ---- data, layers, parameters ----------------------------------------------------------

    def dataset(self) -> Dataset | None:
        """The data set the settings describe (None without one); raises DatasetError."""
        spec = self.settings().get("dataset")
        return make_dataset(self._resolve(spec)) if spec else None

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
            self.loss_plot.set_accuracy_shown(False)
            return
        spec = data.meta["spec"]
        self._preview_spec = spec
        split = f"{data.n_train} train / {data.n_test} test"
        kind = {"moons": "Two moons", "sin": "sin(x)", "ising": "Ising"}.get(data.kind,
                                                                            data.kind)
        self.data_label.setText(f"{kind}: {data.n_features} features, {split}"
                                + (", standardized" if spec.get("standardize") else ""))
        self.loss_plot.set_accuracy_shown(data.is_classification)
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
            shape = np.shape(self.shell.view_state.value(source))
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
