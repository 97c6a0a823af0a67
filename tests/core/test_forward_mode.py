"""Forward mode (tangents): every node's tangent against central differences of its value,
against PyTorch's ``torch.func.jvp`` where torch is installed, and against reverse mode."""

from __future__ import annotations

import json

import numpy as np
import pytest
from torch_reference import TORCH_MISSING, as_tensor, random_program, torch_function

from graphgui.cli import main
from graphgui.core.autodiff.tangent_text import explain_tangents
from graphgui.core.autodiff.tangents import TangentError, resolve_seed, tangents
from graphgui.core.engine import Program
from graphgui.core.examples import example_names, load_example
from graphgui.core.explain import label_program
from graphgui.core.expr import parse
from graphgui.core.graph import Graph

H = 1e-6
SCALAR_EXAMPLES = [
    name for name in example_names()
    if all(isinstance(n.value, float) for n in load_example(name).nodes if n.is_source)
]
ALL_EXAMPLES = list(example_names())


def differentiable_sources(graph: Graph) -> list[str]:
    return [n.id for n in graph.nodes if n.op in ("input", "parameter")]


def numeric_tangents(graph: Graph, seed_id: str, direction) -> dict[str, object]:
    """Central differences of every node's value along ``direction`` at the seed."""
    program = Program(graph)
    base = program.initial[program.slot[seed_id]]
    up = program.forward({seed_id: base + H * direction})
    down = program.forward({seed_id: base - H * direction})
    return {
        nid: (np.asarray(up[k]) - np.asarray(down[k])) / (2 * H)
        for k, nid in enumerate(program.ids)
    }


def assert_tangents_match(graph: Graph, wrt: str, direction=None) -> None:
    result = tangents(graph, wrt, direction)
    numeric = numeric_tangents(graph, result.seed.node_id, result.seed.direction)
    for nid, expected in numeric.items():
        got = result.tangents[nid]
        assert np.shape(got) == np.shape(result.values[nid]), graph.node(nid).title
        title = graph.node(nid).title
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=title)


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_example_tangents_match_central_differences(name):
    graph = load_example(name)
    for source in differentiable_sources(graph):
        assert_tangents_match(graph, source)


@pytest.mark.parametrize("seed", range(8))
def test_random_program_tangents_match_central_differences(seed):
    graph = random_program(seed, shape=None if seed % 2 else (2, 3))
    for source in differentiable_sources(graph):
        assert_tangents_match(graph, source)


@pytest.mark.parametrize("name", SCALAR_EXAMPLES + ["network_2_2_2"])
def test_forward_mode_gives_the_gradient_reverse_mode_gives(name):
    graph = load_example(name)
    program = Program(graph)
    vals = program.forward()
    grads = program.gradients(vals)
    for source in differentiable_sources(graph):
        result = tangents(graph, source)
        expected = grads[program.slot[source]]
        assert result.tangents[graph.output] == pytest.approx(
            0.0 if expected is None else expected, rel=1e-12, abs=1e-15
        )


def test_a_tensor_direction_and_one_element():
    graph = load_example("matrix_network")
    w1 = graph.find("W1")
    direction = np.arange(w1.value.size, dtype=float).reshape(w1.value.shape) - 1.5
    assert_tangents_match(graph, "W1", direction.tolist())
    seed = resolve_seed(graph, "W1[1,0]")
    assert seed.label == "W1[1,0]" and seed.index == (1, 0)
    assert seed.direction[1, 0] == 1.0 and np.sum(seed.direction) == 1.0
    # The tangent of the output along the one-hot is that element of the gradient.
    program = Program(graph)
    grads = program.gradients(program.forward())
    result = tangents(graph, "W1[1,0]")
    assert result.tangents[graph.output] == pytest.approx(grads[program.slot[w1.id]][1, 0])


# ---- PyTorch: torch.func.jvp -------------------------------------------------------------


def torch_tangent(graph: Graph, seed_id: str, direction):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    run = torch_function(graph)
    x0 = as_tensor(graph.node(seed_id).value)
    _, tangent = torch.func.jvp(lambda x: run({seed_id: x}), (x0,), (as_tensor(direction),))
    return tangent.detach().numpy()


@pytest.mark.parametrize("name", SCALAR_EXAMPLES + ["network_2_2_2", "matrix_network"])
def test_example_tangents_agree_with_torch_jvp(name):
    graph = load_example(name)
    for source in differentiable_sources(graph):
        result = tangents(graph, source)
        expected = torch_tangent(graph, source, result.seed.direction)
        np.testing.assert_allclose(result.tangents[graph.output], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_random_program_tangents_agree_with_torch_jvp(seed):
    graph = random_program(50 + seed, n_ops=30, shape=None if seed % 2 else (3, 2))
    rng = np.random.default_rng(seed)
    for source in differentiable_sources(graph):
        direction = rng.normal(size=np.shape(graph.node(source).value))
        direction = float(direction) if np.ndim(direction) == 0 else direction
        result = tangents(graph, source, direction if np.ndim(direction) else None)
        expected = torch_tangent(graph, source, result.seed.direction)
        np.testing.assert_allclose(result.tangents[graph.output], expected, rtol=1e-10, atol=1e-12)


# ---- the step text -------------------------------------------------------------------------


def tangent_lines(source: str, wrt: str) -> list[str]:
    graph = parse(source)
    program = Program(graph)
    label_program(program, graph)
    lines = explain_tangents(program, program.forward(), resolve_seed(graph, wrt))
    return [line.text for line in lines]


def test_step_text_writes_the_chain_rule_with_symbols_and_numbers():
    lines = tangent_lines("x = -2; y = 5; z = -4; q = x + y; f = q * z", "x")
    assert lines == [
        "dx/dx = 1   (the seed)",
        "dq/dx = ∂q/∂x * dx/dx + ∂q/∂y * dy/dx = 1 * 1 + 1 * 0 = 1",
        "df/dx = ∂f/∂q * dq/dx + ∂f/∂z * dz/dx = (-4) * 1 + 3 * 0 = -4",
    ]


def test_step_text_leaves_constants_out_and_never_prints_nan():
    # f = a**2 with a = x - 3 < 0: the exponent's partial a**2 ln(a) is nan, but the
    # constant 2 has no tangent, so its term is not written at all.
    lines = tangent_lines("x = 1; a = x - 3; f = a**2", "x")
    assert lines[2] == "df/dx = ∂f/∂a * da/dx = (-4) * 1 = -4"
    # An input the seed does not reach keeps its term, as 0 when its partial is undefined.
    lines = tangent_lines("x = 1; y = 2; a = x - 3; f = a**y", "x")
    assert lines[2] == "df/dx = ∂f/∂a * da/dx + ∂f/∂y * dy/dx = (-4) * 1 + 0 = -4"
    assert not any("nan" in line for line in lines)


def test_step_text_of_a_matrix_product_names_its_operands():
    lines = tangent_lines("W = [[1, 2], [3, 4]]; x = [1, -1]; h = W @ x; f = sum(h)", "W[0,1]")
    assert lines[1] == "dh/dW[0,1] = dW/dW[0,1] @ x = [-1, 0]"
    assert lines[2] == "df/dW[0,1] = sum(dh/dW[0,1]) = -1"


# ---- bad requests: one clear line ----------------------------------------------------------


@pytest.mark.parametrize(
    "wrt, direction, message",
    [
        ("nope", None, "no node named 'nope'"),
        ("q", None, "q is computed by add; forward mode starts from an input"),
        ("x[0]", None, r"x is a scalar: it has no element \[0\]"),
        ("W[2,0]", None, r"W has shape \(2, 2\): it has no element \[2, 0\]"),
        ("W", [1, 2], r"the direction for W has shape \(2,\); W has shape \(2, 2\)"),
        ("W", [[1, "a"], [0, 0]], "the direction for W: not a rectangular array"),
        ("W[0,0]", [[1, 0], [0, 0]], "either W\\[0,0\\] or a direction"),
    ],
)
def test_bad_requests_say_what_is_wrong(wrt, direction, message):
    graph = parse("x = 1; W = [[1, 2], [3, 4]]; q = x + 1; f = sum(W * q)")
    with pytest.raises(TangentError, match=message):
        tangents(graph, wrt, direction)


# ---- the command line ----------------------------------------------------------------------


def test_cli_jvp_json_shape(capsys):
    code = main(["jvp", "--expr", "f = (x + y) * z", "--set", "x=-2", "--set", "y=5",
                 "--set", "z=-4", "--wrt", "x", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"output", "value", "wrt", "tangents"} <= set(data)
    assert (data["output"], data["value"], data["wrt"]) == ("f", -12.0, "x")
    assert data["tangents"] == {"x": 1.0, "y": 0.0, "z": 0.0, "f": -4.0}


def test_cli_jvp_with_a_direction_and_elements(capsys):
    assert main(["jvp", "--expr", "W = [[1, 2], [3, 4]]; f = sum(W * W)", "--wrt", "W",
                 "--direction", "[[1, 0], [0, 1]]", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tangents"]["f"] == pytest.approx(2 * 1 + 2 * 4)  # d sum(W^2) . I = 2 tr(W)
    assert main(["jvp", "--expr", "W = [[1, 2], [3, 4]]; f = sum(W * W)", "--wrt", "W[1,0]",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["wrt"] == "W[1,0]" and data["tangents"]["f"] == pytest.approx(6.0)


def test_cli_step_forward_mode_prints_the_tangent_steps(capsys):
    assert main(["step", "--example", "chain_rule", "--mode", "forward", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    assert "Forward mode (tangents d/dx)" in out
    assert "df/dx = ∂f/∂q * dq/dx + ∂f/∂z * dz/dx = (-4) * 1 + 3 * 0 = -4" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["step", "--example", "chain_rule", "--mode", "forward"], "needs --wrt NAME"),
        (["step", "--example", "chain_rule", "--wrt", "x"], "are for --mode forward"),
        (["jvp", "--example", "chain_rule", "--wrt", "x", "--direction", "[1,"], "--direction"),
        (["jvp", "--example", "chain_rule", "--wrt", "q"], "forward mode starts from"),
        (["jvp", "--example", "chain_rule"], "--wrt"),
    ],
)
def test_cli_errors_are_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
