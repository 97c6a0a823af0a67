"""The Trainer dock's "time left" counts from the first batch the training process sends
(panels/training/runner.py): the ~0.3 s the process takes to start after Start, and a
pause, are not training time, so the first estimate is not inflated by them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from PySide6.QtCore import QObject

from graphgui.core.train.results import EpochResult
from graphgui.gui.panels.training import runner as runners
from graphgui.gui.worker import Progress


class _Plot:
    def append(self, results: Any) -> None:
        pass

    def refresh(self) -> bool:
        return False

    def isVisible(self) -> bool:  # noqa: N802 (Qt's name)
        return False


class _Bar:
    def setMaximum(self, n: int) -> None:  # noqa: N802
        pass

    def setValue(self, n: int) -> None:  # noqa: N802
        pass

    def setFormat(self, text: str) -> None:  # noqa: N802
        pass


class _Label:
    text = ""

    def setText(self, text: str) -> None:  # noqa: N802
        _Label.text = text


def _run(clock: list[float], batches: list[list[int]]) -> Any:
    """A TrainingRun around stubs: ``batches`` are what each drain receives (epochs)."""
    run = runners.TrainingRun.__new__(runners.TrainingRun)
    QObject.__init__(run)  # the QObject only: no process, no timer
    queue = [Progress(results=[EpochResult(e, 0.5, None, None, None, {}, 0.0) for e in b])
             for b in batches]
    run.worker = SimpleNamespace(drain=lambda: queue.pop(0), epochs_per_second=None)
    run.trainer = SimpleNamespace(epochs=1000, epoch=0)
    run.plots = SimpleNamespace(loss_plot=_Plot(), grad_plot=_Plot(), boundary_plot=_Plot(),
                                fit_plot=_Plot())
    run.form = SimpleNamespace(progress=_Bar(), progress_detail=_Label())
    run.state, run.last_result, run._drains = "running", None, 0
    run._pending_values, run._live_next = None, 0.0
    run._count_from_next_batch()
    return run


def test_the_time_left_counts_from_the_first_batch_not_from_the_click(monkeypatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(runners.time, "perf_counter", lambda: clock[0])
    run = _run(clock, [[], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], list(range(11, 111))])
    clock[0] += 0.3  # the process starts: nothing yet
    run.drain()
    assert "left" not in _Label.text
    clock[0] += 0.03  # the first batch: 10 epochs, whose start the editor did not see
    run.drain()
    assert "left" not in _Label.text  # nothing to estimate from yet
    clock[0] += 0.1  # 100 epochs in 0.1 s: 1,000 a second, 890 epochs to go
    run.drain()
    assert "loss 0.5" in _Label.text and "left" in _Label.text
    assert run._start_epoch == 10 and abs(run._started - 100.33) < 1e-9
    # From the click it would say (1000 - 110) / (110 / 0.43) = 3.5 s; from the batch 0.9 s.
    assert _Label.text.endswith(" 1 s left"), _Label.text
