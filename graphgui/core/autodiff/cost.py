"""What all the gradients cost in forward mode and in reverse mode, on one graph.

Forward mode carries one tangent per pass: every gradient of a scalar output needs one pass
per input *element*. Reverse mode carries one gradient per pass: one pass per output element
(one for a loss). Each pass applies every wire's derivative rule once; a rule's cost is
counted in multiply-adds from the shapes (``a @ b`` of (m, k) and (k, n): m*k*n per input; an
elementwise rule: one per result element; a reduction: one per input element).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..engine import Program
from ..graph import Graph
from ..labels import node_labels


@dataclass(frozen=True)
class SourceCost:
    name: str
    elements: int  # forward passes this source needs
    multiply_adds: int  # per forward pass


@dataclass(frozen=True)
class ModeCost:
    passes: int
    multiply_adds: int  # all passes together


@dataclass(frozen=True)
class AutodiffCost:
    output: str
    output_elements: int
    forward: ModeCost
    reverse: ModeCost
    sources: tuple[SourceCost, ...]

    @property
    def ratio(self) -> float:
        """How many times the work of reverse mode forward mode does (nan if none)."""
        if not self.reverse.multiply_adds:
            return math.nan
        return self.forward.multiply_adds / self.reverse.multiply_adds


def autodiff_cost(graph: Graph, output: str | None = None) -> AutodiffCost:
    """Count passes and multiply-adds of both modes for the gradients of ``output`` with
    respect to every input and parameter (constants get none)."""
    program = Program(graph, output=output)
    if program.output_id is None:
        raise ValueError("the graph is empty: there is no output")
    vals = program.forward()
    labels = node_labels(graph)
    slot = program.slot
    wires = []  # (consumer slot, port, producer slot, multiply-adds)
    for k, nid in enumerate(program.ids):
        node = program.graph_node(nid)
        if node.is_source:
            continue
        args = [slot[i] for i in program.inputs_of(nid)]
        for port, a in enumerate(args):
            wires.append((k, port, a, _rule_cost(node.op, port, [vals[x] for x in args], vals[k])))
    out = slot[program.output_id]
    reaches_out = {out}
    for k, _port, a, _cost in reversed(wires):
        if k in reaches_out:
            reaches_out.add(a)
    sources = [
        k for k, nid in enumerate(program.ids)
        if program.graph_node(nid).op in ("input", "parameter") and k in reaches_out
    ]
    per_source = []
    for s in sources:
        downstream = {s}
        work = 0
        for k, _port, a, cost in wires:
            if a in downstream:
                downstream.add(k)
                if k in reaches_out:
                    work += cost
        per_source.append(SourceCost(labels[program.ids[s]], int(np.size(vals[s])), work))
    needs = set(sources)
    for k, _port, a, _cost in wires:  # nodes downstream of some source
        if a in needs:
            needs.add(k)
    reverse_work = sum(c for k, _p, a, c in wires if k in reaches_out and a in needs)
    out_elements = int(np.size(vals[out]))
    forward = ModeCost(
        sum(s.elements for s in per_source), sum(s.elements * s.multiply_adds for s in per_source)
    )
    reverse = ModeCost(out_elements, out_elements * reverse_work)
    return AutodiffCost(labels[program.output_id], out_elements, forward, reverse,
                        tuple(per_source))


def _rule_cost(op: str, port: int, inputs: list, out) -> int:
    """Multiply-adds of one derivative rule applied once (both modes: a rule and its
    transpose cost the same)."""
    if op == "matmul":
        a, b = (np.shape(x) for x in inputs)
        inner = a[-1] if a else 1
        return int(np.size(out)) * inner
    return max(int(np.size(inputs[port])), int(np.size(out)))
