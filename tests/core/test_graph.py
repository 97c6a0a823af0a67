"""The graph model: edits, the events they announce, and the edits it refuses (with why)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graphgui.core.graph import Edge, Graph, GraphError

EVENTS = ("node_added", "node_removed", "edge_added", "edge_removed", "node_changed",
          "output_changed", "changed")


class Recorder:
    """Subscribes to every event of a graph and keeps (event, args) in order."""

    def __init__(self, graph: Graph) -> None:
        self.log: list[tuple] = []
        for name in EVENTS:
            getattr(graph, name).subscribe(lambda *args, _n=name: self.log.append((_n, *args)))

    def names(self) -> list[str]:
        return [entry[0] for entry in self.log]

    def clear(self) -> None:
        self.log.clear()


def chain() -> tuple[Graph, dict[str, str]]:
    """f = (x + y) * z, the notebook example."""
    g = Graph("chain")
    x = g.add_node("input", name="x", value=-2.0)
    y = g.add_node("input", name="y", value=5.0)
    z = g.add_node("input", name="z", value=-4.0)
    q = g.add_node("add", name="q")
    f = g.add_node("mul", name="f")
    g.connect(x.id, q.id, 0)
    g.connect(y.id, q.id, "b")
    g.connect(q.id, f.id, "a")
    g.connect(z.id, f.id, 1)
    return g, {n.name: n.id for n in g.nodes}


# ---- nodes -------------------------------------------------------------------------------------


def test_add_node_fills_defaults_and_announces_it():
    g = Graph()
    rec = Recorder(g)
    node = g.add_node("leaky_relu", pos=(3, 4))
    assert node.params == {"alpha": 0.01}
    assert node.pos == (3.0, 4.0)
    assert node.value is None and not node.is_source
    assert node.title == f"leaky_relu {node.id}"
    assert rec.log == [("node_added", node), ("changed",)]
    src = g.add_node("parameter", name="w", value=[1, 2])
    assert isinstance(src.value, np.ndarray) and src.value.dtype == np.float64
    assert g.add_node("constant").value == 0.0
    assert g.add_node("linear").op == "identity"  # aliases resolve to the canonical name
    assert g.node(node.id) is node and g.lookup("w") is src and g.find("w") is src
    assert g.find("nobody") is None
    assert len(g) == 4 and node.id in g


def test_ids_are_unique_and_chosen_ids_are_kept():
    g = Graph()
    a = g.add_node("input")
    b = g.add_node("input", node_id="n2")
    c = g.add_node("input")
    assert len({a.id, b.id, c.id}) == 3
    with pytest.raises(GraphError, match="node id 'n2' is already used"):
        g.add_node("input", node_id="n2")


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        ({"op": "nope"}, "unknown op 'nope'"),
        ({"op": "relu", "params": {"alpha": 1}}, "has no parameter 'alpha'"),
        ({"op": "leaky_relu", "params": {"alpha": "big"}}, "must be a number"),
        ({"op": "relu", "value": 1.0}, "only input, constant and parameter nodes hold a value"),
        ({"op": "input", "value": "abc"}, "expected a number"),
        ({"op": "input", "value": [[1, 2], [3]]}, "not a rectangular array"),
        ({"op": "input", "name": "2x"}, "'2x' is not a valid name"),
        ({"op": "input", "name": "for"}, "'for' is not a valid name"),
        ({"op": "input", "name": "a b"}, "is not a valid name"),
        ({"op": "input", "name": "__x"}, "is not a valid name"),
        ({"op": "input", "name": "x" * 65}, "is not a valid name"),
    ],
)
def test_add_node_refusals_say_why(kwargs, reason):
    g = Graph()
    rec = Recorder(g)
    op = kwargs.pop("op")
    with pytest.raises(GraphError, match=reason):
        g.add_node(op, **kwargs)
    assert len(g) == 0 and rec.log == []
    assert g.structure_version == 0


def test_duplicate_names_are_refused_and_unique_name_finds_a_free_one():
    g = Graph()
    g.add_node("input", name="x")
    with pytest.raises(GraphError, match="the name 'x' is already used by another node"):
        g.add_node("input", name="x")
    assert g.unique_name("x") == "x_2"
    g.add_node("input", name="x_2")
    assert g.unique_name("x") == "x_3"
    assert g.unique_name("y") == "y"


def test_rename():
    g, ids = chain()
    rec = Recorder(g)
    v = g.structure_version
    g.rename(ids["q"], "s")
    assert g.node(ids["q"]).name == "s"
    assert rec.log == [("node_changed", g.node(ids["q"]), "name"), ("changed",)]
    assert g.structure_version == v  # renaming changes nothing the engine compiles
    rec.clear()
    g.rename(ids["q"], "s")  # no change, no event
    assert rec.log == []
    with pytest.raises(GraphError, match="'x' is already used"):
        g.rename(ids["q"], "x")
    with pytest.raises(GraphError, match="not a valid name"):
        g.rename(ids["q"], "1st")
    g.rename(ids["q"], None)
    assert g.node(ids["q"]).title == f"add {ids['q']}"
    g.rename(ids["x"], "x")  # its own name is free for itself


def test_set_value_only_on_sources():
    g, ids = chain()
    rec = Recorder(g)
    g.set_value(ids["x"], [1, 2, 3])
    node = g.node(ids["x"])
    np.testing.assert_array_equal(node.value, [1.0, 2.0, 3.0])
    assert rec.log == [("node_changed", node, "value"), ("changed",)]
    rec.clear()
    g.set_value(ids["x"], np.array([1.0, 2.0, 3.0]))  # equal value: no event
    assert rec.log == []
    with pytest.raises(GraphError, match="q is computed by add; it holds no value"):
        g.set_value(ids["q"], 1.0)
    with pytest.raises(GraphError, match="x: expected a number"):
        g.set_value(ids["x"], {"a": 1})


def test_set_param_validates_and_bumps_the_structure_version():
    g = Graph()
    n = g.add_node("leaky_relu")
    rec = Recorder(g)
    v = g.structure_version
    g.set_param(n.id, "alpha", 0.2)
    assert n.params == {"alpha": 0.2}
    assert rec.log == [("node_changed", n, "params"), ("changed",)]
    assert g.structure_version == v + 1
    with pytest.raises(GraphError, match="^leaky_relu: parameter 'alpha' must be a number"):
        g.set_param(n.id, "alpha", "x")
    with pytest.raises(GraphError, match="has no parameter 'beta'"):
        g.set_param(n.id, "beta", 1.0)
    assert n.params == {"alpha": 0.2}


def test_set_op_switches_source_kinds_only():
    g, ids = chain()
    rec = Recorder(g)
    g.set_op(ids["x"], "parameter")
    assert g.node(ids["x"]).op == "parameter"
    assert rec.log == [("node_changed", g.node(ids["x"]), "op"), ("changed",)]
    with pytest.raises(GraphError, match="only input, constant and parameter nodes can change"):
        g.set_op(ids["q"], "input")
    with pytest.raises(GraphError, match="only input, constant and parameter nodes can change"):
        g.set_op(ids["x"], "relu")


def test_move_announces_pos_but_keeps_structure():
    g, ids = chain()
    rec = Recorder(g)
    v = g.structure_version
    g.move(ids["x"], (10, 20))
    assert g.node(ids["x"]).pos == (10.0, 20.0)
    assert rec.log == [("node_changed", g.node(ids["x"]), "pos"), ("changed",)]
    assert g.structure_version == v
    rec.clear()
    g.move(ids["x"], (10.0, 20.0))
    assert rec.log == []


# ---- wires -------------------------------------------------------------------------------------


def test_connect_and_disconnect_events():
    g = Graph()
    a = g.add_node("input")
    n = g.add_node("neg")
    rec = Recorder(g)
    v = g.structure_version
    edge = g.connect(a.id, n.id, "x")
    assert edge == Edge(a.id, n.id, 0)
    assert rec.log == [("edge_added", edge), ("changed",)]
    assert g.structure_version == v + 1
    assert g.input_ids(n.id) == [a.id]
    assert g.consumers(a.id) == [edge]
    assert g.edges == [edge]
    rec.clear()
    assert g.disconnect(n.id, 0) == edge
    assert rec.log == [("edge_removed", edge), ("changed",)]
    assert g.structure_version == v + 2
    assert g.input_ids(n.id) == [None] and g.edges == []
    with pytest.raises(GraphError, match="^input 0 of neg is not connected"):
        g.disconnect(n.id, 0)


def test_connect_refusals_say_why():
    g, ids = chain()
    other = g.add_node("input", name="w")
    rec = Recorder(g)
    v = g.structure_version

    def refused(src, dst, port, reason):
        with pytest.raises(GraphError, match=reason):
            g.connect(src, dst, port)

    refused(ids["f"], ids["q"], 0, "connecting f to q would make a cycle")
    refused(ids["f"], ids["x"], 0, "x has no input 0")
    refused(ids["q"], ids["q"], 0, "cannot connect q to itself")
    refused(other.id, ids["q"], 0, "input 'a' of q is already connected")
    refused(other.id, ids["q"], "b", "input 'b' of q is already connected")
    refused(other.id, ids["q"], 2, "q has no input 2")
    refused(other.id, ids["q"], -1, "q has no input -1")
    refused(other.id, ids["q"], "c", "q has no input 'c'")
    refused("ghost", ids["q"], 0, "both ends must be nodes of this graph")
    assert rec.log == [] and g.structure_version == v
    # check_connect answers the same questions without raising; occupied inputs are its
    # caller's business (the GUI replaces the wire).
    assert "cycle" in g.check_connect(ids["f"], ids["q"], 1)
    assert g.check_connect(other.id, ids["q"], 0) is None
    assert g.check_connect(ids["q"], ids["q"], 0) == "cannot connect q to itself"


def test_remove_node_returns_its_wires_and_announces_them_first():
    g, ids = chain()
    rec = Recorder(g)
    removed = g.remove_node(ids["q"])
    assert set(removed) == {
        Edge(ids["x"], ids["q"], 0), Edge(ids["y"], ids["q"], 1), Edge(ids["q"], ids["f"], 0)
    }
    names = rec.names()
    assert names == ["edge_removed"] * 3 + ["node_removed", "changed"]
    assert {entry[1] for entry in rec.log[:3]} == set(removed)
    assert rec.log[3][1].id == ids["q"]
    assert ids["q"] not in g
    assert g.input_ids(ids["f"]) == [None, ids["z"]]
    assert g.consumers(ids["x"]) == []
    with pytest.raises(GraphError, match="no node with id"):
        g.remove_node(ids["q"])
    # Undo = add the node back with its id and replay the wires.
    g.add_node("add", name="q", node_id=ids["q"])
    for e in removed:
        g.connect(e.src, e.dst, e.port)
    assert len(g.edges) == 4


def test_removing_the_chosen_output_resets_it():
    g, ids = chain()
    g.set_output(ids["q"])
    rec = Recorder(g)
    g.remove_node(ids["q"])
    assert ("output_changed", None) in rec.log
    assert g.chosen_output is None
    assert g.output == ids["f"]


# ---- output and order --------------------------------------------------------------------------


def test_output_is_automatic_until_chosen():
    g = Graph()
    assert g.output is None
    x = g.add_node("input")
    assert g.output == x.id  # only sources: the last sink
    a = g.add_node("neg")
    b = g.add_node("exp")
    assert g.output == b.id  # the last-added non-source sink
    g.connect(x.id, a.id, 0)
    g.connect(a.id, b.id, 0)
    assert g.output == b.id
    c = g.add_node("sin")
    assert g.output == b.id  # c is not wired yet: it does not take the output
    g.connect(b.id, c.id, 0)
    assert g.output == c.id
    rec = Recorder(g)
    v = g.structure_version
    g.set_output(a.id)
    assert g.output == a.id and g.chosen_output == a.id
    assert rec.log == [("output_changed", a.id), ("changed",)]
    assert g.structure_version == v + 1
    rec.clear()
    g.set_output(a.id)
    assert rec.log == []
    g.set_output(None)
    assert g.output == c.id and g.chosen_output is None
    with pytest.raises(GraphError, match="no node with id 'zz'"):
        g.set_output("zz")


def test_topological_order_puts_inputs_first_and_keeps_insertion_order_for_ties():
    g = Graph()
    f = g.add_node("mul", name="f")
    q = g.add_node("add", name="q")
    x = g.add_node("input", name="x")
    y = g.add_node("input", name="y")
    z = g.add_node("input", name="z")
    g.connect(q.id, f.id, 0)
    g.connect(z.id, f.id, 1)
    g.connect(x.id, q.id, 0)
    g.connect(y.id, q.id, 1)
    order = g.topological_order()
    pos = {nid: k for k, nid in enumerate(order)}
    assert sorted(order) == sorted(n.id for n in g.nodes)
    for e in g.edges:
        assert pos[e.src] < pos[e.dst]
    # In waves (sources, then q, then f), each wave in insertion order: z was mentioned as
    # an input of f before x and y were wired, yet comes after them.
    assert order == [x.id, y.id, z.id, q.id, f.id]
    assert g.ancestors(f.id) == {f.id, q.id, x.id, y.id, z.id}
    assert g.ancestors(q.id) == {q.id, x.id, y.id}
    assert g.descendants(x.id) == {x.id, q.id, f.id}
    assert g.topological_order([q.id, x.id]) == [x.id, q.id]


def test_topological_order_with_a_node_used_twice_and_a_corrupt_cycle():
    g = Graph()
    x = g.add_node("input", name="x")
    sq = g.add_node("mul", name="sq")
    g.connect(x.id, sq.id, 0)
    g.connect(x.id, sq.id, 1)
    assert g.topological_order() == [x.id, sq.id]
    # A cycle can only come from a corrupt build (connect refuses it); it is named, not hung on.
    n = g.add_node("neg", name="n")
    g.connect(sq.id, n.id, 0)
    g.disconnect(sq.id, 0)
    bad = Edge(n.id, sq.id, 0)
    g._in[(sq.id, 0)] = bad
    g._out.setdefault(n.id, set()).add(bad)
    with pytest.raises(GraphError, match="the graph has a cycle through"):
        g.topological_order()


def test_structure_version_bumps_on_structural_edits_only():
    g = Graph()
    versions = [g.structure_version]

    def bumped() -> bool:
        versions.append(g.structure_version)
        return versions[-1] > versions[-2]

    a = g.add_node("input", name="a")
    assert bumped()
    b = g.add_node("neg")
    assert bumped()
    g.connect(a.id, b.id, 0)
    assert bumped()
    g.set_value(a.id, 3.0)
    assert not bumped()  # values are read at run time, not compiled in
    g.rename(a.id, "aa")
    assert not bumped()
    g.move(a.id, (1, 1))
    assert not bumped()
    g.set_op(a.id, "parameter")
    assert bumped()
    g.set_output(b.id)
    assert bumped()
    g.disconnect(b.id, 0)
    assert bumped()
    g.remove_node(b.id)
    assert bumped()


def test_handlers_can_unsubscribe_while_being_called():
    g = Graph()
    calls = []

    def once(node):
        calls.append(node.id)
        g.node_added.unsubscribe(once)

    g.node_added.subscribe(once)
    g.add_node("input")
    g.add_node("input")
    assert len(calls) == 1 and len(g.node_added) == 0


# ---- name index, re-insertion, validation ---------------------------------------------------


def test_find_follows_add_rename_and_remove():
    g = Graph()
    a = g.add_node("input", name="a")
    assert g.find("a") is a
    g.rename(a.id, "b")
    assert g.find("a") is None and g.find("b") is a
    assert g.unique_name("b") == "b_2" and g.unique_name("a") == "a"
    g.rename(a.id, None)
    assert g.find("b") is None
    g.rename(a.id, "c")
    g.remove_node(a.id)
    assert g.find("c") is None
    g.add_node("input", name="c")  # the name is free again


def test_add_node_at_index_restores_insertion_order_and_automatic_output():
    g = Graph()
    x = g.add_node("input", name="x")
    f = g.add_node("neg", name="f")
    h = g.add_node("exp", name="h")
    g.connect(x.id, f.id, 0)
    g.connect(x.id, h.id, 0)
    assert g.output == h.id  # the last-added node that feeds nothing
    index = g.node_index(f.id)
    g.remove_node(f.id)
    g.add_node("neg", name="f", node_id=f.id, index=index)
    assert [n.id for n in g] == [x.id, f.id, h.id]
    assert g.output == h.id
    assert g.find("f").id == f.id


@pytest.mark.parametrize("bad_id", ["has space", "", "x" * 65, "semi;colon"])
def test_node_ids_are_checked(bad_id):
    with pytest.raises(GraphError, match="not a valid node id"):
        Graph().add_node("input", node_id=bad_id)


@pytest.mark.parametrize("pos", [(math.nan, 0.0), (0.0, math.inf), ("a", 1)])
def test_positions_must_be_finite_numbers(pos):
    g = Graph()
    n = g.add_node("input", name="x")
    with pytest.raises(GraphError, match="position"):
        g.move(n.id, pos)
    with pytest.raises(GraphError, match="position"):
        g.add_node("input", pos=pos)


@pytest.mark.parametrize("alpha", [math.nan, math.inf, 10**400])
def test_float_params_must_be_finite(alpha):
    g = Graph()
    with pytest.raises(GraphError, match="finite number"):
        g.add_node("leaky_relu", params={"alpha": alpha})
    n = g.add_node("leaky_relu")
    with pytest.raises(GraphError, match="finite number"):
        g.set_param(n.id, "alpha", alpha)


@pytest.mark.parametrize("value", [True, [1.0, False], 10**400])
def test_values_refuse_booleans_and_overflow(value):
    g = Graph()
    with pytest.raises(GraphError):
        g.add_node("input", value=value)


def test_connecting_is_linear_when_wired_from_the_output_end():
    # A chain wired from its end first: each cycle check must stop early, not walk the chain.
    g = Graph()
    ids = [g.add_node("input").id] + [g.add_node("neg").id for _ in range(3000)]
    for a, b in reversed(list(zip(ids, ids[1:], strict=False))):
        g.connect(a, b, 0)
    assert g.topological_order() == ids


def test_a_new_unwired_node_does_not_take_the_automatic_output():
    g = Graph()
    x = g.add_node("input", name="x")
    f = g.add_node("neg", name="f")
    g.connect(x.id, f.id, 0)
    new = g.add_node("exp")  # dropped on the canvas, not wired yet
    assert g.output == f.id
    g.connect(f.id, new.id, 0)
    assert g.output == new.id  # once wired it is the end of the graph
