"""The chain-rule text: short node labels, powers as the expression language writes them,
and matrix products with their numbers. Every expected string is derived by hand."""

from __future__ import annotations

import re

import pytest

from graphgui.core.engine import Program
from graphgui.core.examples import example_names, load_example
from graphgui.core.explain import explain_backward, label_program, symbol
from graphgui.core.expr import parse
from graphgui.core.graph import node_labels
from graphgui.core.ops import all_ops, get_op
from graphgui.core.stepper import Stepper


def terms(stepper: Stepper) -> list[str]:
    return [t.text for ex in stepper.backward_steps for t in ex.terms]


def all_text(stepper: Stepper) -> str:
    """Forward lines, backward steps and the whole step log."""
    lines = [line.text for line in stepper.forward_lines]
    lines += [line for ex in stepper.backward_steps for line in ex.lines]
    stepper.run_to_end()
    lines += [" ".join(row.cells) for row in stepper.log_rows()]
    return "\n".join(lines)


# ---- labels -----------------------------------------------------------------------------------


def test_unnamed_nodes_are_named_by_their_label_not_their_expression():
    # add = 1 + 2 = 3; f = sigmoid(3) = 1 / (1 + e^-3) = 0.952574; df/dadd = f (1 - f)
    # = 0.952574 * 0.047426 = 0.045177.
    stepper = Stepper(parse("x = 1; y = 2; f = sigmoid(x + y)"))
    assert [line.text for line in stepper.forward_lines] == [
        "add = x + y = 1 + 2 = 3",
        "f = 1 / (1 + exp(-add)) = 1 / (1 + exp(-3)) = 0.9526",
    ]
    f_step, add_step = stepper.backward_steps[:2]
    assert f_step.lines == [
        "f = 1 / (1 + exp(-add)): upstream df/df = 1",
        "df/dadd = df/df * df/dadd = 1 * 0.04518 = 0.04518   [df/dadd = f * (1 - f)]",
    ]
    assert add_step.lines == [
        "add = x + y: upstream df/dadd = 0.04518",
        "df/dx = df/dadd * dadd/dx = 0.04518 * 1 = 0.04518",
        "df/dy = df/dadd * dadd/dy = 0.04518 * 1 = 0.04518",
    ]
    stepper.run_to_end()
    assert [row.node for row in stepper.log_rows()] == ["f", "add", "add"]


def test_text_uses_the_graphs_labels_even_where_the_stepper_prunes():
    # a + b is add1 on the canvas; the stepper of f leaves it out but still says add2.
    graph = parse("junk = (a + b) * 2; f = (x + y) * z")
    labels = {label: nid for nid, label in node_labels(graph).items()}
    assert {"add1", "add2"} <= set(labels)
    stepper = Stepper(graph, output=labels["f"])
    assert stepper.forward_lines[0].text == "add2 = x + y = 0 + 0 = 0"
    assert symbol(stepper.program, labels["add2"]) == "add2"


def test_label_program_names_a_plain_program_as_the_graph_does():
    graph = parse("junk = (a + b) * 2; f = (x + y) * z")
    add2 = next(nid for nid, label in node_labels(graph).items() if label == "add2")
    pruned = Program(graph, output=graph.find("f").id, prune=True)
    assert symbol(pruned, add2) == "add"  # counted over its own nodes: only one add
    pruned = Program(graph, output=graph.find("f").id, prune=True)
    label_program(pruned, graph)
    assert symbol(pruned, add2) == "add2"
    text = [t.text for ex in explain_backward(pruned, pruned.forward()) for t in ex.terms]
    assert "df/dx = df/dadd2 * dadd2/dx = 0 * 1 = 0" in text


def test_unnamed_numbers_read_as_their_value_negative_ones_in_parentheses():
    stepper = Stepper(parse("x = 3; f = x * 0.5 - (-2)**x"))
    # mul = 3 * 0.5 = 1.5; pow = (-2)**3 = -8; f = 1.5 - (-8) = 9.5
    assert [line.text for line in stepper.forward_lines] == [
        "mul = x * 0.5 = 3 * 0.5 = 1.5",
        "pow = (-2)**x = (-2)**3 = -8",
        "f = mul - pow = 1.5 - (-8) = 9.5",
    ]


def test_no_text_of_any_bundled_example_shows_an_internal_id():
    for name in example_names():
        graph = load_example(name)
        ids = {node.id for node in graph}
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", all_text(Stepper(graph))))
        assert not words & ids, (name, words & ids)


# ---- powers -----------------------------------------------------------------------------------


def test_powers_are_written_with_double_stars():
    # f = x**3 at x = 2: 8, df/dx = 3 x**2 = 12.
    stepper = Stepper(parse("x = 2; f = x**3"))
    assert stepper.forward_lines[0].text == "f = x**3 = 2**3 = 8"
    assert terms(stepper) == ["df/dx = df/df * df/dx = 1 * 12 = 12   [df/dx = 3 * x**(3 - 1)]"]
    # A negative base in parentheses: (-2)**2 = 4, d/dx = 2 * (-2) = -4.
    stepper = Stepper(parse("x = -2; f = x**2"))
    assert stepper.forward_lines[0].text == "f = x**2 = (-2)**2 = 4"
    assert terms(stepper) == ["df/dx = df/df * df/dx = 1 * (-4) = -4   [df/dx = 2 * x**(2 - 1)]"]
    # d(x / y)/dy = -x / y**2 = -1 / 4 at x = 1, y = 2.
    stepper = Stepper(parse("x = 1; y = 2; f = x / y"))
    assert "df/dy = df/df * df/dy = 1 * (-0.25) = -0.25   [df/dy = -x / y**2]" in terms(stepper)
    # d tanh(x)/dx = 1 - tanh(x)**2 = 1 at x = 0.
    stepper = Stepper(parse("x = 0; f = tanh(x)"))
    assert terms(stepper) == ["df/dx = df/df * df/dx = 1 * 1 = 1   [df/dx = 1 - f**2]"]


def test_no_op_writes_a_power_with_a_caret():
    for spec in all_ops():
        for text in (spec.doc, spec.formula, *spec.derivatives):
            # x^T (the transpose) is the one caret left: matrix notation, not a power.
            assert "^" not in re.sub(r"\^T\b", "", text), (spec.name, text)


@pytest.mark.parametrize(
    ("op", "text"),
    [
        ("pow", get_op("pow").formula),
        ("pow", get_op("pow").derivatives[0]),
        ("pow", get_op("pow").derivatives[1]),
        ("div", get_op("div").derivatives[1]),
        ("tanh", get_op("tanh").derivatives[0]),
        ("mse", get_op("mse").formula),
        ("l2", get_op("l2").formula),
    ],
)
def test_formulas_with_powers_can_be_typed_back(op, text):
    graph = parse(f"result = {text}")  # the expression language accepts what we print
    assert graph.find("result") is not None, op


def test_no_text_of_any_bundled_example_shows_a_caret_power():
    for name in example_names():
        text = all_text(Stepper(load_example(name)))
        assert "^" not in re.sub(r"\^T\b", "", text), name


# ---- matrix products --------------------------------------------------------------------------


def test_matrix_times_vector_writes_the_product_with_its_numbers():
    # y = W x = [1 - 2, 3 - 4] = [-1, -1]; L = sum(y), so g = dL/dy = [1, 1].
    # dL/dW = g x^T = [[1], [1]] @ [[1, -1]] = [[1, -1], [1, -1]];
    # dL/dx = W^T g = [[1, 3], [2, 4]] @ [1, 1] = [4, 6].
    stepper = Stepper(parse("W = [[1, 2], [3, 4]]; x = [1, -1]; y = W @ x; L = sum(y)"))
    step = next(ex for ex in stepper.backward_steps if ex.heading.startswith("y = "))
    assert step.lines == [
        "y = W @ x: upstream dL/dy = [1, 1]",
        "dL/dW = g @ x^T = [[1], [1]] @ [[1, -1]] = [[1, -1], [1, -1]]   [g = dL/dy]",
        "dL/dx = W^T @ g = [[1, 3], [2, 4]] @ [1, 1] = [4, 6]   [g = dL/dy]",
    ]


def test_matrix_times_matrix_and_vector_times_matrix():
    # P = A B = [[1*3 + 2*4]] = [[11]]; g = [[1]]; dA = g B^T = [[3, 4]]; dB = A^T g = [[1], [2]].
    stepper = Stepper(parse("A = [[1, 2]]; B = [[3], [4]]; P = A @ B; L = sum(P)"))
    assert [t for t in terms(stepper) if "@" in t] == [
        "dL/dA = g @ B^T = [[1]] @ [[3, 4]] = [[3, 4]]   [g = dL/dP]",
        "dL/dB = A^T @ g = [[1], [2]] @ [[1]] = [[1], [2]]   [g = dL/dP]",
    ]
    # y = x W = [1 + 6, 2 + 8] = [7, 10]; g = [1, 1]; dx = g W^T = [1 + 2, 3 + 4] = [3, 7];
    # dW = x^T g = [[1], [2]] @ [[1, 1]] = [[1, 1], [2, 2]].
    stepper = Stepper(parse("x = [1, 2]; W = [[1, 2], [3, 4]]; y = x @ W; L = sum(y)"))
    assert [t for t in terms(stepper) if "@" in t] == [
        "dL/dx = g @ W^T = [1, 1] @ [[1, 3], [2, 4]] = [3, 7]   [g = dL/dy]",
        "dL/dW = x^T @ g = [[1], [2]] @ [[1, 1]] = [[1, 1], [2, 2]]   [g = dL/dy]",
    ]


def test_larger_operands_are_written_as_shape_and_norm():
    # g = [1, 1, 1]; dW = g x^T has rows [1, 0, 0], norm sqrt(3) = 1.732;
    # W^T (norm sqrt(1 + 4 + ... + 81) = sqrt(285) = 16.88) @ g = column sums [12, 15, 18].
    source = "W = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]; x = [1, 0, 0]; y = W @ x; L = sum(y)"
    assert [t for t in terms(Stepper(parse(source))) if "@" in t] == [
        "dL/dW = g @ x^T = [[1], [1], [1]] @ [[1, 0, 0]] = [3x3] |1.732|   [g = dL/dy]",
        "dL/dx = W^T @ g = [3x3] |16.88| @ [1, 1, 1] = [12, 15, 18]   [g = dL/dy]",
    ]
