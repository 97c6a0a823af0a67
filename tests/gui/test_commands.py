"""Undo/redo exactness of the document's commands, including a random-edit property test."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gui_helpers import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPointF

from graphgui.core.expr import parse
from graphgui.core.graph import Graph, GraphError
from graphgui.gui.canvas import GraphScene
from graphgui.gui.document import Document


def scene_matches(scene: GraphScene, graph: Graph) -> bool:
    """The scene shows exactly the graph: same nodes at the same places, same wires."""
    if set(scene.node_items) != {n.id for n in graph}:
        return False
    if set(scene.wire_items) != {(e.dst, e.port) for e in graph.edges}:
        return False
    for e in graph.edges:
        wire = scene.wire_items[(e.dst, e.port)]
        if wire.src.node_id != e.src:
            return False
    return all(scene.node_items[n.id].pos() == QPointF(*n.pos) for n in graph)


def undo_all(doc: Document) -> None:
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()


def redo_all(doc: Document) -> None:
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()


def test_delete_then_undo_restores_exactly(qapp: Any) -> None:
    graph = parse("h = tanh(W @ x + b)\nL = mse(h, t)")
    doc = Document(graph)
    scene = GraphScene()
    scene.set_document(doc)
    ids = {n.name: n.id for n in graph if n.name}
    graph.set_value(ids["W"], [[0.5, -0.25], [1.5, 2.0]])
    graph.set_output(ids["h"])
    before = canonical(graph)
    order = [n.id for n in graph]
    doc.delete([ids["h"], ids["W"]])
    assert ids["h"] not in graph and ids["W"] not in graph
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Delete 2 nodes"
    doc.undo_stack.undo()
    assert canonical(graph) == before
    assert np.array_equal(graph.node(ids["W"]).value, [[0.5, -0.25], [1.5, 2.0]])
    assert graph.chosen_output == ids["h"]
    assert sorted(n.id for n in graph) == sorted(order)
    assert scene_matches(scene, graph)


def test_undo_delete_keeps_the_automatic_output(qapp: Any) -> None:
    # Two separate results; the automatic output is the last-added one (g). Deleting f and
    # undoing must not make f (re-added last) the output.
    graph = parse("f = x * 2\ng = y + 1")
    doc = Document(graph)
    f, g = graph.find("f").id, graph.find("g").id
    assert graph.chosen_output is not None  # parse picks one; clear it for this test
    graph.set_output(None)
    assert graph.output == g
    doc.delete([f])
    doc.undo_stack.undo()
    assert graph.output == g
    assert f in graph


def test_connect_replacing_a_wire_undoes_to_the_old_wire(qapp: Any) -> None:
    graph = parse("f = x * y\nw = 5")
    doc = Document(graph)
    ids = {n.name: n.id for n in graph if n.name}
    doc.connect(ids["w"], ids["f"], 1)
    assert doc.undo_stack.undoText() == "Replace wire into f.b"
    doc.undo_stack.undo()
    assert graph.input_ids(ids["f"]) == [ids["x"], ids["y"]]


def test_refused_edits_push_nothing(qapp: Any) -> None:
    graph = parse("q = x + y\nf = q * z")
    doc = Document(graph)
    ids = {n.name: n.id for n in graph if n.name}
    with pytest.raises(GraphError, match="cycle"):
        doc.connect(ids["f"], ids["q"], 0)
    with pytest.raises(GraphError, match="already used"):
        doc.rename(ids["q"], "x")
    with pytest.raises(GraphError, match="not a valid name"):
        doc.rename(ids["q"], "2q")
    with pytest.raises(GraphError, match="holds no value"):
        doc.set_value(ids["q"], 1.0)
    with pytest.raises(GraphError):
        doc.set_value(ids["x"], "abc")
    with pytest.raises(GraphError, match="unknown op"):
        doc.add_node("sigmod", (0, 0))
    assert doc.undo_stack.count() == 0


def test_undo_texts_name_unnamed_nodes_as_the_canvas_does(qapp: Any) -> None:
    """Unnamed nodes are called by their op ("mul", as the canvas titles them), never by
    their internal id ("mul n5")."""
    import re

    doc = Document()
    stack = doc.undo_stack
    x = doc.add_node("input", (0, 0), name="x", value=2.0)
    m = doc.add_node("mul", (150, 0))
    s = doc.add_node("sigmoid", (300, 0))
    lr = doc.add_node("leaky_relu", (450, 0))
    c = doc.add_node("input", (0, 100), value=1.0)
    doc.connect(x, m, 0)
    doc.connect(m, s, 0)
    doc.connect(c, m, 1)
    doc.connect(x, m, 1)  # replaces the wire from c
    doc.disconnect(s, 0)
    doc.move_nodes({m: (160.0, 10.0)})
    doc.set_value(c, 3.0)
    doc.set_param(lr, "alpha", 0.2)
    doc.set_op(c, "parameter")
    doc.set_output(m)
    doc.rename(m, "q")
    doc.rename(m, None)
    doc.delete([s])
    texts = [stack.text(k) for k in range(stack.count())]
    assert texts == [
        "Add x", "Add mul", "Add sigmoid", "Add leaky_relu", "Add input",
        "Connect x to mul.a", "Connect mul to sigmoid.x", "Connect input to mul.b",
        "Replace wire into mul.b", "Delete wire into sigmoid.x", "Move mul",
        "Set value of input", "Set alpha of leaky_relu", "Make input a parameter",
        "Set output to mul", "Rename mul to q", "Rename q to (none)", "Delete sigmoid",
    ]
    assert not any(re.search(r"\bn\d+\b", t) for t in texts)
    # Refusals name the node the same way.
    with pytest.raises(GraphError) as refused:
        doc.set_value(m, 1.0)
    assert str(refused.value).startswith("mul is computed by mul")


def test_modified_follows_the_clean_state(qapp: Any) -> None:
    doc = Document()
    seen = []
    doc.modified_changed.connect(seen.append)
    doc.add_node("input", (0, 0), name="x")
    assert doc.modified
    doc.set_clean()
    assert not doc.modified
    doc.undo_stack.undo()
    assert doc.modified and seen == [True, False, True]


OPS = ["input", "parameter", "constant", "add", "mul", "sub", "tanh", "sigmoid", "exp",
       "leaky_relu", "sum", "pow"]


def random_edit(doc: Document, data: Any) -> None:
    g = doc.graph
    ids = [n.id for n in g]
    kind = data.draw(st.sampled_from(
        ["add", "add", "connect", "connect", "disconnect", "delete", "move", "rename",
         "value", "param", "output", "insert"]
    ))
    if kind == "add" or not ids:
        op = data.draw(st.sampled_from(OPS))
        pos = (data.draw(st.integers(-500, 500)), data.draw(st.integers(-500, 500)))
        value = data.draw(st.floats(-5, 5)) if op in ("input", "parameter", "constant") else None
        doc.add_node(op, pos, value=value)
        return
    pick = lambda: data.draw(st.sampled_from(ids))  # noqa: E731
    try:
        if kind == "connect":
            dst = pick()
            arity = g.node(dst).spec.arity
            if arity:
                doc.connect(pick(), dst, data.draw(st.integers(0, arity - 1)))
        elif kind == "disconnect" and g.edges:
            e = data.draw(st.sampled_from(g.edges))
            doc.disconnect(e.dst, e.port)
        elif kind == "delete":
            chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            wires = [(e.dst, e.port) for e in g.edges[:1]] if data.draw(st.booleans()) else []
            doc.delete(chosen, wires)
        elif kind == "move":
            chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3))
            d = data.draw(st.integers(1, 100))
            doc.move_nodes({i: (g.node(i).pos[0] + d, g.node(i).pos[1] - d) for i in chosen})
        elif kind == "rename":
            doc.rename(pick(), data.draw(st.sampled_from(["a", "b", "c", "", "zz"])))
        elif kind == "value":
            sources = [i for i in ids if g.node(i).is_source]
            if sources:
                value = data.draw(st.one_of(
                    st.floats(-3, 3), st.lists(st.floats(-3, 3), min_size=1, max_size=3)
                ))
                doc.set_value(data.draw(st.sampled_from(sources)), value)
        elif kind == "param":
            with_params = [i for i in ids if g.node(i).op in ("leaky_relu", "sum")]
            if with_params:
                nid = data.draw(st.sampled_from(with_params))
                if g.node(nid).op == "leaky_relu":
                    doc.set_param(nid, "alpha", data.draw(st.floats(0, 1)))
                else:
                    doc.set_param(nid, "axis", data.draw(st.sampled_from([None, 0, -1])))
        elif kind == "output":
            doc.set_output(data.draw(st.one_of(st.none(), st.sampled_from(ids))))
        elif kind == "insert":
            doc.insert_graph(parse("f = x * y + 1"), (300, 0), take_output=data.draw(
                st.booleans()))
    except GraphError:
        pass  # a refused edit pushes nothing; that is part of what is tested


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_undo_and_redo_exactly(qapp: Any, data: Any) -> None:
    graph = parse("q = x + y\nf = q * z")
    graph.set_output(None)
    doc = Document(graph)
    scene = GraphScene()
    scene.set_document(doc)
    original = canonical(graph)
    steps = data.draw(st.integers(1, 14))
    for _ in range(steps):
        random_edit(doc, data)
    final = canonical(graph)
    assert scene_matches(scene, graph)
    undo_all(doc)
    assert canonical(graph) == original
    assert scene_matches(scene, graph)
    redo_all(doc)
    assert canonical(graph) == final
    assert scene_matches(scene, graph)
    scene.set_graph(None)
