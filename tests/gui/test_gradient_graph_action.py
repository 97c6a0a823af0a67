"""Autodiff > Gradient as Graph, through the real menu action, the canvas and the dialog."""

from __future__ import annotations

from typing import Any

import pytest
from gui_helpers import settle
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog

from graphgui.core.engine import evaluate
from graphgui.core.expr import parse
from graphgui.gui.document import Document


@pytest.fixture
def window(make_window: Any) -> Any:
    return make_window()


def open_graph(window: Any, qtbot: Any, source: str) -> None:
    window.set_document(Document(parse(source)))
    settle(qtbot, window)


def action(window: Any) -> Any:
    return window.findChild(type(window.action("new")), "action_gradient_graph")


def click_node(window: Any, qtbot: Any, name: str) -> None:
    graph = window.document.graph
    item = window.scene.node_items[graph.find(name).id]
    window.view.centerOn(item)
    point = window.view.mapFromScene(item.sceneBoundingRect().center())
    QTest.mouseClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier, point)
    qtbot.waitUntil(lambda: window.selected_node_ids() == [graph.find(name).id], timeout=2000)


def test_the_selected_node_gives_its_gradient_graph_and_again_the_second_derivative(
    window: Any, qtbot: Any
) -> None:
    open_graph(window, qtbot, "x = 3; f = x**3 - 2 * x")
    assert action(window) in window.autodiff.menu.actions()
    click_node(window, qtbot, "x")
    action(window).trigger()
    settle(qtbot, window)
    graph = window.document.graph
    assert window.document.path is None and graph.output is not None
    # df/dx = 3x^2 - 2 = 25 at x = 3, shown by the window's one evaluation.
    ev = window.view_state.evaluation
    assert ev.values[graph.output] == pytest.approx(25.0)
    x = graph.find("x").id
    assert ev.grads[x] == pytest.approx(18.0)  # d2f/dx2 = 6x
    assert "df/dx as a graph" in window.statusBar().currentMessage()
    # Once more: the graph of the second derivative, 6x = 18, whose own gradient is 6.
    click_node(window, qtbot, "x")
    action(window).trigger()
    settle(qtbot, window)
    ev = window.view_state.evaluation
    assert ev.values[window.document.graph.output] == pytest.approx(18.0)
    assert ev.grads[window.document.graph.find("x").id] == pytest.approx(6.0)


def test_without_a_selection_a_list_asks_which_node(window: Any, qtbot: Any) -> None:
    open_graph(window, qtbot, "a = 2; b = 1; c = a + b; d = b + 1; e = c * d")
    window.select_nodes([])
    action(window).trigger()
    dialog = window.findChild(QInputDialog, "gradientGraphDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.comboBoxItems()[:2] == ["a", "b"]  # sources first
    assert dialog.labelText() == "Differentiate e with respect to:"
    dialog.setTextValue("b")
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok)
    QTest.mouseClick(ok, Qt.LeftButton)
    settle(qtbot, window)
    graph = window.document.graph
    assert evaluate(graph).values[graph.output] == pytest.approx(5.0)  # de/db = d + c


def test_an_input_the_output_does_not_depend_on_gives_a_zero_gradient(
    window: Any, qtbot: Any
) -> None:
    # df/dx = 2 does not depend on x; its gradient graph is still offered, and is 0.
    open_graph(window, qtbot, "x = 3; y = 1; f = 2 * x")
    action(window).trigger()
    settle(qtbot, window)  # nothing selected: the list asks
    dialog = window.findChild(QInputDialog, "gradientGraphDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert "y" in dialog.comboBoxItems()
    dialog.setTextValue("y")
    QTest.keyClick(dialog, Qt.Key_Return)
    settle(qtbot, window)
    graph = window.document.graph
    assert evaluate(graph).values[graph.output] == 0.0


def test_cancel_leaves_the_document_and_an_empty_graph_says_why(window: Any, qtbot: Any) -> None:
    open_graph(window, qtbot, "x = 1; f = x * x")
    before = window.document
    window.select_nodes([])
    action(window).trigger()
    dialog = window.findChild(QInputDialog, "gradientGraphDialog")
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    QTest.keyClick(dialog, Qt.Key_Escape)
    settle(qtbot, window)
    assert window.document is before
    window.set_document(Document())
    settle(qtbot, window)
    action(window).trigger()
    assert "no output" in window.statusBar().currentMessage()
