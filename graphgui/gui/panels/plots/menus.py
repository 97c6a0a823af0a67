"""pyqtgraph's context menus, owned by the panel that shows the plot.

pyqtgraph makes two menus without a parent for every plot: the PlotItem's "Plot Options"
(with its sub-menus and form widgets) and its ViewBox's "ViewBox options". Their actions'
signal connections hold the plot, so when the panel is deleted neither Qt nor Python's
collector frees them: about 400 widgets a window. A window closed and made again (the test
suite makes 360) kept 24,000 objects alive, and PySide crashed tearing them down at exit.
Given the panel as Qt parent, they are deleted with it.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QMenu, QWidget


def adopt_menus(item: pg.PlotItem | pg.ViewBox, owner: QWidget) -> None:
    """Make ``owner`` the Qt parent of the parentless context menus of ``item`` (a plot or
    a view box), keeping them pop-up menus."""
    menus: list[QMenu | None] = []
    if isinstance(item, pg.PlotItem):
        menus += [item.ctrlMenu, item.getViewBox().menu]
    elif isinstance(item, pg.ViewBox):
        menus.append(item.menu)
    for menu in menus:
        if menu is not None and menu.parent() is None:
            menu.setParent(owner, menu.windowFlags())


__all__ = ["adopt_menus"]
