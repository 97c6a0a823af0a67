"""Training off the GUI thread: a QThread that runs :meth:`Trainer.run`.

The Trainer already works on its own compiled snapshot of the graph (it never touches the live
Graph after construction), so the worker needs no copy of its own. It talks to the GUI only
through a lock-protected buffer that the GUI drains with a ~30 Hz QTimer (one signal per epoch
would flood the event loop at 20,000 epochs a second) and through ``finished``. Pause, resume
and stop are ``threading.Event``s the Trainer checks between epochs and mini-batches.

While the GUI runs, NumPy's BLAS gets one thread in the worker (threadpoolctl): on two cores
the GUI thread, the worker and BLAS threads otherwise compete and the canvas stutters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread

from graphgui.core.train import EpochResult, Trainer, TrainingError

PROBE_INTERVAL = 0.25  # seconds between two predictions on the probe grid


@dataclass
class Progress:
    """What :meth:`TrainingWorker.drain` hands over: new epochs and the latest probe."""

    results: list[EpochResult] = field(default_factory=list)
    probe: tuple[int, Any] | None = None  # (epoch, prediction on the probe inputs)


class TrainingWorker(QThread):
    """Runs ``trainer`` in a thread. Control methods are called from the GUI thread.

    ``probe`` is an input array in the dataset's layout (a grid over the plane for the
    decision boundary, a line for a 1-D fit); every ``probe_interval`` seconds, and after the
    last epoch, the worker evaluates ``trainer.predict(probe)`` in its own thread (the Trainer
    is not shared between threads) and keeps the latest result for :meth:`drain`.
    After ``finished``: :attr:`error` (a TrainingError or None), :attr:`parameters` (the
    trained values by node id; the last finite ones after a non-finite loss), :attr:`stopped`.
    """

    def __init__(
        self, trainer: Trainer, probe: np.ndarray | None = None,
        probe_interval: float = PROBE_INTERVAL, blas_threads: int | None = 1,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.probe = probe
        self.probe_interval = probe_interval
        self.blas_threads = blas_threads
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._lock = threading.Lock()
        self._results: list[EpochResult] = []
        self._probe: tuple[int, Any] | None = None
        self._probe_time = 0.0
        self._target: int | None = None  # pause once this epoch is done (Step epoch)
        self._hold_until = 0.0
        self.error: TrainingError | None = None
        self.parameters: dict[str, Any] = {}
        self.stopped = False
        self.seconds = 0.0  # the training loop alone
        self.total_epochs = trainer.epochs

    # ---- control (GUI thread) ------------------------------------------------------------

    def start_paused(self) -> None:
        """Start with the pause set: the first epoch waits for resume() or step()."""
        self._pause.set()
        self.start()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._target = None
        self._pause.clear()

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs, then pause (call while paused or before start)."""
        self._target = self.trainer.epoch + epochs  # stable: the trainer is waiting
        self._pause.clear()
        if not self.isRunning() and not self.isFinished():
            self.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def pause_requested(self) -> bool:
        return self._pause.is_set()

    @property
    def waiting(self) -> bool:
        """True while the trainer sits in its pause (no epoch running)."""
        return self.trainer.paused.is_set()

    def drain(self) -> Progress:
        """The epochs finished since the last call and the latest probe (GUI thread)."""
        with self._lock:
            results, self._results = self._results, []
            probe, self._probe = self._probe, None
        return Progress(results, probe)

    # ---- the thread ----------------------------------------------------------------------

    def run(self) -> None:  # noqa: D102 (QThread entry point)
        limiter = _blas_limit(self.blas_threads)
        wait = self._hold_until - time.perf_counter()
        if wait > 0:  # let the GUI show the start first (buttons, cleared plots)
            self._stop.wait(wait)
        start = time.perf_counter()
        try:
            with limiter:
                self.trainer.run(callback=self._on_epoch, stop=self._stop, pause=self._pause)
        except TrainingError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a worker must report, never die silently
            self.error = TrainingError(f"training failed: {type(exc).__name__}: {exc}")
        self.seconds = time.perf_counter() - start
        self.stopped = self._stop.is_set()
        self.parameters = self.trainer.parameters()
        self._run_probe()

    def hold(self, seconds: float) -> None:
        """Step aside for ``seconds`` after the current epoch (GUI thread): the GUI is about
        to repaint its plots. pyqtgraph paints in Python; with the worker holding the GIL
        each of its many Python <-> Qt transitions waits for a GIL switch, and a 10 ms paint
        becomes a 150 ms stall. A short pause without the GIL lets it paint at full speed."""
        self._hold_until = time.perf_counter() + seconds

    def _on_epoch(self, result: EpochResult) -> None:
        with self._lock:
            self._results.append(result)
        wait = self._hold_until - time.perf_counter()
        if wait > 0:
            self._stop.wait(wait)  # sleeps without the GIL; a stop ends it early
        target = self._target
        if target is not None and result.epoch >= target:
            self._target = None
            self._pause.set()
        if self.probe is not None and (
            self._pause.is_set()  # about to wait: show the model as it is now
            or time.perf_counter() - self._probe_time >= self.probe_interval
        ):
            self._run_probe()

    def _run_probe(self) -> None:
        if self.probe is None:
            return
        self._probe_time = time.perf_counter()
        try:
            value = self.trainer.predict(self.probe)
        except TrainingError:
            return  # a grid the model cannot take (shape) is the plot's problem, not training's
        with self._lock:
            self._probe = (self.trainer.epoch, value)


def _blas_limit(threads: int | None) -> Any:
    """A context that caps BLAS threads (a no-op without threadpoolctl or a cap)."""
    if threads is None:
        return _Null()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a declared dependency
        return _Null()
    return threadpool_limits(limits=threads, user_api="blas")


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def run_headless(trainer: Trainer, callback: Callable[[EpochResult], Any] | None = None) -> float:
    """Seconds ``trainer.run`` takes in this thread (the benchmark's reference)."""
    start = time.perf_counter()
    trainer.run(callback=callback)
    return time.perf_counter() - start
