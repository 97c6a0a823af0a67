"""Every question the file controller asks the user, one method each.

:class:`Prompts` is a mixin of :class:`~graphgui.gui.files.controller.FileController`:
tests replace these methods on the controller (or its class) and never meet a real modal
dialog. The folder the file dialogs start in is remembered here too.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ...core.resources import resource
from ..application import settings
from ..autosave import Orphan, describe

if TYPE_CHECKING:
    from ..shell import Shell

LAST_DIR_KEY = "files/last_dir"
GRAPH_FILTER = "Graph files (*.json);;All files (*)"
PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG image (*.svg)"

RestoreChoice = Literal["restore", "discard", "keep"]
Button = QMessageBox.StandardButton


def last_dir() -> str:
    """Where the Open and Save dialogs start: the folder of the last file used, never the
    bundled examples' (a Save there would change what ships with graphgui)."""
    value = settings().value(LAST_DIR_KEY)
    if isinstance(value, str) and os.path.isdir(value) and not bundled(value):
        return value
    return os.path.expanduser("~")


def remember_dir(path: str) -> None:
    if not bundled(path):
        settings().setValue(LAST_DIR_KEY, os.path.dirname(path))


def bundled(path: str) -> bool:
    """Is ``path`` one of the files (or folders) that ship with graphgui?"""
    home = os.path.realpath(str(resource()))
    try:
        return os.path.commonpath([home, os.path.realpath(path)]) == home
    except ValueError:  # another drive
        return False


class Prompts:
    """The dialogs. Needs ``self.shell``; each returns the user's answer."""

    shell: Shell

    def ask_save_changes(self) -> Button:
        """Save, Discard or Cancel for the unsaved changes of the current document."""
        doc = self.shell.document
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes",
                          f"Do you want to save the changes to “{doc.display_name}”?",
                          QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
                          self.shell.widget())
        box.setInformativeText("Your changes will be lost if you don't save them.")
        box.setDefaultButton(QMessageBox.Save)
        box.setEscapeButton(QMessageBox.Cancel)
        box.setWindowModality(Qt.WindowModal)
        return Button(box.exec())

    def ask_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self.shell.widget(), "Open Graph", last_dir(), GRAPH_FILTER
        )
        return path or None

    def ask_save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.shell.widget(), "Save Graph As", suggested,
                                              GRAPH_FILTER)
        return path or None

    def ask_export_path(self, suggested: str) -> str | None:
        path, chosen = QFileDialog.getSaveFileName(
            self.shell.widget(), "Export Image", suggested, f"{PNG_FILTER};;{SVG_FILTER}"
        )
        if not path:
            return None
        if os.path.splitext(path)[1].lower() not in (".png", ".svg"):
            path += ".svg" if chosen == SVG_FILTER else ".png"
        return path

    def ask_restore(self, orphan: Orphan) -> RestoreChoice:
        box = QMessageBox(QMessageBox.Question, "Restore unsaved work",
                          "graphgui did not close properly last time. Restore the unsaved "
                          "work it autosaved?", QMessageBox.NoButton, self.shell.widget())
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
            self.shell.widget(), "Revert",
            f"Drop the unsaved changes to “{name}” and reload it from disk?",
            QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel,
        )
        return answer == QMessageBox.Yes

    def show_error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.shell.widget(), title, text)
