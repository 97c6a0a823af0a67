"""Autodiff from every side, in the editor: an Autodiff menu and two docks.

- :mod:`.forward`  the Forward Mode dock: pick an input (or one element of a tensor, or a
  direction), see every wire's tangent on the canvas, step through the tangent rules, and
  count what forward and reverse mode cost on this graph
- :mod:`.paths`    the Paths dock: every path from an input to the output with its factors,
  adding up to the gradient; a clicked path is highlighted on the canvas
- :mod:`.actions`  the Autodiff menu (and Gradient as Graph)

``install(shell)`` adds them to a :class:`~graphgui.gui.shell.Shell`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

from .actions import GradientGraphAction

if TYPE_CHECKING:
    from ...shell import Shell


class AutodiffAddOn:
    """What ``install`` made, for tests and for the window to keep."""

    def __init__(self, shell: Shell) -> None:
        self.menu = QMenu("&Autodiff", shell.widget())
        self.menu.setObjectName("autodiffMenu")
        shell.add_menu(self.menu)
        self.forward = None  # the Forward Mode panel (forward.install)
        self.paths = None  # the Paths panel (paths.install)
        self.gradient_graph: GradientGraphAction | None = None


def install(shell: Shell) -> AutodiffAddOn:
    """Add the Autodiff menu, the Forward Mode and Paths docks to ``shell``."""
    add_on = AutodiffAddOn(shell)
    from .forward import install as install_forward
    from .paths import install as install_paths

    install_forward(shell, add_on)  # sets add_on.forward

    install_paths(shell, add_on)  # sets add_on.paths
    add_on.menu.addSeparator()
    add_on.gradient_graph = GradientGraphAction(shell, add_on.menu)
    return add_on
