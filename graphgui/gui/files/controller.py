"""The file controller: Open, Save, Save As, Revert, Export Image, the examples, the
Save/Discard/Cancel guard, crash recovery, and following whichever document is shown.

Everything the controller knows about the shown document lives in one
:class:`DocumentFacts`, made afresh whenever the shell shows another document (New, Open, an
example, Revert, a restored autosave), so nothing of the previous graph remains.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QKeySequence

from graphgui.core import fileformat
from graphgui.core.examples import ExampleError, load_example_document
from graphgui.core.fileformat import FileFormatError
from graphgui.core.graph import Graph

from ..atomic import WriteError
from ..autosave import AutosaveStore, Orphan, describe
from ..document import Document
from .autosaving import Autosaver, restore_crashed
from .drops import FileDrops
from .graphfile import write_graph_file
from .menus import examples_menu, fill_file_menu, is_exercise, make_file_actions
from .prompts import Button, Prompts, bundled, last_dir, remember_dir
from .recent import RecentFiles

if TYPE_CHECKING:
    from ..shell import Shell

@dataclass
class DocumentFacts:
    """What the controller knows about the shown document; replaced with each document."""

    suggested_name: str = "untitled"  # Save As proposes <last folder>/<this>.json
    exercise: bool = False  # opened as an exercise (its notice is in the status bar)


class FileController(Prompts, QObject):
    """File actions, prompts, drag-and-drop and autosave for one shell."""

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
        self.facts = DocumentFacts()
        self._document: Document | None = None
        self._shut_down = False
        store = AutosaveStore(autosave_dir)
        store.acquire()
        self.autosaver = Autosaver(store, _file_settings, shell.show_message, self)
        self.autosaver.written.connect(self.autosaved)

        actions = make_file_actions(shell, open=self.open, save=self.save,
                                    save_as=self.save_as, revert=self.revert,
                                    export=self.export_image)
        self.action_open, self.action_save = actions.open, actions.save
        self.action_save_as, self.action_revert = actions.save_as, actions.revert
        self.action_export = actions.export
        file_menu = shell.menu("file")
        self.recent = RecentFiles(file_menu, self.open_file, shell.show_message)
        self.recent.changed.connect(self.recent_changed)
        self.menu_recent, self.action_clear_recent = self.recent.menu, self.recent.action_clear
        self.menu_examples, self.example_actions = examples_menu(file_menu, self.open_example)
        fill_file_menu(shell, actions, self.menu_recent, self.menu_examples)

        self.drops = FileDrops(shell.widget(), shell.canvas_viewport(), self.open_file,
                               shell.show_message, self)
        shell.widget().installEventFilter(self)  # the window's Close: shut down
        shell.add_close_guard(self._guard_unsaved)
        shell.document_changed.connect(self._on_document_changed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._on_document_changed(shell.document)
        if check_crashed:
            QTimer.singleShot(0, self, self.offer_restore)

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
        if self.facts.exercise:  # its notice would read as news about this graph
            self.shell.show_message("", 1)
        self.facts = DocumentFacts(suggested_name=_stem(doc.path) if doc.path else "untitled")
        doc.path_changed.connect(self._on_path_changed)
        doc.undo_stack.indexChanged.connect(self._on_state_changed)
        doc.undo_stack.cleanChanged.connect(self._on_state_changed)
        # A settings change (the Trainer dock) of an already modified document changes no
        # clean state, but the autosave must still pick it up.
        doc.settings_changed.connect(self._on_state_changed)
        # Every way a file gets shown (Open, a dropped file, `graphgui FILE`) lands here.
        if doc.path:
            self.recent.add(doc.path)
        self.autosaver.follow(doc)
        self._update_actions()

    def _on_path_changed(self, path: str) -> None:
        if path:
            self.recent.add(path)
            self.facts.suggested_name = _stem(path)
        self._update_actions()

    def _on_state_changed(self, *_: object) -> None:
        # A QUndoStack clears itself (and says so) while it is being destroyed.
        if self._shut_down or not shiboken6.isValid(self.shell.document.undo_stack):
            return
        self._update_actions()
        self.autosaver.state_changed()

    def _update_actions(self) -> None:
        doc = self.shell.document
        self.action_revert.setEnabled(bool(doc.path and doc.modified))

    def _show(self, graph: Graph, path: str | None,
              settings_obj: dict[str, Any] | None = None) -> Document:
        """Replace the document (guards already asked); the file's settings come along."""
        doc = Document(graph, path, settings=settings_obj)
        self.shell.set_document(doc)
        return doc

    def _guard_unsaved(self) -> bool:
        """Close guard: True lets the window close or replace the document."""
        doc = self.shell.document
        if not doc.modified:
            return True
        choice = self.ask_save_changes()
        if choice == Button.Save:
            return self.save()
        if choice == Button.Discard:
            self.autosaver.discard()  # the user chose to drop this work
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
        """Open ``path`` as the document. A file that cannot be read (or is no regular
        file) leaves the current document untouched and says why (status bar and dialog)."""
        path = os.path.abspath(os.fspath(path))
        try:
            document = fileformat.load_document(path)
        except FileFormatError as exc:
            if not os.path.exists(path) and self.recent.contains(path):
                self.recent.remove(path)
            self.shell.show_message(f"Cannot open: {exc}", 10000)
            self.show_error("Cannot open file", str(exc))
            return False
        # Read first, ask second: a bad file should not cost a Save/Discard question.
        if check_unsaved and not self.shell.can_discard():
            return False
        if bundled(path):  # a file that ships with graphgui opens as an untitled copy
            self._show(document.graph, None, document.settings)
            self.facts.suggested_name = os.path.splitext(os.path.basename(path))[0]
            self.shell.show_message(f"Opened a copy of the bundled {os.path.basename(path)} "
                                    "(Save asks where to keep it)")
            self.opened.emit(path)
            return True
        self._show(document.graph, path, document.settings)
        remember_dir(path)
        self.shell.show_message(f"Opened {path}")
        self.opened.emit(path)
        return True

    def open_example(self, name: str) -> bool:
        """Open a bundled example as an untitled, unmodified document (Save asks where);
        a training example brings its settings (data set, network, optimizer) along.

        An exercise (``exercise_*``) opens with the gradients hidden everywhere (wires,
        inspector, stepper, exported pictures) until View > Show Gradients reveals them."""
        try:
            graph, settings_obj = load_example_document(name)
        except (ExampleError, FileFormatError) as exc:
            self.show_error("Cannot open example", str(exc))
            return False
        if not self.shell.can_discard():
            return False
        self._show(graph, None, settings_obj)
        self.facts.suggested_name = name
        title = graph.title or name
        if is_exercise(name):
            self._hide_gradients_for_exercise(title)
        else:
            self.shell.show_message(f"Opened the example “{title}”")
        self.opened.emit(f"example:{name}")
        return True

    def _hide_gradients_for_exercise(self, title: str) -> None:
        reveal = self.shell.action("show_grads").shortcut().toString(QKeySequence.NativeText)
        what = title if title.lower().startswith("exercise") else f"Exercise “{title}”"
        notice = (f"{what}: the gradients are hidden. Work them out by hand, then "
                  f"show them with View > Show Gradients ({reveal}), or step through with "
                  "Quiz Mode to check each step.")
        self.shell.view_state.hide_for_exercise(notice)
        self.facts.exercise = True
        self.shell.show_message(notice, 20000)

    def revert(self) -> bool:
        """Reload the file from disk, dropping unsaved changes (after asking)."""
        doc = self.shell.document
        if not doc.path:
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
        self.autosaver.discard()
        self._show(document.graph, path, document.settings)
        self.shell.show_message(f"Reverted to {path}")
        return True

    # ---- save ----------------------------------------------------------------------------

    def save(self) -> bool:
        doc = self.shell.document
        return self.save_to(doc.path) if doc.path else self.save_as()

    def save_as(self) -> bool:
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
            write_graph_file(doc.graph, path, _file_settings(doc))
        except (OSError, FileFormatError) as exc:
            reason = exc.reason if isinstance(exc, FileFormatError | WriteError) else (
                exc.strerror or str(exc)
            )
            self.shell.show_message(f"Could not save {os.path.basename(path)}: {reason}",
                                    15000)
            self.show_error(
                "Save failed",
                f"Could not save {path}:\n{reason}\n\n"
                "The file on disk was not changed and your work is still open.",
            )
            return False
        if doc.path != path:
            doc.path = path
        doc.set_clean()
        remember_dir(path)
        self.autosaver.discard()
        self.shell.show_message(f"Saved {path}")
        self.saved.emit(path)
        return True

    def _suggested_path(self) -> str:
        doc = self.shell.document
        if doc.path:
            return doc.path
        return os.path.join(last_dir(), f"{self.facts.suggested_name}.json")

    # ---- export --------------------------------------------------------------------------

    def export_image(self) -> bool:
        """File > Export Image: the graph as PNG or SVG, showing what the canvas shows
        (hidden gradients, e.g. of an exercise, stay out of the picture)."""
        from ..export import export_image

        doc = self.shell.document
        if len(doc.graph) == 0:
            self.shell.show_message("Nothing to export: the graph is empty")
            return False
        base = os.path.splitext(self._suggested_path())[0]
        path = self.ask_export_path(base + ".png")
        if not path:
            return False
        view = self.shell.view_state
        try:
            export_image(doc.graph, path, show_values=view.show_values,
                         show_grads=not view.grads_hidden)
        except (OSError, ValueError) as exc:
            self.shell.show_message(f"Could not export: {exc}", 15000)
            self.show_error("Export failed", str(exc))
            return False
        self.shell.show_message(f"Exported {path}")
        return True

    # ---- recent files (the tests' and older callers' names) ------------------------------

    def recent_files(self) -> list[str]:
        return self.recent.paths()

    def add_recent(self, path: str) -> None:
        self.recent.add(path)

    def prune_recent(self) -> int:
        return self.recent.prune()

    def open_recent(self, path: str) -> bool:
        return self.recent.open(path)

    # ---- autosave and crash recovery -----------------------------------------------------

    @property
    def store(self) -> AutosaveStore:
        return self.autosaver.store

    @property
    def autosave_delay(self) -> int:
        return self.autosaver.delay

    @autosave_delay.setter
    def autosave_delay(self, ms: int) -> None:
        self.autosaver.delay = ms

    def autosave_now(self) -> bool:
        """Write the unsaved document to the autosave file now (or remove it if clean)."""
        return self.autosaver.write_now()

    def offer_restore(self) -> int:
        """Offer the autosaves of crashed sessions; returns how many were restored (0/1).

        One window shows one graph: after a restore, further autosaves stay for the next
        start. Unreadable autosaves are set aside (renamed ``.corrupt``), not deleted.
        """
        return restore_crashed(self.store, self.ask_restore, self.shell.can_discard,
                               self._restore, self.shell.show_message)

    def _restore(self, orphan: Orphan) -> None:
        assert orphan.graph is not None
        doc = self._show(orphan.graph, orphan.original_path, orphan.settings)
        doc.undo_stack.resetClean()  # unsaved work: marked modified, Save writes it
        self.autosave_now()
        self.shell.show_message(f"Restored {describe(orphan)}; save it to keep it")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Close and watched is self.shell.widget():
            QTimer.singleShot(0, self, self._after_close)
        return False

    def _after_close(self) -> None:
        if not self.shell.widget().isVisible():
            self.shutdown()

    def shutdown(self) -> None:
        """Clean exit: stop autosaving and remove this instance's autosave and lock."""
        if self._shut_down:
            return
        self._shut_down = True
        self.autosaver.stop()


def _file_settings(doc: Document) -> dict[str, Any] | None:
    """What the file's "settings" object holds now: the document's (the Trainer dock edits
    it through Document.set_setting); None when empty."""
    return dict(doc.settings) if doc.settings else None


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def install(shell: Shell, **kwargs: Any) -> FileController:
    """Give ``shell`` its file handling (and File > Export Code…); returns the controller."""
    from .code_export import install_code_export

    controller = FileController(shell, **kwargs)
    controller.code_export = install_code_export(
        shell, lambda: controller.facts.suggested_name)
    return controller
