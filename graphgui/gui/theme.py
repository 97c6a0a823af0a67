"""Colours, pens and fonts for the canvas, for the system's light and dark schemes.

Pens are cosmetic (width in device pixels) so lines stay crisp at any zoom; on a high-DPI
screen the view asks for a theme with its device pixel ratio (``current_theme(dpr=2)``), whose
pens are that many device pixels wide, so a 1 px line is not a hairline. Every
QPen/QBrush/QFont is built once here, never inside paint().
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QGuiApplication, QPen

CATEGORY_COLORS = {
    "Sources": "#2563eb",
    "Arithmetic": "#7c3aed",
    "Math": "#0891b2",
    "Activations": "#d97706",
    "Tensor": "#64748b",
    "Losses": "#be185d",
    "Function": "#059669",  # function instances (collapsed, or the frame around them)
}


@dataclass(frozen=True)
class Colors:
    background: str
    grid_minor: str
    grid_major: str
    node_fill: str
    node_border: str
    text: str
    muted: str
    selection: str
    wire: str
    value: str
    grad: str
    error: str
    error_fill: str
    label_halo: str
    label_fill: str
    label_edge: str
    chip_fill: str
    valid: str
    step: str  # the stepper's current node and the wires it works on
    warning: str = "#b45309"  # notices that need attention (not errors)
    tangent: str = "#0369a1"  # forward mode's tangents d(node)/d(seed), beside the values
    path: str = "#c026d3"  # a path of the Paths dock and the fan-outs on the paths


LIGHT = Colors(
    background="#f6f7f9",
    grid_minor="#eef0f3",
    grid_major="#e2e5ea",
    node_fill="#ffffff",
    node_border="#a3abb8",
    text="#1d2128",
    muted="#6b7380",
    selection="#2f6fed",
    wire="#6b7482",
    value="#15803d",
    grad="#c2410c",
    error="#d32f2f",
    error_fill="#fdecec",
    label_halo="#f6f7f9",
    label_fill="#ffffff",
    label_edge="#dfe3e8",
    chip_fill="#eef2f7",
    valid="#16a34a",
    step="#f59e0b",
)

DARK = Colors(
    background="#1c1f24",
    grid_minor="#23272d",
    grid_major="#2c3139",
    node_fill="#2a2f37",
    node_border="#4c5461",
    text="#e7e9ec",
    muted="#9aa2ae",
    selection="#5b9bff",
    wire="#98a1b0",
    value="#5ed27e",
    grad="#ff8f5a",
    error="#f05454",
    error_fill="#4a2528",
    label_halo="#1c1f24",
    label_fill="#23272e",
    label_edge="#3a404a",
    chip_fill="#343a44",
    valid="#4ade80",
    step="#fbbf24",
    warning="#fbbf24",
    tangent="#38bdf8",
    path="#e879f9",
)


def _scaled_pen(color: str | QColor, width: float = 1.0, style: Qt.PenStyle = Qt.SolidLine,
                scale: float = 1.0) -> QPen:
    pen = QPen(QColor(color), width * scale, style)
    pen.setCosmetic(True)
    return pen


@dataclass
class Theme:
    """Ready-made drawing objects for one colour scheme."""

    dark: bool
    colors: Colors
    scale: float = 1.0  # device pixels per pen-width unit (the screen's pixel ratio)
    pens: dict[str, QPen] = field(default_factory=dict)
    brushes: dict[str, QBrush] = field(default_factory=dict)
    category_brushes: dict[str, QBrush] = field(default_factory=dict)
    category_pens: dict[str, QPen] = field(default_factory=dict)
    overview_brushes: dict[str, QBrush] = field(default_factory=dict)
    title_font: QFont = field(default_factory=QFont)
    small_font: QFont = field(default_factory=QFont)
    symbol_font: QFont = field(default_factory=QFont)
    label_font: QFont = field(default_factory=QFont)

    @classmethod
    def build(cls, dark: bool, scale: float = 1.0) -> Theme:
        c = DARK if dark else LIGHT
        theme = cls(dark, c, scale)
        p, b = theme.pens, theme.brushes

        def _pen(color: str | QColor, width: float = 1.0,
                 style: Qt.PenStyle = Qt.SolidLine) -> QPen:
            return _scaled_pen(color, width, style, scale)

        p["border"] = _pen(c.node_border)
        p["selected"] = _pen(c.selection, 2.0)
        p["error"] = _pen(c.error, 2.0)
        p["text"] = _pen(c.text)
        p["muted"] = _pen(c.muted)
        p["value"] = _pen(c.value)
        p["grad"] = _pen(c.grad)
        p["tangent"] = _pen(c.tangent)
        # Width 1 cosmetic pens take the fast antialiased path (a 1.5 px curve costs 6x more).
        p["wire"] = _pen(c.wire, 1.0)
        p["wire_selected"] = _pen(c.selection, 2.0)
        p["wire_drag"] = _pen(c.selection, 1.8, Qt.DashLine)
        p["valid"] = _pen(c.valid, 2.0)
        p["step"] = _pen(c.step, 3.0)
        p["wire_step"] = _pen(c.step, 3.0)
        p["partial"] = _pen(c.grad, 1.0, Qt.DashLine)
        p["path"] = _pen(c.path, 3.0)  # a node or wire on the highlighted path
        p["fan_out"] = _pen(c.path, 2.0, Qt.DashLine)  # where paths split
        p["grid_minor"] = _pen(c.grid_minor)
        p["grid_major"] = _pen(c.grid_major)
        p["none"] = QPen(Qt.NoPen)
        b["none"] = QBrush(Qt.NoBrush)
        b["fill"] = QBrush(QColor(c.node_fill))
        b["error_fill"] = QBrush(QColor(c.error_fill))
        b["port"] = QBrush(QColor(c.wire))
        b["port_valid"] = QBrush(QColor(c.valid))
        b["halo"] = QBrush(_alpha(c.label_halo, 215))
        # Wire labels: an almost opaque pill with a faint edge, readable over wires and grid.
        b["label"] = QBrush(_alpha(c.label_fill, 240))
        p["label_border"] = _pen(_alpha(c.label_edge, 255))
        b["chip"] = QBrush(QColor(c.chip_fill))
        b["selection"] = QBrush(QColor(c.selection))
        b["value"] = QBrush(QColor(c.value))
        b["background"] = QBrush(QColor(c.background))
        b["error"] = QBrush(QColor(c.error))
        b["step_halo"] = QBrush(_alpha(c.step, 60 if dark else 45))
        b["path"] = QBrush(QColor(c.path))
        b["path_tint"] = QBrush(_alpha(c.path, 55 if dark else 30))
        for cat, col in CATEGORY_COLORS.items():
            base = QColor(col)
            theme.category_pens[cat] = _pen(base)
            header = _alpha(col, 70 if dark else 40)
            theme.category_brushes[cat] = QBrush(header)
            theme.overview_brushes[cat] = QBrush(_mix(col, c.node_fill, 0.45))
        theme.title_font = _font(9.0, bold=True)
        theme.small_font = _font(8.0)
        theme.label_font = _font(8.5)
        theme.symbol_font = _font(13.0, bold=False)
        return theme

    def category_color(self, category: str) -> QColor:
        return QColor(CATEGORY_COLORS.get(category, "#64748b"))


def _alpha(color: str, alpha: int) -> QColor:
    q = QColor(color)
    q.setAlpha(alpha)
    return q


def _mix(a: str, b: str, t: float) -> QColor:
    """Opaque colour t of the way from b to a."""
    ca, cb = QColor(a), QColor(b)
    return QColor(
        round(cb.red() + (ca.red() - cb.red()) * t),
        round(cb.green() + (ca.green() - cb.green()) * t),
        round(cb.blue() + (ca.blue() - cb.blue()) * t),
    )


def _font(points: float, bold: bool = False) -> QFont:
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(points)
    font.setBold(bold)
    # Scene text is scaled by the view; hinting would make glyphs jump while zooming.
    font.setHintingPreference(QFont.PreferNoHinting)
    return font


def system_is_dark() -> bool:
    """True when the desktop asks for a dark colour scheme."""
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


_THEMES: dict[tuple[bool, float], Theme] = {}


def current_theme(dark: bool | None = None, dpr: float = 1.0) -> Theme:
    """The theme for ``dark`` (default: the system's scheme) on a screen with device pixel
    ratio ``dpr``; built once per scheme and ratio. Exports use ratio 1 (their own scale)."""
    if dark is None:
        dark = system_is_dark()
    key = (dark, round(max(1.0, dpr), 2))
    if key not in _THEMES:
        _THEMES[key] = Theme.build(dark, key[1])
    return _THEMES[key]


# Notices in panels and the status bar: a glyph that the common fonts (DejaVu) have, and a
# colour that says what kind of news it is (success is not a warning).
NOTICE_GLYPHS = {"info": "ℹ", "success": "✓", "warning": "⚠", "error": "⚠"}


def notice_color(kind: str, dark: bool | None = None) -> str:
    c = current_theme(dark).colors
    return {"info": c.selection, "success": c.value, "warning": c.warning,
            "error": c.error}.get(kind, c.muted)


def notice_html(text: str, kind: str = "info", dark: bool | None = None) -> str:
    """``text`` (plain, escaped here) as a coloured notice with its glyph: kind is "info",
    "success", "warning" or "error"."""
    glyph = NOTICE_GLYPHS.get(kind, NOTICE_GLYPHS["info"])
    return (f"<span style='color:{notice_color(kind, dark)}'>{glyph} "
            f"{html.escape(text)}</span>")


def text_width(font: QFont, text: str) -> float:
    return QFontMetricsF(font).horizontalAdvance(text)
