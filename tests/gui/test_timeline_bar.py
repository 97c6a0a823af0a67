"""The training timeline: scrub back through a run, restore an epoch, compare two runs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSlider

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


# ---- in step with the graph, and the keyboard ------------------------------------------------

PARAMS = ("W1", "b1", "W2", "b2")


def key(window: Any, qtbot: Any, k: Any, modifiers: Any = Qt.ControlModifier) -> None:
    """A shortcut typed on the canvas (the window active, as a user's is)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()
    QTest.keyClick(window.view, k, modifiers)


def focus_slider(bar: Any) -> None:
    """A click on the slider's handle: focus, and the handle stays where it is."""
    slider = bar.slider
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(QStyle.CC_Slider, option, QStyle.SC_SliderHandle,
                                           slider)
    value = slider.value()
    QTest.mouseClick(slider, Qt.LeftButton, Qt.NoModifier, handle.center())
    assert slider.hasFocus() and slider.value() == value


def trained_from(window: Any, start: dict[str, Any], epochs: int) -> dict[str, Any]:
    """The parameters after ``epochs`` epochs of the document's training from ``start``,
    computed here with a fresh Trainer on a copy of the graph."""
    graph = window.document.graph
    check = graph.subgraph(n.id for n in graph)
    for name, value in start.items():
        check.set_value(check.find(name).id, value)
    settings = window.document.settings["training"]
    trainer = Trainer.from_settings(check, {**settings, "epochs": max(1, epochs)})
    for _ in range(epochs):
        trainer.run_epoch()
    return {name: trainer.parameters()[graph.find(name).id] for name in PARAMS}


def boundary_by_hand(p: dict[str, Any], grid: np.ndarray) -> np.ndarray:
    """The 2-4-1 sigmoid network's output over the boundary plot's grid, in NumPy."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    return sig(p["W2"] @ sig(p["W1"] @ grid + p["b1"]) + p["b2"]).ravel()


def params_of(graph: Any) -> dict[str, Any]:
    return {name: np.array(graph.find(name).value, copy=True) for name in PARAMS}


def test_undo_and_redo_of_a_restore_keep_the_timeline_in_step(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=300)
    graph = window.document.graph
    start = params_of(graph)
    panel = train(window, qtbot)
    final = params_of(graph)
    bar, vs, bp = panel.timeline_bar, window.view_state, panel.boundary_plot
    k = bar.timeline.epochs.index(100)
    bar.slider.setValue(k)  # a drag of the handle to epoch 100
    qtbot.waitUntil(lambda: bar.label.text().startswith("epoch 100,"), timeout=2000)
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    settle(qtbot, window)
    at_100 = trained_from(window, start, 100)
    np.testing.assert_allclose(graph.find("W1").value, at_100["W1"], rtol=1e-12)
    assert bar.label.text().endswith("(restored)") and not bar.restore_button.isEnabled()
    assert panel.loss_plot.marker.isVisible() and panel.loss_plot.marker.value() == 100
    assert bp.caption.full_text == "epoch 100 (restored)"
    np.testing.assert_allclose(bp.values.ravel(), boundary_by_hand(at_100, bp.grid), rtol=1e-9)
    # The plots are the graph's run, at the epoch it holds: captioned, never dimmed.
    assert "the graph holds epoch 100" in panel.loss_plot.caption.full_text
    for plot in panel.plots:
        assert plot.area.ci.opacity() == 1 and "out of date" not in plot.caption.full_text
    assert not vs.live  # the canvas: the graph's own numbers, which are epoch 100's

    key(window, qtbot, Qt.Key_Z)  # Edit > Undo: the run's end again
    qtbot.waitUntil(lambda: bar.label.text().endswith("(the end)"), timeout=2000)
    np.testing.assert_array_equal(graph.find("W1").value, final["W1"])
    assert bar.slider.value() == bar.slider.maximum()
    assert bar.label.text().startswith("epoch 300,")
    assert not panel.loss_plot.marker.isVisible() and not panel.grad_plot.marker.isVisible()
    assert bp.caption.full_text == "epoch 300"
    np.testing.assert_allclose(bp.values.ravel(), boundary_by_hand(final, bp.grid), rtol=1e-9)
    for plot in panel.plots:
        assert not plot.stale and plot.area.ci.opacity() == 1
    assert not vs.live and not bar.restore_button.isEnabled()

    key(window, qtbot, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)  # Redo
    qtbot.waitUntil(lambda: bar.label.text().endswith("(restored)"), timeout=2000)
    assert bar.slider.value() == k and panel.loss_plot.marker.value() == 100
    assert bp.caption.full_text == "epoch 100 (restored)"
    window.document.set_clean()


def test_an_edit_of_the_parameters_elsewhere_puts_the_timeline_at_the_end(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=200)
    panel = train(window, qtbot)
    graph = window.document.graph
    final = params_of(graph)
    bar, vs = panel.timeline_bar, window.view_state
    bar.slider.setValue(bar.timeline.epochs.index(50))
    qtbot.waitUntil(lambda: vs.live and "epoch 50" in vs.stale, timeout=2000)
    panel.train_actions.reset.trigger()  # Train > Reset Parameters, while looking at 50
    qtbot.waitUntil(lambda: bar.label.text() == "parameters edited since the run",
                    timeout=2000)
    assert bar.slider.value() == bar.slider.maximum() and not vs.live
    assert not panel.loss_plot.marker.isVisible()
    assert panel.loss_plot.stale and "out of date" in panel.loss_plot.caption.full_text
    # The end is not the graph's now: Restore brings it back.
    assert bar.restore_button.isEnabled()
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    settle(qtbot, window)
    np.testing.assert_array_equal(graph.find("W1").value, final["W1"])
    assert bar.label.text().endswith("(the end)") and not panel.loss_plot.stale
    window.document.set_clean()


def test_restore_is_off_where_the_graph_holds_the_epoch_and_keys_move_the_slider(
        window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=150)
    panel = train(window, qtbot)
    bar = panel.timeline_bar
    epochs = bar.timeline.epochs
    assert bar.slider.value() == len(epochs) - 1 == bar.slider.maximum()
    assert not bar.restore_button.isEnabled()
    assert "nothing to restore" in bar.restore_button.toolTip()
    focus_slider(bar)
    QTest.keyClick(bar.slider, Qt.Key_Home)
    qtbot.waitUntil(lambda: bar.label.text().startswith("epoch 0"), timeout=2000)
    assert bar.slider.value() == 0 and bar.restore_button.isEnabled()
    QTest.keyClick(bar.slider, Qt.Key_Right)
    qtbot.waitUntil(lambda: bar.label.text().startswith(f"epoch {epochs[1]},"),
                    timeout=2000)
    assert panel.loss_plot.marker.value() == epochs[1] == 1
    QTest.keyClick(bar.slider, Qt.Key_End)
    qtbot.waitUntil(lambda: bar.label.text().endswith("(the end)"), timeout=2000)
    assert not bar.restore_button.isEnabled() and not window.view_state.live
    QTest.keyClick(bar.slider, Qt.Key_Left)
    qtbot.waitUntil(lambda: bar.label.text().startswith(f"epoch {epochs[-2]},"),
                    timeout=2000)
    assert bar.restore_button.isEnabled()
    window.document.set_clean()


def test_a_new_run_clears_the_restored_epochs_marker(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=100)
    panel = train(window, qtbot)
    bar = panel.timeline_bar
    focus_slider(bar)
    QTest.keyClick(bar.slider, Qt.Key_Home)
    qtbot.waitUntil(lambda: bar.label.text().startswith("epoch 0"), timeout=2000)
    QTest.mouseClick(bar.restore_button, Qt.LeftButton)
    settle(qtbot, window)
    assert panel.loss_plot.marker.isVisible() and panel.loss_plot.marker.value() == 0
    # Another learning rate, typed into its box, and Start.
    panel.lr.lineEdit().selectAll()
    QTest.keyClicks(panel.lr.lineEdit(), "0.5")
    QTest.keyClick(panel.lr.lineEdit(), Qt.Key_Return)
    assert window.document.settings["training"]["lr"] == 0.5
    train(window, qtbot)
    assert bar.label.text().endswith("(the end)") and bar.slider.value() == bar.slider.maximum()
    assert not panel.loss_plot.marker.isVisible() and not panel.grad_plot.marker.isVisible()
    assert "lr 0.1 (same start)" in panel.loss_plot.comparison_label
    window.document.set_clean()


def test_another_example_resets_the_timeline_and_the_epoch_axis(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=3000)
    panel = train(window, qtbot)
    bar, loss = panel.timeline_bar, panel.loss_plot
    assert loss.loss_plot.viewRange()[0][1] > 2900
    bar.slider.setValue(bar.slider.maximum() // 2)
    qtbot.waitUntil(lambda: window.view_state.live, timeout=2000)
    open_example_from_menu(window, "sin_regression")
    assert bar.label.text() == "Timeline: train to record"
    assert bar.slider.value() == bar.slider.minimum() == bar.slider.maximum() == 0
    assert not bar.slider.isEnabled() and not bar.restore_button.isEnabled()
    (x0, x1), (y0, y1) = loss.loss_plot.viewRange()
    assert (x0, x1) == pytest.approx((0, 1), abs=0.05)
    assert (y0, y1) == pytest.approx((0, 1), abs=0.05)  # not the moons run's loss scale
    assert not loss.marker.isVisible() and not window.view_state.live
    train(window, qtbot)  # the new run's axes follow it
    (x0, x1), (y0, y1) = loss.loss_plot.viewRange()
    losses = loss.train.values
    assert x1 >= window.document.settings["training"]["epochs"] - 1
    assert y0 <= losses.min() and y1 >= losses.max() and y1 < 2 * losses.max()
    window.document.set_clean()


def test_a_node_added_while_looking_back_closes_the_timeline_and_shows_the_graph(
        window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=100)
    panel = train(window, qtbot)
    bar, vs = panel.timeline_bar, window.view_state
    bar.slider.setValue(30)
    qtbot.waitUntil(lambda: vs.live and "epoch 30" in vs.stale, timeout=2000)
    QTest.keyClicks(window.expression_bar.edit, "q = 1 + 2")
    QTest.keyClick(window.expression_bar.edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: bar.label.text() == "closed: the graph changed", timeout=2000)
    qtbot.waitUntil(lambda: not vs.live, timeout=2000)  # the graph's own numbers again
    settle(qtbot, window)
    w1 = window.document.graph.find("W1")
    np.testing.assert_array_equal(vs.evaluation.values[w1.id], w1.value)
    assert not bar.slider.isEnabled() and not bar.restore_button.isEnabled()
    assert not panel.loss_plot.marker.isVisible()
    window.document.set_clean()


def test_the_label_gives_the_loss_of_the_moments_parameters_as_the_canvas_does(window, qtbot):
    # lr 8: the loss jumps from epoch to epoch, so an epoch's own loss (measured before its
    # update) and the loss of the parameters after it differ in the first digits.
    open_example_from_menu(window, "moons_network", epochs=40, lr=8.0)
    panel = window.training_panel
    with qtbot.waitSignal(panel.finished, timeout=20_000) as ended:
        QTest.mouseClick(panel.start_button, Qt.LeftButton)
    settle(qtbot, window)
    bar = panel.timeline_bar
    final_loss = ended.args[0].final[0]
    assert bar.label.text().endswith("(the end)")
    assert f"loss {final_loss:.4g}" in bar.label.text()
    assert f"loss {final_loss:.4g}" in panel.status.text()  # the Trainer's final line
    k = bar.timeline.epochs.index(20)
    bar.slider.setValue(k)
    vs = window.view_state
    qtbot.waitUntil(lambda: vs.live and "epoch 20" in bar.label.text(), timeout=2000)
    loss_id = panel.trainer.loss_id
    shown = vs.evaluation.values[loss_id]  # what the canvas writes on the loss node
    assert f"epoch 20, loss {shown:.4g}" in bar.label.text()
    own = dict(bar.timeline.losses)[20]  # epoch 20's own loss: not what the label says
    assert f"{own:.4g}" != f"{shown:.4g}"
    window.document.set_clean()


def test_while_a_new_run_records_the_slider_does_not_keep_the_last_runs_handle(window, qtbot):
    open_example_from_menu(window, "moons_network", epochs=100)
    panel = train(window, qtbot)
    bar = panel.timeline_bar
    bar.slider.setValue(bar.slider.maximum() // 2)
    qtbot.waitUntil(lambda: window.view_state.live, timeout=2000)
    window.document.settings["training"]["epochs"] = 1_000_000  # a run that lasts
    QTest.mouseClick(panel.start_button, Qt.LeftButton)
    assert bar.label.text() == "recording…"
    assert bar.slider.value() == bar.slider.minimum() == bar.slider.maximum() == 0
    assert not bar.slider.isEnabled()
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        QTest.mouseClick(panel.stop_button, Qt.LeftButton)
    assert bar.slider.value() == bar.slider.maximum() > 0  # the new run's end
    window.document.set_clean()
