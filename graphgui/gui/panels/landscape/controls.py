"""The Landscape dock's settings: the plane (two parameters, or random directions and their
seed), the span and grid, the optimizers and their number of steps."""

from __future__ import annotations

from itertools import islice

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from graphgui.core.graph import Graph
from graphgui.core.labels import node_labels
from graphgui.core.landscape import (
    DEFAULT_GRID,
    DEFAULT_SPAN,
    DEFAULT_STEPS,
    MAX_GRID,
    MAX_SPAN,
    MAX_STEPS,
    MIN_GRID,
    LandscapeRequest,
)
from graphgui.core.optimizers import OPTIMIZERS

ELEMENTS = 2_000  # entries a parameter picker lists (the first elements of a large tensor)
OPTIMIZER_TITLES = {"sgd": "SGD", "momentum": "Momentum", "rmsprop": "RMSprop", "adam": "Adam"}
PARAMS, RANDOM = "params", "random"


def parameter_entries(graph: Graph) -> list[str]:
    """What the axis pickers list: each scalar parameter by name, each element of a tensor
    parameter as ``W1[0,1]``, in evaluation order."""
    labels = node_labels(graph)
    entries: list[str] = []
    for nid in graph.topological_order():
        node = graph.node(nid)
        if node.op != "parameter":
            continue
        shape = np.shape(node.value)
        if not shape:
            entries.append(labels[nid])
            continue
        for index in islice(np.ndindex(*shape), ELEMENTS):
            entries.append(f"{labels[nid]}[{','.join(map(str, index))}]")
    return entries


class LandscapeControls(QWidget):
    """The settings of the next Compute; ``edited`` when any of them changes."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.plane = QComboBox()
        self.plane.setObjectName("landscapePlane")
        self.plane.addItem("Two parameters", PARAMS)
        self.plane.addItem("Random directions", RANDOM)
        self.plane.setToolTip("Two scalar parameters (or elements of tensors), or two random "
                              "directions through all the weights, filter-normalised")
        self.axis_a = _combo("landscapeA", "The parameter along the horizontal axis")
        self.axis_b = _combo("landscapeB", "The parameter along the vertical axis")
        self.seed = QSpinBox()
        self.seed.setObjectName("landscapeSeed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the two random directions")
        self.span = QDoubleSpinBox()
        self.span.setObjectName("landscapeSpan")
        self.span.setDecimals(3)
        self.span.setRange(0.001, MAX_SPAN)
        self.span.setValue(DEFAULT_SPAN)
        self.span.setToolTip("The grid spans -S..S in each coordinate around the current "
                             "parameters")
        self.grid = QSpinBox()
        self.grid.setObjectName("landscapeGrid")
        self.grid.setRange(MIN_GRID, MAX_GRID)
        self.grid.setSingleStep(2)
        self.grid.setValue(DEFAULT_GRID)
        self.grid.setToolTip(f"Points a side (odd, {MIN_GRID} to {MAX_GRID}): the middle one "
                             "is the current parameters")
        self.grid.editingFinished.connect(self._make_grid_odd)
        self.steps = QSpinBox()
        self.steps.setObjectName("landscapeSteps")
        self.steps.setRange(0, MAX_STEPS)
        self.steps.setValue(DEFAULT_STEPS)
        self.steps.setToolTip("Full-batch steps of each optimizer, with the Trainer's "
                              "learning rate")
        self._entries: list[str] = []
        self.optimizers: dict[str, QCheckBox] = {}
        for name in OPTIMIZERS:
            box = QCheckBox(OPTIMIZER_TITLES.get(name, name))
            box.setObjectName(f"landscapeOptimizer_{name}")
            box.setChecked(True)
            self.optimizers[name] = box
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setHorizontalSpacing(6)
        layout.setVerticalSpacing(3)
        layout.addWidget(QLabel("Plane"), 0, 0)
        layout.addWidget(self.plane, 0, 1, 1, 3)
        self.axes_label = QLabel("Axes")
        layout.addWidget(self.axes_label, 1, 0)
        layout.addWidget(self.axis_a, 1, 1)
        layout.addWidget(self.axis_b, 1, 2, 1, 2)
        self.seed_label = QLabel("Seed")
        layout.addWidget(self.seed_label, 1, 0)
        layout.addWidget(self.seed, 1, 1)
        layout.addWidget(QLabel("Span ±"), 2, 0)
        layout.addWidget(self.span, 2, 1)
        layout.addWidget(QLabel("Grid"), 2, 2)
        layout.addWidget(self.grid, 2, 3)
        layout.addWidget(QLabel("Steps"), 3, 0)
        layout.addWidget(self.steps, 3, 1)
        boxes = QGridLayout()
        boxes.setHorizontalSpacing(8)
        boxes.setVerticalSpacing(0)
        for k, box in enumerate(self.optimizers.values()):
            boxes.addWidget(box, k // 2, k % 2)
        row = QHBoxLayout()
        row.addLayout(boxes)
        row.addStretch(1)
        layout.addWidget(QLabel("Race"), 4, 0)
        layout.addLayout(row, 4, 1, 1, 3)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        for widget in (self.plane, self.axis_a, self.axis_b):
            widget.currentIndexChanged.connect(self._changed)
        for spin in (self.seed, self.grid, self.steps):
            spin.valueChanged.connect(self._changed)
        self.span.valueChanged.connect(self._changed)
        for box in self.optimizers.values():
            box.toggled.connect(self._changed)
        self._show_plane()

    # ---- the graph's parameters ----------------------------------------------------------

    def fill(self, graph: Graph, fresh: bool = False) -> None:
        """List ``graph``'s parameters; ``fresh`` (another document): its defaults (random
        directions when a parameter is a tensor, else the first two parameters)."""
        entries = parameter_entries(graph)
        if not fresh and entries == self._entries:
            self._show_plane()
            return
        self._entries = entries
        for combo, default in ((self.axis_a, 0), (self.axis_b, 1)):
            current = None if fresh else combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for entry in entries:
                combo.addItem(entry, entry)
            k = combo.findData(current) if current is not None else -1
            if k < 0 and entries:
                k = min(default, len(entries) - 1)
            combo.setCurrentIndex(k)
            combo.blockSignals(False)
        if fresh:
            tensors = any(n.op == "parameter" and np.shape(n.value) for n in graph)
            self.plane.blockSignals(True)
            self.plane.setCurrentIndex(self.plane.findData(RANDOM if tensors else PARAMS))
            self.plane.blockSignals(False)
        self._show_plane()

    def choose(self, plane: str, a: str | None = None, b: str | None = None) -> None:
        """Pick the plane (``"params"`` or ``"random"``) and the two axes' parameters."""
        self.plane.setCurrentIndex(self.plane.findData(plane))
        for combo, entry in ((self.axis_a, a), (self.axis_b, b)):
            if entry is not None:
                k = combo.findData(entry)
                if k >= 0:
                    combo.setCurrentIndex(k)

    # ---- the request ---------------------------------------------------------------------

    def request(self) -> LandscapeRequest | str:
        """The request these settings make, or why they make none."""
        names = tuple(name for name, box in self.optimizers.items() if box.isChecked())
        params = None
        if self.plane.currentData() == PARAMS:
            a, b = self.axis_a.currentData(), self.axis_b.currentData()
            if a is None or b is None:
                return "The graph has no parameter to draw the loss over."
            if a == b:
                return "Pick two different parameters for the two axes."
            params = (a, b)
        grid = self.grid.value() | 1
        return LandscapeRequest(params=params, span=self.span.value(), grid=grid,
                                seed=self.seed.value(), optimizers=names,
                                steps=self.steps.value())

    def _make_grid_odd(self) -> None:
        if self.grid.value() % 2 == 0:
            self.grid.setValue(min(self.grid.value() + 1, MAX_GRID))

    def _show_plane(self) -> None:
        params = self.plane.currentData() == PARAMS
        for widget in (self.axes_label, self.axis_a, self.axis_b):
            widget.setVisible(params)
        for widget in (self.seed_label, self.seed):
            widget.setVisible(not params)

    def _changed(self, *_: object) -> None:
        self._show_plane()
        self.edited.emit()


def _combo(name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setMaxVisibleItems(20)
    combo.setMinimumContentsLength(6)
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    return combo
