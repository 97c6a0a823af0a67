"""The scene's item index (Qt's BSP tree), sized for the graph it shows.

Qt chooses the tree's depth once, from the number of items there the first time it builds the
index, and keeps it for every graph shown after: a window that showed a small example first
kept a 5-level tree (32 cells) for a 5,000-node graph opened later, and each paint then
looked at the thousands of items in the few cells in view. On the tangled stress graph
(benchmarks/bench_canvas.py) a drag move took 6.8 ms with that tree and 3.3 ms with the 15
levels Qt itself picks for those 17,000 items.
"""

from __future__ import annotations

import math
from typing import Any

MIN_DEPTH = 5  # Qt's own smallest


def index_depth(items: int) -> int:
    """The depth Qt picks for ``items`` items: ceil(log2(items)), at least MIN_DEPTH."""
    return max(MIN_DEPTH, math.ceil(math.log2(max(items, 1))))


def fit_index(scene: Any, grown_only: bool = False) -> None:
    """Size the tree for the scene's items (a node, a wire and its label each). Setting the
    depth rebuilds the tree, so after a bulk edit (``grown_only``) only a tree two levels too
    shallow is rebuilt; a new graph (all items new, the tree built anyway) gets the depth."""
    items = len(scene.node_items) + 2 * len(scene.wire_items) + len(scene.functions.items)
    want = index_depth(items)
    have = scene.bspTreeDepth()
    if want > have + 1 or (not grown_only and want != have):
        scene.setBspTreeDepth(want)
