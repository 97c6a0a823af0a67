"""An evaluation order that keeps each function instance's nodes next to each other.

The stepper steps *over* a collapsed function in one step, so the instance's nodes must be
contiguous in both passes. Contract every instance to one unit, order the units in waves
(ties by where their first node stands in ``order``), then write each instance's nodes in
``order``'s own order. That is possible exactly when no path leaves an instance and comes
back into it (grouping refuses such a selection); for a graph where an edit made one anyway,
``order`` is returned as it is, which is still a valid order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..graph import Graph


def grouped_order(graph: Graph, order: list[str]) -> list[str]:
    """``order`` (a topological order of some of graph's nodes) with instances contiguous."""
    unit_of = {nid: graph.node(nid).group or nid for nid in order}
    if all(unit == nid for nid, unit in unit_of.items()):
        return order
    members: dict[str, list[str]] = {}
    rank: dict[str, int] = {}
    for k, nid in enumerate(order):
        unit = unit_of[nid]
        members.setdefault(unit, []).append(nid)
        rank.setdefault(unit, k)
    feeds: dict[str, set[str]] = {unit: set() for unit in members}
    waiting = dict.fromkeys(members, 0)
    for nid in order:
        dst = unit_of[nid]
        for src in graph.input_ids(nid):
            unit = unit_of.get(src) if src is not None else None
            if unit is not None and unit != dst and dst not in feeds[unit]:
                feeds[unit].add(dst)
                waiting[dst] += 1
    wave = sorted((u for u, n in waiting.items() if n == 0), key=rank.__getitem__)
    result: list[str] = []
    placed = 0
    while wave:
        ready = []
        for unit in wave:
            result += members[unit]
            placed += 1
            for dst in feeds[unit]:
                waiting[dst] -= 1
                if waiting[dst] == 0:
                    ready.append(dst)
        wave = sorted(ready, key=rank.__getitem__)
    return result if placed == len(members) else order


def leaves_and_returns(graph: Graph, node_ids: set[str]) -> tuple[str, str] | None:
    """A path that leaves ``node_ids`` and comes back, as (outside node, member it reaches),
    or None when the set is convex (it can be drawn and stepped as one node)."""
    outside_reached: set[str] = set()
    stack = [
        e.dst for nid in node_ids for e in graph.consumers(nid) if e.dst not in node_ids
    ]
    while stack:
        nid = stack.pop()
        if nid in outside_reached:
            continue
        outside_reached.add(nid)
        for edge in graph.consumers(nid):
            if edge.dst in node_ids:
                return nid, edge.dst
            if edge.dst not in outside_reached:
                stack.append(edge.dst)
    return None
