"""The Landscape dock's settings: the plane (one or two parameters, or random directions and
their seed), how the optimizers race (in the plane, or every parameter), the span (or Auto)
and grid, the optimizers and their number of steps, and the learning rate they take."""

from __future__ import annotations

from itertools import islice
from typing import Any

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
    LandscapeError,
    LandscapeRequest,
    training_settings,
)
from graphgui.core.optimizers import OPTIMIZERS

from ...theme import current_theme

ELEMENTS = 2_000  # entries a parameter picker lists (the first elements of a large tensor)
PARAMS, RANDOM = "params", "random"
NONE = ""  # the second axis's "none": a 1-D landscape
NONE_TEXT = "none (a curve)"
NO_PARAMETER = ("This graph has no parameter: the landscape is drawn over parameters (a "
                "parameter node, or param(...) in an expression).")
RACE_TIP = (
    "In the plane: each optimizer moves the picture's coordinates with its own update "
    "rule, the gradient being the loss's gradient along the axes (the chain rule), so every "
    "point lies on the surface drawn, with its loss. All parameters: each optimizer trains "
    "every parameter as the Trainer does (L2 included) and each step is drawn where it "
    "projects onto the plane, with its own loss (random directions miss most of a real step)")


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


def trainer_rate(training: Any) -> str:
    """``lr 0.5 from the Trainer`` (what the races take), or why there is none."""
    try:
        settings = training_settings(training)
    except LandscapeError:
        return "the Trainer's settings are not valid"
    return f"lr {settings.lr:g} from the Trainer"


class LandscapeControls(QWidget):
    """The settings of the next Compute; ``edited`` when any of them changes."""

    edited = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.plane = QComboBox()
        self.plane.setObjectName("landscapePlane")
        self.plane.addItem("Parameters", PARAMS)
        self.plane.addItem("Random directions", RANDOM)
        self.plane.setToolTip("One or two scalar parameters (or elements of tensors), or two "
                              "random directions through all the weights, filter-normalised")
        self.race = QComboBox()
        self.race.setObjectName("landscapeRace")
        self.race.setMinimumContentsLength(7)
        self.race.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.race.addItem("in the plane", "plane")
        self.race.addItem("all parameters", "all")
        self.race.setToolTip(RACE_TIP)
        self.axis_a = _combo("landscapeA", "The parameter along the horizontal axis")
        self.axis_b = _combo("landscapeB", "The parameter along the vertical axis (none: the "
                             "loss against the first one, a curve)")
        self.seed = QSpinBox()
        self.seed.setObjectName("landscapeSeed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Seed of the two random directions")
        self.seed.setMinimumWidth(60)  # not as wide as its largest value
        self.span = QDoubleSpinBox()
        self.span.setObjectName("landscapeSpan")
        self.span.setDecimals(3)
        self.span.setRange(0.001, MAX_SPAN)
        self.span.setValue(DEFAULT_SPAN)
        self.span.setMinimumWidth(54)  # not as wide as 1000000.000
        self.span.setToolTip("The picture spans -S..S in each coordinate around the current "
                             "parameters")
        self.auto = QCheckBox("Auto")
        self.auto.setObjectName("landscapeAutoSpan")
        self.auto.setChecked(True)
        self.auto.setToolTip("A span that covers where the races go (they run first); a "
                             "race that runs away is followed until it climbs well above "
                             "its start")
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
        self.steps.setToolTip("Full-batch steps of each optimizer")
        self.rate = QLabel(trainer_rate(None))
        self.rate.setObjectName("landscapeRate")
        self.rate.setStyleSheet(f"color: {current_theme().colors.muted};")
        self.rate.setToolTip("The races take the Trainer's learning rate, and the Trainer's "
                             "options (momentum, betas...) for the Trainer's own optimizer; "
                             "the other optimizers take their defaults")
        self._entries: list[str] = []
        self.optimizers: dict[str, QCheckBox] = {}
        for name in OPTIMIZERS:
            box = QCheckBox(OPTIMIZERS[name].title)
            box.setObjectName(f"landscapeOptimizer_{name}")
            box.setChecked(True)
            box.setToolTip(f"Race {OPTIMIZERS[name].title}")
            self.optimizers[name] = box
        self._lay_out()
        for widget in (self.plane, self.axis_a, self.axis_b, self.race):
            widget.currentIndexChanged.connect(self._changed)
        for spin in (self.seed, self.grid, self.steps):
            spin.valueChanged.connect(self._changed)
        self.span.valueChanged.connect(self._changed)
        for box in (*self.optimizers.values(), self.auto):
            box.toggled.connect(self._changed)
        self._show_plane()

    def _lay_out(self) -> None:
        # The dock shares its column with the Inspector and the Trainer, so its least width
        # is the column's: every row fits in the Inspector's 280 px (the four optimizers in
        # one row, or the race's choice beside the steps, made it 100 px wider).
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
        span = QHBoxLayout()
        span.setSpacing(6)
        span.addWidget(self.span, 1)
        span.addWidget(self.auto)
        layout.addWidget(QLabel("Span ±"), 2, 0)
        layout.addLayout(span, 2, 1)
        layout.addWidget(QLabel("Grid"), 2, 2)
        layout.addWidget(self.grid, 2, 3)
        layout.addWidget(QLabel("Steps"), 3, 0)
        layout.addWidget(self.steps, 3, 1)
        layout.addWidget(self.rate, 3, 2, 1, 2)
        self.rate.setWordWrap(True)  # two lines in the narrowest column
        layout.addWidget(QLabel("Race"), 4, 0)
        layout.addWidget(self.race, 4, 1)
        boxes = QGridLayout()
        boxes.setHorizontalSpacing(8)
        boxes.setVerticalSpacing(0)
        for k, box in enumerate(self.optimizers.values()):
            boxes.addWidget(box, k // 2, k % 2)
        boxes.setColumnStretch(2, 1)
        layout.addLayout(boxes, 5, 1, 1, 3)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)

    # ---- the graph's parameters ----------------------------------------------------------

    @property
    def has_parameters(self) -> bool:
        return bool(self._entries)

    def fill(self, graph: Graph, fresh: bool = False) -> None:
        """List ``graph``'s parameters; ``fresh`` (another document): its defaults (random
        directions when a parameter is a tensor, else the first two parameters, or the one
        parameter against the loss, a curve)."""
        entries = parameter_entries(graph)
        if not fresh and entries == self._entries:
            self._show_plane()
            return
        self._entries = entries
        # A: the first parameter; B: the second, or none (a curve) when there is one.
        second = 2 if len(entries) > 1 else 0
        for combo, default, extra in ((self.axis_a, 0, []), (self.axis_b, second, [NONE])):
            current = None if fresh else combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            for entry in extra + entries:
                combo.addItem(NONE_TEXT if entry == NONE else entry, entry)
            k = combo.findData(current) if current is not None else -1
            combo.setCurrentIndex(k if k >= 0 else min(default, combo.count() - 1))
            combo.blockSignals(False)
        if fresh:
            tensors = any(n.op == "parameter" and np.shape(n.value) for n in graph)
            self.plane.blockSignals(True)
            self.plane.setCurrentIndex(self.plane.findData(RANDOM if tensors else PARAMS))
            self.plane.blockSignals(False)
        self._show_plane()

    def choose(self, plane: str, a: str | None = None, b: str | None = None) -> None:
        """Pick the plane (``"params"`` or ``"random"``) and the axes' parameters (``b``
        ``""``: none, a curve)."""
        self.plane.setCurrentIndex(self.plane.findData(plane))
        for combo, entry in ((self.axis_a, a), (self.axis_b, b)):
            if entry is not None:
                k = combo.findData(entry)
                if k >= 0:
                    combo.setCurrentIndex(k)

    def set_training(self, training: Any) -> None:
        """The document's training settings: the learning rate the races take."""
        self.rate.setText(trainer_rate(training))

    def show_span(self, span: float) -> None:
        """The span an auto span came to (Auto stays on; unticking it starts from there)."""
        self.span.blockSignals(True)
        self.span.setValue(min(max(span, self.span.minimum()), MAX_SPAN))
        self.span.blockSignals(False)

    # ---- the request ---------------------------------------------------------------------

    def request(self) -> LandscapeRequest | str:
        """The request these settings make, or why they make none (in the editor's words,
        never a command-line flag)."""
        names = tuple(name for name, box in self.optimizers.items() if box.isChecked())
        params = None
        if not self._entries:
            return NO_PARAMETER
        if self.plane.currentData() == PARAMS:
            a, b = self.axis_a.currentData(), self.axis_b.currentData()
            if a is None:
                return NO_PARAMETER
            if a == b:
                return "Pick two different parameters for the two axes, or none for the " \
                       "second (a curve)."
            params = (a,) if not b else (a, b)
        grid = self.grid.value() | 1
        return LandscapeRequest(params=params, span=self.span.value(), grid=grid,
                                seed=self.seed.value(), optimizers=names,
                                steps=self.steps.value(), race=self.race.currentData(),
                                auto_span=self.auto.isChecked())

    def _make_grid_odd(self) -> None:
        if self.grid.value() % 2 == 0:
            self.grid.setValue(min(self.grid.value() + 1, MAX_GRID))

    def _show_plane(self) -> None:
        params = self.plane.currentData() == PARAMS
        for widget in (self.axes_label, self.axis_a, self.axis_b):
            widget.setVisible(params)
        for widget in (self.seed_label, self.seed):
            widget.setVisible(not params)
        self.span.setEnabled(not self.auto.isChecked())

    def _changed(self, *_: object) -> None:
        self._show_plane()
        self.edited.emit()


def _combo(name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setMaxVisibleItems(20)
    combo.setMinimumContentsLength(5)
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    return combo
