"""One training session in the editor: the training process, the ~30 Hz drain into the
progress bar and the plots, and the parameters shown live on the canvas.

The run trains in a process of its own (gui/worker.py), so the GUI thread has the
interpreter to itself: a timer drains what arrived 30 times a second into the progress bar;
the plots redraw on every sixth drain (~5 Hz) and, half a beat later (also ~5 Hz), the latest
parameters the run published become an Evaluation of the (locked) graph, shown through
``ViewState.show_live``: canvas, inspector and status bar follow the run, read-only.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.engine import Program
from graphgui.core.graph import Graph
from graphgui.core.train import EpochResult, Trainer

from ...worker import TrainingWorker

if TYPE_CHECKING:
    from ...view_state import ViewState
    from .form import TrainerForm

DRAIN_MS = 33  # ~30 Hz: progress bar and buffer
PLOT_EVERY = 6  # plots redraw on every 6th drain (~5 Hz) while training
LIVE_SHARE = 0.06  # of the time the canvas may spend showing live values
# At this speed or slower the decision line is drawn on every frame (it costs ~10 ms).
LINE_LIVE_SPEED = 30


class TrainingRun(QObject):
    """Runs ``trainer`` in a :class:`TrainingWorker` and shows its progress.

    ``plots`` has ``loss_plot``, ``grad_plot``, ``boundary_plot`` and ``fit_plot``; ``form``
    the progress bar and its detail line. ``state`` is "running", "paused" or "stopping";
    ``ended`` is emitted once the thread has finished (its parameters are ready).
    """

    ended = Signal()

    def __init__(self, trainer: Trainer, graph: Graph, plots: Any, form: TrainerForm,
                 view_state: ViewState, probe: Any = None,
                 epochs_per_second: float | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.trainer = trainer
        trainer.record_update_ratios()  # for the Health dock (read-only: no number changes)
        self.plots = plots
        self.form = form
        self.view_state = view_state
        self.state = "stopping"
        self.last_result: EpochResult | None = None
        self.live_epoch: int | None = None  # the epoch of the numbers on the canvas
        self.worker = TrainingWorker(trainer, probe=probe, parent=self,
                                     epochs_per_second=epochs_per_second, graph=graph)
        self.worker.finished.connect(self._on_finished)
        # The graph is locked while the run lasts: compiled once, fed the run's parameters.
        self._program = Program(graph)
        self._drains = 0
        # The time left is estimated from the first batch on: the process's start (~0.3 s
        # of imports after the click) and a pause are not training.
        self._started = 0.0
        self._start_epoch = 0
        self._counting = False
        self._done = False
        self._pending_values: tuple[int, dict[str, Any]] | None = None
        self._live_next = 0.0  # when the canvas may show live values again
        self.timer = QTimer(self)
        self.timer.setInterval(DRAIN_MS)
        self.timer.timeout.connect(self.drain)

    # ---- control -------------------------------------------------------------------------

    def start(self, paused: bool = False) -> None:
        self._count_from_next_batch()
        if paused:
            self.worker.start_paused()
        else:
            self.worker.start()
        self._set_state("paused" if paused else "running")
        self.timer.start()

    def pause(self) -> None:
        if self.state == "running":
            self.worker.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.state == "paused":
            self.worker.resume()
            self._count_from_next_batch()
            self._set_state("running")

    def step(self, epochs: int = 1) -> None:
        if self.state == "paused":
            self.worker.step(epochs)

    def stop(self) -> None:
        if self.state in ("running", "paused"):
            self.worker.stop()
            self._set_state("stopping")

    def set_speed(self, epochs_per_second: float | None) -> None:
        self.worker.set_speed(epochs_per_second)
        self._count_from_next_batch()
        self._sync_line()

    def _count_from_next_batch(self) -> None:
        self._counting = False  # the next batch sets _started and _start_epoch

    def wait(self) -> None:
        """Stop and wait for the thread, then finish at once (closing, another document)."""
        self.worker.stop()
        self.worker.wait()
        self._on_finished()

    def _set_state(self, state: str) -> None:
        self.state = state
        self._sync_line()
        self._update_progress()

    def _sync_line(self) -> None:
        rate = self.worker.epochs_per_second
        fast = rate is None or rate > LINE_LIVE_SPEED
        self.plots.boundary_plot.set_live(self.state == "running" and fast)

    # ---- the 30 Hz drain -----------------------------------------------------------------

    def drain(self) -> None:
        progress = self.worker.drain()
        self._drains += 1
        plots = self.plots
        if progress.results:
            self.last_result = progress.results[-1]
            plots.loss_plot.append(progress.results)
            plots.grad_plot.append(progress.results)
            if not self._counting and self.state == "running":
                self._counting = True
                self._started = time.perf_counter()
                self._start_epoch = self.last_result.epoch
        if progress.probe is not None:
            self._show_probe(progress.probe)
        if progress.values is not None:
            self._pending_values = progress.values
        running = self.state == "running"
        beat = self._drains % PLOT_EVERY
        # Plots and canvas take turns half a beat apart (each ~5 Hz): no frame does both.
        if not running or beat == 0:
            self.refresh_plots(everything=False)
        live_due = not running or (beat == PLOT_EVERY // 2
                                    and time.perf_counter() >= self._live_next)
        if live_due and self._pending_values is not None:
            self._show_live()
        self._update_progress()

    def _show_probe(self, probe: tuple[int, Any]) -> None:
        """The model's prediction on the probe: a boundary (2 features) or a fit line."""
        data = self.trainer.dataset
        plots = self.plots
        two_d = plots.boundary_plot.grid is not None and data is not None \
            and data.n_features == 2
        (plots.boundary_plot if two_d else plots.fit_plot).set_prediction(*probe)

    def refresh_plots(self, everything: bool = True) -> bool:
        """Redraw plots with new data; hidden ones wait until shown (or ``everything``).
        True when a visible plot changed (it will repaint)."""
        changed = False
        p = self.plots
        for plot in (p.loss_plot, p.grad_plot, p.boundary_plot, p.fit_plot):
            if everything or plot.isVisible():
                changed |= plot.refresh() and plot.isVisible()
        return changed

    def _show_live(self) -> bool:
        """The latest parameters on the canvas (and everything that reads the view state)."""
        pending, self._pending_values = self._pending_values, None
        if pending is None or self._done:
            return False
        epoch, values = pending
        self.live_epoch = epoch
        began = time.perf_counter()
        evaluation = self._program.evaluate(values, wires=True)
        self.view_state.show_live(
            evaluation, f"training, epoch {epoch}: live values (read-only)")
        # Every beat (~5 Hz) while the canvas writes its numbers quickly; a big graph, or
        # a busy machine, waits longer, so the canvas takes at most LIVE_SHARE of the time.
        cost = time.perf_counter() - began
        self._live_next = began + cost / LIVE_SHARE - DRAIN_MS / 2000
        return True

    def _update_progress(self, final: bool = False) -> None:
        trainer, r = self.trainer, self.last_result
        bar = self.form.progress
        total = max(1, trainer.epochs)
        done = r.epoch if r is not None else trainer.epoch
        bar.setMaximum(total)
        bar.setValue(min(done, total))
        bar.setFormat(f"epoch {done} / {total}")
        parts = []
        if r is not None:
            parts.append(f"loss {r.train_loss:.4g}")
        if (not final and self.state == "running" and self._counting
                and done > self._start_epoch):
            rate = (done - self._start_epoch) / max(1e-9, time.perf_counter() - self._started)
            parts.append(f"{_duration((total - done) / rate)} left")
        elif self.state == "paused":
            parts.append("paused")
        self.form.progress_detail.setText(" · ".join(parts))

    # ---- the end -------------------------------------------------------------------------

    def _on_finished(self) -> None:
        if self._done or not self.worker.isFinished():
            return
        self._done = True
        self.timer.stop()
        self.state = "stopping"
        self.plots.boundary_plot.set_live(False)
        progress = self.worker.drain()
        if progress.results:
            self.last_result = progress.results[-1]
            self.plots.loss_plot.append(progress.results)
            self.plots.grad_plot.append(progress.results)
        if progress.probe is not None:
            self._show_probe(progress.probe)
        self.refresh_plots()
        self.ended.emit()

    def show_final(self) -> None:
        """After the parameters were applied: the progress as it ended, the graph's own
        numbers back on the canvas."""
        self._update_progress(final=True)
        final = self.worker.final
        if final is not None:
            text = self.form.progress_detail.text().split(" · ")
            text[0] = f"loss {final[0]:.4g}"
            self.form.progress_detail.setText(" · ".join(text))
        self.view_state.evaluate_now()
        self.view_state.show_live(None)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
