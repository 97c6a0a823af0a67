"""Dragging a node with the mouse: the node and its wires move exactly, the labels settle as
they always did, and what is on screen equals a full repaint (nothing left stale), at every
zoom. While nodes are dragged a moved wire repaints along its curve only (canvas/drag.py)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
from gui_helpers import settle
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.gui.canvas.drag import MAX_WIRES, curve_boxes, tight_bounds
from graphgui.gui.canvas.label_groups import GROUP_SIZE, LabelGroup
from graphgui.gui.canvas.labels import _curve
from graphgui.gui.canvas.overview import OverviewGeometry, overview_geometry
from graphgui.gui.canvas.scene_index import MIN_DEPTH, index_depth
from graphgui.gui.canvas.wire_item import wire_path
from graphgui.gui.document import Document


def tangled(n: int = 160, seed: int = 3) -> Graph:
    """As benchmarks/bench_canvas.py's stress graph, smaller: columns of 40 nodes, each
    computed node wired to any of the 80 before it (long wires crossing everything)."""
    rng = random.Random(seed)
    g = Graph("drag")
    ids: list[str] = []
    for i in range(n):
        col, row = divmod(i, 40)
        pos = (col * 180.0, row * 90.0)
        if i < n // 5:
            node = g.add_node("input", name=f"x{i}", value=rng.uniform(-1, 1), pos=pos)
        else:
            node = g.add_node(rng.choice(["add", "mul", "tanh", "sigmoid"]), pos=pos)
            for port in range(node.spec.arity):
                g.connect(ids[rng.randrange(max(0, len(ids) - 80), len(ids))], node.id, port)
        ids.append(node.id)
    return g


def open_tangled(window: Any, qtbot: Any, zoom: float = 1.0) -> Any:
    """The stress graph, its evaluation shown, zoomed to ``zoom`` around a well-wired node
    in the middle; returns that node's item."""
    graph = tangled()
    window.set_document(Document(graph))
    settle(qtbot, window)
    view, scene = window.view, window.scene
    repaint(view)  # the window frames a new graph from a zero-time timer: let it
    view.resetTransform()
    view.scale(zoom, zoom)
    middle = graph.nodes[70:110]
    nid = max(middle, key=lambda node: len(graph.consumers(node.id))).id
    item = scene.node_items[nid]
    view.centerOn(item)
    repaint(view)
    assert view.zoom == zoom
    return item


def repaint(view: Any) -> None:
    """Let the queued scene updates become a paint of the viewport (as the event loop
    does between mouse moves)."""
    for _ in range(3):
        QApplication.processEvents()


def on_screen(window: Any) -> np.ndarray:
    """The canvas as it is on screen (the window's backing store, not a new paint)."""
    vp = window.view.viewport()
    corner = vp.mapTo(window, QPoint(0, 0))
    image = QGuiApplication.primaryScreen().grabWindow(window.winId()).toImage()
    image = image.copy(corner.x(), corner.y(), vp.width(), vp.height())
    image = image.convertToFormat(QImage.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8)
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    return rows.reshape(image.height(), image.width(), 4)[:, :, :3].astype(int)


def assert_nothing_stale(window: Any) -> None:
    """What the moves repainted equals the whole canvas painted afresh."""
    shown = on_screen(window)
    window.view.viewport().repaint()
    fresh = on_screen(window)
    worst = np.abs(shown - fresh).max(axis=2)
    # Antialiased edges may round differently when painted in pieces (a level or two);
    # a wire, label or node left behind differs by far more.
    assert int((worst > 24).sum()) == 0, f"{int((worst > 24).sum())} stale pixels"


def header_point(window: Any, item: Any) -> QPoint:
    return window.view.mapFromScene(item.pos() + QPointF(0, -item.rect.height() / 2 + 6))


def wires_of(item: Any) -> list[Any]:
    return list(item.wires_in.values()) + item.wires_out


def assert_wires_follow(item: Any) -> None:
    """Every wire of ``item`` is the curve between its ports as they are now, and its
    bounding rect holds it (so painting and hit tests find it)."""
    for wire in wires_of(item):
        p1, p2 = wire.src.output_scene_pos(), wire.dst.input_scene_pos(wire.port)
        assert wire.path == wire_path(p1, p2)
        assert wire.boundingRect().contains(tight_bounds(wire.path.controlPointRect()))
        mid = wire.path.pointAtPercent(0.5)
        assert wire in wire.scene().items(mid), wire.key  # the index knows where it is


def drag(window: Any, item: Any, moves: list[QPoint], check: Any = None) -> None:
    """Press on the node's header, move through ``moves`` (offsets in pixels) letting each
    paint, then release at the last."""
    vp = window.view.viewport()
    start = header_point(window, item)
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, start)
    repaint(window.view)
    for offset in moves:
        QTest.mouseMove(vp, start + offset)
        repaint(window.view)
        if check is not None:
            check()
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, start + moves[-1])
    repaint(window.view)


MOVES = [QPoint(3 * k, 2 * k) for k in range(1, 16)] + [QPoint(45 + 40 * k, 30) for k in range(8)]


def test_drag_moves_the_node_and_its_wires_exactly(window: Any, qtbot: Any) -> None:
    item = open_tangled(window, qtbot)
    graph = window.document.graph
    before = item.pos()
    scene = window.scene
    others = {w.key: (w.path, w.boundingRect()) for w in scene.wire_items.values()
              if w not in wires_of(item)}

    def mid_drag() -> None:
        assert scene.state.moving.active
        assert_wires_follow(item)

    drag(window, item, MOVES, mid_drag)
    moved = item.pos() - before
    assert (moved.x(), moved.y()) == (MOVES[-1].x(), MOVES[-1].y())  # 100 %: one unit a pixel
    assert graph.node(item.node_id).pos == (item.pos().x(), item.pos().y())
    assert window.document.undo_stack.undoText().startswith("Move")
    assert_wires_follow(item)
    # Released: every moved wire has its tight box back; no other wire was touched.
    assert not scene.state.moving.active and not scene.state.moving._moved
    for wire in wires_of(item):
        assert wire.boundingRect() == tight_bounds(wire.path.controlPointRect())
        assert wire.trace == []
    assert {w.key: (w.path, w.boundingRect()) for w in scene.wire_items.values()
            if w not in wires_of(item)} == others
    window.document.undo_stack.undo()
    assert item.pos() == before
    assert_wires_follow(item)
    repaint(window.view)
    assert_nothing_stale(window)


@pytest.mark.parametrize("zoom", [1.0, 0.8, 2.0, 0.5, 0.3])
def test_a_drag_leaves_nothing_stale_on_screen(window: Any, qtbot: Any, zoom: float) -> None:
    """Mid-drag and after the release the canvas on screen is what a full repaint draws:
    at 100 % and closer (wires repainted along their curves), zoomed out where the view
    writes names over the nodes (0.5) and in the batched overview (0.3)."""
    item = open_tangled(window, qtbot, zoom)
    drag(window, item, MOVES, lambda: assert_nothing_stale(window))  # after every move
    assert_nothing_stale(window)


def test_labels_settle_as_without_the_drag_repaint(make_window: Any, qtbot: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The same drag in two windows, one with the repaint along the curves turned off (as
    before it existed): the node, every wire and every label end in the same place, and
    mid-drag the labels ride along their wires the same way."""
    results = []
    for optimised in (True, False):
        window = make_window()
        item = open_tangled(window, qtbot)
        scene = window.scene
        if not optimised:
            monkeypatch.setattr(scene.state.moving, "begin", lambda nodes: None)
        riding: list[Any] = []

        def mid_drag(scene: Any = scene, riding: list[Any] = riding) -> None:
            riding.append(sorted((k, lab.value_rect.getRect(), lab.grad_rect.getRect())
                                 for k, lab in scene.labels.labels.items()))

        drag(window, item, MOVES, mid_drag)
        results.append((
            item.pos(),
            {k: (w.path, w.boundingRect()) for k, w in scene.wire_items.items()},
            {k: (lab.value_rect.getRect(), lab.grad_rect.getRect(), lab.t, lab.shift,
                 lab.compact) for k, lab in scene.labels.labels.items()},
            riding,
        ))
    (pos_a, wires_a, labels_a, riding_a), (pos_b, wires_b, labels_b, riding_b) = results
    assert pos_a == pos_b
    assert wires_a == wires_b
    assert labels_a == labels_b
    assert riding_a == riding_b


def test_curve_boxes_hold_the_whole_curve() -> None:
    """The rectangles a moved wire repaints cover every point of its curve, backwards
    wires and vertical ones included."""
    rng = random.Random(5)
    for _ in range(200):
        p1 = QPointF(rng.uniform(-500, 500), rng.uniform(-500, 500))
        p2 = QPointF(rng.uniform(-500, 500), rng.uniform(-2000, 2000))
        pieces = rng.randint(1, 24)
        boxes = curve_boxes(p1, p2, 0.0, pieces)
        assert len(boxes) == pieces
        point = _curve(p1, p2)
        for k in range(401):
            x, y = point(k / 400)
            box = boxes[min(pieces - 1, int(k / 400 * pieces))]
            assert box.adjusted(-1e-6, -1e-6, 1e-6, 1e-6).contains(QPointF(x, y)), (k, pieces)


@pytest.mark.parametrize("count", [3, 30])
def test_dragging_several_nodes_leaves_nothing_stale(window: Any, qtbot: Any,
                                                     count: int) -> None:
    """A few selected nodes (wires between them move at both ends) are repainted along
    their wires; many at once (more wires than drag.MAX_WIRES) repaint as before. Either
    way every node moves by the drag and the screen is what a full repaint draws."""
    item = open_tangled(window, qtbot)
    scene = window.scene
    graph = window.document.graph
    at = [n.id for n in graph.nodes].index(item.node_id)
    chosen = [n.id for n in graph.nodes[at - count // 2: at - count // 2 + count]]
    assert item.node_id in chosen
    scene.select_nodes(chosen)
    before = {nid: scene.node_items[nid].pos() for nid in chosen}
    traced = sum(len(wires_of(scene.node_items[nid])) for nid in chosen) <= MAX_WIRES
    assert traced == (count == 3)

    def mid_drag() -> None:
        assert scene.state.moving.active == traced
        assert_nothing_stale(window)

    drag(window, item, MOVES, mid_drag)
    assert_nothing_stale(window)
    assert window.document.undo_stack.undoText() == f"Move {count} nodes"
    offset = QPointF(MOVES[-1])
    for nid in chosen:
        node = scene.node_items[nid]
        assert node.pos() == before[nid] + offset
        assert_wires_follow(node)


def test_overview_geometry_follows_a_drag_as_if_built_anew(window: Any, qtbot: Any) -> None:
    """Far zoomed out a moved node updates its own box and wires in the cached overview
    geometry; what is drawn equals the geometry built from scratch."""
    item = open_tangled(window, qtbot, 0.3)
    scene = window.scene
    assert scene.overview

    def same_as_new() -> None:
        kept = overview_geometry(scene)
        fresh = OverviewGeometry(scene).geometry()
        assert kept[0] == fresh[0]  # wire lines, in order
        assert kept[1] == fresh[1]  # node boxes by category
        assert kept[2:] == fresh[2:]  # errors, selection

    drag(window, item, MOVES, same_as_new)
    same_as_new()
    window.document.undo_stack.undo()
    same_as_new()


def test_the_item_index_is_sized_for_each_graph(window: Any, qtbot: Any) -> None:
    """Qt sizes its BSP tree for the first graph it indexes and keeps that depth; the scene
    sizes it again for each graph shown (a small example first left a 5,000-node graph
    with a 5-level tree, and a drag move took twice as long)."""
    window.set_document(Document(parse("q = x + y; f = q * z")))
    repaint(window.view)
    window.view.viewport().repaint()
    assert window.scene.bspTreeDepth() == MIN_DEPTH
    item = open_tangled(window, qtbot)
    scene = window.scene
    items = len(scene.node_items) + 2 * len(scene.wire_items)
    assert scene.bspTreeDepth() == index_depth(items) > MIN_DEPTH
    drag(window, item, MOVES[:4])  # and it finds what it holds
    assert_wires_follow(item)


def test_labels_hang_from_few_parents_that_go_when_empty(window: Any, qtbot: Any) -> None:
    """Each label is a child of a LabelGroup (Qt walks every top-level item each frame);
    deleting wires and undoing it brings the labels back in groups of their own, and the
    emptied groups leave the scene."""
    open_tangled(window, qtbot)
    scene = window.scene

    def groups() -> list[Any]:
        return [i for i in scene.items() if isinstance(i, LabelGroup)]

    def check() -> int:
        labels = list(scene.labels.labels.values())
        assert labels and all(isinstance(lab.parentItem(), LabelGroup) for lab in labels)
        assert all(g.live == len(g.childItems()) for g in groups())
        assert sum(g.live > 0 for g in groups()) >= len(groups()) - 1  # only the newest
        return len(groups())

    assert check() == -(-len(scene.labels.labels) // GROUP_SIZE)  # full groups, in order
    doc = window.document
    counts = []
    for _ in range(3):
        doc.delete([n.id for n in doc.graph.nodes[60:120]])
        check()
        doc.undo_stack.undo()
        counts.append(check())
    assert counts[0] == counts[1] == counts[2]  # emptied groups went: no growth
    repaint(window.view)
    assert_nothing_stale(window)


@pytest.mark.parametrize("zoom", [0.3, 0.5])
def test_panning_zoomed_out_leaves_no_name_stale(window: Any, qtbot: Any, zoom: float) -> None:
    """Zoomed out, the names are drawn in screen coordinates (those of nodes at the edge are
    kept inside it): a pan with the middle button repaints them, it does not move old ones."""
    open_tangled(window, qtbot, zoom)
    view = window.view
    vp = view.viewport()
    start = vp.rect().center()
    qtbot.mousePress(vp, Qt.MiddleButton, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(vp, start + QPoint(37 * step, 23 * step))
        repaint(view)
        assert_nothing_stale(window)
    qtbot.mouseRelease(vp, Qt.MiddleButton, pos=start + QPoint(185, 115))
    repaint(view)
    assert_nothing_stale(window)
