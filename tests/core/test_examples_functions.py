"""The bundled networks open with their layers as collapsed function instances, and grouping
changes no number: every example against the same graph without its functions (the file
with "functions", "groups" and each node's "group" taken out, or the recipe's program parsed
again), training and code export against the flat graph and a NumPy loop written out here."""

from __future__ import annotations

import json

import numpy as np
import pytest

from graphgui.cli import main
from graphgui.core import fileformat
from graphgui.core.engine import evaluate
from graphgui.core.examples import (
    example_names,
    example_path,
    get_recipe,
    load_example,
    load_example_document,
    training_example_names,
)
from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.train import Trainer, TrainingError, add_layers, initial_values, mlp_graph
from graphgui.core.train.builders import is_weight

ALL = example_names() + training_example_names()


def flat_text(name: str) -> str:
    """Example ``name``'s file as it would be without functions (written out here, not by
    graphgui): the same nodes, wires and values, no "functions", "groups" or "group"."""
    data = json.loads(example_path(name).read_text(encoding="utf-8"))
    data.pop("functions", None)
    data.pop("groups", None)
    for node in data["nodes"]:
        node.pop("group", None)
    return json.dumps(data)


def flat(name: str) -> Graph:
    return fileformat.loads(flat_text(name))


def outside(graph: Graph) -> set[str]:
    """The names of the nodes in no instance: with every instance collapsed, what the
    canvas shows besides the instances."""
    return {n.name or n.id for n in graph if n.group is None}


def named_members(graph: Graph, group_name: str) -> set[str]:
    group = next(g for g in graph.groups if g.name == group_name)
    return {graph.node(nid).name for nid in graph.group_members(group.id)} - {None}


def unnamed_ops(graph: Graph, group_name: str) -> list[str]:
    group = next(g for g in graph.groups if g.name == group_name)
    return sorted(graph.node(n).op for n in graph.group_members(group.id)
                  if graph.node(n).name is None)


def ports(graph: Graph, group_name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    group = next(g for g in graph.groups if g.name == group_name)
    return group.input_names, group.output_names


def assert_wired_as_declared(graph: Graph) -> None:
    """Each input's inner ports are fed by one outside node of the input's name, every wire
    entering an instance is one of them, and every output is a member of that name."""
    for group in graph.groups:
        members = set(graph.group_members(group.id))
        declared = {t for item in group.inputs for t in item.targets}
        for item in group.inputs:
            feeders = {graph.input_ids(nid)[port] for nid, port in item.targets}
            assert len(feeders) == 1, (group.name, item.name)
            (feeder,) = feeders
            assert feeder not in members and graph.node(feeder).name == item.name
        entering = {(e.dst, e.port) for e in graph.edges
                    if e.dst in members and e.src not in members}
        assert entering == declared, group.name
        for out in group.outputs:
            assert out.node in members and graph.node(out.node).name == out.name


# ---- what the networks read as ---------------------------------------------------------------


def test_the_2_2_2_network_reads_as_two_layers_and_a_loss() -> None:
    graph = load_example("network_2_2_2")
    assert [(g.name, g.function, g.collapsed) for g in graph.groups] == [
        ("layer1", "layer1", True), ("layer2", "layer2", True), ("loss", "loss", True)]
    assert outside(graph) == {"X1", "X2"}
    assert ports(graph, "layer1") == (("X1", "X2"), ("A1", "A2"))
    assert ports(graph, "layer2") == (("A1", "A2"), ("A3", "A4"))
    assert ports(graph, "loss") == (("A3", "A4"), ("E_total",))
    assert_wired_as_declared(graph)


def test_the_2_2_2_layers_hold_their_weights_biases_and_the_unnamed_products_and_sums() -> None:
    graph = load_example("network_2_2_2")
    assert named_members(graph, "layer1") == {
        "w1", "w2", "w3", "w4", "b1", "b2", "Z1", "Z2", "A1", "A2"}
    assert named_members(graph, "layer2") == {
        "w5", "w6", "w7", "w8", "b3", "b4", "Z3", "Z4", "A3", "A4"}
    # Z = w X + w X + b: two products and one partial sum per unit, two units per layer.
    assert unnamed_ops(graph, "layer1") == ["add", "add", "mul", "mul", "mul", "mul"]
    assert unnamed_ops(graph, "layer2") == ["add", "add", "mul", "mul", "mul", "mul"]
    assert named_members(graph, "loss") == {"y1", "y2", "E_1", "E_2", "E_total"}
    # E = 0.5 * (y - A)**2 twice: the halves, the exponents, the differences, the squares.
    assert unnamed_ops(graph, "loss") == ["constant"] * 4 + ["pow", "pow", "sub", "sub"]
    definition = graph.function("layer1")
    assert definition.signature == "layer1(X1, X2)" and definition.outputs == ("A1", "A2")
    assert definition.size == 16


def test_each_instance_is_stepped_through_in_one_stretch_layer_by_layer() -> None:
    graph = load_example("network_2_2_2")
    order = graph.topological_order()
    spans = []
    for group in graph.groups:
        spots = sorted(order.index(nid) for nid in graph.group_members(group.id))
        assert spots == list(range(spots[0], spots[-1] + 1)), group.name
        spans.append(spots[0])
    assert spans == sorted(spans)  # layer1, then layer2, then the loss


def test_the_matrix_network_reads_as_two_layers_and_a_loss() -> None:
    graph = load_example("matrix_network")
    assert [(g.name, g.collapsed) for g in graph.groups] == [
        ("layer1", True), ("layer2", True), ("loss", True)]
    assert outside(graph) == {"x"}
    assert named_members(graph, "layer1") == {"W1", "b1", "z1", "a1"}
    assert named_members(graph, "layer2") == {"W2", "b2", "z2", "a2"}
    assert named_members(graph, "loss") == {"y", "J"}
    assert unnamed_ops(graph, "layer1") == unnamed_ops(graph, "layer2") == ["matmul"]
    assert ports(graph, "layer1") == (("x",), ("a1",))
    assert ports(graph, "layer2") == (("a1",), ("a2",))
    assert ports(graph, "loss") == (("a2",), ("J",))
    assert_wired_as_declared(graph)


@pytest.mark.parametrize("name", ["chain_rule", "neuron", "exercise_div", "exercise_exp_sin",
                                  "exercise_log", "x_tanh_x"])
def test_the_small_scalar_examples_stay_flat(name: str) -> None:
    assert get_recipe(name).groups == ()
    assert "functions" not in example_path(name).read_text(encoding="utf-8")
    assert load_example(name).groups == []


MLPS = ["moons_network", "moons_tanh", "moons_l2", "moons_sgd", "sin_regression", "ising_phases"]


@pytest.mark.parametrize("name", MLPS)
def test_each_dense_layer_of_a_training_network_is_a_collapsed_instance(name: str) -> None:
    graph = load_example(name)
    assert [(g.name, g.collapsed) for g in graph.groups] == [("dense1", True), ("dense2", True)]
    assert outside(graph) == {"X", "Y", "L"}  # the loss stays outside
    for k, source in ((1, "X"), (2, "A1")):
        members = named_members(graph, f"dense{k}")
        assert {f"W{k}", f"b{k}", f"WA{k}", f"Z{k}"} <= members
        last = f"A{k}" if f"A{k}" in members else f"Z{k}"
        assert members - {f"W{k}", f"b{k}", f"WA{k}", f"Z{k}"} <= {f"A{k}"}
        assert ports(graph, f"dense{k}") == ((source,), (last,))
    assert_wired_as_declared(graph)


def test_the_vanishing_gradients_pair_has_ten_layers_and_three_losses_outside() -> None:
    graph = load_example("vanishing_gradients")
    names = [g.name for g in graph.groups]
    assert names == [f"dense{k}s" for k in range(1, 6)] + [f"dense{k}r" for k in range(1, 6)]
    assert outside(graph) == {"X", "Y", "L_s", "L_r", "L"}
    assert ports(graph, "dense1r") == (("X",), ("A1r",))
    assert ports(graph, "dense5s") == (("A4s",), ("A5s",))
    assert_wired_as_declared(graph)
    assert load_example("gradient_descent_x2").groups == []
    assert set(training_example_names()) == {*MLPS, "vanishing_gradients", "gradient_descent_x2"}


def test_a_linear_last_layer_ends_its_instance_at_the_sum() -> None:
    graph = mlp_graph([1, 3, 1], hidden="tanh", output=None, loss="mse", seed=0)
    assert named_members(graph, "dense2") == {"W2", "b2", "WA2", "Z2"}
    assert ports(graph, "dense2") == (("A1",), ("Z2",))


def test_grouped_layers_need_their_input_node() -> None:
    from graphgui.core.initializers import make_rng

    with pytest.raises(TrainingError, match="need their input node"):
        add_layers(Graph(), None, [2, 3], None, "tanh", "zeros", make_rng(0), functions=True)
    graph = Graph()  # without functions an open input is still fine (Insert Dense Layer)
    add_layers(graph, None, [2, 3], None, "tanh", "zeros", make_rng(0))
    assert graph.groups == []


# ---- no number changes -----------------------------------------------------------------------


def assert_same_evaluation(got: Graph, want: Graph) -> None:
    a, b = evaluate(got), evaluate(want)
    assert not a.errors and not b.errors
    assert a.output == b.output
    for key in ("values", "grads"):
        mine, theirs = getattr(a, key), getattr(b, key)
        assert set(mine) == set(theirs), key
        for nid, value in theirs.items():
            assert np.array_equal(mine[nid], value), (key, got.node(nid).title)


@pytest.mark.parametrize("name", ALL)
def test_every_examples_values_and_gradients_are_the_flat_graphs(name: str) -> None:
    assert_same_evaluation(load_example(name), flat(name))


@pytest.mark.parametrize("name", example_names())
def test_every_worked_example_computes_what_its_program_parsed_again_does(name: str) -> None:
    recipe = get_recipe(name)
    assert_same_evaluation(load_example(name), parse(recipe.source, output=recipe.output))


@pytest.mark.parametrize("name", ALL)
def test_the_numpy_and_torch_modules_are_the_flat_graphs(name: str) -> None:
    from graphgui.core.codegen import export_code

    graph, settings = load_example_document(name)
    bare = flat(name)
    for target in ("numpy", "torch"):
        assert export_code(graph, settings, target) == export_code(bare, settings, target), target


def short(settings: dict, epochs: int) -> dict:
    return {**settings["training"], "epochs": epochs}


@pytest.mark.parametrize("name", training_example_names())
def test_training_a_grouped_network_gives_the_flat_networks_numbers(name: str) -> None:
    graph, settings = load_example_document(name)
    grouped = Trainer.from_settings(graph, short(settings, 15))
    bare = Trainer.from_settings(flat(name), short(settings, 15))
    assert grouped.param_ids == bare.param_ids  # same parameters, listed in the same order
    ours, theirs = grouped.run(), bare.run()
    assert [r.train_loss for r in ours] == [r.train_loss for r in theirs]
    assert [r.test_accuracy for r in ours] == [r.test_accuracy for r in theirs]
    for nid, value in bare.parameters().items():
        assert np.array_equal(grouped.parameters()[nid], value), graph.node(nid).name


def test_the_grouped_moons_network_trains_as_the_notebooks_loop() -> None:
    graph, settings = load_example_document("moons_network")
    assert graph.groups
    p = {n.name: np.array(n.value) for n in graph if n.op == "parameter"}
    X, Y = graph.find("X").value, graph.find("Y").value  # the training split
    losses = []
    for _ in range(25):  # Z = W @ A + b, sigmoid twice, BCE, gradient descent with lr 0.1
        A1 = 1 / (1 + np.exp(-(p["W1"] @ X + p["b1"])))
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        losses.append(float(-(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)).mean()))
        dZ2 = (A2 - Y) / Y.shape[1]
        dZ1 = (p["W2"].T @ dZ2) * A1 * (1 - A1)
        grads = {"W2": dZ2 @ A1.T, "b2": dZ2.sum(axis=1, keepdims=True),
                 "W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True)}
        for key, grad in grads.items():
            p[key] = p[key] - 0.1 * grad
    trainer = Trainer.from_settings(graph, short(settings, 25))
    np.testing.assert_allclose([r.train_loss for r in trainer.run()], losses, rtol=1e-12)
    for nid, value in trainer.parameters().items():
        np.testing.assert_allclose(value, p[graph.node(nid).name], rtol=1e-10, atol=1e-15)


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["moons_network", "sin_regression", "vanishing_gradients"])
def test_graphgui_train_prints_the_flat_networks_numbers(
    name: str, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "flat.json"
    bare.write_text(flat_text(name), encoding="utf-8")
    args = ["--epochs", "12", "--json"]
    ours = run_json(["train", "--example", name, "-o", str(tmp_path / "out.json"), *args],
                    capsys)
    theirs = run_json(["train", str(bare), *args], capsys)
    ours.pop("seconds")
    theirs.pop("seconds")
    assert ours == theirs
    trained = fileformat.load(tmp_path / "out.json")  # the saved result keeps its layers
    assert [g.name for g in trained.groups] == [g.name for g in load_example(name).groups]


@pytest.mark.parametrize("command", [["eval", "--json"], ["check"], ["paths", "--wrt", "w1"]])
def test_cli_commands_print_the_same_numbers_for_the_grouped_network(
    command: list[str], tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "flat.json"
    bare.write_text(flat_text("network_2_2_2"), encoding="utf-8")
    main([command[0], "--example", "network_2_2_2", *command[1:]])
    ours = capsys.readouterr().out
    main([command[0], str(bare), *command[1:]])
    theirs = capsys.readouterr().out
    assert sorted(ours.splitlines()) == sorted(theirs.splitlines())


def test_reset_parameters_draws_what_it_drew_without_functions() -> None:
    graph, settings = load_example_document("vanishing_gradients")
    init = settings["initializer"]
    bare = flat("vanishing_gradients")

    def draws(g: Graph) -> dict:
        specs = {n.id: init["weights"] if is_weight(g, n.id) else init["biases"]
                 for n in g if n.op == "parameter"}
        return initial_values(g, specs, init["seed"])

    ours, theirs = draws(graph), draws(bare)
    assert list(ours) == list(theirs)
    for nid, value in theirs.items():
        assert np.array_equal(ours[nid], value), graph.node(nid).name


# ---- the file format's example ---------------------------------------------------------------


def test_docs_file_format_shows_what_graphgui_writes_for_a_grouped_neuron() -> None:
    from pathlib import Path

    from graphgui.core.functions.grouping import apply_plan, plan_group

    doc = (Path(__file__).resolve().parents[2] / "docs" / "file-format.md").read_text()
    section = doc.split("## Functions and instances (version 2)", 1)[1]
    shown = section.split("```json\n", 1)[1].split("```", 1)[0]
    graph = parse("x = 2\nw = param(3)\nb = param(1)\nz = w * x + b\nh = sigmoid(z)\n"
                  "f = h * h\n", output="f", title="Neuron")
    inner = [graph.find("z").id, graph.find("h").id, graph.input_ids(graph.find("z").id)[0]]
    apply_plan(graph, plan_group(graph, inner, "neuron"))
    for node in graph:  # whole numbers on the canvas (the body keeps its own positions)
        graph.move(node.id, (round(node.pos[0]), round(node.pos[1])))
    assert fileformat.dumps(graph) == shown
    back = fileformat.loads(shown)
    assert [(g.name, g.input_names, g.output_names) for g in back.groups] == [
        ("neuron", ("w", "x", "b"), ("h",))]
