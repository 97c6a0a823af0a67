"""Function nodes in the editor, through the real actions, dialog, mouse and palette."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gui_helpers import settle
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QInputDialog

from graphgui.core import fileformat
from graphgui.core.expr import parse
from graphgui.gui.document import Document

NEURON = "x = 2\nw = param(3)\nb = param(1)\nz = w * x + b\nh = sigmoid(z)\nf = h * h\n"


@pytest.fixture
def window(make_window: Any) -> Any:
    return make_window()


def open_graph(window: Any, qtbot: Any, source: str) -> Any:
    window.set_document(Document(parse(source, output="f")))
    settle(qtbot, window)
    return window.document.graph


def inner_ids(graph: Any) -> list[str]:
    return [graph.find("z").id, graph.find("h").id] + [
        n.id for n in graph if n.op == "mul" and not n.name
    ]


def group_through_dialog(window: Any, qtbot: Any, name: str) -> None:
    window.action("group_function").trigger()
    dialog = window.findChild(QInputDialog, "functionNameDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.textValue() == "function1"
    dialog.setTextValue(name)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Ok).click()
    settle(qtbot, window)


def click_scene_point(window: Any, qtbot: Any, point: QPointF, double: bool = False) -> None:
    window.view.centerOn(point)
    at = window.view.mapFromScene(point)
    if double:
        QTest.mouseDClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier, at)
    else:
        QTest.mouseClick(window.view.viewport(), Qt.LeftButton, Qt.NoModifier, at)
    settle(qtbot, window)


def test_group_into_function_draws_one_node_and_undo_restores_exactly(window, qtbot):
    graph = open_graph(window, qtbot, NEURON)
    before_text = fileformat.dumps(graph)
    before = dict(window.view_state.evaluation.grads)
    window.scene.select_nodes(inner_ids(graph))
    group_through_dialog(window, qtbot, "neuron")
    group = graph.groups[0]
    assert group.function == "neuron" and group.collapsed
    scene = window.scene
    item = scene.functions.items[group.id]
    assert item.isVisible() and item.group.input_names == ("w", "x", "b")
    assert all(not scene.node_items[nid].isVisible() for nid in inner_ids(graph))
    # The wire from x now ends at the function's x port, and the numbers are unchanged.
    wire = scene.wire_items[(inner_ids(graph)[2], 1)]
    assert wire.path.pointAtPercent(1.0) == item.input_scene_pos(1)
    assert window.view_state.evaluation.grads == before
    # The palette offers another one.
    assert "function:neuron" in window.palette.visible_ops()
    window.action("undo").trigger()
    settle(qtbot, window)
    assert fileformat.dumps(graph) == before_text
    assert scene.functions.items == {} and all(i.isVisible() for i in scene.node_items.values())
    assert "function:neuron" not in window.palette.visible_ops()


def test_double_click_opens_the_frame_and_its_button_closes_it(window, qtbot):
    graph = open_graph(window, qtbot, NEURON)
    window.document.group_into_function(inner_ids(graph), "neuron")
    settle(qtbot, window)
    gid = graph.groups[0].id
    item = window.scene.functions.items[gid]
    click_scene_point(window, qtbot, item.sceneBoundingRect().center(), double=True)
    assert not graph.group(gid).collapsed
    frame = window.scene.functions.frames[gid]
    assert all(window.scene.node_items[n].isVisible() for n in inner_ids(graph))
    click_scene_point(window, qtbot, frame.mapToScene(frame.toggle_rect.center()))
    assert graph.group(gid).collapsed
    assert window.document.undo_stack.undoText() == "Close neuron"


def test_the_ungroup_and_toggle_actions_act_on_the_selected_function(window, qtbot):
    graph = open_graph(window, qtbot, NEURON)
    window.document.group_into_function(inner_ids(graph), "neuron")
    settle(qtbot, window)
    gid = graph.groups[0].id
    click_scene_point(window, qtbot, window.scene.functions.items[gid].sceneBoundingRect().center())
    assert set(window.selected_node_ids()) == set(inner_ids(graph))
    window.action("toggle_function").trigger()
    settle(qtbot, window)
    assert not graph.group(gid).collapsed
    window.action("ungroup_function").trigger()
    settle(qtbot, window)
    assert graph.groups == [] and graph.function("neuron") is not None


def test_dragging_a_function_moves_its_nodes_in_one_undo_step(window, qtbot):
    graph = open_graph(window, qtbot, NEURON)
    window.document.group_into_function(inner_ids(graph), "neuron")
    settle(qtbot, window)
    item = next(iter(window.scene.functions.items.values()))
    start = {nid: graph.node(nid).pos for nid in inner_ids(graph)}
    view = window.view
    view.centerOn(item)
    a = view.mapFromScene(item.sceneBoundingRect().center() + QPointF(-20, 8))
    b = a + type(a)(60, 30)
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, a)
    QTest.mouseMove(view.viewport(), b)
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, b)
    settle(qtbot, window)
    moved = {nid: graph.node(nid).pos for nid in inner_ids(graph)}
    dx = {round(moved[n][0] - start[n][0], 6) for n in start}
    assert len(dx) == 1 and dx.pop() != 0  # every node moved by the same step
    window.action("undo").trigger()
    assert {nid: graph.node(nid).pos for nid in inner_ids(graph)} == start


def test_a_palette_click_adds_an_instance_whose_input_port_takes_a_wire(window, qtbot):
    graph = open_graph(window, qtbot, NEURON)
    window.document.group_into_function(inner_ids(graph), "neuron")
    settle(qtbot, window)
    window.palette.op_activated.emit("function:neuron")  # what a click on the row sends
    settle(qtbot, window)
    assert len(graph.groups) == 2
    new = graph.groups[1]
    assert new.name == "neuron_2" and new.collapsed
    # Drag a wire from x's output onto the new function's x port.
    scene, view = window.scene, window.view
    item = scene.functions.items[new.id]
    x = scene.node_items[graph.find("x").id]
    start = view.mapFromScene(x.output_scene_pos())
    end = view.mapFromScene(item.input_scene_pos(1))
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(view.viewport(), end)
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, end)
    settle(qtbot, window)
    (target, port), = new.inputs[1].targets
    assert graph.input_ids(target)[port] == graph.find("x").id


def test_open_up_sigmoid_keeps_the_gradient_and_shows_four_simple_steps(window, qtbot):
    graph = open_graph(window, qtbot, "x = 0.5\ny = sigmoid(x)\nf = y * 3\n")
    before = window.view_state.evaluation.grads[graph.find("x").id]
    window.scene.select_nodes([graph.find("y").id])
    settle(qtbot, window)
    assert window.action("open_up").isEnabled()
    window.action("open_up").trigger()
    settle(qtbot, window)
    group = graph.groups[0]
    assert group.function == "sigmoid" and not group.collapsed
    ops = sorted(graph.node(n).op for n in graph.group_members(group.id))
    assert ops == ["add", "constant", "constant", "div", "exp", "neg"]
    x = graph.find("x").id
    assert window.view_state.evaluation.grads[x] == pytest.approx(before, rel=1e-12)
    assert graph.find("y").group == group.id  # the output kept the name
    window.action("undo").trigger()
    settle(qtbot, window)
    assert graph.groups == [] and graph.find("y").op == "sigmoid"


def test_grouping_a_selection_a_path_leaves_says_why_in_the_status_bar(window, qtbot):
    graph = open_graph(window, qtbot, "x = 1\na = exp(x)\nb = sin(a)\nf = a + b\n")
    window.scene.select_nodes([graph.find("a").id, graph.find("f").id])
    group_through_dialog(window, qtbot, "g")
    assert graph.groups == []
    assert "leaves the selection" in window.statusBar().currentMessage()


def test_save_and_open_keeps_the_function_collapsed(window, qtbot, tmp_path):
    graph = open_graph(window, qtbot, NEURON)
    window.document.group_into_function(inner_ids(graph), "neuron")
    path = tmp_path / "n.json"
    fileformat.save(graph, path)
    window.set_document(Document(fileformat.load(path)))
    settle(qtbot, window)
    assert len(window.scene.functions.items) == 1


# ---- the bundled network, closed ------------------------------------------------------------


def open_network(window: Any, qtbot: Any) -> Any:
    window.document.set_clean()
    window.file_controller.example_actions["network_2_2_2"].trigger()
    settle(qtbot, window)
    return window.document.graph


def test_the_2_2_2_network_reads_as_two_layers_and_a_loss(window, qtbot):
    graph = open_network(window, qtbot)
    items = window.scene.functions.items
    assert sorted(i.title for i in items.values()) == ["layer1", "layer2", "loss"]
    drawn = [it for it in window.scene.node_items.values() if it.isVisible()]
    assert sorted(it.title for it in drawn) == ["X1", "X2"]
    # Left to right: X1, layer1, layer2, loss.
    xs = {i.title: i.pos().x() for i in items.values()}
    assert window.scene.node_items[graph.find("X1").id].pos().x() < xs["layer1"] \
        < xs["layer2"] < xs["loss"]
    # X1 feeds two products inside layer1: one wire is drawn, carrying their sum, dE/dX1.
    x1 = graph.find("X1").id
    shown = [w for w in window.scene.wire_items.values() if w.src.node_id == x1 and w.isVisible()]
    assert len(shown) == 1
    from graphgui.core.values import format_value
    assert shown[0].grad_text == format_value(window.view_state.evaluation.grads[x1])


def test_opening_a_layer_moves_its_neighbours_aside(window, qtbot):
    graph = open_network(window, qtbot)
    layer2 = next(g for g in graph.groups if g.name == "layer2")
    item = window.scene.functions.items[layer2.id]
    click_scene_point(window, qtbot, item.sceneBoundingRect().center(), double=True)
    frame = window.scene.functions.frames[layer2.id].sceneBoundingRect()
    others = [it for gid, it in window.scene.functions.items.items()]
    assert others and not any(frame.intersects(it.sceneBoundingRect()) for it in others)
    assert window.document.undo_stack.undoText() == "Open layer2"
    window.action("undo").trigger()
    settle(qtbot, window)
    assert graph.group(layer2.id).collapsed


def test_step_over_and_step_into_through_the_step_actions(window, qtbot):
    graph = open_network(window, qtbot)
    panel = window.stepper_panel
    window.action("step_forward").trigger()
    settle(qtbot, window)
    assert panel.position_label.text() == "Forward step 1 of 3"
    layer1 = next(g for g in graph.groups if g.name == "layer1")
    assert window.scene.functions.items[layer1.id].step_state == "current"
    into = window.action("step_into")
    assert into.isEnabled()  # the next step is layer2, a closed function
    into.trigger()
    settle(qtbot, window)
    layer2 = next(g for g in graph.groups if g.name == "layer2")
    assert layer2.id in window.scene.functions.frames  # drawn open while inside
    assert graph.group(layer2.id).collapsed  # ... without an edit of the graph
    while panel.stepper.inside() is not None:
        window.action("step_forward").trigger()
    settle(qtbot, window)
    assert layer2.id in window.scene.functions.items  # back out: closed again
    assert window.document.undo_stack.count() == 0


def test_a_clicked_function_shows_its_outputs_and_parameters_in_the_inspector(window, qtbot):
    graph = open_network(window, qtbot)
    item = next(i for i in window.scene.functions.items.values() if i.title == "layer1")
    click_scene_point(window, qtbot, item.sceneBoundingRect().center())
    text = window.inspector.heading.text()
    ev = window.view_state.evaluation
    from graphgui.core.values import format_value
    w1 = graph.find("w1").id
    assert "layer1(X1, X2)" in text and "Parameters inside" in text
    assert "w1 = 0.75" in text and format_value(ev.grads[w1]) in text


def test_a_def_typed_in_the_expression_bar_becomes_a_closed_function(window, qtbot):
    window.set_document(Document())
    settle(qtbot, window)
    bar = window.expression_bar.edit
    bar.setFocus()
    QTest.keyClicks(bar, "def neuron(x, w, b): return sigmoid(w * x + b); h = neuron(2, 3, 1)")
    QTest.keyClick(bar, Qt.Key_Return)
    settle(qtbot, window)
    graph = window.document.graph
    assert [g.name for g in graph.groups] == ["h"] and graph.groups[0].collapsed
    assert len(window.scene.functions.items) == 1
    assert "function:neuron" in window.palette.visible_ops()
    h = graph.find("h").id
    assert window.view_state.evaluation.values[h] == pytest.approx(1 / (1 + np.exp(-7.0)))
    window.action("undo").trigger()
    settle(qtbot, window)
    assert len(graph) == 0 and graph.groups == [] and graph.function("neuron") is None


# ---- found by a review: the stepper and the canvas agree -----------------------------------


def test_opening_a_function_starts_the_stepper_over_with_the_new_steps(window, qtbot):
    graph = open_network(window, qtbot)
    panel = window.stepper_panel
    window.action("step_forward").trigger()
    assert panel.position_label.text() == "Forward step 1 of 3"
    layer1 = next(g for g in graph.groups if g.name == "layer1")
    item = window.scene.functions.items[layer1.id]
    click_scene_point(window, qtbot, item.sceneBoundingRect().center(), double=True)
    assert panel.stepper is None or panel.stepper.position.forward == 0
    window.action("step_forward").trigger()
    settle(qtbot, window)
    assert panel.position_label.text().startswith("Forward step 1 of 12")  # layer1's nodes


def test_a_closed_function_shows_no_number_its_steps_have_not_reached(window, qtbot):
    graph = open_network(window, qtbot)
    loss = next(i for i in window.scene.functions.items.values() if i.title == "loss")
    assert loss.values == {"E_total": "0.1636"}  # the evaluation: shown
    assert window.action("step_into").isEnabled()  # before the first step too
    window.action("step_forward").trigger()  # layer1 only
    settle(qtbot, window)
    assert loss.values == {}
    window.action("step_run_end").trigger()
    settle(qtbot, window)
    assert loss.values == {"E_total": "0.1636"}
    assert graph.output is not None


def test_stepping_into_draws_the_function_over_its_neighbours_without_moving_them(window, qtbot):
    graph = open_network(window, qtbot)
    before = {n.id: n.pos for n in graph}
    window.action("step_into").trigger()
    settle(qtbot, window)
    layer1 = next(g for g in graph.groups if g.name == "layer1")
    frame = window.scene.functions.frames[layer1.id]
    member = window.scene.node_items[graph.group_members(layer1.id)[0]]
    x1 = window.scene.node_items[graph.find("X1").id]
    assert frame.filled and frame.zValue() > x1.zValue() and member.zValue() > frame.zValue()
    assert {n.id: n.pos for n in graph} == before
    assert "inside layer1: 1 of 10" in window.stepper_panel.position_label.text()


def test_refusals_and_wiring_name_what_the_canvas_shows(window, qtbot):
    graph = open_graph(window, qtbot, "a = 2; b = 3; c = -1; u = a * b; v = u + c; "
                       "f = sigmoid(v) * a")
    window.document.group_into_function([graph.find("u").id, graph.find("v").id], "affine")
    settle(qtbot, window)
    window.scene.select_nodes([graph.find("u").id, graph.find("f").id])
    assert window.action("group_function").isEnabled()
    group_through_dialog(window, qtbot, "g")
    assert "already inside affine" in window.statusBar().currentMessage()
    # Wire a new instance's input c: the status bar names the function's port.
    window.palette.op_activated.emit("function:affine")
    settle(qtbot, window)
    new = graph.groups[-1]
    item = window.scene.functions.items[new.id]
    scene, view = window.scene, window.view
    start = view.mapFromScene(scene.node_items[graph.find("c").id].output_scene_pos())
    end = view.mapFromScene(item.input_scene_pos(2))
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    QTest.mouseMove(view.viewport(), end)
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, end)
    settle(qtbot, window)
    assert window.statusBar().currentMessage() == f"Connected c to {new.name}.c"


def test_a_pasted_program_of_several_lines_is_made_one_line_the_bar_can_hold(window, qtbot):
    from PySide6.QtGui import QGuiApplication, QKeySequence

    window.set_document(Document())
    settle(qtbot, window)
    program = ("def neuron(x, w, b):\n    # one neuron\n    z = w * x + b\n"
               "    return sigmoid(z)\n\nh = neuron(2, 3, 1)\nf = h * h\n")
    QGuiApplication.clipboard().setText(program)
    bar = window.expression_bar.edit
    bar.setFocus()
    QTest.keySequence(bar, QKeySequence.Paste)
    assert bar.text() == ("def neuron(x, w, b): z = w * x + b; return sigmoid(z); "
                          "h = neuron(2, 3, 1); f = h * h")
    QTest.keyClick(bar, Qt.Key_Return)
    settle(qtbot, window)
    graph = window.document.graph
    assert [g.name for g in graph.groups] == ["h"]
    s = 1 / (1 + np.exp(-7.0))
    assert window.view_state.evaluation.values[graph.find("f").id] == pytest.approx(s * s)
    QGuiApplication.clipboard().clear()
