"""Expression programs -> graphs: values checked against arithmetic done here, by hand or
with NumPy, never by the parser under test."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graphgui.core.engine import evaluate
from graphgui.core.expr import MAX_NODES, ExprError, parse
from graphgui.core.graph import Graph


def by_name(graph: Graph, mapping: dict[str, object]) -> dict[str, object]:
    """Re-key an id -> value dict by node name (unnamed nodes dropped)."""
    out = {}
    for node_id, value in mapping.items():
        name = graph.node(node_id).name
        if name is not None:
            out[name] = value
    return out


def run(source: str, output: str | None = None, **values: object):
    graph = parse(source, output=output)
    ev = evaluate(graph, overrides=values)
    assert ev.ok, (ev.errors, ev.nonfinite)
    return graph, ev, ev.values[ev.output], by_name(graph, ev.grads)


# ---- the notebook examples ------------------------------------------------------------------


def test_chain_rule_example_values_and_gradients():
    graph, ev, f, grads = run("f = (x + y) * z", x=-2, y=5, z=-4)
    # By hand: q = x + y = 3, f = q z = -12; df/dx = df/dy = z = -4, df/dz = q = 3.
    assert f == -12.0
    assert grads["x"] == -4.0 and grads["y"] == -4.0 and grads["z"] == 3.0
    assert graph.node(ev.output).name == "f"
    assert sorted(n.op for n in graph.nodes) == ["add", "input", "input", "input", "mul"]
    assert graph.find("x").value == 0.0  # no value given: inputs start at 0


def test_multi_line_and_semicolons_with_initial_values():
    source = "x = -2; y = 5; z = -4\nq = x + y\nf = q * z\n"
    graph, ev, f, grads = run(source)
    assert f == -12.0
    assert graph.find("q").op == "add" and graph.node(ev.output).name == "f"
    for name, value in {"x": -2.0, "y": 5.0, "z": -4.0}.items():
        node = graph.find(name)
        assert node.op == "input" and node.value == value
    assert grads["q"] == -4.0 and grads["z"] == 3.0


def test_sigmoid_neuron():
    source = "w0 = 2; x0 = -1; w1 = -3; x1 = -2; w2 = -3\nf = sigmoid(w0*x0 + w1*x1 + w2)"
    graph, ev, f, grads = run(source)
    # z = 2*-1 + -3*-2 + -3 = 1; f = 1 / (1 + e^-1); df/dz = f (1 - f).
    s = 1 / (1 + math.exp(-1.0))
    assert f == pytest.approx(s, rel=1e-15)
    dz = s * (1 - s)
    assert grads["w0"] == pytest.approx(dz * -1) and grads["x0"] == pytest.approx(dz * 2)
    assert grads["w1"] == pytest.approx(dz * -2) and grads["x1"] == pytest.approx(dz * -3)
    assert grads["w2"] == pytest.approx(dz)
    assert f == pytest.approx(0.7310585786300049)  # the notebook's printed value


def test_log_of_squares():
    graph, ev, f, grads = run("f = log(x**2 + y**2 + 1)", x=2, y=1)
    # f = ln 6; df/dx = 2x / 6, df/dy = 2y / 6.
    assert f == pytest.approx(math.log(6.0), rel=1e-15)
    assert grads["x"] == pytest.approx(4 / 6) and grads["y"] == pytest.approx(2 / 6)
    constants = sorted(n.value for n in graph.nodes if n.op == "constant")
    assert constants == [1.0, 2.0, 2.0]  # one constant per literal, all unnamed
    assert all(n.name is None for n in graph.nodes if n.op == "constant")


# ---- assignments --------------------------------------------------------------------------


def test_augmented_assignment_renames_older_nodes():
    source = "a = x * 2\na += 3\na *= y\na -= 1\na /= 4"
    graph, ev, f, grads = run(source, x=1.5, y=-2)
    # ((1.5*2 + 3) * -2 - 1) / 4 = (-12 - 1) / 4
    assert f == -13 / 4
    assert graph.node(ev.output).name == "a" and graph.node(ev.output).op == "div"
    assert [graph.find(n).op for n in ("a_1", "a_2", "a_3", "a_4")] == ["mul", "add", "mul", "sub"]
    # d/dx = 2 y / 4 = -1; d/dy = (2x + 3) / 4 = 1.5
    assert grads["x"] == -1.0 and grads["y"] == 1.5


def test_reassignment_of_an_unassigned_name_and_identity():
    graph, ev, f, grads = run("a = a + 1\nb = a\nb = b * b", a_1=3)
    # the input a was renamed a_1 when a became the add node
    assert graph.find("a_1").op == "input" and graph.find("a").op == "add"
    assert graph.find("b_1").op == "identity"  # b = a (a bare name) is its own node
    assert f == 16.0 and grads["a_1"] == 8.0


def test_generated_names_avoid_names_the_program_uses_later():
    graph = parse("a = x\na = a * 2\na_1 = y + 1\nf = a + a_1")
    names = sorted(n.name for n in graph.nodes if n.name)
    assert len(names) == len(set(names))
    assert graph.find("a_1").op == "add"  # the user's a_1 keeps its name
    ev = evaluate(graph, overrides={"x": 5, "y": 1})
    assert ev.values[ev.output] == 5 * 2 + (1 + 1)


def test_value_assigned_after_use_is_refused():
    with pytest.raises(ExprError) as info:
        parse("f = x * 2\nx = 3")
    assert (info.value.line, info.value.col) == (2, 1)
    assert "already used as an input on line 1" in str(info.value)


def test_params_constants_and_list_values():
    source = (
        "W = [[0.5, 0.3], [0.2, 0.8]]\nv = const([1, -2])\nb = param(0.25)\n"
        "f = sum(W @ v) + b"
    )
    graph, ev, f, grads = run(source)
    assert graph.find("W").op == "input" and graph.find("v").op == "constant"
    assert graph.find("b").op == "parameter" and graph.find("b").value == 0.25
    W = np.array([[0.5, 0.3], [0.2, 0.8]])
    v = np.array([1.0, -2.0])
    assert f == pytest.approx(float(np.sum(W @ v)) + 0.25)
    # d sum(W v) / dW_ij = v_j for every row
    np.testing.assert_allclose(grads["W"], np.array([[1.0, -2.0], [1.0, -2.0]]))
    assert "v" not in grads  # constants get no gradient
    assert grads["b"] == 1.0


def test_matmul_of_matrices():
    A = [[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]]
    B = [[2.0, -1.0], [0.5, 1.0], [1.0, 4.0]]
    graph, ev, f, grads = run("f = mean(A @ B)", A=A, B=B)
    a, b = np.array(A), np.array(B)
    assert f == pytest.approx(float(np.mean(a @ b)))
    upstream = np.full((2, 2), 0.25)
    np.testing.assert_allclose(grads["A"], upstream @ b.T)
    np.testing.assert_allclose(grads["B"], a.T @ upstream)


@pytest.mark.parametrize(
    "source", ["f = leaky_relu(x, 0.1)", "f = leaky_relu(x, alpha=0.1)"]
)
def test_op_parameters_positional_or_keyword(source):
    graph, ev, f, grads = run(source, x=-3)
    assert graph.node(ev.output).params == {"alpha": 0.1}
    assert f == pytest.approx(-0.3) and grads["x"] == pytest.approx(0.1)
    _, _, f, grads = run(source, x=2)
    assert f == 2.0 and grads["x"] == 1.0


def test_mean_sum_reshape_with_parameters():
    x = [[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]]
    _, _, f, grads = run("f = mean(x)", x=x)
    assert f == pytest.approx(22 / 6)
    np.testing.assert_allclose(grads["x"], np.full((2, 3), 1 / 6))
    graph, ev, _, _ = run("s = sum(x, axis=0)", x=x)
    np.testing.assert_allclose(ev.values[ev.output], [5.0, 7.0, 10.0])
    graph, ev, _, _ = run("r = reshape(x, (3, -1))", x=x)
    assert ev.values[ev.output].shape == (3, 2)
    graph, ev, _, _ = run("m = mean(x, axis=-1); t = sum(x, axis=None)", x=x, output="m")
    np.testing.assert_allclose(ev.values[ev.output], [2.0, 16 / 3])


def test_pi_and_e_are_constants():
    graph, ev, f, grads = run("f = 2 * pi * r", r=1.5)
    assert f == pytest.approx(3 * math.pi, rel=1e-15) and grads["r"] == pytest.approx(2 * math.pi)
    _, _, f, grads = run("f = e ** x", x=1)
    assert f == pytest.approx(math.e) and grads["x"] == pytest.approx(math.e)
    graph = parse("r = pi")  # a value written out: an input holding pi
    assert graph.find("r").op == "input" and graph.find("r").value == math.pi


@pytest.mark.parametrize(
    ("source", "x", "expected"),
    [
        ("f = -x**2", 3.0, -9.0),  # -(x**2), as in Python
        ("f = (-x)**2", 3.0, 9.0),
        ("f = -2**2 + x", 0.0, -4.0),
        ("f = 2**3**2 + x", 0.0, 512.0),  # right-associative
        ("f = x - 1 - 2", 10.0, 7.0),  # left-associative
        ("f = x / 2 / 4", 16.0, 2.0),
        ("f = x * -2", 3.0, -6.0),
        ("f = x ** -1", 4.0, 0.25),
        ("f = +x - -x", 1.5, 3.0),
        ("f = 1e-3 * x + 2.5e2", 1000.0, 251.0),
    ],
)
def test_precedence_matches_python(source, x, expected):
    _, _, f, _ = run(source, x=x)
    assert f == expected


def test_minus_x_squared_gradient():
    _, _, f, grads = run("f = -x**2", x=3)
    assert grads["x"] == -6.0  # d/dx -(x^2) = -2x


def test_negative_literal_is_one_constant():
    graph = parse("f = x * -2")
    assert sorted(n.op for n in graph.nodes) == ["constant", "input", "mul"]
    assert [n.value for n in graph.nodes if n.op == "constant"] == [-2.0]


def test_aliases_and_op_names_as_variables():
    graph, ev, f, _ = run("sum = x + y\nf = linear(sum) * step(sum)", x=1, y=2)
    assert graph.find("sum").op == "add"
    assert f == 3.0  # identity(3) * heaviside(3)
    graph = parse("f = sigmoid + 1")  # not called: just an input named sigmoid
    assert graph.find("sigmoid").op == "input"


def test_comments_and_blank_lines():
    graph, ev, f, _ = run("# the chain rule\n\nq = x + y  # forward\n\nf = q * z\n", x=1, y=2, z=3)
    assert f == 9.0


# ---- choosing the output ------------------------------------------------------------------


def test_output_is_last_assigned_computed_name():
    graph = parse("f = x * 2\nk = 5")  # a trailing value assignment does not steal it
    assert graph.node(graph.output).name == "f"
    assert graph.chosen_output == graph.output


def test_output_argument():
    graph = parse("q = x + y; f = q * z", output="q")
    assert graph.node(graph.output).name == "q"
    with pytest.raises(ExprError, match="output 'qq' is not a name in the program"):
        parse("q = x + y; f = q * z", output="qq")


def test_bare_expression_is_the_output_named_f():
    graph, ev, f, grads = run("(x+y)*z", x=-2, y=5, z=-4)
    assert graph.node(ev.output).name == "f" and f == -12.0
    graph = parse("q = x + y; f = q * z; q")  # a bare name picks an existing output
    assert graph.node(graph.output).name == "q"
    assert len(graph) == 5
    graph = parse("f * 2")  # f is an input here, so the output is named f_1
    assert graph.node(graph.output).name == "f_1" and graph.find("f").op == "input"


def test_graph_is_laid_out_left_to_right():
    graph = parse("f = sigmoid(w0*x0 + w1*x1 + w2)", title="neuron")
    assert graph.title == "neuron"
    for edge in graph.edges:
        assert graph.node(edge.src).pos[0] < graph.node(edge.dst).pos[0]
    assert len({n.pos for n in graph.nodes}) == len(graph)


# ---- refusals -----------------------------------------------------------------------------

REFUSED = [
    # (source, line, col, text quoted, words in the message)
    ("f = x.y", 1, 5, "x.y", "attribute access"),
    ("f = x\ng = x.__class__", 2, 5, "x.__class__", "attribute access"),
    ("f = x[0]", 1, 5, "x[0]", "subscripts"),
    ("import os", 1, 1, "import os", "'import' statements are not allowed"),
    ("f = 1\nfrom os import path", 2, 1, "from os import path", "'import'"),
    ("f = lambda x: x", 1, 5, "lambda x: x", "lambdas"),
    ("f = [i for i in x]", 1, 5, "[i for i in x]", "comprehensions"),
    ("f = 'abc'", 1, 5, "'abc'", "strings"),
    ("f = f'{x}'", 1, 5, "f'{x}'", "f-strings"),
    ("f = __import__('os')", 1, 5, "__import__", "names starting with __"),
    ("__x = 1", 1, 1, "__x", "names starting with __"),
    ("f = sigmoid(x, foo=1)", 1, 16, "foo=1", "sigmoid has no parameter 'foo'"),
    ("f = sigmoid(*x)", 1, 13, "*x", "starred"),
    ("f = sum(x, **k)", 1, 12, "**k", "** arguments"),
    ("f = (y := x)", 1, 6, "y := x", "walrus"),
    ("f = x < y", 1, 5, "x < y", "comparisons"),
    ("f = x and y", 1, 5, "x and y", "boolean operators"),
    ("f = x if y else z", 1, 5, "x if y else z", "if-expressions"),
    ("f = open(x)", 1, 5, "open(x)", "unknown function 'open'"),
    ("q = 1\nf = sigmod(z)", 2, 5, "sigmod(z)", "unknown function 'sigmod'"),
    ("f = x(2)", 1, 5, "x(2)", "unknown function 'x'"),
    ("f = (lambda: 1)()", 1, 6, "lambda: 1", "only registered ops can be called"),
    ("f = add(x)", 1, 5, "add(x)", "add takes 2 inputs (a, b), got 1"),
    ("f = sigmoid(x, y)", 1, 5, "sigmoid(x, y)", "sigmoid takes 1 input (x), got 2"),
    ("f = leaky_relu(x, 0.1, 0.2)", 1, 5, "leaky_relu(x, 0.1, 0.2)", "at most 1 parameter"),
    ("f = sigmoid(x=z)", 1, 13, "x=z", "give input 'x' of sigmoid by position"),
    ("f = leaky_relu(x, y)", 1, 19, "y", "parameter 'alpha' of leaky_relu must be written"),
    ("f = leaky_relu(x, (1, 2))", 1, 19, "(1, 2)", "'alpha' must be a number"),
    ("f = sum(x, axis=0.5)", 1, 17, "0.5", "'axis' must be an axis"),
    ("f = reshape(x, (2.5, 3))", 1, 16, "(2.5, 3)", "'shape' must be a list of sizes"),
    ("f = sum(x, axis=1, axis=2)", 1, 20, "axis=2", "given twice"),
    ("f = leaky_relu(x, 0.1, alpha=0.2)", 1, 24, "alpha=0.2", "given twice"),
    ("f = input(3)", 1, 5, "input(3)", "'input' is a source and cannot be called"),
    ("f = constant(3)", 1, 5, "constant(3)", "write c = const(3)"),
    ("f = parameter(3)", 1, 5, "parameter(3)", "write c = param(3)"),
    ("f = param(x)", 1, 11, "x", "param needs a number or list written out"),
    ("f = const()", 1, 5, "const()", "const takes one value"),
    ("f = x // y", 1, 5, "x // y", "operator '//' is not supported"),
    ("f = x % 2", 1, 5, "x % 2", "operator '%'"),
    ("f = not x", 1, 5, "not x", "operator 'not'"),
    ("f = ~x", 1, 5, "~x", "operator '~'"),
    ("f //= 2", 1, 1, "f //= 2", "operator '//='"),
    ("f = x\ng = (x +", 2, 5, "g = (x +", "'(' was never closed"),
    ("f = x +", 1, 8, "f = x +", "invalid syntax"),
    ("f = x\n  g = y", 2, 2, "g = y", "unexpected indent"),
    ("a = b = x", 1, 1, "a = b = x", "assign one name per statement"),
    ("a, b = x, y", 1, 1, "a, b", "assign one name per statement"),
    ("x[0] = 1", 1, 1, "x[0]", "assign to a plain name"),
    ("x: int = 3", 1, 1, "x: int = 3", "'annotated assignment' statements"),
    ("async def g(): pass", 1, 1, "async def g(): pass", "'async def' statements"),
    ("for i in x: pass", 1, 1, "for i in x: pass", "'for' statements"),
    ("f = 1j", 1, 5, "1j", "complex numbers"),
    ("f = True", 1, 5, "True", "True is not a number"),
    ("f = None", 1, 5, "None", "None is not a number"),
    ("f = 1e999", 1, 5, "1e999", "number is too large"),
    ("f = {1: 2}", 1, 5, "{1: 2}", "dictionaries"),
    ("f = (x, y)", 1, 5, "(x, y)", "tuples are only for shape parameters"),
    ("f = [x, y]", 1, 5, "[x, y]", "lists may hold only numbers"),
    ("x = []", 1, 5, "[]", "at least one number"),
    ("x = [[1, 2], [3]]", 1, 5, "[[1, 2], [3]]", "not a rectangular array"),
    ("f = \u03b1 + 1", 1, 5, "\u03b1", "not a valid name"),
    ("f = zz(\u03b1)", 1, 5, "zz(\u03b1)", "unknown function 'zz'"),
    ("f = x; 3 + 4; g = 1", 1, 8, "3 + 4", "must be the last statement"),
    ("f = x ; pass", 1, 9, "pass", "'pass' statements"),
]


@pytest.mark.parametrize(("source", "line", "col", "text", "words"), REFUSED)
def test_refused_programs_name_line_col_and_problem(source, line, col, text, words):
    with pytest.raises(ExprError) as info:
        parse(source)
    exc = info.value
    message = str(exc)
    assert "\n" not in message
    assert (exc.line, exc.col) == (line, col), message
    assert exc.text == text
    assert message.startswith(f"line {line}, col {col}: ")
    assert words in message
    assert f'"{text}"' in message
    assert isinstance(exc, ValueError)


def test_unknown_function_message_suggests_the_op():
    with pytest.raises(ExprError) as info:
        parse("z = x\nf = sigmod(z)")
    assert str(info.value) == (
        'line 2, col 5: unknown function \'sigmod\' in "sigmod(z)" (did you mean sigmoid?)'
    )


def test_long_offending_text_is_shortened():
    with pytest.raises(ExprError) as info:
        parse("f = " + "x." + "y" * 200)
    assert len(str(info.value)) < 120 and info.value.text.endswith("...")


def test_columns_count_characters_not_bytes():
    with pytest.raises(ExprError) as info:
        parse("f = x + 1 # \u00e9\u00e9\u00e9\ng = y\nh = \u00e9 + a.b")
    assert (info.value.line, info.value.col) == (3, 5)  # the non-ASCII name comes first


def test_empty_program_and_non_text():
    for source in ("", "  \n# only a comment\n"):
        with pytest.raises(ExprError, match="the program is empty"):
            parse(source)
    with pytest.raises(ExprError, match="must be text"):
        parse(b"f = x")  # type: ignore[arg-type]
    with pytest.raises(ExprError, match="null byte"):
        parse("f = x\x00")


# ---- bounds -------------------------------------------------------------------------------


def refused_quickly(source: str, words: str) -> ExprError:
    start = time.perf_counter()
    with pytest.raises(ExprError) as info:
        parse(source)
    assert time.perf_counter() - start < 2.0
    assert words in str(info.value)
    assert "\n" not in str(info.value)
    return info.value


def test_huge_source_is_refused():
    refused_quickly("f = x\n" + "# padding\n" * 20_000, "longer than 100 kB")
    refused_quickly("f = x  # " + "\u00e9" * 60_000, "longer than 100 kB")  # counted in bytes


def test_too_many_statements():
    exc = refused_quickly(";".join(["a=1"] * 5001), "more than 5000 statements")
    assert exc.line == 1 and exc.col == 5001 * 4 - 3


def test_too_many_nodes():
    line = "a = a" + " + x" * 800
    exc = refused_quickly("\n".join([line] * 30), f"more than {MAX_NODES} nodes")
    assert exc.line is not None and exc.line > 20


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("f = " + "-" * 150 + "x", "nested more than 100 levels"),
        ("f = " + "sin(" * 150 + "x" + ")" * 150, "nested more than 100 levels"),
        ("x = " + "[" * 150 + "1" + "]" * 150, "nested more than 100 levels"),
        ("f = " + "x + (" * 150 + "x" + ")" * 150, "nested more than 100 levels"),
        ("f = " + "(" * 300 + "x" + ")" * 300, "too many nested parentheses"),
        ("f = " + "-" * 60_000 + "x", "too long or too deeply nested"),
        ("f = " + "+".join(["x"] * 20_000), "too long or too deeply nested"),
        ("f = " + "**".join(["x"] * 20_000), "too long or too deeply nested"),
        ("f = " + "9" * 5000, "number literal is too long"),
    ],
)
def test_deep_nesting_is_refused_quickly(source, words):
    refused_quickly(source, words)


def test_nesting_at_the_limit_and_long_flat_sums_are_fine():
    graph = parse("f = " + "sin(" * 99 + "x" + ")" * 99)
    assert len(graph) == 100
    graph = parse("f = " + " + ".join(f"x{i % 7}" for i in range(1500)))
    assert len(graph) == 7 + 1499
    ev = evaluate(graph, overrides={f"x{i}": float(i) for i in range(7)})
    assert ev.values[ev.output] == float(sum(i % 7 for i in range(1500)))


def test_huge_exponent_builds_without_evaluating():
    start = time.perf_counter()
    graph = parse("f = 2 ** 10**10 * x")
    assert time.perf_counter() - start < 1.0
    assert sorted(n.op for n in graph.nodes).count("pow") == 2
    assert math.isinf(evaluate(graph, overrides={"x": 1}).values[graph.output])


# ---- properties ---------------------------------------------------------------------------

VALUES = {"x": 1.5, "y": -2.0, "z": 0.25}

# Python precedence: + - (1, left), * / (2, left), unary - (3), ** (4, right; binds
# tighter than a unary minus on its left).
PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4, "atom": 5}


def leaves():
    names = st.sampled_from(sorted(VALUES)).map(lambda n: (n, VALUES[n], PREC["atom"]))
    numbers = st.sampled_from(["0", "1", "2", "3", "0.5", "2.5", "10"]).map(
        lambda t: (t, float(t), PREC["atom"])
    )
    return names | numbers


def wrap(text: str, paren: bool) -> str:
    return f"({text})" if paren else text


@st.composite
def combine(draw, children):
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "neg", "paren"]))
    if kind == "neg":
        text, value, prec = draw(children)
        return "-" + wrap(text, prec < PREC["neg"]), -value, PREC["neg"]
    if kind == "paren":
        text, value, _ = draw(children)
        return f"({text})", value, PREC["atom"]
    if kind == "**":
        text, value, prec = draw(children)
        exponent = draw(st.sampled_from([2, 3]))
        assume(abs(value) < 1e30)
        # (a ** b) ** c and (-a) ** c need parentheses; a ** 2 ** 3 would mean a ** 8.
        return f"{wrap(text, prec <= PREC['**'])} ** {exponent}", value**exponent, PREC["**"]
    (lt, lv, lp), (rt, rv, rp) = draw(children), draw(children)
    p = PREC[kind]
    text = f"{wrap(lt, lp < p)} {kind} {wrap(rt, rp <= p)}"
    if kind == "+":
        value = lv + rv
    elif kind == "-":
        value = lv - rv
    elif kind == "*":
        value = lv * rv
    else:
        assume(rv != 0)
        value = lv / rv
    return text, value, p


EXPRESSIONS = st.recursive(leaves(), combine, max_leaves=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_random_arithmetic_matches_python_arithmetic(expr):
    text, expected, _ = expr
    assume(math.isfinite(expected) and abs(expected) < 1e100)
    graph = parse(f"f = {text}")
    used = {n: v for n, v in VALUES.items() if graph.find(n) is not None}
    ev = evaluate(graph, overrides=used)
    assert ev.values[ev.output] == pytest.approx(expected, rel=1e-12, abs=1e-12), text


PIECES = st.sampled_from(
    ["x", "y", " ", "+", "-", "*", "**", "/", "@", "(", ")", "[", "]", ",", "=", ";", "\n",
     "1", "2.5", "e", "pi", "f", "sigmoid", "sum", "axis", "param", "const", ".", "'",
     "\u03b1", ":", "#", "lambda", "if", "\\", "\t", "\x00", "1e999", "_"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=25).map("".join))
def test_any_text_gives_a_graph_or_a_one_line_expr_error(source):
    try:
        graph = parse(source)
    except ExprError as exc:
        assert "\n" not in str(exc)
        assert exc.line is None or (exc.line >= 1 and exc.col >= 1)
        return
    assert graph.output is not None
    names = [n.name for n in graph.nodes if n.name is not None]
    assert len(names) == len(set(names))


# ---- the user documentation stays true --------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "expression-language.md"


def doc_blocks() -> list[str]:
    return re.findall(r"```graphgui\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_every_documented_example_parses():
    blocks = doc_blocks()
    assert len(blocks) >= 6
    for block in blocks:
        parse(block)
    graph = parse(blocks[4])  # the small network evaluates
    ev = evaluate(graph)
    assert ev.ok and graph.node(ev.output).name == "loss"
    assert graph.find("W1").op == "parameter" and graph.find("x").op == "input"
    # h = relu(W1 x + b1) = relu([0.5 + 0.6, 0.2 + 1.6 + 0.1]) = [1.1, 1.9]; t = [0.5, 0]
    assert ev.values[ev.output] == pytest.approx((0.6**2 + 1.9**2) / 2)


def test_documented_renaming_example():
    graph = parse("a = x * 2\na = a + 1\na *= y")
    ops = {n.name: n.op for n in graph.nodes if n.name}
    assert ops == {"x": "input", "y": "input", "a_1": "mul", "a_2": "add", "a": "mul"}
    assert graph.input_ids(graph.find("a_2").id)[0] == graph.find("a_1").id


def test_power_and_matmul_augmented_assignments():
    graph, ev, f, _ = run("a = x\na **= 3\nb = [[1, 2], [3, 4]]\nb @= [1, 1]\nf = a * sum(b)", x=2)
    assert f == 8.0 * (3 + 7)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("f = x ^ 2", 'line 1, col 5: operator \'^\' is not supported in "x ^ 2"; '
                      "write x ** 2 for a power"),
        ("f = 2x", 'line 1, col 5: a number runs into a name in "f = 2x"; '
                   "write 2 * x for a product"),
        ("f = max(x, 0)", 'line 1, col 5: unknown function \'max\' in "max(x, 0)"; '
                          "relu(x) is max(x, 0)"),
    ],
)
def test_common_slips_get_a_hint(source, message):
    with pytest.raises(ExprError) as caught:
        parse(source)
    assert str(caught.value) == message


def test_ln_is_the_natural_log():
    from graphgui.core.engine import evaluate

    graph = parse("x = 2; f = ln(x)")
    assert evaluate(graph).values[graph.find("f").id] == pytest.approx(0.6931471805599453)
