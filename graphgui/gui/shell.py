"""The shell: what panels and controllers may use of the main window.

A panel or controller receives a :class:`Shell` and installs itself onto it (``install(shell)``
adds its dock, menu, actions and close guard, and subscribes to ``document_changed`` and the
view state), the way ryvencore add-ons subscribe to flow events. No panel imports the main
window, writes attributes onto it, or calls another panel's methods: what views share lives in
:class:`~graphgui.gui.view_state.ViewState` and the :class:`~graphgui.gui.document.Document`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QPointF, Qt, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMenu, QToolBar, QWidget

if TYPE_CHECKING:
    from graphgui.core.functions import FunctionDef

    from .document import Document
    from .view_state import ViewState

MENU_NAMES = ("file", "edit", "view", "graph", "help")


class Shell(Protocol):
    """Implemented by :class:`~graphgui.gui.main_window.MainWindow`."""

    #: Emitted with the new Document after the shell shows another one (New, Open, Revert,
    #: an example, a restored autosave). The one way to learn of that event.
    document_changed: SignalInstance
    #: The selected node ids changed (the list, in graph order).
    selection_changed: SignalInstance

    @property
    def document(self) -> Document: ...

    @property
    def view_state(self) -> ViewState: ...

    def widget(self) -> QWidget:
        """The window, as the parent of dialogs."""
        ...

    def set_document(self, document: Document) -> None:
        """Show ``document`` (close guards are the caller's job: see :meth:`can_discard`)."""
        ...

    def can_discard(self) -> bool:
        """Run the close guards (Save/Discard/Cancel, a running training); False cancels."""
        ...

    def add_close_guard(self, guard: Callable[[], bool]) -> None: ...

    def show_message(self, text: str, timeout: int = 6000) -> None:
        """A one-line message in the status bar."""
        ...

    def add_panel(self, dock: QDockWidget, area: Qt.DockWidgetArea = ...) -> None:
        """Add a dock (it needs an objectName so its place is remembered)."""
        ...

    def tabify_panels(self, first: QDockWidget, second: QDockWidget) -> None: ...

    def split_panels(self, first: QDockWidget, second: QDockWidget,
                     orientation: Qt.Orientation) -> None:
        """Take ``second`` out of its tabs and put it after the docks of ``first``'s area,
        beside them (Horizontal) or under them (Vertical)."""
        ...

    def resize_panels(self, docks: list[QDockWidget], sizes: list[int],
                      orientation: Qt.Orientation) -> None: ...

    def add_layout_step(self, step: Callable[[], None]) -> None:
        """``step()`` refines the default dock arrangement (after it, at start and on
        Reset Panel Layout), e.g. with split_panels, tabify_panels and resize_panels."""
        ...

    def add_menu(self, menu: QMenu) -> None:
        """A top-level menu, placed before Help."""
        ...

    def menu(self, name: str) -> QMenu:
        """One of the standard menus: ``"file"``, ``"edit"``, ``"view"``, ``"graph"``,
        ``"help"``."""
        ...

    def action(self, name: str) -> QAction:
        """A standard window action by name (``"quit"``, ``"new"``, ``"show_grads"``...),
        e.g. to place an add-on's entries beside it."""
        ...

    def toolbar(self, name: str) -> QToolBar:
        """A standard toolbar: ``"file"`` or ``"edit"``."""
        ...

    def add_action(self, action: QAction) -> None:
        """Make ``action``'s shortcuts work window-wide (also while a dock has the focus)."""
        ...

    def add_toolbar(self, toolbar: QToolBar) -> None: ...

    def selected_node_ids(self) -> list[str]: ...

    def show_functions(self, definitions: list[FunctionDef]) -> None:
        """List these function definitions in the palette's Functions section."""
        ...

    def select_nodes(self, node_ids: list[str]) -> None:
        """Select these nodes on the canvas and scroll them into view."""
        ...

    def free_position(self, size: tuple[float, float] = (0.0, 0.0)) -> QPointF:
        """Where new nodes go: the visible canvas centre, moved on until no node is there
        (for a group of the given width and height, its top-left corner)."""
        ...

    def canvas_viewport(self) -> QWidget:
        """The canvas's viewport (for drop targets and event filters)."""
        ...
