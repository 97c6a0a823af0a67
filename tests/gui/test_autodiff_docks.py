"""The Forward Mode and Paths docks together: switching between their tabs (each dock's
picture leaves the canvas with it), the inputs both offer, what an empty graph says, and the
legend of the wire label colours in their headers.

Tabs are switched with a real click on the tab bar under the canvas; steps are taken with
the dock's buttons and keys, as a user does.
"""

from __future__ import annotations

from typing import Any

from gui_helpers import open_example_from_menu, opened, settle
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabBar

from graphgui.gui.canvas.state import NO_HIGHLIGHT
from graphgui.gui.theme import current_theme


def tab_bar(window: Any) -> QTabBar:
    """The visible tab bar under the canvas whose tabs include Paths."""
    for bar in window.findChildren(QTabBar):
        if bar.isVisible() and "Paths" in [bar.tabText(k) for k in range(bar.count())]:
            return bar
    raise AssertionError("no visible tab bar with a Paths tab")


def click_tab(window: Any, qtbot: Any, title: str) -> None:
    bar = tab_bar(window)
    k = next(k for k in range(bar.count()) if bar.tabText(k) == title)
    QTest.mouseClick(bar, Qt.LeftButton, Qt.NoModifier, bar.tabRect(k).center())
    qtbot.waitUntil(lambda: bar.currentIndex() == k, timeout=2000)


def click(panel: Any, name: str) -> None:
    button = panel.buttons[name]
    assert button.isEnabled(), f"{name} is disabled"
    QTest.mouseClick(button, Qt.LeftButton)


def wait_paths(qtbot: Any, panel: Any) -> None:
    qtbot.waitUntil(lambda: not panel.pending and bool(panel.result or panel.message),
                    timeout=10_000)


def click_row(panel: Any, row: int) -> None:
    table = panel.table
    rect = table.visualItemRect(table.item(row, 0))
    QTest.mouseClick(table.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())


def framed(window: Any) -> list[str]:
    return [it.title for it in window.scene.node_items.values() if it.step_state]


def combo_texts(combo: Any) -> list[str]:
    return [combo.itemText(k) for k in range(combo.count())]


# ---- switching tabs ------------------------------------------------------------------------


def test_switching_tabs_takes_each_docks_picture_off_the_canvas(window: Any, qtbot: Any
                                                                ) -> None:
    open_example_from_menu(window, "network_2_2_2")
    opened(window.document.graph)  # w1 is inside layer1: open the layers
    settle(qtbot, window)
    forward, paths = window.autodiff.forward, window.autodiff.paths
    graph = window.document.graph
    w1 = graph.find("w1").id
    click_tab(window, qtbot, "Forward Mode")
    click(forward, "step")
    click(forward, "step")
    vs = window.view_state
    assert vs.step is not None and vs.step.owner == "forward_mode" and framed(window)
    assert vs.grad(w1) is None  # forward mode's picture has no gradients

    click_tab(window, qtbot, "Paths")  # forward mode's picture goes; the paths come
    qtbot.waitUntil(paths.shown, timeout=2000)
    assert vs.step is None and framed(window) == [] and forward.position == 0
    assert forward.position_label.text().startswith("Ready")
    assert vs.grad(w1) is not None  # the inspector and canvas show gradients again
    window.select_nodes([w1])
    settle(qtbot, window)
    qtbot.waitUntil(window.inspector.grad_title.isVisible, timeout=2000)
    wait_paths(qtbot, paths)
    click_row(paths, 0)
    assert window.scene.state.highlight.nodes

    click_tab(window, qtbot, "Forward Mode")  # and the other way round
    qtbot.waitUntil(lambda: window.scene.state.highlight == NO_HIGHLIGHT, timeout=2000)
    assert not paths.shown()
    click(forward, "step")  # from the start again
    assert forward.position == 1 and vs.step.owner == "forward_mode"

    click_tab(window, qtbot, "Stepper")  # any other tab: the same
    qtbot.waitUntil(lambda: window.view_state.step is None, timeout=2000)
    assert forward.position == 0 and window.scene.state.highlight == NO_HIGHLIGHT
    # A step by its keys from another tab brings the dock forward with its picture.
    window.activateWindow()
    seq = QKeySequence(forward.actions_by_name["step"].shortcut())[0]
    QTest.keyClick(window, seq.key(), seq.keyboardModifiers())
    bar = tab_bar(window)
    qtbot.waitUntil(lambda: bar.tabText(bar.currentIndex()) == "Forward Mode", timeout=2000)
    assert forward.position == 1 and window.view_state.step.owner == "forward_mode"


# ---- the same inputs -----------------------------------------------------------------------


def test_paths_start_at_the_inputs_and_parameters_follow_lists(window: Any, qtbot: Any
                                                                ) -> None:
    open_example_from_menu(window, "matrix_network")  # y is a constant (the target)
    settle(qtbot, window)
    graph = window.document.graph
    assert graph.find("y").op == "constant"
    window.select_nodes([graph.find("y").id])  # a constant selected: not a start
    window.findChild(QAction, "action_paths_to_output").trigger()
    paths = window.autodiff.paths
    wait_paths(qtbot, paths)
    follow = combo_texts(window.autodiff.forward.picker.source_combo)
    assert follow == ["x", "W1", "b1", "W2", "b2"]
    assert combo_texts(paths.input_combo) == follow
    assert paths.input_combo.currentText() == "x"
    assert paths.result is not None and paths.result.wrt.startswith("x")


# ---- an empty graph ------------------------------------------------------------------------


def test_an_empty_graph_is_a_grey_hint_not_an_error(make_window: Any, qtbot: Any) -> None:
    window = make_window()  # first launch: an empty graph
    assert len(window.document.graph) == 0
    muted, error = (current_theme().colors.muted, current_theme().colors.error)
    forward, paths = window.autodiff.forward, window.autodiff.paths
    click_tab(window, qtbot, "Forward Mode")
    label = forward.message_label
    assert forward.message_kind == "hint" and label.isVisible()
    assert label.text().startswith("Build or open a graph to ")
    assert "The graph is empty" not in label.text()
    assert muted in label.styleSheet() and error not in label.styleSheet()
    assert not forward.message_icon.isVisible()  # no warning sign
    assert not forward.buttons["step"].isEnabled()
    click_tab(window, qtbot, "Paths")
    qtbot.waitUntil(lambda: paths.shown() and bool(paths.message), timeout=2000)
    assert paths.message.startswith("Build or open a graph to ")
    assert muted in paths.header.text() and "⚠" not in paths.header.text()
    # Once there is a graph, the hint goes.
    open_example_from_menu(window, "chain_rule")
    settle(qtbot, window)
    click_tab(window, qtbot, "Forward Mode")
    qtbot.waitUntil(lambda: forward.message_kind == "", timeout=2000)
    assert not label.isVisible()


# ---- the legend ------------------------------------------------------------------------------


def colored(html: str, color: str, word: str) -> bool:
    return f"color:{color}'>■&nbsp;{word}</span>" in html


def test_the_legends_name_the_colours_on_the_canvas(window: Any, qtbot: Any) -> None:
    window.resize(1366, 768)
    open_example_from_menu(window, "chain_rule")
    settle(qtbot, window)
    forward, paths = window.autodiff.forward, window.autodiff.paths
    c = window.scene.state.theme.colors
    click_tab(window, qtbot, "Forward Mode")
    legend = forward.legend
    assert legend.keys == ["value", "grad"]
    assert colored(legend.text(), c.value, "value") and colored(legend.text(), c.grad,
                                                                 "gradient")
    QTest.mouseClick(forward.show_button, Qt.LeftButton)  # Show Tangents
    assert legend.keys == ["value", "grad", "tangent"]
    assert colored(legend.text(), c.tangent, "tangent")
    # On one line of the dock's header, beside Show Tangents, nothing cut.
    assert legend.isVisible() and legend.width() >= legend.sizeHint().width()
    assert legend.height() <= 2 * legend.fontMetrics().height()
    here = QRect(legend.mapTo(forward, QPoint(0, 0)), legend.size())
    button = QRect(forward.show_button.mapTo(forward, QPoint(0, 0)), forward.show_button.size())
    assert forward.rect().contains(here) and not here.intersects(button)
    assert abs(here.center().y() - button.center().y()) <= 3
    click(forward, "step")  # forward mode's picture: values and tangents, no gradients
    assert legend.keys == ["value", "tangent"]

    window.select_nodes([window.document.graph.find("x").id])
    click_tab(window, qtbot, "Paths")
    qtbot.waitUntil(paths.shown, timeout=2000)
    wait_paths(qtbot, paths)
    assert paths.legend.isVisible() and "path" not in paths.legend.keys
    click_row(paths, 0)  # a path drawn on the canvas: its colour in the legend
    assert paths.legend.keys == ["value", "grad", "tangent", "path"]
    assert colored(paths.legend.text(), c.path, "path")
    assert paths.legend.width() >= paths.legend.sizeHint().width()
    combo = paths.output_combo
    assert not QRect(paths.legend.mapTo(paths, QPoint(0, 0)), paths.legend.size()).intersects(
        QRect(combo.mapTo(paths, QPoint(0, 0)), combo.size()))
    assert QColor(c.path) != QColor(c.tangent)
