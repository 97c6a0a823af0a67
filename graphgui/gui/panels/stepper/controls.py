"""The stepper's actions, toolbar and Step menu.

Every action comes from the shell's one factory (:func:`~graphgui.gui.actions.make_action`)
under the name ``step_<name>``, so its keys are those of the one shortcut table
(:data:`~graphgui.gui.actions.SHORTCUTS`) and no slot ever receives Qt's ``checked`` flag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from ...actions import make_action
from .update import APPLY_TIP

if TYPE_CHECKING:
    from ...shell import Shell

# (name, menu text, tool button text, what it does); the keys are in actions.SHORTCUTS
# under "step_<name>" (F9/F10/F11 as in debuggers; Shift = all the way).
STEP_ACTIONS = (
    ("forward", "&Forward Step", "Forward", "Evaluate the next node of the forward pass"),
    ("backward", "&Backward Step", "Backward",
     "Visit the next node of the backward pass (finishes the forward pass first)"),
    ("into", "Step &Into Function", "Step Into",
     "Take the next closed function's steps one node at a time, then come back out"),
    ("back", "Step B&ack", "Back", "Undo the last step"),
    ("run_end", "Run to &End", "Run to End", "Finish both passes"),
    ("run_node", "Run to &Selected Node", "Run to Node",
     "Step until the selected node is the current step"),
    ("reset", "&Reset Stepper", "Reset",
     "Back to the start; the canvas shows the full evaluation again"),
)
TOOLBAR_ORDER = ("reset", "back", "forward", "backward", "into", "run_node", "run_end")
MENU_ORDER = ("forward", "backward", "into", "back", None, "run_end", "run_node", "reset")


@dataclass
class Controls:
    steps: dict[str, QAction]  # by name: forward, backward, back, run_end, run_node, reset
    apply: QAction
    quiz: QAction
    toolbar: QToolBar
    menu: QMenu

    def key(self, name: str) -> str:
        return self.steps[name].shortcut().toString(QKeySequence.NativeText)

    def keys_hint(self) -> str:
        k = self.key
        return (f"{k('forward')}: forward step · {k('backward')}: backward step · "
                f"{k('back')}: step back · {k('run_end')}: run to end · "
                f"{k('run_node')}: run to the selected node · {k('reset')}: reset")


def build_controls(shell: Shell, slots: dict[str, Callable[[], object]],
                   apply: Callable[[], object], set_quiz: Callable[[bool], object]
                   ) -> Controls:
    """The step actions (window-wide shortcuts, added to ``shell``), Apply Gradient Descent,
    Quiz Mode, the toolbar and the Step menu (not yet added: the caller installs them)."""
    w = shell.widget()
    steps: dict[str, QAction] = {}
    for name, text, tool_text, tip in STEP_ACTIONS:
        action = make_action(w, text, slots[name], name=f"step_{name}", tip=tip,
                             icon_text=tool_text)
        keys = action.shortcut().toString(QKeySequence.NativeText)
        action.setToolTip(f"{text.replace('&', '')} ({keys}): {tip.lower()}")
        shell.add_action(action)
        steps[name] = action
    apply_action = make_action(w, "Apply &Gradient Descent", apply, name="step_apply",
                               tip=APPLY_TIP)
    quiz = make_action(w, "&Quiz Mode", set_quiz, name="step_quiz", checkable=True,
                       tip="Hide the gradients and work them out yourself")
    toolbar = QToolBar("Stepper", w)
    toolbar.setObjectName("stepperToolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonTextOnly)
    for name in TOOLBAR_ORDER:
        toolbar.addAction(steps[name])
    toolbar.addSeparator()
    toolbar.addAction(quiz)
    menu = QMenu("&Step", w)
    menu.setObjectName("menuStep")
    for name in MENU_ORDER:
        menu.addSeparator() if name is None else menu.addAction(steps[name])
    menu.addSeparator()
    menu.addAction(apply_action)
    menu.addAction(quiz)
    return Controls(steps, apply_action, quiz, toolbar, menu)
