"""The Quiz tab: the backward step ahead as a question, one pair of answer boxes per input.

The student types the local derivative and the gradient (``1/4``, ``pi/2``, ``[0.5, -1]``
are fine); Check compares them with the core Stepper's numbers, Show working gives the
chain-rule line. The rows are rebuilt only when the question changes, so typed answers
survive every other render.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from graphgui.core.explain import Term
from graphgui.core.stepper import Stepper, parse_answer
from graphgui.core.values import format_value

from ...theme import current_theme


class QuizTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._mono = QFontDatabase.systemFont(QFontDatabase.FixedFont)
        self.stepper: Stepper | None = None
        self.rows: list[tuple[Term, QLineEdit | None, QLineEdit, QLabel]] = []
        self.prompt = QLabel()
        self.prompt.setObjectName("stepperQuizPrompt")
        self.prompt.setWordWrap(True)
        self.prompt.setTextFormat(Qt.RichText)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(0, 1)
        self.grid.setColumnStretch(1, 1)
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("stepperQuizCheck")
        self.check_button.clicked.connect(self.check)
        self.working_button = QPushButton("Show working")
        self.working_button.setObjectName("stepperQuizWorking")
        self.working_button.clicked.connect(self.show_working)
        self.result = QLabel()
        self.result.setObjectName("stepperQuizResult")
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        self.result.setTextInteractionFlags(Qt.TextSelectableByMouse)
        inner = QWidget()
        box = QVBoxLayout(inner)
        box.setContentsMargins(4, 4, 4, 4)
        box.addWidget(self.prompt)
        box.addWidget(self.grid_host)
        box.addWidget(self.result)
        box.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        # Long symbols wrap; the page never scrolls sideways.
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(inner)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 0, 4, 0)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.working_button)
        buttons.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 4)
        outer.addWidget(self.scroll, 1)
        outer.addLayout(buttons)  # under the scrolled part: always in reach

    def render(self, st: Stepper | None, on: bool) -> None:
        """``on``: quiz mode (the question is the step ahead of ``st``)."""
        self.stepper = st
        terms = st.quiz_terms() if (st is not None and on) else []
        if [id(t) for t, *_ in self.rows] != [id(t) for t in terms]:
            self._build_rows(terms)
        self._prompt(st, terms, on)

    def _build_rows(self, terms: list[Term]) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            old = item.widget()
            if old is not None:
                old.hide()
                old.setParent(None)  # gone from findChild at once, not only after deletion
                old.deleteLater()
        self.rows = []
        self.result.setText("")
        for r, term in enumerate(terms):
            equation = QLabel(f"{term.gradient} = {term.upstream} * {term.local}")
            equation.setObjectName(f"quizEquation{r}")
            equation.setFont(self._mono)
            equation.setWordWrap(True)
            equation.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.grid.addWidget(equation, 3 * r, 0, 1, 3)
            local_edit: QLineEdit | None = None
            if term.local_value is not None:  # elementwise: the local derivative is a number
                local_edit = self._answer_box(
                    f"quizLocal{r}", f"The local derivative {term.local}: how this node's "
                    "output changes with this input")
                self.grid.addWidget(self._answer_label(
                    f"local derivative {term.local}", local_edit, r, "Local"), 3 * r + 1, 0)
                self.grid.addWidget(local_edit, 3 * r + 2, 0)
            total_edit = self._answer_box(
                f"quizTotal{r}", f"The gradient {term.gradient} = {term.upstream} * "
                f"{term.local} (this step's contribution)")
            self.grid.addWidget(self._answer_label(
                f"gradient {term.gradient}", total_edit, r, "Total"), 3 * r + 1, 1)
            self.grid.addWidget(total_edit, 3 * r + 2, 1)
            verdict = QLabel()
            verdict.setObjectName(f"quizVerdict{r}")
            verdict.setWordWrap(True)
            self.grid.addWidget(verdict, 3 * r + 2, 2)
            self.rows.append((term, local_edit, total_edit, verdict))

    def _answer_box(self, name: str, tip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText("?")
        edit.setToolTip(tip)
        edit.returnPressed.connect(self.check)
        return edit

    @staticmethod
    def _answer_label(text: str, buddy: QLineEdit, row: int, kind: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(f"quiz{kind}Label{row}")
        label.setWordWrap(True)
        label.setBuddy(buddy)
        buddy.setAccessibleName(text)
        return label

    def _prompt(self, st: Stepper | None, terms: list[Term], on: bool) -> None:
        for b in (self.check_button, self.working_button):
            b.setEnabled(bool(terms))
        if not on:
            self.prompt.setText(
                "Turn on <b>Quiz mode</b> to hide the gradients and work out each backward "
                "step yourself: type the local derivative and the total gradient, then Check.")
        elif st is None:
            self.prompt.setText("The quiz starts when the graph can be stepped through.")
        elif not terms:
            self.prompt.setText(
                "The backward pass is complete." if st.finished else
                "Press <b>Backward step</b> to reach the next question.")
        else:
            ex = st.backward_steps[st.position.backward]
            up = format_value(terms[0].upstream_value, st.precision)
            self.prompt.setText(
                f"Backward step {ex.number} of {len(st.backward_steps)} at "
                f"<b>{html.escape(ex.heading.split(': ', 1)[0])}</b> (framed on the canvas), "
                f"upstream {html.escape(terms[0].upstream)} = {html.escape(up)}. "
                f"<span style='color:{current_theme().colors.muted}'>Answers such as 1/4, "
                "pi/2 or [0.5, -1] are fine.</span>")

    # ---- answers -------------------------------------------------------------------------

    def check(self) -> bool:
        """Check every typed answer; True when all are right."""
        st = self.stepper
        if st is None or not self.rows:
            return False
        colors = current_theme().colors
        all_right = True
        for term, local_edit, total_edit, verdict in self.rows:
            ok, text = self._verdict(st, term, local_edit, total_edit)
            verdict.setText(text)
            all_right = all_right and ok
        self.result.setText(
            f"<span style='color:{colors.value}'>All right! Press Backward step for the next "
            "question.</span>" if all_right else
            "Not yet: try again, or press <b>Show working</b>."
        )
        self._reveal_result()
        return all_right

    @staticmethod
    def _verdict(st: Stepper, term: Term, local_edit: QLineEdit | None, total_edit: QLineEdit
                 ) -> tuple[bool, str]:
        """(right, the verdict's rich text) for one row of answers."""
        colors = current_theme().colors
        local_text = local_edit.text().strip() if local_edit is not None else ""
        total_text = total_edit.text().strip()
        if not total_text and not local_text:
            return False, f"<span style='color:{colors.muted}'>no answer yet</span>"
        try:
            local: Any = parse_answer(local_text) if local_text else None
            total: Any = parse_answer(total_text) if total_text else None
        except ValueError as exc:
            return False, f"<span style='color:{colors.error}'>✗ {html.escape(str(exc))}</span>"
        result = st.check_answer(term, local=local, total=total)
        counts = True
        if local_edit is not None and local is None:
            ok, note = bool(result.total_correct), " (local derivative not given)"
        elif total is None:  # only the local derivative so far
            ok, note, counts = bool(result.local_correct), ": the local derivative (now the " \
                "gradient)", False
        else:
            ok, note = result.correct, ""
        if ok:
            return counts, f"<span style='color:{colors.value}'>✓ right{note}</span>"
        wrong = []
        if result.local_correct is False:
            wrong.append("the local derivative")
        if result.total_correct is False:
            wrong.append("the gradient")
        return False, f"<span style='color:{colors.error}'>✗ check {' and '.join(wrong)}</span>"

    def show_working(self) -> None:
        st = self.stepper
        if st is None or not self.rows:
            return
        lines = [html.escape(st.check_answer(term).working) for term, *_ in self.rows]
        self.result.setText(f"<span style='font-family:\"{self._mono.family()}\"'>"
                            + "<br>".join(lines) + "</span>")
        self._reveal_result()

    def _reveal_result(self) -> None:
        QTimer.singleShot(0, self, self._scroll_to_result)

    def _scroll_to_result(self) -> None:
        inner = self.scroll.widget()
        inner.layout().activate()  # new rows and text laid out before measuring
        inner.adjustSize()
        self.scroll.ensureWidgetVisible(self.result, 0, 4)
