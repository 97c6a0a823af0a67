"""One sample's graph: a click on a training point of the decision-boundary plot."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from graphgui.core.train.sample import sample_evaluation


@pytest.fixture
def window(make_window: Any) -> Any:
    return make_window()


def click_point(window: Any, qtbot: Any, k: int) -> None:
    """A real mouse click on training point ``k`` of the boundary plot."""
    plot = window.training_panel.boundary_plot
    window.training_panel.docks["boundaryDock"].show()
    window.training_panel.docks["boundaryDock"].raise_()
    settle(qtbot, window)
    x, y = (c[k] for c in plot.train_points.getData())
    scene_pos = plot.plot.vb.mapViewToScene(QPointF(float(x), float(y)))
    at = plot.area.mapFromScene(scene_pos)
    QTest.mouseClick(plot.area.viewport(), Qt.LeftButton, Qt.NoModifier, at)
    settle(qtbot, window)


def test_a_clicked_point_shows_its_own_graph_and_the_stepper_steps_it(window, qtbot):
    open_example_from_menu(window, "moons_network")
    settle(qtbot, window)
    graph = window.document.graph
    k = 17
    click_point(window, qtbot, k)
    vs = window.view_state
    assert vs.sample is not None and vs.sample.index == k
    expected = sample_evaluation(graph, k).evaluation  # the same sample, built here
    shown = vs.evaluation
    w2 = graph.find("W2").id
    np.testing.assert_allclose(shown.grads[w2], expected.grads[w2], rtol=1e-12)
    assert np.shape(shown.values[graph.find("X").id]) == (2, 1)
    assert "Sample 17: loss" in window.statusBar().currentMessage()
    # The stepper steps the sample: its first forward step is dense1 on x_17 alone.
    window.action("step_forward").trigger()
    settle(qtbot, window)
    assert window.stepper_panel.stepper.program.graph_node(graph.find("X").id).value.shape \
        == (2, 1)
    # The ringed point again: the batch.
    window.action("step_reset").trigger()
    click_point(window, qtbot, k)
    assert vs.sample is None
    assert np.shape(vs.evaluation.values[graph.find("X").id]) == (2, 140)


def test_an_edit_takes_the_sample_again_from_the_edited_graph(window, qtbot):
    open_example_from_menu(window, "moons_network")
    settle(qtbot, window)
    graph = window.document.graph
    click_point(window, qtbot, 5)
    b2 = graph.find("b2").id
    window.document.set_value(b2, [[0.5]])
    settle(qtbot, window)
    vs = window.view_state
    assert vs.sample is not None and vs.sample.index == 5
    expected = sample_evaluation(graph, 5).evaluation
    assert vs.evaluation.values[vs.evaluation.output] == pytest.approx(
        float(expected.values[expected.output]), rel=1e-12)
    window.document.undo_stack.clear()


# ---- a sample and the timeline compose -------------------------------------------------------


def sample_loss_by_hand(graph: Any, params: dict[str, Any], k: int) -> float:
    """BCE of the 2-4-1 sigmoid network on training column ``k`` alone, in NumPy."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    x = np.asarray(graph.find("X").value)[:, k:k + 1]
    y = float(graph.find("Y").value[0, k])
    a2 = float(sig(params["W2"] @ sig(params["W1"] @ x + params["b1"]) + params["b2"])[0, 0])
    return -(y * np.log(a2) + (1 - y) * np.log(1 - a2))


def test_a_sample_picked_on_the_timeline_is_taken_at_its_epoch_and_follows_the_slider(
        window, qtbot):
    from test_timeline_bar import focus_slider, params_of, train, trained_from

    open_example_from_menu(window, "moons_network", epochs=100)
    graph = window.document.graph
    start = params_of(graph)
    panel = train(window, qtbot)
    final = params_of(graph)
    bar, vs = panel.timeline_bar, window.view_state
    bar.slider.setValue(62)  # the first 100 epochs are kept one by one: index 62, epoch 62
    qtbot.waitUntil(lambda: vs.live and "epoch 62 of the run" in vs.stale, timeout=2000)
    k = 17
    click_point(window, qtbot, k)
    shown = lambda: float(vs.evaluation.values[vs.evaluation.output])  # noqa: E731
    assert vs.sample is not None and vs.sample.index == k and vs.sample.epoch == 62
    assert shown() == pytest.approx(
        sample_loss_by_hand(graph, trained_from(window, start, 62), k), rel=1e-9)
    assert "at epoch 62 of the run" in vs.stale
    assert window.statusBar().currentMessage().startswith("Sample 17 at epoch 62: loss")
    # The stepper steps the sample at that epoch: its W1 is epoch 62's, not the graph's.
    w1 = graph.find("W1").id
    np.testing.assert_allclose(vs.sample.graph.node(w1).value,
                               trained_from(window, start, 62)["W1"], rtol=1e-12)
    # The arrow key: the same sample, ringed, at epoch 63; the status bar follows.
    focus_slider(bar)
    QTest.keyClick(bar.slider, Qt.Key_Right)
    qtbot.waitUntil(lambda: vs.sample is not None and vs.sample.epoch == 63, timeout=2000)
    assert vs.sample.index == k
    assert shown() == pytest.approx(
        sample_loss_by_hand(graph, trained_from(window, start, 63), k), rel=1e-9)
    assert window.statusBar().currentMessage().startswith("Sample 17 at epoch 63: loss")
    ring = panel.boundary_plot.ring.getData()
    point = [c[k] for c in panel.boundary_plot.train_points.getData()]
    assert (ring[0][0], ring[1][0]) == (point[0], point[1])
    # End: the graph's own parameters (the run's end), no epoch said.
    QTest.keyClick(bar.slider, Qt.Key_End)
    qtbot.waitUntil(lambda: vs.sample is not None and vs.sample.epoch is None, timeout=2000)
    assert shown() == pytest.approx(sample_loss_by_hand(graph, final, k), rel=1e-9)
    assert window.statusBar().currentMessage().startswith("Sample 17: loss")
    # Back at 62, the ringed point clicked again: the batch, at epoch 62.
    bar.slider.setValue(62)
    qtbot.waitUntil(lambda: vs.sample is not None and vs.sample.epoch == 62, timeout=2000)
    click_point(window, qtbot, k)
    assert vs.sample is None and vs.live and "epoch 62 of the run" in vs.stale
    assert np.shape(vs.evaluation.values[graph.find("X").id]) == (2, 140)
    window.document.set_clean()
