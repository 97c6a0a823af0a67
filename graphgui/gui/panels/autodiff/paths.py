"""The Paths dock: the gradient as a sum over paths (Colah, "Calculus on Computational
Graphs"), in the editor.

Pick an input or parameter (as Forward Mode's Follow lists them; one element of a tensor) and
the output (one element, or all); the dock lists every path between them with its factors,
largest first (numbered, each written out whole), and adds them up to the gradient the
backward pass computes. Clicking a path draws it on the canvas in the highlight colour; the
fan-outs on the paths, where backprop adds the parts of several consumers, are marked there
(a dot on the output port) and listed with their factored form.

The paths come from :func:`graphgui.core.autodiff.pathsum.path_sum`, worked out in a thread
(:mod:`.paths_runner`) on a copy of the graph after each burst of edits, and only while the
dock is shown; the highlight is on the canvas only while the dock is on screen. What the view
state hides (gradients in an exercise or quiz) the dock hides. The pickers' row ends with the
legend of the wire label colours (:mod:`.legend`).
"""

from __future__ import annotations

import html
from itertools import islice, pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.autodiff.pathsum import PathSum
from graphgui.core.labels import node_labels

from ...actions import make_action
from ...scrolled import SidewaysArea
from ...tangent_state import SEED_OPS, seed_sources
from ...theme import current_theme, notice_html
from .legend import WireLegend
from .paths_runner import PathRequest, PathRunner
from .paths_table import PathTable
from .paths_text import (
    NODE_LINK,
    PRECISION,
    details_html,
    header_html,
    header_text,
    truncation_text,
)

if TYPE_CHECKING:
    from graphgui.core.graph import Graph

    from ...document import Document
    from ...shell import Shell
    from . import AutodiffAddOn

ELEMENT_CHOICES = 10_000  # elements a picker lists (the first ones of a larger tensor)
BUSY_MS = 200  # "Listing the paths…" appears when an answer takes longer than this
ALL_ELEMENTS = "all elements"
EMPTY_HINT = "Build or open a graph to list the paths from an input to its output."
HIDDEN_NOTE = ("Gradients are hidden (View > Show Gradients, an exercise or quiz mode): "
               "so are the paths.")


class PathsPanel(QWidget):
    """The dock's contents: pickers, the header, the table of paths and the fan-outs."""

    computed = Signal()  # a new answer is shown (paths or a one-line message)

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("pathsPanel")
        self.shell = shell
        self.view_state = shell.view_state
        self.dock: QDockWidget | None = None
        self.result: PathSum | None = None
        self.message = ""  # shown instead of paths (a PathError, no input, hidden gradients)
        self.pending = False  # a question is out, its answer not shown yet
        self._asked = 0  # the key of the latest question (older answers are dropped)
        self._dirty = True  # the graph changed while the dock was hidden
        self._on_screen = False  # the dock's last visibilityChanged
        self._grads_hidden = self.view_state.grads_hidden
        self._picker_key: Any = None
        self.action: QAction | None = None  # Autodiff > Paths to Output (set by install)
        self.runner = PathRunner(self)
        self.runner.done.connect(self._on_done)
        self._busy = QTimer(self)
        self._busy.setSingleShot(True)
        self._busy.setInterval(BUSY_MS)
        self._busy.timeout.connect(self._show_busy)
        self._build()
        self.view_state.evaluated.connect(self._on_evaluated)
        self.view_state.changed.connect(self._on_view_changed)
        shell.document_changed.connect(self.set_document)
        self.set_document(shell.document)

    # ---- widgets -------------------------------------------------------------------------

    def _build(self) -> None:
        self.input_combo = _combo("pathsInput", "The input or parameter the paths start at")
        self.input_element = _combo("pathsInputElement", "The element of the input")
        self.output_combo = _combo("pathsOutput", "Where the paths end")
        self.output_element = _combo(
            "pathsOutputElement",
            "One element of the output, or all of them (the gradient of their sum)")
        for combo in (self.input_element, self.output_element):
            combo.hide()
        self.input_combo.currentIndexChanged.connect(self._on_input_chosen)
        self.output_combo.currentIndexChanged.connect(self._on_output_chosen)
        self.input_element.currentIndexChanged.connect(self.refresh)
        self.output_element.currentIndexChanged.connect(self.refresh)
        pickers = QHBoxLayout()
        pickers.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("From"), self.input_combo, self.input_element,
                       QLabel("to"), self.output_combo, self.output_element):
            pickers.addWidget(widget)
        pickers.addStretch(1)
        self.legend = WireLegend(self.view_state, "pathsLegend")
        pickers.addWidget(self.legend)

        self.header = _line_label("pathsHeader")
        self.note = _line_label("pathsNote")
        self.note.hide()
        self.table = PathTable()
        self.table.itemSelectionChanged.connect(self._show_highlight)

        # The chosen path factor by factor, then the fan-outs (a link selects the node).
        self.details = QTextBrowser()
        self.details.setObjectName("pathsDetails")
        self.details.setOpenLinks(False)
        self.details.anchorClicked.connect(self._select_linked_node)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("pathsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 4, 6, 4)
        box.setSpacing(3)
        box.addLayout(pickers)
        box.addWidget(self.header)
        box.addWidget(self.note)
        box.addWidget(self.splitter, 1)

    def attach_dock(self, dock: QDockWidget) -> None:
        self.dock = dock
        dock.visibilityChanged.connect(self._on_visibility)

    # ---- following the document ----------------------------------------------------------

    @property
    def graph(self) -> Graph:
        return self.shell.document.graph

    def set_document(self, document: Document) -> None:
        """Another document is shown: nothing of the last one stays (paths, highlight)."""
        self._asked += 1  # an answer still on its way is about the old graph
        self.pending = False
        self._busy.stop()
        self.result, self.message = None, ""
        self.table.show_result(None)
        self.details.clear()
        self.header.setText("")
        self.note.hide()
        self.view_state.set_highlight()
        self._picker_key = None
        for combo in (self.input_combo, self.output_combo):  # the new graph's defaults
            combo.blockSignals(True)
            combo.clear()
            combo.blockSignals(False)
        self._refresh_pickers()
        self.refresh()

    def _on_evaluated(self, _evaluation: object) -> None:
        self._refresh_pickers()
        self.refresh()

    def _on_view_changed(self) -> None:
        hidden = self.view_state.grads_hidden
        if hidden != self._grads_hidden:
            self._grads_hidden = hidden
            self.refresh()

    def _on_visibility(self, visible: bool) -> None:
        self._on_screen = visible
        if visible and self._dirty:
            self.refresh()
        self._show_highlight()

    def shown(self) -> bool:
        """The dock is on screen: not closed, not a tab behind another (such a dock is
        still ``isVisible``; ``visibilityChanged`` tells)."""
        return self._on_screen and self.dock is not None and self.dock.isVisible()

    # ---- the pickers ---------------------------------------------------------------------

    def _refresh_pickers(self) -> None:
        graph = self.graph
        labels = node_labels(graph)
        # What Forward Mode's Follow lists: the inputs, then the parameters (no constants).
        sources = tuple((nid, labels[nid]) for nid in seed_sources(graph))
        computed = tuple((n.id, labels[n.id]) for n in graph if not n.is_source)
        output = graph.output
        key = (id(graph), sources, computed, output)
        if key != self._picker_key:
            self._picker_key = key
            _fill(self.input_combo, list(sources), sources[0][0] if sources else None)
            out_text = f"{labels[output]} (the output)" if output is not None else "(no output)"
            _fill(self.output_combo,
                  [(None, out_text)]
                  + [(nid, label) for nid, label in computed if nid != output], None)
        self._refresh_elements()

    def _refresh_elements(self) -> None:
        graph = self.graph
        wrt = self.input_combo.currentData()
        shape = np.shape(graph.node(wrt).value) if wrt is not None and wrt in graph else ()
        _fill_elements(self.input_element, shape, None)
        out = self.output_combo.currentData() or graph.output
        ev = self.view_state.graph_evaluation
        value = ev.values.get(out) if ev is not None and out is not None else None
        _fill_elements(self.output_element, np.shape(value) if value is not None else (),
                       ALL_ELEMENTS)

    def _on_input_chosen(self) -> None:
        self._refresh_elements()
        self.refresh()

    def _on_output_chosen(self) -> None:
        self._refresh_elements()
        self.refresh()

    def choose_input(self, node_id: str, element: str | None = None) -> None:
        """Start the paths at ``node_id`` (``element``: ``"0,1"`` of a tensor)."""
        k = self.input_combo.findData(node_id)
        if k >= 0:
            self.input_combo.setCurrentIndex(k)
        if element is not None:
            k = self.input_element.findData(element)
            if k >= 0:
                self.input_element.setCurrentIndex(k)

    def choose_output(self, node_id: str | None, element: str | None = None) -> None:
        """End the paths at ``node_id`` (None: the graph's output), one ``element`` of it
        (``"1"``) or all of them (None)."""
        k = self.output_combo.findData(node_id)
        if k >= 0:
            self.output_combo.setCurrentIndex(k)
        k = self.output_element.findData(element)
        if k >= 0:
            self.output_element.setCurrentIndex(k)

    def _question(self) -> tuple[str, str | None] | str:
        """(wrt, output) to ask path_sum, or why there is nothing to ask."""
        graph = self.graph
        wrt = self.input_combo.currentData()
        if wrt is None:
            if len(graph) == 0:
                return EMPTY_HINT
            return "The graph has no input or parameter: the paths start at one."
        if graph.output is None:
            return "The graph has no output: the paths end at one."
        element = self.input_element.currentData() if self.input_element.count() else None
        if element is not None:
            wrt = f"{wrt}[{element}]"
        output = self.output_combo.currentData()
        element = self.output_element.currentData() if self.output_element.count() else None
        if element is not None:
            output = f"{output or graph.output}[{element}]"
        return wrt, output

    # ---- asking and showing --------------------------------------------------------------

    def refresh(self) -> None:
        """List the paths again (now if the dock is shown, else once it is)."""
        if not self.shown():
            self._dirty = True
            return
        self._dirty = False
        self._asked += 1
        self.pending = False
        self._busy.stop()
        if self.view_state.grads_hidden:
            self._show_message(HIDDEN_NOTE, "info")
            return
        question = self._question()
        if isinstance(question, str):
            self._show_message(question, "hint" if question == EMPTY_HINT else "info")
            return
        graph = self.graph
        copy = graph.subgraph(n.id for n in graph)  # the worker never sees later edits
        self.pending = True
        self._busy.start()
        self.runner.submit(PathRequest(copy, question[0], question[1], key=self._asked))

    def _on_done(self, key: object, answer: PathSum | str) -> None:
        if key != self._asked:
            return  # about a graph or a choice no longer shown
        self.pending = False
        self._busy.stop()
        if self.view_state.grads_hidden:
            self._show_message(HIDDEN_NOTE, "info")
        elif isinstance(answer, str):
            self._show_message(answer, "error")
        else:
            self._show_result(answer)

    def _show_busy(self) -> None:
        if self.pending:
            self.header.setText(notice_html("Listing the paths…", "info"))

    def _show_message(self, text: str, kind: str) -> None:
        self.result, self.message = None, text
        self.table.show_result(None)
        self.details.clear()
        muted = current_theme().colors.muted  # a hint: nothing is wrong, no glyph
        self.header.setText(f"<span style='color:{muted}'>{html.escape(text)}</span>"
                            if kind == "hint" else notice_html(text, kind))
        self.header.setToolTip(text)
        self.note.hide()
        self._show_highlight()
        self.computed.emit()

    def _show_result(self, result: PathSum) -> None:
        chosen = self._chosen_path()
        self.result, self.message = result, ""
        self.header.setText(header_html(result))
        self.header.setToolTip(header_text(result))
        if result.truncated:
            self.note.setText(notice_html(truncation_text(result), "warning"))
            self.note.setToolTip(truncation_text(result))
            self.note.show()
        else:
            self.note.hide()
        self.table.blockSignals(True)
        self.table.show_result(result, PRECISION)
        row = next((k for k, p in enumerate(result.paths)
                    if (p.nodes, p.formulas) == chosen), None)
        if row is not None:  # the same path, with its new numbers
            self.table.selectRow(row)
        self.table.blockSignals(False)
        self._show_highlight()
        self.computed.emit()

    def _chosen_path(self) -> tuple[Any, Any] | None:
        row = self.table.selected_row()
        if self.result is None or row is None or row >= len(self.result.paths):
            return None
        path = self.result.paths[row]
        return path.nodes, path.formulas

    # ---- the canvas ----------------------------------------------------------------------

    def _show_highlight(self) -> None:
        """The selected path (the sum rows: every listed path) in the highlight colour and
        the fan-outs marked; nothing while the dock is hidden or has no paths."""
        result = self.result
        row = self.table.selected_row()
        if result is not None:
            muted = current_theme().colors.muted
            self.details.setHtml(details_html(result, row, muted))
        if result is None or not self.shown():
            self.view_state.set_highlight()
            return
        marked = {fan.node_id for fan in result.fan_outs}
        if row is None:
            self.view_state.set_highlight(marked=marked)
            return
        paths = result.paths[row:row + 1] if row < len(result.paths) else result.paths
        nodes = {nid for path in paths for nid in path.node_ids}
        wires = {pair for path in paths for pair in pairwise(path.node_ids)}
        self.view_state.set_highlight(nodes, wires, marked)

    def _select_linked_node(self, url: QUrl) -> None:
        link = url.toString()
        node_id = link[len(NODE_LINK):] if link.startswith(NODE_LINK) else ""
        if node_id in self.graph:
            self.shell.select_nodes([node_id])

    # ---- the action ----------------------------------------------------------------------

    def open_for_selection(self) -> None:
        """Autodiff > Paths to Output: show the dock, starting at the selected input."""
        graph = self.graph
        for nid in self.shell.selected_node_ids():
            if nid in graph and graph.node(nid).op in SEED_OPS:
                self.choose_input(nid)
                break
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        if self._dirty:
            self.refresh()


# ---- small widgets ---------------------------------------------------------------------------


def _combo(name: str, tip: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tip)
    combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
    combo.setMaxVisibleItems(20)
    return combo


def _line_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setTextFormat(Qt.RichText)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)  # never widens the dock
    return label


def _fill(combo: QComboBox, entries: list[tuple[Any, str]], default: Any) -> None:
    """Replace the entries (data, text), keeping the chosen one if it is still there."""
    current = combo.currentData() if combo.count() else default
    combo.blockSignals(True)
    combo.clear()
    for data, text in entries:
        combo.addItem(text, data)
    k = combo.findData(current)
    if k < 0:
        k = combo.findData(default)
    combo.setCurrentIndex(max(k, 0) if combo.count() else -1)
    combo.blockSignals(False)


def _fill_elements(combo: QComboBox, shape: tuple[int, ...], all_text: str | None) -> None:
    """An element picker for a value of ``shape`` (hidden for a scalar); data ``"i,j"``,
    or None for ``all_text``."""
    key = (shape, all_text)
    if combo.property("shapeKey") == key:
        return
    combo.setProperty("shapeKey", key)
    if not shape:
        combo.blockSignals(True)
        combo.clear()
        combo.blockSignals(False)
        combo.hide()
        return
    entries: list[tuple[Any, str]] = [(None, all_text)] if all_text else []
    for index in islice(np.ndindex(*shape), ELEMENT_CHOICES):
        text = ",".join(str(i) for i in index)
        entries.append((text, f"[{text}]"))
    _fill(combo, entries, None if all_text else entries[0][0])
    combo.show()


# ---- install ---------------------------------------------------------------------------------


def install(shell: Shell, add_on: AutodiffAddOn) -> PathsPanel:
    """Add the Paths dock (tabbed with the stepper) and Autodiff > Paths to Output."""
    panel = PathsPanel(shell)
    window = shell.widget()
    dock = QDockWidget("Paths", window)
    dock.setObjectName("pathsDock")
    dock.setWidget(SidewaysArea(panel, "pathsScroll"))  # tabbed: must not set the tabs' width
    panel.attach_dock(dock)
    shell.add_panel(dock, Qt.BottomDockWidgetArea)
    action = make_action(
        window, "&Paths to Output…", panel.open_for_selection, name="paths_to_output",
        tip="List every path from the selected input to the output: their products add "
            "up to the gradient")
    add_on.menu.addAction(action)
    shell.add_action(action)
    panel.action = action

    def arrange() -> None:
        stepper = window.findChild(QDockWidget, "stepperDock")
        if stepper is not None:
            shell.tabify_panels(stepper, dock)

    shell.add_layout_step(arrange)
    add_on.paths = panel
    return panel
