"""A left-to-right layered (Sugiyama-style) layout for computational graphs.

Steps: (1) layers by longest path from the sources; constants and parameters move next to
their first consumer and non-source sinks to the last layer; (2) edges that span several
layers get invisible "dummy" points in between (when that stays cheap), so crossing
reduction and spacing see them; (3) the order within each layer comes from a DFS from the
sinks (inputs in port order), improved by barycenter sweeps, keeping the order with the
fewest crossings; (4) vertical positions: each node is pulled towards its neighbours by a
few passes of isotonic regression, which keeps the order and the minimum gap exactly.

Positions are node centres: layer k is at ``origin[0] + k * x_gap`` and the picture is
centred vertically on ``origin[1]``. Everything is deterministic (no set or hash order).
The default ``x_gap`` (:func:`column_gap`) leaves room between columns for the value and
gradient labels the editor writes on the wires: wider when they carry small arrays, which are
written out in full.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from .graph import Graph

Position = tuple[float, float]

# Where input ports sit around a node's centre, in slots (a slot is one y_gap).
PORT_SPREAD = 0.25
DUMMY_HEIGHT = 0.5  # of a real node's slot
MAX_DUMMIES_PER_NODE = 4  # beyond this (plus a constant) long edges get no dummies

MIN_COLUMN_GAP = 180.0
NODE_ROOM = 120.0  # a typical node's width plus the clearance around its ports
CHAR_WIDTH = 6.5  # a label character in scene units (8.5 pt digits are about 6.2)
SCALAR_CHARS = 9  # "-0.008511"
NUMBER_CHARS = 11  # one array element with its ", "
FULL_ARRAY = 4  # arrays up to this size are written out in full (values.SHOWN_IN_FULL)


def column_gap(graph: Graph) -> float:
    """Distance between layout columns that leaves room for the labels on the wires.

    Estimated from the sources' shapes (the rest of the graph usually carries the same
    shapes): a scalar label is about 9 characters; a small array is written out with one
    row per line (``[[0.0009801, 0.00196],`` is one line); larger arrays show their shape
    and norm (``[20x3] |1.234|``).
    """
    chars = SCALAR_CHARS
    for node in graph.nodes:
        shape = getattr(node.value, "shape", ()) if node.is_source else ()
        if not shape:
            continue
        size = 1
        for d in shape:
            size *= d
        if size <= FULL_ARRAY:
            chars = max(chars, 3 + shape[-1] * NUMBER_CHARS)
        else:
            chars = max(chars, 16)
    gap = NODE_ROOM + chars * CHAR_WIDTH
    return max(MIN_COLUMN_GAP, float(math.ceil(gap / 10.0) * 10))


def layered_layout(
    graph: Graph,
    node_ids: Iterable[str] | None = None,
    origin: Position = (0.0, 0.0),
    x_gap: float | None = None,
    y_gap: float = 90.0,
    contract: bool = True,
) -> dict[str, Position]:
    """Positions for ``node_ids`` (default: every node); edges to other nodes are ignored.
    ``x_gap`` None: :func:`column_gap` of the graph. A closed function takes one place
    (``contract`` False: every node its own, as when it is open)."""
    if x_gap is None:
        x_gap = column_gap(graph)
    if node_ids is None:
        wanted = [node.id for node in graph.nodes]
    else:
        wanted = list(dict.fromkeys(node_ids))
    if not wanted:
        return {}
    ids = graph.topological_order(wanted)
    grouped = _grouped_members(graph, ids) if contract else {}
    if grouped:
        return _contracted_layout(graph, ids, grouped, origin, x_gap, y_gap)
    index = {nid: k for k, nid in enumerate(ids)}
    n = len(ids)

    # Edges as (src index, dst index, port offset in slots), in a fixed order.
    ups: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    downs: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for v, nid in enumerate(ids):
        srcs = graph.input_ids(nid)
        arity = len(srcs)
        for port, src in enumerate(srcs):
            u = index.get(src) if src is not None else None
            if u is None:
                continue
            offset = (port - (arity - 1) / 2) * PORT_SPREAD
            ups[v].append((u, offset))
            downs[u].append((v, offset))
    weights = [graph.node(nid).op in ("constant", "parameter") for nid in ids]
    layer, ys = _place(ups, downs, weights, y_gap)
    return _positions(ids, layer, ys, origin, x_gap)


def _place(
    ups: list[list[tuple[int, float]]], downs: list[list[tuple[int, float]]],
    weights: list[bool], y_gap: float, heights: list[float] | None = None,
) -> tuple[list[int], list[float]]:
    """(layer, y) of each of the ``len(ups)`` points, given in topological order;
    ``heights`` in slots (default 1 each)."""
    n = len(ups)
    layer = _assign_layers(weights, ups, downs)
    ups, downs, layer = _add_dummies(n, ups, downs, layer)
    height = (heights or [1.0] * n) + [DUMMY_HEIGHT] * (len(layer) - n)

    layers = _initial_order(n, ups, downs, layer)
    layers = _reduce_crossings(layers, ups, downs)
    ys = _assign_y(layers, ups, downs, height, y_gap)
    return layer[:n], ys[:n]


def _positions(
    ids: list[str], layer: list[int], ys: list[float], origin: Position, x_gap: float
) -> dict[str, Position]:
    middle = (min(ys) + max(ys)) / 2
    ox, oy = float(origin[0]), float(origin[1])
    return {nid: (ox + layer[v] * x_gap, oy + ys[v] - middle) for v, nid in enumerate(ids)}


# ---- closed functions ------------------------------------------------------------------------


NODE_WIDTH = 100.0  # a typical node's drawn width, in scene units
FRAME_ROOM = 40.0  # an open function's frame around its nodes (title bar included)


def _function_width(graph: Graph, group_id: str) -> float:
    """About how wide the canvas draws a closed function: its title and signature."""
    group = graph.group(group_id)
    definition = graph.function(group.function)
    signature = definition.signature if definition else group.function
    chars = len(group.name) + len(signature)
    return max(120.0, min(280.0, chars * CHAR_WIDTH + 48.0))


def _grouped_members(graph: Graph, ids: list[str]) -> dict[str, str]:
    """node id -> its instance's id, for the nodes inside functions."""
    if not graph.groups:
        return {}
    live = graph.group_ids()
    return {nid: gid for nid in ids if (gid := graph.node(nid).group) in live}


def _contracted_layout(
    graph: Graph, ids: list[str], closed: dict[str, str], origin: Position, x_gap: float,
    y_gap: float,
) -> dict[str, Position]:
    """Lay out what the canvas shows: each function is one block (closed: as wide as its
    box; open: as wide and tall as its own layout, so frames never overlap), its ports in
    the order of its inputs; its own nodes are laid out around the block's centre, so
    opening a closed one shows them where it was."""
    units = list(dict.fromkeys(closed.get(nid, nid) for nid in ids))
    index = {unit: k for k, unit in enumerate(units)}
    ups: list[list[tuple[int, float]]] = [[] for _ in units]
    downs: list[list[tuple[int, float]]] = [[] for _ in units]
    seen: set[tuple[int, int, float]] = set()
    for nid in ids:
        v = index[closed.get(nid, nid)]
        srcs = graph.input_ids(nid)
        group = graph.group(closed[nid]) if nid in closed else None
        for port, src in enumerate(srcs):
            if src is None or src not in closed and src not in index:
                continue
            u = index[closed.get(src, src)]
            if u == v:
                continue
            if group is not None:
                names = group.input_names
                name = group.input_of(nid, port)
                k = names.index(name) if name in names else 0
                offset = (k - (len(names) - 1) / 2) * PORT_SPREAD
            else:
                offset = (port - (len(srcs) - 1) / 2) * PORT_SPREAD
            if (u, v, offset) not in seen:
                seen.add((u, v, offset))
                ups[v].append((u, offset))
                downs[u].append((v, offset))
    weights = [unit in graph and graph.node(unit).op in ("constant", "parameter")
               and unit not in closed for unit in units]
    inner: dict[str, dict[str, Position]] = {}
    widths, heights = [NODE_WIDTH] * len(units), [1.0] * len(units)
    for v, unit in enumerate(units):
        if unit not in graph.group_ids():
            continue
        members = [nid for nid in ids if closed.get(nid) == unit]
        inner[unit] = layered_layout(graph, members, x_gap=x_gap, y_gap=y_gap, contract=False)
        if graph.group(unit).collapsed:
            widths[v] = _function_width(graph, unit)
        else:  # the frame around its own layout
            xs_in = [p[0] for p in inner[unit].values()]
            ys_in = [p[1] for p in inner[unit].values()]
            widths[v] = max(xs_in) - min(xs_in) + NODE_WIDTH + 2 * FRAME_ROOM
            heights[v] = (max(ys_in) - min(ys_in) + 2 * FRAME_ROOM) / y_gap + 1.0
    layer, ys = _place(ups, downs, weights, y_gap, heights)
    # A function is wider than a node: its column is spread by the extra width.
    extra = [0.0] * (max(layer) + 2)
    for v in range(len(units)):
        extra[layer[v]] = max(extra[layer[v]], widths[v] - NODE_WIDTH)
    xs = [0.0]
    for k in range(max(layer)):
        xs.append(xs[-1] + x_gap + (extra[k] + extra[k + 1]) / 2)
    middle = (min(ys) + max(ys)) / 2
    centres = {unit: (origin[0] + xs[layer[v]], origin[1] + ys[v] - middle)
               for v, unit in enumerate(units)}
    result = {unit: pos for unit, pos in centres.items() if unit in graph and unit not in closed}
    for gid, positions in inner.items():
        xs_in = [p[0] for p in positions.values()]
        cx, cy = centres[gid]
        shift = cx - (min(xs_in) + max(xs_in)) / 2
        result.update({nid: (x + shift, y + cy) for nid, (x, y) in positions.items()})
    return result


def before_readers(graph: Graph, source: str, positions: Mapping[str, Position],
                   x_gap: float, y_gap: float = 90.0) -> dict[str, Position]:
    """``source`` one column before the first node that reads it, under every other node:
    a source read only at the end (a training example's labels Y, read by the losses) sat in
    the first column, and its wires crossed every layer (on vanishing_gradients, through the
    lower stack's boxes). Nothing when it is there already or nothing placed reads it."""
    readers = [e.dst for e in graph.consumers(source) if e.dst in positions]
    if not readers or source not in positions:
        return {}
    x = min(positions[r][0] for r in readers) - x_gap
    if x <= positions[source][0]:
        return {}
    lowest = max(pos[1] for nid, pos in positions.items() if nid != source)
    return {source: (x, lowest + y_gap)}


def apply_layout(graph: Graph, positions: Mapping[str, Position]) -> None:
    """Move each node to its position (one ``graph.move`` per node)."""
    for node_id, pos in positions.items():
        graph.move(node_id, pos)


# ---- layers ----------------------------------------------------------------------------------


def _assign_layers(
    weights: list[bool],
    ups: list[list[tuple[int, float]]],
    downs: list[list[tuple[int, float]]],
) -> list[int]:
    n = len(weights)
    layer = [0] * n
    for v in range(n):  # ids are in topological order
        if ups[v]:
            layer[v] = max(layer[u] for u, _ in ups[v]) + 1
    last = max(layer)
    for v in range(n):
        if weights[v] and downs[v]:
            # A constant or weight sits just before its first consumer, not far left.
            layer[v] = min(layer[w] for w, _ in downs[v]) - 1
        elif ups[v] and not downs[v]:
            layer[v] = last  # outputs line up on the right
    return layer


def _add_dummies(
    n: int,
    ups: list[list[tuple[int, float]]],
    downs: list[list[tuple[int, float]]],
    layer: list[int],
) -> tuple[list[list[tuple[int, float]]], list[list[tuple[int, float]]], list[int]]:
    """Split edges spanning several layers by dummy points, unless that gets expensive.

    Without dummies, long edges still pull their ends together; they only cost more
    crossings that the counter does not see.
    """
    span = sum(layer[v] - layer[u] - 1 for v in range(n) for u, _ in ups[v])
    if span == 0 or span > MAX_DUMMIES_PER_NODE * n + 2000:
        return ups, downs, layer
    new_ups: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    new_downs: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    layer = list(layer)
    for v in range(n):
        for u, offset in ups[v]:
            prev = u
            for k in range(layer[u] + 1, layer[v]):
                d = len(layer)
                layer.append(k)
                new_ups.append([(prev, 0.0)])
                new_downs.append([])
                new_downs[prev].append((d, 0.0))
                prev = d
            new_ups[v].append((prev, offset))
            new_downs[prev].append((v, offset))
    return new_ups, new_downs, layer


# ---- order within layers -------------------------------------------------------------------


def _initial_order(
    n: int,
    ups: list[list[tuple[int, float]]],
    downs: list[list[tuple[int, float]]],
    layer: list[int],
) -> list[list[int]]:
    """Order by a depth-first walk back from each sink, inputs in port order (post-order)."""
    total = len(layer)
    seen = [False] * total
    rank = [0] * total
    counter = 0
    roots = [v for v in range(n) if not downs[v]] + [v for v in range(n) if downs[v]]
    for root in roots:
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, 0)]
        while stack:
            v, k = stack[-1]
            if k < len(ups[v]):
                stack[-1] = (v, k + 1)
                u = ups[v][k][0]
                if not seen[u]:
                    seen[u] = True
                    stack.append((u, 0))
            else:
                stack.pop()
                rank[v] = counter
                counter += 1
    layers: list[list[int]] = [[] for _ in range(max(layer) + 1)]
    for v in sorted(range(total), key=rank.__getitem__):
        layers[layer[v]].append(v)
    return layers


def _reduce_crossings(
    layers: list[list[int]],
    ups: list[list[tuple[int, float]]],
    downs: list[list[tuple[int, float]]],
) -> list[list[int]]:
    total = sum(len(lay) for lay in layers)
    pos = [0.0] * total

    def place(lay: list[int]) -> None:
        mid = (len(lay) - 1) / 2
        for i, v in enumerate(lay):
            pos[v] = i - mid

    for lay in layers:
        place(lay)
    best = [list(lay) for lay in layers]
    best_crossings = _count_crossings(layers, downs)
    sweeps = 6 if total < 3000 else 3
    for _ in range(sweeps):
        if best_crossings == 0:
            break
        for lay in layers[1:]:  # left to right: follow the inputs
            keys = {v: _mean([pos[u] - off for u, off in ups[v]], pos[v]) for v in lay}
            lay.sort(key=keys.__getitem__)
            place(lay)
        for lay in reversed(layers[:-1]):  # right to left: follow the consumers
            keys = {v: _mean([pos[w] + off for w, off in downs[v]], pos[v]) for v in lay}
            lay.sort(key=keys.__getitem__)
            place(lay)
        crossings = _count_crossings(layers, downs)
        if crossings < best_crossings:
            best_crossings = crossings
            best = [list(lay) for lay in layers]
    return best


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _count_crossings(layers: list[list[int]], downs: list[list[tuple[int, float]]]) -> int:
    """Crossings between edges joining adjacent layers (edges into one node count at its
    ports). Longer edges (only present when dummies were skipped) are not counted."""
    total = sum(len(lay) for lay in layers)
    where = [0] * total
    layer_of = [0] * total
    for k, lay in enumerate(layers):
        for i, v in enumerate(lay):
            where[v] = i
            layer_of[v] = k
    crossings = 0
    for k in range(len(layers) - 1):
        ends: list[float] = []
        for u in layers[k]:
            mine = [where[w] + off for w, off in downs[u] if layer_of[w] == k + 1]
            ends.extend(sorted(mine))
        crossings += _inversions(ends)
    return crossings


def _inversions(values: list[float]) -> int:
    """Pairs i < j with values[i] > values[j] (bottom-up merge sort)."""
    items = list(values)
    count = 0
    width = 1
    n = len(items)
    while width < n:
        merged: list[float] = []
        for lo in range(0, n, 2 * width):
            left = items[lo : lo + width]
            right = items[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if right[j] < left[i]:
                    count += len(left) - i
                    merged.append(right[j])
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged.extend(left[i:])
            merged.extend(right[j:])
        items = merged
        width *= 2
    return count


# ---- vertical positions ----------------------------------------------------------------------


def _assign_y(
    layers: list[list[int]],
    ups: list[list[tuple[int, float]]],
    downs: list[list[tuple[int, float]]],
    height: list[float],
    y_gap: float,
) -> list[float]:
    """Pull nodes towards their neighbours, keeping each layer's order and minimum gaps."""
    total = len(height)
    ys = [0.0] * total
    for lay in layers:  # start: packed and centred
        acc = 0.0
        for i, v in enumerate(lay):
            if i:
                acc += (height[lay[i - 1]] + height[v]) / 2 * y_gap
            ys[v] = acc
        for v in lay:
            ys[v] -= acc / 2

    def desired(v: int, use_ups: bool, use_downs: bool) -> tuple[float, float]:
        vals = []
        if use_ups:
            vals += [ys[u] - off * y_gap for u, off in ups[v]]
        if use_downs:
            vals += [ys[w] + off * y_gap for w, off in downs[v]]
        if not vals:
            return ys[v], 0.5  # no pull: stay, weakly
        return sum(vals) / len(vals), float(len(vals))

    passes = [(True, False), (False, True)] * 3 + [(True, True)] * 2
    if total > 5000:
        passes = [(True, False), (False, True), (True, True)]
    for use_ups, use_downs in passes:
        order = layers if not use_downs or use_ups else list(reversed(layers))
        for lay in order:
            if not lay:
                continue
            wants = [desired(v, use_ups, use_downs) for v in lay]
            gaps = [(height[a] + height[b]) / 2 * y_gap for a, b in zip(lay, lay[1:], strict=False)]
            placed = _isotonic_with_gaps([w[0] for w in wants], [w[1] for w in wants], gaps)
            for v, y in zip(lay, placed, strict=True):
                ys[v] = y
    return ys


def _isotonic_with_gaps(
    targets: list[float], weights: list[float], gaps: list[float]
) -> list[float]:
    """Minimise sum w_i (y_i - t_i)^2 subject to y_{i+1} - y_i >= gaps_i.

    With c_i the running sum of gaps, z_i = y_i - c_i must be non-decreasing: isotonic
    regression by pool-adjacent-violators, O(n).
    """
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    # Blocks of pooled values: [mean, weight, count].
    blocks: list[list[float]] = []
    for t, w, c in zip(targets, weights, offsets, strict=True):
        blocks.append([t - c, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks[-1]
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2]
    result: list[float] = []
    for mean, _, count in blocks:
        result.extend([mean] * int(count))
    return [z + c for z, c in zip(result, offsets, strict=True)]


__all__ = ["apply_layout", "before_readers", "column_gap", "layered_layout"]
