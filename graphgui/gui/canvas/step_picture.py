"""The stepper's picture on the canvas: only what the steps taken so far computed, the
current node and its wires highlighted, nodes not reached yet faded, and each node's badge
(its value forward; its gradient, or the partial sum at a fan-out, backward; in forward
mode, the tangent just computed, and the tangents so far on the wires)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphgui.core.values import format_value

from .state import NO_TANGENTS
from .summary import SUMMARY_ZOOM

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from .scene import GraphScene
    from .state import StepOverlay, Tangents


def show_step(scene: GraphScene, o: StepOverlay) -> None:
    p = o.precision
    tangents = o.tangents or NO_TANGENTS
    hide_grads = not scene.state.show_grads
    grads = {} if hide_grads else o.grads
    for nid, item in scene.node_items.items():
        is_out = nid == o.output
        item.set_evaluation(
            o.values.get(nid), grads.get(nid) if is_out else None, o.errors.get(nid),
            is_out, not item.wires_out, p,
        )
        state = "current" if nid == o.current else ("pending" if nid in o.pending else "")
        badge, kind = "", ""
        if o.phase == "backward" and not hide_grads:
            if nid in grads:
                badge, kind = f"∂ {format_value(grads[nid], p)}", "grad"
            elif nid in o.partial:
                total, got, need = o.partial[nid]
                if got < need:  # more contributions to come
                    badge = f"{format_value(total, p)} + …  ({got} of {need})"
                    kind = "partial"
                elif need > 1:  # all in, summed; the node's own step comes later
                    badge, kind = f"Σ {format_value(total, p)}  ({got} of {need})", "grad"
                else:
                    badge, kind = f"∂ {format_value(total, p)}", "grad"
        elif o.phase == "forward" and nid == o.current and nid in o.values:
            badge, kind = f"= {format_value(o.values[nid], p)}", "value"
        elif o.phase == "tangent":  # forward mode: the tangent just computed (or a sink's)
            badge, kind = tangents.badge(nid, item.title, p,
                                         shown=nid == o.current or not item.wires_out)
        item.set_step(state, badge, kind)
    wire_grads = {} if hide_grads else o.wire_grads
    show_wire_texts(scene, o.values, wire_grads, tangents, p)
    for wire in scene.wire_items.values():
        src, dst = wire.src.node_id, wire.dst.node_id
        wire.set_step(
            "current" if (src, dst) in o.edges else ("pending" if dst in o.pending else "")
        )


def show_wire_texts(scene: GraphScene, values: Mapping[str, Any],
                    wire_grads: Mapping[tuple[str, int], Any], tangents: Tangents,
                    precision: int = 4) -> None:
    """Write on each wire its source's value and tangent and the gradient it carries back
    (and keep the tangents for the zoomed-out summaries, repainted when they change)."""
    old, scene.state.tangents = scene.state.tangents, tangents
    if (old.values or tangents.values) and scene.state.lod < SUMMARY_ZOOM:
        scene.update()  # summaries are painted over the scene: no item asks for it
    for key, wire in scene.wire_items.items():
        src = wire.src.node_id
        wire.set_texts(values.get(src), wire_grads.get(key), precision, tangents.get(src))
    scene.functions.merge_wire_texts(values, wire_grads, tangents, precision)
