"""What the colours of the canvas's wire labels mean, in one line for a dock's header.

``value`` (green) and ``gradient`` (orange) while the canvas shows them, ``tangent`` (blue)
while forward mode's tangents are shown, ``path`` (magenta) while the Paths dock draws a path;
each word in its theme colour. The line follows the view state, so it names only what is on
the canvas now.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ...theme import current_theme

if TYPE_CHECKING:
    from ...view_state import ViewState

# (key, word, what it is): in the order the labels sit around a wire
ENTRIES = (
    ("value", "value", "the value a wire carries forward (above it)"),
    ("grad", "gradient", "the gradient a wire carries back, d(output)/d(node) (below it)"),
    ("tangent", "tangent", "forward mode's tangent d(node)/d(input), under the value "
                           "(Autodiff > Show Tangents)"),
    ("path", "path", "the path chosen in the Paths dock, and where paths split"),
)


def shown_entries(view_state: ViewState) -> list[str]:
    """The keys of the colours on the canvas now."""
    vs = view_state
    step = vs.step  # a step picture shows the gradients its steps computed, if any
    shown = {
        "value": vs.show_values,
        "grad": not vs.grads_hidden and (step is None or bool(step.grads or step.wire_grads)),
        "tangent": bool(vs.tangents().values),
        "path": bool(vs.highlight.nodes or vs.highlight.wires or vs.highlight.marked),
    }
    return [key for key, *_ in ENTRIES if shown[key]]


def legend_html(keys: list[str]) -> str:
    colors = current_theme().colors
    color = {"value": colors.value, "grad": colors.grad, "tangent": colors.tangent,
             "path": colors.path}
    words = {key: word for key, word, _ in ENTRIES}
    return " ".join(f"<span style='color:{color[k]}'>■&nbsp;{html.escape(words[k])}</span>"
                    for k in keys)


class WireLegend(QLabel):
    """The legend line; it updates itself from ``view_state``."""

    def __init__(self, view_state: ViewState, name: str, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.view_state = view_state
        self.setTextFormat(Qt.RichText)
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        self.setToolTip("The colours of the labels on the canvas's wires:\n" + "\n".join(
            f"{word}: {what}" for _, word, what in ENTRIES))
        self.keys: list[str] = []
        self._html = ""
        # As wide as the whole legend, written on the right: the line does not jump about
        # (nor what is left of it) as entries come and go.
        self.setText(legend_html([key for key, *_ in ENTRIES]))
        self.setMinimumWidth(self.sizeHint().width())
        self.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        view_state.changed.connect(self.refresh)
        view_state.highlight_changed.connect(self.refresh)
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt)
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange:  # another colour scheme: its colours
            self._html = ""
            self.refresh()

    def refresh(self) -> None:
        self.keys = shown_entries(self.view_state)
        text = legend_html(self.keys)
        if text != self._html:
            self._html = text
            self.setText(text)
