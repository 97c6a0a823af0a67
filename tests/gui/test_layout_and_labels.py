"""Readable canvas and window: wire labels clear of nodes and of each other (on screen, while
stepping, in exports), the default dock layout, opening zoom, shortcuts, paste placement,
typed values, texts without internal ids."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from gui_helpers import opened, overlapping, settle
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QKeySequence
from PySide6.QtTest import QTest

from graphgui.core.examples import (
    list_examples,
    list_training_examples,
    load_example,
    load_example_document,
)
from graphgui.core.expr import parse
from graphgui.gui.document import Document
from graphgui.gui.help import shortcut_rows


def names(graph: Any) -> dict[str, str]:
    return {n.name: n.id for n in graph if n.name}


def label_rects(scene: Any) -> list[tuple[Any, QRectF, str]]:
    """Every drawn wire label: (wire key, scene rectangle, text)."""
    found = []
    for key, label in scene.labels.labels.items():
        wire = scene.wire_items[key]
        if not wire.isVisible():  # inside a collapsed function: not drawn
            continue
        # The lines drawn: written out, or shape and norm where the room was short.
        if scene.state.show_values and wire.value_text:
            found.append((key, label.value_rect, "\n".join(label.value_lines)))
        if scene.state.show_grads and wire.grad_text:
            found.append((key, label.grad_rect, "\n".join(label.grad_lines)))
    return found


def assert_labels_clear(scene: Any) -> None:
    labels = label_rects(scene)
    assert labels, "no labels shown"
    nodes = {nid: item.rect.translated(item.pos()) for nid, item in scene.node_items.items()
             if item.isVisible()}
    nodes.update({f"function {gid}": item.rect.translated(item.pos())
                  for gid, item in scene.functions.items.items()})
    for key, rect, text in labels:
        assert not rect.isEmpty(), (key, text)
        # Wide enough for its text (nothing clipped).
        widest = max(scene.state.fm_label.horizontalAdvance(line) for line in text.split("\n"))
        assert rect.width() >= widest - 0.5, (key, text)
        for nid, node_rect in nodes.items():
            assert not rect.intersects(node_rect), f"label {text!r} of {key} is over node {nid}"
    for i, (k1, r1, t1) in enumerate(labels):
        for k2, r2, t2 in labels[i + 1:]:
            assert not r1.intersects(r2), f"labels {t1!r} ({k1}) and {t2!r} ({k2}) overlap"
    # A source's chip shows its whole text (a long row becomes shape and norm, never cut).
    for nid, item in scene.node_items.items():
        if item.is_source:
            needed = scene.state.text_width("small", item.source_text)
            assert item.chip_rect.width() >= needed, (nid, item.source_text)
    # Labels are drawn above nodes and wires.
    some = next(iter(scene.labels.labels.values()))
    assert some.zValue() > max(i.zValue() for i in scene.node_items.values())


def open_example(window: Any, qtbot: Any, name: str) -> Any:
    window.set_document(Document(load_example(name)))
    settle(qtbot, window)
    QGuiApplication.processEvents()  # the framing runs on the next turn of the event loop
    return window.document.graph


ALL_EXAMPLES = [i.name for i in list_examples() + list_training_examples()]


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_labels_clear_of_nodes_and_each_other(window: Any, qtbot: Any, name: str) -> None:
    # Two moons once had W2's row over WA2 and sin regression's label over "pred".
    window.set_document(Document(load_example_document(name)[0]))
    settle(qtbot, window)
    QGuiApplication.processEvents()
    window.view.reset_zoom()  # labels show at readable zooms
    assert_labels_clear(window.scene)


def test_x_tanh_x_shows_the_direct_gradient(window: Any, qtbot: Any) -> None:
    graph = open_example(window, qtbot, "x_tanh_x")
    n = names(graph)
    scene = window.scene
    direct = [w for w in scene.wire_items.values()
              if w.src.node_id == n["x"] and w.dst.node_id == n["f"]]
    assert len(direct) == 1
    wire = direct[0]
    # d(x * tanh x)/dx along the direct wire is tanh(1) = 0.7616 (the other path adds 0.42).
    assert wire.grad_text == f"{math.tanh(1.0):.4g}" == "0.7616"
    rect = scene.labels.labels[wire.key].grad_rect
    # Nothing drawn above the label covers it.
    above = [i for i in scene.items(rect) if i.zValue() > scene.labels.labels[wire.key].zValue()]
    assert above == []


def test_labels_clear_while_stepping_through_closed_functions(window: Any, qtbot: Any) -> None:
    open_example(window, qtbot, "network_2_2_2")  # layer1, layer2 and loss closed
    panel = window.stepper_panel
    while panel.forward_step() or panel.backward_step():
        assert_labels_clear(window.scene)


def test_labels_clear_while_stepping(window: Any, qtbot: Any) -> None:
    window.set_document(Document(opened(load_example("network_2_2_2"))))  # every node
    settle(qtbot, window)
    panel = window.stepper_panel
    scene = window.scene
    for _ in range(60):  # through the forward pass and well into the backward pass
        if not panel.forward_step() and not panel.backward_step():
            break
        if scene.overlay is not None and scene.overlay.phase == "backward" \
                and len(scene.overlay.grads) >= 16:
            break
    assert scene.overlay is not None and scene.overlay.phase == "backward"
    assert_labels_clear(scene)
    # Step badges under the nodes are obstacles too.
    badges = [it.badge_rect.translated(it.pos()) for it in scene.node_items.values()
              if it.badge_text and it.isVisible()]
    assert badges
    for key, rect, text in label_rects(scene):
        for badge in badges:
            assert not rect.intersects(badge), (key, text)


def test_exported_scene_keeps_labels_clear(qapp: Any) -> None:
    from graphgui.gui.export import build_scene

    for name in ALL_EXAMPLES:
        scene = build_scene(load_example_document(name)[0])
        try:
            assert_labels_clear(scene)
        finally:
            scene.set_graph(None)
            scene.deleteLater()


def test_label_moves_off_a_node_dragged_onto_it(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = (x + y) * z")))
    settle(qtbot, window)
    scene = window.scene
    n = names(window.document.graph)
    label = next(lab for lab in scene.labels.labels.values() if not lab.value_rect.isEmpty())
    z = scene.node_items[n["z"]]
    # Drop z right on top of the label.
    z.setPos(label.value_rect.center() - z.rect.center())
    for key, rect, text in label_rects(scene):
        assert not rect.intersects(z.rect.translated(z.pos())), (key, text)


def test_small_matrix_label_is_one_row_per_line(window: Any, qtbot: Any) -> None:
    window.set_document(Document(opened(load_example("matrix_network"))))  # W1's wire shown
    settle(qtbot, window)
    graph = window.document.graph
    scene = window.scene
    w1 = names(graph)["W1"]
    wire = next(w for w in scene.wire_items.values() if w.src.node_id == w1)
    label = scene.labels.labels[wire.key]
    assert wire.value_text == "[[0.5, 0.3], [0.2, 0.8]]"
    assert label.value_lines == ["[[0.5, 0.3],", " [0.2, 0.8]]"]
    assert label.value_rect.height() >= 2 * scene.state.fm_label.height()


# ---- window layout and zoom ----------------------------------------------------------------


def test_default_layout_gives_the_canvas_most_of_the_window(make_window: Any) -> None:
    from graphgui.gui.main_window import MainWindow

    window = make_window()
    window.resize(1366, 740)
    QGuiApplication.processEvents()
    docks = {d.objectName(): d for d in window.panels}
    inspector, stepper = docks["inspectorDock"], docks["stepperDock"]
    # The trainer waits behind the inspector, the curves behind the stepper; the pictures
    # of the model have a column beside them (loss and boundary are seen together).
    assert docks["trainerDock"] in window.tabifiedDockWidgets(inspector)
    for name in ("lossDock", "gradNormDock"):
        assert docks[name] in window.tabifiedDockWidgets(stepper)
    boundary = docks["boundaryDock"]
    assert boundary not in window.tabifiedDockWidgets(stepper)
    assert window.dockWidgetArea(boundary) == Qt.BottomDockWidgetArea
    # An empty graph has nothing to picture: the pictures' column waits hidden.
    pictures = [docks[n] for n in ("boundaryDock", "fitDock", "activationDock")]
    assert all(d.isHidden() for d in pictures)
    assert inspector.width() >= 280
    assert stepper.height() <= 260
    view = window.view
    assert view.width() >= 0.55 * window.width()
    assert view.height() >= 0.45 * window.height()
    # A 1366x768 laptop has room for the whole window.
    assert window.minimumSizeHint().height() <= 700
    assert window.minimumSizeHint().width() <= 1366
    assert isinstance(window, MainWindow)


def test_the_pictures_column_shows_with_a_data_set_or_an_activation(
    window: Any, qtbot: Any
) -> None:
    from gui_helpers import open_example_from_menu

    docks = {d.objectName(): d for d in window.panels}
    boundary, fit, activation = (docks[n] for n in ("boundaryDock", "fitDock", "activationDock"))
    open_example_from_menu(window, "chain_rule")  # no data set, no activation
    assert boundary.isHidden() and activation.isHidden()
    open_example_from_menu(window, "neuron")  # a sigmoid: its curve, with f'
    qtbot.waitUntil(activation.isVisible, timeout=2000)
    assert {fit, activation} <= set(window.tabifiedDockWidgets(boundary))
    assert not activation.visibleRegion().isEmpty()  # the tab in front
    open_example_from_menu(window, "moons_network")  # a data set: the decision boundary
    qtbot.waitUntil(lambda: not boundary.visibleRegion().isEmpty(), timeout=2000)
    window.action_reset_layout.trigger()
    qtbot.waitUntil(boundary.isVisible, timeout=2000)
    assert window.dockWidgetArea(boundary) == Qt.BottomDockWidgetArea


def test_reset_panel_layout_brings_docks_back(window: Any) -> None:
    docks = {d.objectName(): d for d in window.panels}
    window.addDockWidget(Qt.LeftDockWidgetArea, docks["trainerDock"])
    assert docks["trainerDock"] not in window.tabifiedDockWidgets(docks["inspectorDock"])
    window.action_reset_layout.trigger()
    assert docks["trainerDock"] in window.tabifiedDockWidgets(docks["inspectorDock"])


def test_wide_graph_opens_at_a_readable_zoom_on_its_output(window: Any, qtbot: Any) -> None:
    # 120 nodes in a row: too long even for the zoomed-out summaries (test_opening_and_
    # placement covers the bundled examples, which open whole).
    from graphgui.gui.canvas.view import READABLE_ZOOM

    program = "a0 = 1\n" + "\n".join(f"a{k} = a{k - 1} + 1" for k in range(1, 120))
    window.set_document(Document(parse(program)))
    settle(qtbot, window)
    qtbot.wait(1)
    view = window.view
    assert view.zoom >= READABLE_ZOOM - 1e-9 >= 0.75
    graph = window.document.graph
    out = window.scene.node_items[graph.output]
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(out.sceneBoundingRect())
    # Zoomed-out overview only when asked for: Fit to View.
    window.action_fit.trigger()
    assert view.zoom < READABLE_ZOOM


def test_small_graph_opens_fitted(window: Any, qtbot: Any) -> None:
    open_example(window, qtbot, "chain_rule")
    view = window.view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.nodes_rect())
    assert 0.75 <= view.zoom <= 1.25 + 1e-9


def test_stepping_scrolls_to_the_current_node(window: Any, qtbot: Any) -> None:
    open_example(window, qtbot, "network_2_2_2")
    panel = window.stepper_panel
    view = window.view
    assert panel.forward_step()
    current = window.scene.overlay.current
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.intersects(window.scene.node_items[current].sceneBoundingRect())


def test_empty_canvas_hint(window: Any) -> None:
    from graphgui.gui.canvas.view import EMPTY_CANVAS_HINT

    assert "expression" in EMPTY_CANVAS_HINT and "palette" in EMPTY_CANVAS_HINT
    image = window.view.grab().toImage()  # drawn without error on the empty canvas
    assert not image.isNull()


# ---- shortcuts -------------------------------------------------------------------------------


def activate(window: Any, qtbot: Any) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=2000)
    window.view.setFocus()


def test_no_shortcut_is_taken_twice(window: Any) -> None:
    seen: dict[str, str] = {}
    for act in window.findChildren(type(window.action_copy)):
        for seq in act.shortcuts():
            key = seq.toString(QKeySequence.PortableText)
            if act.isEnabled() or key in seen:
                assert key not in seen or seen[key] == act.text(), (key, seen.get(key), act.text())
                seen[key] = act.text()
    assert "Ctrl+D" in seen


def test_ctrl_d_duplicates_and_redo_keys(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    settle(qtbot, window)
    activate(window, qtbot)
    g = window.document.graph
    window.scene.select_nodes([names(g)["x"]])
    before = len(g)
    QTest.keyClick(window.view, Qt.Key_D, Qt.ControlModifier)
    assert len(g) == before + 1
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    assert len(g) == before
    QTest.keyClick(window.view, Qt.Key_Y, Qt.ControlModifier)
    assert len(g) == before + 1
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier)
    QTest.keyClick(window.view, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert len(g) == before + 1
    # Delete is the Del key (and Backspace), not Ctrl+D.
    window.scene.select_nodes([names(g)["x"]])
    QTest.keyClick(window.view, Qt.Key_Delete)
    assert len(g) == before


def test_shortcut_table_is_clean(window: Any) -> None:
    rows = dict(shortcut_rows(window))
    assert rows["Undo"] == QKeySequence("Ctrl+Z").toString(QKeySequence.NativeText)
    assert set(rows["Redo"].split(", ")) >= {
        QKeySequence("Ctrl+Y").toString(QKeySequence.NativeText),
        QKeySequence("Ctrl+Shift+Z").toString(QKeySequence.NativeText),
    }
    assert rows["Duplicate"] == QKeySequence("Ctrl+D").toString(QKeySequence.NativeText)
    text = " ".join(f"{k} {v}" for k, v in rows.items())
    for noise in ("F14", "F16", "F18", "F20", "Exit"):
        assert noise not in text.split(", ") and f" {noise}" not in text
    for keys in rows.values():
        parts = keys.split(", ")
        assert len(parts) == len(set(parts)), keys


# ---- paste ---------------------------------------------------------------------------------


def test_paste_twice_cascades(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    g = window.document.graph
    x = names(g)["x"]
    window.scene.select_nodes([x])
    assert window.edits.copy()
    QCursor.setPos(window.view.viewport().mapToGlobal(QPoint(-50, -50)))  # off the canvas
    first = window.action("paste").trigger() or window.scene.selected_node_ids()
    second = window.action("paste").trigger() or window.scene.selected_node_ids()
    p0 = g.node(x).pos
    p1, p2 = g.node(first[0]).pos, g.node(second[0]).pos
    # Off the canvas, copies go under the originals, each clear of every other node.
    assert p1[0] == p0[0] and p1[1] > p0[1]
    assert p2[0] == p0[0] and p2[1] > p1[1]
    assert overlapping(window, first + second) == []


def test_paste_at_the_mouse(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    settle(qtbot, window)
    g = window.document.graph
    window.scene.select_nodes([names(g)["x"], names(g)["f"]])
    assert window.edits.copy()
    view = window.view
    target = QPoint(view.viewport().width() // 3, view.viewport().height() // 3)
    window.raise_()  # the top window under the cursor, whatever earlier tests left open
    window.activateWindow()
    QCursor.setPos(view.viewport().mapToGlobal(target))
    QTest.mouseMove(view.viewport(), target)
    if view.cursor_scene_pos() is None:
        pytest.fail("the platform did not move the mouse over the canvas")
    at = view.mapToScene(target)  # before the paste scrolls the copy into view
    new = window.edits.paste()
    xs = [g.node(i).pos[0] for i in new]
    ys = [g.node(i).pos[1] for i in new]
    # Centred on the mouse, or moved on from there (down and right) until it covers no node.
    dx = (min(xs) + max(xs)) / 2 - at.x()
    dy = (min(ys) + max(ys)) / 2 - at.y()
    assert dx == pytest.approx(dy) and dx >= 0 and dx % 40 == pytest.approx(0, abs=1e-6)
    settle(qtbot, window)
    assert overlapping(window, new) == []
    # Again at the same place: it moves on instead of covering the first copy.
    again = window.edits.paste()
    assert overlapping(window, again) == []
    assert g.node(again[0]).pos[0] > g.node(new[0]).pos[0]
    QCursor.setPos(view.viewport().mapToGlobal(QPoint(-50, -50)))  # leave the canvas


# ---- typed values ----------------------------------------------------------------------------


@pytest.mark.parametrize("typed, expected", [(".5", 0.5), ("1/2", 0.5), ("pi", math.pi),
                                              ("-pi/4", -math.pi / 4), ("3e-4", 3e-4)])
def test_value_editor_reads_what_people_type(window: Any, qtbot: Any, typed: str,
                                             expected: float) -> None:
    window.set_document(Document(parse("f = x * 3")))
    settle(qtbot, window)
    g = window.document.graph
    x = names(g)["x"]
    view = window.view
    item = window.scene.node_items[x]
    QTest.mouseDClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                      view.mapFromScene(item.chip_scene_rect().center()))
    editor = view.value_editor
    assert editor is not None
    editor.selectAll()
    QTest.keyClicks(editor, typed)
    QTest.keyClick(editor, Qt.Key_Return)
    assert g.node(x).value == pytest.approx(expected, rel=1e-15)
    assert window.document.undo_stack.count() == 1


def test_value_editor_is_wide_enough_for_a_matrix(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("W = param([[0.5, 0.3], [0.2, 0.8]]); f = sum(W)")))
    settle(qtbot, window)
    w = names(window.document.graph)["W"]
    editor = window.view.edit_value(w)
    assert editor.text() == "[[0.5, 0.3], [0.2, 0.8]]"
    assert editor.width() >= editor.fontMetrics().horizontalAdvance(editor.text()) + 10
    editor.selectAll()
    QTest.keyClicks(editor, "[[1/2, 0], [0, pi]]")
    QTest.keyClick(editor, Qt.Key_Return)
    assert np.allclose(window.document.graph.node(w).value, [[0.5, 0], [0, math.pi]])


def test_inspector_value_field_reads_fractions(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    settle(qtbot, window)
    g = window.document.graph
    x = names(g)["x"]
    window.scene.select_nodes([x])
    field = window.inspector.value_edit
    assert field.text() == "0"  # as the canvas writes it, not "0.0"
    field.setFocus()
    field.selectAll()
    QTest.keyClicks(field, "1/4")
    QTest.keyClick(field, Qt.Key_Return)
    assert g.node(x).value == 0.25
    settle(qtbot, window)
    # A scalar is one line, not a 1x1 table; the source's value is not repeated.
    assert not window.inspector.value_table.isVisibleTo(window.inspector)
    assert not window.inspector.grad_table.isVisibleTo(window.inspector)
    assert "= 3" in window.inspector.grad_title.text()  # df/dx = 3


# ---- texts -----------------------------------------------------------------------------------


def test_messages_name_nodes_as_the_canvas_does(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    settle(qtbot, window)
    view = window.view
    nid = view.add_node_at("sigmoid", view.mapToScene(QPoint(100, 100)))
    message = window.statusBar().currentMessage()
    assert message == "Added sigmoid" and nid not in message
    window.scene.select_nodes([nid])
    assert nid not in window.inspector.heading.text()


def test_failed_output_shows_its_error_not_a_dash(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("x = -1; h = log(x) * 2")))
    settle(qtbot, window)
    text = window.eval_label.text()
    assert "h = -" not in text and "⚠" in text


def test_stale_status_message_is_dropped_on_the_next_edit(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    window.show_message("Inserted 2 nodes")
    QGuiApplication.processEvents()  # the user does something else later
    x = names(window.document.graph)["x"]
    window.document.move_nodes({x: (500.0, 500.0)})
    assert window.statusBar().currentMessage() == ""


def test_high_dpi_theme_has_real_pixel_pens(qapp: Any) -> None:
    from graphgui.gui.theme import current_theme, notice_html

    assert current_theme(False, 2.0).pens["wire"].widthF() == 2.0
    assert current_theme(False).pens["wire"].widthF() == 1.0
    assert "✓" in notice_html("applied", "success") and "ⓘ" not in notice_html("x")


def test_labels_ride_along_a_mouse_drag_and_settle_on_release(window: Any, qtbot: Any) -> None:
    graph = open_example(window, qtbot, "chain_rule")
    scene, view = window.scene, window.view
    q = scene.node_items[names(graph)["q"]]
    into_q = [w for w in scene.wire_items.values() if w.dst is q]
    before = {w.key: w.label.value_rect.center() for w in into_q}
    q_before = q.pos()
    start = view.mapFromScene(q.mapToScene(q.rect.center()))
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, start)
    for step in range(1, 6):
        QTest.mouseMove(view.viewport(), start + QPoint(0, 12 * step))
    # Mid-drag: each label moved with its wire (the wire's end moved down 60 px; a label
    # keeps its place along the curve, so it moved down by part of that).
    assert scene.labels._dragging
    for w in into_q:
        dy = w.label.value_rect.center().y() - before[w.key].y()
        assert 0 < dy <= 60 + 1e-6, (w.key, dy)
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, start + QPoint(0, 60))
    assert not scene.labels._dragging
    assert q.pos().y() - q_before.y() == pytest.approx(60 / view.transform().m22())
    assert window.document.undo_stack.undoText().startswith("Move")
    assert_labels_clear(scene)
