"""Gradients as graphs: reverse mode written out as ordinary nodes, so the gradient itself can
be evaluated, stepped through and differentiated again (second derivatives, Newton's method,
Hessian-vector products) by the same engine.

:func:`gradient_graph` copies a graph and adds, for every node on a path from ``wrt`` to the
output, the nodes of its adjoint d(output)/d(node), built by each op's ``OpSpec.vjp_graph``
rule (declared beside its ``vjps``). Constants the rules add (the seed, ``1 / n`` of a mean,
ones to spread a sum) depend only on the shapes of the graph evaluated once: the gradient
graph stays right for other values of the same shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..engine import EvaluationError, Program
from ..graph import Graph, GraphError, Node
from ..labels import node_labels
from ..layout import column_gap, layered_layout
from ..values import Value
from .builder import Builder, Ref

MAX_NAME = 60  # room for unique_name's "_2" within the 64 characters a name may have


class GradGraphError(ValueError):
    """A gradient graph that cannot be built; the one-line message names the node."""


def gradient_graph(graph: Graph, wrt: str, output: str | None = None) -> Graph:
    """A new Graph: a copy of ``graph`` (same ids, names, values, params, positions) plus the
    nodes of d(output)/d(wrt) by reverse mode, which is its output, named ``d{out}_d{wrt}``.

    ``wrt`` and ``output`` are node names or ids (``output`` defaults to the graph's). A
    tensor output is seeded with ones, as the engine seeds it: the gradient of its sum. If
    ``wrt`` does not reach the output the gradient is a constant zero of ``wrt``'s shape.
    ``graph`` is not changed. Raises :class:`GradGraphError` with a one-line message.
    """
    if not isinstance(wrt, str):
        raise GradGraphError(f"wrt must be a node name, got {type(wrt).__name__}")
    if len(graph) == 0:
        raise GradGraphError("the graph is empty: there is nothing to differentiate")
    labels = node_labels(graph)
    wrt_node = _lookup(graph, wrt, "wrt")
    if output is None:
        if graph.output is None:
            raise GradGraphError("the graph has no output to differentiate")
        out_node = graph.node(graph.output)
    else:
        out_node = _lookup(graph, output, "output")
    out_label, wrt_label = labels[out_node.id], labels[wrt_node.id]
    values = _forward_values(graph, out_node.id, wrt_node.id, labels)

    new = graph.subgraph(node.id for node in graph.nodes)
    new.title = f"d{out_label}/d{wrt_label}" + (f": {graph.title}" if graph.title else "")
    new.description = (
        f"The gradient of {out_label} with respect to {wrt_label} as a graph of ordinary "
        "nodes (reverse mode, one adjoint per node on the path); evaluate it to "
        "differentiate it again." + (f"\n\n{graph.description}" if graph.description else "")
    )
    builder = Builder(new, values)
    on_path = graph.descendants(wrt_node.id) & graph.ancestors(out_node.id)
    if wrt_node.id in on_path:
        grad = _reverse(graph, builder, out_node.id, wrt_node.id, on_path, labels)
    else:  # wrt does not reach the output: nothing to sum, the gradient is zero
        if wrt_node.id not in values:  # off the output's side of the graph: its own shape
            values.update(_forward_values(graph, wrt_node.id, wrt_node.id, labels))
        grad = builder.zeros(np.shape(values[wrt_node.id]))
    grad = _named(builder, grad, f"d{out_label}_d{wrt_label}")
    with new.bulk_edit():
        new.set_output(grad.id)
        _place(graph, new, builder.created)
    return new


# ---- the backward pass, as nodes ----------------------------------------------------------


def _reverse(
    graph: Graph, b: Builder, out_id: str, wrt_id: str, on_path: set[str],
    labels: Mapping[str, str],
) -> Ref:
    """The adjoint of ``wrt_id``: each node of ``on_path``, output first, sums what its
    consumers sent (add nodes) and sends its inputs what its op's vjp_graph builds."""
    out_label = labels[out_id]
    parts: dict[str, list[Ref]] = {out_id: [b.ones(b.shape(Ref(out_id)))]}
    for nid in reversed(graph.topological_order(on_path)):
        total = parts.pop(nid)[0] if len(parts[nid]) == 1 else _sum(b, parts.pop(nid))
        if nid == wrt_id:  # every other node on the path depends on wrt: it comes last
            return total
        if nid != out_id:  # the seed d out/d out = 1 stays unnamed: formulas write "1"
            total = _named(b, total, f"d{out_label}_d{labels[nid]}", required=False)
        node = graph.node(nid)
        srcs = [s for s in graph.input_ids(nid) if s is not None]
        needs = tuple(s in on_path for s in srcs)
        for src, grad in zip(srcs, _rule(b, node, total, srcs, needs, labels[nid]),
                             strict=True):
            if grad is not None:
                parts.setdefault(src, []).append(grad)
    raise GradGraphError(f"{labels[wrt_id]} is not on a path to {out_label}")


def _rule(
    b: Builder, node: Node, g: Ref, srcs: Sequence[str], needs: tuple[bool, ...], label: str
) -> tuple[Ref | None, ...]:
    """Run ``node``'s vjp_graph rule and check what it returns (one Ref of the input's
    shape per input that needs one)."""
    spec = node.spec
    if spec.vjp_graph is None:
        raise GradGraphError(f"{label}: op {node.op} has no gradient-graph rule (vjp_graph)")
    inputs = tuple(Ref(s) for s in srcs)
    try:
        grads = tuple(spec.vjp_graph(b, g, Ref(node.id), inputs, dict(node.params), needs))
    except GradGraphError:
        raise
    except Exception as exc:  # noqa: BLE001  (an unsupported case or a rule's failure)
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GradGraphError(f"{label}: no gradient graph for {node.op}: {text}") from None
    if len(grads) != len(inputs):
        raise GradGraphError(
            f"{label}: the vjp_graph rule of {node.op} gave {len(grads)} gradients for "
            f"{len(inputs)} inputs"
        )
    for port, (ref, need) in enumerate(zip(grads, needs, strict=True)):
        if not need:
            continue
        want = b.shape(inputs[port])
        if ref is None or b.shape(ref) != want:
            got = "none" if ref is None else str(b.shape(ref))
            raise GradGraphError(
                f"{label}: the vjp_graph rule of {node.op} gave {got} for input "
                f"{spec.inputs[port]!r} of shape {want}"
            )
    return tuple(ref if need else None for ref, need in zip(grads, needs, strict=True))


def _sum(b: Builder, refs: list[Ref]) -> Ref:
    """Fan-out: the contributions of several consumers, added one by one."""
    total = refs[0]
    for ref in refs[1:]:
        total = b.op("add", total, ref)
    return total


# ---- helpers --------------------------------------------------------------------------------


def _lookup(graph: Graph, ref: str, what: str) -> Node:
    if not isinstance(ref, str):
        raise GradGraphError(f"{what} must be a node name, got {type(ref).__name__}")
    try:
        return graph.lookup(ref)
    except GraphError:
        raise GradGraphError(f"{what}: the graph has no node named {ref!r}") from None


def _forward_values(
    graph: Graph, out_id: str, wrt_id: str, labels: Mapping[str, str]
) -> dict[str, Value]:
    """Every value the output depends on, or a GradGraphError naming the first node that
    fails (a gradient graph of a broken graph would only repeat its error)."""
    program = Program(graph, output=out_id, wrt=[wrt_id], prune=True)
    try:
        vals = program.forward()
    except EvaluationError as exc:  # the first node that fails, in evaluation order
        label = labels.get(exc.node_id or "", "a node")
        message = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise GradGraphError(f"{label} fails ({message}); fix it before differentiating") from None
    return {nid: vals[k] for k, nid in enumerate(program.ids)}


def _named(b: Builder, ref: Ref, base: str, required: bool = True) -> Ref:
    """Give ``ref`` the name ``base`` (made unique), if it is a new node without one; if it
    is not (it already holds another adjoint's name), an identity node carries the name when
    ``required``."""
    graph = b.graph
    node = graph.node(ref.id)
    if node.name is not None or not b.is_new(ref):
        if not required:
            return ref
        ref = b.op("identity", ref)
        node = graph.node(ref.id)
    # Labels are names or op names with a counter: "d" + label + "_d" + label is one too.
    graph.rename(node.id, graph.unique_name(base[:MAX_NAME]))
    return ref


def _place(old: Graph, new: Graph, created: list[str]) -> None:
    """Lay the new nodes out on their own, left to right from the seed to the gradient, in a
    block to the right of the original nodes (which keep their places)."""
    if not created:
        return
    gap = column_gap(new)
    positions = layered_layout(new, created, x_gap=gap)
    xs = [n.pos[0] for n in old.nodes]
    ys = [n.pos[1] for n in old.nodes]
    new_ys = [p[1] for p in positions.values()]
    dx = max(xs) + gap - min(p[0] for p in positions.values())
    dy = (min(ys) + max(ys)) / 2 - (min(new_ys) + max(new_ys)) / 2  # centred beside them
    for nid, (x, y) in positions.items():
        new.move(nid, (round(x + dx, 1), round(y + dy, 1)))


__all__ = ["GradGraphError", "gradient_graph"]
