"""The expression bar above the canvas: type ``f = (x + y) * z``, press Enter, and the
parsed, laid-out graph is inserted to the right of the existing nodes as one undo step.
A refused program shows its one-line error in red under the field; the text stays."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from graphgui.core.expr import ExprError, parse
from graphgui.core.graph import GraphError

from .placement import beside_offset


def one_line(program: str) -> str:
    """A program of several lines as the one line the bar holds: statements joined by
    ``; ``, a ``def``'s body on its header's line (a one-line def ends at its return, see
    docs/expression-language.md). Blank lines and comments are left out."""
    parts: list[str] = []
    for raw in program.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if parts and parts[-1].endswith(":"):
            parts[-1] = f"{parts[-1]} {line}"
        else:
            parts.append(line)
    return "; ".join(parts)


class ExpressionLine(QLineEdit):
    """A line edit with Up/Down history of the programs inserted in this session."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: list[str] = []
        self._at = 0

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._at = len(self.history)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.Paste):  # a program of several lines: made one line
            text = QGuiApplication.clipboard().text()
            if "\n" in text:
                self.insert(one_line(text))
                return
        if event.key() in (Qt.Key_Up, Qt.Key_Down) and self.history:
            step = -1 if event.key() == Qt.Key_Up else 1
            self._at = max(0, min(len(self.history), self._at + step))
            self.setText(self.history[self._at] if self._at < len(self.history) else "")
            return
        super().keyPressEvent(event)


class ExpressionBar(QWidget):
    """Emits ``inserted(node_ids)`` after a successful insert."""

    inserted = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("expressionBar")
        self.document = None  # set by the window
        self.on_inserted: Callable[[list[str]], None] | None = None
        # (typed name, name given) of the last insert's nodes whose name was taken already
        self.renamed: list[tuple[str, str]] = []
        prompt = QLabel("ƒ")
        prompt.setObjectName("expressionPrompt")
        prompt.setStyleSheet("font-style: italic; font-weight: bold; font-size: 13pt;")
        self.edit = ExpressionLine(self)
        self.edit.setObjectName("expressionEdit")
        self.edit.setPlaceholderText(
            "Type an expression and press Enter, e.g.  f = (x + y) * z   or   "
            "h = tanh(W @ x + b); L = mse(h, t)"
        )
        self.edit.setClearButtonEnabled(True)
        self.error = QLabel(self)
        self.error.setObjectName("expressionError")
        self.error.setStyleSheet("color: #d32f2f;")
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(prompt)
        row.addWidget(self.edit, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.setSpacing(2)
        box.addLayout(row)
        box.addWidget(self.error)
        self.edit.returnPressed.connect(self.submit)
        self.edit.textEdited.connect(self._clear_error)

    def _clear_error(self) -> None:
        if self.error.isVisible():
            self.error.hide()
            self.edit.setStyleSheet("")

    def show_error(self, message: str) -> None:
        # One line: long messages are elided in the label but complete in its tooltip.
        line = message.splitlines()[0] if message else ""
        self.error.setText(line)
        self.error.setToolTip(message)
        self.error.show()
        self.edit.setStyleSheet("QLineEdit { border: 1px solid #d32f2f; }")

    def submit(self) -> list[str]:
        """Parse and insert the typed program; returns the new node ids ([] on error)."""
        text = self.edit.text().strip()
        doc = self.document
        if not text or doc is None:
            return []
        try:
            sub = parse(text)
        except ExprError as exc:
            self.show_error(str(exc))
            return []
        offset = beside_offset(doc.graph, sub)
        try:
            ids = doc.insert_graph(sub, offset, text=f"Insert {_short(text)}", take_output=True)
        except GraphError as exc:
            self.show_error(str(exc))
            return []
        typed = [node.name for node in sub.nodes]
        given = [doc.graph.node(nid).name for nid in ids]
        self.renamed = [(a, b) for a, b in zip(typed, given, strict=False) if a and a != b]
        self.edit.remember(text)
        self.edit.clear()
        self._clear_error()
        self.inserted.emit(ids)
        return ids


    def inserted_message(self, ids: list[str]) -> str:
        """What the status bar says of the last insert: how many nodes, and what the ones
        whose typed name was taken are called (new nodes beside the old, not the old
        ones rewired)."""
        message = f"Inserted {len(ids)} nodes"
        renamed = self.renamed
        if renamed:
            message += ("; taken names, so: "
                        + ", ".join(f"{typed} is {given}" for typed, given in renamed[:4])
                        + (f" (+{len(renamed) - 4} more)" if len(renamed) > 4 else ""))
        return message


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
