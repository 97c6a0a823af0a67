"""The one way the app writes a file: atomically, through QSaveFile.

Graph saves, autosaves, PNG/SVG export, the step log (CSV/Markdown) and plot exports all call
:func:`write_bytes` or :func:`write_text`. The caller serializes in memory first; the data
goes to a temporary file beside the target and only ``commit()`` renames it over the target,
so on any failure an existing file is left byte-identical (and keeps its permissions: QSaveFile
copies them). A symbolic link is followed: the file it points to is replaced.

A target that exists but is not a regular file (a folder, a named pipe, a device, a socket) is
refused before anything is opened, as editors do: writing "into" a FIFO would block until some
reader appears, and replacing it would silently turn it into a plain file.
The test is the core's :func:`~graphgui.core.paths.regular_file_problem`, the one the file
loader uses, so File > Open refuses the same paths instead of hanging on a FIFO.

Errors are :class:`WriteError`, an ``OSError`` whose text is one line:
``cannot write PATH: REASON``; ``.reason`` holds the reason alone.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QIODevice, QSaveFile

from graphgui.core.paths import regular_file_problem


class WriteError(OSError):
    """A file could not be written; the old file (if any) is unchanged."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = " ".join(reason.split()) or "unknown error"  # one line
        super().__init__(f"cannot write {path}: {self.reason}")

    def __str__(self) -> str:
        return str(self.args[0])


def special_file_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is no file to replace (``"it is a named pipe (FIFO), not a regular
    file"``), or None when it is a regular file or does not exist. The core's check
    (:func:`graphgui.core.paths.regular_file_problem`, which the file loader and the command
    line use): nothing is opened, so nothing blocks."""
    problem = regular_file_problem(path)
    return f"it {problem}" if problem is not None else None


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the file at ``path`` with ``data`` atomically. Raises :class:`WriteError`."""
    target = os.fspath(path)
    special = special_file_reason(target)
    if special is not None:
        raise WriteError(target, special)
    out = QSaveFile(target)
    if not out.open(QIODevice.WriteOnly):
        raise WriteError(target, _reason(out, "the file cannot be created"))
    if out.write(data) != len(data):
        reason = _reason(out, "the data could not be written")
        out.cancelWriting()
        out.commit()  # closes and removes the temporary file; the old file stays
        raise WriteError(target, reason)
    if not out.commit():
        raise WriteError(target, _reason(out, "the file could not be replaced"))


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Replace the file at ``path`` with ``text`` (no newline translation: write ``\\r\\n``
    yourself where a format wants it, as the csv module does). Raises :class:`WriteError`."""
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as exc:  # e.g. a lone surrogate in text set by code
        raise WriteError(os.fspath(path), f"the text is not valid {encoding} ({exc.reason})"
                         ) from None
    write_bytes(path, data)


def _reason(out: QSaveFile, fallback: str) -> str:
    text = out.errorString()
    return text if text and text != "Unknown error" else fallback
