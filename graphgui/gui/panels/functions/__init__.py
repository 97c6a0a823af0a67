"""Functions in the editor: Group into Function, Ungroup, Open/Close, Open Up into Simple
Ops (Graph menu, canvas context menu), and the palette's Functions section.

``install(shell)`` adds them to a :class:`~graphgui.gui.shell.Shell`; the pictures are the
canvas's function layer (canvas/function_layer.py), the edits the Document's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .actions import FunctionActions

if TYPE_CHECKING:
    from ...shell import Shell


def install(shell: Shell) -> FunctionActions:
    """Add the function actions to the Graph menu and keep the palette's section current."""
    return FunctionActions(shell)
