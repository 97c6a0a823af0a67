"""Why the editor cannot open a window here, found out before Qt is loaded.

Qt aborts the whole process with a long message when there is no display or when an X11
system library its xcb plugin needs is missing (server images and fresh containers lack
several; Qt >= 6.5 also needs libxcb-cursor0). This module only uses ctypes, so the launcher
can say what is wrong in one line instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import re
import sys
from pathlib import Path

# Debian/Ubuntu packages that provide what Qt's xcb plugin loads.
X11_PACKAGES = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 "
    "libegl1 libgl1 libfontconfig1 libdbus-1-3"
)


def display_problem(environ: dict[str, str] | None = None) -> str | None:
    """A one-line reason the editor cannot open a window, or None when it should work."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, vnc...: Qt reports its own problems
    if not platform and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return (
            "there is no display to open the editor on (DISPLAY is not set); the headless "
            "commands work without one: see 'graphgui --help'"
        )
    missing = _missing_x11_library()
    if missing:
        return (
            f"Qt cannot open a window: the system library {missing} is missing "
            f"(on Debian or Ubuntu: sudo apt install {X11_PACKAGES})"
        )
    return None


def _missing_x11_library() -> str | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if plugin.exists():
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            found = re.search(r"(lib[\w.+-]+\.so[\w.]*)", str(exc).split(":", 1)[-1])
            return found.group(1) if found else str(exc)
    # Loaded by Qt at run time rather than linked, so CDLL above does not see it.
    if ctypes.util.find_library("xcb-cursor") is None:
        return "libxcb-cursor.so.0"
    return None
