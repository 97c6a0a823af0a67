"""Bulk edits place the wire labels once, at the end (not once per node or wire)."""

from __future__ import annotations

from typing import Any

from gui_helpers import settle
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QCursor
from PySide6.QtTest import QTest

from graphgui.core.expr import parse
from graphgui.gui.document import Document


def count_flushes(window: Any, monkeypatch: Any) -> list[int]:
    layer = window.scene.labels
    calls: list[int] = []
    real = layer._flush

    def counting() -> None:
        calls.append(1)
        real()

    monkeypatch.setattr(layer, "_flush", counting)
    return calls


def test_paste_expression_and_layout_place_labels_once(
    window: Any, qtbot: Any, monkeypatch: Any
) -> None:
    program = "\n".join(f"a{k} = x{k} * w{k} + b{k}" for k in range(10)) + "\nf = a0 + a1"
    window.set_document(Document(parse(program)))
    settle(qtbot, window)
    calls = count_flushes(window, monkeypatch)
    g = window.document.graph
    window.scene.select_nodes([n.id for n in g])
    window.action("copy").trigger()
    QCursor.setPos(window.view.viewport().mapToGlobal(QPoint(-50, -50)))
    before = len(g)
    window.action("paste").trigger()
    assert len(g) == 2 * before
    assert len(calls) == 1  # 50 nodes and their wires: one placement pass
    calls.clear()
    window.scene.clearSelection()  # the whole graph, original and copy side by side
    before_pos = {n.id: n.pos for n in g}
    window.action("layout").trigger()
    assert sum(before_pos[n.id] != n.pos for n in g) > 10
    assert len(calls) == 1
    calls.clear()
    window.action("undo").trigger()  # the layout back, in one pass too
    assert len(calls) == 1
    window.document.set_clean()


def test_selecting_many_nodes_announces_the_selection_once(window: Any, qtbot: Any) -> None:
    window.set_document(Document(parse("\n".join(f"a{k} = x{k} * 2" for k in range(40)))))
    settle(qtbot, window)
    seen: list[list[str]] = []
    window.selection_changed.connect(seen.append)
    ids = [n.id for n in window.document.graph]
    window.scene.select_nodes(ids)
    assert len(seen) == 1 and set(seen[0]) == set(ids)


def test_undoing_a_paste_of_selected_nodes_announces_the_selection_once(
    window: Any, qtbot: Any
) -> None:
    window.set_document(Document(parse("\n".join(f"a{k} = x{k} * 2" for k in range(30)))))
    settle(qtbot, window)
    g = window.document.graph
    window.scene.select_nodes([n.id for n in g])
    window.action("copy").trigger()
    QCursor.setPos(window.view.viewport().mapToGlobal(QPoint(-50, -50)))
    window.action("paste").trigger()  # the copies are selected
    seen: list[list[str]] = []
    window.selection_changed.connect(seen.append)
    window.action("undo").trigger()  # 90 selected nodes go, one by one in the Graph
    assert len(seen) == 1 and seen[0] == []


def piled_scene_work(n: int) -> int:
    """Rectangles compared while placing the labels of an n-node chain piled at one point."""
    from graphgui.gui.export import build_scene

    g = parse("a0 = 1\n" + "\n".join(f"a{k} = a{k - 1} * 2" for k in range(1, n)))
    for node in list(g):
        g.move(node.id, (0.0, 0.0))
    scene = build_scene(g)
    try:
        return scene.labels.room.work
    finally:
        scene.set_graph(None)
        scene.deleteLater()


def test_nodes_piled_at_one_point_cost_linear_label_work(qapp: Any) -> None:
    # Every label overlaps every node: unbounded, each label tried every place against
    # every other (20 such nodes took 31 s to export). Now the work grows linearly.
    small, large = piled_scene_work(60), piled_scene_work(240)
    assert large < 6 * small  # 4x the nodes: about 4x the work, far from 16x


def test_an_inserted_expression_refreshes_the_trainer_once(
    window: Any, qtbot: Any, monkeypatch: Any
) -> None:
    panel = window.training_panel
    calls: list[int] = []
    real = panel.fill_loss_nodes
    monkeypatch.setattr(panel, "fill_loss_nodes", lambda *a: (calls.append(1), real(*a)))
    window.expression_bar.edit.setText("\n".join(f"a{k} = x{k} * w{k}" for k in range(60)))
    QTest.keyClick(window.expression_bar.edit, Qt.Key_Return)
    assert len(window.document.graph) == 180
    settle(qtbot, window)
    qtbot.waitUntil(lambda: bool(calls))
    assert len(calls) == 1  # once for the burst of 420 graph events, not per event
    window.document.set_clean()
