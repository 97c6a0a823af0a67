"""Autosave: unsaved work is copied to the user data folder, so a crash loses (almost) nothing.

Each running editor is one *instance* with two files in ``<data>/autosave/``::

    <instance>.json   the unsaved graph (a normal graph file; written atomically)
    <instance>.lock   a QLockFile held while the instance runs

A lock that nobody holds any more (its process is gone) marks a crashed session: its
``.json`` is offered for restoring at the next start. A clean exit removes both files, and
so does saving (or undoing back to the saved state), so only unsaved work is ever kept.

The folder is ``QStandardPaths.AppDataLocation``; the environment variable
``GRAPHGUI_DATA_DIR`` overrides it (tests and portable installs).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import secrets
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDir, QLockFile, QStandardPaths

from graphgui.core import fileformat
from graphgui.core.graph import Graph

from .atomic import write_bytes

DATA_DIR_ENV = "GRAPHGUI_DATA_DIR"
SUBDIR = "autosave"
META_KEY = "graphgui.autosave"  # in the file's "settings": where the work came from


def data_dir() -> str:
    """The user data folder of graphgui (created on demand by the callers that write)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return override
    location = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return location or os.path.join(QDir.homePath(), ".graphgui")


def autosave_dir() -> str:
    return os.path.join(data_dir(), SUBDIR)


@dataclass(frozen=True)
class Orphan:
    """The autosave of a session that ended without cleaning up (a crash)."""

    instance: str
    path: str  # the .json
    original_path: str | None  # the file the work belonged to, if it had one
    title: str
    saved_at: str  # ISO time of the autosave, or "" if unknown
    graph: Graph | None  # None when the autosave cannot be read
    settings: dict[str, Any] | None
    error: str | None  # why it cannot be read

    @property
    def display_name(self) -> str:
        if self.original_path:
            return os.path.basename(self.original_path)
        return self.title or "untitled"


class AutosaveStore:
    """One instance's autosave files, and the sweep for crashed instances' ones."""

    def __init__(self, directory: str | None = None, instance: str | None = None) -> None:
        self.directory = directory or autosave_dir()
        self.instance = instance or f"{os.getpid()}-{secrets.token_hex(3)}"
        self._lock: QLockFile | None = None

    @property
    def path(self) -> str:
        return os.path.join(self.directory, f"{self.instance}.json")

    @property
    def lock_path(self) -> str:
        return os.path.join(self.directory, f"{self.instance}.lock")

    def acquire(self) -> bool:
        """Hold this instance's lock (so other instances see it alive). False if impossible
        (an unwritable data folder): autosave is then off, and ``write`` says why."""
        if self._lock is not None:
            return True
        try:
            os.makedirs(self.directory, exist_ok=True)
        except OSError:
            return False
        lock = QLockFile(self.lock_path)
        # Never "stale by age": only a dead owner makes a lock stale (the default of 30 s
        # would let another instance steal a long-running session's autosave).
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            return False
        self._lock = lock
        return True

    def write(self, graph: Graph, original_path: str | None,
              settings: dict[str, Any] | None = None) -> None:
        """Write the unsaved graph atomically; raises OSError (a WriteError) or
        FileFormatError."""
        if not self.acquire():
            raise OSError(f"cannot lock {self.lock_path}")
        meta = {
            "path": original_path,
            "saved_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        text = fileformat.dumps(graph, {**(settings or {}), META_KEY: meta})
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate in text set by code
            raise fileformat.FileFormatError(f"text is not valid Unicode ({exc.reason})",
                                             self.path) from None
        write_bytes(self.path, data)

    def remove(self) -> None:
        """Forget the autosaved work (it was saved, discarded, or undone)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    @property
    def exists(self) -> bool:
        return os.path.exists(self.path)

    def release(self) -> None:
        """Clean exit: remove the autosave and the lock."""
        self.remove()
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    # ---- crashed sessions ----------------------------------------------------------------

    def claim_orphans(self) -> list[tuple[Orphan, QLockFile]]:
        """Autosaves of instances that are gone, newest first, each with its lock now held
        by us (so a second editor started at the same time does not offer them too)."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        found = []
        for name in sorted(names):
            stem, ext = os.path.splitext(name)
            if ext != ".lock" or stem == self.instance:
                continue
            lock = QLockFile(os.path.join(self.directory, name))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):  # its editor is still running
                continue
            json_path = os.path.join(self.directory, f"{stem}.json")
            if not os.path.exists(json_path):  # crashed with nothing unsaved
                lock.unlock()
                continue
            found.append((read_orphan(stem, json_path), lock))
        # An autosave without any lock file: its editor died before locking (or the lock
        # was deleted); nobody can be writing it, so it is an orphan too.
        for name in sorted(names):
            stem, ext = os.path.splitext(name)
            if ext != ".json" or stem == self.instance or f"{stem}.lock" in names:
                continue
            lock = QLockFile(os.path.join(self.directory, f"{stem}.lock"))
            lock.setStaleLockTime(0)
            if lock.tryLock(0):
                found.append((read_orphan(stem, os.path.join(self.directory, name)), lock))
        found.sort(key=lambda item: _mtime(item[0].path), reverse=True)
        return found


def read_orphan(instance: str, path: str) -> Orphan:
    try:
        document = fileformat.load_document(path)
    except fileformat.FileFormatError as exc:
        return Orphan(instance, path, None, "", "", None, None, str(exc))
    settings = dict(document.settings or {})
    meta = settings.pop(META_KEY, None)
    original = None
    saved_at = ""
    if isinstance(meta, dict):
        if isinstance(meta.get("path"), str):
            original = meta["path"]
        if isinstance(meta.get("saved_at"), str):
            saved_at = meta["saved_at"]
    return Orphan(
        instance, path, original, document.graph.title, saved_at, document.graph,
        settings or None, None,
    )


def discard_orphan(orphan: Orphan, lock: QLockFile) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(orphan.path)
    lock.unlock()


def _mtime(path: str) -> float:
    try:
        return os.path.getmtime(path)
    except OSError:
        return 0.0


def describe(orphan: Orphan) -> str:
    """One line for the restore prompt."""
    when = orphan.saved_at.replace("T", " ")[:16] if orphan.saved_at else "an earlier session"
    nodes = f", {len(orphan.graph)} nodes" if orphan.graph is not None else ""
    return f"{orphan.display_name} (autosaved {when}{nodes})"

