"""Function instances on the canvas: a collapsed one hides its nodes and the wires inside it
and is drawn as one FunctionItem, the wires crossing its edge going to its ports; an
expanded one gets a frame around its nodes. Rebuilt from the Graph after each edit that
touches an instance (once per bulk edit), so undo, redo and file loads show the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF

from graphgui.core.functions import Group
from graphgui.core.graph import Edge, GraphError, Node
from graphgui.core.values import format_value

from .function_items import FunctionFrame, FunctionItem
from .port_item import PortRef

if TYPE_CHECKING:
    from .node_item import NodeItem
    from .scene import GraphScene


class FunctionLayer:
    """The function pictures of one scene, and the gestures on them."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.items: dict[str, FunctionItem] = {}
        self.frames: dict[str, FunctionFrame] = {}
        self.hidden_nodes: list[NodeItem] = []
        self.hidden_wires: list[Any] = []
        self.proxied: list[NodeItem] = []
        self.open_now: set[str] = set()  # drawn expanded for a while (stepping into one)
        # One wire drawn per (source, function input): its key -> the keys of the wires it
        # stands for (an input feeding two inner ports is two wires), gradients summed.
        self.merged: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self._dirty = False

    # ---- following the graph -------------------------------------------------------------

    def attach(self) -> None:
        g = self.scene.graph
        if g is None:
            return
        g.group_changed.subscribe(self._on_group_changed)
        g.node_changed.subscribe(self._on_node_changed)
        g.node_added.subscribe(self._on_member_event)
        g.node_removed.subscribe(self._on_member_event)
        g.edge_added.subscribe(self._on_edge)
        g.edge_removed.subscribe(self._on_edge)
        g.bulk.subscribe(self._on_bulk)
        self.refresh()

    def detach(self) -> None:
        g = self.scene.graph
        if g is not None:
            g.group_changed.unsubscribe(self._on_group_changed)
            g.node_changed.unsubscribe(self._on_node_changed)
            g.node_added.unsubscribe(self._on_member_event)
            g.node_removed.unsubscribe(self._on_member_event)
            g.edge_added.unsubscribe(self._on_edge)
            g.edge_removed.unsubscribe(self._on_edge)
            g.bulk.unsubscribe(self._on_bulk)
        self.items.clear()  # the scene removes every item itself
        self.frames.clear()
        self.hidden_nodes, self.hidden_wires, self.proxied = [], [], []
        self.open_now.clear()

    def _changed(self) -> None:
        if self.scene._deferred is not None:  # inside a bulk edit: once, at its end
            self._dirty = True
        else:
            self.refresh()

    def _on_group_changed(self, group_id: str) -> None:
        self._changed()

    def _on_node_changed(self, node: Node, what: str) -> None:
        if what == "group" or node.group is not None and what in ("pos", "name"):
            self._changed()

    def _on_member_event(self, node: Node) -> None:
        if node.group is not None:
            self._changed()

    def _on_edge(self, edge: Edge) -> None:
        g = self.scene.graph
        if g is not None and g.groups and any(
            nid in g and g.node(nid).group is not None for nid in (edge.src, edge.dst)
        ):
            self._changed()

    def _on_bulk(self, on: bool) -> None:
        if not on and self._dirty:
            self._dirty = False
            self.refresh()

    def set_open_now(self, group_ids: set[str]) -> None:
        """Draw these instances expanded without editing the graph (the stepper inside)."""
        if group_ids != self.open_now:
            self.open_now = set(group_ids)
            self.refresh()

    # ---- drawing -------------------------------------------------------------------------

    def refresh(self) -> None:
        scene, g = self.scene, self.scene.graph
        # What was selected stays selected across a collapse or an expand.
        chosen = {nid for nid, it in scene.node_items.items() if it.isSelected()}
        chosen |= self.selected_members()
        self._clear()
        if g is None or not g.groups:
            return
        labels = scene.labels
        with labels.batch():
            for group in g.groups:
                members = [scene.node_items[m] for m in g.group_members(group.id)
                           if m in scene.node_items]
                if not members:
                    continue
                definition = g.function(group.function)
                signature = definition.signature if definition else group.function
                if group.collapsed and group.id not in self.open_now:
                    self._collapse(group, signature, members)
                else:
                    frame = FunctionFrame(group, signature, scene.state, _rect_of(members))
                    frame.on_toggle = lambda gid=group.id: self.toggle(gid)
                    scene.addItem(frame)
                    self.frames[group.id] = frame
                    labels.room.put(f"frame:{group.id}", frame.obstacle_rects())
        if scene.evaluation is not None:
            self.show_values(scene.evaluation.values)
        for gid, item in self.items.items():
            if chosen & set(g.group_members(gid)):
                item.setSelected(True)
        for nid in chosen:
            node = scene.node_items.get(nid)
            if node is not None and node.isVisible():
                node.setSelected(True)

    def _clear(self) -> None:
        scene = self.scene
        room = scene.labels.room
        for gid, item in self.items.items():
            room.remove(f"function:{gid}")
            scene.removeItem(item)
        for gid, frame in self.frames.items():
            room.remove(f"frame:{gid}")
            scene.removeItem(frame)
        self.items, self.frames = {}, {}
        self.merged = {}
        for node in self.hidden_nodes:
            if node.scene() is scene:
                node.setVisible(True)
                scene.labels.node_changed(node)
        for wire in self.hidden_wires:
            if wire.scene() is scene:
                wire.setVisible(True)
                if wire.label is not None:
                    wire.label.setVisible(True)
                scene.labels.wire_changed(wire)
        for node in self.proxied:
            node.proxy_in, node.proxy_out = {}, None
            if node.scene() is scene:
                for wire in list(node.wires_in.values()) + node.wires_out:
                    wire.update_path()
        self.hidden_nodes, self.hidden_wires, self.proxied = [], [], []

    def _collapse(self, group: Group, signature: str, members: list[NodeItem]) -> None:
        scene = self.scene
        inside = {m.node_id for m in members}
        item = FunctionItem(group, signature, scene.state, len(members))
        rect = _rect_of(members)
        item.setPos(rect.center())
        item.on_toggle = lambda: self.toggle(group.id)
        item.on_moved = lambda delta: self._move_members(group.id, delta)
        scene.addItem(item)
        self.items[group.id] = item
        in_index = {t: k for k, i in enumerate(group.inputs) for t in i.targets}
        out_index = {o.node: k for k, o in enumerate(group.outputs)}
        drawn: dict[tuple[str, int], Any] = {}  # (source, input k) -> the wire drawn
        for node in members:
            node.setVisible(False)
            node.setSelected(False)
            scene.labels.room.remove(node.node_id)
            self.hidden_nodes.append(node)
            for port, wire in node.wires_in.items():
                if wire.src.node_id in inside:
                    self._hide_wire(wire)
                else:
                    k = in_index.get((node.node_id, port), 0)
                    node.proxy_in[port] = lambda k=k: item.input_scene_pos(k)
                    item.wires.append(wire)
                    first = drawn.setdefault((wire.src.node_id, k), wire)
                    self.merged.setdefault(first.key, []).append(wire.key)
                    if first is not wire:
                        self._hide_wire(wire)
            outside = [w for w in node.wires_out if w.dst.node_id not in inside]
            if outside or node.node_id in out_index:
                k = out_index.get(node.node_id, 0)
                node.proxy_out = lambda k=k: item.output_scene_pos(k)
                item.wires.extend(outside)
            self.proxied.append(node)
        for wire in item.wires:
            wire.update_path()
        scene.labels.room.put(f"function:{group.id}", item.obstacle_rects())

    def _hide_wire(self, wire: Any) -> None:
        wire.setVisible(False)
        wire.setSelected(False)
        if wire.label is not None:
            wire.label.setVisible(False)
        self.scene.labels.room.remove(wire.key)
        self.hidden_wires.append(wire)

    def merge_wire_texts(
        self, values: Any, wire_grads: Any, tangents: Any, precision: int
    ) -> None:
        """A wire standing for several into one function input carries their gradients'
        sum: what flows back from the function to that source through this input."""
        for key, keys in self.merged.items():
            wire = self.scene.wire_items.get(key)
            parts = [wire_grads[k] for k in keys if k in wire_grads]
            if wire is None or len(keys) < 2 or not parts:
                continue
            total = parts[0]
            for part in parts[1:]:
                total = total + part
            src = wire.src.node_id
            wire.set_texts(values.get(src), total, precision, tangents.get(src))

    def show_values(self, values: dict[str, Any]) -> None:
        """Each collapsed function shows the value of an output no wire carries away."""
        g = self.scene.graph
        if g is None:
            return
        for item in self.items.values():
            shown = {}
            for out in item.group.outputs:
                if out.node in g and not g.consumers(out.node) and out.node in values:
                    shown[out.name] = format_value(values[out.node])
            item.set_values(shown)
            self.scene.labels.room.put(f"function:{item.group_id}", item.obstacle_rects())

    def show_step(self, overlay: Any) -> None:
        """The stepper's picture: the function stepped into is drawn open meanwhile, the
        one the current step took whole is framed, the ones not reached yet are dimmed."""
        self.set_open_now({overlay.inside} if overlay is not None and overlay.inside else set())
        g = self.scene.graph
        for gid, item in self.items.items():
            if overlay is None:
                item.set_step("")
            elif overlay.function == gid:
                item.set_step("current")
            else:
                members = set(g.group_members(gid)) if g is not None else set()
                item.set_step("pending" if members and members <= overlay.pending else "")

    # ---- gestures ------------------------------------------------------------------------

    def toggle(self, group_id: str) -> None:
        """Open or close an instance (one undoable edit)."""
        doc, g = self.scene.document, self.scene.graph
        if doc is None or g is None or not g.has_group(group_id):
            return
        try:
            doc.set_collapsed(group_id, not g.group(group_id).collapsed)
        except GraphError as exc:
            self.scene.status_message.emit(f"Cannot open or close the function: {exc}")

    def _move_members(self, group_id: str, delta: QPointF) -> None:
        doc, g = self.scene.document, self.scene.graph
        if doc is None or g is None:
            return
        moves = {
            nid: (g.node(nid).pos[0] + delta.x(), g.node(nid).pos[1] + delta.y())
            for nid in g.group_members(group_id)
        }
        try:
            doc.move_nodes(moves, f"Move {g.group(group_id).name}")
        except GraphError as exc:
            self.scene.status_message.emit(f"Cannot move: {exc}")
            self.refresh()

    def item_for(self, node: NodeItem) -> Any:
        """What the canvas draws for ``node``: itself, or its closed function."""
        if node.isVisible():
            return node
        group = self.scene.graph.group_of(node.node_id) if self.scene.graph else None
        return self.items.get(group.id, node) if group is not None else node

    def drawn_rect(self, node: NodeItem) -> QRectF:
        """Where ``node`` is seen: its own box, or its closed function's."""
        if node.isVisible():
            return node.sceneBoundingRect()
        group = self.scene.graph.group_of(node.node_id) if self.scene.graph else None
        item = self.items.get(group.id) if group is not None else None
        return item.sceneBoundingRect() if item is not None else node.sceneBoundingRect()

    def selected_members(self) -> set[str]:
        """The nodes of the selected collapsed functions (copy, delete act on them whole)."""
        g = self.scene.graph
        chosen: set[str] = set()
        for item in self.items.values():
            if item.isSelected() and g is not None:
                chosen.update(g.group_members(item.group_id))
        return chosen

    def port_at(self, pos: QPointF) -> PortRef | None:
        """A collapsed function's port under ``pos``, as the inner port it stands for."""
        for item in self.items.values():
            hit = item.port_at(item.mapFromScene(pos))
            if hit is None:
                continue
            is_input, k = hit
            if is_input:
                node_id, port = item.group.inputs[k].targets[0]
                return PortRef(node_id, True, port)
            return PortRef(item.group.outputs[k].node, False, 0)
        return None

    def connect(self, src: str, dst: str, port: int) -> None:
        """Wire ``src`` into ``dst.port``; into a collapsed function's input, into every inner
        port that input feeds, as one undo step."""
        doc, g = self.scene.document, self.scene.graph
        assert doc is not None and g is not None
        group = g.group_of(dst)
        name = group.input_of(dst, port) if group is not None else None
        if group is None or name is None or group.id not in self.items:
            doc.connect(src, dst, port)
            return
        targets = next(i.targets for i in group.inputs if i.name == name)
        for nid, p in targets:
            reason = g.check_connect(src, nid, p)
            if reason is not None:
                raise GraphError(reason)
        with doc.macro(f"Connect {name} of {group.name}"):
            for nid, p in targets:
                doc.connect(src, nid, p)


def _rect_of(members: list[NodeItem]) -> QRectF:
    rect = QRectF()
    for node in members:
        rect = rect.united(node.rect.translated(node.pos()))
    return rect
