"""Functions in the expression language: ``def`` blocks, calls as function instances, and
the expression program writing them back. Expected numbers come from the same program
written without ``def`` (hand-inlined, evaluated by the engine), from arithmetic done here
and from central finite differences (check_gradients), never from the code under test."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphgui.cli import main as cli
from graphgui.core.codegen import export_code, program_names
from graphgui.core.engine import evaluate
from graphgui.core.expr import ExprError, parse
from graphgui.core.functions.grouping import apply_plan, plan_group
from graphgui.core.functions.instances import expansion_definition, instance_graph
from graphgui.core.gradcheck import check_gradients
from graphgui.core.graph import Graph

NEURON = "def neuron(x, w, b):\n    z = w * x + b\n    return sigmoid(z)\n"
DENSE = (
    "def dense(x):\n"
    "    w = param(0.5)\n"
    "    b = param(0.1)\n"
    "    return tanh(w * x + b)\n"
)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def named(graph: Graph, mapping: dict) -> dict:
    return {graph.node(k).name: v for k, v in mapping.items() if graph.node(k).name}


def run(graph: Graph):
    ev = evaluate(graph)
    assert ev.ok, (ev.errors, ev.nonfinite)
    return ev, named(graph, ev.values), named(graph, ev.grads)


def assert_same_numbers(with_def: str, inlined: str) -> Graph:
    """The program with def evaluates as the hand-inlined one: output, every value and every
    gradient of a name both have; and its gradients pass the finite-difference check."""
    g, plain = parse(with_def), parse(inlined)
    ev_g, values_g, grads_g = run(g)
    ev_p, values_p, grads_p = run(plain)
    np.testing.assert_allclose(ev_g.values[ev_g.output], ev_p.values[ev_p.output], rtol=1e-12)
    shared = set(values_g) & set(values_p)
    assert shared, "the two programs share no names"
    for name in shared:
        np.testing.assert_allclose(values_g[name], values_p[name], rtol=1e-12, err_msg=name)
    for name in set(grads_g) & set(grads_p):
        np.testing.assert_allclose(grads_g[name], grads_p[name], rtol=1e-12, atol=1e-15,
                                   err_msg=name)
    results = check_gradients(g)
    assert results and all(r.passed for r in results), [(r.name, r.rel_error) for r in results]
    return g


# ---- defs and calls -------------------------------------------------------------------------


def test_the_issue_example_is_one_instance_of_neuron():
    g = parse(
        "def neuron(x, w, b):\n    return sigmoid(w * x + b)\n"
        "x = 2; w = param(3); b = param(1)\nh = neuron(x, w, b)\n"
    )
    definition = g.function("neuron")
    assert definition.inputs == ("x", "w", "b") and definition.outputs == ("out",)
    assert definition.signature == "neuron(x, w, b)"
    (group,) = g.groups
    assert (group.function, group.name, group.collapsed) == ("neuron", "h", True)
    members = {g.node(n).op for n in g.group_members(group.id)}
    assert members == {"mul", "add", "sigmoid"} and len(g.group_members(group.id)) == 3
    h = g.find("h")
    assert h.op == "sigmoid" and h.group == group.id and g.output == h.id
    assert group.outputs[0].node == h.id
    for item in group.inputs:  # each input's ports are fed by the argument of that name
        for nid, port in item.targets:
            assert g.input_ids(nid)[port] == g.find(item.name).id
    ev, values, grads = run(g)
    s = sigmoid(3 * 2 + 1)  # by hand: h = sigmoid(7), dh/dz = s (1 - s)
    assert values["h"] == pytest.approx(s, rel=1e-14)
    assert grads["w"] == pytest.approx(s * (1 - s) * 2, rel=1e-12)
    assert grads["x"] == pytest.approx(s * (1 - s) * 3, rel=1e-12)
    assert grads["b"] == pytest.approx(s * (1 - s), rel=1e-12)
    assert_same_numbers(
        "def neuron(x, w, b):\n    return sigmoid(w * x + b)\n"
        "x = 2; w = param(3); b = param(1)\nh = neuron(x, w, b)\n",
        "x = 2; w = param(3); b = param(1)\nh = sigmoid(w * x + b)\n",
    )


def test_two_calls_are_two_instances_whose_names_never_clash():
    g = assert_same_numbers(
        NEURON + "x1 = 0.5; w1 = param(-1.5); w2 = param(2.0); b = param(0.25)\n"
        "h1 = neuron(x1, w1, b)\nh2 = neuron(h1, w2, b)\nf = h1 * h2\n",
        "x1 = 0.5; w1 = param(-1.5); w2 = param(2.0); b = param(0.25)\n"
        "h1_z = w1 * x1 + b\nh1 = sigmoid(h1_z)\nh2_z = w2 * h1 + b\nh2 = sigmoid(h2_z)\n"
        "f = h1 * h2\n",
    )
    assert [grp.name for grp in g.groups] == ["h1", "h2"]
    assert {g.node(n).name for n in g.group_members(g.groups[0].id)} == {"h1", "h1_z", None}
    assert g.find("h2_z").group == g.groups[1].id
    z1 = -1.5 * 0.5 + 0.25
    z2 = 2.0 * sigmoid(z1) + 0.25
    assert run(g)[1]["f"] == pytest.approx(sigmoid(z1) * sigmoid(z2), rel=1e-14)


def test_instances_are_named_as_instance_graph_names_them():
    g = parse(NEURON + "h1 = neuron(x, w, b)\n")
    palette = instance_graph(g.function("neuron"), "h1")
    assert sorted(map(str, (n.name for n in palette))) == sorted(
        str(g.node(n).name) for n in g.group_members(g.groups[0].id))
    assert palette.groups[0].input_names == g.groups[0].input_names
    assert palette.groups[0].output_names == g.groups[0].output_names


def test_parameters_made_inside_a_def_are_copied_for_each_call():
    g = assert_same_numbers(
        DENSE + "x = 1.5\nl1 = dense(x)\nl2 = dense(l1)\n",
        "x = 1.5\nl1_w = param(0.5); l1_b = param(0.1); l1 = tanh(l1_w * x + l1_b)\n"
        "l2_w = param(0.5); l2_b = param(0.1); l2 = tanh(l2_w * l1 + l2_b)\n",
    )
    params = sorted(n.name for n in g if n.op == "parameter")
    assert params == ["l1_b", "l1_w", "l2_b", "l2_w"]
    g.set_value(g.find("l1_w").id, 2.0)  # one call's weight moves, the other's does not
    assert g.find("l2_w").value == 0.5
    assert g.function("dense").body.find("w").value == 0.5
    _, values, grads = run(g)
    l1 = math.tanh(2.0 * 1.5 + 0.1)
    assert values["l2"] == pytest.approx(math.tanh(0.5 * l1 + 0.1), rel=1e-14)
    # dl2/dl1_w = (1 - l2^2) * 0.5 * (1 - l1^2) * x, by hand
    expected = (1 - values["l2"] ** 2) * 0.5 * (1 - l1**2) * 1.5
    assert grads["l1_w"] == pytest.approx(expected, rel=1e-12)


def test_a_tuple_return_gives_several_outputs_taken_by_several_names():
    g = assert_same_numbers(
        "def two(x):\n    a = x * 2\n    return a, x * 3\n"
        "def pair(x):\n    return x, x + 1\n"
        "x = 1.5\np, q = two(x)\nr, s = pair(q)\nf = p * q + r * s\n",
        "x = 1.5\np = x * 2\nq = x * 3\nr = identity(q)\ns = q + 1\nf = p * q + r * s\n",
    )
    assert g.function("two").outputs == ("a", "out2")
    assert g.function("pair").outputs == ("out1", "out2")
    first, second = g.groups
    assert (first.name, first.output_names) == ("p", ("a", "out2"))
    assert [g.node(o.node).name for o in first.outputs] == ["p", "q"]
    assert second.name == "r" and g.find("s").group == second.id
    _, values, grads = run(g)
    # by hand: f = 6 x^2 + 3x (3x + 1) = 15 x^2 + 3x; df/dx = 30 x + 3
    assert values["f"] == pytest.approx(15 * 1.5**2 + 3 * 1.5, rel=1e-14)
    assert grads["x"] == pytest.approx(30 * 1.5 + 3, rel=1e-12)


@pytest.mark.parametrize(
    ("body", "outputs", "op"),
    [
        ("    h = sigmoid(x)\n    return h\n", ("h",), "sigmoid"),
        ("    return x\n", ("out",), "identity"),
        ("    return exp(x) * 2\n", ("out",), "mul"),
        ("    out = x * 2\n    return out + 1\n", ("out",), "add"),
        ("    return 3\n", ("out",), "constant"),
        ("    w = param(0.5)\n    return w\n", ("w",), "parameter"),
    ],
)
def test_what_a_single_output_is_called(body, outputs, op):
    g = parse(f"def f(x):\n{body}y = f(x)\n")
    definition = g.function("f")
    assert definition.outputs == outputs
    assert definition.body.find(outputs[0]).op == op
    assert g.find("y").op == op and g.find("y").group == g.groups[0].id


def test_an_output_named_out_renames_the_older_local_out():
    body = parse("def f(x):\n    out = x * 2\n    return out + 1\ny = f(x)\n").function("f").body
    assert body.find("out").op == "add" and body.find("out_1").op == "mul"


def test_a_call_inside_an_expression_is_named_after_its_function():
    g = assert_same_numbers(
        NEURON + "x = 0.3; w = param(1.2); b = param(-0.4)\n"
        "f = neuron(x, w, b) * neuron(x, w, 2)\n",
        "x = 0.3; w = param(1.2); b = param(-0.4)\n"
        "neuron_1 = sigmoid(w * x + b)\nneuron_2 = sigmoid(w * x + 2)\n"
        "f = neuron_1 * neuron_2\n",
    )
    assert [grp.name for grp in g.groups] == ["neuron_1", "neuron_2"]
    assert g.find("neuron_1_z").group == g.groups[0].id
    taken = parse(NEURON + "neuron_1 = 3\nf = neuron(x, w, b) + neuron_1\n")
    assert [grp.name for grp in taken.groups] == ["neuron_2"]
    alone = parse(NEURON + "neuron(x, w, b)\n")  # a bare call on the last line: the output
    assert alone.node(alone.output).name == "neuron_1" and alone.groups[0].name == "neuron_1"


def test_calls_inside_a_def_are_inlined_into_its_body():
    g = assert_same_numbers(
        DENSE + "def layer(x, y):\n    h1 = dense(x)\n    h2 = dense(y)\n    return h1 + h2\n"
        "L = layer(0.5, -1.0)\nf = L * L\n",
        "L_h1_w = param(0.5); L_h1_b = param(0.1); L_h2_w = param(0.5); L_h2_b = param(0.1)\n"
        "L_h1 = tanh(L_h1_w * 0.5 + L_h1_b)\nL_h2 = tanh(L_h2_w * -1.0 + L_h2_b)\n"
        "L = L_h1 + L_h2\nf = L * L\n",
    )
    (group,) = g.groups  # instances do not nest: one instance, of layer
    assert group.function == "layer" and group.name == "L"
    assert {n.name for n in g if n.op == "parameter"} == {"L_h1_w", "L_h1_b", "L_h2_w",
                                                         "L_h2_b"}
    assert all(g.node(n).group == group.id for n in g.group_members(group.id))
    body = g.function("layer").body
    assert body.groups == [] and body.find("h1_w").op == "parameter"
    assert [d.name for d in g.functions] == ["dense", "layer"]
    inner = parse(DENSE + "def g(x):\n    return dense(x)\ny = g(1)\n").function("g").body
    assert {n.name for n in inner if n.name} == {"x", "out_w", "out_b", "out"}


def test_a_def_never_called_still_defines_its_function():
    g = parse("def square(x):\n    '''x times x'''\n    return x * x\nf = y + 1\n")
    assert g.groups == [] and g.function("square").doc == "x times x"
    assert g.function("square").body.find("out").op == "mul"
    only = parse("def square(x):\n    return x * x\n")  # only defs: no nodes, the function
    assert len(only) == 0 and only.function("square") is not None


def test_a_def_may_come_after_the_output_line():
    g = parse("f = x * 2\nf\ndef later(x):\n    return x\n")
    assert g.node(g.output).name == "f" and g.function("later") is not None


def test_matrices_through_a_layer_function():
    assert_same_numbers(
        "def layer(x):\n    W = param([[0.5, -0.3], [0.2, 0.8]])\n    b = param([0.1, -0.2])\n"
        "    return sigmoid(W @ x + b)\n"
        "x = [1.0, 2.0]\nt = [0.5, 0.0]\nh = layer(x)\ny = layer(h)\nloss = mse(y, t)\n",
        "x = [1.0, 2.0]\nt = [0.5, 0.0]\n"
        "h_W = param([[0.5, -0.3], [0.2, 0.8]])\nh_b = param([0.1, -0.2])\n"
        "h = sigmoid(h_W @ x + h_b)\n"
        "y_W = param([[0.5, -0.3], [0.2, 0.8]])\ny_b = param([0.1, -0.2])\n"
        "y = sigmoid(y_W @ h + y_b)\nloss = mse(y, t)\n",
    )


def test_reused_names_and_values_inside_bodies():
    assert_same_numbers(
        "def f(x, y):\n    a = x * y\n    a = a + pi\n    k = 2\n    a *= k\n"
        "    return a, log(a)\n"
        "p, q = f(1.5, e)\ns, t = f(q, 0.5)\ng = p + q + s * t\n",
        "p_a_1 = 1.5 * e\np_a_2 = p_a_1 + pi\np_k = 2\np = p_a_2 * p_k\nq = log(p)\n"
        "s_a_1 = q * 0.5\ns_a_2 = s_a_1 + pi\ns_k = 2\ns = s_a_2 * s_k\nt = log(s)\n"
        "g = p + q + s * t\n",
    )


# ---- what is refused ------------------------------------------------------------------------

TWO = "def two(x):\n    return x, x + 1\n"
REFUSED = [
    (NEURON + "h = neuron(x, w)", 4, 5, "neuron(x, w)", "neuron takes 3 inputs (x, w, b), got 2"),
    (NEURON + "h = neuron(x, w, b, 1)", 4, 5, "neuron(x, w, b, 1)", "got 4 argument(s)"),
    (NEURON + "h = neuron(x, w=1, b=2)", 4, 15, "w=1", "give the arguments of neuron by "
     "position, e.g. neuron(x, w, b)"),
    (NEURON + "h = nueron(x, w, b)", 4, 5, "nueron(x, w, b)", "(did you mean neuron?)"),
    ("h = neuron(x, w, b)\n" + NEURON, 1, 5, "neuron(x, w, b)",
     "call a function only after its def"),
    ("def f(x):\n    y = x * 2\n", 1, 1, "def f(x):", "def f has no return"),
    ("def f(x):\n    return x\n    y = 2\n", 3, 5, "y = 2", "statements after return"),
    ("def f(x):\n    return\n", 2, 5, "return", "return needs a value"),
    ("def f(x):\n    def g(y):\n        return y\n    return x\n", 2, 5, "def g(y):",
     "a def inside a def is not allowed"),
    ("def f(x):\n    return f(x)\n", 2, 12, "f(x)", "f calls itself"),
    ("def f(x):\n    return g(x)\ndef g(x):\n    return x\n", 2, 12, "g(x)",
     "a def may call only functions defined before it"),
    (NEURON + "neuron = 3", 4, 1, "neuron", "'neuron' is the name of a function (def on line 1)"),
    (NEURON + "f = neuron * 2", 4, 5, "neuron", "is the name of a function"),
    ("f = neuron + 1\n" + NEURON, 1, 5, "neuron", "(def on line 2)"),
    ("def f(neuron):\n    return neuron\n" + NEURON, 1, 7, "neuron", "the name of a function"),
    (NEURON + NEURON, 4, 1, "def neuron(x, w, b):", "already defined on line 1"),
    ("def f(x):\n    return x + q\n", 2, 16, "q",
     "'q' is neither an input of f nor assigned before this line"),
    ("def f(x):\n    return x + q\n", 2, 16, "q", "add it to the inputs: def f(x, q)"),
    ("def f(x):\n    return x + xx\n", 2, 16, "xx", "(did you mean x?)"),
    ("def f(x):\n    x = x * 2\n    return x\n", 2, 5, "x", "'x' is an input of f and cannot "
     "be assigned"),
    ("def f(x):\n    x * 2\n    return x\n", 2, 5, "x * 2", "an expression on its own"),
    ("def f(x):\n    for i in x: pass\n    return x\n", 2, 5, "for i in x: pass",
     "'for' statements"),
    ("def f(x):\n    pass\n", 2, 5, "pass", "'pass' statements"),
    ("def f(x, x):\n    return x\n", 1, 10, "x", "input 'x' of f is named twice"),
    ("def f(x=1):\n    return x\n", 1, 9, "1", "default values are not allowed"),
    ("def f(*x):\n    return x\n", 1, 8, "x", "*args and **kwargs"),
    ("def f(x, *, y):\n    return x\n", 1, 13, "y", "plain inputs only"),
    ("def f(x: int):\n    return x\n", 1, 10, "int", "annotations"),
    ("def f(x) -> int:\n    return x\n", 1, 13, "int", "annotations"),
    ("@d\ndef f(x):\n    return x\n", 1, 2, "d", "decorators"),
    ("def sigmoid(x):\n    return x\n", 1, 1, "def sigmoid(x):", "'sigmoid' is an op"),
    ("def param(x):\n    return x\n", 1, 1, "def param(x):", "a built-in name"),
    ("async def f(x):\n    return x\n", 1, 1, "async def f(x):", "'async def' statements"),
    ("return 3", 1, 1, "return 3", "only allowed as the last line of a def"),
    (TWO + "y = two(x) + 1\n", 3, 5, "two(x)", "two returns 2 values (out1, out2)"),
    (TWO + "y = two(x)\n", 3, 1, "y = two(x)", "assign them to as many names"),
    (TWO + "a, b, c = two(x)\n", 3, 1, "a, b, c", "two returns 2 values (out1, out2), not 3"),
    (TWO + "a, a = two(x)\n", 3, 4, "a", "'a' is assigned twice in one statement"),
    (TWO + "a, (b, c) = two(x)\n", 3, 4, "(b, c)", "assign to plain names"),
    (NEURON + "a, b = neuron(x, w, b)\n", 4, 1, "a, b", "neuron returns one value"),
    ("def f(x):\n    a = x * 2\n    return a, a\n", 3, 15, "a", "'a' is returned twice"),
    ("def f(x):\n    return x, *x\n", 2, 15, "*x", "starred"),
    (NEURON + "h = neuron(*x)\n", 4, 12, "*x", "starred"),
    ("def f(x):\n    return x.y\n", 2, 12, "x.y", "attribute access"),
    ("def f(x):\n    return __import__('os')\n", 2, 12, "__import__", "names starting with __"),
]


@pytest.mark.parametrize(("source", "line", "col", "text", "words"), REFUSED)
def test_refused_defs_and_calls_name_line_col_and_problem(source, line, col, text, words):
    with pytest.raises(ExprError) as info:
        parse(source)
    exc = info.value
    message = str(exc)
    assert "\n" not in message
    assert (exc.line, exc.col) == (line, col), message
    assert exc.text == text, message
    assert message.startswith(f"line {line}, col {col}: ")
    assert words in message, message


def test_a_refusal_reads_as_one_sentence():
    with pytest.raises(ExprError) as info:
        parse(NEURON + "h = neuron(x, w)")
    assert str(info.value) == (
        'line 4, col 5: neuron takes 3 inputs (x, w, b), got 2 argument(s) in "neuron(x, w)"'
    )


PIECES = st.sampled_from(
    ["def ", "f", "g", "(", ")", "x", ", ", ":", "\n", "\n    ", "return ", " = ", "+", "*",
     "1", "param(0.5)", "f(x)", "g(x, x)", "a", "a, b", "\t", "#", "sigmoid"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=20).map("".join))
def test_any_text_with_defs_gives_a_graph_or_a_one_line_expr_error(source):
    try:
        graph = parse(source)
    except ExprError as exc:
        assert "\n" not in str(exc)
        assert exc.line is None or (exc.line >= 1 and exc.col >= 1)
        return
    assert graph.output is not None or (len(graph) == 0 and graph.functions)
    names = [n.name for n in graph.nodes if n.name is not None]
    assert len(names) == len(set(names))
    for group in graph.groups:
        assert graph.function(group.function) is not None


# ---- graph -> text -> graph -----------------------------------------------------------------


def structure(graph: Graph, labelled: bool = False) -> tuple:
    """The graph up to node ids and order: each node by op, name, value, parameters, its
    instance (function and name) and, recursively, its inputs; the output; each instance
    by its function, name, collapsed state, inputs (with the ports they feed) and outputs;
    each definition by name, inputs, outputs, doc and body. ``labelled``: an unnamed node
    the program must name counts as named by its label (it is named so when read back)."""
    names = {n.id: n.name for n in graph}
    if labelled:
        names.update(program_names(graph))
    key: dict[str, str] = {}
    for nid in graph.topological_order():
        node = graph.node(nid)
        group = graph.group_of(nid)
        value = None if node.value is None else (np.shape(node.value),
                                                 np.asarray(node.value, float).tobytes())
        text = repr((node.op, names[nid], value, sorted(node.params.items()),
                     group and (group.function, group.name),
                     tuple(key[s] if s else None for s in graph.input_ids(nid))))
        key[nid] = hashlib.sha256(text.encode()).hexdigest()
    groups = Counter(
        (g.function, g.name, g.collapsed,
         tuple((i.name, tuple(sorted((key[n], p) for n, p in i.targets))) for i in g.inputs),
         tuple((o.name, key[o.node]) for o in g.outputs))
        for g in graph.groups
    )
    bodies = tuple((d.name, d.inputs, d.outputs, d.doc, body_structure(d.body))
                   for d in graph.functions)
    return Counter(key.values()), key.get(graph.output or ""), groups, bodies


def body_structure(body: Graph) -> tuple:
    key: dict[str, str] = {}
    for nid in body.topological_order():
        node = body.node(nid)
        value = None if node.value is None else (np.shape(node.value),
                                                 np.asarray(node.value, float).tobytes())
        text = repr((node.op, node.name, value, sorted(node.params.items()),
                     tuple(key[s] if s else None for s in body.input_ids(nid))))
        key[nid] = hashlib.sha256(text.encode()).hexdigest()
    return tuple(sorted(key.values()))


PROGRAMS = [
    NEURON + "x = 2; w = param(3); b = param(1)\nh = neuron(x, w, b)\n",
    NEURON + "x1 = 0.5; w = param(-1.5); b = param(0.25)\n"
    "h1 = neuron(x1, w, b)\nh2 = neuron(h1, w, 2 * b)\nf = h1 * h2 + neuron(x1, h2, b)\n",
    DENSE + "def layer(x, y):\n    '''two dense units'''\n    h1 = dense(x)\n    h2 = dense(y)\n"
    "    return h1 + h2, h1 * h2\n"
    "def unused(q):\n    return q\n"
    "x = 1\nl1 = dense(x)\ns, p = layer(l1, sin(x))\nf = s + p * dense(2)\n",
    "def two(x):\n    a = x * 2\n    return a, x * 3\np, q = two(y)\nf = p - q\n",
    "def layer(x):\n    W = param([[0.5, -0.3], [0.2, 0.8]])\n    b = param([0.1, -0.2])\n"
    "    return sigmoid(W @ x + b)\nx = [1.0, 2.0]\nh = layer(x)\nloss = mse(layer(h), x)\n",
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_a_program_with_functions_round_trips_keeping_functions_and_instances(source):
    graph = parse(source)
    text = export_code(graph, None, "expr")
    again = parse(text)
    assert structure(again) == structure(graph), text
    assert export_code(again, None, "expr") == text
    assert len(again.groups) == len(graph.groups) > 0
    a, b = evaluate(graph), evaluate(again)
    np.testing.assert_allclose(a.values[a.output], b.values[b.output], rtol=1e-15)


def random_program(rng: np.random.Generator) -> str:
    """Defs with locals, re-assignments, parameters, tuple returns and calls of earlier
    defs, then calls of them at the top level, alone and inside expressions. Every input
    of a def is used (its first output adds them all)."""

    def pick(items: list[str]) -> str:
        return items[int(rng.integers(len(items)))]

    def expression(names: list[str], depth: int = 0) -> str:
        if depth > 2 or rng.random() < 0.3:
            return pick(names + ["1.5", "pi", "param(0.3)", "const(2)"])
        op = pick(["+", "-", "*", "fn"])
        if op == "fn":
            return f"{pick(['sin', 'tanh', 'sigmoid'])}({expression(names, depth + 1)})"
        return f"({expression(names, depth + 1)} {op} {expression(names, depth + 1)})"

    lines: list[str] = []
    functions: list[tuple[str, int, int]] = []
    for k in range(int(rng.integers(1, 4))):
        params = [f"p{i}" for i in range(int(rng.integers(1, 4)))]
        local = list(params)
        lines.append(f"def f{k}({', '.join(params)}):")
        for j in range(int(rng.integers(0, 4))):
            name = pick(["a", "b", "a", f"v{j}"])
            if functions and rng.random() < 0.3:
                fn, n_in, n_out = functions[int(rng.integers(len(functions)))]
                args = ", ".join(pick(local) for _ in range(n_in))
                targets = [name] if n_out == 1 else [f"{name}{t}" for t in range(n_out)]
                lines.append(f"    {', '.join(targets)} = {fn}({args})")
                local += targets
            else:
                lines.append(f"    {name} = {expression(local)}")
                local.append(name)
        results = [f"{expression(local)} + {' + '.join(params)}"]
        if rng.random() < 0.5:
            results.append(pick(local[len(params):]) if len(local) > len(params)
                           and rng.random() < 0.5 else expression(local))
        lines.append(f"    return {', '.join(results)}")
        functions.append((f"f{k}", len(params), len(results)))
    names = ["x", "y"]
    for j in range(int(rng.integers(1, 5))):
        fn, n_in, n_out = functions[int(rng.integers(len(functions)))]
        args = ", ".join(expression(names, 2) for _ in range(n_in))
        if n_out == 1:
            inside = rng.random() < 0.4
            lines.append(f"t{j} = y * {fn}({args})" if inside else f"t{j} = {fn}({args})")
            names.append(f"t{j}")
        else:
            targets = [f"t{j}_{t}" for t in range(n_out)]
            lines.append(f"{', '.join(targets)} = {fn}({args})")
            names += targets
    lines.append("F = " + " + ".join(names[2:]))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(40))
def test_random_programs_round_trip_with_their_instances(seed):
    source = random_program(np.random.default_rng(seed))
    try:
        graph = parse(source, output="F")
    except ExprError as exc:
        pytest.fail(f"{source}\n{exc}")
    text = export_code(graph, None, "expr")
    again = parse(text)
    assert len(again.groups) == len(graph.groups), (source, text)
    assert structure(again) == structure(graph, labelled=True), (source, text)
    assert export_code(again, None, "expr") == text
    a, b = evaluate(graph), evaluate(again)
    np.testing.assert_allclose(a.values[a.output], b.values[b.output], rtol=1e-13)
    results = check_gradients(graph)
    assert all(r.passed for r in results), [(r.name, r.rel_error) for r in results]


def test_the_written_program_reads_like_its_source():
    graph = parse(NEURON + "x = 2; w = param(3); b = param(1)\nh = neuron(x, w, b)\n")
    assert export_code(graph, None, "expr") == (
        "def neuron(x, w, b):\n"
        "    z = w * x + b\n"
        "    out = sigmoid(z)\n"
        "    return out\n"
        "\n"
        "x = 2.0\n"
        "w = param(3.0)\n"
        "b = param(1.0)\n"
        "h = neuron(x, w, b)\n"
        "h\n"
    )


def test_a_trained_or_edited_instance_is_written_node_by_node():
    source = DENSE + "x = 1.5\nl1 = dense(x)\nl2 = dense(l1)\n"
    trained = parse(source)
    trained.set_value(trained.find("l1_w").id, 0.75)  # as training moves a weight
    text = export_code(trained, None, "expr")
    assert "def dense(x):" in text and "l2 = dense(l1)" in text
    assert "l1 = dense(x)" not in text and "l1_w = param(0.75)" in text
    again = parse(text)
    assert [g.name for g in again.groups] == ["l2"]
    a, b = evaluate(trained), evaluate(again)
    np.testing.assert_allclose(b.values[b.output], a.values[a.output], rtol=1e-15)
    renamed = parse(source)
    renamed.rename(renamed.find("l2_b").id, "bias")  # a name the call would not give
    assert "l2 = dense(l1)" not in export_code(renamed, None, "expr")
    tapped = parse(source + "g = l1_w * 2\n")  # an inner node used outside
    text = export_code(tapped, None, "expr")
    assert "l1 = dense(x)" not in text and "l2 = dense(l1)" in text


def test_instances_made_by_grouping_keep_their_names_and_the_def_is_written():
    g = parse("x = 2\nw = param(3)\nb = param(1)\nz = w * x + b\nh = sigmoid(z)\nf = h * h\n",
              output="f")
    inner = [g.find("z").id, g.find("h").id] + [n.id for n in g if n.op == "mul" and not n.name]
    apply_plan(g, plan_group(g, inner, "neuron"))
    text = export_code(g, None, "expr")
    assert text.startswith("def neuron(w, x, b):\n") and "h = sigmoid(z)" in text
    again = parse(text)
    assert again.function("neuron").inputs == ("w", "x", "b") and again.groups == []
    assert {n.name for n in g if n.name} <= {n.name for n in again if n.name}
    a, b = evaluate(g), evaluate(again)
    np.testing.assert_allclose(b.values[b.output], a.values[a.output], rtol=1e-15)


def test_a_palette_instance_is_written_as_a_call():
    g = parse(NEURON + "y = 1\n")
    sub = instance_graph(g.function("neuron"), "n2")
    for item, value in zip(sub.groups[0].inputs, (2.0, 3.0, 1.0), strict=True):
        src = sub.add_node("input", name=f"a_{item.name}", value=value)
        for nid, port in item.targets:
            sub.connect(src.id, nid, port)
    text = export_code(sub, None, "expr")
    assert "n2 = neuron(a_x, a_w, a_b)\n" in text
    again = parse(text)
    assert structure(again) == structure(sub)
    assert evaluate(again).values[again.output] == pytest.approx(sigmoid(7.0), rel=1e-14)


def test_a_function_the_language_cannot_name_is_noted_and_its_instance_inlined():
    sub = instance_graph(expansion_definition("sigmoid"), "s")  # named after its op
    x = sub.add_node("input", name="x", value=0.5)
    for nid, port in sub.groups[0].inputs[0].targets:
        sub.connect(x.id, nid, port)
    text = export_code(sub, None, "expr")
    assert "# function sigmoid: 'sigmoid' is the name of an op or a built-in\n" in text
    assert "def sigmoid" not in text
    again = parse(text)
    assert evaluate(again).values[again.output] == pytest.approx(sigmoid(0.5), rel=1e-14)
    clash = parse("def q(x):\n    return x\nq_ = 1\nf = q_ * 2\n")
    clash.rename(clash.find("q_").id, "q")  # a node took the function's name
    assert "# function q: a node or an input is also called 'q'" in export_code(
        clash, None, "expr")


def test_code_command_writes_the_defs(capsys):
    assert cli(["code", "--expr", NEURON + "h = neuron(x, w, b)", "--to", "expr"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def neuron(x, w, b):\n") and "h = neuron(x, w, b)\n" in out


# ---- the user documentation stays true ------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "expression-language.md"


def test_the_documented_functions_build_what_the_text_says():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Functions"):text.index("## What is refused")]
    blocks = re.findall(r"```graphgui\n(.*?)```", section, re.S)
    assert len(blocks) == 4
    graphs = [parse(block) for block in blocks]
    assert all(evaluate(g).ok for g in graphs)
    assert [g.name for g in graphs[0].groups] == ["h1", "h2"]
    assert sorted(n.name for n in graphs[1] if n.op == "parameter") == [
        "l1_b", "l1_w", "l2_b", "l2_w"]
    assert [(g.name, g.output_names) for g in graphs[2].groups] == [("lo", ("low", "high"))]
    (layer,) = graphs[3].groups
    assert layer.function == "layer" and graphs[3].find("L_h1_w").group == layer.id
    for source in (NEURON + "h = neuron(x, w)", "def f(x):\n    y = x * 2\n",
                   "def f(x):\n    return f(x)\n"):
        with pytest.raises(ExprError) as info:
            parse(source)
        assert str(info.value) in section


def test_a_one_line_def_ends_at_its_return_so_the_expression_bar_can_hold_it():
    from graphgui.core.engine import Program
    from graphgui.core.expr import parse

    g = parse("def neuron(x, w, b): y = w * x + b; return sigmoid(y); h = neuron(2, 3, 1); "
              "f = h * h")
    assert [group.name for group in g.groups] == ["h"]
    s = 1 / (1 + math.exp(-7.0))  # sigmoid(3 * 2 + 1)
    assert Program(g).evaluate().values[g.output] == pytest.approx(s * s, rel=1e-12)
    assert g.function("neuron").size == 3  # mul, add (named y), sigmoid: h is outside
