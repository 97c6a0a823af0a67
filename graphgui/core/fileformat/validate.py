"""A parsed, current-version document checked completely against the op registry, then built
through Graph methods, so a bad file never yields a partial graph."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from typing import Any

from ..graph import Graph, GraphError, check_name
from ..ops import OpError, get_op, has_op
from ..values import Value, to_value
from .functions import build_functions, read_functions, read_groups
from .schema import (
    EDGE_KEYS,
    ID_PATTERN,
    NODE_KEYS,
    NONFINITE_TEXT,
    TOP_KEYS,
    Document,
    _all_op_names,
    _bad_id_reason,
    _check_settings_size,
    _dump,
    _Invalid,
    _kind,
    _node_where,
    _quote,
    _short,
    _short_message,
    _suggest,
)


@dataclass
class _NodePlan:
    id: str
    op: str
    name: str | None
    params: dict[str, Any]
    value: Value | None
    pos: tuple[float, float]
    group: str | None = None


def _build(data: dict[str, Any]) -> Document:
    _check_keys(data, TOP_KEYS, None)
    title = _text_field(data, "title")
    description = _text_field(data, "description")
    if "nodes" not in data:
        raise _Invalid(None, 'no "nodes" list')
    nodes = data["nodes"]
    if not isinstance(nodes, list):
        raise _Invalid("nodes", f"must be a list, not {_kind(nodes)}")
    plans: dict[str, _NodePlan] = {}
    names: dict[str, str] = {}
    for i, item in enumerate(nodes):
        plan = _node_plan(item, i, plans)
        if plan.name is not None:
            if plan.name in names:
                raise _Invalid(
                    _node_where(plan.id),
                    f"the name {plan.name!r} is already used by {_node_where(names[plan.name])}",
                )
            names[plan.name] = plan.id
        plans[plan.id] = plan

    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise _Invalid("edges", f"must be a list, not {_kind(edges)}")
    wires: dict[tuple[str, str], int] = {}  # (dst, port) -> index of the edge filling it
    planned: list[tuple[str, str, str, str]] = []
    for i, item in enumerate(edges):
        src, dst, port = _edge_plan(item, f"edges[{i}]", plans)
        if (dst, port) in wires:
            raise _Invalid(
                f"edges[{i}]",
                f"input {port!r} of {_node_where(dst)} is connected twice "
                f"(also by edges[{wires[dst, port]}])",
            )
        wires[dst, port] = i
        planned.append((src, dst, port, f"edges[{i}]"))
    rank = _check_acyclic(planned)
    # Graph.connect looks for cycles downstream of the target; wiring targets in topological
    # order keeps that search trivial, so building is linear whatever order the file uses.
    planned.sort(key=lambda edge: rank[edge[1]])

    output = data.get("output")
    if output is not None:
        if not isinstance(output, str):
            raise _Invalid("output", f"must be a node id or null, not {_kind(output)}")
        if output not in plans:
            raise _Invalid("output", f"no node has the id {_quote(output)}")

    functions = read_functions(data, _build)
    groups = read_groups(
        data, functions, {p.id: p.group for p in plans.values()},
        {p.id: p.op for p in plans.values()},
    )

    settings = data.get("settings")
    if settings is not None or "settings" in data:
        if not isinstance(settings, dict):
            raise _Invalid("settings", f"must be a JSON object, not {_kind(settings)}")
        _check_settings_size(settings)

    # Everything is valid: build through Graph methods so the Graph stays the single judge.
    graph = Graph(title, description)
    build_functions(graph, functions, groups)
    where = None
    try:
        for plan in plans.values():
            where = _node_where(plan.id)
            graph.add_node(
                plan.op, name=plan.name, params=plan.params, value=plan.value, pos=plan.pos,
                node_id=plan.id, group=plan.group,
            )
        for src, dst, port, edge_where in planned:
            where = edge_where
            graph.connect(src, dst, port)
        where = "output"
        graph.set_output(output)
    except GraphError as exc:  # not expected after the checks above
        raise _Invalid(where, str(exc)) from None
    return Document(graph, settings)


def _node_plan(item: Any, index: int, seen: dict[str, _NodePlan]) -> _NodePlan:
    where = f"nodes[{index}]"
    if not isinstance(item, dict):
        raise _Invalid(where, f"must be an object, not {_kind(item)}")
    node_id = item.get("id")
    if "id" not in item:
        raise _Invalid(where, 'no "id"')
    if not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
        raise _Invalid(where, _bad_id_reason(node_id))
    if node_id in seen:
        raise _Invalid(where, f"the id {_quote(node_id)} is used by another node")
    where = _node_where(node_id)
    _check_keys(item, NODE_KEYS, where)

    op = item.get("op")
    if "op" not in item:
        raise _Invalid(where, 'no "op"')
    if not isinstance(op, str):
        raise _Invalid(where, f'"op" must be text, not {_kind(op)}')
    if not has_op(op):
        raise _Invalid(where, f"unknown op {_short(repr(op))}{_suggest(op, _all_op_names())}")
    spec = get_op(op)

    name = item.get("name")
    if name is not None:
        if not isinstance(name, str):
            raise _Invalid(where, f'"name" must be text or null, not {_kind(name)}')
        try:
            check_name(name)
        except GraphError as exc:
            raise _Invalid(where, _short_message(str(exc))) from None

    params = item.get("params", {})
    if not isinstance(params, dict):
        raise _Invalid(where, f'"params" must be an object, not {_kind(params)}')
    try:
        checked = spec.check_params(params)
    except OpError as exc:
        raise _Invalid(where, _short_message(str(exc))) from None

    value: Value | None = None
    if spec.is_source:
        if item.get("value") is None:
            article = "an" if spec.name[0] in "aeiou" else "a"
            raise _Invalid(
                where, f"{article} {spec.name} node needs a \"value\" (a number or a list)"
            )
        value = _decode_value(item["value"], where)
    elif "value" in item:
        raise _Invalid(
            where, f'only input, constant and parameter nodes have a "value" (this is {op})'
        )

    pos = item.get("pos", [0.0, 0.0])
    if (
        not isinstance(pos, list)
        or len(pos) != 2
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos)
    ):
        raise _Invalid(where, f'"pos" must be [x, y] with two numbers, not {_short(_dump(pos))}')
    group = item.get("group")
    if group is not None and not isinstance(group, str):
        raise _Invalid(where, f'"group" must be an instance id or null, not {_kind(group)}')
    return _NodePlan(
        node_id, spec.name, name, checked, value, (float(pos[0]), float(pos[1])), group
    )


def _decode_value(raw: Any, where: str) -> Value:
    """A source's value from JSON: a number or nested lists, with "nan"/"inf"/"-inf"."""

    def leaf(x: Any) -> Any:
        if isinstance(x, list):
            return [leaf(v) for v in x]  # depth is bounded by MAX_DEPTH (checked at parse)
        if isinstance(x, bool) or not isinstance(x, (int, float, str)):
            raise _Invalid(where, f"value: {_short(_dump(x))} is not a number")
        if isinstance(x, str):
            if x not in NONFINITE_TEXT:
                raise _Invalid(
                    where,
                    f'value: {_short(_dump(x))} is not a number (only "nan", "inf" and "-inf" '
                    "may be written as text)",
                )
            return NONFINITE_TEXT[x]
        return x

    try:
        return to_value(leaf(raw))
    except (ValueError, OverflowError) as exc:
        raise _Invalid(where, f"value: {exc}") from None


def _edge_plan(item: Any, where: str, plans: dict[str, _NodePlan]) -> tuple[str, str, str]:
    if not isinstance(item, dict):
        raise _Invalid(where, f"must be an object, not {_kind(item)}")
    _check_keys(item, EDGE_KEYS, where)
    for key in EDGE_KEYS:
        if key not in item:
            raise _Invalid(where, f"no {_quote(key)}")
    src, dst, port = item["from"], item["to"], item["port"]
    for key, ref in (("from", src), ("to", dst)):
        if not isinstance(ref, str):
            raise _Invalid(where, f"{_quote(key)} must be a node id, not {_kind(ref)}")
        if ref not in plans:
            raise _Invalid(where, f"{_quote(key)} names no node: {_quote(ref)}")
    inputs = get_op(plans[dst].op).inputs
    if not isinstance(port, str):
        raise _Invalid(
            where, f'"port" must be an input name such as "a", not {_short(_dump(port))}'
        )
    if port not in inputs:
        if not inputs:
            reason = f"{_node_where(dst)} ({plans[dst].op}) has no inputs"
        else:
            reason = (
                f"{_node_where(dst)} ({plans[dst].op}) has no input {_short(repr(port))}"
                f" (its inputs are {', '.join(inputs)})"
            )
        raise _Invalid(where, reason)
    if src == dst:
        raise _Invalid(where, f"{_node_where(src)} is connected to itself")
    return src, dst, port


def _check_acyclic(edges: list[tuple[str, str, str, str]]) -> dict[str, int]:
    """Each wired node's place in a topological order; refuses a cycle, naming its nodes."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for src, dst, _port, _where in edges:
        sorter.add(dst, src)
    try:
        return {node_id: i for i, node_id in enumerate(sorter.static_order())}
    except graphlib.CycleError as exc:
        # graphlib lists the cycle in data-flow order, first node repeated at the end
        path = " -> ".join(_quote(n) for n in exc.args[1])
        raise _Invalid("edges", f"the wires make a cycle: {path}") from None


def _check_keys(item: dict[str, Any], known: tuple[str, ...], where: str | None) -> None:
    # Unknown keys are refused, not ignored, so a typo ("valeu") does not silently vanish.
    for key in item:
        if key not in known:
            raise _Invalid(where, f"unknown key {_quote(key)}{_suggest(key, known, _quote)}")


def _text_field(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _Invalid(key, f"must be text, not {_kind(value)}")
    return value
