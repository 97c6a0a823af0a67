"""Graphs for the code-export tests (test_codegen.py, test_codegen_torch.py): every op on
several shapes (broadcasting both ways), random graphs with fan-out, dead nodes, unnamed
nodes and names that clash with the generated code's own words; and the reference they
are checked against, ``graphgui eval FILE --json`` itself."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from typing import Any

import numpy as np

from graphgui.cli import main as cli
from graphgui.core import fileformat
from graphgui.core.engine import Program
from graphgui.core.graph import Graph
from graphgui.core.ops import all_ops

# Words the generated code uses itself; nodes called so must still work.
HOSTILE_NAMES = [
    "np", "forward", "backward", "d_x", "values", "grads", "sum", "self", "training", "_x",
    "main", "json", "torch", "F", "nn", "model", "float", "e", "pi", "param", "const",
    "sigmoid", "log_softmax", "softmax_along", "X_train", "loss", "m", "g", "w", "t", "v",
    "output", "inputs", "to_json", "n_rows", "d_", "n_d_x", "sys", "max", "parameters",
    "type", "to", "eval", "x", "y", "z", "accuracy", "stored_parameters", "grad_of",
]


def eval_json(graph: Graph) -> dict[str, Any]:
    """What ``graphgui eval FILE --json`` prints for ``graph``."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "graph.json")
        fileformat.save(graph, path)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli(["eval", path, "--json"])
    return json.loads(out.getvalue())


def run_main(code: str) -> dict[str, Any]:
    """Exec a generated module in a fresh namespace and parse what its main() prints."""
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)  # noqa: S102  (our own output)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), np.errstate(all="ignore"):
        namespace["main"]()
    return json.loads(out.getvalue())


def _close(got: Any, want: Any) -> bool:
    if isinstance(got, dict) or isinstance(want, dict):  # a summary (see summary())
        return isinstance(got, dict) and isinstance(want, dict) and got.keys() == want.keys() \
            and all(_close(got[k], want[k]) for k in got)
    if isinstance(got, str) or isinstance(want, str) or got is None or want is None:
        if isinstance(got, list) or isinstance(want, list):  # arrays holding "nan"
            return np.shape(got) == np.shape(want) and all(
                _close(a, b) for a, b in zip(got, want, strict=True))
        return got == want
    if isinstance(got, list) and _has_text(got) or isinstance(want, list) and _has_text(want):
        return np.shape(got) == np.shape(want) and all(
            _close(a, b) for a, b in zip(got, want, strict=True))
    return np.shape(got) == np.shape(want) and bool(
        np.allclose(np.asarray(got, float), np.asarray(want, float), rtol=1e-10, atol=1e-10))


def _has_text(data: Any) -> bool:
    if isinstance(data, list):
        return any(_has_text(d) for d in data)
    return isinstance(data, str)


def assert_same(got: dict[str, Any], want: dict[str, Any], what: str = "") -> None:
    """The generated module's JSON is eval's whole object, to 1e-10: the same keys, the
    output's name, its value, every named node's value and gradient (the same nulls and
    zeros)."""
    assert list(got) == list(want) == ["output", "value", "values", "grads"], (what, list(got))
    assert got["output"] == want["output"], f"{what}: output {got['output']} != {want['output']}"
    assert _close(got["value"], want["value"]), f"{what}: value {got['value']} != {want['value']}"
    for key in ("values", "grads"):
        assert list(got[key]) == list(want[key]), (what, key)
        for name, item in want[key].items():
            mine = got[key][name]
            assert _close(mine, item), f"{what}: {key}[{name}]: {mine} != {item}"


def summary(printed: dict[str, Any]) -> dict[str, Any]:
    """The printed JSON, a large array (over 64 numbers) cut to its shape, the sums of its
    elements and of their sizes, and its first 8 numbers (keeps the file small)."""
    return {"output": printed["output"], "value": brief(printed["value"]),
            "values": {name: brief(v) for name, v in printed["values"].items()},
            "grads": {name: brief(g) for name, g in printed["grads"].items()}}


def brief(data: Any) -> Any:
    if not isinstance(data, list) or np.size(data) <= 64:
        return data
    array = np.asarray(data, dtype=float)
    return {"shape": list(array.shape), "sum": float(array.sum()),
            "sum_abs": float(np.abs(array).sum()), "first": array.ravel()[:8].tolist()}


# ---- every op ------------------------------------------------------------------------------

_UNARY = [(), (2, 3)]
_BINARY = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)),
           ((2, 3), ())]
_LOSS = [((2, 3), (2, 3)), ((2, 3), (1, 3)), ((1, 3), (2, 3)), ((), ())]
# op -> list of (input shapes, params)
CASES: dict[str, list[tuple[tuple[tuple[int, ...], ...], dict[str, Any]]]] = {
    **{op: [((s,), {}) for s in _UNARY] for op in (
        "neg", "exp", "log", "sqrt", "abs", "sin", "cos", "sigmoid", "tanh", "relu",
        "identity", "softplus")},
    **{op: [(shapes, {}) for shapes in _BINARY] for op in ("add", "sub", "mul", "div", "pow")},
    "leaky_relu": [((s,), {"alpha": 0.2}) for s in _UNARY],
    "heaviside": [((s,), {"at_zero": 0.5}) for s in _UNARY],
    "softmax": [(((2, 3),), {"axis": -1}), (((2, 3),), {"axis": 0}),
                (((2, 3),), {"axis": None}), (((3,),), {})],
    **{op: [(shapes, {}) for shapes in _LOSS] for op in ("mse", "bce", "bce_logits", "hinge")},
    "softmax_ce": [(((2, 3), (2, 3)), {}), (((2, 3), (1, 3)), {}), (((3,), (3,)), {})],
    "l2": [(((2, 3),), {"lam": 0.3}), (((),), {})],
    "matmul": [(((2, 3), (3, 4)), {}), (((3,), (3, 4)), {}), (((2, 3), (3,)), {}),
               (((3,), (3,)), {})],
    "transpose": [(((2, 3),), {}), (((3,),), {}), (((2, 3, 4),), {})],
    **{op: [(((2, 3),), {"axis": None}), (((2, 3),), {"axis": 0}), (((2, 3),), {"axis": -1}),
            (((),), {})] for op in ("sum", "mean")},
    "reshape": [(((2, 3),), {"shape": (3, 2)}), (((2, 3),), {"shape": (-1,)}),
                (((2, 3),), {"shape": (6, 1)})],
}


def _value(op: str, port: int, shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    if op in ("log", "sqrt") or (op == "pow" and port == 0):
        data = rng.uniform(0.5, 2.0, size=shape)
    elif op == "bce" and port == 0:
        data = rng.uniform(0.1, 0.9, size=shape)
    elif op in ("bce", "softmax_ce") and port == 1:
        data = rng.uniform(0.0, 1.0, size=shape)
    elif op == "div" and port == 1:
        data = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    elif op == "heaviside":
        data = rng.choice([-1.0, 0.0, 2.0], size=shape)
    else:
        data = rng.normal(size=shape)
    return float(data) if shape == () else data


def op_graph(op: str, shapes: tuple[tuple[int, ...], ...], params: dict[str, Any],
             seed: int = 0) -> Graph:
    """f = sum(op(inputs) * k): the op's upstream gradient is k, not ones."""
    rng = np.random.default_rng(seed)
    g = Graph(f"{op} {shapes}")
    spec = next(s for s in all_ops() if s.name == op)
    ins = [g.add_node("input", name=port, value=_value(op, k, shape, rng)).id
           for k, (port, shape) in enumerate(zip(spec.inputs, shapes, strict=True))]
    node = g.add_node(op, name="r", params=params)
    for port, src in enumerate(ins):
        g.connect(src, node.id, port)
    out_shape = np.shape(Program(g, output=node.id).forward()[-1])
    k = g.add_node("input", name="k", value=_value("mul", 0, out_shape, rng))
    m = g.add_node("mul", name="m")
    g.connect(node.id, m.id, 0)
    g.connect(k.id, m.id, 1)
    f = g.add_node("sum", name="f")
    g.connect(m.id, f.id, 0)
    g.set_output(f.id)
    return g


def op_cases() -> list[tuple[str, Graph]]:
    cases = []
    for op, variants in CASES.items():
        for k, (shapes, params) in enumerate(variants):
            cases.append((f"{op}-{k}", op_graph(op, shapes, params, seed=k)))
    return cases


# ---- random graphs -------------------------------------------------------------------------

_RANDOM_OPS = ["add", "sub", "mul", "div", "tanh", "sigmoid", "sin", "cos", "neg", "softplus",
               "identity", "relu", "abs", "leaky_relu", "pow", "exp", "sum", "mean", "mse"]
_SHAPES = [(), (3,), (2, 3), (2, 1)]


def random_graph(seed: int, n_ops: int = 16) -> Graph:
    """A random graph that evaluates to finite, moderate values: inputs, parameters and
    constants of broadcasting shapes, fan-out, dead ends, unnamed nodes, nodes only
    constants feed, and names from HOSTILE_NAMES."""
    for attempt in range(50):
        g = _random_graph(np.random.default_rng([seed, attempt]), n_ops)
        if g is not None:
            return g
    raise AssertionError(f"no usable random graph for seed {seed}")


def _random_graph(rng: np.random.Generator, n_ops: int) -> Graph | None:
    g = Graph(f"random {rng.integers(1000)}")
    names = [str(n) for n in rng.permutation(HOSTILE_NAMES)]
    ids: list[str] = []

    def value(shape: tuple[int, ...]) -> Any:
        data = rng.normal(size=shape)
        return float(data) if shape == () else data

    for k in range(5):
        op = ["input", "input", "parameter", "constant", "constant"][k]
        shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
        named = op != "constant" or rng.random() < 0.5
        ids.append(g.add_node(op, name=names.pop() if named else None, value=value(shape)).id)
    # a node only constants feed, named: its gradient is null
    c2 = g.add_node("mul", name=names.pop())
    g.connect(ids[3], c2.id, 0)
    g.connect(ids[4], c2.id, 1)
    ids.append(c2.id)
    program = Program(g)
    vals = dict(zip(program.ids, program.forward(), strict=True))
    for _ in range(n_ops):
        op = str(rng.choice(_RANDOM_OPS))
        node = g.add_node(op, name=names.pop() if rng.random() < 0.5 and names else None)
        for port in range(node.spec.arity):
            pick = min(len(ids) - 1, int(len(ids) - rng.geometric(0.35)))
            g.connect(ids[max(0, pick)], node.id, port)
        try:
            with np.errstate(all="ignore"):
                result = node.spec.forward(*(vals[s] for s in g.input_ids(node.id)),
                                           **node.params)
        except ValueError:
            g.remove_node(node.id)
            continue
        if not np.all(np.isfinite(result)) or np.max(np.abs(result)) > 1e4:
            g.remove_node(node.id)
            continue
        vals[node.id] = result
        ids.append(node.id)
    if len(ids) < 10:
        return None
    g.set_output(ids[-1] if rng.random() < 0.7 else ids[-2])
    return g


# ---- training graphs beyond the examples ---------------------------------------------------


def training_cases() -> list[tuple[str, Graph, dict[str, Any], int]]:
    """(name, graph, settings, epochs): an input without data (momentum), and three blobs
    with samples in rows through softmax_ce (Adam, mini-batches, L2 on W only)."""
    from graphgui.core.datasets import make_dataset
    from graphgui.core.expr import parse

    plain = parse("x = 3; w = param(1.0); f = (w * x - 2) ** 2")
    spec = {"kind": "blobs", "n": 90, "centers": 3, "sample_axis": 0}
    data = make_dataset(spec)
    blobs = parse("X = [[0.0, 0.0]]; Y = [[0.0, 0.0, 0.0]]\n"
                  "W = param([[0.1, -0.2, 0.3], [0.0, 0.1, -0.1]]); b = param([0.0, 0.0, 0.0])\n"
                  "Z = X @ W + b; L = softmax_ce(Z, Y)")
    blobs.set_value(blobs.find("X").id, data.X_train)
    blobs.set_value(blobs.find("Y").id, data.Y_train)
    return [
        ("an input, no data, momentum", plain,
         {"training": {"dataset": None, "optimizer": "momentum", "lr": 0.01}}, 5),
        ("three blobs in rows, softmax_ce, adam, batches of 16, l2", blobs,
         {"training": {"dataset": spec, "optimizer": "adam", "lr": 0.05, "batch_size": 16,
                       "l2": 0.001}}, 3),
    ]
