"""Free room for wire labels: rectangles by key in a grid of cells (no Qt calls), so placing
thousands of labels stays cheap. Keys are node ids (obstacles, weighted ten times) and wire
keys (other labels)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in scene units
CELL = 80.0  # grid cell of the index
CROWDED = 150  # keys in one cell beyond which a place there counts as taken, unexamined


def overlap(a: Rect, b: Rect) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    if w <= 0:
        return 0.0
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if h > 0 else 0.0


class FreeRoom:
    """Rectangles by key in a grid of cells: what is taken, and what overlaps a rectangle."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], set[Any]] = {}
        self.rects: dict[Any, list[Rect]] = {}
        self.work = 0  # rectangles compared by cost() so far (the label layer bounds it)

    @staticmethod
    def span(r: Rect) -> Iterator[tuple[int, int]]:
        for i in range(math.floor(r[0] / CELL), math.floor(r[2] / CELL) + 1):
            for j in range(math.floor(r[1] / CELL), math.floor(r[3] / CELL) + 1):
                yield (i, j)

    def put(self, key: Any, rects: list[Rect]) -> None:
        self.remove(key)
        if not rects:
            return
        self.rects[key] = rects
        cells = self.cells
        for r in rects:
            for c in self.span(r):
                cells.setdefault(c, set()).add(key)

    def remove(self, key: Any) -> None:
        rects = self.rects.pop(key, None)
        if rects is None:
            return
        for r in rects:
            for c in self.span(r):
                bucket = self.cells.get(c)
                if bucket is not None:
                    bucket.discard(key)
                    if not bucket:
                        del self.cells[c]

    def near(self, r: Rect) -> set[Any]:
        found: set[Any] = set()
        cells = self.cells
        for c in self.span(r):
            bucket = cells.get(c)
            if bucket:
                found |= bucket
        return found

    def cost(self, rects: list[Rect], skip: Any, nodes: set[Any] | None = None,
             stop: float = math.inf) -> float:
        """Overlap of ``rects`` with everything but ``skip``; nodes weigh ten times more.
        Stops counting once past ``stop``. (The inner loop of label placement: written out
        by hand, without helper calls.)"""
        total = 0.0
        cells = self.cells
        taken = self.rects
        floor = math.floor
        for x0, y0, x1, y1 in rects:
            near: set[Any] = set()
            for i in range(floor(x0 / CELL), floor(x1 / CELL) + 1):
                for j in range(floor(y0 / CELL), floor(y1 / CELL) + 1):
                    bucket = cells.get((i, j))
                    if bucket:
                        if len(bucket) > CROWDED:
                            # Hundreds of nodes or labels piled up here: no free place,
                            # and comparing each would make placement quadratic.
                            self.work += CROWDED
                            return math.inf
                        near |= bucket
            self.work += len(near)
            for key in near:
                if key == skip:
                    continue
                weight = 10.0 if key.__class__ is str else 1.0
                for a0, b0, a1, b1 in taken[key]:
                    w = (x1 if x1 < a1 else a1) - (x0 if x0 > a0 else a0)
                    if w > 0:
                        h = (y1 if y1 < b1 else b1) - (y0 if y0 > b0 else b0)
                        if h > 0:
                            total += weight * w * h
                if total > stop:
                    return total
        return total
        return total
