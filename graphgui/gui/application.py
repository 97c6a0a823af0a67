"""The QApplication and the app's QSettings: a leaf module every GUI module may import."""

from __future__ import annotations

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
