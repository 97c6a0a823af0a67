"""The Landscape dock (an add-on): the loss over a plane through the parameters, as a heat map
with contour lines (over one parameter, a curve), and the optimizers (SGD, momentum, RMSprop,
Adam) racing over it from the current parameters with the Trainer's learning rate.

- :mod:`.controls` the plane (parameters or random directions), race, span, grid, optimizers
- :mod:`.runner`   the computation in the worker process, with progress and cancel
- :mod:`.view`     the picture (also drawn headless by :mod:`.export` for
  ``graphgui landscape -o OUT.png``); :mod:`.steps` the loss per step under it,
  :mod:`.texts` its captions and legend
- :mod:`.panel`    the dock: Compute, Cancel, the race animation, out-of-date marking

``install(shell)`` adds the dock (a tab beside the Trainer) and Train > Loss Landscape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu

from ...actions import make_action
from .panel import LandscapePanel

if TYPE_CHECKING:
    from ...shell import Shell

WIDTH = 400  # pixels Loss Landscape widens the dock's column to (when it is narrower)
WIDE = 470  # ... in a window of WIDE_WINDOW pixels or more (a larger picture)
WIDE_WINDOW = 1550


def install(shell: Shell) -> LandscapePanel:
    """Add the Landscape dock and its menu entry to ``shell``."""
    panel = LandscapePanel(shell)
    window = shell.widget()
    dock = QDockWidget("Landscape", window)
    dock.setObjectName("landscapeDock")
    dock.setWidget(panel)
    panel.attach_dock(dock)
    shell.add_panel(dock, Qt.RightDockWidgetArea)

    def show() -> None:
        dock.show()
        dock.raise_()
        width = WIDE if window.width() >= WIDE_WINDOW else WIDTH
        if not dock.isFloating() and dock.width() < width:  # room for a square picture
            shell.resize_panels([dock], [width], Qt.Horizontal)

    action = make_action(window, "Loss &Landscape…", show, name="landscape_show",
                         tip="The loss over two parameters or two random directions, with "
                             "the optimizers racing over it")
    shell.add_action(action)
    panel.action = action
    # Beside training: the Train menu when the training add-on made one, else View.
    train = window.findChild(QMenu, "menuTrain")
    (train or shell.menu("view")).addSeparator()
    (train or shell.menu("view")).addAction(action)

    def arrange() -> None:
        trainer = window.findChild(QDockWidget, "trainerDock")
        if trainer is not None:
            shell.tabify_panels(trainer, dock)
        inspector = window.findChild(QDockWidget, "inspectorDock")
        if inspector is not None:
            inspector.raise_()

    shell.add_layout_step(arrange)
    shell.add_close_guard(panel.close_guard)
    return panel
