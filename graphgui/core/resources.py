"""Files that ship with graphgui: the bundled example graphs, the application icon and the
freedesktop entry.

They live in the repository's top-level ``resources/`` folder, which setuptools installs as
the package ``graphgui.resources`` (a package-dir mapping in pyproject.toml; see
docs/design.md), so :mod:`importlib.resources` finds them in a wheel install and in an
editable install alike. Nothing here imports Qt: the GUI calls ``QIcon(icon_path())``.
"""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "graphgui.resources"
EXAMPLES = "examples"  # folder of the worked examples; training examples in examples/training
ICONS = "icons"
APP_NAME = "graphgui"  # the icon's file stem, the desktop entry's Icon= and its file stem
ICON_KINDS = ("svg", "png")  # scalable, and 256 x 256 pixels rendered from the SVG

# Resources inside a zip (a zipimport install) are extracted on first use, kept until exit.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def resource(*parts: str) -> Traversable:
    """A file or folder under ``resources/`` (a ``pathlib.Path`` for wheel and editable
    installs)."""
    return resources.files(PACKAGE).joinpath(*parts)


def examples_dir() -> Traversable:
    """The folder of bundled example graphs (training examples in its ``training`` folder)."""
    return resource(EXAMPLES)


def icon_path(kind: str = "svg") -> str:
    """The application icon as a file name, ready for ``QIcon(icon_path())``: ``"svg"``
    (scalable) or ``"png"`` (256 x 256)."""
    if kind not in ICON_KINDS:
        raise ValueError(f"icon kind must be one of {', '.join(ICON_KINDS)}, not {kind!r}")
    return str(_on_disk(resource(ICONS, f"{APP_NAME}.{kind}")))


def desktop_entry_path() -> str:
    """The freedesktop ``.desktop`` file (Exec=graphgui %f, Icon=graphgui)."""
    return str(_on_disk(resource(f"{APP_NAME}.desktop")))


def _on_disk(ref: Traversable) -> Path:
    if isinstance(ref, Path):
        return ref
    return _extracted.enter_context(resources.as_file(ref))


__all__ = [
    "APP_NAME", "EXAMPLES", "ICONS", "ICON_KINDS", "PACKAGE", "desktop_entry_path",
    "examples_dir", "icon_path", "resource",
]
