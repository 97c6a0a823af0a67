"""When the editor autosaves, and what it offers at start after a crash.

:class:`Autosaver` follows the shown document's state and writes it through the
:class:`~graphgui.gui.autosave.AutosaveStore` (the files and locks live there) after edits
pause, and every minute while they keep coming; a document that is clean again (saved, or
undone back) has its autosave removed. :func:`restore_crashed` offers crashed sessions' work.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.fileformat import FileFormatError

from ..autosave import AutosaveStore, Orphan, discard_orphan
from ..document import Document

AUTOSAVE_DELAY_MS = 2000  # after the last edit
AUTOSAVE_INTERVAL_MS = 60_000  # while edits keep coming faster than the delay


class Autosaver(QObject):
    written = Signal(str)  # the autosave file

    def __init__(self, store: AutosaveStore, settings_of: Callable[[Document], Any],
                 show_message: Callable[[str, int], None], parent: QObject) -> None:
        super().__init__(parent)
        self.store = store
        self._settings_of = settings_of
        self._show_message = show_message
        self._document: Document | None = None
        self._dirty = False
        self._failed = False  # said once per document, not every two seconds
        self._stopped = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(AUTOSAVE_DELAY_MS)
        self._debounce.timeout.connect(self.write_now)
        self._periodic = QTimer(self)
        self._periodic.setInterval(AUTOSAVE_INTERVAL_MS)
        self._periodic.timeout.connect(self._on_period)
        self._periodic.start()

    @property
    def delay(self) -> int:
        return self._debounce.interval()

    @delay.setter
    def delay(self, ms: int) -> None:
        self._debounce.setInterval(ms)

    def follow(self, doc: Document) -> None:
        """Another document is shown: nothing of the previous one's state carries over."""
        self._document = doc
        self._dirty = False
        self._failed = False
        self._debounce.stop()
        self.state_changed()

    def state_changed(self) -> None:
        """The document was edited, saved or undone: schedule a write, or drop the file."""
        doc = self._document
        if doc is None or self._stopped:
            return
        if doc.modified:
            self._dirty = True
            # Restarts: write once the edits pause. Counted from when the editor has caught
            # up (after the re-evaluation queued before us), so a big paste is not followed
            # by an autosave inside its own redraw.
            QTimer.singleShot(0, self, self._restart_debounce)
        else:
            self.discard()

    def _restart_debounce(self) -> None:
        if self._dirty and not self._stopped:
            self._debounce.start()

    def discard(self) -> None:
        """The work was saved or the user dropped it: no autosave of it is kept."""
        self._debounce.stop()
        self._dirty = False
        self.store.remove()

    def _on_period(self) -> None:
        if self._dirty:
            self.write_now()

    def write_now(self) -> bool:
        """Write the unsaved document now (or remove its autosave if it is clean)."""
        self._debounce.stop()
        doc = self._document
        if doc is None or self._stopped:
            return False
        if not doc.modified:
            self.discard()
            return False
        try:
            self.store.write(doc.graph, doc.path, self._settings_of(doc))
        except (OSError, FileFormatError) as exc:
            if not self._failed:
                self._show_message(f"Autosave failed: {exc}", 15000)
            self._failed = True
            return False
        self._failed = False
        self._dirty = False
        self.written.emit(self.store.path)
        return True

    def stop(self) -> None:
        """Clean exit: no more writes; this instance's autosave and lock are removed."""
        if self._stopped:
            return
        self._stopped = True
        self._debounce.stop()
        self._periodic.stop()
        self.store.release()


def restore_crashed(store: AutosaveStore, ask: Callable[[Orphan], str],
                    can_discard: Callable[[], bool], restore: Callable[[Orphan], None],
                    show_message: Callable[[str, int], None]) -> int:
    """Offer the autosaves of crashed sessions (``ask`` answers restore, discard or keep);
    returns how many were restored (0 or 1: one window shows one graph, so further ones stay
    for the next start). Unreadable autosaves are set aside (renamed ``.corrupt``)."""
    restored = kept = 0
    for orphan, lock in store.claim_orphans():
        if orphan.graph is None:
            aside = os.path.splitext(orphan.path)[0] + ".corrupt"
            try:
                os.replace(orphan.path, aside)
            except OSError:
                aside = orphan.path
            lock.unlock()
            show_message(f"An autosave could not be read ({orphan.error}); kept as {aside}",
                         15000)
            continue
        choice = "keep" if restored else ask(orphan)
        if choice == "restore" and can_discard():
            restore(orphan)
            discard_orphan(orphan, lock)  # our own autosave holds the work now
            restored = 1
        elif choice == "discard":
            discard_orphan(orphan, lock)
        else:
            lock.unlock()
            kept += 1
    if kept:
        show_message(f"{kept} more autosave{'s' if kept != 1 else ''} will be offered at the "
                     "next start", 10000)
    return restored
