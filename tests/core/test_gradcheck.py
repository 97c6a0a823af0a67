"""check_gradients: passes on correct graphs, and catches a wrong gradient rule."""

from __future__ import annotations

import numpy as np
import pytest

from graphgui.core.gradcheck import check_gradients, relative_error
from graphgui.core.graph import Graph
from graphgui.core.ops import OpSpec, register, unregister


def mlp_graph(rng: np.random.Generator) -> Graph:
    """sigmoid(W2 @ sigmoid(W1 @ X + b1) + b2) with BCE against y, as in the notebook."""
    g = Graph("mlp")
    X = g.add_node("input", name="X", value=rng.normal(size=(2, 5)))
    y = g.add_node("constant", name="y", value=(rng.random((1, 5)) > 0.5).astype(float))
    W1 = g.add_node("parameter", name="W1", value=rng.normal(size=(3, 2)))
    b1 = g.add_node("parameter", name="b1", value=rng.normal(size=(3, 1)))
    W2 = g.add_node("parameter", name="W2", value=rng.normal(size=(1, 3)))
    b2 = g.add_node("parameter", name="b2", value=0.1)
    z1 = g.add_node("matmul", name="z1")
    a1 = g.add_node("add", name="a1")
    h = g.add_node("sigmoid", name="h")
    z2 = g.add_node("matmul", name="z2")
    a2 = g.add_node("add", name="a2")
    p = g.add_node("sigmoid", name="p")
    loss = g.add_node("bce", name="loss")
    for src, dst, port in [
        (W1, z1, 0), (X, z1, 1), (z1, a1, 0), (b1, a1, 1), (a1, h, 0), (W2, z2, 0), (h, z2, 1),
        (z2, a2, 0), (b2, a2, 1), (a2, p, 0), (p, loss, 0), (y, loss, 1),
    ]:
        g.connect(src.id, dst.id, port)
    return g


def test_passes_on_the_notebook_scalar_example():
    g = Graph()
    x = g.add_node("input", name="x", value=-2.0)
    y = g.add_node("input", name="y", value=5.0)
    z = g.add_node("input", name="z", value=-4.0)
    q = g.add_node("add", name="q")
    f = g.add_node("mul", name="f")
    for src, dst, port in [(x, q, 0), (y, q, 1), (q, f, 0), (z, f, 1)]:
        g.connect(src.id, dst.id, port)
    results = check_gradients(g)
    assert {r.name: r.passed for r in results} == {"x": True, "y": True, "z": True}
    by_name = {r.name: r for r in results}
    assert by_name["x"].autodiff == -4.0 and by_name["z"].autodiff == 3.0
    assert by_name["x"].numeric == pytest.approx(-4.0, abs=1e-6)
    assert all(r.abs_error < 1e-6 and r.rel_error < 1e-6 for r in results)


def test_passes_on_an_mlp_with_arrays_and_checks_every_parameter():
    g = mlp_graph(np.random.default_rng(0))
    results = check_gradients(g)
    assert {r.name for r in results} == {"X", "W1", "b1", "W2", "b2"}  # y is a constant
    for r in results:
        assert r.passed, (r.name, r.abs_error)
        assert np.shape(r.autodiff) == np.shape(r.numeric)
    W1 = next(r for r in results if r.name == "W1")
    assert W1.numeric.shape == (3, 2)


def test_wrt_and_overrides():
    g = mlp_graph(np.random.default_rng(1))
    results = check_gradients(g, wrt=["b2"], overrides={"b2": -0.5})
    assert [r.name for r in results] == ["b2"]
    assert results[0].passed
    assert g.find("b2").value == 0.1  # the override does not touch the graph


def _square_graph(op: str, x: float = 1.5) -> Graph:
    g = Graph()
    xn = g.add_node("input", name="x", value=x)
    node = g.add_node(op, name="f")
    g.connect(xn.id, node.id, 0)
    return g


@pytest.fixture
def wrong_square():
    """x^2 with the rule 3x instead of 2x, registered for one test only."""
    spec = register(OpSpec(
        name="test_wrong_square", category="Math", label="sq?", doc="x^2, wrong rule",
        inputs=("x",), forward=lambda x: x * x, vjps=(lambda g, out, x: g * 3.0 * x,),
        jvps=(lambda t, out, x: t * 3.0 * x,),
        vjp_graph=lambda b, g, out, inputs, params, needs: (g,),  # never built here
        numpy_code="{x} * {x}", numpy_grads=("{g} * 3.0 * {x}",), torch_code="{x} * {x}",
        formula="x^2", derivatives=("3 * x  (wrong on purpose)",), elementwise=True,
    ))
    yield spec
    unregister(spec.name)


def test_fails_on_a_wrong_rule(wrong_square):
    (result,) = check_gradients(_square_graph(wrong_square.name, 1.5))
    assert not result.passed
    assert result.autodiff == pytest.approx(4.5)  # 3x
    assert result.numeric == pytest.approx(3.0, abs=1e-6)  # 2x, by hand
    assert result.abs_error == pytest.approx(1.5, abs=1e-6)
    assert result.rel_error == pytest.approx(1.5 / 7.5, rel=1e-5)
    # A wrong rule is also caught on arrays, element by element.
    g = _square_graph(wrong_square.name)
    g.set_value(g.find("x").id, [1.0, -2.0])
    (result,) = check_gradients(g)
    assert not result.passed
    np.testing.assert_allclose(result.numeric, [2.0, -4.0], atol=1e-6)


def test_step_size_matters():
    # Central differences of x^3 at x = 1 are exact up to h^2: (3 + h^2) instead of 3.
    g = Graph()
    x = g.add_node("input", name="x", value=1.0)
    three = g.add_node("constant", value=3.0)
    cube = g.add_node("pow", name="f")
    g.connect(x.id, cube.id, 0)
    g.connect(three.id, cube.id, 1)
    (fine,) = check_gradients(g, step=1e-5)
    assert fine.passed
    (coarse,) = check_gradients(g, step=0.1)
    assert coarse.numeric == pytest.approx(3.01, rel=1e-9)
    assert not coarse.passed
    (loose,) = check_gradients(g, step=0.1, rtol=0.01)
    assert loose.passed
    with pytest.raises(ValueError, match="step must be positive"):
        check_gradients(g, step=0.0)


def test_arrays_with_broadcasting_and_reductions():
    rng = np.random.default_rng(2)
    g = Graph()
    a = g.add_node("input", name="a", value=rng.normal(size=(3, 1)))
    b = g.add_node("parameter", name="b", value=rng.normal(size=(1, 4)))
    m = g.add_node("mul")
    t = g.add_node("tanh")
    s = g.add_node("softmax", params={"axis": 0})
    c = g.add_node("constant", value=rng.random((3, 4)))
    loss = g.add_node("mse")
    for src, dst, port in [(a, m, 0), (b, m, 1), (m, t, 0), (t, s, 0), (s, loss, 0), (c, loss, 1)]:
        g.connect(src.id, dst.id, port)
    results = check_gradients(g)
    assert [r.name for r in results] == ["a", "b"]
    assert all(r.passed for r in results), [(r.name, r.abs_error) for r in results]
    assert results[0].autodiff.shape == (3, 1) and results[1].autodiff.shape == (1, 4)


def test_relative_error():
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(1.0, 3.0) == pytest.approx(0.5)
    assert relative_error(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == 0.0


def test_refusals_are_one_line_reasons():
    with pytest.raises(ValueError, match="the graph has no output to check"):
        check_gradients(Graph())
    g = _square_graph("neg")
    # An override of a computed node used to be ignored silently.
    with pytest.raises(ValueError, match="f is computed by neg; only sources can be set"):
        check_gradients(g, overrides={"f": 3.0})
