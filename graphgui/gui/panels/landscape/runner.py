"""The Landscape dock's side of the worker process (graphgui.core.landscape.worker).

:class:`LandscapeRunner` hands one :class:`LandscapeJob` at a time to the shared worker and
answers with ``done`` on the GUI thread. It looks for the answer with a timer (no thread in
the editor: a thread would share the GIL with the GUI thread, the stalls this avoids), and
progress is read, never signalled, by the dock's own timer.
"""

from __future__ import annotations

import atexit
import weakref
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.landscape.worker import (
    CANCELLED,
    LandscapeJob,
    close_shared_worker,
    shared_worker,
)

ANSWER_POLL_MS = 20  # how often a busy runner looks for its answer

__all__ = ["ANSWER_POLL_MS", "CANCELLED", "LandscapeJob", "LandscapeRunner", "stop_all"]


class LandscapeRunner(QObject):
    """Runs one :class:`LandscapeJob` at a time in the worker process."""

    done = Signal(object, object)  # the job's key, a Landscape or a one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job: tuple[int, Any] | None = None  # (the worker's id, the asker's key)
        self._total = 1
        self._timer = QTimer(self)
        self._timer.setInterval(ANSWER_POLL_MS)
        self._timer.timeout.connect(self._look)
        _runners.add(self)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def progress(self) -> tuple[int, int]:
        """(done, total) units of work of the running job."""
        if self._job is None:
            return 0, self._total
        return shared_worker().progress(self._job[0])

    def submit(self, job: LandscapeJob) -> None:
        """Start ``job`` (a running one is cancelled first and its answer dropped)."""
        self.cancel()
        self._total = job.request.work
        self._job = (shared_worker().submit(job), job.key)
        self._timer.start()

    def cancel(self) -> None:
        """Stop the running job; its answer is dropped."""
        if self._job is not None:
            shared_worker().discard(self._job[0])
            self._job = None
            self._timer.stop()

    def wait(self, seconds: float = 10.0) -> None:
        """Until the worker has nothing left to compute (closing a window)."""
        shared_worker().wait_idle(seconds)
        self._look()

    def _look(self) -> None:
        if self._job is None:
            self._timer.stop()
            return
        job_id, key = self._job
        result = shared_worker().answer(job_id)
        if result is None:
            return
        self._job = None
        self._timer.stop()
        self.done.emit(key, result)


_runners: weakref.WeakSet = weakref.WeakSet()  # every runner, to stop between tests


def stop_all(seconds: float = 5.0) -> None:
    """Cancel every runner's job and wait until the worker has stopped computing (a
    window closed in a test leaves no job behind for the next)."""
    for runner in list(_runners):
        if shiboken6.isValid(runner):
            runner.cancel()
    worker = shared_worker()
    worker.discard_all()  # the jobs of runners deleted with their window
    worker.wait_idle(seconds)


atexit.register(close_shared_worker)
