"""The dock's left column: where the stepper is, a message line, the step text, the options.

Its layout holds still while stepping: the position line never asks for more width (it is
elided), the message line's height is always that of its lines (so a long exercise notice
makes the dock taller instead of covering the options row), and the text box, which
scrolls, is what gives way, down to :data:`TEXT_LINES` lines.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...theme import current_theme
from .widgets import ElidedLabel, FittedLabel

TEXT_LINES = 4  # the step text keeps at least this many lines when the dock is short


class TextColumn(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepperTextColumn")
        colors = current_theme().colors
        mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.position_label = ElidedLabel()
        self.position_label.setObjectName("stepperPosition")
        bold = QFont(self.position_label.font())
        bold.setBold(True)
        self.position_label.setFont(bold)
        self.progress = QProgressBar()  # a thin bar under the position line
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(4)
        self.message_kind = ""  # "error", "warning", "info" or "" (hidden)
        self.message_label = FittedLabel()
        self.message_label.setObjectName("stepperMessage")
        self.message_label.setTextFormat(Qt.RichText)
        self.message_label.hide()
        # The style's own icons: a glyph such as U+24D8 is missing from common fonts.
        self.message_icon = QLabel()
        self.message_icon.setObjectName("stepperMessageIcon")
        self.message_icon.hide()
        self.step_view = QTextBrowser()
        self.step_view.setObjectName("stepperText")
        self.step_view.setOpenLinks(False)
        self.step_view.setMinimumHeight(
            TEXT_LINES * self.step_view.fontMetrics().lineSpacing() + 12)
        self.step_view.document().setDefaultStyleSheet(
            f".muted {{ color: {colors.muted}; }} .value {{ color: {colors.value}; }} "
            f".grad {{ color: {colors.grad}; }} .error {{ color: {colors.error}; }} "
            f".eq {{ font-family: '{mono.family()}'; }}"
        )
        self.precision_spin = QSpinBox()
        self.precision_spin.setObjectName("stepperPrecision")
        self.precision_spin.setRange(1, 12)
        self.precision_spin.setValue(4)
        self.precision_spin.setToolTip("Significant digits of the numbers shown")
        self.quiz_check = QCheckBox("Quiz mode")
        self.quiz_check.setObjectName("stepperQuiz")

        head = QVBoxLayout()
        head.setSpacing(2)
        head.addWidget(self.position_label)
        head.addWidget(self.progress)
        message_row = QHBoxLayout()
        message_row.setSpacing(6)
        message_row.addWidget(self.message_icon, 0, Qt.AlignTop)
        message_row.addWidget(self.message_label, 1)
        self.options = QWidget()
        self.options.setObjectName("stepperOptions")
        options = QHBoxLayout(self.options)
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(QLabel("Digits"))
        options.addWidget(self.precision_spin)
        options.addSpacing(12)
        options.addWidget(self.quiz_check)
        options.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(6, 6, 6, 6)
        box.setSpacing(4)
        box.addLayout(head)
        box.addLayout(message_row)
        box.addWidget(self.step_view, 1)
        box.addWidget(self.options)

    def show_position(self, text: str, done: int, total: int) -> None:
        self.position_label.setText(text)
        self.progress.setMaximum(max(1, total))
        self.progress.setValue(done)

    def show_message(self, kind: str, text: str) -> None:
        """The message line under the position: an icon from the style and the text, red
        for an error or a warning, in the normal text colour for a notice ("" hides it)."""
        self.message_kind = kind
        if not kind:
            self.message_label.setText("")
            self.message_label.hide()
            self.message_icon.hide()
            return
        icon = QStyle.SP_MessageBoxInformation if kind == "info" else \
            QStyle.SP_MessageBoxWarning
        size = self.message_label.fontMetrics().height()
        self.message_icon.setPixmap(self.style().standardIcon(icon).pixmap(size, size))
        body = html.escape(text)
        if kind in ("error", "warning"):
            body = f"<span style='color:{current_theme().colors.error}'>{body}</span>"
        self.message_label.show()
        self.message_label.setText(body)
        self.message_icon.show()
