"""Group into function: what a selection's inputs, outputs and template are, or why not."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import GraphError
from ..labels import node_label, node_labels
from ..names import check_name
from .model import MAX_PORTS, FunctionDef, Group, GroupInput, GroupOutput
from .order import leaves_and_returns

if TYPE_CHECKING:
    from ..graph import Graph

MAX_GROUP_NODES = 5_000
PLACEHOLDER_GAP = 160.0  # how far left of the body a template's inputs stand


@dataclass(frozen=True)
class GroupPlan:
    """What grouping a selection adds: a definition (None when reusing one), the instance
    and its members."""

    definition: FunctionDef | None
    group: Group
    members: tuple[str, ...]


def plan_group(graph: Graph, node_ids: Iterable[str], function_name: str) -> GroupPlan:
    """The function ``function_name`` made of ``node_ids``, or a GraphError saying why not."""
    from ..graph import Graph

    wanted = set(node_ids)
    if not wanted:
        raise GraphError("select the nodes to group into a function")
    if len(wanted) > MAX_GROUP_NODES:
        raise GraphError(f"a function holds at most {MAX_GROUP_NODES:,} nodes")
    for nid in wanted:
        graph.node(nid)
        inside = graph.group_of(nid)
        if inside is not None:
            raise GraphError(
                f"{node_label(graph, nid)} is already inside {inside.name}; "
                "ungroup it first (functions do not nest)"
            )
    check_name(function_name)
    if graph.function(function_name) is not None:
        raise GraphError(f"a function named {function_name!r} already exists; pick another name")
    members = [n.id for n in graph if n.id in wanted]
    if all(graph.node(nid).is_source for nid in members):
        raise GraphError("a function needs at least one computing node, not only inputs")
    detour = leaves_and_returns(graph, wanted)
    if detour is not None:
        out, back = (_seen_as(graph, nid) for nid in detour)
        raise GraphError(
            f"the path through {out} leaves the selection and comes back into {back}: "
            f"select {out} too, or fewer nodes"
        )
    labels = node_labels(graph)
    inputs = _inputs(graph, members, wanted, labels)
    outputs = _outputs(graph, members, wanted, labels)
    if len(inputs) > MAX_PORTS or len(outputs) > MAX_PORTS:
        raise GraphError(f"a function has at most {MAX_PORTS} inputs and {MAX_PORTS} outputs")
    body = Graph(function_name)
    _fill_template(graph, body, members, inputs, labels, {o.node for o in outputs})
    definition = FunctionDef(
        function_name, tuple(name for name, _ in inputs),
        tuple(o.name for o in outputs), body,
    )
    group = Group(
        graph.new_group_id(), function_name, graph.unique_group_name(function_name),
        tuple(GroupInput(name, tuple(t for _, t in targets)) for name, targets in inputs),
        outputs,
    )
    return GroupPlan(definition, group, tuple(members))


def _seen_as(graph: Graph, node_id: str) -> str:
    """A node's label, and where it is when a closed function hides it."""
    group = graph.group_of(node_id)
    label = node_label(graph, node_id)
    return f"{label} (inside {group.name})" if group is not None and group.collapsed else label


def _inputs(
    graph: Graph, members: list[str], wanted: set[str], labels: dict[str, str] | object
) -> list[tuple[str, list[tuple[str, tuple[str, int]]]]]:
    """(name, [(source id, (member, port)), ...]) per outside node feeding the selection."""
    by_source: dict[str, list[tuple[str, tuple[str, int]]]] = {}
    for nid in members:
        for port, src in enumerate(graph.input_ids(nid)):
            if src is not None and src not in wanted:
                by_source.setdefault(src, []).append((src, (nid, port)))
    return [(labels[src], targets) for src, targets in by_source.items()]  # type: ignore[index]


def _outputs(
    graph: Graph, members: list[str], wanted: set[str], labels: object
) -> tuple[GroupOutput, ...]:
    leaving = [
        nid for nid in members
        if any(e.dst not in wanted for e in graph.consumers(nid)) or nid == graph.output
    ]
    if not leaving:  # nothing is used outside: the last computed node that feeds nothing
        sinks = [n for n in members if not graph.consumers(n) and not graph.node(n).is_source]
        leaving = sinks[-1:] or [n for n in members if not graph.node(n).is_source][-1:]
    return tuple(GroupOutput(labels[nid], nid) for nid in leaving)  # type: ignore[index]


def _fill_template(
    graph: Graph, body: Graph, members: list[str], inputs: list, labels: object,
    outputs: set[str],
) -> None:
    """Copy the members into ``body`` (outputs under their labels, others under their
    names if they have one), with one ``input`` node per input
    wired where the argument goes; positions relative to the members' top-left corner."""
    xs = [graph.node(nid).pos[0] for nid in members]
    ys = [graph.node(nid).pos[1] for nid in members]
    left, top = min(xs), min(ys)
    ids: dict[str, str] = {}
    for k, (name, targets) in enumerate(inputs):
        source = graph.node(targets[0][0])
        value = source.value if source.is_source else 0.0
        placeholder = body.add_node(
            "input", name=name, value=value, pos=(-PLACEHOLDER_GAP, 90.0 * k)
        )
        ids[f"input:{name}"] = placeholder.id
    for nid in members:
        node = graph.node(nid)
        copy = body.add_node(
            node.op, name=labels[nid] if nid in outputs else node.name,  # type: ignore[index]
            params=node.params,
            value=node.value if node.is_source else None,
            pos=(node.pos[0] - left, node.pos[1] - top),
        )
        ids[nid] = copy.id
    for name, targets in inputs:
        for _, (nid, port) in targets:
            body.connect(ids[f"input:{name}"], ids[nid], port)
    for nid in members:
        for port, src in enumerate(graph.input_ids(nid)):
            if src in ids and src is not None:
                body.connect(ids[src], ids[nid], port)


def apply_plan(graph: Graph, plan: GroupPlan) -> None:
    """Make the edits of ``plan`` (what the GUI's command does, and the CLI and tests)."""
    if plan.definition is not None:
        graph.define_function(plan.definition)
    graph.add_group(plan.group)
    with graph.bulk_edit():
        for nid in plan.members:
            graph.set_node_group(nid, plan.group.id)


def ungroup(graph: Graph, group_id: str) -> Group:
    """Take every node out of instance ``group_id`` and forget the instance."""
    with graph.bulk_edit():
        for nid in graph.group_members(group_id):
            graph.set_node_group(nid, None)
    return graph.remove_group(group_id)
