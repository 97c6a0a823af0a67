"""Computing landscapes in a worker process.

A grid of 201 x 201 points with four races takes seconds of pure Python and NumPy. Run in a
thread of the editor's process, it shares the GIL with the GUI thread, and each of the GUI
thread's timers, paints and input events waits for the worker to hand the GIL over: stalls of
40-150 ms on two cores, whatever the switch interval. A process of its own shares nothing;
the editor only sends the job (a copy of the graph, its settings and the request, ~10 kB
pickled) and receives the answer (the Landscape, ~40 kB at 41 x 41, ~700 kB at 201 x 201).

:class:`LandscapeWorker` keeps one ``spawn`` process (no fork of a process running Qt
threads) and starts it on the first job; it stays for the next ones (~0.2 s to start). The
job queue lives on the editor's side: the process holds at most one job, so cancelling a
queued job never reaches it, and cancelling the running one sets a shared number that the
computation reads at every grid point and optimizer step. Progress is two shared numbers
the dock reads with its timer. Nothing here blocks: :meth:`LandscapeWorker.answer` only
looks whether the answer has arrived. A process that dies (killed, out of memory) answers
its job with one line, and the next job starts a new one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ..graph import Graph
from ..spawned import become_worker, blas_limit, ended_how, requests, send_last, send_soon
from ..spawned import context as spawn_context
from .compute import Landscape, LandscapeCancelled, LandscapeRequest, prepare, run
from .plane import LandscapeError

CANCELLED = "cancelled"
STARTED = "the landscape worker could not be started"
WORKER_NICE = 5  # the worker yields the CPU to the editor when both want one core


@dataclass(frozen=True)
class LandscapeJob:
    """What to compute: on ``graph`` (a copy the live graph's edits never touch) with the
    file's ``training`` settings (None: defaults)."""

    graph: Graph
    training: dict[str, Any] | None
    request: LandscapeRequest
    key: Any = None  # the asker's, handed back with the answer


Answer = Landscape | str  # a landscape, CANCELLED or one line saying why there is none


def answer(job: LandscapeJob, progress: Any = None, stop: Any = None) -> Answer:
    """The landscape, :data:`CANCELLED`, or one line saying why it cannot be drawn.
    ``stop`` is anything with ``is_set()``."""
    try:
        loss, plane = prepare(job.graph, job.training, job.request)
        with blas_limit(1):
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


class LandscapeWorker:
    """One worker process and the queue of jobs for it (used from one thread)."""

    def __init__(self) -> None:
        self._context = spawn_context()
        self._process: Any = None
        self._conn: Any = None
        self._status: Any = None  # [job id, done, total], written by the worker
        self._cancel: Any = None  # the id of the job to stop
        self._next_id = 0
        self._queue: deque[tuple[int, LandscapeJob]] = deque()
        self._sent: int | None = None  # the job the process holds
        self._totals: dict[int, int] = {}
        self._answers: dict[int, Answer] = {}
        self._dropped: set[int] = set()  # discarded while computing: drop the answer
        self._sender: threading.Thread | None = None  # the last send_soon's thread

    # ---- asking --------------------------------------------------------------------------

    def submit(self, job: LandscapeJob) -> int:
        """Queue ``job``; its id, to ask about it."""
        self._next_id += 1
        job_id = self._next_id
        self._totals[job_id] = job.request.work
        self._queue.append((job_id, job))
        self._pump()
        return job_id

    def cancel(self, job_id: int) -> None:
        """Stop the job (it answers :data:`CANCELLED`, soon if it runs, at once if queued)."""
        for queued in self._queue:
            if queued[0] == job_id:
                self._queue.remove(queued)
                self._answers[job_id] = CANCELLED
                return
        if self._sent == job_id and self._cancel is not None:
            self._cancel.value = job_id

    def discard(self, job_id: int) -> None:
        """Cancel the job and drop its answer (nobody asks for it any more)."""
        self.cancel(job_id)
        self._totals.pop(job_id, None)
        self._answers.pop(job_id, None)
        if self._sent == job_id:
            self._dropped.add(job_id)

    def discard_all(self) -> None:
        """Discard every job (queued, computing, or answered and never taken)."""
        for job_id in list(self._totals):
            self.discard(job_id)
        self._answers.clear()

    @property
    def process_id(self) -> int | None:
        """The worker process's pid (None before the first job or after it stopped)."""
        return self._process.pid if self._process is not None else None

    @property
    def idle(self) -> bool:
        """No job queued or computing."""
        self._pump()
        return self._sent is None and not self._queue

    def wait_idle(self, seconds: float) -> bool:
        """Block up to ``seconds`` until :attr:`idle` (closing a window, the tests)."""
        deadline = time.monotonic() + seconds
        while not self.idle:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(OSError, EOFError, AttributeError):
                self._conn.poll(min(left, 0.05))
        return True

    def busy(self, job_id: int) -> bool:
        """Queued or computing, its answer not taken yet."""
        self._pump()
        return job_id in self._totals

    def progress(self, job_id: int) -> tuple[int, int]:
        """(done, total) units of work of the job (0 done while queued)."""
        total = self._totals.get(job_id, 1)
        status = self._status
        if status is not None and self._sent == job_id and status[0] == job_id:
            return min(int(status[1]), total), total
        return (total, total) if job_id in self._answers else (0, total)

    def answer(self, job_id: int) -> Answer | None:
        """The job's answer once it has arrived (then forgotten), else None; never waits."""
        self._pump()
        if job_id not in self._answers:
            return None
        self._totals.pop(job_id, None)
        return self._answers.pop(job_id)

    def close(self, seconds: float = 2.0) -> None:
        """Stop the process (its job and the queue answer CANCELLED)."""
        if self._sent is not None:
            self.cancel(self._sent)
        for job_id, _ in self._queue:
            self._answers[job_id] = CANCELLED
        self._queue.clear()
        self.wait_idle(seconds)  # its answer read: a large one blocks it from reading
        process, conn = self._process, self._conn
        if process is not None:
            if send_last(conn, self._sender, None, seconds):
                process.join(seconds)
            if process.is_alive():
                process.terminate()
                process.join(seconds)
        self._forget_process(CANCELLED)

    # ---- the process ---------------------------------------------------------------------

    def _pump(self) -> None:
        """Take the answer that arrived, if any, and hand the process the next job."""
        if self._sent is not None:
            self._receive()
        if self._sent is None and self._queue:
            job_id, job = self._queue.popleft()
            try:
                self._start()
            except Exception as exc:  # noqa: BLE001 (no process: say so, keep the editor)
                self._answers[job_id] = _line(f"{STARTED}: {exc}")
                self._forget_process(None)
                return
            try:
                self._sender = send_soon(self._conn, (job_id, job))  # a large graph
            except Exception as exc:  # noqa: BLE001 (pickling: nothing was sent)
                self._answers[job_id] = _line(f"the graph could not be sent to the landscape "
                                              f"worker: {exc}")
                return
            self._sent = job_id

    def _receive(self) -> None:
        sent = self._sent
        try:
            if not self._conn.poll():
                if self._process.is_alive():
                    return
                raise EOFError
            job_id, result = self._conn.recv()
        except (EOFError, OSError):
            process = self._process
            if process is not None:
                process.join(1.0)  # its exit code
            how = ended_how(process.exitcode if process is not None else None)
            self._forget_process(f"The landscape worker ended unexpectedly ({how}): compute "
                                 "again to start a new one")
            return
        except Exception as exc:  # noqa: BLE001 (an answer that cannot be read)
            job_id, result = sent, _line(f"the landscape could not be read back: {exc}")
        self._sent = None
        if job_id in self._dropped:
            self._dropped.discard(job_id)
        else:
            self._answers[job_id] = result

    def _start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._forget_process(None)
        ctx = self._context
        self._status = ctx.RawArray("q", 3)
        self._cancel = ctx.RawValue("q", 0)
        parent, child = ctx.Pipe()
        process = ctx.Process(target=serve, args=(child, self._status, self._cancel),
                              name="graphgui-landscape", daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent

    def _forget_process(self, answer_for_sent: str | None) -> None:
        sent = self._sent
        if sent is not None and answer_for_sent is not None and sent not in self._dropped:
            self._answers[sent] = answer_for_sent
        self._dropped.clear()
        self._sent = None
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        self._process = self._conn = self._status = self._cancel = None


class _Stop:
    """``is_set()`` for the computation: the editor asked to stop this job."""

    def __init__(self, cancel: Any, job_id: int) -> None:
        self.cancel, self.job_id = cancel, job_id

    def is_set(self) -> bool:
        return self.cancel.value == self.job_id


def serve(conn: Any, status: Any, cancel: Any) -> None:
    """The worker process: answer jobs until told to stop (None) or the editor is gone."""
    become_worker("graphgui-landsc", WORKER_NICE)
    for job_id, job in requests(conn):
        status[1], status[2] = 0, job.request.work
        status[0] = job_id

        def progress(done: int, total: int) -> None:
            status[1] = done

        result = answer(job, progress, _Stop(cancel, job_id))
        try:
            conn.send((job_id, result))
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as exc:  # noqa: BLE001 (an answer that cannot be pickled)
            conn.send((job_id, _line(f"the landscape could not be sent back: {exc}")))


_shared: list[LandscapeWorker] = []
_shared_lock = threading.Lock()


def shared_worker() -> LandscapeWorker:
    """The process's one worker (every Landscape dock's jobs queue for it)."""
    with _shared_lock:
        if not _shared:
            _shared.append(LandscapeWorker())
        return _shared[0]


def close_shared_worker() -> None:
    with _shared_lock:
        if _shared:
            _shared.pop().close()
