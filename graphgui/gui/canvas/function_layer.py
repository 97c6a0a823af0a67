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

from .function_drawing import Drawn, draw_closed, draw_open, merge_texts, undraw
from .function_items import FunctionFrame, FunctionItem
from .port_item import PortRef

if TYPE_CHECKING:
    from .node_item import NodeItem
    from .scene import GraphScene


class FunctionLayer:
    """The function pictures of one scene, and the gestures on them. Each instance is
    redrawn on its own when an edit touches it (once per bulk edit)."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.drawn: dict[str, Drawn] = {}
        self.open_now: set[str] = set()  # drawn expanded for a while (stepping into one)
        self._member_of: dict[str, str] = {}  # node id -> instance, as last drawn
        self._dirty: set[str] = set()

    @property
    def items(self) -> dict[str, FunctionItem]:
        """The closed instances' items, by instance id."""
        return {gid: d.item for gid, d in self.drawn.items() if d.item is not None}

    @property
    def frames(self) -> dict[str, FunctionFrame]:
        """The open instances' frames, by instance id."""
        return {gid: d.frame for gid, d in self.drawn.items() if d.frame is not None}

    # ---- following the graph -------------------------------------------------------------

    def _subscriptions(self) -> list[tuple[Any, Any]]:
        g = self.scene.graph
        return [
            (g.group_changed, self._on_group_changed), (g.node_changed, self._on_node_changed),
            (g.node_added, self._on_member_event), (g.node_removed, self._on_member_event),
            (g.edge_added, self._on_edge), (g.edge_removed, self._on_edge),
            (g.bulk, self._on_bulk),
        ]

    def attach(self) -> None:
        if self.scene.graph is None:
            return
        for event, handler in self._subscriptions():
            event.subscribe(handler)
        self.refresh()

    def detach(self) -> None:
        if self.scene.graph is not None:
            for event, handler in self._subscriptions():
                event.unsubscribe(handler)
        self.drawn.clear()  # the scene removes every item itself
        self._member_of.clear()
        self._dirty.clear()
        self.open_now.clear()

    def _changed(self, *group_ids: str | None) -> None:
        wanted = {gid for gid in group_ids if gid is not None}
        if not wanted:
            return
        if self.scene._deferred is not None:  # inside a bulk edit: once, at its end
            self._dirty |= wanted
        else:
            self.refresh(wanted)

    def _on_group_changed(self, group_id: str) -> None:
        self._changed(group_id)

    def _on_node_changed(self, node: Node, what: str) -> None:
        if what == "group":
            self._changed(node.group, self._member_of.get(node.id))
        elif node.group is not None and what in ("pos", "name"):
            self._changed(node.group)

    def _on_member_event(self, node: Node) -> None:
        self._changed(node.group, self._member_of.get(node.id))

    def _on_edge(self, edge: Edge) -> None:
        g = self.scene.graph
        if g is None or not self._member_of and not g.groups:
            return
        ends = [g.node(nid).group if nid in g else self._member_of.get(nid)
                for nid in (edge.src, edge.dst)]
        self._changed(*ends)

    def _on_bulk(self, on: bool) -> None:
        if not on and self._dirty:
            dirty, self._dirty = self._dirty, set()
            self.refresh(dirty)

    def set_open_now(self, group_ids: set[str]) -> None:
        """Draw these instances expanded without editing the graph (the stepper inside)."""
        if group_ids != self.open_now:
            changed = self.open_now ^ group_ids
            self.open_now = set(group_ids)
            self.refresh(changed)

    # ---- drawing -------------------------------------------------------------------------

    def refresh(self, group_ids: set[str] | None = None) -> None:
        """Redraw these instances (None: all), keeping what was selected selected."""
        scene, g = self.scene, self.scene.graph
        if g is None:
            return
        wanted = set(self.drawn) | g.group_ids() if group_ids is None else set(group_ids)
        chosen: set[str] = set()
        for gid in wanted:
            drawn = self.drawn.pop(gid, None)
            members = [nid for nid, owner in self._member_of.items() if owner == gid]
            chosen |= {n for n in members if n in scene.node_items
                       and scene.node_items[n].isSelected()}
            if drawn is not None:
                if drawn.item is not None and drawn.item.isSelected():
                    chosen |= set(members)
                undraw(scene, gid, drawn)
            for nid in members:
                del self._member_of[nid]
        with scene.labels.batch():
            for gid in wanted:
                if g.has_group(gid):
                    self._draw(g.group(gid))
        shown = scene.overlay.values if scene.overlay is not None else (
            scene.evaluation.values if scene.evaluation is not None else None)
        if shown is not None:  # the stepper's numbers while it steps, never ahead of it
            self.show_values(shown)
        for gid in wanted:
            item = self.items.get(gid)
            members = set(g.group_members(gid)) if g.has_group(gid) else set()
            if item is not None and chosen & members:
                item.setSelected(True)
        for nid in chosen:
            node = scene.node_items.get(nid)
            if node is not None and node.isVisible():
                node.setSelected(True)

    def _draw(self, group: Group) -> None:
        scene, g = self.scene, self.scene.graph
        members = [scene.node_items[m] for m in g.group_members(group.id)
                   if m in scene.node_items]
        if not members:
            return
        definition = g.function(group.function)
        signature = definition.signature if definition else group.function
        gid = group.id
        if group.collapsed and gid not in self.open_now:
            drawn = draw_closed(scene, group, signature, members, lambda: self.toggle(gid),
                                lambda delta: self._move_members(gid, delta))
        else:
            drawn = draw_open(scene, group, signature, members, lambda: self.toggle(gid),
                              peek=gid in self.open_now and group.collapsed)
        self.drawn[gid] = drawn
        for node in members:
            self._member_of[node.node_id] = gid

    def merge_wire_texts(
        self, values: Any, wire_grads: Any, tangents: Any, precision: int
    ) -> None:
        """A wire standing for several into one function input carries their gradients'
        sum: what flows back from the function to that source through this input."""
        for drawn in self.drawn.values():
            merge_texts(self.scene, drawn, values, wire_grads, tangents, precision)

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
            self.scene.labels.node_changed(item)

    def show_step(self, overlay: Any) -> None:
        """The stepper's picture: the function stepped into is drawn open meanwhile, the
        one the current step took whole is framed, the ones not reached yet are dimmed."""
        self.set_open_now({overlay.inside} if overlay is not None and overlay.inside else set())
        ev = self.scene.evaluation
        shown = overlay.values if overlay is not None else ev.values if ev is not None else {}
        self.show_values(shown)
        g = self.scene.graph
        for gid, item in self.items.items():
            if overlay is None:
                item.set_step("")
            elif overlay.function == gid or overlay.current in item.member_ids:
                item.set_step("current")  # its step, or a step on a node inside it
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

    def end_name(self, node_id: str, port: int | None = None) -> str:
        """A wire end as the canvas shows it: ``q`` or ``f.a``, or for a node inside a
        closed function that function's port, ``layer1.A1`` or ``affine.c``."""
        g = self.scene.graph
        group = g.group_of(node_id) if g is not None else None
        if group is not None and group.id in self.items:
            if port is None:
                name = next((o.name for o in group.outputs if o.node == node_id), None)
            else:
                name = group.input_of(node_id, port)
            if name is not None:
                return f"{group.name}.{name}"
        item = self.scene.node_items[node_id]
        return item.title if port is None else \
            f"{item.title}.{g.node(node_id).spec.inputs[port]}"

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


