"""Main window features: clipboard, expression bar, value editing, inspector, errors,
settings, rendering."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

import numpy as np
from gui_helpers import canonical, overlapping, settle
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QLabel

from graphgui.core.expr import parse
from graphgui.gui.document import Document


def names(graph: Any) -> dict[str, str]:
    return {n.name: n.id for n in graph if n.name}


def test_copy_paste_through_the_system_clipboard(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = (x + y) * z")))
    g = window.document.graph
    ids = names(g)
    g.set_value(ids["x"], 2.5)
    add = g.input_ids(ids["f"])[0]  # the unnamed x + y node
    window.scene.select_nodes([ids["x"], ids["y"], add])
    selected = window.scene.selected_node_ids()
    assert window.edits.copy()
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasFormat("application/x-graphgui+json")
    data = json.loads(mime.text())  # plain text is the same JSON
    assert len(data["nodes"]) == len(selected)
    before = len(g)
    QCursor.setPos(window.view.viewport().mapToGlobal(QPoint(-50, -50)))  # not on the canvas
    new = window.edits.paste()
    assert len(new) == len(selected) and len(g) == before + len(selected)
    assert set(window.scene.selected_node_ids()) == set(new)
    # Copies keep op, value and relative position; clashing names get a suffix.
    by_old = dict(zip(selected, new, strict=True))
    assert g.node(by_old[ids["x"]]).value == 2.5
    assert g.node(by_old[ids["x"]]).name == "x_2"
    shift = (g.node(new[0]).pos[0] - g.node(selected[0]).pos[0],
             g.node(new[0]).pos[1] - g.node(selected[0]).pos[1])
    for old, fresh in by_old.items():  # one shift for all: the copy keeps its shape
        assert g.node(fresh).op == g.node(old).op
        assert g.node(fresh).pos == (g.node(old).pos[0] + shift[0], g.node(old).pos[1] + shift[1])
    settle(qtbot, window)
    assert overlapping(window, new) == []  # and covers no node
    # The wire between the copied nodes is copied too.
    internal = [e for e in g.edges if e.src in selected and e.dst in selected]
    copied = [e for e in g.edges if e.src in new and e.dst in new]
    assert len(copied) == len(internal) >= 1
    assert window.document.undo_stack.undoText() == "Paste"
    window.document.undo_stack.undo()
    assert len(g) == before


def test_paste_of_foreign_text_says_why(window: Any) -> None:
    QGuiApplication.clipboard().setText("hello")
    assert window.edits.paste() == []
    assert "Cannot paste" in window.statusBar().currentMessage()
    assert len(window.document.graph) == 0


def test_cut_removes_and_one_undo_restores(window: Any) -> None:
    window.set_document(Document(parse("f = x * y")))
    g = window.document.graph
    before = canonical(g)
    window.scene.select_nodes([names(g)["x"], names(g)["f"]])
    window.edits.cut()
    assert len(g) == 1
    window.document.undo_stack.undo()
    assert canonical(g) == before


def test_duplicate_selects_the_copies(window: Any) -> None:
    window.set_document(Document(parse("f = x * y")))
    g = window.document.graph
    window.scene.select_nodes([n.id for n in g])
    new = window.edits.duplicate()
    assert len(new) == 3 and len(g) == 6
    assert sorted(window.scene.selected_node_ids()) == sorted(new)
    assert window.document.undo_stack.undoText() == "Duplicate"


def test_expression_bar_inserts_right_of_existing_nodes(window: Any, qtbot: Any) -> None:
    doc = window.document
    existing = doc.add_node("input", (0, 0), name="a")
    bar = window.expression_bar
    bar.edit.setFocus()
    QTest.keyClicks(bar.edit, "f = (x + y) * z")
    QTest.keyClick(bar.edit, Qt.Key_Return)
    g = doc.graph
    assert len(g) == 6
    new = [n for n in g if n.id != existing]
    assert min(n.pos[0] for n in new) > g.node(existing).pos[0] + 100
    assert doc.undo_stack.count() == 2  # the add, then the whole expression
    assert g.chosen_output == g.find("f").id
    assert bar.edit.text() == ""
    settle(qtbot, window)
    ev = window.evaluator.evaluation
    # All inputs are 0: f = 0, df/dz = x + y = 0, df/dx = z = 0; set some values to check.
    doc.set_value(g.find("x").id, 1.0)
    doc.set_value(g.find("y").id, 2.0)
    doc.set_value(g.find("z").id, 4.0)
    settle(qtbot, window)
    ev = window.evaluator.evaluation
    assert ev.values[g.find("f").id] == 12.0
    assert ev.grads[g.find("z").id] == 3.0 and ev.grads[g.find("x").id] == 4.0
    doc.undo_stack.undo()  # value edits
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()  # the expression
    assert [n.id for n in g] == [existing]


def test_an_expression_using_taken_names_says_what_its_nodes_are_called(window: Any) -> None:
    # A second `f = log(x)` beside the first: new nodes x_2 and f_2 (not the old ones
    # rewired), and the status bar says so instead of leaving it to be found.
    window.set_document(Document(parse("x = 2\nf = log(x)")))
    bar = window.expression_bar
    bar.edit.setFocus()
    QTest.keyClicks(bar.edit, "f = log(x)")
    QTest.keyClick(bar.edit, Qt.Key_Return)
    graph = window.document.graph
    assert graph.find("x_2") is not None and graph.find("f_2") is not None
    message = window.statusBar().currentMessage()
    assert message.startswith("Inserted 2 nodes") and "x is x_2" in message
    assert "f is f_2" in message
    QTest.keyClicks(bar.edit, "g = exp(q)")  # names of its own: nothing to say
    QTest.keyClick(bar.edit, Qt.Key_Return)
    assert window.statusBar().currentMessage() == "Inserted 2 nodes"


def test_expression_bar_error_is_inline_and_keeps_text(window: Any) -> None:
    bar = window.expression_bar
    QTest.keyClicks(bar.edit, "f = (x + ) * z")
    QTest.keyClick(bar.edit, Qt.Key_Return)
    assert bar.edit.text() == "f = (x + ) * z"
    assert not bar.error.isHidden()
    text = bar.error.text()
    assert "\n" not in text and "line 1" in text
    assert len(window.document.graph) == 0 and window.document.undo_stack.count() == 0
    QTest.keyClicks(bar.edit, "x")  # typing again hides the stale error
    assert bar.error.isHidden()


def test_in_place_value_edit_is_one_command(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    g = window.document.graph
    x = names(g)["x"]
    item = window.scene.node_items[x]
    view = window.view
    QTest.mouseDClick(view.viewport(), Qt.LeftButton, Qt.NoModifier,
                      view.mapFromScene(item.chip_scene_rect().center()))
    editor = view.value_editor
    assert editor is not None and editor.isVisible()
    editor.selectAll()
    QTest.keyClicks(editor, "[1, 2.5]")
    QTest.keyClick(editor, Qt.Key_Return)
    assert np.array_equal(g.node(x).value, [1.0, 2.5])
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Set value of x"
    assert view.value_editor is None
    settle(qtbot, window)
    assert item.source_text == "[1, 2.5]"
    window.document.undo_stack.undo()
    assert g.node(x).value == 0.0


def test_in_place_value_edit_refuses_bad_text(window: Any) -> None:
    window.set_document(Document(parse("f = x * 3")))
    x = names(window.document.graph)["x"]
    editor = window.view.edit_value(x)
    editor.setText("[1, [2]]")
    assert not editor.commit()
    assert "Cannot set value" in window.statusBar().currentMessage()
    assert window.document.undo_stack.count() == 0
    editor.close_editor()


def test_inspector_param_edit_is_one_undo_step(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("f = leaky_relu(x, alpha=0.1)")))
    g = window.document.graph
    f = names(g)["f"]
    window.scene.select_nodes([f])
    inspector = window.inspector
    assert inspector.node_id == f
    edit = inspector.param_edits["alpha"]
    assert edit.text() == "0.1"
    edit.setText("0.25")
    edit.editingFinished.emit()
    assert g.node(f).params["alpha"] == 0.25
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.undoText() == "Set alpha of f"
    g.set_value(names(g)["x"], -2.0)
    settle(qtbot, window)
    assert window.evaluator.evaluation.values[f] == -0.5  # 0.25 * -2
    window.document.undo_stack.undo()
    assert g.node(f).params["alpha"] == 0.1


def test_inspector_rename_and_tables(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("W = [[1, 2], [3, 4]]\nv = [1, -1]\nf = sum(W @ v)")))
    g = window.document.graph
    W = names(g)["W"]
    settle(qtbot, window)
    window.scene.select_nodes([W])
    inspector = window.inspector
    assert inspector.value_model.rowCount() == 2 and inspector.value_model.columnCount() == 2
    assert inspector.value_model.index(1, 0).data() == "3"
    # d sum(W v) / dW = 1 v^T: rows [1, -1]
    assert inspector.grad_model.index(0, 1).data() == "-1"
    inspector.name_edit.setText("M")
    inspector.name_edit.editingFinished.emit()
    assert g.node(W).name == "M"
    assert window.document.undo_stack.undoText() == "Rename W to M"


def test_failing_node_turns_red_rest_usable(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("a = log(x)\nb = y * 2")))
    g = window.document.graph
    ids = names(g)
    window.document.set_value(ids["x"], -1.0)
    settle(qtbot, window)
    a_item = window.scene.node_items[ids["a"]]
    assert a_item.error is not None
    assert a_item.toolTip().startswith("Error:")
    assert "⚠" in window.eval_label.text()
    assert window.scene.node_items[ids["b"]].error is None
    # Painting uses the error pen: render the item and look for the red.
    assert _has_error_red(window, a_item)
    window.document.set_value(ids["x"], math.e)
    settle(qtbot, window)
    assert a_item.error is None


def _has_error_red(window: Any, item: Any) -> bool:
    rect = item.sceneBoundingRect()
    image = QImage(int(rect.width()) * 2, int(rect.height()) * 2, QImage.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    window.scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    red = window.scene.state.theme.colors.error
    from PySide6.QtGui import QColor

    target = QColor(red)
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if abs(c.red() - target.red()) < 20 and abs(c.green() - target.green()) < 20 \
                    and abs(c.blue() - target.blue()) < 20:
                return True
    return False


def test_unconnected_input_is_reported(window: Any, qtbot: Any) -> None:
    doc = window.document
    nid = doc.add_node("add", (0, 0))
    settle(qtbot, window)
    item = window.scene.node_items[nid]
    assert item.error is not None and "not connected" in item.error


def test_toggles_hide_values_and_gradients(window: Any) -> None:
    window.action_show_values.setChecked(False)
    assert not window.scene.state.show_values
    window.action_show_grads.setChecked(False)
    assert not window.scene.state.show_grads
    window.action_show_values.setChecked(True)
    assert window.scene.state.show_values


def test_align_left_and_auto_layout_are_single_steps(window: Any) -> None:
    window.set_document(Document(parse("f = (x + y) * z")))
    g = window.document.graph
    ids = [n.id for n in g]
    window.scene.select_nodes(ids)
    window.edits.align("left")
    lefts = {round(window.scene.node_items[i].sceneBoundingRect().left()
                   - window.scene.node_items[i].boundingRect().left()
                   + window.scene.node_items[i].rect.left(), 6) for i in ids}
    assert len(lefts) == 1
    assert window.document.undo_stack.undoText() == "Align 5 nodes left"
    window.scene.clearSelection()
    window.edits.auto_layout()
    assert window.document.undo_stack.count() == 2
    assert window.document.undo_stack.undoText() == "Layout 5 nodes"
    xs = {g.node(i).name: g.node(i).pos[0] for i in ids}
    assert xs["x"] < xs["f"]


def test_snap_to_grid(window: Any) -> None:
    window.action_snap.setChecked(True)
    nid = window.view.add_node_at("exp", QPointF(33, 47))
    assert window.document.graph.node(nid).pos == (40.0, 40.0)


def test_set_document_rebuilds_scene(window: Any) -> None:
    window.set_document(Document(parse("f = x * y")))
    assert len(window.scene.node_items) == 3
    window.set_document(Document(parse("g = sin(t)")))
    assert len(window.scene.node_items) == 2
    assert window.windowTitle().startswith("untitled")
    window.document.add_node("input", (0, 0))
    assert window.isWindowModified()


def test_add_panel_and_settings_persist(make_window: Any, temp_settings: str) -> None:
    first = make_window()
    dock = QDockWidget("Stepper", first)
    dock.setObjectName("stepperDock")
    dock.setWidget(QLabel("stepper"))
    first.add_panel(dock)
    assert dock.toggleViewAction() in first.menu_panels.actions()
    first.palette_dock.hide()
    first.action_show_grads.setChecked(False)
    first.close()
    second = make_window()
    assert second.palette_dock.isHidden()
    assert not second.action_show_grads.isChecked()


def test_close_guard_can_veto(window: Any) -> None:
    asked = []
    window.add_close_guard(lambda: asked.append(1) or False)
    assert not window.close()
    assert asked and window.isVisible()
    assert not window.new_document()


def test_render_main_window_to_png(window: Any, qtbot: Any, tmp_path: Any) -> None:
    window.set_document(Document(parse("h = tanh(W @ x + b)\nL = mse(h, t)")))
    settle(qtbot, window)
    path = tmp_path / "window.png"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1000 and image.height() >= 700
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7)
               for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # not a blank picture


def test_none_refcount_survives_painter_calls(qapp: Any) -> None:
    """PySide6 6.12.0 on Python 3.11 decrements None's refcount in void Qt calls; after a
    few thousand the interpreter aborts. Catch a release with the same fault."""
    image = QImage(64, 64, QImage.Format_ARGB32)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for k in range(1000):
        painter.drawLine(0, 0, k % 64, 63)
        painter.setPen(Qt.black)
    after = sys.getrefcount(None)
    painter.end()
    assert after >= before - 10


def test_a_layout_saved_by_an_older_version_is_not_restored(make_window: Any) -> None:
    from graphgui.gui.application import settings

    first = make_window()
    first.palette_dock.hide()
    stale = first.saveState(0)  # as versions before the layout was versioned saved it
    first.close()
    store = settings()
    store.setValue("window/state", stale)
    store.sync()
    second = make_window()
    assert not second.palette_dock.isHidden()  # the default arrangement, not the stale one


def test_a_closed_window_takes_its_plot_menus_with_it(qtbot: Any) -> None:
    """pyqtgraph's parentless plot menus go with the window that showed them (they
    outlived it: 400 widgets a window, 24,000 objects over the suite, which crashed the
    interpreter tearing them down at exit)."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication, QMenu

    from graphgui.gui.main_window import MainWindow

    def top_level() -> set[int]:
        return {shiboken6.getCppPointer(w)[0] for w in QApplication.topLevelWidgets()}

    before = top_level()
    window = MainWindow()
    window.show()
    qtbot.waitExposed(window)
    window.document.set_clean()
    made = top_level() - before
    menus = [w for w in QApplication.topLevelWidgets()
             if shiboken6.getCppPointer(w)[0] in made and isinstance(w, QMenu)]
    assert len(menus) > 20  # every plot's "Plot Options" and "ViewBox options" trees
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    left = [(type(w).__name__, len(w.children())) for w in QApplication.topLevelWidgets()
            if shiboken6.getCppPointer(w)[0] in made]
    # At most an empty widget Qt keeps for itself; no menu, no popup, nothing with children.
    assert all(kind == "QWidget" and children == 0 for kind, children in left), left


def test_a_non_finite_value_is_told_once_with_its_node(window: Any, qtbot: Any) -> None:
    # log(0) is -inf: the status bar says "f (log of 0) gave -inf", not "f: f (log of ...".
    window.set_document(Document(parse("x = 0\nf = log(x)")))
    settle(qtbot, window)
    text = window.eval_label.text()
    assert "⚠ f (log of 0) gave -inf" in text and "f: f" not in text
    assert window.eval_label.toolTip() == "f (log of 0) gave -inf"
