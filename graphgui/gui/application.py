"""The QApplication and the app's QSettings: a leaf module every GUI module may import."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

ORGANIZATION = "graphgui"
APPLICATION = "graphgui"


def settings() -> QSettings:
    """The app's QSettings (INI format, so tests can redirect it with QSettings.setPath)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created once with the app's names."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "graphgui", *(argv or [])])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("graphgui")
    return app  # type: ignore[return-value]


def settle_collector() -> None:
    """Once the window is up: collect, then freeze what is left out of the garbage
    collector (``gc.freeze``). The editor's modules, widgets and pyqtgraph items live as long
    as it does, yet every full collection scanned them all: 50-80 ms of the GUI thread at
    moments nobody chose, the longest stalls measured while a landscape was drawn. Frozen,
    a full collection scans only what was made since (a document's items, a result)."""
    gc.collect()
    gc.freeze()
