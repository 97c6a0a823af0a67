"""The main window: canvas in the centre, palette and inspector docks, menus, toolbars,
status bar. It owns the current Document and swaps it as a whole (``set_document``).

Extension points for later features (files, stepper, plots):
``menu_file`` / ``file_toolbar`` to add file actions, ``add_panel(dock)`` to add a dock,
``add_close_guard(fn)`` to veto closing or replacing the document (Save/Discard/Cancel),
``set_document(doc)`` to show another document.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.engine import Evaluation
from graphgui.core.graph import Graph, GraphError
from graphgui.core.layout import layered_layout
from graphgui.core.values import format_value

from .app import settings
from .canvas import GraphScene, GraphView
from .canvas.node_item import NodeItem
from .canvas.wire_item import WireItem
from .document import Document, subgraph
from .evaluation import Evaluator
from .expression_bar import ExpressionBar
from .palette import Palette
from .panels.inspector import Inspector
from .theme import current_theme

GRAPH_MIME = "application/x-graphgui+json"
PASTE_OFFSET = 40.0  # each further copy at the same place moves this far right and down
DEFAULT_SIZE = (1280, 800)  # shrunk to the screen: a 1366x768 laptop gets a whole window
PALETTE_WIDTH, INSPECTOR_WIDTH, BOTTOM_HEIGHT = 190, 300, 210
INSPECTOR_MIN_WIDTH = 280


def default_window_size() -> tuple[int, int]:
    """1280x800, or less on a smaller screen (room left for the title bar and a panel)."""
    screen = QGuiApplication.primaryScreen()
    w, h = DEFAULT_SIZE
    if screen is not None:
        avail = screen.availableGeometry()
        w = min(w, avail.width() - 16)
        h = min(h, avail.height() - 48)
    return max(w, 640), max(h, 480)


def key_sequences(keys: QKeySequence.StandardKey | str | list) -> list[QKeySequence]:
    """Shortcuts for ``keys``: the platform's primary binding of each standard key (not
    its alternatives such as F14 for Undo on X11) and each key given as text; no repeats."""
    found: list[QKeySequence] = []
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, QKeySequence.StandardKey):
            bindings = QKeySequence.keyBindings(key)
            seq = bindings[0] if bindings else QKeySequence()
        else:
            seq = QKeySequence(key)
        if not seq.isEmpty() and seq not in found:
            found.append(seq)
    return found


def node_label(node: object) -> str:
    """How the window names a node: its name, else its op (as the canvas draws it); never
    the internal id."""
    return getattr(node, "name", "") or node.spec.name  # type: ignore[attr-defined]


# Bump when the set or arrangement of docks changes, so a layout saved by an older version
# is not restored over the new default (it would leave new docks squeezed or untabbed).
LAYOUT_VERSION = 2


class MainWindow(QMainWindow):
    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.resize(*default_window_size())
        # The side docks run the full height; the stepper and plots sit under the canvas.
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setDockOptions(QMainWindow.AnimatedDocks | QMainWindow.AllowTabbedDocks
                            | QMainWindow.AllowNestedDocks)
        self.document: Document | None = None
        self._close_guards: list[Callable[[], bool]] = []
        self.undo_group = QUndoGroup(self)
        self._message_fresh = False

        self.scene = GraphScene(self)
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

        self.evaluator = Evaluator(parent=self)
        self.palette = Palette()
        self.inspector = Inspector()
        self.inspector.status = self.show_message
        self.palette_dock = self._dock("Palette", "paletteDock", self.palette)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector)
        self.inspector_dock.setMinimumWidth(INSPECTOR_MIN_WIDTH)
        self.addDockWidget(Qt.LeftDockWidgetArea, self.palette_dock)
        self.addDockWidget(Qt.RightDockWidgetArea, self.inspector_dock)
        self.panels: list[QDockWidget] = [self.palette_dock, self.inspector_dock]

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self._build_toolbars()
        self._connect()
        from .panels.stepper import install as install_stepper

        self.stepper_panel = install_stepper(self)
        from .panels.training import install as install_training

        self.training_panel = install_training(self)
        from .files import install as install_files

        self.file_controller = install_files(self)
        self._arrange_docks()
        # The docks added side by side above made the window grow; now that they share
        # tabs, let the layout shrink its minimum and come back to the default size.
        self.layout().invalidate()
        self.layout().activate()
        self.resize(*default_window_size())
        self._default_state = self.saveState()
        self.set_document(document or Document())
        self._restore_settings()

    # ---- construction --------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setMinimumWidth(200)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setObjectName("statusBar")
        self.eval_label = QLabel()
        self.eval_label.setObjectName("evalLabel")
        self.eval_label.setTextFormat(Qt.RichText)
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        bar.addPermanentWidget(self.eval_label)
        bar.addPermanentWidget(self.zoom_label)

    def _action(
        self, text: str, slot: Callable[..., object] | None = None,
        shortcut: QKeySequence.StandardKey | str | list | None = None,
        tip: str = "", checkable: bool = False, checked: bool = False,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcuts(key_sequences(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        if checkable:
            action.setCheckable(True)
            action.setChecked(checked)
        if slot is not None:
            (action.toggled if checkable else action.triggered).connect(slot)
        # Window-wide shortcuts also while the focus is in a dock.
        action.setShortcutContext(Qt.WindowShortcut)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        S = QKeySequence.StandardKey
        self.action_new = a("&New", self.new_document, S.New, "Start a new, empty graph")
        self.action_quit = a("&Quit", self.close, [S.Quit, "Ctrl+Q"], "Quit graphgui")
        self.action_quit.setMenuRole(QAction.QuitRole)
        self.action_undo = self.undo_group.createUndoAction(self, "Undo")
        self.action_undo.setShortcuts(key_sequences(S.Undo))
        self.action_redo = self.undo_group.createRedoAction(self, "Redo")
        # Both common redo keys on every platform (the standard key is only one of them).
        self.action_redo.setShortcuts(key_sequences([S.Redo, "Ctrl+Y", "Ctrl+Shift+Z"]))
        for act in (self.action_undo, self.action_redo):
            act.setShortcutContext(Qt.WindowShortcut)
        self.addAction(self.action_undo)
        self.addAction(self.action_redo)
        # Toolbar buttons keep a short label; the menu entries say what will be undone.
        self.tool_undo = QAction("Undo", self)
        self.tool_undo.triggered.connect(self.undo_group.undo)
        self.undo_group.canUndoChanged.connect(self.tool_undo.setEnabled)
        self.undo_group.undoTextChanged.connect(
            lambda text: self.tool_undo.setToolTip(f"Undo {text}" if text else "Undo"))
        self.tool_redo = QAction("Redo", self)
        self.tool_redo.triggered.connect(self.undo_group.redo)
        self.undo_group.canRedoChanged.connect(self.tool_redo.setEnabled)
        self.undo_group.redoTextChanged.connect(
            lambda text: self.tool_redo.setToolTip(f"Redo {text}" if text else "Redo"))
        self.tool_undo.setEnabled(False)
        self.tool_redo.setEnabled(False)
        self.action_cut = a("Cu&t", self.cut, S.Cut, "Cut the selected nodes")
        self.action_copy = a("&Copy", self.copy, S.Copy, "Copy the selected nodes as JSON")
        self.action_paste = a("&Paste", self.paste, S.Paste, "Paste nodes from the clipboard")
        self.action_duplicate = a("D&uplicate", self.duplicate, "Ctrl+D",
                                  "Duplicate the selected nodes")
        # Not QKeySequence.Delete: on X11 it includes Ctrl+D, which would make Duplicate's
        # Ctrl+D ambiguous (neither action then fires).
        self.action_delete = a("&Delete", self.delete_selection, ["Del", "Backspace"],
                               "Delete the selected nodes and wires")
        self.action_select_all = a("Select &All", self.select_all, S.SelectAll)
        self.action_align_left = a("Align &Left", lambda: self.align("left"),
                                   tip="Align the left edges of the selected nodes")
        self.action_align_top = a("Align &Top", lambda: self.align("top"),
                                  tip="Align the top edges of the selected nodes")
        self.action_distribute_h = a("Distribute &Horizontally",
                                     lambda: self.align("distribute_h"))
        self.action_distribute_v = a("Distribute &Vertically", lambda: self.align("distribute_v"))
        self.action_zoom_in = a("Zoom &In", self.view.zoom_in, [S.ZoomIn, "Ctrl+="])
        self.action_zoom_out = a("Zoom &Out", self.view.zoom_out, S.ZoomOut)
        self.action_zoom_reset = a("&Actual Size", self.view.reset_zoom, "Ctrl+0")
        self.action_fit = a("&Fit to View", lambda: self.view.fit_to_view(),
                            ["Home", "Ctrl+Shift+F"], "Show the whole graph")
        self.action_show_values = a("Show &Values", self.scene.set_show_values, "Ctrl+1",
                                    "Forward values above the wires (green)",
                                    checkable=True, checked=True)
        self.action_show_grads = a("Show &Gradients", self.scene.set_show_grads, "Ctrl+2",
                                   "Gradients under the wires (orange)",
                                   checkable=True, checked=True)
        self.action_snap = a("&Snap to Grid", self.scene.set_snap, "Ctrl+G",
                             "Snap moved nodes to the grid", checkable=True)
        self.action_layout = a("Automatic &Layout", self.auto_layout, "Ctrl+L",
                               "Arrange the nodes (or the selection) left to right")
        self.action_reset_layout = a("&Reset Panel Layout", self.reset_panel_layout,
                                     tip="Put every panel back where it starts")
        self.action_add_node = a("&Add Node…", self.quick_add_at_center,
                                 tip="Search an op and add it (Tab or double-click on the canvas)")
        self.action_set_output = a("Set as &Output", self.set_output_from_selection,
                                   tip="Evaluate and differentiate from the selected node")
        self.action_auto_output = a("Automatic O&utput", lambda: self._set_output(None),
                                    tip="Use the last node that feeds nothing as the output")
        self.action_evaluate = a("&Evaluate Now", self.evaluator.evaluate_now, "F5")
        self.action_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self.action_about = a("&About graphgui", self.show_about)
        self.action_about.setMenuRole(QAction.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menu_file = bar.addMenu("&File")
        self.menu_file.setObjectName("menuFile")
        self.menu_file.addAction(self.action_new)
        self.menu_file.addSeparator()
        self.menu_file.addAction(self.action_quit)
        self.menu_edit = bar.addMenu("&Edit")
        self.menu_edit.setObjectName("menuEdit")
        for act in (self.action_undo, self.action_redo, None, self.action_cut, self.action_copy,
                    self.action_paste, self.action_duplicate, self.action_delete, None,
                    self.action_select_all):
            self.menu_edit.addSeparator() if act is None else self.menu_edit.addAction(act)
        align = self.menu_edit.addMenu("Ali&gn")
        for act in (self.action_align_left, self.action_align_top, self.action_distribute_h,
                    self.action_distribute_v):
            align.addAction(act)
        self.menu_view = bar.addMenu("&View")
        self.menu_view.setObjectName("menuView")
        for act in (self.action_zoom_in, self.action_zoom_out, self.action_zoom_reset,
                    self.action_fit, None, self.action_show_values, self.action_show_grads,
                    self.action_snap, None):
            self.menu_view.addSeparator() if act is None else self.menu_view.addAction(act)
        self.menu_panels = self.menu_view.addMenu("&Panels")
        self.menu_panels.addAction(self.action_reset_layout)
        self.menu_panels.addSeparator()
        for dock in self.panels:
            self.menu_panels.addAction(dock.toggleViewAction())
        self.menu_graph = bar.addMenu("&Graph")
        self.menu_graph.setObjectName("menuGraph")
        for act in (self.action_add_node, self.action_layout, None, self.action_set_output,
                    self.action_auto_output, self.action_evaluate):
            self.menu_graph.addSeparator() if act is None else self.menu_graph.addAction(act)
        self.menu_help = bar.addMenu("&Help")
        self.menu_help.setObjectName("menuHelp")
        self.menu_help.addAction(self.action_shortcuts)
        self.menu_help.addAction(self.action_about)

    def _build_toolbars(self) -> None:
        self.file_toolbar = QToolBar("File", self)
        self.file_toolbar.setObjectName("fileToolbar")
        self.file_toolbar.addAction(self.action_new)
        self.addToolBar(self.file_toolbar)
        # Short button texts: the three toolbars share one row at 1280 px.
        for act, short in ((self.action_layout, "Layout"), (self.action_fit, "Fit"),
                           (self.action_show_values, "Values"),
                           (self.action_show_grads, "Gradients"), (self.action_snap, "Snap")):
            act.setIconText(short)
        self.toolbar = QToolBar("Edit", self)
        self.toolbar.setObjectName("mainToolbar")
        for act in (self.tool_undo, self.tool_redo, None, self.action_layout,
                    self.action_fit, None, self.action_show_values, self.action_show_grads,
                    self.action_snap):
            self.toolbar.addSeparator() if act is None else self.toolbar.addAction(act)
        self.addToolBar(self.toolbar)
        self.menu_toolbars = self.menu_view.addMenu("&Toolbars")
        self.menu_toolbars.addAction(self.file_toolbar.toggleViewAction())
        self.menu_toolbars.addAction(self.toolbar.toggleViewAction())

    def _connect(self) -> None:
        self.scene.status_message.connect(self.show_message)
        self.scene.selectionChanged.connect(self._on_selection)
        self.scene.context_menu_requested.connect(self._on_context_menu)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.scene.overlay_changed.connect(self.view.ensure_node_visible)
        self.evaluator.evaluated.connect(self._on_evaluated)
        self.palette.op_activated.connect(self.add_op_at_center)
        self.expression_bar.inserted.connect(self._on_expression_inserted)
        hints = QGuiApplication.styleHints()
        hints.colorSchemeChanged.connect(self._on_color_scheme)

    # ---- documents -----------------------------------------------------------------------

    def set_document(self, document: Document) -> None:
        """Show ``document`` (the previous one is dropped; guards are the caller's job)."""
        old = self.document
        if old is not None:
            old.modified_changed.disconnect(self._update_title)
            old.path_changed.disconnect(self._update_title)
            old.undo_stack.indexChanged.disconnect(self._on_edit)
            self.undo_group.removeStack(old.undo_stack)
        document.setParent(self)
        self.document = document
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        document.undo_stack.indexChanged.connect(self._on_edit)
        document.modified_changed.connect(self._update_title)
        document.path_changed.connect(self._update_title)
        self.scene.set_document(document)
        self.inspector.set_document(document)
        self.expression_bar.document = document
        self.evaluator.set_graph(document.graph)
        self._on_evaluated(self.evaluator.evaluate_now())
        self._update_title()
        # Frame the graph once the view has its final size (it may not be shown yet).
        QTimer.singleShot(0, self.view.show_graph)
        if old is not None and old is not document:
            old.deleteLater()

    def new_document(self) -> bool:
        if not self.can_discard():
            return False
        self.set_document(Document())
        return True

    def add_close_guard(self, guard: Callable[[], bool]) -> None:
        """``guard()`` runs before closing or replacing the document; False cancels."""
        self._close_guards.append(guard)

    def can_discard(self) -> bool:
        return all(guard() for guard in self._close_guards)

    def _update_title(self, *_: object) -> None:
        doc = self.document
        if doc is None:
            return
        self.setWindowTitle(f"{doc.display_name}[*] — graphgui")
        self.setWindowModified(doc.modified)

    # ---- panels and settings -------------------------------------------------------------

    def add_panel(self, dock: QDockWidget, area: Qt.DockWidgetArea = Qt.RightDockWidgetArea
                  ) -> None:
        """Add a dock (it must have an objectName, so its place is remembered)."""
        if not dock.objectName():
            raise ValueError("a panel needs an objectName to save its place")
        self.addDockWidget(area, dock)
        self.panels.append(dock)
        self.menu_panels.addAction(dock.toggleViewAction())
        self.restoreDockWidget(dock)

    def _arrange_docks(self) -> None:
        """The starting layout: palette left, inspector right (the trainer as a tab behind
        it), the stepper under the canvas with the plots as tabs behind it; the canvas
        keeps most of the window."""
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
        inspector.raise_()
        if bottom is not None:
            bottom.raise_()
            self.resizeDocks([bottom], [BOTTOM_HEIGHT], Qt.Vertical)
        self.resizeDocks([self.palette_dock, inspector], [PALETTE_WIDTH, INSPECTOR_WIDTH],
                         Qt.Horizontal)

    def reset_panel_layout(self) -> None:
        """Every panel back to its starting place and size."""
        self.restoreState(self._default_state)
        self._arrange_docks()

    def _restore_settings(self) -> None:
        s = settings()
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = s.value("window/state")
        if state is not None:
            # A layout saved by a version with other docks is refused (restoreState checks
            # the version) and the default arrangement stays.
            self.restoreState(state, LAYOUT_VERSION)
        for action, key in ((self.action_show_values, "view/values"),
                            (self.action_show_grads, "view/grads"),
                            (self.action_snap, "view/snap")):
            value = s.value(key)
            if value is not None:
                action.setChecked(str(value).lower() in ("true", "1"))

    def save_settings(self) -> None:
        s = settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.setValue("view/values", self.action_show_values.isChecked())
        s.setValue("view/grads", self.action_show_grads.isChecked())
        s.setValue("view/snap", self.action_snap.isChecked())
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.can_discard():
            event.ignore()
            return
        self.save_settings()
        event.accept()

    # ---- status --------------------------------------------------------------------------

    def show_message(self, text: str, timeout: int = 6000) -> None:
        self.statusBar().showMessage(text, timeout)
        # Fresh until the event loop turns: messages about the edit being handled now.
        self._message_fresh = True
        QTimer.singleShot(0, self._message_aged)

    def _message_aged(self) -> None:
        self._message_fresh = False

    def _on_edit(self, *_: object) -> None:
        # A message from an earlier action would read as news about this edit (or undo):
        # drop it. Messages posted while this edit runs are kept.
        if not self._message_fresh:
            self.statusBar().clearMessage()

    def _on_evaluated(self, ev: Evaluation | None) -> None:
        self.scene.apply_evaluation(ev, self.evaluator.wire_grads)
        self.inspector.set_evaluation(ev)
        graph = self.document.graph if self.document is not None else None
        if ev is None or graph is None:
            self.eval_label.setText("")
            return
        parts = []
        if ev.output is not None and ev.output in graph:
            value = ev.values.get(ev.output)
            if value is not None:  # a failed output is told by the error below, not "= -"
                parts.append(f"{node_label(graph.node(ev.output))} = {format_value(value)}")
        problems = [(nid, msg) for nid, msg in ev.errors.items() if nid in graph]
        if ev.nonfinite is not None:
            problems.append(ev.nonfinite)
        color = current_theme().colors.error
        if problems:
            nid, msg = problems[0]
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            title = node_label(graph.node(nid)) if nid in graph else ""
            parts.append(f"<span style='color:{color}'>⚠ {title}: {msg}{more}</span>")
            self.eval_label.setToolTip("\n".join(
                f"{node_label(graph.node(n)) if n in graph else 'a removed node'}: {m}"
                for n, m in problems
            ))
        else:
            self.eval_label.setToolTip("")
        self.eval_label.setText("  ·  ".join(parts))

    def _on_color_scheme(self, *_: object) -> None:
        self.view.sync_theme(current_theme().dark)

    # ---- selection-based edits -----------------------------------------------------------

    def _on_selection(self) -> None:
        self.inspector.set_selection(self.scene.selected_node_ids())

    def delete_selection(self) -> None:
        doc = self.document
        if doc is None:
            return
        nodes, wires = self.scene.selected_node_ids(), self.scene.selected_wires()
        if not nodes and not wires:
            self.show_message("Nothing selected to delete")
            return
        doc.delete(nodes, wires)

    def select_all(self) -> None:
        for item in self.scene.node_items.values():
            item.setSelected(True)

    def copy(self) -> bool:
        from graphgui.core import fileformat

        doc = self.document
        ids = self.scene.selected_node_ids()
        if doc is None or not ids:
            self.show_message("Select nodes to copy")
            return False
        text = fileformat.dumps(subgraph(doc.graph, ids))
        mime = QMimeData()
        mime.setData(GRAPH_MIME, text.encode("utf-8"))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self.show_message(f"Copied {len(ids)} node{'s' if len(ids) != 1 else ''}")
        return True

    def cut(self) -> None:
        if self.copy():
            assert self.document is not None
            ids = self.scene.selected_node_ids()
            self.document.undo_stack.beginMacro(f"Cut {len(ids)} nodes")
            try:
                self.document.delete(ids)
            finally:
                self.document.undo_stack.endMacro()

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's nodes centred on ``at`` (scene), else on the mouse when it
        is over the canvas, else beside the originals; a copy never lands exactly on
        another node: it moves on by PASTE_OFFSET until the place is free."""
        from graphgui.core import fileformat

        doc = self.document
        mime = QGuiApplication.clipboard().mimeData()
        if doc is None or mime is None:
            return []
        if mime.hasFormat(GRAPH_MIME):
            text = bytes(mime.data(GRAPH_MIME).data()).decode("utf-8", "replace")
        else:
            text = mime.text()
        if not text.strip():
            self.show_message("The clipboard is empty")
            return []
        try:
            sub = fileformat.loads(text, "clipboard")
        except ValueError as exc:
            self.show_message(f"Cannot paste: {exc}")
            return []
        if at is None:
            at = self.view.cursor_scene_pos()
        return self._insert(sub, "Paste", at)

    def duplicate(self) -> list[str]:
        doc = self.document
        ids = self.scene.selected_node_ids()
        if doc is None or not ids:
            self.show_message("Select nodes to duplicate")
            return []
        return self._insert(subgraph(doc.graph, ids), "Duplicate")

    def _insert(self, sub: Graph, text: str, at: QPointF | None = None) -> list[str]:
        assert self.document is not None
        graph = self.document.graph
        if len(sub) == 0:
            return []
        if at is not None:
            xs = [n.pos[0] for n in sub]
            ys = [n.pos[1] for n in sub]
            dx = at.x() - (min(xs) + max(xs)) / 2
            dy = at.y() - (min(ys) + max(ys)) / 2
        else:
            dx = dy = PASTE_OFFSET
        # Cascade: step on while the first copied node would sit on an existing node.
        first = sub.nodes[0].pos
        taken = {(round(n.pos[0]), round(n.pos[1])) for n in graph}
        for _ in range(1000):
            if (round(first[0] + dx), round(first[1] + dy)) not in taken:
                break
            dx += PASTE_OFFSET
            dy += PASTE_OFFSET
        new = self.document.insert_graph(sub, (dx, dy), text=text)
        self.scene.select_nodes(new)
        rect = self.scene.nodes_rect(new)
        if not rect.isEmpty():
            self.view.ensureVisible(rect, 20, 20)
        self.show_message(f"{text}: {len(new)} node{'s' if len(new) != 1 else ''}")
        return new

    def align(self, how: str) -> None:
        doc = self.document
        ids = self.scene.selected_node_ids()
        if doc is None or len(ids) < 2:
            self.show_message("Select two or more nodes to align")
            return
        items = [self.scene.node_items[i] for i in ids]
        positions: dict[str, tuple[float, float]] = {}
        if how == "left":
            left = min(it.pos().x() + it.rect.left() for it in items)
            positions = {it.node_id: (left - it.rect.left(), it.pos().y()) for it in items}
            text = f"Align {len(ids)} nodes left"
        elif how == "top":
            top = min(it.pos().y() + it.rect.top() for it in items)
            positions = {it.node_id: (it.pos().x(), top - it.rect.top()) for it in items}
            text = f"Align {len(ids)} nodes top"
        else:
            axis = 0 if how == "distribute_h" else 1
            order = sorted(items, key=lambda it: (it.pos().x(), it.pos().y())[axis])
            first = (order[0].pos().x(), order[0].pos().y())[axis]
            last = (order[-1].pos().x(), order[-1].pos().y())[axis]
            step = (last - first) / (len(order) - 1)
            for k, it in enumerate(order):
                p = [it.pos().x(), it.pos().y()]
                p[axis] = first + k * step
                positions[it.node_id] = (p[0], p[1])
            text = f"Distribute {len(ids)} nodes"
        doc.move_nodes(positions, text)

    def auto_layout(self) -> None:
        doc = self.document
        if doc is None or len(doc.graph) == 0:
            return
        selected = self.scene.selected_node_ids()
        ids = selected if len(selected) > 1 else [n.id for n in doc.graph]
        xs = [doc.graph.node(i).pos[0] for i in ids]
        ys = [doc.graph.node(i).pos[1] for i in ids]
        origin = (min(xs), (min(ys) + max(ys)) / 2)
        positions = layered_layout(doc.graph, node_ids=ids, origin=origin)
        doc.move_nodes(positions, f"Layout {len(ids)} nodes")
        if ids is not selected:
            self.view.show_graph()

    def set_output_from_selection(self) -> None:
        ids = self.scene.selected_node_ids()
        if len(ids) != 1:
            self.show_message("Select one node to make it the output")
            return
        self._set_output(ids[0])

    def _set_output(self, node_id: str | None) -> None:
        if self.document is not None:
            try:
                self.document.set_output(node_id)
            except GraphError as exc:
                self.show_message(str(exc))

    def add_op_at_center(self, op: str) -> str | None:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        # Nudge so repeated adds at the centre do not stack exactly on each other.
        while any(
            abs(n.pos[0] - center.x()) < 1 and abs(n.pos[1] - center.y()) < 1
            for n in (self.document.graph if self.document else [])
        ):
            center += QPointF(30, 30)
        return self.view.add_node_at(op, center)

    def quick_add_at_center(self) -> None:
        pos = self.view._cursor_or_center()
        self.view.show_quick_add(self.view.mapToScene(pos))

    def _on_expression_inserted(self, ids: list[str]) -> None:
        self.scene.select_nodes(ids)
        self.view.show_graph(ids)
        self.show_message(f"Inserted {len(ids)} nodes")

    # ---- context menus -------------------------------------------------------------------

    def context_menu(self, target: object, scene_pos: QPointF) -> QMenu:
        """The menu for a node, a wire or the empty canvas (shown with popup(), not exec)."""
        menu = QMenu(self)
        doc = self.document
        if isinstance(target, NodeItem) and doc is not None:
            nid = target.node_id
            node = doc.graph.node(nid)
            out = menu.addAction("Set as Output", lambda: self._set_output(nid))
            out.setCheckable(True)
            out.setChecked(doc.graph.chosen_output == nid)
            if node.is_source:
                menu.addAction("Edit Value…", lambda: self.view.edit_value(nid))
            menu.addAction("Rename…", lambda: self._focus_inspector_name())
            menu.addSeparator()
            for act in (self.action_cut, self.action_copy, self.action_duplicate,
                        self.action_delete):
                menu.addAction(act)
            if len(self.scene.selected_node_ids()) > 1:
                menu.addSeparator()
                menu.addAction(self.action_layout)
                align = menu.addMenu("Align")
                for act in (self.action_align_left, self.action_align_top,
                            self.action_distribute_h, self.action_distribute_v):
                    align.addAction(act)
        elif isinstance(target, WireItem) and doc is not None:
            dst, port = target.key
            menu.addAction("Delete Wire", lambda: doc.disconnect(dst, port))
            src_id = target.src.node_id
            menu.addAction("Select Source", lambda: self.scene.select_nodes([src_id]))
            menu.addAction("Select Target", lambda: self.scene.select_nodes([dst]))
        else:
            menu.addAction("Add Node…", lambda: self.view.show_quick_add(scene_pos))
            paste = menu.addAction("Paste Here", lambda: self.paste(at=scene_pos))
            paste.setShortcut(self.action_paste.shortcut())
            menu.addSeparator()
            for act in (self.action_select_all, self.action_layout, self.action_fit,
                        self.action_auto_output):
                menu.addAction(act)
        return menu

    def _on_context_menu(self, target: object, scene_pos: QPointF, screen_pos: object) -> None:
        menu = self.context_menu(target, scene_pos)
        menu.setAttribute(Qt.WA_DeleteOnClose)
        menu.popup(screen_pos)

    def _focus_inspector_name(self) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector.name_edit.setFocus()
        self.inspector.name_edit.selectAll()

    # ---- help ----------------------------------------------------------------------------

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(action, keys) for the Help table: each action once, under its plain name
        (the undo action's menu text names the last edit)."""
        rows = []
        seen = set()
        plain = {self.action_undo: "Undo", self.action_redo: "Redo"}
        for act in self.actions():
            keys = ", ".join(s.toString(QKeySequence.NativeText) for s in act.shortcuts())
            name = plain.get(act) or act.text().replace("&", "").rstrip("…")
            if keys and name not in seen:
                seen.add(name)
                rows.append((name, keys))
        rows += [
            ("Add node at the cursor", "Tab / double-click the canvas"),
            ("Pan", "Middle drag, Space+drag"),
            ("Zoom to the cursor", "Wheel"),
            ("Add to the selection", "Ctrl+click"),
            ("Edit a source value", "Double-click its value"),
        ]
        return rows

    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard Shortcuts")
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Action", "Keys"])
        table.verticalHeader().hide()
        for r, (name, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(name))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        box = QVBoxLayout(dialog)
        box.addWidget(table)
        dialog.resize(460, 520)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.show()  # not modal: keep working while reading
        return dialog

    def show_about(self) -> None:
        from graphgui import __version__

        QMessageBox.about(
            self, "About graphgui",
            f"<b>graphgui {__version__}</b><p>A computational-graph editor for learning, "
            "teaching and debugging backpropagation.</p>",
        )

    def scene_rect_of(self, node_ids: list[str]) -> QRectF:
        return self.scene.nodes_rect(node_ids)
