"""The stepper: positions, chain-rule steps against hand derivations, log, update, quiz."""

from __future__ import annotations

import math

import pytest

from graphgui.core.expr import parse
from graphgui.core.stepper import Position, Stepper, StepperError, parse_answer, updates_table

CHAIN = "x = -2; y = 5; z = -4; q = x + y; f = q * z"

NETWORK = """
x1 = 0.05
x2 = 0.1
w1 = param(0.15)
w2 = param(0.2)
w3 = param(0.25)
w4 = param(0.3)
w5 = param(0.4)
w6 = param(0.45)
w7 = param(0.5)
w8 = param(0.55)
b1 = param(0.35)
b2 = param(0.35)
b3 = param(0.6)
b4 = param(0.6)
z1 = w1 * x1 + w2 * x2 + b1
z2 = w3 * x1 + w4 * x2 + b2
z3 = w5 * z1 + w6 * z2 + b3
A3 = sigmoid(z3)
z4 = w7 * z1 + w8 * z2 + b4
A4 = sigmoid(z4)
E = 0.5 * ((0.01 - A3) ** 2 + (0.99 - A4) ** 2)
"""


def network_by_hand() -> dict[str, float]:
    """dE/d(name) for the 2-2-2 network, written out with the chain rule (linear hidden layer,
    sigmoid outputs, E = 1/2 sum (t - A)^2)."""
    x1, x2 = 0.05, 0.1
    w1, w2, w3, w4, w5, w6, w7, w8 = 0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55
    b1, b2, b3, b4 = 0.35, 0.35, 0.6, 0.6
    t1, t2 = 0.01, 0.99
    z1 = w1 * x1 + w2 * x2 + b1
    z2 = w3 * x1 + w4 * x2 + b2
    z3 = w5 * z1 + w6 * z2 + b3
    z4 = w7 * z1 + w8 * z2 + b4
    a3 = 1 / (1 + math.exp(-z3))
    a4 = 1 / (1 + math.exp(-z4))
    e = 0.5 * ((t1 - a3) ** 2 + (t2 - a4) ** 2)
    d_a3, d_a4 = a3 - t1, a4 - t2  # dE/dA = -(t - A)
    d_z3, d_z4 = d_a3 * a3 * (1 - a3), d_a4 * a4 * (1 - a4)  # sigmoid' = A (1 - A)
    d_z1 = d_z3 * w5 + d_z4 * w7  # z1 feeds z3 and z4: the contributions add up
    d_z2 = d_z3 * w6 + d_z4 * w8
    return {
        "E": 1.0, "E_value": e, "A3": d_a3, "A4": d_a4, "z3": d_z3, "z4": d_z4,
        "z1": d_z1, "z2": d_z2,
        "w5": d_z3 * z1, "w6": d_z3 * z2, "b3": d_z3, "w7": d_z4 * z1, "w8": d_z4 * z2, "b4": d_z4,
        "w1": d_z1 * x1, "w2": d_z1 * x2, "b1": d_z1, "w3": d_z2 * x1, "w4": d_z2 * x2, "b2": d_z2,
        "x1": d_z1 * w1 + d_z2 * w3, "x2": d_z1 * w2 + d_z2 * w4,
    }


def test_chain_rule_example_step_by_step():
    stepper = Stepper(parse(CHAIN))
    assert stepper.current_node is None
    assert [line.text for line in stepper.forward_lines] == [
        "q = x + y = (-2) + 5 = 3",
        "f = q * z = 3 * (-4) = -12",
    ]
    names = []
    while stepper.backward_step():
        if stepper.position.backward:
            names.append(stepper.program.graph_node(stepper.current_node).name)
    assert names[0] == "f"
    assert set(names) == {"f", "q", "x", "y", "z"}
    by_node = {stepper.program.graph_node(ex.node_id).name: ex for ex in stepper.backward_steps}
    assert [t.text for t in by_node["f"].terms] == [
        "df/dq = df/df * df/dq = 1 * (-4) = -4   [df/dq = z]",
        "df/dz = df/df * df/dz = 1 * 3 = 3   [df/dz = q]",
    ]
    assert [t.text for t in by_node["q"].terms] == [
        "df/dx = df/dq * dq/dx = (-4) * 1 = -4",
        "df/dy = df/dq * dq/dy = (-4) * 1 = -4",
    ]
    assert stepper.finished
    grads = {stepper.program.graph_node(n).name: g for n, g in stepper.visible_grads().items()}
    assert grads == {"f": 1.0, "q": -4.0, "z": 3.0, "x": -4.0, "y": -4.0}


def test_network_backward_steps_match_the_hand_derived_chain_rule():
    stepper = Stepper(parse(NETWORK))
    expected = network_by_hand()
    stepper.run_to_end()
    seen = set()
    for ex in stepper.backward_steps:
        name = stepper.program.graph_node(ex.node_id).name
        step = stepper._steps[ex.node_id]
        if name in expected:
            assert step.upstream == pytest.approx(expected[name], rel=1e-12), name
            seen.add(name)
    assert seen == set(expected) - {"E_value"}
    value = stepper.visible_values()[stepper.program.output_id]
    assert value == pytest.approx(expected["E_value"], rel=1e-12)


def test_network_fan_out_shows_partial_then_summed_contributions():
    stepper = Stepper(parse(NETWORK))
    expected = network_by_hand()
    ids = {stepper.program.graph_node(n).name: n for n in stepper.program.ids}
    stepper.run_to_end()
    order = [ex.node_id for ex in stepper.backward_steps]
    # Walk back until z1 has received exactly one of its two contributions.
    stepper.reset()
    stepper.backward_step()  # completes the forward pass first
    saw_partial = False
    while stepper.backward_step():
        partial = stepper.partial_grads()
        if ids["z1"] in partial:
            total, received, needed = partial[ids["z1"]]
            if received == 1:
                saw_partial = True
                assert needed == 2
                assert total in (
                    pytest.approx(expected["z3"] * 0.4), pytest.approx(expected["z4"] * 0.5)
                )
        if stepper.current_node == ids["z1"]:
            break
    assert saw_partial
    z1_step = stepper.backward_steps[order.index(ids["z1"])]
    assert " + " in z1_step.heading  # the sum of both contributions is written out
    assert z1_step.heading.endswith(f"= {expected['z1']:.4g}")


def test_step_back_restores_the_previous_state_exactly():
    stepper = Stepper(parse(NETWORK))
    states = []

    def record():
        states.append((stepper.position, stepper.visible_values(), stepper.visible_grads(),
                       stepper.current_text(), stepper.log_rows()))

    record()
    while stepper.forward_step():
        record()
    while stepper.backward_step():
        record()
    assert stepper.finished
    assert len(states) == 1 + len(stepper.forward_lines) + len(stepper.backward_steps)
    for state in reversed(states[:-1]):
        assert stepper.step_back()
        assert stepper.position == state[0]
        assert stepper.visible_values() == state[1]
        assert stepper.visible_grads() == state[2]
        assert stepper.current_text() == state[3]
        assert stepper.log_rows() == state[4]
    assert not stepper.step_back()


def test_forward_steps_reveal_values_in_topological_order():
    stepper = Stepper(parse(CHAIN))
    q, f = (line.node_id for line in stepper.forward_lines)
    assert q not in stepper.visible_values() and stepper.pending_nodes() == {q, f}
    stepper.forward_step()
    assert stepper.visible_values()[q] == 3 and stepper.current_node == q
    assert stepper.current_edges == [(s, q) for s in stepper.program.inputs_of(q)]
    stepper.forward_step()
    assert stepper.visible_values()[f] == -12
    assert not stepper.forward_step()


def test_run_to_node_and_reset():
    stepper = Stepper(parse(CHAIN))
    x = next(n for n in stepper.program.ids if stepper.program.graph_node(n).name == "x")
    assert stepper.run_to_node(x)
    assert stepper.current_node == x and stepper.phase == "backward"
    stepper.reset()
    assert stepper.position == Position() and stepper.visible_grads() == {}


def test_log_exports_csv_and_markdown():
    stepper = Stepper(parse(CHAIN))
    stepper.run_to_end()
    csv_text = stepper.log_csv()
    assert csv_text.splitlines()[0] == (
        "step,node,gradient,local derivative,upstream,contribution,total"
    )
    assert "f,df/dq,df/dq = z = -4,df/df = 1,-4,-4" in csv_text
    md = stepper.log_markdown()
    assert md.startswith("| step | node | gradient |")
    assert "| q | df/dx | dq/dx = 1 | df/dq = -4 | -4 | -4 |" in md


def test_gradient_descent_update_matches_w_minus_alpha_grad():
    stepper = Stepper(parse(NETWORK))
    expected = network_by_hand()
    updates = {u.name: u for u in stepper.gradient_descent(0.5)}
    assert set(updates) == {f"w{k}" for k in range(1, 9)} | {f"b{k}" for k in range(1, 5)}
    assert updates["w5"].new == pytest.approx(0.4 - 0.5 * expected["w5"], rel=1e-12)
    assert updates["b1"].new == pytest.approx(0.35 - 0.5 * expected["b1"], rel=1e-12)


def test_update_targets_inputs_when_there_are_no_parameters():
    # Notebook 000's update table: x, y, z updated with alpha = 0.1.
    updates = Stepper(parse(CHAIN)).gradient_descent(0.1)
    assert {u.name: u.new for u in updates} == pytest.approx({"x": -1.6, "y": 5.4, "z": -4.3})
    table = updates_table(updates, 0.1)
    assert "| z | -4 | 3 | -4 - 0.1 * (3) = -4.3 | -4.3 |" in table


def test_quiz_accepts_right_and_refuses_wrong_answers():
    stepper = Stepper(parse(CHAIN))
    stepper.backward_step()  # forward pass done; next step is f
    first, second = stepper.quiz_terms()
    right = stepper.check_answer(first, local=-4, total=-4)
    assert right.correct and right.local_correct and right.total_correct
    wrong = stepper.check_answer(first, local=-4, total=4)
    assert not wrong.correct and wrong.total_correct is False
    assert "df/dq" in wrong.working and "= -4" in wrong.working
    assert stepper.check_answer(second, total=3.0004).correct  # rounding is fine
    assert not stepper.check_answer(second, total="three").correct


@pytest.mark.parametrize(("text", "value"), [("3", 3.0), (" -0.25 ", -0.25), ("1/4", 0.25),
                                             ("[1, 2]", None)])
def test_parse_answer(text, value):
    result = parse_answer(text)
    if value is None:
        assert list(result) == [1.0, 2.0]
    else:
        assert result == value


@pytest.mark.parametrize("text", ["", "abc", "1/0", "[1, 'a']"])
def test_parse_answer_refuses_non_numbers(text):
    with pytest.raises(ValueError):
        parse_answer(text)


def test_a_graph_that_fails_cannot_be_stepped():
    graph = parse("a = [1, 2]; b = [1, 2, 3]; f = sum(a + b)")
    with pytest.raises(StepperError, match="shape"):
        Stepper(graph)


def test_the_failure_names_the_node_by_its_label_not_its_id():
    graph = parse("a = [1, 2]; b = [1, 2, 3]; f = sum(a + b)")
    with pytest.raises(StepperError, match=r"^add: shape mismatch in add: \(2,\) and \(3,\)"):
        Stepper(graph)


def test_updates_and_the_output_use_labels():
    # f = w * 2 with w = 3: df/dw = 2; w - 0.5 * 2 = 2. The output is unnamed: "mul".
    from graphgui.core.graph import Graph

    graph = Graph()
    w = graph.add_node("parameter", value=3.0).id
    two = graph.add_node("constant", value=2.0).id
    m = graph.add_node("mul").id
    graph.connect(w, m, 0)
    graph.connect(two, m, 1)
    stepper = Stepper(graph)
    assert stepper.current_text() == "Ready: 1 forward and 2 backward steps to mul."
    assert [line.text for line in stepper.forward_lines] == ["mul = parameter * 2 = 3 * 2 = 6"]
    stepper.run_to_end()
    assert [u.text(0.5) for u in stepper.gradient_descent(0.5)] == ["parameter: 3 - 0.5 * (2) = 2"]


def test_tensor_graph_steps_show_shapes_and_norms():
    stepper = Stepper(parse("W = [[1, 2], [3, 4]]; v = [1, -1]; y = W @ v; L = sum(y * y)"))
    stepper.run_to_end()
    text = "\n".join("\n".join(ex.lines) for ex in stepper.backward_steps)
    assert "[2x2]" in text or "[2]" in text or "[" in text
    w_grad = stepper.visible_grads()[next(
        n for n in stepper.program.ids if stepper.program.graph_node(n).name == "W")]
    # L = |W v|^2, dL/dW = 2 (W v) v^T with W v = [-1, -1].
    assert w_grad.tolist() == [[-2.0, 2.0], [-2.0, 2.0]]


def test_a_failing_node_elsewhere_does_not_block_stepping():
    graph = parse(CHAIN)
    graph.add_node("log", name="dangling")  # not connected, so it cannot evaluate
    graph.set_output(graph.find("f").id)
    stepper = Stepper(graph)
    stepper.run_to_end()
    assert stepper.visible_values()[graph.find("f").id] == -12


def test_non_finite_values_are_reported_to_the_stepper():
    stepper = Stepper(parse("x = -1; f = log(x)"))
    node_id, message = stepper.nonfinite
    assert stepper.program.graph_node(node_id).name == "f" and "nan" in message
    assert Stepper(parse(CHAIN)).nonfinite is None


def test_a_negative_number_in_a_call_is_not_wrapped_twice():
    lines = [line.text for line in Stepper(parse("x = -1; f = log(x)")).forward_lines]
    assert lines == ["f = ln(x) = ln(-1) = nan"]
    # A negative operand outside a call keeps its parentheses: 3 * (-4).
    lines = [line.text for line in Stepper(parse(CHAIN)).forward_lines]
    assert lines == ["q = x + y = (-2) + 5 = 3", "f = q * z = 3 * (-4) = -12"]
