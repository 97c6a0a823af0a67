"""Render the application icon resources/icons/graphgui.svg to a 256 x 256 PNG beside it.

    python scripts/render_icon.py            # rewrite resources/icons/graphgui.png
    python scripts/render_icon.py --size 512 --out /tmp/icon.png

Uses Qt's SVG renderer with the offscreen platform, so it runs without a display.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256, help="width and height in pixels")
    parser.add_argument("--out", type=Path, default=ICONS / "graphgui.png")
    args = parser.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "graphgui.svg"))
    if not renderer.isValid():
        print("error: graphgui.svg is not a valid SVG", file=sys.stderr)
        return 1
    image = QImage(args.size, args.size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(args.out), "PNG"):
        print(f"error: cannot write {args.out}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({args.size} x {args.size})")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
