"""The Forward Mode dock's seed picker: which input the tangents follow.

A combo of the graph's inputs and parameters (by their labels); for a tensor, a second combo
of its elements (``W1[0,1]``: the one-hot direction of that element) and, last in it, "a
direction", which shows a field for one typed as a list of the input's shape
(``[[1, 0], [0, -1]]``), on a row of its own under the combos. On another graph the picker
starts at the source of the same name as before, else at the first input. The picker only
reads the user's choice; the panel resolves it with core's ``resolve_seed`` and says what is
wrong with it.
"""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.graph import Graph
from graphgui.core.labels import node_labels
from graphgui.core.values import parse_value_text

from ...tangent_state import SeedChoice, seed_sources

MAX_ELEMENTS = 100  # elements listed one by one; beyond, type a direction
DIRECTION = "a direction…"


class SeedPicker(QWidget):
    chosen = Signal()  # the user picked another input, element or direction

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("forwardSeedPicker")
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("forwardSeed")
        self.source_combo.setToolTip("The input or parameter whose tangents forward mode "
                                     "follows: d(node)/d(input) on every wire")
        self.source_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.source_combo.setMinimumContentsLength(6)
        self.element_combo = QComboBox()
        self.element_combo.setObjectName("forwardElement")
        self.element_combo.setToolTip("One element of the tensor (a one-hot direction), or a "
                                      "direction of your own")
        self.element_combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.direction_edit = QLineEdit()
        self.direction_edit.setObjectName("forwardDirection")
        self.direction_edit.setPlaceholderText("[[1, 0], [0, 0]]")
        self.direction_edit.setToolTip("A direction of the input's shape, as a list; Enter "
                                       "applies it")
        self.direction_edit.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        fm = self.direction_edit.fontMetrics()  # room for the placeholder and then some
        self.direction_edit.setMinimumWidth(fm.horizontalAdvance("[[1, 0], [0, 0]]") * 2)
        self._ids: list[str] = []
        self._shape: tuple[int, ...] = ()
        self._elements_of: tuple[str, tuple[int, ...]] | None = None  # (label, shape) listed
        self._graph: Graph | None = None
        follow = QLabel("Follow")
        follow.setBuddy(self.source_combo)
        follow.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        row = self._first_row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(follow)
        row.addWidget(self.source_combo)
        row.addWidget(self.element_combo)
        row.addStretch(1)
        # The direction on a row of its own: the whole width for a matrix typed as a list.
        self.direction_row = QWidget()
        self.direction_row.setObjectName("forwardDirectionRow")
        direction_label = QLabel("Direction")
        direction_label.setBuddy(self.direction_edit)
        direction_label.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        under = QHBoxLayout(self.direction_row)
        under.setContentsMargins(0, 0, 0, 0)
        under.setSpacing(4)
        under.addWidget(direction_label)
        under.addWidget(self.direction_edit, 1)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        rows.addLayout(row)
        rows.addWidget(self.direction_row)
        self.source_combo.activated.connect(self._on_source_picked)
        self.element_combo.activated.connect(self._on_element_picked)
        self.direction_edit.returnPressed.connect(self.chosen.emit)
        self._show_parts()

    def add_to_row(self, widget: QWidget, right: bool = False) -> None:
        """Put ``widget`` on the combos' row, after them (``right``: at its right end), so
        the direction's row under it spans the whole width."""
        row = self._first_row
        row.insertWidget(row.count() if right else row.count() - 1, widget)

    def set_choosable(self, on: bool) -> None:
        """Enable the combos and the field (not what else is on the row)."""
        for widget in (self.source_combo, self.element_combo, self.direction_edit):
            widget.setEnabled(on)

    # ---- filling -------------------------------------------------------------------------

    def set_graph(self, graph: Graph | None, keep: str | None = None) -> None:
        """List ``graph``'s inputs and parameters; ``keep`` (a node id) stays selected when
        it is still there, else the selection does, else the first. On another graph (a
        new document) the selection is not kept by id (ids repeat across graphs): the
        source named as the one picked before, else the first."""
        ids = seed_sources(graph) if graph is not None else []
        labels = node_labels(graph) if graph is not None else {}
        texts = [labels[i] for i in ids]
        current = keep or self.node_id()
        if graph is not self._graph:
            before = self.source_combo.currentText()
            current = keep or next((i for i, t in zip(ids, texts, strict=True) if t == before),
                                   ids[0] if ids else None)
            self._ids = []  # listed afresh: a row's id may mean another node now
            if current is None or labels.get(current) != before:
                self._shape, self._elements_of = (), None  # its first element, not the row
        self._graph = graph
        shown = [self.source_combo.itemText(k) for k in range(self.source_combo.count())]
        if ids != self._ids or texts != shown:
            self.source_combo.blockSignals(True)
            self.source_combo.clear()
            for nid, text in zip(ids, texts, strict=True):
                self.source_combo.addItem(text, nid)
            self.source_combo.blockSignals(False)
            self._ids = ids
        if current in ids:
            self.source_combo.setCurrentIndex(ids.index(current))
        self._fill_elements()

    def select(self, choice: SeedChoice) -> None:
        """Show ``choice`` (e.g. the view state's seed) without announcing it."""
        if choice.node_id in self._ids:
            self.source_combo.setCurrentIndex(self._ids.index(choice.node_id))
            self._fill_elements()
            if choice.direction is not None:
                self.element_combo.setCurrentIndex(self.element_combo.count() - 1)
            elif choice.index is not None:
                self.element_combo.setCurrentIndex(self._element_row(choice.index))
            self._show_parts()

    def _fill_elements(self) -> None:
        nid = self.node_id()
        graph = self._graph
        shape = np.shape(graph.node(nid).value) if graph is not None and nid in graph else ()
        label = self.source_combo.currentText()
        if (label, shape) == self._elements_of:
            self._show_parts()
            return
        keep = self.element_combo.currentIndex() if shape == self._shape else 0
        self._shape, self._elements_of = shape, (label, shape)
        self.element_combo.clear()
        if shape:
            count = int(np.prod(shape))
            for index in itertools.islice(np.ndindex(*shape), MAX_ELEMENTS):
                self.element_combo.addItem(f"{label}[{','.join(map(str, index))}]", index)
            self.element_combo.addItem(DIRECTION, None)
            more = f" (the first {MAX_ELEMENTS} of {count:,})" if count > MAX_ELEMENTS else ""
            self.element_combo.setToolTip(f"One element of {label}{more}, or a direction of "
                                          f"shape {shape} of your own")
            if 0 <= keep < self.element_combo.count():
                self.element_combo.setCurrentIndex(keep)
        self._show_parts()

    def _element_row(self, index: tuple[int, ...]) -> int:
        for k in range(self.element_combo.count()):
            data = self.element_combo.itemData(k)
            if data is not None and tuple(data) == index:
                return k
        return 0

    def _show_parts(self) -> None:
        tensor = bool(self._shape)
        self.element_combo.setVisible(tensor)
        self.direction_row.setVisible(tensor and self.wants_direction())

    # ---- the user's choice ---------------------------------------------------------------

    def _on_source_picked(self, _row: int) -> None:
        self._fill_elements()
        self.chosen.emit()

    def _on_element_picked(self, _row: int) -> None:
        self._show_parts()
        if self.wants_direction():
            self.direction_edit.setFocus()
            if not self.direction_edit.text().strip():
                return  # nothing typed yet: Enter in the field applies it
        self.chosen.emit()

    def node_id(self) -> str | None:
        data = self.source_combo.currentData()
        return data if isinstance(data, str) else None

    def label(self) -> str:
        """What is picked, as a seed's label: ``x``, ``W1[0,1]``, ``W1·v`` ("": nothing)."""
        if self.node_id() is None:
            return ""
        if not self._shape:
            return self.source_combo.currentText()
        if self.wants_direction():
            return f"{self.source_combo.currentText()}·v"
        return self.element_combo.currentText()

    def wants_direction(self) -> bool:
        return bool(self._shape) and self.element_combo.currentIndex() == \
            self.element_combo.count() - 1

    def choice(self) -> SeedChoice | None:
        """What is picked (None: no input to pick). Raises ValueError for a direction that
        is not a list of numbers; core checks its shape."""
        nid = self.node_id()
        if nid is None:
            return None
        if not self._shape:
            return SeedChoice(nid)
        if self.wants_direction():
            return SeedChoice(nid, direction=parse_value_text(self.direction_edit.text()))
        index = self.element_combo.currentData()
        return SeedChoice(nid, index=tuple(index) if index is not None else None)
