"""The table of paths: one row per path (largest |product| first), the sums at the bottom.

Rows are numbered (1, 2, ...; the sums ``Σ``). Columns: the path (``x → q → f``, written out
whole: a long one wraps onto more lines, so paths that differ only in the middle can be told
apart), its factors (``1 × -4``, one line) and their product. Hovering a factor shows what it
is (``q → f: df/dq = z = -4``); hovering the path shows every factor's formula. The last rows
add the products up: the sum over every path is the gradient.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QHelpEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QWidget,
)

from graphgui.core.autodiff.pathsum import Path, PathSum
from graphgui.core.values import format_value

PATH, FACTORS, PRODUCT = range(3)
FACTOR_TIPS = Qt.UserRole + 1  # [(factor text, tooltip)] of a row's factors cell
SEPARATOR = " × "
ARROW = " → "
TERMS_SHOWN = 8  # the sum row writes its terms out up to this many paths
FACTORS_SHARE = 0.3  # of the table's width (less the products'): one elided line of factors


def number(x: float, precision: int = 4) -> str:
    """A factor as written in a product: negative ones in parentheses."""
    text = format_value(float(x), precision)
    return f"({text})" if text.startswith("-") else text


def path_text(path: Path) -> str:
    return ARROW.join(path.nodes)


def factor_tips(path: Path, precision: int = 4) -> list[tuple[str, str]]:
    """(factor as written, what it is) for each factor: the wire and its local derivative,
    e.g. ``("2", "c → e: de/dc = d = 2")``."""
    tips = []
    for k, (factor, formula) in enumerate(zip(path.factors, path.formulas, strict=True)):
        value = format_value(float(factor), precision)
        wire = f"{path.nodes[k]}{ARROW}{path.nodes[k + 1]}"
        said = f"{formula}; here {value}" if ":" in formula else f"{formula} = {value}"
        tips.append((number(factor, precision), f"{wire}: {said}"))
    return tips


def sum_rows(result: PathSum, precision: int = 4) -> list[tuple[str, str, str, str]]:
    """(path column, factors column, product column, tooltip) of the rows under the paths."""
    n, count = len(result.paths), result.count
    p = precision
    total, grad = format_value(result.sum, p), format_value(result.gradient, p)
    grad_tip = (f"The backward pass computes d{result.output}/d{result.wrt} = {grad}: "
                "the same number, the sum factored (see where paths split).")
    if count == 0:
        return [(f"No path from {result.wrt} to {result.output}", "", "0", grad_tip)]
    rows = []
    if result.truncated:
        listed = format_value(result.listed_sum, p)
        rows.append((f"Sum of the {n:,} paths listed", "", listed,
                     f"The {n:,} largest of {count:,} paths add up to {listed}."))
        return [*rows, (f"Sum over all {count:,} paths", f"= backward pass: {grad}", total,
                        grad_tip)]
    terms = " + ".join(number(path.product, p) for path in result.paths)
    shown = terms if n <= TERMS_SHOWN else ""
    plural = "the one path" if count == 1 else f"all {count:,} paths"
    return [(f"Sum of {plural}", shown, total, f"{terms} = {total}\n{grad_tip}")]


class PathDelegate(QStyledItemDelegate):
    """A long path is written out whole, wrapped at its arrows (its row as tall as it
    needs); cut at the end only if a row could not grow."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt)
                        index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        option.features |= QStyleOptionViewItem.WrapText
        option.textElideMode = Qt.ElideRight


class FactorDelegate(QStyledItemDelegate):
    """Tooltips for one factor at a time: the factor under the mouse in the factors cell
    (one line, never wrapped: the tooltips are found by position along it)."""

    def initStyleOption(self, option: QStyleOptionViewItem,  # noqa: N802 (Qt)
                        index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.WrapText

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView,  # noqa: N802 (Qt)
                  option: QStyleOptionViewItem, index: QModelIndex) -> bool:
        tips = index.data(FACTOR_TIPS)
        if event is None or event.type() != QEvent.ToolTip or not tips:
            return super().helpEvent(event, view, option, index)
        tip = factor_at(tips, event.pos().x() - option.rect.left() - text_margin(view),
                        option.fontMetrics)
        if tip:
            QToolTip.showText(event.globalPos(), tip, view)
        else:
            QToolTip.hideText()
        return True


def text_margin(widget: QWidget) -> int:
    """Where an item view starts drawing a cell's text, from the cell's left edge."""
    return widget.style().pixelMetric(QStyle.PM_FocusFrameHMargin, None, widget) + 1


def factor_at(tips: list[tuple[str, str]], x: float, fm: Any) -> str:
    """The tooltip of the factor written at ``x`` pixels into ``SEPARATOR.join(factors)``
    (a point on a separator belongs to the nearer factor)."""
    if x < 0:
        return ""
    start = 0.0
    for k, (text, tip) in enumerate(tips):
        end = start + fm.horizontalAdvance(text)
        last = k == len(tips) - 1
        if x <= end + (0 if last else fm.horizontalAdvance(SEPARATOR) / 2):
            return tip
        start = end + fm.horizontalAdvance(SEPARATOR)
    return ""


class PathTable(QTableWidget):
    """The paths of one :class:`PathSum` and their sums (rows ``0..len(paths)-1`` are the
    paths; the rest are sum rows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setObjectName("pathsTable")
        self.setHorizontalHeaderLabels(["Path", "Factors", "Product"])
        self.horizontalHeaderItem(FACTORS).setToolTip(
            "The local derivative on each wire of the path (hover one for its formula)")
        self.horizontalHeaderItem(PRODUCT).setToolTip("The factors multiplied")
        rows = self.verticalHeader()  # the rows' numbers
        rows.setSectionResizeMode(QHeaderView.Fixed)  # as tall as their path (fit_rows)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 6)
        rows.setDefaultAlignment(Qt.AlignRight | Qt.AlignTop)
        header = self.horizontalHeader()
        header.setSectionResizeMode(PATH, QHeaderView.Stretch)
        header.setSectionResizeMode(FACTORS, QHeaderView.Interactive)  # FACTORS_SHARE
        header.setSectionResizeMode(PRODUCT, QHeaderView.ResizeToContents)
        header.setHighlightSections(False)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setWordWrap(True)  # the path column's (the factors' delegate keeps one line)
        self.setTextElideMode(Qt.ElideRight)  # factors keep their place (their tooltips)
        self.setItemDelegateForColumn(PATH, PathDelegate(self))
        self.setItemDelegateForColumn(FACTORS, FactorDelegate(self))
        self.path_count = 0
        self._fit_timer = QTimer(self)  # rows fitted again once a resize is over
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_rows)
        header.sectionResized.connect(self._on_section_resized)

    def show_result(self, result: PathSum | None, precision: int = 4) -> None:
        self.clearSelection()
        self.setRowCount(0)
        self.path_count = 0
        if result is None:
            return
        sums = sum_rows(result, precision)
        self.path_count = len(result.paths)
        self.setRowCount(len(result.paths) + len(sums))
        for row, path in enumerate(result.paths):
            tips = factor_tips(path, precision)
            formulas = "\n".join(tip for _, tip in tips)
            whole = path_text(path)
            self._put(row, PATH, whole, f"{whole}\n\n{formulas}")
            factors = self._put(row, FACTORS, SEPARATOR.join(t for t, _ in tips) or "1",
                                formulas)
            factors.setData(FACTOR_TIPS, tips)
            self._put(row, PRODUCT, format_value(path.product, precision),
                      f"the product of the {len(tips)} factors")
        bold = QFont(self.font())
        bold.setBold(True)
        for k, (text, terms, total, tip) in enumerate(sums):
            row = len(result.paths) + k
            for column, cell in ((PATH, text), (FACTORS, terms), (PRODUCT, total)):
                item = self._put(row, column, cell, tip)
                item.setFont(bold)
        self.setVerticalHeaderLabels([str(k + 1) for k in range(self.path_count)]
                                     + ["Σ"] * len(sums))
        self.fit_rows()

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        if column == PATH:
            self._fit_timer.start()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit_timer.start()

    def fit_rows(self) -> None:
        """The factors take ``FACTORS_SHARE`` of the width (the path the rest: fewer lines),
        and each row is as tall as its path wrapped at the path column's width."""
        header = self.horizontalHeader()
        room = self.viewport().width() - header.sectionSize(PRODUCT)
        want = max(header.sectionSizeFromContents(FACTORS).width(), int(room * FACTORS_SHARE))
        if header.sectionSize(FACTORS) != want:
            header.resizeSection(FACTORS, want)
        self.resizeRowsToContents()

    def _put(self, row: int, column: int, text: str, tip: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setToolTip(tip)
        if column == PRODUCT:
            item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.setItem(row, column, item)
        return item

    def selected_row(self) -> int | None:
        rows = {index.row() for index in self.selectedIndexes()}
        return min(rows) if rows else None
