"""Opening a closed function in place: the nodes beside it step aside so its frame covers
none of them (sizes estimated as the canvas draws them; positions are node centres)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..graph import Graph

HALF_W, HALF_H = 60.0, 36.0  # about half a node's drawn size, with a little air
FRAME = (18.0 + 4.0, 18.0 + 24.0)  # what a frame adds around its nodes (side, top)
GAP = 40.0

Box = tuple[float, float, float, float]  # left, top, right, bottom


def room_to_open(graph: Graph, group_id: str) -> dict[str, tuple[float, float]]:
    """New positions for the nodes that would be under ``group_id``'s frame once opened:
    those right of the function move right, those left of it move left, all by the same
    amount per side, so the picture keeps its order. Empty when nothing is in the way."""
    members = set(graph.group_members(group_id))
    if not members:
        return {}
    inner = _box_of(graph, members)
    frame = (inner[0] - FRAME[0], inner[1] - FRAME[1], inner[2] + FRAME[0], inner[3] + FRAME[0])
    centre = (inner[0] + inner[2]) / 2
    blocks = _blocks(graph, members)
    right = left = 0.0
    for _ids, box in blocks:
        if not _overlap(frame, box):
            continue
        if (box[0] + box[2]) / 2 >= centre:
            right = max(right, frame[2] + GAP - box[0])
        else:
            left = max(left, box[2] + GAP - frame[0])
    if not right and not left:
        return {}
    moves = {}
    for ids, box in blocks:
        dx = right if (box[0] + box[2]) / 2 >= centre else -left
        for nid in ids:
            x, y = graph.node(nid).pos
            moves[nid] = (x + dx, y)
    return moves


def _blocks(graph: Graph, members: set[str]) -> list[tuple[list[str], Box]]:
    """What the canvas draws besides the function: single nodes, and closed functions (their
    nodes move together)."""
    closed: dict[str, list[str]] = {}
    blocks = []
    for node in graph.nodes:
        if node.id in members:
            continue
        group = graph.group_of(node.id)
        if group is not None and group.collapsed:
            closed.setdefault(group.id, []).append(node.id)
        else:
            x, y = node.pos
            blocks.append(([node.id], (x - HALF_W, y - HALF_H, x + HALF_W, y + HALF_H)))
    for ids in closed.values():
        box = _box_of(graph, set(ids))
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        blocks.append((ids, (cx - 80.0, cy - HALF_H, cx + 80.0, cy + HALF_H)))
    return blocks


def _box_of(graph: Graph, ids: set[str]) -> Box:
    xs = [graph.node(n).pos[0] for n in ids]
    ys = [graph.node(n).pos[1] for n in ids]
    return (min(xs) - HALF_W, min(ys) - HALF_H, max(xs) + HALF_W, max(ys) + HALF_H)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
