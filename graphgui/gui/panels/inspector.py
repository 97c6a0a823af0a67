"""The inspector: the selected node's name, op, parameters, value and gradient (as tables)
and its error. Every edit made here goes through the Document as one undoable command."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.graph import Graph, GraphError, Node
from graphgui.core.values import format_number, format_value, parse_value_text, value_text

from ..canvas.text import compact_text
from ..document import Document
from ..naming import node_label
from ..view_state import ViewState


class ArrayModel(QAbstractTableModel):
    """A value as a table: a scalar is 1x1, a vector one column, higher ranks fold into 2-D."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data = np.zeros((0, 0))

    def set_value(self, value: Any) -> None:
        self.beginResetModel()
        if value is None:
            arr = np.zeros((0, 0))
        else:
            arr = np.asarray(value, dtype=float)
            if arr.ndim == 0:
                arr = arr.reshape(1, 1)
            elif arr.ndim == 1:
                arr = arr.reshape(-1, 1)
            elif arr.ndim > 2:
                arr = arr.reshape(-1, arr.shape[-1])
        self._data = arr
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._data.shape[0]

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._data.shape[1]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if role == Qt.DisplayRole:
            return f"{self._data[index.row(), index.column()]:.6g}"
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole
                   ) -> Any:
        if role == Qt.DisplayRole:
            return str(section)
        return None


def _table(model: ArrayModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
    view.horizontalHeader().setMinimumSectionSize(56)
    view.verticalHeader().setDefaultSectionSize(20)
    view.setMinimumHeight(60)
    view.setMaximumHeight(180)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
    return view


def parse_param(kind: str, text: str) -> Any:
    """Editor text -> parameter value; raises ValueError with a one-line reason."""
    text = text.strip()
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind == "axis":
        if text.lower() in ("", "none", "null", "all"):
            return None
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an axis (an integer, or none)") from None
    if kind == "shape":
        parts = [p for p in text.strip("()[] ").replace(",", " ").split() if p]
        try:
            return tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"{text!r} is not a shape such as 2, 3 or -1") from None
    raise ValueError(f"unknown parameter kind {kind!r}")


def format_param(kind: str, value: Any) -> str:
    if value is None:
        return "none"
    if kind == "shape":
        return ", ".join(str(d) for d in value)
    if kind == "float":
        return f"{value:g}"
    return str(value)


MAX_LISTED = 12  # parameters of a selected function listed by name


def _short(value: Any) -> str:
    """A number in full, a small array written out, a large one as shape and norm."""
    return format_value(value) if np.size(value) <= 4 else compact_text(value)


class Inspector(QWidget):
    """Shows and edits the single selected node; a summary otherwise."""

    def __init__(self, view_state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.view_state = view_state
        self.document: Document | None = None
        self.node_id: str | None = None
        self.selection: list[str] = []
        view_state.changed.connect(self._refresh_values)
        self.status = None  # callable(str) set by the window for refused edits

        self.heading = QLabel()
        self.heading.setTextFormat(Qt.RichText)
        self.heading.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("inspectorName")
        self.name_edit.setPlaceholderText("(unnamed)")
        self.kind_combo = QComboBox()
        self.kind_combo.addItems(["input", "parameter", "constant"])
        self.value_edit = QLineEdit()
        self.value_edit.setObjectName("inspectorValue")
        self.value_edit.setToolTip(
            "A number, a fraction or pi (.5, 1/2, pi/4) or a list such as [[1, 2], [3, 4]]; "
            "Enter applies it"
        )
        self.formula = QLabel()
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextSelectableByMouse)
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.formula.setFont(mono)
        self.error_label = QLabel()
        self.error_label.setObjectName("inspectorError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d32f2f;")
        self.value_title = QLabel()
        self.grad_title = QLabel()
        self.tangent_title = QLabel()  # forward mode's d(node)/d(seed), while shown
        self.tangent_title.setObjectName("inspectorTangent")
        self.value_model = ArrayModel(self)
        self.grad_model = ArrayModel(self)
        self.tangent_model = ArrayModel(self)
        self.value_table = _table(self.value_model)
        self.grad_table = _table(self.grad_model)
        self.tangent_table = _table(self.tangent_model)
        self.param_edits: dict[str, QLineEdit] = {}
        self._params_key: tuple[str, str] | None = None
        self._live_text = False  # the value editor shows a run's live value

        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.addRow("Name", self.name_edit)
        self.form.addRow("Kind", self.kind_combo)
        self.form.addRow("Value", self.value_edit)

        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(8, 8, 8, 8)
        box.setSpacing(6)
        box.addWidget(self.heading)
        box.addLayout(self.form)
        box.addWidget(self.formula)
        box.addWidget(self.error_label)
        box.addWidget(self.value_title)
        box.addWidget(self.value_table)
        box.addWidget(self.grad_title)
        box.addWidget(self.grad_table)
        box.addWidget(self.tangent_title)
        box.addWidget(self.tangent_table)
        box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.name_edit.editingFinished.connect(self._commit_name)
        self.value_edit.editingFinished.connect(self._commit_value)
        self.kind_combo.activated.connect(self._commit_kind)
        self.refresh()

    # ---- wiring to the window ------------------------------------------------------------

    @property
    def graph(self) -> Graph | None:
        return self.document.graph if self.document is not None else None

    def set_document(self, document: Document | None) -> None:
        if self.graph is not None:
            self.graph.node_changed.unsubscribe(self._on_node_changed)
            self.graph.node_removed.unsubscribe(self._on_node_removed)
        self.document = document
        self.node_id = None
        self.selection = []
        if self.graph is not None:
            self.graph.node_changed.subscribe(self._on_node_changed)
            self.graph.node_removed.subscribe(self._on_node_removed)
        self.refresh()

    def set_selection(self, node_ids: list[str]) -> None:
        self.selection = list(node_ids)
        self.node_id = node_ids[0] if len(node_ids) == 1 else None
        self.refresh()

    def _on_node_changed(self, node: Node, what: str) -> None:
        if node.id == self.node_id and what != "pos":
            self.refresh()

    def _on_node_removed(self, node: Node) -> None:
        if node.id in self.selection:
            self.set_selection([i for i in self.selection if i != node.id])

    # ---- display -------------------------------------------------------------------------

    def refresh(self) -> None:
        graph = self.graph
        node = graph.node(self.node_id) if graph is not None and self.node_id in graph else None
        editing = node is not None
        for w in (self.name_edit, self.formula, self.value_title, self.value_table):
            w.setVisible(editing)
        self._set_row_visible(self.name_edit, editing)
        self._set_row_visible(self.kind_combo, editing and node.is_source)
        self._set_row_visible(self.value_edit, editing and node.is_source)
        self._rebuild_params(node)
        if node is None:
            self.heading.setText(self._summary())
            self.error_label.hide()
            for w in (self.grad_title, self.grad_table, self.tangent_title, self.tangent_table):
                w.hide()
            return
        spec = node.spec
        self.heading.setText(
            f"<b style='font-size:11pt'>{html.escape(node_label(graph, node.id))}</b>&nbsp;&nbsp;"
            f"<span style='color:gray'>{spec.name} · {spec.category}</span>"
            f"<br><span style='color:gray'>{spec.doc}</span>"
        )
        self.name_edit.setText(node.name or "")
        if node.is_source:
            self.kind_combo.setCurrentText(node.op)
            self.value_edit.setText(value_text(node.value))
            self.value_edit.setStyleSheet("")
        lines = [f"out = {spec.formula}"] if not node.is_source else []
        for port, d in zip(spec.inputs, spec.derivatives, strict=True):
            lines.append(f"∂out/∂{port} = {d}")
        self.formula.setText("\n".join(lines))
        self.formula.setVisible(bool(lines))
        self._refresh_values()

    def _summary(self) -> str:
        graph = self.graph
        if graph is None:
            return ""
        if len(self.selection) > 1:
            return self._function_summary() or f"<b>{len(self.selection)} nodes selected</b>"
        out = graph.output
        text = f"<b>{len(graph)} nodes, {len(graph.edges)} wires</b>"
        if out is not None:
            value = self.view_state.value(out)
            text += (f"<br>Output: {html.escape(node_label(graph, out))} = "
                     f"{format_value(value)}")
        text += "<br><span style='color:gray'>Select a node to see and edit it.</span>"
        return text

    def _function_summary(self) -> str:
        """A closed function selected (it stands for its nodes): its signature, outputs and
        the parameters inside, with their values and gradients."""
        graph, vs = self.graph, self.view_state
        groups = {graph.node(n).group for n in self.selection if n in graph}
        if len(groups) != 1 or None in groups:
            return ""
        group = graph.group(groups.pop())
        members = graph.group_members(group.id)
        if set(members) != set(self.selection):
            return ""
        definition = graph.function(group.function)
        signature = definition.signature if definition else group.function
        rows = [f"<b style='font-size:11pt'>{html.escape(group.name)}</b>&nbsp;&nbsp;"
                f"<span style='color:gray'>{html.escape(signature)} · function of "
                f"{len(members)} nodes</span>"]

        def line(nid: str, label: str) -> str:
            value, grad = vs.value(nid), vs.grad(nid)
            text = f"{html.escape(label)} = {html.escape(_short(value))}"
            if grad is not None:
                text += (f"&nbsp;&nbsp;<span style='color:gray'>gradient</span> "
                         f"{html.escape(_short(grad))}")
            return text

        fed = [(item.name, graph.input_ids(item.targets[0][0])[item.targets[0][1]])
               for item in group.inputs if item.targets and item.targets[0][0] in graph]
        if fed:
            rows.append("<br><b>Inputs</b>")
            for name, src in fed:
                label = node_label(graph, src) if src is not None else ""
                shown = (f"{html.escape(name)}: not connected" if src is None
                         else line(src, label) if label == name
                         else f"{html.escape(name)} ← {line(src, label)}")
                rows.append(f"<br>{shown}")
        rows.append("<br><b>Outputs</b>")
        rows += [f"<br>{line(o.node, node_label(graph, o.node))}" for o in group.outputs]
        params = [n for n in members if graph.node(n).op == "parameter"]
        if params:
            rows.append("<br><b>Parameters inside</b>")
            rows += [f"<br>{line(n, node_label(graph, n))}" for n in params[:MAX_LISTED]]
            if len(params) > MAX_LISTED:
                rows.append(f"<br><span style='color:gray'>and {len(params) - MAX_LISTED} "
                            "more</span>")
        hint = ("Double-click it (or Graph > Open or Close Function) to see and edit its nodes."
                if group.collapsed else "Press − in its frame's title to close it again.")
        rows.append(f"<br><span style='color:gray'>{hint}</span>")
        return "".join(rows)

    def _refresh_values(self) -> None:
        node_id = self.node_id
        graph = self.graph
        if node_id is None or graph is None or node_id not in graph:
            if self.node_id is None:
                self.heading.setText(self._summary())
            return
        # What every view may show: the stepper's position, hidden gradients, live numbers.
        vs = self.view_state
        value = vs.value(node_id)
        grad = vs.grad(node_id)
        error = vs.error(node_id)
        self.error_label.setText(f"Error: {error}" if error else "")
        self.error_label.setVisible(bool(error))
        node = graph.node(node_id)
        if node.is_source and (vs.live or self._live_text):
            # A training run's numbers, read-only (the document is locked); then the
            # node's own value again.
            shown = value if vs.live and value is not None else node.value
            self.value_edit.setText(value_text(shown))
            self._live_text = vs.live
        is_array = isinstance(value, np.ndarray) and value.ndim > 0
        # A source's value is in the editor above: only an array gets a table, headed by
        # its shape; a scalar is one line, never a 1x1 table.
        heading = "Elements" if node.is_source else "Value"
        self.value_title.setText(f"<b>{heading}</b> {_shape_text(value)}")
        self.value_title.setVisible(is_array or not node.is_source)
        self.value_model.set_value(value if is_array else None)
        self.value_table.setVisible(is_array)
        has_grad = grad is not None
        self.grad_title.setText(
            f"<b>Gradient</b> ∂{html.escape(_output_title(graph, vs.output))}/"
            f"∂{html.escape(node_label(graph, node.id))} {_shape_text(grad)}"
        )
        grad_is_array = isinstance(grad, np.ndarray) and grad.ndim > 0
        self.grad_model.set_value(grad if grad_is_array else None)
        self.grad_title.setVisible(has_grad)
        self.grad_table.setVisible(has_grad and grad_is_array)
        tangents = vs.tangents()
        tangent = tangents.get(node_id)
        self.tangent_title.setText(
            f"<b>Tangent</b> d{html.escape(node_label(graph, node.id))}/"
            f"d{html.escape(tangents.wrt)} {_shape_text(tangent)}"
        )
        tangent_is_array = isinstance(tangent, np.ndarray) and tangent.ndim > 0
        self.tangent_model.set_value(tangent if tangent_is_array else None)
        self.tangent_title.setVisible(tangent is not None)
        self.tangent_table.setVisible(tangent is not None and tangent_is_array)

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        label = self.form.labelForField(field)
        field.setVisible(visible)
        if label is not None:
            label.setVisible(visible)

    def _rebuild_params(self, node: Node | None) -> None:
        key = (node.id, node.op) if node is not None else None
        if key == self._params_key and node is not None:
            # Same node: update the texts only. Rebuilding here would delete the editor
            # whose editingFinished signal is being handled.
            for param in node.spec.params:
                edit = self.param_edits[param.name]
                edit.setText(format_param(param.kind, node.params[param.name]))
            return
        self._params_key = key
        for name, edit in list(self.param_edits.items()):
            self.form.removeRow(edit)
            del self.param_edits[name]
        if node is None:
            return
        for param in node.spec.params:
            edit = QLineEdit(format_param(param.kind, node.params[param.name]))
            edit.setObjectName(f"param_{param.name}")
            edit.setToolTip(f"{param.doc} ({param.kind})".strip())
            edit.editingFinished.connect(
                lambda p=param, e=edit: self._commit_param(p.name, p.kind, e)
            )
            self.param_edits[param.name] = edit
            self.form.addRow(param.name, edit)

    # ---- edits ---------------------------------------------------------------------------

    def _report(self, message: str) -> None:
        if self.status is not None:
            self.status(message)

    def _commit_name(self) -> None:
        if self.document is None or self.node_id is None:
            return
        try:
            self.document.rename(self.node_id, self.name_edit.text())
        except GraphError as exc:
            self._report(f"Cannot rename: {exc}")
            node = self.document.graph.node(self.node_id)
            self.name_edit.setText(node.name or "")

    def _commit_value(self) -> None:
        if self.document is None or self.node_id is None:
            return
        try:
            value = parse_value_text(self.value_edit.text())
            self.document.set_value(self.node_id, value)
            self.value_edit.setStyleSheet("")
        except (ValueError, GraphError) as exc:
            reason = str(exc)
            self.value_edit.setStyleSheet("QLineEdit { border: 1px solid #d32f2f; }")
            self._report(f"Cannot set value: {reason}")

    def _commit_kind(self) -> None:
        if self.document is None or self.node_id is None:
            return
        try:
            self.document.set_op(self.node_id, self.kind_combo.currentText())
        except GraphError as exc:
            self._report(str(exc))

    def _commit_param(self, name: str, kind: str, edit: QLineEdit) -> None:
        if self.document is None or self.node_id is None:
            return
        try:
            self.document.set_param(self.node_id, name, parse_param(kind, edit.text()))
            edit.setStyleSheet("")
        except (ValueError, GraphError) as exc:
            edit.setStyleSheet("QLineEdit { border: 1px solid #d32f2f; }")
            self._report(f"Cannot set {name}: {exc}")


def _shape_text(value: Any) -> str:
    if value is None:
        return "<span style='color:gray'>(none)</span>"
    if isinstance(value, np.ndarray):
        dims = " × ".join(str(d) for d in value.shape)
        return f"<span style='color:gray'>[{dims}]</span>"
    return f"<span style='color:gray'>= {format_number(value, 6)}</span>"


def _output_title(graph: Graph, output: str | None) -> str:
    if output is None or output not in graph:
        return "out"
    return node_label(graph, output)


__all__ = ["ArrayModel", "Inspector", "format_param", "parse_param"]
