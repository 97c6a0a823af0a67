"""File > Open Recent: the list of recently used files (in QSettings) and its menu."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu

from ..actions import make_action
from ..application import settings

RECENT_KEY = "files/recent"
MAX_RECENT = 10


class RecentFiles(QObject):
    """The recent list and the Open Recent menu that shows it (``menu``, a submenu of
    ``parent``, the File menu). ``open_path(path)`` opens a chosen entry; ``show_message``
    explains what changed."""

    changed = Signal()

    def __init__(self, parent: QMenu, open_path: Callable[[str], bool],
                 show_message: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._open_path = open_path
        self._show_message = show_message
        self.menu = QMenu("Open &Recent", parent)
        self.menu.setObjectName("menuRecent")
        self.menu.setToolTipsVisible(True)
        self.menu.aboutToShow.connect(self._on_about_to_show)
        self.action_clear = make_action(parent, "&Clear List", self.clear)
        self.rebuild_menu()

    def paths(self) -> list[str]:
        value = settings().value(RECENT_KEY)
        if value is None:
            return []
        if isinstance(value, str):  # INI stores a one-item list as a plain string
            value = [value]
        return [str(p) for p in value if p][:MAX_RECENT]

    def _set(self, paths: list[str]) -> None:
        s = settings()
        if paths:
            s.setValue(RECENT_KEY, paths[:MAX_RECENT])
        else:
            s.remove(RECENT_KEY)
        s.sync()
        self.rebuild_menu()
        self.changed.emit()

    def contains(self, path: str) -> bool:
        key = path_key(path)
        return any(path_key(p) == key for p in self.paths())

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        key = path_key(path)
        self._set([path, *(p for p in self.paths() if path_key(p) != key)])

    def remove(self, path: str) -> None:
        key = path_key(path)
        self._set([p for p in self.paths() if path_key(p) != key])

    def clear(self) -> None:
        self._set([])
        self._show_message("Cleared the list of recent files")

    def prune(self) -> int:
        """Drop files that no longer exist; says so in the status bar. Returns how many."""
        paths = self.paths()
        kept = [p for p in paths if os.path.isfile(p)]
        gone = len(paths) - len(kept)
        if gone:
            self._set(kept)
            names = ", ".join(os.path.basename(p) for p in paths if p not in kept)
            self._show_message(
                f"Removed {gone} missing file{'s' if gone != 1 else ''} from the recent list: "
                f"{names}"
            )
        return gone

    def open(self, path: str) -> bool:
        if not os.path.isfile(path):
            self.remove(path)
            self._show_message(
                f"{os.path.basename(path)} no longer exists; removed it from the recent list"
            )
            return False
        return self._open_path(path)

    def _on_about_to_show(self) -> None:
        self.prune()
        self.rebuild_menu()

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        paths = self.paths()
        for k, path in enumerate(paths, 1):
            name = os.path.basename(path).replace("&", "&&")
            label = f"&{k} {name}" if k < 10 else f"1&0 {name}"
            action = menu.addAction(label)
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.open(p))
        if paths:
            menu.addSeparator()
        menu.addAction(self.action_clear)
        self.action_clear.setEnabled(bool(paths))
        menu.setEnabled(bool(paths))


def path_key(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))
