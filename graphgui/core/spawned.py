"""What the editor's worker processes share (the landscape's and training's).

Both are ``spawn`` processes: a fork of a process running Qt's threads can deadlock in the
child. A message larger than the pipe's buffer (64 kB on Linux) blocks its sender until the
other side reads, and a process just started reads nothing for ~0.3 s while it imports
NumPy: :func:`send_soon` sends from a short-lived thread, which waits in ``write`` without
the GIL, so the GUI thread never waits for it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any


def context() -> Any:
    """The multiprocessing context every worker process is started with."""
    return multiprocessing.get_context("spawn")


def send_soon(conn: Any, message: Any, on_error: Any = None) -> threading.Thread:
    """Send ``message`` on ``conn`` without waiting for the other side to read it; the
    sending thread (join it before anything else is written on ``conn``: two writers
    interleave their bytes). ``message`` is pickled here first, so a message that cannot be
    pickled raises here; ``on_error(exc)`` is called (in the thread) if the pipe breaks."""
    from multiprocessing.reduction import ForkingPickler

    data = bytes(ForkingPickler.dumps(message))

    def send() -> None:
        try:
            conn.send_bytes(data)
        except (OSError, EOFError, ValueError) as exc:
            if on_error is not None:
                on_error(exc)

    thread = threading.Thread(target=send, name="graphgui-send", daemon=True)
    thread.start()
    return thread


def send_last(conn: Any, sender: threading.Thread | None, message: Any,
              seconds: float) -> bool:
    """Send ``message`` once ``sender`` (a :func:`send_soon` thread) is done; False when it
    is still writing after ``seconds`` (the other side reads nothing) or the pipe is gone."""
    if sender is not None:
        sender.join(seconds)
        if sender.is_alive():
            return False
    try:
        conn.send(message)
    except (OSError, ValueError, EOFError):
        return False
    return True


def ended_how(exitcode: int | None) -> str:
    """How a worker process ended, in words: "killed by SIGKILL", "exit code 1"."""
    if exitcode is None:
        return "for a reason not known"
    if exitcode < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def become_worker(name: str, nice: int) -> None:
    """The start of a worker process: named, at a lower priority, ending with the editor."""
    lower_priority(nice)
    name_process(name)
    exit_with_parent()


def requests(conn: Any) -> Iterator[Any]:
    """What the editor sends a worker, until it says stop (None) or is gone."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        except Exception:  # noqa: BLE001 (bytes that are no message: the stream is lost)
            return
        if message is None:
            return
        yield message


def exit_with_parent() -> None:
    """In a worker process: end it as soon as the editor's process is gone (killed, crashed).
    A worker waiting in a pause, or computing a long job, would otherwise run on, orphaned:
    its pipe is only read between jobs or batches. A daemon thread waits on the parent's
    sentinel, which becomes ready when the parent exits."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        from multiprocessing.connection import wait

        wait([parent.sentinel])
        os._exit(0)  # nothing to save: the work was the editor's, and it is gone

    threading.Thread(target=watch, name="graphgui-parent-watch", daemon=True).start()


def name_process(name: str) -> None:
    """In a worker process: the name ``top``, ``ps -o comm`` and ``pstree`` show (Linux;
    15 characters), instead of every worker being "python"."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError, TypeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def blas_limit(threads: int | None = 1) -> Any:
    """A context capping NumPy's BLAS threads (None: no cap): on two cores the editor, a
    worker and BLAS's own threads otherwise compete for them."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def lower_priority(amount: int) -> None:
    """In a worker process: let the editor have the CPU first when both want one core."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(amount)
