"""Function instances: grouping a selection, their order, files, new instances, expansions."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core import fileformat
from graphgui.core.engine import Program
from graphgui.core.errors import GraphError
from graphgui.core.expr import parse
from graphgui.core.functions.grouping import apply_plan, plan_group, ungroup
from graphgui.core.functions.instances import EXPANSIONS, expansion_definition, instance_graph
from graphgui.core.gradcheck import check_gradients

NEURON = "x = 2\nw = param(3)\nb = param(1)\nz = w * x + b\nh = sigmoid(z)\nf = h * h\n"


def neuron_graph():
    g = parse(NEURON, output="f")
    inner = [g.find("z").id, g.find("h").id] + [n.id for n in g if n.op == "mul" and not n.name]
    return g, inner


def grads(g):
    ev = Program(g).evaluate()
    return {g.node(k).name: v for k, v in ev.grads.items() if g.node(k).name}


def test_grouping_names_inputs_after_their_sources_and_the_output_after_its_node():
    g, inner = neuron_graph()
    plan = plan_group(g, inner, "neuron")
    assert plan.definition.signature == "neuron(w, x, b)"
    assert plan.definition.outputs == ("h",)
    assert [o.node for o in plan.group.outputs] == [g.find("h").id]
    apply_plan(g, plan)
    assert set(g.group_members(plan.group.id)) == set(inner)


def test_grouping_changes_no_number_and_keeps_the_instance_contiguous():
    g, inner = neuron_graph()
    before = grads(g)
    apply_plan(g, plan_group(g, inner, "neuron"))
    assert grads(g) == before
    order = g.topological_order()
    spots = sorted(order.index(nid) for nid in inner)
    assert spots == list(range(spots[0], spots[0] + len(inner)))


def test_a_selection_a_path_leaves_and_reenters_is_refused_naming_it():
    g = parse("x = 1\na = exp(x)\nb = sin(a)\nc = a + b\n", output="c")
    with pytest.raises(GraphError, match="the path through b leaves the selection"):
        plan_group(g, [g.find("a").id, g.find("c").id], "f")


def test_only_sources_nested_groups_and_taken_names_are_refused():
    g, inner = neuron_graph()
    with pytest.raises(GraphError, match="at least one computing node"):
        plan_group(g, [g.find("x").id], "f")
    apply_plan(g, plan_group(g, inner, "neuron"))
    with pytest.raises(GraphError, match="already inside neuron"):
        plan_group(g, [g.find("f").id, g.find("h").id], "outer")
    with pytest.raises(GraphError, match="already exists"):
        plan_group(g, [g.find("f").id], "neuron")
    with pytest.raises(GraphError, match="not a valid name"):
        plan_group(g, [g.find("f").id], "2bad")


def test_ungroup_leaves_the_nodes_as_they_were():
    g, inner = neuron_graph()
    plan = plan_group(g, inner, "neuron")
    apply_plan(g, plan)
    ungroup(g, plan.group.id)
    assert g.groups == [] and all(g.node(n).group is None for n in inner)


def test_file_round_trip_keeps_definitions_and_instances():
    g, inner = neuron_graph()
    apply_plan(g, plan_group(g, inner, "neuron"))
    text = fileformat.dumps(g)
    back = fileformat.loads(text)
    assert fileformat.dumps(back) == text
    assert back.groups == g.groups
    assert back.function("neuron").inputs == ("w", "x", "b")


def test_a_version_1_file_reads_and_is_written_as_version_2():
    g, _ = neuron_graph()
    text = fileformat.dumps(g).replace('"version": 2', '"version": 1')
    assert '"version": 2' in fileformat.dumps(fileformat.loads(text))


def test_a_new_instance_computes_what_the_original_does():
    g, inner = neuron_graph()
    plan = plan_group(g, inner, "neuron")
    sub = instance_graph(plan.definition, "n2")
    assert [n.name for n in sub] == [None, "n2_z", "n2"]
    assert sub.groups[0].input_names == ("w", "x", "b")
    for item, value in zip(sub.groups[0].inputs, (3.0, 2.0, 1.0), strict=True):
        for nid, port in item.targets:
            src = sub.add_node("input", value=value)
            sub.connect(src.id, nid, port)
    ev = Program(sub).evaluate()
    assert ev.values[sub.output] == pytest.approx(1 / (1 + np.exp(-7.0)), rel=1e-12)


@pytest.mark.parametrize("op", sorted(EXPANSIONS))
def test_every_expansion_has_the_value_and_gradient_of_its_op(op):
    definition = expansion_definition(op)
    rng = np.random.default_rng(3)
    args = {name: rng.uniform(0.1, 0.9, size=3) for name in definition.inputs}  # bce: p in (0, 1)
    body = definition.body
    for name, value in args.items():
        body.set_value(body.find(name).id, value)
    body.set_output(body.find("out").id)
    direct = parse(
        "".join(f"{k} = {v.tolist()}\n" for k, v in args.items())
        + f"out = {op}({', '.join(args)})\n", output="out",
    )
    ev_body, ev_op = Program(body).evaluate(), Program(direct).evaluate()
    np.testing.assert_allclose(ev_body.values[body.output], ev_op.values[direct.output],
                               rtol=1e-12)
    for name in args:
        np.testing.assert_allclose(ev_body.grads[body.find(name).id],
                                   ev_op.grads[direct.find(name).id], rtol=1e-10)
    assert all(result.passed for result in check_gradients(body))


def test_layout_gives_a_closed_function_one_place_and_its_nodes_stay_around_it():
    from graphgui.core.layout import layered_layout

    g, inner = neuron_graph()
    apply_plan(g, plan_group(g, inner, "neuron"))
    closed = layered_layout(g)
    columns = {round(closed[n][0], 6) for n in inner}
    assert len(columns) > 1  # laid out inside as when open...
    centre = (min(closed[n][0] for n in inner) + max(closed[n][0] for n in inner)) / 2
    f = closed[g.find("f").id][0]
    x = closed[g.find("x").id][0]
    assert x < centre < f  # ...around one place between its input and its consumer
    g.set_collapsed(g.groups[0].id, False)
    flat = layered_layout(g)
    assert flat[g.find("f").id][0] > f  # open, it takes its columns


def test_opening_moves_only_what_the_frame_would_cover_and_keeps_the_order():
    from graphgui.core.functions.room import room_to_open
    from graphgui.core.layout import apply_layout, layered_layout

    g, inner = neuron_graph()
    apply_plan(g, plan_group(g, inner, "neuron"))
    apply_layout(g, layered_layout(g))
    moves = room_to_open(g, g.groups[0].id)
    f = g.find("f").id
    assert f in moves and moves[f][0] > g.node(f).pos[0]  # right of it: further right
    assert all(nid not in moves for nid in inner)
    for nid, (x, _) in moves.items():
        g.move(nid, (x, g.node(nid).pos[1]))
    assert room_to_open(g, g.groups[0].id) == {}  # nothing left in the way


def _neuron_file() -> dict:
    import json

    g, inner = neuron_graph()
    apply_plan(g, plan_group(g, inner, "neuron"))
    return json.loads(fileformat.dumps(g))


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["groups"][0].update(function="nope"), "which no function defines"),
    (lambda d: d["groups"][0].update(colapsed=True), "unknown key"),
    (lambda d: d["groups"][0].update(collapsed="yes"), '"collapsed" must be true or false'),
    (lambda d: d["groups"][0]["inputs"].update(w=[["n1", "a"]]), "which is not inside"),
    (lambda d: d["groups"][0]["inputs"].update(w=[["n4", "q"]]), "has no input 'q'"),
    (lambda d: d["groups"][0].update(outputs={"h": "n7"}), "which is not inside"),
    (lambda d: d["groups"][0].update(outputs={}), "naming at least one node"),
    (lambda d: d["nodes"][6].update(group="g9"), '"group" names no instance'),
    (lambda d: d["functions"][0].update(outputs=["zz"]), "names no node of the body"),
    (lambda d: d["functions"][0].update(inputs=["w", "w"]), "the same one twice"),
    (lambda d: d["functions"].append(dict(d["functions"][0])), "is defined twice"),
    (lambda d: d["functions"][0]["nodes"][3].update(op="mull"), "unknown op 'mull'"),
    (lambda d: d.update(groups=7), "must be a list"),
])
def test_a_bad_function_or_instance_in_a_file_is_refused_with_one_line(edit, message):
    import json

    data = _neuron_file()
    edit(data)
    with pytest.raises(fileformat.FileFormatError) as info:
        fileformat.loads(json.dumps(data), "n.json")
    text = str(info.value)
    assert message in text and "\n" not in text and text.startswith("n.json: ")
