"""Widgets that keep the dock's layout still while its texts change.

A plain QLabel asks for the width of its text, so a longer position line ("Backward step 41
of 41 · gradients complete") pushed the splitter's divider across; and a word-wrapped label
inside a box layout is given less height than its lines need when the dock is short, so the
notice and the text box below it were drawn over the options row; and a splitter
follows its children's minimum sizes, which change with their texts.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QSplitter, QWidget


class ElidedLabel(QWidget):
    """One line of plain text that never asks for more width: elided with "…" when the
    room is short (the whole text is then its tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (as QLabel)
        if text != self._text:
            self._text = text
            self._sync_tip()
            self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt)
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._text), fm.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt)
        return QSize(0, self.fontMetrics().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._sync_tip()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt)
        painter = QPainter(self)
        painter.setFont(self.font())
        shown = self.fontMetrics().elidedText(self._text, Qt.ElideRight, self.width())
        painter.drawText(self.rect(), Qt.AlignLeft | Qt.AlignVCenter, shown)
        painter.end()

    def elided(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self._text) > self.width()

    def _sync_tip(self) -> None:
        self.setToolTip(self._text if self.elided() else "")


class FittedLabel(QLabel):
    """A word-wrapped label whose minimum height is always the height of its lines at its
    width, so the layout around it (and the dock) makes room instead of overlapping."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def setText(self, text: str) -> None:  # noqa: N802 (as QLabel)
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.width()
        if width < 40 or not self.isVisible():  # not laid out yet: showing it fits it
            return
        fixed = self.minimumHeight()
        self.setMinimumHeight(0)  # QLabel's height for a width is bounded by its own limits
        self.setMaximumHeight(16777215)
        height = max(self.heightForWidth(width), 0) if self.text() else 0
        self.setFixedHeight(height)
        if height != fixed:
            self.updateGeometry()


class StillSplitter(QSplitter):
    """Two widgets side by side with fixed minimum widths (so no text moves the divider),
    shared ``first`` (e.g. 9 : 11) when first shown and ``stretch`` on later resizes."""

    def __init__(self, left: QWidget, right: QWidget, minimums: tuple[int, int],
                 first: tuple[int, int], stretch: tuple[int, int]) -> None:
        super().__init__(Qt.Horizontal)
        self._first: tuple[int, int] | None = first
        for k, (widget, minimum) in enumerate(zip((left, right), minimums, strict=True)):
            self.addWidget(widget)
            widget.setMinimumWidth(minimum)
            self.setStretchFactor(k, stretch[k])
        self.setChildrenCollapsible(False)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt)
        super().showEvent(event)
        self._split_once()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        if self.isVisible():
            self._split_once()

    def _split_once(self) -> None:
        room = self.width() - self.handleWidth()
        mins = [self.widget(k).minimumWidth() for k in (0, 1)]
        if self._first is None or room < sum(mins):
            return
        a, b = self._first
        self._first = None
        left = max(mins[0], min(room - mins[1], room * a // (a + b)))
        self.setSizes([left, room - left])
