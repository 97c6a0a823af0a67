"""A dock's contents that scroll sideways, so their minimum width is not the window's.

Docks tabbed together share one minimum: the widest page's. The Stepper's log and text
column need 616 px, which at 1280 x 720 left the Boundary dock beside the tabs 146 px, its
caption cut to "epoc…" whatever tab was in front. In a :func:`scrolled` area a page asks for
little width and scrolls sideways when the dock is made narrower than it needs; wider, it
fills the dock as before. Heights are the page's as before: its minimum height is the
area's (and follows it when the page's changes), so nothing is cut off at the bottom.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea, QWidget


class SidewaysArea(QScrollArea):
    """A frameless scroll area that resizes its page to fit and scrolls it sideways only."""

    def __init__(self, page: QWidget, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setWidget(page)
        page.installEventFilter(self)
        self.horizontalScrollBar().installEventFilter(self)  # its height joins the minimum

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt)
        page = self.widget()
        width = super().minimumSizeHint().width()
        if page is None:
            return super().minimumSizeHint()
        height = page.minimumSizeHint().expandedTo(page.minimumSize()).height()
        if self.horizontalScrollBar().isVisible():
            height += self.horizontalScrollBar().sizeHint().height()
        return QSize(width, height)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt)
        page = self.widget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.widget() and event.type() == QEvent.LayoutRequest:
            self.updateGeometry()  # the page needs another height: so does the dock
        elif watched is self.horizontalScrollBar() and event.type() in (QEvent.Show,
                                                                         QEvent.Hide):
            self.updateGeometry()  # the scroll bar shown: the page's bottom above it
        return super().eventFilter(watched, event)


def scrolled(widget: QWidget, name: str) -> QScrollArea:
    """``widget`` in a frameless scroll area named ``name`` that resizes it to fit and
    scrolls both ways (the Trainer's tall form)."""
    area = QScrollArea()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.NoFrame)
    area.setWidget(widget)
    return area


def natural_width(dock: QDockWidget) -> int:
    """The width ``dock``'s page needs to show without scrolling (its own minimum when it
    does not scroll)."""
    content = dock.widget()
    if isinstance(content, QScrollArea) and content.widget() is not None:
        return content.widget().minimumSizeHint().width()
    return dock.minimumSizeHint().width()
