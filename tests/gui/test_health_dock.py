"""Network health in the editor, through real actions: View > Show Network Health (Ctrl+4)
marks the activation nodes and the closed functions holding them, at every zoom; the Health
dock's tab, its table rows and buttons; a training run started with Start, Undo and Redo of
its result. Expected figures come from NumPy forward and backward passes written out here,
not from graphgui. No sleeps."""

from __future__ import annotations

import csv
import math
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, view_point
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabBar

from graphgui.core.health import GRAD_BINS_PER_DECADE
from graphgui.gui.canvas.node_item import RADIUS
from graphgui.gui.panels.health import HealthMark
from graphgui.gui.panels.health.marks import COLORS, EXPECTED
from graphgui.gui.panels.health.panel import MIN_PLOT
from graphgui.gui.panels.health.strips import (
    GRADS,
    LAYER,
    MARK_COLORS,
    SHARE,
    STRIP,
    UPDATE,
    VALUES,
)

TIMEOUT = 20_000
NAMES = [f"A{k}s" for k in range(1, 6)] + [f"A{k}r" for k in range(1, 6)]


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
    """The vanishing-gradients pair's activations A{k}{s,r} and their gradients dA{k}{s,r}
    (L = L_s + L_r, each the mean BCE of its net), written out in NumPy from the graph's own
    parameters and data."""
    p = {n.name: n.value for n in graph if n.op in ("parameter", "input")}
    X, Y = p["X"], p["Y"]
    m = Y.shape[1]
    out: dict[str, Any] = {}
    for tag in ("s", "r"):
        a, zs, acts = X, [], [X]
        for k in range(1, 6):
            z = p[f"W{k}{tag}"] @ a + p[f"b{k}{tag}"]
            a = sigmoid(z) if k == 5 or tag == "s" else np.maximum(z, 0)
            zs.append(z)
            acts.append(a)
            out[f"A{k}{tag}"] = a
        a5 = acts[5]
        g = ((a5 - Y) / (a5 * (1 - a5))) / m  # dL/dA5 of the mean BCE
        for k in range(5, 0, -1):
            out[f"dA{k}{tag}"] = g
            slope = acts[k] * (1 - acts[k]) if k == 5 or tag == "s" else (zs[k - 1] > 0)
            g = p[f"W{k}{tag}"].T @ (g * slope)
    return out


@pytest.fixture
def vanishing(make_window: Any) -> Any:
    window = make_window()
    window.resize(1600, 1000)
    open_example_from_menu(window, "vanishing_gradients")
    return window


def boxes_of(window: Any) -> dict[str, Any]:
    return {item.title: item for item in window.scene.functions.items.values()}


def band_columns(window: Any, box: Any, color: str | None = None,
                 without: Any = None) -> int:
    """Screen columns along the bottom of ``box`` or just under it holding ``color`` (or,
    with ``without``, a grab of the canvas with the bands off: differing from it), in a
    grab of the canvas as drawn now."""
    image = window.view.viewport().grab().toImage()
    rect = window.view.mapFromScene(box.mapToScene(box.rect)).boundingRect()
    want = QColor(color) if color else None
    found = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.bottom() - 8, rect.bottom() + 12):
            if not (0 <= x < image.width() and 0 <= y < image.height()):
                continue
            got = image.pixelColor(x, y)
            ref = want if want is not None else without.pixelColor(x, y)
            close = max(abs(got.red() - ref.red()), abs(got.green() - ref.green()),
                        abs(got.blue() - ref.blue())) <= 12
            if close == (want is not None):
                found += 1
                break
    return found


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
    boxes = boxes_of(window)
    for k in range(1, 5):
        relu = expected[f"A{k}r"]
        dead = int(np.sum(~np.any(relu > 0, axis=1)))
        mark = health.marks.marks[f"function:{boxes[f'dense{k}r'].group_id}"]
        assert (mark.kind, mark.share, mark.expected) == ("dead", dead / 8, False), k
        assert f"A{k}r: {100 * dead / 8:.1f}% dead ({dead} of 8 units)" in \
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


def test_the_bands_are_drawn_at_every_zoom(vanishing: Any, qtbot: Any) -> None:
    """As the example opens (zoomed out, names written over the boxes), further out (the
    batched overview) and at 100 %: dense2r's band filled blue over its dead share (2 of 8
    units by hand) of the box's width; dense1r's (none dead) is its grey track alone, over
    the whole width, and no blue."""
    window = vanishing
    action = window.health.action
    boxes = boxes_of(window)
    box, fine = boxes["dense2r"], boxes["dense1r"]
    dead = int(np.sum(~np.any(by_hand(window.document.graph)["A2r"] > 0, axis=1)))
    assert dead == 2
    view = window.view
    assert view.zoom < 0.7  # it opens compact: the view writes the names over the boxes
    for step in ("as opened", "overview", "100 %"):
        if step == "overview":
            while view.zoom >= 0.4:
                window.action("zoom_out").trigger()
            qtbot.waitUntil(lambda: window.scene.overview, timeout=TIMEOUT)
        elif step == "100 %":
            window.action("zoom_reset").trigger()
            view.centerOn(box)
            assert view.zoom == pytest.approx(1.0)
        if action.isChecked():
            action.trigger()
        qtbot.waitUntil(lambda: not marks_in(window.scene), timeout=TIMEOUT)
        bare = view.viewport().grab().toImage()
        action.trigger()  # View > Show Network Health
        qtbot.waitUntil(lambda: f"function:{box.group_id}" in window.health.marks.marks,
                        timeout=TIMEOUT)
        width = (box.rect.width() - 2 * RADIUS) * view.zoom  # the box less its corners
        filled = band_columns(window, box, COLORS["dead"])
        assert abs(filled - dead / 8 * width) <= 3, (step, view.zoom, filled, width)
        assert band_columns(window, fine, COLORS["dead"]) == 0, step
        track = band_columns(window, fine, without=bare)
        assert abs(track - width) <= 3, (step, view.zoom, track, width)


def test_the_output_is_shown_neutral_after_a_run(vanishing: Any, qtbot: Any) -> None:
    """Start trains the example's own 150 epochs: the ReLU net's output sigmoid saturates
    (a confident classifier), which is no warning: its band and its table row are grey, its
    tooltip says saturation is expected at the output; the dock names the moment."""
    window = vanishing
    window.health.action.trigger()
    panel = window.health.panel
    training = window.training_panel
    doc = window.document
    assert doc.settings["training"]["epochs"] == 150
    with qtbot.waitSignal(training.finished, timeout=TIMEOUT) as finished:
        QTest.mouseClick(training.start_button, Qt.LeftButton)
    assert finished.args[0].trainer.epoch == 150
    click_tab(window, qtbot, "Health")
    qtbot.waitUntil(lambda: "after epoch 150" in panel.caption.full_text, timeout=TIMEOUT)
    a5r = by_hand(doc.graph)["A5r"]
    share = float(np.mean((a5r < 0.03) | (a5r > 0.97)))
    assert share > 0.3  # confident: a third or more of its outputs past 0.97 or under 0.03
    box = boxes_of(window)["dense5r"]
    mark = window.health.marks.marks[f"function:{box.group_id}"]
    assert (mark.kind, mark.share, mark.expected, mark.color) == (
        "saturated", share, True, EXPECTED)
    assert "expected at the output" in box.toolTip()
    table = panel.layer_table
    rows = {table.item(r, 0).text().split()[0]: r for r in range(table.rowCount())}
    item = table.item(rows["A5r"], SHARE)
    assert item.text() == f"{100 * share:.1f}% saturated"
    assert item.foreground().color() == QColor(EXPECTED)
    assert table.item(rows["A5r"], LAYER).text().endswith("(output)")
    assert "expected at the output" in item.toolTip()
    # Undo the run: the graph's parameters are the opened ones again, and Redo its result.
    window.action("undo").trigger()
    qtbot.waitUntil(lambda: "before any run" in panel.caption.full_text, timeout=TIMEOUT)
    window.action("redo").trigger()
    qtbot.waitUntil(lambda: "after epoch 150" in panel.caption.full_text, timeout=TIMEOUT)


def test_the_dock_lists_each_network_input_to_output_with_its_histograms(
        vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    panel = window.health.panel
    click_tab(window, qtbot, "Health")
    qtbot.waitUntil(lambda: panel.shown and panel.layer_table.rowCount() == 10,
                    timeout=TIMEOUT)
    table = panel.layer_table
    rows = {table.item(r, 0).text().split()[0]: r for r in range(table.rowCount())}
    assert sorted(rows, key=rows.get) == NAMES  # the sigmoid net, then the ReLU net
    assert table.item(rows["A2r"], SHARE).text() == "25.0% dead (2 of 8)"
    assert table.item(rows["A4r"], SHARE).text() == "50.0% dead (4 of 8)"
    assert table.item(rows["A1s"], SHARE).text() == "0.0% saturated"
    assert table.item(rows["A2r"], SHARE).foreground().color() == QColor(MARK_COLORS["dead"])
    assert table.item(rows["A1s"], LAYER).text() == "A1s  σ"
    assert table.item(rows["A1r"], LAYER).text() == "A1r  ReLU"
    assert table.item(rows["A5s"], LAYER).text() == "A5s  σ (output)"
    caption = panel.caption.full_text
    assert caption.startswith("Network health before any run") and "over 140 samples" in caption
    expected = by_hand(window.document.graph)
    # Each row's gradient histogram: log10 |dL/dA| by hand in quarter decades over the
    # decades the header names (values beyond them in the end bins), scaled to the tallest.
    low, high = table.strip_header.span
    assert low == int(low) and high == int(high) and high - low >= 2
    edges = np.arange(low, high + 1e-9, 1 / GRAD_BINS_PER_DECADE)
    medians = {}
    for name in NAMES:
        g = np.abs(expected[f"d{name}"]).ravel()
        logs = np.clip(np.log10(g[g > 0]), low, high)
        counts, _ = np.histogram(logs, bins=edges)
        strip = table.item(rows[name], GRADS).data(STRIP)
        assert (strip.x0, strip.x1) == (0.0, 1.0)
        assert np.allclose(strip.heights, counts / counts.max()), name
        medians[name] = low + strip.median * (high - low)  # the tick
        exact = np.median(np.log10(g[g > 0]))
        assert abs(medians[name] - exact) <= 1 / GRAD_BINS_PER_DECADE, name
    # Vanishing: the sigmoid layers' ticks walk left towards the input, more than two
    # decades from A4s to A1s; the ReLU layers' stay within a decade of each other.
    sig = [medians[f"A{k}s"] for k in range(1, 5)]
    relu = [medians[f"A{k}r"] for k in range(1, 5)]
    assert sig == sorted(sig) and sig[3] - sig[0] > 2
    assert max(relu) - min(relu) <= 1
    # The activations on each layer's own range: A2r's active values in 40 bins over
    # [0, R], R its largest value rounded up to 1, 2 or 5 x 10^k.
    a2r = expected["A2r"].ravel()
    active = a2r[a2r != 0]
    top = active.max()
    power = 10.0 ** math.floor(math.log10(top))
    R = next(step * power for step in (1, 2, 5, 10) if step * power >= top)
    counts, _ = np.histogram(active, bins=40, range=(0, R))
    strip = table.item(rows["A2r"], VALUES).data(STRIP)
    assert np.allclose(strip.heights, counts / counts.max()) and strip.label == f"0–{R:g}"
    assert table.item(rows["A1s"], VALUES).data(STRIP).label == "0–1"
    # Rows chosen: the ratio plot draws only their weights' ratios (none recorded yet).
    click_row(table, rows["A2r"])
    assert panel.chosen_rows() == {rows["A2r"]}
    click_row(table, rows["A2s"], Qt.ControlModifier)
    assert panel.chosen_rows() == {rows["A2r"], rows["A2s"]}
    click_row(table, rows["A2s"], Qt.ControlModifier)  # dropped again
    click_row(table, rows["A2r"], Qt.ControlModifier)
    assert not panel.chosen_rows()
    assert panel.health_plots.notes["ratios"].toPlainText() == "no run yet:\ntrain to record them"


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_every_layer_fits_the_dock_unclipped(make_window: Any, qtbot: Any,
                                              size: tuple[int, int]) -> None:
    """On a laptop screen and a larger one the ten rows show without scrolling, every text
    column as wide as its text, the histograms and the ratio plot no narrower than their
    minimum, nothing past the table's right edge."""
    window = make_window()
    window.resize(*size)
    open_example_from_menu(window, "vanishing_gradients")
    panel = window.health.panel
    click_tab(window, qtbot, "Health")
    table = panel.layer_table
    qtbot.waitUntil(lambda: panel.shown and table.rowCount() == 10, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: table.verticalScrollBar().maximum() == 0, timeout=TIMEOUT)
    header = table.horizontalHeader()
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    assert {LAYER, VALUES, GRADS, SHARE} <= set(shown)
    assert sum(header.sectionSize(c) for c in shown) <= table.viewport().width()
    for col in (LAYER, SHARE, UPDATE):
        if col in shown:
            assert header.sectionSize(col) >= table.sizeHintForColumn(col), col
    assert header.sectionSize(VALUES) >= 56 and header.sectionSize(GRADS) >= 90
    assert panel.area.width() >= MIN_PLOT
    last = table.visualItemRect(table.item(9, 0))
    assert QRectF(table.viewport().rect()).contains(QRectF(last))


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
        # Redrawn from the run's live frames while it trains, the epoch in the caption.
        qtbot.waitUntil(lambda: drawn("W1") >= 5 and "(live)" in panel.caption.full_text,
                        timeout=TIMEOUT)
        assert training.state == "running"
        assert panel.caption.full_text.startswith("Network health at epoch ")
        seen = drawn("W1")
        qtbot.waitUntil(lambda: drawn("W1") > seen, timeout=TIMEOUT)  # and again, later
        assert set(plots.ratio_curves) == {"W1", "W2"}  # the weights; biases on request
        QTest.mouseClick(panel.biases_button, Qt.LeftButton)
        assert set(plots.ratio_curves) == {"W1", "b1", "W2", "b2"}
        QTest.mouseClick(panel.biases_button, Qt.LeftButton)
        with qtbot.waitSignal(training.finished, timeout=TIMEOUT) as finished:
            QTest.mouseClick(training.stop_button, Qt.LeftButton)
    finally:
        training.finish_now()  # a failed check leaves no thread running
    epochs = finished.args[0].trainer.epoch
    qtbot.waitUntil(lambda: f"after epoch {epochs} " in panel.caption.full_text + " ",
                    timeout=TIMEOUT)
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
    table = panel.layer_table
    last = f"{history.ratios['W2'][-1]:.1e}"
    assert table.item(1, UPDATE).text() == last  # A2's row: W2's, the weight feeding it
    assert f"update/data of W2, the weight feeding it: {last}" in table.item(1, 0).toolTip()
    # A row chosen: only the ratio of the weight feeding it; Ctrl+click adds another.
    click_row(table, 1)
    assert set(plots.ratio_curves) == {"W2"}
    click_row(table, 0, Qt.ControlModifier)
    assert set(plots.ratio_curves) == {"W1", "W2"}
    # CSV: each layer's histograms, then the ratios per epoch (the same numbers).
    path = tmp_path / "health.csv"
    panel.export_csv(str(path))
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:2] == ["A1 value", "A1 share"] and "W2 update/data" in header
    recorded = [int(r[header.index("epoch")]) for r in rows[1:] if r[header.index("epoch")]]
    assert recorded == [int(e) for e in history.epochs]
    w2 = [float(r[header.index("W2 update/data")]) for r in rows[1:len(recorded) + 1]]
    assert w2 == list(history.ratios["W2"])
    panel.export_png(str(tmp_path / "health.png"))  # the table and the plot
    assert (tmp_path / "health.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # A weight edited by hand: neither before nor after a run.
    w1 = graph.find("W1")
    doc.set_value(w1.id, w1.value * 2)
    qtbot.waitUntil(lambda: "edited parameters" in panel.caption.full_text, timeout=TIMEOUT)
    # Another document: no run's ratios.
    window.document.set_clean()
    window.action("new").trigger()
    qtbot.waitUntil(lambda: panel.log is None and not plots.ratio_curves, timeout=TIMEOUT)


def test_hidden_gradients_are_not_drawn(vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    panel = window.health.panel
    click_tab(window, qtbot, "Health")
    table = panel.layer_table
    qtbot.waitUntil(lambda: table.rowCount() == 10 and bool(
        table.item(0, GRADS).data(STRIP).heights), timeout=TIMEOUT)
    key(window, qtbot, Qt.Key_2)  # View > Show Gradients off
    qtbot.waitUntil(lambda: table.item(0, GRADS).data(STRIP).note == "hidden",
                    timeout=TIMEOUT)
    assert all(not table.item(r, GRADS).data(STRIP).heights for r in range(10))
    assert all(table.item(r, VALUES).data(STRIP).heights for r in range(10))  # values stay


def test_an_opened_function_shows_the_band_on_its_activation_node(
        vanishing: Any, qtbot: Any) -> None:
    window = vanishing
    window.health.action.trigger()
    box = boxes_of(window)["dense3r"]
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
    assert mark.toolTip().startswith("37.5% dead (3 of 8 units)")
    assert node_item.tooltip_text() in mark.toolTip()  # the node's own tooltip follows
    # The band takes no click: a click on it selects the node under it.
    window.action("zoom_reset").trigger()
    window.view.centerOn(node_item)
    band = mark.mapToScene(mark.band.center())
    window.scene.clearSelection()
    QTest.mouseClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view_point(window.view, band))
    assert window.scene.selected_node_ids() == [a3r.id]
