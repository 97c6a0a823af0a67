"""graphgui against PyTorch's numbers, recorded (tests/core/data/torch_reference.json, written
by scripts/torch_reference.py with torch.func.jvp and double backward), so this runs where
torch is not installed: forward-mode tangents, the sum over paths and second derivatives from
the gradient graph, on every bundled example and on random programs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from graphgui.core import fileformat
from graphgui.core.autodiff.grad_graph import gradient_graph
from graphgui.core.autodiff.pathsum import path_sum
from graphgui.core.autodiff.tangents import tangents
from graphgui.core.engine import evaluate

DATA = json.loads((Path(__file__).parent / "data" / "torch_reference.json").read_text())
CASES = DATA["cases"]


def graph_of(case):
    return fileformat.loads(json.dumps(case["graph"]))


def test_the_recording_covers_the_examples_and_random_programs():
    names = [case["name"] for case in CASES]
    assert "example network_2_2_2" in names and "example chain_rule" in names
    assert sum(n.startswith("random scalar") for n in names) >= 6
    assert sum(n.startswith("random tensor") for n in names) >= 4


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_tangents_equal_torch_jvp(case):
    graph = graph_of(case)
    for source, recorded in case["jvp"].items():
        direction = recorded["direction"]
        shape_is_scalar = not isinstance(direction, list)
        result = tangents(graph, source, None if shape_is_scalar else direction)
        got = result.tangents[graph.output]
        expected = recorded["tangent"] if not shape_is_scalar else recorded["tangent"] / direction
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-12), graph.node(source).title


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_path_sums_equal_torch_gradients(case):
    graph = graph_of(case)
    for source, grad in case["grad"].items():
        node = graph.node(source)
        if isinstance(node.value, float):
            expected = grad
            result = path_sum(graph, source, limit=100_000)
        else:  # one element of a tensor input: its first
            expected = float(np.ravel(grad)[0])
            result = path_sum(graph, f"{node.name}[{','.join('0' * np.ndim(node.value))}]",
                              limit=100_000)
        assert not result.truncated
        assert math.fsum(p.product for p in result.paths) == pytest.approx(
            expected, rel=1e-9, abs=1e-12
        ), node.title


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_gradient_graph_second_derivatives_equal_torch_double_backward(case):
    graph = graph_of(case)
    for source, row in case["hessian"].items():
        result = evaluate(gradient_graph(graph, source))
        assert result.ok, result.errors
        assert np.allclose(result.values[result.output], case["grad"][source],
                           rtol=1e-10, atol=1e-12)
        for other, expected in row.items():
            found = result.grads.get(other)
            got = np.zeros(np.shape(expected)) if found is None else found
            np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12,
                                       err_msg=f"d/d{other} sum(d out/d{source})")
