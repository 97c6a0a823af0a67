"""One short, unique name per node (graph.node_labels): the rule, its stability, its cost."""

from __future__ import annotations

import time

import pytest

import graphgui.core.labels as graph_module
from graphgui.core.expr import parse
from graphgui.core.graph import Graph, GraphError, label_nodes, node_label, node_labels


def chain(g: Graph, *ops: str) -> list[str]:
    """Unnamed nodes of ``ops`` in this order; returns their ids."""
    return [g.add_node(op).id for op in ops]


def test_a_lone_unnamed_node_is_called_by_its_op():
    g = Graph()
    x = g.add_node("input", name="x").id
    a, s = chain(g, "add", "sigmoid")
    assert node_labels(g) == {x: "x", a: "add", s: "sigmoid"}
    assert node_label(g, s) == "sigmoid"


def test_several_unnamed_nodes_of_one_op_are_numbered_in_insertion_order():
    g = Graph()
    a1, m, a2, a3 = chain(g, "add", "mul", "add", "add")
    assert node_labels(g) == {a1: "add1", m: "mul", a2: "add2", a3: "add3"}


def test_labels_skip_every_name_a_user_gave():
    g = Graph()
    a1, a2 = chain(g, "add", "add")
    mine = g.add_node("input", name="add1").id
    # add1 is the user's, so the unnamed adds count on: add2, add3.
    assert node_labels(g) == {a1: "add2", a2: "add3", mine: "add1"}
    # A user's node called "sigmoid" makes the only unnamed sigmoid "sigmoid1".
    s = g.add_node("sigmoid").id
    g.add_node("input", name="sigmoid")
    assert node_label(g, s) == "sigmoid1"
    assert len(set(node_labels(g).values())) == len(g)


def test_an_op_ending_in_a_digit_is_numbered_after_an_underscore():
    g = Graph()
    p, q = chain(g, "l2", "l2")
    assert [node_label(g, p), node_label(g, q)] == ["l2_1", "l2_2"]


def test_labels_never_use_the_internal_id():
    g = Graph()
    ids = chain(g, "add", "add", "neg")
    assert sorted(node_labels(g).values()) == ["add1", "add2", "neg"]
    assert not set(ids) & set(node_labels(g).values())


def test_labels_follow_renames_deletions_and_new_nodes():
    g = Graph()
    a1, a2 = chain(g, "add", "add")
    assert node_labels(g) == {a1: "add1", a2: "add2"}
    g.rename(a1, "q")  # a rename does not bump structure_version; the cache still notices
    assert node_labels(g) == {a1: "q", a2: "add"}
    g.rename(a1, None)
    assert node_labels(g) == {a1: "add1", a2: "add2"}
    g.remove_node(a1)
    assert node_labels(g) == {a2: "add"}
    a3 = g.add_node("add").id
    assert node_labels(g) == {a2: "add1", a3: "add2"}


def test_labels_do_not_change_on_moves_values_or_wiring():
    g = parse("f = (x + y) * (x + z)")
    before = dict(node_labels(g))
    ids = {label: nid for nid, label in before.items()}
    g.move(ids["add1"], (500.0, 500.0))
    g.set_value(ids["x"], 3.0)
    g.disconnect(ids["f"], 0)
    g.connect(ids["add1"], ids["f"], 0)
    assert dict(node_labels(g)) == before


def test_labels_are_cached_until_the_graph_changes(monkeypatch):
    calls = []
    real = graph_module.label_nodes

    def counting(nodes):
        calls.append(1)
        return real(nodes)

    monkeypatch.setattr(graph_module, "label_nodes", counting)
    g = parse("f = sigmoid(x + y)")
    first = node_labels(g)
    for node in g:
        node_label(g, node.id)
    assert node_labels(g) is first and len(calls) == 1
    g.move(g.find("f").id, (1.0, 2.0))  # not a naming edit
    assert node_labels(g) is first
    g.rename(g.find("f").id, "out")
    assert node_labels(g) is not first and len(calls) == 2
    assert first[g.find("out").id] == "f"  # an old mapping stays a consistent snapshot


def test_the_mapping_is_read_only_and_unknown_ids_are_refused():
    g = parse("f = x * 2")
    with pytest.raises(TypeError):
        node_labels(g)["n1"] = "mine"  # type: ignore[index]
    with pytest.raises(GraphError, match="no node with id 'nope'"):
        node_label(g, "nope")


def test_label_nodes_works_on_any_sequence_of_nodes():
    g = Graph()
    a, b = chain(g, "add", "add")
    assert label_nodes([g.node(b)]) == {b: "add"}
    assert label_nodes([g.node(b), g.node(a)]) == {b: "add1", a: "add2"}


def test_labelling_5000_nodes_is_linear_and_lookups_are_cached():
    g = Graph()
    prev = g.add_node("input", name="x").id
    for k in range(5000):
        node = g.add_node("add" if k % 2 else "mul")
        g.connect(prev, node.id, 0)
        prev = node.id
    start = time.perf_counter()
    labels = node_labels(g)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for node in g:
        node_label(g, node.id)
    lookups = time.perf_counter() - start
    assert labels[prev] == "add2500" and len(set(labels.values())) == len(g)
    # Generous bounds (a quiet machine takes about 3 ms and 2 ms): a quadratic rule or a
    # recount per lookup would take seconds.
    assert first < 0.5 and lookups < 0.5
