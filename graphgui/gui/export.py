"""Draw a graph as the canvas shows it, into a PNG or SVG file (File > Export Image, and
``graphgui export FILE -o OUT.png|OUT.svg``).

An offscreen :class:`GraphScene` is built with the real canvas items, the graph is evaluated
so values and gradients appear on the wires, and the scene is rendered with a margin on the
theme's background (without the editing grid). PNG is rendered at ``scale`` device pixels per
scene unit (2 = a crisp picture on high-DPI screens and slides); SVG is vector output through
QtSvg's QSvgGenerator, which ships in PySide6-Essentials.

Works headless: a QApplication is created when none exists (on Linux without a display the
offscreen platform is chosen first).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize
from PySide6.QtGui import QColor, QFont, QFontInfo, QImage, QPainter, QPen
from PySide6.QtWidgets import QApplication

from graphgui.core.graph import Graph, Node, node_label

from .atomic import WriteError, special_file_reason, write_bytes
from .canvas import GraphScene
from .theme import Theme, current_theme

MARGIN = 24.0  # scene units around the drawing
FORMATS = (".png", ".svg")
# Size caps, checked before anything is allocated (image editors refuse such canvases too).
# A PNG is painted into a QImage of 4 bytes a pixel; 256 MB is also the largest image Qt's
# own reader opens by default, so a bigger PNG would not even open in Qt applications.
MAX_PNG_SIDE = 16_384  # pixels a side
MAX_PNG_PIXELS = 64 * 1024 * 1024  # pixels in all: 256 MB
MAX_SVG_SIDE = 1_000_000  # SVG units (px) a side: far beyond any slide, far below overflow


def ensure_application() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    app = QApplication.instance()
    if app is not None:
        return app  # type: ignore[return-value]
    if (
        sys.platform.startswith("linux")
        and "QT_QPA_PLATFORM" not in os.environ
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from .application import application

    return application()


def export_image(
    graph: Graph,
    path: str | os.PathLike[str],
    *,
    show_values: bool = True,
    show_grads: bool = True,
    scale: float = 2.0,
    dark: bool = False,
) -> None:
    """Write ``graph`` to ``path`` (.png or .svg) as the canvas draws it.

    The file is written atomically (QSaveFile): on failure an existing file is left as it
    was. Raises ValueError for an empty graph, an unknown extension, a bad scale or a picture
    over the size caps (``MAX_PNG_SIDE``, ``MAX_PNG_PIXELS``, ``MAX_SVG_SIDE``; the message
    is one line and names the far-away node, if one is the cause), and OSError (a
    :class:`~graphgui.gui.atomic.WriteError`) when the file cannot be written.
    """
    target = os.fspath(path)
    suffix = os.path.splitext(target)[1].lower()
    if suffix not in FORMATS:
        raise ValueError(f"{target}: the file name must end in .png or .svg")
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and 0.1 <= scale <= 16):
        raise ValueError(f"scale {scale!r} is out of range (0.1 to 16)")
    if len(graph) == 0:
        raise ValueError("the graph is empty: there is nothing to export")
    special = special_file_reason(target)
    if special is not None:  # before any drawing: a FIFO is refused at once
        raise WriteError(target, special)
    ensure_application()
    scene = build_scene(graph, show_values=show_values, show_grads=show_grads, dark=dark)
    try:
        source = scene_rect(scene)
        check_size(graph, source, suffix, scale)
        data = _render_svg(scene, source, graph) if suffix == ".svg" else _render_png(
            scene, source, scale
        )
    finally:
        scene.set_graph(None)  # unsubscribe from the graph's events
        scene.deleteLater()
    write_bytes(target, data)


def render_image(
    graph: Graph, *, show_values: bool = True, show_grads: bool = True, scale: float = 2.0,
    dark: bool = False,
) -> QImage:
    """The PNG picture of ``graph`` as a QImage (for previews and tests)."""
    ensure_application()
    scene = build_scene(graph, show_values=show_values, show_grads=show_grads, dark=dark)
    try:
        source = scene_rect(scene)
        check_size(graph, source, ".png", scale)
        return _paint_image(scene, source, scale)
    finally:
        scene.set_graph(None)
        scene.deleteLater()


def render_svg(
    graph: Graph, *, show_values: bool = True, show_grads: bool = True, dark: bool = False
) -> bytes:
    """The SVG text (UTF-8) of ``graph`` as :func:`export_image` writes it, without a file
    (the notebook API's picture). Raises ValueError for an empty graph or one over the caps.
    """
    if len(graph) == 0:
        raise ValueError("the graph is empty: there is nothing to draw")
    ensure_application()
    scene = build_scene(graph, show_values=show_values, show_grads=show_grads, dark=dark)
    try:
        source = scene_rect(scene)
        check_size(graph, source, ".svg", 1.0)
        return _render_svg(scene, source, graph)
    finally:
        scene.set_graph(None)
        scene.deleteLater()


# ---- the scene -------------------------------------------------------------------------------


class ExportScene(GraphScene):
    """The canvas scene with a plain background: the editing grid does not belong in a
    picture for slides."""

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, self.state.theme.brushes["background"])


def build_scene(
    graph: Graph, *, show_values: bool = True, show_grads: bool = True, dark: bool = False
) -> ExportScene:
    """A read-only scene of ``graph`` (no Document), evaluated so values and gradients show."""
    from .evaluation import Evaluator

    scene = ExportScene(None, theme=_scalable_theme(current_theme(dark)))
    scene.set_graph(graph)
    scene.set_show_values(show_values)
    scene.set_show_grads(show_grads)
    evaluator = Evaluator()
    evaluator.set_graph(graph)
    try:
        evaluation = evaluator.evaluate_now()
        scene.apply_evaluation(evaluation)
    finally:
        evaluator.set_graph(None)
        evaluator.deleteLater()
    return scene


def scene_rect(scene: ExportScene) -> QRectF:
    """The drawing's bounds (nodes, wires, labels) plus the margin, in whole scene units."""
    rect = scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    left, top = math.floor(rect.left()), math.floor(rect.top())
    return QRectF(left, top, math.ceil(rect.right()) - left, math.ceil(rect.bottom()) - top)


def picture_size(source: QRectF, suffix: str, scale: float) -> tuple[int, int]:
    """The pixel size (PNG) or SVG size of a picture of ``source`` (no overflow: Python
    integers, never a QSize)."""
    factor = scale if suffix == ".png" else 1.0
    return (max(1, math.ceil(source.width() * factor)),
            max(1, math.ceil(source.height() * factor)))


def check_size(graph: Graph, source: QRectF, suffix: str, scale: float) -> None:
    """Refuse, in one line, a picture over the caps, before anything is allocated."""
    w, h = picture_size(source, suffix, scale)
    if suffix == ".png":
        if max(w, h) <= MAX_PNG_SIDE and w * h <= MAX_PNG_PIXELS:
            return
        limit = (f"over the PNG limit of {MAX_PNG_SIDE:,} pixels a side and "
                 f"{MAX_PNG_PIXELS // 2**20} megapixels")
        advice = "export as SVG"
    else:
        if max(w, h) <= MAX_SVG_SIDE:
            return
        limit = f"over the SVG limit of {MAX_SVG_SIDE:,} pixels a side"
        advice = "bring the nodes closer together"
    far = _far_node(graph)
    cause = f"; node {far} is far from the others" if far else ""
    if far:
        advice = "move it back (Graph > Automatic Layout in the editor)"
    raise ValueError(f"the picture would be {w:,} x {h:,}, {limit}{cause}: {advice}")


def _far_node(graph: Graph) -> str | None:
    """The node farthest from the middle of the others, when it alone makes the drawing
    huge (over ten times the spread of the rest); None otherwise."""
    nodes = list(graph.nodes)
    if len(nodes) < 2:
        return None
    xs = sorted(n.pos[0] for n in nodes)
    ys = sorted(n.pos[1] for n in nodes)
    mid = (xs[(len(xs) - 1) // 2], ys[(len(ys) - 1) // 2])

    def distance(node: Node) -> float:
        x, y = node.pos
        return max(abs(x - mid[0]), abs(y - mid[1]))

    ranked = sorted(nodes, key=distance, reverse=True)
    spread = max(distance(ranked[1]), 1000.0)  # how far the next one is (at least 1000)
    if distance(ranked[0]) <= 10 * spread:
        return None
    node = ranked[0]
    x, y = node.pos
    return f"'{node_label(graph, node.id)}' at ({x:.4g}, {y:.4g})"


def _scalable_theme(theme: Theme) -> Theme:
    """The theme with non-cosmetic pens of the same widths.

    The canvas uses cosmetic pens (widths in device pixels); in a 2x PNG those would be half
    as thick as on screen, and in SVG they would not scale with the picture. A non-cosmetic
    pen of the same width looks like the canvas at 100 % zoom, at any scale.
    """
    pens = {}
    for key, pen in theme.pens.items():
        copy = QPen(pen)
        copy.setCosmetic(False)
        pens[key] = copy
    category_pens = {}
    for key, pen in theme.category_pens.items():
        copy = QPen(pen)
        copy.setCosmetic(False)
        category_pens[key] = copy
    fonts = {
        key: _resolved_font(getattr(theme, key))
        for key in ("title_font", "small_font", "symbol_font", "label_font")
    }
    return dataclasses.replace(theme, pens=pens, category_pens=category_pens, **fonts)


def _resolved_font(font: QFont) -> QFont:
    """The font under its real family name: an SVG viewer does not know Qt's aliases such
    as "Sans Serif" and would fall back to a serif face."""
    copy = QFont(font)
    copy.setFamily(QFontInfo(font).family())
    return copy


# ---- rendering -------------------------------------------------------------------------------


def _paint_image(scene: ExportScene, source: QRectF, scale: float) -> QImage:
    width = max(1, math.ceil(source.width() * scale))
    size = QSize(width, max(1, math.ceil(source.height() * scale)))
    image = QImage(size, QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor(scene.state.theme.colors.background))
    painter = QPainter(image)
    try:
        painter.setRenderHints(
            QPainter.Antialiasing | QPainter.TextAntialiasing | QPainter.SmoothPixmapTransform
        )
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), source)
    finally:
        painter.end()
    # Tell viewers the logical size (96 dpi at scale 1), so slides place it at 100 %. Only
    # after painting: the image's dpi sets the pixel size of point-sized fonts.
    dots_per_meter = round(96 * scale / 0.0254)
    image.setDotsPerMeterX(dots_per_meter)
    image.setDotsPerMeterY(dots_per_meter)
    return image


def _render_png(scene: ExportScene, source: QRectF, scale: float) -> bytes:
    image = _paint_image(scene, source, scale)
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("cannot encode the picture as PNG")
    buffer.close()
    return bytes(array.data())


def _render_svg(scene: ExportScene, source: QRectF, graph: Graph) -> bytes:
    from PySide6.QtSvg import QSvgGenerator

    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    w, h = round(source.width()), round(source.height())
    generator.setSize(QSize(w, h))
    generator.setViewBox(QRectF(0, 0, w, h))
    generator.setResolution(96)
    generator.setTitle(graph.title or "graphgui graph")
    generator.setDescription(graph.description or "Drawn by graphgui")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError("cannot start the SVG writer")
    try:
        painter.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        painter.fillRect(QRectF(0, 0, w, h), QColor(scene.state.theme.colors.background))
        scene.render(painter, QRectF(0, 0, w, h), source)
    finally:
        painter.end()
    buffer.close()
    return bytes(array.data())
