"""Undoable edits. Each command calls Graph methods only; the scene follows the Graph's events.

Undo is exact: a removed node comes back with the same id, name, params, value, position,
wires and output choice. Commands are validated *before* they are pushed (see Document), so
``redo`` never meets a refused edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtGui import QUndoCommand

from graphgui.core.functions import FunctionDef, Group, GroupInput, GroupOutput
from graphgui.core.graph import Edge, Graph

from .naming import node_label

Pos = tuple[float, float]


@dataclass(frozen=True)
class NodeState:
    """Everything needed to re-create a node exactly."""

    id: str
    op: str
    name: str | None
    params: dict[str, Any]
    value: Any
    pos: Pos
    group: str | None = None  # the function instance it belongs to

    @classmethod
    def of(cls, graph: Graph, node_id: str) -> NodeState:
        n = graph.node(node_id)
        return cls(n.id, n.op, n.name, dict(n.params), copy_value(n.value), n.pos, n.group)

    def add_to(self, graph: Graph, index: int | None = None) -> None:
        group = self.group if self.group is not None and graph.has_group(self.group) else None
        graph.add_node(
            self.op, name=self.name, params=self.params, value=copy_value(self.value),
            pos=self.pos, node_id=self.id, index=index, group=group,
        )


def copy_value(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


def _edges_of(graph: Graph, node_id: str) -> list[Edge]:
    ins = [graph.input_edge(node_id, p) for p in range(graph.node(node_id).spec.arity)]
    return [e for e in ins if e is not None] + graph.consumers(node_id)


class GraphCommand(QUndoCommand):
    def __init__(self, graph: Graph, text: str) -> None:
        super().__init__(text)
        self.graph = graph


class AddNodeCommand(GraphCommand):
    def __init__(
        self, graph: Graph, op: str, pos: Pos, *, name: str | None = None,
        params: Mapping[str, Any] | None = None, value: Any = None,
    ) -> None:
        super().__init__(graph, f"Add {name or op}")
        self._args = dict(name=name, params=dict(params or {}), value=value, pos=pos)
        self.op = op
        self.node_id: str | None = None

    def redo(self) -> None:
        node = self.graph.add_node(self.op, node_id=self.node_id, **self._args)
        self.node_id = node.id

    def undo(self) -> None:
        self.graph.remove_node(self.node_id)


class RemoveNodeCommand(GraphCommand):
    """Remove one node with its wires (a multi-delete is a macro of these)."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        super().__init__(graph, f"Delete {node_label(graph, node_id)}")
        self.node_id = node_id

    def redo(self) -> None:
        g = self.graph
        self._state = NodeState.of(g, self.node_id)
        self._edges = _edges_of(g, self.node_id)
        self._was_output = g.chosen_output == self.node_id
        self._index = g.node_index(self.node_id)
        g.remove_node(self.node_id)

    def undo(self) -> None:
        # Back at its old place in the insertion order, so the automatic output (the last
        # added sink) and the order of evaluation ties are exactly as before.
        g = self.graph
        self._state.add_to(g, self._index)
        for e in self._edges:
            g.connect(e.src, e.dst, e.port)
        if self._was_output:
            g.set_output(self.node_id)


class ConnectCommand(GraphCommand):
    """Wire ``src`` into input ``port`` of ``dst``, replacing a wire already there."""

    def __init__(self, graph: Graph, src: str, dst: str, port: int) -> None:
        dst_node = graph.node(dst)
        self.old = graph.input_edge(dst, port)
        target = f"{node_label(graph, dst_node.id)}.{dst_node.spec.inputs[port]}"
        verb = "Replace wire into" if self.old else f"Connect {node_label(graph, src)} to"
        super().__init__(graph, f"{verb} {target}")
        self.src, self.dst, self.port = src, dst, port

    def redo(self) -> None:
        if self.old is not None:
            self.graph.disconnect(self.dst, self.port)
        self.graph.connect(self.src, self.dst, self.port)

    def undo(self) -> None:
        self.graph.disconnect(self.dst, self.port)
        if self.old is not None:
            self.graph.connect(self.old.src, self.dst, self.port)


class DisconnectCommand(GraphCommand):
    def __init__(self, graph: Graph, dst: str, port: int) -> None:
        edge = graph.input_edge(dst, port)
        assert edge is not None, "validated by the caller"
        node = graph.node(dst)
        super().__init__(graph, (
            f"Delete wire into {node_label(graph, node.id)}.{node.spec.inputs[port]}"))
        self.edge = edge

    def redo(self) -> None:
        self.graph.disconnect(self.edge.dst, self.edge.port)

    def undo(self) -> None:
        self.graph.connect(self.edge.src, self.edge.dst, self.edge.port)


class MoveNodesCommand(GraphCommand):
    """Move several nodes at once: one undo step for a whole drag, align or layout."""

    def __init__(self, graph: Graph, moves: Mapping[str, tuple[Pos, Pos]], text: str = "") -> None:
        if not text:
            text = (
                f"Move {node_label(graph, next(iter(moves)))}"
                if len(moves) == 1
                else f"Move {len(moves)} nodes"
            )
        super().__init__(graph, text)
        self.moves = dict(moves)

    def redo(self) -> None:
        with self.graph.bulk_edit():
            for nid, (_, new) in self.moves.items():
                self.graph.move(nid, new)

    def undo(self) -> None:
        with self.graph.bulk_edit():
            for nid, (old, _) in self.moves.items():
                self.graph.move(nid, old)


class RenameCommand(GraphCommand):
    def __init__(self, graph: Graph, node_id: str, name: str | None) -> None:
        node = graph.node(node_id)
        super().__init__(graph, f"Rename {node_label(graph, node.id)} to {name or '(none)'}")
        self.node_id, self.old, self.new = node_id, node.name, name

    def redo(self) -> None:
        self.graph.rename(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.rename(self.node_id, self.old)


class SetValueCommand(GraphCommand):
    def __init__(self, graph: Graph, node_id: str, value: Any) -> None:
        node = graph.node(node_id)
        super().__init__(graph, f"Set value of {node_label(graph, node.id)}")
        self.node_id, self.old, self.new = node_id, copy_value(node.value), copy_value(value)

    def redo(self) -> None:
        self.graph.set_value(self.node_id, copy_value(self.new))

    def undo(self) -> None:
        self.graph.set_value(self.node_id, copy_value(self.old))


class SetParamCommand(GraphCommand):
    def __init__(self, graph: Graph, node_id: str, key: str, value: Any) -> None:
        node = graph.node(node_id)
        super().__init__(graph, f"Set {key} of {node_label(graph, node.id)}")
        self.node_id, self.key, self.old, self.new = node_id, key, node.params[key], value

    def redo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.new)

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.old)


class SetOpCommand(GraphCommand):
    def __init__(self, graph: Graph, node_id: str, op: str) -> None:
        node = graph.node(node_id)
        super().__init__(graph, f"Make {node_label(graph, node.id)} a {op}")
        self.node_id, self.old, self.new = node_id, node.op, op

    def redo(self) -> None:
        self.graph.set_op(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.set_op(self.node_id, self.old)


class SetOutputCommand(GraphCommand):
    def __init__(self, graph: Graph, node_id: str | None) -> None:
        what = node_label(graph, node_id) if node_id else "automatic"
        super().__init__(graph, f"Set output to {what}")
        self.old, self.new = graph.chosen_output, node_id

    def redo(self) -> None:
        self.graph.set_output(self.new)

    def undo(self) -> None:
        self.graph.set_output(self.old)


class InsertGraphCommand(GraphCommand):
    """Insert a copy of ``sub`` (paste, duplicate, expression bar) shifted by ``offset``.

    Ids are fresh and clashing names get a suffix (``x`` -> ``x_2``); redo re-creates the
    very same ids and names. With ``take_output`` the inserted graph's output becomes the
    chosen output (what a typed expression means).
    """

    def __init__(
        self, graph: Graph, sub: Graph, offset: Pos = (0.0, 0.0), text: str = "Paste",
        take_output: bool = False,
    ) -> None:
        super().__init__(graph, text)
        self.sub = sub
        self.offset = offset
        self.take_output = take_output
        self.states: list[NodeState] | None = None
        self.edges: list[Edge] = []
        self.new_output: str | None = None
        self.definitions: list[FunctionDef] = []  # the functions it defined
        self.groups: list[Group] = []  # the instances it added

    @property
    def node_ids(self) -> list[str]:
        return [s.id for s in self.states or ()]

    def redo(self) -> None:
        g = self.graph
        self.old_output = g.chosen_output
        with g.bulk_edit():
            if self.states is None:
                self._first_redo()
            else:
                for definition in self.definitions:
                    g.define_function(definition)
                for group in self.groups:
                    g.add_group(group)
                for state in self.states:
                    state.add_to(g)
                for e in self.edges:
                    g.connect(e.src, e.dst, e.port)
            if self.take_output and self.new_output is not None:
                g.set_output(self.new_output)

    def _first_redo(self) -> None:
        g, sub = self.graph, self.sub
        dx, dy = self.offset
        mapping: dict[str, str] = {}
        states = []
        group_ids = self._add_groups(sub)
        for node in sub.nodes:
            name = g.unique_name(node.name) if node.name else None
            added = g.add_node(
                node.op, name=name, params=node.params, value=copy_value(node.value),
                pos=(node.pos[0] + dx, node.pos[1] + dy), group=group_ids.get(node.group),
            )
            mapping[node.id] = added.id
            states.append(NodeState.of(g, added.id))
        self.states = states
        self.edges = [Edge(mapping[e.src], mapping[e.dst], e.port) for e in sub.edges]
        for e in self.edges:
            g.connect(e.src, e.dst, e.port)
        out = sub.output
        self.new_output = mapping.get(out) if out is not None else None
        self.groups = [remap_group(g.group(new), mapping) for new in group_ids.values()]
        for group in self.groups:
            g.replace_group(group)

    def _add_groups(self, sub: Graph) -> dict[str, str]:
        """Define ``sub``'s functions this graph lacks and add its instances under fresh
        ids and names (their members are mapped once the nodes exist)."""
        g = self.graph
        for definition in sub.functions:
            if g.function(definition.name) is None:
                g.define_function(definition)
                self.definitions.append(definition)
        group_ids = {}
        for group in sub.groups:
            new = replace(group, id=g.new_group_id(), name=g.unique_group_name(group.name))
            g.add_group(new)
            group_ids[group.id] = new.id
        return group_ids

    def undo(self) -> None:
        g = self.graph
        with g.bulk_edit():
            if self.take_output and self.new_output is not None:
                g.set_output(self.old_output)
            for state in reversed(self.states or ()):
                g.remove_node(state.id)
            for group in reversed(self.groups):
                g.remove_group(group.id)
            for definition in reversed(self.definitions):
                g.remove_function(definition.name)


def remap_group(group: Group, mapping: Mapping[str, str]) -> Group:
    """``group`` with its member ids renamed by ``mapping`` (old id -> new id)."""
    inputs = tuple(
        GroupInput(i.name, tuple((mapping.get(n, n), p) for n, p in i.targets))
        for i in group.inputs
    )
    outputs = tuple(GroupOutput(o.name, mapping.get(o.node, o.node)) for o in group.outputs)
    return replace(group, inputs=inputs, outputs=outputs)
