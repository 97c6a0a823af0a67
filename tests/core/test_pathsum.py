"""The sum over paths: every path's product of local derivatives, adding up to the gradient
the backward pass computes (and PyTorch's, where installed); counts exact past the limit."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from torch_reference import TORCH_MISSING, as_tensor, random_program, torch_function

from graphgui.cli import main
from graphgui.core.autodiff.pathsum import PathError, path_sum
from graphgui.core.engine import Program
from graphgui.core.examples import example_names, load_example
from graphgui.core.expr import parse


def sources(graph):
    return [n.name or n.id for n in graph.nodes if n.op in ("input", "parameter")]


def test_colah_example_by_hand():
    # Colah's e = (a + b) * (b + 1) at a = 2, b = 1: de/db = 1 * 2 + 1 * 3 = 5.
    graph = parse("a = 2; b = 1; c = a + b; d = b + 1; e = c * d")
    result = path_sum(graph, "b")
    assert result.count == 2
    assert sorted((p.nodes, p.factors, p.product) for p in result.paths) == [
        (("b", "c", "e"), (1.0, 2.0), 2.0),
        (("b", "d", "e"), (1.0, 3.0), 3.0),
    ]
    assert result.sum == result.gradient == 5.0
    (fan_out,) = result.fan_outs
    assert fan_out.node == "b" and fan_out.paths_through == 2
    assert fan_out.factored == "de/db = de/dc * dc/db + de/dd * dd/db = 2 * 1 + 3 * 1 = 5"
    assert result.paths[0].formulas == ("dd/db = 1", "de/dd = c")


@pytest.mark.parametrize("name", list(example_names()))
def test_every_example_path_sum_is_the_gradient(name):
    graph = load_example(name)
    program = Program(graph)
    grads = program.gradients(program.forward())
    for source in sources(graph):
        result = path_sum(graph, source)
        node = graph.lookup(source)
        expected = grads[program.slot[node.id]]
        expected = 0.0 if expected is None else float(np.ravel(expected)[0])
        assert not result.truncated
        total = math.fsum(p.product for p in result.paths)
        assert total == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert result.gradient == pytest.approx(expected, rel=1e-12, abs=1e-15)
        for path in result.paths:
            assert path.product == pytest.approx(math.prod(path.factors), rel=1e-12)
            assert path.nodes[0].startswith(node.name or "")
            assert len(path.factors) == len(path.nodes) - 1


@pytest.mark.parametrize("seed", range(8))
def test_random_program_path_sums_agree_with_torch(seed):
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    graph = random_program(200 + seed, n_ops=14)
    run = torch_function(graph)
    for source in sources(graph):
        node = graph.lookup(source)
        x = as_tensor(node.value).requires_grad_(True)
        out = run({node.id: x})
        expected = float(torch.autograd.grad(out, x)[0]) if out.requires_grad else 0.0
        result = path_sum(graph, source, limit=10**5)
        assert not result.truncated
        total = math.fsum(p.product for p in result.paths)
        assert total == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_elements_of_tensors_and_one_output_element():
    graph = load_example("matrix_network")
    program = Program(graph)
    grads = program.gradients(program.forward())
    w1 = graph.find("W1")
    for index in itertools.product(*map(range, w1.value.shape)):
        label = f"W1[{','.join(map(str, index))}]"
        result = path_sum(graph, label)
        assert result.wrt == label and result.paths[0].nodes[0] == label
        assert result.sum == pytest.approx(grads[program.slot[w1.id]][index], rel=1e-12)
    # One element of a tensor output: d a1[1] / d W1[1,0] = sigma'(z1[1]) * x[0].
    graph = parse("W = [[1, 2], [3, 4]]; x = [0.5, -1]; a = sigmoid(W @ x)")
    result = path_sum(graph, "W[1,0]", output="a[1]")
    z = 3 * 0.5 - 4
    s = 1 / (1 + math.exp(-z))
    assert result.output == "a[1]" and result.count == 1
    assert result.sum == pytest.approx(s * (1 - s) * 0.5, rel=1e-12)
    assert result.gradient == pytest.approx(result.sum, rel=1e-12)
    assert path_sum(graph, "W[1,0]", output="a[0]").count == 0


def diamonds(layers: int) -> str:
    """Each layer doubles the paths: y' = sin(y) + cos(y)."""
    lines = ["y0 = 0.3"]
    for k in range(layers):
        lines.append(f"y{k + 1} = sin(y{k}) + cos(y{k})")
    return "; ".join(lines)


def test_too_many_paths_are_counted_exactly_and_the_largest_listed():
    result = path_sum(parse(diamonds(24)), "y0", limit=5)
    assert result.count == 2**24 and len(result.paths) == 5 and result.truncated
    program = Program(parse(diamonds(24)))
    assert result.sum == pytest.approx(result.gradient, rel=1e-9)
    sizes = [abs(p.product) for p in result.paths]
    assert sizes == sorted(sizes, reverse=True)
    # Against all 2**6 paths of a smaller one, enumerated here by brute force.
    small = path_sum(parse(diamonds(6)), "y0", limit=10**4)
    top = path_sum(parse(diamonds(6)), "y0", limit=7)
    every = sorted((abs(p.product) for p in small.paths), reverse=True)
    assert small.count == 64 and len(small.paths) == 64
    assert [abs(p.product) for p in top.paths] == pytest.approx(every[:7], rel=1e-15)
    del program


def test_bad_requests_are_one_line_errors():
    graph = parse("x = 1; q = x + 1; f = q * q")
    with pytest.raises(PathError, match="no node named 'nope'"):
        path_sum(graph, "nope")
    with pytest.raises(PathError, match="q is computed by add"):
        path_sum(graph, "q")
    with pytest.raises(PathError, match="no node named 'zz'"):
        path_sum(graph, "x", output="zz")
    big = parse("W = [[0.5]]; f = sum(tanh(W @ W))")
    big.set_value(big.find("W").id, np.full((100, 100), 0.01))
    with pytest.raises(PathError, match="too large to list paths element by element"):
        path_sum(big, "W[0,0]")


def test_cli_paths_json_shape_and_limit(capsys):
    assert main(["paths", "--expr", diamonds(10), "--wrt", "y0", "--limit", "3", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"wrt", "output", "count", "paths", "sum", "gradient"} <= set(data)
    assert data["wrt"] == "y0" and data["output"] == "y10"
    assert data["count"] == 1024 and len(data["paths"]) == 3
    assert set(data["paths"][0]) >= {"nodes", "factors", "product"}
    assert data["sum"] == pytest.approx(data["gradient"], rel=1e-12)
    assert main(["paths", "--example", "chain_rule", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    assert "x -> q -> f" in out and "sum over all paths = -4" in out
