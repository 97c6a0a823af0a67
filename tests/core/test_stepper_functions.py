"""Stepping over a function instance as one step, and into it: positions, the one-step
summaries against hand derivations and finite differences, and ``graphgui step --functions``.

Expected numbers are derived by hand below (sigmoid' = s (1 - s), products, sums), never
read from the stepper; finite differences run the ordinary engine with one input moved.
"""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from graphgui.cli import main
from graphgui.core import fileformat
from graphgui.core.engine import Program
from graphgui.core.expr import parse
from graphgui.core.functions import Group, GroupInput, GroupOutput
from graphgui.core.functions.grouping import apply_plan, plan_group
from graphgui.core.functions.instances import expansion_definition, instance_graph
from graphgui.core.stepper import Position, Stepper, StepperError
from graphgui.core.values import format_factor, format_value

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"

# x feeds the instance and, outside it, the final sum: two contributions, one from each.
NEURON = "x = 2\nw = param(3)\nb = param(1)\nz = w * x + b\nh1 = sigmoid(z)\nE = h1 * h1 + x\n"


def neuron_graph():
    g = parse(NEURON, output="E")
    z = g.find("z").id
    inner = [g.input_ids(z)[0], z, g.find("h1").id]  # w * x, z, h1
    plan = plan_group(g, inner, "neuron")
    apply_plan(g, plan)
    return g, plan.group, inner


def neuron_by_hand() -> dict[str, float]:
    x, w, b = 2.0, 3.0, 1.0
    s = 1 / (1 + math.exp(-(w * x + b)))
    slope = s * (1 - s)
    up = 2 * s  # E = h1 * h1 + x: dE/dh1 = 2 h1
    return {
        "h1": s, "E": s * s + x, "up": up, "local_w": slope * x, "local_x": slope * w,
        "local_b": slope, "dw": up * slope * x, "db": up * slope, "cx": up * slope * w,
        "dx": 1 + up * slope * w,
    }


def ids_by_name(stepper: Stepper) -> dict[str, str]:
    return {
        stepper.program.graph_node(n).name: n for n in stepper.program.ids
        if stepper.program.graph_node(n).name
    }


def test_a_collapsed_instance_is_one_forward_step_and_one_backward_step():
    g, group, inner = neuron_graph()
    stepper = Stepper(g)
    assert set(stepper.spans) == {group.id}
    assert len(stepper.forward_lines) == 5  # mul1, z, h1, mul2, E
    assert stepper.next_function() == group
    assert stepper.forward_step()
    assert stepper.position == Position(3, 0)
    assert stepper.current_function() == group and stepper.inside() is None
    assert stepper.next_function() is None
    h1, x, w, b = (g.find(name).id for name in ("h1", "x", "w", "b"))
    assert stepper.current_node == h1  # the function's output stands for it
    mul1, z = inner[0], inner[1]
    assert sorted(stepper.current_edges) == sorted([(w, mul1), (x, mul1), (b, z)])
    visited = [stepper.position]
    while stepper.forward_step():
        visited.append(stepper.position)
    assert visited == [Position(3, 0), Position(4, 0), Position(5, 0)]
    # backward: E, mul2, then the instance (its three nodes) in one step, then b, w, x
    backward = []
    while stepper.backward_step():
        backward.append(stepper.position.backward)
    assert backward == [1, 2, 5, 6, 7, 8]
    assert stepper.finished
    stepper.move_to(Position(5, 5))
    assert stepper.current_function() == group
    assert stepper.step_back() and stepper.position == Position(5, 2)
    assert stepper.current_function() is None
    assert stepper.next_function() == group


def test_step_back_takes_the_whole_function_back_and_retraces_the_positions():
    g, _, _ = neuron_graph()
    stepper = Stepper(g)
    seen = [stepper.position]
    while stepper.backward_step() if stepper.forward_done else stepper.forward_step():
        seen.append(stepper.position)
    assert Position(1, 0) not in seen and Position(5, 3) not in seen
    back = [stepper.position]
    while stepper.step_back():
        back.append(stepper.position)
    assert back == list(reversed(seen))


def test_step_into_visits_each_inner_node_then_backs_out():
    g, group, inner = neuron_graph()
    stepper = Stepper(g)
    assert stepper.step_into()
    assert stepper.position == Position(1, 0) and stepper.inside() == group
    assert stepper.current_node == inner[0] and stepper.current_function() is None
    assert stepper.current_text() == "mul1 = w * x = 3 * 2 = 6"
    assert not stepper.step_into()  # already inside: the next step is a node
    stepper.forward_step()
    stepper.forward_step()
    assert stepper.position == Position(3, 0) and stepper.inside() == group
    assert stepper.current_function() is None  # the last inner step, not the summary
    assert stepper.current_text().startswith("h1 = 1 / (1 + exp(-z))")
    stepper.forward_step()  # leaves the span: backed out
    assert stepper.position == Position(4, 0) and stepper.inside() is None
    assert stepper.step_back() and stepper.position == Position(3, 0)
    assert stepper.current_function() == group  # stepped over again: the summary
    assert stepper.step_back() and stepper.position == Position(0, 0)
    # into, back out backward at the first inner step
    assert stepper.step_into() and stepper.step_back()
    assert stepper.position == Position(0, 0) and stepper.inside() is None


def test_step_into_the_backward_pass_and_run_to_end():
    g, group, inner = neuron_graph()
    stepper = Stepper(g)
    stepper.move_to(Position(5, 2))
    assert stepper.next_function() == group
    assert stepper.step_into() and stepper.position == Position(5, 3)
    assert stepper.inside() == group and stepper.current_node == g.find("h1").id
    stepper.backward_step()
    stepper.backward_step()
    assert stepper.position == Position(5, 5) and stepper.inside() == group
    assert stepper.current_node == inner[0]
    stepper.backward_step()
    assert stepper.inside() is None and stepper.position == Position(5, 6)
    stepper.reset()
    assert stepper.inside() is None and stepper.next_function() == group
    stepper.run_to_end()
    assert stepper.finished and stepper.inside() is None and stepper.current_function() is None


def test_run_to_node_and_move_to_with_a_function():
    g, group, inner = neuron_graph()
    stepper = Stepper(g)
    z = g.find("z").id
    assert stepper.run_to_node(z)  # inside a stepped-over function: the step over it
    assert stepper.position == Position(3, 0) and stepper.current_function() == group
    stepper.reset()
    stepper.step_into()
    assert stepper.run_to_node(z)  # entered: the node itself
    assert stepper.position == Position(2, 0) and stepper.inside() == group
    stepper.reset()
    assert stepper.run_to_node(z)  # forward done is not yet true: forward first
    assert stepper.run_to_node(z)  # then backward: again the whole function
    assert stepper.position == Position(5, 5) and stepper.current_function() == group
    stepper.move_to(Position(2, 0))  # a position inside: entered, so it shows that node
    assert stepper.inside() == group and stepper.current_node == z
    assert stepper.current_text().startswith("z = mul1 + b")
    stepper.move_to(Position(3, 0))  # the span's end, entered: still inside
    assert stepper.inside() == group and stepper.current_function() is None
    stepper.move_to(Position(5, 0))
    assert stepper.inside() is None


def test_the_summaries_state_the_hand_derived_numbers():
    g, group, _ = neuron_graph()
    hand = neuron_by_hand()
    stepper = Stepper(g)
    stepper.forward_step()
    f = format_value
    assert stepper.current_text() == f"h1 = neuron(w = 3, x = 2, b = 1) = {f(hand['h1'])} " \
        "(3 steps inside)"
    assert stepper.current_text() == "h1 = neuron(w = 3, x = 2, b = 1) = 0.9991 (3 steps inside)"
    stepper.move_to(Position(5, 5))
    lines = stepper.current_text().split("\n")
    s = hand["h1"]
    assert lines[0] == (
        f"h1 = neuron(w, x, b): upstream dE/dh1 = {f(s)} + {f(s)} = {f(hand['up'])} "
        "(3 steps inside)"
    )
    up = format_factor(hand["up"])
    assert lines[1] == f"dE/dw = dE/dh1 * ∂h1/∂w = {up} * {f(hand['local_w'])} = " \
        f"{f(hand['dw'])}"
    assert lines[2] == (
        f"dE/dx = dE/dh1 * ∂h1/∂x = {up} * {f(hand['local_x'])} = "
        f"{f(hand['cx'])}   (contribution 2 of 2; running sum {f(hand['dx'])})"
    )
    assert lines[3] == f"dE/db = dE/dh1 * ∂h1/∂b = {up} * {f(hand['local_b'])} = " \
        f"{f(hand['db'])}"
    assert len(lines) == 4
    step = stepper.function_step()
    by_input = {t.name: t for t in step.terms}
    for name in ("w", "x", "b"):
        term = by_input[name]
        assert term.locals[0][1] == pytest.approx(hand[f"local_{name}"], rel=1e-12)
        assert term.from_inside == pytest.approx(term.contribution, rel=1e-12)
    assert by_input["w"].contribution == pytest.approx(hand["dw"], rel=1e-12)
    assert by_input["x"].total == pytest.approx(hand["dx"], rel=1e-12)


def finite_difference(g, output: str, source: str, h: float = 1e-6) -> float:
    program = Program(g, output=output)
    k = program.slot[output]
    base = program.initial[program.slot[source]]
    up = program.forward({source: base + h})[k]
    down = program.forward({source: base - h})[k]
    return (up - down) / (2 * h)


def test_the_local_gradients_match_central_finite_differences():
    g, group, _ = neuron_graph()
    stepper = Stepper(g)
    stepper.move_to(Position(5, 5))
    h1 = g.find("h1").id
    for term in stepper.function_step().terms:
        numeric = finite_difference(g, h1, term.input_id)
        assert term.locals[0][1] == pytest.approx(numeric, rel=1e-6)
    # and dE/dw, which only the instance sends: the whole gradient
    w = g.find("w").id
    term = next(t for t in stepper.function_step().terms if t.input_id == w)
    assert term.contribution == pytest.approx(finite_difference(g, g.find("E").id, w), rel=1e-6)


def test_a_step_over_shows_what_its_inner_steps_would_have_shown():
    g, _, _ = neuron_graph()
    over, into = Stepper(g), Stepper(g, over=[])
    assert into.spans == {}
    positions = []
    while over.backward_step() if over.forward_done else over.forward_step():
        positions.append(over.position)
    for position in positions:
        over.move_to(position)
        into.move_to(position)
        assert over.inside() is None
        for view in ("visible_values", "visible_grads", "visible_wire_grads", "partial_grads",
                     "pending_nodes", "log_rows"):
            assert getattr(over, view)() == getattr(into, view)(), (position, view)


def test_the_contributions_are_the_sums_of_the_inner_steps():
    g, group, _ = neuron_graph()
    stepper = Stepper(g)
    stepper.move_to(Position(5, 5))
    into = Stepper(g, over=[])
    into.move_to(Position(5, 2))
    before = into.visible_wire_grads()
    into.move_to(Position(5, 5))
    sent = {k: v for k, v in into.visible_wire_grads().items() if k not in before}
    for term in stepper.function_step().terms:
        arg = next(a for a in stepper.spans[group.id].arguments if a.source == term.input_id)
        inner = sum(sent[target] for target in arg.targets)
        assert term.contribution == pytest.approx(inner, rel=1e-14)
        assert term.from_inside == pytest.approx(inner, rel=1e-12)


def test_over_none_steps_over_collapsed_instances_only_and_unknown_ids_are_refused():
    g, group, _ = neuron_graph()
    g.set_collapsed(group.id, False)
    assert Stepper(g).spans == {}
    assert set(Stepper(g, over=[group.id]).spans) == {group.id}
    with pytest.raises(StepperError, match="no function instance"):
        Stepper(g, over=["g99"])


TWO = "x = 1.5\ny = -0.5\na = x * y\nb = exp(a) + x\nE = a * b + b\n"


def two_output_graph():
    g = parse(TWO, output="E")
    b = g.find("b").id
    members = [g.find("a").id, g.input_ids(b)[0], b]  # a, exp(a), b
    plan = plan_group(g, members, "pair")
    apply_plan(g, plan)
    return g, plan.group


def test_a_two_output_instance_sums_over_its_outputs():
    g, group = two_output_graph()
    assert group.output_names == ("a", "b")
    x, y = 1.5, -0.5
    a = x * y
    ea = math.exp(a)
    b = ea + x
    up_a, up_b = b, a + 1  # E = a * b + b
    local = {("a", "x"): y, ("a", "y"): x, ("b", "x"): ea * y + 1, ("b", "y"): ea * x}
    stepper = Stepper(g)
    stepper.forward_step()
    f, ff = format_value, format_factor
    assert stepper.current_text() == (
        f"(a, b) = pair(x = 1.5, y = -0.5) = ({f(a)}, {f(b)}) (3 steps inside)"
    )
    stepper.run_to_end()
    stepper.move_to(Position(5, 2))
    assert stepper.next_function() == group
    stepper.backward_step()
    assert stepper.current_function() == group and stepper.position == Position(5, 5)
    lines = stepper.current_text().split("\n")
    assert lines[0] == (
        f"(a, b) = pair(x, y): upstream dE/da = {f(up_a)}, "
        f"dE/db = 1 + {ff(a)} = {f(up_b)} (3 steps inside)"
    )
    for line, name in zip(lines[1:], ("x", "y"), strict=True):
        total = up_a * local[("a", name)] + up_b * local[("b", name)]
        assert line == (
            f"dE/d{name} = dE/da * ∂a/∂{name} + dE/db * ∂b/∂{name} = "
            f"{ff(up_a)} * {ff(local[('a', name)])} + {ff(up_b)} * {ff(local[('b', name)])} "
            f"= {f(total)}"
        )
    for term in stepper.function_step().terms:
        for (local_name, value), output in zip(term.locals, ("a", "b"), strict=True):
            assert local_name == f"∂{output}/∂{term.name}"
            assert value == pytest.approx(local[(output, term.name)], rel=1e-12)
            assert value == pytest.approx(
                finite_difference(g, g.find(output).id, g.find(term.name).id), rel=1e-6
            )
        total = up_a * local[("a", term.name)] + up_b * local[("b", term.name)]
        assert term.contribution == pytest.approx(total, rel=1e-12)
        assert term.contribution == pytest.approx(
            finite_difference(g, g.find("E").id, g.find(term.name).id), rel=1e-6
        )


def insert_instance(g, definition, name: str, args: dict[str, str], output: str) -> Group:
    """Put a new collapsed instance of ``definition`` into ``g`` (as the editor's insert
    does), its inputs wired from the nodes named in ``args``, its output named ``output``."""
    sub = instance_graph(definition, name, output_names={definition.outputs[0]: output})
    if g.function(definition.name) is None:
        g.define_function(definition)
    ids = {n.id: g.add_node(n.op, name=n.name, params=n.params, value=n.value).id for n in sub}
    for edge in sub.edges:
        g.connect(ids[edge.src], ids[edge.dst], edge.port)
    old = sub.groups[0]
    group = Group(
        g.new_group_id(), old.function, g.unique_group_name(old.name),
        tuple(GroupInput(i.name, tuple((ids[n], p) for n, p in i.targets)) for i in old.inputs),
        tuple(GroupOutput(o.name, ids[o.node]) for o in old.outputs),
    )
    g.add_group(group)
    for nid in ids.values():
        g.set_node_group(nid, group.id)
    for item in group.inputs:
        for nid, port in item.targets:
            g.connect(g.find(args[item.name]).id, nid, port)
    return group


CS231N = "w0 = 2\nx0 = -1\nw1 = -3\nx1 = -2\nw2 = -3\nz = w0 * x0 + w1 * x1 + w2\n"


def test_cs231n_sigmoid_as_a_function_of_simple_ops_steps_like_the_primitive():
    # f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at the lecture's numbers: z = 1
    s = 1 / (1 + math.exp(-1.0))
    primitive = Stepper(parse(CS231N + "f = sigmoid(z)\n", output="f"))
    g = parse(CS231N)
    group = insert_instance(g, expansion_definition("sigmoid"), "sig", {"x": "z"}, "f")
    g.set_output(g.find("f").id)
    over, into = Stepper(g), Stepper(g, over=[])
    assert len(into.forward_lines) == len(primitive.forward_lines) + 3  # neg, exp, add, div
    # over: one forward step, the same value as the primitive
    k = len(primitive.forward_lines) - 1  # the steps before the sigmoid
    over.move_to(Position(k, 0))
    assert over.next_function() == group and over.forward_step() and over.forward_done
    assert over.current_text() == f"f = sigmoid(x = 1) = {format_value(s)} (4 steps inside)"
    # backward: one step, whose local gradient is sigmoid's own s (1 - s)
    assert over.backward_step() and over.current_function() == group
    assert over.position.backward == 4  # div, add, exp, neg
    (term,) = over.function_step().terms
    assert term.locals[0][1] == pytest.approx(s * (1 - s), rel=1e-12)
    assert term.locals[0][1] == pytest.approx(0.19661193324148185, rel=1e-12)
    primitive.run_to_end()
    sigmoid_step = next(
        ex for ex in primitive.backward_steps
        if primitive.program.graph_node(ex.node_id).op == "sigmoid"
    )
    assert sigmoid_step.terms[0].local_value == pytest.approx(term.locals[0][1], rel=1e-12)
    slope = format_value(s * (1 - s))
    assert over.current_text().split("\n")[1] == f"df/dz = df/df * ∂f/∂x = 1 * {slope} = {slope}"
    # into: its four simple steps, forward and backward
    over.reset()
    over.move_to(Position(k, 0))
    assert over.step_into()
    ops = [over.program.graph_node(over.current_node).op]
    while over.forward_step():
        ops.append(over.program.graph_node(over.current_node).op)
    assert ops == ["neg", "exp", "add", "div"]
    assert over.step_into()
    back = [over.program.graph_node(over.current_node).op]
    while over.inside() is not None and over.backward_step():
        back.append(over.program.graph_node(over.current_node).op)
    assert back == ["div", "add", "exp", "neg", "add"]  # the last one is outside: z
    over.run_to_end()
    grads = {over.program.graph_node(n).name: v for n, v in over.visible_grads().items()}
    primitive_grads = {
        primitive.program.graph_node(n).name: v for n, v in primitive.visible_grads().items()
    }
    for name in ("w0", "x0", "w1", "x1", "w2"):
        assert grads[name] == pytest.approx(primitive_grads[name], rel=1e-12)
    assert grads["w0"] == pytest.approx(-1 * s * (1 - s), rel=1e-12)  # x0 s (1 - s)


def test_an_array_valued_function_shows_the_vector_jacobian_product():
    g = parse(
        "x = [1, 2]\nW = param([[0.5, 0.3], [0.2, 0.8]])\nb = param([0.1, 0.4])\n"
        "z = W @ x + b\na = sigmoid(z)\nJ = sum(a * a)\n", output="J",
    )
    z = g.find("z").id
    members = [g.find("W").id, g.find("b").id, g.input_ids(z)[0], z, g.find("a").id]
    plan = plan_group(g, members, "layer")
    apply_plan(g, plan)
    stepper = Stepper(g)
    stepper.run_to_end()
    stepper.move_to(Position(len(stepper.forward_lines), 0))
    while stepper.current_function() is None:
        assert stepper.backward_step()
    W = np.array([[0.5, 0.3], [0.2, 0.8]])
    xv = np.array([1.0, 2.0])
    av = 1 / (1 + np.exp(-(W @ xv + np.array([0.1, 0.4]))))
    expected = W.T @ (2 * av * av * (1 - av))  # dJ/dx = W^T (dJ/da * a (1 - a))
    (term,) = stepper.function_step().terms
    assert term.locals == (("∂a/∂x", None),)
    np.testing.assert_allclose(term.contribution, expected, rtol=1e-12)
    np.testing.assert_allclose(term.from_inside, expected, rtol=1e-12)
    assert stepper.current_text().split("\n")[1] == (
        f"dJ/dx = dJ/da * ∂a/∂x = {format_value(expected)}"
        "   [∂a/∂x: a Jacobian, shown multiplied by the upstream gradient]"
    )


# ---- graphgui step --functions -------------------------------------------------------------


def doc_session() -> tuple[str, list[str]]:
    """The documented ``graphgui step neuron.json --functions over`` session."""
    text = DOC.read_text()
    block = re.search(r"```\n(\$ graphgui step neuron\.json --functions over\n.*?)```", text,
                      re.S)
    assert block is not None
    first, *rest = block.group(1).rstrip("\n").split("\n")
    return first[2:], rest


def test_the_documented_functions_over_session_is_what_the_command_prints(
    tmp_path, capsys, monkeypatch
):
    g, _, _ = neuron_graph()
    monkeypatch.chdir(tmp_path)
    fileformat.save(g, "neuron.json")
    command, expected = doc_session()
    assert main(shlex.split(command)[1:]) == 0
    assert capsys.readouterr().out.rstrip("\n").split("\n") == expected


def test_functions_into_is_the_default_and_over_numbers_its_steps(tmp_path, capsys):
    g, _, _ = neuron_graph()
    path = str(tmp_path / "neuron.json")
    fileformat.save(g, path)
    outputs = []
    for extra in ([], ["--functions", "into"]):
        main(["step", path, *extra])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "    3. h1 = 1 / (1 + exp(-z)) = 1 / (1 + exp(-7)) = 0.9991" in outputs[0]
    assert "inside" not in outputs[0]
    main(["step", path, "--functions", "over", "--markdown"])
    md = capsys.readouterr().out
    assert "1. `h1 = neuron(w = 3, x = 2, b = 1) = 0.9991 (3 steps inside)`" in md
    assert "| 3 | h1 = neuron(w, x, b) | dE/dw | ∂h1/∂w = 0.00182 | dE/dh1 = 1.998 |" in md
    assert "\n| 1 | E | dE/dmul2 |" in md and "| z |" not in md and "| mul1 |" not in md
    assert main(["step", path, "--functions", "over", "--mode", "forward", "--wrt", "x"]) == 2
    assert "--functions over is for the backward mode" in capsys.readouterr().err
