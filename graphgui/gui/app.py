"""Start the editor: ``graphgui.gui.app.run(argv)``."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

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


def run(argv: list[str]) -> int:
    """Open the editor; ``argv`` holds the arguments after the program name (an optional
    graph file). Returns the exit code."""
    app = application([a for a in argv if a.startswith("-")])
    from graphgui import __version__

    app.setApplicationVersion(__version__)
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    paths = [a for a in argv if not a.startswith("-")]
    if paths:
        try:
            window.open_path(paths[0])
        except (OSError, ValueError) as exc:
            QMessageBox.critical(window, "Cannot open file", f"{paths[0]}: {exc}")
    return app.exec()
