"""What the canvas items share at paint time, and the stepper's picture of the canvas.

``CanvasState`` is held by reference by every item (no lookups in paint); ``StepOverlay`` is
what a stepper position reveals (values so far, gradients so far), which the scene shows in
place of the full evaluation; ``Tangents`` is what forward mode writes beside the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QFontMetricsF

from graphgui.core.values import format_value

from ..theme import Theme
from .drag import DragRepaint

if TYPE_CHECKING:
    from .labels import LabelLayer


@dataclass(frozen=True)
class StepOverlay:
    """What the stepper shows on the canvas in place of the full evaluation: only what the
    steps taken so far have computed. Built by the stepper panel from a core Stepper."""

    phase: str = "forward"  # or "backward"
    current: str | None = None  # the node of the last step (highlighted)
    edges: frozenset[tuple[str, str]] = frozenset()  # (src, dst) wires of the current step
    values: Mapping[str, Any] = field(default_factory=dict)  # values computed so far
    grads: Mapping[str, Any] = field(default_factory=dict)  # complete gradients so far
    partial: Mapping[str, tuple[Any, int, int]] = field(default_factory=dict)  # fan-out sums
    pending: frozenset[str] = frozenset()  # nodes the current pass has not reached (dimmed)
    wire_grads: Mapping[tuple[str, int], Any] = field(default_factory=dict)  # by (dst, port)
    output: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)  # e.g. the node that gave nan
    precision: int = 4
    owner: str = "stepper"  # whose picture: "stepper" or "forward_mode" (see release_step)
    tangents: Tangents | None = None  # forward mode's tangents so far (None: none shown)
    inside: str | None = None  # the function instance stepped into (drawn open meanwhile)
    function: str | None = None  # the closed function the current step took whole


@dataclass(frozen=True)
class Tangents:
    """Forward mode on the canvas: d(node)/d(wrt) by node id, written on each node's wires
    (and under a node without any) in the tangent colour. Empty: nothing shown."""

    wrt: str = ""  # the seed's label: "x", "W1[0,1]"
    values: Mapping[str, Any] = field(default_factory=dict)

    def get(self, node_id: str) -> Any:
        return self.values.get(node_id)

    def badge(self, node_id: str, title: str, precision: int = 4, shown: bool = True
              ) -> tuple[str, str]:
        """(text, kind) of a node's badge: ``df/dx = -4`` (nothing for a node not shown)."""
        value = self.values.get(node_id)
        if value is None or not shown:
            return "", ""
        return f"d{title}/d{self.wrt} = {format_value(value, precision)}", "tangent"


NO_TANGENTS = Tangents()


@dataclass(frozen=True)
class Highlight:
    """Nodes and wires drawn in the highlight colour (a path of the Paths dock), and nodes
    marked as fan-outs (where paths split and the backward pass adds their parts)."""

    nodes: frozenset[str] = frozenset()
    wires: frozenset[tuple[str, str]] = frozenset()  # (src, dst)
    marked: frozenset[str] = frozenset()


NO_HIGHLIGHT = Highlight()


class CanvasState:
    """What every item needs at paint time, shared by reference (no lookups in paint)."""

    def __init__(self, theme: Theme) -> None:
        self.show_values = True
        self.show_grads = True
        self.snap = 0.0  # grid size when snapping, else 0
        self.drag_valid: set[str] | None = None  # nodes a dragged wire may end on
        self.drag_to_input = True
        self.overview_cache: Any = None  # batched overview geometry; None when stale
        self.lod = 1.0  # the view's scale, set before each paint (no per-item query)
        self.labels: LabelLayer | None = None  # places the wire labels (set by the scene)
        self.highlight = NO_HIGHLIGHT  # the view state's, read by the items' paint()
        self.tangents = NO_TANGENTS  # the tangents on the wires now (the summaries read them)
        self.moving = DragRepaint(self)  # the wires a node drag moves (drag.py)
        self.set_theme(theme)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.geometry_cache: dict[tuple[float, int, float], Any] = {}
        self._widths: dict[tuple[str, str], float] = {}
        self._metrics = {
            "title": QFontMetricsF(theme.title_font),
            "small": QFontMetricsF(theme.small_font),
            "symbol": QFontMetricsF(theme.symbol_font),
            "label": QFontMetricsF(theme.label_font),
        }
        self.fm_title = QFontMetricsF(theme.title_font)
        self.fm_small = QFontMetricsF(theme.small_font)
        self.fm_symbol = QFontMetricsF(theme.symbol_font)
        self.fm_label = QFontMetricsF(theme.label_font)

    def text_width(self, font: str, text: str) -> float:
        """Width of ``text`` in one of the node fonts, memoised (names repeat a lot)."""
        key = (font, text)
        w = self._widths.get(key)
        if w is None:
            if len(self._widths) > 20_000:
                self._widths.clear()
            w = self._widths[key] = self._metrics[font].horizontalAdvance(text)
        return w
