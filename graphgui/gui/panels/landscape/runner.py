"""Computing a landscape off the GUI thread.

A grid of 201 x 201 points on a network with a data set takes seconds: the Landscape dock
hands a :class:`LandscapeJob` (a copy of the graph, its training settings and the request)
to a :class:`LandscapeRunner`, which works in a thread of its own and answers with ``done``.
Progress is not signalled point by point (that would flood the event loop): the worker
writes its count where :meth:`LandscapeRunner.progress` reads it, and the dock polls that
with a timer. :meth:`LandscapeRunner.cancel` sets the event the computation checks at every
grid point and optimizer step. One job runs at a time.

While it works, NumPy's BLAS gets one thread (threadpoolctl), as the training worker's does:
on two cores the GUI thread, the worker and BLAS threads otherwise compete. And the objects
that exist when it starts (the window, its widgets, pyqtgraph's items) are frozen out of the
garbage collector (``gc.freeze``) until the dock :meth:`~LandscapeRunner.release` s them, once
the result is drawn and raced: the worker allocates many small objects, so full collections
come often, and each one scanning every object of the editor held the GIL for 55-85 ms, a
stall of the GUI thread; frozen, a full collection only scans what is new.
The GIL is also handed over sooner (``sys.setswitchinterval(0.001)``, as while training):
the GUI thread's timers and paints cross between Qt and Python, each crossing waiting for a
switch (gaps of 90 ms at the default 5 ms, under 30 ms at 1 ms, on two cores).
"""

from __future__ import annotations

import atexit
import gc
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from graphgui.core.graph import Graph
from graphgui.core.landscape import (
    Landscape,
    LandscapeCancelled,
    LandscapeError,
    LandscapeRequest,
    prepare,
    run,
)

CANCELLED = "cancelled"


@dataclass(frozen=True)
class LandscapeJob:
    """What to compute: on ``graph`` (a copy the live graph's edits never touch) with the
    file's ``training`` settings (None: defaults)."""

    graph: Graph
    training: dict[str, Any] | None
    request: LandscapeRequest
    key: Any  # handed back with the answer


def answer(job: LandscapeJob, progress: Any = None,
           stop: threading.Event | None = None) -> Landscape | str:
    """The landscape, :data:`CANCELLED`, or one line saying why it cannot be drawn."""
    try:
        loss, plane = prepare(job.graph, job.training, job.request)
        with _blas_limit():
            return run(loss, plane, job.request, progress=progress, stop=stop)
    except LandscapeCancelled:
        return CANCELLED
    except LandscapeError as exc:
        return _line(exc.gui)  # the editor's words: no command-line flags
    except Exception as exc:  # noqa: BLE001 (a failing op: say what, keep the editor running)
        return _line(f"the landscape could not be computed: {exc}")


def _line(text: str) -> str:
    text = text.strip().splitlines()[0] if text.strip() else "the landscape could not be drawn"
    return text[:1].upper() + text[1:]


class LandscapeRunner(QObject):
    """Runs one :class:`LandscapeJob` at a time in a worker thread."""

    done = Signal(object, object)  # the job's key, a Landscape or a one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress = (0, 1)
        self._held = False  # the collector frozen and the switch interval short for a job
        _runners.add(self)

    @property
    def busy(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def progress(self) -> tuple[int, int]:
        """(done, total) units of work of the running job."""
        with self._lock:
            return self._progress

    def submit(self, job: LandscapeJob) -> None:
        """Start ``job`` (a running one is cancelled first and its answer dropped by key)."""
        self.cancel()
        self._stop = stop = threading.Event()
        with self._lock:
            self._progress = (0, job.request.work)
        if not self._held:
            self._held = True
            _freeze()
        self._thread = threading.Thread(target=self._work, args=(job, stop),
                                        name="landscape", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._stop.set()

    def release(self) -> None:
        """The job's answer is drawn (or dropped): the collector and the GIL's switch
        interval go back to how they were (GUI thread)."""
        if self._held:
            self._held = False
            _unfreeze()

    def wait(self, seconds: float = 10.0) -> None:
        """Until the running job has answered (for closing)."""
        thread = self._thread
        if thread is not None:
            thread.join(seconds)

    def _on_progress(self, done: int, total: int) -> None:
        with self._lock:
            self._progress = (done, total)

    def _work(self, job: LandscapeJob, stop: threading.Event) -> None:
        result = answer(job, self._on_progress, stop)
        try:
            self.done.emit(job.key, result)  # queued to the GUI thread
        except RuntimeError:  # the panel was deleted meanwhile
            return


SWITCH_SECONDS = 0.001  # sys.setswitchinterval while a job runs
_running = [0, 0.005]  # jobs running, the switch interval before the first
_running_lock = threading.Lock()


def _freeze() -> None:
    """A job starts: the collector frozen, the GIL handed over sooner (see the module doc)."""
    with _running_lock:
        _running[0] += 1
        if _running[0] == 1:
            gc.freeze()
            _running[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_SECONDS, _running[1]))


def _unfreeze() -> None:
    with _running_lock:
        _running[0] -= 1
        if _running[0] == 0:
            gc.unfreeze()
            sys.setswitchinterval(_running[1])


_runners: weakref.WeakSet = weakref.WeakSet()  # every runner, to stop at exit


def stop_all(seconds: float = 5.0) -> None:
    """Cancel every running job and wait for its thread: a worker still running Python while
    the interpreter shuts down, or answering a deleted panel, can crash it."""
    for runner in list(_runners):
        runner.cancel()
        runner.wait(seconds)


def release_all() -> None:
    """Every hold released: the collector and the switch interval as before any job (a
    window closed while a job ran never drew its answer). Also run at exit: objects left
    frozen are torn down in no order at shutdown, which can crash the interpreter."""
    with _running_lock:
        if _running[0] > 0:
            _running[0] = 0
            gc.unfreeze()
            sys.setswitchinterval(_running[1])


atexit.register(release_all)
atexit.register(stop_all)  # run first (last registered): threads stopped, then released


def _blas_limit() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
