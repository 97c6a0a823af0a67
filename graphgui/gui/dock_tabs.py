"""A workaround for dock tab bars that Qt leaves behind.

Qt (6.11) keeps the tab bar of a dock group that grew while the window was not shown and
shows it behind the docks once the window appears: ghost tab titles over the bottom dock's
last row (the stepper's Digits row). A group tabbed again by an add-on's layout step can
leave its earlier bar behind as well, with the same titles: a bar over a dock is a ghost.
The window calls :func:`hide_stale_tab_bars` after it shows and after Reset Panel Layout.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar


def hide_stale_tab_bars(window: QMainWindow, docks: Iterable[QDockWidget]) -> None:
    """Hide every tab bar of ``window`` that shows no current group of tabbed docks."""
    groups: dict[frozenset[str], list[QDockWidget]] = {}
    docks = list(docks)
    for dock in docks:
        group = [dock, *window.tabifiedDockWidgets(dock)]
        if len(group) > 1:
            groups[frozenset(d.windowTitle() for d in group)] = group
    shown = [dock.geometry() for dock in docks if dock.isVisible() and not dock.isFloating()]
    kept: dict[frozenset[str], list[QTabBar]] = {}
    for bar in window.findChildren(QTabBar, options=Qt.FindDirectChildrenOnly):
        if not bar.isVisible():
            continue
        titles = frozenset(bar.tabText(k) for k in range(bar.count()))
        # A bar drawn over a dock is a ghost too, even with a current group's titles (the
        # group's earlier bar, left where the group was before it was tabbed again).
        over_a_dock = any(bar.geometry().intersected(rect).height() > 4 for rect in shown)
        if titles not in groups or over_a_dock:
            bar.hide()
        else:
            kept.setdefault(titles, []).append(bar)
    # Two bars with one group's titles: the earlier one stays where the group's tabs were
    # before an add-on tabbed it again (at 1280 x 720, a row of titles over the status
    # bar). The group's own bar sits against its docks.
    for titles, bars in kept.items():
        if len(bars) > 1:
            area = [d.geometry() for d in groups[titles] if not d.isFloating()]
            bars.sort(key=lambda b: min((_gap(b.geometry(), r) for r in area), default=0))
            for bar in bars[1:]:
                bar.hide()


def _gap(bar: QRect, dock: QRect) -> int:
    """How far a tab bar is from sitting against a dock's edge (0: touching it)."""
    vertical = min(abs(bar.top() - dock.bottom() - 1), abs(dock.top() - bar.bottom() - 1))
    return vertical + abs(bar.left() - dock.left())
