"""The training timeline: scrub back through a run, restore an epoch, compare two runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from graphgui.core.train import Trainer


@pytest.fixture
def window(make_window: Any) -> Any:
    return make_window()


def train(window: Any, qtbot: Any) -> Any:
    """Start, through the Start button, and wait for the run to end."""
    panel = window.training_panel
    QTest.mouseClick(panel.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=20_000)
    settle(qtbot, window)
    return panel


def test_scrubbing_shows_an_epoch_and_restore_makes_it_the_graphs(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=300)
    graph = window.document.graph
    start = {n: graph.find(n).value.copy() for n in ("W1", "b1", "W2", "b2")}
    panel = train(window, qtbot)
    bar = panel.timeline_bar
    assert bar.slider.isEnabled() and bar.timeline is not None
    assert bar.timeline.epochs[0] == 0 and bar.timeline.epochs[-1] == 300
    k = bar.timeline.epochs.index(50)
    bar.slider.setFocus()
    bar.slider.setValue(k)  # what a drag of the handle does
    vs = window.view_state
    qtbot.waitUntil(lambda: vs.live, timeout=2000)  # shown once the event loop turns
    assert vs.live and "epoch 50 of the run" in vs.stale
    # Independently: 50 epochs of the same training from the same start.
    check = graph.subgraph(n.id for n in graph)
    for name, value in start.items():
        check.set_value(check.find(name).id, value)
    settings = window.document.settings["training"]
    trainer = Trainer.from_settings(check, {**settings, "epochs": 50})
    for _ in range(50):
        trainer.run_epoch()
    w1 = graph.find("W1").id
    np.testing.assert_array_equal(vs.evaluation.values[w1], trainer.parameters()[w1])
    assert panel.loss_plot.marker.isVisible() and panel.loss_plot.marker.value() == 50
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    settle(qtbot, window)
    np.testing.assert_array_equal(graph.find("W1").value, trainer.parameters()[w1])
    assert window.document.undo_stack.undoText() == "Restore epoch 50"
    assert not vs.live
    window.action("undo").trigger()
    assert not np.array_equal(graph.find("W1").value, trainer.parameters()[w1])
    window.document.set_clean()


def test_a_second_run_is_compared_with_the_first_on_the_loss_plot(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=100)
    panel = train(window, qtbot)
    bar = panel.timeline_bar
    bar.slider.setValue(0)  # epoch 0: the start
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    settle(qtbot, window)
    QTest.mouseClick(panel.start_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: panel.state == "idle", timeout=20_000)
    settle(qtbot, window)
    assert "same start" in panel.loss_plot.comparison_label
    x, y = panel.loss_plot.comparison_curve.getData()
    assert len(x) == 100
    window.document.set_clean()
