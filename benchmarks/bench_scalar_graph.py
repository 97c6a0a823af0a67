"""Forward + backward over a 10,000-node scalar expression graph, in microseconds per node.

The graph is a random mix of add/mul/sub and tanh/sigmoid/sin that stays finite: binary ops
only take squashed values (in [-1, 1]) and every binary result is squashed again, and every
node feeds the output. The same computation is timed these ways in the same run:

- graphgui generated: ``Program(graph)`` with its generated straight-line code compiled
  (``scalar_code(compile_now=True)``; otherwise it compiles after engine_codegen.COMPILE_AFTER
  passes), then ``forward()`` + ``gradients(vals)``; target <= 0.2 us/node;
- graphgui interpreter: ``Program(graph, generated=False)``, the plan walked by the loops
  (target <= 1 us/node when it was the only path);
- hand-written straight-line: the code a person writes for this one graph, one function of
  local variables, ``v12 = tanh(v11)`` forward and ``g11 += g12 * (1.0 - v12 * v12)``
  backward (written out here by this script from its own op table, not from graphgui's);
- NumPy scalars: the same flat op list evaluated with NumPy 0-d arrays and a hand-written
  reverse loop (about 5 us/node expected);
- micrograd: a pure-Python ``Value`` class in the style of Karpathy's micrograd, which builds
  the graph during the forward pass and sorts it topologically for the backward pass.

Compile times are reported too: graphgui's code once per structure (writing, compiling,
executing the text; the median of three compilations from an empty cache), the hand-written
text's ``compile()``, and ``Program(graph)`` itself.

    python benchmarks/bench_scalar_graph.py [--nodes N] [--quick]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

import numpy as np
from _common import median_times, table, write_results

from graphgui.core import engine_codegen
from graphgui.core.engine import Program
from graphgui.core.graph import Graph

BINARY = ("add", "mul", "sub")
UNARY = ("tanh", "sigmoid", "sin")


def make_ops(n_nodes: int, n_inputs: int = 50, seed: int = 0):
    """A flat program: list of (op, a, b) over slots, the first ``n_inputs`` being inputs."""
    rng = np.random.default_rng(seed)
    inputs = list(rng.uniform(-1, 1, size=n_inputs))
    ops: list[tuple[str, int, int]] = []
    squashed = list(range(n_inputs))  # slots whose value lies in [-1, 1]
    unconsumed = list(range(n_inputs))
    slot = n_inputs

    def emit(op: str, a: int, b: int = -1) -> int:
        nonlocal slot
        ops.append((op, a, b))
        slot += 1
        return slot - 1

    def pair(a: int, b: int) -> int:
        s = emit(str(rng.choice(BINARY)), a, b)
        return emit(str(rng.choice(UNARY)), s)

    while slot + 2 <= n_nodes - 2 * len(unconsumed):
        a = unconsumed.pop(int(rng.integers(len(unconsumed))))
        b = squashed[int(rng.integers(len(squashed)))]
        out = pair(a, b)
        squashed.append(out)
        unconsumed.append(out)
    while len(unconsumed) > 1:  # fold what is left into one output
        a, b = unconsumed.pop(0), unconsumed.pop(0)
        unconsumed.append(pair(a, b))
    return inputs, ops


def build_graph(inputs, ops) -> Graph:
    g = Graph("scalar benchmark")
    ids = [g.add_node("input", value=float(v)).id for v in inputs]
    for op, a, b in ops:
        node = g.add_node(op)
        g.connect(ids[a], node.id, 0)
        if b >= 0:
            g.connect(ids[b], node.id, 1)
        ids.append(node.id)
    g.set_output(ids[-1])
    return g


# ---- NumPy 0-d arrays, hand-written forward and reverse loops ---------------------------------


def numpy_scalar_fn(inputs, ops):
    n_in = len(inputs)
    x0 = [np.array(v) for v in inputs]
    forward_fn = {"add": np.add, "mul": np.multiply, "sub": np.subtract, "tanh": np.tanh,
                  "sin": np.sin, "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x))}
    one = np.array(1.0)

    def step():
        vals = x0 + [None] * len(ops)
        for k, (op, a, b) in enumerate(ops):
            f = forward_fn[op]
            vals[n_in + k] = f(vals[a], vals[b]) if b >= 0 else f(vals[a])
        grads = [np.array(0.0) for _ in vals]
        grads[-1] = one
        for k in range(len(ops) - 1, -1, -1):
            op, a, b = ops[k]
            g = grads[n_in + k]
            out = vals[n_in + k]
            if op == "add":
                grads[a] = grads[a] + g
                grads[b] = grads[b] + g
            elif op == "sub":
                grads[a] = grads[a] + g
                grads[b] = grads[b] - g
            elif op == "mul":
                grads[a] = grads[a] + g * vals[b]
                grads[b] = grads[b] + g * vals[a]
            elif op == "tanh":
                grads[a] = grads[a] + g * (1.0 - out * out)
            elif op == "sigmoid":
                grads[a] = grads[a] + g * out * (1.0 - out)
            else:  # sin
                grads[a] = grads[a] + g * np.cos(vals[a])
        return vals[-1], grads[:n_in]

    return step


# ---- micrograd-style pure Python --------------------------------------------------------------


class Value:
    """A scalar with a gradient, after micrograd's engine.py (add/mul/sub/tanh/sigmoid/sin)."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data: float, children: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self._backward = None
        self._prev = children

    def __add__(self, other: Value) -> Value:
        out = Value(self.data + other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __sub__(self, other: Value) -> Value:
        out = Value(self.data - other.data, (self, other))

        def backward():
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = backward
        return out

    def __mul__(self, other: Value) -> Value:
        out = Value(self.data * other.data, (self, other))

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        out = Value(t, (self,))

        def backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = backward
        return out

    def sigmoid(self) -> Value:
        s = 1.0 / (1.0 + math.exp(-self.data))
        out = Value(s, (self,))

        def backward():
            self.grad += s * (1.0 - s) * out.grad

        out._backward = backward
        return out

    def sin(self) -> Value:
        out = Value(math.sin(self.data), (self,))

        def backward():
            self.grad += math.cos(self.data) * out.grad

        out._backward = backward
        return out

    def backward(self) -> None:
        topo: list[Value] = []
        visited: set[int] = set()
        stack = [(self, False)]
        while stack:  # iterative DFS: 10,000 nodes would overflow the recursion limit
            v, done = stack.pop()
            if done:
                topo.append(v)
            elif id(v) not in visited:
                visited.add(id(v))
                stack.append((v, True))
                stack.extend((c, False) for c in v._prev)
        self.grad = 1.0
        for v in reversed(topo):
            if v._backward is not None:
                v._backward()


def micrograd_fn(inputs, ops):
    def step():
        vals = [Value(float(v)) for v in inputs]
        for op, a, b in ops:
            x = vals[a]
            if op == "add":
                vals.append(x + vals[b])
            elif op == "sub":
                vals.append(x - vals[b])
            elif op == "mul":
                vals.append(x * vals[b])
            else:
                vals.append(getattr(x, op)())
        vals[-1].backward()
        return vals[-1].data, [v.grad for v in vals[: len(inputs)]]

    return step


# ---- hand-written straight-line Python ----------------------------------------------------

HAND_FORWARD = {"add": "{a} + {b}", "sub": "{a} - {b}", "mul": "{a} * {b}",
                "tanh": "tanh({a})", "sin": "sin({a})", "sigmoid": "1.0 / (1.0 + exp(-{a}))"}
HAND_BACKWARD = {"add": ("{g}", "{g}"), "sub": ("{g}", "-{g}"), "mul": ("{g} * {b}", "{g} * {a}"),
                 "tanh": ("{g} * (1.0 - {out} * {out})",),
                 "sigmoid": ("{g} * {out} * (1.0 - {out})",), "sin": ("{g} * cos({a})",)}


def hand_written_source(inputs, ops) -> str:
    """One function: the forward pass into locals, then the reverse pass, += at fan-out."""
    n_in = len(inputs)
    lines = ["def step(x):", "    " + ", ".join(f"v{k}" for k in range(n_in)) + ", = x"]
    for k, (op, a, b) in enumerate(ops):
        lines.append(f"    v{n_in + k} = " + HAND_FORWARD[op].format(a=f"v{a}", b=f"v{b}"))
    last = n_in + len(ops) - 1
    lines.append(f"    g{last} = 1.0")
    seen = {last}
    for k in range(len(ops) - 1, -1, -1):
        op, a, b = ops[k]
        i = n_in + k
        for target, rule in zip((a, b), HAND_BACKWARD[op], strict=False):
            term = rule.format(g=f"g{i}", a=f"v{a}", b=f"v{b}", out=f"v{i}")
            lines.append(f"    g{target} {'+=' if target in seen else '='} {term}")
            seen.add(target)
    grads = ", ".join(f"g{k}" if k in seen else "0.0" for k in range(n_in))
    lines.append(f"    return v{last}, [{grads}]")
    return "\n".join(lines) + "\n"


def hand_written_fn(inputs, ops):
    start = time.perf_counter()
    code = compile(hand_written_source(inputs, ops), "<hand-written>", "exec")
    seconds = time.perf_counter() - start
    namespace = {"tanh": math.tanh, "sin": math.sin, "cos": math.cos, "exp": math.exp}
    exec(code, namespace)  # noqa: S102  (this script's own text)
    step, x = namespace["step"], [float(v) for v in inputs]
    return (lambda: step(x)), seconds


def graphgui_fn(graph: Graph, n_inputs: int, generated: bool = True):
    program = Program(graph, generated=generated)
    if generated:
        assert program.scalar_code(compile_now=True) is not None
    input_slots = [program.slot[n.id] for n in graph.nodes[:n_inputs]]
    out = program.slot[program.output_id]

    def step():
        vals = program.forward()
        grads = program.gradients(vals)
        return vals[out], [grads[k] for k in input_slots]

    return step


def compile_seconds(graph: Graph) -> float:
    """Median seconds to write, compile and execute graphgui's code from an empty cache."""
    times = []
    for _ in range(3):
        engine_codegen.clear_cache()
        times.append(Program(graph).scalar_code(compile_now=True).seconds)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    inputs, ops = make_ops(args.nodes)
    n = len(inputs) + len(ops)
    graph = build_graph(inputs, ops)
    generated_compile = compile_seconds(graph)
    hand, hand_compile = hand_written_fn(inputs, ops)
    fns = {
        "graphgui generated": graphgui_fn(graph, len(inputs)),
        "graphgui interpreter": graphgui_fn(graph, len(inputs), generated=False),
        "hand-written straight-line": hand,
        "numpy_scalars": numpy_scalar_fn(inputs, ops),
        "micrograd": micrograd_fn(inputs, ops),
    }
    results = {name: fn() for name, fn in fns.items()}
    ref_out, ref_grads = results["graphgui interpreter"]
    assert math.isfinite(ref_out) and all(math.isfinite(g) for g in ref_grads)
    assert results["graphgui generated"] == results["graphgui interpreter"]  # to the bit
    for name, (out, grads) in results.items():
        assert abs(out - ref_out) < 1e-12, (name, out, ref_out)
        np.testing.assert_allclose(grads, ref_grads, rtol=1e-9, atol=1e-12, err_msg=name)
    program_time = median_times({"compile": lambda: Program(graph)}, 1, 3)["compile"]
    times = median_times(fns, 1, 5 if args.quick else 25)
    base = times["graphgui generated"]
    rows = [
        {"implementation": name, "us_per_node": t / n * 1e6, "ms_per_step": t * 1e3,
         "vs_generated": t / base}
        for name, t in times.items()
    ]
    print(f"{n} nodes ({len(inputs)} inputs); forward + backward. Once per structure: "
          f"Program(graph) {program_time * 1e3:.0f} ms; generated code "
          f"{generated_compile * 1e3:.0f} ms ({generated_compile / n * 1e6:.1f} us/node); "
          f"compile() of the hand-written text {hand_compile * 1e3:.0f} ms")
    print(table(
        ["implementation", "us/node", "ms/step", "x generated"],
        [[r["implementation"], f"{r['us_per_node']:.3f}", f"{r['ms_per_step']:.2f}",
          f"{r['vs_generated']:.2f}x"] for r in rows],
    ))
    path = write_results("scalar_graph", {
        "nodes": n, "inputs": len(inputs), "target_us_per_node": 0.2,
        "program_ms": program_time * 1e3, "generated_compile_ms": generated_compile * 1e3,
        "hand_written_compile_ms": hand_compile * 1e3, "rows": rows,
    })
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
