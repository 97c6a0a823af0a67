"""Canvas gestures with real events on the view's viewport."""

from __future__ import annotations

from typing import Any

from gui_helpers import canonical, mouse_drag, settle
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from graphgui.core.expr import parse
from graphgui.gui.canvas.overview import overview_geometry
from graphgui.gui.document import Document


def drop_op(window: Any, op: str, view_pos: QPoint) -> None:
    """Fake a palette drag: enter, move, drop with the palette's own mime data."""
    viewport = window.view.viewport()
    mime = window.palette.mime_data(op)
    pos = QPointF(view_pos)
    actions = Qt.CopyAction | Qt.MoveAction
    enter = QDragEnterEvent(view_pos, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(view_pos, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, move)
    assert move.isAccepted()
    drop = QDropEvent(pos, actions, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, drop)


def test_palette_drop_creates_node_under_cursor(window: Any) -> None:
    view = window.view
    target = QPoint(300, 250)
    drop_op(window, "sigmoid", target)
    graph = window.document.graph
    assert len(graph) == 1
    node = graph.nodes[0]
    assert node.op == "sigmoid"
    expected = view.mapToScene(target)
    assert abs(node.pos[0] - expected.x()) < 1e-6 and abs(node.pos[1] - expected.y()) < 1e-6
    # The node under the drop point is the new one, and it is one undo step.
    assert window.scene.node_at(expected).node_id == node.id
    assert window.document.undo_stack.count() == 1
    assert window.action_undo.text() == "Undo Add sigmoid"


def test_palette_lists_every_op_with_tooltip_and_filters(window: Any) -> None:
    from graphgui.core.ops import all_ops

    palette = window.palette
    assert sorted(palette.visible_ops()) == sorted(s.name for s in all_ops())
    index = palette.model.index_of("matmul")
    assert index.data(Qt.ToolTipRole) == [s for s in all_ops() if s.name == "matmul"][0].tooltip()
    palette.search.setText("relu")
    found = set(palette.visible_ops())
    assert {"relu", "leaky_relu"} <= found and "sigmoid" not in found
    palette.search.setText("soft max")  # every word must match
    assert set(palette.visible_ops()) == {"softmax", "softmax_ce"}
    palette.search.setText("")


def wire_by_mouse(window: Any, src: str, dst: str, port: int) -> None:
    scene, view = window.scene, window.view
    start = view.mapFromScene(scene.node_items[src].output_scene_pos())
    end = view.mapFromScene(scene.node_items[dst].input_scene_pos(port))
    mouse_drag(view.viewport(), start, end)


def build(window: Any, source: str) -> dict[str, str]:
    doc = Document(parse(source))
    window.set_document(doc)
    window.view.resetTransform()
    window.view.centerOn(0, 0)
    return {n.name: n.id for n in doc.graph if n.name}


def test_wiring_output_to_input_by_mouse(window: Any, qtbot: Any) -> None:
    doc = window.document
    g = doc.graph
    a = doc.add_node("input", (-150, -60), name="a", value=2.0)
    b = doc.add_node("input", (-150, 60), name="b", value=3.0)
    m = doc.add_node("mul", (100, 0))
    window.view.resetTransform()
    window.view.centerOn(0, 0)
    wire_by_mouse(window, a, m, 0)
    assert g.input_ids(m) == [a, None]
    # Dragging backwards, from an input to an output, works too.
    scene, view = window.scene, window.view
    start = view.mapFromScene(scene.node_items[m].input_scene_pos(1))
    end = view.mapFromScene(scene.node_items[b].output_scene_pos())
    mouse_drag(view.viewport(), start, end)
    assert g.input_ids(m) == [a, b]
    assert (m, 1) in scene.wire_items
    settle(qtbot, window)
    ev = window.evaluator.evaluation
    assert ev.values[m] == 6.0
    assert ev.grads[a] == 3.0 and ev.grads[b] == 2.0  # d(ab)/da = b, d(ab)/db = a
    wire = scene.wire_items[(m, 0)]
    assert (wire.value_text, wire.grad_text) == ("2", "3")


def test_cycle_refused_with_status_message(window: Any) -> None:
    ids = build(window, "q = x + y\nf = q * z")
    g = window.document.graph
    before = canonical(g)
    count = window.document.undo_stack.count()
    # f's output into q's first input would make q depend on itself.
    wire_by_mouse(window, ids["f"], ids["q"], 0)
    assert canonical(g) == before
    assert window.document.undo_stack.count() == count
    assert "cycle" in window.statusBar().currentMessage()
    assert "Cannot connect" in window.statusBar().currentMessage()
    assert window.scene.state.drag_valid is None  # the live wire is gone
    assert not window.scene.dragging_wire


def test_drop_on_occupied_input_replaces_wire_in_one_step(window: Any) -> None:
    ids = build(window, "f = x * y\nw = 5")
    g = window.document.graph
    count = window.document.undo_stack.count()
    wire_by_mouse(window, ids["w"], ids["f"], 1)
    assert g.input_ids(ids["f"]) == [ids["x"], ids["w"]]
    assert window.document.undo_stack.count() == count + 1
    window.document.undo_stack.undo()
    assert g.input_ids(ids["f"]) == [ids["x"], ids["y"]]


def test_moving_selected_nodes_is_one_undo_step(window: Any) -> None:
    ids = build(window, "f = (x + y) * z")
    g = window.document.graph
    scene, view = window.scene, window.view
    scene.select_nodes([ids["x"], ids["y"], ids["z"]])
    before = {k: g.node(v).pos for k, v in ids.items()}
    item = scene.node_items[ids["x"]]
    grab = view.mapFromScene(item.pos() + QPointF(0, -item.rect.height() / 2 + 8))  # header
    mouse_drag(view.viewport(), grab, grab + QPoint(40, 30), modifier=Qt.NoModifier)
    stack = window.document.undo_stack
    assert stack.count() == 1
    assert stack.undoText() == "Move 3 nodes"
    assert window.action_undo.text() == "Undo Move 3 nodes"
    dx = g.node(ids["x"]).pos[0] - before["x"][0]
    dy = g.node(ids["x"]).pos[1] - before["x"][1]
    assert dx > 0 and dy > 0
    for name in ("x", "y", "z"):
        assert g.node(ids[name]).pos == (before[name][0] + dx, before[name][1] + dy)
    assert g.node(ids["f"]).pos == before["f"]
    stack.undo()
    assert {k: g.node(v).pos for k, v in ids.items()} == before
    assert scene.node_items[ids["x"]].pos() == QPointF(*before["x"])


def test_rubber_band_selects_nodes_inside(window: Any) -> None:
    ids = build(window, "f = (x + y) * z")
    scene, view = window.scene, window.view
    rect = scene.nodes_rect([ids["x"], ids["y"]])
    start = view.mapFromScene(rect.topLeft() + QPointF(-20, -20))
    end = view.mapFromScene(rect.bottomRight() + QPointF(5, 5))
    mouse_drag(view.viewport(), start, end)
    assert set(scene.selected_node_ids()) == {ids["x"], ids["y"]}
    # Ctrl-click adds another node to the selection.
    z = scene.node_items[ids["z"]]
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.ControlModifier,
                     view.mapFromScene(z.pos() + QPointF(0, -z.rect.height() / 2 + 8)))
    assert set(scene.selected_node_ids()) == {ids["x"], ids["y"], ids["z"]}
    assert window.document.undo_stack.count() == 0  # selecting is not an edit


def test_double_click_empty_canvas_opens_quick_add(window: Any) -> None:
    view = window.view
    pos = QPoint(400, 300)
    QTest.mouseDClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, pos)
    popup = view.quick_add
    assert popup is not None and popup.isVisible()
    QTest.keyClicks(popup.search, "tanh")
    assert popup.visible_ops()[0] == "tanh"
    QTest.keyClick(popup.search, Qt.Key_Return)
    g = window.document.graph
    assert [n.op for n in g] == ["tanh"]
    expected = view.mapToScene(pos)
    assert abs(g.nodes[0].pos[0] - expected.x()) < 1e-6


def test_tab_opens_quick_add(window: Any) -> None:
    window.view.setFocus()
    QApplication.sendEvent(window.view, QKeyEvent(QEvent.KeyPress, Qt.Key_Tab, Qt.NoModifier))
    assert window.view.quick_add is not None and window.view.quick_add.isVisible()
    window.view.quick_add.close()


def test_context_menu_sets_output_with_marker(window: Any, qtbot: Any) -> None:
    ids = build(window, "q = x + y\nf = q * z")
    settle(qtbot, window)
    item = window.scene.node_items[ids["q"]]
    menu = window.edits.context_menu(item, item.pos())
    action = next(a for a in menu.actions() if a.text() == "Set as Output")
    action.trigger()
    g = window.document.graph
    assert g.chosen_output == ids["q"]
    settle(qtbot, window)
    assert item.is_output and not window.scene.node_items[ids["f"]].is_output
    # d q / d x = 1 now that q is the output
    assert window.evaluator.evaluation.grads[ids["x"]] == 1.0
    assert window.document.undo_stack.undoText() == "Set output to q"


def test_wire_context_menu_deletes_wire(window: Any) -> None:
    ids = build(window, "f = x * y")
    wire = window.scene.wire_items[(ids["f"], 1)]
    menu = window.edits.context_menu(wire, QPointF())
    next(a for a in menu.actions() if a.text() == "Delete Wire").trigger()
    assert window.document.graph.input_ids(ids["f"]) == [ids["x"], None]


def test_wheel_zooms_about_the_cursor(window: Any) -> None:
    from PySide6.QtGui import QWheelEvent

    view = window.view
    pos = QPoint(200, 150)
    anchor = view.mapToScene(pos)
    event = QWheelEvent(QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), QPoint(),
                        QPoint(0, 240), Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom > 1.3
    after = view.mapToScene(pos)
    assert abs(after.x() - anchor.x()) < 2 and abs(after.y() - anchor.y()) < 2


def test_middle_drag_pans(window: Any) -> None:
    view = window.view
    before = view.mapToScene(QPoint(100, 100))
    mouse_drag(view.viewport(), QPoint(300, 300), QPoint(200, 250), button=Qt.MiddleButton)
    after = view.mapToScene(QPoint(100, 100))
    assert abs((after.x() - before.x()) - 100) < 2 and abs((after.y() - before.y()) - 50) < 2


def test_space_drag_pans(window: Any) -> None:
    view = window.view
    view.setFocus()
    QTest.keyPress(view, Qt.Key_Space)
    before = view.mapToScene(QPoint(100, 100))
    mouse_drag(view.viewport(), QPoint(300, 300), QPoint(250, 300))
    QTest.keyRelease(view, Qt.Key_Space)
    after = view.mapToScene(QPoint(100, 100))
    assert abs((after.x() - before.x()) - 50) < 2
    assert window.document.undo_stack.count() == 0


def test_far_zoom_switches_to_batched_overview(window: Any) -> None:
    ids = build(window, "f = (x + y) * z")
    view, scene = window.view, window.scene
    view.fit_to_view()
    view.viewport().repaint()
    assert not scene.overview
    view.zoom_by(0.1 / view.zoom)
    view.viewport().repaint()
    assert scene.overview
    lines, by_category, errors, selected = overview_geometry(scene)
    assert len(lines) == 4 and sum(len(r) for r in by_category.values()) == 5
    # Items still take clicks and selections in overview mode.
    item = scene.node_items[ids["f"]]
    QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                     view.mapFromScene(item.pos()))
    assert scene.selected_node_ids() == [ids["f"]]
    view.zoom_by(1.0 / view.zoom)
    view.viewport().repaint()
    assert not scene.overview
