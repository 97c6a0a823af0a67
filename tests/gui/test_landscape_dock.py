"""The Landscape dock: Train > Loss Landscape (and Ctrl+Shift+L), Compute in the background
with progress and Cancel, the heat map with contours and the optimizers' race in the plane
(or every parameter), a curve for a graph with one parameter, the learning rate shown, a
diverged race in the legend, out-of-date marking after an edit, clearing on another document,
one-line messages without command-line flags, round colour-bar ticks, and the dock at laptop
and desktop sizes with nothing clipped.

Expected numbers come from the formulas (f = x**2 + 9 y**2, x**2 and SGD written out), never
from the landscape module. Settings are typed and clicked as a user does.
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import QDockWidget

from graphgui.core.expr import parse
from graphgui.core.landscape.worker import shared_worker
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


def tick(qtbot: Any, box: Any, checked: bool) -> None:
    """Click a check box until it is ``checked`` (a click where its box is drawn)."""
    if box.isChecked() != checked:
        qtbot.mouseClick(box, Qt.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() == checked


def type_into(qtbot: Any, spin: Any, value: object) -> None:
    """Click into a spin box, select its text, type ``value`` and press Enter."""
    assert spin.isEnabled()
    edit = spin.lineEdit()
    qtbot.mouseClick(edit, Qt.LeftButton)
    qtbot.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(edit, str(value))
    qtbot.keyClick(edit, Qt.Key_Return)
    assert spin.text().replace(",", "") == spin.textFromValue(spin.valueFromText(str(value)))


def pick(qtbot: Any, combo: Any, text: str) -> None:
    """Choose the entry starting with ``text`` by typing it into the focused combo box."""
    combo.setFocus(Qt.TabFocusReason)
    qtbot.keyClicks(combo, text)
    assert combo.currentText().startswith(text), combo.currentText()


def set_up(qtbot: Any, panel: Any, span: float | None = None, grid: int | None = None,
           steps: int | None = None) -> None:
    controls = panel.controls
    if span is not None:
        tick(qtbot, controls.auto, False)
        type_into(qtbot, controls.span, span)
    if grid is not None:
        type_into(qtbot, controls.grid, grid)
    if steps is not None:
        type_into(qtbot, controls.steps, steps)


def wait_result(qtbot: Any, panel: Any, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not panel.busy, timeout=timeout)


def compute(qtbot: Any, panel: Any) -> None:
    click(qtbot, panel.compute_button)
    wait_result(qtbot, panel)


def legend_texts(panel: Any) -> list[str]:
    return [label.text for _, label in panel.view.legend.items]


def test_menu_entry_and_shortcut_are_in_the_shortcut_table(window, qtbot):
    action = landscape_action(window)
    assert action is not None
    assert action.shortcut() == QKeySequence(SHORTCUTS["landscape_show"][0])
    train = [a for a in window.menuBar().actions() if a.text() == "&Train"][0].menu()
    assert action in train.actions()
    dock = window.findChild(QDockWidget, "landscapeDock")
    qtbot.keyClick(window, Qt.Key_L, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: dock.isVisible() and not dock.visibleRegion().isEmpty())


def test_the_dock_never_widens_the_column_it_shares(window, qtbot):
    # A tab beside the Trainer and the Inspector: its least width is the column's, even
    # while another tab is in front.
    panel = open_dock(window, qtbot)
    inspector = window.findChild(QDockWidget, "inspectorDock")
    assert panel.dock.minimumSizeHint().width() <= inspector.minimumSizeHint().width()
    for example in ("moons_network", "gradient_descent_x2"):
        open_example_from_menu(window, example)
        assert panel.dock.minimumSizeHint().width() <= inspector.minimumSizeHint().width()


def test_compute_draws_the_bowl_and_races_sgd_as_written_by_hand(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    settle(qtbot, window)
    panel = open_dock(window, qtbot)
    controls = panel.controls
    assert controls.plane.currentData() == "params"  # scalar parameters: two of them
    assert (controls.axis_a.currentText(), controls.axis_b.currentText()) == ("x", "y")
    assert controls.race.currentData() == "plane" and controls.auto.isChecked()
    assert controls.rate.text() == "lr 0.1 from the Trainer"  # the default settings
    set_up(qtbot, panel, span=1.5, grid=7, steps=12)
    threads_before = threading.active_count()
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
    names = [text.split()[0] for text in legend_texts(panel)]
    assert names == ["sgd", "momentum", "rmsprop", "adam"]
    # The race: revealed frame by frame to the last step.
    qtbot.waitUntil(lambda: not panel.racing, timeout=10_000)
    assert panel.step_label.text() == "step 12 of 12"
    # Computed in the worker process: no thread of the editor's shares its GIL.
    assert threading.active_count() == threads_before
    assert shared_worker().process_id not in (None, os.getpid())
    x, y = -1.5, 1.2
    for _ in range(12):
        x, y = x - 0.1 * 2 * x, y - 0.1 * 18 * y
    shown = panel.view.paths["sgd"][1].getData()
    assert (shown[0][-1], shown[1][-1]) == pytest.approx((x, y))
    assert legend_texts(panel)[0] == f"sgd {x**2 + 9 * y**2:.4g}"
    # Each race's loss per step, under the map when the dock has the height.
    curve = panel.view.steps.curves["sgd"]  # (its data as given: the axis may be log)
    assert curve.yData[-1] == pytest.approx(x**2 + 9 * y**2) and len(curve.yData) == 13


def test_race_in_the_plane_keeps_the_other_parameters_and_all_moves_them(window, qtbot):
    # z is not on the plane: in the plane its value stays 0.8 (gradient 2x + z along x);
    # with every parameter trained it moves, and the point's loss is its own.
    source = "x = param(-1.5); y = param(1.2); z = param(0.8); f = x**2 + 9*y**2 + x*z + z**2"
    window.set_document(Document(parse(source)))
    panel = open_dock(window, qtbot)
    set_up(qtbot, panel, grid=5, steps=4)
    compute(qtbot, panel)
    x, y = -1.5, 1.2
    for _ in range(4):
        x, y = x - 0.1 * (2 * x + 0.8), y - 0.1 * 18 * y
    sgd = panel.landscape.trajectories["sgd"].points
    assert sgd[-1] == pytest.approx([x, y, x**2 + 9 * y**2 + 0.8 * x + 0.64])
    pick(qtbot, panel.controls.race, "all")
    compute(qtbot, panel)
    assert panel.landscape.request.race == "all"
    assert "training every parameter" in panel.view.caption.full_text
    assert panel.landscape.trajectories["sgd"].points[-1, 0] != pytest.approx(x)


def test_replay_starts_the_race_again(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    panel = open_dock(window, qtbot)
    set_up(qtbot, panel, grid=5, steps=30)
    compute(qtbot, panel)
    qtbot.waitUntil(lambda: not panel.racing, timeout=10_000)
    click(qtbot, panel.replay_button)
    assert panel.racing
    assert len(panel.view.paths["adam"][1].getData()[0]) < 31
    qtbot.waitUntil(lambda: panel.view.shown_steps == 30, timeout=10_000)


def test_cancel_stops_a_long_computation(window, qtbot):
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    assert panel.controls.plane.currentData() == "random"  # tensor parameters
    set_up(qtbot, panel, grid=201, steps=10_000)
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
    pick(qtbot, panel.controls.plane, "Parameters")
    pick(qtbot, panel.controls.axis_a, "W1[0,1]")
    pick(qtbot, panel.controls.axis_b, "W2[0,2]")
    set_up(qtbot, panel, grid=5, steps=3)
    compute(qtbot, panel)
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
    set_up(qtbot, panel, grid=5, steps=2)
    compute(qtbot, panel)
    assert not panel.stale
    doc = window.document
    doc.set_value(doc.graph.find("x").id, 0.5)  # an edit, as the inspector makes it
    qtbot.waitUntil(lambda: panel.stale)
    assert "out of date" in panel.view.caption.full_text
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: not panel.stale)
    # Another learning rate changes the race: out of date too, and the rate shown follows.
    doc.set_setting("training", {"lr": 0.01})
    qtbot.waitUntil(lambda: panel.stale)
    assert panel.controls.rate.text() == "lr 0.01 from the Trainer"


def test_another_document_clears_the_landscape_and_the_plots_axes(window, qtbot):
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    set_up(qtbot, panel, grid=5, steps=3)
    compute(qtbot, panel)
    assert panel.landscape is not None
    assert panel.view.plot.getAxis("bottom").isVisible()
    open_example_from_menu(window, "neuron")
    assert panel.landscape is None and panel.view.landscape is None
    assert panel.progress.format() == "ready"
    assert [panel.controls.axis_a.itemText(k) for k in range(panel.controls.axis_a.count())] \
        == ["w0", "w1", "w2"]
    # Nothing of the moons' picture: no axes (their ranges were the last document's), no
    # legend, no caption but the title, a note where the picture goes.
    view = panel.view
    assert not view.plot.getAxis("bottom").isVisible()
    assert not view.plot.getAxis("left").isVisible()
    assert view.plot.getAxis("bottom").labelText == ""
    assert not view.legend.items and not view.bar.isVisible()
    assert view.caption.full_text == "Loss landscape"
    assert view.empty.isVisible() and view.empty.toPlainText() == "Compute draws the loss here"


def test_one_parameter_draws_a_curve_with_the_race_on_it(window, qtbot):
    # The bundled "Gradient descent on f(x) = x**2": one scalar parameter, a curve.
    open_example_from_menu(window, "gradient_descent_x2")
    panel = open_dock(window, qtbot)
    controls = panel.controls
    assert controls.plane.currentData() == "params"
    assert controls.axis_a.currentText() == "x"
    assert controls.axis_b.currentText() == "none (a curve)"
    tick(qtbot, panel.controls.optimizers["momentum"], False)
    compute(qtbot, panel)
    assert panel.message == ""
    land = panel.landscape
    assert land.dims == 1 and panel.view.main is panel.view.line_plot
    xs, ys = panel.view.curve.getData()
    assert ys == pytest.approx(xs**2)
    # Auto span: SGD from 5 to 5 * 0.8**100, Adam and RMSprop somewhat past 0: the curve
    # reaches below 0 and past 5 + that.
    assert xs[0] < 0 < 5 < xs[-1]
    panel.finish_race()
    for name in ("sgd", "rmsprop", "adam"):
        a, loss = panel.view.paths[name][1].getData()
        assert loss == pytest.approx(a**2, rel=1e-12, abs=1e-300)  # every dot on the curve
    a = panel.view.paths["sgd"][1].getData()[0]
    assert a[:4] == pytest.approx([5.0, 4.0, 3.2, 2.56])
    assert panel.view.plot.getAxis("bottom").labelText in ("", "x")
    assert panel.view.line_plot.getAxis("bottom").labelText == "x"
    assert "racing along the curve" in panel.view.caption.full_text


def test_refusals_are_one_line_messages_without_command_line_flags(window, qtbot):
    window.set_document(Document(parse("x = param(2.0); y = param(1.0); f = x**2 + y")))
    panel = open_dock(window, qtbot)
    pick(qtbot, panel.controls.axis_b, "x")
    click(qtbot, panel.compute_button)
    assert panel.message == ("Pick two different parameters for the two axes, or none for "
                             "the second (a curve).")
    pick(qtbot, panel.controls.plane, "Random")
    compute(qtbot, panel)
    assert panel.message.startswith("Random directions move the weights")
    assert panel.message.endswith("choose Parameters as the plane")
    assert "\n" not in panel.message and "--" not in panel.message
    assert panel.landscape is None


def test_a_graph_without_parameters_says_so_and_cannot_compute(window, qtbot):
    window.set_document(Document(parse("f = x**2")))
    panel = open_dock(window, qtbot)
    assert panel.message == ("This graph has no parameter: the landscape is drawn over "
                             "parameters (a parameter node, or param(...) in an expression).")
    assert not panel.compute_button.isEnabled()
    assert not panel.view.empty.isVisible()
    window.set_document(Document(parse(BOWL)))
    assert panel.message == "" and panel.compute_button.isEnabled()


def test_diverging_optimizer_says_so_in_its_legend_entry(window, qtbot):
    doc = Document(parse("x = param(3.0); y = param(1.0); f = x**4 + y**2"),
                   settings={"training": {"lr": 1.0}})
    window.set_document(doc)
    panel = open_dock(window, qtbot)
    assert panel.controls.rate.text() == "lr 1 from the Trainer"
    set_up(qtbot, panel, span=2.0, grid=5, steps=20)
    compute(qtbot, panel)
    assert "sgd: the loss is not finite after 5 steps" in panel.message
    panel.finish_race()
    # x <- x - 4 x**3 from 3: the loss overflows at the sixth point.
    assert legend_texts(panel)[0] == "sgd diverged after 5 steps"
    assert legend_texts(panel)[3].startswith("adam ")


def test_colour_bar_ticks_are_round_numbers(window, qtbot):
    window.set_document(Document(parse(BOWL)))
    panel = open_dock(window, qtbot)
    set_up(qtbot, panel, span=2.0, grid=21, steps=5)
    compute(qtbot, panel)
    ticks = panel.view.bar.getAxis("right")._tickLevels[0]
    values = [float(label) for _, label in ticks]
    assert len(values) >= 3 and 0.0 not in values
    for v in values:
        assert len(f"{v:.12e}".split("e")[0].replace(".", "").rstrip("0")) <= 2, values


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
@pytest.mark.parametrize("example", ["moons_network", "gradient_descent_x2", "bowl"])
def test_dock_fills_laptop_and_desktop_windows_with_nothing_clipped(make_window, qtbot, size,
                                                                    example):
    window = make_window()
    window.resize(*size)
    if example == "bowl":
        window.set_document(Document(parse(BOWL), settings={"training": {"lr": 0.03}}))
    else:
        open_example_from_menu(window, example)
    panel = open_dock(window, qtbot)
    compute(qtbot, panel)
    panel.finish_race()
    dock = window.findChild(QDockWidget, "landscapeDock")
    view = panel.view
    area = view.area
    qtbot.waitUntil(lambda: not view._refit_pending)
    # The whole picture is on screen, inside the dock.
    assert area.ci.boundingRect().width() <= area.viewport().width() + 1
    assert dock.width() >= 380
    # The picture fills the dock: no band of empty dock below it.
    below = dock.height() - panel.replay_button.mapTo(dock, QPoint(0, 0)).y() \
        - panel.replay_button.height()
    assert below < 20, below
    main = view.main
    assert main.vb.width() > 200 and main.vb.height() > 150
    if main is view.plot:  # a map: about square, or as tall as the dock allows
        assert 0.8 < main.vb.height() / main.vb.width() < 1.3
    # The caption is wrapped, never cut short.
    assert view.caption.text() == view.caption.full_text
    assert view.caption.height() >= view.caption.heightForWidth(view.caption.width())
    # Every legend entry inside the area, whole (once the legend's layout has caught up
    # with the texts the race left in it).

    def legend_fits() -> bool:
        for _, label in view.legend.items:
            rect = label.mapRectToScene(label.boundingRect())
            if rect.right() > area.width() + 1 or rect.left() < 0:
                return False
            if label.item.boundingRect().width() > label.boundingRect().width() + 1:
                return False
        return True

    qtbot.waitUntil(legend_fits, timeout=2000)
    if main is view.plot:
        # The colour bar's title fits its height; its tick labels its width.
        axis = view.bar.getAxis("right")
        title = axis.label.boundingRect()
        assert max(title.width(), title.height()) <= view.bar.geometry().height()
        metrics = QFontMetrics(axis.style.get("tickFont") or view.font())
        widest = max(metrics.horizontalAdvance(text) for _, text in axis._tickLevels[0])
        assert axis.width() >= widest + QFontMetrics(view.font()).height()
    os.makedirs(SHOTS, exist_ok=True)
    window.grab().save(f"{SHOTS}/landscape_{example}_{size[0]}.png")


def test_quit_called_off_leaves_the_dock_cancelled_not_computing(window, qtbot, monkeypatch):
    """File > Quit stops the computation; Cancel at the unsaved-changes prompt keeps the
    window, and the dock then says it was cancelled (it showed "computing… 0%" forever)."""
    from PySide6.QtWidgets import QMessageBox

    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    set_up(qtbot, panel, grid=201, steps=10_000)
    window.document.set_value(window.document.graph.find("b2").id, np.array([[0.5]]))
    click(qtbot, panel.compute_button)
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=10_000)
    asked = []
    monkeypatch.setattr(window.file_controller, "ask_save_changes",
                        lambda: asked.append(1) or QMessageBox.StandardButton.Cancel)
    window.action("quit").trigger()
    assert asked and window.isVisible()  # the close was called off
    assert not panel.busy and panel.progress.format() == "cancelled"
    assert panel.message == "Cancelled: nothing new was computed."
    assert panel.compute_button.isEnabled() and not panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10_000)


def test_log_ticks_are_few_round_and_inside_the_range():
    from graphgui.gui.panels.landscape.steps import MOST_LOG_TICKS, log_ticks

    for low, high in ((0.027, 0.7), (1e-6, 3.0), (0.3, 20.0), (0.01, 0.011)):
        ticks = log_ticks(low, high)
        assert 1 <= len(ticks) <= MOST_LOG_TICKS
        values = [10 ** t for t, _ in ticks]
        assert values == sorted(values)
        assert all(low * (1 - 1e-9) <= v <= high * (1 + 1e-9) for v in values)
        for value, (_, label) in zip(values, ticks, strict=True):
            mantissa = float(label) / 10 ** math.floor(math.log10(float(label)) + 1e-12)
            assert round(mantissa, 9) in (1.0, 2.0, 5.0), label  # 1, 2 or 5 times 10^k
            assert float(label) == pytest.approx(value)


def test_the_steps_plots_log_axis_labels_never_overlap(window, qtbot):
    from PySide6.QtGui import QImage, QPainter

    window.resize(1600, 1000)
    open_example_from_menu(window, "moons_network")
    panel = open_dock(window, qtbot)
    pick(qtbot, panel.controls.race, "all parameters")
    set_up(qtbot, panel, grid=5, steps=2000)
    compute(qtbot, panel)
    qtbot.waitUntil(lambda: not panel.racing, timeout=20_000)
    plot = panel.view.steps.plot
    assert plot.ctrl.logYCheck.isChecked()  # the losses span decades: a log axis
    axis = plot.getAxis("left")
    qtbot.waitUntil(lambda: panel.view.steps_shown and axis.height() > 60, timeout=10_000)
    image = QImage(max(1, int(axis.width())), max(1, int(axis.height())), QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        rects = [rect for rect, _flags, _text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()
    assert len(rects) >= 2
    for k, a in enumerate(rects):
        for b in rects[k + 1:]:
            assert not a.intersects(b), (a, b)
