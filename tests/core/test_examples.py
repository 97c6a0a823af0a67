"""The bundled examples: they load, evaluate, pass the gradient check and give the numbers
derived by hand here (closed-form chain rule in plain Python / NumPy, never the engine).

Where a notebook prints or computes a wrong number, the expectation below is the correct one;
docs/examples.md lists the notebook mistakes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from graphgui.core.engine import evaluate
from graphgui.core.examples import (
    RECIPES,
    ExampleError,
    build_example,
    example_names,
    example_path,
    example_text,
    get_recipe,
    list_examples,
    load_example,
)
from graphgui.core.gradcheck import check_gradients
from graphgui.core.graph import Graph

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples"
REL = 1e-9  # the closed forms below are exact up to rounding
ABS = 1e-12


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# ---- independent expectations: (output value, {source name: d output / d source}) ----------


def chain_rule() -> tuple[float, dict[str, float]]:
    x, y, z = -2.0, 5.0, -4.0
    q = x + y
    # f = q z: df/dq = z, df/dz = q; q = x + y passes df/dq to x and y unchanged.
    return q * z, {"x": z, "y": z, "z": q}


def neuron() -> tuple[float, dict[str, float]]:
    w0, w1, w2 = 2.0, -3.0, -3.0
    x0, x1 = -1.0, -2.0
    z = w0 * x0 + w1 * x1 + w2
    f = sigmoid(z)
    dz = f * (1.0 - f)  # sigmoid'(z) = f (1 - f)
    return f, {"w0": dz * x0, "x0": dz * w0, "w1": dz * x1, "x1": dz * w1, "w2": dz}


def exercise_div() -> tuple[float, dict[str, float]]:
    x, y, z = 3.0, 2.0, 1.0
    return (x + y) / z, {"x": 1.0 / z, "y": 1.0 / z, "z": -(x + y) / z**2}


def exercise_exp_sin() -> tuple[float, dict[str, float]]:
    x, y, z = 1.5, -1.0, math.pi / 2
    f = x * math.exp(y) + math.sin(z)
    return f, {"x": math.exp(y), "y": x * math.exp(y), "z": math.cos(z)}


def exercise_log() -> tuple[float, dict[str, float]]:
    x, y = 2.0, 1.0
    s = x**2 + y**2 + 1.0
    return math.log(s), {"x": 2.0 * x / s, "y": 2.0 * y / s}


def x_tanh_x() -> tuple[float, dict[str, float]]:
    x = 1.0
    t = math.tanh(x)
    # product rule: d/dx [x tanh x] = tanh x + x (1 - tanh^2 x)
    return x * t, {"x": t + x * (1.0 - t * t)}


NETWORK = {
    "X1": 0.85, "X2": 0.5,
    "w1": 0.75, "w2": 0.55, "w3": 0.05, "w4": 0.05,
    "w5": 0.05, "w6": 0.015, "w7": 0.85, "w8": 0.95,
    "b1": 0.25, "b2": 0.15, "b3": 0.15, "b4": 0.25,
}  # fmt: skip
TARGETS = (0.01, 0.99)


def network_forward(p: dict[str, float]) -> dict[str, float]:
    """Notebook 002's forward pass, line by line."""
    v = dict(p)
    v["Z1"] = p["w1"] * p["X1"] + p["w2"] * p["X2"] + p["b1"]
    v["Z2"] = p["w3"] * p["X1"] + p["w4"] * p["X2"] + p["b2"]
    v["A1"] = v["Z1"]  # linear activation
    v["A2"] = v["Z2"]
    v["Z3"] = p["w5"] * v["A1"] + p["w6"] * v["A2"] + p["b3"]
    v["A3"] = sigmoid(v["Z3"])
    v["Z4"] = p["w7"] * v["A1"] + p["w8"] * v["A2"] + p["b4"]
    v["A4"] = sigmoid(v["Z4"])
    v["E_1"] = 0.5 * (TARGETS[0] - v["A3"]) ** 2
    v["E_2"] = 0.5 * (TARGETS[1] - v["A4"]) ** 2
    v["E_total"] = v["E_1"] + v["E_2"]
    return v


def network_gradients(p: dict[str, float]) -> dict[str, float]:
    """dE_total/d(every input and parameter), chain rule written out."""
    v = network_forward(p)
    dZ3 = -(TARGETS[0] - v["A3"]) * v["A3"] * (1.0 - v["A3"])  # dE/dA3 * dA3/dZ3
    dZ4 = -(TARGETS[1] - v["A4"]) * v["A4"] * (1.0 - v["A4"])
    # A1, A2 feed both outputs: their gradients are sums over the two paths.
    dA1 = dZ3 * p["w5"] + dZ4 * p["w7"]
    dA2 = dZ3 * p["w6"] + dZ4 * p["w8"]
    dZ1, dZ2 = dA1 * 1.0, dA2 * 1.0  # linear: dA/dZ = 1
    return {
        "w5": dZ3 * v["A1"], "w6": dZ3 * v["A2"], "b3": dZ3,
        "w7": dZ4 * v["A1"], "w8": dZ4 * v["A2"], "b4": dZ4,
        "w1": dZ1 * p["X1"], "w2": dZ1 * p["X2"], "b1": dZ1,
        "w3": dZ2 * p["X1"], "w4": dZ2 * p["X2"], "b2": dZ2,
        "X1": dZ1 * p["w1"] + dZ2 * p["w3"], "X2": dZ1 * p["w2"] + dZ2 * p["w4"],
    }  # fmt: skip


def network_2_2_2() -> tuple[float, dict[str, float]]:
    return network_forward(NETWORK)["E_total"], network_gradients(NETWORK)


MATRIX = {
    "x": np.array([1.0, 2.0]),
    "W1": np.array([[0.5, 0.3], [0.2, 0.8]]),
    "b1": np.array([0.1, 0.4]),
    "W2": np.array([[0.9, 0.7]]),
    "b2": np.array([0.2]),
}
MATRIX_TARGET = 0.8


def matrix_forward() -> dict[str, np.ndarray]:
    p = MATRIX
    z1 = p["W1"] @ p["x"] + p["b1"]
    a1 = 1.0 / (1.0 + np.exp(-z1))
    z2 = p["W2"] @ a1 + p["b2"]
    a2 = 1.0 / (1.0 + np.exp(-z2))
    return {"z1": z1, "a1": a1, "z2": z2, "a2": a2, "J": np.mean((a2 - MATRIX_TARGET) ** 2)}


def matrix_network() -> tuple[float, dict[str, np.ndarray]]:
    p, v = MATRIX, matrix_forward()
    dz2 = 2.0 * (v["a2"] - MATRIX_TARGET) / v["a2"].size * v["a2"] * (1.0 - v["a2"])
    da1 = p["W2"].T @ dz2
    dz1 = da1 * v["a1"] * (1.0 - v["a1"])
    grads = {
        "W2": np.outer(dz2, v["a1"]), "b2": dz2,
        "W1": np.outer(dz1, p["x"]), "b1": dz1,
        "x": p["W1"].T @ dz1,
    }  # fmt: skip
    return float(v["J"]), grads


EXPECTED = {
    "chain_rule": chain_rule,
    "neuron": neuron,
    "exercise_div": exercise_div,
    "exercise_exp_sin": exercise_exp_sin,
    "exercise_log": exercise_log,
    "x_tanh_x": x_tanh_x,
    "network_2_2_2": network_2_2_2,
    "matrix_network": matrix_network,
}

# The numbers docs/examples.md prints (rounded); they must agree with the closed forms above.
DOC_NUMBERS = {
    "chain_rule": (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0}),
    "neuron": (0.731059, {"w0": -0.196612, "x0": 0.393224, "w1": -0.393224,
                          "x1": -0.589836, "w2": 0.196612}),
    "exercise_div": (5.0, {"x": 1.0, "y": 1.0, "z": -5.0}),
    "exercise_exp_sin": (1.55182, {"x": 0.367879, "y": 0.551819, "z": 0.0}),
    "exercise_log": (1.79176, {"x": 0.666667, "y": 0.333333}),
    "x_tanh_x": (0.761594, {"x": 1.18157}),
    "network_2_2_2": (0.163581, {
        "w1": -0.0144687, "w2": -0.00851101, "w3": -0.0208329, "w4": -0.0122547,
        "w5": 0.155959, "w6": 0.0291795, "w7": -0.0324542, "w8": -0.00607207,
        "b1": -0.0170220, "b2": -0.0245093, "b3": 0.134158, "b4": -0.0279176,
        "X1": -0.0139920, "X2": -0.0105876}),
    "matrix_network": (0.000433068, {
        "W1": [[0.000980097, 0.00196019], [0.000384804, 0.000769609]],
        "b1": [0.000980097, 0.000384804],
        "W2": [[0.00470459, 0.00551096]], "b2": [0.00612159],
        "x": [0.000567009, 0.000601873]}),
}  # fmt: skip


def named_values(graph: Graph, by_id: dict[str, object]) -> dict[str, object]:
    return {graph.node(nid).name: value for nid, value in by_id.items() if graph.node(nid).name}


def differentiable_sources(graph: Graph) -> set[str]:
    return {n.name for n in graph.nodes if n.op in ("input", "parameter")}


# ---- the catalogue ---------------------------------------------------------------------------


def test_list_examples_in_teaching_order_with_titles_and_descriptions() -> None:
    infos = list_examples()
    assert [i.name for i in infos] == list(EXPECTED)
    for info in infos:
        assert info.title and len(info.title) <= 60, info.name
        assert 40 <= len(info.description) <= 700, info.name


def test_every_recipe_has_a_committed_file_and_no_stray_files() -> None:
    on_disk = sorted(p.stem for p in EXAMPLES_DIR.glob("*.json"))
    assert on_disk == sorted(example_names())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_committed_file_equals_what_the_build_script_writes_now(name: str) -> None:
    committed = (EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8")
    assert committed == example_text(name), (
        f"{name}.json drifted from its recipe: run python scripts/build_examples.py"
    )


@pytest.mark.parametrize("name", list(EXPECTED))
def test_example_path_is_the_packaged_resource(name: str) -> None:
    path = example_path(name)
    assert path.is_file()
    assert Path(str(path)).resolve() == (EXAMPLES_DIR / f"{name}.json").resolve()


def test_unknown_example_is_refused_with_the_known_names() -> None:
    with pytest.raises(ExampleError, match=r"no bundled example named 'nope' \(known: chain_rule"):
        load_example("nope")
    with pytest.raises(ExampleError, match="no bundled example"):
        example_path("../pyproject")


# ---- loading and numbers ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_loaded_example_keeps_title_description_and_chosen_output(name: str) -> None:
    recipe = get_recipe(name)
    graph = load_example(name)
    assert graph.title == recipe.title
    assert graph.description == recipe.description
    assert graph.chosen_output is not None
    assert graph.node(graph.chosen_output).name == recipe.output


@pytest.mark.parametrize("name", list(EXPECTED))
def test_example_value_and_every_gradient_match_the_hand_derivation(name: str) -> None:
    graph = load_example(name)
    result = evaluate(graph)
    assert not result.errors, result.errors
    value, grads = EXPECTED[name]()
    assert result.values[result.output] == pytest.approx(value, rel=REL, abs=ABS)
    # Every input and parameter has a hand-derived gradient, and only those.
    assert differentiable_sources(graph) == set(grads)
    got = named_values(graph, result.grads)
    for source, expected in grads.items():
        np.testing.assert_allclose(got[source], expected, rtol=REL, atol=ABS, err_msg=source)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_example_passes_the_gradient_check(name: str) -> None:
    checks = check_gradients(load_example(name))
    assert {c.name for c in checks} == differentiable_sources(load_example(name))
    failed = [(c.name, c.autodiff, c.numeric) for c in checks if not c.passed]
    assert not failed


@pytest.mark.parametrize("name", list(EXPECTED))
def test_numbers_in_the_docs_agree_with_the_hand_derivation(name: str) -> None:
    value, grads = EXPECTED[name]()
    doc_value, doc_grads = DOC_NUMBERS[name]
    # Six significant digits: rounding leaves at most 5e-6 relative error.
    assert value == pytest.approx(doc_value, rel=5e-6, abs=1e-15)
    assert set(doc_grads) == set(grads)
    for source, doc in doc_grads.items():
        np.testing.assert_allclose(grads[source], doc, rtol=5e-6, atol=1e-15, err_msg=source)


def test_network_intermediate_values_use_the_notebook_names() -> None:
    graph = load_example("network_2_2_2")
    got = named_values(graph, evaluate(graph).values)
    expected = network_forward(NETWORK)
    for name in ("Z1", "Z2", "A1", "A2", "Z3", "A3", "Z4", "A4", "E_1", "E_2", "E_total"):
        assert got[name] == pytest.approx(expected[name], rel=REL), name
    # Spot values written out by hand: Z1 = 0.75*0.85 + 0.55*0.5 + 0.25, Z2 likewise.
    assert got["Z1"] == pytest.approx(1.1625)
    assert got["Z2"] == pytest.approx(0.2175)
    assert got["Z3"] == pytest.approx(0.05 * 1.1625 + 0.015 * 0.2175 + 0.15)
    assert got["Z4"] == pytest.approx(0.85 * 1.1625 + 0.95 * 0.2175 + 0.25)


def test_matrix_network_intermediate_values() -> None:
    graph = load_example("matrix_network")
    got = named_values(graph, evaluate(graph).values)
    expected = matrix_forward()
    np.testing.assert_allclose(got["z1"], [1.2, 2.2], rtol=REL)  # [0.5+0.6+0.1, 0.2+1.6+0.4]
    for name in ("z1", "a1", "z2", "a2", "J"):
        np.testing.assert_allclose(got[name], expected[name], rtol=REL, err_msg=name)


# ---- node kinds ------------------------------------------------------------------------------

KINDS = {
    "chain_rule": ({"x", "y", "z"}, set(), set()),
    "neuron": ({"x0", "x1"}, {"w0", "w1", "w2"}, set()),
    "exercise_div": ({"x", "y", "z"}, set(), set()),
    "exercise_exp_sin": ({"x", "y", "z"}, set(), set()),
    "exercise_log": ({"x", "y"}, set(), set()),
    "x_tanh_x": ({"x"}, set(), set()),
    "network_2_2_2": (
        {"X1", "X2"},
        {f"w{i}" for i in range(1, 9)} | {f"b{i}" for i in range(1, 5)},
        {"y1", "y2"},
    ),
    "matrix_network": ({"x"}, {"W1", "b1", "W2", "b2"}, {"y"}),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_data_are_inputs_weights_are_parameters_fixed_numbers_are_constants(name: str) -> None:
    graph = load_example(name)
    inputs, params, named_consts = KINDS[name]
    assert {n.name for n in graph.nodes if n.op == "input"} == inputs
    assert {n.name for n in graph.nodes if n.op == "parameter"} == params
    assert {n.name for n in graph.nodes if n.op == "constant" and n.name} == named_consts


def test_network_constants_are_the_targets_and_the_halves() -> None:
    graph = load_example("network_2_2_2")
    consts = sorted(float(n.value) for n in graph.nodes if n.op == "constant")
    assert consts == [0.01, 0.5, 0.5, 0.99, 2.0, 2.0]  # targets, the 1/2s, the squares
    assert graph.find("A1").op == "identity"  # the notebook's linear_activation


def test_nodes_have_distinct_positions() -> None:
    for name in example_names():
        graph = load_example(name)
        positions = [n.pos for n in graph.nodes]
        assert len(set(positions)) == len(positions), name


# ---- the notebooks' own numbers --------------------------------------------------------------


def test_notebook_000_printed_values_are_right() -> None:
    # Example 1 prints f = -12, q = 3, df/dx = df/dy = -4, df/dz = 3.
    assert chain_rule() == (-12.0, {"x": -4.0, "y": -4.0, "z": 3.0})
    # Example 2 prints f = 0.7310585786300049 and df/dw = [-0.19661193 -0.39322387 0.19661193].
    f, g = neuron()
    assert f == pytest.approx(0.7310585786300049, rel=1e-15)
    np.testing.assert_allclose(
        [g["w0"], g["w1"], g["w2"]], [-0.19661193, -0.39322387, 0.19661193], atol=5e-9
    )


def test_notebook_002_hidden_layer_formula_is_wrong_and_ours_is_right() -> None:
    """The notebook multiplies by dA1/dZ1 = A1 (1 - A1) although A1 = Z1 (linear)."""
    h = 1e-6
    numeric = {}
    for w in ("w1", "w2", "w3", "w4"):
        up, down = dict(NETWORK), dict(NETWORK)
        up[w] += h
        down[w] -= h
        numeric[w] = (network_forward(up)["E_total"] - network_forward(down)["E_total"]) / (2 * h)
    ours = network_gradients(NETWORK)
    v = network_forward(NETWORK)
    dA1 = ours["b1"]  # = dE/dA1 since dA1/dZ1 = 1
    dA2 = ours["b2"]
    notebook = {
        "w1": dA1 * v["A1"] * (1 - v["A1"]) * NETWORK["X1"],
        "w2": dA1 * v["A1"] * (1 - v["A1"]) * NETWORK["X2"],
        "w3": dA2 * v["A2"] * (1 - v["A2"]) * NETWORK["X1"],
        "w4": dA2 * v["A2"] * (1 - v["A2"]) * NETWORK["X2"],
    }
    for w in numeric:
        assert ours[w] == pytest.approx(numeric[w], rel=1e-6), w
        assert notebook[w] != pytest.approx(numeric[w], rel=0.1), w
    # The values docs/examples.md quotes for the notebook's (wrong) code.
    np.testing.assert_allclose(
        [notebook[w] for w in ("w1", "w2", "w3", "w4")],
        [0.00273323, 0.00160778, -0.00354563, -0.00208567],
        rtol=1e-5,
    )


def test_build_example_matches_the_loaded_file_structurally() -> None:
    for recipe in RECIPES:
        built, loaded = build_example(recipe.name), load_example(recipe.name)
        assert [(n.id, n.op, n.name) for n in built.nodes] == [
            (n.id, n.op, n.name) for n in loaded.nodes
        ]
        assert set(built.edges) == set(loaded.edges)


def test_update_steps_quoted_in_the_docs() -> None:
    # Notebook 002 steps with learning rate 0.5; notebook 001's exercise d) with 0.1.
    grads = network_gradients(NETWORK)
    doc = {
        "w1": 0.757234, "w2": 0.554256, "w3": 0.0604165, "w4": 0.0561273,
        "w5": -0.0279796, "w6": 0.000410269, "w7": 0.866227, "w8": 0.953036,
        "b1": 0.258511, "b2": 0.162255, "b3": 0.0829208, "b4": 0.263959,
    }  # fmt: skip
    for name, value in doc.items():
        assert NETWORK[name] - 0.5 * grads[name] == pytest.approx(value, rel=5e-6), name
    _, mgrads = matrix_network()
    doc_matrix = {
        "W1": [[0.499902, 0.299804], [0.199962, 0.799923]], "b1": [0.0999020, 0.399962],
        "W2": [[0.899530, 0.699449]], "b2": [0.199388],
    }  # fmt: skip
    for name, value in doc_matrix.items():
        np.testing.assert_allclose(MATRIX[name] - 0.1 * mgrads[name], value, rtol=5e-6)


def test_forward_values_quoted_in_the_docs() -> None:
    v = network_forward(NETWORK)
    doc = {
        "Z1": 1.1625, "Z2": 0.2175, "Z3": 0.211388, "A3": 0.552651, "Z4": 1.44475,
        "A4": 0.809189, "E_1": 0.147235, "E_2": 0.0163463, "E_total": 0.163581,
    }  # fmt: skip
    for name, value in doc.items():
        assert v[name] == pytest.approx(value, rel=5e-6), name
    m = matrix_forward()
    doc_matrix = {"z1": [1.2, 2.2], "a1": [0.768525, 0.900250], "z2": [1.52185],
                  "a2": [0.820810], "J": 0.000433068}  # fmt: skip
    for name, value in doc_matrix.items():
        np.testing.assert_allclose(m[name], value, rtol=5e-6, err_msg=name)
    # The notebook's wrong factors A(1 - A) for the linear hidden layer.
    assert v["A1"] * (1 - v["A1"]) == pytest.approx(-0.188906, rel=5e-6)
    assert v["A2"] * (1 - v["A2"]) == pytest.approx(0.170194, rel=5e-6)


def test_matrix_network_steps_write_each_product_with_its_numbers() -> None:
    """dJ/dW = g a^T and dJ/da = W^T g, operands written out (DOC_NUMBERS, 4 digits):
    g2 = dJ/dz2 = 0.00612159, a1 = [0.768525, 0.900250] -> dJ/dW2 = [[0.00470459, 0.00551096]];
    W2^T g2 = [0.9, 0.7] * 0.00612159 = [0.00550943, 0.00428511];
    g1 = dJ/dz1 = [0.000980097, 0.000384804], x = [1, 2] -> dJ/dW1 = g1 x^T;
    W1^T g1 = [0.5 g + 0.2 g', 0.3 g + 0.8 g'] = [0.000567009, 0.000601873]."""
    from graphgui.core.stepper import Stepper

    texts = [t.text for ex in Stepper(load_example("matrix_network")).backward_steps
             for t in ex.terms]  # fmt: skip
    assert [t for t in texts if "@" in t] == [
        "dJ/dW2 = g @ a1^T = [[0.006122]] @ [[0.7685, 0.9002]] = [[0.004705, 0.005511]]"
        "   [g = dJ/dmatmul2]",
        "dJ/da1 = W2^T @ g = [[0.9], [0.7]] @ [0.006122] = [0.005509, 0.004285]"
        "   [g = dJ/dmatmul2]",
        "dJ/dW1 = g @ x^T = [[0.0009801], [0.0003848]] @ [[1, 2]]"
        " = [[0.0009801, 0.00196], [0.0003848, 0.0007696]]   [g = dJ/dmatmul1]",
        "dJ/dx = W1^T @ g = [[0.5, 0.2], [0.3, 0.8]] @ [0.0009801, 0.0003848]"
        " = [0.000567, 0.0006019]   [g = dJ/dmatmul1]",
    ]


def test_network_2_2_2_steps_name_the_unnamed_nodes_shortly() -> None:
    """The user's report: dE/d(0.01 - A3) and d((y2 - A4) ^ 2) become dE_total/dsub1 and
    dE_total/dpow2. E_1 = 0.5 * (y1 - A3)**2, so dE_total/dsub1 = y1 - A3 = 0.01 - 0.552651
    = -0.542651, and dE_total/dpow2 = 0.5 (E_2 = 0.5 * pow2)."""
    from graphgui.core.stepper import Stepper

    stepper = Stepper(load_example("network_2_2_2"))
    texts = [line for ex in stepper.backward_steps for line in ex.lines]
    assert "sub1 = y1 - A3: upstream dE_total/dsub1 = -0.5427" in texts
    assert "pow2 = sub2**2: upstream dE_total/dpow2 = 0.5" in texts
    # dE/dZ3 = 0.134158, A1 = 1.1625, dE/dw5 = 0.155959 (DOC_NUMBERS), with 4 digits:
    assert (
        "dE_total/dw5 = dE_total/dmul5 * dmul5/dw5 = 0.1342 * 1.163 = 0.156   [dmul5/dw5 = A1]"
        in texts
    )
