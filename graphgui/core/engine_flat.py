"""The flat layout of a program's parameters for one update of all of them.

The Trainer's fused SGD step (train/fused_step.py) has the generated backward write every
``wrt`` target's gradient into a view of one flat array, and keeps the parameters in two flat
arrays of the same layout: SGD on all of them is then two NumPy calls. Elementwise operations
do not depend on how the elements are grouped, so the numbers are per-parameter SGD's.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Stepping:
    """One flat array for the ``wrt`` targets' gradients, ``views[slot]`` each target's
    part (its shape, in slot order), and ``backward``, the pass that fills them (where a
    rule cannot write into its view, it returns its own array and the caller copies it)."""

    def __init__(self, flat: np.ndarray, layout: list[tuple[int, int, tuple[int, ...]]]) -> None:
        self.flat = flat
        self.layout = layout  # (slot, offset, shape) per target
        self.views = dict(zip((k for k, _, _ in layout), views(flat, layout), strict=True))
        self.backward: Any = None
        self.copies: list[int] | None = None  # slots whose rule cannot write into the view


def views(flat: np.ndarray, layout: list[tuple[int, int, tuple[int, ...]]]) -> list[np.ndarray]:
    """The parts of ``flat`` that ``layout`` names, shaped."""
    return [flat[at:at + int(np.prod(shape))].reshape(shape) for _, at, shape in layout]


def flat_gradients(program: Any, shapes: list[Any], dtypes: list[Any]) -> Stepping | None:
    """The wrt targets' layout in one flat array of the values' one dtype; None if there are
    none, a target is a float, or the values mix dtypes (no buffers then either)."""
    targets = sorted(program._targets)
    kinds = {d for d in dtypes if d is not None}
    if not targets or len(kinds) != 1 or any(shapes[k] is None for k in targets):
        return None
    layout, at = [], 0
    for k in targets:
        layout.append((k, at, shapes[k]))
        at += int(np.prod(shapes[k]))
    return Stepping(np.zeros(at, dtype=kinds.pop()), layout)
