"""Everything about files in the editor: Open, Open Recent, Examples, Save, Save As, Revert,
Export Image, drag-and-drop of graph files, the Save/Discard/Cancel prompt and autosave.

``FileController(window)`` installs itself into a :class:`MainWindow` (menu items, toolbar
buttons, a close guard, an event filter for dropped files) and keeps ``window.file_controller``.

Every question to the user goes through one method (``ask_save_changes``, ``ask_open_path``,
``ask_save_path``, ``ask_export_path``, ``ask_restore``, ``confirm_revert``, ``show_error``),
so tests replace those and never meet a real modal dialog.

Saving is atomic: the graph is serialized in memory first (``fileformat.dumps``), written
through a QSaveFile, and only ``commit()`` replaces the old file; on any failure the old file is
untouched, the status bar and an error dialog say why, and the document stays modified.
"""

from __future__ import annotations

import contextlib
import html
import os
from typing import TYPE_CHECKING, Any, Literal

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QIODevice,
    QMimeData,
    QObject,
    QSaveFile,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from graphgui.core import fileformat
from graphgui.core.examples import (
    ExampleError,
    ExampleInfo,
    list_examples,
    list_training_examples,
    load_example_document,
)
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph

from .actions import make_action
from .application import settings
from .autosave import AutosaveStore, Orphan, describe, discard_orphan
from .canvas.view import OP_MIME
from .document import Document

if TYPE_CHECKING:
    from .shell import Shell

RECENT_KEY = "files/recent"
LAST_DIR_KEY = "files/last_dir"
MAX_RECENT = 10
GRAPH_FILTER = "Graph files (*.json);;All files (*)"
PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG image (*.svg)"
AUTOSAVE_DELAY_MS = 2000  # after the last edit
AUTOSAVE_INTERVAL_MS = 60_000  # while edits keep coming faster than the delay
EXERCISE_PREFIX = "exercise_"  # examples that open with the gradients hidden

RestoreChoice = Literal["restore", "discard", "keep"]
Button = QMessageBox.StandardButton


def write_graph_file(
    graph: Graph, path: str, settings_obj: dict[str, Any] | None = None
) -> None:
    """Write ``graph`` to ``path`` atomically with QSaveFile.

    Raises FileFormatError (the graph cannot be written) or OSError (the file cannot); in
    both cases an existing file at ``path`` is left byte-identical.
    """
    try:
        data = fileformat.dumps(graph, settings_obj).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate in text set by code
        raise FileFormatError(f"text is not valid Unicode ({exc.reason})", path) from None
    out = QSaveFile(path)
    if not out.open(QIODevice.WriteOnly):
        raise OSError(out.errorString() or "cannot open the file for writing")
    if out.write(data) != len(data):
        reason = out.errorString() or "the data could not be written"
        out.cancelWriting()
        out.commit()  # closes and removes the temporary file; the old file stays
        raise OSError(reason)
    if not out.commit():
        raise OSError(out.errorString() or "the file could not be replaced")


class FileController(QObject):
    """File actions, prompts, drag-and-drop and autosave for one MainWindow."""

    saved = Signal(str)  # path
    opened = Signal(str)  # path, or "example:NAME"
    autosaved = Signal(str)  # the autosave file
    recent_changed = Signal()

    def __init__(
        self, shell: Shell, *, autosave_dir: str | None = None, check_crashed: bool = True
    ) -> None:
        super().__init__(shell.widget())
        self.setObjectName("fileController")
        self.shell = shell
        self.store = AutosaveStore(autosave_dir)
        self.store.acquire()
        self._suggested_name = "untitled"
        self._autosave_dirty = False
        self._autosave_failed = False
        self._shut_down = False
        self._document: Document | None = None

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(AUTOSAVE_DELAY_MS)
        self._debounce.timeout.connect(self.autosave_now)
        self._periodic = QTimer(self)
        self._periodic.setInterval(AUTOSAVE_INTERVAL_MS)
        self._periodic.timeout.connect(self._periodic_autosave)
        self._periodic.start()

        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        shell.add_close_guard(self._guard_unsaved)
        window = shell.widget()
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        shell.canvas_viewport().installEventFilter(self)
        shell.document_changed.connect(self._on_document_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._on_document_changed(shell.document)
        if check_crashed:
            QTimer.singleShot(0, self, self.offer_restore)

    # ---- construction --------------------------------------------------------------------

    def _action(self, text: str, slot: Any, name: str = "", tip: str = "",
                icon: str | None = None) -> QAction:
        action = make_action(self.shell.widget(), text, slot, name=name, tip=tip)
        if icon is not None:
            themed = QIcon.fromTheme(icon)
            if not themed.isNull():
                action.setIcon(themed)
        self.shell.add_action(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.action_open = a("&Open…", self.open, "open", "Open a graph file", "document-open")
        self.action_save = a("&Save", self.save, "save", "Save the graph", "document-save")
        self.action_save_as = a("Save &As…", self.save_as, "save_as",
                                "Save the graph under a new name", "document-save-as")
        self.action_revert = a("Re&vert", self.revert, "revert",
                               "Reload the file from disk, dropping unsaved changes",
                               "document-revert")
        self.action_export = a("&Export Image…", self.export_image, "export_image",
                               "Write the graph as a PNG or SVG picture")
        self.action_clear_recent = make_action(self.shell.widget(), "&Clear List",
                                               self.clear_recent)
        self.shell.action("new").setIcon(QIcon.fromTheme("document-new"))

    def _build_menus(self) -> None:
        menu = self.shell.menu("file")
        before = self.shell.action("quit")
        # Insert after New, keeping the window's separator and Quit at the end.
        quit_separator = _separator_before(menu, before)
        anchor = quit_separator or before
        menu.insertAction(anchor, self.action_open)
        self.menu_recent = QMenu("Open &Recent", menu)
        self.menu_recent.setObjectName("menuRecent")
        self.menu_recent.setToolTipsVisible(True)
        self.menu_recent.aboutToShow.connect(self._on_recent_about_to_show)
        menu.insertMenu(anchor, self.menu_recent)
        self.menu_examples = QMenu("E&xamples", menu)
        self.menu_examples.setObjectName("menuExamples")
        self.menu_examples.setToolTipsVisible(True)
        self._fill_examples_menu()
        menu.insertMenu(anchor, self.menu_examples)
        menu.insertSeparator(anchor)
        for act in (self.action_save, self.action_save_as, self.action_revert):
            menu.insertAction(anchor, act)
        menu.insertSeparator(anchor)
        menu.insertAction(anchor, self.action_export)
        if quit_separator is None:
            menu.insertSeparator(before)
        self.rebuild_recent_menu()

    def _build_toolbar(self) -> None:
        bar = self.shell.toolbar("file")
        bar.addAction(self.action_open)
        bar.addAction(self.action_save)

    def _fill_examples_menu(self) -> None:
        self.example_actions: dict[str, QAction] = {}
        self.example_sections: list[QAction] = []
        for heading, infos in (("Worked examples and exercises", list_examples()),
                               ("Training (data and settings included)",
                                list_training_examples())):
            if self.example_sections:
                self.menu_examples.addSeparator()
            self.example_sections.append(_menu_heading(self.menu_examples, heading))
            for info in infos:
                self._add_example_action(info)

    def _add_example_action(self, info: ExampleInfo) -> None:
        action = self.menu_examples.addAction(info.title)
        action.setObjectName(f"example_{info.name}")
        action.setData(info.name)
        action.setStatusTip(info.description)
        # Rich text so the long description wraps in the tooltip.
        action.setToolTip(
            f"<p><b>{html.escape(info.title)}</b></p><p>{html.escape(info.description)}</p>"
        )
        action.triggered.connect(lambda _c=False, n=info.name: self.open_example(n))
        self.example_actions[info.name] = action

    # ---- the document --------------------------------------------------------------------

    @property
    def document(self) -> Document:
        return self.shell.document

    def _on_document_changed(self, doc: Document) -> None:
        if doc is self._document:
            return
        old, self._document = self._document, doc
        if old is not None and shiboken6.isValid(old):
            for signal, slot in ((old.path_changed, self._on_path_changed),
                                 (old.settings_changed, self._on_state_changed),
                                 (old.undo_stack.indexChanged, self._on_state_changed),
                                 (old.undo_stack.cleanChanged, self._on_state_changed)):
                with contextlib.suppress(RuntimeError, TypeError):  # already deleted
                    signal.disconnect(slot)
        doc.path_changed.connect(self._on_path_changed)
        doc.undo_stack.indexChanged.connect(self._on_state_changed)
        doc.undo_stack.cleanChanged.connect(self._on_state_changed)
        # A settings change (the Trainer dock) of an already modified document changes no
        # clean state, but the autosave must still pick it up.
        doc.settings_changed.connect(self._on_state_changed)
        # Every way a file gets shown (Open, a dropped file, `graphgui FILE`) lands here.
        if doc.path:
            self.add_recent(doc.path)
        self._on_state_changed()

    def _on_path_changed(self, path: str) -> None:
        if path:
            self.add_recent(path)
        self._update_actions()

    def _on_state_changed(self, *_: object) -> None:
        doc = self.shell.document
        # A QUndoStack clears itself (and says so) while it is being destroyed.
        if self._shut_down or not shiboken6.isValid(doc.undo_stack):
            return
        self._update_actions()
        if doc.modified:
            self._autosave_dirty = True
            self._debounce.start()  # restarts: write once the edits pause
        else:
            self._debounce.stop()
            self._autosave_dirty = False
            self.store.remove()

    def _update_actions(self) -> None:
        doc = self.shell.document
        self.action_revert.setEnabled(bool(doc is not None and doc.path and doc.modified))

    def _file_settings(self) -> dict[str, Any] | None:
        """What the file's "settings" object holds now: the document's (the Trainer dock
        edits it through Document.set_setting); None when empty."""
        doc = self.shell.document
        return dict(doc.settings) if doc is not None and doc.settings else None

    def _show(self, graph: Graph, path: str | None,
              settings_obj: dict[str, Any] | None = None) -> Document:
        """Replace the document (guards already asked); the file's settings come along."""
        doc = Document(graph, path, settings=settings_obj)
        self.shell.set_document(doc)
        return doc

    # ---- prompts (tests replace these) ---------------------------------------------------

    def ask_save_changes(self) -> Button:
        """Save, Discard or Cancel for the unsaved changes of the current document."""
        doc = self.shell.document
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                          f"Do you want to save the changes to “{doc.display_name}”?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                          self.shell)
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setDefaultButton(QMessageBox.Save)
        box.setEscapeButton(QMessageBox.Cancel)
        box.setWindowModality(Qt.WindowModal)
        return Button(box.exec())

    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self.shell, "Open Graph", self._last_dir(), GRAPH_FILTER
        )
        return path or None

    def ask_save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.shell, "Save Graph As", suggested,
                                              GRAPH_FILTER)
        return path or None

    def ask_export_path(self, suggested: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(
            self.shell, "Export Image", suggested, f"{PNG_FILTER};;{SVG_FILTER}"
        )
        if not path:
            return None
        if os.path.splitext(path)[1].lower() not in (".png", ".svg"):
            path += ".svg" if chosen == SVG_FILTER else ".png"
        return path

    def ask_restore(self, orphan: Orphan) -> RestoreChoice:
        box = QMessageBox(QMessageBox.Question, "Restore unsaved work",
                          "graphgui did not close properly last time. Restore the unsaved "
                          "work it autosaved?", QMessageBox.NoButton, self.shell)
        box.setInformativeText(describe(orphan))
        restore = box.addButton("Restore", QMessageBox.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.DestructiveRole)
        later = box.addButton("Not Now", QMessageBox.RejectRole)
        box.setDefaultButton(restore)
        box.setEscapeButton(later)
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            return "restore"
        if clicked is discard:
            return "discard"
        return "keep"

    def confirm_revert(self, name: str) -> bool:
        answer = QMessageBox.question(
            self.shell, "Revert",
            f"Drop the unsaved changes to “{name}” and reload it from disk?",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel,
        )
        return answer == QMessageBox.Yes

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.shell, title, text)

    # ---- unsaved changes -----------------------------------------------------------------

    def _guard_unsaved(self) -> bool:
        """Close guard: True lets the window close or replace the document."""
        doc = self.shell.document
        if doc is None or not doc.modified:
            return True
        choice = self.ask_save_changes()
        if choice == Button.Save:
            return self.save()
        if choice == Button.Discard:
            self._debounce.stop()
            self.store.remove()  # the user chose to drop this work
            return True
        return False

    # ---- open ----------------------------------------------------------------------------

    def open(self) -> bool:
        """File > Open: ask for a file, then open it."""
        if not self.shell.can_discard():
            return False
        path = self.ask_open_path()
        if not path:
            return False
        return self.open_file(path, check_unsaved=False)

    def open_file(self, path: str, *, check_unsaved: bool = True) -> bool:
        """Open ``path`` as the document. A file that cannot be read leaves the current
        document untouched and says why (status bar and an error dialog)."""
        path = os.path.abspath(os.fspath(path))
        try:
            document = fileformat.load_document(path)
        except FileFormatError as exc:
            if not os.path.exists(path) and self._is_recent(path):
                self.remove_recent(path)
            self.shell.show_message(f"Cannot open: {exc}", 10000)
            self.show_error("Cannot open file", str(exc))
            return False
        # Read first, ask second: a bad file should not cost a Save/Discard question.
        if check_unsaved and not self.shell.can_discard():
            return False
        self._show(document.graph, path, document.settings)
        self._remember_dir(path)
        self._suggested_name = os.path.splitext(os.path.basename(path))[0]
        self.shell.show_message(f"Opened {path}")
        self.opened.emit(path)
        return True

    def open_example(self, name: str) -> bool:
        """Open a bundled example as an untitled, unmodified document (Save asks where);
        a training example brings its settings (data set, network, optimizer) along.

        An exercise (``exercise_*``) opens with the gradients hidden, so the answers are
        not on the wires before the user has worked them out."""
        try:
            graph, settings_obj = load_example_document(name)
        except (ExampleError, FileFormatError) as exc:
            self.show_error("Cannot open example", str(exc))
            return False
        if not self.shell.can_discard():
            return False
        self._show(graph, None, settings_obj)
        self._suggested_name = name
        title = graph.title or name
        if name.startswith(EXERCISE_PREFIX):
            self._hide_gradients_for_exercise(title)
        else:
            self.shell.show_message(f"Opened the example “{title}”")
        self.opened.emit(f"example:{name}")
        return True

    def _hide_gradients_for_exercise(self, title: str) -> None:
        """Hidden everywhere (wires, inspector, stepper, status) until the student shows
        them with View > Show Gradients; the stepper shows the view state's notice."""
        reveal = self.shell.action("show_grads").shortcut().toString(QKeySequence.NativeText)
        what = title if title.lower().startswith("exercise") else f"Exercise “{title}”"
        notice = (f"{what}: the gradients are hidden. Work them out by hand, then "
                  f"show them with View > Show Gradients ({reveal}), or step through with "
                  "Quiz Mode to check each step.")
        self.shell.view_state.hide_for_exercise(notice)
        self.shell.show_message(notice, 20000)

    def revert(self) -> bool:
        """Reload the file from disk, dropping unsaved changes (after asking)."""
        doc = self.shell.document
        if doc is None or not doc.path:
            self.shell.show_message("Nothing to revert to: the graph was never saved")
            return False
        if doc.modified and not self.confirm_revert(doc.display_name):
            return False
        path = doc.path
        try:
            document = fileformat.load_document(path)
        except FileFormatError as exc:
            self.shell.show_message(f"Cannot revert: {exc}", 10000)
            self.show_error("Cannot revert", str(exc))
            return False
        self.store.remove()
        self._show(document.graph, path, document.settings)
        self.shell.show_message(f"Reverted to {path}")
        return True

    # ---- save ----------------------------------------------------------------------------

    def save(self) -> bool:
        doc = self.shell.document
        if doc is None:
            return False
        if not doc.path:
            return self.save_as()
        return self.save_to(doc.path)

    def save_as(self) -> bool:
        doc = self.shell.document
        if doc is None:
            return False
        path = self.ask_save_path(self._suggested_path())
        if not path:
            return False
        if not os.path.splitext(os.path.basename(path))[1]:
            path += ".json"
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Write the document to ``path``; on success it becomes the document's file."""
        doc = self.shell.document
        path = os.path.abspath(os.fspath(path))
        try:
            write_graph_file(doc.graph, path, self._file_settings())
        except (OSError, FileFormatError) as exc:
            reason = exc.reason if isinstance(exc, FileFormatError) else (
                exc.strerror or str(exc)
            )
            name = os.path.basename(path)
            self.shell.show_message(f"Could not save {name}: {reason}", 15000)
            self.show_error(
                "Save failed",
                f"Could not save {path}:\n{reason}\n\n"
                "The file on disk was not changed and your work is still open.",
            )
            return False
        if doc.path != path:
            doc.path = path
        doc.set_clean()
        self._remember_dir(path)
        self._suggested_name = os.path.splitext(os.path.basename(path))[0]
        self.store.remove()
        self.shell.show_message(f"Saved {path}")
        self.saved.emit(path)
        return True

    def _suggested_path(self) -> str:
        doc = self.shell.document
        if doc is not None and doc.path:
            return doc.path
        return os.path.join(self._last_dir(), f"{self._suggested_name}.json")

    def _last_dir(self) -> str:
        value = settings().value(LAST_DIR_KEY)
        if isinstance(value, str) and os.path.isdir(value):
            return value
        return os.path.expanduser("~")

    def _remember_dir(self, path: str) -> None:
        settings().setValue(LAST_DIR_KEY, os.path.dirname(path))

    # ---- export --------------------------------------------------------------------------

    def export_image(self) -> bool:
        """File > Export Image: the current graph as PNG or SVG."""
        from .export import export_image

        doc = self.shell.document
        if doc is None or len(doc.graph) == 0:
            self.shell.show_message("Nothing to export: the graph is empty")
            return False
        base = os.path.splitext(self._suggested_path())[0]
        path = self.ask_export_path(base + ".png")
        if not path:
            return False
        try:
            export_image(
                doc.graph, path,
                show_values=self.shell.view_state.show_values,
                show_grads=not self.shell.view_state.grads_hidden,
            )
        except (OSError, ValueError) as exc:
            self.shell.show_message(f"Could not export: {exc}", 15000)
            self.show_error("Export failed", str(exc))
            return False
        self.shell.show_message(f"Exported {path}")
        return True

    # ---- recent files --------------------------------------------------------------------

    def recent_files(self) -> list[str]:
        value = settings().value(RECENT_KEY)
        if value is None:
            return []
        if isinstance(value, str):  # INI stores a one-item list as a plain string
            value = [value]
        return [str(p) for p in value if p][:MAX_RECENT]

    def _set_recent(self, paths: list[str]) -> None:
        s = settings()
        if paths:
            s.setValue(RECENT_KEY, paths[:MAX_RECENT])
        else:
            s.remove(RECENT_KEY)
        s.sync()
        self.rebuild_recent_menu()
        self.recent_changed.emit()

    def _is_recent(self, path: str) -> bool:
        key = _path_key(path)
        return any(_path_key(p) == key for p in self.recent_files())

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        key = _path_key(path)
        rest = [p for p in self.recent_files() if _path_key(p) != key]
        self._set_recent([path, *rest])

    def remove_recent(self, path: str) -> None:
        key = _path_key(path)
        self._set_recent([p for p in self.recent_files() if _path_key(p) != key])

    def clear_recent(self) -> None:
        self._set_recent([])
        self.shell.show_message("Cleared the list of recent files")

    def prune_recent(self) -> int:
        """Drop files that no longer exist; says so in the status bar. Returns how many."""
        paths = self.recent_files()
        kept = [p for p in paths if os.path.isfile(p)]
        gone = len(paths) - len(kept)
        if gone:
            self._set_recent(kept)
            names = ", ".join(os.path.basename(p) for p in paths if p not in kept)
            self.shell.show_message(
                f"Removed {gone} missing file{'s' if gone != 1 else ''} from the recent list: "
                f"{names}"
            )
        return gone

    def _on_recent_about_to_show(self) -> None:
        self.prune_recent()
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        menu = self.menu_recent
        menu.clear()
        paths = self.recent_files()
        for k, path in enumerate(paths, 1):
            name = os.path.basename(path).replace("&", "&&")
            label = f"&{k} {name}" if k < 10 else f"1&0 {name}"
            action = menu.addAction(label)
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open_recent(p))
        if paths:
            menu.addSeparator()
        menu.addAction(self.action_clear_recent)
        self.action_clear_recent.setEnabled(bool(paths))
        menu.setEnabled(bool(paths))

    def open_recent(self, path: str) -> bool:
        if not os.path.isfile(path):
            self.remove_recent(path)
            self.shell.show_message(
                f"{os.path.basename(path)} no longer exists; removed it from the recent list"
            )
            return False
        return self.open_file(path)

    # ---- drag and drop -------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove):
            if dropped_files(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Drop:
            paths = dropped_files(event.mimeData())
            if paths:
                event.acceptProposedAction()
                # Open after the drop returns: a Save/Discard prompt inside a drop event
                # would block the application the file was dragged from.
                QTimer.singleShot(0, self, lambda: self.open_dropped(paths))
                return True
        elif kind == QEvent.Close and watched is self.shell.widget():
            QTimer.singleShot(0, self, self._after_close)
        return False

    def open_dropped(self, paths: list[str]) -> bool:
        graphs = [p for p in paths if p.lower().endswith(".json")]
        if not graphs:
            name = os.path.basename(paths[0]) if paths else "that"
            self.shell.show_message(f"Cannot open {name}: drop a graph file (.json)")
            return False
        opened = self.open_file(graphs[0])
        if opened and len(paths) > 1:
            self.shell.show_message(
                f"Opened {os.path.basename(graphs[0])}; a window shows one graph, "
                f"so the other {len(paths) - 1} dropped file(s) were not opened"
            )
        return opened

    # ---- autosave ------------------------------------------------------------------------

    @property
    def autosave_delay(self) -> int:
        return self._debounce.interval()

    @autosave_delay.setter
    def autosave_delay(self, ms: int) -> None:
        self._debounce.setInterval(ms)

    def _periodic_autosave(self) -> None:
        if self._autosave_dirty:
            self.autosave_now()

    def autosave_now(self) -> bool:
        """Write the unsaved document to the autosave file now (or remove it if clean)."""
        self._debounce.stop()
        doc = self.shell.document
        if doc is None or self._shut_down:
            return False
        if not doc.modified:
            self.store.remove()
            self._autosave_dirty = False
            return False
        try:
            self.store.write(doc.graph, doc.path, self._file_settings())
        except (OSError, FileFormatError) as exc:
            if not self._autosave_failed:  # say it once, not every two seconds
                self.shell.show_message(f"Autosave failed: {exc}", 15000)
            self._autosave_failed = True
            return False
        self._autosave_failed = False
        self._autosave_dirty = False
        self.autosaved.emit(self.store.path)
        return True

    def offer_restore(self) -> int:
        """Offer the autosaves of crashed sessions; returns how many were restored (0/1).

        One window shows one graph: after a restore, further autosaves stay for the next
        start. Unreadable autosaves are set aside (renamed ``.corrupt``), not deleted.
        """
        restored = 0
        kept = 0
        for orphan, lock in self.store.claim_orphans():
            if orphan.graph is None:
                aside = os.path.splitext(orphan.path)[0] + ".corrupt"
                try:
                    os.replace(orphan.path, aside)
                except OSError:
                    aside = orphan.path
                lock.unlock()
                self.shell.show_message(f"An autosave could not be read ({orphan.error}); "
                                         f"kept as {aside}", 15000)
                continue
            if restored:
                lock.unlock()
                kept += 1
                continue
            choice = self.ask_restore(orphan)
            if choice == "restore" and self.shell.can_discard():
                self._restore(orphan)
                discard_orphan(orphan, lock)  # our own autosave holds the work now
                restored = 1
            elif choice == "discard":
                discard_orphan(orphan, lock)
            else:
                lock.unlock()
                kept += 1
        if kept:
            self.shell.show_message(
                f"{kept} more autosave{'s' if kept != 1 else ''} will be offered at the next "
                "start", 10000
            )
        return restored

    def _restore(self, orphan: Orphan) -> None:
        assert orphan.graph is not None
        doc = self._show(orphan.graph, orphan.original_path, orphan.settings)
        doc.undo_stack.resetClean()  # unsaved work: marked modified, Save writes it
        if orphan.original_path:
            self._suggested_name = os.path.splitext(os.path.basename(orphan.original_path))[0]
        self.autosave_now()
        self.shell.show_message(f"Restored {describe(orphan)}; save it to keep it")

    def _after_close(self) -> None:
        if not self.shell.widget().isVisible():
            self.shutdown()

    def shutdown(self) -> None:
        """Clean exit: stop autosaving and remove this instance's autosave and lock."""
        if self._shut_down:
            return
        self._shut_down = True
        self._debounce.stop()
        self._periodic.stop()
        self.store.release()


def dropped_files(mime: QMimeData | None) -> list[str]:
    """Local files in a drag (palette drags of ops are left to the canvas)."""
    if mime is None or mime.hasFormat(OP_MIME) or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


def _menu_heading(menu: QMenu, text: str) -> QAction:
    """A section heading: a disabled, bold entry (QMenu.addSection shows no text in some
    styles, e.g. Fusion)."""
    action = menu.addAction(text)
    action.setEnabled(False)
    font = action.font()
    font.setBold(True)
    action.setFont(font)
    return action


def _path_key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _separator_before(menu: QMenu, action: QAction) -> QAction | None:
    actions = menu.actions()
    if action in actions:
        i = actions.index(action)
        if i > 0 and actions[i - 1].isSeparator():
            return actions[i - 1]
    return None


def install(shell: Shell, **kwargs: Any) -> FileController:
    """Give ``shell`` its file handling; returns the controller."""
    return FileController(shell, **kwargs)
