"""Graph files dropped on the window or the canvas open as the document.

Palette drags of ops carry their own mime type and are left to the canvas.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject, QTimer
from PySide6.QtWidgets import QWidget

from ..canvas.view import OP_MIME


def dropped_files(mime: QMimeData | None) -> list[str]:
    """Local files in a drag (palette drags of ops are left to the canvas)."""
    if mime is None or mime.hasFormat(OP_MIME) or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]


class FileDrops(QObject):
    """An event filter on the window and the canvas viewport that opens dropped graphs."""

    def __init__(self, window: QWidget, canvas: QWidget, open_file: Callable[[str], bool],
                 show_message: Callable[[str], None], parent: QObject) -> None:
        super().__init__(parent)
        self._open_file = open_file
        self._show_message = show_message
        window.setAcceptDrops(True)  # the canvas takes (palette) drops already
        window.installEventFilter(self)
        canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove):
            if dropped_files(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QEvent.Drop:
            paths = dropped_files(event.mimeData())
            if paths:
                event.acceptProposedAction()
                # Open after the drop returns: a Save/Discard prompt inside a drop event
                # would block the application the file was dragged from.
                QTimer.singleShot(0, self, lambda: self.open_dropped(paths))
                return True
        return False

    def open_dropped(self, paths: list[str]) -> bool:
        graphs = [p for p in paths if p.lower().endswith(".json")]
        if not graphs:
            name = os.path.basename(paths[0]) if paths else "that"
            self._show_message(f"Cannot open {name}: drop a graph file (.json)")
            return False
        opened = self._open_file(graphs[0])
        if opened and len(paths) > 1:
            self._show_message(
                f"Opened {os.path.basename(graphs[0])}; a window shows one graph, "
                f"so the other {len(paths) - 1} dropped file(s) were not opened"
            )
        return opened
