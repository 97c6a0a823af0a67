"""Carrying function instances along when part of a graph is copied (copy, paste, export),
or leaving them behind (:func:`without_functions`)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .model import Group, GroupInput

if TYPE_CHECKING:
    from ..graph import Graph


def copy_groups(source: Graph, sub: Graph) -> None:
    """Give ``sub`` (a copy of some of ``source``'s nodes, same ids) the instances those
    nodes belong to, trimmed to the copied members, and the definitions they use; the whole
    graph copied also keeps its unused definitions."""
    whole = len(sub) == len(source)
    for definition in source.functions:
        if whole:
            sub.define_function(definition)
    for group in source.groups:
        trimmed = trim_group(group, {nid for nid in source.group_members(group.id) if nid in sub})
        if trimmed is None:
            continue
        if sub.function(group.function) is None:
            definition = source.function(group.function)
            assert definition is not None, "add_group checked it"
            sub.define_function(definition)
        sub.add_group(trimmed)
        for nid in source.group_members(group.id):
            if nid in sub:
                sub.set_node_group(nid, group.id)


def trim_group(group: Group, members: set[str]) -> Group | None:
    """``group`` limited to ``members``, or None when none of its outputs is among them."""
    outputs = tuple(o for o in group.outputs if o.node in members)
    if not outputs:
        return None
    inputs = tuple(
        GroupInput(item.name, tuple(t for t in item.targets if t[0] in members))
        for item in group.inputs
    )
    return replace(group, inputs=tuple(i for i in inputs if i.targets), outputs=outputs)


def without_functions(graph: Graph) -> Graph:
    """``graph`` itself when it holds no function instance, else a copy of its nodes and
    wires (same ids, names, values, title, description and output) without any: what the
    trainer and the code export work on, so their order, and so the code they write and
    the order they list parameters in, is the flat graph's."""
    if not graph.groups:
        return graph
    flat = graph.subgraph(node.id for node in graph)
    flat.description = graph.description
    for group in flat.groups:
        for nid in flat.group_members(group.id):
            flat.set_node_group(nid, None)
        flat.remove_group(group.id)
    return flat
