"""What a function instance and a function definition are, and the Graph's edits of them.

:class:`GroupsMixin` is part of :class:`graphgui.core.graph.Graph` (kept here so graph.py
stays about nodes and wires); like every Graph edit, each method validates, changes and
announces, so undo commands can call them and views can follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ..errors import GraphError
from ..events import Event
from ..names import check_name

if TYPE_CHECKING:
    from ..graph import Graph, Node

GROUP_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")
MAX_FUNCTIONS = 200  # definitions in one graph (each is a template graph in the file)
MAX_PORTS = 64  # inputs or outputs of one function


@dataclass(frozen=True)
class GroupInput:
    """A named input of an instance: the inner ports (member id, port) its argument feeds."""

    name: str
    targets: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class GroupOutput:
    """A named output of an instance: the member whose value leaves the function."""

    name: str
    node: str


@dataclass(frozen=True)
class Group:
    """One function instance: its members are the nodes whose ``group`` is this ``id``."""

    id: str
    function: str
    name: str
    inputs: tuple[GroupInput, ...]
    outputs: tuple[GroupOutput, ...]
    collapsed: bool = True

    def with_collapsed(self, collapsed: bool) -> Group:
        return replace(self, collapsed=collapsed)

    def input_of(self, node_id: str, port: int) -> str | None:
        """The name of the input that feeds inner port (node_id, port), or None."""
        for item in self.inputs:
            if (node_id, port) in item.targets:
                return item.name
        return None

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.outputs)


@dataclass(frozen=True)
class FunctionDef:
    """A reusable function: ``body`` holds one ``input`` node named after each input and the
    computation; ``outputs`` names the body nodes whose values it returns."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    body: Graph = field(compare=False)
    doc: str = ""

    @property
    def signature(self) -> str:
        """``neuron(x, w, b)``, what the palette and the collapsed node show."""
        return f"{self.name}({', '.join(self.inputs)})"

    @property
    def size(self) -> int:
        """Nodes inside, not counting the inputs."""
        return len(self.body) - len(self.inputs)


class GroupsMixin:
    """Function definitions and instances, as part of the Graph (see the module doc)."""

    _nodes: dict[str, Node]
    structure_version: int
    changed: Event
    node_changed: Event

    def _init_groups(self) -> None:
        self._groups: dict[str, Group] = {}
        self._functions: dict[str, FunctionDef] = {}
        self._members: tuple[int, dict[str, list[str]]] | None = None
        self._next_group = 1
        # group_changed(group_id): added, removed, collapsed or renamed (membership changes
        # come as node_changed(node, "group")); functions_changed(name): a definition added
        # or removed.
        self.group_changed = Event()
        self.functions_changed = Event()

    # ---- queries -------------------------------------------------------------------------

    @property
    def groups(self) -> list[Group]:
        """Instances that have members, in the order they were added."""
        members = self._member_table()
        return [g for g in self._groups.values() if members.get(g.id)]

    @property
    def functions(self) -> list[FunctionDef]:
        return list(self._functions.values())

    def function(self, name: str) -> FunctionDef | None:
        return self._functions.get(name)

    def group(self, group_id: str) -> Group:
        try:
            return self._groups[group_id]
        except KeyError:
            raise GraphError(f"no function instance with id {group_id!r}") from None

    def group_ids(self) -> set[str]:
        return set(self._groups)

    def has_group(self, group_id: str) -> bool:
        return group_id in self._groups

    def group_members(self, group_id: str) -> list[str]:
        """The ids of the instance's nodes, in insertion order."""
        return list(self._member_table().get(group_id, ()))

    def group_of(self, node_id: str) -> Group | None:
        gid = self._nodes[node_id].group if node_id in self._nodes else None
        return self._groups.get(gid) if gid is not None else None

    def _member_table(self) -> dict[str, list[str]]:
        cached = self._members
        if cached is not None and cached[0] == self.structure_version:
            return cached[1]
        table: dict[str, list[str]] = {}
        for node in self._nodes.values():
            if node.group is not None:
                table.setdefault(node.group, []).append(node.id)
        self._members = (self.structure_version, table)
        return table

    def new_group_id(self) -> str:
        while f"g{self._next_group}" in self._groups:
            self._next_group += 1
        return f"g{self._next_group}"

    def unique_group_name(self, base: str) -> str:
        """``base`` if no live instance is called so, else ``base_2``, ``base_3``..."""
        taken = {g.name for g in self.groups}
        if base not in taken:
            return base
        k = 2
        while f"{base}_{k}" in taken:
            k += 1
        return f"{base}_{k}"

    # ---- edits ---------------------------------------------------------------------------

    def define_function(self, definition: FunctionDef) -> None:
        check_name(definition.name)
        if definition.name in self._functions:
            raise GraphError(f"a function named {definition.name!r} is already defined")
        if len(self._functions) >= MAX_FUNCTIONS:
            raise GraphError(f"a graph holds at most {MAX_FUNCTIONS} function definitions")
        _check_ports(definition.inputs, definition.outputs, definition.name)
        self._functions[definition.name] = definition
        self.functions_changed.emit(definition.name)
        self.changed.emit()

    def remove_function(self, name: str) -> FunctionDef:
        if name not in self._functions:
            raise GraphError(f"no function named {name!r}")
        users = [g.name for g in self.groups if g.function == name]
        if users:
            raise GraphError(f"function {name!r} is still used by {users[0]}")
        definition = self._functions.pop(name)
        self.functions_changed.emit(name)
        self.changed.emit()
        return definition

    def add_group(self, group: Group) -> None:
        if not isinstance(group.id, str) or not GROUP_ID_PATTERN.match(group.id):
            raise GraphError(f"{group.id!r} is not a valid instance id")
        if group.id in self._groups:
            raise GraphError(f"instance id {group.id!r} is already used")
        if group.function not in self._functions:
            raise GraphError(f"{group.name}: no function named {group.function!r}")
        _check_ports(group.input_names, group.output_names, group.name)
        self._groups[group.id] = group
        self.structure_version += 1
        self.group_changed.emit(group.id)
        self.changed.emit()

    def remove_group(self, group_id: str) -> Group:
        """Forget an instance whose nodes have all left it (commands ungroup them first)."""
        group = self.group(group_id)
        if self.group_members(group_id):
            raise GraphError(f"{group.name} still has nodes; ungroup or delete them first")
        del self._groups[group_id]
        self.structure_version += 1
        self.group_changed.emit(group_id)
        self.changed.emit()
        return group

    def replace_group(self, group: Group) -> None:
        """Change an instance (collapse, expand, rename) keeping its id and members."""
        old = self.group(group.id)
        if group.function != old.function:
            raise GraphError(f"{old.name}: an instance cannot change its function")
        _check_ports(group.input_names, group.output_names, group.name)
        if group != old:
            self._groups[group.id] = group
            self.group_changed.emit(group.id)
            self.changed.emit()

    def set_collapsed(self, group_id: str, collapsed: bool) -> None:
        self.replace_group(self.group(group_id).with_collapsed(bool(collapsed)))

    def set_node_group(self, node_id: str, group_id: str | None) -> None:
        """Put a node into an instance (or take it out with None)."""
        node = self._nodes.get(node_id)
        if node is None:
            raise GraphError(f"no node with id {node_id!r}")
        if group_id is not None and group_id not in self._groups:
            raise GraphError(f"no function instance with id {group_id!r}")
        if node.group != group_id:
            node.group = group_id
            self.structure_version += 1
            self.node_changed.emit(node, "group")
            self.changed.emit()

    def _check_group_ref(self, group_id: str | None) -> None:
        if group_id is not None and group_id not in self._groups:
            raise GraphError(f"no function instance with id {group_id!r}")


def _check_ports(inputs: Iterable[str], outputs: Iterable[str], where: str) -> None:
    inputs, outputs = list(inputs), list(outputs)
    if not outputs:
        raise GraphError(f"{where}: a function needs at least one output")
    for kind, names in (("input", inputs), ("output", outputs)):
        if len(names) > MAX_PORTS:
            raise GraphError(f"{where}: a function has at most {MAX_PORTS} {kind}s")
        if len(set(names)) < len(names):
            raise GraphError(f"{where}: two {kind}s have the same name")
        for name in names:
            check_name(name)
