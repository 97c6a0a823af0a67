"""Re-evaluate the graph after edits: forward, then backward from the output.

Edits arrive in bursts (a paste adds many nodes, each emitting ``changed``), so evaluation is
coalesced with a zero-time single-shot timer: it runs once, after the burst, when control
returns to the event loop. The compiled Program is reused while only source values change.
Per-wire gradients come from the engine's recorded Steps (``evaluate(wires=True)``): no view
calls a gradient rule of its own.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from graphgui.core.engine import Evaluation, Program
from graphgui.core.graph import Graph, GraphError


class Evaluator(QObject):
    """Owns the latest :class:`Evaluation` of one graph and announces new ones."""

    evaluated = Signal(object)  # Evaluation

    def __init__(self, graph: Graph | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.evaluation: Evaluation | None = None
        self._program: Program | None = None
        self._key: tuple[int, int] | None = None
        self._names = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.evaluate_now)
        if graph is not None:
            self.set_graph(graph)

    def set_graph(self, graph: Graph | None) -> None:
        if self.graph is not None:
            self.graph.changed.unsubscribe(self.schedule)
            self.graph.node_changed.unsubscribe(self._on_node_changed)
        self.graph = graph
        self._program = None
        self._key = None
        self.evaluation = None
        if graph is not None:
            graph.changed.subscribe(self.schedule)
            graph.node_changed.subscribe(self._on_node_changed)
            self.schedule()

    def _on_node_changed(self, node: Any, what: str) -> None:
        if what == "name":  # names appear in the Program's error messages
            self._names += 1

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    @property
    def program(self) -> Program | None:
        """The compiled Program of the latest evaluation (None before the first)."""
        return self._program

    def evaluate_now(self) -> Evaluation | None:
        """Evaluate at once (cancelling a scheduled run) and emit ``evaluated``."""
        self._timer.stop()
        graph = self.graph
        if graph is None:
            return None
        key = (graph.structure_version, self._names)
        try:
            if self._program is None or self._key != key:
                self._program = Program(graph)
                self._key = key
            program = self._program
            overrides = {n.id: n.value for n in graph if n.is_source}
            evaluation = program.evaluate(overrides, wires=True)
        except GraphError as exc:  # only a corrupt graph gets here; say so, do not crash
            evaluation = Evaluation(None, {}, {}, {"": str(exc)})
        self.evaluation = evaluation
        self.evaluated.emit(evaluation)
        return evaluation
