"""Semantics found on the way (issue 9): ``eval --json`` gives a gradient for every named
node (0 where the output does not depend on it), and an assignment to ``pi`` or ``e`` shadows
the constant from that line on, as in Python."""

from __future__ import annotations

import json

import numpy as np

from graphgui.cli import main


def eval_json(capsys, *argv: str) -> dict:
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_named_node_has_a_gradient_zero_where_the_output_does_not_depend_on_it(capsys):
    data = eval_json(capsys, "--expr", "q = x + y; u = x * 5; f = q * z",
                     "--set", "x=-2", "--set", "y=5", "--set", "z=-4")
    assert set(data["grads"]) == set(data["values"]) == {"x", "y", "z", "q", "u", "f"}
    assert data["grads"]["u"] == 0  # u does not reach f (PyTorch: None, zeros materialized)
    assert data["grads"] == {"x": -4, "y": -4, "z": 3, "q": -4, "u": 0, "f": 1}


def test_unreached_arrays_get_zeros_of_their_shape_and_constants_none(capsys):
    data = eval_json(capsys, "--expr", "c = const(3); d = c * 2; s = sum(w); f = d * x",
                     "--set", "w=[[1,2],[3,4]]", "--set", "x=2")
    assert data["grads"]["s"] == 0 and data["grads"]["w"] == [[0, 0], [0, 0]]
    assert data["grads"]["x"] == 6
    # A constant, and a node only constants feed, reach f but get no gradient: none is
    # computed for them (PyTorch: requires_grad=False, grad None). They are listed as null.
    assert data["grads"]["c"] is None and data["grads"]["d"] is None


def test_a_constant_exponent_does_not_turn_eval_into_a_failure(capsys):
    # d(x**2)/d2 = x**2 ln(x) is nan for x < 0; eval does not compute it (exit 0, not 1)
    assert main(["eval", "--expr", "f = x ** 2", "--set", "x=-3"]) == 0
    assert main(["eval", "--example", "network_2_2_2"]) == 0
    capsys.readouterr()


def test_the_table_shows_the_same_gradients(capsys):
    assert main(["eval", "--expr", "u = x * 5; f = x + 1"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["u"][-1] == "0" and rows["x"][-1] == "1"


def test_a_matrix_output_and_an_unused_input(capsys):
    data = eval_json(capsys, "--expr", "y = W @ v; z = v * 2", "--output", "y",
                     "--set", "W=[[1,2],[3,4]]", "--set", "v=[1,1]")
    assert np.array_equal(data["grads"]["z"], [0, 0])
    assert np.array_equal(data["grads"]["W"], [[1, 1], [1, 1]])


# ---- assigning to pi or e shadows the constant from that line on --------------------------


def values_of(source: str) -> dict:
    from graphgui.core.engine import evaluate
    from graphgui.core.expr import parse

    g = parse(source)
    result = evaluate(g)
    return {n.name: result.values[n.id] for n in g if n.name}


def test_micrograds_e_equals_c_plus_d():
    values = values_of("a = 2; b = -3; c = 10; d = a * b + c; e = c + d; f = e * 2")
    assert values["e"] == 14 and values["f"] == 28  # e is the node, not 2.718


def test_the_constant_is_used_until_the_assignment():
    import math

    values = values_of("f = e * 2; e = 3; g = e + f")
    assert values["f"] == 2 * math.e and values["e"] == 3 and values["g"] == 3 + 2 * math.e
    assert values_of("pi = 3; f = pi * 2")["f"] == 6
    assert values_of("e += 1")["e"] == math.e + 1  # e on the right is still the constant


def test_a_shadowed_name_is_a_node_everywhere_a_name_may_stand():
    from graphgui.core.expr import ExprError, parse

    assert values_of("e = 3; x = e; f = x * 2")["x"] == 3  # x = e: a node of its own
    for source, words in (
        ("e = 3; f = [e, 1]", "lists may hold only numbers"),
        ("e = 3; w = param(e)", "param needs a number or list written out"),
    ):
        try:
            parse(source)
        except ExprError as exc:
            assert words in str(exc)
        else:
            raise AssertionError(source)


def test_a_graph_may_name_nodes_pi_and_e_and_save_them(tmp_path):
    from graphgui.core import fileformat
    from graphgui.core.expr import parse

    g = parse("c = 2; e = c + 1; f = e * 2")
    text = fileformat.dumps(g)
    again = fileformat.loads(text)
    assert again.find("e").op == "add"
