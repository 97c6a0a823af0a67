"""Network health in the editor (issue 12): saturated and dead units on the canvas, and a
Health dock with each layer's activation and gradient histograms and the update-to-data
ratio of each weight over training (graphgui.core.health).

- :mod:`.marks`  the bands on activation nodes (and on closed functions holding them),
  shown while View > Show Network Health is on (off by default)
- :mod:`.panel`  the Health dock: a table of the layers beside the ratio plot
- :mod:`.strips` the table: a row per layer, its histograms drawn in the row
- :mod:`.plots`  the ratio plot (pyqtgraph) and the layers' colours
- :mod:`.moments` which moment of training the graph's parameters are of (the caption)

``install(shell)`` adds the dock (a tab beside Gradient Norms under the canvas), the View
action and their subscriptions. The ratios come from the Trainer dock's runs (its runner
has the Trainer record them): the dock follows the panel named ``trainingPanel`` through
its ``state_changed`` signal and ``trainer`` attribute, and works without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from ...actions import make_action
from .marks import HealthMark, HealthMarks
from .panel import HealthPanel

if TYPE_CHECKING:
    from ...shell import Shell

__all__ = ["HealthAddOn", "HealthMark", "HealthMarks", "HealthPanel", "install"]


class HealthAddOn:
    """What ``install`` made (for tests and for the window to keep)."""

    def __init__(self, shell: Shell, training: Any = None) -> None:
        self.shell = shell
        self.training = training
        self.panel = HealthPanel(shell)
        self.panel.training = training
        self.marks = HealthMarks(shell)
        self.dock = QDockWidget("Health", shell.widget())
        self.dock.setObjectName("healthDock")
        self.dock.setWidget(self.panel)
        self.panel.dock = self.dock
        self.dock.visibilityChanged.connect(self.panel.on_visibility)
        self.action = make_action(
            shell.widget(), "Show Network &Health", self.marks.set_enabled, name="show_health",
            checkable=True,
            tip="Mark each activation node with its share of saturated outputs (tanh, sigmoid) "
                "or dead units (ReLU)")

    def on_view_changed(self) -> None:
        self.panel.schedule()
        if self.marks.enabled:
            self.marks.sync()

    def on_training_state(self, state: str) -> None:
        """A run started (or ended): follow its update-to-data log."""
        trainer = getattr(self.training, "trainer", None)
        if state in ("running", "paused") and trainer is not None:
            log = getattr(trainer, "update_ratios", None)
            if log is not self.panel.log:
                self.panel.follow_run(log)
        else:
            self.panel.schedule()  # the last points, once it has ended

    def on_training_finished(self, worker: Any) -> None:
        """A run ended (its parameters applied): the dock names that moment."""
        trainer = getattr(worker, "trainer", None)
        params = getattr(worker, "parameters", None)
        if trainer is not None and isinstance(params, dict):
            self.panel.run_finished(params, int(trainer.epoch))


def install(shell: Shell) -> HealthAddOn:
    """Add the Health dock, View > Show Network Health and their subscriptions (after the
    training add-on, whose runs it follows)."""
    training = shell.widget().findChild(QObject, "trainingPanel")
    add_on = HealthAddOn(shell, training)
    shell.add_panel(add_on.dock, Qt.BottomDockWidgetArea)
    shell.add_action(add_on.action)
    view = shell.menu("view")
    view.insertAction(shell.action("snap"), add_on.action)

    def arrange() -> None:
        # A tab beside Gradient Norms (the other curves over training), not in front.
        window = shell.widget()
        norms = window.findChild(QDockWidget, "gradNormDock")
        if norms is not None and not (isinstance(window, QMainWindow)
                                      and add_on.dock in window.tabifiedDockWidgets(norms)):
            shell.tabify_panels(norms, add_on.dock)

    shell.add_layout_step(arrange)
    shell.view_state.changed.connect(add_on.on_view_changed)
    shell.document_changed.connect(add_on.panel.set_document)
    if training is not None and hasattr(training, "state_changed"):
        training.state_changed.connect(add_on.on_training_state)
    if training is not None and hasattr(training, "finished"):
        training.finished.connect(add_on.on_training_finished)
    return add_on
