"""The Update tab: w_new = w_old - alpha * dE/dw for every parameter, before it is applied.

The tab only shows the core's :meth:`Stepper.gradient_descent` and asks for the update to be
applied (``apply_requested``); the panel applies it, since that edits the document and moves
the stepper. While the gradients are hidden the table keeps the weights and their values and
writes ``?`` for the gradient and the new value (which would give the gradient away).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.stepper import Stepper, Update
from graphgui.core.values import format_value

from .text import Shown

APPLY_TIP = "w_new = w_old - alpha * dE/dw for every parameter, as one undo step"


class UpdateTab(QWidget):
    apply_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self._last: tuple[Stepper | None, Shown, Sequence[Any]] = (None, Shown(), ())
        self.alpha_spin = QDoubleSpinBox()
        self.alpha_spin.setObjectName("stepperAlpha")
        self.alpha_spin.setDecimals(4)
        self.alpha_spin.setRange(0.0001, 100.0)
        self.alpha_spin.setSingleStep(0.01)
        self.alpha_spin.setValue(0.1)
        self.alpha_spin.setToolTip("The learning rate alpha")
        self.alpha_spin.valueChanged.connect(lambda *_: self.render(*self._last))
        self.apply_button = QPushButton("Apply gradient descent")
        self.apply_button.setObjectName("stepperApply")
        self.apply_button.setToolTip(APPLY_TIP)
        self.apply_button.clicked.connect(lambda *_: self.apply_requested.emit())
        self.hint = QLabel()
        self.hint.setObjectName("stepperUpdateHint")
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("stepperUpdates")
        self.table.setHorizontalHeaderLabels(
            ["weight", "current", "gradient", "w - alpha * dE/dw", "new"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.loss_label = QLabel()
        self.loss_label.setObjectName("stepperLoss")
        self.loss_label.setTextFormat(Qt.RichText)
        self.loss_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("alpha"))
        row.addWidget(self.alpha_spin)
        row.addWidget(self.apply_button)
        row.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(row)
        box.addWidget(self.hint)
        box.addWidget(self.table, 1)
        box.addWidget(self.loss_label)

    @property
    def alpha(self) -> float:
        return self.alpha_spin.value()

    def can_apply(self, st: Stepper | None, shown: Shown) -> bool:
        return st is not None and st.finished and not shown.quiz and not shown.grads_hidden

    def render(self, st: Stepper | None, shown: Shown, loss_history: Sequence[Any] = ()) -> None:
        """Show the update of the finished passes; ``loss_history`` is the output's values
        after each applied update (values, not gradients: shown even when they are hidden)."""
        self._last = (st, shown, loss_history)
        self.apply_button.setEnabled(self.can_apply(st, shown))
        finished = st is not None and st.finished and not shown.quiz
        if not finished:
            self.table.setRowCount(0)
            self.hint.setText("Run the backward pass to the end (Run to End) to see "
                              "w_new = w_old - alpha * dE/dw for every parameter.")
            self.hint.show()
        else:
            updates = st.gradient_descent(self.alpha)
            if not updates:
                self.hint.setText("This graph has no parameters or inputs to update.")
            elif shown.grads_hidden:
                self.hint.setText(f"{shown.hidden_note[:-1]} to see and apply the update.")
            self.hint.setVisible(not updates or shown.grads_hidden)
            self._fill(updates, st, shown)
        if loss_history and st is not None:
            out = st.output_symbol
            chain = " → ".join(format_value(v, shown.precision) for v in loss_history)
            self.loss_label.setText(f"{html.escape(out)}: {html.escape(chain)}")
        else:
            self.loss_label.setText("")

    def _fill(self, updates: list[Update], st: Stepper, shown: Shown) -> None:
        table, alpha, p = self.table, self.alpha, st.precision
        table.setRowCount(len(updates))
        for r, u in enumerate(updates):
            if shown.grads_hidden:
                step = (f"{format_value(u.old, p)} - {format_value(alpha, p)} * "
                        f"d{st.output_symbol}/d{u.name}")
                cells = (u.name, format_value(u.old, p), "?", step, "?")
            else:
                step = u.text(alpha, p).split(": ", 1)[1]
                cells = (u.name, format_value(u.old, p), format_value(u.grad, p), step,
                         format_value(u.new, p))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFont(self._mono)
                if c in (1, 2, 4):
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(r, c, item)

