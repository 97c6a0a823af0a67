"""The Gradient check tab: autodiff against central finite differences for every input and
parameter of the graph (core :func:`~graphgui.core.gradcheck.check_gradients`).

While the gradients are hidden the table keeps the verdicts and relative errors (they tell
whether the rules are right, not what the gradients are) and writes ``?`` for both numbers.
"""

from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.gradcheck import DEFAULT_STEP, GradCheck, check_gradients
from graphgui.core.graph import Graph, GraphError
from graphgui.core.values import format_value

from ...theme import current_theme
from .text import Shown


class CheckTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.graph: Graph | None = None
        self.shown = Shown()
        self.checks: list[GradCheck] = []
        self._filled: tuple[int, bool, int] | None = None  # what the table shows
        self.step_edit = QLineEdit(f"{DEFAULT_STEP:g}")
        self.step_edit.setObjectName("stepperCheckStep")
        self.step_edit.setMaximumWidth(90)
        self.step_edit.setToolTip("h in (f(x + h) - f(x - h)) / 2h")
        self.step_edit.returnPressed.connect(self.run)
        self.button = QPushButton("Check gradients")
        self.button.setObjectName("stepperCheck")
        self.button.setToolTip(
            "Autodiff against central finite differences for every input and parameter")
        self.button.clicked.connect(self.run)
        self.summary = QLabel()
        self.summary.setObjectName("stepperCheckSummary")
        self.summary.setTextFormat(Qt.RichText)
        self.summary.setWordWrap(True)  # a long reason wraps instead of widening the dock
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("stepperCheckTable")
        self.table.setHorizontalHeaderLabels(
            ["node", "autodiff", "finite diff.", "rel. error", "result"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(20)
        row = QHBoxLayout()
        row.addWidget(QLabel("step h"))
        row.addWidget(self.step_edit)
        row.addWidget(self.button)
        row.addWidget(self.summary, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(row)
        box.addWidget(self.table, 1)

    def render(self, graph: Graph | None, usable: bool, shown: Shown) -> None:
        """``graph`` is what a check would check; ``usable``: it can be evaluated."""
        self.graph = graph if usable else None
        self.shown = shown
        self.button.setEnabled(self.graph is not None and len(self.graph) > 0)
        key = (id(self.checks), shown.grads_hidden, shown.precision)
        if self.checks and key != self._filled:
            self._fill()
        elif not self.checks and self._filled is not None:
            self.table.setRowCount(0)
            self.summary.setText("")
            self._filled = None

    def clear(self) -> None:
        """Drop the results (the graph changed: they would be stale)."""
        self.checks = []
        self.render(self.graph, self.graph is not None, self.shown)

    def run(self) -> list[GradCheck]:
        text = self.step_edit.text().strip()
        try:
            step = float(text)
            if not (math.isfinite(step) and step > 0):
                raise ValueError
        except ValueError:
            self.summary.setText(
                f"<span style='color:{current_theme().colors.error}'>The step h must be a "
                f"positive number, not {html.escape(text)!r}</span>")
            return []
        graph = self.graph
        if graph is None:
            return []
        QGuiApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            self.checks = check_gradients(graph, step=step)
        except (ValueError, GraphError) as exc:
            self.checks = []
            self.summary.setText(html.escape(str(exc)))
            return []
        finally:
            QGuiApplication.restoreOverrideCursor()
        self._fill()
        return self.checks

    def _fill(self) -> None:
        colors = current_theme().colors
        table, p, hidden = self.table, self.shown.precision, self.shown.grads_hidden
        self._filled = (id(self.checks), hidden, p)
        table.setRowCount(len(self.checks))
        for r, c in enumerate(self.checks):
            numbers = ("?", "?") if hidden else (format_value(c.autodiff, p),
                                                 format_value(c.numeric, p))
            cells = (c.name, *numbers, f"{c.rel_error:.2e}", "✓ pass" if c.passed else "✗ FAIL")
            for k, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if k in (1, 2, 3):
                    item.setFont(self._mono)
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                if k == 4:
                    color = QColor(colors.value if c.passed else colors.error)
                    item.setForeground(QBrush(color))
                    back = QColor(color)
                    back.setAlpha(40)
                    item.setBackground(QBrush(back))
                    item.setTextAlignment(Qt.AlignCenter)
                table.setItem(r, k, item)
        failed = sum(not c.passed for c in self.checks)
        if failed:
            text = (f"<span style='color:{colors.error}'><b>{failed} of {len(self.checks)} "
                    "fail</b></span>")
        else:
            text = (f"<span style='color:{colors.value}'><b>all {len(self.checks)} pass</b>"
                    "</span>")
        if hidden:
            text += f" <span style='color:{colors.muted}'>(gradients hidden)</span>"
        self.summary.setText(text)
