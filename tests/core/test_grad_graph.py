"""Gradients as graphs (graphgui.core.autodiff.grad_graph): the gradient graph's value is the
engine's gradient, and the engine's gradient of the gradient graph is the second derivative.

Expected numbers come from central finite differences of the ops' forward functions (or of the
engine's gradient, for second derivatives), from hand values and, where it is installed, from
PyTorch's double backward; never from the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from torch_reference import TORCH_MISSING, as_tensor, torch_function

from graphgui.core.autodiff.grad_graph import GradGraphError, gradient_graph
from graphgui.core.engine import Program, evaluate
from graphgui.core.examples import example_names, load_example, training_example_names
from graphgui.core.expr import parse
from graphgui.core.fileformat import dumps
from graphgui.core.graph import Graph
from graphgui.core.ops import all_ops, get_op

STEP = 1e-6  # central differences of a forward function
STEP2 = 1e-5  # central differences of a gradient (second derivatives)

# ---- helpers ------------------------------------------------------------------------------


def as_value(x: Any) -> Any:
    arr = np.asarray(x, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.copy()


def one_op_graph(name: str, xs: tuple, params: dict) -> Graph:
    """inputs named after the op's ports, feeding one ``name`` node f (the output)."""
    spec = get_op(name)
    g = Graph()
    ids = [g.add_node("input", name=p, value=x).id for p, x in zip(spec.inputs, xs, strict=True)]
    f = g.add_node(name, name="f", params=params)
    for port, nid in enumerate(ids):
        g.connect(nid, f.id, port)
    g.set_output(f.id)
    return g


def numeric_grad(fn: Callable[[Any], float], x: Any, step: float = STEP) -> Any:
    """Central differences of the number fn(x) with respect to every element of x."""
    arr = np.asarray(x, dtype=float)
    grad = np.zeros(arr.shape)
    for idx in np.ndindex(arr.shape):
        plus, minus = arr.copy(), arr.copy()
        plus[idx] += step
        minus[idx] -= step
        grad[idx] = (fn(as_value(plus)) - fn(as_value(minus))) / (2 * step)
    return float(grad) if grad.ndim == 0 else grad


def engine_grad(graph: Graph, wrt: str, overrides: dict | None = None) -> Any:
    """The engine's d(output)/d(wrt) (zeros if wrt does not reach the output)."""
    program = Program(graph, wrt=[graph.lookup(wrt).id])
    ids = {graph.lookup(k).id: as_value(v) for k, v in (overrides or {}).items()}
    vals = program.forward(ids)
    grad = program.gradients(vals)[program.slot[graph.lookup(wrt).id]]
    if grad is None:
        return np.zeros(np.shape(vals[program.slot[graph.lookup(wrt).id]]))
    return grad


def value_of(graph: Graph) -> Any:
    result = evaluate(graph)
    assert not result.errors, result.errors
    return result.values[graph.output]


def second_derivatives(gg: Graph, seed: Any = None) -> dict[str, Any]:
    """The engine on a gradient graph: d<grad, seed>/d(source) for every input and parameter
    (seed ones: the derivative of the gradient's sum)."""
    program = Program(gg)
    vals = program.forward()
    grads = program.gradients(vals, seed=seed)
    out = {}
    for node in gg.nodes:
        if node.op in ("input", "parameter"):
            k = program.slot[node.id]
            out[node.name] = grads[k] if grads[k] is not None else np.zeros(np.shape(vals[k]))
    return out


def numeric_second(graph: Graph, wrt: str, source: str, seed: Any) -> Any:
    """Central differences of <engine gradient wrt ``wrt``, seed> along each element of
    ``source``: the row of the Hessian (times seed) that the engine gives for a grad graph."""
    base = graph.lookup(source).value

    def inner(v: Any) -> float:
        return float(np.sum(np.asarray(engine_grad(graph, wrt, {source: v})) * seed))

    return numeric_grad(inner, base, STEP2)


def close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-7, msg: str = ""
          ) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
        rtol=rtol, atol=atol, equal_nan=True, err_msg=msg,
    )
    assert np.shape(actual) == np.shape(expected), msg


# ---- (1) every op, as a one-op graph --------------------------------------------------------

RNG = np.random.default_rng(20240611)
S: tuple[int, ...] = ()


def general(shape):
    return as_value(RNG.uniform(-2, 2, shape))


def positive(shape):
    return as_value(RNG.uniform(0.4, 2.0, shape))


def away(shape):  # magnitude in [0.2, 2], either sign: away from kinks at 0
    return as_value(RNG.uniform(0.2, 2.0, shape) * RNG.choice([-1.0, 1.0], shape))


def probs(shape):
    return as_value(RNG.uniform(0.1, 0.9, shape))


def signs(shape):
    return as_value(RNG.choice([-1.0, 1.0], shape))


def margins(shape):  # hinge scores with 1 - y * s at least 0.2 away from 0 (y drawn as ones)
    return as_value(RNG.choice([-1.0, 0.5, 2.0], shape) + RNG.uniform(-0.3, 0.3, shape))


PAIRS = [(S, S), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
         (S, (2, 3)), ((2, 3), S)]
SHAPES = [S, (3,), (2, 3)]


def unary_cases(draw, params=None):
    return [((draw(s),), dict(params or {})) for s in SHAPES]


def binary_cases(da, db, pairs=PAIRS):
    return [((da(sa), db(sb)), {}) for sa, sb in pairs]


LOSS_PAIRS = [(S, S), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
              ((3,), S)]

CASES: dict[str, list[tuple[tuple, dict]]] = {
    "add": binary_cases(general, general),
    "sub": binary_cases(general, general),
    "mul": binary_cases(general, general),
    "div": binary_cases(general, away),
    "neg": unary_cases(general),
    "pow": binary_cases(positive, general),
    "exp": unary_cases(general),
    "log": unary_cases(positive),
    "sqrt": unary_cases(positive),
    "abs": unary_cases(away),
    "sin": unary_cases(general),
    "cos": unary_cases(general),
    "sigmoid": unary_cases(general),
    "tanh": unary_cases(general),
    "relu": unary_cases(away),
    "leaky_relu": unary_cases(away) + unary_cases(away, {"alpha": 0.3}),
    "identity": unary_cases(general),
    "heaviside": unary_cases(away),
    "softmax": [((general((3,)),), {}), ((general((2, 3)),), {"axis": 0}),
                ((general((2, 3)),), {"axis": -1}), ((general((2, 3)),), {"axis": None}),
                ((general(S),), {})],
    "softplus": unary_cases(general),
    "matmul": [((general((2, 3)), general((3, 4))), {}), ((general((3,)), general((3, 4))), {}),
               ((general((2, 3)), general((3,))), {}), ((general((3,)), general((3,))), {}),
               ((general((1, 3)), general((3, 1))), {})],
    "transpose": unary_cases(general),
    "sum": [((general(S),), {}), ((general((3,)),), {}), ((general((3,)),), {"axis": 0}),
            ((general((2, 3)),), {}), ((general((2, 3)),), {"axis": 0}),
            ((general((2, 3)),), {"axis": -1})],
    "mean": [((general(S),), {}), ((general((3,)),), {"axis": 0}), ((general((2, 3)),), {}),
             ((general((2, 3)),), {"axis": 1}), ((general((2, 3)),), {"axis": -2})],
    "reshape": [((general((2, 3)),), {"shape": (3, 2)}), ((general((6,)),), {"shape": (2, -1)}),
                ((general((2, 3)),), {"shape": (-1,)}), ((general((1,)),), {"shape": ()}),
                ((general(S),), {"shape": (1, 1)})],
    "mse": binary_cases(general, general, LOSS_PAIRS),
    "bce": binary_cases(probs, probs, LOSS_PAIRS),
    "bce_logits": binary_cases(general, probs, LOSS_PAIRS),
    "softmax_ce": [((general((3,)), probs((3,))), {}), ((general((2, 3)), probs((2, 3))), {}),
                   ((general((2, 3)), probs((3,))), {}), ((general((4, 2)), probs((4, 1))), {})],
    "hinge": [((margins(s), np.ones(t) if t else 1.0), {}) for s, t in LOSS_PAIRS]
             + [((margins((4,)) * -1.0, -np.ones(4)), {})],
    "l2": unary_cases(general) + unary_cases(general, {"lam": 0.5}),
}
NON_SOURCE = [spec.name for spec in all_ops() if not spec.is_source]
OP_CASES = [
    pytest.param(name, xs, params, id=f"{name}-{k}")
    for name, cases in CASES.items() for k, (xs, params) in enumerate(cases)
]


def test_every_op_has_cases_and_a_gradient_graph_rule():
    assert sorted(CASES) == sorted(NON_SOURCE)
    assert all(callable(get_op(name).vjp_graph) for name in NON_SOURCE)


@pytest.mark.parametrize("name, xs, params", OP_CASES)
def test_one_op_gradient_graph_is_the_engine_gradient_and_finite_differences(name, xs, params):
    spec = get_op(name)
    graph = one_op_graph(name, xs, params)
    checked = spec.check_params(params)
    for k, port in enumerate(spec.inputs):
        gg = gradient_graph(graph, port)
        got = value_of(gg)

        def f(v, k=k):
            args = list(xs)
            args[k] = v
            return float(np.sum(spec.forward(*args, **checked)))

        close(got, numeric_grad(f, xs[k]), rtol=1e-5, atol=1e-6, msg=f"{name} d/d{port}")
        close(got, engine_grad(graph, port), rtol=1e-9, atol=1e-12, msg=f"{name} vs engine")


@pytest.mark.parametrize("name, xs, params", OP_CASES)
def test_one_op_second_derivatives_match_differences_of_the_engine_gradient(name, xs, params):
    spec = get_op(name)
    graph = one_op_graph(name, xs, params)
    for port in spec.inputs:
        gg = gradient_graph(graph, port)
        seed = as_value(RNG.uniform(-1, 1, np.shape(graph.find(port).value)))
        got = second_derivatives(gg, seed)
        for source in spec.inputs:
            expected = numeric_second(graph, port, source, seed)
            close(got[source], expected, rtol=1e-4, atol=1e-5,
                  msg=f"{name}: d/d{source} <d f/d{port}, v>")


# ---- (2) the bundled examples -------------------------------------------------------------

EXAMPLES = example_names() + training_example_names()


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_gradient_graph_matches_the_engine_for_every_node(name):
    graph = load_example(name)
    nodes = graph.nodes if name in example_names() else [n for n in graph.nodes if n.is_source]
    for node in nodes:
        gg = gradient_graph(graph, node.id)
        close(value_of(gg), engine_grad(graph, node.id), rtol=1e-9, atol=1e-12,
              msg=f"{name}: d out/d {node.name or node.id}")
        used = gg.ancestors(gg.output)  # no dead nodes: each new one feeds the gradient
        assert all(n.id in used for n in gg.nodes if n.id not in graph)


def test_the_2_2_2_network_gradients_are_the_notebook_values():
    graph = load_example("network_2_2_2")
    # By hand: dE/dw5 = (A3 - y1) A3 (1 - A3) A1 with Z1 = 0.9625, Z2 = 0.2175 (linear).
    a1 = 0.75 * 0.85 + 0.55 * 0.5 + 0.25
    a2 = 0.05 * 0.85 + 0.05 * 0.5 + 0.15
    a3 = 1 / (1 + math.exp(-(0.05 * a1 + 0.015 * a2 + 0.15)))
    assert value_of(gradient_graph(graph, "w5")) == pytest.approx((a3 - 0.01) * a3 * (1 - a3) * a1)
    assert gradient_graph(graph, "w5").node(gradient_graph(graph, "w5").output).name == (
        "dE_total_dw5"
    )


@pytest.mark.parametrize("name", example_names())
def test_every_example_second_derivatives_match_differences(name):
    graph = load_example(name)
    sources = [n.name for n in graph.nodes if n.op in ("input", "parameter")]
    for wrt in sources:
        gg = gradient_graph(graph, wrt)
        seed = as_value(RNG.uniform(-1, 1, np.shape(graph.find(wrt).value)))
        got = second_derivatives(gg, seed)
        for source in sources:
            close(got[source], numeric_second(graph, wrt, source, seed), rtol=1e-4, atol=1e-6,
                  msg=f"{name}: d/d{source} <d/d{wrt}, v>")


@pytest.mark.parametrize("name", example_names())
def test_every_example_hessian_agrees_with_torch_double_backward(name):
    """Every second derivative d2 out / d wrt d source of the bundled examples (the scalar
    ones, the 2-2-2 network, the matrix network) against torch.autograd's double backward."""
    torch = pytest.importorskip("torch", reason=TORCH_MISSING)
    graph = load_example(name)
    sources = [n for n in graph.nodes if n.op in ("input", "parameter")]
    run = torch_function(graph)
    leaves = {n.id: as_tensor(n.value).requires_grad_(True) for n in sources}
    first = torch.autograd.grad(run(leaves), list(leaves.values()), create_graph=True)
    for node, grad in zip(sources, first, strict=True):
        got = evaluate(gradient_graph(graph, node.name))
        for other in sources:
            (expected,) = torch.autograd.grad(grad.sum(), leaves[other.id], retain_graph=True,
                                              allow_unused=True)
            expected = np.zeros(np.shape(other.value)) if expected is None else expected.numpy()
            found = got.grads.get(other.id)
            np.testing.assert_allclose(
                np.zeros(np.shape(other.value)) if found is None else found, expected,
                rtol=1e-9, atol=1e-12, err_msg=f"{name}: d/d{other.name} sum(d out/d{node.name})",
            )


# ---- (3) second derivatives by hand, Newton's method, Hessian-vector products ---------------


@pytest.mark.parametrize("x", [-1.5, 0.0, 3.0])
def test_x_squared_has_gradient_2x_and_second_derivative_2(x):
    gg = gradient_graph(parse(f"x = {x}\nf = x**2"), "x")
    assert value_of(gg) == pytest.approx(2 * x)
    assert second_derivatives(gg)["x"] == pytest.approx(2.0)


def test_gradient_graphs_compose_to_third_derivatives():
    graph = parse("x = 1.5\nf = x**3")
    first = gradient_graph(graph, "x")
    second = gradient_graph(first, "x")
    assert value_of(first) == pytest.approx(3 * 1.5**2)
    assert value_of(second) == pytest.approx(6 * 1.5)
    assert second_derivatives(second)["x"] == pytest.approx(6.0)
    assert second.node(second.output).name == "ddf_dx_dx"


@pytest.mark.parametrize(
    "program, start, minimum",
    [("f = x**2 - 2", 3.0, 0.0),
     ("f = x**4 / 4 - 2 * x", 2.0, 2 ** (1 / 3)),  # f' = x**3 - 2
     ("f = exp(x) - 2 * x", 1.5, math.log(2.0))],
)
def test_newtons_method_with_the_gradient_graph_converges(program, start, minimum):
    gg = gradient_graph(parse(f"x = {start}\n{program}"), "x")
    x = start
    for _ in range(30):  # x <- x - f'(x) / f''(x): f' the graph's value, f'' its gradient
        result = evaluate(gg, overrides={"x": x})
        step = result.values[gg.output] / result.grads[gg.find("x").id]
        x -= step
        if abs(step) < 1e-13:
            break
    assert x == pytest.approx(minimum, abs=1e-10)


def test_hessian_vector_product_on_a_tensor_network():
    graph = parse(
        "x = [0.5, -1.0, 2.0]\nW = param([[0.1, -0.3, 0.2], [0.4, 0.1, -0.2]])\n"
        "b = param([0.1, -0.1])\nt = const([0.2, 0.7])\nf = mse(tanh(W @ x + b), t)"
    )
    v = RNG.uniform(-1, 1, (2, 3))
    hv = second_derivatives(gradient_graph(graph, "W"), seed=v)["W"]

    def grad_at(eps: float) -> np.ndarray:  # the engine's gradient at W + eps v
        return engine_grad(graph, "W", {"W": graph.find("W").value + eps * v})

    close(hv, (grad_at(STEP2) - grad_at(-STEP2)) / (2 * STEP2), rtol=1e-5, atol=1e-8)
    # and the Hessian is symmetric: <u, H v> = <v, H u>
    u = RNG.uniform(-1, 1, (2, 3))
    hu = second_derivatives(gradient_graph(graph, "W"), seed=u)["W"]
    assert np.sum(u * hv) == pytest.approx(np.sum(v * hu), rel=1e-10)


# ---- (4) against PyTorch's double backward ---------------------------------------------------

UNARY = ["exp", "sin", "cos", "tanh", "sigmoid", "softplus", "neg", "log1", "sqrt1", "cube",
         "leaky_relu", "identity", "relu", "abs"]
KINDS = ["unary"] * 3 + ["binary"] * 3 + ["reduce", "matmul", "softmax"]
BINARY = ["add", "sub", "mul", "div"]


def random_program(seed: int) -> Graph:
    """A random graph over x (2, 3), y (3,), s (scalar) and a weight W, ending in a loss."""
    rng = np.random.default_rng(seed)
    g = Graph()
    pool: list[tuple[str, Any]] = []

    def node(op: str, *ids: str, **params: Any) -> str:
        n = g.add_node(op, params=params)
        for port, src in enumerate(ids):
            g.connect(src, n.id, port)
        args = [values[i] for i in ids]
        values[n.id] = get_op(op).forward(*args, **n.spec.check_params(params))
        return n.id

    def const(v: Any) -> str:
        n = g.add_node("constant", value=v)
        values[n.id] = n.value
        return n.id

    values: dict[str, Any] = {}
    for name, shape in (("x", (2, 3)), ("y", (3,)), ("s", ())):
        n = g.add_node("input", name=name, value=as_value(rng.uniform(-1, 1, shape)))
        values[n.id] = n.value
        pool.append((n.id, n.value))
    for _ in range(int(rng.integers(5, 11))):
        kind = rng.choice(KINDS)
        a = pool[int(rng.integers(len(pool)))][0]
        shape = np.shape(values[a])
        if kind == "unary":
            op = str(rng.choice(UNARY))
            if op == "log1":  # ln(1 + a*a), sqrt(1 + a*a), a**3: domains kept safe
                nid = node("log", node("add", const(1.0), node("mul", a, a)))
            elif op == "sqrt1":
                nid = node("sqrt", node("add", const(1.0), node("mul", a, a)))
            elif op == "cube":
                nid = node("pow", a, const(3.0))
            elif op == "leaky_relu":
                nid = node(op, a, alpha=0.2)
            else:
                nid = node(op, a)
        elif kind == "binary":
            b = pool[int(rng.integers(len(pool)))][0]
            try:
                np.broadcast_shapes(shape, np.shape(values[b]))
            except ValueError:
                continue
            op = str(rng.choice(BINARY))
            if op == "div":  # a / (2 + tanh(b)): the denominator stays in (1, 3)
                nid = node("div", a, node("add", const(2.0), node("tanh", b)))
            else:
                nid = node(op, a, b)
        elif kind == "reduce" and shape:
            axis = int(rng.integers(-1, len(shape))) if rng.random() < 0.7 else None
            nid = node(str(rng.choice(["sum", "mean"])), a, axis=axis)
        elif kind == "matmul" and shape:
            w = g.add_node("parameter", value=as_value(rng.uniform(-1, 1, (shape[-1], 2))))
            values[w.id] = w.value
            nid = node("matmul", a, w.id)
        elif kind == "softmax" and shape:
            nid = node("softmax", a, axis=int(rng.integers(-1, len(shape))))
        else:
            continue
        pool.append((nid, values[nid]))
    last = pool[-1][0]
    shape = np.shape(values[last])
    loss = str(rng.choice(["sum", "mse", "bce_logits", "l2", "softmax_ce"])) if shape else "sum"
    if loss == "sum":
        out = node("sum", last) if shape else node("mul", last, last)
    elif loss == "l2":
        out = node("l2", last, lam=0.7)
    else:
        target = as_value(rng.uniform(0.1, 0.9, shape))
        out = node(loss, last, const(target))
    g.set_output(out)
    return g


def torch_forward(graph: Graph, torch: Any, leaves: dict[str, Any]) -> Any:
    """The graph's output computed by PyTorch, op by op (the independent reference)."""
    F = torch.nn.functional
    unary = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin,
             "cos": torch.cos, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "neg": torch.neg,
             "softplus": F.softplus, "identity": lambda x: x, "relu": torch.relu,
             "abs": torch.abs}
    vals: dict[str, Any] = {}
    for nid in graph.topological_order():
        node = graph.node(nid)
        a = [vals[s] for s in graph.input_ids(nid)]
        p = node.params
        if node.is_source:
            vals[nid] = leaves.get(nid, torch.tensor(np.asarray(node.value), dtype=torch.float64))
        elif node.op in unary:
            vals[nid] = unary[node.op](a[0])
        elif node.op in ("add", "sub", "mul", "div", "pow", "matmul"):
            fn = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
                  "pow": torch.pow, "matmul": torch.matmul}[node.op]
            vals[nid] = fn(a[0], a[1])
        elif node.op == "leaky_relu":
            vals[nid] = F.leaky_relu(a[0], p["alpha"])
        elif node.op in ("sum", "mean"):
            fn = torch.sum if node.op == "sum" else torch.mean
            vals[nid] = fn(a[0]) if p["axis"] is None else fn(a[0], dim=p["axis"])
        elif node.op == "softmax":
            vals[nid] = torch.softmax(a[0], dim=p["axis"])
        elif node.op == "mse":
            vals[nid] = torch.mean((a[0] - a[1]) ** 2)
        elif node.op == "bce_logits":
            z, y = a
            vals[nid] = torch.mean(torch.clamp(z, min=0) - z * y + torch.log1p(torch.exp(-z.abs())))
        elif node.op == "l2":
            vals[nid] = 0.5 * p["lam"] * torch.sum(a[0] * a[0])
        elif node.op == "softmax_ce":
            z, t = a
            rows = max(1, z.numel() // z.shape[-1])
            vals[nid] = -torch.sum(t * torch.log_softmax(z, dim=-1)) / rows
        else:
            raise AssertionError(f"no torch reference for {node.op}")
    return vals[graph.output]


@pytest.mark.parametrize("seed", range(40))
def test_second_derivatives_match_torch_double_backward(seed):
    torch = pytest.importorskip("torch", reason="torch is an optional reference: pip install torch")
    graph = random_program(seed)
    sources = [n for n in graph.nodes if n.op in ("input", "parameter")]
    reached = graph.ancestors(graph.output)
    rng = np.random.default_rng(seed + 1000)
    for wrt in [n for n in sources if n.id in reached]:
        leaves = {n.id: torch.tensor(np.asarray(n.value), dtype=torch.float64, requires_grad=True)
                  for n in sources}
        out = torch_forward(graph, torch, leaves)
        (grad,) = torch.autograd.grad(out, leaves[wrt.id], create_graph=True)
        v = as_value(rng.uniform(-1, 1, np.shape(wrt.value)))
        if grad.requires_grad:
            direction = torch.tensor(v, dtype=torch.float64)
            hv = torch.autograd.grad(torch.sum(grad * direction), list(leaves.values()),
                                     allow_unused=True)
        else:  # the gradient is a constant: every second derivative is 0
            hv = (None,) * len(leaves)
        gg = gradient_graph(graph, wrt.id)
        close(value_of(gg), as_value(grad.detach().numpy()), rtol=1e-9, atol=1e-12)
        program = Program(gg)  # its gradients seeded with v: d<grad, v>/d(each source)
        vals = program.forward()
        grads = program.gradients(vals, seed=v)
        for n, expected in zip(sources, hv, strict=True):
            got = grads[program.slot[n.id]]
            want = np.zeros(np.shape(n.value)) if expected is None else expected.numpy()
            got = np.zeros(np.shape(n.value)) if got is None else got
            close(got, as_value(want), rtol=1e-8, atol=1e-10, msg=f"seed {seed}: d/d{n.id}")


# ---- the new graph itself --------------------------------------------------------------------


def test_the_original_is_untouched_and_copied_exactly():
    graph = load_example("neuron")
    before, version = dumps(graph), graph.structure_version
    gg = gradient_graph(graph, "w0")
    assert dumps(graph) == before and graph.structure_version == version
    for node in graph.nodes:
        copy = gg.node(node.id)
        assert (copy.op, copy.name, copy.params, copy.pos) == (
            node.op, node.name, node.params, node.pos)
        if node.is_source:
            np.testing.assert_array_equal(copy.value, node.value)
        assert gg.input_ids(node.id) == graph.input_ids(node.id)
    new = [n for n in gg.nodes if n.id not in graph]
    assert new and min(n.pos[0] for n in new) > max(n.pos[0] for n in graph.nodes)
    assert len({n.pos for n in new}) == len(new)  # no two new nodes on one spot
    assert all(n.op == "constant" or not n.is_source for n in new)


def test_only_the_path_from_wrt_to_the_output_gets_adjoints():
    graph = parse("x = 1.0\ny = 2.0\nz = 0.5\nf = x * y + sin(z)")
    gg = gradient_graph(graph, "x")
    assert {n.op for n in gg.nodes if n.id not in graph} <= {"constant", "mul", "identity"}
    assert value_of(gg) == pytest.approx(2.0)
    assert value_of(gradient_graph(graph, "z")) == pytest.approx(math.cos(0.5))


def test_fan_out_adds_the_contributions_and_intermediates_are_named():
    graph = load_example("x_tanh_x")
    gg = gradient_graph(graph, "x")
    t = math.tanh(1.0)
    assert value_of(gg) == pytest.approx(t + (1 - t * t))
    assert gg.node(gg.output).op == "add" and gg.node(gg.output).name == "df_dx"
    assert gg.find("df_dtanh") is not None and gg.find("df_df") is None
    # The seed df/df = 1 is an unnamed constant (tanh's rule adds another 1): formulas
    # write it as "1".
    new = [n for n in gg.nodes if n.id not in graph]
    assert all(n.name is None for n in new if n.op == "constant" and n.value == 1.0)


def test_tensor_output_is_seeded_with_ones():
    graph = parse("x = [0.1, 0.2, 0.3]\nf = sin(x)")
    seed = gradient_graph(graph, "f")
    close(value_of(seed), np.ones(3))
    close(value_of(gradient_graph(graph, "x")), np.cos([0.1, 0.2, 0.3]))


def test_wrt_that_does_not_reach_the_output_gives_zeros_of_its_shape():
    graph = parse("x = 1.0\ny = [1.0, 2.0]\nu = y * 3\nf = x * 2", output="f")
    for wrt in ("y", "u"):
        gg = gradient_graph(graph, wrt)
        close(value_of(gg), np.zeros(2))
        assert gg.node(gg.output).name == f"df_d{wrt}"


def test_an_intermediate_wrt_and_an_explicit_output():
    graph = load_example("chain_rule")
    assert value_of(gradient_graph(graph, "q")) == pytest.approx(-4.0)
    assert value_of(gradient_graph(graph, "x", output="q")) == pytest.approx(1.0)
    assert value_of(gradient_graph(graph, "f")) == pytest.approx(1.0)


def test_the_gradient_name_is_made_unique():
    graph = parse("x = 2.0\ndf_dx = const(7)\nf = x * x + df_dx")
    gg = gradient_graph(graph, "x")
    assert gg.node(gg.output).name == "df_dx_2" and value_of(gg) == pytest.approx(4.0)


# ---- (5) errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, wrt, output, message",
    [
        (lambda: parse("x = 1\nf = x * 2"), "nope", None, "no node named 'nope'"),
        (lambda: parse("x = 1\nf = x * 2"), "x", "nothing", "output: the graph has no node"),
        (lambda: Graph(), "x", None, "the graph is empty"),
        (lambda: parse("x = 1\ny = 2\nf = (x @ y) * 2"), "x", None,
         "matmul fails .*matmul needs arrays"),
        (lambda: parse("x = [[1, 2]]\ny = [[1], [2], [3]]\nf = sum(x @ y)"), "x", None,
         "matmul fails .*shape mismatch"),
        (lambda: parse("x = 1\nf = x * 2"), 3, None, "wrt must be a node name"),
        (lambda: parse(f"x = {np.ones((2, 2, 3)).tolist()}\nW = param({np.ones((3, 2)).tolist()})"
                       "\nf = sum(x @ W)"), "W", None, "matmul: no gradient graph .*batched"),
    ],
)
def test_errors_are_one_line_and_name_the_problem(build, wrt, output, message):
    with pytest.raises(GradGraphError, match=message) as info:
        gradient_graph(build(), wrt, output)
    assert "\n" not in str(info.value)


def test_an_unconnected_input_is_named():
    graph = parse("x = 1\nf = x * 2")
    add = graph.add_node("add", name="half")
    graph.connect(graph.find("f").id, add.id, 0)
    graph.set_output(add.id)
    with pytest.raises(GradGraphError, match="half fails .*'b' is not connected"):
        gradient_graph(graph, "x")
