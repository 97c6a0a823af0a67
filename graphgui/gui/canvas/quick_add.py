"""The quick-add box (double-click on empty canvas or Tab): type to filter ops, Enter adds."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from graphgui.core.ops import all_ops

from ..palette import op_search_text


class QuickAdd(QFrame):
    """A popup with a search field and the matching ops; ``chosen(op_name)`` on Enter/click."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.Popup)
        self.setObjectName("quickAdd")
        self.setFrameShape(QFrame.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add node: type a name…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        for spec in all_ops():
            item = QListWidgetItem(f"{spec.name}   {spec.label}   · {spec.category}")
            item.setData(Qt.UserRole, spec.name)
            item.setData(Qt.UserRole + 1, op_search_text(spec))
            item.setToolTip(spec.tooltip())
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._activate)
        self.list.itemClicked.connect(self._activate)
        self.resize(300, 320)

    def popup_at(self, global_pos: QPoint) -> None:
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        first = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            hay = item.data(Qt.UserRole + 1)
            hidden = not all(w in hay for w in words)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        # Exact name first: typing "exp" should not pick "expm1"-like neighbours.
        exact = [
            self.list.item(r) for r in range(self.list.count())
            if not self.list.item(r).isHidden() and self.list.item(r).data(Qt.UserRole) == text
        ]
        self.list.setCurrentItem(exact[0] if exact else first)

    def visible_ops(self) -> list[str]:
        return [
            self.list.item(r).data(Qt.UserRole)
            for r in range(self.list.count())
            if not self.list.item(r).isHidden()
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.KeyPress:
            key = event.key()
            if key in (Qt.Key_Down, Qt.Key_Up):
                self._step(1 if key == Qt.Key_Down else -1)
                return True
            if key in (Qt.Key_Return, Qt.Key_Enter):
                item = self.list.currentItem()
                if item is not None and not item.isHidden():
                    self._activate(item)
                return True
            if key == Qt.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)

    def _step(self, delta: int) -> None:
        rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        idx = rows.index(current) if current in rows else -1
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, idx + delta))])

    def _activate(self, item: QListWidgetItem) -> None:
        op = item.data(Qt.UserRole)
        self.close()
        self.chosen.emit(op)
