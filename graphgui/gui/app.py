"""Start the editor: ``graphgui.gui.app.run(argv)``. This module only builds the window."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from graphgui.core.train.process import prestart as prestart_training

from .application import application, settle_collector
from .main_window import MainWindow


def run(argv: list[str]) -> int:
    """Open the editor; ``argv`` holds the arguments after the program name (an optional
    graph file). Returns the exit code."""
    from graphgui import __version__

    app = application([a for a in argv if a.startswith("-")])
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    paths = [a for a in argv if not a.startswith("-")]
    if paths:  # a file that cannot be read is reported and leaves an empty document
        window.file_controller.open_file(paths[0], check_unsaved=False)
    QTimer.singleShot(0, window, settle_collector)  # once the window has painted
    QTimer.singleShot(0, window, prestart_training)  # the first Train starts at once
    return app.exec()
