"""The status bar's permanent part: the output's value and the first problem, and the zoom.

It reads the shared view state (so a quiz or an exercise hides nothing here that it shows
elsewhere, and live training numbers show as they arrive).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from graphgui.core.graph import Graph
from graphgui.core.values import format_value

from .naming import node_label
from .theme import current_theme
from .view_state import ViewState


class EvaluationStatus(QObject):
    def __init__(self, window: QMainWindow, view_state: ViewState) -> None:
        super().__init__(window)
        self.window = window
        self.view_state = view_state
        bar = window.statusBar()
        bar.setObjectName("statusBar")
        self.eval_label = QLabel()
        self.eval_label.setObjectName("evalLabel")
        self.eval_label.setTextFormat(Qt.RichText)
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        bar.addPermanentWidget(self.eval_label)
        bar.addPermanentWidget(self.zoom_label)
        window.eval_label = self.eval_label  # type: ignore[attr-defined]  # tests read it
        window.zoom_label = self.zoom_label  # type: ignore[attr-defined]
        view_state.changed.connect(self.refresh)

    def show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def refresh(self) -> None:
        vs = self.view_state
        ev = vs.evaluation
        graph = vs.evaluator.graph
        if ev is None or graph is None:
            self.eval_label.setText("")
            return
        parts = []
        out = ev.output
        if out is not None and out in graph:
            value = vs.value(out) if vs.step is None else ev.values.get(out)
            if value is not None:  # a failed output is told by the error below, not "= -"
                parts.append(f"{node_label(graph, out)} = {format_value(value)}")
        if vs.stale:
            parts.append(f"<i>{vs.stale}</i>")
        problems = [(nid, msg) for nid, msg in ev.errors.items() if nid in graph]
        if ev.nonfinite is not None:
            problems.append(ev.nonfinite)
        color = current_theme().colors.error
        if problems:
            nid, msg = problems[0]
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            parts.append(f"<span style='color:{color}'>⚠ {_told(graph, nid, msg)}{more}</span>")
            self.eval_label.setToolTip("\n".join(_told(graph, n, m) for n, m in problems))
        else:
            self.eval_label.setToolTip("")
        self.eval_label.setText("  ·  ".join(parts))


def _told(graph: Graph, node_id: str, message: str) -> str:
    """``node: message``, unless the message names its node already ("f (log of 0) gave
    -inf": not "f: f (log of 0) gave -inf")."""
    if node_id not in graph:
        return f"a removed node: {message}"
    if message.startswith(f"{graph.node(node_id).title} ("):
        return message
    return f"{node_label(graph, node_id)}: {message}"
