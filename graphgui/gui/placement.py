"""Where new nodes go: the one function every insertion uses (paste, duplicate, a palette
click, an expression, a data set, a Dense layer).

A group of new nodes is moved from a preferred place, step by step, until none of its nodes
overlaps an existing one, so copies never land on their neighbours. Plain Python on node
centres and sizes (no Qt), bounded: at most ``MAX_TRIES`` candidate places are tried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphgui.core.graph import Graph

NODE_SIZE = (150.0, 70.0)  # a typical node's width and height, for nodes not drawn yet
CLEARANCE = 16.0  # free space kept between a new node and its neighbours
STEP = 40.0  # how far each further try moves the group
GAP = 220.0  # between an existing graph and an expression inserted beside it
MAX_TRIES = 400

Size = Callable[[str], tuple[float, float]]
Offset = tuple[float, float]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _boxes(graph: Graph, ids: Iterable[str], size: Size | None, dx: float = 0.0,
           dy: float = 0.0) -> list[tuple[float, float, float, float]]:
    boxes = []
    for nid in ids:
        x, y = graph.node(nid).pos
        w, h = size(nid) if size is not None else NODE_SIZE
        boxes.append((x + dx - w / 2, y + dy - h / 2, x + dx + w / 2, y + dy + h / 2))
    return boxes


class _Occupied:
    """Existing node boxes in a coarse grid, so each try checks only nearby nodes."""

    CELL = 200.0

    def __init__(self, boxes: list[tuple[float, float, float, float]]) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
        for box in boxes:
            for cell in self._cells(box):
                self.cells.setdefault(cell, []).append(box)

    def _cells(self, box: tuple[float, float, float, float]) -> Iterable[tuple[int, int]]:
        c = self.CELL
        for i in range(int(box[0] // c), int(box[2] // c) + 1):
            for j in range(int(box[1] // c), int(box[3] // c) + 1):
                yield (i, j)

    def hits(self, box: tuple[float, float, float, float]) -> bool:
        m = CLEARANCE
        for cell in self._cells(box):
            for o in self.cells.get(cell, ()):
                if box[0] < o[2] + m and o[0] < box[2] + m and box[1] < o[3] + m \
                        and o[1] < box[3] + m:
                    return True
        return False


def free_offset(
    graph: Graph,
    sub: Graph,
    size: Size | None = None,
    target: tuple[float, float] | None = None,
    step: Offset = (STEP, STEP),
) -> Offset:
    """The shift to apply to ``sub``'s positions so that no new node overlaps a node of
    ``graph``. Preferred place: centred on ``target`` when given, else just below the
    nodes of ``graph`` that ``sub`` copies (duplicate), else one step right and down.
    ``size(node_id)`` gives drawn sizes of ``graph``'s nodes (NODE_SIZE otherwise)."""
    if len(sub) == 0:
        return (0.0, 0.0)
    xs = [n.pos[0] for n in sub]
    ys = [n.pos[1] for n in sub]
    copies = [n.id for n in sub if n.id in graph]
    if target is not None:
        dx = target[0] - (min(xs) + max(xs)) / 2
        dy = target[1] - (min(ys) + max(ys)) / 2
    elif copies and len(copies) == len(sub):
        # A duplicate: below the originals, so it reads as "another one of these".
        top = min(b[1] for b in _boxes(graph, copies, size))
        bottom = max(b[3] for b in _boxes(graph, copies, size))
        dx, dy = 0.0, bottom - top + CLEARANCE
        step = (0.0, STEP)
    else:
        dx, dy = step
    occupied = _Occupied(_boxes(graph, [n.id for n in graph], size))

    def sub_size(nid: str) -> tuple[float, float]:
        return size(nid) if size is not None and nid in graph else NODE_SIZE

    for _ in range(MAX_TRIES):
        boxes = _boxes(sub, [n.id for n in sub], sub_size, dx, dy)
        if not any(occupied.hits(b) for b in boxes):
            break
        dx += step[0]
        dy += step[1]
    return (dx, dy)


def beside_offset(graph: Graph, sub: Graph) -> Offset:
    """The shift that puts ``sub`` to the right of ``graph``'s nodes, vertically centred on
    them (an expression typed into the bar joins the graph on its right)."""
    if len(sub) == 0:
        return (0.0, 0.0)
    sx = [n.pos[0] for n in sub]
    sy = [n.pos[1] for n in sub]
    if len(graph) == 0:
        return (-min(sx), -(min(sy) + max(sy)) / 2)
    gx = [n.pos[0] for n in graph]
    gy = [n.pos[1] for n in graph]
    return (max(gx) + GAP - min(sx), (min(gy) + max(gy)) / 2 - (min(sy) + max(sy)) / 2)


def free_point(graph: Graph, point: tuple[float, float], size: Size | None = None,
               footprint: tuple[float, float] = NODE_SIZE) -> tuple[float, float]:
    """A place near ``point`` for one new node (or a group of ``footprint`` size, centred
    there) where it overlaps nothing: moved on down and right until free."""
    occupied = _Occupied(_boxes(graph, [n.id for n in graph], size))
    x, y = point
    w, h = footprint
    for _ in range(MAX_TRIES):
        if not occupied.hits((x - w / 2, y - h / 2, x + w / 2, y + h / 2)):
            break
        x += STEP
        y += STEP
    return (x, y)
