"""The builders the editor's Insert Dense Layer and Reset Parameters reuse: dense layers with
an open input and a chosen number, weight detection, initializer specs from a form's fields.
Expected values are NumPy written here (the notebook's ``np.random.seed`` then ``randn``)."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.initializers import InitializerError, make_rng, spec_for
from graphgui.core.train import (
    TrainingError,
    add_layers,
    free_layer_number,
    initial_values,
    is_weight,
)


def test_a_layer_with_an_open_input_numbered_after_the_graphs_layers() -> None:
    graph = Graph()
    for name in ("W1", "Z2"):
        graph.add_node("parameter", name=name)
    k = free_layer_number(graph)
    assert k == 3
    last = add_layers(graph, None, [2, 4], None, "tanh", {"kind": "normal", "scale": 0.01},
                      make_rng(0), first=k)
    names = [n.name for n in graph.nodes][2:]
    assert names == ["W3", "b3", "WA3", "Z3", "A3"]
    assert graph.node(last).name == "A3"
    np.random.seed(0)
    np.testing.assert_array_equal(graph.find("W3").value, np.random.randn(4, 2) * 0.01)
    assert graph.find("b3").value.shape == (4, 1) and not graph.find("b3").value.any()
    assert graph.input_ids(graph.find("WA3").id) == [graph.find("W3").id, None]
    linear = add_layers(graph, last, [4, 1], None, None, "zeros", make_rng(0), first=4)
    assert graph.node(linear).name == "Z4"
    with pytest.raises(TrainingError, match="at least 1 input and 1 unit"):
        add_layers(graph, None, [0, 3], None, None, "zeros", make_rng(0))


def test_weights_are_the_parameters_a_matmul_or_mul_consumes() -> None:
    graph = parse("W = param([[1, 2]])\nx = [[1], [2]]\nb = param(0.5)\nw = param(2)\n"
                  "z = W @ x + b\nf = w * z\n")
    weights = {n.name for n in graph.nodes if n.op == "parameter" and is_weight(graph, n.id)}
    assert weights == {"W", "w"}


def test_initial_values_draw_in_graph_order_from_one_generator() -> None:
    graph = Graph()
    w1 = graph.add_node("parameter", name="W1", value=np.zeros((4, 2)))
    w2 = graph.add_node("parameter", name="W2", value=np.zeros((1, 4)))
    values = initial_values(graph, {"W2": {"kind": "normal"}, "W1": {"kind": "normal"}}, 3)
    np.random.seed(3)
    np.testing.assert_array_equal(values[w1.id], np.random.randn(4, 2) * 0.01)
    np.testing.assert_array_equal(values[w2.id], np.random.randn(1, 4) * 0.01)


def test_spec_for_keeps_what_the_kind_takes() -> None:
    assert spec_for("zeros", scale=3.0) == "zeros"
    assert spec_for("normal", scale=0.05, value=1.0) == {"kind": "normal", "scale": 0.05}
    assert spec_for("constant", scale=0.05, value=2.0) == {"kind": "constant", "value": 2.0}
    assert spec_for("he", scale=0.05) == {"kind": "he"}
    with pytest.raises(InitializerError, match="unknown kind 'box'"):
        spec_for("box")
    with pytest.raises(InitializerError, match="'scale' must be a number"):
        spec_for("normal", scale=float("nan"))
