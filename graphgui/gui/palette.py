"""The palette: every registered op, grouped by category, searchable, draggable onto the
canvas (custom MIME type carrying the op name). Built from the op registry, so a new op
appears here without any GUI change."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from graphgui.core.functions import FunctionDef
from graphgui.core.ops import all_ops
from graphgui.core.ops.registry import CATEGORIES, OpSpec

from .theme import CATEGORY_COLORS

OP_MIME = "application/x-graphgui-op"
FUNCTION_PREFIX = "function:"  # canvas/view.py reads it back
FUNCTIONS_SECTION = "Functions"
FUNCTION_CATEGORY = "Function"
OP_ROLE = Qt.UserRole + 1
SEARCH_ROLE = Qt.UserRole + 2


def op_search_text(spec: OpSpec) -> str:
    """What a search matches: name, label, aliases, category and description."""
    return " ".join((spec.name, spec.label, *spec.aliases, spec.category, spec.doc)).lower()


def category_icon(category: str, size: int = 12, ratio: float = 2.0) -> QIcon:
    """A small rounded swatch in the category colour, drawn at high-DPI resolution."""
    pix = QPixmap(int(size * ratio), int(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(Qt.NoPen)
    p.setBrush(QColor(CATEGORY_COLORS.get(category, "#64748b")))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
    p.end()
    return QIcon(pix)


def _section(title: str, category: str) -> QStandardItem:
    """A heading row of the tree (not draggable, not selectable) in a category's colour."""
    item = QStandardItem(title)
    item.setEditable(False)
    item.setDragEnabled(False)
    item.setSelectable(False)
    item.setIcon(category_icon(category))
    item.setData(title.lower(), SEARCH_ROLE)
    return item


class OpModel(QStandardItemModel):
    """Categories with their ops; op rows drag as OP_MIME data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        cats = {cat: _section(cat, cat) for cat in CATEGORIES}
        for spec in all_ops():
            row = QStandardItem(f"{spec.name}    {spec.label}" if spec.label != spec.name
                                else spec.name)
            row.setEditable(False)
            row.setData(spec.name, OP_ROLE)
            row.setData(op_search_text(spec), SEARCH_ROLE)
            row.setToolTip(spec.tooltip())
            cats[spec.category].appendRow(row)
        for cat in CATEGORIES:
            if cats[cat].rowCount():
                self.appendRow(cats[cat])
        self.functions: QStandardItem | None = None

    def set_functions(self, definitions: Sequence[FunctionDef]) -> None:
        """The "Functions" section: the graph's function definitions (hidden when none)."""
        if self.functions is not None:
            self.removeRow(self.functions.row())
            self.functions = None
        if not definitions:
            return
        section = _section(FUNCTIONS_SECTION, FUNCTION_CATEGORY)
        for definition in definitions:
            row = QStandardItem(definition.signature)
            row.setEditable(False)
            row.setData(f"{FUNCTION_PREFIX}{definition.name}", OP_ROLE)
            row.setData(f"{definition.signature} function {definition.doc}".lower(), SEARCH_ROLE)
            row.setToolTip(
                f"{definition.signature}: a function of {definition.size} nodes"
                + (f"\n{definition.doc}" if definition.doc else "")
                + "\nDouble-click or drag it onto the canvas to add a new instance; wire its "
                "inputs."
            )
            section.appendRow(row)
        self.insertRow(0, section)
        self.functions = section

    def mimeTypes(self) -> list[str]:
        return [OP_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        ops = [i.data(OP_ROLE) for i in indexes if i.data(OP_ROLE)]
        if ops:
            mime.setData(OP_MIME, ops[0].encode("utf-8"))
            mime.setText(ops[0])
        return mime

    def index_of(self, op: str) -> QModelIndex:
        for r in range(self.rowCount()):
            cat = self.item(r)
            for k in range(cat.rowCount()):
                if cat.child(k).data(OP_ROLE) == op:
                    return cat.child(k).index()
        return QModelIndex()


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.setRecursiveFilteringEnabled(True)

    def set_text(self, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter is deprecated
            self.beginFilterChange()
            self.words = text.lower().split()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.words = text.lower().split()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        if not self.words:
            return True
        index = self.sourceModel().index(row, 0, parent)
        if not index.data(OP_ROLE):
            return False  # categories show when a child matches (recursive filtering)
        hay = index.data(SEARCH_ROLE) or ""
        return all(w in hay for w in self.words)


class Palette(QWidget):
    """Search field + op tree. ``op_activated(name)`` on double-click or Enter."""

    op_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        self.search = QLineEdit(self)
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search ops…")
        self.search.setClearButtonEnabled(True)
        self.model = OpModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.tree = QTreeView(self)
        self.tree.setObjectName("paletteTree")
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setAnimated(False)
        self.tree.setIndentation(14)
        self.tree.expandAll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.activated.connect(self._activate)

    def _filter(self, text: str) -> None:
        self.proxy.set_text(text)
        self.tree.expandAll()

    def _activate(self, index: QModelIndex) -> None:
        op = index.data(OP_ROLE)
        if op:
            self.op_activated.emit(op)

    def _activate_first(self) -> None:
        ops = self.visible_ops()
        if ops:
            self.op_activated.emit(ops[0])

    def visible_ops(self) -> list[str]:
        result = []
        for r in range(self.proxy.rowCount()):
            cat = self.proxy.index(r, 0)
            for k in range(self.proxy.rowCount(cat)):
                result.append(self.proxy.index(k, 0, cat).data(OP_ROLE))
        return result

    def set_functions(self, definitions: Sequence[FunctionDef]) -> None:
        self.model.set_functions(definitions)
        self.tree.expandAll()

    def mime_data(self, op: str) -> QMimeData:
        """The very data a drag of ``op`` carries (what the tree's drag would send)."""
        return self.model.mimeData([self.model.index_of(op)])
