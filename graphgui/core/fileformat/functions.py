"""Function definitions and instances in a file (version 2), read and written.

::

    "functions": [{"name": "neuron", "doc": "", "inputs": ["x", "w", "b"], "outputs": ["out"],
                   "nodes": [...], "edges": [...]}],
    "groups": [{"id": "g1", "function": "neuron", "name": "h1", "collapsed": true,
                "inputs": {"x": [["n4", "b"]], ...}, "outputs": {"out": "n6"}}]

A definition's body is a graph of its own, with one ``input`` node named after each input;
an instance's members are the nodes whose ``"group"`` is its id, its inputs list the inner
ports (node id, input name) each argument feeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..functions.model import (
    GROUP_ID_PATTERN,
    MAX_FUNCTIONS,
    FunctionDef,
    Group,
    GroupInput,
    GroupOutput,
)
from ..graph import Graph, GraphError, check_name
from ..ops import get_op
from .schema import FUNCTION_KEYS, GROUP_KEYS, _Invalid, _kind, _node_where, _quote, _short

MAX_GROUPS = 100_000  # instances in one file (each holds at least one node)


def read_functions(data: dict[str, Any], build: Any) -> list[FunctionDef]:
    """The definitions in ``data["functions"]``; ``build`` turns a body into a Document."""
    result: list[FunctionDef] = []
    seen: set[str] = set()
    for where, item in _objects(data, "functions", FUNCTION_KEYS, MAX_FUNCTIONS):
        name = _name(item.get("name"), where, "name")
        where = f"function {_quote(name)}"
        if name in seen:
            raise _Invalid(where, "is defined twice")
        seen.add(name)
        inputs = _names(item.get("inputs", []), where, "inputs")
        outputs = _names(item.get("outputs"), where, "outputs")
        doc = item.get("doc", "")
        if not isinstance(doc, str):
            raise _Invalid(where, f'"doc" must be text, not {_kind(doc)}')
        try:
            body = build({"title": name, "nodes": item.get("nodes", []),
                          "edges": item.get("edges", [])}).graph
        except _Invalid as exc:
            raise _Invalid(f"{where}: {exc.where}" if exc.where else where, exc.reason) from None
        for arg in inputs:
            node = body.find(arg)
            if node is None or node.op != "input":
                raise _Invalid(where, f"input {arg!r} has no input node of that name in the body")
        for out in outputs:
            if body.find(out) is None:
                raise _Invalid(where, f"output {out!r} names no node of the body")
        if not outputs:
            raise _Invalid(where, "a function needs at least one output")
        result.append(FunctionDef(name, tuple(inputs), tuple(outputs), body, doc))
    return result


def read_groups(
    data: dict[str, Any], functions: list[FunctionDef], node_groups: dict[str, str | None],
    node_ops: dict[str, str],
) -> list[Group]:
    """The instances in ``data["groups"]``, checked against the nodes' "group" fields."""
    known = {f.name for f in functions}
    result: list[Group] = []
    ids: set[str] = set()
    for where, item in _objects(data, "groups", GROUP_KEYS, MAX_GROUPS):
        gid = item.get("id")
        if not isinstance(gid, str) or not GROUP_ID_PATTERN.match(gid):
            raise _Invalid(where, f'"id" must be an id such as "g1", not {_short(repr(gid))}')
        if gid in ids:
            raise _Invalid(where, f"the id {_quote(gid)} is used by another instance")
        ids.add(gid)
        where = f"group {_quote(gid)}"
        function = item.get("function")
        if function not in known:
            raise _Invalid(where, f"uses {_short(repr(function))}, which no function defines")
        name = _name(item.get("name"), where, "name")
        collapsed = item.get("collapsed", True)
        if not isinstance(collapsed, bool):
            raise _Invalid(where, f'"collapsed" must be true or false, not {_kind(collapsed)}')
        members = {nid for nid, g in node_groups.items() if g == gid}
        inputs = _group_inputs(item.get("inputs", {}), where, members, node_ops)
        outputs = _group_outputs(item.get("outputs"), where, members)
        result.append(Group(gid, function, name, inputs, outputs, collapsed))
    for nid, gid in node_groups.items():
        if gid is not None and gid not in ids:
            raise _Invalid(_node_where(nid), f'"group" names no instance: {_quote(gid)}')
    return result


def _group_inputs(
    raw: Any, where: str, members: set[str], node_ops: dict[str, str]
) -> tuple[GroupInput, ...]:
    if not isinstance(raw, dict):
        raise _Invalid(where, f'"inputs" must be an object, not {_kind(raw)}')
    inputs = []
    for name, targets in raw.items():
        _name(name, where, "inputs")
        if not isinstance(targets, list):
            raise _Invalid(where, f"input {name!r} must list [node, port] pairs")
        pairs = []
        for target in targets:
            if (not isinstance(target, list) or len(target) != 2
                    or not all(isinstance(t, str) for t in target)):
                raise _Invalid(where, f"input {name!r}: {_short(repr(target))} is not [node, port]")
            nid, port = target
            if nid not in members:
                raise _Invalid(where, f"input {name!r} feeds {_quote(nid)}, which is not inside")
            ports = get_op(node_ops[nid]).inputs
            if port not in ports:
                raise _Invalid(where, f"input {name!r}: {_quote(nid)} has no input {port!r}")
            pairs.append((nid, ports.index(port)))
        inputs.append(GroupInput(name, tuple(pairs)))
    return tuple(inputs)


def _group_outputs(raw: Any, where: str, members: set[str]) -> tuple[GroupOutput, ...]:
    if not isinstance(raw, dict) or not raw:
        raise _Invalid(where, '"outputs" must be an object naming at least one node')
    outputs = []
    for name, nid in raw.items():
        _name(name, where, "outputs")
        if nid not in members:
            raise _Invalid(where, f"output {name!r} is {_short(repr(nid))}, which is not inside")
        outputs.append(GroupOutput(name, nid))
    return tuple(outputs)


def write_functions(graph: Graph, body_data: Any) -> list[dict[str, Any]]:
    """``"functions"`` for the file; ``body_data(graph)`` gives a body's nodes and edges."""
    result = []
    for definition in graph.functions:
        doc = body_data(definition.body)
        result.append({
            "name": definition.name, "doc": definition.doc, "inputs": list(definition.inputs),
            "outputs": list(definition.outputs), "nodes": doc["nodes"], "edges": doc["edges"],
        })
    return result


def write_groups(graph: Graph) -> list[dict[str, Any]]:
    result = []
    for group in graph.groups:
        inputs = {
            item.name: [[nid, graph.node(nid).spec.inputs[port]] for nid, port in item.targets
                        if nid in graph]
            for item in group.inputs
        }
        result.append({
            "id": group.id, "function": group.function, "name": group.name,
            "collapsed": group.collapsed, "inputs": inputs,
            "outputs": {o.name: o.node for o in group.outputs},
        })
    return result


def build_functions(graph: Graph, functions: list[FunctionDef], groups: list[Group]) -> None:
    """Define the functions and add the instances (before the member nodes are added)."""
    try:
        for definition in functions:
            graph.define_function(definition)
        for group in groups:
            graph.add_group(group)
    except GraphError as exc:
        raise _Invalid("functions", str(exc)) from None


def _objects(
    data: dict[str, Any], key: str, known: tuple[str, ...], limit: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, object) for each entry of the list ``data[key]``, its keys checked."""
    items = data.get(key, [])
    if not isinstance(items, list):
        raise _Invalid(key, f"must be a list, not {_kind(items)}")
    if len(items) > limit:
        raise _Invalid(key, f"holds {len(items)} entries; the limit is {limit:,}")
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise _Invalid(where, f"must be an object, not {_kind(item)}")
        _known_keys(item, known, where)
        yield where, item


def _name(value: Any, where: str, key: str) -> str:
    if not isinstance(value, str):
        raise _Invalid(where, f'"{key}" must hold names, not {_kind(value)}')
    try:
        check_name(value)
    except GraphError as exc:
        raise _Invalid(where, str(exc)) from None
    return value


def _names(value: Any, where: str, key: str) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid(where, f'"{key}" must be a list of names, not {_kind(value)}')
    names = [_name(v, where, key) for v in value]
    if len(set(names)) < len(names):
        raise _Invalid(where, f'"{key}" names the same one twice')
    return names


def _known_keys(item: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in item:
        if key not in known:
            raise _Invalid(where, f"unknown key {_quote(key)}")
