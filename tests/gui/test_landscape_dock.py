"""The Landscape dock: Train > Loss Landscape, Compute in the background with progress and
Cancel, the heat map with contours and the optimizers' race, out-of-date marking after an edit,
clearing on another document, one-line messages, and the dock at laptop and desktop sizes.

Expected numbers come from the formulas (f = x**2 + 9 y**2 and SGD written out), never from
the landscape module.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from graphgui.core.expr import parse
from graphgui.gui.actions import SHORTCUTS
from graphgui.gui.document import Document

BOWL = "x = param(-1.5); y = param(1.2); f = x**2 + 9 * y**2"
SHOTS = "/tmp/shots"


def landscape_action(window: Any) -> QAction:
    return window.findChild(QAction, "action_landscape_show")


def open_dock(window: Any, qtbot: Any) -> Any:
    """Train > Loss Landscape, as the menu triggers it; the dock is then on screen."""
    landscape_action(window).trigger()
    panel = window.landscape_panel
    qtbot.waitUntil(lambda: panel.dock.isVisible() and not panel.dock.visibleRegion().isEmpty())
    return panel


def click(qtbot: Any, button: Any) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.LeftButton)


def wait_result(qtbot: Any, panel: Any, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)


def test_menu_entry_and_shortcut_are_in_the_shortcut_table(window):
    action = landscape_action(window)
    assert action is not None
    assert action.shortcut() == QKeySequence(SHORTCUTS["landscape_show"][0])
    train = [a for a in window.menuBar().actions() if a.text() == "&Train"][0].menu()
    assert action in train.actions()


def test_compute_draws_the_bowl_and_races_sgd_as_written_by_hand(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    settle(qtbot, window)
    panel = open_dock(window, qtbot)
    controls = panel.controls
    assert controls.plane.currentData() == "params"  # scalar parameters: two of them
    assert (controls.axis_a.currentText(), controls.axis_b.currentText()) == ("x", "y")
    controls.span.setValue(1.5)
    controls.grid.setValue(7)
    controls.steps.setValue(12)
    click(qtbot, panel.compute_button)
    assert panel.busy and panel.cancel_button.isEnabled()
    wait_result(qtbot, panel)
    land = panel.landscape
    assert land is not None and panel.progress.value() == 100
    xs = np.array([-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0])
    ys = np.array([-0.3, 0.2, 0.7, 1.2, 1.7, 2.2, 2.7])
    assert land.axes[0] == pytest.approx(xs) and land.axes[1] == pytest.approx(ys)
    assert land.loss == pytest.approx(xs[None, :] ** 2 + 9 * ys[:, None] ** 2)
    # The picture: the heat map, contour lines, one line per optimizer in the legend.
    assert panel.view.image.image is not None
    assert panel.view.contour_items
    names = [label.text.split()[0] for _, label in panel.view.legend.items]
    assert names == ["sgd", "momentum", "rmsprop", "adam"]
    # The race: revealed frame by frame to the last step.
    qtbot.waitUntil(lambda: not panel.racing, timeout=10_000)
    assert panel.step_label.text() == "step 12 of 12"
    # Raced: the objects frozen out of the garbage collector while computing are let go.
    assert gc.get_freeze_count() == 0
    x, y = -1.5, 1.2
    for _ in range(12):
        x, y = x - 0.1 * 2 * x, y - 0.1 * 18 * y
    shown = panel.view.paths["sgd"][1].getData()
    assert (shown[0][-1], shown[1][-1]) == pytest.approx((x, y))
    assert panel.view.legend.items[0][1].text == f"sgd {x**2 + 9 * y**2:.4g}"


def test_replay_starts_the_race_again(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    panel = open_dock(window, qtbot)
    panel.controls.grid.setValue(5)
    panel.controls.steps.setValue(30)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    qtbot.waitUntil(lambda: not panel.racing, timeout=10_000)
    click(qtbot, panel.replay_button)
    assert panel.racing
    assert len(panel.view.paths["adam"][1].getData()[0]) < 31
    qtbot.waitUntil(lambda: panel.view.shown_steps == 30, timeout=10_000)


def test_cancel_stops_a_long_computation(window, qtbot):
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    assert panel.controls.plane.currentData() == "random"  # tensor parameters
    panel.controls.grid.setValue(201)
    panel.controls.steps.setValue(10_000)
    click(qtbot, panel.compute_button)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=10_000)
    click(qtbot, panel.cancel_button)
    assert not panel.busy and panel.progress.format() == "cancelled"
    assert panel.message == "Cancelled: nothing new was computed."
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10_000)  # the worker has stopped
    assert panel.landscape is None


def test_two_elements_of_the_moons_network(window, qtbot):
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    panel.controls.choose("params", "W1[0,1]", "W2[0,2]")
    panel.controls.grid.setValue(5)
    panel.controls.steps.setValue(3)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    land = panel.landscape
    assert land.plane.labels == ("W1[0,1]", "W2[0,2]")
    graph = window.document.graph
    assert land.axes[0][2] == graph.find("W1").value[0, 1]
    assert land.origin_loss == pytest.approx(window.view_state.evaluation.values[graph.output],
                                             rel=1e-12)
    assert panel.view.plot.getAxis("bottom").labelText == "W1[0,1]"


def test_an_edit_marks_the_result_out_of_date_and_undo_makes_it_current(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    panel = open_dock(window, qtbot)
    panel.controls.grid.setValue(5)
    panel.controls.steps.setValue(2)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    assert not panel.stale
    doc = window.document
    doc.set_value(doc.graph.find("x").id, 0.5)  # an edit, as the inspector makes it
    qtbot.waitUntil(lambda: panel.stale)
    assert "out of date" in panel.view.caption.full_text
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: not panel.stale)
    # Another learning rate changes the race: out of date too.
    doc.set_setting("training", {"lr": 0.01})
    qtbot.waitUntil(lambda: panel.stale)


def test_another_document_clears_the_landscape(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    panel = open_dock(window, qtbot)
    panel.controls.grid.setValue(5)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    assert panel.landscape is not None
    open_example_from_menu(window, "neuron")
    assert panel.landscape is None and panel.view.landscape is None
    assert panel.progress.format() == "ready"
    assert [panel.controls.axis_a.itemText(k) for k in range(panel.controls.axis_a.count())] \
        == ["w0", "w1", "w2"]


def test_refusals_are_one_line_messages(window, qtbot):
    window.set_document(Document(parse("x = param(2.0); f = x**2")))
    panel = open_dock(window, qtbot)
    panel.controls.choose("params", "x", "x")
    click(qtbot, panel.compute_button)
    assert panel.message == "Pick two different parameters for the two axes."
    panel.controls.choose("random")
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    assert panel.message.startswith("Random directions move the weights")
    assert "\n" not in panel.message and panel.landscape is None


def test_diverging_optimizer_is_noted(window, qtbot):
    doc = Document(parse("x = param(3.0); y = param(1.0); f = x**4 + y**2"),
                   settings={"training": {"lr": 1.0}})
    window.set_document(doc)
    panel = open_dock(window, qtbot)
    panel.controls.grid.setValue(5)
    panel.controls.steps.setValue(20)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    assert "sgd: the loss is not finite after" in panel.message


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_dock_fits_laptop_and_desktop_windows(make_window, qtbot, size):
    window = make_window()
    window.resize(*size)
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)
    panel.finish_race()
    dock = window.findChild(QDockWidget, "landscapeDock")
    # The whole picture is on screen: the plot and its colour bar inside the dock.
    area = panel.view.area
    scene_width = area.ci.boundingRect().width()
    assert scene_width <= area.viewport().width() + 1
    assert dock.width() >= 380
    assert panel.view.plot.vb.width() > 150 and panel.view.plot.vb.height() > 150
    # The colour bar has room for its tick labels (0.69285 ...) and its title.
    qtbot.waitUntil(lambda: panel.view.bar.axis.width() >= 60)  # once laid out
    os.makedirs(SHOTS, exist_ok=True)
    window.grab().save(f"{SHOTS}/landscape_{size[0]}.png")
