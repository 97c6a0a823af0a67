"""Training in the editor: the Trainer dock, its plots and the Train menu.

The dock edits the document's training settings (saved with the graph: ``settings
["training"]``), inserts data sets and Dense layers, resets parameters, and runs the Trainer
in a training process of its own: Start, Pause/Resume, Stop, Step epoch, at a chosen speed.
While a session runs the document is locked and the canvas shows the run's numbers live;
when it ends the trained values become one undoable edit.

Modules: ``form`` (the widgets), ``data`` (the data set, Dense layer and reset buttons),
``panel`` (TrainingPanel: the run buttons and the state machine), ``runner`` (TrainingRun:
worker, drain, progress, live values), ``actions`` (the Train menu). ``install(shell)`` adds
the docks, the menu and the close guard.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget

from ...scrolled import scrolled
from .actions import TrainActions
from .data import LOCK_REASON, DataAndLayers
from .form import SPEEDS, TrainerForm
from .panel import PICTURE_SHARE, STALE_NOTE, TrainingPanel
from .runner import DRAIN_MS, PLOT_EVERY, TrainingRun

if TYPE_CHECKING:
    from ...shell import Shell

__all__ = [
    "DRAIN_MS", "LOCK_REASON", "PICTURE_SHARE", "PLOT_EVERY", "SPEEDS", "STALE_NOTE",
    "DataAndLayers", "TrainActions", "TrainerForm", "TrainingPanel", "TrainingRun", "install",
]

PLOT_DOCKS = (("Loss", "lossDock", "loss_plot"),
              ("Boundary", "boundaryDock", "boundary_plot"),
              ("Fit", "fitDock", "fit_plot"),
              ("Activation", "activationDock", "activation_plot"),
              ("Gradient Norms", "gradNormDock", "grad_plot"))


def install(shell: Shell) -> TrainingPanel:
    """Add the Trainer dock, the plot docks and the Train menu to ``shell``."""
    panel = TrainingPanel(shell)
    window = shell.widget()
    dock = QDockWidget("Trainer", window)
    dock.setObjectName("trainerDock")
    # In a scroll area: the form is tall, and must not set the window's minimum height.
    dock.setWidget(scrolled(panel, "trainerScroll"))
    panel.dock = dock
    shell.add_panel(dock, Qt.RightDockWidgetArea)
    docks = {}
    for title, name, attribute in PLOT_DOCKS:
        plot_dock = QDockWidget(title, window)
        plot_dock.setObjectName(name)
        plot_dock.setWidget(getattr(panel, attribute))
        shell.add_panel(plot_dock, Qt.BottomDockWidgetArea)
        docks[name] = plot_dock
    panel.docks = docks
    panel.docks["trainerDock"] = dock
    from .sample_pick import SamplePicker

    panel.sample_picker = SamplePicker(shell, panel)  # a click on a point: its own graph

    def arrange() -> None:
        # Curves over epochs share the tabs under the canvas (with the stepper); the
        # pictures of the model get a column of their own beside them, so the loss and
        # the decision boundary are seen together while training runs.
        shell.split_panels(docks["lossDock"], docks["boundaryDock"], Qt.Horizontal)
        shell.tabify_panels(docks["lossDock"], docks["gradNormDock"])
        shell.tabify_panels(docks["boundaryDock"], docks["fitDock"])
        shell.tabify_panels(docks["boundaryDock"], docks["activationDock"])
        docks["boundaryDock"].raise_()
        width = docks["lossDock"].width() + docks["boundaryDock"].width()
        picture = panel.picture_width(width, docks["lossDock"])
        shell.resize_panels([docks["lossDock"], docks["boundaryDock"]],
                            [width - picture, picture], Qt.Horizontal)
        panel.fit_picture_column()  # after a reset too: no empty pictures

    shell.add_layout_step(arrange)
    actions = TrainActions(shell, panel)
    panel.train_actions = actions
    shell.add_menu(actions.menu)
    shell.document_changed.connect(panel.set_document)
    shell.selection_changed.connect(panel.show_activation)
    shell.view_state.evaluated.connect(panel.show_activation)
    shell.add_close_guard(panel.close_guard)
    panel.set_document(shell.document)
    # After the window restored the last session's layout (its pictures may be shown over
    # an empty graph, narrower than their tabs): the pictures as this graph wants them.
    QTimer.singleShot(0, panel, panel.fit_picture_column)
    return panel
