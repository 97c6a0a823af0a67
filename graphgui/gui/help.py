"""Help > Keyboard Shortcuts (built from the window's actions) and Help > About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QMainWindow,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

GESTURES = [
    ("Add node at the cursor", "Tab / double-click the canvas"),
    ("Pan", "Middle drag, Space+drag"),
    ("Zoom to the cursor", "Wheel"),
    ("Add to the selection", "Ctrl+click"),
    ("Edit a source value", "Double-click its value"),
]


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(action, keys) for the Help table: each action once, under its plain name (the undo
    action's menu text names the last edit)."""
    rows = []
    seen = set()
    for act in window.actions():
        keys = ", ".join(s.toString(QKeySequence.NativeText) for s in act.shortcuts())
        plain = {"action_undo": "Undo", "action_redo": "Redo"}.get(act.objectName())
        name = plain or act.text().replace("&", "").rstrip("…")
        if keys and name not in seen:
            seen.add(name)
            rows.append((name, keys))
    return rows + GESTURES


def show_shortcuts(window: QMainWindow) -> QDialog:
    dialog = QDialog(window)
    dialog.setObjectName("shortcutsDialog")
    dialog.setWindowTitle("Keyboard Shortcuts")
    rows = shortcut_rows(window)
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


def show_about(window: QMainWindow) -> None:
    from graphgui import __version__

    QMessageBox.about(
        window, "About graphgui",
        f"<b>graphgui {__version__}</b><p>A computational-graph editor for learning, "
        "teaching and debugging backpropagation.</p>",
    )
