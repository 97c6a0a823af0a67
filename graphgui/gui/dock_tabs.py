"""A workaround for dock tab bars that Qt leaves behind.

Qt (6.11) keeps the tab bar of a dock group that grew while the window was not shown and
shows it behind the docks once the window appears: ghost tab titles over the bottom dock's
last row (the stepper's Digits row). The window calls :func:`hide_stale_tab_bars` after it
shows and after Reset Panel Layout.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar


def hide_stale_tab_bars(window: QMainWindow, docks: Iterable[QDockWidget]) -> None:
    """Hide every tab bar of ``window`` that shows no current group of tabbed docks."""
    groups = set()
    for dock in docks:
        group = [dock, *window.tabifiedDockWidgets(dock)]
        if len(group) > 1:
            groups.add(frozenset(d.windowTitle() for d in group))
    for bar in window.findChildren(QTabBar, options=Qt.FindDirectChildrenOnly):
        titles = frozenset(bar.tabText(k) for k in range(bar.count()))
        if titles not in groups and bar.isVisible():
            bar.hide()
