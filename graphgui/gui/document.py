"""A Document: one Graph, its undo stack, its file path and whether it has unsaved edits.

The main window owns exactly one Document at a time; File > Open replaces it with a new one
(``MainWindow.set_document``) and the scene rebuilds from the new graph.

The edit methods below are the only way the GUI changes a graph: each asks the Graph's own
check for that edit first (``Graph.check_*``, the very checks the Graph's methods run, so a
refused edit raises ``GraphError`` with a one-line reason and pushes nothing), then pushes one
undoable command. While the document is locked (training runs), :meth:`push` refuses every
edit with the reason: the one place the lock is checked.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from graphgui.core.functions import Group
from graphgui.core.functions.grouping import plan_group
from graphgui.core.functions.instances import expansion_definition, instance_graph
from graphgui.core.functions.room import room_to_open
from graphgui.core.graph import Graph, GraphError, node_label
from graphgui.core.values import values_equal

from . import commands as cmd
from . import function_commands as fcmd

Pos = tuple[float, float]


class Document(QObject):
    """Graph + QUndoStack + path + modified state + the file's ``settings`` object.

    ``settings`` is the graph file's free-form "settings" object (``{}`` when the file has
    none): ``settings["training"]`` holds the trainer's TrainSettings dict. Change it with
    :meth:`set_setting` so views hear about it. While :attr:`locked` (training runs) every
    edit is refused with a GraphError carrying the reason.
    """

    modified_changed = Signal(bool)
    path_changed = Signal(str)
    settings_changed = Signal(str)  # the top-level key that changed
    lock_changed = Signal(str)  # the reason, "" when unlocked

    def __init__(
        self, graph: Graph | None = None, path: str | None = None, parent: QObject | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.graph = graph if graph is not None else Graph()
        self.undo_stack = QUndoStack(self)
        self._path = path
        self.settings: dict[str, Any] = dict(settings or {})
        self._lock = ""
        # A bound slot (not a lambda) is disconnected when the document is destroyed.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # ---- file state ----------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        return self._path

    @path.setter
    def path(self, value: str | None) -> None:
        self._path = value
        self.path_changed.emit(value or "")

    @property
    def display_name(self) -> str:
        if self._path:
            return os.path.basename(self._path)
        return self.graph.title or "untitled"

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self.undo_stack.setClean()

    # ---- settings and lock ---------------------------------------------------------------

    def set_setting(self, key: str, value: Any, mark_modified: bool = True) -> None:
        """Set (or with None remove) ``settings[key]``. A change marks the document modified
        (settings are saved with the graph; a plain change is not an undo step). An undoable
        command that changes settings passes ``mark_modified=False``: its own push does."""
        old = self.settings.get(key)
        if old == value:
            return
        if value is None:
            self.settings.pop(key, None)
        else:
            self.settings[key] = value
        if mark_modified:
            self.undo_stack.resetClean()
        self.settings_changed.emit(key)

    @property
    def locked(self) -> str:
        """Why edits are refused now ("" when they are not)."""
        return self._lock

    def lock(self, reason: str) -> None:
        self._lock = reason
        self.lock_changed.emit(reason)

    def unlock(self) -> None:
        self._lock = ""
        self.lock_changed.emit("")

    # ---- edits ---------------------------------------------------------------------------

    def push(self, command: QUndoCommand) -> None:
        if self._lock:
            raise GraphError(self._lock)
        self.undo_stack.push(command)

    def add_node(
        self, op: str, pos: Pos, *, name: str | None = None,
        params: Mapping[str, Any] | None = None, value: Any = None,
    ) -> str:
        """Add a node centred at ``pos``; returns its id."""
        spec, _, _ = self.graph.check_add_node(op, name, params, value)
        command = cmd.AddNodeCommand(
            self.graph, spec.name, pos, name=name, params=params, value=value
        )
        self.push(command)
        assert command.node_id is not None
        return command.node_id

    def connect(self, src: str, dst: str, port: int) -> None:
        """Wire src -> dst.port, replacing an existing wire into that input (one step)."""
        reason = self.graph.check_connect(src, dst, port)
        if reason is not None:
            raise GraphError(reason)
        old = self.graph.input_edge(dst, port)
        if old is not None and old.src == src:
            return
        self.push(cmd.ConnectCommand(self.graph, src, dst, port))

    def disconnect(self, dst: str, port: int) -> None:
        self.graph.check_disconnect(dst, port)
        self.push(cmd.DisconnectCommand(self.graph, dst, port))

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """A compound edit: every push inside the block is one undo step named ``text``.
        Refused as a whole (nothing pushed) while the document is locked."""
        if self._lock:
            raise GraphError(self._lock)
        self.undo_stack.beginMacro(text)
        try:
            with self.graph.bulk_edit():
                yield
        finally:
            self.undo_stack.endMacro()

    def delete(
        self, node_ids: Iterable[str] = (), wires: Iterable[tuple[str, int]] = (),
        text: str = "",
    ) -> None:
        """Delete nodes (with their wires) and wires (dst, port) as one undo step (named
        ``text`` when given, e.g. "Cut 3 nodes")."""
        ids = [i for i in dict.fromkeys(node_ids) if i in self.graph]
        gone = set(ids)
        wires = [
            (d, p) for d, p in dict.fromkeys(wires)
            if d not in gone and self.graph.input_edge(d, p) is not None
            and self.graph.input_edge(d, p).src not in gone
        ]
        count = len(ids) + len(wires)
        if count == 0:
            return
        if count == 1 and not text:
            self.push(
                cmd.RemoveNodeCommand(self.graph, ids[0]) if ids
                else cmd.DisconnectCommand(self.graph, *wires[0])
            )
            return
        what = f"{len(ids)} nodes" if ids and not wires else (
            f"{len(wires)} wires" if not ids else f"{len(ids)} nodes and {len(wires)} wires"
        )
        with self.macro(text or f"Delete {what}"):
            for dst, port in wires:
                self.push(cmd.DisconnectCommand(self.graph, dst, port))
            for nid in ids:
                self.push(cmd.RemoveNodeCommand(self.graph, nid))

    def move_nodes(self, positions: Mapping[str, Pos], text: str = "") -> None:
        """Move nodes to new positions as one undo step (nodes already there are skipped)."""
        moves = {}
        for nid, new in positions.items():
            new = (float(new[0]), float(new[1]))
            old = self.graph.node(nid).pos
            if old != new:
                moves[nid] = (old, new)
        if moves:
            self.push(cmd.MoveNodesCommand(self.graph, moves, text))

    def rename(self, node_id: str, name: str | None) -> None:
        name = name.strip() if name else None
        name = name or None
        if self.graph.node(node_id).name == name:
            return
        self.graph.check_rename(node_id, name)
        self.push(cmd.RenameCommand(self.graph, node_id, name))

    def set_value(self, node_id: str, value: Any) -> None:
        value = self.graph.check_set_value(node_id, value)
        if not values_equal(self.graph.node(node_id).value, value):
            self.push(cmd.SetValueCommand(self.graph, node_id, value))

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        checked = self.graph.check_set_param(node_id, key, value)
        if checked != self.graph.node(node_id).params:
            self.push(cmd.SetParamCommand(self.graph, node_id, key, checked[key]))

    def set_op(self, node_id: str, op: str) -> None:
        self.graph.check_set_op(node_id, op)
        if self.graph.node(node_id).op != op:
            self.push(cmd.SetOpCommand(self.graph, node_id, op))

    def set_output(self, node_id: str | None) -> None:
        self.graph.check_set_output(node_id)
        if self.graph.chosen_output != node_id:
            self.push(cmd.SetOutputCommand(self.graph, node_id))

    def insert_graph(
        self, sub: Graph, offset: Pos = (0.0, 0.0), text: str = "Paste",
        take_output: bool = False,
    ) -> list[str]:
        """Insert a copy of ``sub``; returns the new node ids (in ``sub``'s order)."""
        if len(sub) == 0:
            return []
        command = cmd.InsertGraphCommand(self.graph, sub, offset, text, take_output)
        self.push(command)
        return command.node_ids

    # ---- functions -----------------------------------------------------------------------

    def group_into_function(self, node_ids: Iterable[str], name: str) -> Group:
        """Make the nodes one collapsed instance of a new function ``name``."""
        plan = plan_group(self.graph, node_ids, name)
        self.push(fcmd.GroupCommand(self.graph, plan))
        return plan.group

    def ungroup(self, group_id: str) -> None:
        self.graph.group(group_id)
        self.push(fcmd.UngroupCommand(self.graph, group_id))

    def set_collapsed(self, group_id: str, collapsed: bool) -> None:
        """Close or open a function; opened, the nodes its frame would cover step aside
        (one undo step for both)."""
        group = self.graph.group(group_id)
        if group.collapsed == collapsed:
            return
        moves = {} if collapsed else room_to_open(self.graph, group_id)
        if not moves:
            self.push(fcmd.SetCollapsedCommand(self.graph, group_id, collapsed))
            return
        with self.macro(f"Open {group.name}"):
            self.push(fcmd.SetCollapsedCommand(self.graph, group_id, collapsed))
            self.move_nodes(moves)

    def insert_function(self, name: str, pos: Pos) -> list[str]:
        """A new instance of function ``name`` centred at ``pos``, its inputs unconnected."""
        definition = self.graph.function(name)
        if definition is None:
            raise GraphError(f"no function named {name!r}")
        sub = instance_graph(definition, self.graph.unique_group_name(name))
        return self.insert_graph(sub, _offset_to(sub, pos), text=f"Add {name}")

    def open_up(self, node_id: str) -> str:
        """Replace an op node (sigmoid) by an expanded instance of the simple ops it is made
        of (1 / (1 + exp(-x))), wired as it was; returns the output node's id."""
        g = self.graph
        node = g.node(node_id)
        definition = g.function(node.op) or expansion_definition(node.op)
        if definition.inputs != node.spec.inputs:
            raise GraphError(f"a function named {node.op!r} already exists and is not {node.op}")
        label = node_label(g, node_id)
        sub = instance_graph(definition, label, collapsed=False)
        inputs, consumers = g.input_ids(node_id), g.consumers(node_id)
        was_output, name = g.chosen_output == node_id, node.name
        with self.macro(f"Open up {label}"):
            command = cmd.InsertGraphCommand(g, sub, _offset_to(sub, node.pos), "Insert")
            self.push(command)
            group = command.groups[0]
            for item, src in zip(group.inputs, inputs, strict=True):
                for nid, port in item.targets:
                    if src is not None:
                        self.push(cmd.ConnectCommand(g, src, nid, port))
            out = group.outputs[0].node
            for edge in consumers:
                self.push(cmd.ConnectCommand(g, out, edge.dst, edge.port))
            self.push(cmd.RemoveNodeCommand(g, node_id))
            if name is not None:
                self.push(cmd.RenameCommand(g, out, name))
            if was_output:
                self.push(cmd.SetOutputCommand(g, out))
            self.move_nodes(room_to_open(g, group.id))  # nothing under the new frame
        return out


def _offset_to(sub: Graph, pos: Pos) -> Pos:
    """The shift that puts the centre of ``sub``'s nodes at ``pos``."""
    xs = [n.pos[0] for n in sub.nodes] or [0.0]
    ys = [n.pos[1] for n in sub.nodes] or [0.0]
    return (pos[0] - (min(xs) + max(xs)) / 2, pos[1] - (min(ys) + max(ys)) / 2)
