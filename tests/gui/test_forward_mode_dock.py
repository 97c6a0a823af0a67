"""The Forward Mode dock: tangents on the wires, stepping through forward mode, the seed
picker (inputs, tensor elements, typed directions), the cost box, and what clears the state.

Expected numbers are worked out by hand here (f = (x + y) * z at x = -2, y = 5, z = -4:
df/dx = df/dy = z = -4, df/dz = x + y = 3) or by central differences on the graph (the
engine's forward pass only), never read from the tangent code under test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from gui_helpers import open_example_from_menu, opened, settle
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QKeySequence
from PySide6.QtTest import QTest

from graphgui.core.engine import Program
from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.labels import node_labels
from graphgui.gui.canvas.summary import SUMMARY_ZOOM, summaries_complete, summary_boxes
from graphgui.gui.document import Document
from graphgui.gui.help import shortcut_rows

CHAIN = "x = -2; y = 5; z = -4; q = x + y; f = q * z"


def ids(graph: Any) -> dict[str, str]:
    return {n.name: n.id for n in graph if n.name}


def open_graph(window: Any, qtbot: Any, graph: Graph) -> Any:
    window.set_document(Document(graph))
    settle(qtbot, window)
    return show_dock(window, qtbot)


def show_dock(window: Any, qtbot: Any) -> Any:
    panel = window.autodiff.forward
    panel.dock.show()
    panel.dock.raise_()
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    qtbot.waitUntil(panel.dock.isVisible, timeout=2000)
    return panel


def key(window: Any, sequence: str) -> None:
    combo = QKeySequence(sequence)[0]
    QTest.keyClick(window, combo.key(), combo.keyboardModifiers())


def click(panel: Any, name: str) -> None:
    button = panel.buttons[name]
    assert button.isEnabled(), f"{name} is disabled"
    QTest.mouseClick(button, Qt.LeftButton)


def pick(combo: Any, text: str) -> None:
    """Choose ``text`` in a combo with the keyboard, as a user does (Up/Down on it)."""
    combo.setFocus()
    target = combo.findText(text)
    assert target >= 0, (text, [combo.itemText(k) for k in range(combo.count())])
    while combo.currentIndex() != target:
        QTest.keyClick(combo, Qt.Key_Down if combo.currentIndex() < target else Qt.Key_Up)


def tangents_on_wires(window: Any) -> dict[tuple[str, str], str]:
    """(source, target) label -> the tangent written on that wire ("" for none)."""
    return {(w.src.title, w.dst.title): w.tangent_text for w in window.scene.wire_items.values()}


def current_items(window: Any) -> list[str]:
    return [it.title for it in window.scene.node_items.values() if it.step_state == "current"]


def central_difference(graph: Graph, node_id: str, direction: Any, h: float = 1e-6
                       ) -> dict[str, Any]:
    """d(node)/d(source) along ``direction`` for every node, from two forward passes."""
    program = Program(graph)
    base = graph.node(node_id).value
    up = program.evaluate({node_id: base + h * np.asarray(direction, dtype=float)}).values
    down = program.evaluate({node_id: base - h * np.asarray(direction, dtype=float)}).values
    return {nid: (np.asarray(up[nid]) - np.asarray(down[nid])) / (2 * h) for nid in up}


def number(text: str) -> float:
    return float(text.replace("(", "").replace(")", ""))


# ---- tangents on the canvas --------------------------------------------------------------


def test_show_tangents_writes_every_wires_tangent(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    assert panel.action_show.shortcut() == QKeySequence("Ctrl+3")
    assert all(t == "" for t in tangents_on_wires(window).values())  # off at first
    key(window, "Ctrl+3")  # Autodiff > Show Tangents, the first input followed: x
    assert panel.action_show.isChecked() and panel.show_button.isChecked()
    assert panel.picker.source_combo.currentText() == "x"
    # d/dx by hand: dx/dx = 1, dy/dx = dz/dx = 0, dq/dx = 1 (q = x + y).
    assert tangents_on_wires(window) == {("x", "q"): "1", ("y", "q"): "0", ("q", "f"): "1",
                                         ("z", "f"): "0"}
    items = window.scene.node_items
    f = ids(window.document.graph)["f"]
    assert items[f].badge_text == "df/dx = -4"  # f has no wire out: under it; = z
    assert items[f].badge_kind == "tangent"
    # Values and gradients stay, the tangent is a third label in its own colour.
    wire = window.scene.wire_items[(f, 1)]
    assert (wire.value_text, wire.grad_text, wire.tangent_text) == ("-4", "3", "0")
    assert wire.label.tangent_lines == ["0"] and wire.label.value_lines == ["-4"]
    theme = window.scene.state.theme
    assert theme.pens["tangent"].color() not in (theme.pens["value"].color(),
                                                 theme.pens["grad"].color())

    pick(panel.picker.source_combo, "z")  # df/dz = q = 3, dq/dz = 0
    assert tangents_on_wires(window) == {("x", "q"): "0", ("y", "q"): "0", ("q", "f"): "0",
                                         ("z", "f"): "1"}
    assert items[f].badge_text == "df/dz = 3"

    panel.action_show.trigger()  # off: no tangent anywhere
    assert all(t == "" for t in tangents_on_wires(window).values())
    assert items[f].badge_text == ""


def test_the_autodiff_menu_entries_and_their_keys(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    rows = dict(shortcut_rows(window))
    native = QKeySequence.NativeText
    assert rows["Show Tangents"] == QKeySequence("Ctrl+3").toString(native)
    assert rows["Forward Mode Step"] == QKeySequence("Ctrl+Shift+F10").toString(native)
    assert rows["Forward Mode Step Back"] == QKeySequence("Ctrl+Shift+F9").toString(native)
    entries = [a for a in window.autodiff.menu.actions() if not a.isSeparator()]
    assert {panel.action_show, *panel.actions_by_name.values()} <= set(entries)
    for action in entries:  # as the menu triggers them: no slot may get Qt's checked flag
        if action.isEnabled() and not action.isCheckable() and action.objectName().startswith(
                "action_forward_"):
            action.trigger()
    assert panel.position == 0  # Reset was the last of them, after Step and Run to End


def test_tangents_match_central_differences_on_the_network(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "network_2_2_2")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    graph = window.document.graph
    pick(panel.picker.source_combo, "w5")
    panel.action_show.trigger()
    w5 = graph.find("w5").id
    expected = central_difference(graph, w5, 1.0)
    for wire in window.scene.wire_items.values():
        src = wire.src.node_id
        want = float(expected[src])
        assert math.isclose(number(wire.tangent_text), want, rel_tol=1e-3, abs_tol=1e-7), \
            (wire.src.title, wire.tangent_text, want)
        assert math.isclose(window.view_state.tangent(src), want, rel_tol=1e-6, abs_tol=1e-9)
    out = graph.output
    assert window.scene.node_items[out].badge_text.startswith("dE_total/dw5 = ")


def test_a_tensor_element_and_a_typed_direction(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "matrix_network")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    graph = window.document.graph
    picker = panel.picker
    pick(picker.source_combo, "W1")
    assert picker.element_combo.isVisible() and not picker.direction_edit.isVisible()
    pick(picker.element_combo, "W1[0,1]")
    panel.action_show.trigger()
    w1, out = graph.find("W1").id, graph.output
    onehot = np.zeros((2, 2))
    onehot[0, 1] = 1.0
    want = float(central_difference(graph, w1, onehot)[out])
    badge = window.scene.node_items[out].badge_text
    assert badge.startswith("dJ/dW1[0,1] = ")
    assert math.isclose(number(badge.split(" = ")[1]), want, rel_tol=1e-3)

    # A direction of the wrong shape: one clear line in the dock, no tangent left on screen.
    pick(picker.element_combo, "a direction…")
    assert picker.direction_edit.isVisible()
    QTest.keyClicks(picker.direction_edit, "[1, 2]")
    QTest.keyClick(picker.direction_edit, Qt.Key_Return)
    assert panel.message_kind == "error"
    message = panel.message_label.text()
    assert "shape" in message and "\n" not in message and "Traceback" not in message
    assert all(t == "" for t in tangents_on_wires(window).values())
    assert window.scene.node_items[out].badge_text == ""
    # Stepping cannot follow it either: the step buttons wait for a seed that fits.
    for name in ("step", "run_end"):
        assert not panel.buttons[name].isEnabled() and not panel.actions_by_name[name].isEnabled()
    key(window, "Ctrl+Shift+F10")
    assert panel.position == 0 and window.view_state.step is None

    picker.direction_edit.clear()
    direction = [[1.0, 0.0], [0.0, -1.0]]
    QTest.keyClicks(picker.direction_edit, "[[1, 0], [0, -1]]")
    QTest.keyClick(picker.direction_edit, Qt.Key_Return)
    assert panel.message_kind == ""
    assert panel.buttons["step"].isEnabled() and panel.buttons["run_end"].isEnabled()
    want = float(central_difference(graph, w1, direction)[out])
    badge = window.scene.node_items[out].badge_text
    assert badge.startswith("dJ/dW1·v = ")
    assert math.isclose(number(badge.split(" = ")[1]), want, rel_tol=1e-3)


# ---- stepping ----------------------------------------------------------------------------


def test_stepping_shows_the_lines_in_order_and_tangents_up_to_the_current_node(
        window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    n = ids(window.document.graph)
    wires = window.scene.wire_items
    assert panel.position_label.text().startswith("Ready")
    click(panel, "step")  # the seed: dx/dx = 1
    assert panel.position_label.text() == "Step 1 of 3 · dx/dx"
    assert "1. dx/dx = 1" in panel.step_view.toPlainText()
    assert current_items(window) == ["x"]
    assert tangents_on_wires(window) == {("x", "q"): "1", ("y", "q"): "", ("q", "f"): "",
                                         ("z", "f"): ""}
    assert window.scene.node_items[n["q"]].step_state == "pending"
    assert wires[(n["q"], 0)].grad_text == ""  # forward mode's picture: no gradients

    key(window, "Ctrl+Shift+F10")  # Forward Mode Step by its keys: q = x + y
    body = panel.step_view.toPlainText()
    line2 = "2. dq/dx = ∂q/∂x * dx/dx + ∂q/∂y * dy/dx = 1 * 1 + 1 * 0 = 1"
    assert line2 in body and body.index("1. dx/dx = 1") < body.index(line2)
    assert current_items(window) == ["q"]
    assert window.scene.node_items[n["q"]].badge_text == "dq/dx = 1"
    assert wires[(n["q"], 0)].step_state == "current"  # the wires q works on
    assert tangents_on_wires(window)[("q", "f")] == "1"
    assert window.scene.node_items[n["f"]].badge_text == ""  # not reached yet
    assert window.scene.node_items[n["f"]].step_state == "pending"

    click(panel, "step")  # f = q * z: df/dx = z * dq/dx + q * dz/dx = -4 * 1 + 3 * 0
    body = panel.step_view.toPlainText()
    assert "3. df/dx = ∂f/∂q * dq/dx + ∂f/∂z * dz/dx = (-4) * 1 + 3 * 0 = -4" in body
    assert body.index(line2) < body.index("3. df/dx")
    assert panel.position_label.text() == "Step 3 of 3 · df/dx · complete"
    assert window.scene.node_items[n["f"]].badge_text == "df/dx = -4"
    assert not panel.buttons["step"].isEnabled() and not panel.buttons["run_end"].isEnabled()

    key(window, "Ctrl+Shift+F9")  # back: f's tangent is gone again
    assert current_items(window) == ["q"]
    assert window.scene.node_items[n["f"]].badge_text == ""
    window.findChild(type(panel.action_show), "action_forward_run_end").trigger()
    assert panel.position == 3
    click(panel, "reset")  # the whole evaluation again, tangents off: none shown
    assert window.view_state.step is None and current_items(window) == []
    assert all(t == "" for t in tangents_on_wires(window).values())
    assert wires[(n["q"], 0)].grad_text == "-4"


def test_changing_the_seed_updates_everything(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    f = ids(window.document.graph)["f"]
    panel.action_show.trigger()
    click(panel, "step")
    click(panel, "step")
    pick(panel.picker.source_combo, "y")
    assert panel.position == 0 and window.view_state.step is None
    assert panel.position_label.text() == "Ready · tangents d/dy"
    assert "dq/dx" not in panel.step_view.toPlainText()
    assert tangents_on_wires(window) == {("x", "q"): "0", ("y", "q"): "1", ("q", "f"): "1",
                                         ("z", "f"): "0"}
    assert window.scene.node_items[f].badge_text == "df/dy = -4"
    click(panel, "step")
    click(panel, "step")
    assert "2. dq/dy = ∂q/∂x * dx/dy + ∂q/∂y * dy/dy = 1 * 0 + 1 * 1 = 1" in \
        panel.step_view.toPlainText()


def test_the_stepper_picture_wins_and_exercises_keep_tangents(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "exercise_div")  # gradients hidden: an exercise
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    assert window.view_state.grads_hidden
    panel.action_show.trigger()
    shown = tangents_on_wires(window)
    assert shown and all(t != "" for t in shown.values())  # tangents are not gradients
    assert all(w.grad_text == "" for w in window.scene.wire_items.values())

    key(window, "F10")  # the stepper's forward step: its picture, no tangent on it
    assert all(t == "" for t in tangents_on_wires(window).values())
    key(window, "Shift+F9")  # the stepper back at its start: the tangents again
    assert tangents_on_wires(window) == shown

    click(panel, "step")
    click(panel, "step")
    assert window.view_state.step.owner == "forward_mode"
    key(window, "F10")  # the stepper steps: its picture replaces forward mode's
    assert window.view_state.step.owner == "stepper"
    assert panel.position == 0 and "Stepper" in panel.message_label.text()
    key(window, "Shift+F9")
    assert window.view_state.step is None


# ---- what clears the state ---------------------------------------------------------------


def test_opening_another_example_keeps_show_tangents_and_nothing_stale(window: Any, qtbot: Any
                                                                       ) -> None:
    # Show Tangents is a view toggle (as Show Gradients): it stays on across documents and
    # follows the new graph's first input; nothing of the old graph's tangents or steps stays.
    panel = open_graph(window, qtbot, parse(CHAIN))
    panel.action_show.trigger()
    click(panel, "step")
    click(panel, "step")
    open_example_from_menu(window, "neuron")
    settle(qtbot, window)
    graph = window.document.graph
    seed = window.view_state.tangent_seed
    assert seed is not None and seed.label == "x0" and window.view_state.step is None
    assert panel.action_show.isChecked() and panel.show_button.isChecked()
    assert panel.position == 0 and panel.picker.source_combo.currentText() == "x0"
    # Every wire's tangent is the new graph's d/dx0, by central differences on it.
    expected = central_difference(graph, graph.find("x0").id, 1.0)
    for wire in window.scene.wire_items.values():
        want = float(expected[wire.src.node_id])
        assert math.isclose(number(wire.tangent_text), want, rel_tol=1e-3, abs_tol=1e-7), \
            (wire.src.title, wire.tangent_text, want)
    out = window.scene.node_items[graph.output]
    assert out.badge_text.startswith(f"d{out.title}/dx0 = ")
    assert math.isclose(number(out.badge_text.split(" = ")[1]),
                        float(expected[graph.output]), rel_tol=1e-3)
    assert all(it.badge_text == "" for it in window.scene.node_items.values() if it is not out)
    assert "dq/dx" not in panel.step_view.toPlainText()
    labels = [panel.picker.source_combo.itemText(k)
              for k in range(panel.picker.source_combo.count())]
    assert labels == ["x0", "x1", "w0", "w1", "w2"]
    assert panel.message_kind == ""
    panel.action_show.trigger()  # off by the user: it stays off on the next document
    open_example_from_menu(window, "chain_rule")
    settle(qtbot, window)
    assert not panel.action_show.isChecked() and window.view_state.tangent_seed is None
    assert all(t == "" for t in tangents_on_wires(window).values())


def test_follow_starts_at_the_first_input_or_the_same_name(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "chain_rule")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    combo = panel.picker.source_combo
    assert combo.currentText() == "x"
    pick(combo, "z")  # the last of x, y, z
    open_example_from_menu(window, "neuron")  # no z: its first input
    settle(qtbot, window)
    assert combo.currentText() == "x0" and panel.picker.label() == "x0"
    pick(combo, "w1")
    open_example_from_menu(window, "network_2_2_2")  # a w1 there too: still w1
    settle(qtbot, window)
    assert combo.currentText() == "w1"
    assert panel.picker.node_id() == window.document.graph.find("w1").id
    pick(combo, "b1")
    open_example_from_menu(window, "exercise_div")  # x, y, z: no b1
    settle(qtbot, window)
    assert combo.currentText() == "x"
    key(window, "Ctrl+3")  # Show Tangents follows what the picker shows
    assert window.view_state.tangent_seed.label == "x"


def test_undo_after_deleting_the_seed_leaves_no_stale_tangents(window: Any, qtbot: Any
                                                                ) -> None:
    panel = open_graph(window, qtbot, parse(CHAIN))
    x = ids(window.document.graph)["x"]
    panel.action_show.trigger()
    assert tangents_on_wires(window)[("x", "q")] == "1"
    window.scene.select_nodes([x])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key_Delete)
    settle(qtbot, window)
    assert x not in window.document.graph
    assert window.view_state.tangent_seed is None and not panel.action_show.isChecked()
    assert all(t == "" for t in tangents_on_wires(window).values())
    said = window.statusBar().currentMessage()
    assert said == "Tangents d/dx cleared: the input it followed was deleted.", said
    assert panel.message_label.text().startswith("This graph cannot be evaluated: q: ")
    window.action("undo").trigger()
    settle(qtbot, window)
    assert x in window.document.graph
    assert window.view_state.tangent_seed is None
    assert all(t == "" for t in tangents_on_wires(window).values())
    assert all(it.badge_text == "" for it in window.scene.node_items.values())
    picker = panel.picker.source_combo
    assert picker.currentText() == "y"  # where the picker went when x was deleted
    pick(picker, "x")
    panel.action_show.trigger()  # on again: follows x afresh
    assert tangents_on_wires(window)[("x", "q")] == "1"


def test_errors_are_one_line_in_the_dock(window: Any, qtbot: Any) -> None:
    panel = open_graph(window, qtbot, parse("a = [1, 2]; b = [1, 2, 3]; f = a + b"))
    assert panel.message_kind == "error"
    assert panel.message_label.text().startswith("This graph cannot be evaluated: f: ")
    assert not panel.buttons["step"].isEnabled()
    panel = open_graph(window, qtbot, parse("f = 2 * 3"))
    assert "no inputs or parameters" in panel.message_label.text()
    assert not panel.action_show.isEnabled() and not panel.buttons["step"].isEnabled()
    assert "Nothing to count" in panel.cost_label.text()
    window.document.set_clean()
    window.action("new").trigger()
    settle(qtbot, window)
    assert panel.message_kind == "hint"  # an empty graph is not an error (grey, no icon)
    assert panel.message_label.text().startswith("Build or open a graph")


# ---- the cost box ------------------------------------------------------------------------


def test_cost_box_counts_both_modes_on_the_network(window: Any, qtbot: Any) -> None:
    open_example_from_menu(window, "network_2_2_2")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    graph = window.document.graph
    # Counted here from the graph itself: every value is a scalar, so one derivative rule
    # applied once is one multiply-add, and a pass applies the rule of every wire it uses.
    reaches_out = graph.ancestors(graph.output) | {graph.output}
    sources = [n.id for n in graph if n.op in ("input", "parameter") and n.id in reaches_out]

    def downstream(start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            for e in graph.consumers(todo.pop()):
                if e.dst not in seen:
                    seen.add(e.dst)
                    todo.append(e.dst)
        return seen

    def work(depends: set[str]) -> int:
        return sum(1 for e in graph.edges if e.src in depends and e.dst in reaches_out)

    per_source = {graph.node(s).name: work(downstream(s)) for s in sources}
    forward = sum(per_source.values())
    reverse = work(set().union(*(downstream(s) for s in sources)))
    assert (len(sources), forward, reverse) == (14, 216, 44)
    text = panel.cost_label.text().replace("\u00a0", " ")  # numbers keep their units
    assert f"<b>Forward mode</b>: {len(sources)} passes (one per input element), " \
           f"{forward} multiply-adds" in text
    assert f"<b>Reverse mode</b>: 1 pass (one per output element), {reverse} multiply-adds" \
        in text
    assert f"<b>{forward / reverse:.3g}×</b> the work" in text
    table = panel.cost_table
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    assert rows == {name: ("1", str(m)) for name, m in per_source.items()}


# ---- the layout at laptop and desktop sizes ----------------------------------------------


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_the_dock_fits_without_clipping(window: Any, qtbot: Any, size: tuple[int, int]
                                        ) -> None:
    window.resize(*size)
    open_example_from_menu(window, "network_2_2_2")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    qtbot.wait(50)
    assert window.tabifiedDockWidgets(panel.dock) and \
        window.dockWidgetArea(panel.dock) == Qt.BottomDockWidgetArea
    assert window.findChild(type(panel.dock), "stepperDock") in \
        window.tabifiedDockWidgets(panel.dock)
    panel.action_show.trigger()
    for _ in range(3):
        click(panel, "step")
    for button in (*panel.buttons.values(), panel.show_button):
        assert button.width() >= button.sizeHint().width(), button.objectName()
    assert not panel.position_label.elided(), panel.position_label.text()
    assert not panel.cost_table.horizontalScrollBar().isVisible()
    label = panel.cost_label
    assert label.height() >= label.heightForWidth(label.width())
    assert panel.step_view.height() >= 3 * panel.step_view.fontMetrics().lineSpacing()


def test_the_inspector_shows_the_selected_nodes_tangent(window: Any, qtbot: Any) -> None:
    open_graph(window, qtbot, parse(CHAIN))
    inspector = window.inspector
    f = ids(window.document.graph)["f"]
    window.select_nodes([f])
    settle(qtbot, window)
    assert not inspector.tangent_title.isVisible()  # Show Tangents is off
    key(window, "Ctrl+3")
    qtbot.waitUntil(inspector.tangent_title.isVisible, timeout=2000)
    assert "df/dx" in inspector.tangent_title.text() and "= -4" in inspector.tangent_title.text()
    key(window, "Ctrl+3")
    qtbot.waitUntil(lambda: not inspector.tangent_title.isVisible(), timeout=2000)


def in_panel(widget: Any, panel: Any) -> QRect:
    return QRect(widget.mapTo(panel, QPoint(0, 0)), widget.size())


def test_the_direction_has_a_row_of_its_own_at_laptop_size(window: Any, qtbot: Any) -> None:
    window.resize(1366, 768)
    open_example_from_menu(window, "matrix_network")
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    picker = panel.picker
    pick(picker.source_combo, "W1")
    pick(picker.element_combo, "a direction…")
    edit = picker.direction_edit
    qtbot.waitUntil(edit.isVisible, timeout=2000)
    qtbot.wait(50)
    for combo in (picker.source_combo, picker.element_combo):  # "a direction…" not cut
        assert combo.width() >= combo.sizeHint().width(), combo.currentText()
    # The field has a row of its own under the combos: room for its placeholder and more.
    placeholder = edit.fontMetrics().horizontalAdvance(edit.placeholderText())
    assert edit.width() >= 2 * placeholder, (edit.width(), placeholder)
    field = in_panel(edit, panel)
    assert field.top() > in_panel(picker.element_combo, panel).bottom()
    assert panel.rect().contains(field)
    for widget in (*panel.buttons.values(), panel.show_button, panel.legend):
        assert widget.width() >= widget.sizeHint().width(), widget.objectName()
        assert not in_panel(widget, panel).intersects(field), widget.objectName()


# ---- zoomed out: the summaries ------------------------------------------------------------


def tangent_pixels(window: Any, path: str) -> int:
    """Pixels of the canvas (saved to ``path``) in the theme's tangent colour."""
    image = window.view.viewport().grab().toImage()
    assert image.save(path)
    want = QColor(window.scene.state.theme.colors.tangent)
    hits = 0
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            c = image.pixelColor(x, y)
            hits += (abs(c.red() - want.red()) + abs(c.green() - want.green())
                     + abs(c.blue() - want.blue())) < 40
    return hits


def test_tangents_are_in_the_summaries_at_the_opening_zoom(window: Any, qtbot: Any,
                                                          tmp_path: Any) -> None:
    window.resize(1366, 768)
    open_example_from_menu(window, "network_2_2_2")
    opened(window.document.graph)  # its 47 nodes, each drawn: zoomed out to see them all
    window.action("fit").trigger()
    settle(qtbot, window)
    panel = show_dock(window, qtbot)
    qtbot.wait(50)  # the framing
    view = window.view
    assert view.zoom < SUMMARY_ZOOM  # the whole network in view: summaries, no wire labels
    assert not any(b.tangent for b in summary_boxes(view))
    assert tangent_pixels(window, str(tmp_path / "off.png")) == 0
    pick(panel.picker.source_combo, "w1")
    panel.action_show.trigger()
    graph = window.document.graph
    expected = central_difference(graph, graph.find("w1").id, 1.0)
    boxes = {b.label: b for b in summary_boxes(view)}
    with_tangent = {label: b.tangent for label, b in boxes.items() if b.tangent}
    labels = node_labels(graph)
    depends = {labels[nid] for nid, t in expected.items() if abs(float(t)) > 0}
    # The output's first, as its badge says it (or short); then others that depend on w1.
    assert with_tangent["E_total"].startswith(("dE_total/dw1 = ", "d/dw1 "))
    assert len(with_tangent) >= 6 and set(with_tangent) <= depends
    ids_of = {label: nid for nid, label in labels.items()}
    for label, text in with_tangent.items():
        want = float(expected[ids_of[label]])
        assert math.isclose(number(text.split(" ")[-1]), want, rel_tol=5e-3), (label, text)
    # Still a summary: nothing covers anything, everything in view, names and values kept.
    rects = [r for b in boxes.values() for r in (b.name_rect, b.value_rect, b.tangent_rect)
             if not r.isEmpty()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert all(view.viewport().rect().contains(r) for r in rects)
    assert summaries_complete(view)
    assert all(len(b.tangent) <= 24 for b in boxes.values())  # short lines
    window.view.viewport().repaint()
    assert tangent_pixels(window, str(tmp_path / "on.png")) > 100  # drawn, in its colour
    panel.action_show.trigger()  # off: the summaries are names and values again
    assert not any(b.tangent for b in summary_boxes(view))
    window.view.viewport().repaint()
    assert tangent_pixels(window, str(tmp_path / "off_again.png")) == 0


def test_the_introduction_reads_from_its_top_and_a_step_shows_the_current_line(
    window: Any, qtbot: Any
) -> None:
    from gui_helpers import open_example_from_menu

    window.resize(1366, 768)
    open_example_from_menu(window, "network_2_2_2")
    panel = show_dock(window, qtbot)
    bar = panel.step_view.verticalScrollBar()
    settle(qtbot, window)
    assert bar.value() == bar.minimum()
    for _ in range(6):
        click(panel, "step")
    assert bar.maximum() == 0 or bar.value() == bar.maximum()
