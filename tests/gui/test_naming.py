"""One short name per node everywhere: canvas titles, inspector, status bar, undo texts."""

from __future__ import annotations

from typing import Any

from gui_helpers import settle

from graphgui.core.expr import parse
from graphgui.gui.document import Document


def titles(window: Any) -> dict[str, str]:
    return {nid: item.title for nid, item in window.scene.node_items.items()}


def test_unnamed_nodes_get_the_same_short_label_on_canvas_inspector_and_undo(
    window: Any, qtbot: Any
) -> None:
    # f = (x + y) + (x + z): two unnamed adds, labelled add1 and add2 in graph order.
    window.set_document(Document(parse("f = (x + y) + (x + z)")))
    settle(qtbot, window)
    qtbot.wait(1)
    g = window.document.graph
    adds = [n.id for n in g if n.op == "add" and not n.name]
    assert [titles(window)[a] for a in adds] == ["add1", "add2"]
    window.scene.select_nodes([adds[0]])
    assert "add1" in window.inspector.heading.text()
    assert all(n.id not in text for n in g for text in titles(window).values())
    # Deleting one leaves a single unnamed add: it is simply "add" now, on the canvas too.
    window.view.setFocus()
    window.action("delete").trigger()
    assert window.document.undo_stack.undoText() == "Delete add1"
    qtbot.wait(1)
    assert titles(window)[adds[1]] == "add"
    # A user's name that looks like a label is never shadowed.
    window.document.rename(adds[1], "add1")
    qtbot.wait(1)
    assert titles(window)[adds[1]] == "add1"
    window.document.set_clean()


def test_an_inserted_expression_shows_its_labels_at_once(window: Any, qtbot: Any) -> None:
    # The bulk insert makes its items once, at its end, with their final labels: no title
    # is first "add" and then "add2".
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from graphgui.core.graph import node_labels

    window.expression_bar.edit.setText("f = (x + y) + (x + z) + (y + z)")
    QTest.keyClick(window.expression_bar.edit, Qt.Key_Return)
    labels = node_labels(window.document.graph)
    assert titles(window) == dict(labels)
    assert sorted(t for t in labels.values() if t.startswith("add")) == [
        "add1", "add2", "add3", "add4"]
    window.document.set_clean()
