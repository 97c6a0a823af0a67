"""Training off the GUI thread: a QThread that runs :meth:`Trainer.run`.

The Trainer already works on its own compiled snapshot of the graph (it never touches the live
Graph after construction), so the worker needs no copy of its own. It talks to the GUI only
through a lock-protected buffer that the GUI drains with a ~30 Hz QTimer (one signal per epoch
would flood the event loop at 20,000 epochs a second) and through ``finished``. Pause, resume
and stop are ``threading.Event``s the Trainer checks between epochs and mini-batches.

A speed (``epochs_per_second``) makes the worker wait between epochs, in its own thread and
without the GIL, so a run can be watched; every ~0.1 s, and when it pauses or ends, it
publishes its current parameters for the canvas to show live.

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
from graphgui.core.train.timeline import Timeline

PROBE_INTERVAL = 0.25  # seconds between two predictions on the probe grid
VALUES_INTERVAL = 0.1  # seconds between two published parameter snapshots
WAIT_SLICE = 0.05  # a paced wait looks at pause and speed changes this often
BEHIND = 0.5  # seconds behind the pace after which it restarts (no rush to catch up)


@dataclass
class Progress:
    """What :meth:`TrainingWorker.drain` hands over: new epochs and the latest probe."""

    results: list[EpochResult] = field(default_factory=list)
    probe: tuple[int, Any] | None = None  # (epoch, prediction on the probe inputs)
    values: tuple[int, dict[str, Any]] | None = None  # (epoch, parameters by node id)


class TrainingWorker(QThread):
    """Runs ``trainer`` in a thread. Control methods are called from the GUI thread.

    ``probe`` is an input array in the dataset's layout (a grid over the plane for the
    decision boundary, a line for a 1-D fit); every ``probe_interval`` seconds, and after the
    last epoch, the worker evaluates ``trainer.predict(probe)`` in its own thread (the Trainer
    is not shared between threads) and keeps the latest result for :meth:`drain`.
    ``epochs_per_second`` (None: as fast as it goes) paces the run; :meth:`set_speed`
    changes it while it runs.
    After ``finished``: :attr:`error` (a TrainingError or None), :attr:`parameters` (the
    trained values by node id; the last finite ones after a non-finite loss), :attr:`stopped`,
    and :attr:`final` (loss, accuracy) measured with those parameters on the whole training
    set (test accuracy when there is a test set), what the canvas then shows.
    """

    def __init__(
        self, trainer: Trainer, probe: np.ndarray | None = None,
        probe_interval: float = PROBE_INTERVAL, blas_threads: int | None = 1,
        parent: QObject | None = None, epochs_per_second: float | None = None,
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
        self._values: tuple[int, dict[str, Any]] | None = None
        self._values_time = 0.0
        self.epochs_per_second = epochs_per_second
        self._pace: tuple[float, int] | None = None  # (time, epoch) the pace counts from
        self.error: TrainingError | None = None
        self.final: tuple[float, float | None] | None = None
        self.parameters: dict[str, Any] = {}
        self.stopped = False
        self.seconds = 0.0  # the training loop alone
        self.total_epochs = trainer.epochs
        # The run's timeline (core/train/timeline.py), written by this thread only; the GUI
        # reads it once the run has ended. The parameters before the first epoch are epoch 0.
        self.timeline = Timeline()
        self.timeline.add(trainer.epoch, trainer.parameters())

    # ---- control (GUI thread) ------------------------------------------------------------

    def start_paused(self) -> None:
        """Start with the pause set: the first epoch waits for resume() or step()."""
        self._pause.set()
        self.start()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._target = None
        self._pace = None
        self._pause.clear()

    def set_speed(self, epochs_per_second: float | None) -> None:
        """Epochs per second from now on (None: as fast as it goes)."""
        self.epochs_per_second = epochs_per_second
        self._pace = None

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs, then pause (call while paused or before start)."""
        self._target = self.trainer.epoch + epochs  # stable: the trainer is waiting
        self._pace = None
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
        """The epochs finished since the last call, the latest probe and the latest
        parameters (GUI thread)."""
        with self._lock:
            results, self._results = self._results, []
            probe, self._probe = self._probe, None
            values, self._values = self._values, None
        return Progress(results, probe, values)

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
        self.timeline.finish(self.trainer.epoch, self.parameters)
        self.final = self._final_metrics()
        self._publish_values()
        self._run_probe()

    def _final_metrics(self) -> tuple[float, float | None] | None:
        """(loss, accuracy) with the final parameters: the loss on the whole training set
        (the number the canvas shows for the loss node), the test accuracy if any."""
        trainer = self.trainer
        try:
            loss, accuracy = trainer.evaluate("train")
            data = trainer.dataset
            if data is not None and data.n_test and accuracy is not None:
                accuracy = trainer.evaluate("test")[1]
        except TrainingError:
            return None
        return loss, accuracy

    def hold(self, seconds: float) -> None:
        """Step aside for ``seconds`` after the current epoch (GUI thread): the GUI is about
        to repaint its plots. pyqtgraph paints in Python; with the worker holding the GIL
        each of its many Python <-> Qt transitions waits for a GIL switch, and a 10 ms paint
        becomes a 150 ms stall. A short pause without the GIL lets it paint at full speed."""
        self._hold_until = time.perf_counter() + seconds

    def _on_epoch(self, result: EpochResult) -> None:
        with self._lock:
            self._results.append(result)
        timeline = self.timeline
        if timeline.due():  # a copy of the parameters only for the epochs it keeps
            timeline.add(result.epoch, self.trainer.parameters(), result.train_loss,
                         result.grad_norms, copy=False)  # parameters() gives copies
        else:
            timeline.skip(result.epoch, result.train_loss)
        now = time.perf_counter()
        wait = self._hold_until - now
        if wait > 0:
            self._stop.wait(wait)  # sleeps without the GIL; a stop ends it early
        if self.epochs_per_second:
            self._keep_pace(result.epoch)
        target = self._target
        if target is not None and result.epoch >= target:
            self._target = None
            self._pause.set()
        now = time.perf_counter()
        pausing = self._pause.is_set()  # about to wait: show the model as it is now
        if pausing or now - self._values_time >= VALUES_INTERVAL:
            self._values_time = now
            self._publish_values()
        if self.probe is not None and (pausing or now - self._probe_time >= self.probe_interval):
            self._run_probe()

    def _keep_pace(self, epoch: int) -> None:
        """Wait until this epoch is due at the chosen speed (pause, stop or another speed
        end the wait early)."""
        now = time.perf_counter()
        pace = self._pace
        if pace is None:
            self._pace = (now, epoch)
            return
        rate = self.epochs_per_second
        due = pace[0] + (epoch - pace[1]) / rate if rate else now
        if due < now - BEHIND:  # slower than asked (a big model): count from here
            self._pace = (now, epoch)
            return
        while not self._stop.is_set() and not self._pause.is_set():
            left = due - time.perf_counter()
            if left <= 0 or self._pace is None:  # due, or the speed changed
                break
            self._stop.wait(min(left, WAIT_SLICE))

    def _publish_values(self) -> None:
        values = self.trainer.parameters()
        with self._lock:
            self._values = (self.trainer.epoch, values)

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
