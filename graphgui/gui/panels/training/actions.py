"""The Train menu: its actions, enabled by the Trainer's state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from ...actions import make_action

if TYPE_CHECKING:
    from ...shell import Shell
    from .panel import TrainingPanel


class TrainActions(QObject):
    """The Train menu's actions, enabled by the panel's state."""

    def __init__(self, shell: Shell, panel: TrainingPanel) -> None:
        window = shell.widget()
        super().__init__(window)
        self.panel = panel

        def act(text: str, slot: Any, name: str = "", tip: str = "") -> QAction:
            action = make_action(window, text, slot, name=name, tip=tip)
            shell.add_action(action)
            return action

        self.dataset = act("Insert &Data Set…", panel.ask_dataset,
                           tip="Input nodes X and Y filled with a data set")
        self.dense = act("Insert D&ense Layer…", panel.ask_dense,
                         tip="A = act(W @ x + b), wired to the selected node")
        self.reset = act("&Reset Parameters", panel.reset_parameters,
                         tip="New initial values for every parameter (one undo step)")
        self.start = act("&Start Training", panel.start, "train_start",
                         "Train the parameters in the background")
        self.pause = act("&Pause / Resume", panel.toggle_pause, "train_pause")
        self.stop = act("S&top Training", panel.stop, tip="Stop and keep the parameters")
        self.step = act("Step &Epoch", panel.step_epoch, tip="Train one epoch, then pause")
        self.menu = QMenu("&Train", window)
        self.menu.setObjectName("menuTrain")
        for a in (self.dataset, self.dense, self.reset, None, self.start, self.pause,
                  self.stop, self.step):
            self.menu.addSeparator() if a is None else self.menu.addAction(a)
        self.update("idle")

    def update(self, state: str) -> None:
        idle = state == "idle"
        for a in (self.dataset, self.dense, self.reset):
            a.setEnabled(idle)
        self.start.setEnabled(state in ("idle", "paused"))
        self.pause.setEnabled(state in ("running", "paused"))
        self.stop.setEnabled(state in ("running", "paused"))
        self.step.setEnabled(state in ("idle", "paused"))
