"""Drawing one function instance (see function_layer.py): closed, its FunctionItem with
its nodes and inner wires hidden and the crossing wires drawn to its ports; open, its frame.
Each instance's changes to the scene are kept in a :class:`Drawn`, so one instance is
redrawn without touching the others."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF

from graphgui.core.functions import Group

from .function_items import FunctionFrame, FunctionItem

if TYPE_CHECKING:
    from .node_item import NodeItem
    from .scene import GraphScene

WireKey = tuple[str, int]
PEEK_Z = 3.0  # a function opened for a while: above nodes (0) and below wire labels (5)


@dataclass
class Drawn:
    """What one instance changed in the scene, to be undone exactly."""

    item: FunctionItem | None = None
    frame: FunctionFrame | None = None
    hidden_nodes: list[NodeItem] = field(default_factory=list)
    hidden_wires: list[Any] = field(default_factory=list)
    proxied: list[NodeItem] = field(default_factory=list)
    # One wire drawn per (source, input): its key -> the keys of the wires it stands for
    # (an input feeding two inner ports is two wires); their gradients are summed on it.
    merged: dict[WireKey, list[WireKey]] = field(default_factory=dict)
    saved: dict[WireKey, tuple[Any, Any, Any, int]] = field(default_factory=dict)
    raised: list[tuple[Any, float]] = field(default_factory=list)  # (item, its usual z)


def draw_closed(
    scene: GraphScene, group: Group, signature: str, members: list[NodeItem],
    on_toggle: Callable[[], None], on_moved: Callable[[QPointF], None],
) -> Drawn:
    drawn = Drawn()
    inside = {m.node_id for m in members}
    item = FunctionItem(group, signature, scene.state, len(members))
    item.setPos(rect_of(members).center())
    item.on_toggle, item.on_moved = on_toggle, on_moved
    item.member_ids = frozenset(inside)
    scene.addItem(item)
    drawn.item = item
    in_index = {t: k for k, i in enumerate(group.inputs) for t in i.targets}
    out_index = {o.node: k for k, o in enumerate(group.outputs)}
    first_of: dict[tuple[str, int], Any] = {}  # (source, input k) -> the wire drawn
    for node in members:
        node.setVisible(False)
        node.setSelected(False)
        scene.labels.room.remove(node.node_id)
        drawn.hidden_nodes.append(node)
        for port, wire in node.wires_in.items():
            if wire.src.node_id in inside:
                _hide_wire(scene, drawn, wire)
                continue
            k = in_index.get((node.node_id, port), 0)
            node.proxy_in[port] = lambda k=k: item.input_scene_pos(k)
            item.wires.append(wire)
            first = first_of.setdefault((wire.src.node_id, k), wire)
            drawn.merged.setdefault(first.key, []).append(wire.key)
            if first is not wire:
                _hide_wire(scene, drawn, wire)
        outside = [w for w in node.wires_out if w.dst.node_id not in inside]
        if outside or node.node_id in out_index:
            k = out_index.get(node.node_id, 0)
            node.proxy_out = lambda k=k: item.output_scene_pos(k)
            item.wires.extend(outside)
        drawn.proxied.append(node)
    drawn.merged = {k: v for k, v in drawn.merged.items() if len(v) > 1}
    for wire in item.wires:
        wire.update_path()
    scene.labels.node_changed(item)  # an obstacle: labels under it move away
    return drawn


def draw_open(scene: GraphScene, group: Group, signature: str, members: list[NodeItem],
              on_toggle: Callable[[], None], peek: bool = False) -> Drawn:
    """The frame around an open instance. ``peek``: opened for a while without moving
    anything (the stepper inside it): the frame is drawn filled, above its neighbours, with
    its nodes and inner wires above it, so it reads as a view into the function."""
    frame = FunctionFrame(group, signature, scene.state, rect_of(members), filled=peek)
    frame.on_toggle = on_toggle
    scene.addItem(frame)
    drawn = Drawn(frame=frame)
    if peek:
        inside = {m.node_id for m in members}
        frame.setZValue(PEEK_Z)
        for node in members:
            node.setZValue(PEEK_Z + 0.5)
            drawn.raised.append((node, 0.0))
            for wire in node.wires_in.values():
                if wire.src.node_id in inside:
                    wire.setZValue(PEEK_Z + 0.2)
                    drawn.raised.append((wire, -1.0))
        for view in scene.views():  # the frame in view, title first
            view.ensureVisible(frame.sceneBoundingRect(), 30, 30)
    scene.labels.node_changed(frame)  # its title bar is an obstacle
    return drawn


def undraw(scene: GraphScene, group_id: str, drawn: Drawn) -> None:
    """Put back what drawing the instance changed (its items leave the scene)."""
    room = scene.labels.room
    if drawn.item is not None:
        room.remove(drawn.item.node_id)
        if drawn.item.scene() is scene:
            scene.removeItem(drawn.item)
    if drawn.frame is not None:
        room.remove(drawn.frame.node_id)
        if drawn.frame.scene() is scene:
            scene.removeItem(drawn.frame)
    for node in drawn.hidden_nodes:
        if node.scene() is scene:
            node.setVisible(True)
            scene.labels.node_changed(node)
    for wire in drawn.hidden_wires:
        if wire.scene() is scene:
            wire.setVisible(True)
            if wire.label is not None:
                wire.label.setVisible(True)
            scene.labels.wire_changed(wire)
    for key, (value, grad, tangent, precision) in drawn.saved.items():
        wire = scene.wire_items.get(key)
        if wire is not None:
            wire.set_texts(value, grad, precision, tangent)
    for item, z in drawn.raised:
        item.setZValue(z)
    for node in drawn.proxied:
        node.proxy_in, node.proxy_out = {}, None
        if node.scene() is scene:
            for wire in list(node.wires_in.values()) + node.wires_out:
                wire.update_path()


def merge_texts(scene: GraphScene, drawn: Drawn, values: Any, wire_grads: Any,
                tangents: Any, precision: int) -> None:
    """Each merged wire carries the sum of the gradients of the wires it stands for."""
    for key, keys in drawn.merged.items():
        wire = scene.wire_items.get(key)
        parts = [wire_grads[k] for k in keys if k in wire_grads]
        if wire is None or not parts:
            continue
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        src = wire.src.node_id
        drawn.saved[key] = (values.get(src), wire_grads.get(key), tangents.get(src), precision)
        wire.set_texts(values.get(src), total, precision, tangents.get(src))


def _hide_wire(scene: GraphScene, drawn: Drawn, wire: Any) -> None:
    wire.setVisible(False)
    wire.setSelected(False)
    if wire.label is not None:
        wire.label.setVisible(False)
    scene.labels.room.remove(wire.key)
    drawn.hidden_wires.append(wire)


def rect_of(members: list[NodeItem]) -> QRectF:
    rect = QRectF()
    for node in members:
        rect = rect.united(node.rect.translated(node.pos()))
    return rect
