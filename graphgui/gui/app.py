"""Start the editor: ``graphgui.gui.app.run(argv)``."""

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
    if paths:  # a file that cannot be read is reported and leaves an empty document
        window.file_controller.open_file(paths[0], check_unsaved=False)
    return app.exec()
