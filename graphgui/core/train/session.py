"""One training run as the editor watches it, in the training process (train/process.py).

:class:`TrainingSession` runs :meth:`Trainer.run` with what the editor needs around it:

- every ~30 ms a :class:`Batch` goes to the editor: the epochs finished since the last one,
  the latest prediction on the probe (every ``probe_interval`` s: the decision boundary or
  the fit), the latest parameters (every 0.1 s: the canvas's live numbers) and the new
  update-to-data ratios (the Health dock);
- the run's :class:`~graphgui.core.train.timeline.Timeline` is kept here and sent at the end;
- a speed (epochs per second) paces the run; a target epoch (Step epoch) pauses it there.

The editor steers it through :class:`Controls`, numbers in shared memory that the training
loop reads between epochs and batches (a pipe message would wait for the loop to read it).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import Graph
from ..spawned import blas_limit
from ..values import Value
from .results import EpochResult
from .settings import TrainingError, TrainSettings
from .timeline import Timeline
from .trainer import Trainer

PROBE_INTERVAL = 0.25  # seconds between two predictions on the probe grid
VALUES_INTERVAL = 0.1  # seconds between two published parameter snapshots
BATCH_INTERVAL = 0.03  # seconds between two batches sent to the editor
PLAN_HORIZON = 10_000  # epochs the timeline's spacing is planned for at most
WAIT_SLICE = 0.05  # a paced wait looks at pause and speed changes this often
BEHIND = 0.5  # seconds behind the pace after which it restarts (no rush to catch up)
FLAG_POLL = 0.005  # a Flag's wait looks this often


class Flag:
    """``threading.Event``'s set/clear/is_set/wait on one shared byte: read between epochs
    (tens of thousands a second) without the lock a ``multiprocessing.Event`` takes."""

    def __init__(self, value: Any) -> None:
        self._value = value  # a multiprocessing RawValue("b")

    def set(self) -> None:
        self._value.value = 1

    def clear(self) -> None:
        self._value.value = 0

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._value.value:
            left = FLAG_POLL if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(left, FLAG_POLL))
        return True


@dataclass
class Controls:
    """The editor's controls of the run in the process, and what the process reports back
    (``epoch``, ``waiting``). Made once per process from shared memory (``context``'s
    RawValues, inherited when the process starts) and reset for each run."""

    stop: Flag
    pause: Flag
    waiting: Flag  # the Trainer sits in its pause (no epoch running)
    speed: Any  # RawValue("d"): epochs per second, 0 for as fast as it goes
    speed_version: Any  # RawValue("q"): bumped on every speed change (the pace restarts)
    target: Any  # RawValue("q"): pause once this epoch is done, -1 for none
    epoch: Any  # RawValue("q"): the last epoch finished
    lock: Any  # held to move ``target`` (Step epoch clicked again as one is reached)

    @classmethod
    def make(cls, context: Any) -> Controls:
        raw = context.RawValue
        return cls(Flag(raw("b", 0)), Flag(raw("b", 0)), Flag(raw("b", 0)), raw("d", 0.0),
                   raw("q", 0), raw("q", -1), raw("q", 0), context.Lock())

    def step(self, epochs: int) -> None:
        """Train ``epochs`` more epochs, then pause: after the step still to come, if one
        is (a quick second click is one more epoch, not the same one)."""
        with _held(self.lock):
            pending = self.target.value
            self.target.value = (pending if pending >= 0 else self.epoch.value) + epochs
            self.speed_version.value += 1
            self.pause.clear()

    def resume(self) -> None:
        with _held(self.lock):
            self.target.value = -1
            self.speed_version.value += 1  # the pace counts from now
            self.pause.clear()

    def reached(self, epoch: int) -> bool:
        """The process finished ``epoch``: True (and the pause set) when it is the target."""
        target = self.target.value
        if target < 0 or epoch < target:
            return False
        with _held(self.lock):
            if self.target.value != target:  # another Step moved it meanwhile
                return False
            self.target.value = -1
            self.pause.set()
            return True

    def reset(self, paused: bool, epochs_per_second: float | None) -> None:
        self.stop.clear()
        self.waiting.clear()
        (self.pause.set if paused else self.pause.clear)()
        self.speed.value = float(epochs_per_second or 0.0)
        self.speed_version.value += 1
        self.target.value = -1
        self.epoch.value = 0


@dataclass
class SessionSpec:
    """What to train: ``graph`` (a copy), the Trainer's ``settings`` and ``dataset`` (the
    editor built its Trainer from these: the process builds the same one)."""

    graph: Graph
    settings: TrainSettings
    dataset: Any
    probe: np.ndarray | None = None
    probe_interval: float = PROBE_INTERVAL
    record_ratios: bool = False
    blas_threads: int | None = 1


@dataclass
class Batch:
    """The run since the last batch."""

    results: list[EpochResult] = field(default_factory=list)
    probe: tuple[int, Any] | None = None  # (epoch, prediction on the probe inputs)
    values: tuple[int, dict[str, Value]] | None = None  # (epoch, parameters by node id)
    ratios: list[tuple[int, tuple[float, ...]]] = field(default_factory=list)


@dataclass
class SessionEnd:
    """How the run ended: ``error`` (or None), the parameters (the last finite
    ones after a non-finite loss), ``final`` (loss, accuracy) with them, the timeline."""

    epoch: int
    parameters: dict[str, Value]
    timeline: Timeline
    final: tuple[float, float | None] | None
    error: TrainingError | None
    stopped: bool
    seconds: float  # training time, pauses left out


class TrainingSession:
    """Runs one :class:`SessionSpec` under ``controls``, handing batches to ``send``."""

    def __init__(self, spec: SessionSpec, controls: Controls,
                 send: Callable[[Any], Any]) -> None:
        self.spec, self.controls, self.send = spec, controls, send
        self.trainer = trainer = Trainer.from_settings(spec.graph, spec.settings,
                                                       dataset=spec.dataset)
        self.waiting = _Waiting(self)
        trainer.paused = self.waiting  # type: ignore[assignment] (set while it waits)
        self.batch = Batch()
        if spec.record_ratios:
            log = trainer.record_update_ratios()
            record = log.add

            def add(epoch: int, ratios: Any) -> None:
                record(epoch, ratios)
                self.batch.ratios.append((int(epoch), tuple(float(r) for r in ratios)))

            log.add = add  # type: ignore[method-assign] (what the editor's log adds too)
        self.timeline = Timeline()
        self.timeline.add(trainer.epoch, trainer.parameters())
        # Copy only the moments it will keep (~1.5 us an epoch of a moons run), planning at
        # most PLAN_HORIZON epochs ahead: a long run stopped early keeps every 16th epoch.
        self.timeline.plan(min(trainer.epochs - trainer.epoch, PLAN_HORIZON))
        self._sent = self._values_time = self._probe_time = 0.0
        self._pace: tuple[float, int, int] | None = None  # (time, epoch, speed version)

    def run(self) -> SessionEnd:
        trainer, controls = self.trainer, self.controls
        error: TrainingError | None = None
        start = time.perf_counter()
        try:
            with blas_limit(self.spec.blas_threads):
                trainer.run(callback=self._on_epoch, stop=controls.stop,  # type: ignore[arg-type]
                            pause=controls.pause)  # type: ignore[arg-type]
        except TrainingError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - report, never die silently
            error = TrainingError(f"training failed: {type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - start - self.waiting.seconds  # paused time out
        parameters = trainer.parameters()
        self.timeline.finish(trainer.epoch, parameters)
        self.batch.values = (trainer.epoch, parameters)
        self._run_probe()
        self._flush()
        return SessionEnd(trainer.epoch, parameters, self.timeline, self._final_metrics(),
                          error, controls.stop.is_set(), seconds)

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

    def _on_epoch(self, result: EpochResult) -> None:
        trainer, controls = self.trainer, self.controls
        if controls.speed.value > 0:
            self._keep_pace(result.epoch)  # shown when it is due, not when computed
        controls.epoch.value = result.epoch
        self.batch.results.append(result)
        timeline = self.timeline
        if timeline.due():  # a copy of the parameters only for the epochs it keeps
            timeline.add(result.epoch, trainer.parameters(), result.train_loss,
                         result.grad_norms, copy=False)  # parameters() gives copies
        else:
            timeline.skip(result.epoch, result.train_loss)
        controls.reached(result.epoch)
        now = time.perf_counter()
        pausing = controls.pause.is_set()  # about to wait: show the model as it is now
        if pausing or now - self._values_time >= VALUES_INTERVAL:
            self._values_time = now
            self.batch.values = (trainer.epoch, trainer.parameters())
        if self.spec.probe is not None and (
                pausing or now - self._probe_time >= self.spec.probe_interval):
            self._run_probe()
        if pausing or now - self._sent >= BATCH_INTERVAL:
            self._flush()

    def _keep_pace(self, epoch: int) -> None:
        """Wait until this epoch is due at the chosen speed (pause, stop or another speed
        end the wait early)."""
        controls = self.controls
        now = time.perf_counter()
        version = controls.speed_version.value
        pace = self._pace
        if pace is None or pace[2] != version:
            self._pace = (now, epoch, version)
            return
        rate = controls.speed.value
        due = pace[0] + (epoch - pace[1]) / rate if rate > 0 else now
        if due < now - BEHIND:  # slower than asked (a big model): count from here
            self._pace = (now, epoch, version)
            return
        self._flush()  # what is done is shown while it waits
        while not controls.stop.is_set() and not controls.pause.is_set():
            left = due - time.perf_counter()
            if left <= 0 or controls.speed_version.value != version:
                break
            time.sleep(min(left, WAIT_SLICE))

    def show_pause(self) -> None:
        """The run is about to wait (paused): everything up to now goes to the editor, with
        the model as it is now (a pause asked for after the last epoch's check)."""
        trainer = self.trainer
        self.batch.values = (trainer.epoch, trainer.parameters())
        probe = self.batch.probe
        if self.spec.probe is not None and (probe is None or probe[0] != trainer.epoch):
            self._run_probe()
        self._flush()

    def _run_probe(self) -> None:
        if self.spec.probe is None:
            return
        self._probe_time = time.perf_counter()
        try:
            value = self.trainer.predict(self.spec.probe)
        except TrainingError:
            return  # a grid the model cannot take (shape) is the plot's problem, not training's
        self.batch.probe = (self.trainer.epoch, value)

    def _flush(self) -> None:
        batch = self.batch
        if batch.results or batch.probe is not None or batch.values is not None \
                or batch.ratios:
            self.batch = Batch()
            self.send(("batch", batch))
        self._sent = time.perf_counter()


LOCK_SECONDS = 1.0  # a lock its holder never gives back (a killed process) is let go


@contextlib.contextmanager
def _held(lock: Any) -> Any:
    """``lock`` held, or after LOCK_SECONDS not: a process killed while it held the lock
    must not freeze the editor's Step and Resume (the race it guards is then moot)."""
    got = lock.acquire(timeout=LOCK_SECONDS)
    try:
        yield
    finally:
        if got:
            lock.release()


class _Waiting:
    """The Trainer's ``paused`` event in the process: set, it first shows the pause."""

    def __init__(self, session: TrainingSession) -> None:
        self.session, self.flag = session, session.controls.waiting
        self.seconds = 0.0  # time spent paused (not the run's: "Trained ... (2.1 s)")
        self._since: float | None = None

    def set(self) -> None:
        self.session.show_pause()
        self._since = time.perf_counter()
        self.flag.set()

    def clear(self) -> None:
        self.flag.clear()
        if self._since is not None:
            self.seconds += time.perf_counter() - self._since
            self._since = None

    def is_set(self) -> bool:
        return self.flag.is_set()
