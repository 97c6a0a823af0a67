"""Training in one call (the CLI's ``graphgui train``) and writing the result back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..graph import Graph
from .results import EpochResult, TrainReport
from .settings import TrainSettings
from .trainer import Trainer


def train_graph(
    graph: Graph,
    settings: TrainSettings | Mapping[str, Any],
    progress: Callable[[EpochResult], Any] | None = None,
    stop: threading.Event | None = None,
    trainer: Trainer | None = None,
) -> TrainReport:
    """Train headless (the CLI's ``graphgui train``); the graph itself is not modified.

    ``seconds`` is the training loop alone. ``final_loss`` and the accuracies are measured
    with the final parameters on the whole train (and test) set; apply
    ``report.parameters`` with :func:`apply_parameters` to keep them. ``trainer`` is one
    already made from these settings (the CLI makes it first: a TrainingError then means a
    setup problem, one from here on a failure while training).
    """
    if trainer is None:
        if not isinstance(settings, TrainSettings):
            settings = TrainSettings.from_dict(settings)
        trainer = Trainer.from_settings(graph, settings)
    start = time.perf_counter()
    trainer.run(callback=progress, stop=stop)
    seconds = time.perf_counter() - start
    final_loss, train_acc = trainer.evaluate("train")
    test_loss = test_acc = None
    if trainer._test_feed is not None:
        test_loss, test_acc = trainer.evaluate("test")
    return TrainReport(
        epochs=trainer.epoch, final_loss=final_loss,
        loss_history=[r.train_loss for r in trainer.history], train_accuracy=train_acc,
        test_accuracy=test_acc, seconds=seconds, parameters=trainer.parameters(),
        history=list(trainer.history), test_loss=test_loss,
    )


def apply_parameters(graph: Graph, values: Mapping[str, Any]) -> None:
    """Write trained values into the graph (the GUI does this as one undoable command)."""
    for pid, value in values.items():
        graph.set_value(pid, value)
