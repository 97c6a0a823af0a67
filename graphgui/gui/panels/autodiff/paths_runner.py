"""Listing paths off the GUI thread.

``path_sum`` is bounded by the core (elements on the paths, Jacobian entries), but near those
bounds it still takes seconds: the Paths dock asks a :class:`PathRunner`, which works on a
copy of the graph in a thread of its own and answers with ``done``. At most one question is
worked on; a newer one waits (replacing any older one still waiting), and the panel ignores
answers to questions it no longer asks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from graphgui.core.autodiff.pathsum import PathError, PathSum, path_sum
from graphgui.core.engine import EvaluationError
from graphgui.core.graph import Graph
from graphgui.core.labels import node_labels

LIMIT = 100  # paths listed (the largest by |product|); every path is counted


@dataclass(frozen=True)
class PathRequest:
    """One question: the paths from ``wrt`` to ``output`` in ``graph`` (a copy the live
    graph's edits never touch). ``wrt`` and ``output`` are node ids, ``ID[i,j]`` for one
    element; ``output`` None: the graph's output."""

    graph: Graph
    wrt: str
    output: str | None
    key: Any  # what the panel asked, handed back with the answer
    limit: int = LIMIT


def answer(request: PathRequest) -> PathSum | str:
    """The paths, or one line saying why they cannot be listed (never a traceback)."""
    try:
        return path_sum(request.graph, request.wrt, request.output, limit=request.limit)
    except PathError as exc:
        return _line(str(exc))
    except EvaluationError as exc:  # the graph does not compute: name the node by its label
        reason = str(exc).split(": ", 1)[-1]
        label = node_labels(request.graph).get(exc.node_id or "", "")
        return _line(f"{label} cannot be computed: {reason}" if label else reason)
    except Exception as exc:  # noqa: BLE001 (a failing op: say what, keep the editor running)
        return _line(f"the paths could not be listed: {exc}")


def _line(text: str) -> str:
    # As the core says it (not capitalised: it may start with a label, e.g. "xW").
    return text.strip().splitlines()[0] if text.strip() else "the paths could not be listed"


class PathRunner(QObject):
    """Answers :class:`PathRequest` s in a worker thread, one at a time, newest first."""

    done = Signal(object, object)  # the request's key, PathSum or a one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._running = False
        self._waiting: PathRequest | None = None

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._running

    def submit(self, request: PathRequest) -> None:
        with self._lock:
            if self._running:
                self._waiting = request  # the older waiting question is no longer asked
                return
            self._running = True
        threading.Thread(target=self._work, args=(request,), name="paths", daemon=True).start()

    def _work(self, request: PathRequest | None) -> None:
        while request is not None:
            result = answer(request)
            try:
                self.done.emit(request.key, result)  # queued to the GUI thread
            except RuntimeError:  # the panel was deleted meanwhile
                return
            with self._lock:
                request, self._waiting = self._waiting, None
                if request is None:
                    self._running = False
