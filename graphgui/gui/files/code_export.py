"""File > Export Code…: the graph as NumPy or PyTorch code, or as its expression program.

The dialog shows the code core's :func:`~graphgui.core.codegen.export_code` writes for the
shown document (its training settings add the training loop), in a read-only monospace
preview, with a target selector, Copy (to the clipboard) and Save… (through
:mod:`graphgui.gui.atomic`). It is window-modal and opened with ``open()``, so the graph
cannot change under it. :meth:`CodeExportDialog.ask_save_path` is the one question it asks
(tests replace it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.codegen import CodegenError, export_code

from ..actions import make_action
from ..atomic import WriteError, write_text
from .prompts import last_dir, remember_dir

if TYPE_CHECKING:
    from PySide6.QtGui import QAction

    from ..document import Document
    from ..shell import Shell

#: (label in the selector, core target, file suffix), in the selector's order
TARGETS = (("NumPy", "numpy", ".py"), ("PyTorch", "torch", ".py"),
           ("Expression", "expr", ".txt"))
_SUFFIX_NAMES = {"numpy": "_numpy", "torch": "_torch", "expr": ""}


class CodeExportDialog(QDialog):
    """The preview of one document's code, for each target."""

    def __init__(self, document: Document, stem: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeExportDialog")
        self.setWindowTitle("Export Code")
        self.setWindowModality(Qt.WindowModal)
        self.document = document
        self.stem = stem  # the suggested file name, without suffix
        self._text = ""
        self.target_box = QComboBox()
        self.target_box.setObjectName("codeTarget")
        for label, target, _ in TARGETS:
            self.target_box.addItem(label, target)
        self.target_box.setToolTip(
            "NumPy: forward and backward passes written out; PyTorch: an nn.Module "
            "differentiated by autograd; Expression: the program that rebuilds the graph")
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("codePreview")
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.message = QLabel()
        self.message.setObjectName("codeMessage")
        self.message.setWordWrap(True)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setToolTip("Copy the code to the clipboard")
        self.save_button = QPushButton("&Save…")
        self.save_button.setObjectName("codeSave")
        self.save_button.setToolTip("Write the code to a file")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.Close)
        self.copy_button.clicked.connect(lambda *_: self.copy())
        self.save_button.clicked.connect(lambda *_: self.save())
        self.target_box.currentIndexChanged.connect(lambda *_: self.refresh())

        top = QHBoxLayout()
        top.addWidget(QLabel("&Target:", buddy=self.target_box))
        top.addWidget(self.target_box)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(860, 640)
        self.refresh()

    # ---- state ---------------------------------------------------------------------------

    @property
    def target(self) -> str:
        return self.target_box.currentData()

    def code(self) -> str:
        """The code shown ("" when the graph cannot be exported to this target)."""
        return self._text

    def refresh(self) -> None:
        """Export again for the chosen target; a graph that cannot be exported says why."""
        doc = self.document
        try:
            self._text = export_code(doc.graph, doc.settings, self.target)
        except CodegenError as exc:
            self._text = ""
            self.message.setText(f"Cannot export as {self.target_box.currentText()}: {exc}")
        else:
            lines = self._text.count("\n")
            self.message.setText(f"{lines} lines of {self.target_box.currentText()} code"
                                 + _hint(self.target, "\ndef train(" in self._text))
        self.preview.setPlainText(self._text)
        self.copy_button.setEnabled(bool(self._text))
        self.save_button.setEnabled(bool(self._text))

    # ---- actions -------------------------------------------------------------------------

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._text)
        self.message.setText("Copied to the clipboard")

    def suggested_path(self) -> str:
        suffix = next(s for _, t, s in TARGETS if t == self.target)
        return os.path.join(last_dir(), f"{self.stem}{_SUFFIX_NAMES[self.target]}{suffix}")

    def ask_save_path(self, suggested: str) -> str | None:
        """Where to save (None: cancelled); tests replace this method."""
        kind = "Python files (*.py)" if suggested.endswith(".py") else "Text files (*.txt)"
        path, _ = QFileDialog.getSaveFileName(self, "Save Code", suggested,
                                              f"{kind};;All files (*)")
        return path or None

    def save(self) -> bool:
        """Ask where, then write the shown code atomically; a failure is a line here."""
        if not self._text:
            return False
        path = self.ask_save_path(self.suggested_path())
        if not path:
            return False
        try:
            write_text(path, self._text)
        except WriteError as exc:
            self.message.setText(f"Not saved: {exc}")
            return False
        remember_dir(path)
        self.message.setText(f"Saved {path}")
        return True


def _hint(target: str, trains: bool) -> str:
    """What to do with the code; --train only when the code has a training loop."""
    if target == "expr":
        return " (the expression language of docs/expression-language.md)"
    return (" (python FILE prints the output, values and gradients as JSON"
            + ("; --train trains)" if trains else ")"))


class CodeExporter:
    """File > Export Code…: the action and the dialog it opens."""

    def __init__(self, shell: Shell, suggested_name: Callable[[], str]) -> None:
        self.shell = shell
        self._suggested_name = suggested_name  # () -> the file's stem ("untitled", ...)
        self.dialog: CodeExportDialog | None = None
        self.action: QAction = make_action(
            shell.widget(), "Export &Code…", self.open_dialog, name="export_code",
            tip="Write the graph as NumPy or PyTorch code, or as an expression program")
        shell.add_action(self.action)

    def open_dialog(self) -> CodeExportDialog | None:
        doc = self.shell.document
        if len(doc.graph) == 0:
            self.shell.show_message("Nothing to export: the graph is empty")
            return None
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = CodeExportDialog(doc, str(self._suggested_name()), self.shell.widget())
        self.dialog.open()  # window-modal, never a nested event loop
        return self.dialog


def install_code_export(shell: Shell, suggested_name: Callable[[], str]) -> CodeExporter:
    """Add File > Export Code… after Export Image; ``suggested_name()`` gives the stem of
    the file name the Save dialog proposes."""
    exporter = CodeExporter(shell, suggested_name)
    menu = shell.menu("file")
    actions = menu.actions()
    anchor = next((a for a in actions if a.objectName() == "action_export_image"), None)
    if anchor is not None and actions.index(anchor) + 1 < len(actions):
        menu.insertAction(actions[actions.index(anchor) + 1], exporter.action)
    else:
        menu.addAction(exporter.action)
    return exporter
