"""The graph model: nodes, ports and edges, edited only through methods that validate and
announce each change as an event (the GUI's scene and panels subscribe to them).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError
from .events import Event
from .functions.copying import copy_groups
from .functions.model import GroupsMixin
from .functions.order import grouped_order
from .labels import label_nodes, node_label, node_labels
from .names import NAME_PATTERN, check_name
from .ops import SOURCE_OPS, OpError, OpSpec, get_op
from .values import Value, to_value, values_equal

ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")


@dataclass
class Node:
    id: str
    op: str
    name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    value: Value | None = None
    pos: tuple[float, float] = (0.0, 0.0)
    group: str | None = None  # the function instance it belongs to (see core/functions)

    @property
    def spec(self) -> OpSpec:
        return get_op(self.op)

    @property
    def is_source(self) -> bool:
        return self.op in SOURCE_OPS

    @property
    def title(self) -> str:
        """How the graph's own messages refer to this node: its name, else its op and id.

        A Node does not know its graph; code that has one uses :func:`node_label` instead,
        the short name the canvas, stepper and command line show (``add2``, never the id).
        """
        return self.name if self.name else f"{self.op} {self.id}"


@dataclass(frozen=True)
class Edge:
    """A wire from ``src``'s output to input ``port`` (an index) of ``dst``."""

    src: str
    dst: str
    port: int


class Graph(GroupsMixin):
    """A directed acyclic graph of op nodes, with function definitions and instances
    (:class:`GroupsMixin`: ``group_changed(id)``, ``functions_changed(name)``).

    Events (handlers receive the arguments shown):
    ``node_added(node)``, ``node_removed(node)``, ``edge_added(edge)``, ``edge_removed(edge)``,
    ``node_changed(node, what)`` with what in name/value/params/pos/op, ``output_changed(id)``,
    and ``changed()`` after every edit.
    """

    def __init__(self, title: str = "", description: str = "") -> None:
        self.title = title
        self.description = description
        self._nodes: dict[str, Node] = {}
        self._by_name: dict[str, str] = {}  # name -> node id
        self._in: dict[tuple[str, int], Edge] = {}
        self._out: dict[str, set[Edge]] = {}
        self._output: str | None = None
        self._next_id = 1
        # Bumped on edits that change what the engine compiles (not on moves or renames).
        self.structure_version = 0
        # Bumped on renames; with structure_version it keys the cache of node_labels.
        self.names_version = 0
        self._labels: tuple[tuple[int, int], Mapping[str, str]] | None = None
        self.node_added = Event()
        self.node_removed = Event()
        self.edge_added = Event()
        self.edge_removed = Event()
        self.node_changed = Event()
        self.output_changed = Event()
        self.changed = Event()
        # bulk(True) before and bulk(False) after a bulk edit (see bulk_edit): views may
        # hold their updates and do the work once.
        self.bulk = Event()
        self._bulk_depth = 0
        self._auto_output: tuple[int, str | None] | None = None
        self._init_groups()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (sent to a worker process) without the label cache, a read-only view."""
        return {**self.__dict__, "_labels": None}

    # ---- queries -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes.values())

    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    @property
    def edges(self) -> list[Edge]:
        return sorted(self._in.values(), key=lambda e: (e.dst, e.port))

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id {node_id!r}") from None

    def find(self, name: str) -> Node | None:
        """The node called ``name``, or None."""
        node_id = self._by_name.get(name)
        return self._nodes[node_id] if node_id is not None else None

    def lookup(self, ref: str) -> Node:
        """A node by name or by id; raises GraphError naming ``ref`` if there is none."""
        node = self.find(ref) or self._nodes.get(ref)
        if node is None:
            raise GraphError(f"no node named {ref!r}")
        return node

    def input_edge(self, dst: str, port: int) -> Edge | None:
        return self._in.get((dst, port))

    def input_ids(self, node_id: str) -> list[str | None]:
        """The node feeding each input port of ``node_id`` (None where unconnected)."""
        node = self.node(node_id)
        return [
            e.src if (e := self._in.get((node_id, p))) else None for p in range(node.spec.arity)
        ]

    def consumers(self, node_id: str) -> list[Edge]:
        return sorted(self._out.get(node_id, ()), key=lambda e: (e.dst, e.port))

    @property
    def output(self) -> str | None:
        """The chosen output node, or else the last-added computed node that feeds nothing and
        has all its inputs connected (else any such node, else the last source)."""
        if self._output is not None:
            return self._output
        # Views ask after every event of a burst: computed once per structure version.
        cached = self._auto_output
        if cached is not None and cached[0] == self.structure_version:
            return cached[1]
        found = self._find_auto_output()
        self._auto_output = (self.structure_version, found)
        return found

    def _find_auto_output(self) -> str | None:
        sinks = [n.id for n in self._nodes.values() if not self._out.get(n.id)]
        non_sources = [i for i in sinks if not self._nodes[i].is_source]
        # A node just dropped on the canvas, not wired yet, should not take the output from
        # the graph being built.
        wired = [i for i in non_sources if None not in self.input_ids(i)]
        candidates = wired or non_sources or sinks
        return candidates[-1] if candidates else None

    @property
    def chosen_output(self) -> str | None:
        """The output the user picked explicitly (None when it is automatic)."""
        return self._output

    def topological_order(self, node_ids: Iterable[str] | None = None) -> list[str]:
        """Node ids, every node after its inputs, in waves: first the nodes with no inputs,
        then the nodes whose inputs are all listed, and so on; each wave in insertion order.
        A function instance's nodes come one after another (see functions.grouped_order).
        """
        wanted = list(self._nodes) if node_ids is None else list(node_ids)
        rank = {nid: k for k, nid in enumerate(self._nodes)}
        keep = set(wanted)
        waiting = {
            nid: sum(1 for s in self.input_ids(nid) if s is not None and s in keep)
            for nid in wanted
        }
        wave = sorted((nid for nid, n in waiting.items() if n == 0), key=rank.__getitem__)
        order: list[str] = []
        while wave:
            order += wave
            ready = []
            for nid in wave:
                for edge in self._out.get(nid, ()):
                    if edge.dst in keep:
                        waiting[edge.dst] -= 1
                        if waiting[edge.dst] == 0:
                            ready.append(edge.dst)
            wave = sorted(ready, key=rank.__getitem__)
        if len(order) < len(waiting):  # refused on edit; only a corrupt build gets here
            stuck = next(nid for nid, n in waiting.items() if n > 0)
            raise GraphError(f"the graph has a cycle through {self._nodes[stuck].title}")
        return grouped_order(self, order) if self._groups else order

    def ancestors(self, node_id: str) -> set[str]:
        """``node_id`` and every node it depends on."""
        seen = {node_id}
        stack = [node_id]
        while stack:
            for src in self.input_ids(stack.pop()):
                if src is not None and src not in seen:
                    seen.add(src)
                    stack.append(src)
        return seen

    def descendants(self, node_id: str) -> set[str]:
        """``node_id`` and every node that depends on it."""
        seen = {node_id}
        stack = [node_id]
        while stack:
            for edge in self._out.get(stack.pop(), ()):
                if edge.dst not in seen:
                    seen.add(edge.dst)
                    stack.append(edge.dst)
        return seen

    def check_connect(self, src: str, dst: str, port: int) -> str | None:
        """Why wiring ``src`` to input ``port`` of ``dst`` is refused, or None if allowed.

        An occupied input is allowed here; :meth:`connect` refuses it and the GUI replaces
        the old wire in the same undo step.
        """
        if src not in self._nodes or dst not in self._nodes:
            return "both ends must be nodes of this graph"
        target = self._nodes[dst]
        if not 0 <= port < target.spec.arity:
            return f"{target.title} has no input {port}"
        if src == dst:
            return f"cannot connect {target.title} to itself"
        if self._reaches(dst, src):
            return f"connecting {self._nodes[src].title} to {target.title} would make a cycle"
        return None

    def _reaches(self, start: str, target: str) -> bool:
        """Whether ``target`` depends on ``start``.

        Searches forward from ``start`` and backward from ``target`` in turns and stops when
        either side runs out, so the cost is that of the smaller side: a graph built from its
        inputs and one built from its output end both connect in linear time.
        """
        forward, backward = {start}, {target}
        forward_edge, backward_edge = [start], [target]
        while forward_edge and backward_edge:
            frontier = []
            for nid in forward_edge:
                for edge in self._out.get(nid, ()):
                    if edge.dst in backward:
                        return True
                    if edge.dst not in forward:
                        forward.add(edge.dst)
                        frontier.append(edge.dst)
            forward_edge = frontier
            frontier = []
            for nid in backward_edge:
                for src in self._sources_of(nid):
                    if src in forward:
                        return True
                    if src not in backward:
                        backward.add(src)
                        frontier.append(src)
            backward_edge = frontier
        return False

    def _sources_of(self, node_id: str) -> Iterator[str]:
        for port in range(self._nodes[node_id].spec.arity):
            edge = self._in.get((node_id, port))
            if edge is not None:
                yield edge.src

    def new_id(self) -> str:
        while f"n{self._next_id}" in self._nodes:
            self._next_id += 1
        return f"n{self._next_id}"

    def unique_name(self, base: str) -> str:
        """``base`` if free, else ``base_2``, ``base_3``..."""
        if base not in self._by_name:
            return base
        k = 2
        while f"{base}_{k}" in self._by_name:
            k += 1
        return f"{base}_{k}"

    def node_index(self, node_id: str) -> int:
        """Where ``node_id`` stands in insertion order (undo re-inserts it there)."""
        for k, nid in enumerate(self._nodes):
            if nid == node_id:
                return k
        raise GraphError(f"no node with id {node_id!r}")

    def add_node(
        self,
        op: str,
        *,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        value: Any = None,
        pos: tuple[float, float] = (0.0, 0.0),
        node_id: str | None = None,
        index: int | None = None,
        group: str | None = None,
    ) -> Node:
        """Add a node; ``index`` re-inserts it at a former place in the insertion order (undo
        uses it, so the automatic output and the order of ties come back exactly)."""
        if node_id is None:
            node_id = self.new_id()
        elif node_id in self._nodes:
            raise GraphError(f"node id {node_id!r} is already used")
        elif not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
            raise GraphError(f"{node_id!r} is not a valid node id (letters, digits, _ . -)")
        spec, checked, value = self.check_add_node(op, name, params, value)
        self._check_group_ref(group)
        node = Node(
            node_id, spec.name, name, checked, value, _finite_pos(pos, name or node_id), group
        )
        if index is None or index >= len(self._nodes):
            self._nodes[node_id] = node
        else:
            items = list(self._nodes.items())
            items.insert(max(index, 0), (node_id, node))
            self._nodes = dict(items)
        if name is not None:
            self._by_name[name] = node_id
        self.structure_version += 1
        self.node_added.emit(node)
        self.changed.emit()
        return node

    @contextmanager
    def bulk_edit(self) -> Iterator[None]:
        """Many edits as one burst (paste, an inserted expression, a layout): every event
        still fires, and ``bulk`` tells views to hold their updates until the end."""
        self._bulk_depth += 1
        if self._bulk_depth == 1:
            self.bulk.emit(True)
        try:
            yield
        finally:
            self._bulk_depth -= 1
            if self._bulk_depth == 0:
                self.bulk.emit(False)

    def subgraph(self, node_ids: Iterable[str]) -> Graph:
        """A copy of the given nodes (same ids, names, values, places) and the wires between
        them, in this graph's order: what copy, cut and duplicate put on the clipboard."""
        wanted = set(node_ids)
        sub = Graph(self.title)
        for node in self._nodes.values():
            if node.id in wanted:
                value = node.value.copy() if hasattr(node.value, "copy") else node.value
                sub.add_node(node.op, name=node.name, params=node.params, value=value,
                             pos=node.pos, node_id=node.id)
        for edge in self.edges:
            if edge.src in sub._nodes and edge.dst in sub._nodes:
                sub.connect(edge.src, edge.dst, edge.port)
        if self._output in sub._nodes:
            sub.set_output(self._output)
        copy_groups(self, sub)
        return sub

    # ---- validation: each edit's checks, once (the GUI asks before it pushes a command) ----

    def check_add_node(
        self, op: str, name: str | None = None, params: Mapping[str, Any] | None = None,
        value: Any = None,
    ) -> tuple[OpSpec, dict[str, Any], Any]:
        """(spec, checked params, coerced value) of a node :meth:`add_node` would add, or a
        GraphError saying why it would refuse."""
        try:
            spec = get_op(op)
            checked = spec.check_params(params or {})
        except OpError as exc:
            raise GraphError(str(exc)) from None
        if name is not None:
            self.check_free_name(name, None)
        if spec.is_source:
            value = 0.0 if value is None else self.coerce_value(value, name or spec.name)
        elif value is not None:
            raise GraphError(f"only input, constant and parameter nodes hold a value ({op})")
        return spec, checked, value

    def check_disconnect(self, dst: str, port: int | str) -> int:
        """The port index :meth:`disconnect` would free, or a GraphError."""
        port = self._port_index(dst, port)
        if (dst, port) not in self._in:
            raise GraphError(f"input {port} of {node_label(self, dst)} is not connected")
        return port

    def check_rename(self, node_id: str, name: str | None) -> None:
        self.node(node_id)
        if name is not None:
            self.check_free_name(name, node_id)

    def check_set_value(self, node_id: str, value: Any) -> Value:
        """``value`` as :meth:`set_value` would store it, or a GraphError."""
        node = self.node(node_id)
        label = node_label(self, node_id)
        if not node.is_source:
            raise GraphError(f"{label} is computed by {node.op}; it holds no value")
        return self.coerce_value(value, label)

    def check_set_param(self, node_id: str, key: str, value: Any) -> dict[str, Any]:
        """The node's params after :meth:`set_param`, or a GraphError."""
        node = self.node(node_id)
        try:
            return node.spec.check_params({**node.params, key: value})
        except OpError as exc:
            raise GraphError(f"{node_label(self, node_id)}: {exc}") from None

    def check_set_op(self, node_id: str, op: str) -> None:
        node = self.node(node_id)
        if not node.is_source or op not in SOURCE_OPS:
            raise GraphError("only input, constant and parameter nodes can change kind")

    def check_set_output(self, node_id: str | None) -> None:
        if node_id is not None:
            self.node(node_id)

    # ---- edits ---------------------------------------------------------------------------

    def remove_node(self, node_id: str) -> list[Edge]:
        """Remove a node and its wires; returns the wires removed (for undo)."""
        node = self.node(node_id)
        removed = [e for p in range(node.spec.arity) if (e := self._in.get((node_id, p)))]
        removed += self.consumers(node_id)
        for edge in removed:
            self._drop_edge(edge)
        del self._nodes[node_id]
        if node.name is not None:
            del self._by_name[node.name]
        self._out.pop(node_id, None)
        if self._output == node_id:
            self._output = None
            self.output_changed.emit(None)
        self.structure_version += 1
        self.node_removed.emit(node)
        self.changed.emit()
        return removed

    def connect(self, src: str, dst: str, port: int | str) -> Edge:
        port = self._port_index(dst, port)
        reason = self.check_connect(src, dst, port)
        if reason is None and (dst, port) in self._in:
            name = self._nodes[dst].spec.inputs[port]
            reason = f"input {name!r} of {self._nodes[dst].title} is already connected"
        if reason is not None:
            raise GraphError(reason)
        edge = Edge(src, dst, port)
        self._in[(dst, port)] = edge
        self._out.setdefault(src, set()).add(edge)
        self.structure_version += 1
        self.edge_added.emit(edge)
        self.changed.emit()
        return edge

    def disconnect(self, dst: str, port: int | str) -> Edge:
        port = self.check_disconnect(dst, port)
        edge = self._in[(dst, port)]
        self._drop_edge(edge)
        self.changed.emit()
        return edge

    def rename(self, node_id: str, name: str | None) -> None:
        self.check_rename(node_id, name)
        node = self.node(node_id)
        if node.name != name:
            if node.name is not None:
                del self._by_name[node.name]
            if name is not None:
                self._by_name[name] = node_id
            node.name = name
            self.names_version += 1
            self.node_changed.emit(node, "name")
            self.changed.emit()

    def set_value(self, node_id: str, value: Any) -> None:
        value = self.check_set_value(node_id, value)
        node = self.node(node_id)
        if not values_equal(node.value, value):
            node.value = value
            self.node_changed.emit(node, "value")
            self.changed.emit()

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        params = self.check_set_param(node_id, key, value)
        node = self.node(node_id)
        if params != node.params:
            node.params = params
            self.structure_version += 1
            self.node_changed.emit(node, "params")
            self.changed.emit()

    def set_op(self, node_id: str, op: str) -> None:
        """Turn a source into another source kind (input <-> parameter <-> constant)."""
        self.check_set_op(node_id, op)
        node = self.node(node_id)
        if node.op != op:
            node.op = op
            self.structure_version += 1
            self.node_changed.emit(node, "op")
            self.changed.emit()

    def move(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        pos = _finite_pos(pos, node.title)
        if node.pos != pos:
            node.pos = pos
            self.node_changed.emit(node, "pos")
            self.changed.emit()

    def set_output(self, node_id: str | None) -> None:
        self.check_set_output(node_id)
        if self._output != node_id:
            self._output = node_id
            self.structure_version += 1
            self.output_changed.emit(node_id)
            self.changed.emit()

    # ---- helpers -------------------------------------------------------------------------

    def _drop_edge(self, edge: Edge) -> None:
        del self._in[(edge.dst, edge.port)]
        self._out[edge.src].discard(edge)
        self.structure_version += 1
        self.edge_removed.emit(edge)

    def _port_index(self, dst: str, port: int | str) -> int:
        if isinstance(port, str):
            inputs = self.node(dst).spec.inputs
            if port not in inputs:
                raise GraphError(f"{self.node(dst).title} has no input {port!r}")
            return inputs.index(port)
        return port

    def check_free_name(self, name: str, node_id: str | None = None) -> None:
        """Refuse ``name`` unless it is valid and unused (by nodes other than ``node_id``)."""
        check_name(name)
        other = self.find(name)
        if other is not None and other.id != node_id:
            raise GraphError(f"the name {name!r} is already used by another node")

    @staticmethod
    def coerce_value(value: Any, where: str) -> Value:
        """``value`` as a graph value, or a GraphError naming ``where``."""
        try:
            return to_value(value)
        except ValueError as exc:
            raise GraphError(f"{where}: {exc}") from None


def _finite_pos(pos: tuple[float, float], where: str) -> tuple[float, float]:
    try:
        x, y = float(pos[0]), float(pos[1])
    except (TypeError, ValueError, IndexError):
        raise GraphError(f"{where}: a position is two numbers, got {pos!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GraphError(f"{where}: a position must be finite, got ({x}, {y})")
    return (x, y)


__all__ = [
    "Edge", "Graph", "GraphError", "ID_PATTERN", "NAME_PATTERN", "Node", "check_name",
    "label_nodes", "node_label", "node_labels",
]
