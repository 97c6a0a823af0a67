"""Network health in the editor, through real actions: View > Show Network Health (Ctrl+4)
marks the activation nodes and the closed functions holding them; the Health dock's tab,
its table rows and buttons; a training run started with Start. Expected figures come from
NumPy forward and backward passes written out here, not from graphgui. No sleeps."""

from __future__ import annotations

import csv
import math
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, view_point
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabBar

from graphgui.core.health import GRAD_BINS_PER_DECADE, GRAD_DECADES
from graphgui.gui.panels.health import HealthMark

TIMEOUT = 20_000


def key(window: Any, qtbot: Any, k: Any, modifiers: Any = Qt.ControlModifier) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()
    QTest.keyClick(window.view, k, modifiers)


def click_tab(window: Any, qtbot: Any, title: str) -> None:
    """Click the dock tab called ``title`` (as the user brings a dock forward)."""
    for bar in window.findChildren(QTabBar):
        for k in range(bar.count()):
            if bar.tabText(k) == title and bar.isVisible():
                QTest.mouseClick(bar, Qt.LeftButton, Qt.NoModifier, bar.tabRect(k).center())
                return
    raise AssertionError(f"no visible tab {title!r}")


def click_row(table: Any, row: int, modifier: Any = Qt.NoModifier) -> None:
    rect = table.visualItemRect(table.item(row, 0))
    QTest.mouseClick(table.viewport(), Qt.LeftButton, modifier, rect.center())


def marks_in(scene: Any) -> list[HealthMark]:
    return [item for item in scene.items() if isinstance(item, HealthMark)]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def by_hand(graph: Any) -> dict[str, Any]:
    """The vanishing-gradients pair's activations and dL/dA of its sigmoid layers, written
    out in NumPy from the graph's own parameters and data (L = mean BCE of each net)."""
    p = {n.name: n.value for n in graph if n.op in ("parameter", "input")}
    X, Y = p["X"], p["Y"]
    m = Y.shape[1]
    out: dict[str, Any] = {}
    for tag, act in (("s", sigmoid), ("r", lambda z: np.maximum(z, 0))):
        a, zs, acts = X, [], [X]
        for k in range(1, 6):
            z = p[f"W{k}{tag}"] @ a + p[f"b{k}{tag}"]
            a = sigmoid(z) if k == 5 else act(z)
            zs.append(z)
            acts.append(a)
            out[f"A{k}{tag}"] = a
        if tag == "s":  # backward through the sigmoid net: dL/dA5 of the mean BCE
            a5 = acts[5]
            g = ((a5 - Y) / (a5 * (1 - a5))) / m
            for k in range(5, 0, -1):
                out[f"dA{k}s"] = g
                dz = g * acts[k] * (1 - acts[k])
                g = p[f"W{k}s"].T @ dz
    return out


@pytest.fixture
def vanishing(make_window: Any) -> Any:
    window = make_window()
    window.resize(1600, 1000)
    open_example_from_menu(window, "vanishing_gradients")
    return window


def test_health_marks_are_off_by_default_then_follow_the_view_action(
        vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    health = window.health
    action = health.action
    assert action in window.menu_view.actions() and not action.isChecked()
    assert not marks_in(window.scene)  # pictures of the canvas are as they were
    expected = by_hand(window.document.graph)
    key(window, qtbot, Qt.Key_4)  # View > Show Network Health
    assert action.isChecked()
    qtbot.waitUntil(lambda: len(marks_in(window.scene)) >= 10, timeout=TIMEOUT)
    boxes = {item.title: item for item in window.scene.functions.items.values()}
    for k in range(1, 5):
        relu = expected[f"A{k}r"]
        dead = int(np.sum(~np.any(relu > 0, axis=1)))
        mark = health.marks.marks[f"function:{boxes[f'dense{k}r'].group_id}"]
        assert (mark.kind, mark.share) == ("dead", dead / 8), k
        assert f"A{k}r: {100 * dead / 8:.0f}% dead ({dead} of 8 units)" in \
            boxes[f"dense{k}r"].toolTip()
        s = expected[f"A{k}s"]
        saturated = np.mean((s < 0.03) | (s > 0.97))
        mark = health.marks.marks[f"function:{boxes[f'dense{k}s'].group_id}"]
        assert (mark.kind, mark.share) == ("saturated", saturated)
    assert [int(np.sum(~np.any(expected[f"A{k}r"] > 0, axis=1))) for k in range(1, 5)] == \
        [0, 2, 3, 4]  # what the user guide says of this example
    box = boxes["dense2r"]
    own_tip = box.toolTip().split("\n\n", 1)[1]
    key(window, qtbot, Qt.Key_4)  # off again: no band, the function's own tooltip
    assert not action.isChecked() and not marks_in(window.scene)
    assert box.toolTip() == own_tip


def test_an_opened_function_shows_the_band_on_its_activation_node(
        vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    window.health.action.trigger()
    box = next(i for i in window.scene.functions.items.values() if i.title == "dense3r")
    window.view.centerOn(box)
    header = box.mapToScene(box.rect.center().x(), box.rect.top() + 8)
    QTest.mouseDClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier,
                      view_point(window.view, header))  # double-click: open it
    a3r = window.document.graph.find("A3r")
    qtbot.waitUntil(lambda: a3r.id in window.health.marks.marks, timeout=TIMEOUT)
    mark = window.health.marks.marks[a3r.id]
    node_item = window.scene.node_items[a3r.id]
    assert node_item.isVisible() and mark.parentItem() is node_item and mark.isVisible()
    assert mark.share == 3 / 8 and mark.kind == "dead"
    assert mark.toolTip().startswith("38% dead (3 of 8 units)")
    assert node_item.tooltip_text() in mark.toolTip()  # the node's own tooltip follows
    # The band takes no click: a click on it selects the node under it.
    band = mark.mapToScene(mark.band.center())
    window.scene.clearSelection()
    QTest.mouseClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view_point(window.view, band))
    assert window.scene.selected_node_ids() == [a3r.id]


def test_the_dock_lists_each_layer_and_draws_its_histograms(vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    panel = window.health.panel
    click_tab(window, qtbot, "Health")
    qtbot.waitUntil(lambda: panel.shown and panel.layer_table.rowCount() == 10,
                    timeout=TIMEOUT)
    table = panel.layer_table
    rows = {table.item(r, 0).text().split()[0]: r for r in range(table.rowCount())}
    assert table.item(rows["A2r"], 1).text() == "2/8 dead"
    assert table.item(rows["A4r"], 1).text() == "4/8 dead"
    assert table.item(rows["A1s"], 1).text() == "0.0% sat."
    assert "over 140 samples" in panel.caption.full_text
    # The gradient curve of A1s is the histogram of log10 |dL/dA1s| by hand, scaled to its
    # tallest bin; it lies decades left of A4s's (vanishing gradients).
    expected = by_hand(window.document.graph)
    low, high = GRAD_DECADES
    bins = int((high - low) * GRAD_BINS_PER_DECADE)
    plots = panel.health_plots
    medians = {}
    for name in ("A1s", "A4s"):
        g = np.abs(expected[f"d{name}"]).ravel()
        counts, _ = np.histogram(np.clip(np.log10(g), low, high), bins=bins, range=(low, high))
        curve = plots.grads_curves[rows[name]]
        filled = np.flatnonzero(counts)  # drawn: the occupied bins and one either side
        part = slice(max(0, filled[0] - 1), filled[-1] + 2)
        assert np.allclose(curve.yData, (counts / counts.max())[part])
        medians[name] = np.median(np.log10(g))
    assert medians["A4s"] - medians["A1s"] > 2  # more than two decades apart
    assert len(plots.values_curves) == 10
    # A click on a row draws that layer alone, Ctrl+click adds one.
    click_row(table, rows["A2r"])
    assert panel.chosen_rows() == {rows["A2r"]} and len(plots.values_curves) == 1
    click_row(table, rows["A2s"], Qt.ControlModifier)
    assert len(plots.values_curves) == 2
    click_row(table, rows["A2s"], Qt.ControlModifier)  # dropped again
    click_row(table, rows["A2r"], Qt.ControlModifier)
    assert not panel.chosen_rows() and len(plots.values_curves) == 10  # none chosen: all
    assert plots.notes["ratios"].toPlainText() == "no run yet:\ntrain to record them"


def test_a_run_records_each_weights_update_to_data_ratio_live(
        make_window: Any, qtbot: Any, tmp_path: Any) -> None:
    window = make_window()
    window.resize(1600, 1000)
    doc = open_example_from_menu(window, "moons_network", epochs=100_000,
                                 epochs_per_second=300)
    graph = doc.graph
    start = {n.name: n.value.copy() for n in graph if n.op in ("parameter", "input")}
    panel = window.health.panel
    training = window.training_panel
    QTest.mouseClick(training.start_button, Qt.LeftButton)  # Start (brings Loss forward)
    plots = panel.health_plots

    def drawn(name: str) -> int:
        curve = plots.ratio_curves.get(name)
        return 0 if curve is None or curve.xData is None else len(curve.xData)

    try:
        qtbot.waitUntil(lambda: window.training_panel.docks["lossDock"].visibleRegion()
                        .isEmpty() is False, timeout=TIMEOUT)
        click_tab(window, qtbot, "Health")  # while it trains
        # Redrawn from the run's live frames while it trains.
        qtbot.waitUntil(lambda: drawn("W1") >= 5 and "live" in panel.caption.full_text,
                        timeout=TIMEOUT)
        assert training.state == "running"
        seen = drawn("W1")
        qtbot.waitUntil(lambda: drawn("W1") > seen, timeout=TIMEOUT)  # and again, later
        assert set(plots.ratio_curves) == {"W1", "W2"}  # the weights; biases on request
        QTest.mouseClick(panel.biases_button, Qt.LeftButton)
        assert set(plots.ratio_curves) == {"W1", "b1", "W2", "b2"}
        with qtbot.waitSignal(training.finished, timeout=TIMEOUT):
            QTest.mouseClick(training.stop_button, Qt.LeftButton)
    finally:
        training.finish_now()  # a failed check leaves no thread running
    history = panel.log.snapshot()
    assert history.epochs[0] == 1 and len(history.epochs) == len(plots.ratio_curves["W1"].xData)
    # Epoch 1 by hand: one full-batch SGD step (lr 0.1) of the 2-4-1 sigmoid network.
    X, Y = start["X"], start["Y"]
    m = Y.shape[1]
    A1 = sigmoid(start["W1"] @ X + start["b1"])
    A2 = sigmoid(start["W2"] @ A1 + start["b2"])
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    dW1 = ((start["W2"].T @ dZ2) * A1 * (1 - A1)) @ X.T / m
    lr = doc.settings["training"]["lr"]
    for name, g in (("W1", dW1), ("W2", dW2)):
        ratio = np.std(lr * g) / np.std(start[name] - lr * g)
        assert history.ratios[name][0] == pytest.approx(ratio, rel=1e-9)
        assert plots.ratio_curves[name].yData[0] == pytest.approx(ratio, rel=1e-9)
    assert plots.guide.value() == pytest.approx(math.log10(1e-3))  # the 1e-3 line (log axis)
    last = panel.layer_table.item(1, 2).text()  # A2's row: W2's ratio, the weight feeding it
    assert last == f"{history.ratios['W2'][-1]:.1e}"
    # CSV: each layer's histograms, then the ratios per epoch (the same numbers).
    path = tmp_path / "health.csv"
    panel.export_csv(str(path))
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:2] == ["A1 value", "A1 share"] and "W2 update/data" in header
    epochs = [int(r[header.index("epoch")]) for r in rows[1:] if r[header.index("epoch")]]
    assert epochs == [int(e) for e in history.epochs]
    w2 = [float(r[header.index("W2 update/data")]) for r in rows[1:len(epochs) + 1]]
    assert w2 == list(history.ratios["W2"])
    panel.export_png(str(tmp_path / "health.png"))
    assert (tmp_path / "health.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Another document: no run's ratios.
    window.document.set_clean()
    window.action("new").trigger()
    qtbot.waitUntil(lambda: panel.log is None and not plots.ratio_curves, timeout=TIMEOUT)


def test_hidden_gradients_are_not_drawn(vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    panel = window.health.panel
    click_tab(window, qtbot, "Health")
    plots = panel.health_plots
    qtbot.waitUntil(lambda: len(plots.grads_curves) == 10, timeout=TIMEOUT)
    key(window, qtbot, Qt.Key_2)  # View > Show Gradients off
    qtbot.waitUntil(lambda: plots.notes["grads"].toPlainText() == "gradients hidden",
                    timeout=TIMEOUT)
    assert all(c.xData is None or len(c.xData) == 0 for c in plots.grads_curves)
