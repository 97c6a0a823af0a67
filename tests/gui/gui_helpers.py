"""Helpers shared by the GUI tests (imported as ``gui_helpers``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from graphgui.core.graph import Graph
from graphgui.core.values import to_json


def canonical(graph: Graph) -> dict[str, Any]:
    """Everything undo must restore, in an order-independent form (no fileformat code)."""
    return {
        "nodes": sorted(
            (n.id, n.op, n.name, repr(sorted(n.params.items())), repr(to_json(n.value)),
             n.pos)
            for n in graph.nodes
        ),
        "edges": sorted((e.src, e.dst, e.port) for e in graph.edges),
        "chosen_output": graph.chosen_output,
        "output": graph.output,
    }


def view_point(view: Any, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def mouse_drag(widget: Any, start: QPoint, end: QPoint, steps: int = 6,
               button: Qt.MouseButton = Qt.LeftButton,
               modifier: Qt.KeyboardModifier = Qt.NoModifier) -> None:
    """Press, move in steps, release: a real drag as the user makes it."""
    QTest.mousePress(widget, button, modifier, start)
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        QTest.mouseMove(widget, QPoint(round(p.x()), round(p.y())))
    QTest.mouseRelease(widget, button, modifier, end)


def settle(qtbot: Any, window: Any) -> None:
    """Let the coalesced evaluation run."""
    qtbot.waitUntil(lambda: not window.evaluator.pending, timeout=2000)


def arrays_close(a: Any, b: Any) -> bool:
    return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float))


def overlapping(window: Any, node_ids: list[str]) -> list[tuple[str, str]]:
    """Pairs (new, other) whose drawn node boxes overlap: a new node covering another."""
    items = window.scene.node_items
    pairs = []
    for nid in node_ids:
        rect = items[nid].sceneBoundingRect()
        for other, item in items.items():
            if other != nid and rect.intersects(item.sceneBoundingRect()):
                pairs.append((nid, other))
    return pairs


def open_example_from_menu(window: Any, name: str, **training: Any) -> Any:
    """File > Examples > name (the menu's action), then the given training settings. The
    current document is marked saved first (no Save/Discard prompt in a test)."""
    window.document.set_clean()
    window.file_controller.example_actions[name].trigger()
    doc = window.document
    if training:
        doc.set_setting("training", {**doc.settings["training"], **training})
        doc.set_clean()
    return doc


def opened(graph: Any) -> Any:
    """``graph`` with every function instance open, so the stepper visits every node (a
    closed function is one step); returns the graph."""
    from graphgui.core.layout import apply_layout, layered_layout

    for group in graph.groups:
        graph.set_collapsed(group.id, False)
    apply_layout(graph, layered_layout(graph))  # every node its own place, as before
    return graph


def drawn_items(scene: Any) -> dict[str, Any]:
    """What the canvas draws as nodes: the nodes not inside a closed function, and each
    closed function (keyed ``function:<id>``)."""
    items = {nid: it for nid, it in scene.node_items.items() if it.isVisible()}
    items.update({f"function:{gid}": it for gid, it in scene.functions.items.items()})
    return items
