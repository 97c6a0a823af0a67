"""What function instances cost: the 10,000-node scalar graph of bench_scalar_graph, flat
and with 150 runs of 30 consecutive computed nodes (4,500 nodes) each grouped into a closed
function (150 definitions of the 200 a graph may hold; each has at most 60 inputs of the
64 a function may have).

Timed in the same run:

- ``topological_order()``: flat, and grouped (each instance's nodes kept together);
- ``Program(graph)`` compilation, flat and grouped;
- one forward + backward pass, flat and grouped (the same flat op list either way), against
  the hand-written NumPy-scalar loop of bench_scalar_graph;
- the canvas (offscreen Qt): opening the graph in a scene, flat and with the functions
  closed, and opening or closing one function (the function layer redraws every instance).

Before timing, the grouped graph's gradients are checked against the flat graph's (to 1e-12:
fan-out sums are added in another order).

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_functions.py [--nodes N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import median_times, table, write_results
from bench_scalar_graph import build_graph, make_ops, numpy_scalar_fn

from graphgui.core.engine import Program
from graphgui.core.functions.grouping import apply_plan, plan_group

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def grouped_graph(inputs, ops, instances: int, size: int):
    """The scalar graph with ``instances`` runs of ``size`` consecutive computed nodes each
    a closed function (a run of consecutive nodes cannot be left and re-entered: every wire
    goes forward)."""
    graph = build_graph(inputs, ops)
    computed = [n.id for n in graph.nodes[len(inputs):]]
    for k in range(instances):
        run = computed[k * size:(k + 1) * size]
        apply_plan(graph, plan_group(graph, run, f"block{k}"))
    return graph


def canvas_times(flat, grouped, repeat: int) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from graphgui.gui.canvas.scene import GraphScene

    app = QApplication.instance() or QApplication([])
    scene = GraphScene()

    def show(graph):
        def run():
            scene.set_graph(graph)
            app.processEvents()
        return run

    times = median_times({"open flat": show(flat), "open grouped": show(grouped)}, 1, repeat)
    scene.set_graph(grouped)
    first = grouped.groups[0].id
    toggles = []
    for k in range(repeat * 2):
        start = time.perf_counter()
        grouped.set_collapsed(first, k % 2 == 1)
        toggles.append(time.perf_counter() - start)
    times["open or close one function"] = sorted(toggles)[len(toggles) // 2]
    scene.set_graph(None)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=150)
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 9
    inputs, ops = make_ops(args.nodes)
    flat = build_graph(inputs, ops)
    grouped = grouped_graph(inputs, ops, args.instances, args.size)
    n = len(flat)
    p_flat, p_grouped = Program(flat), Program(grouped)
    g_flat = p_flat.gradients(p_flat.forward())
    g_grouped = p_grouped.gradients(p_grouped.forward())
    by_id = {nid: g_grouped[p_grouped.slot[nid]] for nid in p_grouped.ids}
    # Equal up to the order fan-out sums are added in (the grouped order visits nodes in
    # another order): 1e-12 relative.
    worst = max(abs(g_flat[k] - by_id[nid]) / max(1.0, abs(g_flat[k]))
                for k, nid in enumerate(p_flat.ids) if g_flat[k] is not None)
    assert worst < 1e-12, f"gradients differ by {worst:.3g}"

    core = median_times({
        "topological order, flat": flat.topological_order,
        "topological order, grouped": grouped.topological_order,
        "compile, flat": lambda: Program(flat),
        "compile, grouped": lambda: Program(grouped),
    }, 1, repeat)
    step = median_times({
        "forward + backward, flat": lambda: p_flat.gradients(p_flat.forward()),
        "forward + backward, grouped": lambda: p_grouped.gradients(p_grouped.forward()),
        "hand-written NumPy scalars": numpy_scalar_fn(inputs, ops),
    }, 1, repeat)
    canvas = canvas_times(flat, grouped, max(3, repeat // 3))
    base = step["hand-written NumPy scalars"]
    rows = [{"measure": k, "ms": v * 1e3} for k, v in {**core, **step, **canvas}.items()]
    for row in rows:
        if row["measure"].startswith("forward"):
            row["vs_numpy"] = row["ms"] / (base * 1e3)
    ratios = {
        "order grouped / flat": core["topological order, grouped"]
        / core["topological order, flat"],
        "compile grouped / flat": core["compile, grouped"] / core["compile, flat"],
        "step grouped / flat": step["forward + backward, grouped"]
        / step["forward + backward, flat"],
        "canvas open grouped / flat": canvas["open grouped"] / canvas["open flat"],
    }
    print(f"{n} nodes; {len(grouped.groups)} closed functions of {args.size} nodes")
    print(table(["measure", "ms", "x NumPy"],
                [[r["measure"], f"{r['ms']:.2f}",
                  f"{r['vs_numpy']:.2f}x" if "vs_numpy" in r else ""] for r in rows]))
    print(table(["ratio", "value"], [[k, f"{v:.2f}"] for k, v in ratios.items()]))
    path = write_results("functions", {
        "nodes": n, "instances": len(grouped.groups), "rows": rows, "ratios": ratios,
    })
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
