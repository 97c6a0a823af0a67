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
