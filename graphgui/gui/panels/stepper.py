"""The stepper dock: walk through the forward and backward passes one node at a time.

``install(window)`` adds the dock (``stepperDock``), a toolbar (``stepperToolbar``) and a Step
menu to a :class:`~graphgui.gui.main_window.MainWindow`, and keeps the panel as
``window.stepper_panel``. The numbers all come from a core :class:`Stepper`; this module only
shows them: the chain rule of the current step, the step log, the gradient-descent update,
the gradient check and the quiz. On the canvas it sets the scene's step overlay
(:class:`~graphgui.gui.canvas.scene.StepOverlay`) while a step is shown.

Any edit of the graph drops the Stepper (never a stale number on screen); a new one is built
on demand, so editing a large graph costs nothing while the stepper is not in use.
"""

from __future__ import annotations

import heapq
import html
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QIODevice,
    QModelIndex,
    QSaveFile,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QFontDatabase,
    QFontMetrics,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStyle,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.engine import Evaluation
from graphgui.core.explain import LOG_HEADER, LogRow, symbol
from graphgui.core.gradcheck import DEFAULT_STEP, GradCheck, check_gradients
from graphgui.core.graph import Graph, GraphError, Node
from graphgui.core.stepper import (
    Position,
    Stepper,
    StepperError,
    Update,
    parse_answer,
)
from graphgui.core.values import format_value, values_equal

from ..canvas.state import StepOverlay
from ..commands import label
from ..theme import current_theme
from ..view_state import QUIZ

if TYPE_CHECKING:
    from ..shell import Shell

# (attribute, menu text, keys, what it does). F9/F10/F11 as in debuggers; Shift = all the way.
STEP_ACTIONS = (
    ("forward", "&Forward Step", "F10", "Evaluate the next node of the forward pass"),
    ("backward", "&Backward Step", "F11",
     "Visit the next node of the backward pass (finishes the forward pass first)"),
    ("back", "Step B&ack", "F9", "Undo the last step"),
    ("run_end", "Run to &End", "Shift+F11", "Finish both passes"),
    ("run_node", "Run to &Selected Node", "Ctrl+F10",
     "Step until the selected node is the current step"),
    ("reset", "&Reset Stepper", "Shift+F9",
     "Back to the start; the canvas shows the full evaluation again"),
)
LOG_COLUMN_MAX = 560  # px; only a longer cell is elided (its full text is in the tooltip)
EMPTY_HINT = (
    "Nothing to step through yet. Type an expression in the bar above the canvas, e.g. "
    "f = (x + y) * z, or drag an op from the palette onto the canvas."
)
TOOL_TEXT = {
    "forward": "Forward", "backward": "Backward", "back": "Back", "run_end": "Run to End",
    "run_node": "Run to Node", "reset": "Reset",
}


class LogModel(QAbstractTableModel):
    """The step log: one row per (backward step, input), as ``Stepper.log_rows`` gives."""

    NUMERIC = {0, 5, 6}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LogRow] = []
        self._mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)

    def set_rows(self, rows: list[LogRow]) -> None:
        """Show ``rows``; a step adds or removes rows at the end, so only those change."""
        old = self.rows
        n, m = len(old), len(rows)
        if m > n and rows[:n] == old:
            self.beginInsertRows(QModelIndex(), n, m - 1)
            self.rows = rows
            self.endInsertRows()
        elif m < n and old[:m] == rows:
            self.beginRemoveRows(QModelIndex(), m, n - 1)
            self.rows = rows
            self.endRemoveRows()
        elif rows != old:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()

    def cell(self, row: int, column: int) -> str:
        r = self.rows[row]
        return (str(r.step), r.node, r.gradient, r.local, r.upstream, r.contribution,
                r.total)[column]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(LOG_HEADER)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if role in (Qt.DisplayRole, Qt.ToolTipRole):  # the tooltip shows elided text whole
            return self.cell(index.row(), index.column())
        if role == Qt.TextAlignmentRole and index.column() in self.NUMERIC:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.FontRole:
            return self._mono
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole
                   ) -> Any:
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return LOG_HEADER[section]
        return None


class StepperPanel(QWidget):
    """The dock's contents and the stepper's controller for one main window."""

    stepped = Signal()  # after every change of position (tests and plots listen)

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("stepperPanel")
        self.shell = shell
        self.view_state = shell.view_state
        self.graph: Graph | None = None
        self.stepper: Stepper | None = None
        self.error: str | None = None  # why stepping is impossible (a failing graph)
        self.notice = ""  # the last notice (a reset, an applied update), shown in the dock
        self.message_kind = ""  # what the dock's message line shows: "error", "warning",
        # "info" or "" (hidden)
        self.loss_history: list[Any] = []
        self.checks: list[GradCheck] = []
        self.quiz_rows: list[tuple[Any, QLineEdit | None, QLineEdit, QLabel]] = []
        self._applying = False
        self._mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)

        self._build_actions()
        self._build_widgets()
        shell.view_state.evaluated.connect(self._on_evaluated)
        shell.document_changed.connect(self._on_document_changed)
        self._exercise_shown = ""
        shell.view_state.changed.connect(self._on_view_changed)
        self._on_evaluated(self.view_state.graph_evaluation)  # the graph shown already
        self.render()

    # ---- construction --------------------------------------------------------------------

    def _build_actions(self) -> None:
        w = self.shell.widget()
        self.actions_by_name: dict[str, QAction] = {}
        slots: dict[str, Callable[[], object]] = {
            "forward": self.forward_step, "backward": self.backward_step,
            "back": self.step_back, "run_end": self.run_to_end,
            "run_node": self.run_to_selected, "reset": self.reset,
        }
        for name, text, keys, tip in STEP_ACTIONS:
            action = QAction(text, w)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.WindowShortcut)  # also while a dock has the focus
            native = QKeySequence(keys).toString(QKeySequence.NativeText)
            action.setToolTip(f"{text.replace('&', '')} ({native}): {tip.lower()}")
            action.setStatusTip(tip)
            action.setIconText(TOOL_TEXT[name])
            action.triggered.connect(lambda *_, slot=slots[name]: slot())
            self.shell.add_action(action)
            self.actions_by_name[name] = action
            setattr(self, f"action_{name}", action)
        self.action_apply = QAction("Apply &Gradient Descent", w)
        self.action_apply.setToolTip(
            "w_new = w_old - alpha * dE/dw for every parameter, as one undo step")
        self.action_apply.triggered.connect(lambda *_: self.apply_gradient_descent())
        self.action_quiz = QAction("&Quiz Mode", w)
        self.action_quiz.setCheckable(True)
        self.action_quiz.setToolTip("Hide the gradients and work them out yourself")
        self.action_quiz.toggled.connect(self.set_quiz_mode)

        self.toolbar = QToolBar("Stepper", w)
        self.toolbar.setObjectName("stepperToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for name in ("reset", "back", "forward", "backward", "run_node", "run_end"):
            self.toolbar.addAction(self.actions_by_name[name])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.action_quiz)

        self.menu = QMenu("&Step", w)
        self.menu.setObjectName("menuStep")
        for name in ("forward", "backward", "back", None, "run_end", "run_node", "reset"):
            if name is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(self.actions_by_name[name])
        self.menu.addSeparator()
        self.menu.addAction(self.action_apply)
        self.menu.addAction(self.action_quiz)

    def tool_button(self, name: str) -> QWidget:
        """The toolbar button of step action ``name`` (for tests and screenshots)."""
        return self.toolbar.widgetForAction(self.actions_by_name[name])

    def _build_widgets(self) -> None:
        colors = current_theme().colors
        self.position_label = QLabel()
        self.position_label.setObjectName("stepperPosition")
        self.position_label.setTextFormat(Qt.RichText)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.setMaximumWidth(160)
        self.message_label = QLabel()
        self.message_label.setObjectName("stepperMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.RichText)
        self.message_label.hide()
        # The style's own icons: a glyph such as U+24D8 is missing from common fonts.
        self.message_icon = QLabel()
        self.message_icon.setObjectName("stepperMessageIcon")
        self.message_icon.hide()

        self.step_view = QTextBrowser()
        self.step_view.setObjectName("stepperText")
        self.step_view.setOpenLinks(False)
        self.step_view.setMinimumHeight(110)
        self.step_view.document().setDefaultStyleSheet(
            f".muted {{ color: {colors.muted}; }} .value {{ color: {colors.value}; }} "
            f".grad {{ color: {colors.grad}; }} .error {{ color: {colors.error}; }} "
            f".eq {{ font-family: '{self._mono.family()}'; }}"
        )

        self.precision_spin = QSpinBox()
        self.precision_spin.setObjectName("stepperPrecision")
        self.precision_spin.setRange(1, 12)
        self.precision_spin.setValue(4)
        self.precision_spin.setToolTip("Significant digits of the numbers shown")
        self.precision_spin.valueChanged.connect(self.set_precision)
        self.quiz_check = QCheckBox("Quiz mode")
        self.quiz_check.setObjectName("stepperQuiz")
        self.quiz_check.setToolTip(self.action_quiz.toolTip())
        self.quiz_check.toggled.connect(self.action_quiz.setChecked)

        head = QHBoxLayout()
        head.addWidget(self.position_label, 1)
        head.addWidget(self.progress)
        options = QHBoxLayout()
        options.addWidget(QLabel("Digits"))
        options.addWidget(self.precision_spin)
        options.addSpacing(12)
        options.addWidget(self.quiz_check)
        options.addStretch(1)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.setContentsMargins(6, 6, 6, 6)
        lbox.setSpacing(4)
        lbox.addLayout(head)
        message_row = QHBoxLayout()
        message_row.setSpacing(6)
        message_row.addWidget(self.message_icon, 0, Qt.AlignTop)
        message_row.addWidget(self.message_label, 1)
        lbox.addLayout(message_row)
        lbox.addWidget(self.step_view, 1)
        lbox.addLayout(options)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("stepperTabs")
        self.tabs.addTab(self._build_log(), "Step log")
        self.tabs.addTab(self._build_update(), "Update")
        self.tabs.addTab(self._build_check(), "Gradient check")
        self.tabs.addTab(self._build_quiz(), "Quiz")

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.tabs)
        # The step log's columns need more room than the wrapped chain-rule text.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setChildrenCollapsible(False)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.splitter)

    def _build_log(self) -> QWidget:
        page = QWidget()
        self.log_model = LogModel(self)
        self.log_view = QTableView()
        self.log_view.setObjectName("stepperLog")
        self.log_view.setModel(self.log_model)
        self.log_view.setAlternatingRowColors(True)
        self.log_view.verticalHeader().hide()
        self.log_view.verticalHeader().setDefaultSectionSize(20)
        self.log_view.setTextElideMode(Qt.ElideMiddle)
        self.log_view.setWordWrap(False)
        header = self.log_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        # Every column as wide as its texts (the log scrolls sideways if it must); the last
        # one must not swallow the spare width while the expressions are elided.
        header.setStretchLastSection(False)
        # Shown as step, node, gradient, contribution, total, local derivative, upstream: the
        # numbers stay in view in a narrow dock; the long expressions follow (exports keep
        # the core's column order).
        header.moveSection(LOG_HEADER.index("contribution"), LOG_HEADER.index("local derivative"))
        header.moveSection(LOG_HEADER.index("total"), LOG_HEADER.index("upstream"))
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_md_button = QPushButton("Export Markdown…")
        self.copy_md_button = QPushButton("Copy as Markdown")
        self.export_csv_button.clicked.connect(lambda: self.export_log("csv"))
        self.export_md_button.clicked.connect(lambda: self.export_log("md"))
        self.copy_md_button.clicked.connect(self.copy_log_markdown)
        buttons = QHBoxLayout()
        for b in (self.export_csv_button, self.export_md_button, self.copy_md_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.log_view, 1)
        box.addLayout(buttons)
        return page

    def _build_update(self) -> QWidget:
        page = QWidget()
        self.alpha_spin = QDoubleSpinBox()
        self.alpha_spin.setObjectName("stepperAlpha")
        self.alpha_spin.setDecimals(4)
        self.alpha_spin.setRange(0.0001, 100.0)
        self.alpha_spin.setSingleStep(0.01)
        self.alpha_spin.setValue(0.1)
        self.alpha_spin.setToolTip("The learning rate alpha")
        self.alpha_spin.valueChanged.connect(self._render_update)
        self.apply_button = QPushButton("Apply gradient descent")
        self.apply_button.setObjectName("stepperApply")
        self.apply_button.setToolTip(self.action_apply.toolTip())
        self.apply_button.clicked.connect(self.apply_gradient_descent)
        self.update_hint = QLabel()
        self.update_hint.setWordWrap(True)
        self.update_table = QTableWidget(0, 5)
        self.update_table.setObjectName("stepperUpdates")
        self.update_table.setHorizontalHeaderLabels(
            ["weight", "current", "gradient", "w - alpha * dE/dw", "new"])
        self.update_table.verticalHeader().hide()
        self.update_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.update_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.update_table.horizontalHeader().setStretchLastSection(True)
        self.update_table.verticalHeader().setDefaultSectionSize(20)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("stepperLoss")
        self.loss_label.setTextFormat(Qt.RichText)
        self.loss_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("alpha"))
        row.addWidget(self.alpha_spin)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(row)
        box.addWidget(self.update_hint)
        box.addWidget(self.update_table, 1)
        box.addWidget(self.loss_label)
        return page

    def _build_check(self) -> QWidget:
        page = QWidget()
        self.check_step_edit = QLineEdit(f"{DEFAULT_STEP:g}")
        self.check_step_edit.setObjectName("stepperCheckStep")
        self.check_step_edit.setMaximumWidth(90)
        self.check_step_edit.setToolTip("h in (f(x + h) - f(x - h)) / 2h")
        self.check_step_edit.returnPressed.connect(self.run_gradient_check)
        self.check_button = QPushButton("Check gradients")
        self.check_button.setObjectName("stepperCheck")
        self.check_button.setToolTip(
            "Autodiff against central finite differences for every input and parameter")
        self.check_button.clicked.connect(self.run_gradient_check)
        self.check_summary = QLabel()
        self.check_summary.setObjectName("stepperCheckSummary")
        self.check_summary.setTextFormat(Qt.RichText)
        self.check_table = QTableWidget(0, 5)
        self.check_table.setObjectName("stepperCheckTable")
        self.check_table.setHorizontalHeaderLabels(
            ["node", "autodiff", "finite diff.", "rel. error", "result"])
        self.check_table.verticalHeader().hide()
        self.check_table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.check_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.check_table.horizontalHeader().setStretchLastSection(True)
        self.check_table.verticalHeader().setDefaultSectionSize(20)
        row = QHBoxLayout()
        row.addWidget(QLabel("step h"))
        row.addWidget(self.check_step_edit)
        row.addWidget(self.check_button)
        row.addWidget(self.check_summary, 1)
        box = QVBoxLayout(page)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(row)
        box.addWidget(self.check_table, 1)
        return page

    def _build_quiz(self) -> QWidget:
        page = QWidget()
        self.quiz_prompt = QLabel()
        self.quiz_prompt.setObjectName("stepperQuizPrompt")
        self.quiz_prompt.setWordWrap(True)
        self.quiz_prompt.setTextFormat(Qt.RichText)
        self.quiz_grid_host = QWidget()
        self.quiz_grid = QGridLayout(self.quiz_grid_host)
        self.quiz_grid.setContentsMargins(0, 0, 0, 0)
        self.quiz_check_button = QPushButton("Check")
        self.quiz_check_button.setObjectName("stepperQuizCheck")
        self.quiz_check_button.clicked.connect(self.check_quiz)
        self.quiz_working_button = QPushButton("Show working")
        self.quiz_working_button.setObjectName("stepperQuizWorking")
        self.quiz_working_button.clicked.connect(self.show_working)
        self.quiz_result = QLabel()
        self.quiz_result.setObjectName("stepperQuizResult")
        self.quiz_result.setWordWrap(True)
        self.quiz_result.setTextFormat(Qt.RichText)
        self.quiz_result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        buttons = QHBoxLayout()
        buttons.addWidget(self.quiz_check_button)
        buttons.addWidget(self.quiz_working_button)
        buttons.addStretch(1)
        self.quiz_grid.setColumnStretch(0, 1)
        self.quiz_grid.setColumnStretch(1, 1)
        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.quiz_prompt)
        box.addWidget(self.quiz_grid_host)
        box.addWidget(self.quiz_result)
        box.addStretch(1)
        self.quiz_scroll = QScrollArea()
        self.quiz_scroll.setWidgetResizable(True)
        self.quiz_scroll.setFrameShape(QScrollArea.NoFrame)
        # Long symbols wrap; the page never scrolls sideways.
        self.quiz_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.quiz_scroll.setWidget(inner)
        outer = QVBoxLayout(page)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.addWidget(self.quiz_scroll, 1)
        buttons.setContentsMargins(4, 0, 4, 0)
        outer.addLayout(buttons)  # under the scrolled part: always in reach
        return page

    # ---- the graph -----------------------------------------------------------------------

    def _attach(self, graph: Graph | None) -> None:
        old = self.graph
        if old is not None:
            for event in (old.node_added, old.node_removed, old.edge_added, old.edge_removed,
                          old.output_changed):
                event.unsubscribe(self._on_graph_edited)
            old.node_changed.unsubscribe(self._on_node_changed)
        self.graph = graph
        if graph is not None:
            for event in (graph.node_added, graph.node_removed, graph.edge_added,
                          graph.edge_removed, graph.output_changed):
                event.subscribe(self._on_graph_edited)
            graph.node_changed.subscribe(self._on_node_changed)

    def _on_node_changed(self, node: Node, what: str) -> None:
        if what != "pos":  # moving a node changes no number
            self._on_graph_edited()

    def _on_graph_edited(self, *_: object) -> None:
        self._invalidate("The graph changed, so the stepper was reset.")

    def _invalidate(self, notice: str) -> None:
        """Drop the Stepper at once (no stale number stays on screen); a new one is built
        when the user steps again."""
        if self.checks:
            self.checks = []
            self._render_check()
        if self.stepper is None and self.error is None:
            return
        was_active = self.stepper is not None and self.stepper.position != Position()
        self.stepper = None
        self.error = None
        if not self._applying:
            self.loss_history = []
            if was_active:
                self.notice = notice
                self.shell.show_message(notice)
        self.render()

    def _on_document_changed(self, document: Any) -> None:
        if document.graph is not self.graph:
            self._attach(document.graph)
            self._invalidate("Another graph is shown, so the stepper was reset.")
            # A notice about the previous graph would be stale news about this one.
            self.notice = ""
            self.render()

    def _on_view_changed(self) -> None:
        notice = self.view_state.exercise_notice
        if notice != self._exercise_shown:
            self._exercise_shown = notice
            if notice:
                self.show_notice(notice)

    def _on_evaluated(self, ev: Evaluation | None) -> None:
        graph = self.view_state.evaluator.graph
        if graph is not self.graph:
            self._attach(graph)
            self._invalidate("Another graph is shown, so the stepper was reset.")
        if self.stepper is None:
            self.error = self._failure(graph, ev)
            if self.error is None and self.quiz_mode:
                self.ensure_stepper()
            self.render()

    def _failure(self, graph: Graph | None, ev: Evaluation | None) -> str | None:
        """Why this graph cannot be stepped through, from the evaluation the editor already
        made (building a Stepper for every edit of a large graph would be wasted work)."""
        if graph is None or len(graph) == 0:
            return "the graph is empty: add nodes to step through"
        if ev is not None and (ev.errors or ev.output is None):
            try:
                self.stepper = Stepper(graph, precision=self.precision)
            except (StepperError, GraphError) as exc:
                return str(exc)
        return None

    def ensure_stepper(self) -> Stepper | None:
        """The current Stepper, built now if the graph changed since the last one."""
        if self.stepper is None and self.graph is not None:
            try:
                self.stepper = Stepper(self.graph, precision=self.precision)
                self.error = None
            except (StepperError, GraphError) as exc:
                self.error = str(exc)
        return self.stepper

    # ---- stepping ------------------------------------------------------------------------

    @property
    def precision(self) -> int:
        return self.precision_spin.value()

    @property
    def quiz_mode(self) -> bool:
        return self.action_quiz.isChecked()

    @property
    def active(self) -> bool:
        """True while the canvas shows a step instead of the full evaluation."""
        st = self.stepper
        return st is not None and (st.position != Position() or self.quiz_mode)

    @property
    def empty(self) -> bool:
        """No graph or no node: nothing to step through (a hint, not an error)."""
        return self.graph is None or len(self.graph) == 0

    def _move(self, how: Callable[[Stepper], object], refused: str = "") -> bool:
        st = self.ensure_stepper()
        if st is None:
            self.render()
            self.shell.show_message(
                "Nothing to step through: the graph is empty" if self.empty
                else f"Cannot step: {self.error}")
            return False
        self.notice = ""
        before = st.position
        how(st)
        moved = st.position != before
        if not moved and refused:
            self.shell.show_message(refused)
        self.render()
        self.stepped.emit()
        return moved

    def forward_step(self) -> bool:
        return self._move(Stepper.forward_step, "The forward pass is complete")

    def backward_step(self) -> bool:
        return self._move(Stepper.backward_step, "The backward pass is complete")

    def step_back(self) -> bool:
        return self._move(Stepper.step_back, "Already at the start")

    def run_to_end(self) -> bool:
        return self._move(Stepper.run_to_end, "Both passes are complete")

    def reset(self) -> bool:
        return self._move(Stepper.reset)

    def run_to_selected(self) -> bool:
        ids = self.shell.selected_node_ids()
        if len(ids) != 1:
            self.shell.show_message("Select one node to run to")
            return False
        nid = ids[0]
        title = label(self.graph.node(nid)) if self.graph is not None else "that node"
        return self._move(
            lambda st: st.run_to_node(nid),
            f"{title} has no step ahead (it is behind the current step or does not lead "
            "to the output)",
        )

    def set_precision(self, digits: int) -> None:
        st = self.stepper
        if st is not None and st.precision != digits:
            position = st.position
            self.stepper = None
            st = self.ensure_stepper()
            if st is not None:
                st.move_to(position)
        self.render()

    def set_quiz_mode(self, on: bool) -> None:
        self.quiz_check.setChecked(on)
        # Quiz mode hides the gradients everywhere (canvas, inspector, status): the answers.
        self.view_state.set_grads_hidden(QUIZ, on)
        if on:
            self.ensure_stepper()
            self.tabs.setCurrentIndex(self.tabs.indexOf(self.quiz_page))
        elif self.tabs.currentWidget() is self.quiz_page:
            self.tabs.setCurrentIndex(0)  # the step log is back
        self.render()

    @property
    def quiz_page(self) -> QWidget:
        return self.tabs.widget(3)

    # ---- showing -------------------------------------------------------------------------

    def render(self) -> None:
        """Show the current position everywhere: dock, tabs, actions and canvas."""
        self._update_actions()
        self._render_head()
        self._render_step()
        self._render_log()
        self._render_update()
        self._render_check()
        self._render_quiz()
        self.view_state.set_step(self.overlay() if self.active else None)

    def _update_actions(self) -> None:
        st = self.stepper
        usable = self.error is None and self.graph is not None
        if st is None:
            ahead = usable
            behind = False
        else:
            ahead = not st.finished
            behind = st.position != Position()
        a = self.actions_by_name
        a["forward"].setEnabled(usable and (st is None or not st.forward_done))
        a["backward"].setEnabled(usable and ahead)
        a["run_end"].setEnabled(usable and ahead)
        a["back"].setEnabled(usable and behind)
        a["reset"].setEnabled(usable and behind)
        a["run_node"].setEnabled(usable and ahead)
        finished = st is not None and st.finished and not self.quiz_mode
        self.action_apply.setEnabled(finished)

    def _render_head(self) -> None:
        st = self.stepper
        if self.error is not None:
            self.position_label.setText(
                "<b>Empty graph</b>" if self.empty else "<b>Cannot step</b>")
            self.progress.setValue(0)
        elif st is None:
            self.position_label.setText("<b>Ready</b>")
            self.progress.setValue(0)
        else:
            nf, nb = len(st.forward_lines), len(st.backward_steps)
            p = st.position
            if self._question_node(st) is not None:
                # The quiz asks about the step ahead: say its number, as the question does.
                where = f"Question: backward step {p.backward + 1} of {nb}"
            elif p.backward:
                where = f"Backward step {p.backward} of {nb}"
            elif p.forward:
                where = f"Forward step {p.forward} of {nf}"
            else:
                where = "Ready"
            if st.finished:
                where += " · gradients complete"
            self.position_label.setText(f"<b>{where}</b>")
            self.progress.setMaximum(max(1, nf + nb))
            self.progress.setValue(p.forward + p.backward)
        kind, text = "", ""
        if self.error is not None and not self.empty:  # empty: the step view has a hint
            kind, text = "error", f"This graph cannot be stepped through: {self.error}"
        elif (warning := self._nonfinite_warning()) is not None:
            kind, text = "warning", warning
        elif self.notice:
            kind, text = "info", self.notice
        self._show_message(kind, text)

    def _show_message(self, kind: str, text: str) -> None:
        """The message line under the position: an icon from the style and the text, red
        for an error or a warning, in the normal text colour for a notice."""
        self.message_kind = kind
        if not kind:
            self.message_label.setText("")
            self.message_label.hide()
            self.message_icon.hide()
            return
        colors = current_theme().colors
        icon = QStyle.SP_MessageBoxInformation if kind == "info" else \
            QStyle.SP_MessageBoxWarning
        size = self.message_label.fontMetrics().height()
        self.message_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        body = html.escape(text)
        if kind in ("error", "warning"):
            body = f"<span style='color:{colors.error}'>{body}</span>"
        self.message_label.setText(body)
        self.message_label.show()
        self.message_icon.show()

    def show_notice(self, text: str) -> None:
        """Show a notice in the dock (until the next step), e.g. how to use an exercise."""
        self.notice = text
        self.render()

    def _nonfinite_warning(self) -> str | None:
        """While stepping: the node that first gave nan or inf, once it has been computed,
        e.g. "f = ln(-1) is nan: the gradients below it are not meaningful"."""
        st = self.stepper
        if st is None or st.nonfinite is None or not self.active:
            return None
        nid, message = st.nonfinite
        if nid not in st.visible_values():
            return None
        what = message
        line = next((ln for ln in st.forward_lines if ln.node_id == nid), None)
        if line is not None:
            parts = line.text.split(" = ")
            if len(parts) >= 3:
                what = f"{symbol(st.program, nid)} = {parts[-2]} is {parts[-1]}"
        return (f"{what}: the gradients below it are not meaningful (fix the input values "
                "that lead to it).")

    def _render_step(self) -> None:
        st = self.stepper
        view = self.step_view
        keys = _keys_hint(self.actions_by_name)
        if self.error is not None and self.empty:
            view.setHtml(f"<p>{html.escape(EMPTY_HINT)}</p><p class='muted'>Then step through "
                         f"the passes: {keys}</p>")
            return
        if self.error is not None:
            view.setHtml("<p class='muted'>Fix the graph and the stepper is ready again.</p>")
            return
        if st is None or st.position == Position():
            ready = (
                st.current_text() if st is not None
                else "Ready to step through the passes of this graph."
            )
            view.setHtml(f"<p>{html.escape(ready)}</p><p class='muted'>{keys}</p>")
            return
        if self.quiz_mode and st.forward_done:
            view.setHtml(self._quiz_html(st))
            return
        if st.phase == "forward":
            line = st.forward_lines[st.position.forward - 1]
            body = f"<p class='eq'>{_result_bold(line.text, 'value')}</p>"
            title = symbol(st.program, line.node_id)
            view.setHtml(f"<p class='muted'>Forward pass · computing {html.escape(title)}</p>"
                         + body)
            return
        ex = st.backward_steps[st.position.backward - 1]
        view.setHtml(self._backward_html(st, ex))

    def _backward_html(self, st: Stepper, ex: Any) -> str:
        parts = []
        head, _, upstream = ex.heading.partition(": ")
        if not ex.terms:  # a source: its gradient is complete
            parts.append(f"<p class='muted'>Backward pass · {html.escape(head)}</p>")
            parts.append(f"<p class='eq'>{_result_bold(upstream, 'grad')}</p>")
        else:
            parts.append("<p class='muted'>Backward pass · chain rule at this node</p>")
            parts.append(f"<p class='eq'><b>{html.escape(head)}</b><br>"
                         f"{_result_bold(upstream, 'grad')}</p>")
        if " + " in upstream.split(" = ", 1)[-1]:
            n = upstream.count(" + ") + 1
            parts.append(f"<p class='muted'>Σ the {n} contributions that reached "
                         f"{html.escape(head.split(' ', 1)[0])} are summed.</p>")
        for term in ex.terms:
            main, *notes = [s.strip() for s in term.text.split("   ") if s.strip()]
            parts.append(f"<p class='eq'>{_result_bold(main, 'grad')}")
            for note in notes:
                parts.append(f"<br><span class='muted'>&nbsp;&nbsp;{html.escape(note)}</span>")
            parts.append("</p>")
        return "".join(parts)

    def _quiz_html(self, st: Stepper) -> str:
        terms = st.quiz_terms()
        if not terms:
            if st.finished:
                return "<p>The backward pass is complete. Well done!</p>"
            nxt = st.backward_steps[st.position.backward] if st.forward_done else None
            if nxt is not None and not nxt.terms:
                name = nxt.heading.split(":", 1)[0]
                return (f"<p>Next: {html.escape(name)} has all its contributions; no question "
                        "here. Press Backward step.</p>")
            return "<p>Press Backward step to start the backward pass.</p>"
        ex = st.backward_steps[st.position.backward]
        head = ex.heading.split(": ", 1)[0]
        upstream = terms[0].upstream
        value = format_value(terms[0].upstream_value, st.precision)
        rows = "".join(
            f"<br>{html.escape(t.gradient)} = {html.escape(t.upstream)} * "
            f"{html.escape(t.local)} = <b>?</b>"
            for t in terms
        )
        return (f"<p class='muted'>Quiz · backward step {ex.number} of "
                f"{len(st.backward_steps)}</p><p class='eq'><b>{html.escape(head)}</b><br>"
                f"{html.escape(upstream)} = {html.escape(value)} (known)"
                f"{rows}</p><p class='muted'>Type your answers in the Quiz tab.</p>")

    def _render_log(self) -> None:
        st = self.stepper
        hidden = self.quiz_mode or st is None
        rows = [] if hidden else st.log_rows()
        if rows != self.log_model.rows:
            self.log_model.set_rows(rows)
            self._fit_log_columns()  # also when emptied: no widths left from another graph
            if rows:
                self.log_view.scrollToBottom()
        for b in (self.export_csv_button, self.export_md_button, self.copy_md_button):
            b.setEnabled(bool(self.log_model.rows))
        self.tabs.setTabEnabled(0, not self.quiz_mode)

    def log_column_widths(self) -> list[int]:
        """Each column as wide as its longest text (up to LOG_COLUMN_MAX): the expressions
        are what the log is read for, so none is cut while a number column has room.

        Measured from the strings, not by resizeColumnsToContents (which asks the view for
        every cell: 0.9 s per step for a 2000-node graph): a few longest texts per column
        in the log's fixed-width font."""
        metrics = QFontMetrics(self.log_model._mono)
        header = QFontMetrics(self.log_view.horizontalHeader().font())
        columns = list(zip(*(row.cells for row in self.log_model.rows), strict=True)) or \
            [()] * len(LOG_HEADER)
        widths = []
        for title, texts in zip(LOG_HEADER, columns, strict=True):
            longest = heapq.nlargest(4, texts, key=len)
            width = max([metrics.horizontalAdvance(t) for t in longest]
                        + [header.horizontalAdvance(title) + 8])
            widths.append(min(LOG_COLUMN_MAX, width + 18))
        return widths

    def _fit_log_columns(self) -> None:
        for c, width in enumerate(self.log_column_widths()):
            self.log_view.setColumnWidth(c, width)

    def _render_update(self) -> None:
        st = self.stepper
        table = self.update_table
        ready = st is not None and st.finished and not self.quiz_mode
        self.tabs.setTabEnabled(1, not self.quiz_mode)
        self.apply_button.setEnabled(ready)
        self.action_apply.setEnabled(ready)
        if not ready:
            table.setRowCount(0)
            self.update_hint.setText(
                "Run the backward pass to the end (Run to End) to see "
                "w_new = w_old - alpha * dE/dw for every parameter.")
            self.update_hint.show()
        else:
            updates = st.gradient_descent(self.alpha_spin.value())
            self.update_hint.setVisible(not updates)
            self.update_hint.setText("This graph has no parameters or inputs to update.")
            self._fill_updates(updates, st.precision)
        history = self.loss_history
        if history and self.graph is not None:
            out = symbol(st.program, st.program.output_id) if st is not None else "output"
            chain = " → ".join(format_value(v, self.precision) for v in history)
            self.loss_label.setText(f"{html.escape(out)}: {html.escape(chain)}")
        else:
            self.loss_label.setText("")

    def _fill_updates(self, updates: list[Update], precision: int) -> None:
        table = self.update_table
        alpha = self.alpha_spin.value()
        table.setRowCount(len(updates))
        for r, u in enumerate(updates):
            step = u.text(alpha, precision).split(": ", 1)[1]
            cells = (u.name, format_value(u.old, precision), format_value(u.grad, precision),
                     step, format_value(u.new, precision))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFont(self._mono)
                if c in (1, 2, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(r, c, item)

    def _render_check(self) -> None:
        self.tabs.setTabEnabled(2, not self.quiz_mode)
        self.check_button.setEnabled(self.error is None and self.graph is not None
                                     and len(self.graph) > 0)
        if not self.checks:
            self.check_table.setRowCount(0)
            self.check_summary.setText("")

    def _render_quiz(self) -> None:
        st = self.stepper
        # Rebuild the rows only when the question changes, so typed answers survive renders.
        terms = st.quiz_terms() if (st is not None and self.quiz_mode) else []
        if [id(t) for t, *_ in self.quiz_rows] == [id(t) for t in terms]:
            self._quiz_prompt_text(st, terms)
            return
        while self.quiz_grid.count():
            item = self.quiz_grid.takeAt(0)
            old = item.widget()
            if old is not None:
                old.hide()
                old.setParent(None)  # gone from findChild at once, not only after deletion
                old.deleteLater()
        self.quiz_rows = []
        self.quiz_result.setText("")
        for r, term in enumerate(terms):
            equation = QLabel(f"{term.gradient} = {term.upstream} * {term.local}")
            equation.setObjectName(f"quizEquation{r}")
            equation.setFont(self._mono)
            equation.setWordWrap(True)
            equation.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.quiz_grid.addWidget(equation, 3 * r, 0, 1, 3)
            local_edit: QLineEdit | None = None
            if term.local_value is not None:  # elementwise: the local derivative is a number
                local_edit = QLineEdit()
                local_edit.setObjectName(f"quizLocal{r}")
                local_edit.setPlaceholderText("?")
                local_edit.setToolTip(f"The local derivative {term.local}: how this node's "
                                      "output changes with this input")
                local_edit.returnPressed.connect(self.check_quiz)
                self.quiz_grid.addWidget(
                    self._answer_label(f"local derivative {term.local}", local_edit, r, "Local"),
                    3 * r + 1, 0)
                self.quiz_grid.addWidget(local_edit, 3 * r + 2, 0)
            total_edit = QLineEdit()
            total_edit.setObjectName(f"quizTotal{r}")
            total_edit.setPlaceholderText("?")
            total_edit.setToolTip(f"The gradient {term.gradient} = {term.upstream} * "
                                  f"{term.local} (this step's contribution)")
            total_edit.returnPressed.connect(self.check_quiz)
            self.quiz_grid.addWidget(
                self._answer_label(f"gradient {term.gradient}", total_edit, r, "Total"),
                3 * r + 1, 1)
            self.quiz_grid.addWidget(total_edit, 3 * r + 2, 1)
            verdict = QLabel()
            verdict.setObjectName(f"quizVerdict{r}")
            verdict.setWordWrap(True)
            self.quiz_grid.addWidget(verdict, 3 * r + 2, 2)
            self.quiz_rows.append((term, local_edit, total_edit, verdict))
        self._quiz_prompt_text(st, terms)

    def _answer_label(self, text: str, buddy: QLineEdit, row: int, kind: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(f"quiz{kind}Label{row}")
        label.setWordWrap(True)
        label.setBuddy(buddy)
        buddy.setAccessibleName(text)
        return label

    def _quiz_prompt_text(self, st: Stepper | None, terms: list) -> None:
        on = self.quiz_mode
        for b in (self.quiz_check_button, self.quiz_working_button):
            b.setEnabled(bool(terms))
        if not on:
            self.quiz_prompt.setText(
                "Turn on <b>Quiz mode</b> to hide the gradients and work out each backward "
                "step yourself: type the local derivative and the total gradient, then Check.")
        elif st is None:
            self.quiz_prompt.setText("The quiz starts when the graph can be stepped through.")
        elif not terms:
            self.quiz_prompt.setText(
                "The backward pass is complete." if st.finished else
                "Press <b>Backward step</b> to reach the next question.")
        else:
            ex = st.backward_steps[st.position.backward]
            up = format_value(terms[0].upstream_value, st.precision)
            self.quiz_prompt.setText(
                f"Backward step {ex.number} of {len(st.backward_steps)} at "
                f"<b>{html.escape(ex.heading.split(': ', 1)[0])}</b> (framed on the canvas), "
                f"upstream {html.escape(terms[0].upstream)} = {html.escape(up)}. "
                f"<span style='color:{current_theme().colors.muted}'>Answers such as 1/4, "
                "pi/2 or [0.5, -1] are "
                "fine.</span>")

    # ---- quiz ----------------------------------------------------------------------------

    def check_quiz(self) -> bool:
        """Check every typed answer; True when all are right."""
        st = self.stepper
        if st is None or not self.quiz_rows:
            return False
        colors = current_theme().colors
        all_right = True
        for term, local_edit, total_edit, verdict in self.quiz_rows:
            if not total_edit.text().strip() and not (
                    local_edit is not None and local_edit.text().strip()):
                verdict.setText(f"<span style='color:{colors.muted}'>no answer yet</span>")
                all_right = False
                continue
            try:
                local = (parse_answer(local_edit.text())
                         if local_edit is not None and local_edit.text().strip() else None)
                total = (parse_answer(total_edit.text()) if total_edit.text().strip()
                         else None)
            except ValueError as exc:
                verdict.setText(f"<span style='color:{colors.error}'>✗ {html.escape(str(exc))}"
                                "</span>")
                all_right = False
                continue
            result = st.check_answer(term, local=local, total=total)
            if local_edit is not None and local is None:
                result_ok = bool(result.total_correct)
                note = " (local derivative not given)"
            elif total is None:  # only the local derivative so far
                result_ok = bool(result.local_correct)
                note = ": the local derivative (now the gradient)"
                all_right = False
            else:
                result_ok = result.correct
                note = ""
            if result_ok:
                verdict.setText(f"<span style='color:{colors.value}'>✓ right{note}</span>")
            else:
                wrong = []
                if result.local_correct is False:
                    wrong.append("the local derivative")
                if result.total_correct is False:
                    wrong.append("the gradient")
                verdict.setText(f"<span style='color:{colors.error}'>✗ check "
                                f"{' and '.join(wrong)}</span>")
                all_right = False
        self.quiz_result.setText(
            f"<span style='color:{colors.value}'>All right! Press Backward step for the next "
            "question.</span>" if all_right else
            "Not yet: try again, or press <b>Show working</b>."
        )
        self._reveal_quiz_result()
        return all_right

    def _reveal_quiz_result(self) -> None:
        QTimer.singleShot(0, self, self._scroll_to_quiz_result)

    def _scroll_to_quiz_result(self) -> None:
        inner = self.quiz_scroll.widget()
        inner.layout().activate()  # new rows and text laid out before measuring
        inner.adjustSize()
        self.quiz_scroll.ensureWidgetVisible(self.quiz_result, 0, 4)

    def show_working(self) -> None:
        st = self.stepper
        if st is None or not self.quiz_rows:
            return
        lines = [html.escape(st.check_answer(term).working) for term, *_ in self.quiz_rows]
        self.quiz_result.setText(
            f"<span style='font-family:\"{self._mono.family()}\"'>" + "<br>".join(lines)
            + "</span>")
        self._reveal_quiz_result()

    # ---- canvas --------------------------------------------------------------------------

    def overlay(self) -> StepOverlay:
        """The canvas picture of the current position."""
        st = self.stepper
        assert st is not None
        current = self._question_node(st)
        if current is not None:  # the quiz asks about the step ahead: frame that node
            edges = {(src, current) for src in st.program.inputs_of(current)}
        else:
            edges = set(st.current_edges)
            current = st.current_node
        if st.phase == "backward" and current is not None and self.graph is not None \
                and current in self.graph and len(self.graph.consumers(current)) > 1:
            # A fan-out node: the wires whose contributions are being summed.
            edges |= {(current, e.dst) for e in self.graph.consumers(current)}
        return StepOverlay(
            phase=st.phase,
            current=current,
            edges=frozenset(edges),
            values=st.visible_values(),
            grads=st.visible_grads(),
            partial=st.partial_grads(),
            pending=frozenset(st.pending_nodes()),
            wire_grads=st.visible_wire_grads(),
            output=st.program.output_id,
            errors=self._nonfinite_errors(st),
            precision=st.precision,
        )

    def _question_node(self, st: Stepper) -> str | None:
        """In quiz mode, the node of the backward step the user is asked about next."""
        if not self.quiz_mode or not st.forward_done or st.finished:
            return None
        return st.backward_steps[st.position.backward].node_id

    @staticmethod
    def _nonfinite_errors(st: Stepper) -> dict[str, str]:
        """The node that gave nan or inf keeps its red frame while stepping, once reached."""
        if st.nonfinite is None:
            return {}
        nid, message = st.nonfinite
        return {nid: message} if nid in st.visible_values() else {}

    # ---- log export ----------------------------------------------------------------------

    def ask_export_path(self, kind: str) -> str | None:
        """Where to write the step log (tests replace this method)."""
        caption = "Export step log as CSV" if kind == "csv" else "Export step log as Markdown"
        filt = "CSV (*.csv)" if kind == "csv" else "Markdown (*.md)"
        path, _ = QFileDialog.getSaveFileName(self, caption, f"step-log.{kind}", filt)
        return path or None

    def export_log(self, kind: str) -> str | None:
        """Write the step log as ``csv`` or ``md``; returns the path written."""
        st = self.stepper
        if st is None or self.quiz_mode:
            return None
        path = self.ask_export_path(kind)
        if not path:
            return None
        text = st.log_csv() if kind == "csv" else st.log_markdown()
        error = write_text(path, text)
        if error:
            self.shell.show_message(f"Cannot export the step log: {error}")
            return None
        self.shell.show_message(f"Step log written to {path}")
        return path

    def copy_log_markdown(self) -> None:
        st = self.stepper
        if st is None or self.quiz_mode:
            return
        QGuiApplication.clipboard().setText(st.log_markdown())
        self.shell.show_message("Step log copied as a Markdown table")

    # ---- gradient descent ----------------------------------------------------------------

    def apply_gradient_descent(self) -> list[Update]:
        """w_new = w_old - alpha * dE/dw as one undoable command, then re-evaluate and finish
        the passes again so the next update can follow."""
        st = self.stepper
        doc = self.shell.document
        if st is None or not st.finished or doc is None or self.quiz_mode:
            self.shell.show_message("Run the backward pass to the end first")
            return []
        alpha = self.alpha_spin.value()
        updates = [u for u in st.gradient_descent(alpha) if not values_equal(u.old, u.new)]
        if not updates:
            self.shell.show_message("Every gradient is zero: nothing to update")
            return []
        out = st.program.output_id
        before = st.visible_values()[out]
        if not self.loss_history:
            self.loss_history = [before]
        self._applying = True
        try:
            with doc.macro(f"Gradient descent step (alpha = {alpha:g})"):
                for u in updates:
                    doc.set_value(u.node_id, u.new)
            self.view_state.evaluate_now()
        finally:
            self._applying = False
        st = self.ensure_stepper()
        if st is None:
            self.render()
            return updates
        st.run_to_end()
        after = st.visible_values()[st.program.output_id]
        self.loss_history.append(after)
        p = self.precision
        name = symbol(st.program, st.program.output_id)
        self.notice = (f"Gradient descent step applied: {name} {format_value(before, p)} → "
                       f"{format_value(after, p)}")
        self.shell.show_message(self.notice)
        self.render()
        return updates

    # ---- gradient check ------------------------------------------------------------------

    def run_gradient_check(self) -> list[GradCheck]:
        graph = self.graph
        text = self.check_step_edit.text().strip()
        try:
            step = float(text)
            if not (math.isfinite(step) and step > 0):
                raise ValueError
        except ValueError:
            self.check_summary.setText(
                f"<span style='color:{current_theme().colors.error}'>The step h must be a "
                f"positive number, not {html.escape(text)!r}</span>")
            return []
        if graph is None or self.error is not None:
            return []
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            self.checks = check_gradients(graph, step=step)
        except (ValueError, GraphError) as exc:
            self.checks = []
            self.check_summary.setText(html.escape(str(exc)))
            return []
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._fill_checks()
        return self.checks

    def _fill_checks(self) -> None:
        colors = current_theme().colors
        table = self.check_table
        p = self.precision
        table.setRowCount(len(self.checks))
        for r, c in enumerate(self.checks):
            cells = (c.name, format_value(c.autodiff, p), format_value(c.numeric, p),
                     f"{c.rel_error:.2e}", "✓ pass" if c.passed else "✗ FAIL")
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if k in (1, 2, 3):
                    item.setFont(self._mono)
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if k == 4:
                    color = QColor(colors.value if c.passed else colors.error)
                    item.setForeground(QBrush(color))
                    back = QColor(color)
                    back.setAlpha(40)
                    item.setBackground(QBrush(back))
                    item.setTextAlignment(Qt.AlignCenter)
                table.setItem(r, k, item)
        failed = sum(not c.passed for c in self.checks)
        if failed:
            self.check_summary.setText(
                f"<span style='color:{colors.error}'><b>{failed} of {len(self.checks)} "
                "fail</b></span>")
        else:
            self.check_summary.setText(
                f"<span style='color:{colors.value}'><b>all {len(self.checks)} pass</b></span>")


def write_text(path: str, text: str) -> str | None:
    """Write ``text`` atomically; returns the reason on failure."""
    out = QSaveFile(path)
    if not out.open(QIODevice.WriteOnly):
        return out.errorString()
    data = text.encode("utf-8")
    if out.write(data) != len(data):
        reason = out.errorString()
        out.cancelWriting()
        return reason
    if not out.commit():
        return out.errorString()
    return None


def _result_bold(text: str, kind: str) -> str:
    """An equation with its final number in bold, coloured as a value or a gradient."""
    head, sep, last = text.rpartition(" = ")
    if not sep:
        return html.escape(text)
    return f"{html.escape(head)} = <b class='{kind}'>{html.escape(last)}</b>"


def _keys_hint(actions: dict[str, QAction]) -> str:
    def key(name: str) -> str:
        return actions[name].shortcut().toString(QKeySequence.NativeText)

    return (f"{key('forward')}: forward step · {key('backward')}: backward step · "
            f"{key('back')}: step back · {key('run_end')}: run to end · "
            f"{key('run_node')}: run to the selected node · {key('reset')}: reset")


def install(shell: Shell) -> StepperPanel:
    """Add the stepper dock, toolbar and Step menu to ``shell``."""
    panel = StepperPanel(shell)
    dock = QDockWidget("Stepper", shell.widget())
    dock.setObjectName("stepperDock")
    dock.setWidget(panel)
    panel.dock = dock
    shell.add_panel(dock, Qt.BottomDockWidgetArea)
    shell.add_toolbar(panel.toolbar)
    shell.add_menu(panel.menu)
    return panel
