"""Work that would be unbounded (issue 9): a result over the element limit is refused before it
is computed, naming the node, the shapes and the limit; every op predicts its result's shape
(checked against what it computes)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from graphgui.core.engine import EvaluationError, Program
from graphgui.core.expr import parse
from graphgui.core.graph import Graph
from graphgui.core.ops import all_ops, get_op, shapes
from graphgui.core.values import MAX_ELEMENTS


def outer_graph(n: int = 30_000) -> Graph:
    g = parse("c = a * b; f = sum(c)")
    g.set_value(g.find("a").id, np.ones((n, 1)))
    g.set_value(g.find("b").id, np.ones((1, n)))
    return g


@pytest.mark.timeout(10)
def test_an_outer_product_over_the_limit_is_refused_at_once():
    g = outer_graph()
    start = time.perf_counter()
    result = Program(g).evaluate()
    assert time.perf_counter() - start < 1.0  # 7 GB were never allocated
    message = result.errors[g.find("c").id]
    assert message == (
        "mul would make a result of shape (30000, 30000) (900,000,000 elements) from "
        "(30000, 1) and (1, 30000), more than the limit of 10,000,000 elements"
    )
    assert result.errors[g.find("f").id] == "depends on c, which failed"
    with pytest.raises(EvaluationError, match=r"^c: mul would make a result of shape") as info:
        Program(g).forward()
    assert info.value.node_id == g.find("c").id


def test_the_limit_is_the_loaded_values_limit():
    assert MAX_ELEMENTS == 10_000_000
    n = int(np.sqrt(MAX_ELEMENTS))  # 3162 x 3162 = 9,998,244 elements: allowed
    g = parse("c = a * b; f = sum(c)")
    g.set_value(g.find("a").id, np.ones((n, 1)))
    g.set_value(g.find("b").id, np.ones((1, n)))
    result = Program(g).evaluate()
    assert not result.errors and result.values[g.find("f").id] == n * n


@pytest.mark.parametrize(
    ("program", "values", "words"),
    [
        ("f = sum(a @ b)", {"a": (20_000, 1), "b": (1, 20_000)},
         "matmul would make a result of shape (20000, 20000)"),
        ("f = mse(a, b)", {"a": (20_000, 1), "b": (1, 20_000)},
         "mse would make an intermediate array of shape (20000, 20000)"),
        ("f = softmax_ce(a, b)", {"a": (20_000, 1), "b": (1, 20_000)},
         "softmax_ce would make an intermediate array"),
        ("f = sum(exp(a + b))", {"a": (5000, 1, 1), "b": (1, 5000)},
         "add would make a result of shape (5000, 1, 5000)"),
    ],
)
def test_every_kind_of_op_is_size_checked(program, values, words):
    g = parse(program)
    for name, shape in values.items():
        g.set_value(g.find(name).id, np.zeros(shape))
    result = Program(g).evaluate()
    assert any(words in m for m in result.errors.values()), result.errors


def test_sizes_are_checked_again_when_a_source_changes_shape():
    g = parse("c = a * b; f = sum(c)")
    program = Program(g)
    assert not program.evaluate().errors  # scalars: nothing to predict
    a, b = g.find("a").id, g.find("b").id
    big = {a: np.ones((30_000, 1)), b: np.ones((1, 30_000))}
    assert g.find("c").id in program.evaluate(big).errors  # overrides with new shapes
    program.set_source(a, np.ones((30_000, 1)))
    program.set_source(b, np.ones((1, 30_000)))
    with pytest.raises(EvaluationError, match="more than the limit"):
        program.forward()
    program.set_source(b, np.ones((1, 3)))
    assert not program.evaluate().errors


def test_every_op_declares_how_its_result_is_shaped():
    for spec in all_ops():
        if not spec.is_source:
            assert spec.shape_rule is not None, spec.name


SAMPLE_SHAPES = [(), (3,), (1,), (2, 3), (3, 1), (1, 3), (2, 1, 3), (4, 2, 3), (3, 3)]


def _params_for(spec, rng):
    choices = {"axis": [None, 0, -1, 1, 2], "shape": [(-1,), (3, -1), (1, -1, 1)],
               "float": [0.5]}
    return [dict(zip([p.name for p in spec.params], combo, strict=True)) for combo in (
        [choices[p.kind][k % len(choices[p.kind])] for p in spec.params] for k in range(5)
    )] if spec.params else [{}]


def test_shape_rules_agree_with_what_each_op_computes():
    """For every op, on many input shapes: where the forward succeeds, the rule predicts its
    result's shape; where the rule refuses, the forward fails too."""
    rng = np.random.default_rng(0)
    checked = 0
    for spec in all_ops():
        if spec.is_source:
            continue
        rule = spec.shape_rule
        for params in _params_for(spec, rng):
            for sa in SAMPLE_SHAPES:
                for sb in SAMPLE_SHAPES if spec.arity == 2 else [None]:
                    ins = [sa] if sb is None else [sa, sb]
                    vals = [0.5 if not s else rng.uniform(0.1, 0.9, s) for s in ins]
                    try:
                        with np.errstate(all="ignore"):
                            out = spec.forward(*vals, **params)
                    except Exception:  # noqa: BLE001
                        out = None
                    try:
                        predicted = tuple(rule(*ins, **params))
                    except ValueError:
                        predicted = None
                    if out is None:
                        continue  # the op refuses; a rule may or may not know why
                    assert predicted == np.shape(out), (spec.name, ins, params)
                    checked += 1
    assert checked > 300


@pytest.mark.parametrize(
    ("a", "b"),
    [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
     ((5, 2, 3), (3,)), ((1, 2, 3), (4, 3, 2))],
)
def test_matmul_shapes_follow_numpy(a, b):
    assert shapes.matmul(a, b) == np.matmul(np.ones(a), np.ones(b)).shape


def test_softmax_axis_is_checked_as_sum_checks_it():
    g = parse("f = softmax(x, axis=3)")
    g.set_value(g.find("x").id, np.ones((2, 2)))
    message = Program(g).evaluate().errors[g.find("f").id]
    assert "axis 3 is out of range for shape (2, 2)" in message
    assert get_op("softmax").forward(2.0, axis=3) == 1.0  # a scalar is its own axis


# ---- graphgui check: a bounded, reproducible sample of a large array ---------------------


@pytest.mark.timeout(60)
def test_large_arrays_are_checked_on_a_seeded_sample():
    from graphgui.core.gradcheck import MAX_CHECKED, MIN_CHECKED, check_gradients

    g = parse("f = sum(x * x)")
    g.set_value(g.find("x").id, np.linspace(-1e-3, 1e-3, 2_000_000).reshape(2000, 1000))
    start = time.perf_counter()
    (first,) = check_gradients(g)
    assert time.perf_counter() - start < 20  # every element: hours
    assert first.passed and first.sampled and first.elements == 2_000_000
    assert MIN_CHECKED <= first.checked <= MAX_CHECKED and len(first.sample) == first.checked
    x = np.linspace(-1e-3, 1e-3, 2_000_000)
    assert np.allclose(first.autodiff, 2 * x[first.sample])  # the sampled elements' gradients
    (again,) = check_gradients(g)
    assert np.array_equal(again.sample, first.sample)  # the same sample every run


def test_small_arrays_are_checked_element_by_element():
    from graphgui.core.gradcheck import check_gradients

    g = parse("f = sum(W @ v)")
    g.set_value(g.find("W").id, np.arange(6.0).reshape(2, 3))
    g.set_value(g.find("v").id, np.ones(3))
    for c in check_gradients(g):
        assert c.passed and not c.sampled and c.checked == c.elements
        assert np.shape(c.numeric) == np.shape(g.find(c.name).value)


def test_a_wrong_rule_is_still_caught_in_a_sample():
    from graphgui.core.gradcheck import check_gradients
    from graphgui.core.ops import OpSpec, register, unregister

    register(OpSpec(
        name="twice_wrong", category="Math", label="2x", doc="2x with a wrong gradient",
        inputs=("x",), forward=lambda x: 2 * x, vjps=(lambda g, out, x: 3 * g,),
        jvps=(lambda t, out, x: 3 * t,),
        vjp_graph=lambda b, g, out, inputs, params, needs: (g,),  # never built here
        numpy_code="2 * {x}", numpy_grads=("3 * {g}",), torch_code="2 * {x}",
        formula="2 * x", derivatives=("3",), elementwise=True,
    ))
    try:
        g = parse("f = sum(twice_wrong(x))")
        g.set_value(g.find("x").id, np.ones(50_000))
        (c,) = check_gradients(g)
        assert c.sampled and not c.passed
    finally:
        unregister("twice_wrong")


@pytest.mark.parametrize(
    "spec",
    [{"kind": "ising", "n": 1_000_000, "L": 64},  # 32 GB of spins
     {"kind": "blobs", "n": 1_000_000, "n_features": 1000},
     {"kind": "blobs", "n": 500_000, "centers": 30}],
)
def test_a_data_set_larger_than_a_value_may_be_is_refused_before_it_is_made(spec):
    from graphgui.core.datasets import DatasetError, validate_spec

    with pytest.raises(DatasetError, match="more than the limit of 10,000,000"):
        validate_spec(spec)


@pytest.mark.filterwarnings("error")  # NumPy's "Mean of empty slice" would reach stderr
@pytest.mark.parametrize("shape", [(2, 0), (0,), (0, 3)])
@pytest.mark.parametrize(
    "program",
    ["f = mean(x)", "f = mean(x, axis=0)", "f = mse(x, x)", "f = hinge(x, x)",
     "f = bce_logits(x, x)", "f = bce(x, x)", "f = softmax_ce(x, x)", "f = sum(softmax(x))",
     "f = l2(x)", "f = sum(x @ transpose(x))"],
)
def test_empty_arrays_give_nan_or_a_message_never_an_exception(program, shape):
    from graphgui.core.engine import evaluate

    g = parse(program)
    g.set_value(g.find("x").id, np.zeros(shape))
    result = evaluate(g)  # never raises: a value, a non-finite report or a node's error
    f = g.find("f").id
    assert f in result.values or f in result.errors


def test_a_gradient_rule_that_raises_is_named_not_escaped():
    from graphgui.core.engine import evaluate
    from graphgui.core.ops import OpSpec, register, unregister

    def broken(g, out, x):
        raise ZeroDivisionError("float division by zero")

    register(OpSpec(
        name="broken_grad", category="Math", label="b", doc="a rule that raises",
        inputs=("x",), forward=lambda x: x, vjps=(broken,), jvps=(broken,),
        vjp_graph=lambda b, g, out, inputs, params, needs: (g,),  # never built here
        numpy_code="{x}", numpy_grads=("{g}",), torch_code="{x}",
        formula="x", derivatives=("1",), elementwise=True,
    ))
    try:
        g = parse("f = broken_grad(x) * 2")
        result = evaluate(g)
        (node_id, message), = result.errors.items()
        assert message == "the gradient of broken_grad failed: float division by zero"
        assert g.node(node_id).op == "broken_grad" and not result.grads
        with pytest.raises(EvaluationError, match="the gradient of broken_grad failed"):
            program = Program(g)
            program.gradients(program.forward())
    finally:
        unregister("broken_grad")
