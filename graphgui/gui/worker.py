"""Training off the GUI thread: the editor's side of a training process.

:class:`TrainingWorker` hands the run to a process of its own (graphgui.core.train.process:
a thread would share the GIL with the GUI thread) and keeps what the GUI reads: the epochs
finished, the latest prediction on the probe and the latest parameters, taken by
:meth:`drain` (~30 Hz, never one signal per epoch) and gathered from the pipe by a timer of
its own; ``finished`` once the run has ended. Pause, resume, step, stop and the speed are
numbers in shared memory that the training loop reads between epochs.

The editor's :class:`Trainer` (built from the same graph, settings and data as the one in the
process) follows the run: its ``epoch`` counts the epochs received, its update-ratio log gets
the ratios the process recorded, and at the end it holds the trained parameters, so that
what reads it after a run (the timeline's pictures, the Health dock) sees that model.
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.graph import Graph
from graphgui.core.train import EpochResult, Trainer, TrainingError
from graphgui.core.train import process as processes
from graphgui.core.train.session import PROBE_INTERVAL, SessionEnd, SessionSpec
from graphgui.core.train.timeline import Timeline

LOOK_MS = 15  # how often the pipe is read while a run lasts
WAIT_SECONDS = 10.0  # wait() gives a stopped run this long to answer


@dataclass
class Progress:
    """What :meth:`TrainingWorker.drain` hands over: new epochs and the latest probe."""

    results: list[EpochResult] = field(default_factory=list)
    probe: tuple[int, Any] | None = None  # (epoch, prediction on the probe inputs)
    values: tuple[int, dict[str, Any]] | None = None  # (epoch, parameters by node id)


class TrainingWorker(QObject):
    """Runs ``trainer``'s training in a training process. Used from the GUI thread.

    ``graph`` is the graph ``trainer`` was built from (the process builds its own Trainer
    from a copy). ``probe`` is an input array in the dataset's layout (a grid over the plane
    for the decision boundary, a line for a 1-D fit), predicted every ``probe_interval``
    seconds and after the last epoch. ``epochs_per_second`` (None: as fast as it goes) paces
    the run; :meth:`set_speed` changes it while it runs.
    After ``finished``: :attr:`error` (a TrainingError or None), :attr:`parameters` (the
    trained values by node id; the last finite ones after a non-finite loss), :attr:`stopped`,
    :attr:`final` (loss, accuracy) with those parameters on the whole training set (test
    accuracy when there is a test set) and :attr:`timeline`.
    """

    finished = Signal()

    def __init__(
        self, trainer: Trainer, probe: np.ndarray | None = None,
        probe_interval: float = PROBE_INTERVAL, blas_threads: int | None = 1,
        parent: QObject | None = None, epochs_per_second: float | None = None,
        graph: Graph | None = None,
    ) -> None:
        super().__init__(parent)
        if graph is None:
            raise ValueError("TrainingWorker needs the graph its trainer was built from")
        self.trainer = trainer
        self.probe = probe
        self._spec = SessionSpec(graph.subgraph(n.id for n in graph), trainer.settings,
                                 trainer.dataset, probe, probe_interval,
                                 trainer.update_ratios is not None, blas_threads)
        self.epochs_per_second = epochs_per_second
        self._process: processes.TrainingProcess | None = None
        self._progress = Progress()
        self._last_values: tuple[int, dict[str, Any]] | None = None  # the newest received
        self.crashed = False  # the process ended without finishing the run
        self._state = "new"  # new, running, finished
        self._paused_start = False
        self.error: TrainingError | None = None
        self.final: tuple[float, float | None] | None = None
        self.parameters: dict[str, Any] = {}
        self.stopped = False
        self.seconds = 0.0  # the training loop alone
        # The run's timeline: the parameters before the first epoch until the process sends
        # the whole one at the end.
        self.timeline = Timeline()
        self.timeline.add(trainer.epoch, trainer.parameters())
        self._timer = QTimer(self)
        self._timer.setInterval(LOOK_MS)
        self._timer.timeout.connect(self._look)

    # ---- the QThread-like surface the runner uses ----------------------------------------

    def start(self) -> None:
        if self._state != "new":
            return
        self._state = "running"
        try:
            self._process = processes.take()
            self._process.start(self._spec, self._paused_start, self.epochs_per_second)
        except Exception as exc:  # noqa: BLE001 (no process: the run ends with one line)
            self._end(f"the training process could not be started: {exc}")
            return
        self._timer.start()

    def isRunning(self) -> bool:  # noqa: N802 (QThread's name)
        return self._state == "running"

    def isFinished(self) -> bool:  # noqa: N802 (QThread's name)
        return self._state == "finished"

    def wait(self, seconds: float = WAIT_SECONDS) -> bool:
        """Block until the run has ended (after :meth:`stop`: closing, another document)."""
        process = self._process
        if self._state == "running" and process is not None:
            self._take(processes.wait_end(process, seconds))
            if self._state == "running":  # it did not answer: end it here
                process.close()
                self._take(process.messages())
                if self._state == "running":
                    self._end("the training process did not stop")
        return self._state == "finished"

    # ---- control -------------------------------------------------------------------------

    def _controls(self) -> Any:
        return self._process.controls if self._process is not None else None

    def start_paused(self) -> None:
        """Start with the pause set: the first epoch waits for resume() or step()."""
        self._paused_start = True
        self.start()

    def pause(self) -> None:
        controls = self._controls()
        if controls is not None:
            controls.pause.set()

    def resume(self) -> None:
        controls = self._controls()
        if controls is not None:
            controls.resume()

    def set_speed(self, epochs_per_second: float | None) -> None:
        """Epochs per second from now on (None: as fast as it goes)."""
        self.epochs_per_second = epochs_per_second
        controls = self._controls()
        if controls is not None:
            controls.speed.value = float(epochs_per_second or 0.0)
            controls.speed_version.value += 1

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` more epochs, then pause (call while paused or before start)."""
        if self._state == "new":
            self._paused_start = True
            self.start()
        controls = self._controls()
        if controls is not None:
            controls.step(epochs)

    def stop(self) -> None:
        controls = self._controls()
        if controls is not None:
            controls.stop.set()

    @property
    def waiting(self) -> bool:
        """True while the run sits in its pause (no epoch running) and the GUI has every
        epoch finished before it."""
        controls = self._controls()
        if controls is None or not controls.waiting.is_set():
            return False
        self._look()
        return self.trainer.epoch == controls.epoch.value

    def drain(self) -> Progress:
        """The epochs finished since the last call, the latest probe and the latest
        parameters."""
        self._look()
        progress, self._progress = self._progress, Progress()
        return progress

    # ---- the pipe ------------------------------------------------------------------------

    def _look(self) -> None:
        if self._state == "running" and self._process is not None:
            self._take(self._process.messages())

    def _take(self, messages: list[tuple[str, Any]]) -> None:
        trainer, progress = self.trainer, self._progress
        for kind, payload in messages:
            if kind == "batch":
                progress.results.extend(payload.results)
                if payload.results:
                    trainer.epoch = payload.results[-1].epoch
                if payload.probe is not None:
                    progress.probe = payload.probe
                if payload.values is not None:
                    progress.values = payload.values
                    self._last_values = payload.values
                log = trainer.update_ratios
                if log is not None:
                    for epoch, ratios in payload.ratios:
                        log.add(epoch, ratios)
            elif kind == "end":
                self._end(payload)

    def _end(self, end: SessionEnd | str) -> None:
        self._state = "finished"
        self._timer.stop()
        if isinstance(end, str):  # the process is gone: keep the newest parameters sent
            self.crashed = True
            last = self._last_values
            if last is not None:
                epoch, values = last
                self.parameters = dict(values)
                self.trainer.epoch = epoch  # the epoch those parameters are (the undo step's)
                self.timeline.finish(epoch, self.parameters)
                end += f"; kept the parameters of epoch {epoch}"
            else:
                self.parameters = self.trainer.parameters()
                self.trainer.epoch = self.timeline.epochs[-1] if self.timeline.epochs else 0
            self.error = TrainingError(end)
        else:
            self.error = end.error
            self.parameters = end.parameters
            self.timeline = end.timeline
            self.final, self.stopped, self.seconds = end.final, end.stopped, end.seconds
            self.trainer.epoch = end.epoch
        self.trainer.set_parameters(self.parameters)
        process, self._process = self._process, None
        if process is not None:
            processes.give_back(process)
        QTimer.singleShot(0, self, self.finished.emit)


def run_headless(trainer: Trainer, callback: Callable[[EpochResult], Any] | None = None) -> float:
    """Seconds ``trainer.run`` takes in this thread (the benchmark's reference)."""
    start = time.perf_counter()
    trainer.run(callback=callback)
    return time.perf_counter() - start


atexit.register(processes.close_idle)
