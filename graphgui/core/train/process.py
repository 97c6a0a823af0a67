"""Training in a process of its own, for the editor.

A training loop in a thread of the editor shares the GIL with the GUI thread: every paint,
timer and input event waits for the loop to hand the interpreter over (stalls of 60-120 ms
and training at 0.6 of its headless speed on two cores). :class:`TrainingProcess` runs
:class:`~graphgui.core.train.session.TrainingSession` in a ``spawn`` process instead (no fork
of a process running Qt threads) and is kept for the next run (:func:`take` and
:func:`give_back`; starting one costs ~0.3 s). The run streams :class:`Batch` es back
through a pipe and ends with a :class:`SessionEnd`; :meth:`TrainingProcess.messages` reads
what has arrived without waiting. A process that dies ends its run with one line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from ..spawned import become_worker, ended_how, requests, send_last, send_soon
from ..spawned import context as spawn_context
from .session import Controls, SessionEnd, SessionSpec, TrainingSession

TRAINING_NICE = 2  # the editor gets the CPU first when both want one core
IDLE_KEPT = 1  # idle processes kept for the next run


class TrainingProcess:
    """One process that trains one :class:`SessionSpec` at a time (used from one thread)."""

    def __init__(self) -> None:
        context = spawn_context()
        self.controls = Controls.make(context)
        parent, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child, self.controls),
                                        name="graphgui-training", daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        self._sender: threading.Thread | None = None  # the last send_soon's thread
        self.running = False

    @property
    def alive(self) -> bool:
        return self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def start(self, spec: SessionSpec, paused: bool = False,
              epochs_per_second: float | None = None) -> None:
        """Train ``spec`` (the process must be idle)."""
        self.controls.reset(paused, epochs_per_second)
        self._sender = send_soon(self._conn, spec)  # a spec with data: more than a pipe holds
        self.running = True

    def messages(self, wait: float = 0.0) -> list[tuple[str, Any]]:
        """What arrived: ("batch", Batch) ..., then ("end", SessionEnd) once; a process
        that died ends the run with ("end", one line)."""
        out: list[tuple[str, Any]] = []
        try:
            while self._conn.poll(wait if not out else 0.0):
                message = self._conn.recv()
                out.append(message)
                if message[0] == "end":
                    self.running = False
                    break
        except (EOFError, OSError):
            if self.running:
                out.append(("end", self._lost()))
        except Exception as exc:  # noqa: BLE001 (a message that cannot be read: end the run)
            if self.running:
                self.running = False
                self._process.terminate()  # the stream cannot be trusted after this
                out.append(("end", f"the training process's message could not be read: {exc}"))
        else:
            if self.running and not out and not self._process.is_alive():
                out.append(("end", self._lost()))
        return out

    def _lost(self) -> str:
        self.running = False
        self._process.join(1.0)  # its exit code
        return f"the training process ended unexpectedly ({ended_how(self._process.exitcode)})"

    def close(self, seconds: float = 2.0) -> None:
        """Stop the run and the process."""
        self.controls.stop.set()
        if self.running:  # read what it sends, or a full pipe keeps it from stopping
            wait_end(self, seconds)
        if send_last(self._conn, self._sender, None, seconds):
            self._process.join(seconds)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(seconds)
        with contextlib.suppress(OSError):
            self._conn.close()
        self.running = False


def serve(conn: Any, controls: Controls) -> None:
    """The training process: train each spec it is sent until told to stop (None)."""
    become_worker("graphgui-train", TRAINING_NICE)
    for spec in requests(conn):
        try:
            end: Any = _train(spec, controls, conn.send)
        except (EOFError, OSError, BrokenPipeError):
            return  # the editor is gone
        except Exception as exc:  # noqa: BLE001 (a Trainer that cannot be built here)
            end = f"training failed: {type(exc).__name__}: {exc}"
        try:
            conn.send(("end", end))
        except (EOFError, OSError, BrokenPipeError):
            return


def _train(spec: SessionSpec, controls: Controls, send: Any) -> SessionEnd:
    return TrainingSession(spec, controls, send).run()


_idle: list[TrainingProcess] = []
_idle_lock = threading.Lock()


def take() -> TrainingProcess:
    """An idle training process (a new one when none is kept)."""
    with _idle_lock:
        while _idle:
            process = _idle.pop()
            if process.alive:
                return process
    return TrainingProcess()


def give_back(process: TrainingProcess) -> None:
    """A process whose run has ended, kept for the next (or closed)."""
    if process.running or not process.alive:
        process.close()
        return
    with _idle_lock:
        if len(_idle) < IDLE_KEPT:
            _idle.append(process)
            return
    process.close()


def prestart() -> None:
    """Start a process ahead of the first run (the editor, once its window is up): its
    imports then happen while nobody waits for them."""
    with _idle_lock:
        if _idle:
            return
    try:
        process = TrainingProcess()
    except Exception:  # noqa: BLE001 (no process now: the first Train says why)
        return
    give_back(process)


def close_idle() -> None:
    """Stop every kept process (at exit)."""
    with _idle_lock:
        processes, _idle[:] = list(_idle), []
    for process in processes:
        process.close()


def wait_end(process: TrainingProcess, seconds: float) -> list[tuple[str, Any]]:
    """Every message until the run's end, waiting up to ``seconds`` (closing a window)."""
    deadline = time.monotonic() + seconds
    out: list[tuple[str, Any]] = []
    while process.running:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        out.extend(process.messages(wait=min(left, 0.05)))
    return out
