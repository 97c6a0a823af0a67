"""File > Export Code…: the real action opens a window-modal dialog (open(), not exec());
its target selector, read-only monospace preview, Copy and Save… are driven as a user
would, the Save question through the dialog's ask_save_path seam."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from gui_helpers import open_example_from_menu
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontDatabase, QGuiApplication
from PySide6.QtTest import QTest

from graphgui.core.codegen import export_code
from graphgui.core.expr import parse
from graphgui.gui.files.code_export import CodeExportDialog


def action(window: Any) -> QAction:
    found = window.findChild(QAction, "action_export_code")
    assert found is not None
    return found


def open_dialog(window: Any, qtbot: Any) -> CodeExportDialog:
    action(window).trigger()
    dialog = window.file_controller.code_export.dialog
    assert isinstance(dialog, CodeExportDialog)
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def test_the_action_sits_after_export_image_with_its_own_key(window: Any) -> None:
    names = [a.objectName() for a in window.menu("file").actions()]
    assert names.index("action_export_code") == names.index("action_export_image") + 1
    assert action(window).shortcut().toString() == "Ctrl+Shift+E"
    assert action(window).text() == "Export &Code…"


def test_an_empty_graph_opens_no_dialog(window: Any) -> None:
    action(window).trigger()
    assert window.file_controller.code_export.dialog is None
    assert "empty" in window.statusBar().currentMessage()


def test_preview_targets_copy_and_save(window: Any, qtbot: Any, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    doc = open_example_from_menu(window, "moons_network")
    dialog = open_dialog(window, qtbot)
    assert dialog.windowModality() == Qt.WindowModal
    assert dialog.preview.isReadOnly()
    fixed = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    assert dialog.preview.font().family() == fixed.family()
    # NumPy first: the notebook-style module, with the training loop of the example
    numpy_code = export_code(doc.graph, doc.settings, "numpy")
    assert dialog.preview.toPlainText() == numpy_code
    assert "def backward(values):" in numpy_code and "def train(" in numpy_code
    # the selector, driven from the keyboard
    dialog.target_box.setFocus()
    QTest.keyClick(dialog.target_box, Qt.Key_Down)
    assert dialog.target == "torch"
    assert dialog.preview.toPlainText() == export_code(doc.graph, doc.settings, "torch")
    assert "class Model(nn.Module):" in dialog.preview.toPlainText()
    QTest.keyClick(dialog.target_box, Qt.Key_Down)
    assert dialog.target == "expr"
    program = dialog.preview.toPlainText()
    assert program == export_code(doc.graph, None, "expr")
    assert parse(program).find("W1") is not None
    # Copy
    qtbot.mouseClick(dialog.copy_button, Qt.LeftButton)
    assert QGuiApplication.clipboard().text() == program
    assert dialog.message.text() == "Copied to the clipboard"
    # Save…: the question is the seam; the file is written atomically
    asked: list[str] = []
    target = tmp_path / "moons.txt"

    def answer(suggested: str) -> str:
        asked.append(suggested)
        return str(target)

    monkeypatch.setattr(dialog, "ask_save_path", answer)
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    assert target.read_text() == program
    assert os.path.basename(asked[0]) == "moons_network.txt"
    assert dialog.message.text() == f"Saved {target}"
    # a cancelled question writes nothing; a folder is refused with a line in the dialog
    monkeypatch.setattr(dialog, "ask_save_path", lambda suggested: None)
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    monkeypatch.setattr(dialog, "ask_save_path", lambda suggested: str(tmp_path))
    qtbot.mouseClick(dialog.save_button, Qt.LeftButton)
    assert dialog.message.text().startswith("Not saved: cannot write")
    assert "is a folder" in dialog.message.text()
    qtbot.mouseClick(dialog.close_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_a_graph_a_target_cannot_write_says_why(window: Any, qtbot: Any) -> None:
    g = parse("x = 1; f = x * 2")
    g.set_value(g.find("x").id, float("nan"))
    window.document.set_clean()
    from graphgui.gui.document import Document

    window.set_document(Document(g))
    dialog = open_dialog(window, qtbot)
    assert "def forward(x):" in dialog.preview.toPlainText()  # NumPy writes nan as np.nan
    dialog.target_box.setCurrentIndex(2)  # Expression
    assert dialog.preview.toPlainText() == ""
    assert "cannot write the value nan" in dialog.message.text()
    assert not dialog.copy_button.isEnabled() and not dialog.save_button.isEnabled()
    QTest.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_the_hint_mentions_train_only_when_there_is_a_training_loop(window: Any,
                                                                    qtbot: Any) -> None:
    open_example_from_menu(window, "moons_network")
    dialog = open_dialog(window, qtbot)
    assert "--train trains" in dialog.message.text()
    QTest.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    open_example_from_menu(window, "chain_rule")
    dialog = open_dialog(window, qtbot)
    assert "lines of NumPy code" in dialog.message.text()
    assert "--train" not in dialog.message.text() and "--train" not in dialog.code()
    QTest.keyClick(dialog, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
