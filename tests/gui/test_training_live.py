"""Watching training: a speed control, the decision line on pause, the canvas following the
run live (read-only) and ending on the numbers the status bar gives, and plots that never
show another graph's or an undone run's numbers as current. Everything is triggered as a
user would: Examples menu actions, Ctrl+T / Ctrl+N / Ctrl+Z, the Train menu's actions, key
presses on the speed box. Expected numbers are closed forms written here (x = 5 * 0.8^k for
gradient descent on x^2 with alpha 0.1). No sleeps: qtbot.waitUntil / waitSignal only.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from graphgui.core.examples import load_example_document
from graphgui.core.fileformat import dumps, read_document
from graphgui.core.train import train_graph
from graphgui.core.values import format_value
from graphgui.gui.document import Document

TIMEOUT = 20_000


def key(window: Any, qtbot: Any, k: Any, modifiers: Any = Qt.ControlModifier) -> None:
    """A shortcut typed on the canvas (the window active, as a user's is)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()
    QTest.keyClick(window.view, k, modifiers)


def choose_speed(panel: Any, rate: float | None) -> None:
    """Arrow keys on the speed box until it shows ``rate``."""
    combo = panel.speed_combo
    combo.setFocus()
    target = combo.findData(rate)
    assert target >= 0
    while combo.currentIndex() != target:
        QTest.keyClick(combo, Qt.Key_Down if combo.currentIndex() < target else Qt.Key_Up)


def node(window: Any, name: str) -> Any:
    return window.document.graph.find(name)


# ---- the speed control (defect 8) ----------------------------------------------------------------


def test_a_speed_paces_the_run_and_changes_while_it_runs(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    doc = open_example_from_menu(window, "gradient_descent_x2", epochs=3000)
    panel = window.training_panel
    assert panel.speed_combo.currentData() is None  # Max, the default
    choose_speed(panel, 10)
    assert panel.speed_combo.currentText() == "10 epochs / s"
    assert doc.settings["training"]["epochs_per_second"] == 10
    started = time.perf_counter()
    key(window, qtbot, Qt.Key_T)
    assert panel.state == "running"
    qtbot.waitUntil(lambda: panel.trainer.epoch >= 4, timeout=TIMEOUT)
    elapsed = time.perf_counter() - started
    epochs = panel.trainer.epoch
    # Epoch k is due (k - 1) / 10 s after the first: 4 epochs take at least 0.3 s.
    assert elapsed >= 0.3 - 0.02, elapsed
    assert epochs <= 2 + 10 * elapsed, (epochs, elapsed)
    # The GUI keeps turning while the worker waits: the progress follows.
    qtbot.waitUntil(lambda: panel.progress.value() >= 4, timeout=TIMEOUT)
    # Faster while it runs: Max finishes the 3000 epochs (paced, that would take 5 min).
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        choose_speed(panel, None)
    assert panel.trainer.epoch == 3000
    assert doc.settings["training"].get("epochs_per_second") is None


def test_the_speed_is_saved_with_the_graph_and_headless_training_ignores_it(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    doc = open_example_from_menu(window, "gradient_descent_x2")
    choose_speed(window.training_panel, 3)
    text = dumps(doc.graph, doc.settings)
    stored = read_document(text)
    assert stored.settings["training"]["epochs_per_second"] == 3
    other = make_window(Document(stored.graph, settings=stored.settings))
    assert other.training_panel.speed_combo.currentData() == 3
    # A speed the list lacks (written by hand) is shown as it is.
    settings = {**stored.settings["training"], "epochs_per_second": 7}
    other.document.set_setting("training", settings)
    assert other.training_panel.speed_combo.currentText() == "7 epochs / s"
    # graphgui train runs at full speed: 200 epochs at "1 epoch / s" take well under 200 s.
    graph, file_settings = load_example_document("gradient_descent_x2")
    report = train_graph(graph, {**file_settings["training"], "epochs": 200,
                                 "epochs_per_second": 1})
    assert report.epochs == 200 and report.seconds < 5


# ---- the decision line on pause (defect 9) -------------------------------------------------------


def test_the_decision_line_is_drawn_when_training_pauses(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    open_example_from_menu(window, "moons_network", epochs=1_000_000)
    panel = window.training_panel
    plot = panel.boundary_plot
    key(window, qtbot, Qt.Key_T)
    qtbot.waitUntil(lambda: plot.values is not None and plot.epoch > 20, timeout=TIMEOUT)
    panel.drain()
    plot.refresh()
    assert not plot.line_drawn  # while it runs at full speed the line waits
    panel.train_actions.pause.trigger()  # Train > Pause / Resume
    assert panel.state == "paused"
    qtbot.waitUntil(lambda: panel.worker.waiting, timeout=TIMEOUT)
    paused_at = panel.trainer.epoch
    qtbot.waitUntil(lambda: plot.epoch == paused_at and plot.line_drawn, timeout=TIMEOUT)
    # The line is the 0.5 level of the picture of the model as it is now.
    np.testing.assert_array_equal(plot.contour.data, plot.values.T)
    assert plot.contour.level == 0.5
    path = plot.contour.generatePath() or plot.contour.path
    assert path is not None and not path.isEmpty()
    probs = plot.values
    assert probs.min() < 0.5 < probs.max()  # the line crosses the plane
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.train_actions.stop.trigger()
    assert plot.line_drawn


# ---- values follow training live (defect 11) -----------------------------------------------------


def test_canvas_inspector_and_status_follow_the_run_and_end_on_the_same_numbers(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    open_example_from_menu(window, "gradient_descent_x2", epochs=100_000, epochs_per_second=30)
    panel = window.training_panel
    scene, vs = window.scene, window.view_state
    x, f = node(window, "x"), node(window, "f")
    window.scene.select_nodes([x.id])
    chip, stub = scene.node_items[x.id], scene.node_items[f.id]
    assert chip.source_text == "5" and vs.value(f.id) == 25.0
    key(window, qtbot, Qt.Key_T)
    qtbot.waitUntil(lambda: vs.live and panel.run.live_epoch >= 3, timeout=TIMEOUT)
    assert window.document.locked and x.value == 5.0  # the graph itself is untouched
    k = panel.run.live_epoch
    live_x = 5 * 0.8**k
    assert vs.value(x.id) == pytest.approx(live_x, rel=1e-12)
    assert chip.source_text == format_value(vs.value(x.id))  # the chip follows
    assert stub.value_text == format_value(vs.value(f.id))  # the loss on the output stub
    assert vs.value(f.id) == pytest.approx(live_x**2, rel=1e-12)
    assert float(window.inspector.value_edit.text()) == pytest.approx(live_x, rel=1e-12)
    status = window.eval_label.text()
    assert f"f = {format_value(vs.value(f.id))}" in status and "live" in status
    # Read-only: edits are refused while the numbers run.
    assert not window.action_undo.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        panel.train_actions.stop.trigger()  # Train > Stop Training
    assert not vs.live and not window.document.locked
    epochs = panel.trainer.epoch
    final_x = 5 * 0.8**epochs
    assert x.value == pytest.approx(final_x, rel=1e-12)
    loss = x.value**2
    # Canvas, status bar and the trainer's message give the same final numbers.
    assert chip.source_text == format_value(x.value)
    assert stub.value_text == format_value(loss)
    assert f"f = {format_value(loss)}" in window.eval_label.text()
    assert f"Stopped after {epochs} epochs: loss {loss:.4g}" in panel.status.text()
    assert f"Stopped after {epochs} epochs: loss {loss:.4g}" in \
        window.statusBar().currentMessage()
    assert panel.progress_detail.text().startswith(f"loss {loss:.4g}")
    assert float(window.inspector.value_edit.text()) == pytest.approx(final_x, rel=1e-12)


# ---- stale state (defect 10) ---------------------------------------------------------------------


def train_moons(window: Any, qtbot: Any, epochs: int = 40) -> Any:
    open_example_from_menu(window, "moons_network", epochs=epochs)
    panel = window.training_panel
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        key(window, qtbot, Qt.Key_T)
    assert panel.loss_plot.epochs.n == epochs and panel.boundary_plot.values is not None
    return panel


def assert_cleared(panel: Any) -> None:
    assert panel.loss_plot.epochs.n == 0 and panel.loss_plot.train_curve.xData is None
    assert not panel.grad_plot.curves
    assert panel.progress.format() == "ready" and panel.progress.value() == 0
    assert panel.progress_detail.text() == "" and panel.status.text() == ""
    assert panel.trainer is None and panel.last_result is None
    for plot in panel.plots:
        assert not plot.stale


def test_new_clears_the_plots_and_the_progress(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    panel = train_moons(window, qtbot)
    window.document.set_clean()
    key(window, qtbot, Qt.Key_N)  # File > New
    assert len(window.document.graph) == 0
    assert_cleared(panel)
    bp = panel.boundary_plot
    assert bp.values is None and bp.grid is None and bp.image.image is None
    assert len(bp.train_points.data) == 0 and not bp.line_drawn
    assert bp.caption.full_text == bp.title


def test_opening_another_example_shows_its_data_not_the_last_run(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    panel = train_moons(window, qtbot)
    open_example_from_menu(window, "sin_regression")  # File > Examples > sin regression
    assert_cleared(panel)
    bp, fit = panel.boundary_plot, panel.fit_plot
    assert bp.values is None and len(bp.train_points.data) == 0
    X = node(window, "X").value
    assert len(fit.train_points.data) == X.size  # the new data, ready to train
    assert fit.prediction.size == 0
    assert not panel.loss_plot.accuracy_shown


def test_undo_of_training_marks_the_plots_out_of_date_and_redo_clears_it(
        make_window: Any, qtbot: Any) -> None:
    window = make_window()
    panel = train_moons(window, qtbot)
    doc = window.document
    assert doc.undo_stack.undoText() == "Train 40 epochs"
    for plot in panel.plots:
        assert not plot.stale
    key(window, qtbot, Qt.Key_Z)  # Edit > Undo "Train 40 epochs"
    assert doc.undo_stack.index() == 0
    # The curves are the record of a run whose parameters the graph no longer holds.
    for plot in (panel.loss_plot, panel.grad_plot, panel.boundary_plot):
        assert plot.stale and "out of date" in plot.caption.full_text
        assert plot.area.ci.opacity() < 1
    assert panel.loss_plot.epochs.n == 40  # kept: Redo brings the run back
    assert "out of date" in panel.progress_detail.text()
    key(window, qtbot, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # Redo
    for plot in panel.plots:
        assert not plot.stale and plot.area.ci.opacity() == 1
    assert "out of date" not in panel.progress_detail.text()
    # Any other change of a parameter makes them out of date too (Reset parameters).
    panel.train_actions.reset.trigger()
    assert panel.loss_plot.stale
    # A new run starts fresh.
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT):
        key(window, qtbot, Qt.Key_T)
    assert not panel.loss_plot.stale and panel.loss_plot.epochs.n == 40


def test_no_gui_module_calls_a_gradient_rule() -> None:
    """f'(x) of the activation plot comes from core (the engine's backward pass)."""
    from pathlib import Path

    import graphgui.gui

    root = Path(graphgui.gui.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if ".vjps" in p.read_text(encoding="utf-8")]
    assert offenders == []
