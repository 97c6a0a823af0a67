"""The step log tab: one row per (backward step, input), exported as CSV or Markdown.

The rows are the core's :meth:`Stepper.log_rows`; while the gradients are hidden they are
the same rows with ``?`` for every gradient (see :func:`hidden_rows`), and an export writes
what is shown, so a teacher can hand out the worksheet. Files are written through the app's
one atomic writer.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFontDatabase, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.explain import LOG_HEADER, LogRow, csv_table, markdown_table, symbol
from graphgui.core.stepper import Stepper

from ...atomic import WriteError, write_text
from .text import Shown

LOG_COLUMN_MAX = 560  # px; only a longer cell is elided (its full text is in the tooltip)
HIDDEN = "?"


def hidden_rows(st: Stepper) -> list[LogRow]:
    """The log up to the current position with every gradient hidden: which gradient each
    row computes and the local derivative's formula, ``?`` for the numbers."""
    rows = []
    for ex in st.backward_steps[: st.position.backward]:
        node = symbol(st.program, ex.node_id)
        for t in ex.terms:
            rows.append(LogRow(ex.number, node, t.gradient, f"{t.local} = {t.local_formula}",
                               f"{t.upstream} = {HIDDEN}", HIDDEN, HIDDEN))
    return rows


class LogModel(QAbstractTableModel):
    """The step log: one row per (backward step, input), as ``Stepper.log_rows`` gives."""

    NUMERIC = {0, 5, 6}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LogRow] = []
        self.mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)

    def set_rows(self, rows: list[LogRow]) -> None:
        """Show ``rows``; a step adds or removes rows at the end, so only those change."""
        old = self.rows
        n, m = len(old), len(rows)
        if m > n and rows[:n] == old:
            self.beginInsertRows(QModelIndex(), n, m - 1)
            self.rows = rows
            self.endInsertRows()
        elif m < n and old[:m] == rows:
            self.beginRemoveRows(QModelIndex(), m, n - 1)
            self.rows = rows
            self.endRemoveRows()
        elif rows != old:
            self.beginResetModel()
            self.rows = rows
            self.endResetModel()

    def cell(self, row: int, column: int) -> str:
        return self.rows[row].cells[column]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(LOG_HEADER)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if role in (Qt.DisplayRole, Qt.ToolTipRole):  # the tooltip shows elided text whole
            return self.cell(index.row(), index.column())
        if role == Qt.TextAlignmentRole and index.column() in self.NUMERIC:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.FontRole:
            return self.mono
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.DisplayRole) -> Any:
        if orientation != Qt.Horizontal:
            return None
        if role == Qt.DisplayRole:
            return LOG_HEADER[section]
        if role == Qt.ToolTipRole and section == 0:
            return ("Each node's step in the whole backward pass, every function opened "
                    "(above, \u2018Backward step 3 of 5\u2019 counts a closed function as "
                    "one step)")
        return None


class LogTab(QWidget):
    """The table and its export buttons. ``message`` is the shell's status line."""

    def __init__(self, message: Callable[[str], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message = message
        self.model = LogModel(self)
        self.view = QTableView()
        self.view.setObjectName("stepperLog")
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.setTextElideMode(Qt.ElideMiddle)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        # Every column as wide as its texts (the log scrolls sideways if it must); the last
        # one must not swallow the spare width while the expressions are elided.
        header.setStretchLastSection(False)
        # Shown as step, node, gradient, contribution, total, local derivative, upstream: the
        # numbers stay in view in a narrow dock; the long expressions follow (exports keep
        # the core's column order).
        header.moveSection(LOG_HEADER.index("contribution"), LOG_HEADER.index("local derivative"))
        header.moveSection(LOG_HEADER.index("total"), LOG_HEADER.index("upstream"))
        # Short labels: the tab keeps a small minimum width beside the text column.
        self.export_csv_button = QPushButton("CSV…")
        self.export_md_button = QPushButton("Markdown…")
        self.copy_md_button = QPushButton("Copy")
        self.export_csv_button.setObjectName("stepperExportCsv")
        self.export_md_button.setObjectName("stepperExportMarkdown")
        self.copy_md_button.setObjectName("stepperCopyMarkdown")
        self.export_csv_button.clicked.connect(lambda: self.export("csv"))
        self.export_md_button.clicked.connect(lambda: self.export("md"))
        self.copy_md_button.clicked.connect(self.copy_markdown)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Export"))
        for b in (self.export_csv_button, self.export_md_button, self.copy_md_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.view, 1)
        box.addLayout(buttons)

    def render(self, st: Stepper | None, shown: Shown) -> None:
        if shown.quiz or st is None:
            rows: list[LogRow] = []  # the log would give the quiz's answers away
        else:
            rows = hidden_rows(st) if shown.grads_hidden else st.log_rows()
        if rows != self.model.rows:
            self.model.set_rows(rows)
            self.fit_columns()  # also when emptied: no widths left from another graph
            if rows:
                self.view.scrollToBottom()
        for b in (self.export_csv_button, self.export_md_button, self.copy_md_button):
            b.setEnabled(bool(rows))
        note = " (the gradients are hidden: ? in their place)" if shown.grads_hidden else ""
        self.export_csv_button.setToolTip(f"Save the step log as a CSV file{note}")
        self.export_md_button.setToolTip(f"Save the step log as a Markdown table{note}")
        self.copy_md_button.setToolTip(f"Copy the step log as a Markdown table{note}")

    def column_widths(self) -> list[int]:
        """Each column as wide as its longest text (up to LOG_COLUMN_MAX): the expressions
        are what the log is read for, so none is cut while a number column has room.

        Measured from the strings, not by resizeColumnsToContents (which asks the view for
        every cell: 0.9 s per step for a 2000-node graph): a few longest texts per column
        in the log's fixed-width font."""
        metrics = QFontMetrics(self.model.mono)
        header = QFontMetrics(self.view.horizontalHeader().font())
        columns = list(zip(*(row.cells for row in self.model.rows), strict=True)) or \
            [()] * len(LOG_HEADER)
        widths = []
        for title, texts in zip(LOG_HEADER, columns, strict=True):
            longest = heapq.nlargest(4, texts, key=len)
            width = max([metrics.horizontalAdvance(t) for t in longest]
                        + [header.horizontalAdvance(title) + 8])
            widths.append(min(LOG_COLUMN_MAX, width + 18))
        return widths

    def fit_columns(self) -> None:
        for c, width in enumerate(self.column_widths()):
            self.view.setColumnWidth(c, width)

    # ---- export --------------------------------------------------------------------------

    def ask_export_path(self, kind: str) -> str | None:
        """Where to write the step log (tests replace this method)."""
        caption = "Export step log as CSV" if kind == "csv" else "Export step log as Markdown"
        filt = "CSV (*.csv)" if kind == "csv" else "Markdown (*.md)"
        path, _ = QFileDialog.getSaveFileName(self, caption, f"step-log.{kind}", filt)
        return path or None

    def export(self, kind: str) -> str | None:
        """Write the rows shown as ``csv`` or ``md``; returns the path written."""
        rows = self.model.rows
        if not rows:
            return None
        path = self.ask_export_path(kind)
        if not path:
            return None
        try:
            write_text(path, csv_table(rows) if kind == "csv" else markdown_table(rows))
        except WriteError as exc:
            self.message(f"Cannot export the step log: {exc.reason}")
            return None
        self.message(f"Step log written to {path}")
        return path

    def copy_markdown(self) -> None:
        if not self.model.rows:
            return
        QGuiApplication.clipboard().setText(markdown_table(self.model.rows))
        self.message("Step log copied as a Markdown table")
