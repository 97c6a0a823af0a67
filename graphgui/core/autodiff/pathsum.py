"""The gradient as a sum over paths (Colah, "Calculus on Computational Graphs").

d(output)/d(input) is the sum, over every path from the input to the output, of the product
of the local derivatives on the path's wires. Backprop and forward mode compute the same sum
factored from opposite ends; this module lists it term by term so a student can see it.

Paths run over *elements*: a scalar node is one element, a tensor node one per entry
(``W1[0,1]``), and a wire carries one factor per entry of its Jacobian that is not known to
be zero (elementwise ops link matching entries only, even where the derivative happens to be
0; other ops link the entries whose derivative is not 0). Every path is counted exactly; only
the ``limit`` largest by |product| are listed.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from itertools import count as counter

import numpy as np

from ..engine import Program
from ..graph import Graph, GraphError
from ..labels import node_labels
from ..values import format_factor, format_value
from .tangents import TangentError, resolve_seed, split_element

MAX_ELEMENTS = 4_000  # elements on the paths: one Jacobian column per input element
MAX_JACOBIAN = 2_000_000  # Jacobian entries computed in all


class PathError(ValueError):
    """Paths that cannot be listed: a bad input or output, or a graph too large for it."""


@dataclass(frozen=True)
class Path:
    """One path from the input to the output: its elements, its factors and their product."""

    nodes: tuple[str, ...]  # labels, e.g. ("x", "q", "f") or ("W1[0,1]", "z1[0]", ...)
    node_ids: tuple[str, ...]  # the graph nodes the elements belong to
    factors: tuple[float, ...]  # one local derivative per wire
    formulas: tuple[str, ...]  # what each factor is, e.g. "dq/dx = 1"
    product: float


@dataclass(frozen=True)
class FanOut:
    """An element where paths split on their way to the output: backprop sums there."""

    node: str
    node_id: str
    paths_through: int
    factored: str  # "df/dq = df/da * da/dq + df/db * db/dq = 2 * 1 + 3 * 1 = 5"
    gradient: float


@dataclass
class PathSum:
    wrt: str
    output: str
    count: int
    paths: list[Path]  # the largest by |product|, at most ``limit``
    sum: float  # over every path, listed or not
    gradient: float  # what the backward pass computes
    fan_outs: list[FanOut] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return len(self.paths) < self.count

    @property
    def listed_sum(self) -> float:
        return float(sum(p.product for p in self.paths))


Element = tuple[int, int]  # (slot in the Program, flat index)


def path_sum(graph: Graph, wrt: str, output: str | None = None, limit: int = 100) -> PathSum:
    """Every path from ``wrt`` (a source, or ``NAME[i,j]``: one element) to ``output``
    (default: the graph's; ``NAME[i]`` for one element of a tensor output, else the paths to
    any element, as the gradient of a tensor output is that of its sum)."""
    try:
        seed = resolve_seed(graph, wrt)
    except TangentError as exc:
        raise PathError(f"wrt: {exc}") from None
    out_ref, out_index = _split_element(graph, output)
    program = Program(graph, output=out_ref)
    if program.output_id is None:
        raise PathError("the graph is empty: there is no output")
    vals = program.forward()
    labels = node_labels(graph)
    out_slot = program.slot[program.output_id]
    out_value = vals[out_slot]
    if out_index is not None:
        out_elements = [(out_slot, _flat(out_value, out_index, labels[program.output_id]))]
    else:
        out_elements = [(out_slot, i) for i in range(np.size(out_value))]
    wrt_slot = program.slot[seed.node_id]
    wrt_element = (wrt_slot, 0 if seed.index is None else _flat(vals[wrt_slot], seed.index, ""))
    graph_edges = _edges(program, vals, wrt_slot, out_slot)
    names = _ElementNames(program, vals, labels)

    # Forward from the input element and back from the output elements: the elements on paths.
    successors: dict[Element, list[tuple[Element, float, str]]] = {}
    reached = {wrt_element}
    order = [wrt_element]
    for consumer, port, producer in graph_edges:  # in evaluation order
        formula = _formula(program, consumer, port)  # one text per wire, not per element
        for element in [e for e in order if e[0] == producer]:
            for target, factor in _column(program, vals, consumer, port, element[1]):
                edge = ((consumer, target), factor, formula)
                successors.setdefault(element, []).append(edge)
                if (consumer, target) not in reached:
                    reached.add((consumer, target))
                    order.append((consumer, target))
                    if len(order) > MAX_ELEMENTS:
                        raise PathError(
                            f"more than {MAX_ELEMENTS:,} elements lie on paths from "
                            f"{seed.label}: too many to list paths element by element"
                        )
    targets = set(out_elements)
    useful = _reaching(order, successors, targets)
    ways, sums, best = _count_and_best(order, successors, useful, wrt_element, limit)
    total_count = sum(ways.get(e, 0) for e in out_elements)
    total_sum = float(sum(sums.get(e, 0.0) for e in out_elements))
    finished = heapq.nlargest(
        limit, [entry for e in out_elements for entry in best.get(e, [])],
        key=lambda entry: (abs(entry[0]), -entry[1]),
    )
    paths = [_as_path(entry, names) for entry in finished]
    grads = program.gradients(vals)
    gradient = grads[wrt_slot]
    g = 0.0 if gradient is None else float(np.ravel(gradient)[wrt_element[1]])
    if out_index is not None and np.size(out_value) > 1:
        g = _element_gradient(program, vals, wrt_slot, wrt_element[1], out_elements[0])
    return PathSum(
        seed.label, names(out_elements[0]) if out_index is not None else labels[program.output_id],
        total_count, paths, total_sum, g,
        _fan_outs(order, successors, useful, ways, targets, names, labels[program.output_id]),
    )


# ---- the element graph -------------------------------------------------------------------


def _split_element(graph: Graph, output: str | None) -> tuple[str | None, tuple[int, ...] | None]:
    if output is None:
        return None, None
    ref, index = split_element(graph, output)
    try:
        graph.lookup(ref)
    except GraphError:
        raise PathError(f"output: the graph has no node named {output!r}") from None
    return ref, index


def _flat(value, index: tuple[int, ...], label: str) -> int:
    shape = np.shape(value)
    if len(index) != len(shape) or not all(-n <= i < n for i, n in zip(index, shape, strict=True)):
        raise PathError(f"{label} has shape {shape}: it has no element {list(index)}")
    return int(np.ravel_multi_index(tuple(i % n for i, n in zip(index, shape, strict=True)), shape))


def _edges(program: Program, vals: list, wrt: int, out: int) -> list[tuple[int, int, int]]:
    """(consumer slot, port, producer slot) of the wires between ``wrt`` and ``out``."""
    forward = {wrt}
    edges = []
    for k, nid in enumerate(program.ids):
        args = [program.slot[i] for i in program.inputs_of(nid)] if vals[k] is not None else []
        for port, a in enumerate(args):
            if a in forward:
                edges.append((k, port, a))
                forward.add(k)
    backward = {out}
    for k, _port, a in reversed(edges):
        if k in backward:
            backward.add(a)
    work = sum(np.size(vals[k]) * np.size(vals[a]) for k, _, a in edges if k in backward)
    if work > MAX_JACOBIAN:
        raise PathError(
            f"the paths' Jacobians hold {work:,} entries (at most {MAX_JACOBIAN:,}): "
            "too large to list paths element by element"
        )
    return [(k, p, a) for k, p, a in edges if k in backward]


def _column(program: Program, vals: list, consumer: int, port: int, element: int):
    """(output element, factor) for every entry of d(consumer)/d(input ``port``[element])
    that is not known to be zero."""
    node = program.graph_node(program.ids[consumer])
    spec = node.spec
    args = [program.slot[i] for i in program.inputs_of(node.id)]
    xs = [vals[a] for a in args]
    x = xs[port]
    out = vals[consumer]
    if isinstance(x, float):
        t = 1.0
    else:
        t = np.zeros(x.shape)
        t.flat[element] = 1.0
    with np.errstate(all="ignore"):
        part = spec.jvps[port](t, out, *xs, **node.params)
    column = np.ravel(np.broadcast_to(part, np.shape(out))).astype(float)
    if np.size(out) == 1 and np.size(x) == 1:
        return [(0, float(column[0]))]
    if spec.elementwise:  # the entries broadcasting links, whatever their value
        link = np.broadcast_to(np.arange(np.size(x)).reshape(np.shape(x)), np.shape(out))
        linked = np.flatnonzero(np.ravel(link) == element)
        return [(int(i), float(column[i])) for i in linked]
    return [(int(i), float(column[i])) for i in np.flatnonzero(column)]


def _formula(program: Program, consumer: int, port: int) -> str:
    from ..explain import symbol

    node = program.graph_node(program.ids[consumer])
    spec = node.spec
    inputs = program.inputs_of(node.id)
    names = {p: symbol(program, i) for p, i in zip(spec.inputs, inputs, strict=True)}
    me = symbol(program, node.id)
    names["out"] = me
    local = f"d{me}/d{names[spec.inputs[port]]}"
    if spec.elementwise:
        return f"{local} = {spec.render(spec.derivatives[port], names)}"
    return f"{local}: an entry of the Jacobian of {spec.render(spec.formula, names)}"


class _ElementNames:
    def __init__(self, program: Program, vals: list, labels) -> None:
        self.program, self.vals, self.labels = program, vals, labels

    def __call__(self, element: Element) -> str:
        slot, flat = element
        nid = self.program.ids[slot]
        value = self.vals[slot]
        if isinstance(value, float):
            return self.labels[nid]
        index = np.unravel_index(flat, np.shape(value))
        return f"{self.labels[nid]}[{','.join(str(int(i)) for i in index)}]"

    def node_id(self, element: Element) -> str:
        return self.program.ids[element[0]]


def _reaching(order, successors, targets) -> set[Element]:
    """The elements from which some output element can be reached."""
    useful = set(targets)
    for element in reversed(order):
        if any(target in useful for target, _, _ in successors.get(element, ())):
            useful.add(element)
    return useful


def _count_and_best(order, successors, useful, start, limit):
    """Per element: the number of paths from ``start`` (exact), the sum of their products,
    and the ``limit`` largest partial paths by |product| (the best paths to a node extend
    the best paths to its predecessors, since |product| only grows with |prefix|)."""
    ways: dict[Element, int] = {start: 1}
    sums: dict[Element, float] = {start: 1.0}
    tie = counter()
    best: dict[Element, list] = {start: [(1.0, next(tie), None, start, 1.0, "")]}
    for element in order:
        if element not in useful or element not in ways:
            continue
        for target, factor, formula in successors.get(element, ()):
            if target not in useful:
                continue
            ways[target] = ways.get(target, 0) + ways[element]
            sums[target] = sums.get(target, 0.0) + sums[element] * factor
            extended = [
                (entry[0] * factor, next(tie), entry, target, factor, formula)
                for entry in best[element]
            ]
            merged = best.get(target, []) + extended
            best[target] = heapq.nlargest(limit, merged, key=lambda e: (abs(e[0]), -e[1]))
    return ways, sums, best


def _as_path(entry, names: _ElementNames) -> Path:
    elements, factors, formulas = [], [], []
    product = entry[0]
    while entry is not None:
        elements.append(entry[3])
        if entry[2] is not None:
            factors.append(entry[4])
            formulas.append(entry[5])
        entry = entry[2]
    elements.reverse()
    factors.reverse()
    formulas.reverse()
    return Path(
        tuple(names(e) for e in elements), tuple(names.node_id(e) for e in elements),
        tuple(factors), tuple(formulas), float(product),
    )


def _fan_outs(order, successors, useful, ways, targets, names, out: str) -> list[FanOut]:
    """Elements with more than one wire onward on the paths: where the backward pass adds
    the contributions of several consumers (d out/d q = sum over consumers)."""
    down: dict[Element, float] = {t: 1.0 for t in targets}
    down_ways: dict[Element, int] = {t: 1 for t in targets}
    fan_outs = []
    for element in reversed(order):
        if element not in useful or element in targets:
            continue
        onward = [(t, f) for t, f, _ in successors.get(element, ()) if t in useful]
        down[element] = sum(down[t] * f for t, f in onward)
        down_ways[element] = sum(down_ways[t] for t, _ in onward)
        if len(onward) < 2 or element not in ways:
            continue
        me = names(element)
        terms = " + ".join(f"d{out}/d{names(t)} * d{names(t)}/d{me}" for t, _ in onward)
        numbers = " + ".join(f"{format_factor(down[t])} * {format_factor(f)}" for t, f in onward)
        fan_outs.append(FanOut(
            me, names.node_id(element), ways[element] * down_ways[element],
            f"d{out}/d{me} = {terms} = {numbers} = {format_value(down[element])}",
            float(down[element]),
        ))
    fan_outs.reverse()
    return fan_outs


def _element_gradient(program: Program, vals: list, wrt: int, flat: int, out: Element) -> float:
    """d(one output element)/d(input element) by the backward pass, seeded one-hot."""
    value = vals[out[0]]
    seed = np.zeros(np.shape(value))
    seed.flat[out[1]] = 1.0
    grads = program.gradients(vals, seed=seed)
    g = grads[wrt]
    return 0.0 if g is None else float(np.ravel(g)[flat])
