"""The Paths dock: Autodiff > Paths to Output, the table of paths and their sum, the path
drawn on the canvas, fan-outs, truncation, recomputing after edits, clearing on a new
document, one-line errors, hidden gradients, and how the dock looks at laptop sizes.

Expected numbers are worked out by hand here (Colah's e = (a + b) * (b + 1)), or with math
from the formulas, never read from path_sum.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, settle
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QHelpEvent, QImage, QKeySequence, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDockWidget, QToolTip

from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.gui.canvas.state import NO_HIGHLIGHT
from graphgui.gui.document import Document
from graphgui.gui.panels.autodiff.paths import HIDDEN_NOTE
from graphgui.gui.panels.autodiff.paths_table import (
    FACTORS,
    PATH,
    PRODUCT,
    SEPARATOR,
    text_margin,
)

COLAH = "a = 2; b = 1; c = a + b; d = b + 1; e = c * d"
SHOTS = "/tmp/shots"


def ids(graph: Any) -> dict[str, str]:
    return {n.name: n.id for n in graph if n.name}


def paths_action(window: Any) -> QAction:
    return window.findChild(QAction, "action_paths_to_output")


def wait_paths(qtbot: Any, panel: Any) -> None:
    """Until the dock shows the answer to what it asked last."""
    qtbot.waitUntil(lambda: not panel.pending and bool(panel.result or panel.message),
                    timeout=10_000)


def open_paths(window: Any, qtbot: Any, graph: Graph, select: str | None = None) -> Any:
    """Show ``graph``, select the node named ``select``, trigger Autodiff > Paths to
    Output as the menu does, and wait for the paths."""
    window.set_document(Document(graph))
    settle(qtbot, window)
    if select is not None:
        window.select_nodes([window.document.graph.find(select).id])
    paths_action(window).trigger()
    panel = window.autodiff.paths
    wait_paths(qtbot, panel)
    return panel


def rows(panel: Any) -> list[list[str]]:
    t = panel.table
    return [[t.item(r, c).text() for c in (PATH, FACTORS, PRODUCT)] for r in range(t.rowCount())]


def click_row(panel: Any, row: int) -> None:
    table = panel.table
    rect = table.visualItemRect(table.item(row, PATH))
    QTest.mouseClick(table.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())


def chain(layers: int, y0: float = 0.3) -> tuple[Graph, float]:
    """y' = sin(y) + cos(y), ``layers`` times; and dy_n/dy0 = prod(cos(y) - sin(y))."""
    lines = [f"y0 = {y0}"]
    y, grad = y0, 1.0
    for k in range(1, layers + 1):
        lines.append(f"y{k} = sin(y{k - 1}) + cos(y{k - 1})")
        grad *= math.cos(y) - math.sin(y)
        y = math.sin(y) + math.cos(y)
    return parse("; ".join(lines)), grad


# ---- the action, the table, the sum ---------------------------------------------------------


def test_colah_example_lists_two_paths_that_add_up_to_the_gradient(window: Any, qtbot: Any
                                                                   ) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    dock = window.findChild(QDockWidget, "pathsDock")
    assert dock.isVisible() and panel.shown()
    assert dock in window.tabifiedDockWidgets(window.findChild(QDockWidget, "stepperDock"))
    assert panel.input_combo.currentText() == "b"  # the selected source
    assert panel.output_combo.currentText() == "e (the output)"
    # c = a + b = 3, d = b + 1 = 2; de/dc = d = 2, de/dd = c = 3.
    # b -> d -> e: 1 * 3 = 3; b -> c -> e: 1 * 2 = 2; 3 + 2 = 5 = de/db.
    assert rows(panel) == [
        ["b → d → e", f"1{SEPARATOR}3", "3"],
        ["b → c → e", f"1{SEPARATOR}2", "2"],
        ["Sum of all 2 paths", "3 + 2", "5"],
    ]
    header = panel.header.text()
    assert "de/db</b> = sum over 2 paths: 5 (backward pass: 5)" in header
    assert not panel.note.isVisible()
    assert panel.table.item(0, PATH).toolTip().startswith("b → d → e")
    assert "de/dd = c = 3" in panel.table.item(0, PATH).toolTip()


def test_the_shortcut_opens_the_dock_from_another_tab(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse(COLAH)))
    settle(qtbot, window)
    window.findChild(QDockWidget, "stepperDock").raise_()
    panel = window.autodiff.paths
    qtbot.waitUntil(lambda: not panel.shown())
    window.select_nodes([window.document.graph.find("a").id])
    window.activateWindow()
    combo = QKeySequence(paths_action(window).shortcut())[0]
    QTest.keyClick(window, combo.key(), combo.keyboardModifiers())
    wait_paths(qtbot, panel)
    assert panel.shown()
    # de/da: a -> c -> e only: 1 * d = 2.
    assert rows(panel) == [["a → c → e", f"1{SEPARATOR}2", "2"],
                           ["Sum of the one path", "2", "2"]]


def test_hovering_a_factor_shows_its_formula(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    table = panel.table
    rect = table.visualItemRect(table.item(0, FACTORS))
    fm = table.fontMetrics()
    margin = table.style().pixelMetric(table.style().PixelMetric.PM_FocusFrameHMargin,
                                       None, table) + 1
    first = QPoint(rect.left() + margin + fm.horizontalAdvance("1") // 2, rect.center().y())
    second_x = fm.horizontalAdvance(f"1{SEPARATOR}") + fm.horizontalAdvance("3") // 2
    second = QPoint(rect.left() + margin + second_x, rect.center().y())
    shown = []
    for point in (first, second):
        event = QHelpEvent(QEvent.ToolTip, point, table.viewport().mapToGlobal(point))
        QApplication.sendEvent(table.viewport(), event)
        shown.append(QToolTip.text())
    assert shown == ["b → d: dd/db = 1 = 1", "d → e: de/dd = c = 3"]
    QToolTip.hideText()


# ---- the canvas ---------------------------------------------------------------------------


def path_coloured(window: Any, wire: Any) -> int:
    """How many of seven points along ``wire`` (its ends left out: wires meet at ports, and
    a fan-out's port is a dot in the path colour) the scene paints in the path colour (a
    few may be under the wire's labels)."""
    want = QColor(window.scene.state.theme.colors.path)
    hits = 0
    for k in range(2, 9):
        p = wire.path.pointAtPercent(k / 10)
        rect = QRectF(p.x() - 3, p.y() - 3, 6, 6)
        image = QImage(12, 12, QImage.Format_ARGB32)
        image.fill(Qt.white)
        painter = QPainter(image)
        window.scene.render(painter, QRectF(image.rect()), rect)
        painter.end()
        hits += any(
            abs(c.red() - want.red()) + abs(c.green() - want.green())
            + abs(c.blue() - want.blue()) < 60
            for c in (image.pixelColor(x, y) for x in range(12) for y in range(12)))
    return hits


def test_clicking_a_row_highlights_exactly_that_path(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    n = ids(window.document.graph)
    window.scene.clearSelection()
    click_row(panel, 1)  # b -> c -> e
    h = window.scene.state.highlight  # what the node and wire items paint from
    assert h.nodes == {n["b"], n["c"], n["e"]}
    assert h.wires == {(n["b"], n["c"]), (n["c"], n["e"])}
    assert "Path 2 of 2" in panel.details.toPlainText()
    wires = window.scene.wire_items
    # The wires' paint: the path's wires in the path colour, the others not.
    window.view.resetTransform()  # items paint themselves at 100 % (no overview)
    window.scene.set_overview(False)
    assert path_coloured(window, wires[(n["c"], 1)]) >= 4  # b -> c (port b)
    assert path_coloured(window, wires[(n["e"], 0)]) >= 4  # c -> e
    assert path_coloured(window, wires[(n["d"], 0)]) == 0  # b -> d
    assert path_coloured(window, wires[(n["e"], 1)]) == 0  # d -> e

    QTest.keyClick(panel.table.viewport(), Qt.Key_Up)  # the keyboard moves to b -> d -> e
    h = window.scene.state.highlight
    assert h.nodes == {n["b"], n["d"], n["e"]}
    assert h.wires == {(n["b"], n["d"]), (n["d"], n["e"])}

    click_row(panel, 2)  # the sum row: every path
    assert window.scene.state.highlight.nodes == {n["b"], n["c"], n["d"], n["e"]}


def test_the_fan_out_b_is_marked_with_its_factored_form(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    n = ids(window.document.graph)
    assert window.scene.state.highlight.marked == {n["b"]}
    assert window.scene.state.highlight.nodes == set()  # no row chosen yet
    text = panel.details.toPlainText()
    assert "b: 2 paths pass it" in text
    assert "de/db = de/dc × dc/db + de/dd × dd/db = 2 × 1 + 3 × 1 = 5" in text
    # a has one wire onward: not a fan-out.
    panel.choose_input(n["a"])
    wait_paths(qtbot, panel)
    assert window.scene.state.highlight.marked == set()


def test_closing_the_dock_takes_the_highlight_off_the_canvas(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    click_row(panel, 0)
    assert window.scene.state.highlight.nodes
    panel.dock.close()
    assert window.scene.state.highlight == NO_HIGHLIGHT
    paths_action(window).trigger()
    wait_paths(qtbot, panel)
    assert window.scene.state.highlight.nodes  # the chosen row again


# ---- large counts, edits, documents --------------------------------------------------------


def test_a_20_layer_chain_shows_the_exact_count_and_the_truncation(window: Any, qtbot: Any
                                                                   ) -> None:
    graph, expected = chain(20)
    panel = open_paths(window, qtbot, graph, select="y0")
    assert panel.result.count == 2**20  # each layer: through sin or through cos
    assert panel.note.isVisible()
    assert "Showing the 100 largest of 1,048,576 paths" in panel.note.text()
    assert "sum over 1,048,576 paths" in panel.header.text()
    assert panel.table.rowCount() == 100 + 2  # the paths, the listed sum, the full sum
    assert rows(panel)[-1][0] == "Sum over all 1,048,576 paths"
    assert panel.result.sum == pytest.approx(expected, rel=1e-9)
    assert panel.result.gradient == pytest.approx(expected, rel=1e-9)
    products = [abs(p.product) for p in panel.result.paths]
    assert products == sorted(products, reverse=True)


def test_editing_a_value_updates_the_numbers_and_keeps_the_path(window: Any, qtbot: Any
                                                                ) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    n = ids(window.document.graph)
    click_row(panel, 1)  # b -> c -> e (product 2)
    window.select_nodes([n["a"]])
    editor = window.inspector.value_edit
    editor.selectAll()
    QTest.keyClicks(editor, "4")
    QTest.keyClick(editor, Qt.Key_Return)
    settle(qtbot, window)
    # a = 4: c = a + b = 5, d = b + 1 = 2; b -> d -> e: 1 * c = 5; b -> c -> e: 1 * d = 2.
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.sum == 7.0,
                    timeout=10_000)
    assert rows(panel) == [
        ["b → d → e", f"1{SEPARATOR}5", "5"],
        ["b → c → e", f"1{SEPARATOR}2", "2"],
        ["Sum of all 2 paths", "5 + 2", "7"],
    ]
    assert "sum over 2 paths: 7 (backward pass: 7)" in panel.header.text()
    assert panel.table.selected_row() == 1  # still b -> c -> e, with its new numbers
    assert window.scene.state.highlight.nodes == {n["b"], n["c"], n["e"]}


def test_opening_another_example_clears_the_highlight(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    click_row(panel, 0)
    assert window.scene.state.highlight.nodes
    open_example_from_menu(window, "chain_rule")
    assert window.scene.state.highlight.nodes == set()
    assert panel.table.selected_row() is None
    wait_paths(qtbot, panel)
    labels = [panel.input_combo.itemText(k) for k in range(panel.input_combo.count())]
    assert "b" not in labels or window.document.graph.find("b") is not None
    assert all(not text.startswith("n") or window.document.graph.find(text)
               for text in labels)  # labels, never internal ids
    assert panel.result is not None and panel.result.wrt == labels[0]


def test_no_work_while_the_dock_is_hidden(window: Any, qtbot: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    asked = []
    real = panel.runner.submit
    monkeypatch.setattr(panel.runner, "submit", lambda r: (asked.append(r), real(r)))
    window.findChild(QDockWidget, "stepperDock").raise_()
    qtbot.waitUntil(lambda: not panel.shown())
    assert window.scene.state.highlight == NO_HIGHLIGHT  # nothing drawn for a hidden dock
    n = ids(window.document.graph)
    for value in (3.0, 4.0, 5.0):
        window.document.set_value(n["a"], value)
        settle(qtbot, window)
    assert asked == []
    panel.dock.raise_()
    wait_paths(qtbot, panel)
    assert len(asked) == 1
    # a = 5: c = 6, d = 2: de/db = 2 + 6 = 8.
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.sum == 8.0)


# ---- messages ------------------------------------------------------------------------------


def test_a_graph_too_large_says_so_in_one_line(window: Any, qtbot: Any) -> None:
    graph = parse("x = 0; f = sum(x * x)")
    graph.set_value(graph.find("x").id, np.ones(2000))  # a 2000 x 2000 Jacobian
    panel = open_paths(window, qtbot, graph, select="x")
    assert panel.result is None
    assert "too large" in panel.message
    assert "\n" not in panel.message and "Traceback" not in panel.message
    assert panel.table.rowCount() == 0
    assert window.scene.state.highlight == NO_HIGHLIGHT


def test_a_failing_graph_names_the_node_by_its_label(window: Any, qtbot: Any) -> None:
    graph = parse("x = [1.0, 2.0]; W = [[1.0, 2.0, 3.0]]; f = sum(W @ x)")
    panel = open_paths(window, qtbot, graph, select="x")
    assert panel.message.startswith("matmul cannot be computed: shape mismatch in matmul")
    assert "n3" not in panel.message and "\n" not in panel.message


def test_hidden_gradients_hide_the_paths(window: Any, qtbot: Any) -> None:
    panel = open_paths(window, qtbot, parse(COLAH), select="b")
    click_row(panel, 0)
    window.action_show_grads.setChecked(False)
    qtbot.waitUntil(lambda: panel.message == HIDDEN_NOTE)
    assert panel.table.rowCount() == 0
    assert window.scene.state.highlight == NO_HIGHLIGHT
    window.action_show_grads.setChecked(True)
    wait_paths(qtbot, panel)
    assert panel.result is not None and panel.result.sum == 5.0


# ---- tensors -------------------------------------------------------------------------------


def test_one_element_of_a_weight_matrix(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "matrix_network")
    settle(qtbot, window)
    graph = window.document.graph
    w1 = graph.find("W1").id
    window.select_nodes([w1])
    paths_action(window).trigger()
    panel = window.autodiff.paths
    wait_paths(qtbot, panel)
    assert panel.input_element.isVisible()
    assert not panel.output_element.isVisible()  # J is a scalar
    panel.choose_input(w1, "0,1")
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.wrt == "W1[0,1]")
    wait_paths(qtbot, panel)
    backward = float(np.asarray(window.view_state.grad(w1))[0, 1])  # the engine's pass
    assert panel.result.count == 1
    assert panel.result.sum == pytest.approx(backward, rel=1e-9)
    assert rows(panel)[0][0].startswith("W1[0,1] → ")
    assert rows(panel)[0][0].endswith(" → J")


def test_an_element_of_a_tensor_output(window: Any, qtbot: Any) -> None:
    graph = parse("x = 2; v = [1.0, 3.0]; y = v * x")  # y = [2, 6], dy/dx = [1, 3]
    panel = open_paths(window, qtbot, graph, select="x")
    assert panel.output_element.isVisible()
    assert panel.output_element.currentText() == "all elements"
    assert panel.result.count == 2 and panel.result.sum == pytest.approx(4.0)  # 1 + 3
    panel.choose_output(None, "1")
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.output == "y[1]")
    assert panel.result.count == 1 and panel.result.sum == pytest.approx(3.0)


# ---- how it looks --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_screenshot_of_the_dock(make_window: Any, qtbot: Any, size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    open_example_from_menu(window, "network_2_2_2")
    settle(qtbot, window)
    window.select_nodes([window.document.graph.find("w1").id])
    paths_action(window).trigger()
    panel = window.autodiff.paths
    wait_paths(qtbot, panel)
    click_row(panel, 0)
    qtbot.wait(300)  # dock animations
    os.makedirs(SHOTS, exist_ok=True)
    assert window.grab().save(f"{SHOTS}/paths_{size[0]}x{size[1]}.png")
    # Nothing clipped: the header's text fits, three lines of paths are in view, the first
    # path whole in its (wrapped) row, the pickers and the legend fit.
    header = panel.header
    assert header.fontMetrics().horizontalAdvance(panel.header.toolTip()) <= header.width()
    table = panel.table
    assert table.viewport().height() >= 3 * table.verticalHeader().defaultSectionSize()
    assert table.viewport().height() >= table.rowHeight(0)
    assert panel.legend.width() >= panel.legend.sizeHint().width()
    for widget in (panel.input_combo, panel.output_combo, panel.details, panel.legend):
        assert panel.rect().contains(widget.geometry().translated(
            widget.parentWidget().mapTo(panel, QPoint(0, 0))))


def test_every_row_can_be_told_apart_at_laptop_size(make_window: Any, qtbot: Any) -> None:
    window = make_window()
    window.resize(1366, 768)
    open_example_from_menu(window, "network_2_2_2")
    settle(qtbot, window)
    window.select_nodes([window.document.graph.find("X1").id])
    paths_action(window).trigger()
    panel = window.autodiff.paths
    wait_paths(qtbot, panel)
    qtbot.wait(100)  # the rows are fitted once the dock has its size
    table = panel.table
    n = len(panel.result.paths)
    assert n == 4 and panel.input_combo.currentText() == "X1"
    # Numbered: 1..n, then the sum.
    assert table.verticalHeader().isVisible()
    assert [table.verticalHeaderItem(r).text() for r in range(table.rowCount())] == \
        [str(k + 1) for k in range(n)] + ["Σ"]
    # Each path written out whole: its row is as tall as the path wrapped at the column.
    fm = table.fontMetrics()
    width = table.columnWidth(PATH) - 2 * text_margin(table)
    for r in range(n):
        text = table.item(r, PATH).text()
        assert text == " → ".join(panel.result.paths[r].nodes)
        lines = fm.boundingRect(QRect(0, 0, width, 10_000), Qt.TextWordWrap, text).height()
        assert table.rowHeight(r) >= lines, (r, table.rowHeight(r), lines)
        assert table.rowHeight(r) <= table.viewport().height()  # a row fits in view
    # As drawn: every row's Path cell, scrolled into view, looks different from the others.
    shots = []
    for r in range(n):
        item = table.item(r, PATH)
        table.scrollToItem(item, QAbstractItemView.PositionAtTop)
        qtbot.wait(10)
        rect = table.visualItemRect(item)
        assert table.viewport().rect().contains(rect), r
        shots.append(table.viewport().grab(rect).toImage())
    assert all(a != b for i, a in enumerate(shots) for b in shots[i + 1:])


def test_a_path_through_a_closed_function_lights_the_function(window: Any, qtbot: Any) -> None:
    from graphgui.core.examples import load_example

    graph = load_example("network_2_2_2")  # layer1, layer2 and loss closed
    panel = open_paths(window, qtbot, graph, select="X1")
    click_row(panel, 0)
    qtbot.waitUntil(lambda: bool(window.scene.state.highlight.nodes), timeout=2000)
    items = window.scene.functions.items.values()
    lit = [i.title for i in items
           if not window.scene.state.highlight.nodes.isdisjoint(i.member_ids)]
    assert sorted(lit) == ["layer1", "layer2", "loss"]  # every path from X1 crosses all three
