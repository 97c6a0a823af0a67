"""The compiled engine: values, gradients, the Step record, errors and snapshots.

Expected numbers are hand calculus (written next to each test) or NumPy in the test.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from graphgui.core.engine import EvaluationError, Program, evaluate
from graphgui.core.graph import Graph, GraphError


def build(spec: str, **values) -> tuple[Graph, dict[str, str]]:
    """A graph from lines ``name = op(arg, arg)``; sources are given as keyword values.

    Sources named in ``values`` become inputs (``c_*`` names become constants,
    ``w_*`` parameters). Returns the graph and name -> id.
    """
    g = Graph()
    for name, value in values.items():
        op = {"c_": "constant", "w_": "parameter"}.get(name[:2], "input")
        g.add_node(op, name=name, value=value)
    for line in filter(None, (s.strip() for s in spec.split(";"))):
        name, rhs = (t.strip() for t in line.split("="))
        op, args = rhs.rstrip(")").split("(")
        node = g.add_node(op.strip(), name=name)
        for port, arg in enumerate(a.strip() for a in args.split(",") if a.strip()):
            g.connect(g.lookup(arg).id, node.id, port)
    return g, {n.name: n.id for n in g.nodes}


def notebook() -> tuple[Graph, dict[str, str]]:
    return build("q = add(x, y); f = mul(q, z)", x=-2.0, y=5.0, z=-4.0)


# ---- values and gradients --------------------------------------------------------------------


def test_notebook_example_by_hand():
    # q = x + y = 3, f = q * z = -12; df/dx = df/dy = z = -4, df/dz = q = 3, df/dq = z.
    g, ids = notebook()
    result = evaluate(g)
    assert result.ok and result.output == ids["f"]
    assert result.values[ids["f"]] == -12.0
    assert result.values[ids["q"]] == 3.0
    assert result.grads[ids["x"]] == -4.0
    assert result.grads[ids["y"]] == -4.0
    assert result.grads[ids["z"]] == 3.0
    assert result.grads[ids["q"]] == -4.0
    assert result.grads[ids["f"]] == 1.0
    assert all(type(v) is float for v in (*result.values.values(), *result.grads.values()))


def test_overrides_by_name_and_refusal_on_computed_nodes():
    g, ids = notebook()
    result = evaluate(g, overrides={"x": 1, "z": 2})
    assert result.values[ids["f"]] == 12.0  # (1 + 5) * 2
    assert g.node(ids["x"]).value == -2.0  # the graph itself is untouched
    with pytest.raises(GraphError, match="q is computed by add; only sources can be set"):
        evaluate(g, overrides={"q": 1.0})
    with pytest.raises(GraphError, match="no node named 'nobody'"):
        evaluate(g, overrides={"nobody": 1.0})


def test_fan_out_sums_contributions():
    # h = x*x + x*y - x at x = 3, y = 2: h = 9 + 6 - 3 = 12; dh/dx = 2x + y - 1 = 7, dh/dy = x.
    g, ids = build("a = mul(x, x); b = mul(x, y); c = neg(x); s = add(a, b); h = add(s, c)",
                   x=3.0, y=2.0)
    result = evaluate(g)
    assert result.values[ids["h"]] == 12.0
    assert result.grads[ids["x"]] == 7.0
    assert result.grads[ids["y"]] == 3.0


def test_arrays_broadcast_and_the_output_gradient_is_of_the_sum():
    # f = sum over elements of w * x + b with w (2,1), x (1,3), b scalar:
    # df/dw_i = sum_j x_j, df/dx_j = sum_i w_i, df/db = 6 (elements).
    w = np.array([[1.0], [2.0]])
    x = np.array([[1.0, 2.0, 3.0]])
    g, ids = build("p = mul(w_w, x); f = add(p, b)", w_w=w, x=x, b=0.5)
    result = evaluate(g)
    np.testing.assert_array_equal(result.values[ids["f"]], w * x + 0.5)
    np.testing.assert_array_equal(result.grads[ids["w_w"]], [[6.0], [6.0]])
    np.testing.assert_array_equal(result.grads[ids["x"]], [[3.0, 3.0, 3.0]])
    assert result.grads[ids["b"]] == 6.0 and type(result.grads[ids["b"]]) is float


def test_seed_sets_the_output_gradient():
    g, ids = build("f = mul(x, c_k)", x=np.array([1.0, 2.0]), c_k=np.array([3.0, 4.0]))
    p = Program(g)
    vals = p.forward()
    grads = p.gradients(vals, seed=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(grads[p.slot[ids["x"]]], [3.0, -4.0])


# ---- the Step record ---------------------------------------------------------------------------


def drain(steps):
    """All Steps of a backward generator and its return value (the gradients)."""
    out = []
    while True:
        try:
            out.append(next(steps))
        except StopIteration as done:
            return out, done.value


def test_step_sequence_on_the_notebook_example():
    g, ids = notebook()
    p = Program(g)
    steps, grads = drain(p.backward_steps(p.forward()))
    names = {v: k for k, v in ids.items()}
    computed = [s for s in steps if s.inputs]
    assert [names[s.node_id] for s in computed] == ["f", "q"]
    assert [names[s.node_id] for s in steps] == [names[i] for i in p.backward_order()]
    f, q = computed
    assert f.upstream == 1.0 and f.value == -12.0
    assert f.inputs == (ids["q"], ids["z"]) and f.input_values == (3.0, -4.0)
    assert f.contributions == (-4.0, 3.0)  # df/dq = z, df/dz = q
    assert f.totals == (-4.0, 3.0)
    assert f.pending == (0, 0)
    assert q.upstream == -4.0
    assert q.contributions == (-4.0, -4.0) and q.totals == (-4.0, -4.0)
    assert f.local_derivatives(p) == (-4.0, 3.0)
    assert q.local_derivatives(p) == (1.0, 1.0)
    assert grads[p.slot[ids["x"]]] == -4.0


def test_step_running_sums_and_pending_counts_at_fan_out():
    # x = 3 feeds a = x*x (both ports), b = x*y and c = neg(x): four contributions in all.
    g, ids = build("a = mul(x, x); b = mul(x, y); c = neg(x); s = add(a, b); h = add(s, c)",
                   x=3.0, y=2.0)
    p = Program(g)
    steps, _ = drain(p.backward_steps(p.forward()))
    names = {v: k for k, v in ids.items()}
    seen = []  # (consumer, contribution, total, pending) for x, in visiting order
    for s in steps:
        for k, src in enumerate(s.inputs):
            if src == ids["x"]:
                seen.append((names[s.node_id], s.contributions[k], s.totals[k], s.pending[k]))
    # Backward visits h, c, s, b, a (reverse waves). Contributions by hand:
    # c: -1; b: y = 2; a: x = 3 per port. Running sum -1, 1, 4, 7; pending 3, 2, 1, 0.
    assert seen == [
        ("c", -1.0, -1.0, 3), ("b", 2.0, 1.0, 2), ("a", 3.0, 4.0, 1), ("a", 3.0, 7.0, 0)
    ]


def random_graph(seed: int, n_ops: int = 25, shape: tuple[int, ...] | None = None) -> Graph:
    """A random DAG of bounded ops over three inputs and a constant, ending in one node."""
    rng = np.random.default_rng(seed)

    def val():
        return float(rng.normal()) if shape is None else rng.normal(size=shape)

    g = Graph()
    ids = [g.add_node("input", value=val()).id for _ in range(3)]
    ids.append(g.add_node("constant", value=val()).id)
    for _ in range(n_ops):
        op = rng.choice(["add", "sub", "mul", "tanh", "sigmoid", "sin", "neg", "identity"])
        node = g.add_node(str(op))
        for port in range(node.spec.arity):
            g.connect(ids[int(rng.integers(len(ids)))], node.id, port)
        ids.append(node.id)
    return g


@pytest.mark.parametrize("seed", range(12))
def test_recording_does_not_change_gradients(seed):
    g = random_graph(seed, shape=None if seed % 2 else (2, 3))
    p = Program(g)
    vals = p.forward()
    fast = p.gradients(vals)
    steps, recorded = drain(p.backward_steps(vals, record=True))
    assert len(steps) == len(p.backward_order())
    for a, b in zip(fast, recorded, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    # The last Step touching each node holds its final total and 0 pending.
    final: dict[str, object] = {}
    for s in steps:
        for k, src in enumerate(s.inputs):
            if s.totals[k] is not None:
                final[src] = (s.totals[k], s.pending[k])
    for nid, (total, pending) in final.items():
        assert pending == 0
        np.testing.assert_array_equal(total, recorded[p.slot[nid]])


@pytest.mark.parametrize("seed", range(4))
def test_random_graph_gradients_match_finite_differences(seed):
    g = random_graph(100 + seed, n_ops=15)
    p = Program(g)
    vals = p.forward()
    grads = p.gradients(vals)
    out = p.slot[p.output_id]
    h = 1e-6
    for node in g.nodes:
        if node.op != "input":
            continue
        k = p.slot[node.id]
        up = p.forward({node.id: vals[k] + h})[out]
        down = p.forward({node.id: vals[k] - h})[out]
        numeric = (up - down) / (2 * h)
        analytic = grads[k] if grads[k] is not None else 0.0
        assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7)


# ---- what gets a gradient ----------------------------------------------------------------------


def test_wrt_limits_the_gradients_computed():
    g, ids = build("q = add(x, y); f = mul(q, z)", x=-2.0, y=5.0, z=-4.0)
    p = Program(g, wrt=["x"])
    grads = p.gradients(p.forward())
    by_name = {name: grads[p.slot[i]] for name, i in ids.items()}
    assert by_name["x"] == -4.0
    assert by_name["y"] is None and by_name["z"] is None
    assert by_name["q"] == -4.0 and by_name["f"] == 1.0  # on the path to x
    result = evaluate(g, wrt=["z"])
    assert set(result.grads) == {ids["z"], ids["f"]}
    assert result.grads[ids["z"]] == 3.0


def test_constants_get_no_gradient_by_default():
    g, ids = build("f = mul(x, c_k); h = add(f, w_b)", x=2.0, c_k=3.0, w_b=1.0)
    result = evaluate(g)
    assert ids["c_k"] not in result.grads
    assert result.grads[ids["x"]] == 3.0 and result.grads[ids["w_b"]] == 1.0


def test_prune_drops_nodes_that_do_not_feed_the_output():
    g, ids = build("q = add(x, y); f = mul(q, z); other = exp(x); f2 = neg(f)",
                   x=-2.0, y=5.0, z=-4.0)
    g.set_output(ids["f"])
    full = Program(g)
    pruned = Program(g, prune=True)
    assert ids["other"] in full.ids and ids["f2"] in full.ids
    assert set(pruned.ids) == {ids[n] for n in ("x", "y", "z", "q", "f")}
    assert pruned.forward()[pruned.slot[ids["f"]]] == -12.0
    assert pruned.gradients(pruned.forward())[pruned.slot[ids["x"]]] == -4.0
    # Unpruned: other nodes are evaluated but get no gradient (they do not feed f).
    vals = full.forward()
    assert vals[full.slot[ids["other"]]] == pytest.approx(math.exp(-2.0))
    assert full.gradients(vals)[full.slot[ids["other"]]] is None
    assert Program(g, output="f2").forward()[full.slot[ids["f2"]]] == 12.0


# ---- errors --------------------------------------------------------------------------------------


def test_missing_input_marks_dependents_and_the_rest_still_evaluates():
    g, ids = build("q = add(x, y); f = mul(q, z); r = exp(x)", x=0.0, y=5.0, z=-4.0)
    g.disconnect(ids["q"], 1)
    g.set_output(ids["f"])
    result = evaluate(g)
    assert result.errors[ids["q"]] == "input 'b' is not connected"
    assert result.errors[ids["f"]] == "depends on q, which failed"
    assert result.values[ids["r"]] == 1.0  # the independent branch is still computed
    assert ids["r"] not in result.errors and not result.ok
    assert result.grads == {}
    with pytest.raises(EvaluationError, match="q: input 'b' is not connected") as info:
        Program(g).forward()
    assert info.value.node_id == ids["q"]


def test_shape_mismatch_names_the_node_and_the_shapes():
    g, ids = build("s = add(a, b); t = tanh(s); u = sin(a)", a=np.ones(2), b=np.ones(3))
    result = evaluate(g)
    message = result.errors[ids["s"]]
    assert message == "shape mismatch in add: (2,) and (3,) cannot be combined elementwise"
    assert "\n" not in message
    assert result.errors[ids["t"]] == "depends on s, which failed"
    np.testing.assert_allclose(result.values[ids["u"]], np.sin(np.ones(2)))
    with pytest.raises(EvaluationError, match=r"^s: shape mismatch in add: \(2,\) and \(3,\)") as e:
        Program(g).forward()
    assert e.value.node_id == ids["s"]


def test_matmul_mismatch_and_scalar_input_messages():
    g, ids = build("m = matmul(a, b)", a=np.ones((2, 3)), b=np.ones((2, 3)))
    msg = evaluate(g).errors[ids["m"]]
    assert msg == (
        "shape mismatch in matmul: (2, 3) @ (2, 3) needs the last size of a (3) to equal "
        "the first size of b (2)"
    )
    g, ids = build("m = matmul(a, b)", a=2.0, b=np.ones(2))
    msg = evaluate(g).errors[ids["m"]]
    assert "matmul needs arrays" in msg and "a scalar and (2,)" in msg


@pytest.mark.parametrize(
    "spec, values, first, kind",
    [
        ("l = log(x); m = mul(l, c_two); n = exp(m)", {"x": 0.0, "c_two": 2.0}, "l", "-inf"),
        ("d = div(x, y); m = mul(d, c_two); n = tanh(m)", {"x": 1.0, "y": 0.0, "c_two": 2.0},
         "d", "inf"),
        ("ex = exp(x); m = sub(ex, ex); n = sin(m)", {"x": 1000.0}, "ex", "inf"),
        ("r = sqrt(x); m = mul(r, r)", {"x": -1.0}, "r", "nan"),
        ("ex = exp(x); m = sub(ex, ex)", {"x": np.array([0.0, 1000.0])}, "ex", "inf"),
    ],
)
def test_nonfinite_values_are_reported_at_the_first_node(spec, values, first, kind):
    g, ids = build(spec, **values)
    result = evaluate(g)
    assert result.errors == {}
    node_id, message = result.nonfinite
    assert node_id == ids[first], message
    assert message.startswith(f"{first} (")
    assert message.endswith(f"gave {kind}")
    assert not result.ok


def test_nonfinite_gradient_is_reported():
    # sqrt(0) = 0 is finite but d sqrt/dx = 1 / (2 sqrt(x)) is inf at 0.
    g, ids = build("r = sqrt(x); f = add(r, y)", x=0.0, y=1.0)
    result = evaluate(g)
    assert result.values[ids["r"]] == 0.0 and result.errors == {}
    assert result.grads[ids["x"]] == math.inf
    node_id, message = result.nonfinite
    assert node_id == ids["r"]
    assert message == "gradient through r (sqrt) to x is inf"


def test_errors_inside_forward_name_the_node():
    g, ids = build("t = transpose(x); s = sum(t)", x=np.ones((2, 3)))
    g.set_param(ids["s"], "axis", 5)
    with pytest.raises(EvaluationError) as info:
        Program(g).forward()
    assert info.value.node_id == ids["s"]
    message = str(info.value)
    assert message.startswith("s: ") and "axis 5 is out of range for shape (3, 2)" in message


# ---- snapshots ---------------------------------------------------------------------------------


def test_program_is_a_snapshot_of_the_graph():
    g, ids = notebook()
    p = Program(g)
    arr_graph, arr_ids = build("f = mul(x, c_k)", x=np.array([1.0, 2.0]), c_k=2.0)
    q = Program(arr_graph)
    # Edits after compiling change nothing in the Program.
    g.set_value(ids["x"], 100.0)
    g.disconnect(ids["f"], 1)
    g.remove_node(ids["y"])
    other = g.add_node("input", value=7.0)
    g.connect(other.id, ids["f"], 1)
    assert p.forward()[p.slot[ids["f"]]] == -12.0
    assert p.gradients(p.forward())[p.slot[ids["x"]]] == -4.0
    assert p.graph_node(ids["x"]).value == -2.0
    # In-place writes to the live array do not reach the snapshot either.
    arr_graph.node(arr_ids["x"]).value[0] = 50.0
    np.testing.assert_array_equal(q.forward()[q.slot[arr_ids["f"]]], [2.0, 4.0])
    # set_source changes the snapshot and not the graph.
    p.set_source(ids["z"], 1.0)
    assert p.forward()[p.slot[ids["f"]]] == 3.0
    assert g.node(ids["z"]).value == -4.0


def test_core_imports_no_qt():
    # Every module under graphgui.core, found by walking the package, so new ones are covered.
    code = (
        "import importlib, pkgutil, sys, graphgui.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'graphgui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(len([m for m in sys.modules if m.startswith('graphgui.core.')]))\n"
        "print([m for m in sys.modules if 'PySide6' in m or 'pyqtgraph' in m\n"
        "       or 'shiboken' in m or m.startswith('graphgui.gui')])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    count, qt = out.stdout.split("\n")[:2]
    assert int(count) >= 8  # engine, graph, gradcheck, values, events, ops...
    assert qt == "[]"


@pytest.mark.parametrize("order", ["sqrt first", "mul first"])
def test_nonfinite_gradient_is_blamed_on_the_node_that_made_it(order):
    # x = 0 feeds sqrt (slope inf) and x * 2 (slope 2): the culprit is sqrt whichever of the
    # two the backward pass visits first.
    lines = ["r = sqrt(x)", "m = mul(x, c_k)"]
    if order == "mul first":
        lines.reverse()
    g, ids = build("; ".join(lines) + "; f = add(m, r)", x=0.0, c_k=2.0)
    node_id, message = evaluate(g).nonfinite
    assert (node_id, message) == (ids["r"], "gradient through r (sqrt) to x is inf")


def test_overflowing_sum_of_finite_gradients_is_reported():
    # Values are 1e8; the two contributions of 1e308 each to x sum to inf.
    g, ids = build("a = mul(x, c_k); b = mul(x, c_k); f = add(a, b)", x=1e-300, c_k=1e308)
    node_id, message = evaluate(g).nonfinite
    assert message.endswith("to x is inf")
    assert node_id in (ids["a"], ids["b"])


def test_wire_gradients_are_the_consumers_contributions() -> None:
    # f = (x + y) * x at x = 3, y = 2: q = 5. By hand: the wire q -> f carries df/dq = x = 3,
    # the wire x -> f carries q = 5, and both wires into q carry df/dq * 1 = 3; the two wires
    # leaving x add up to df/dx = 2x + y = 8.
    from graphgui.core.expr import parse

    g = parse("x = 3\ny = 2\nq = x + y\nf = q * x", output="f")
    ids = {n.name: n.id for n in g}
    ev = Program(g).evaluate(wires=True)
    assert ev.wire_grads[(ids["f"], 0)] == 3.0
    assert ev.wire_grads[(ids["f"], 1)] == 5.0
    assert ev.wire_grads[(ids["q"], 0)] == 3.0
    assert ev.wire_grads[(ids["q"], 1)] == 3.0
    assert ev.wire_grads[(ids["f"], 1)] + ev.wire_grads[(ids["q"], 0)] == ev.grads[ids["x"]] == 8.0
    assert Program(g).evaluate().wire_grads == {}  # only recorded when asked for
