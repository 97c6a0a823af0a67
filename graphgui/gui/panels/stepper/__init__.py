"""The stepper dock: walk through the forward and backward passes one node at a time.

``install(shell)`` adds the dock (``stepperDock``), a toolbar (``stepperToolbar``) and a Step
menu to a :class:`~graphgui.gui.shell.Shell` and returns the panel (the main window keeps it
as ``stepper_panel``). The package, by responsibility:

- :mod:`.panel`   StepperPanel: actions, position line, step text, render, the canvas picture
- :mod:`.text`    the step text as HTML (gradients written ``?`` while they are hidden)
- :mod:`.log`     the step log tab and its CSV/Markdown export
- :mod:`.update`  the gradient-descent tab
- :mod:`.check`   the gradient-check tab
- :mod:`.quiz`    the quiz tab
- :mod:`.widgets` labels that keep the layout still while texts change
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from ...scrolled import SidewaysArea
from .controls import STEP_ACTIONS
from .log import LogModel, LogTab
from .panel import StepperPanel

if TYPE_CHECKING:
    from ...shell import Shell

__all__ = ["STEP_ACTIONS", "LogModel", "LogTab", "StepperPanel", "install"]


def install(shell: Shell) -> StepperPanel:
    """Add the stepper dock, toolbar and Step menu to ``shell``."""
    panel = StepperPanel(shell)
    dock = QDockWidget("Stepper", shell.widget())
    dock.setObjectName("stepperDock")
    dock.setWidget(SidewaysArea(panel, "stepperScroll"))  # tabbed: must not set the tabs' width
    panel.dock = dock
    shell.add_panel(dock, Qt.BottomDockWidgetArea)
    shell.add_toolbar(panel.toolbar)
    shell.add_menu(panel.menu)
    return panel
