"""Generated straight-line code for scalar programs (graphgui/core/engine_codegen.py).

The generated passes must give the interpreter's numbers to the bit: every value and every
gradient is compared by ``float.hex`` (which tells -0.0 from 0.0) with a Program that never
runs generated code (``generated=False``), on the bundled examples and on random programs of
every op that has scalar templates; and the gradients are checked against central finite
differences (core's check_gradients, which then runs on the generated code too). Where math
raises or a value is not finite, the pass runs interpreted and reports as it always did.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from graphgui.core import engine_codegen
from graphgui.core.engine import Program
from graphgui.core.examples import example_names, load_example_document, training_example_names
from graphgui.core.gradcheck import check_gradients
from graphgui.core.graph import Graph
from graphgui.core.ops import OpError, OpSpec, all_ops, get_op, register, unregister

TEMPLATED = sorted(s.name for s in all_ops() if s.scalar_code)


@pytest.fixture(autouse=True)
def fresh_cache():
    engine_codegen.clear_cache()
    yield
    engine_codegen.clear_cache()


def bits(values) -> list[str | None]:
    return [None if v is None else float(v).hex() for v in values]


def compiled(graph: Graph, **kw) -> Program:
    program = Program(graph, **kw)
    assert program.scalar_code(compile_now=True) is not None
    return program


def assert_same_passes(graph: Graph, overrides=None, **kw) -> Program:
    """Generated and interpreted forward + backward agree to the bit; returns the generated."""
    fast, slow = compiled(graph, **kw), Program(graph, generated=False, **kw)
    vals, ref = fast.forward(overrides), slow.forward(overrides)
    assert bits(vals) == bits(ref)
    assert bits(fast.gradients(vals)) == bits(slow.gradients(ref))
    return fast


def assert_same_evaluation(graph: Graph, **kw) -> None:
    a = Program(graph, **kw)
    a.scalar_code(compile_now=True)
    b = Program(graph, generated=False, **kw)
    ea, eb = a.evaluate(), b.evaluate()
    assert bits(ea.values.values()) == bits(eb.values.values())
    assert list(ea.values) == list(eb.values)
    assert bits(ea.grads.values()) == bits(eb.grads.values()) and list(ea.grads) == list(eb.grads)
    assert (ea.errors, ea.nonfinite) == (eb.errors, eb.nonfinite)


# ---- random programs of every templated op -------------------------------------------------

UNIT_INPUTS = {"log": (0,), "sqrt": (0,), "pow": (0,), "bce": (0,), "div": (1,)}


def random_graph(rng: random.Random, n_ops: int, ops: list[str]) -> Graph:
    """A random scalar program: each node takes earlier nodes (fan-out is common). Inputs
    that need it (log's x, bce's p, a divisor) come from values known to lie in (0, 1):
    the unit inputs and sigmoid results. Half the sources are parameters, some constants."""
    g = Graph()
    nodes, unit = [], []
    for k in range(rng.randint(2, 5)):
        kind = rng.choice(("input", "parameter", "constant")) if k else "input"
        value = rng.uniform(0.05, 0.95)
        node = g.add_node(kind, value=value if rng.random() < 0.5 else value * 2 - 1.0)
        nodes.append(node.id)
        if 0 < node.value < 1:
            unit.append(node.id)
    for _ in range(n_ops):
        op = rng.choice(ops)
        spec = get_op(op)
        params = {}
        if op == "leaky_relu":
            params["alpha"] = rng.choice((0.01, -0.5, 0.3))
        if op == "heaviside":
            params["at_zero"] = rng.choice((1.0, 0.5, 0.0))
        if op == "l2":
            params["lam"] = rng.choice((0.01, 2.5))
        node = g.add_node(op, params=params)
        for port in range(spec.arity):
            pool = unit if port in UNIT_INPUTS.get(op, ()) and unit else nodes
            # recent nodes more often: long chains as well as wide fan-out
            src = pool[-1 - min(int(rng.expovariate(0.5)), len(pool) - 1)]
            g.connect(src, node.id, port)
        nodes.append(node.id)
        if op == "sigmoid":
            unit.append(node.id)
    g.set_output(nodes[-1])
    return g


def test_every_templated_op_gives_the_interpreters_numbers_to_the_bit():
    rng = random.Random(13)
    generated = {op: 0 for op in TEMPLATED}
    for trial in range(400):
        ops = [TEMPLATED[trial % len(TEMPLATED)]] * 3 + rng.sample(TEMPLATED, 4)
        g = random_graph(rng, rng.randint(1, 14), ops)
        fast = assert_same_passes(g)
        if fast.fast_path.backward_runs:  # both passes ran as generated code
            for node in g.nodes:
                generated[node.op] = generated.get(node.op, 0) + 1
    missing = [op for op in TEMPLATED if generated[op] < 5]
    assert not missing, f"never ran as generated code: {missing}"


def test_small_chunks_pass_values_and_gradients_on_between_functions(monkeypatch):
    # CHUNK statements per generated function: with 3, nearly every value and gradient
    # crosses from one function to the next (loads, partial sums stored, final slices)
    rng = random.Random(7)
    for chunk in (1, 2, 3, 5):
        monkeypatch.setattr(engine_codegen, "CHUNK", chunk)
        for _ in range(40):
            engine_codegen.clear_cache()
            g = random_graph(rng, rng.randint(1, 25), TEMPLATED)
            assert_same_passes(g)
            assert_same_passes(g, wrt=[g.nodes[0].id])


def test_gradients_of_random_programs_match_central_differences():
    rng = random.Random(5)
    smooth = [op for op in TEMPLATED if op not in ("relu", "leaky_relu", "abs", "heaviside",
                                                    "hinge")]
    checked = 0
    for _ in range(60):
        g = random_graph(rng, rng.randint(1, 10), smooth)
        compiled(g)  # the structure is cached: check_gradients's own Program runs it
        program = Program(g)
        vals = program.forward()
        if not program.fast_path.forward_runs or not all(map(math.isfinite, vals)):
            continue
        for result in check_gradients(g, rtol=1e-4, atol=1e-6):
            assert result.passed, (result.name, result.autodiff, result.numeric)
            checked += 1
    assert checked > 50


def test_kinked_ops_match_central_differences_away_from_their_kinks():
    for op, params in (("relu", {}), ("leaky_relu", {"alpha": -0.5}), ("abs", {}),
                       ("heaviside", {"at_zero": 0.5})):
        for x in (-0.7, 0.4):
            g = Graph()
            a = g.add_node("input", name="a", value=x)
            w = g.add_node("parameter", name="w", value=1.5)
            m = g.add_node("mul")
            f = g.add_node(op, params=params)
            out = g.add_node("mul")
            g.connect(a.id, m.id, 0)
            g.connect(w.id, m.id, 1)
            g.connect(m.id, f.id, 0)
            g.connect(f.id, out.id, 0)
            g.connect(m.id, out.id, 1)  # fan-out: m feeds f and out
            g.set_output(out.id)
            assert_same_passes(g)
            assert all(r.passed for r in check_gradients(g))
    g = Graph()  # hinge: 1 - y s > 0 and < 0
    for s_value in (0.3, 2.0):
        g = Graph()
        s = g.add_node("input", name="s", value=s_value)
        y = g.add_node("input", name="y", value=1.0)
        h = g.add_node("hinge")
        g.connect(s.id, h.id, 0)
        g.connect(y.id, h.id, 1)
        g.set_output(h.id)
        assert_same_passes(g)
        assert all(r.passed for r in check_gradients(g))


# ---- the bundled examples ----------------------------------------------------------------------


def scalar_examples():
    found = []
    for name in [*example_names(), *training_example_names()]:
        graph, _ = load_example_document(name)
        program = Program(graph)
        if program.fast_path is not None and all(
                program.initial[k].__class__ is float for k in program.fast_path._sources):
            found.append((name, graph))
    return found


SCALAR_EXAMPLES = scalar_examples()


def test_the_scalar_examples_are_found():
    names = {name for name, _ in SCALAR_EXAMPLES}
    assert {"chain_rule", "neuron", "network_2_2_2", "x_tanh_x"} <= names


@pytest.mark.parametrize("name,graph", SCALAR_EXAMPLES, ids=[n for n, _ in SCALAR_EXAMPLES])
def test_bundled_scalar_examples_run_generated_with_the_same_numbers(name, graph):
    fast = assert_same_passes(graph)
    assert fast.fast_path.forward_runs == 1 and fast.fast_path.backward_runs == 1
    assert_same_evaluation(graph)
    for result in check_gradients(graph):  # on the cached generated code
        assert result.passed, (name, result.name, result.autodiff, result.numeric)


# ---- accumulation order, pruning, overrides ------------------------------------------------


def fan_out_graph(values=(1e16, 1.0, -1e16)) -> Graph:
    """x feeds three products whose contributions only sum right in the interpreter's order
    (1e16 + 1 - 1e16 is 0 or 1 depending on it), and x * x (one node, both ports)."""
    g = Graph()
    x = g.add_node("input", name="x", value=1.0)
    total = None
    for v in values:
        c = g.add_node("constant", value=v)
        m = g.add_node("mul")
        g.connect(x.id, m.id, 0)
        g.connect(c.id, m.id, 1)
        if total is None:
            total = m
        else:
            s = g.add_node("add")
            g.connect(total.id, s.id, 0)
            g.connect(m.id, s.id, 1)
            total = s
    sq = g.add_node("mul")
    g.connect(x.id, sq.id, 0)
    g.connect(x.id, sq.id, 1)
    out = g.add_node("add")
    g.connect(total.id, out.id, 0)
    g.connect(sq.id, out.id, 1)
    g.set_output(out.id)
    return g


def test_fan_out_sums_in_the_interpreters_order():
    for values in ((1e16, 1.0, -1e16), (1.0, 1e16, -1e16), (-1e16, 1e16, 1.0)):
        g = fan_out_graph(values)
        fast = assert_same_passes(g)
        assert fast.fast_path.backward_runs == 1
        x = g.find("x").id
        slow = Program(g, generated=False)
        assert fast.gradients(fast.forward())[fast.slot[x]] == \
            slow.gradients(slow.forward())[slow.slot[x]]


def test_dead_gradients_are_pruned_as_the_interpreter_prunes_them():
    g = fan_out_graph()
    x = g.find("x").id
    for kw in ({}, {"wrt": [x]}, {"wrt": []}, {"prune": True}):
        fast = assert_same_passes(g, **kw)
        grads = fast.gradients(fast.forward())
        slow = Program(g, generated=False, **kw)
        assert [k for k, v in enumerate(grads) if v is None] == \
            [k for k, v in enumerate(slow.gradients(slow.forward())) if v is None]
    assert Program(g, wrt=[]).gradients(Program(g).forward())[Program(g).slot[x]] is None


def test_overrides_and_a_changed_snapshot_are_used():
    g = fan_out_graph()
    x = g.find("x").id
    fast = assert_same_passes(g, overrides={x: 0.25})
    assert fast.fast_path.forward_runs == 1
    fast.set_source(x, 3.0)  # as gradcheck does
    slow = Program(g, generated=False)
    slow.set_source(x, 3.0)
    assert bits(fast.forward()) == bits(slow.forward())
    fast.initial[fast.slot[x]] = 0.5  # as the trainer writes its parameters
    slow.initial[slow.slot[x]] = 0.5
    assert bits(fast.gradients(fast.forward())) == bits(slow.gradients(slow.forward()))
    assert fast.fast_path.forward_runs == 3


def test_values_that_are_not_floats_run_interpreted():
    g = fan_out_graph()
    x = g.find("x").id
    fast = compiled(g)
    runs = fast.fast_path.forward_runs
    array = fast.forward({x: np.array([1.0, 2.0])})  # an array: NumPy semantics
    assert isinstance(array[fast.slot[g.output]], np.ndarray)
    fast.initial[fast.slot[x]] = np.float64(2.0)  # a NumPy scalar is not a float here
    slow = Program(g, generated=False)
    slow.initial[slow.slot[x]] = np.float64(2.0)
    assert bits(fast.gradients(fast.forward())) == bits(slow.gradients(slow.forward()))
    assert fast.fast_path.forward_runs == runs and fast.fast_path.backward_runs == 0
    assert fast.gradients(slow.forward(), seed=np.float64(2.0)) is not None  # interpreted


def test_gradients_of_values_from_elsewhere_or_changed_since():
    # both passes are one generator: the backward pass takes the forward's locals when given
    # the very values it returned, unchanged; else it reads them from what it is given
    g = fan_out_graph((3.0, -2.0, 0.5))
    x = g.find("x").id
    fast, slow = compiled(g), Program(g, generated=False)
    vals = fast.forward()
    first = fast.gradients(vals)
    assert bits(fast.gradients(vals)) == bits(first)  # again, on the same values
    other = slow.forward({x: 0.75})
    assert bits(fast.gradients(other)) == bits(slow.gradients(other))
    vals = fast.forward()
    vals[fast.slot[x]] = 2.0  # changed after the pass: the gradients are of these values
    assert bits(fast.gradients(vals)) == bits(slow.gradients(vals))
    fast.forward()  # a pass never asked for its gradients
    assert bits(fast.gradients(other)) == bits(slow.gradients(other))
    assert fast.fast_path.backward_runs == 5


def test_values_replaced_by_arrays_after_the_pass_run_interpreted(monkeypatch):
    for chunk in (engine_codegen.CHUNK, 2):  # one generator, and functions passing lists
        monkeypatch.setattr(engine_codegen, "CHUNK", chunk)
        engine_codegen.clear_cache()
        g = fan_out_graph((3.0, -2.0, 0.5))
        fast, slow = compiled(g), Program(g, generated=False)
        vals = fast.forward()
        total = fast.slot[g.output]  # the sum the output is made of: an array now
        vals[total - 1] = np.array([1.0, 2.0])
        expected = slow.gradients(list(vals))
        got = fast.gradients(vals)
        assert fast.fast_path.backward_runs == 0
        assert [np.shape(v) for v in got] == [np.shape(v) for v in expected]
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True)
                   if a is not None)


def test_passes_of_one_structure_in_two_threads():
    import threading

    rng = random.Random(3)
    g = random_graph(rng, 30, TEMPLATED)
    slow = Program(g, generated=False)
    expected = bits(slow.gradients(slow.forward()))
    failures = []

    def work():
        program = Program(g)
        program.scalar_code(compile_now=True)  # both may compile; the cache keeps one
        for _ in range(50):
            if bits(program.gradients(program.forward())) != expected:
                failures.append(1)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and engine_codegen.cache_info()["entries"] == 1


def test_programs_over_the_size_cap_stay_interpreted(monkeypatch):
    g = fan_out_graph()
    monkeypatch.setattr(engine_codegen, "MAX_NODES", len(g.nodes) - 1)
    assert Program(g).fast_path is None
    monkeypatch.setattr(engine_codegen, "MAX_NODES", len(g.nodes))
    assert Program(g).fast_path is not None


def test_a_float_seed_and_recorded_steps():
    g = fan_out_graph()
    fast, slow = compiled(g), Program(g, generated=False)
    vals = fast.forward()
    assert bits(fast.gradients(vals, seed=-2.5)) == bits(slow.gradients(vals, seed=-2.5))
    runs = fast.fast_path.backward_runs
    steps = list(fast.backward_steps(vals))  # the stepper: always the interpreter
    assert [s.node_id for s in steps] == fast.backward_order()
    assert fast.fast_path.backward_runs == runs
    wired = fast.evaluate(wires=True)
    assert wired.wire_grads and bits(wired.grads.values()) == bits(slow.evaluate().grads.values())


# ---- where math raises or a value is not finite: the interpreter's reports -----------------


FAILING = [
    ("log(0)", "log", (0.0,)), ("log(-1)", "log", (-1.0,)), ("exp(1000)", "exp", (1000.0,)),
    ("sqrt(-1)", "sqrt", (-1.0,)), ("1 / 0", "div", (1.0, 0.0)), ("0 / 0", "div", (0.0, 0.0)),
    ("-8 ** 0.5", "pow", (-8.0, 0.5)), ("0 ** -1", "pow", (0.0, -1.0)),
    ("1e200 ** 2", "pow", (1e200, 2.0)), ("1e200 * 1e200", "mul", (1e200, 1e200)),
    ("bce(0, 1)", "bce", (0.0, 1.0)), ("bce(1, 0)", "bce", (1.0, 0.0)),
    ("sin(inf)", "sin", (math.inf,)), ("nan + 1", "add", (math.nan, 1.0)),
]


@pytest.mark.parametrize("what,op,args", FAILING, ids=[f[0] for f in FAILING])
def test_math_errors_and_non_finite_values_are_reported_as_interpreted(what, op, args):
    g = Graph()
    srcs = [g.add_node("input", name=f"x{k}", value=v) for k, v in enumerate(args)]
    node = g.add_node(op)
    for port, s in enumerate(srcs):
        g.connect(s.id, node.id, port)
    out = g.add_node("tanh")  # squashes inf to 1: the pass must still be interpreted
    g.connect(node.id, out.id, 0)
    g.set_output(out.id)
    assert_same_evaluation(g)
    fast = compiled(g)
    assert bits(fast.forward()) == bits(Program(g, generated=False).forward())
    assert fast.fast_path.forward_runs == 0  # every such pass ran interpreted
    ev = fast.evaluate()
    slow = Program(g, generated=False).evaluate()
    assert ev.nonfinite == slow.nonfinite


def test_gradients_that_overflow_are_reported_as_interpreted():
    # values finite, a gradient inf: d(x**3)/dx at 1e110 overflows
    g = Graph()
    x = g.add_node("input", name="x", value=1e110)
    three = g.add_node("constant", value=3.0)
    p = g.add_node("pow")
    g.connect(x.id, p.id, 0)
    g.connect(three.id, p.id, 1)
    s = g.add_node("sigmoid")
    g.connect(p.id, s.id, 0)
    g.set_output(s.id)
    assert_same_evaluation(g)
    fast = compiled(g)
    fast.gradients(fast.forward())
    assert fast.fast_path.backward_runs == 0


# ---- what the code is made of, and its cache ---------------------------------------------------


def test_the_source_holds_slots_templates_and_numbers_only():
    g = Graph("title_secret")
    x = g.add_node("input", name="x_secret", value=0.5)
    lr = g.add_node("leaky_relu", name="y_secret", params={"alpha": -0.25})
    g.connect(x.id, lr.id, 0)
    g.set_output(lr.id)
    code = compiled(g).scalar_code()
    assert "secret" not in code.source and "(-0.25)" in code.source
    assert "import" not in code.source and "__" not in code.source


def test_one_compilation_per_structure_and_the_cache_is_bounded(monkeypatch):
    g = fan_out_graph()
    first = compiled(g).scalar_code()
    g.set_value(g.find("x").id, 7.0)  # a value edit: same structure, same code
    assert Program(g).scalar_code(compile_now=True) is first
    other = fan_out_graph((1.0, 2.0, 3.0))  # constants are values: same structure too
    assert Program(other).scalar_code(compile_now=True) is first
    lr = Graph()
    x = lr.add_node("input", value=0.5)
    for alpha in (0.1, 0.2):
        node = lr.add_node("leaky_relu", params={"alpha": alpha})
        lr.connect(x.id, node.id, 0)
        lr.set_output(node.id)
    monkeypatch.setattr(engine_codegen, "CACHE_ENTRIES", 3)
    for k in range(6):  # chains of different lengths: different structures
        chain = Graph()
        prev = chain.add_node("input", value=0.1)
        for _ in range(k + 1):
            nxt = chain.add_node("tanh")
            chain.connect(prev.id, nxt.id, 0)
            prev = nxt
        chain.set_output(prev.id)
        compiled(chain)
    assert engine_codegen.cache_info()["entries"] == 3


def test_compiled_after_a_number_of_passes(monkeypatch):
    monkeypatch.setattr(engine_codegen, "COMPILE_AFTER", 3)
    g = fan_out_graph()
    program = Program(g)
    program.forward()
    program.forward()
    assert program.scalar_code() is None
    program.gradients(program.forward())
    assert program.scalar_code() is not None and program.fast_path.backward_runs == 1
    assert Program(g).forward() is not None  # a new Program finds the cached code at once
    assert engine_codegen.cache_info()["entries"] == 1


def test_programs_that_cannot_have_generated_code():
    g = Graph()
    a = g.add_node("input", value=np.ones((2, 2)))
    m = g.add_node("matmul")  # no scalar template
    g.connect(a.id, m.id, 0)
    g.connect(a.id, m.id, 1)
    assert Program(g).fast_path is None
    g2 = Graph()
    t = g2.add_node("tanh")  # its input is not connected
    g2.set_output(t.id)
    assert Program(g2).fast_path is None
    assert Program(fan_out_graph(), generated=False).fast_path is None


def test_scalar_templates_are_checked_at_registration():
    base = dict(category="Math", label="t", doc="test", inputs=("x",), forward=lambda x: x,
                vjps=(lambda g, out, x: g,), formula="x", derivatives=("1",),
                vjp_graph=lambda *a: (None,), jvps=(lambda t, out, x: t,), elementwise=True,
                numpy_code="{x}", numpy_grads=("{g}",), torch_code="{x}")
    for code, grads in (
        ("__import__('os')", ("{g}",)), ("{x}.real", ("{g}",)), ("open({x})", ("{g}",)),
        ("{y}", ("{g}",)), ("{x}", ("{out}.hex()",)), ("{x}", ()), ("[{x}]", ("{g}",)),
        ("math.e", ("{g}",)), ("'a'", ("{g}",)), ("{x}", ("ph_x",)), ("lambda: {x}", ("{g}",)),
        ("{x}", ("{g} if", )), ("max({x}, key=abs)", ("{g}",)),
    ):
        with pytest.raises(OpError, match="scalar"):
            register(OpSpec(name="bad_scalar", scalar_code=code, scalar_grads=grads, **base))
    register(OpSpec(name="good_scalar", scalar_code="(_t := {x}) * _t",
                    scalar_grads=("{g} * 2.0 * {x}",), **base))
    unregister("good_scalar")


# ---- the trainer and the loss landscape change source values between passes ---------------


def run_both(monkeypatch, fn):
    """``fn()`` with generated code (from pass one on) and with the interpreter only."""
    monkeypatch.setattr(engine_codegen, "COMPILE_AFTER", 1)
    fast = fn()
    assert engine_codegen.cache_info()["entries"] >= 1  # the generated code ran
    monkeypatch.setattr(engine_codegen.FastPath, "for_program", classmethod(lambda cls, p: None))
    return fast, fn()


def test_training_a_scalar_graph_gives_the_same_numbers(monkeypatch):
    from graphgui.core.train.run import train_graph

    graph, settings = load_example_document("gradient_descent_x2")
    training = {**settings["training"], "epochs": 200, "optimizer": "adam"}
    fast, slow = run_both(monkeypatch, lambda: train_graph(graph, training))
    assert bits(fast.loss_history) == bits(slow.loss_history)
    assert bits(fast.parameters.values()) == bits(slow.parameters.values())


def test_the_loss_landscape_of_a_scalar_graph_is_the_same(monkeypatch):
    from graphgui.core.landscape import compute

    graph, settings = load_example_document("gradient_descent_x2")
    (param,) = [n.name for n in graph.nodes if n.op == "parameter"]
    request = compute.LandscapeRequest(params=(param,), grid=9, steps=20,
                                       optimizers=("sgd", "adam"))
    fast, slow = run_both(monkeypatch, lambda: compute.compute_landscape(
        graph, settings["training"], request))
    assert fast.to_json() == slow.to_json()
