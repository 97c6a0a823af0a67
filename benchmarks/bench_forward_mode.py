"""Forward mode (tangents) over the 10,000-node scalar graph of bench_scalar_graph, in
microseconds per node (target: under 1 us per node).

Timed in the same run:

- graphgui tangents: ``TangentPlan(program, seed).run(vals, 1.0)`` on values computed once
  (the tangent pass alone: what the editor adds when you pick an input);
- graphgui forward + tangents: ``program.forward()`` then the tangent pass;
- hand-written dual numbers: one Python loop over the same flat op list computing each
  value and its tangent together (``(a, da) * (b, db) = (ab, a db + b da)``), the code a
  student would write.

The seed is the input with the most nodes depending on it; before timing, its tangent at
the output is checked against the backward pass's gradient (to 1e-12).

    python benchmarks/bench_forward_mode.py [--nodes N] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys

from _common import median_times, table, write_results
from bench_scalar_graph import build_graph, make_ops

from graphgui.core.autodiff.tangents import TangentPlan
from graphgui.core.engine import Program


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def dual_numbers_fn(inputs, ops, seed: int):
    """Values and tangents in one hand-written loop."""

    def step():
        vals = [float(v) for v in inputs]
        tans = [0.0] * len(inputs)
        tans[seed] = 1.0
        for op, a, b in ops:
            x, dx = vals[a], tans[a]
            if op == "add":
                vals.append(x + vals[b])
                tans.append(dx + tans[b])
            elif op == "sub":
                vals.append(x - vals[b])
                tans.append(dx - tans[b])
            elif op == "mul":
                y = vals[b]
                vals.append(x * y)
                tans.append(dx * y + x * tans[b])
            elif op == "tanh":
                t = math.tanh(x)
                vals.append(t)
                tans.append(dx * (1.0 - t * t))
            elif op == "sigmoid":
                s = _sigmoid(x)
                vals.append(s)
                tans.append(dx * s * (1.0 - s))
            else:  # sin
                vals.append(math.sin(x))
                tans.append(dx * math.cos(x))
        return vals[-1], tans[-1]

    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    inputs, ops = make_ops(args.nodes)
    n = len(inputs) + len(ops)
    graph = build_graph(inputs, ops)
    program = Program(graph)
    vals = program.forward()
    out = program.slot[program.output_id]
    input_ids = [node.id for node in graph.nodes[: len(inputs)]]
    plans = {nid: TangentPlan(program, nid) for nid in input_ids}
    seed_id = max(input_ids, key=lambda nid: sum(plans[nid].depends))
    seed = input_ids.index(seed_id)
    plan = plans[seed_id]
    dependent = sum(plan.depends)

    gradient = program.gradients(vals)[program.slot[seed_id]]
    tangent = plan.run(vals, 1.0)[out]
    _, dual_tangent = dual_numbers_fn(inputs, ops, seed)()
    assert abs(tangent - gradient) <= 1e-12 * max(1.0, abs(gradient)), (tangent, gradient)
    assert abs(dual_tangent - tangent) <= 1e-12 * max(1.0, abs(tangent))

    compile_time = median_times({"plan": lambda: TangentPlan(program, seed_id)}, 1, 3)["plan"]
    fns = {
        "graphgui tangents": lambda: plan.run(vals, 1.0),
        "graphgui forward + tangents": lambda: plan.run(program.forward(), 1.0),
        "hand-written dual numbers": dual_numbers_fn(inputs, ops, seed),
    }
    times = median_times(fns, 1, 5 if args.quick else 15)
    base = times["hand-written dual numbers"]
    rows = [
        {"implementation": name, "us_per_node": t / n * 1e6, "ms_per_pass": t * 1e3,
         "vs_dual_numbers": t / base}
        for name, t in times.items()
    ]
    print(f"{n} nodes ({len(inputs)} inputs); the seed reaches {dependent} of them; "
          f"tangent plan compiled in {compile_time * 1e3:.1f} ms")
    print(table(
        ["implementation", "us/node", "ms/pass", "x dual numbers"],
        [[r["implementation"], f"{r['us_per_node']:.2f}", f"{r['ms_per_pass']:.2f}",
          f"{r['vs_dual_numbers']:.2f}x"] for r in rows],
    ))
    path = write_results("forward_mode", {
        "nodes": n, "inputs": len(inputs), "dependent_nodes": dependent,
        "target_us_per_node": 1.0, "plan_ms": compile_time * 1e3, "rows": rows,
    })
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
