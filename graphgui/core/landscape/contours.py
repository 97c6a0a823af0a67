"""Contour lines of a loss grid, as line segments (marching squares, vectorised in NumPy).

The heat map and the PNG draw the same segments; they are computed where the grid is (the
editor's landscape process), so the GUI thread only draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVELS = 12  # contour lines drawn over a landscape
LOG_RATIO = 30.0  # a positive loss whose max / min is over this is drawn on a log scale
SKEW = 0.35  # median within this share of the range above the minimum: a log scale above it
FLOOR = 1e-3  # a log scale above the minimum starts this share of the range above it
OFFSET_MARKS_FROM = 0.01  # its colour bar's marks start this share of the range above it


@dataclass(frozen=True)
class Scale:
    """How a loss maps to colour and contour spacing: ``t = loss`` (linear), or
    ``t = log10(loss - offset)`` (``log``). A log scale with ``offset`` just below the minimum
    spreads the levels over a deep, narrow valley (most of the plane far below its top)."""

    log: bool = False
    offset: float = 0.0

    def forward(self, loss: np.ndarray) -> np.ndarray:
        loss = np.asarray(loss, dtype=float)
        if not self.log:
            return loss
        with np.errstate(all="ignore"):
            return np.log10(loss - self.offset)

    def inverse(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        return self.offset + 10.0 ** t if self.log else t

    @property
    def label(self) -> str:
        if not self.log:
            return "loss"
        return "loss (log scale)" if self.offset == 0 else "loss (log above the minimum)"

    def ticks(self, low: float, high: float) -> list[float]:
        """Loss values to mark on a colour bar from ``low`` to ``high``: round numbers
        (multiples of 1, 2 or 5 times a power of ten), never 0 on a log scale.

        Linear: :func:`nice_ticks`. Log: the powers of ten (and 2 and 5 times them when
        fewer than three fit). Log above the minimum: one mark a decade of ``loss -
        offset`` (and 2 and 5 times them when fewer than three fit), each rounded to a
        multiple of the 1-2-5 step at most half its distance above the offset, so it sits
        within an eighth of a decade of where the decade is; from OFFSET_MARKS_FROM of the
        range above the minimum (a mark nearer the minimum needs many more digits)."""
        if not high > low:
            return [low]
        if not self.log:
            return nice_ticks(low, high)
        lo, hi = float(self.forward(low)), float(self.forward(high))
        if self.offset == 0:
            marks = [10.0 ** k for k in range(math.floor(lo), math.ceil(hi) + 1)]
            if len([m for m in marks if low <= m <= high]) < 3:
                marks = [f * m for m in marks for f in (1, 2, 5)]
            return sorted({_round(m) for m in marks if low <= m <= high})
        least = OFFSET_MARKS_FROM * (high - low)  # finer marks would need many more digits
        decades = [10.0 ** k for k in range(math.floor(lo), math.floor(hi) + 1)]
        found = self._offset_marks([d for d in decades if d >= least], low, high)
        if len(found) < 3:
            found = self._offset_marks([f * d for d in decades for f in (1, 2, 5)
                                        if f * d >= least], low, high)
        return found

    def _offset_marks(self, distances: list[float], low: float, high: float) -> list[float]:
        marks = set()
        for d in distances:
            step = nice_floor(d / 2)
            target = self.offset + d
            mark = round(target / step) * step
            if mark < low or mark <= self.offset or mark == 0:
                mark = math.ceil(target / step) * step
                if mark == 0:
                    mark = step
            mark = _round(mark)
            if low <= mark <= high and mark > self.offset:
                marks.add(mark)
        return sorted(marks)


def nice_floor(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten at most ``value`` (> 0)."""
    decade = 10.0 ** math.floor(math.log10(value))
    for m in (5.0, 2.0, 1.0):
        if m * decade <= value * (1 + 1e-12):
            return m * decade
    return decade  # pragma: no cover


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Every multiple of a 1-2-5 step (1, 2 or 5 times a power of ten) from ``low`` to
    ``high``: the finest step that gives at most ``most`` of them (at least two)."""
    if not high > low:
        return [low]
    step = nice_floor((high - low) / most)
    while True:
        first = math.ceil(low / step - 1e-9)
        last = math.floor(high / step + 1e-9)
        if last - first + 1 <= most:
            break
        step = _next_nice(step)
    return [_round(k * step) for k in range(first, last + 1)]


def _next_nice(step: float) -> float:
    decade = 10.0 ** math.floor(math.log10(step) + 1e-9)
    m = step / decade
    return (2.0 if m < 1.5 else 5.0 if m < 3.5 else 10.0) * decade


def _round(value: float) -> float:
    """``value`` without the float noise of ``k * step`` (0.30000000000000004 -> 0.3)."""
    return float(f"{value:.12g}") + 0.0  # + 0.0: never -0.0


@dataclass(frozen=True)
class Contours:
    """``levels`` (ascending) and, per level, an (n, 2, 2) array of segments ((a, b) ends);
    ``scale`` says how the levels (and the heat map's colours) are spaced."""

    levels: tuple[float, ...]
    segments: tuple[np.ndarray, ...]
    scale: Scale = Scale()

    @property
    def log(self) -> bool:
        return self.scale.log


def choose_scale(loss: np.ndarray) -> Scale:
    """Linear, log (a positive loss over LOG_RATIO from its minimum to its maximum), or log
    above the minimum (most of the grid within SKEW of the range above the minimum)."""
    finite = np.asarray(loss, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return Scale()
    low, high = float(finite.min()), float(finite.max())
    span = high - low
    if not span > 0 or not math.isfinite(span):
        return Scale()
    if low > 0 and high / low > LOG_RATIO:
        return Scale(True, 0.0)
    if float(np.median(finite)) - low < SKEW * span:
        return Scale(True, low - FLOOR * span)
    return Scale()


def contour_levels(loss: np.ndarray, count: int = LEVELS,
                   scale: Scale | None = None) -> tuple[float, ...]:
    """``count`` levels strictly between the finite minimum and maximum of ``loss``, evenly
    spaced on ``scale`` (default: :func:`choose_scale`)."""
    finite = np.asarray(loss, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return ()
    low, high = float(finite.min()), float(finite.max())
    if not high > low or not math.isfinite(high - low):
        return ()
    scale = scale or choose_scale(loss)
    t = np.linspace(float(scale.forward(low)), float(scale.forward(high)), count + 2)[1:-1]
    return tuple(float(v) for v in scale.inverse(t))


def contour_segments(
    xs: np.ndarray, ys: np.ndarray, z: np.ndarray, level: float
) -> np.ndarray:
    """Segments of the curve z = level; ``z[j, i]`` is the value at (xs[i], ys[j]).

    Cells with a corner that is not finite are skipped. A saddle cell (two opposite corners
    above the level) is split by its centre value."""
    z = np.asarray(z, dtype=float)
    z00, z10 = z[:-1, :-1], z[:-1, 1:]  # (j, i), (j, i+1)
    z01, z11 = z[1:, :-1], z[1:, 1:]  # (j+1, i), (j+1, i+1)
    ok = np.isfinite(z00) & np.isfinite(z10) & np.isfinite(z01) & np.isfinite(z11)
    a00, a10, a01, a11 = (c > level for c in (z00, z10, z01, z11))
    x0, x1 = np.broadcast_to(xs[:-1], z00.shape), np.broadcast_to(xs[1:], z00.shape)
    y0, y1 = (np.broadcast_to(ys[:-1, None], z00.shape), np.broadcast_to(ys[1:, None], z00.shape))

    def cross(za: np.ndarray, zb: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.clip((level - za) / (zb - za), 0.0, 1.0)

    # The four edges' crossing points: bottom, right, top, left (each (x, y) arrays).
    t = cross(z00, z10)
    bottom = (x0 + t * (x1 - x0), y0)
    t = cross(z10, z11)
    right = (x1, y0 + t * (y1 - y0))
    t = cross(z01, z11)
    top = (x0 + t * (x1 - x0), y1)
    t = cross(z00, z01)
    left = (x0, y0 + t * (y1 - y0))
    edges = (bottom, right, top, left)
    crossed = np.stack([a00 != a10, a10 != a11, a01 != a11, a00 != a01], axis=-1) & ok[..., None]
    count = crossed.sum(axis=-1)
    pieces = []
    two = count == 2
    if np.any(two):
        first = np.argmax(crossed[two], axis=-1)
        second = 3 - np.argmax(crossed[two][:, ::-1], axis=-1)
        pieces.append(_pairs(edges, two, first, second))
    four = count == 4
    if np.any(four):
        # Two opposite corners above the level (a00 and a11, or a10 and a01): the centre
        # decides which pair of corners the curves cut off. (bottom, right) + (left, top) cut
        # off (j, i+1) and (j+1, i): right when the centre is on a00's side.
        centre_up = (z00 + z10 + z01 + z11) / 4 > level
        cut_br = centre_up == a00
        for mask, pairs in ((four & cut_br, ((0, 1), (3, 2))), (four & ~cut_br, ((0, 3), (1, 2)))):
            k = int(mask.sum())
            for p, q in pairs if k else ():
                pieces.append(_pairs(edges, mask, np.full(k, p), np.full(k, q)))
    if not pieces:
        return np.empty((0, 2, 2))
    return np.concatenate(pieces)


def _pairs(edges: tuple, mask: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    xs = np.stack([e[0][mask] for e in edges], axis=-1)  # (k, 4)
    ys = np.stack([e[1][mask] for e in edges], axis=-1)
    rows = np.arange(len(first))
    start = np.stack([xs[rows, first], ys[rows, first]], axis=-1)
    end = np.stack([xs[rows, second], ys[rows, second]], axis=-1)
    return np.stack([start, end], axis=1)


def contours(xs: np.ndarray, ys: np.ndarray, z: np.ndarray, count: int = LEVELS) -> Contours:
    """The contour lines of a loss grid, ``count`` levels on its :func:`choose_scale`."""
    scale = choose_scale(z)
    levels = contour_levels(z, count, scale)
    return Contours(levels, tuple(contour_segments(xs, ys, z, v) for v in levels), scale)
