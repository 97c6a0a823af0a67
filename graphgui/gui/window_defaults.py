"""The main window's starting size and its icon."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from graphgui.core.resources import icon_path

DEFAULT_SIZE = (1280, 800)  # shrunk to the screen: a 1366x768 laptop gets a whole window


def default_window_size() -> tuple[int, int]:
    """1280x800, or less on a smaller screen (room left for the title bar and a panel)."""
    screen = QGuiApplication.primaryScreen()
    w, h = DEFAULT_SIZE
    if screen is not None:
        avail = screen.availableGeometry()
        w = min(w, avail.width() - 16)
        h = min(h, avail.height() - 48)
    return max(w, 640), max(h, 480)


def app_icon() -> QIcon:
    """The application icon: the scalable SVG, with the 256 px PNG for platforms (and
    offscreen builds) without an SVG image plugin."""
    icon = QIcon(icon_path("svg"))
    icon.addFile(icon_path("png"))
    return icon
