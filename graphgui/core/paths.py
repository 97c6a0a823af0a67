"""Paths a user names: refuse what is not a regular file before opening it (a named pipe
would block the reader forever, a device may never end), and show paths in messages on one
bounded line."""

from __future__ import annotations

import os
import stat
from typing import Any

_PATH_LIMIT = 160  # characters of a path shown in a message

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def regular_file_problem(path: Any) -> str | None:
    """Why ``path`` is not a file to read, found with ``os.stat`` (nothing is opened):
    ``"is a named pipe (FIFO), not a regular file"``; None for a regular file, or for a
    path that cannot be examined (opening it then says why, e.g. "No such file")."""
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # an embedded NUL character
        return "is not a valid path (it contains a NUL character)"
    except (OSError, TypeError):
        return None
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file"
    return "is not a regular file"


def display_path(path: Any) -> str:
    """``path`` as text for a message: line breaks escaped, long paths cut in the middle."""
    text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else str(path)
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    if len(text) > _PATH_LIMIT:
        half = (_PATH_LIMIT - 3) // 2
        text = text[:half] + "..." + text[-half:]
    return text
