"""The main window: canvas in the centre, palette and inspector docks, menus, toolbars,
status bar. It implements the :class:`~graphgui.gui.shell.Shell` that panels install
themselves onto, owns the current Document and swaps it as a whole (``set_document``), and
owns the one :class:`~graphgui.gui.view_state.ViewState` every view reads.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QResizeEvent,
    QShowEvent,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMenu,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .actions import make_action
from .application import settings
from .canvas import GraphScene, GraphView
from .dock_tabs import hide_stale_tab_bars
from .document import Document
from .edit_controller import EditController
from .expression_bar import ExpressionBar
from .help import show_about, show_shortcuts
from .palette import Palette
from .panels.inspector import Inspector
from .placement import free_point
from .status import EvaluationStatus
from .theme import current_theme
from .view_state import VIEW, ViewState
from .window_defaults import app_icon, default_window_size

PALETTE_WIDTH, INSPECTOR_WIDTH, BOTTOM_HEIGHT = 190, 300, 230
BOTTOM_SHARE = 0.29  # of the window's height, for the stepper and plots row
INSPECTOR_MIN_WIDTH = 280
# Bump when the set or arrangement of docks changes, so a layout saved by an older version
# is not restored over the new default (it would leave new docks squeezed or untabbed).
LAYOUT_VERSION = 3
# Edits refused while the document is locked (training runs): their actions are disabled.
EDIT_ACTION_NAMES = ("cut", "paste", "duplicate", "delete", "align_left", "align_top",
                     "distribute_h", "distribute_v", "layout", "set_output", "auto_output",
                     "add_node")


class MainWindow(QMainWindow):
    """The shell: see :class:`~graphgui.gui.shell.Shell` for what add-ons may use."""

    document_changed = Signal(object)  # the Document now shown
    selection_changed = Signal(list)  # selected node ids, in graph order

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(app_icon())
        self.resize(*default_window_size())
        # The side docks run the full height; the stepper and plots sit under the canvas.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks
                            | QMainWindow.AllowNestedDocks)
        self._document: Document | None = None
        self._close_guards: list[Callable[[], bool]] = []
        self._actions: dict[str, QAction] = {}
        self._menus: dict[str, QMenu] = {}
        self._toolbars: dict[str, QToolBar] = {}
        self.undo_group = QUndoGroup(self)
        self._message_fresh = False
        self.panels: list[QDockWidget] = []
        self._layout_steps: list[Callable[[], None]] = []
        self._auto_bottom: int | None = None  # the bottom row's height while we choose it

        self._view_state = ViewState(self)
        self.scene = GraphScene(self)
        self.scene.set_view_state(self._view_state)
        self.view = GraphView(self.scene)
        self.expression_bar = ExpressionBar()
        central = QWidget()
        central.setObjectName("central")
        box = QVBoxLayout(central)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.expression_bar)
        box.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self.edits = EditController(self)
        self.palette = Palette()
        self.inspector = Inspector(self._view_state)
        self.inspector.status = self.show_message
        self.palette_dock = self._dock("Palette", "paletteDock", self.palette)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector)
        self.inspector_dock.setMinimumWidth(INSPECTOR_MIN_WIDTH)

        self.status = EvaluationStatus(self, self._view_state)
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self.add_panel(self.palette_dock, Qt.LeftDockWidgetArea)
        self.add_panel(self.inspector_dock, Qt.RightDockWidgetArea)
        self._connect()
        # Add-ons read the first document when they install, then follow document_changed.
        self.set_document(document or Document())
        self._install_add_ons()
        self._arrange_docks()
        # The docks added side by side above made the window grow; now that they share
        # tabs, let the layout shrink its minimum and come back to the default size.
        self.layout().invalidate()
        self.layout().activate()
        self.resize(*default_window_size())
        self._default_state = self.saveState()
        self._restore_settings()

    def _install_add_ons(self) -> None:
        # Each installs itself onto the shell (docks, menus, actions, guards, signals).
        from .files import install as install_files
        from .panels.autodiff import install as install_autodiff
        from .panels.functions import install as install_functions
        from .panels.landscape import install as install_landscape
        from .panels.stepper import install as install_stepper
        from .panels.training import install as install_training

        self.stepper_panel = install_stepper(self)
        self.training_panel = install_training(self)
        self.autodiff = install_autodiff(self)
        self.functions = install_functions(self)
        self.landscape_panel = install_landscape(self)
        from .panels import health; self.health = health.install(self)  # noqa: E702, I001
        self.file_controller = install_files(self)

    # ---- the shell -----------------------------------------------------------------------

    @property
    def document(self) -> Document:
        assert self._document is not None
        return self._document

    @property
    def view_state(self) -> ViewState:
        return self._view_state

    @property
    def evaluator(self):  # type: ignore[no-untyped-def]  # the view state's evaluator
        return self._view_state.evaluator

    def widget(self) -> QWidget:
        return self

    def action(self, name: str) -> QAction:
        """A window action by name (``"paste"``, ``"quit"``, ``"show_grads"``...)."""
        return self._actions[name]

    def menu(self, name: str) -> QMenu:
        return self._menus[name]

    def toolbar(self, name: str) -> QToolBar:
        return self._toolbars[name]

    def add_action(self, action: QAction) -> None:
        action.setShortcutContext(Qt.WindowShortcut)
        self.addAction(action)
        name = action.objectName().removeprefix("action_")
        if name and name not in self._actions:  # an add-on's action: action(name) finds it
            self._actions[name] = action

    def add_menu(self, menu: QMenu) -> None:
        self.menuBar().insertMenu(self._menus["help"].menuAction(), menu)

    def add_toolbar(self, toolbar: QToolBar) -> None:
        self.addToolBar(toolbar)
        self._menus["toolbars"].addAction(toolbar.toggleViewAction())

    def add_panel(self, dock: QDockWidget, area: Qt.DockWidgetArea = Qt.RightDockWidgetArea
                  ) -> None:
        """Add a dock (it must have an objectName, so its place is remembered)."""
        if not dock.objectName():
            raise ValueError("a panel needs an objectName to save its place")
        self.addDockWidget(area, dock)
        self.panels.append(dock)
        self._menus["panels"].addAction(dock.toggleViewAction())
        self.restoreDockWidget(dock)

    def tabify_panels(self, first: QDockWidget, second: QDockWidget) -> None:
        self.tabifyDockWidget(first, second)

    def split_panels(self, first: QDockWidget, second: QDockWidget,
                     orientation: Qt.Orientation) -> None:
        """``second`` leaves its tabs for a place after the docks of ``first``'s area
        (``splitDockWidget`` would only add a tab when ``first`` has tabs)."""
        area = self.dockWidgetArea(first)
        self.removeDockWidget(second)
        self.addDockWidget(area, second, orientation)
        second.show()

    def resize_panels(self, docks: list[QDockWidget], sizes: list[int],
                      orientation: Qt.Orientation) -> None:
        self.resizeDocks(docks, sizes, orientation)

    def add_layout_step(self, step: Callable[[], None]) -> None:
        """``step()`` refines the default arrangement of the docks (it runs after it, at
        start and on Reset Panel Layout)."""
        self._layout_steps.append(step)

    def add_close_guard(self, guard: Callable[[], bool]) -> None:
        """``guard()`` runs before closing or replacing the document; False cancels."""
        self._close_guards.append(guard)

    def can_discard(self) -> bool:
        return all(guard() for guard in self._close_guards)

    def selected_node_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def select_nodes(self, node_ids: list[str]) -> None:
        self.scene.select_nodes(node_ids)
        rect = self.scene.nodes_rect(node_ids)
        if not rect.isEmpty():
            self.view.ensureVisible(rect, 20, 20)

    def free_position(self, size: tuple[float, float] = (0.0, 0.0)) -> QPointF:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        footprint = (max(size[0], 150.0), max(size[1], 70.0))
        x, y = free_point(self.document.graph, (center.x(), center.y()),
                          self.scene.node_size, footprint)
        return QPointF(x - size[0] / 2, y - size[1] / 2) if size != (0.0, 0.0) else QPointF(x, y)

    def canvas_viewport(self) -> QWidget:
        return self.view.viewport()

    def show_message(self, text: str, timeout: int = 6000) -> None:
        self.statusBar().showMessage(text, timeout)
        # Fresh until the event loop turns: messages about the edit being handled now.
        self._message_fresh = True
        QTimer.singleShot(0, self, self._message_aged)

    def _message_aged(self) -> None:
        self._message_fresh = False

    # ---- construction --------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setMinimumWidth(200)
        return dock

    def _add(self, name: str, text: str, slot: Callable[..., object] | None = None,
             **kwargs: object) -> QAction:
        action = make_action(self, text, slot, name=name, **kwargs)  # type: ignore[arg-type]
        self._actions[name] = action
        self.add_action(action)
        return action

    def _build_actions(self) -> None:
        a, e, v = self._add, self.edits, self.view
        a("new", "&New", self.new_document, tip="Start a new, empty graph")
        a("quit", "&Quit", self.close, tip="Quit graphgui").setMenuRole(QAction.QuitRole)
        self._build_undo_actions()
        a("cut", "Cu&t", e.cut, tip="Cut the selected nodes")
        a("copy", "&Copy", e.copy, tip="Copy the selected nodes as JSON")
        a("paste", "&Paste", e.paste, tip="Paste nodes at the mouse (or beside the copied ones)")
        a("duplicate", "D&uplicate", e.duplicate, tip="Duplicate the selected nodes")
        a("delete", "&Delete", e.delete_selection, tip="Delete the selected nodes and wires")
        a("select_all", "Select &All", e.select_all)
        a("align_left", "Align &Left", lambda: e.align("left"),
          tip="Align the left edges of the selected nodes")
        a("align_top", "Align &Top", lambda: e.align("top"),
          tip="Align the top edges of the selected nodes")
        a("distribute_h", "Distribute &Horizontally", lambda: e.align("distribute_h"))
        a("distribute_v", "Distribute &Vertically", lambda: e.align("distribute_v"))
        a("zoom_in", "Zoom &In", v.zoom_in)
        a("zoom_out", "Zoom &Out", v.zoom_out)
        a("zoom_reset", "&Actual Size", v.reset_zoom)
        a("fit", "&Fit to View", v.fit_to_view, tip="Show the whole graph", icon_text="Fit")
        a("show_values", "Show &Values", self._view_state.set_show_values,
          tip="Forward values above the wires (green)", checkable=True, checked=True,
          icon_text="Values")
        a("show_grads", "Show &Gradients", self._on_show_grads,
          tip="Gradients under the wires (orange)", checkable=True, checked=True,
          icon_text="Gradients")
        a("snap", "&Snap to Grid", self.scene.set_snap, tip="Snap moved nodes to the grid",
          checkable=True, icon_text="Snap")
        a("layout", "Automatic &Layout", e.auto_layout,
          tip="Arrange the nodes (or the selection) left to right", icon_text="Layout")
        a("reset_layout", "&Reset Panel Layout", self.reset_panel_layout,
          tip="Put every panel back where it starts")
        a("add_node", "&Add Node…", self.quick_add_at_cursor,
          tip="Search an op and add it (Tab or double-click on the canvas)")
        a("set_output", "Set as &Output", e.set_output_from_selection,
          tip="Evaluate and differentiate from the selected node")
        a("auto_output", "Automatic O&utput", lambda: e.set_output(None),
          tip="Use the last node that feeds nothing as the output")
        a("evaluate", "&Evaluate Now", self._view_state.evaluate_now)
        a("shortcuts", "&Keyboard Shortcuts", lambda: show_shortcuts(self))
        a("about", "&About graphgui", lambda: show_about(self)).setMenuRole(QAction.AboutRole)
        # Attribute names the tests and older add-ons know.
        for name, action in self._actions.items():
            setattr(self, f"action_{name}", action)

    def _build_undo_actions(self) -> None:
        undo = self.undo_group.createUndoAction(self, "Undo")
        redo = self.undo_group.createRedoAction(self, "Redo")
        for name, action in (("undo", undo), ("redo", redo)):
            from .actions import shortcuts_for

            action.setShortcuts(shortcuts_for(name))
            action.setObjectName(f"action_{name}")
            self._actions[name] = action
            self.add_action(action)
        # Toolbar buttons keep a short label; the menu entries say what will be undone.
        for name, stack_action, can, text_changed in (
            ("undo", self.undo_group.undo, self.undo_group.canUndoChanged,
             self.undo_group.undoTextChanged),
            ("redo", self.undo_group.redo, self.undo_group.canRedoChanged,
             self.undo_group.redoTextChanged),
        ):
            label = name.capitalize()
            tool = make_action(self, label, stack_action)
            tool.setEnabled(False)
            can.connect(tool.setEnabled)
            text_changed.connect(
                lambda text, t=tool, k=label: t.setToolTip(f"{k} {text}" if text else k))
            setattr(self, f"tool_{name}", tool)

    def _build_menus(self) -> None:
        bar = self.menuBar()

        def menu(name: str, title: str, names: tuple[str | None, ...]) -> QMenu:
            m = bar.addMenu(title)
            m.setObjectName(f"menu{name.capitalize()}")
            for n in names:
                m.addSeparator() if n is None else m.addAction(self._actions[n])
            self._menus[name] = m
            return m

        menu("file", "&File", ("new", None, "quit"))
        edit = menu("edit", "&Edit", ("undo", "redo", None, "cut", "copy", "paste",
                                     "duplicate", "delete", None, "select_all"))
        align = edit.addMenu("Ali&gn")
        for n in ("align_left", "align_top", "distribute_h", "distribute_v"):
            align.addAction(self._actions[n])
        view = menu("view", "&View", ("zoom_in", "zoom_out", "zoom_reset", "fit", None,
                                     "show_values", "show_grads", "snap", None))
        self._menus["panels"] = view.addMenu("&Panels")
        self._menus["panels"].addAction(self._actions["reset_layout"])
        self._menus["panels"].addSeparator()
        self._menus["toolbars"] = view.addMenu("&Toolbars")
        menu("graph", "&Graph", ("add_node", "layout", None, "set_output", "auto_output",
                                 "evaluate"))
        menu("help", "&Help", ("shortcuts", "about"))
        # The menus of this module; each add-on keeps attributes of its own.
        self.menu_file, self.menu_edit = self._menus["file"], self._menus["edit"]
        self.menu_view, self.menu_graph = self._menus["view"], self._menus["graph"]
        self.menu_help, self.menu_panels = self._menus["help"], self._menus["panels"]
        self.menu_toolbars = self._menus["toolbars"]

    def _build_toolbars(self) -> None:
        self.file_toolbar = QToolBar("File", self)
        self.file_toolbar.setObjectName("fileToolbar")
        self.file_toolbar.addAction(self._actions["new"])
        self.edit_toolbar = QToolBar("Edit", self)
        self.edit_toolbar.setObjectName("mainToolbar")
        for act in (self.tool_undo, self.tool_redo, None, self._actions["layout"],
                    self._actions["fit"], None, self._actions["show_values"],
                    self._actions["show_grads"], self._actions["snap"]):
            self.edit_toolbar.addSeparator() if act is None else self.edit_toolbar.addAction(act)
        self._toolbars = {"file": self.file_toolbar, "edit": self.edit_toolbar}
        for bar in (self.file_toolbar, self.edit_toolbar):
            self.add_toolbar(bar)

    def _connect(self) -> None:
        self.scene.status_message.connect(self.show_message)
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.context_menu_requested.connect(self.edits.show_context_menu)
        self.view.zoom_changed.connect(self.status.show_zoom)
        self.scene.overlay_changed.connect(self.view.ensure_node_visible)
        self._view_state.changed.connect(self._sync_grads_action)
        self.palette.op_activated.connect(self.add_op_at_free_place)
        self.expression_bar.inserted.connect(self._on_expression_inserted)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme)

    # ---- documents -----------------------------------------------------------------------

    def set_document(self, document: Document) -> None:
        """Show ``document`` (the previous one is dropped; guards are the caller's job)."""
        old = self._document
        if old is not None:
            old.modified_changed.disconnect(self._update_title)
            old.path_changed.disconnect(self._update_title)
            old.undo_stack.indexChanged.disconnect(self._on_edit)
            old.lock_changed.disconnect(self._on_lock_changed)
            self.undo_group.removeStack(old.undo_stack)
        document.setParent(self)
        self._document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        document.undo_stack.indexChanged.connect(self._on_edit)
        document.modified_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        document.lock_changed.connect(self._on_lock_changed)
        self.scene.set_document(document)
        self.inspector.set_document(document)
        self.expression_bar.document = document
        self._view_state.set_graph(document.graph)
        self._on_lock_changed(document.locked)
        self._update_title()
        self.document_changed.emit(document)
        # Frame the graph once the view has its final size (it may not be shown yet).
        QTimer.singleShot(0, self.view, self.view.show_graph)
        if old is not None and old is not document:
            old.deleteLater()

    def new_document(self) -> bool:
        if not self.can_discard():
            return False
        self.set_document(Document())
        return True

    def _update_title(self, *_: object) -> None:
        doc = self._document
        if doc is None:
            return
        self.setWindowTitle(f"{doc.display_name}[*] — graphgui")
        self.setWindowModified(doc.modified)

    def _on_lock_changed(self, reason: str) -> None:
        """While training runs nothing edits the graph: edit actions and undo are off (the
        Document refuses edits itself; this only makes the menus say so)."""
        locked = bool(reason)
        for name in EDIT_ACTION_NAMES:
            self._actions[name].setEnabled(not locked)
        self.undo_group.setActiveStack(None if locked else self.document.undo_stack)
        self.expression_bar.setEnabled(not locked)

    def _on_edit(self, *_: object) -> None:
        # A message from an earlier action would read as news about this edit (or undo):
        # drop it. Messages posted while this edit runs are kept.
        if not self._message_fresh:
            self.statusBar().clearMessage()

    # ---- view ----------------------------------------------------------------------------

    def _on_show_grads(self, on: bool) -> None:
        """View > Show Gradients: on reveals gradients hidden by the view or an exercise."""
        if on:
            self._view_state.reveal_grads()
        else:
            self._view_state.set_grads_hidden(VIEW, True)

    def _sync_grads_action(self) -> None:
        shown = not ({"view", "exercise"} & self._view_state.hidden_reasons())
        action = self._actions["show_grads"]
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)

    def _on_color_scheme(self, *_: object) -> None:
        self.view.sync_theme(current_theme().dark)

    def _on_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        self.inspector.set_selection(ids)
        self.selection_changed.emit(ids)

    def show_functions(self, definitions: list) -> None:
        self.palette.set_functions(definitions)

    def add_op_at_free_place(self, op: str) -> str | None:
        """A palette click: the op at the visible centre, or the nearest free place."""
        return self.view.add_node_at(op, self.free_position())

    def quick_add_at_cursor(self) -> None:
        self.view.show_quick_add(self.view.mapToScene(self.view.cursor_or_center()))

    def _on_expression_inserted(self, ids: list[str]) -> None:
        self.scene.select_nodes(ids)
        self.view.show_graph(ids)
        self.show_message(self.expression_bar.inserted_message(ids), 10000)

    def focus_inspector_name(self) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.name_edit.setFocus()
        self.inspector.name_edit.selectAll()

    # ---- panels and settings -------------------------------------------------------------

    def _arrange_docks(self) -> None:
        """The starting layout: palette left, inspector right (the trainer as a tab behind
        it), the stepper under the canvas with the plots beside it; the canvas keeps most
        of the window."""
        docks = {d.objectName(): d for d in self.panels}
        inspector = docks["inspectorDock"]
        trainer = docks.get("trainerDock")
        if trainer is not None:
            self.tabifyDockWidget(inspector, trainer)
        bottom = docks.get("stepperDock")
        plots = [d for d in self.panels if self.dockWidgetArea(d) == Qt.BottomDockWidgetArea
                 and d is not bottom]
        if bottom is not None:
            for dock in plots:
                self.tabifyDockWidget(bottom, dock)
        for step in self._layout_steps:  # add-ons refine it before the sizes are set
            step()
        inspector.raise_()
        if bottom is not None:
            bottom.raise_()
            self._auto_bottom = self._bottom_height()
            self.resizeDocks([bottom], [self._auto_bottom], Qt.Vertical)
        self.resizeDocks([self.palette_dock, inspector], [PALETTE_WIDTH, INSPECTOR_WIDTH],
                         Qt.Horizontal)

    def reset_panel_layout(self) -> None:
        """Every panel back to its starting place and size."""
        self.restoreState(self._default_state)
        self._arrange_docks()
        QTimer.singleShot(0, self, self._hide_stale_tab_bars)

    def _bottom_height(self) -> int:
        """The stepper and plots row: 29 % of the window (230 px at 800), never less."""
        return max(BOTTOM_HEIGHT, int(self.height() * BOTTOM_SHARE))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        if self.isVisible():
            self._fit_bottom_row()

    def _fit_bottom_row(self) -> None:
        """Until the user sizes the bottom row, it keeps its share of a taller window (the
        plots and the step log gain rows) instead of giving all of it to the canvas."""
        dock = next((d for d in self.panels if d.objectName() == "stepperDock"), None)
        if dock is None or self._auto_bottom is None or dock.isFloating():
            return
        if abs(dock.height() - self._auto_bottom) > 2:  # the user dragged it: theirs now
            self._auto_bottom = None
            return
        want = self._bottom_height()
        if want != dock.height():
            self._auto_bottom = want
            self.resizeDocks([dock], [want], Qt.Vertical)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        QTimer.singleShot(0, self, self._hide_stale_tab_bars)
        if self._auto_bottom is not None:
            # Shown at its real size at last: the row as that size wants it.
            dock = next((d for d in self.panels if d.objectName() == "stepperDock"), None)
            if dock is not None:
                self._auto_bottom = dock.height()
                QTimer.singleShot(0, self, self._fit_bottom_row)

    def _hide_stale_tab_bars(self) -> None:
        hide_stale_tab_bars(self, self.panels)  # ghost tabs Qt leaves (see dock_tabs)

    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        # A layout saved by a version with other docks is refused (restoreState checks the
        # version) and the default arrangement stays; a restored one keeps the user's sizes.
        if state is not None and self.restoreState(state, LAYOUT_VERSION):
            self._auto_bottom = None
        for name, key in (("show_values", "view/values"), ("show_grads", "view/grads"),
                          ("snap", "view/snap")):
            value = s.value(key)
            if value is not None:
                self._actions[name].setChecked(str(value).lower() in ("true", "1"))

    def save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.setValue("view/values", self._actions["show_values"].isChecked())
        # Only the user's own choice is remembered: an exercise or quiz hides gradients for
        # that graph, not for the next session.
        s.setValue("view/grads", VIEW not in self._view_state.hidden_reasons())
        s.setValue("view/snap", self._actions["snap"].isChecked())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt)
        if not self.can_discard():
            event.ignore()
            return
        self.save_settings()
        event.accept()
