"""The stepper panel: its actions, the position line, the step text and the tabs.

The numbers all come from a core :class:`~graphgui.core.stepper.Stepper`; the panel moves it
and shows the position everywhere at once (:meth:`StepperPanel.render`): the text box, the
tabs (:mod:`.log`, :mod:`.update`, :mod:`.check`, :mod:`.quiz`, each given what it shows),
the actions, and the canvas through the view state's step picture. What the view state hides
(View > Show Gradients off, an exercise, quiz mode) is hidden in every part of the dock.

Any edit of the graph drops the Stepper (never a stale number on screen); a new one is built
on demand, so editing a large graph costs nothing while the stepper is not in use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.engine import Evaluation
from graphgui.core.explain import symbol
from graphgui.core.graph import Graph, GraphError
from graphgui.core.stepper import Position, Stepper, StepperError
from graphgui.core.values import format_value, values_equal

from ...actions import shortcuts_for
from ...graph_edits import EditWatcher
from ...naming import node_label
from ...view_state import EXERCISE, QUIZ, VIEW
from .check import CheckTab
from .column import TextColumn
from .controls import build_controls
from .log import LogTab
from .picture import overlay, question_node
from .quiz import QuizTab
from .text import Shown, dock_message, nonfinite_warning, position_text, step_html
from .update import UpdateTab
from .widgets import StillSplitter

if TYPE_CHECKING:
    from ...shell import Shell

# Fixed minimum widths (px), so a changing text never moves the divider: the text column,
# and the tabs (the step log's step, node, gradient, contribution and total in view).
LEFT_MIN_WIDTH, TABS_MIN_WIDTH = 240, 372
SPLIT = (9, 11)  # text : tabs when first shown (the step log needs the larger share)


class StepperPanel(QWidget):
    """The dock's contents and the stepper's controller for one main window."""

    stepped = Signal()  # after every change of position (tests and plots listen)

    def __init__(self, shell: Shell) -> None:
        super().__init__()
        self.setObjectName("stepperPanel")
        self.shell = shell
        self.view_state = shell.view_state
        self.graph: Graph | None = None
        self._edits = EditWatcher(self._on_graph_edited)
        self.stepper: Stepper | None = None
        self.error: str | None = None  # why stepping is impossible (a failing graph)
        self.notice = ""  # the last notice (a reset, an applied update), until the next step
        self.lead = ""  # how the last move got here, above the step text (until the next)
        self._lead_shown = False  # the lead is in the status bar too (cleared by the next)
        self.loss_history: list[Any] = []
        self._applying = False
        self._view_key: tuple[Any, ...] = ()
        self._sample_key: tuple[int, int] | None = None  # the sample shown (show_sample)
        self._build_actions()
        self._build_widgets()
        shell.view_state.evaluated.connect(self._on_evaluated)
        shell.view_state.changed.connect(self._on_view_changed)
        shell.document_changed.connect(self._on_document_changed)
        self._on_evaluated(self.view_state.graph_evaluation)  # the graph shown already
        self.render()

    # ---- construction --------------------------------------------------------------------

    def _build_actions(self) -> None:
        slots: dict[str, Callable[[], object]] = {
            "forward": self.forward_step, "backward": self.backward_step,
            "back": self.step_back, "run_end": self.run_to_end, "into": self.step_into,
            "run_node": self.run_to_selected, "reset": self.reset,
        }
        c = self.controls = build_controls(self.shell, slots, self.apply_gradient_descent,
                                           self.set_quiz_mode)
        self.actions_by_name = c.steps
        for name, action in c.steps.items():
            setattr(self, f"action_{name}", action)
        self.action_apply, self.action_quiz = c.apply, c.quiz
        self.toolbar, self.menu = c.toolbar, c.menu

    def tool_button(self, name: str) -> QWidget:
        """The toolbar button of step action ``name`` (for tests and screenshots)."""
        return self.toolbar.widgetForAction(self.actions_by_name[name])

    def _build_widgets(self) -> None:
        self.column = TextColumn()
        self.left = self.column
        c = self.column
        # The widgets tests and screenshots look at.
        self.position_label, self.step_view = c.position_label, c.step_view
        self.message_label, self.message_icon = c.message_label, c.message_icon
        self.precision_spin, self.quiz_check = c.precision_spin, c.quiz_check
        self.precision_spin.valueChanged.connect(self.set_precision)
        self.quiz_check.setToolTip(self.action_quiz.toolTip())
        self.quiz_check.toggled.connect(self.action_quiz.setChecked)

        self.log_tab = LogTab(self.shell.show_message)
        self.update_tab = UpdateTab()
        self.update_tab.apply_requested.connect(self.apply_gradient_descent)
        self.check_tab = CheckTab()
        self.quiz_tab = QuizTab()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("stepperTabs")
        for page, title in ((self.log_tab, "Step log"), (self.update_tab, "Update"),
                            (self.check_tab, "Gradient check"), (self.quiz_tab, "Quiz")):
            self.tabs.addTab(page, title)

        # Fixed minimum widths: the divider stays where it is whatever the texts say.
        self.splitter = StillSplitter(
            self.left, self.tabs, (LEFT_MIN_WIDTH, max(TABS_MIN_WIDTH,
                                                       self.tabs.minimumSizeHint().width())),
            first=SPLIT, stretch=(2, 3))
        self.splitter.setObjectName("stepperSplitter")
        self.tabs.setMinimumHeight(self.tabs.minimumSizeHint().height())
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.splitter)

    # ---- the graph -----------------------------------------------------------------------

    def _attach(self, graph: Graph | None) -> None:
        """Follow ``graph``'s edits (and no longer the previous graph's)."""
        self._edits.follow(graph)
        self.graph = graph

    def _on_graph_edited(self, *_: object) -> None:
        self._invalidate("The graph changed, so the stepper was reset.")

    def _invalidate(self, notice: str = "") -> None:
        """Drop the Stepper at once (no stale number stays on screen); a new one is built
        when the user steps again. ``notice`` is said when a position was lost."""
        self.check_tab.clear()
        if self.stepper is None and self.error is None:
            return
        was_active = self.stepper is not None and self.stepper.position != Position()
        self.stepper = None
        self.error = None
        self.lead = ""
        if not self._applying:
            self.loss_history = []
            if was_active and notice:
                self.notice = notice
                self.shell.show_message(notice)
        self.render()

    def _show_graph(self, graph: Graph | None) -> None:
        """Another graph is shown (New, Open, an example): start afresh, with nothing said
        about the previous one (no reset notice, no old text)."""
        self._attach(graph)
        self.notice = ""
        self.loss_history = []
        self._invalidate()

    def _on_document_changed(self, document: Any) -> None:
        if document.graph is not self.graph:
            self._show_graph(document.graph)
        self.notice = self.lead = ""
        self.render()

    def _on_evaluated(self, ev: Evaluation | None) -> None:
        graph = self.view_state.evaluator.graph
        if graph is not self.graph:
            self._show_graph(graph)
        if self.stepper is None:
            self.error = self._failure(graph, ev)
            if self.error is None and self.quiz_mode:
                self.ensure_stepper()
            self.render()

    def _on_view_changed(self) -> None:
        sample = self.view_state.sample
        key = (sample.index, id(sample.graph)) if sample is not None else None
        if key != self._sample_key:  # one sample shown, or the batch again: its own passes
            self._sample_key = key
            self._invalidate()
            return
        if self._key() != self._view_key:  # what is hidden changed (not the step picture)
            self.render()

    @property
    def stepped_graph(self) -> Graph | None:
        """What the stepper steps: one sample's graph while a sample is shown, else the
        document's graph."""
        sample = self.view_state.sample
        return sample.graph if sample is not None else self.graph

    def _key(self) -> tuple[Any, ...]:
        vs = self.view_state
        return (vs.hidden_reasons(), vs.exercise_notice)

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
                self.stepper = Stepper(self.stepped_graph, precision=self.precision)
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

    def _move(self, how: Callable[[Stepper], object], refused: str = "", lead: str = ""
              ) -> bool:
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
        self.lead = lead if moved else ""
        if not moved and refused:
            self.shell.show_message(refused)
        elif lead:
            self.shell.show_message(lead)
            self._lead_shown = True
        elif moved and self._lead_shown:
            self.shell.show_message("", 1)  # the next step: that news is old
            self._lead_shown = False
        self.render()
        self.stepped.emit()
        return moved

    def forward_step(self) -> bool:
        return self._move(Stepper.forward_step, "The forward pass is complete")

    def backward_step(self) -> bool:
        """The next backward step. Pressed during the forward pass, it finishes that pass
        and takes the first backward step at once, and says so (in quiz mode it stops at
        the first question: answering it is the first step)."""
        st = self.ensure_stepper()
        if st is None or st.forward_done:
            return self._move(Stepper.backward_step, "The backward pass is complete")
        left = len(st.forward_lines) - st.position.forward
        done = f"The forward pass was finished first ({left} more step{'s' * (left != 1)})"

        def finish_forward(s: Stepper) -> None:
            s.move_to(Position(len(s.forward_lines), 0))
            if not self.quiz_mode:
                s.backward_step()

        lead = (f"{done}; the first question is backward step 1." if self.quiz_mode
                else f"{done}, then the first backward step was taken.")
        return self._move(finish_forward, lead=lead)

    def step_back(self) -> bool:
        return self._move(Stepper.step_back, "Already at the start")

    def step_into(self) -> bool:
        """Into the closed function the next step would take whole: its own nodes, one by
        one, drawn open meanwhile; past its last node it is one step again."""
        st = self.ensure_stepper()
        group = st.next_function() if st is not None else None
        if group is None:
            return self._move(lambda s: None, "The next step is not a closed function")
        return self._move(Stepper.step_into, lead=f"Into {group.name}: its nodes one by one")

    def run_to_end(self) -> bool:
        return self._move(Stepper.run_to_end, "Both passes are complete")

    def reset(self) -> bool:
        return self._move(Stepper.reset)

    def run_to_selected(self) -> bool:
        ids = self.shell.selected_node_ids()
        graph = self.graph
        groups = {graph.node(n).group for n in ids if graph is not None and n in graph}
        if len(ids) > 1 and len(groups) == 1 and None not in groups:
            # A closed function selected (it stands for its nodes): run to its output.
            ids = [graph.group(groups.pop()).outputs[0].node]
        if len(ids) != 1:
            self.shell.show_message("Select one node to run to")
            return False
        nid = ids[0]
        return self._move(
            lambda st: st.run_to_node(nid),
            f"{self.name_of(nid)} has no step ahead (it is behind the current step or does "
            "not lead to the output)",
        )

    def name_of(self, node_id: str) -> str:
        """A node as the dock's texts call it (never its id)."""
        st = self.stepper
        if st is not None and node_id in st.program.slot:
            return symbol(st.program, node_id)
        if self.graph is not None and node_id in self.graph:
            return node_label(self.graph, node_id)
        return "that node"

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
            self.tabs.setCurrentWidget(self.quiz_tab)
        elif self.tabs.currentWidget() is self.quiz_tab:
            self.tabs.setCurrentWidget(self.log_tab)  # the step log is back
        self.render()

    # ---- gradient descent ----------------------------------------------------------------

    def apply_gradient_descent(self) -> list:
        """w_new = w_old - alpha * dE/dw as one undoable command, then re-evaluate and finish
        the passes again so the next update can follow."""
        st = self.stepper
        if not self.update_tab.can_apply(st, self.shown()):
            self.shell.show_message(
                "Show the gradients first (they are hidden)" if self.shown().grads_hidden
                and st is not None and st.finished else "Run the backward pass to the end first")
            return []
        assert st is not None
        alpha = self.update_tab.alpha
        updates = [u for u in st.gradient_descent(alpha) if not values_equal(u.old, u.new)]
        if not updates:
            self.shell.show_message("Every gradient is zero: nothing to update")
            return []
        before = st.visible_values()[st.program.output_id]
        if not self.loss_history:
            self.loss_history = [before]
        self._applying = True
        try:
            with self.shell.document.macro(f"Gradient descent step (alpha = {alpha:g})"):
                for u in updates:
                    self.shell.document.set_value(u.node_id, u.new)
            self.view_state.evaluate_now()
        finally:
            self._applying = False
        st = self.ensure_stepper()
        if st is not None:
            st.run_to_end()
            after = st.visible_values()[st.program.output_id]
            self.loss_history.append(after)
            p = self.precision
            self.notice = (f"Gradient descent step applied: {st.output_symbol} "
                           f"{format_value(before, p)} → {format_value(after, p)}")
            self.shell.show_message(self.notice)
        self.render()
        return updates

    # ---- showing -------------------------------------------------------------------------

    def shown(self) -> Shown:
        """What the dock may show now (the view state's hidden reasons, quiz mode)."""
        hidden = bool(self.view_state.hidden_reasons() & {VIEW, EXERCISE})
        key = self._reveal_key()
        reveal = "View > Show Gradients" + (f" ({key})" if key else "")
        return Shown(self.quiz_mode, hidden, reveal, self.precision)

    @staticmethod
    def _reveal_key() -> str:
        keys = shortcuts_for("show_grads")
        return keys[0].toString(QKeySequence.NativeText) if keys else ""

    def render(self) -> None:
        """Show the current position everywhere: dock, tabs, actions and canvas."""
        self._view_key = self._key()
        st, shown = self.stepper, self.shown()
        self._update_actions(shown)
        question = st is not None and question_node(st, self.quiz_mode) is not None
        where = position_text(st, error=self.error, empty=self.empty, question=question)
        if st is None:
            self.column.show_position(where, 0, 1)
        else:
            self.column.show_position(where, st.position.forward + st.position.backward,
                                      len(st.forward_lines) + len(st.backward_steps))
        self._render_message()
        self.step_view.setHtml(step_html(st, shown, error=self.error, empty=self.empty,
                                         keys=self.controls.keys_hint(), lead=self.lead))
        for page in (self.log_tab, self.update_tab, self.check_tab):
            self.tabs.setTabEnabled(self.tabs.indexOf(page), not self.quiz_mode)
        self.log_tab.render(st, shown)
        self.update_tab.render(st, shown, self.loss_history)
        self.check_tab.render(self.graph, self.error is None, shown)
        self.quiz_tab.render(st, self.quiz_mode)
        if st is not None and self.active:
            self.view_state.set_step(overlay(st, self.graph, self.quiz_mode))
        else:  # not the Forward Mode dock's picture, if that one is shown
            self.view_state.release_step("stepper")

    def _update_actions(self, shown: Shown) -> None:
        st = self.stepper
        usable = self.error is None and self.graph is not None
        ahead = usable if st is None else not st.finished
        behind = st is not None and st.position != Position()
        a = self.actions_by_name
        a["forward"].setEnabled(usable and (st is None or not st.forward_done))
        for name in ("backward", "run_end", "run_node"):
            a[name].setEnabled(usable and ahead)
        a["back"].setEnabled(usable and behind)
        # Before the first step the stepper is not built yet: a closed function may be first.
        closed = self.graph is not None and any(g.collapsed for g in self.graph.groups)
        a["into"].setEnabled(usable and (st.next_function() is not None if st is not None
                                         else closed))
        a["reset"].setEnabled(usable and behind)
        self.action_apply.setEnabled(self.update_tab.can_apply(st, shown))

    def _render_message(self) -> None:
        st, vs = self.stepper, self.view_state
        exercise = vs.exercise_notice if EXERCISE in vs.hidden_reasons() else ""
        self.column.show_message(*dock_message(
            error=None if self.empty else self.error, notice=self.notice, exercise=exercise,
            warning=nonfinite_warning(st) if st is not None and self.active else None,
            stepping=self.active, reveal_key=self._reveal_key()))

    @property
    def message_kind(self) -> str:
        return self.column.message_kind
