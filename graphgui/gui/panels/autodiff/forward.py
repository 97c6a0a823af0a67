"""The Forward Mode dock: follow one input's tangent through the graph.

- **The seed** (:mod:`.forward_seed`): an input or parameter, one element of a tensor, or a
  direction typed as a list. Autodiff > Show Tangents (Ctrl+3) writes every wire's tangent
  d(source)/d(seed) on the canvas under its value, in the tangent colour, and a sink's under
  it; the tangents are the view state's (``ViewState.tangents``), computed from its one
  evaluation.
- **Stepping**: Step, Back, Run to End and Reset walk core's tangent lines
  (``explain_tangents``) one node at a time. The canvas then shows forward mode's step
  picture (a :class:`StepOverlay` of owner ``forward_mode``): the current node framed, the
  tangents of the nodes stepped so far, the nodes ahead faded, no gradients.
- **The cost**: what forward and reverse mode cost for all the gradients of the output on
  this graph (core's ``autodiff_cost``), with one row per input.

Tangents are not gradients: they are shown while gradients are hidden (an exercise, quiz
mode). The stepper's picture wins over them: while it is shown, no tangent is (it shows only
what its own steps computed). Of the two step pictures, the last one stepped is shown; the
other dock goes back to its start. Any edit of the graph sends forward mode back to its
start (no stale line stays on screen), and so does the dock leaving the screen (closed, or a
tab behind another: its picture leaves the canvas with it); deleting the seed's input clears
the tangents. Show Tangents is a view toggle: it stays on across documents. The header's
legend (:mod:`.legend`) names the wire label colours on the canvas.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFont, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.autodiff.cost import AutodiffCost, autodiff_cost
from graphgui.core.autodiff.tangent_text import TangentLine, explain_tangents
from graphgui.core.autodiff.tangents import Seed, TangentError
from graphgui.core.engine import Evaluation, EvaluationError, Program
from graphgui.core.graph import Graph, GraphError
from graphgui.core.labels import node_labels

from ...actions import make_action
from ...canvas.state import StepOverlay, Tangents
from ...graph_edits import EditWatcher
from ...scrolled import SidewaysArea
from ...tangent_state import program_values, seed_sources
from ...theme import current_theme
from ..stepper.widgets import ElidedLabel, FittedLabel, StillSplitter
from .forward_seed import SeedPicker
from .forward_text import COST_HEADERS, COST_TIPS, cost_html, cost_rows, position_text, steps_html
from .legend import WireLegend

if TYPE_CHECKING:
    from ...shell import Shell
    from . import AutodiffAddOn

OWNER = "forward_mode"  # the owner of forward mode's step picture (StepOverlay.owner)
PRECISION = 4  # the canvas's digits
# (name, menu text, button text, what it does); keys in actions.SHORTCUTS as forward_<name>
FORWARD_ACTIONS = (
    ("reset", "Forward Mode &Reset", "Reset", "Back to the start of forward mode"),
    ("back", "Forward Mode Step &Back", "Back", "Undo the last forward-mode step"),
    ("step", "Forward Mode &Step", "Step", "Compute the tangent of the next node"),
    ("run_end", "Forward Mode Run to &End", "Run to End", "Compute every tangent"),
)
LEFT_MIN_WIDTH, RIGHT_MIN_WIDTH = 330, 250
EMPTY_HINT = ("Build or open a graph to follow an input through it: type an expression such "
              "as f = (x + y) * z, or open one from File > Examples.")


class ForwardModePanel(QWidget):
    """The dock's contents and forward mode's controller for one window."""

    stepped = Signal()  # after every change of position (tests listen)

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("forwardModePanel")
        self.shell = shell
        self.view_state = shell.view_state
        self.graph: Graph | None = None
        self._edits = EditWatcher(self._on_graph_edited)
        self.dock: QDockWidget | None = None
        self.lines: list[TangentLine] | None = None  # built on the first step
        self.position = 0  # lines taken (0: the start; the canvas shows the evaluation)
        self.error = ""  # why forward mode cannot run on this graph
        self.seed_error = ""  # what is wrong with the picked seed
        self.notice = ""  # the last notice (a reset, cleared tangents), until the next move
        self.cost: AutodiffCost | None = None
        self.cost_error = ""
        self._cost_key: Any = None
        self._program: Program | None = None  # of the lines
        self._evaluation: Evaluation | None = None
        self._seed: Seed | None = None
        self._overlay: StepOverlay | None = None  # the picture last given to the view state
        self._on_screen = False  # the dock's last visibilityChanged
        self._build_actions()
        self._build_widgets()
        vs = self.view_state
        vs.evaluated.connect(self._on_evaluated)
        vs.changed.connect(self._on_view_changed)
        vs.tangents_cleared.connect(self._on_tangents_cleared)
        shell.document_changed.connect(self._on_document_changed)
        self._on_document_changed(shell.document)

    # ---- construction --------------------------------------------------------------------

    def _build_actions(self) -> None:
        w = self.shell.widget()
        self.action_show = make_action(
            w, "Show &Tangents", self.set_show_tangents, name="show_tangents", checkable=True,
            tip="Write every wire's tangent d(node)/d(input) beside its value (forward mode)")
        self.shell.add_action(self.action_show)
        slots = {"reset": self.reset, "back": self.step_back, "step": self.step,
                 "run_end": self.run_to_end}
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, button, tip in FORWARD_ACTIONS:
            action = make_action(w, text, slots[name], name=f"forward_{name}", tip=tip,
                                 icon_text=button)
            keys = action.shortcut().toString(QKeySequence.NativeText)
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            self.shell.add_action(action)
            self.actions_by_name[name] = action

    def _build_widgets(self) -> None:
        colors = current_theme().colors
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.picker = SeedPicker()
        self.picker.chosen.connect(self.apply_seed)
        self.show_button = self._button(self.action_show, "forwardShowTangents")
        self.message_icon = QLabel()
        self.message_icon.setObjectName("forwardMessageIcon")
        self.message_label = FittedLabel()
        self.message_label.setObjectName("forwardMessage")
        self.message_kind = ""
        self.position_label = ElidedLabel()
        self.position_label.setObjectName("forwardPosition")
        bold = QFont(self.position_label.font())
        bold.setBold(True)
        self.position_label.setFont(bold)
        self.buttons = {name: self._button(self.actions_by_name[name], f"forward_{name}Button")
                        for name, *_ in FORWARD_ACTIONS}
        self.step_view = QTextBrowser()
        self.step_view.setObjectName("forwardText")
        self.step_view.setOpenLinks(False)
        self.step_view.setMinimumHeight(3 * self.step_view.fontMetrics().lineSpacing() + 12)
        self.step_view.document().setDefaultStyleSheet(
            f".muted {{ color: {colors.muted}; }} .tangent {{ color: {colors.tangent}; }} "
            f".eq {{ font-family: '{mono.family()}'; }}")

        self.legend = WireLegend(self.view_state, "forwardLegend")
        # The header, across the dock: what to follow (a direction on a row of its own under
        # the combos), Show Tangents, and what the colours on the wires mean.
        self.picker.add_to_row(self.show_button)
        self.picker.add_to_row(self.legend, right=True)
        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 0)
        top.addWidget(self.picker)
        message_row = QHBoxLayout()
        message_row.setSpacing(6)
        message_row.addWidget(self.message_icon, 0, Qt.AlignTop)
        message_row.addWidget(self.message_label, 1)
        step_row = QHBoxLayout()
        step_row.setSpacing(4)
        for button in self.buttons.values():
            step_row.addWidget(button)
        step_row.addStretch(1)
        left = QWidget()
        left.setObjectName("forwardSteps")
        box = QVBoxLayout(left)
        box.setContentsMargins(6, 4, 6, 6)
        box.setSpacing(4)
        box.addLayout(step_row)
        box.addLayout(message_row)
        box.addWidget(self.position_label)  # a line of its own: long names are not cut
        box.addWidget(self.step_view, 1)

        self.cost_label = FittedLabel()
        self.cost_label.setObjectName("forwardCost")
        self.cost_label.setTextFormat(Qt.RichText)
        self.cost_table = QTableWidget(0, len(COST_HEADERS))
        self.cost_table.setObjectName("forwardCostTable")
        self.cost_table.setHorizontalHeaderLabels(list(COST_HEADERS))
        for column, tip in enumerate(COST_TIPS):
            self.cost_table.horizontalHeaderItem(column).setToolTip(tip)
        self.cost_table.verticalHeader().hide()
        self.cost_table.verticalHeader().setDefaultSectionSize(
            self.cost_table.fontMetrics().height() + 6)
        self.cost_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.cost_table.setSelectionMode(QAbstractItemView.NoSelection)
        self.cost_table.setWordWrap(False)
        header = self.cost_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)  # the numbers keep their width
        self.cost_table.setMinimumHeight(self.cost_table.verticalHeader().defaultSectionSize()
                                         + header.sizeHint().height() + 4)
        right = QWidget()
        right.setObjectName("forwardCostBox")
        cost_box = QVBoxLayout(right)
        cost_box.setContentsMargins(6, 4, 6, 6)
        cost_box.setSpacing(4)
        cost_box.addWidget(self.cost_label)
        cost_box.addWidget(self.cost_table, 1)
        self.splitter = StillSplitter(left, right, (LEFT_MIN_WIDTH, RIGHT_MIN_WIDTH),
                                      first=(3, 2), stretch=(3, 2))
        self.splitter.setObjectName("forwardSplitter")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(top)
        outer.addWidget(self.splitter, 1)

    @staticmethod
    def _button(action: QAction, name: str) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonTextOnly)
        return button

    # ---- the graph -----------------------------------------------------------------------

    def _attach(self, graph: Graph | None) -> None:
        """Follow ``graph``'s edits (and no longer the previous graph's)."""
        self._edits.follow(graph)
        self.graph = graph

    def _on_graph_edited(self, *_: object) -> None:
        if self.lines is None and not self.position:
            return  # nothing to drop: a bulk edit's thousands of events cost nothing here
        self._restart("The graph changed, so forward mode went back to the start.")

    def _restart(self, notice: str = "") -> None:
        """Drop the lines (built again on the next step); ``notice`` is said when a
        position was lost."""
        was = self.position
        self.lines = self._program = self._evaluation = self._seed = None
        self.position = 0
        if was and notice:
            self.notice = notice
            self.shell.show_message(notice)
        self.render()

    def _on_document_changed(self, document: Any) -> None:
        """Another graph is shown: start afresh (the view state has dropped the seed). Show
        Tangents stays on, following the new graph's source of the same name as before,
        else its first input (the picker's choice)."""
        self._attach(document.graph if document is not None else None)
        self.notice = self.seed_error = ""
        self._cost_key = None
        self.lines = self._program = self._evaluation = self._seed = None
        self.position = 0
        self._on_evaluated(self.view_state.graph_evaluation)
        if self.view_state.show_tangents and not self.error and self.picker.node_id():
            self.apply_seed()

    def on_visibility(self, visible: bool) -> None:
        """The dock came on screen or went off it (closed, or a tab behind another): off
        it, forward mode's picture leaves the canvas and stepping starts again."""
        self._on_screen = visible
        if visible:
            self.update_cost()
        elif self.position:
            self.position = 0
            self.notice = ""
            self.render()

    def shown(self) -> bool:
        """The dock is on screen (a dock tabbed behind another is ``isVisible`` still)."""
        return self.dock is None or (self._on_screen and self.dock.isVisible())

    def _on_evaluated(self, ev: Evaluation | None) -> None:
        graph = self.view_state.evaluator.graph
        if graph is not self.graph:
            self._attach(graph)
        seed = self.view_state.tangent_seed
        self.picker.set_graph(graph, keep=seed.node_id if seed is not None else None)
        self.error = self._failure(graph, ev)
        self.render()

    def _on_tangents_cleared(self, why: str) -> None:
        self.notice = why  # in the dock unless the graph's error is said there
        self.shell.show_message(why)
        self._restart()

    def _on_view_changed(self) -> None:
        vs = self.view_state
        if self.action_show.isChecked() != vs.show_tangents:
            self.action_show.setChecked(vs.show_tangents)  # cleared by an edit or New
        if self.position and vs.step is not self._overlay:
            # Another picture replaced ours (the stepper stepped, another graph is shown).
            self._overlay = None
            self.position = 0
            if vs.step is not None:
                self.notice = "The Stepper's picture is shown: forward mode went back to " \
                              "the start."
            self.render()

    def _failure(self, graph: Graph | None, ev: Evaluation | None) -> str:
        """Why forward mode cannot run on this graph ("" when it can), in one line."""
        if graph is None or len(graph) == 0:
            return ""  # not an error: the dock says how to start (EMPTY_HINT)
        if not seed_sources(graph):
            return "This graph has no inputs or parameters: forward mode has nothing to follow."
        if ev is not None and ev.errors:
            nid, message = next(iter(ev.errors.items()))
            labels = node_labels(graph)
            where = f"{labels[nid]}: " if nid in labels else ""
            return f"This graph cannot be evaluated: {where}{message}"
        return ""

    # ---- the seed ------------------------------------------------------------------------

    def apply_seed(self) -> Seed | None:
        """Follow what the picker shows; a wrong direction is said in the dock (and the
        tangents of the previous choice are no longer shown)."""
        self.seed_error = ""
        try:
            choice = self.picker.choice()
            seed = self.view_state.set_tangent_seed(choice)
        except (ValueError, TangentError) as exc:  # TangentError is a ValueError
            self.seed_error = f"Cannot follow that: {exc}"
            self.view_state.set_tangent_seed(None)
            seed = None
        self.notice = ""
        self._restart()
        return seed

    def set_show_tangents(self, on: bool) -> None:
        """Autodiff > Show Tangents: every wire's tangent on the canvas."""
        self.view_state.set_show_tangents(on)
        if on and self.view_state.tangent_seed is None and not self.error:
            self.apply_seed()
        self.render()

    # ---- stepping ------------------------------------------------------------------------

    def ensure_lines(self) -> list[TangentLine] | None:
        """The tangent lines for the seed, built now if the graph or the seed changed."""
        if self.lines is not None:
            return self.lines
        vs = self.view_state
        if vs.evaluator.pending:
            vs.evaluate_now()
        if self.error:
            return None
        seed = vs.tangent_seed or self.apply_seed()
        program, ev = vs.evaluator.program, vs.graph_evaluation
        if seed is None or program is None or ev is None or seed.node_id not in program.slot:
            return None
        try:
            lines = list(explain_tangents(program, program_values(program, ev), seed,
                                          PRECISION))
        except (ValueError, TypeError, ArithmeticError, EvaluationError, GraphError) as exc:
            self.seed_error = f"Forward mode failed here: {exc}"
            return None
        self.lines, self._program, self._evaluation, self._seed = lines, program, ev, seed
        return lines

    def _move(self, to: int | None = None, by: int = 0) -> bool:
        if self.dock is not None and not self.shown():
            self.dock.show()  # a step by its keys from another tab: the dock comes forward
            self.dock.raise_()
        lines = self.ensure_lines()
        if lines is None:
            self.render()
            self.shell.show_message(self.error or self.seed_error
                                    or "Pick an input to follow first")
            return False
        before = self.position
        target = before + by if to is None else to
        self.position = max(0, min(len(lines), target))
        self.notice = ""
        self.render()
        self.stepped.emit()
        return self.position != before

    def step(self) -> bool:
        return self._move(by=1)

    def step_back(self) -> bool:
        return self._move(by=-1)

    def run_to_end(self) -> bool:
        return self._move(to=len(self.ensure_lines() or []))

    def reset(self) -> bool:
        return self._move(to=0)

    # ---- showing -------------------------------------------------------------------------

    @property
    def wrt(self) -> str:
        """The seed's label (before one is followed, what the picker shows)."""
        seed = self._seed or self.view_state.tangent_seed
        return seed.label if seed is not None else self.picker.label()

    def render(self) -> None:
        """Show the current state everywhere: actions, texts, cost and the canvas."""
        lines, n = self.lines, len(self.lines or [])
        # Not while the seed is wrong (a direction of the wrong shape): pick or type another.
        usable = not self.error and not self.seed_error and self.picker.node_id() is not None
        a = self.actions_by_name
        a["step"].setEnabled(usable and (lines is None or self.position < n))
        a["run_end"].setEnabled(usable and (lines is None or self.position < n))
        a["back"].setEnabled(usable and self.position > 0)
        a["reset"].setEnabled(usable and self.position > 0)
        self.action_show.setEnabled(bool(self.graph is not None and seed_sources(self.graph)))
        self.picker.set_choosable(self.action_show.isEnabled())  # the legend stays lit
        self.position_label.setText(position_text(lines, self.position, self.wrt))
        self._render_message()
        self.step_view.setHtml(steps_html(lines, self.position, self.wrt, self._keys_hint()))
        bar = self.step_view.verticalScrollBar()
        # Stepping: the current line is the last one. Before the first step the text is the
        # introduction, read from its top.
        bar.setValue(bar.maximum() if self.position else bar.minimum())
        self._render_picture()
        if self.shown():
            self.update_cost()

    def _keys_hint(self) -> str:
        def key(action: QAction) -> str:
            return action.shortcut().toString(QKeySequence.NativeText)

        a = self.actions_by_name
        return (f"{key(a['step'])}: step · {key(a['back'])}: back · "
                f"{key(self.action_show)}: show every tangent on the canvas")

    def _render_message(self) -> None:
        if self.error:
            kind, text = "error", self.error
        elif self.seed_error:
            kind, text = "error", self.seed_error
        elif self.notice:
            kind, text = "info", self.notice
        elif self.graph is None or len(self.graph) == 0:
            kind, text = "hint", EMPTY_HINT  # nothing is wrong: grey, no icon
        else:
            kind, text = "", ""
        self.message_kind = kind
        self.message_label.setVisible(bool(kind))
        self.message_icon.setVisible(kind in ("info", "error"))
        if not kind:
            self.message_label.setText("")
            return
        icon = QStyle.SP_MessageBoxInformation if kind == "info" else \
            QStyle.SP_MessageBoxWarning
        size = self.message_label.fontMetrics().height()
        self.message_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        colors = current_theme().colors
        color = {"error": colors.error, "hint": colors.muted}.get(kind, "")
        self.message_label.setTextFormat(Qt.PlainText)
        self.message_label.setStyleSheet(f"color: {color};" if color else "")
        self.message_label.setText(text)

    def _render_picture(self) -> None:
        """Forward mode's step picture on the canvas (none at the start)."""
        lines, seed, program, ev = self.lines, self._seed, self._program, self._evaluation
        if not self.position or lines is None or seed is None or program is None or ev is None:
            self._overlay = None
            self.view_state.release_step(OWNER)
            return
        current = lines[self.position - 1].node_id
        edges = frozenset((src, current) for src in program.inputs_of(current))
        self._overlay = StepOverlay(
            phase="tangent", current=current, edges=edges, values=ev.values,
            pending=frozenset(line.node_id for line in lines[self.position:]),
            output=ev.output, errors=dict(ev.errors), precision=PRECISION, owner=OWNER,
            tangents=Tangents(seed.label, {line.node_id: line.tangent
                                           for line in lines[:self.position]}),
        )
        self.view_state.set_step(self._overlay)

    # ---- the cost ------------------------------------------------------------------------

    def update_cost(self) -> None:
        """Forward against reverse mode on this graph, counted again when its structure, a
        source's shape or the output changed."""
        graph = self.graph
        if graph is None:
            key: Any = None
        else:
            key = (id(graph), graph.structure_version, graph.output,
                   tuple((n.id, getattr(n.value, "shape", ())) for n in graph if n.is_source))
        if key == self._cost_key:
            return
        self._cost_key = key
        self.cost, self.cost_error = None, ""
        if graph is None or len(graph) == 0 or not seed_sources(graph):
            self.cost_error = "Nothing to count: the graph has no inputs or parameters."
        else:
            try:
                self.cost = autodiff_cost(graph)
            except (ValueError, EvaluationError, GraphError) as exc:
                self.cost_error = f"Cannot count the work: {exc}"
        self._show_cost()

    def _show_cost(self) -> None:
        cost = self.cost
        if cost is None:
            self.cost_label.setText(html.escape(self.cost_error))
            self.cost_table.setRowCount(0)
            return
        self.cost_label.setText(cost_html(cost))
        rows = cost_rows(cost)
        self.cost_table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.cost_table.setItem(r, c, item)


def install(shell: Shell, add_on: AutodiffAddOn) -> ForwardModePanel:
    """Add the Forward Mode dock (tabbed with the Stepper under the canvas) and its entries
    in the Autodiff menu; sets ``add_on.forward``."""
    panel = ForwardModePanel(shell)
    dock = QDockWidget("Forward Mode", shell.widget())
    dock.setObjectName("forwardModeDock")
    dock.setWidget(SidewaysArea(panel, "forwardModeScroll"))  # tabbed: must not set their width
    panel.dock = dock
    dock.visibilityChanged.connect(panel.on_visibility)
    shell.add_panel(dock, Qt.BottomDockWidgetArea)

    def arrange() -> None:
        # A tab beside the Stepper's. Tabbing a dock that is there already would move it
        # and leave Qt's previous tab bar behind (a ghost row of tabs).
        window = shell.widget()
        stepper = window.findChild(QDockWidget, "stepperDock")
        if stepper is not None and not (isinstance(window, QMainWindow)
                                        and dock in window.tabifiedDockWidgets(stepper)):
            shell.tabify_panels(stepper, dock)

    shell.add_layout_step(arrange)
    menu = add_on.menu
    menu.addAction(panel.action_show)
    menu.addSeparator()
    for name in ("step", "back", "run_end", "reset"):
        menu.addAction(panel.actions_by_name[name])
    menu.addSeparator()
    add_on.forward = panel
    return panel
