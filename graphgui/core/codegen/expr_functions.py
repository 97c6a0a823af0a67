"""Which of a graph's functions the expression program writes as ``def`` blocks, and which
instances it writes as calls.

Every definition is written as a ``def`` unless the language could not read it back: its
name is an op's or a built-in name, or some node (of the graph or of any body) or input
has that name, or an output is one of its inputs. An instance is written as a call,
``h1 = neuron(x, w, b)`` (``h1, h2 = layer(x)`` for several outputs), exactly when that call
builds its nodes again: the same ops, parameters, stored values, inner wiring and names
(the call names the instance and its first output after the first target and inner nodes
``<instance>_<local>``, as :func:`instance_graph` does), each input fed by one node outside,
nothing but its outputs used outside, and its arguments computed before it. Any other
instance (one edited or trained since it was made, or made by grouping nodes that keep
their own names) is written node by node, as a graph without functions is.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import GraphError
from ..expr import NAMED_CONSTANTS, SOURCE_FORMS
from ..functions.instances import instance_graph
from ..functions.model import FunctionDef, Group
from ..graph import Graph
from ..labels import node_labels
from ..ops import has_op


@dataclass(frozen=True)
class CallForm:
    """One instance written as a call: ``targets`` (node ids, in the definition's output
    order) = ``definition.name``(``args``: the node id feeding each input, in order)."""

    group: Group
    definition: FunctionDef
    args: tuple[str, ...]
    targets: tuple[str, ...]
    members: frozenset[str]


@dataclass
class FunctionPlan:
    """The definitions written (``defs``), the ones left out with the reason, the calls
    (by the id of the instance's first node in evaluation order) and the nodes they hide."""

    defs: list[FunctionDef] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    calls: dict[str, CallForm] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)


def plan_functions(graph: Graph, order: list[str]) -> FunctionPlan:
    """What :func:`expr_program` writes for ``graph``'s functions (``order``: its
    topological order)."""
    plan = FunctionPlan()
    if not graph.functions:
        return plan
    taken = set(node_labels(graph).values())
    for definition in graph.functions:
        taken |= set(node_labels(definition.body).values()) | set(definition.inputs)
    for definition in graph.functions:
        why = _unwritable(definition, taken)
        if why is None:
            plan.defs.append(definition)
        else:
            plan.skipped[definition.name] = why
    writable = {d.name for d in plan.defs}
    index = {nid: k for k, nid in enumerate(order)}
    anchor = next((nid for nid in order
                   if graph.node(nid).group is None and _has_a_name(graph, nid)), None)
    for group in graph.groups:
        if group.function not in writable:
            continue
        form = call_form(graph, group, index, anchor)
        if form is not None:
            first = min(form.members, key=index.__getitem__)
            plan.calls[first] = form
            plan.hidden |= form.members
    return plan


def _unwritable(definition: FunctionDef, taken: set[str]) -> str | None:
    name = definition.name
    if has_op(name) or name in SOURCE_FORMS or name in NAMED_CONSTANTS:
        return f"{name!r} is the name of an op or a built-in"
    if name in taken:
        return f"a node or an input is also called {name!r}"
    body = definition.body
    found = [body.find(n) for n in definition.inputs]
    placeholders = {node.id for node in found if node is not None and node.op == "input"}
    if len(placeholders) != len(definition.inputs):
        return "an input has no input node in its body"
    for out in definition.outputs:
        node = body.find(out)
        if node is None or node.id in placeholders:
            return f"its output {out!r} is not a computed node of its body"
    return None


def call_form(
    graph: Graph, group: Group, index: dict[str, int], anchor: str | None = None
) -> CallForm | None:
    """``group`` as a call, or None when a call would not build it again (module doc).
    ``anchor``, a node outside every instance that the program names, is what an input the
    body does not use is given when no other argument is a name."""
    definition = graph.function(group.function)
    members = set(graph.group_members(group.id))
    if definition is None or not members:
        return None
    by_name = {o.name: o.node for o in group.outputs}
    if sorted(by_name) != sorted(definition.outputs) or len(by_name) != len(group.outputs):
        return None
    targets = tuple(by_name[o] for o in definition.outputs)
    if not set(targets) <= members:
        return None
    target_names = [graph.node(t).name for t in targets]
    if target_names[0] != group.name or None in target_names:
        return None
    if sorted(group.input_names) != sorted(definition.inputs):
        return None
    try:
        sub = instance_graph(definition, group.name,
                             dict(zip(definition.outputs, map(str, target_names), strict=True)))
    except GraphError:
        return None
    (template,) = sub.groups
    first = min(index[m] for m in members)
    if anchor is not None and index[anchor] > first:
        anchor = None
    args = _arguments(graph, group, members, definition.inputs, anchor)
    if args is None or not _escapes_only_by_outputs(graph, members, set(targets)):
        return None
    if any(index[a] > first for a in args):
        return None
    mine = _keys(graph, group, members)
    theirs = _keys(sub, template, {n.id for n in sub.nodes})
    if mine is None or theirs is None or Counter(mine.values()) != Counter(theirs.values()):
        return None
    if any(mine[by_name[o.name]] != theirs[o.node] for o in template.outputs):
        return None
    return CallForm(group, definition, args, targets, frozenset(members))


def _arguments(
    graph: Graph, group: Group, members: set[str], inputs: Iterable[str], anchor: str | None
) -> tuple[str, ...] | None:
    """The one outside node feeding each input, in the definition's order, or None. An
    input the body does not use is given a named node another input is fed by, else
    ``anchor`` (the call must pass something; a name adds no node)."""
    feeding: dict[str, str] = {}
    for item in group.inputs:
        sources = {graph.input_ids(nid)[port] for nid, port in item.targets
                   if nid in members}
        if not sources:
            continue
        if len(sources) != 1:
            return None
        (src,) = sources
        if src is None or src in members:
            return None
        feeding[item.name] = src
    spare = next((src for src in feeding.values() if _has_a_name(graph, src)), anchor)
    if spare is None and len(feeding) < len(group.inputs):
        return None
    return tuple(feeding.get(name, spare) for name in inputs)  # type: ignore[misc]


def _has_a_name(graph: Graph, nid: str) -> bool:
    """Whether the program certainly refers to ``nid`` by a name (see program_names)."""
    node = graph.node(nid)
    return (bool(node.name) or node.op == "input" or nid == graph.output
            or len(graph.consumers(nid)) != 1)


def _escapes_only_by_outputs(graph: Graph, members: set[str], outputs: set[str]) -> bool:
    if graph.output in members and graph.output not in outputs:
        return False
    return all(
        e.dst in members for nid in members - outputs for e in graph.consumers(nid)
    )


def _keys(graph: Graph, group: Group, members: set[str]) -> dict[str, str] | None:
    """Each member's structure (op, name, value, parameters and, recursively, what feeds
    each port: another member, an input of the instance or nothing), or None when a port
    is fed from outside other than through an input."""
    key: dict[str, str] = {}
    for nid in graph.topological_order(members):
        node = graph.node(nid)
        feeds = []
        for port, src in enumerate(graph.input_ids(nid)):
            name = group.input_of(nid, port)
            if name is not None:
                feeds.append(f"input {name}")
            elif src is None:
                feeds.append("nothing")
            elif src in members:
                feeds.append(key[src])
            else:
                return None
        value = None if node.value is None else (
            np.shape(node.value), np.asarray(node.value, dtype=float).tobytes())
        params = sorted((k, tuple(v) if isinstance(v, list | tuple) else v)
                        for k, v in node.params.items())
        text = repr((node.op, node.name, value, params, tuple(feeds)))
        key[nid] = hashlib.sha256(text.encode()).hexdigest()
    return key
