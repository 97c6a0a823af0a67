"""``graphgui landscape ... -o OUT.png``: the dock's picture, drawn headless.

A :class:`~.view.LandscapePlot` is laid out offscreen at a fixed size with a title above it,
every trajectory shown whole, and grabbed to PNG (written atomically, as File > Export Image
writes). Works without a display: the offscreen platform is chosen as ``graphgui export``
chooses it.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, qInstallMessageHandler
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QLabel, QWidget

from graphgui.core.landscape import Landscape

from ...atomic import write_bytes
from ...export import ensure_application
from ...theme import current_theme
from .texts import caption
from .view import LandscapePlot

SIZE = (780, 1000)  # pixels of the picture (at 2 device pixels each when scale is 2): the
# square map, and under it the loss per step


def render_landscape(landscape: Landscape, size: tuple[int, int] = SIZE,
                     scale: float = 2.0) -> QImage:
    """The picture as a QImage, ``scale`` device pixels per pixel (2: crisp on slides)."""
    app = ensure_application()
    plot = LandscapePlot()
    try:
        plot.caption.hide()  # the whole caption instead, as the picture's title
        for button in (plot.png_button, plot.csv_button):
            button.hide()
        title = QLabel(caption(landscape))
        title.setWordWrap(True)
        title.setContentsMargins(10, 8, 10, 2)
        title.setStyleSheet(f"color: {plot._foreground}; font-size: 10pt;")
        plot.layout().insertWidget(0, title)
        plot.setStyleSheet(f"background: {current_theme().colors.node_fill};")
        plot.resize(*size)
        plot.long_legend = True
        plot.show_landscape(landscape)
        # Shown, so that every layout settles, but never on a screen (the offscreen
        # platform's note that it places no window is not for the user).
        plot.setAttribute(Qt.WA_DontShowOnScreen, True)
        previous = qInstallMessageHandler(_quiet)
        try:
            plot.show()
            for _ in range(3):
                app.processEvents()
        finally:
            qInstallMessageHandler(previous)
        plot._fit_rows()
        for _ in range(3):
            app.processEvents()
        image = QImage(round(plot.width() * scale), round(plot.height() * scale),
                       QImage.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QColor(current_theme().colors.node_fill))
        QWidget.render(plot, image)
        return image
    finally:
        plot.close()
        plot.deleteLater()


def _quiet(mode: object, context: object, message: str) -> None:
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"{message}\n")


def export_landscape(landscape: Landscape, path: str | os.PathLike[str]) -> None:
    """Write the picture to ``path`` (.png), atomically (raises OSError on failure)."""
    image = render_landscape(landscape)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"cannot write {os.fspath(path)}: the picture cannot be encoded as PNG")
    buffer.close()
    write_bytes(os.fspath(path), bytes(data.data()))
